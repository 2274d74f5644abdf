//! ListBuckets shows each caller the buckets it may act on (spec §18, MinIO's
//! `ListBucketsHandler`): everything with `s3:ListAllMyBuckets`, else each bucket allowed
//! `s3:ListBucket` or `s3:GetBucketLocation`; nothing visible is `AccessDenied`.

#[allow(dead_code)] // shared with authz.rs; this file uses part of it
mod authz_support;
#[allow(dead_code)]
mod common;

use authz_support::{Srv, policy};
use common::error_code;

fn names(body: &str) -> Vec<String> {
    body.split("<Name>")
        .skip(1)
        .filter_map(|s| s.split("</Name>").next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn each_caller_sees_the_buckets_it_may_act_on() {
    let s = Srv::start().await;
    for b in ["alpha", "beta", "gamma"] {
        s.bucket_with(b, &[]).await;
    }
    // Only alpha, by ListBucket; gamma by GetBucketLocation; beta denied explicitly even though
    // the location of every bucket is allowed.
    let narrow = policy(&[
        ("Allow", &["s3:ListBucket"], &["arn:aws:s3:::alpha"]),
        ("Allow", &["s3:GetBucketLocation"], &["arn:aws:s3:::*"]),
        ("Deny", &["s3:GetBucketLocation"], &["arn:aws:s3:::beta"]),
    ]);
    s.iam.put_policy("narrow", &narrow).unwrap();
    s.user("nina", "ninasecret1", &["narrow"]);
    s.user("rita", "ritasecret1", &["readwrite"]);
    s.user("olaf", "olafsecret1", &["writeonly"]);

    let r = s.root("GET", "/", &[], b"").await;
    assert_eq!(names(&r.body), ["alpha", "beta", "gamma"]);
    let r = s
        .signed(("rita", "ritasecret1"), "GET", "/", &[], &[], b"")
        .await;
    assert_eq!(names(&r.body), ["alpha", "beta", "gamma"], "s3:* lists all");
    let r = s
        .signed(("nina", "ninasecret1"), "GET", "/", &[], &[], b"")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(names(&r.body), ["alpha", "gamma"]);

    // Nothing visible: AccessDenied, as MinIO.
    let r = s
        .signed(("olaf", "olafsecret1"), "GET", "/", &[], &[], b"")
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(error_code(&r.body), Some("AccessDenied"));
    let r = s.anonymous("GET", "/", &[], b"").await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(error_code(&r.body), Some("AccessDenied"));

    // Policies are read at request time: narrowed further, the listing follows.
    let narrower = policy(&[("Allow", &["s3:ListBucket"], &["arn:aws:s3:::gamma"])]);
    s.iam.put_policy("narrow", &narrower).unwrap();
    let r = s
        .signed(("nina", "ninasecret1"), "GET", "/", &[], &[], b"")
        .await;
    assert_eq!(names(&r.body), ["gamma"]);
}
