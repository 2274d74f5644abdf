//! A minimal S3 client for setting up and timing benchmark objects: path-style requests,
//! SigV4 header auth with our own signer, one fresh HTTP/1.1 connection per call.

use crate::sigv4::{self, Credentials, EMPTY_PAYLOAD_SHA256, Endpoint};
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use std::convert::Infallible;
use std::net::SocketAddr;
use time::OffsetDateTime;
use tokio::net::TcpStream;

/// Error bodies are read up to this many bytes for the message.
const MAX_ERROR_BODY: usize = 4096;
/// Longest body [`S3Client::call`] accepts (admin and STS answers are a few KiB).
pub const MAX_ANSWER_BODY: usize = 256 * 1024;

type Body = BoxBody<Bytes, Infallible>;

pub struct S3Client {
    addr: SocketAddr,
    host: String,
    region: String,
    creds: Credentials,
    /// Sent (and signed) as `x-amz-security-token` when the credentials are temporary.
    session_token: Option<String>,
}

/// A whole response of [`S3Client::call`]: status and (bounded) body.
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl S3Client {
    pub fn new(addr: SocketAddr, region: &str, creds: Credentials) -> Self {
        Self {
            addr,
            host: addr.to_string(),
            region: region.to_owned(),
            creds,
            session_token: None,
        }
    }

    /// The same endpoint with temporary credentials and their session token.
    pub fn with_session(&self, creds: Credentials, session_token: String) -> Self {
        Self {
            addr: self.addr,
            host: self.host.clone(),
            region: self.region.clone(),
            creds,
            session_token: Some(session_token),
        }
    }

    /// Where requests go and in which region they are signed.
    pub fn endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            host: &self.host,
            region: &self.region,
        }
    }

    pub fn creds(&self) -> &Credentials {
        &self.creds
    }

    /// A signed request for `service` with a query and a body, answered in full (the body read up
    /// to [`MAX_ANSWER_BODY`] bytes). For the admin API (`s3`) and STS (`sts`).
    pub async fn call(
        &self,
        service: &str,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Bytes,
        extra: &[(&str, &str)],
    ) -> Result<Answer> {
        let hash = hex::encode(Sha256::digest(&body));
        let len = body.len().to_string();
        let mut headers: Vec<(&str, &str)> = vec![("content-length", &len)];
        headers.extend_from_slice(extra);
        if let Some(token) = &self.session_token {
            headers.push(("x-amz-security-token", token));
        }
        let signed = sigv4::sign(
            &self.creds,
            &self.endpoint(),
            service,
            OffsetDateTime::now_utc(),
            &sigv4::Request {
                method: method.as_str(),
                path,
                query,
                headers: &headers,
                payload_hash: &hash,
            },
        );
        let query = sigv4::canonical_query(query);
        let resp = self
            .send(method, path, &query, signed, Full::new(body).boxed())
            .await?;
        let status = resp.status();
        let body = read_limited(resp, MAX_ANSWER_BODY).await?;
        Ok(Answer { status, body })
    }

    /// Headers (including `authorization`) for a request signed now.
    pub fn sign(
        &self,
        method: &str,
        path: &str,
        payload_hash: &str,
        extra: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let mut headers = extra.to_vec();
        if let Some(token) = &self.session_token {
            headers.push(("x-amz-security-token", token));
        }
        sigv4::sign_s3(
            &self.creds,
            &self.endpoint(),
            OffsetDateTime::now_utc(),
            method,
            path,
            payload_hash,
            &headers,
        )
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &str,
        headers: Vec<(String, String)>,
        body: Body,
    ) -> Result<Response<Incoming>> {
        let stream = TcpStream::connect(self.addr).await.context("connect")?;
        stream.set_nodelay(true)?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let mut uri = sigv4::uri_encode(path, true);
        if !query.is_empty() {
            uri.push('?');
            uri.push_str(query);
        }
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in &headers {
            builder = builder.header(name, value);
        }
        Ok(sender.send_request(builder.body(body)?).await?)
    }

    /// PUT /bucket. An existing bucket we own is fine too.
    pub async fn create_bucket(&self, bucket: &str) -> Result<()> {
        let path = format!("/{bucket}");
        let headers = self.sign("PUT", &path, EMPTY_PAYLOAD_SHA256, &[]);
        let resp = self
            .send(
                Method::PUT,
                &path,
                "",
                headers,
                Full::new(Bytes::new()).boxed(),
            )
            .await?;
        let status = resp.status();
        let text = read_bounded(resp).await;
        if status.is_success() || text.contains("BucketAlreadyOwnedByYou") {
            return Ok(());
        }
        bail!("CreateBucket {bucket}: {status}: {text}")
    }

    /// PUT a small object with a signed payload hash; returns the ETag (without quotes).
    pub async fn put_small(&self, path: &str, body: Bytes) -> Result<String> {
        let hash = hex::encode(Sha256::digest(&body));
        let len = body.len().to_string();
        let headers = self.sign("PUT", path, &hash, &[("content-length", &len)]);
        let resp = self
            .send(Method::PUT, path, "", headers, Full::new(body).boxed())
            .await?;
        etag_of(resp, path).await
    }

    /// PUT `len` bytes made of `chunks`, streamed with `UNSIGNED-PAYLOAD` and no Content-MD5.
    pub async fn put_stream(&self, path: &str, len: u64, chunks: Vec<Bytes>) -> Result<String> {
        let len_text = len.to_string();
        let headers = self.sign(
            "PUT",
            path,
            sigv4::UNSIGNED_PAYLOAD,
            &[("content-length", &len_text)],
        );
        let frames = futures::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, Infallible>(Frame::data(c))),
        );
        let resp = self
            .send(
                Method::PUT,
                path,
                "",
                headers,
                StreamBody::new(frames).boxed(),
            )
            .await?;
        etag_of(resp, path).await
    }

    /// GET an object, handing each body chunk to `check` (called with the offset of the chunk).
    /// Returns the number of body bytes.
    pub async fn get_with(
        &self,
        path: &str,
        mut check: impl FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<u64> {
        let headers = self.sign("GET", path, EMPTY_PAYLOAD_SHA256, &[]);
        let resp = self
            .send(
                Method::GET,
                path,
                "",
                headers,
                Full::new(Bytes::new()).boxed(),
            )
            .await?;
        let status = resp.status();
        if status != StatusCode::OK {
            bail!("GET {path}: {status}: {}", read_bounded(resp).await);
        }
        let mut body = resp.into_body();
        let mut offset = 0u64;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                check(offset, &data)?;
                offset += data.len() as u64;
            }
        }
        Ok(offset)
    }
}

async fn etag_of(resp: Response<Incoming>, path: &str) -> Result<String> {
    let status = resp.status();
    let etag = resp
        .headers()
        .get(http::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_matches('"').to_owned());
    if !status.is_success() {
        bail!("PUT {path}: {status}: {}", read_bounded(resp).await);
    }
    etag.with_context(|| format!("PUT {path}: no ETag in the response"))
}

/// Read at most [`MAX_ERROR_BODY`] bytes of a response body as text (for error messages).
async fn read_bounded(resp: Response<Incoming>) -> String {
    let mut body = resp.into_body();
    let mut buf = Vec::new();
    while buf.len() < MAX_ERROR_BODY {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            _ => break,
        }
    }
    buf.truncate(MAX_ERROR_BODY);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Read a whole response body, failing if it is longer than `limit` bytes.
async fn read_limited(resp: Response<Incoming>, limit: usize) -> Result<Bytes> {
    let mut body = resp.into_body();
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            if buf.len() + data.len() > limit {
                bail!("response body over {limit} bytes");
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}
