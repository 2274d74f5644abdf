//! Temporary credentials on the admin API, named after spec §17 item 1: GHSA-jjjj-jwhf-8rgr /
//! CVE-2025-62506. An "own account" admin action (creating a service account for one's own user)
//! needs only "not denied" from a plain session, but with a session policy present it must be
//! explicitly allowed by that policy, or a restricted session escalates to its parent's rights.

mod sts_common;

use s3s::S3;
use strongbox_iam::{PolicyTarget, Status};
use sts_common::{Reply, Running, Sign, Signer, sha256_hex, start, uri_encode};

struct NoS3;
impl S3 for NoS3 {}

/// `PUT add-service-account` for the caller's own user, sealed with the caller's secret.
async fn add_own_service_account(s: &Running, who: &Signer) -> Reply {
    let body = strongbox_madmin::encrypt_data(who.secret_key.as_bytes(), b"{}");
    let how = Sign {
        content_sha256: Some(sha256_hex(&body)),
        content_type: None,
        ..Sign::s3()
    };
    let path = "/minio/admin/v3/add-service-account";
    sts_common::send(
        s.addr,
        who.request_bytes(&s.host(), "PUT", path, &[], &body, &how),
    )
    .await
}

const GET_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::*"]}]}"#;
const GET_AND_CREATE_SA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::*"]},{"Effect":"Allow","Action":["admin:CreateServiceAccount"]}]}"#;

#[tokio::test]
async fn ghsa_jjjj_jwhf_8rgr_session_policy_must_allow_own_account_admin_actions() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[], NoS3).await;
    s.iam
        .add_user("ivy", "ivy-secret-1234", Status::Enabled)
        .unwrap();
    // The parent may create service accounts explicitly: only the session policy stands in
    // the way of a restricted session.
    s.iam
        .put_policy(
            "sa-admin",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:CreateServiceAccount"]}]}"#,
        )
        .unwrap();
    s.iam
        .attach_policies(
            &PolicyTarget::User("ivy".into()),
            &["readwrite", "sa-admin"],
        )
        .unwrap();
    let ivy = Signer::new("ivy", "ivy-secret-1234");

    // A restricted session may not mint a service account with its parent's full rights.
    let (restricted, _) = s
        .temp_creds(&ivy, &format!("Policy={}", uri_encode(GET_ONLY)))
        .await;
    let r = add_own_service_account(&s, &restricted).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(s.iam.snapshot().service_accounts_of("ivy").is_empty());

    // Allowed explicitly by the session policy: it may.
    let (allowed, _) = s
        .temp_creds(&ivy, &format!("Policy={}", uri_encode(GET_AND_CREATE_SA)))
        .await;
    let r = add_own_service_account(&s, &allowed).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // A session without a session policy acts as its parent: own account, deny-only.
    let (plain, _) = s.temp_creds(&ivy, "").await;
    let r = add_own_service_account(&s, &plain).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s.iam.snapshot().service_accounts_of("ivy").len(), 2);
}
