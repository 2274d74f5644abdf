//! Property tests over randomly generated policies and requests.

mod common;

use std::sync::Arc;

use proptest::prelude::*;
use strongbox_policy::{
    Action, ConditionValues, Decision, Key, Parent, Policy, PolicySet, Request, evaluate_session,
};

const ACTIONS: &[&str] = &[
    "s3:*",
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:Get*",
    "s3:*Object",
    "admin:*",
    "admin:ServerInfo",
    "kms:*",
    "*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::*",
    "arn:aws:s3:::b1",
    "arn:aws:s3:::b1/*",
    "arn:aws:s3:::b2/x*",
    "arn:aws:s3:::b?/*",
    "arn:aws:s3:::${aws:username}",
    "arn:aws:s3:::${aws:username}/*",
    "*",
];
const CONDITIONS: &[&str] = &[
    r#""IpAddress":{"aws:SourceIp":"10.0.0.0/8"}"#,
    r#""NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}"#,
    r#""Bool":{"aws:SecureTransport":"true"}"#,
    r#""StringEquals":{"aws:username":"bob"}"#,
    r#""StringNotEquals":{"aws:username":"alice"}"#,
    r#""StringLike":{"aws:username":"b*"}"#,
    r#""ForAnyValue:StringEquals":{"aws:groups":["g1","g3"]}"#,
    r#""ForAllValues:StringEquals":{"aws:groups":["g1","g2"]}"#,
    r#""Null":{"aws:SourceIp":"true"}"#,
    r#""DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}"#,
    r#""StringEqualsIfExists":{"aws:userid":"u1"}"#,
    r#""StringNotLike":{"aws:userid":"${aws:username}-*"}"#,
];
const REQUEST_ACTIONS: &[Action] = &[
    Action::GetObject,
    Action::PutObject,
    Action::ListBucket,
    Action::DeleteObject,
    Action::AdminServerInfo,
    Action::KmsStatus,
];
const BUCKETS: &[&str] = &["b1", "b2", "bob", "alice", ""];
const OBJECTS: &[Option<&str>] = &[None, Some("x"), Some("xy/z"), Some("a*")];

fn contexts() -> Vec<ConditionValues> {
    vec![
        ConditionValues::new(),
        ConditionValues::new()
            .with("aws:username", "bob")
            .with("aws:groups", "g1")
            .with("aws:SourceIp", "10.1.2.3")
            .with("aws:SecureTransport", "true")
            .with("aws:CurrentTime", "2024-06-01T00:00:00Z"),
        ConditionValues::new()
            .with("aws:username", "alice")
            .with("aws:userid", "u2")
            .with("aws:groups", "g1")
            .with("aws:groups", "g2")
            .with("aws:SourceIp", "2001:db8::7")
            .with("aws:SecureTransport", "false")
            .with("aws:CurrentTime", "2026-06-01T00:00:00Z"),
    ]
}

fn statement(effect: &'static str) -> impl Strategy<Value = String> {
    (
        prop::sample::subsequence(ACTIONS, 1..3),
        any::<bool>(),
        prop::sample::subsequence(RESOURCES, 1..3),
        any::<bool>(),
        prop::sample::subsequence(CONDITIONS, 0..3),
    )
        .prop_map(
            move |(actions, not_action, resources, not_resource, conds)| {
                common::statement_json(
                    effect,
                    (not_action, &actions),
                    (not_resource, &resources),
                    &conds,
                )
            },
        )
}

fn any_statement() -> impl Strategy<Value = String> {
    prop_oneof![statement("Allow"), statement("Deny")]
}

