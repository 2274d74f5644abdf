//! Temporary credentials on S3 requests (spec §4.3–§4.4, §11, §12.2): accepted only with their
//! own valid token, exact expiry on a controlled clock, permissions = parent's policies (by name,
//! now) ∩ session policy, the parent's status checked live. Regression tests are named after
//! spec §17.

mod sts_common;

use s3s::dto::{
    Bucket, HeadBucketInput, HeadBucketOutput, ListBucketsInput, ListBucketsOutput, Owner,
};
use s3s::{S3, S3Request, S3Response, S3Result};
use strongbox_iam::{PolicyTarget, Status};
use strongbox_server::access::Authorized;
use strongbox_server::identity::Identity;
use sts_common::{Reply, Running, Sign, Signer, element, plain, send, start, uri_encode};

/// ListBuckets names the caller's kind; HeadBucket succeeds for any bucket.
struct Probe;

#[async_trait::async_trait]
impl S3 for Probe {
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let who = match req
            .extensions
            .get::<Authorized>()
            .and_then(Authorized::identity)
        {
            Some(Identity::Temporary { session }) => format!("temporary:{}", session.parent()),
            Some(other) => format!("{other:?}"),
            None => "unauthorized".to_owned(),
        };
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(vec![Bucket {
                name: Some("alpha".into()),
                ..Default::default()
            }]),
            owner: Some(Owner {
                display_name: Some(who),
                id: None,
            }),
            ..Default::default()
        }))
    }

    async fn head_bucket(
        &self,
        _req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        Ok(S3Response::new(HeadBucketOutput::default()))
    }
}

async fn server() -> (tempfile::TempDir, Running) {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[], Probe).await;
    (dir, s)
}

async fn list_buckets(s: &Running, who: &Signer) -> Reply {
    send(
        s.addr,
        who.request(&s.host(), "GET", "/", &[], "", &Sign::s3()),
    )
    .await
}

async fn head_bucket(s: &Running, who: &Signer, bucket: &str) -> u16 {
    let path = format!("/{bucket}");
    send(
        s.addr,
        who.request(&s.host(), "HEAD", &path, &[], "", &Sign::s3()),
    )
    .await
    .status
}

fn s3_code(r: &Reply) -> &str {
    element(&r.body, "Code").unwrap_or("")
}

fn policy(name: &str, doc: &str, s: &Running) {
    s.iam.put_policy(name, doc).unwrap();
}

const LIST_ALPHA_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::alpha"]}]}"#;

#[tokio::test]
async fn root_session_is_the_owner_and_names_its_parent() {
    let (_d, s) = server().await;
    let (temp, _) = s.temp_creds(&s.root(), "").await;
    let r = list_buckets(&s, &temp).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("temporary:stsroot"), "{}", r.body);
}

#[tokio::test]
async fn expiry_is_exact_on_the_sts_clock() {
    let (_d, s) = server().await;
    let (temp, _) = s.temp_creds(&s.root(), "DurationSeconds=900").await;
    s.clock.advance_secs(899);
    assert_eq!(list_buckets(&s, &temp).await.status, 200);
    s.clock.advance_secs(2);
    let r = list_buckets(&s, &temp).await;
    assert_eq!((r.status, s3_code(&r)), (400, "ExpiredToken"), "{}", r.body);
    // Exactly at expiry it is already expired (valid iff now < exp).
    let (temp, _) = s.temp_creds(&s.root(), "DurationSeconds=900").await;
    s.clock.advance_secs(900);
    assert_eq!(s3_code(&list_buckets(&s, &temp).await), "ExpiredToken");
}

#[tokio::test]
async fn minio_19072_expired_credentials_rejected_before_the_signature_is_checked() {
    let (_d, s) = server().await;
    let (temp, _) = s.temp_creds(&s.root(), "DurationSeconds=900").await;
    s.clock.advance_secs(901);
    let mut wrong_secret = temp.clone();
    wrong_secret.secret_key = "x".repeat(40);
    let r = list_buckets(&s, &wrong_secret).await;
    assert_eq!((r.status, s3_code(&r)), (400, "ExpiredToken"), "{}", r.body);
}

