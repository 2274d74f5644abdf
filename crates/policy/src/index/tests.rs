use std::sync::Arc;

use crate::{Action, ConditionValues, Decision, Policy, PolicySet, Request};

fn set(statements: &[&str]) -> PolicySet {
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    );
    PolicySet::single("p", Arc::new(Policy::parse(doc.as_bytes()).unwrap()))
}

/// Seven statements that never match anything asked below, so every set is large enough to be
/// indexed.
const FILLER: [&str; 7] = [
    r#"{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::f1/*"}"#,
    r#"{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::f2/*"}"#,
    r#"{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::f3/*"}"#,
    r#"{"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::f4/*"}"#,
    r#"{"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::f5/*"}"#,
    r#"{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::f6/*"}"#,
    r#"{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::f7/*"}"#,
];

fn with_filler(extra: &[&str]) -> PolicySet {
    let mut all: Vec<&str> = FILLER.to_vec();
    all.extend_from_slice(extra);
    set(&all)
}

fn decide<'a>(
    s: &'a PolicySet,
    action: Action,
    bucket: &str,
    object: Option<&str>,
    c: &ConditionValues,
) -> Decision<'a> {
    let req = Request::new(action, bucket, object, c);
    let d = s.evaluate(&req);
    assert_eq!(
        d,
        s.evaluate_scanning_all(&req),
        "{action} {bucket} {object:?}"
    );
    d
}

fn allowed_by(d: Decision<'_>) -> Option<usize> {
    match d {
        Decision::Allow(s) => Some(s.index),
        _ => None,
    }
}

