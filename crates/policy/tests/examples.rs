//! Documented policy examples (AWS IAM and MinIO), each with its source URL, evaluated as documented.

mod common;

use std::sync::Arc;

use common::*;
use strongbox_policy::{Action, Decision, Policy, PolicyError, PolicySet, canned_policy};

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_s3_home-directory-console.html
// The document as published names console-only S3 actions MinIO does not have
// (s3:GetAccountPublicAccessBlock, s3:GetBucketAcl, s3:ListAccessPoints, ...); like MinIO we refuse
// unknown actions, and say which one.
const AWS_HOME_DIRECTORY_AS_PUBLISHED: &str = r#"{ "Version": "2012-10-17", "Statement": [
  { "Sid": "S3ConsoleAccess", "Effect": "Allow", "Action": [ "s3:GetAccountPublicAccessBlock",
    "s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketPolicyStatus", "s3:GetBucketPublicAccessBlock",
    "s3:ListAccessPoints", "s3:ListAllMyBuckets" ], "Resource": "*" },
  { "Sid": "ListObjectsInBucket", "Effect": "Allow", "Action": "s3:ListBucket",
    "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
    "Condition": { "StringLike": { "s3:prefix": [ "", "home/", "home/${aws:username}/*" ] } } },
  { "Effect": "Allow", "Action": "s3:*", "Resource": [ "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}",
    "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*" ] } ] }"#;

