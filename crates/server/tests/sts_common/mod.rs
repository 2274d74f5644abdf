//! Harness for the STS tests: an in-process server whose STS runs on a [`TestClock`], a SigV4
//! signer that takes the service (`sts`/`s3`), the payload-hash style and a session token, and
//! helpers to read STS XML.

#![allow(dead_code)] // each test file uses a different part

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use s3s::S3;
use sha2::{Digest, Sha256};
use strongbox_iam::Iam;
use strongbox_server::config::ServerArgs;
use strongbox_server::sts::Sts;
use strongbox_server::{Config, Drained, RootCredentials, Server};
use strongbox_sts::TestClock;
use time::OffsetDateTime;
use time::macros::format_description;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ROOT_USER: &str = "stsroot";
pub const ROOT_PASSWORD: &str = "stsroot-password";
pub const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

pub struct Running {
    pub addr: SocketAddr,
    pub iam: Arc<Iam>,
    pub sts: Arc<Sts>,
    pub clock: TestClock,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Drained>>,
}

/// A server on 127.0.0.1:0 over `dir`, root `stsroot`, extra environment `env`, STS clock at
/// the current wall time (s3s checks signature dates against the real clock).
pub async fn start(dir: &Path, env: &[(&str, &str)], backend: impl S3) -> Running {
    start_with(dir, env, ROOT_PASSWORD, backend).await
}

/// As [`start`] with another root password (rotation tests).
pub async fn start_with_root_password(dir: &Path, password: &str, backend: impl S3) -> Running {
    start_with(dir, &[], password, backend).await
}

async fn start_with(dir: &Path, env: &[(&str, &str)], password: &str, backend: impl S3) -> Running {
    let mut args = ServerArgs::new(dir);
    args.address = "127.0.0.1:0".into();
    let mut vars: HashMap<&str, &str> = env.iter().copied().collect();
    vars.insert("MINIO_ROOT_USER", ROOT_USER);
    vars.insert("MINIO_ROOT_PASSWORD", password);
    let config = Config::from_sources(&args, &vars).expect("valid config");
    let root = RootCredentials::new(ROOT_USER.into(), password.into()).unwrap();
    let iam = Arc::new(strongbox_server::authz::open_iam(dir, &root).unwrap());
    let clock = TestClock::new(OffsetDateTime::now_utc());
    let sts = Arc::new(
        Sts::open(
            Arc::clone(&iam),
            config.sts.clone(),
            Arc::new(clock.clone()),
        )
        .unwrap(),
    );
    let server = Server::bind_with_sts(&config, root, Arc::clone(&iam), Arc::clone(&sts), backend)
        .await
        .unwrap();
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async {
        let _ = rx.await;
    }));
    Running {
        addr,
        iam,
        sts,
        clock,
        shutdown: Some(tx),
        task: Some(task),
    }
}

impl Running {
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn root(&self) -> Signer {
        Signer::new(ROOT_USER, ROOT_PASSWORD)
    }

    pub async fn stop(mut self) -> Drained {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.take().unwrap().await.unwrap()
    }

    /// POST `body` to `/` signed by `signer` for service `sts`.
    pub async fn sts_call(&self, signer: &Signer, body: &str) -> Reply {
        let req = signer.request(&self.host(), "POST", "/", &[], body, &Sign::sts());
        send(self.addr, req).await
    }

    /// `Action=AssumeRole&Version=2011-06-15` plus `extra` (already encoded `k=v&...`).
    pub async fn assume_role(&self, signer: &Signer, extra: &str) -> Reply {
        let mut body = "Action=AssumeRole&Version=2011-06-15".to_owned();
        if !extra.is_empty() {
            body.push('&');
            body.push_str(extra);
        }
        self.sts_call(signer, &body).await
    }

