//! The Prometheus endpoint (`/minio/v2/metrics/cluster`, `/node`): exact counts of external
//! authoriser decisions (allowed, denied, failed: junk answer and authoriser gone) and of STS
//! issued credentials, and who may read them (bearer JWT HS512 with the root secret, or
//! `MINIO_PROMETHEUS_AUTH_TYPE=public`).
//!
//! Multi-threaded runtime: a decision may wait for the authoriser in `block_in_place`.

mod openid_support;
mod sts_common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use hmac::{Hmac, Mac as _};
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use openid_support::AnyBucket;
use serde_json::{Value, json};
use sts_common::{ROOT_PASSWORD, ROOT_USER, Reply, Running, Sign, plain, send};
use tokio::net::TcpListener;

/// How the stub authoriser answers.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// `{"result": bucket == "open"}`
    Decide,
    /// Not JSON.
    Junk,
    /// Closes the connection without an answer.
    Gone,
}

/// An authoriser on 127.0.0.1 allowing exactly bucket `open`; its address and mode switch.
async fn start_opa() -> (SocketAddr, Arc<Mutex<Mode>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mode = Arc::new(Mutex::new(Mode::Decide));
    let shared = Arc::clone(&mode);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let mode = Arc::clone(&shared);
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let mode = Arc::clone(&mode);
                    async move {
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let input: Value = serde_json::from_slice(&body).unwrap();
                        let answer = match *mode.lock().unwrap() {
                            Mode::Decide => {
                                json!({"result": input["input"]["bucket"] == "open"}).to_string()
                            }
                            Mode::Junk => "<html>".to_owned(),
                            Mode::Gone => return Err(std::io::Error::other("gone")),
                        };
                        Ok(http::Response::new(Full::new(Bytes::from(answer))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, mode)
}

/// A JWT over `claims`, signed with `key` by HMAC `alg` (HS512 or HS256).
fn jwt(alg: &str, key: &str, claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{payload}");
    let sig = if alg == "HS256" {
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
        m.update(signed.as_bytes());
        m.finalize().into_bytes().to_vec()
    } else {
        let mut m = Hmac::<sha2::Sha512>::new_from_slice(key.as_bytes()).unwrap();
        m.update(signed.as_bytes());
        m.finalize().into_bytes().to_vec()
    };
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// What `mc admin prometheus generate` makes for root: valid for an hour.
fn root_token() -> String {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    jwt(
        "HS512",
        ROOT_PASSWORD,
        &json!({"exp": exp, "sub": ROOT_USER, "iss": "prometheus"}),
    )
}

async fn scrape(srv: &Running, path: &str, token: Option<&str>) -> Reply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .as_deref()
        .map(|b| vec![("authorization", b)])
        .unwrap_or_default();
    send(srv.addr, plain(&srv.host(), "GET", path, &headers, "")).await
}

/// The value of the sample line `name` (with its labels) in a scrape.
fn sample(body: &str, name: &str) -> Option<u64> {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

const ALLOW: &str = r#"strongbox_authz_external_decisions_total{result="allow"}"#;
const DENY: &str = r#"strongbox_authz_external_decisions_total{result="deny"}"#;
const ERROR: &str = r#"strongbox_authz_external_decisions_total{result="error"}"#;
const ISSUED: &str = "strongbox_sts_credentials_issued_total";

async fn head_bucket(srv: &Running, bucket: &str) -> u16 {
    let req = srv.root().request(
        &srv.host(),
        "HEAD",
        &format!("/{bucket}"),
        &[],
        "",
        &Sign::s3(),
    );
    send(srv.addr, req).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_are_counted_by_result() {
    let (opa, mode) = start_opa().await;
    let url = format!("http://{opa}/v1/data/httpapi/authz");
    let dir = tempfile::tempdir().unwrap();
    let srv = sts_common::start(dir.path(), &[("MINIO_POLICY_OPA_URL", &url)], AnyBucket).await;
    let token = root_token();
    let before = scrape(&srv, "/minio/v2/metrics/cluster", Some(&token)).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(sample(&before.body, ALLOW), Some(0));

    assert_eq!(head_bucket(&srv, "open").await, 200);
    assert_eq!(head_bucket(&srv, "open").await, 200);
    assert_eq!(head_bucket(&srv, "closed").await, 403);
    *mode.lock().unwrap() = Mode::Junk;
    assert_eq!(head_bucket(&srv, "open").await, 403);
    *mode.lock().unwrap() = Mode::Gone;
    assert_eq!(head_bucket(&srv, "open").await, 403);
    assert_eq!(head_bucket(&srv, "open").await, 403);

    for path in ["/minio/v2/metrics/cluster", "/minio/v2/metrics/node"] {
        let r = scrape(&srv, path, Some(&token)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(
            r.headers["content-type"],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        assert_eq!(sample(&r.body, ALLOW), Some(2), "{}", r.body);
        assert_eq!(sample(&r.body, DENY), Some(1), "{}", r.body);
        assert_eq!(sample(&r.body, ERROR), Some(3), "{}", r.body);
        assert!(
            r.body
                .contains("# TYPE strongbox_authz_external_decisions_total counter\n")
        );
        assert!(
            r.body
                .contains("# HELP strongbox_authz_external_decisions_total ")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_root_hs512_token_reads_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let srv = sts_common::start(dir.path(), &[], AnyBucket).await;
    let path = "/minio/v2/metrics/cluster";
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let good = json!({"exp": now + 3600, "sub": ROOT_USER, "iss": "prometheus"});
    assert_eq!(scrape(&srv, path, Some(&root_token())).await.status, 200);
    let refused = [
        None,
        Some(jwt("HS512", "some-other-secret", &good)),
        Some(jwt("HS256", ROOT_PASSWORD, &good)),
        Some(jwt(
            "HS512",
            ROOT_PASSWORD,
            &json!({"exp": now - 10, "sub": ROOT_USER}),
        )),
        Some(jwt("HS512", ROOT_PASSWORD, &json!({"sub": ROOT_USER}))),
        Some(jwt(
            "HS512",
            ROOT_PASSWORD,
            &json!({"exp": now + 3600, "sub": "someone-else"}),
        )),
        Some("not-a-jwt".to_owned()),
    ];
    for token in &refused {
        let r = scrape(&srv, path, token.as_deref()).await;
        assert_eq!(r.status, 403, "{token:?}: {}", r.body);
        assert!(
            r.body.contains("<Code>AccessDenied</Code>"),
            "{token:?}: {}",
            r.body
        );
    }
    // A SigV4-signed request by root is no bearer token either.
    let req = srv
        .root()
        .request(&srv.host(), "GET", path, &[], "", &Sign::s3());
    assert_eq!(send(srv.addr, req).await.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_metrics_need_no_token_and_count_issued_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let srv = sts_common::start(
        dir.path(),
        &[("MINIO_PROMETHEUS_AUTH_TYPE", "public")],
        AnyBucket,
    )
    .await;
    let r = scrape(&srv, "/minio/v2/metrics/node", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(sample(&r.body, ISSUED), Some(0));
    let root = srv.root();
    srv.temp_creds(&root, "").await;
    srv.temp_creds(&root, "").await;
    // A refused AssumeRole issues nothing.
    let nobody = sts_common::Signer::new("nobody", "nobody-secret");
    assert_eq!(srv.assume_role(&nobody, "").await.status, 403);
    let r = scrape(&srv, "/minio/v2/metrics/cluster", None).await;
    assert_eq!(sample(&r.body, ISSUED), Some(2), "{}", r.body);
    // No authoriser configured: no decisions.
    assert_eq!(sample(&r.body, ALLOW), Some(0));
    assert_eq!(sample(&r.body, ERROR), Some(0));
}