#[test]
fn aws_home_directory_console_policy() {
    let e = Policy::parse(AWS_HOME_DIRECTORY_AS_PUBLISHED.as_bytes()).unwrap_err();
    let PolicyError::Invalid { location, message } = e else {
        panic!("{e:?}")
    };
    assert_eq!(location, "Statement[0].Action[0]");
    assert!(
        message.contains("s3:GetAccountPublicAccessBlock"),
        "{message}"
    );

    // The same policy with only the console actions MinIO supports.
    let supported = AWS_HOME_DIRECTORY_AS_PUBLISHED
        .replace(r#""s3:GetAccountPublicAccessBlock","#, "")
        .replace(r#""s3:GetBucketAcl","#, "")
        .replace(r#""s3:GetBucketPublicAccessBlock","#, "")
        .replace(r#""s3:ListAccessPoints","#, "");
    let s = set(&supported);
    let bob = |extra: &[(&str, &str)]| {
        let mut c = ctx(&[("aws:username", "bob")]);
        for (k, v) in extra {
            c.insert(k, *v);
        }
        c
    };
    let b = "amzn-s3-demo-bucket";
    // (action, resource, extra context, allowed?)
    type Row<'a> = (Action, &'a str, &'a [(&'a str, &'a str)], bool);
    let rows: &[Row] = &[
        (Action::ListAllMyBuckets, "", &[], true),
        (Action::GetBucketLocation, b, &[], true),
        (Action::ListBucket, b, &[("s3:prefix", "")], true),
        (Action::ListBucket, b, &[("s3:prefix", "home/")], true),
        (
            Action::ListBucket,
            b,
            &[("s3:prefix", "home/bob/photos/")],
            true,
        ),
        (
            Action::ListBucket,
            b,
            &[("s3:prefix", "home/alice/")],
            false,
        ),
        (Action::ListBucket, b, &[("s3:prefix", "home/bob2/")], false),
        (Action::ListBucket, b, &[], false),
        (
            Action::GetObject,
            "amzn-s3-demo-bucket/home/bob/notes.txt",
            &[],
            true,
        ),
        (
            Action::PutObject,
            "amzn-s3-demo-bucket/home/bob/a/b/c",
            &[],
            true,
        ),
        (Action::PutObject, "amzn-s3-demo-bucket/home/bob", &[], true),
        (
            Action::GetObject,
            "amzn-s3-demo-bucket/home/alice/notes.txt",
            &[],
            false,
        ),
        (
            Action::GetObject,
            "amzn-s3-demo-bucket/home/bob2/notes.txt",
            &[],
            false,
        ),
        (
            Action::GetObject,
            "other-bucket/home/bob/notes.txt",
            &[],
            false,
        ),
    ];
    for (action, resource, extra, want) in rows {
        assert_eq!(
            allowed(&s, *action, resource, &bob(extra)),
            *want,
            "{action} {resource} {extra:?}"
        );
    }
    // Without a user name the variable stays literal and grants nothing.
    assert!(!allowed(
        &s,
        Action::GetObject,
        "amzn-s3-demo-bucket/home/bob/notes.txt",
        &ctx(&[])
    ));
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_s3_federated-home-directory-console.html
#[test]
fn aws_federated_home_directory_with_userid() {
    let s = set(r#"{ "Version": "2012-10-17", "Statement": [
      { "Effect": "Allow", "Action": [ "s3:ListAllMyBuckets", "s3:GetBucketLocation" ], "Resource": "*" },
      { "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket-name",
        "Condition": { "StringLike": { "s3:prefix": [ "", "home/", "home/${aws:userid}/*" ] } } },
      { "Effect": "Allow", "Action": "s3:*", "Resource": [ "arn:aws:s3:::bucket-name/home/${aws:userid}",
        "arn:aws:s3:::bucket-name/home/${aws:userid}/*" ] } ] }"#);
    let john = ctx(&[("aws:userid", "AROAXXT2NJT7D3SIQN7Z6:John")]);
    assert!(allowed(
        &s,
        Action::GetObject,
        "bucket-name/home/AROAXXT2NJT7D3SIQN7Z6:John/x",
        &john
    ));
    assert!(!allowed(
        &s,
        Action::GetObject,
        "bucket-name/home/AROAXXT2NJT7D3SIQN7Z6:Jane/x",
        &john
    ));
    let mut listing = john.clone();
    listing.insert("s3:prefix", "home/AROAXXT2NJT7D3SIQN7Z6:John/");
    assert!(allowed(&s, Action::ListBucket, "bucket-name", &listing));
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-ip.html
#[test]
fn aws_deny_outside_source_ip_ranges() {
    let deny_ip = policy(
        r#"{ "Version":"2012-10-17", "Statement": { "Effect": "Deny", "Action": "*",
      "Resource": "*", "Condition": { "NotIpAddress": { "aws:SourceIp": [ "192.0.2.0/24", "203.0.113.0/24" ] } } } }"#,
    );
    let mut s = PolicySet::new();
    s.add("deny-ip", Arc::new(deny_ip));
    s.add(
        "consoleAdmin",
        Arc::new(canned_policy("consoleAdmin").unwrap()),
    );
    let inside = ctx(&[("aws:SourceIp", "192.0.2.44")]);
    let inside2 = ctx(&[("aws:SourceIp", "203.0.113.1")]);
    let outside = ctx(&[("aws:SourceIp", "198.51.100.7")]);
    let v6 = ctx(&[("aws:SourceIp", "2001:db8::1")]);
    assert!(allowed(&s, Action::GetObject, "b/k", &inside));
    assert!(allowed(&s, Action::AdminCreateUser, "", &inside2));
    for c in [&outside, &v6] {
        let d = decide(&s, Action::GetObject, "b/k", c);
        assert!(
            matches!(d, Decision::ExplicitDeny(r) if r.policy == "deny-ip" && r.index == 0),
            "{d:?}"
        );
        assert!(matches!(
            decide(&s, Action::AdminCreateUser, "", c),
            Decision::ExplicitDeny(_)
        ));
    }
    // "This policy does not allow any actions."
    let alone = set(
        r#"{ "Version":"2012-10-17", "Statement": { "Effect": "Deny", "Action": "*",
      "Resource": "*", "Condition": { "NotIpAddress": { "aws:SourceIp": [ "192.0.2.0/24" ] } } } }"#,
    );
    assert_eq!(
        decide(&alone, Action::GetObject, "b/k", &inside),
        Decision::ImplicitDeny
    );
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws-dates.html
// (the example's placeholder action "service-prefix:action-name" replaced by s3:GetObject)
#[test]
fn aws_allow_between_dates() {
    let s = set(
        r#"{ "Version":"2012-10-17", "Statement": [ { "Effect": "Allow", "Action": "s3:GetObject",
      "Resource": "*", "Condition": { "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
      "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"} } } ] }"#,
    );
    for (now, want) in [
        ("2020-05-15T10:00:00Z", true),
        ("2020-06-30T23:59:58Z", true),
        ("2020-03-31T23:59:59Z", false),
        ("2020-07-01T00:00:00Z", false),
    ] {
        assert_eq!(
            allowed(
                &s,
                Action::GetObject,
                "b/k",
                &ctx(&[("aws:CurrentTime", now)])
            ),
            want,
            "{now}"
        );
    }
    assert!(!allowed(&s, Action::GetObject, "b/k", &ctx(&[])));
}