    /// AssumeRole that must succeed; the credential as a signer.
    pub async fn temp_creds(&self, signer: &Signer, extra: &str) -> (Signer, Reply) {
        let r = self.assume_role(signer, extra).await;
        assert_eq!(r.status, 200, "{}", r.body);
        (Signer::from_response(&r.body), r)
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

pub async fn send(addr: SocketAddr, req: http::Request<Full<Bytes>>) -> Reply {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// The text of the first `<name>` element.
pub fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

/// Asserts `reply` is an STS error (namespace, `Type`, code) and returns its message.
pub fn sts_error<'a>(reply: &'a Reply, status: u16, code: &str) -> &'a str {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert!(
        reply.body.contains(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type></Type>"
        ),
        "not STS XML: {}",
        reply.body
    );
    assert_eq!(element(&reply.body, "Code"), Some(code), "{}", reply.body);
    let rid = reply
        .headers
        .get("x-amz-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(element(&reply.body, "RequestId"), Some(rid));
    element(&reply.body, "Message").unwrap_or_default()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

pub fn uri_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn amz_date(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .unwrap()
}

/// How to sign.
#[derive(Debug, Clone)]
pub struct Sign {
    pub service: &'static str,
    pub region: &'static str,
    /// `Some(v)`: send `x-amz-content-sha256: v` (signed) and use it as the payload hash;
    /// `None`: send no such header and hash the body (minio-py's AssumeRole).
    pub content_sha256: Option<String>,
    pub content_type: Option<&'static str>,
    /// Send the signer's session token (if any) as `X-Amz-Security-Token`.
    pub with_token: bool,
}

impl Sign {
    pub fn sts() -> Self {
        Self {
            service: "sts",
            region: "us-east-1",
            content_sha256: None,
            content_type: Some(FORM),
            with_token: true,
        }
    }
    pub fn s3() -> Self {
        Self {
            service: "s3",
            region: "us-east-1",
            content_sha256: Some(sha256_hex(b"")),
            content_type: None,
            with_token: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Signer {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
}

impl Signer {
    pub fn new(access_key: &str, secret_key: &str) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            session_token: None,
        }
    }

    /// The credential of an `AssumeRoleResponse`.
    pub fn from_response(xml: &str) -> Self {
        Self {
            access_key: element(xml, "AccessKeyId").unwrap().into(),
            secret_key: element(xml, "SecretAccessKey").unwrap().into(),
            session_token: Some(element(xml, "SessionToken").unwrap().into()),
        }
    }

    fn key(&self, date: &str, region: &str, service: &str) -> Vec<u8> {
        let k = hmac(format!("AWS4{}", self.secret_key).as_bytes(), date);
        let k = hmac(&k, region);
        let k = hmac(&k, service);
        hmac(&k, "aws4_request")
    }

    /// A header-signed request.
    pub fn request(
        &self,
        host: &str,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: &str,
        how: &Sign,
    ) -> http::Request<Full<Bytes>> {
        self.request_bytes(host, method, path, query, body.as_bytes(), how)
    }

    /// [`Signer::request`] with a binary body.
    pub fn request_bytes(
        &self,
        host: &str,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
        how: &Sign,
    ) -> http::Request<Full<Bytes>> {
        let t = OffsetDateTime::now_utc();
        let stamp = amz_date(t);
        let date = &stamp[..8];
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), host.into()),
            ("x-amz-date".into(), stamp.clone()),
        ];
        if let Some(v) = &how.content_sha256 {
            headers.push(("x-amz-content-sha256".into(), v.clone()));
        }
        if let Some(ct) = how.content_type {
            headers.push(("content-type".into(), ct.into()));
        }
        if how.with_token
            && let Some(tok) = &self.session_token
        {
            headers.push(("x-amz-security-token".into(), tok.clone()));
        }
        headers.sort();
        let canonical_headers: String = headers
            .iter()
            .map(|(k, v)| format!("{k}:{}\n", v.trim()))
            .collect();
        let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        let signed = signed.join(";");
        let payload = match &how.content_sha256 {
            Some(v) => v.clone(),
            None => sha256_hex(body),
        };
        let cq = canonical_query(query);
        let creq = format!("{method}\n{path}\n{cq}\n{canonical_headers}\n{signed}\n{payload}");
        let scope = format!("{date}/{}/{}/aws4_request", how.region, how.service);
        let sts = format!(
            "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
            sha256_hex(creq.as_bytes())
        );
        let sig = hex::encode(hmac(&self.key(date, how.region, how.service), &sts));
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}",
            self.access_key
        );
        let uri = if cq.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{cq}")
        };
        let mut b = http::Request::builder().method(method).uri(uri);
        for (k, v) in &headers {
            b = b.header(k.as_str(), v.as_str());
        }
        b = b.header("authorization", auth);
        b.body(Full::new(Bytes::copy_from_slice(body))).unwrap()
    }

    /// A presigned GET URL path+query for `path` (service `s3`), valid `expires` seconds, with
    /// the session token inside the signed query when the signer has one.
    pub fn presign(&self, host: &str, path: &str, expires: u64) -> String {
        let t = OffsetDateTime::now_utc();
        let stamp = amz_date(t);
        let date = &stamp[..8];
        let scope = format!("{date}/us-east-1/s3/aws4_request");
        let mut q: Vec<(String, String)> = vec![
            ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
            (
                "X-Amz-Credential".into(),
                format!("{}/{scope}", self.access_key),
            ),
            ("X-Amz-Date".into(), stamp.clone()),
            ("X-Amz-Expires".into(), expires.to_string()),
            ("X-Amz-SignedHeaders".into(), "host".into()),
        ];
        if let Some(tok) = &self.session_token {
            q.push(("X-Amz-Security-Token".into(), tok.clone()));
        }
        let pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let cq = canonical_query(&pairs);
        let creq = format!("GET\n{path}\n{cq}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
        let sts = format!(
            "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
            sha256_hex(creq.as_bytes())
        );
        let sig = hex::encode(hmac(&self.key(date, "us-east-1", "s3"), &sts));
        format!("{path}?{cq}&X-Amz-Signature={sig}")
    }
}

fn canonical_query(pairs: &[(&str, &str)]) -> String {
    let mut enc: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    enc.sort();
    enc.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// An unsigned request with a `Host` header.
pub fn plain(
    host: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> http::Request<Full<Bytes>> {
    let mut b = http::Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("host", host);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::new(Bytes::from(body.to_owned()))).unwrap()
}
