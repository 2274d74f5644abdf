//! The server in process on 127.0.0.1:0, driven with raw HTTP/1.1 requests.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::sigv4::{UNSIGNED_PAYLOAD, sha256_hex};
use common::{Running, error_code, request, send, start};
use s3s::dto::{
    Bucket, HeadBucketInput, HeadBucketOutput, ListBucketsInput, ListBucketsOutput, Owner,
};
use s3s::{S3, S3Request, S3Response, S3Result};
use strongbox_server::access::Authorized;
use strongbox_server::credentials::Origin;
use strongbox_server::identity::Identity;
use strongbox_server::{Drained, RootCredentials};
use time::OffsetDateTime;
use tokio::sync::Notify;

/// A backend that shows what reached it: ListBuckets names the caller; HeadBucket "slow" waits.
#[derive(Default)]
struct Probe {
    slow_entered: Arc<Notify>,
}

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
            Some(Identity::Root { access_key }) => format!("root:{access_key}"),
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
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        if req.input.bucket == "slow" {
            self.slow_entered.notify_one();
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        Ok(S3Response::new(HeadBucketOutput::default()))
    }
}

const ROOT_ENV: &[(&str, &str)] = &[
    ("MINIO_ROOT_USER", "rootuser"),
    ("MINIO_ROOT_PASSWORD", "rootpassword"),
];

async fn started() -> (tempfile::TempDir, Running) {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), ROOT_ENV, Probe::default()).await;
    (dir, running)
}

fn signed_get(
    s: &Running,
    signer: &common::sigv4::Signer,
    path: &str,
    t: OffsetDateTime,
) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let h = signer.sign("GET", &s.host(), path, &[], &sha256_hex(b""), t, &[]);
    request("GET", &s.host(), path, &h, "")
}

fn assert_request_id(r: &common::Reply) {
    let id = r
        .headers
        .get("x-amz-request-id")
        .expect("x-amz-request-id on every response");
    assert_eq!(id.len(), 16);
}

#[tokio::test]
async fn health_endpoints_answer_without_credentials() {
    let (_dir, s) = started().await;
    for path in ["/minio/health/live", "/minio/health/ready"] {
        for method in ["GET", "HEAD"] {
            let r = send(s.addr, request(method, &s.host(), path, &[], "")).await;
            assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
            assert_request_id(&r);
        }
    }
    assert_eq!(s.stop().await, Drained::Completely);
}