// https://repost.aws/es/knowledge-center/s3-bucket-policy-for-config-rule (bucket policy that
// complies with s3-bucket-ssl-requests-only), combined with the MinIO public-read example below.
#[test]
fn aws_bucket_policy_ssl_requests_only() {
    let json = r#"{ "Id": "ExamplePolicy", "Version": "2012-10-17", "Statement": [ { "Sid": "AllowSSLRequestsOnly",
      "Action": "s3:*", "Effect": "Deny", "Resource": [ "arn:aws:s3:::DOC-EXAMPLE-BUCKET",
      "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*" ], "Condition": { "Bool": { "aws:SecureTransport": "false" } },
      "Principal": "*" },
      { "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
        "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"] } ] }"#;
    let s = bucket_set(json);
    let https = ctx(&[("aws:SecureTransport", "true")]);
    let http = ctx(&[("aws:SecureTransport", "false")]);
    assert!(anonymous(&s, Action::GetObject, "DOC-EXAMPLE-BUCKET/a.txt", &https).is_allowed());
    let d = anonymous(&s, Action::GetObject, "DOC-EXAMPLE-BUCKET/a.txt", &http);
    assert!(
        matches!(d, Decision::ExplicitDeny(r) if r.sid == Some("AllowSSLRequestsOnly")),
        "{d:?}"
    );
    // The Deny also covers the bucket itself.
    assert!(matches!(
        anonymous(&s, Action::ListBucket, "DOC-EXAMPLE-BUCKET", &http),
        Decision::ExplicitDeny(_)
    ));
    // Canonical form keeps the Id and the field order of spec §11.
    let canonical = Policy::parse_bucket(json.as_bytes())
        .unwrap()
        .to_canonical_json();
    assert!(canonical.starts_with(r#"{"ID":"ExamplePolicy","Version":"2012-10-17","Statement":[{"Sid":"AllowSSLRequestsOnly","Effect":"Deny","Principal":{"AWS":["*"]},"Action":["s3:*"],"Resource":"#), "{canonical}");
}

// https://gist.github.com/harshavardhana/400558963e4dfe3709623203222ed30c (MinIO bucket policy examples)
#[test]
fn minio_anonymous_public_read_bucket_policy() {
    let s = bucket_set(
        r#"{ "Version": "2012-10-17", "Statement": [ { "Action": [ "s3:GetObject" ],
      "Effect": "Allow", "Principal": { "AWS": [ "*" ] }, "Resource": [ "arn:aws:s3:::testbucket/*" ], "Sid": "" } ] }"#,
    );
    let c = ctx(&[]);
    assert!(
        anonymous(
            &s,
            Action::GetObject,
            "testbucket/user/alice/files/public/me.jpg",
            &c
        )
        .is_allowed()
    );
    assert_eq!(
        anonymous(&s, Action::PutObject, "testbucket/x", &c),
        Decision::ImplicitDeny
    );
    assert_eq!(
        anonymous(&s, Action::GetObject, "testbucket2/x", &c),
        Decision::ImplicitDeny
    );
    // Principal "*" for an authenticated caller too.
    let r = strongbox_policy::Request::new(Action::GetObject, "testbucket", Some("x"), &c);
    assert!(
        s.evaluate_bucket(
            &r,
            strongbox_policy::Principal::Arn("arn:aws:iam:::user/bob")
        )
        .is_allowed()
    );
}

#[test]
fn bucket_policy_with_named_principal_does_not_apply_to_anonymous() {
    let s = bucket_set(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"AWS":["arn:aws:iam:::user/bob"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
    let c = ctx(&[]);
    assert_eq!(
        anonymous(&s, Action::GetObject, "b/x", &c),
        Decision::ImplicitDeny
    );
    let r = strongbox_policy::Request::new(Action::GetObject, "b", Some("x"), &c);
    assert!(
        s.evaluate_bucket(
            &r,
            strongbox_policy::Principal::Arn("arn:aws:iam:::user/bob")
        )
        .is_allowed()
    );
    // Bucket policies cannot grant admin actions, identity policies cannot name a Principal.
    assert!(
        Policy::parse_bucket(
            br#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"admin:*"}]}"#
        )
        .is_err()
    );
    assert!(
        Policy::parse(
            br#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#
        )
        .is_err()
    );
}

// https://docs.min.io/minio/baremetal/reference/minio-mc-admin/mc-admin-policy-create.html
#[test]
fn minio_listmybuckets_policy() {
    let s = set(
        r#"{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow",
      "Action": [ "s3:ListAllMyBuckets" ], "Resource": [ "arn:aws:s3:::*" ] } ] }"#,
    );
    assert!(allowed(&s, Action::ListAllMyBuckets, "", &ctx(&[])));
    assert!(!allowed(&s, Action::ListBucket, "b", &ctx(&[])));
    assert!(!allowed(&s, Action::GetObject, "b/k", &ctx(&[])));
}

