//! The provider's discovery document (OpenID Connect Discovery 1.0 §3): the issuer every token
//! must name, where the keys are, and the UserInfo endpoint.

use serde::Deserialize;

use crate::http::{HttpClient, parse_url};

/// Largest discovery document read.
pub const MAX_DISCOVERY_BYTES: usize = 256 * 1024;

/// What we use of the discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Discovery {
    /// Tokens must carry exactly this `iss` (MinIO never checks it, spec §17.3).
    pub issuer: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint: Option<String>,
}

impl Discovery {
    /// Parses and checks a discovery document.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let d: Discovery = serde_json::from_slice(bytes)
            .map_err(|e| format!("not an OpenID discovery document: {e}"))?;
        if d.issuer.is_empty() {
            return Err("the discovery document has an empty issuer".into());
        }
        parse_url(&d.jwks_uri)
            .map_err(|_| format!("jwks_uri {:?} is not an http(s) URL", d.jwks_uri))?;
        if let Some(u) = &d.userinfo_endpoint {
            parse_url(u).map_err(|_| format!("userinfo_endpoint {u:?} is not an http(s) URL"))?;
        }
        Ok(d)
    }

    /// Fetches `config_url` (must answer 200 within the client's timeout).
    pub async fn fetch(http: &HttpClient, config_url: &str) -> Result<Self, String> {
        let body = http
            .get(config_url, MAX_DISCOVERY_BYTES)
            .await
            .map_err(|e| format!("cannot fetch the discovery document {config_url}: {e}"))?;
        Self::parse(&body).map_err(|e| format!("{config_url}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_requires_issuer_and_jwks_uri() {
        let d = Discovery::parse(
            br#"{"issuer":"http://127.0.0.1:8080","jwks_uri":"http://127.0.0.1:8080/jwks",
                "userinfo_endpoint":"http://127.0.0.1:8080/userinfo","extra":[1]}"#,
        )
        .unwrap();
        assert_eq!(d.issuer, "http://127.0.0.1:8080");
        assert!(Discovery::parse(br#"{"issuer":"x"}"#).is_err());
        assert!(Discovery::parse(br#"{"issuer":"","jwks_uri":"http://h/j"}"#).is_err());
        assert!(Discovery::parse(br#"{"issuer":"i","jwks_uri":"file:///etc/passwd"}"#).is_err());
    }
}
