//! MinIO's Prometheus endpoints, `GET /minio/v2/metrics/cluster` and `/minio/v2/metrics/node`
//! (one node: both serve the same text, [`crate::metrics::Metrics::render`]).
//!
//! Answered in front of s3s ([`crate::http::HttpService`]), because the scraper's
//! `Authorization: Bearer <JWT>` is no S3 signature and s3s would refuse it.
//!
//! Access (`MINIO_PROMETHEUS_AUTH_TYPE`):
//! - `jwt` (default): the bearer token `mc admin prometheus generate` prints: a JWT signed
//!   HS512 with the root secret key, `sub` the root access key, `exp` required and in the
//!   future (`nbf`, when present, in the past; `iss` not checked). The algorithm is pinned:
//!   any other `alg` (HS256, `none`, ...) is refused. Signature and `sub` compare in constant
//!   time. MinIO also accepts tokens of other users allowed `admin:Prometheus`; we accept
//!   root's only.
//! - `public`: no token needed.
//!
//! Every refusal is the same S3 XML `AccessDenied` (403); the reason goes to the debug log only.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use s3s::{Body, S3Error, S3ErrorCode};
use serde_json::Value;
use sha2::Sha512;
use subtle::ConstantTimeEq as _;

use crate::credentials::RootCredentials;
use crate::metrics::Metrics;

pub const CLUSTER_PATH: &str = "/minio/v2/metrics/cluster";
pub const NODE_PATH: &str = "/minio/v2/metrics/node";
/// The variable that chooses [`PrometheusAuth`].
pub const AUTH_TYPE_VAR: &str = "MINIO_PROMETHEUS_AUTH_TYPE";
/// Longest `Authorization` header considered.
const MAX_TOKEN_LEN: usize = 4096;
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Who may read the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrometheusAuth {
    /// A bearer JWT signed with the root secret (MinIO's default).
    #[default]
    Jwt,
    /// Anyone.
    Public,
}

impl PrometheusAuth {
    /// `jwt` or `public` (any case), as `MINIO_PROMETHEUS_AUTH_TYPE` takes it.
    pub fn parse(v: &str) -> Result<Self, String> {
        match v.trim().to_ascii_lowercase().as_str() {
            "jwt" => Ok(Self::Jwt),
            "public" => Ok(Self::Public),
            _ => Err(format!("{v:?} is neither \"jwt\" nor \"public\"")),
        }
    }
}

/// The metrics endpoint of one server.
#[derive(Debug)]
pub struct MetricsEndpoint {
    metrics: Arc<Metrics>,
    sts: Option<Arc<crate::sts::Sts>>,
    root: RootCredentials,
    auth: PrometheusAuth,
}

impl MetricsEndpoint {
    #[must_use]
    pub fn new(
        metrics: Arc<Metrics>,
        sts: Option<Arc<crate::sts::Sts>>,
        root: RootCredentials,
        auth: PrometheusAuth,
    ) -> Self {
        Self {
            metrics,
            sts,
            root,
            auth,
        }
    }

    /// Whether `req` is for this endpoint.
    #[must_use]
    pub fn is_for<B>(req: &Request<B>) -> bool {
        req.method() == Method::GET && matches!(req.uri().path(), CLUSTER_PATH | NODE_PATH)
    }

    /// The answer to a request [`Self::is_for`] matched.
    #[must_use]
    pub fn answer<B>(&self, req: &Request<B>) -> Response<Body> {
        if self.auth == PrometheusAuth::Jwt {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            if let Err(why) = verify(req.headers(), &self.root, now) {
                tracing::debug!("metrics request refused: {why}");
                return access_denied();
            }
        }
        let issued = self.sts.as_ref().map(|s| s.audit().recorded());
        let mut resp = Response::new(Body::from(self.metrics.render(issued)));
        resp.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(CONTENT_TYPE),
        );
        resp
    }
}

fn access_denied() -> Response<Body> {
    S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied.")
        .to_http_response()
        .unwrap_or_else(|_| {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::FORBIDDEN;
            r
        })
}

