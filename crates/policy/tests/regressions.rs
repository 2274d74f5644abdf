//! Regression tests named after what broke in MinIO (spec §17) and MinIO's pkg/policy tests (spec §18).

mod common;

use std::sync::Arc;

use common::*;
use strongbox_policy::{
    Action, Decision, MAX_SESSION_POLICY_BYTES, Parent, Policy, PolicyError, PolicySet, Request,
    evaluate_session, parse_policy_names,
};

/// MinIO 99bf4d0c4 (#7791): `${aws:username}` matched by prefix, so `bob` reached bucket `bob2`.
#[test]
fn issue_7791_username_variable_is_not_a_prefix_match() {
    let s = set(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],
      "Resource":["arn:aws:s3:::${aws:username}","arn:aws:s3:::${aws:username}/*"]}]}"#,
    );
    let bob = ctx(&[("aws:username", "bob")]);
    assert!(allowed(&s, Action::ListBucket, "bob", &bob));
    assert!(allowed(&s, Action::GetObject, "bob/file", &bob));
    for resource in ["bob2", "bob2/file", "bo", "bobby/x", "b", "xbob"] {
        let action = if resource.contains('/') {
            Action::GetObject
        } else {
            Action::ListBucket
        };
        assert!(!allowed(&s, action, resource, &bob), "{resource}");
    }
    // A user name with wildcard characters is matched literally, never as a pattern.
    let star = ctx(&[("aws:username", "*")]);
    assert!(!allowed(&s, Action::ListBucket, "bob", &star));
    let q = ctx(&[("aws:username", "bo?")]);
    assert!(!allowed(&s, Action::ListBucket, "bob", &q));
}

/// spec §18 (pkg policy tests): `${aws:username}*/${aws:groups}` matches only with the right values.
#[test]
fn username_and_groups_variables_in_one_resource() {
    let s = set(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
      "Resource":"arn:aws:s3:::${aws:username}*/${aws:groups}"}]}"#,
    );
    let c = ctx(&[("aws:username", "alice"), ("aws:groups", "eng")]);
    assert!(allowed(&s, Action::GetObject, "alice/eng", &c));
    assert!(allowed(&s, Action::GetObject, "alice-data/eng", &c));
    assert!(!allowed(&s, Action::GetObject, "alice/ops", &c));
    assert!(!allowed(&s, Action::GetObject, "alice/eng2", &c));
    assert!(!allowed(&s, Action::GetObject, "bob/eng", &c));
}

/// GHSA-jjjj-jwhf-8rgr / CVE-2025-62506: with a session policy, own-account admin operations (e.g.
/// creating a service account) must be explicitly allowed by the session policy.
#[test]
fn cve_2025_62506_session_policy_must_explicitly_allow_admin_actions() {
    let session = PolicySet::single(
        "session",
        Arc::new(
            Policy::parse_session(br#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
              "Action":["s3:ListBucket","s3:GetObject","s3:PutObject"],
              "Resource":["arn:aws:s3:::bucket1","arn:aws:s3:::bucket1/*","arn:aws:s3:::bucket2","arn:aws:s3:::bucket2/*"]}]}"#)
            .unwrap(),
        ),
    );
    let c = ctx(&[]);
    let req = Request::new(Action::AdminCreateServiceAccount, "", None, &c);
    // Root-parented (owner) and consoleAdmin-parented credentials alike.
    assert_eq!(
        evaluate_session(Parent::Owner, &session, &req),
        Decision::ImplicitDeny
    );
    let admin = PolicySet::single(
        "consoleAdmin",
        Arc::new(strongbox_policy::canned_policy("consoleAdmin").unwrap()),
    );
    assert_eq!(
        evaluate_session(Parent::Policies(&admin), &session, &req),
        Decision::ImplicitDeny
    );
    // Listing is limited to the two buckets (MinIO #12947: root-parented creds ignored the session policy).
    let list = |b: &'static str| Request::new(Action::ListBucket, b, None, &c);
    assert!(evaluate_session(Parent::Owner, &session, &list("bucket1")).is_allowed());
    assert!(evaluate_session(Parent::Owner, &session, &list("bucket2")).is_allowed());
    assert!(!evaluate_session(Parent::Owner, &session, &list("bucket3")).is_allowed());
}

