//! External authorisation (spec §13) against a real OPA-style HTTP authoriser run in the test
//! process: S3 requests allowed or denied by its answer (both answer shapes), root included,
//! denied when it is down or answers nonsense, and the exact input document it receives.
//!
//! Multi-threaded runtime: a decision waits for the authoriser in `block_in_place`.

mod openid_support;
mod sts_common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use openid_support::AnyBucket;
use serde_json::{Value, json};
use strongbox_server::config::ServerArgs;
use strongbox_server::{Config, RootCredentials, Server};
use sts_common::{ROOT_PASSWORD, ROOT_USER, Sign, Signer, send};
use tokio::net::TcpListener;

const AUTH: &str = "opa-shared-secret";

/// How the authoriser answers.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// `{"result": bool}`
    Bool,
    /// `{"result": {"allow": bool}}`
    Object,
    /// Not JSON.
    Junk,
}

/// Each call: the `Authorization` header and the JSON body.
type Calls = Arc<Mutex<Vec<(Option<String>, Value)>>>;

#[derive(Clone)]
struct Opa {
    addr: SocketAddr,
    inputs: Calls,
    shape: Arc<Mutex<Shape>>,
}

/// Allows exactly the requests on bucket `open`.
async fn start_opa() -> Opa {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let opa = Opa {
        addr: listener.local_addr().unwrap(),
        inputs: Arc::default(),
        shape: Arc::new(Mutex::new(Shape::Bool)),
    };
    let me = opa.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let me = me.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let me = me.clone();
                    async move {
                        let auth = req
                            .headers()
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_owned());
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let input: Value = serde_json::from_slice(&body).unwrap();
                        let allow = input["input"]["bucket"] == "open";
                        me.inputs.lock().unwrap().push((auth, input));
                        let answer = match *me.shape.lock().unwrap() {
                            Shape::Bool => json!({"result": allow}).to_string(),
                            Shape::Object => json!({"result": {"allow": allow}}).to_string(),
                            Shape::Junk => "<html>".to_owned(),
                        };
                        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                            Bytes::from(answer),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    opa
}

struct Srv {
    addr: SocketAddr,
    iam: Arc<strongbox_iam::Iam>,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(env: &[(&str, &str)]) -> Srv {
    let dir = tempfile::tempdir().unwrap();
    let mut args = ServerArgs::new(dir.path());
    args.address = "127.0.0.1:0".into();
    let mut vars: std::collections::HashMap<&str, &str> = env.iter().copied().collect();
    vars.insert("MINIO_ROOT_USER", ROOT_USER);
    vars.insert("MINIO_ROOT_PASSWORD", ROOT_PASSWORD);
    let config = Config::from_sources(&args, &vars).expect("valid config");
    let root = RootCredentials::new(ROOT_USER.into(), ROOT_PASSWORD.into()).unwrap();
    let iam = Arc::new(strongbox_server::authz::open_iam(dir.path(), &root).unwrap());
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

impl Srv {
    async fn head_bucket(&self, who: &Signer, bucket: &str) -> u16 {
        let req = who.request(
            &self.addr.to_string(),
            "HEAD",
            &format!("/{bucket}"),
            &[],
            "",
            &Sign::s3(),
        );
        send(self.addr, req).await.status
    }
}

fn root() -> Signer {
    Signer::new(ROOT_USER, ROOT_PASSWORD)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authoriser_decides_for_everyone_including_root() {
    let opa = start_opa().await;
    let url = format!("http://{}/v1/data/httpapi/authz", opa.addr);
    let srv = start(&[
        ("MINIO_POLICY_OPA_URL", &url),
        ("MINIO_POLICY_OPA_AUTH_TOKEN", AUTH),
    ])
    .await;
    // Root, normally the owner, is denied where the authoriser says no.
    assert_eq!(srv.head_bucket(&root(), "open").await, 200);
    assert_eq!(srv.head_bucket(&root(), "closed").await, 403);
    // An IAM user without any policy is allowed where the authoriser says yes.
    srv.iam
        .add_user("bob", "bob-secret-key", strongbox_iam::Status::Enabled)
        .unwrap();
    let bob = Signer::new("bob", "bob-secret-key");
    assert_eq!(srv.head_bucket(&bob, "open").await, 200);
    assert_eq!(srv.head_bucket(&bob, "closed").await, 403);
    // The other answer shape decides the same way.
    *opa.shape.lock().unwrap() = Shape::Object;
    assert_eq!(srv.head_bucket(&bob, "open").await, 200);
    assert_eq!(srv.head_bucket(&bob, "closed").await, 403);
    // An answer that cannot be read denies.
    *opa.shape.lock().unwrap() = Shape::Junk;
    assert_eq!(srv.head_bucket(&root(), "open").await, 403);
    // Every decision was a call, with the token verbatim.
    let inputs = opa.inputs.lock().unwrap();
    assert_eq!(inputs.len(), 7);
    assert!(inputs.iter().all(|(a, _)| a.as_deref() == Some(AUTH)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exact_input_document() {
    let opa = start_opa().await;
    let url = format!("http://{}/authz", opa.addr);
    let srv = start(&[("MINIO_POLICY_PLUGIN_URL", &url)]).await;
    srv.iam
        .add_user("bob", "bob-secret-key", strongbox_iam::Status::Enabled)
        .unwrap();
    let bob = Signer::new("bob", "bob-secret-key");
    assert_eq!(srv.head_bucket(&bob, "open").await, 200);
    assert_eq!(srv.head_bucket(&root(), "open").await, 200);
    let inputs = opa.inputs.lock().unwrap();
    assert_eq!(inputs[0].0, None, "no token configured, none sent");

    let mut doc = inputs[0].1.clone();
    let conditions = doc["input"]["conditions"].take();
    assert_eq!(conditions["aws:username"], json!(["bob"]));
    assert_eq!(conditions["aws:sourceip"], json!(["127.0.0.1"]));
    assert!(conditions["aws:currenttime"].is_array(), "{conditions}");
    assert_eq!(
        doc,
        json!({"input": {
            "account": "bob", "groups": null, "action": "s3:ListBucket",
            "originalAction": "", "bucket": "open", "conditions": null, "owner": false,
            "object": "", "claims": {}, "denyOnly": false
        }})
    );
    let root_doc = &inputs[1].1["input"];
    assert_eq!(root_doc["account"], ROOT_USER);
    assert_eq!(root_doc["owner"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_when_the_authoriser_is_down() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let url = format!("http://127.0.0.1:{port}/authz");
    let srv = start(&[("MINIO_IAM_OPA_URL", &url)]).await;
    assert_eq!(srv.head_bucket(&root(), "open").await, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_when_the_authoriser_hangs_past_the_timeout() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let url = format!("http://{addr}/authz");
    let srv = start(&[
        ("MINIO_POLICY_PLUGIN_URL", &url),
        ("STRONGBOX_POLICY_PLUGIN_TIMEOUT", "1"),
    ])
    .await;
    let t = std::time::Instant::now();
    assert_eq!(srv.head_bucket(&root(), "open").await, 403);
    let took = t.elapsed();
    assert!(took >= std::time::Duration::from_millis(900), "{took:?}");
    assert!(took < std::time::Duration::from_secs(4), "{took:?}");
}
