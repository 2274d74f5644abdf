//! Every S3 request authorised by the policy engine: the real server (fs backend) in process,
//! identities made through its IAM, requests signed by them over raw HTTP.

mod authz_support;
// Shared with other test binaries; this one uses only the signer and the raw client.
#[allow(dead_code)]
mod common;

use authz_support::{Srv, error_message, policy};
use common::error_code;
use strongbox_iam::{NewServiceAccount, PolicyTarget, Status};

const ACCOUNT_DISABLED: &str = "Your account is disabled; please contact your administrator.";

#[tokio::test]
async fn readonly_user_can_get_but_not_put() {
    let s = Srv::start().await;
    s.bucket_with("data", &[("k", "hello")]).await;
    s.user("alice", "alicesecret", &["readonly"]);
    let alice = ("alice", "alicesecret");

    let r = s.signed(alice, "GET", "/data/k", &[], &[], b"").await;
    assert_eq!((r.status, r.body.as_str()), (200, "hello"));
    let r = s.signed(alice, "PUT", "/data/k2", &[], &[], b"x").await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(error_code(&r.body), Some("AccessDenied"));
    assert_eq!(error_message(&r.body), Some("Access Denied."));
    // readonly has no s3:ListBucket, s3:ListAllMyBuckets or s3:DeleteObject; its
    // s3:GetBucketLocation still lists the bucket (tests/list_buckets.rs).
    let r = s.signed(alice, "GET", "/", &[], &[], b"").await;
    assert!(
        r.status == 200 && r.body.contains("<Name>data</Name>"),
        "{}",
        r.body
    );
    for (method, path, query) in [
        ("GET", "/data", &[("list-type", "2")][..]),
        ("DELETE", "/data/k", &[][..]),
    ] {
        let r = s.signed(alice, method, path, query, &[], b"").await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
    }
    let r = s.root("HEAD", "/data/k2", &[], b"").await;
    assert_eq!(r.status, 404, "the refused PUT wrote nothing");
}

