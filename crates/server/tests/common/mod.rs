//! A running in-process server and a raw HTTP/1.1 client for tests.

pub mod direct;
pub mod sigv4;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use s3s::S3;
use strongbox_server::config::ServerArgs;
use strongbox_server::credentials::{self, Origin};
use strongbox_server::{Config, Drained, RootCredentials, Server};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct Running {
    pub addr: SocketAddr,
    pub root: RootCredentials,
    pub origin: Origin,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Drained>>,
}

pub async fn start(dir: &Path, env: &[(&str, &str)], backend: impl S3) -> Running {
    let mut args = ServerArgs::new(dir);
    args.address = "127.0.0.1:0".into();
    let env: HashMap<&str, &str> = env.iter().copied().collect();
    let config = Config::from_sources(&args, &env).expect("valid config");
    let (root, origin) = credentials::resolve(&config.root_credentials, &config.data_dir).unwrap();
    let server = Server::bind(&config, root.clone(), backend).await.unwrap();
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async {
        let _ = rx.await;
    }));
    Running {
        addr,
        root,
        origin,
        shutdown: Some(tx),
        task: Some(task),
    }
}

impl Running {
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn signer(&self) -> sigv4::Signer {
        sigv4::Signer::new(
            self.root.access_key(),
            self.root.secret_key().expose(),
            "us-east-1",
        )
    }

    /// Signals shutdown and waits for serving to end.
    pub async fn stop(mut self) -> Drained {
        self.begin_stop();
        self.task.take().unwrap().await.unwrap()
    }

    pub fn begin_stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    pub async fn join(mut self) -> Drained {
        self.task.take().unwrap().await.unwrap()
    }
}

/// An open HTTP/1.1 connection.
pub struct Conn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

pub async fn connect(addr: SocketAddr) -> std::io::Result<Conn> {
    let stream = TcpStream::connect(addr).await?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    Ok(Conn { sender })
}

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Conn {
    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> Reply {
        let resp: Response<hyper::body::Incoming> = self.sender.send_request(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// One request on a fresh connection.
pub async fn send(addr: SocketAddr, req: Request<Full<Bytes>>) -> Reply {
    connect(addr).await.unwrap().send(req).await
}

/// A request with `headers` (e.g. from the signer) and a `Host` header.
pub fn request(
    method: &str,
    host: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &str,
) -> Request<Full<Bytes>> {
    let mut b = Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("host", host);
    for (k, v) in headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(Full::new(Bytes::from(body.to_owned()))).unwrap()
}

/// The `<Code>` of an S3 error body.
pub fn error_code(body: &str) -> Option<&str> {
    let start = body.find("<Code>")? + "<Code>".len();
    let end = body[start..].find("</Code>")? + start;
    Some(&body[start..end])
}
