//! A server in process with a madmin-style client: SigV4-signed admin requests (service `s3`,
//! real payload hash), bodies sealed with `strongbox_madmin::encrypt_data` under the caller's
//! secret, like minio-py's `MinioAdmin` sends them.

#![allow(dead_code)] // each test crate uses a different part

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use s3s::S3;
use s3s::dto::{ListBucketsInput, ListBucketsOutput};
use s3s::{S3Request, S3Response, S3Result};
use serde_json::Value;
use strongbox_iam::Iam;
use strongbox_server::config::ServerArgs;
use strongbox_server::credentials;
use strongbox_server::{Config, Drained, Server};
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[path = "../common/sigv4.rs"]
pub mod sigv4;

use sigv4::{Signer, sha256_hex, uri_encode};

pub const ROOT: &str = "adminroot";
pub const ROOT_SECRET: &str = "adminroot-secret";

/// A backend that lists no buckets (the admin API never reaches it; S3 checks do).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoBuckets;

#[async_trait::async_trait]
impl S3 for NoBuckets {
    async fn list_buckets(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        Ok(S3Response::new(ListBucketsOutput::default()))
    }
}

/// A running server on 127.0.0.1:0 with the IAM under `dir`.
pub struct Running {
    pub addr: SocketAddr,
    pub iam: Arc<Iam>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Drained>>,
}

pub async fn start(dir: &Path) -> Running {
    let mut args = ServerArgs::new(dir);
    args.address = "127.0.0.1:0".into();
    let env: HashMap<&str, &str> = [
        ("MINIO_ROOT_USER", ROOT),
        ("MINIO_ROOT_PASSWORD", ROOT_SECRET),
    ]
    .into_iter()
    .collect();
    let config = Config::from_sources(&args, &env).expect("valid config");
    let (root, _) = credentials::resolve(&config.root_credentials, &config.data_dir).unwrap();
    let server = Server::bind(&config, root, NoBuckets).await.unwrap();
    let addr = server.local_addr();
    let iam = Arc::clone(server.iam());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async {
        let _ = rx.await;
    }));
    Running {
        addr,
        iam,
        shutdown: Some(tx),
        task: Some(task),
    }
}

impl Running {
    pub fn root(&self) -> Client {
        self.client(ROOT, ROOT_SECRET)
    }

    pub fn client(&self, access_key: &str, secret_key: &str) -> Client {
        Client {
            addr: self.addr,
            signer: Signer::new(access_key, secret_key, ""),
        }
    }

    pub async fn stop(mut self) -> Drained {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.take().unwrap().await.unwrap()
    }
}

/// An answer: status and raw body (encrypted bodies are binary).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The JSON body (plain responses and errors).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The admin error code of a JSON error body.
    pub fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or_default().to_owned()
    }
}

/// A madmin-like client for one credential.
pub struct Client {
    addr: SocketAddr,
    pub signer: Signer,
}

pub fn path(api: &str) -> String {
    format!("/minio/admin/v3/{api}")
}

impl Client {
    pub fn secret(&self) -> &str {
        &self.signer.secret_key
    }

    /// Sends `method /minio/admin/v3/api?query` with `body`, signed (SigV4, service `s3`, the
    /// region minio-py uses: empty) with the real payload hash.
    pub async fn send(
        &self,
        method: &str,
        api: &str,
        query: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        self.send_with(method, api, query, body, &[]).await
    }

    pub async fn send_with(
        &self,
        method: &str,
        api: &str,
        query: &[(&str, &str)],
        body: Vec<u8>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let host = self.addr.to_string();
        let p = path(api);
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let headers = self.signer.sign(
            method,
            &host,
            &p,
            &pairs,
            &sha256_hex(&body),
            OffsetDateTime::now_utc(),
            extra,
        );
        let qs = query_string(query);
        let uri = if qs.is_empty() {
            p
        } else {
            format!("{p}?{qs}")
        };
        let mut b = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("host", &host)
            .header("content-type", "application/octet-stream");
        for (k, v) in headers {
            b = b.header(k, v);
        }
        raw(self.addr, b.body(Full::new(Bytes::from(body))).unwrap()).await
    }

    /// Sends `value` sealed with this client's secret, as madmin `EncryptData` does.
    pub async fn send_enc(
        &self,
        method: &str,
        api: &str,
        query: &[(&str, &str)],
        value: &Value,
    ) -> Reply {
        let sealed = strongbox_madmin::encrypt_data(
            self.secret().as_bytes(),
            &serde_json::to_vec(value).unwrap(),
        );
        self.send(method, api, query, sealed).await
    }

