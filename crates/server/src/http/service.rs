//! The hyper service in front of s3s: a request id on every response and one log line per
//! request (target `strongbox::access`, level debug), with signature material redacted.
//! `duration_us` runs until the response head is ready; a streamed body goes on after it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures::future::BoxFuture;
use http::header::HeaderName;
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use rand::Rng;
use rustls::pki_types::CertificateDer;
use s3s::service::S3Service;
use s3s::{Body, S3Error, S3ErrorCode};
use tracing::Instrument;

use super::redact::redact_query;

/// The response header that names a request, as S3 and MinIO send it.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-amz-request-id");

/// Target of the per-request log line.
pub const ACCESS_LOG_TARGET: &str = "strongbox::access";

/// A request's id: 16 upper-case hex digits (MinIO's shape), unique within a process.
/// Stored in the request's extensions, so hooks and handlers can put it in errors and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Built from hex digits only, so always visible ASCII.
        self.0.to_str().unwrap_or_default()
    }
}

/// Facts about the connection a request came on, put into every request's extensions by the
/// listener. Policy conditions read `aws:SourceIp` and `aws:SecureTransport` from here, never from
/// headers such as `X-Forwarded-For`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The TCP peer.
    pub peer: SocketAddr,
    /// The connection is TLS.
    pub tls: bool,
    /// The client certificate chain the peer presented in the TLS handshake, leaf first, exactly
    /// as sent: **unverified** (only the handshake signature proves the peer holds the leaf's
    /// key). `None` on plain HTTP, when no certificate was requested
    /// (`MINIO_IDENTITY_TLS_ENABLE` off) or none was sent. Only the certificate identity
    /// provider may turn it into an identity, after verifying it against `CAs/`
    /// ([`crate::tls::load_cas`]).
    pub peer_certificates: Option<Arc<[CertificateDer<'static>]>>,
}

impl ConnectionInfo {
    /// A plain-HTTP connection from `peer`.
    #[must_use]
    pub fn plain(peer: SocketAddr) -> Self {
        Self {
            peer,
            tls: false,
            peer_certificates: None,
        }
    }
}

/// Serves one HTTP request by handing it to s3s (which also runs our routes and hooks).
#[derive(Clone)]
pub struct HttpService {
    s3: S3Service,
    next_id: Arc<AtomicU64>,
    connection: Option<ConnectionInfo>,
    /// STS state: temporary credentials and the STS endpoint (see [`crate::routes::sts::front`]).
    sts: Option<Arc<crate::sts::Sts>>,
    /// The Prometheus endpoint, answered before s3s (see [`crate::routes::metrics`]).
    metrics: Option<Arc<crate::routes::metrics::MetricsEndpoint>>,
    /// Plain reads answered without s3s (see [`crate::fast`]).
    direct: Option<Arc<crate::fast::DirectReadPath>>,
}

impl HttpService {
    #[must_use]
    pub fn new(s3: S3Service) -> Self {
        // Ids count up from a random start: unique in the process, not guessable across restarts.
        let start = rand::thread_rng().r#gen::<u64>();
        Self {
            s3,
            next_id: Arc::new(AtomicU64::new(start)),
            connection: None,
            sts: None,
            metrics: None,
            direct: None,
        }
    }

    /// Answer plain reads of objects in memory with `direct` (see [`crate::fast`]).
    #[must_use]
    pub fn with_direct_reads(mut self, direct: Arc<crate::fast::DirectReadPath>) -> Self {
        self.direct = Some(direct);
        self
    }

    /// Serve STS and accept temporary credentials with this state.
    #[must_use]
    pub fn with_sts(mut self, sts: Arc<crate::sts::Sts>) -> Self {
        self.sts = Some(sts);
        self
    }

    /// Serve `/minio/v2/metrics/*` with this endpoint.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<crate::routes::metrics::MetricsEndpoint>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The service for one accepted connection: its requests carry `info` in their extensions.
    #[must_use]
    pub fn for_connection(&self, info: ConnectionInfo) -> Self {
        Self {
            connection: Some(info),
            ..self.clone()
        }
    }

