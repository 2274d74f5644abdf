//! AssumeRoleWithCustomToken against a real HTTP identity plugin run in the test process (the
//! plugin is the user's own web service, so an in-test server is the real thing): claims used
//! as `${jwt:...}` policy variables, reserved claims ignored, the plugin's 403 reason, a 500, a
//! plugin that hangs past the configured timeout, invalid JSON, `maxValiditySeconds` against
//! `DurationSeconds`, the query and `Authorization` header the plugin receives.

mod openid_support;
mod sts_common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use openid_support::AnyBucket;
use serde_json::json;
use strongbox_server::config::ServerArgs;
use strongbox_server::{Config, RootCredentials, Server};
use sts_common::{
    FORM, ROOT_PASSWORD, ROOT_USER, Reply, Signer, element, send, sts_error, uri_encode,
};
use tokio::net::TcpListener;

const AUTH: &str = "Bearer plugin-shared-secret";

/// What the plugin saw: the request line's query and the Authorization header.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    query: String,
    authorization: Option<String>,
    body_len: usize,
}

/// The plugin: answers by token.
struct Plugin {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn answer(token: &str) -> (u16, String) {
    match token {
        "alice-blue" => (
            200,
            json!({"user": "alice", "maxValiditySeconds": 3600, "claims": {
                "team": "blue", "sub": "evil", "parent": ROOT_USER, "exp": 1
            }})
            .to_string(),
        ),
        "bob-red-short" => (
            200,
            json!({"user": "bob", "maxValiditySeconds": 1000, "claims": {"team": "red"}})
                .to_string(),
        ),
        "bad-validity" => (
            200,
            json!({"user": "carol", "maxValiditySeconds": 60, "claims": {}}).to_string(),
        ),
        "no-user" => (200, json!({"maxValiditySeconds": 3600}).to_string()),
        "locked" => (403, json!({"reason": "account locked by HR"}).to_string()),
        "junk" => (200, "{not json".to_owned()),
        _ => (500, "oops".to_owned()),
    }
}

async fn start_plugin() -> Plugin {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let log = Arc::clone(&log);
                    async move {
                        use http_body_util::BodyExt as _;
                        let method = req.method().to_string();
                        let query = req.uri().query().unwrap_or("").to_owned();
                        let authorization = req
                            .headers()
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_owned());
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        log.lock().unwrap().push(Seen {
                            method,
                            query: query.clone(),
                            authorization,
                            body_len: body.len(),
                        });
                        let token = query
                            .split('&')
                            .find_map(|p| p.strip_prefix("token="))
                            .unwrap_or("");
                        if token == "hang" {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                        }
                        let (status, body) = answer(token);
                        Ok::<_, std::convert::Infallible>(
                            http::Response::builder()
                                .status(status)
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(body)))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Plugin { addr, seen }
}

struct Srv {
    addr: SocketAddr,
    iam: Arc<strongbox_iam::Iam>,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn config(dir: &std::path::Path, env: &[(&str, &str)]) -> Config {
    let mut args = ServerArgs::new(dir);
    args.address = "127.0.0.1:0".into();
    let mut vars: std::collections::HashMap<&str, &str> = env.iter().copied().collect();
    vars.insert("MINIO_ROOT_USER", ROOT_USER);
    vars.insert("MINIO_ROOT_PASSWORD", ROOT_PASSWORD);
    Config::from_sources(&args, &vars).expect("valid config")
}

/// A server wired as `strongbox server` wires it (`Server::bind_with_iam`), plugin at `url`.
async fn start(url: &str) -> Srv {
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        &[
            ("MINIO_IDENTITY_PLUGIN_URL", url),
            ("MINIO_IDENTITY_PLUGIN_AUTH_TOKEN", AUTH),
            ("MINIO_IDENTITY_PLUGIN_ROLE_POLICY", "teams"),
            ("MINIO_IDENTITY_PLUGIN_ROLE_ID", "acme"),
            ("STRONGBOX_IDENTITY_PLUGIN_TIMEOUT", "1"),
        ],
    );
    let root = RootCredentials::new(ROOT_USER.into(), ROOT_PASSWORD.into()).unwrap();
    let iam = Arc::new(strongbox_server::authz::open_iam(dir.path(), &root).unwrap());
    // The role policy: each credential reaches the bucket named after its `team` claim.
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["s3:*"], "Resource": ["arn:aws:s3:::${jwt:team}", "arn:aws:s3:::${jwt:team}/*"]}]});
    iam.put_policy("teams", &doc.to_string()).unwrap();
    let server = Server::bind_with_iam(&config, root, Arc::clone(&iam), AnyBucket)
        .await
        .unwrap();
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(async {
        let _ = rx.await;
    }));
    Srv {
        addr,
        iam,
        _dir: dir,
        _stop: tx,
    }
}