/// Checks the request's bearer token against the root credentials at `now` (Unix seconds).
fn verify(headers: &HeaderMap, root: &RootCredentials, now: i64) -> Result<(), &'static str> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or("no Authorization header")?;
    if value.len() > MAX_TOKEN_LEN {
        return Err("Authorization header too long");
    }
    let value = value.to_str().map_err(|_| "Authorization is not text")?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or("not a bearer token")?
        .trim();
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a JWT");
    };
    let header: Value = decode_json(header).ok_or("unreadable JWT header")?;
    if header.get("alg").and_then(Value::as_str) != Some("HS512") {
        return Err("JWT algorithm is not HS512");
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "unreadable JWT signature")?;
    // `header.payload`: everything before the last dot (there are exactly two).
    let signed_len = signed_part_len(token);
    let mut mac = Hmac::<Sha512>::new_from_slice(root.secret_key().expose().as_bytes())
        .map_err(|_| "unusable key")?;
    mac.update(&token.as_bytes()[..signed_len]);
    mac.verify_slice(&signature)
        .map_err(|_| "JWT signature does not verify")?;
    let claims: Value = decode_json(payload).ok_or("unreadable JWT claims")?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or("JWT without a numeric exp")?;
    if exp <= now {
        return Err("JWT expired");
    }
    if let Some(nbf) = claims.get("nbf")
        && nbf.as_i64().is_none_or(|nbf| nbf > now)
    {
        return Err("JWT not valid yet");
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or("JWT without sub")?;
    if !bool::from(sub.as_bytes().ct_eq(root.access_key().as_bytes())) {
        return Err("JWT sub is not the root access key");
    }
    Ok(())
}

/// Where the signed part `header.payload` of a three-segment token ends.
fn signed_part_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(0)
}

fn decode_json(segment: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn root() -> RootCredentials {
        RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap()
    }

    fn jwt(alg: &str, key: &str, claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{payload}");
        let sig = match alg {
            "HS256" => {
                let mut m = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
                m.update(signed.as_bytes());
                m.finalize().into_bytes().to_vec()
            }
            _ => {
                let mut m = Hmac::<Sha512>::new_from_slice(key.as_bytes()).unwrap();
                m.update(signed.as_bytes());
                m.finalize().into_bytes().to_vec()
            }
        };
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn check(token: &str) -> Result<(), &'static str> {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        verify(&h, &root(), NOW)
    }

    #[test]
    fn tokens() {
        let good = serde_json::json!({"exp": NOW + 60, "sub": "rootuser", "iss": "prometheus"});
        assert_eq!(check(&jwt("HS512", "rootpassword", &good)), Ok(()));
        assert!(verify(&HeaderMap::new(), &root(), NOW).is_err());
        assert!(check(&jwt("HS512", "otherpassword", &good)).is_err());
        assert!(check(&jwt("HS256", "rootpassword", &good)).is_err());
        assert!(check(&jwt("none", "rootpassword", &good)).is_err());
        for claims in [
            serde_json::json!({"exp": NOW - 1, "sub": "rootuser"}),
            serde_json::json!({"sub": "rootuser"}),
            serde_json::json!({"exp": NOW + 60, "sub": "someone"}),
            serde_json::json!({"exp": NOW + 60}),
            serde_json::json!({"exp": NOW + 60, "sub": "rootuser", "nbf": NOW + 10}),
        ] {
            assert!(
                check(&jwt("HS512", "rootpassword", &claims)).is_err(),
                "{claims}"
            );
        }
        // A good token with its payload swapped for another one no longer verifies.
        let token = jwt("HS512", "rootpassword", &good);
        let forged = serde_json::json!({"exp": NOW + 999_999, "sub": "rootuser"});
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
        assert!(check(&parts.join(".")).is_err());
        assert!(check("a.b").is_err());
        assert!(check(&"x".repeat(MAX_TOKEN_LEN)).is_err());
    }

    #[test]
    fn auth_type() {
        assert_eq!(PrometheusAuth::parse("public"), Ok(PrometheusAuth::Public));
        assert_eq!(PrometheusAuth::parse("JWT"), Ok(PrometheusAuth::Jwt));
        assert!(PrometheusAuth::parse("open").is_err());
    }
}