#[test]
fn wildcard_not_action_and_star_actions_reach_the_index() {
    let s = with_filler(&[
        r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::a/*"}"#,
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#,
        r#"{"Effect":"Allow","NotAction":"s3:PutObject","Resource":"arn:aws:s3:::c/*"}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::d"}"#,
        r#"{"Effect":"Allow","Action":"admin:*"}"#,
    ]);
    let c = ConditionValues::new();
    let get = |b: &str, o| allowed_by(decide(&s, Action::GetObject, b, o, &c));
    assert_eq!(get("a", Some("k")), Some(7));
    assert_eq!(get("b", Some("k")), Some(8));
    assert_eq!(get("c", Some("k")), Some(9));
    assert_eq!(get("d", None), Some(10));
    assert_eq!(get("d", Some("k")), None);
    assert_eq!(get("e", Some("k")), None);
    // The `bucket/*` alias: bucket-level actions on the bucket itself.
    assert_eq!(
        allowed_by(decide(&s, Action::ListBucket, "c", None, &c)),
        Some(9)
    );
    assert!(!decide(&s, Action::PutObject, "c", Some("k"), &c).is_allowed());
    // Admin actions are not matched against resources: the `NotAction` statement #9 covers
    // them too, before the `admin:*` one.
    assert_eq!(
        allowed_by(decide(&s, Action::AdminServerInfo, "", None, &c)),
        Some(9)
    );
    assert_eq!(
        allowed_by(decide(&s, Action::AdminCreateUser, "x", None, &c)),
        Some(9)
    );
}

#[test]
fn candidates_come_in_statement_order_and_deny_first() {
    let s = with_filler(&[
        r#"{"Sid":"any","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}"#,
        r#"{"Sid":"mine","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::mine/*"}"#,
        r#"{"Sid":"var","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:username}/*"}"#,
        r#"{"Sid":"no","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::mine/secret*"}"#,
    ]);
    let c = ConditionValues::new().with("aws:username", "mine");
    let d = decide(&s, Action::GetObject, "mine", Some("k"), &c);
    assert_eq!(d.statement().unwrap().sid, Some("any"));
    let d = decide(&s, Action::GetObject, "mine", Some("secret-1"), &c);
    assert!(matches!(d, Decision::ExplicitDeny(r) if r.sid == Some("no")));
    // A statement in several buckets is found under each.
    let s = with_filler(&[
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::x/a/*","arn:aws:s3:::y/b*"]}"#,
    ]);
    assert!(decide(&s, Action::GetObject, "x", Some("a/k"), &c).is_allowed());
    assert!(decide(&s, Action::GetObject, "y", Some("b/k"), &c).is_allowed());
    assert!(!decide(&s, Action::GetObject, "y", Some("a/k"), &c).is_allowed());
}

#[test]
fn odd_resources_are_never_hidden() {
    let s = with_filler(&[
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/b"}"#,
        r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::*"}"#,
        r#"{"Effect":"Allow","Action":"s3:PutObject","NotResource":"arn:aws:s3:::locked/*"}"#,
        r#"{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::team-*/shared/*"}"#,
        r#"{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::x"}"#,
    ]);
    let c = ConditionValues::new();
    // A bucket name holding a `/` (never valid in S3, but the engine must still be exact).
    assert!(decide(&s, Action::GetObject, "a/b", None, &c).is_allowed());
    assert!(decide(&s, Action::GetObject, "a", Some("b"), &c).is_allowed());
    assert!(decide(&s, Action::ListBucket, "", None, &c).is_allowed());
    assert!(decide(&s, Action::PutObject, "any", Some("k"), &c).is_allowed());
    assert!(!decide(&s, Action::PutObject, "locked", Some("k"), &c).is_allowed());
    assert!(decide(&s, Action::DeleteObject, "team-7", Some("shared/x"), &c).is_allowed());
    assert!(decide(&s, Action::ListAllMyBuckets, "x", None, &c).is_allowed());
    assert!(!decide(&s, Action::ListAllMyBuckets, "", None, &c).is_allowed());
}

#[test]
fn adding_a_policy_rebuilds_the_index() {
    let mut s = with_filler(&[]);
    let c = ConditionValues::new();
    assert!(!decide(&s, Action::GetObject, "b", Some("k"), &c).is_allowed());
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    s.add("more", Arc::new(Policy::parse(allow.as_bytes()).unwrap()));
    assert!(decide(&s, Action::GetObject, "b", Some("k"), &c).is_allowed());
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/k"}]}"#;
    s.add("deny", Arc::new(Policy::parse(deny.as_bytes()).unwrap()));
    let d = decide(&s, Action::GetObject, "b", Some("k"), &c);
    assert!(matches!(d, Decision::ExplicitDeny(r) if r.policy == "deny"));
    assert!(decide(&s, Action::GetObject, "b", Some("k2"), &c).is_allowed());
}

/// The beginning of a statement's resources kept inline in its slot: longer than it can hold,
/// shared by several resources, cut inside a multi-byte character, or not shared at all. Each
/// resource is asked as itself, with one byte changed at every position, and cut short.
#[test]
fn resource_beginnings_decide_as_a_full_scan() {
    let resources = [
        "arn:aws:s3:::a-very-long-bucket-name/home/*",
        "arn:aws:s3:::shared-beginning-1/x/*",
        "arn:aws:s3:::shared-beginning-2/y/*",
        "arn:aws:s3:::abcdefghijklmné/k",
        "arn:aws:s3:::abcdefghijklmnü/k",
        "arn:aws:s3:::short/*",
        "arn:aws:s3:::zzz/*",
    ];
    let statements: Vec<String> = [
        &resources[..1],
        &resources[1..3],
        &resources[3..5],
        &resources[5..7],
    ]
    .iter()
    .enumerate()
    .map(|(i, rs)| {
        let list: Vec<String> = rs.iter().map(|r| format!("{r:?}")).collect();
        let effect = if i == 3 { "Deny" } else { "Allow" };
        format!(
            r#"{{"Effect":"{effect}","Action":"s3:GetObject","Resource":[{}]}}"#,
            list.join(",")
        )
    })
    .collect();
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    let c = ConditionValues::new();
    for s in [set(&refs), with_filler(&refs)] {
        let (mut allowed, mut refused) = (0, 0);
        for (i, r) in resources.iter().enumerate() {
            let text = r.trim_start_matches("arn:aws:s3:::").replace('*', "obj");
            let mut asked = vec![text.clone(), text[..text.len() / 2].to_owned()];
            for at in 0..text.len() {
                let mut b = text.clone().into_bytes();
                b[at] ^= 1;
                if let Ok(t) = String::from_utf8(b) {
                    asked.push(t);
                }
            }
            for (j, t) in asked.iter().enumerate() {
                let (bucket, object) = match t.split_once('/') {
                    Some((b, o)) => (b, Some(o)),
                    None => (t.as_str(), None),
                };
                // `decide` compares with the full scan.
                let ok = decide(&s, Action::GetObject, bucket, object, &c).is_allowed();
                if j == 0 {
                    // The resources of the Allow statements themselves, not the Deny's.
                    assert_eq!(ok, i < 5, "{t}");
                }
                allowed += usize::from(ok);
                refused += usize::from(!ok);
            }
        }
        assert!(allowed > 5 && refused > 50, "{allowed} {refused}");
    }
}
