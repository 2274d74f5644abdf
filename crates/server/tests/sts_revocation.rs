//! Ending temporary credentials (spec §15): the admin revoke-tokens endpoint (per user, per
//! `TokenRevokeType`, full, one access key), its rules, and what survives a restart: the key ring
//! (outstanding sessions keep working), revocations, and rotating the root password or the STS
//! key ring (sessions keep working).

mod sts_common;

use s3s::dto::{HeadBucketInput, HeadBucketOutput};
use s3s::{S3, S3Request, S3Response, S3Result};
use strongbox_iam::{PolicyTarget, Status};
use sts_common::{Reply, Running, Sign, Signer, element, send, start};

#[derive(Clone, Copy)]
struct Probe;

#[async_trait::async_trait]
impl S3 for Probe {
    async fn head_bucket(
        &self,
        _req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        Ok(S3Response::new(HeadBucketOutput::default()))
    }
}

async fn head(s: &Running, who: &Signer) -> u16 {
    send(
        s.addr,
        who.request(&s.host(), "HEAD", "/alpha", &[], "", &Sign::s3()),
    )
    .await
    .status
}

async fn revoke(s: &Running, who: &Signer, query: &[(&str, &str)]) -> Reply {
    let path = "/minio/admin/v3/revoke-tokens/builtin";
    send(
        s.addr,
        who.request(&s.host(), "POST", path, query, "", &Sign::s3()),
    )
    .await
}

fn user(s: &Running, name: &str) -> Signer {
    let secret = format!("{name}-secret-123");
    s.iam.add_user(name, &secret, Status::Enabled).unwrap();
    s.iam
        .attach_policies(&PolicyTarget::User(name.into()), &["readwrite"])
        .unwrap();
    Signer::new(name, &secret)
}

#[tokio::test]
async fn revoke_one_credential_by_access_key() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[], Probe).await;
    let (a, _) = s.temp_creds(&s.root(), "").await;
    let (b, _) = s.temp_creds(&s.root(), "").await;
    let r = revoke(&s, &s.root(), &[("accessKey", &a.access_key)]).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(head(&s, &a).await, 403);
    assert_eq!(head(&s, &b).await, 200);
}

#[tokio::test]
async fn revoke_every_credential_of_a_user_or_one_revoke_type() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[], Probe).await;
    let alice = user(&s, "alice");
    let (t1, _) = s.temp_creds(&alice, "TokenRevokeType=t1").await;
    let (t2, _) = s.temp_creds(&alice, "TokenRevokeType=t2").await;
    let (plain, _) = s.temp_creds(&alice, "").await;
    let r = revoke(
        &s,
        &s.root(),
        &[("user", "alice"), ("tokenRevokeType", "t1")],
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(head(&s, &t1).await, 403);
    assert_eq!(head(&s, &t2).await, 200);
    assert_eq!(head(&s, &plain).await, 200);
    let r = revoke(&s, &s.root(), &[("user", "alice"), ("fullRevoke", "true")]).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(head(&s, &t2).await, 403);
    assert_eq!(head(&s, &plain).await, 403);
    // Credentials issued after the revocation work.
    s.clock.advance_secs(1);
    let (fresh, _) = s.temp_creds(&alice, "TokenRevokeType=t1").await;
    assert_eq!(head(&s, &fresh).await, 200);
}

#[tokio::test]
async fn revoke_rules() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[], Probe).await;
    let bob = user(&s, "bob");
    let carol = user(&s, "carol");
    for q in [
        vec![("user", "bob")],
        vec![
            ("user", "bob"),
            ("tokenRevokeType", "x"),
            ("fullRevoke", "true"),
        ],
        vec![("accessKey", "AAAAAAAAAAAAAAAAAAAA"), ("user", "bob")],
    ] {
        let r = revoke(&s, &s.root(), &q).await;
        assert_eq!(r.status, 400, "{q:?}: {}", r.body);
        assert!(r.body.contains("InvalidRequest"), "{}", r.body);
    }
    // Without admin:RemoveServiceAccount a user may act on its own credentials only.
    let (carol_temp, _) = s.temp_creds(&carol, "").await;
    let r = revoke(&s, &bob, &[("user", "carol"), ("fullRevoke", "true")]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = revoke(&s, &bob, &[("accessKey", &carol_temp.access_key)]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(head(&s, &carol_temp).await, 200);
    let (bob_temp, _) = s.temp_creds(&bob, "").await;
    let r = revoke(&s, &bob, &[("fullRevoke", "true")]).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(head(&s, &bob_temp).await, 403);
    assert_eq!(head(&s, &carol_temp).await, 200);
}

#[tokio::test]
async fn sessions_and_revocations_survive_a_restart_and_root_password_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[], Probe).await;
    let (kept, _) = s.temp_creds(&s.root(), "").await;
    let (revoked, _) = s.temp_creds(&s.root(), "").await;
    let r = revoke(&s, &s.root(), &[("accessKey", &revoked.access_key)]).await;
    assert_eq!(r.status, 204, "{}", r.body);
    s.stop().await;

    // Same data directory, new root password: the STS key ring is not the root secret.
    let s = sts_common::start_with_root_password(dir.path(), "a-brand-new-root-pw", Probe).await;
    assert_eq!(head(&s, &kept).await, 200);
    assert_eq!(head(&s, &revoked).await, 403);
    let new_root = Signer::new(sts_common::ROOT_USER, "a-brand-new-root-pw");
    let (fresh, _) = s.temp_creds(&new_root, "").await;
    assert_eq!(head(&s, &fresh).await, 200);
    s.stop().await;
}

#[tokio::test]
async fn rotating_the_key_ring_keeps_outstanding_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[], Probe).await;
    let (before, r) = s.temp_creds(&s.root(), "").await;
    let old_kid = kid(element(&r.body, "SessionToken").unwrap());
    let new_kid = s.sts.rotate_key_ring().unwrap();
    assert_ne!(old_kid, new_kid);
    let (after, r) = s.temp_creds(&s.root(), "").await;
    assert_eq!(kid(element(&r.body, "SessionToken").unwrap()), new_kid);
    assert_eq!(head(&s, &before).await, 200);
    assert_eq!(head(&s, &after).await, 200);
}

/// The `kid` of a session token's header.
fn kid(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    v["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn deleting_a_user_through_the_admin_api_ends_its_sessions_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[], Probe).await;
    let jim = user(&s, "jim");
    let (temp, _) = s.temp_creds(&jim, "").await;
    assert_eq!(head(&s, &temp).await, 200);
    let path = "/minio/admin/v3/remove-user";
    let r = send(
        s.addr,
        s.root().request(
            &s.host(),
            "DELETE",
            path,
            &[("accessKey", "jim")],
            "",
            &Sign::s3(),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(head(&s, &temp).await, 403);
    // Re-created with the same name and rights: the old session stays dead.
    let _ = user(&s, "jim");
    assert_eq!(head(&s, &temp).await, 403);
}