fn doc(statements: &[String]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

fn set_of(statements: &[String]) -> PolicySet {
    let p = Policy::parse(doc(statements).as_bytes()).expect("generated policy parses");
    PolicySet::single("p", Arc::new(p))
}

#[derive(Debug, Clone)]
struct Req {
    action: Action,
    bucket: &'static str,
    object: Option<&'static str>,
    ctx: usize,
}

fn request() -> impl Strategy<Value = Req> {
    (
        prop::sample::select(REQUEST_ACTIONS),
        prop::sample::select(BUCKETS),
        prop::sample::select(OBJECTS),
        0..3usize,
    )
        .prop_map(|(action, bucket, object, ctx)| Req {
            action,
            bucket,
            object,
            ctx,
        })
}

fn allowed(set: &PolicySet, r: &Req, ctxs: &[ConditionValues]) -> bool {
    set.evaluate(&Request::new(r.action, r.bucket, r.object, &ctxs[r.ctx]))
        .is_allowed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn explicit_deny_always_wins(stmts in prop::collection::vec(any_statement(), 0..8), r in request()) {
        let ctxs = contexts();
        let mut with_deny = stmts.clone();
        with_deny.push(format!(r#"{{"Effect":"Deny","Action":"{}","Resource":"*"}}"#, r.action));
        let set = set_of(&with_deny);
        let req = Request::new(r.action, r.bucket, r.object, &ctxs[r.ctx]);
        prop_assert!(matches!(set.evaluate(&req), Decision::ExplicitDeny(_)));

        // And in general: an Allow decision means no Deny statement matched.
        let set = set_of(&stmts);
        let d = set.evaluate(&req);
        prop_assert_eq!(matches!(d, Decision::ExplicitDeny(_)), set.explicit_deny(&req).is_some());
    }

    #[test]
    fn adding_an_allow_never_removes_access(
        stmts in prop::collection::vec(any_statement(), 0..8),
        extra in statement("Allow"),
        r in request(),
    ) {
        let ctxs = contexts();
        let before = allowed(&set_of(&stmts), &r, &ctxs);
        let mut more = stmts.clone();
        more.push(extra);
        prop_assert!(!before || allowed(&set_of(&more), &r, &ctxs));
    }

    #[test]
    fn adding_a_deny_never_adds_access(
        stmts in prop::collection::vec(any_statement(), 0..8),
        extra in statement("Deny"),
        r in request(),
    ) {
        let ctxs = contexts();
        let mut more = stmts.clone();
        more.push(extra);
        let after = allowed(&set_of(&more), &r, &ctxs);
        prop_assert!(!after || allowed(&set_of(&stmts), &r, &ctxs));
    }

    #[test]
    fn session_policy_never_widens_access(
        parent in prop::collection::vec(any_statement(), 0..6),
        session in prop::collection::vec(any_statement(), 0..6),
        r in request(),
    ) {
        let ctxs = contexts();
        let p = set_of(&parent);
        let s = set_of(&session);
        let req = Request::new(r.action, r.bucket, r.object, &ctxs[r.ctx]);
        let both = evaluate_session(Parent::Policies(&p), &s, &req).is_allowed();
        prop_assert_eq!(both, p.evaluate(&req).is_allowed() && s.evaluate(&req).is_allowed());
        let owner = evaluate_session(Parent::Owner, &s, &req).is_allowed();
        prop_assert_eq!(owner, s.evaluate(&req).is_allowed());
    }

    #[test]
    fn merging_policies_equals_concatenating_statements(
        a in prop::collection::vec(any_statement(), 0..5),
        b in prop::collection::vec(any_statement(), 0..5),
        r in request(),
    ) {
        let ctxs = contexts();
        let mut merged = PolicySet::new();
        merged.add("a", Arc::new(Policy::parse(doc(&a).as_bytes()).unwrap()));
        merged.add("b", Arc::new(Policy::parse(doc(&b).as_bytes()).unwrap()));
        let mut all = a.clone();
        all.extend(b.iter().cloned());
        prop_assert_eq!(allowed(&merged, &r, &ctxs), allowed(&set_of(&all), &r, &ctxs));
    }

    /// Callers build only the values a set reads ([`PolicySet::reads`]): leaving out every other
    /// key never changes a decision, nor the statement that decided.
    #[test]
    fn only_the_keys_a_set_reads_matter(
        stmts in prop::collection::vec(any_statement(), 0..8),
        r in request(),
    ) {
        let ctxs = contexts();
        let set = set_of(&stmts);
        let full = &ctxs[r.ctx];
        let mut only_read = ConditionValues::new();
        for (key, values) in full.iter().filter(|(k, _)| set.reads().reads(k)) {
            only_read.set(key, values.iter().map(String::as_str));
        }
        let a = set.evaluate(&Request::new(r.action, r.bucket, r.object, full));
        let b = set.evaluate(&Request::new(r.action, r.bucket, r.object, &only_read));
        prop_assert_eq!(a, b);
        for key in set.reads().iter() {
            prop_assert!(stmts.iter().any(|s| s.to_ascii_lowercase().contains(key)), "{key} read but not named");
        }
    }

    /// Large sets are evaluated through a per-action, per-bucket index of their statements: it
    /// must decide exactly as visiting every statement in order does, naming the same statement.
    #[test]
    fn the_statement_index_decides_as_a_full_scan(
        stmts in prop::collection::vec(any_statement(), 8..24),
        r in request(),
        odd_bucket in prop::sample::select(&["b1/x", "b2/x*", "bob/", "b"][..]),
        use_odd in any::<bool>(),
    ) {
        let ctxs = contexts();
        let set = set_of(&stmts);
        let bucket = if use_odd { odd_bucket } else { r.bucket };
        let req = Request::new(r.action, bucket, r.object, &ctxs[r.ctx]);
        prop_assert_eq!(set.evaluate(&req), set.evaluate_scanning_all(&req));
    }

    /// The server sets `aws:SourceIp` and `aws:CurrentTime` typed (text made only on demand):
    /// every decision is the one the same values given as text make.
    #[test]
    fn typed_values_decide_as_text(
        stmts in prop::collection::vec(any_statement(), 0..12),
        r in request(),
    ) {
        let text = &contexts()[r.ctx];
        let mut typed = text.clone();
        if let Some(ip) = text.get("aws:SourceIp") {
            typed.set_source_ip(ip[0].parse().unwrap());
        }
        if let Some(at) = text.get("aws:CurrentTime") {
            let at = time::OffsetDateTime::parse(&at[0], &time::format_description::well_known::Rfc3339).unwrap();
            typed.set_current_time(at);
        }
        for key in [Key::AwsUsername, Key::AwsSecureTransport] {
            if let Some([one]) = text.get(key.name()) {
                typed.set_one(key, one.clone());
            }
        }
        // The server shares one user name between `aws:username` and `aws:userid`.
        if let Some([one]) = text.get(Key::AwsUserId.name()) {
            typed.set_shared(Key::AwsUserId, Arc::from(one.as_str()));
        }
        prop_assert_eq!(&typed, text);
        let set = set_of(&stmts);
        let a = set.evaluate(&Request::new(r.action, r.bucket, r.object, text));
        let b = set.evaluate(&Request::new(r.action, r.bucket, r.object, &typed));
        prop_assert_eq!(a, b);
    }

    #[test]
    fn canonical_json_round_trips(stmts in prop::collection::vec(any_statement(), 0..8), r in request()) {
        let ctxs = contexts();
        let p = Policy::parse(doc(&stmts).as_bytes()).unwrap();
        let canonical = p.to_canonical_json();
        let again = Policy::parse(canonical.as_bytes()).unwrap();
        prop_assert_eq!(again.to_canonical_json(), canonical.clone());
        let a = PolicySet::single("p", Arc::new(p));
        let b = PolicySet::single("p", Arc::new(again));
        prop_assert_eq!(allowed(&a, &r, &ctxs), allowed(&b, &r, &ctxs));
    }
}