#[tokio::test]
async fn anonymous_request_is_access_denied_xml() {
    let (_dir, s) = started().await;
    let r = send(s.addr, request("GET", &s.host(), "/", &[], "")).await;
    assert_eq!(r.status, 403);
    assert_eq!(error_code(&r.body), Some("AccessDenied"), "{}", r.body);
    assert!(r.body.starts_with("<?xml"), "{}", r.body);
    assert_request_id(&r);
    // The error body names the same request as the header.
    let id = r.headers["x-amz-request-id"].to_str().unwrap();
    assert!(
        r.body.contains(&format!("<RequestId>{id}</RequestId>")),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn signed_root_request_reaches_the_backend_as_root() {
    let (_dir, s) = started().await;
    let r = send(
        s.addr,
        signed_get(&s, &s.signer(), "/", OffsetDateTime::now_utc()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Name>alpha</Name>"), "{}", r.body);
    assert!(
        r.body.contains("<DisplayName>root:rootuser</DisplayName>"),
        "{}",
        r.body
    );
    assert_request_id(&r);
}

#[tokio::test]
async fn unknown_key_and_wrong_secret_get_their_codes() {
    let (_dir, s) = started().await;
    let now = OffsetDateTime::now_utc();
    let unknown = common::sigv4::Signer::new("nobody", "rootpassword", "us-east-1");
    let r = send(s.addr, signed_get(&s, &unknown, "/", now)).await;
    assert_eq!(
        (r.status, error_code(&r.body)),
        (403, Some("InvalidAccessKeyId")),
        "{}",
        r.body
    );

    let wrong = common::sigv4::Signer::new("rootuser", "not-the-password", "us-east-1");
    let r = send(s.addr, signed_get(&s, &wrong, "/", now)).await;
    assert_eq!(
        (r.status, error_code(&r.body)),
        (403, Some("SignatureDoesNotMatch")),
        "{}",
        r.body
    );
    assert_request_id(&r);
}

#[tokio::test]
async fn without_a_configured_region_any_scope_region_is_accepted() {
    let (_dir, s) = started().await;
    for region in ["", "us-east-1", "ap-south-1"] {
        let signer = common::sigv4::Signer::new("rootuser", "rootpassword", region);
        let r = send(
            s.addr,
            signed_get(&s, &signer, "/", OffsetDateTime::now_utc()),
        )
        .await;
        assert_eq!(r.status, 200, "region {region:?}: {}", r.body);
    }
}

#[tokio::test]
async fn a_configured_region_is_enforced_but_an_empty_scope_region_passes() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = ROOT_ENV.to_vec();
    env.push(("MINIO_REGION", "eu-west-1"));
    let s = start(dir.path(), &env, Probe::default()).await;
    let now = OffsetDateTime::now_utc();
    for region in ["", "eu-west-1"] {
        let signer = common::sigv4::Signer::new("rootuser", "rootpassword", region);
        let r = send(s.addr, signed_get(&s, &signer, "/", now)).await;
        assert_eq!(r.status, 200, "region {region:?}: {}", r.body);
    }
    let wrong = common::sigv4::Signer::new("rootuser", "rootpassword", "us-east-1");
    let r = send(s.addr, signed_get(&s, &wrong, "/", now)).await;
    assert_eq!(
        (r.status, error_code(&r.body)),
        (400, Some("AuthorizationHeaderMalformed")),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("expecting &apos;eu-west-1&apos;"),
        "{}",
        r.body
    );

    let q = wrong.presign("GET", &s.host(), "/", 60, now);
    let r = send(
        s.addr,
        request("GET", &s.host(), &format!("/?{q}"), &[], ""),
    )
    .await;
    assert_eq!(
        (r.status, error_code(&r.body)),
        (400, Some("AuthorizationHeaderMalformed")),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn unsigned_payload_is_accepted() {
    let (_dir, s) = started().await;
    let h = s.signer().sign(
        "GET",
        &s.host(),
        "/",
        &[],
        UNSIGNED_PAYLOAD,
        OffsetDateTime::now_utc(),
        &[],
    );
    let r = send(s.addr, request("GET", &s.host(), "/", &h, "")).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn clock_skew_beyond_15_minutes_is_request_time_too_skewed() {
    let (_dir, s) = started().await;
    let now = OffsetDateTime::now_utc();
    for skew in [time::Duration::minutes(-16), time::Duration::minutes(16)] {
        let r = send(s.addr, signed_get(&s, &s.signer(), "/", now + skew)).await;
        assert_eq!(
            (r.status, error_code(&r.body)),
            (403, Some("RequestTimeTooSkewed")),
            "{skew}: {}",
            r.body
        );
    }
    let r = send(
        s.addr,
        signed_get(&s, &s.signer(), "/", now - time::Duration::minutes(14)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn presigned_urls_valid_expired_and_from_the_future() {
    let (_dir, s) = started().await;
    let now = OffsetDateTime::now_utc();
    let get = |t: OffsetDateTime, expires: u64| {
        let q = s.signer().presign("GET", &s.host(), "/", expires, t);
        request("GET", &s.host(), &format!("/?{q}"), &[], "")
    };
    let r = send(s.addr, get(now, 60)).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = send(s.addr, get(now - time::Duration::seconds(120), 60)).await;
    assert_eq!(
        (r.status, error_code(&r.body)),
        (403, Some("AccessDenied")),
        "{}",
        r.body
    );
    assert!(r.body.contains("Request has expired"), "{}", r.body);

    let r = send(s.addr, get(now + time::Duration::minutes(20), 3600)).await;
    assert_eq!(
        (r.status, error_code(&r.body)),
        (403, Some("RequestTimeTooSkewed")),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_session_token_with_root_credentials_is_invalid_token_id() {
    let (_dir, s) = started().await;
    let h = s.signer().sign(
        "GET",
        &s.host(),
        "/",
        &[],
        &sha256_hex(b""),
        OffsetDateTime::now_utc(),
        &[("x-amz-security-token", "forged")],
    );
    let r = send(s.addr, request("GET", &s.host(), "/", &h, "")).await;
    assert_eq!(
        (r.status, error_code(&r.body)),
        (403, Some("InvalidTokenId")),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn generated_root_credentials_are_kept_private_and_reused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), &[], Probe::default()).await;
    let path = dir.path().join(".strongbox/root-credentials.json");
    assert_eq!(first.origin, Origin::Created(path.clone()));
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let creds: RootCredentials = first.root.clone();
    assert_eq!(first.stop().await, Drained::Completely);

    let second = start(dir.path(), &[], Probe::default()).await;
    assert_eq!(second.origin, Origin::Loaded(path));
    assert_eq!(second.root.access_key(), creds.access_key());
    let r = send(
        second.addr,
        signed_get(&second, &second.signer(), "/", OffsetDateTime::now_utc()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains(&format!("root:{}", creds.access_key())),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn virtual_host_style_only_with_minio_domain() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = ROOT_ENV.to_vec();
    env.push(("MINIO_DOMAIN", "s3.test"));
    let s = start(dir.path(), &env, Probe::default()).await;
    let now = OffsetDateTime::now_utc();
    // HEAD / on alpha.s3.test is HeadBucket "alpha".
    let host = format!("alpha.s3.test:{}", s.addr.port());
    let h = s
        .signer()
        .sign("HEAD", &host, "/", &[], &sha256_hex(b""), now, &[]);
    let r = send(s.addr, request("HEAD", &host, "/", &h, "")).await;
    assert_eq!(r.status, 200, "HeadBucket by virtual host");
    // Path style keeps working on the bare address.
    let r = send(s.addr, signed_get(&s, &s.signer(), "/", now)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // And on the base domain itself.
    let base = format!("s3.test:{}", s.addr.port());
    let h = s
        .signer()
        .sign("GET", &base, "/", &[], &sha256_hex(b""), now, &[]);
    let r = send(s.addr, request("GET", &base, "/", &h, "")).await;
    assert!(r.body.contains("<Name>alpha</Name>"), "{}", r.body);
}

#[tokio::test]
async fn shutdown_lets_the_in_flight_request_finish_and_stops_accepting() {
    let dir = tempfile::tempdir().unwrap();
    let probe = Probe::default();
    let entered = Arc::clone(&probe.slow_entered);
    let mut s = start(dir.path(), ROOT_ENV, probe).await;
    let addr = s.addr;

    let h = s.signer().sign(
        "HEAD",
        &s.host(),
        "/slow",
        &[],
        &sha256_hex(b""),
        OffsetDateTime::now_utc(),
        &[],
    );
    let req = request("HEAD", &s.host(), "/slow", &h, "");
    let in_flight = tokio::spawn(async move { send(addr, req).await });
    entered.notified().await;

    s.begin_stop();
    // New connections are refused once the listener is closed.
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the listener still accepts after shutdown");

    let r = in_flight.await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(s.join().await, Drained::Completely);
}

#[tokio::test]
async fn shutdown_wait_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = ROOT_ENV.to_vec();
    env.push(("STRONGBOX_SHUTDOWN_TIMEOUT", "0"));
    let probe = Probe::default();
    let entered = Arc::clone(&probe.slow_entered);
    let mut s = start(dir.path(), &env, probe).await;
    let addr = s.addr;
    let h = s.signer().sign(
        "HEAD",
        &s.host(),
        "/slow",
        &[],
        &sha256_hex(b""),
        OffsetDateTime::now_utc(),
        &[],
    );
    let req = request("HEAD", &s.host(), "/slow", &h, "");
    let _in_flight =
        tokio::spawn(async move { common::connect(addr).await.unwrap().send(req).await });
    entered.notified().await;
    s.begin_stop();
    assert_eq!(s.join().await, Drained::TimedOut);
}
