//! Endpoints that are not S3 operations, served on the same port through s3s's `S3Route` hook.
//!
//! s3s first verifies any signature (so `req.credentials` is trustworthy), then asks
//! [`Routes::is_match`]. [`Endpoint::classify`] is the one table of non-S3 endpoints; each has its
//! own file and its own access rule in [`Routes::check_access`]. Issue 3/4 add STS
//! (`POST /` with `Action=`) and admin (`/minio/admin/v3/...`) here; routes that need a caller
//! use [`crate::identity::authenticate`] exactly as the S3 access hook does, and read bodies with
//! [`read_body`], never unbounded.
//!
//! Exception: [`metrics`] (`/minio/v2/metrics/*`) is answered in front of s3s by
//! [`crate::http::HttpService`], since its bearer token is no S3 signature.

pub mod admin;
mod health;
pub mod metrics;
pub mod sts;

use std::sync::Arc;

use bytes::Bytes;
use http::{Extensions, HeaderMap, Method, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use crate::identity::Identities;
use crate::state::ServerState;

/// Every non-S3 endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET|HEAD /minio/health/live`: the process serves HTTP.
    HealthLive,
    /// `GET|HEAD /minio/health/ready`: the server takes new requests.
    HealthReady,
    /// Anything under `/minio/admin/`: the MinIO admin API ([`admin`]), which answers unknown
    /// paths itself with a JSON error.
    Admin,
    /// STS (spec §1.1): `POST` whose form body or query names an STS action, on any path
    /// ([`sts`]). Recognised in front of s3s too ([`sts::front`]).
    Sts(strongbox_sts::StsRoute),
}

impl Endpoint {
    /// Which endpoint a request is for, or `None` for S3.
    #[must_use]
    pub fn classify(method: &Method, uri: &Uri, headers: &HeaderMap) -> Option<Self> {
        let read = method == Method::GET || method == Method::HEAD;
        match uri.path() {
            "/minio/health/live" if read => Some(Self::HealthLive),
            "/minio/health/ready" if read => Some(Self::HealthReady),
            p if p.starts_with(admin::ANY_ADMIN_PREFIX) => Some(Self::Admin),
            _ => Self::classify_sts(method, uri, headers),
        }
    }

    fn classify_sts(method: &Method, uri: &Uri, headers: &HeaderMap) -> Option<Self> {
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let sigv4 = header(http::header::AUTHORIZATION)
            .is_some_and(strongbox_sts::route::is_sigv4_authorization);
        strongbox_sts::match_route(
            method.as_str(),
            header(http::header::CONTENT_TYPE),
            sigv4,
            uri.query().unwrap_or(""),
        )
        .map(Self::Sts)
    }
}

/// The `S3Route` installed in the s3s service.
#[derive(Debug, Clone)]
pub struct Routes {
    state: Arc<ServerState>,
    identities: Arc<Identities>,
    sts: Option<Arc<crate::sts::Sts>>,
}

impl Routes {
    #[must_use]
    pub fn new(state: Arc<ServerState>, identities: Arc<Identities>) -> Self {
        Self {
            state,
            identities,
            sts: None,
        }
    }

    /// Serve STS with this state (without it STS answers `STSNotInitialized`).
    #[must_use]
    pub fn with_sts(mut self, sts: Arc<crate::sts::Sts>) -> Self {
        self.sts = Some(sts);
        self
    }
}

#[async_trait::async_trait]
impl S3Route for Routes {
    fn is_match(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        extensions: &mut Extensions,
    ) -> bool {
        match Endpoint::classify(method, uri, headers) {
            Some(endpoint) => {
                extensions.insert(endpoint);
                true
            }
            None => false,
        }
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        match endpoint(req)? {
            // Probes come without credentials (MinIO behaves the same).
            Endpoint::HealthLive | Endpoint::HealthReady => Ok(()),
            // The admin handler authenticates itself, so that refusals are admin JSON errors.
            Endpoint::Admin => Ok(()),
            // STS answers every refusal itself, as STS XML.
            Endpoint::Sts(_) => Ok(()),
        }
    }