// https://min.io/docs/minio/linux/administration/identity-access-management/policy-based-access-control.html
// ("Use the s3:ExistingObjectTag/<key> in the Condition statement of the policy"), and the tag test
// of minio cmd/sts-handlers_test.go described in spec §18.
#[test]
fn minio_tag_based_conditions() {
    let s = set(r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectTagging","s3:DeleteObject"],"Resource":"arn:aws:s3:::b/*",
       "Condition":{"StringEquals":{"s3:ExistingObjectTag/security":"public"}}},
      {"Effect":"Allow","Action":["s3:PutObject","s3:PutObjectTagging"],"Resource":"arn:aws:s3:::b/*",
       "Condition":{"ForAllValues:StringLike":{"s3:RequestObjectTagKeys":["security","virus"]}}}]}"#);
    assert!(allowed(
        &s,
        Action::GetObject,
        "b/o",
        &ctx(&[("s3:ExistingObjectTag/security", "public")])
    ));
    assert!(!allowed(
        &s,
        Action::GetObject,
        "b/o",
        &ctx(&[("s3:ExistingObjectTag/security", "private")])
    ));
    assert!(!allowed(
        &s,
        Action::GetObject,
        "b/o",
        &ctx(&[("s3:ExistingObjectTag/Security", "public")])
    ));
    let tags = ctx(&[
        ("s3:RequestObjectTagKeys", "security"),
        ("s3:RequestObjectTagKeys", "virus"),
    ]);
    assert!(allowed(&s, Action::PutObject, "b/o", &tags));
    let bad = ctx(&[
        ("s3:RequestObjectTagKeys", "security"),
        ("s3:RequestObjectTagKeys", "owner"),
    ]);
    assert!(!allowed(&s, Action::PutObject, "b/o", &bad));
}

// https://github.com/minio/minio/blob/master/cmd/sts-handlers_test.go (spec §18: `${aws:username}-*`
// for user dillon lists dillon-bucket; role policies conditioned on ForAnyValue:StringEquals jwt:groups;
// Deny sts:AssumeRoleWithWebIdentity when NumericGreaterThan sts:DurationSeconds).
#[test]
fn minio_sts_test_policies() {
    let s = set(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],
      "Resource":["arn:aws:s3:::${aws:username}-*"]}]}"#,
    );
    let dillon = ctx(&[("aws:username", "dillon")]);
    assert!(allowed(&s, Action::ListBucket, "dillon-bucket", &dillon));
    assert!(allowed(&s, Action::PutObject, "dillon-bucket/x", &dillon));
    assert!(!allowed(&s, Action::ListBucket, "dillonbucket", &dillon));
    assert!(!allowed(&s, Action::ListBucket, "liza-bucket", &dillon));

    let projecta = set(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],
      "Resource":["arn:aws:s3:::projecta","arn:aws:s3:::projecta/*"],
      "Condition":{"ForAnyValue:StringEquals":{"jwt:groups":["projecta"]}}}]}"#,
    );
    let dillon = ctx(&[("jwt:groups", "projecta"), ("jwt:groups", "projectb")]);
    let liza = ctx(&[("jwt:groups", "projectb")]);
    assert!(allowed(&projecta, Action::ListBucket, "projecta", &dillon));
    assert!(!allowed(&projecta, Action::ListBucket, "projecta", &liza));

    for (threshold, want) in [("60", false), ("1800", true)] {
        let p = set(&format!(
            r#"{{"Version":"2012-10-17","Statement":[
              {{"Effect":"Deny","Action":["sts:AssumeRoleWithWebIdentity"],
                "Condition":{{"NumericGreaterThan":{{"sts:DurationSeconds":[{threshold}]}}}}}},
              {{"Effect":"Allow","Action":["sts:AssumeRoleWithWebIdentity"]}}]}}"#
        ));
        let c = ctx(&[("sts:DurationSeconds", "900")]);
        assert_eq!(
            allowed(&p, Action::StsAssumeRoleWithWebIdentity, "", &c),
            want,
            "{threshold}"
        );
    }
}

// MinIO canned policies, spec §12.5 (pkg:policy/constants.go).
#[test]
fn canned_policies() {
    let c = ctx(&[]);
    let get = |n: &str| PolicySet::single(n, Arc::new(canned_policy(n).unwrap()));
    let rw = get("readwrite");
    assert!(allowed(&rw, Action::DeleteBucket, "b", &c));
    assert!(allowed(&rw, Action::PutObject, "b/k", &c));
    assert!(!allowed(&rw, Action::AdminServerInfo, "", &c));
    let ro = get("readonly");
    assert!(allowed(&ro, Action::GetObject, "b/k", &c));
    assert!(allowed(&ro, Action::GetBucketLocation, "b", &c));
    assert!(!allowed(&ro, Action::ListBucket, "b", &c));
    assert!(!allowed(&ro, Action::PutObject, "b/k", &c));
    let wo = get("writeonly");
    assert!(allowed(&wo, Action::PutObject, "b/k", &c));
    assert!(!allowed(&wo, Action::GetObject, "b/k", &c));
    let diag = get("diagnostics");
    assert!(allowed(&diag, Action::AdminServerInfo, "", &c));
    assert!(allowed(&diag, Action::AdminPrometheus, "", &c));
    assert!(!allowed(&diag, Action::AdminCreateUser, "", &c));
    assert!(!allowed(&diag, Action::GetObject, "b/k", &c));
    let admin = get("consoleAdmin");
    assert_eq!(canned_policy("consoleAdmin").unwrap().statements().len(), 3);
    assert!(allowed(&admin, Action::AdminCreateUser, "", &c));
    assert!(allowed(&admin, Action::KmsStatus, "", &c));
    assert!(allowed(&admin, Action::PutObject, "b/k", &c));
    assert!(!allowed(
        &admin,
        Action::StsAssumeRoleWithWebIdentity,
        "",
        &c
    ));
    assert!(canned_policy("nope").is_none());
}

/// The cheap pre-test of each statement (its actions, the literal beginnings of its resource
/// patterns) must never hide a statement that matches: bucket aliases, patterns starting with a
/// variable or a wildcard, `NotResource` and non-S3 actions all still decide.
#[test]
fn statement_pretest_never_hides_a_match() {
    let s = set(r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::team-a/home/*"]},
      {"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::listed/*"]},
      {"Effect":"Allow","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::${aws:username}/*"]},
      {"Effect":"Allow","Action":["s3:DeleteObject"],"Resource":["arn:aws:s3:::*-scratch/*"]},
      {"Effect":"Allow","Action":["s3:GetObjectTagging"],"NotResource":["arn:aws:s3:::secret/*"]},
      {"Effect":"Deny","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::team-a/home/locked*"]},
      {"Effect":"Allow","Action":["admin:ServerInfo"],"Resource":["arn:aws:s3:::nothing"]}]}"#);
    let bob = ctx(&[("aws:username", "bob")]);
    assert!(allowed(&s, Action::GetObject, "team-a/home/x", &bob));
    assert!(!allowed(&s, Action::GetObject, "team-a/homework", &bob));
    assert!(!allowed(&s, Action::GetObject, "team-b/home/x", &bob));
    assert!(!allowed(
        &s,
        Action::GetObject,
        "team-a/home/locked-1",
        &bob
    ));
    assert!(allowed(&s, Action::ListBucket, "listed", &bob));
    assert!(!allowed(&s, Action::ListBucket, "listedx", &bob));
    assert!(allowed(&s, Action::PutObject, "bob/k", &bob));
    assert!(!allowed(&s, Action::PutObject, "alice/k", &bob));
    assert!(allowed(&s, Action::DeleteObject, "my-scratch/k", &bob));
    assert!(allowed(&s, Action::GetObjectTagging, "public/k", &bob));
    assert!(!allowed(&s, Action::GetObjectTagging, "secret/k", &bob));
    assert!(allowed(&s, Action::AdminServerInfo, "", &bob));
}