    /// Sends `value` as plain JSON.
    pub async fn send_json(
        &self,
        method: &str,
        api: &str,
        query: &[(&str, &str)],
        value: &Value,
    ) -> Reply {
        self.send(method, api, query, serde_json::to_vec(value).unwrap())
            .await
    }

    /// Opens an encrypted response with this client's secret.
    pub fn open(&self, r: &Reply) -> Value {
        assert_eq!(
            r.status,
            200,
            "expected an encrypted success: {}",
            String::from_utf8_lossy(&r.body)
        );
        let plain = strongbox_madmin::decrypt_data(self.secret().as_bytes(), &r.body)
            .expect("the response is sealed with the caller's secret");
        serde_json::from_slice(&plain).unwrap()
    }

    // The calls minio-py's MinioAdmin makes.

    pub async fn add_user(&self, ak: &str, sk: &str) -> Reply {
        let body = serde_json::json!({"status": "enabled", "secretKey": sk});
        self.send_enc("PUT", "add-user", &[("accessKey", ak)], &body)
            .await
    }

    pub async fn add_policy(&self, name: &str, doc: &Value) -> Reply {
        self.send_json("PUT", "add-canned-policy", &[("name", name)], doc)
            .await
    }

    pub async fn attach_user(&self, user: &str, policies: &[&str]) -> Reply {
        let body = serde_json::json!({"policies": policies, "user": user});
        self.send_enc("POST", "idp/builtin/policy/attach", &[], &body)
            .await
    }

    pub async fn attach_group(&self, group: &str, policies: &[&str]) -> Reply {
        let body = serde_json::json!({"policies": policies, "group": group});
        self.send_enc("POST", "idp/builtin/policy/attach", &[], &body)
            .await
    }

    pub async fn detach_user(&self, user: &str, policies: &[&str]) -> Reply {
        let body = serde_json::json!({"policies": policies, "user": user});
        self.send_enc("POST", "idp/builtin/policy/detach", &[], &body)
            .await
    }

    pub async fn user_info(&self, ak: &str) -> Reply {
        self.send("GET", "user-info", &[("accessKey", ak)], Vec::new())
            .await
    }

    pub async fn add_service_account(&self, body: &Value) -> Reply {
        self.send_enc("PUT", "add-service-account", &[], body).await
    }

    pub async fn update_service_account(&self, ak: &str, body: &Value) -> Reply {
        self.send_enc("POST", "update-service-account", &[("accessKey", ak)], body)
            .await
    }

    pub async fn group_members(&self, group: &str, members: &[&str], remove: bool) -> Reply {
        let body = serde_json::json!({"group": group, "members": members, "isRemove": remove});
        self.send_json("PUT", "update-group-members", &[], &body)
            .await
    }
}

/// The query string as the signer canonicalises it (sorted, RFC 3986 encoded).
pub fn query_string(query: &[(&str, &str)]) -> String {
    let mut enc: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    enc.sort();
    enc.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// One request on a fresh connection, body kept as bytes.
pub async fn raw(addr: SocketAddr, req: http::Request<Full<Bytes>>) -> Reply {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

/// A policy allowing `actions` (admin actions need no Resource) and nothing else.
pub fn allow(actions: &[&str]) -> Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions}]
    })
}

/// A policy allowing `allowed` and denying `denied`.
pub fn allow_deny(allowed: &[&str], denied: &[&str]) -> Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": allowed},
            {"Effect": "Deny", "Action": denied}
        ]
    })
}

/// A policy denying `actions`.
pub fn deny(actions: &[&str]) -> Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": actions}]
    })
}

/// Asserts a 2xx status, showing the body otherwise.
#[track_caller]
pub fn ok(r: &Reply) {
    assert!(
        (200..300).contains(&r.status),
        "status {}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
}

/// Asserts an admin JSON error with `status` and `code`.
#[track_caller]
pub fn refused(r: &Reply, status: u16, code: &str) {
    assert_eq!(
        (r.status, r.code().as_str()),
        (status, code),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
}

/// Root creates `user` with `policies` attached.
pub async fn user_with(s: &Running, user: &str, secret: &str, policies: &[&str]) -> Client {
    let root = s.root();
    ok(&root.add_user(user, secret).await);
    if !policies.is_empty() {
        ok(&root.attach_user(user, policies).await);
    }
    s.client(user, secret)
}