    async fn call(&self, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        match endpoint(&req)? {
            Endpoint::HealthLive => Ok(health::live()),
            Endpoint::HealthReady => Ok(health::ready(&self.state)),
            Endpoint::Admin => {
                let ldap = self.sts.as_ref().and_then(|s| s.ldap());
                let buckets = self.state.buckets().cloned();
                Ok(admin::handle(self.state.iam(), &self.identities, ldap, buckets, req).await)
            }
            Endpoint::Sts(_) => sts::handle(self.sts.as_ref(), req).await,
        }
    }
}

fn endpoint<T>(req: &S3Request<T>) -> S3Result<Endpoint> {
    req.extensions
        .get::<Endpoint>()
        .copied()
        .ok_or_else(|| S3Error::with_message(S3ErrorCode::InternalError, "route without endpoint"))
}

/// Reads a whole request body of at most `limit` bytes; a longer one is `MaxMessageLengthExceeded`.
pub async fn read_body(body: &mut Body, limit: usize) -> S3Result<Bytes> {
    use http_body_util::BodyExt;
    let limited = http_body_util::Limited::new(std::mem::take(body), limit);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(S3Error::with_message(
            S3ErrorCode::MaxMessageLengthExceeded,
            "Your request was too big.",
        )),
        Err(e) => Err(S3Error::with_source(S3ErrorCode::IncompleteBody, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_is_the_table_of_non_s3_endpoints() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        let h = HeaderMap::new();
        let cases = [
            (
                Method::GET,
                "/minio/health/live",
                Some(Endpoint::HealthLive),
            ),
            (
                Method::HEAD,
                "/minio/health/live",
                Some(Endpoint::HealthLive),
            ),
            (
                Method::GET,
                "/minio/health/ready",
                Some(Endpoint::HealthReady),
            ),
            (
                Method::HEAD,
                "/minio/health/ready?x=1",
                Some(Endpoint::HealthReady),
            ),
            (Method::PUT, "/minio/health/live", None),
            (Method::GET, "/minio/health/live/", None),
            (Method::GET, "/minio/health", None),
            (Method::GET, "/bucket/minio/health/live", None),
            (
                Method::PUT,
                "/minio/admin/v3/add-user?accessKey=a",
                Some(Endpoint::Admin),
            ),
            (
                Method::POST,
                "/minio/admin/v3/idp/builtin/policy/attach",
                Some(Endpoint::Admin),
            ),
            (Method::GET, "/minio/admin/v2/info", Some(Endpoint::Admin)),
            (Method::GET, "/minio/adminx", None),
            (Method::GET, "/bucket/minio/admin/v3/add-user", None),
        ];
        for (method, path, expected) in cases {
            assert_eq!(
                Endpoint::classify(&method, &uri(path), &h),
                expected,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn ready_turns_503_while_draining() {
        let root = crate::RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
        let iam = strongbox_iam::Iam::with_store(
            Arc::new(strongbox_iam::MemoryStore::new()),
            crate::authz::iam_config(&root),
        )
        .unwrap();
        let state = ServerState::new(Arc::new(iam));
        assert_eq!(health::ready(&state).status, Some(http::StatusCode::OK));
        state.start_draining();
        assert_eq!(
            health::ready(&state).status,
            Some(http::StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(health::live().status, Some(http::StatusCode::OK));
    }

    #[tokio::test]
    async fn read_body_is_bounded() {
        let mut small = Body::from(Bytes::from_static(b"0123456789"));
        assert_eq!(
            read_body(&mut small, 10).await.unwrap(),
            Bytes::from_static(b"0123456789")
        );
        let mut big = Body::from(Bytes::from_static(b"0123456789A"));
        let err = read_body(&mut big, 10).await.unwrap_err();
        assert_eq!(err.code(), &S3ErrorCode::MaxMessageLengthExceeded);
    }
}