#[tokio::test]
async fn minio_13388_static_credentials_with_any_token_are_invalid_token_id() {
    let (_d, s) = server().await;
    let (temp, _) = s.temp_creds(&s.root(), "").await;
    for token in [temp.session_token.clone().unwrap(), "garbage".to_owned()] {
        let mut root = s.root();
        root.session_token = Some(token);
        let r = list_buckets(&s, &root).await;
        assert_eq!(
            (r.status, s3_code(&r)),
            (403, "InvalidTokenId"),
            "{}",
            r.body
        );
    }
}

#[tokio::test]
async fn a_token_works_only_for_its_own_credential() {
    let (_d, s) = server().await;
    let (a, _) = s.temp_creds(&s.root(), "").await;
    let (b, _) = s.temp_creds(&s.root(), "").await;
    // Another credential's token.
    let mut swapped = a.clone();
    swapped.session_token = b.session_token.clone();
    let r = list_buckets(&s, &swapped).await;
    assert_eq!(
        (r.status, s3_code(&r)),
        (403, "InvalidTokenId"),
        "{}",
        r.body
    );
    // A tampered token (payload changed, signature kept).
    let tok = a.session_token.clone().unwrap();
    let mut parts: Vec<String> = tok.split('.').map(str::to_owned).collect();
    let last = if parts[1].ends_with('A') { "B" } else { "A" };
    parts[1] = format!("{}{last}", &parts[1][..parts[1].len() - 1]);
    let mut tampered = a.clone();
    tampered.session_token = Some(parts.join("."));
    let r = list_buckets(&s, &tampered).await;
    assert_eq!(
        (r.status, s3_code(&r)),
        (403, "InvalidTokenId"),
        "{}",
        r.body
    );
    // An alg other than ours.
    let mut none_alg = a.clone();
    none_alg.session_token = Some(format!(
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoieCJ9.{}.",
        tok.split('.').nth(1).unwrap()
    ));
    let r = list_buckets(&s, &none_alg).await;
    assert_eq!(
        (r.status, s3_code(&r)),
        (403, "InvalidTokenId"),
        "{}",
        r.body
    );
    // Oversize (over 16 KiB).
    let mut big = a.clone();
    big.session_token = Some("a".repeat(17 * 1024));
    let r = list_buckets(&s, &big).await;
    assert_eq!(
        (r.status, s3_code(&r)),
        (403, "InvalidTokenId"),
        "{}",
        r.body
    );
    // No token at all: the temporary key is unknown.
    let mut none = a.clone();
    none.session_token = None;
    let r = list_buckets(&s, &none).await;
    assert_eq!(
        (r.status, s3_code(&r)),
        (403, "InvalidAccessKeyId"),
        "{}",
        r.body
    );
    // A token on an unsigned request.
    let r = send(
        s.addr,
        plain(&s.host(), "GET", "/", &[("x-amz-security-token", &tok)], ""),
    )
    .await;
    assert_eq!((r.status, s3_code(&r)), (403, "AccessDenied"), "{}", r.body);
    // The untouched credential still works.
    assert_eq!(list_buckets(&s, &a).await.status, 200);
}