/// MinIO 17a37241f (#12773): an allowing session policy must actually allow (all requests were 403).
#[test]
fn issue_12773_allowing_session_policy_allows() {
    let session = PolicySet::single(
        "session",
        Arc::new(
            Policy::parse_session(br#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#)
                .unwrap(),
        ),
    );
    let parent = set(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"}]}"#,
    );
    let c = ctx(&[]);
    let d = evaluate_session(
        Parent::Policies(&parent),
        &session,
        &Request::new(Action::GetObject, "b", Some("k"), &c),
    );
    assert!(
        matches!(d, Decision::Allow(r) if r.policy == "test"),
        "{d:?}"
    );
    let d = evaluate_session(
        Parent::Policies(&parent),
        &session,
        &Request::new(Action::PutObject, "b", Some("k"), &c),
    );
    assert_eq!(d, Decision::ImplicitDeny);
}

/// spec §11: session policies must carry Version and are measured re-serialised.
#[test]
fn session_policy_version_required_and_size_measured_canonically() {
    let no_version = br#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    assert!(Policy::parse(no_version).is_ok());
    let e = Policy::parse_session(no_version).unwrap_err();
    assert!(e.to_string().contains("Version cannot be empty"), "{e}");
    // Whitespace does not count: 5000 bytes of padding still re-serialise small.
    let padded = format!(
        "{{{}\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}}]}}",
        " ".repeat(5000)
    );
    let p = Policy::parse_session(padded.as_bytes()).unwrap();
    assert!(p.canonical_len() <= MAX_SESSION_POLICY_BYTES);
    assert_eq!(
        p.to_canonical_json(),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}"#
    );
}

/// spec §18 (pkg policy tests): strict parse rejects unknown fields and invalid Version.
#[test]
fn strict_parse_rejects_unknown_fields_and_bad_version() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"Version":"2012-10-17","Statement":[],"Extra":1}"#,
            "policy",
        ),
        (r#"{"Version":"2008-10-17","Statement":[]}"#, "Version"),
        (r#"{"Version":"2012-10-18","Statement":[]}"#, "Version"),
        (r#"{"Version":2012,"Statement":[]}"#, "Version"),
        (r#"{"Version":"2012-10-17"}"#, "policy"),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Foo":1}]}"#,
            "Statement[0]",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}"#,
            "Statement[0].Effect",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}"#,
            "Statement[0]",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
            "Statement[0]",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:GetObject","Resource":"*"}]}"#,
            "Statement[0]",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
            "Statement[0]",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
            "Statement[0].Action",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::"}]}"#,
            "Statement[0].Resource[0]",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:iam:::user/x"}]}"#,
            "Statement[0].Resource[0]",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":null}}}]}"#,
            "Statement[0].Condition.StringEquals.s3:prefix[0]",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:nope":"x"}}}]}"#,
            "Statement[0].Condition.StringEquals.aws:nope",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Effect":"Deny","Resource":"*"}]}"#,
            "Statement[0]",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","action":"s3:GetObject","Resource":"*"}]}"#,
            "Statement[0]",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}],"Statement":[]}"#,
            "policy",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":"Allow"}"#,
            "Statement",
        ),
    ];
    for (json, location) in cases {
        match Policy::parse(json.as_bytes()) {
            Err(PolicyError::Invalid { location: l, .. }) => assert_eq!(l, *location, "{json}"),
            other => panic!("{json} -> {other:?}"),
        }
    }
}