    fn next_request_id(&self) -> RequestId {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        // `{n:016X}` without the formatting machinery (this runs for every request).
        let mut digits = [0u8; 16];
        for (i, d) in digits.iter_mut().enumerate() {
            *d = HEX[((n >> (60 - 4 * i)) & 0xF) as usize];
        }
        let v = HeaderValue::from_bytes(&digits)
            .unwrap_or(HeaderValue::from_static("0000000000000000"));
        RequestId(v)
    }

    /// Handles one request; never fails (an internal failure becomes a 500 with an S3 error body).
    pub async fn handle(&self, req: Request<Body>) -> Response<Body> {
        let id = self.next_request_id();

        let line = tracing::enabled!(target: ACCESS_LOG_TARGET, tracing::Level::DEBUG).then(|| {
            RequestLine {
                method: req.method().to_string(),
                path: req.uri().path().to_owned(),
                query: req.uri().query().map(redact_query).unwrap_or_default(),
            }
        });
        let admin_path = req
            .uri()
            .path()
            .starts_with(crate::routes::admin::ANY_ADMIN_PREFIX)
            .then(|| req.uri().path().to_owned());
        let body_declared = declares_body(&req);
        // Only the access log line reads the clock.
        let start = line.is_some().then(Instant::now);
        let span = tracing::debug_span!("request", id = id.as_str());
        let result = match &self.metrics {
            Some(m) if crate::routes::metrics::MetricsEndpoint::is_for(&req) => Ok(m.answer(&req)),
            _ => {
                crate::routes::sts::front::call(
                    self.sts.as_ref(),
                    self.direct.as_deref(),
                    &self.s3,
                    req,
                    crate::routes::sts::front::Tags {
                        id: &id,
                        connection: self.connection.as_ref(),
                    },
                )
                .instrument(span)
                .await
            }
        };
        let mut resp = result.unwrap_or_else(|e| {
            let e: Box<dyn std::error::Error + Send + Sync> = e.into();
            tracing::error!(request_id = id.as_str(), error = %e, "request failed inside the S3 service");
            internal_error()
        });
        if let Some(path) = &admin_path {
            // s3s refused the signature before the admin route ran: answer in the admin shape.
            resp = crate::routes::admin::error::admin_error_as_json(resp, path, id.as_str());
        }
        resp.headers_mut().insert(REQUEST_ID_HEADER, id.0.clone());
        if body_declared && (resp.status().is_client_error() || resp.status().is_server_error()) {
            // A refusal may come before the body was read (or before `100 Continue` was sent):
            // close rather than leave the client's body on the connection (RFC 9110 §10.1.1).
            resp.headers_mut()
                .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        }

        if let Some(line) = line {
            tracing::debug!(
                target: ACCESS_LOG_TARGET,
                request_id = id.as_str(),
                method = %line.method,
                path = %line.path,
                query = %line.query,
                status = resp.status().as_u16(),
                duration_us = start
                    .map_or(u64::MAX, |s| u64::try_from(s.elapsed().as_micros()).unwrap_or(u64::MAX)),
                "request"
            );
        }
        resp
    }
}

/// An HTTP/1 request that announces a body (HTTP/2 frames bodies itself and forbids `Connection`).
fn declares_body<B>(req: &Request<B>) -> bool {
    if req.version() > http::Version::HTTP_11 {
        return false;
    }
    let h = req.headers();
    h.contains_key(http::header::TRANSFER_ENCODING)
        || h.get(http::header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

struct RequestLine {
    method: String,
    path: String,
    query: String,
}

fn internal_error() -> Response<Body> {
    S3Error::with_message(
        S3ErrorCode::InternalError,
        "We encountered an internal error. Please try again.",
    )
    .to_http_response()
    .unwrap_or_else(|_| {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

impl hyper::service::Service<Request<Incoming>> for HttpService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle(req.map(Body::from)).await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_hex() {
        let svc = HttpService::new(s3s::service::S3ServiceBuilder::new(NoS3).build());
        let a = svc.next_request_id();
        let b = svc.next_request_id();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 16);
        let n = u64::from_str_radix(a.as_str(), 16).unwrap();
        assert_eq!(b.as_str(), format!("{:016X}", n.wrapping_add(1)));
        assert!(
            a.as_str()
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        );
    }

    struct NoS3;
    impl s3s::S3 for NoS3 {}
}
