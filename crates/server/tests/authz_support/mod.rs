//! The real server (fs backend) in process on 127.0.0.1:0, with its IAM at hand, and signed raw
//! requests by any credential.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use strongbox_iam::{Iam, Status};
use strongbox_server::config::ServerArgs;
use strongbox_server::{Config, Server, credentials};
use strongbox_storage::FsBackend;
use tempfile::TempDir;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::common::sigv4::{Signer, sha256_hex, uri_encode};
use crate::common::{Reply, request, send};

pub const ROOT: (&str, &str) = ("rootuser", "rootpassword");

pub struct Srv {
    pub addr: SocketAddr,
    pub iam: Arc<Iam>,
    dir: TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<strongbox_server::Drained>>,
}

async fn serve(
    dir: &TempDir,
) -> (
    SocketAddr,
    Arc<Iam>,
    oneshot::Sender<()>,
    JoinHandle<strongbox_server::Drained>,
) {
    let mut args = ServerArgs::new(dir.path());
    args.address = "127.0.0.1:0".into();
    let env: HashMap<&str, &str> = [("MINIO_ROOT_USER", ROOT.0), ("MINIO_ROOT_PASSWORD", ROOT.1)]
        .into_iter()
        .collect();
    let config = Config::from_sources(&args, &env).expect("valid config");
    let (root, _) = credentials::resolve(&config.root_credentials, &config.data_dir).unwrap();
    let backend = FsBackend::open(dir.path()).await.unwrap();
    let server = Server::bind(&config, root, backend).await.unwrap();
    let addr = server.local_addr();
    let iam = Arc::clone(server.iam());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async {
        let _ = rx.await;
    }));
    (addr, iam, tx, task)
}

impl Srv {
    pub async fn start() -> Srv {
        let dir = tempfile::tempdir().unwrap();
        let (addr, iam, tx, task) = serve(&dir).await;
        Srv {
            addr,
            iam,
            dir,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Stops the server and starts a new one on the same data directory.
    pub async fn restart(mut self) -> Srv {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        drop(self.iam);
        let (addr, iam, tx, task) = serve(&self.dir).await;
        Srv {
            addr,
            iam,
            dir: self.dir,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// A request signed by `who` (access key, secret). `query` pairs are sent and signed as
    /// given; `headers` are signed too (lower-case names).
    pub async fn signed(
        &self,
        who: (&str, &str),
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let host = self.addr.to_string();
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let signer = Signer::new(who.0, who.1, "us-east-1");
        let h = signer.sign(
            method,
            &host,
            path,
            &pairs,
            &sha256_hex(body),
            OffsetDateTime::now_utc(),
            headers,
        );
        let uri = with_query(path, query);
        send(self.addr, request_bytes(method, &host, &uri, &h, body)).await
    }

    /// An unsigned request.
    pub async fn anonymous(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let host = self.addr.to_string();
        let uri = with_query(path, query);
        send(self.addr, request_bytes(method, &host, &uri, &[], body)).await
    }

    pub async fn root(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        self.signed(ROOT, method, path, query, &[], body).await
    }

    /// An IAM user with `secret`, holding the named `policies`.
    pub fn user(&self, name: &str, secret: &str, policies: &[&str]) {
        self.iam.add_user(name, secret, Status::Enabled).unwrap();
        if !policies.is_empty() {
            self.iam
                .attach_policies(&strongbox_iam::PolicyTarget::User(name.into()), policies)
                .unwrap();
        }
    }

    /// Root creates `bucket` and puts `objects` (key, body) in it.
    pub async fn bucket_with(&self, bucket: &str, objects: &[(&str, &str)]) {
        let r = self.root("PUT", &format!("/{bucket}"), &[], b"").await;
        assert_eq!(r.status, 200, "create {bucket}: {}", r.body);
        for (key, body) in objects {
            let r = self
                .root("PUT", &format!("/{bucket}/{key}"), &[], body.as_bytes())
                .await;
            assert_eq!(r.status, 200, "put {bucket}/{key}: {}", r.body);
        }
    }
}

fn with_query(path: &str, query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                uri_encode(k)
            } else {
                format!("{}={}", uri_encode(k), uri_encode(v))
            }
        })
        .collect();
    format!("{path}?{}", q.join("&"))
}

fn request_bytes(
    method: &str,
    host: &str,
    uri: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let mut req = request(method, host, uri, headers, "");
    *req.body_mut() = http_body_util::Full::new(bytes::Bytes::copy_from_slice(body));
    req
}

/// The `<Message>` of an S3 error body.
pub fn error_message(body: &str) -> Option<&str> {
    let start = body.find("<Message>")? + "<Message>".len();
    let end = body[start..].find("</Message>")? + start;
    Some(&body[start..end])
}

/// A policy document with one statement per `(effect, actions, resources)`.
pub fn policy(statements: &[(&str, &[&str], &[&str])]) -> String {
    let st: Vec<String> = statements
        .iter()
        .map(|(effect, actions, resources)| {
            format!(
                r#"{{"Effect":"{effect}","Action":{},"Resource":{}}}"#,
                json_list(actions),
                json_list(resources)
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        st.join(",")
    )
}

pub fn json_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(","))
}