#[test]
fn field_names_are_case_insensitive_like_minio_and_duplicates_dropped() {
    let p = Policy::parse(
        br#"{"version":"2012-10-17","ID":"x","statement":[
          {"effect":"Allow","action":"s3:GetObject","resource":"arn:aws:s3:::b/*"},
          {"Sid":"again","Effect":"Allow","Action":["s3:GetObject","s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}"#,
    )
    .unwrap();
    assert_eq!(p.statements().len(), 1);
    assert_eq!(p.id(), Some("x"));
    // Merging drops duplicates across policies too; the first policy is named as the decider.
    let mut s = PolicySet::new();
    s.add("first", Arc::new(p.clone()));
    s.add("second", Arc::new(p));
    let c = ctx(&[]);
    let d = decide(&s, Action::GetObject, "b/k", &c);
    assert!(
        matches!(d, Decision::Allow(r) if r.policy == "first" && r.index == 0),
        "{d:?}"
    );
}

/// spec §18: policy claim `["readwrite", "readwrite,readonly", "  readonly", ""]` → {readwrite, readonly}.
#[test]
fn policy_claim_parsing() {
    let names = parse_policy_names(["readwrite", "readwrite,readonly", "  readonly", ""]);
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["readonly", "readwrite"]
    );
}

/// spec §12.3: `bucket/*` also matches the bucket itself; `bucket` does not match its objects.
#[test]
fn bucket_star_matches_bucket_itself() {
    let s = set(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
    let c = ctx(&[]);
    assert!(allowed(&s, Action::ListBucket, "b", &c));
    assert!(allowed(&s, Action::GetObject, "b/x/y", &c));
    assert!(!allowed(&s, Action::ListBucket, "b2", &c));
    let only_bucket = set(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b"}]}"#,
    );
    assert!(allowed(&only_bucket, Action::ListBucket, "b", &c));
    assert!(!allowed(&only_bucket, Action::GetObject, "b/x", &c));
    // NotResource and NotAction.
    let not = set(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:DeleteObject","NotResource":"arn:aws:s3:::secret/*"}]}"#,
    );
    assert!(allowed(&not, Action::GetObject, "public/x", &c));
    assert!(!allowed(&not, Action::GetObject, "secret/x", &c));
    assert!(!allowed(&not, Action::ListBucket, "secret", &c));
    assert!(!allowed(&not, Action::DeleteObject, "public/x", &c));
    // Admin requests skip resource matching (spec §12.3).
    assert!(allowed(&not, Action::AdminServerInfo, "", &c));
}

/// DeleteObject with a versionId also needs s3:DeleteObjectVersion not explicitly denied (spec §12.1).
#[test]
fn deny_only_check_for_delete_object_version() {
    let s = set(r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
      {"Sid":"NoVersionDelete","Effect":"Deny","Action":"s3:DeleteObjectVersion","Resource":"arn:aws:s3:::b/*"}]}"#);
    let c = ctx(&[]);
    let req = Request::new(Action::DeleteObject, "b", Some("k"), &c);
    assert!(s.evaluate(&req).is_allowed());
    let deny = s
        .explicit_deny(&req.with_action(Action::DeleteObjectVersion))
        .unwrap();
    assert_eq!(deny.sid, Some("NoVersionDelete"));
    assert_eq!(
        deny.to_string(),
        "policy \"test\" statement #1 (Sid \"NoVersionDelete\")"
    );
}

#[test]
fn bucket_policy_resources_must_be_inside_the_bucket() {
    let p = Policy::parse_bucket(
        br#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
      "Action":"s3:GetObject","Resource":["arn:aws:s3:::photos/*","arn:aws:s3:::photos"]}]}"#,
    )
    .unwrap();
    assert!(p.check_bucket("photos").is_ok());
    let e = p.check_bucket("other").unwrap_err();
    assert!(e.to_string().starts_with("Statement[0].Resource[0]"), "{e}");
    let wild = Policy::parse_bucket(br#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}]}"#).unwrap();
    assert!(wild.check_bucket("anything").is_ok());
}

/// spec §18 (LDAP STS tests): `arn:aws:s3:::${ldap:username}/*` gives dillon bucket `dillon`; JWT claims
/// and principal type work the same way. Prefixes are namespaces: a `jwt:username` claim never stands
/// in for `aws:username` (spec §17.3).
#[test]
fn ldap_jwt_and_principaltype_variables() {
    let s = set(r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${ldap:username}/*"},
      {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/${jwt:preferred_username}/*",
       "Condition":{"StringEquals":{"aws:principaltype":"AssumedRole"}}},
      {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::${aws:username}/*"}]}"#);
    let ldap = ctx(&[
        ("ldap:username", "dillon"),
        ("ldap:user", "uid=dillon,ou=people,dc=min,dc=io"),
    ]);
    assert!(allowed(&s, Action::ListBucket, "dillon", &ldap));
    assert!(allowed(&s, Action::GetObject, "dillon/x", &ldap));
    assert!(!allowed(&s, Action::GetObject, "dillon2/x", &ldap));
    let oidc = ctx(&[
        ("jwt:preferred_username", "liza"),
        ("aws:principaltype", "AssumedRole"),
        ("jwt:username", "root"),
    ]);
    assert!(allowed(&s, Action::GetObject, "shared/liza/a", &oidc));
    assert!(!allowed(&s, Action::GetObject, "shared/dillon/a", &oidc));
    assert!(!allowed(&s, Action::PutObject, "root/a", &oidc));
    let user = ctx(&[
        ("jwt:preferred_username", "liza"),
        ("aws:principaltype", "User"),
    ]);
    assert!(!allowed(&s, Action::GetObject, "shared/liza/a", &user));
}