#[tokio::test]
async fn disabled_user_is_refused_at_once_and_deleted_user_too() {
    let s = Srv::start().await;
    s.bucket_with("data", &[("k", "v")]).await;
    s.user("carol", "carolsecret", &["readwrite"]);
    let carol = ("carol", "carolsecret");
    assert_eq!(
        s.signed(carol, "GET", "/data/k", &[], &[], b"")
            .await
            .status,
        200
    );

    s.iam.set_user_status("carol", Status::Disabled).unwrap();
    let r = s.signed(carol, "GET", "/data/k", &[], &[], b"").await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(error_code(&r.body), Some("InvalidAccessKeyId"));
    assert_eq!(error_message(&r.body), Some(ACCOUNT_DISABLED));

    s.iam.set_user_status("carol", Status::Enabled).unwrap();
    assert_eq!(
        s.signed(carol, "GET", "/data/k", &[], &[], b"")
            .await
            .status,
        200
    );

    s.iam.remove_user("carol").unwrap();
    let r = s.signed(carol, "GET", "/data/k", &[], &[], b"").await;
    assert_eq!(
        error_code(&r.body),
        Some("InvalidAccessKeyId"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn service_account_follows_its_parent_and_its_embedded_policy() {
    let s = Srv::start().await;
    s.bucket_with("data", &[("k", "v"), ("pub/x", "p")]).await;
    s.user("dave", "davesecret", &["readonly"]);
    let inherit = s
        .iam
        .add_service_account(NewServiceAccount::for_parent("dave"))
        .unwrap();
    let inherit = (inherit.0.as_str(), inherit.1.expose());
    let mut narrow = NewServiceAccount::for_parent("dave");
    narrow.policy = Some(policy(&[(
        "Allow",
        &["s3:GetObject", "s3:PutObject"],
        &["arn:aws:s3:::data/pub/*"],
    )]));
    let narrow = s.iam.add_service_account(narrow).unwrap();
    let narrow = (narrow.0.as_str(), narrow.1.expose());

    assert_eq!(
        s.signed(inherit, "GET", "/data/k", &[], &[], b"")
            .await
            .status,
        200
    );
    // Embedded policy AND parent: data/k is outside the embedded policy, PutObject outside the
    // parent's readonly.
    assert_eq!(
        s.signed(narrow, "GET", "/data/pub/x", &[], &[], b"")
            .await
            .status,
        200
    );
    assert_eq!(
        s.signed(narrow, "GET", "/data/k", &[], &[], b"")
            .await
            .status,
        403
    );
    assert_eq!(
        s.signed(narrow, "PUT", "/data/pub/y", &[], &[], b"y")
            .await
            .status,
        403
    );

    s.iam.set_user_status("dave", Status::Disabled).unwrap();
    for sa in [inherit, narrow] {
        let r = s.signed(sa, "GET", "/data/pub/x", &[], &[], b"").await;
        assert_eq!(
            error_code(&r.body),
            Some("InvalidAccessKeyId"),
            "{}",
            r.body
        );
        assert_eq!(error_message(&r.body), Some(ACCOUNT_DISABLED));
    }
}

#[tokio::test]
async fn home_bucket_by_username_and_minio_7791_no_prefix_match() {
    let s = Srv::start().await;
    s.bucket_with("bob2", &[("secret", "s")]).await;
    let home = policy(&[(
        "Allow",
        &["s3:*"],
        &[
            "arn:aws:s3:::${aws:username}",
            "arn:aws:s3:::${aws:username}/*",
        ],
    )]);
    s.iam.put_policy("home", &home).unwrap();
    s.user("bob", "bobsecret1", &["home"]);
    let bob = ("bob", "bobsecret1");

    assert_eq!(
        s.signed(bob, "PUT", "/bob", &[], &[], b"").await.status,
        200
    );
    assert_eq!(
        s.signed(bob, "PUT", "/bob/notes", &[], &[], b"n")
            .await
            .status,
        200
    );
    let r = s
        .signed(bob, "GET", "/bob", &[("list-type", "2")], &[], b"")
        .await;
    assert!(r.body.contains("<Key>notes</Key>"), "{}", r.body);
    // #7791: `bob` must not reach `bob2`.
    for (method, path, query) in [
        ("GET", "/bob2/secret", &[][..]),
        ("PUT", "/bob2/mine", &[][..]),
        ("GET", "/bob2", &[("list-type", "2")][..]),
        ("DELETE", "/bob2/secret", &[][..]),
    ] {
        let r = s.signed(bob, method, path, query, &[], b"").await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
    }
}

#[tokio::test]
async fn explicit_deny_overrides_allows_from_user_and_group_policies() {
    let s = Srv::start().await;
    s.bucket_with("data", &[("k", "v"), ("locked/x", "l")])
        .await;
    s.iam
        .put_policy(
            "no-delete",
            &policy(&[("Deny", &["s3:DeleteObject"], &["arn:aws:s3:::data/*"])]),
        )
        .unwrap();
    s.iam
        .put_policy(
            "no-locked",
            &policy(&[("Deny", &["s3:*"], &["arn:aws:s3:::data/locked/*"])]),
        )
        .unwrap();
    s.user("erin", "erinsecret", &["readwrite", "no-delete"]);
    let erin = ("erin", "erinsecret");
    assert_eq!(
        s.signed(erin, "PUT", "/data/new", &[], &[], b"n")
            .await
            .status,
        200
    );
    assert_eq!(
        s.signed(erin, "DELETE", "/data/k", &[], &[], b"")
            .await
            .status,
        403
    );

    // A Deny arriving through a group wins over the user's own Allow; disabling the group
    // drops its policies.
    s.iam.add_group_members("auditors", &["erin"]).unwrap();
    s.iam
        .attach_policies(&PolicyTarget::Group("auditors".into()), &["no-locked"])
        .unwrap();
    assert_eq!(
        s.signed(erin, "GET", "/data/locked/x", &[], &[], b"")
            .await
            .status,
        403
    );
    assert_eq!(
        s.signed(erin, "GET", "/data/k", &[], &[], b"").await.status,
        200
    );
    s.iam
        .set_group_status("auditors", Status::Disabled)
        .unwrap();
    assert_eq!(
        s.signed(erin, "GET", "/data/locked/x", &[], &[], b"")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn source_ip_condition_sees_the_connection_not_forwarded_headers() {
    let s = Srv::start().await;
    s.bucket_with("data", &[("k", "v")]).await;
    let cond = |op: &str, cidr: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*","Condition":{{"{op}":{{"aws:SourceIp":"{cidr}"}}}}}}]}}"#
        )
    };
    s.iam
        .put_policy("local", &cond("IpAddress", "127.0.0.1/32"))
        .unwrap();
    s.iam
        .put_policy("remote", &cond("IpAddress", "10.0.0.0/8"))
        .unwrap();
    s.user("frank", "franksecret", &["local"]);
    s.user("grace", "gracesecret", &["remote"]);
    let frank = ("frank", "franksecret");
    let grace = ("grace", "gracesecret");
    assert_eq!(
        s.signed(frank, "GET", "/data/k", &[], &[], b"")
            .await
            .status,
        200
    );
    assert_eq!(
        s.signed(grace, "GET", "/data/k", &[], &[], b"")
            .await
            .status,
        403
    );
    let forged = [("x-forwarded-for", "10.1.2.3"), ("x-real-ip", "10.1.2.3")];
    let r = s.signed(grace, "GET", "/data/k", &[], &forged, b"").await;
    assert_eq!(r.status, 403, "X-Forwarded-For is not the source address");
}

#[tokio::test]
async fn anonymous_read_through_a_bucket_policy_with_principal_star() {
    let s = Srv::start().await;
    s.bucket_with("pub", &[("k", "public")]).await;
    let r = s.anonymous("GET", "/pub/k", &[], b"").await;
    assert_eq!(r.status, 403, "no bucket policy: {}", r.body);
    let r = s.root("GET", "/pub", &[("policy", "")], b"").await;
    assert_eq!(
        (r.status, error_code(&r.body)),
        (404, Some("NoSuchBucketPolicy")),
        "{}",
        r.body
    );

    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::pub/*"]}]}"#;
    let r = s
        .root("PUT", "/pub", &[("policy", "")], doc.as_bytes())
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = s.root("GET", "/pub", &[("policy", "")], b"").await;
    assert_eq!((r.status, r.body.as_str()), (200, doc));

    let r = s.anonymous("GET", "/pub/k", &[], b"").await;
    assert_eq!((r.status, r.body.as_str()), (200, "public"));
    // Only what the policy names: no anonymous writes or listing.
    assert_eq!(s.anonymous("PUT", "/pub/w", &[], b"w").await.status, 403);
    assert_eq!(
        s.anonymous("GET", "/pub", &[("list-type", "2")], b"")
            .await
            .status,
        403
    );
    // Authenticated requests are decided by IAM, not the bucket policy.
    s.user("henry", "henrysecret", &[]);
    let r = s
        .signed(("henry", "henrysecret"), "GET", "/pub/k", &[], &[], b"")
        .await;
    assert_eq!(r.status, 403);

    // The policy lives in the IAM store: it survives a restart.
    let s = s.restart().await;
    assert_eq!(s.anonymous("GET", "/pub/k", &[], b"").await.status, 200);

    let r = s.root("DELETE", "/pub", &[("policy", "")], b"").await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(s.anonymous("GET", "/pub/k", &[], b"").await.status, 403);
}

#[tokio::test]
async fn bucket_policies_are_validated_strictly_and_die_with_their_bucket() {
    let s = Srv::start().await;
    s.bucket_with("pub", &[("k", "v")]).await;
    let other = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}"#;
    let padding = " ".repeat(20 * 1024);
    let too_big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}}]}}{padding}"#
    );
    for bad in [
        "{not json",
        other,
        too_big.as_str(),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}"#,
    ] {
        let r = s
            .root("PUT", "/pub", &[("policy", "")], bad.as_bytes())
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(error_code(&r.body), Some("MalformedPolicy"), "{}", r.body);
        assert!(
            error_message(&r.body).is_some_and(|m| !m.is_empty()),
            "{}",
            r.body
        );
    }
    let r = s
        .root("PUT", "/missing", &[("policy", "")], other.as_bytes())
        .await;
    assert_eq!(error_code(&r.body), Some("NoSuchBucket"), "{}", r.body);

    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}"#;
    assert_eq!(
        s.root("PUT", "/pub", &[("policy", "")], doc.as_bytes())
            .await
            .status,
        204
    );
    assert_eq!(s.root("DELETE", "/pub/k", &[], b"").await.status, 204);
    assert_eq!(s.root("DELETE", "/pub", &[], b"").await.status, 204);
    // A new bucket of the same name starts without the old policy.
    s.bucket_with("pub", &[("k", "v2")]).await;
    assert_eq!(s.anonymous("GET", "/pub/k", &[], b"").await.status, 403);
    let r = s.root("GET", "/pub", &[("policy", "")], b"").await;
    assert_eq!(
        error_code(&r.body),
        Some("NoSuchBucketPolicy"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn delete_objects_decides_each_key() {
    let s = Srv::start().await;
    s.bucket_with("data", &[("tmp/a", "a"), ("keep/b", "b")])
        .await;
    s.iam
        .put_policy(
            "tmp-only",
            &policy(&[("Allow", &["s3:DeleteObject"], &["arn:aws:s3:::data/tmp/*"])]),
        )
        .unwrap();
    s.user("ivan", "ivansecret", &["tmp-only"]);
    let body =
        "<Delete><Object><Key>tmp/a</Key></Object><Object><Key>keep/b</Key></Object></Delete>";
    let r = s
        .signed(
            ("ivan", "ivansecret"),
            "POST",
            "/data",
            &[("delete", "")],
            &[],
            body.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Deleted><Key>tmp/a</Key>"), "{}", r.body);
    assert!(r.body.contains("<Key>keep/b</Key>"), "{}", r.body);
    assert!(r.body.contains("<Code>AccessDenied</Code>"), "{}", r.body);
    assert!(!r.body.contains("<Deleted><Key>keep/b</Key>"), "{}", r.body);
    assert_eq!(s.root("HEAD", "/data/keep/b", &[], b"").await.status, 200);
    assert_eq!(s.root("HEAD", "/data/tmp/a", &[], b"").await.status, 404);

    // Nothing allowed: every key reported, nothing deleted.
    let body = "<Delete><Object><Key>keep/b</Key></Object></Delete>";
    let r = s
        .signed(
            ("ivan", "ivansecret"),
            "POST",
            "/data",
            &[("delete", "")],
            &[],
            body.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Code>AccessDenied</Code>"), "{}", r.body);
    assert_eq!(s.root("HEAD", "/data/keep/b", &[], b"").await.status, 200);
}

#[tokio::test]
async fn copy_object_needs_put_on_the_target_and_get_on_the_source() {
    let s = Srv::start().await;
    s.bucket_with("src", &[("k", "payload")]).await;
    s.bucket_with("dst", &[]).await;
    let get_src = ("Allow", &["s3:GetObject"][..], &["arn:aws:s3:::src/*"][..]);
    let put_dst = ("Allow", &["s3:PutObject"][..], &["arn:aws:s3:::dst/*"][..]);
    s.iam.put_policy("get-src", &policy(&[get_src])).unwrap();
    s.iam.put_policy("put-dst", &policy(&[put_dst])).unwrap();
    s.iam
        .put_policy("both", &policy(&[get_src, put_dst]))
        .unwrap();
    s.user("only-get", "onlygetsecret", &["get-src"]);
    s.user("only-put", "onlyputsecret", &["put-dst"]);
    s.user("copier", "copiersecret", &["both"]);
    let copy = [("x-amz-copy-source", "/src/k")];
    for who in [("only-get", "onlygetsecret"), ("only-put", "onlyputsecret")] {
        let r = s.signed(who, "PUT", "/dst/k", &[], &copy, b"").await;
        assert_eq!(r.status, 403, "{}: {}", who.0, r.body);
    }
    let r = s
        .signed(("copier", "copiersecret"), "PUT", "/dst/k", &[], &copy, b"")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s.root("GET", "/dst/k", &[], b"").await;
    assert_eq!(r.body, "payload");
}

#[tokio::test]
async fn operations_outside_the_table_are_denied_even_to_root() {
    let s = Srv::start().await;
    s.bucket_with("data", &[("k", "v")]).await;
    let r = s.root("GET", "/data/k", &[("tagging", "")], b"").await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(error_code(&r.body), Some("AccessDenied"));
}
