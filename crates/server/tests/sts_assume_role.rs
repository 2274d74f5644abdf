//! STS routing (spec §1), AssumeRole (§2, §3, §11) and its every error path, in process over
//! raw HTTP. Every STS answer must be STS XML, never S3 XML.

mod sts_common;

use s3s::S3;
use strongbox_iam::{NewServiceAccount, Status};
use sts_common::{
    FORM, ROOT_USER, Running, Sign, Signer, element, plain, send, sha256_hex, start, sts_error,
};

struct NoS3;
impl S3 for NoS3 {}

async fn server(env: &[(&str, &str)]) -> (tempfile::TempDir, Running) {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), env, NoS3).await;
    (dir, s)
}

fn user(s: &Running, name: &str, secret: &str) -> Signer {
    s.iam.add_user(name, secret, Status::Enabled).unwrap();
    Signer::new(name, secret)
}

#[tokio::test]
async fn root_gets_well_formed_credentials() {
    let (_d, s) = server(&[]).await;
    let before = time::OffsetDateTime::now_utc().unix_timestamp();
    let r = s.assume_role(&s.root(), "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/xml");
    assert!(r.body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>"), "{}", r.body);
    // AssumedRoleUser is omitted: aws-sdk-rust rejects MinIO's empty Arn.
    assert!(!r.body.contains("AssumedRoleUser"));
    let ak = element(&r.body, "AccessKeyId").unwrap();
    assert_eq!(ak.len(), 20);
    assert!(
        ak.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    );
    assert_eq!(element(&r.body, "SecretAccessKey").unwrap().len(), 40);
    assert!(element(&r.body, "SessionToken").unwrap().len() > 100);
    let exp = element(&r.body, "Expiration").unwrap();
    let exp = time::OffsetDateTime::parse(exp, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp();
    // Default 3600 s from the STS clock (which started at the wall time).
    assert!(
        (before + 3590..=before + 3700).contains(&exp),
        "{exp} vs {before}"
    );
    let rid = r.headers["x-amz-request-id"].to_str().unwrap();
    assert_eq!(element(&r.body, "RequestId"), Some(rid));
}

#[tokio::test]
async fn version_and_action_errors_come_before_signature_errors() {
    let (_d, s) = server(&[]).await;
    let bad = Signer::new(ROOT_USER, "wrong-password");
    let r = s
        .sts_call(&bad, "Action=AssumeRole&Version=2011-06-16")
        .await;
    let m = sts_error(&r, 400, "MissingParameter");
    assert_eq!(
        m,
        "Invalid STS API version 2011-06-16, expecting 2011-06-15"
    );
    let r = s.sts_call(&bad, "Action=AssumeRole").await;
    sts_error(&r, 400, "MissingParameter");
    let r = s
        .sts_call(&bad, "Action=GetSessionToken&Version=2011-06-15")
        .await;
    assert_eq!(
        sts_error(&r, 400, "InvalidParameterValue"),
        "Unsupported action GetSessionToken"
    );
    // Only then the signature: AccessDenied with the S3 message, as MinIO.
    let r = s
        .sts_call(&bad, "Action=AssumeRole&Version=2011-06-15")
        .await;
    let m = sts_error(&r, 403, "AccessDenied");
    assert!(m.contains("signature"), "{m}");
}

#[tokio::test]
async fn unknown_access_key_and_malformed_body_are_sts_errors() {
    let (_d, s) = server(&[]).await;
    let r = s
        .sts_call(
            &Signer::new("NOBODY", "whatever-secret"),
            "Action=AssumeRole&Version=2011-06-15",
        )
        .await;
    sts_error(&r, 403, "AccessDenied");
    let r = s
        .sts_call(&s.root(), "Action=AssumeRole&Version=2011-06-15&Policy=%zz")
        .await;
    sts_error(&r, 400, "InvalidParameterValue");
    let big = format!(
        "Action=AssumeRole&Version=2011-06-15&Policy={}",
        "a".repeat(70_000)
    );
    let r = s.sts_call(&s.root(), &big).await;
    assert_eq!(
        sts_error(&r, 400, "InvalidParameterValue"),
        "STS request body exceeds 65536 bytes"
    );
}

#[tokio::test]
async fn routing_rules() {
    let (_d, s) = server(&[]).await;
    let host = s.host();
    // Unsigned form POST with AssumeRole: route 2, "Unsupported action" (MinIO).
    let r = send(
        s.addr,
        plain(
            &host,
            "POST",
            "/",
            &[("content-type", FORM)],
            "Action=AssumeRole&Version=2011-06-15",
        ),
    )
    .await;
    assert_eq!(
        sts_error(&r, 400, "InvalidParameterValue"),
        "Unsupported action AssumeRole"
    );
    // Any path, charset suffix or not.
    let body = "Action=AssumeRole&Version=2011-06-15";
    let how = Sign {
        content_type: Some("application/x-www-form-urlencoded"),
        ..Sign::sts()
    };
    let r = send(
        s.addr,
        s.root()
            .request(&host, "POST", "/any/path", &[], body, &how),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // GET is never STS: it falls through to S3 (S3 XML, not STS XML).
    let r = send(
        s.addr,
        plain(
            &host,
            "GET",
            "/?Action=AssumeRole&Version=2011-06-15",
            &[],
            "",
        ),
    )
    .await;
    assert!(!r.body.contains("sts.amazonaws.com"), "{}", r.body);
    // A web-identity call without a provider configured: a clear STS error.
    let r = send(
        s.addr,
        plain(
            &host,
            "POST",
            "/",
            &[("content-type", FORM)],
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=x",
        ),
    )
    .await;
    let m = sts_error(&r, 400, "InvalidParameterValue");
    assert!(m.contains("AssumeRoleWithWebIdentity"), "{m}");
}

#[tokio::test]
async fn signature_must_use_service_sts_and_the_real_body_hash() {
    let (_d, s) = server(&[]).await;
    let host = s.host();
    let body = "Action=AssumeRole&Version=2011-06-15";
    let s3_scope = Sign {
        service: "s3",
        ..Sign::sts()
    };
    let r = send(
        s.addr,
        s.root().request(&host, "POST", "/", &[], body, &s3_scope),
    )
    .await;
    let m = sts_error(&r, 403, "AccessDenied");
    assert!(m.contains("sts"), "{m}");
    let unsigned = Sign {
        content_sha256: Some("UNSIGNED-PAYLOAD".into()),
        ..Sign::sts()
    };
    let r = send(
        s.addr,
        s.root().request(&host, "POST", "/", &[], body, &unsigned),
    )
    .await;
    sts_error(&r, 403, "AccessDenied");
    let wrong = Sign {
        content_sha256: Some(sha256_hex(b"something else")),
        ..Sign::sts()
    };
    let r = send(
        s.addr,
        s.root().request(&host, "POST", "/", &[], body, &wrong),
    )
    .await;
    sts_error(&r, 403, "AccessDenied");
    // The right hash in the header works; so does no header at all (minio-py, empty region).
    let right = Sign {
        content_sha256: Some(sha256_hex(body.as_bytes())),
        ..Sign::sts()
    };
    let r = send(
        s.addr,
        s.root().request(&host, "POST", "/", &[], body, &right),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let minio_py = Sign {
        region: "",
        ..Sign::sts()
    };
    let r = send(
        s.addr,
        s.root().request(&host, "POST", "/", &[], body, &minio_py),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn duration_rules() {
    let (_d, s) = server(&[("STRONGBOX_STS_MAX_DURATION", "2h")]).await;
    for bad in ["899", "7201", "9s", "-900", "1e3"] {
        let r = s
            .assume_role(&s.root(), &format!("DurationSeconds={bad}"))
            .await;
        assert_eq!(
            sts_error(&r, 400, "InvalidParameterValue"),
            "invalid token expiry",
            "{bad}"
        );
    }
    for good in ["900", "7200"] {
        let r = s
            .assume_role(&s.root(), &format!("DurationSeconds={good}"))
            .await;
        assert_eq!(r.status, 200, "{good}: {}", r.body);
    }
}

#[tokio::test]
async fn minio_sts_duration_overrides_the_request() {
    let (_d, s) = server(&[("MINIO_STS_DURATION", "15m")]).await;
    let start = strongbox_sts::Clock::now(&s.clock);
    let r = s.assume_role(&s.root(), "DurationSeconds=43200").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let exp = element(&r.body, "Expiration").unwrap();
    let exp =
        time::OffsetDateTime::parse(exp, &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(exp.unix_timestamp(), start.unix_timestamp() + 900);
}

#[tokio::test]
async fn session_policy_rules() {
    let (_d, s) = server(&[]).await;
    let enc = |p: &str| sts_common::uri_encode(p);
    let cases = [
        "{not json",
        // Version is required in a session policy.
        r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}"#,
        // Unknown fields are refused.
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}],"Bogus":1}"#,
    ];
    for p in cases {
        let r = s
            .assume_role(&s.root(), &format!("Policy={}", enc(p)))
            .await;
        sts_error(&r, 400, "InvalidParameterValue");
    }
    // Over 2048 bytes once re-serialised.
    let resources: Vec<String> = (0..60)
        .map(|i| format!("\"arn:aws:s3:::bucket-number-{i:03}/*\""))
        .collect();
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:GetObject"],"Resource":[{}]}}]}}"#,
        resources.join(",")
    );
    let r = s
        .assume_role(&s.root(), &format!("Policy={}", enc(&big)))
        .await;
    assert_eq!(
        sts_error(&r, 400, "InvalidParameterValue"),
        "Session policy should not exceed 2048 characters"
    );
    let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}"#;
    let r = s
        .assume_role(&s.root(), &format!("Policy={}", enc(ok)))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn who_may_call_assume_role() {
    let (_d, s) = server(&[]).await;
    // An IAM user may.
    let alice = user(&s, "alice", "alice-secret-1");
    let r = s.assume_role(&alice, "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A disabled one may not.
    s.iam.set_user_status("alice", Status::Disabled).unwrap();
    let r = s.assume_role(&alice, "").await;
    sts_error(&r, 403, "AccessDenied");
    // A service account may not.
    let (ak, secret) = s
        .iam
        .add_service_account(NewServiceAccount::for_parent(ROOT_USER))
        .unwrap();
    let r = s.assume_role(&Signer::new(&ak, secret.expose()), "").await;
    let m = sts_error(&r, 403, "AccessDenied");
    assert!(m.contains("service account"), "{m}");
    // Root with a session token (any token) may not.
    let mut root_with_token = s.root();
    root_with_token.session_token = Some("anything".into());
    let r = s.assume_role(&root_with_token, "").await;
    sts_error(&r, 403, "AccessDenied");
    // Temporary credentials may not.
    let (temp, _) = s.temp_creds(&s.root(), "").await;
    let r = s.assume_role(&temp, "").await;
    sts_error(&r, 403, "AccessDenied");
    let mut temp_no_token = temp.clone();
    temp_no_token.session_token = None;
    let r = s.assume_role(&temp_no_token, "").await;
    sts_error(&r, 403, "AccessDenied");
}

#[tokio::test]
async fn per_parent_rate_limit_answers_throttling_without_slowing_others() {
    let (_d, s) = server(&[
        ("STRONGBOX_STS_RATE_LIMIT", "0.001"),
        ("STRONGBOX_STS_RATE_BURST", "2"),
    ])
    .await;
    let bob = user(&s, "bob", "bob-secret-12");
    for _ in 0..2 {
        assert_eq!(s.assume_role(&s.root(), "").await.status, 200);
    }
    let r = s.assume_role(&s.root(), "").await;
    sts_error(&r, 400, "Throttling");
    // Another parent is unaffected.
    assert_eq!(s.assume_role(&bob, "").await.status, 200);
}

#[tokio::test]
async fn token_revoke_type_is_bounded() {
    let (_d, s) = server(&[]).await;
    let r = s
        .assume_role(&s.root(), &format!("TokenRevokeType={}", "t".repeat(257)))
        .await;
    sts_error(&r, 400, "InvalidParameterValue");
    let r = s.assume_role(&s.root(), "TokenRevokeType=batch-7").await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn audit_line_per_issue_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let audit_s = audit.to_str().unwrap().to_owned();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let s = start(&data, &[("STRONGBOX_AUDIT_FILE", &audit_s)], NoS3).await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}"#;
    let r = s
        .assume_role(
            &s.root(),
            &format!(
                "Policy={}&TokenRevokeType=t1",
                sts_common::uri_encode(policy)
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cred = Signer::from_response(&r.body);
    // The line is written by the audit writer thread, within milliseconds of the answer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let text = loop {
        let text = std::fs::read_to_string(&audit).unwrap();
        if text.ends_with('\n') || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["event"], "sts.issue");
    assert_eq!(v["action"], "AssumeRole");
    assert_eq!(v["parent"], ROOT_USER);
    assert_eq!(v["accessKey"], cred.access_key.as_str());
    assert_eq!(v["tokenRevokeType"], "t1");
    assert_eq!(v["sessionPolicySha256"].as_str().unwrap().len(), 64);
    assert!(v["expiration"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["sourceIp"], "127.0.0.1");
    assert!(!text.contains(&cred.secret_key));
    assert!(!text.contains(cred.session_token.as_deref().unwrap()));
}

#[tokio::test]
async fn issuing_writes_nothing_to_the_iam_store() {
    let (_d, s) = server(&[]).await;
    let before = s.iam.snapshot().generation();
    for _ in 0..20 {
        assert_eq!(s.assume_role(&s.root(), "").await.status, 200);
    }
    assert_eq!(s.iam.snapshot().generation(), before);
}