#[tokio::test]
async fn minio_8826_presigned_urls_of_temporary_credentials_carry_and_verify_the_token() {
    let (_d, s) = server().await;
    let host = s.host();
    let (temp, _) = s.temp_creds(&s.root(), "DurationSeconds=900").await;
    let url = temp.presign(&host, "/", 3600);
    let r = send(s.addr, plain(&host, "GET", &url, &[], "")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Without the token inside the URL: refused.
    let mut no_token = temp.clone();
    no_token.session_token = None;
    let url2 = no_token.presign(&host, "/", 3600);
    let r = send(s.addr, plain(&host, "GET", &url2, &[], "")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    // The token swapped for another credential's: refused.
    let (other, _) = s.temp_creds(&s.root(), "").await;
    let swapped = url.replace(
        &uri_encode(temp.session_token.as_deref().unwrap()),
        &uri_encode(other.session_token.as_deref().unwrap()),
    );
    let r = send(s.addr, plain(&host, "GET", &swapped, &[], "")).await;
    assert_eq!(
        (r.status, s3_code(&r)),
        (403, "InvalidTokenId"),
        "{}",
        r.body
    );
    // The URL stops working when the credential expires, though the URL itself would not.
    s.clock.advance_secs(901);
    let r = send(s.addr, plain(&host, "GET", &url, &[], "")).await;
    assert_eq!((r.status, s3_code(&r)), (400, "ExpiredToken"), "{}", r.body);
}

#[tokio::test]
async fn minio_12947_root_session_policy_limits_root_credentials() {
    let (_d, s) = server().await;
    let (temp, _) = s
        .temp_creds(
            &s.root(),
            &format!("Policy={}", uri_encode(LIST_ALPHA_ONLY)),
        )
        .await;
    assert_eq!(head_bucket(&s, &temp, "alpha").await, 200);
    assert_eq!(head_bucket(&s, &temp, "beta").await, 403);
    // ListBuckets shows what the session policy lets it list (spec §18), not every bucket: the
    // policy has no s3:ListAllMyBuckets, and alpha is listed because s3:ListBucket allows it.
    let r = list_buckets(&s, &temp).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Name>alpha</Name>"), "{}", r.body);
}

#[tokio::test]
async fn minio_12773_an_allowing_session_policy_allows_what_both_allow() {
    let (_d, s) = server().await;
    s.iam
        .add_user("carol", "carol-secret-1", Status::Enabled)
        .unwrap();
    s.iam
        .attach_policies(&PolicyTarget::User("carol".into()), &["readwrite"])
        .unwrap();
    let carol = Signer::new("carol", "carol-secret-1");
    let (temp, _) = s
        .temp_creds(&carol, &format!("Policy={}", uri_encode(LIST_ALPHA_ONLY)))
        .await;
    assert_eq!(head_bucket(&s, &temp, "alpha").await, 200);
    // The parent could, the session policy does not: denied.
    assert_eq!(head_bucket(&s, &temp, "beta").await, 403);
    // A session policy never widens: the parent without policies gets nothing.
    s.iam
        .add_user("dave", "dave-secret-12", Status::Enabled)
        .unwrap();
    let dave = Signer::new("dave", "dave-secret-12");
    let (temp, _) = s
        .temp_creds(&dave, &format!("Policy={}", uri_encode(LIST_ALPHA_ONLY)))
        .await;
    assert_eq!(head_bucket(&s, &temp, "alpha").await, 403);
}

#[tokio::test]
async fn minio_13947_13955_root_sessions_keep_full_access_and_group_policies_count() {
    let (_d, s) = server().await;
    let (temp, _) = s.temp_creds(&s.root(), "").await;
    assert_eq!(head_bucket(&s, &temp, "anything").await, 200);
    assert_eq!(list_buckets(&s, &temp).await.status, 200);
    // A user whose only policy comes from a group.
    s.iam
        .add_user("erin", "erin-secret-12", Status::Enabled)
        .unwrap();
    s.iam.add_group_members("readers", &["erin"]).unwrap();
    policy("list-alpha", LIST_ALPHA_ONLY, &s);
    s.iam
        .attach_policies(&PolicyTarget::Group("readers".into()), &["list-alpha"])
        .unwrap();
    let (temp, _) = s
        .temp_creds(&Signer::new("erin", "erin-secret-12"), "")
        .await;
    assert_eq!(head_bucket(&s, &temp, "alpha").await, 200);
    assert_eq!(head_bucket(&s, &temp, "beta").await, 403);
}

#[tokio::test]
async fn policies_are_resolved_by_name_at_request_time() {
    let (_d, s) = server().await;
    s.iam
        .add_user("fred", "fred-secret-12", Status::Enabled)
        .unwrap();
    policy("list-alpha", LIST_ALPHA_ONLY, &s);
    s.iam
        .attach_policies(&PolicyTarget::User("fred".into()), &["list-alpha"])
        .unwrap();
    let (temp, _) = s
        .temp_creds(&Signer::new("fred", "fred-secret-12"), "")
        .await;
    assert_eq!(head_bucket(&s, &temp, "beta").await, 403);
    // Editing the policy changes the live credential at once.
    policy(
        "list-alpha",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::*"]}]}"#,
        &s,
    );
    assert_eq!(head_bucket(&s, &temp, "beta").await, 200);
}

#[tokio::test]
async fn disabling_or_deleting_the_parent_ends_its_sessions_at_once() {
    let (_d, s) = server().await;
    s.iam
        .add_user("gina", "gina-secret-12", Status::Enabled)
        .unwrap();
    s.iam
        .attach_policies(&PolicyTarget::User("gina".into()), &["readwrite"])
        .unwrap();
    let gina = Signer::new("gina", "gina-secret-12");
    let (temp, _) = s.temp_creds(&gina, "").await;
    assert_eq!(head_bucket(&s, &temp, "alpha").await, 200);
    s.iam.set_user_status("gina", Status::Disabled).unwrap();
    let r = list_buckets(&s, &temp).await;
    assert_eq!(
        (r.status, s3_code(&r)),
        (403, "InvalidAccessKeyId"),
        "{}",
        r.body
    );
    s.iam.set_user_status("gina", Status::Enabled).unwrap();
    assert_eq!(head_bucket(&s, &temp, "alpha").await, 200);
    // Deleted: refused; recorded as a parent revocation, so re-creating the user does not
    // revive the old sessions.
    s.iam.remove_user("gina").unwrap();
    s.sts.revoke_parent("gina").unwrap();
    assert_eq!(head_bucket(&s, &temp, "alpha").await, 403);
    s.iam
        .add_user("gina", "gina-secret-12", Status::Enabled)
        .unwrap();
    s.iam
        .attach_policies(&PolicyTarget::User("gina".into()), &["readwrite"])
        .unwrap();
    let r = list_buckets(&s, &temp).await;
    assert_eq!(
        (r.status, s3_code(&r)),
        (403, "InvalidTokenId"),
        "{}",
        r.body
    );
    // New sessions of the re-created user work (the test clock stands still: step past the
    // revocation instant).
    s.clock.advance_secs(1);
    let (fresh, _) = s.temp_creds(&gina, "").await;
    assert_eq!(head_bucket(&s, &fresh, "alpha").await, 200);
}

#[tokio::test]
async fn caller_identity_for_every_kind_of_credential() {
    let (_d, s) = server().await;
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let r = s.sts_call(&s.root(), body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(element(&r.body, "Arn"), Some("arn:minio:iam:::root"));
    s.iam
        .add_user("hank", "hank-secret-12", Status::Enabled)
        .unwrap();
    let hank = Signer::new("hank", "hank-secret-12");
    let r = s.sts_call(&hank, body).await;
    assert_eq!(element(&r.body, "Arn"), Some("arn:minio:iam:::user/hank"));
    assert_eq!(element(&r.body, "UserId"), Some("hank"));
    let (temp, _) = s.temp_creds(&hank, "").await;
    let r = s.sts_call(&temp, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let want = format!("arn:minio:sts:::assumed-role/hank/{}", temp.access_key);
    assert_eq!(element(&r.body, "Arn"), Some(want.as_str()));
    // Expired: an STS error, with the S3 reason.
    s.clock.advance_secs(3601);
    let r = s.sts_call(&temp, body).await;
    let m = sts_common::sts_error(&r, 403, "AccessDenied");
    assert!(m.contains("expired"), "{m}");
}

#[tokio::test]
async fn post_form_upload_with_temporary_credentials_is_refused_clearly() {
    use base64::Engine as _;
    let (_d, s) = server().await;
    let (temp, _) = s.temp_creds(&s.root(), "").await;
    let now = time::OffsetDateTime::now_utc();
    let date = sts_common::amz_date(now);
    let credential = format!(
        "{}/{}/us-east-1/s3/aws4_request",
        temp.access_key,
        &date[..8]
    );
    let expiration = (now + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let policy = serde_json::json!({
        "expiration": expiration,
        "conditions": [
            {"bucket": "alpha"},
            {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
            {"x-amz-credential": credential},
            {"x-amz-date": date},
            {"x-amz-security-token": temp.session_token.clone().unwrap()},
            ["starts-with", "$key", ""]
        ]
    });
    let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let boundary = "sts-boundary-7";
    let mut body = String::new();
    for (name, value) in [
        ("key", "k.txt"),
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", credential.as_str()),
        ("x-amz-date", date.as_str()),
        (
            "x-amz-security-token",
            temp.session_token.as_deref().unwrap(),
        ),
        ("policy", policy.as_str()),
        ("x-amz-signature", &"0".repeat(64)),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"k.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ));
    let ct = format!("multipart/form-data; boundary={boundary}");
    let r = send(
        s.addr,
        plain(&s.host(), "POST", "/alpha", &[("content-type", &ct)], &body),
    )
    .await;
    assert_eq!((r.status, s3_code(&r)), (403, "AccessDenied"), "{}", r.body);
    assert!(r.body.contains("POST form"), "{}", r.body);
}