const ARN: &str = "arn:minio:iam:::role/idmp-acme";

impl Srv {
    /// Unsigned `POST /?Action=AssumeRoleWithCustomToken&...` (parameters in the query).
    async fn custom(&self, token: &str, extra: &[(&str, &str)]) -> Reply {
        let mut q = format!(
            "Action=AssumeRoleWithCustomToken&Version=2011-06-15&Token={}",
            uri_encode(token)
        );
        for (k, v) in extra {
            q.push_str(&format!("&{k}={}", uri_encode(v)));
        }
        let req = http::Request::builder()
            .method("POST")
            .uri(format!("/?{q}"))
            .header("host", self.addr.to_string())
            .header("content-type", FORM)
            .body(Full::new(Bytes::new()))
            .unwrap();
        send(self.addr, req).await
    }

    async fn head_bucket(&self, who: &Signer, bucket: &str) -> u16 {
        let req = who.request(
            &self.addr.to_string(),
            "HEAD",
            &format!("/{bucket}"),
            &[],
            "",
            &sts_common::Sign::s3(),
        );
        send(self.addr, req).await.status
    }
}

fn expires_in(body: &str) -> i64 {
    let e = element(body, "Expiration").unwrap();
    time::OffsetDateTime::parse(e, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
        - time::OffsetDateTime::now_utc().unix_timestamp()
}

#[tokio::test]
async fn plugin_claims_become_policy_variables_and_reserved_ones_are_ignored() {
    let plugin = start_plugin().await;
    let srv = start(&format!("http://{}/auth?tenant=t1", plugin.addr)).await;
    let r = srv.custom("alice-blue", &[("RoleArn", ARN)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("<AssumeRoleWithCustomTokenResponse "),
        "{}",
        r.body
    );
    assert_eq!(element(&r.body, "AssumedUser"), Some("custom:alice"));
    assert!((expires_in(&r.body) - 3600).abs() <= 3, "{}", r.body);

    // What the plugin received: POST, no body, its own query kept, token appended, the auth
    // token verbatim.
    let seen = plugin.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.query, "tenant=t1&token=alice-blue");
    assert_eq!(seen.authorization.as_deref(), Some(AUTH));
    assert_eq!(seen.body_len, 0);

    let alice = Signer::from_response(&r.body);
    assert_eq!(srv.head_bucket(&alice, "blue").await, 200);
    assert_eq!(srv.head_bucket(&alice, "red").await, 403);
    // `sub`/`parent`/`exp` from the plugin did not make alice root: root's other buckets stay
    // closed.
    assert_eq!(srv.head_bucket(&alice, "evil").await, 403);

    let r = srv.custom("bob-red-short", &[("RoleArn", ARN)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let bob = Signer::from_response(&r.body);
    assert_eq!(srv.head_bucket(&bob, "red").await, 200);
    assert_eq!(srv.head_bucket(&bob, "blue").await, 403);
}

#[tokio::test]
async fn duration_is_bounded_by_max_validity() {
    let plugin = start_plugin().await;
    let srv = start(&format!("http://{}/auth", plugin.addr)).await;
    // Requested below the plugin's maximum: granted as requested.
    let r = srv
        .custom(
            "alice-blue",
            &[("RoleArn", ARN), ("DurationSeconds", "1200")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!((expires_in(&r.body) - 1200).abs() <= 3);
    // Requested above it: capped at maxValiditySeconds (1000).
    let r = srv
        .custom(
            "bob-red-short",
            &[("RoleArn", ARN), ("DurationSeconds", "7200")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!((expires_in(&r.body) - 1000).abs() <= 3);
    // Below 900 or not a number: refused before the plugin is asked.
    let before = plugin.seen.lock().unwrap().len();
    for bad in ["899", "abc", "0"] {
        let r = srv
            .custom("alice-blue", &[("RoleArn", ARN), ("DurationSeconds", bad)])
            .await;
        sts_error(&r, 400, "InvalidParameterValue");
    }
    assert_eq!(plugin.seen.lock().unwrap().len(), before);
    // A plugin maximum outside 900..=365 d is refused.
    let r = srv.custom("bad-validity", &[("RoleArn", ARN)]).await;
    let m = sts_error(&r, 400, "InvalidParameterValue");
    assert!(m.contains("maxValiditySeconds"), "{m}");
}

#[tokio::test]
async fn plugin_refusals_and_failures_are_clear_errors() {
    let plugin = start_plugin().await;
    let srv = start(&format!("http://{}/auth", plugin.addr)).await;

    let r = srv.custom("locked", &[("RoleArn", ARN)]).await;
    assert_eq!(sts_error(&r, 403, "AccessDenied"), "account locked by HR");

    let r = srv.custom("anything-else", &[("RoleArn", ARN)]).await;
    let m = sts_error(&r, 500, "InternalError");
    assert!(m.contains("HTTP 500"), "{m}");

    let r = srv.custom("junk", &[("RoleArn", ARN)]).await;
    let m = sts_error(&r, 500, "InternalError");
    assert!(m.contains("invalid"), "{m}");

    let r = srv.custom("no-user", &[("RoleArn", ARN)]).await;
    let m = sts_error(&r, 500, "InternalError");
    assert!(m.contains("no user"), "{m}");

    let t = Instant::now();
    let r = srv.custom("hang", &[("RoleArn", ARN)]).await;
    let m = sts_error(&r, 500, "InternalError");
    assert!(m.contains("did not answer within"), "{m}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // No body ever leaks the token.
    assert!(!r.body.contains("hang<"), "{}", r.body);
}

#[tokio::test]
async fn request_checks_come_before_the_plugin() {
    let plugin = start_plugin().await;
    let srv = start(&format!("http://{}/auth", plugin.addr)).await;
    let r = srv.custom("", &[("RoleArn", ARN)]).await;
    sts_error(&r, 400, "InvalidParameterValue");
    let r = srv.custom("alice-blue", &[]).await;
    let m = sts_error(&r, 400, "InvalidParameterValue");
    assert!(m.contains(ARN), "the plugin's ARN is named: {m}");
    let r = srv
        .custom(
            "alice-blue",
            &[("RoleArn", "arn:minio:iam:::role/idmp-other")],
        )
        .await;
    sts_error(&r, 400, "InvalidParameterValue");
    assert!(plugin.seen.lock().unwrap().is_empty());
    // The role's policy deleted: nothing to grant, refused before the plugin is asked.
    srv.iam.delete_policy("teams").unwrap();
    let r = srv.custom("alice-blue", &[("RoleArn", ARN)]).await;
    sts_error(&r, 400, "InvalidParameterValue");
    assert!(plugin.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn plugin_down_and_not_configured() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let srv = start(&format!("http://127.0.0.1:{port}/auth")).await;
    let r = srv.custom("alice-blue", &[("RoleArn", ARN)]).await;
    let m = sts_error(&r, 500, "InternalError");
    assert!(m.contains("could not be reached"), "{m}");

    // Without a plugin the action is disabled.
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &[]);
    let root = RootCredentials::new(ROOT_USER.into(), ROOT_PASSWORD.into()).unwrap();
    let iam = Arc::new(strongbox_server::authz::open_iam(dir.path(), &root).unwrap());
    let server = Server::bind_with_iam(&config, root, iam, AnyBucket)
        .await
        .unwrap();
    let addr = server.local_addr();
    let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(async {
        let _ = rx.await;
    }));
    let req = http::Request::builder()
        .method("POST")
        .uri("/?Action=AssumeRoleWithCustomToken&Version=2011-06-15&Token=x")
        .header("host", addr.to_string())
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = send(addr, req).await;
    sts_error(&r, 503, "STSNotInitialized");
}
