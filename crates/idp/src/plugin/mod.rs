//! The identity management plugin (spec §10): `AssumeRoleWithCustomToken` hands the client's
//! `Token` to the organisation's own web service, which answers who the caller is.
//!
//! - Request: `POST <url>?token=<Token>` (appended to the URL's own query), no body,
//!   `Authorization: <auth token>` verbatim when configured, one deadline (default 5 s) for the
//!   whole call, the answer read up to [`MAX_RESPONSE_BYTES`].
//! - `200 {"user", "maxValiditySeconds", "claims"}` → a [`PluginIdentity`]; its claims become
//!   `jwt:<claim>` condition values of the credential (the reserved `exp`, `parent`, `sub` are
//!   dropped).
//! - `403 {"reason"}` → 403 `AccessDenied` carrying the reason (MinIO answers 500
//!   `InternalError` here; a refused login is not a server fault).
//! - Any other status, a timeout, a transport failure or an unreadable answer → 500
//!   `InternalError` ("upstream") with a message naming the problem, and a log line. MinIO
//!   answers 400 `InvalidParameterValue`; the client did nothing wrong, so Strongbox does not.
//!
//! The token itself is never logged.

pub mod config;

use std::fmt::Write as _;

use bytes::Bytes;
use serde_json::{Map, Value};
use strongbox_sts::{Claims, Provider, StsError, StsErrorCode};

use crate::http::{FetchError, HttpClient};
use crate::openid::policy::{JWT_CLAIMS, copied_claims};

pub use self::config::PluginConfig;

/// Largest plugin answer read.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Longest `user` accepted (it becomes the credential's parent `custom:<user>`).
pub const MAX_USER_BYTES: usize = 256;
/// Longest 403 `reason` passed to the client.
pub const MAX_REASON_BYTES: usize = 512;
/// Plugin claims never copied: the credential sets these itself (spec §10.4).
pub const IGNORED_CLAIMS: &[&str] = &["exp", "parent", "sub"];

/// Who the plugin says the caller is.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginIdentity {
    pub user: String,
    pub max_validity_secs: i64,
    pub claims: Map<String, Value>,
}

impl PluginIdentity {
    /// The credential's parent and subject: `custom:<user>`.
    pub fn parent(&self) -> String {
        format!("custom:{}", self.user)
    }

    /// The credential's claims: parent and `sub` `custom:<user>`, the role ARN and its
    /// policies, the plugin's claims under [`JWT_CLAIMS`] (bounded, reserved names dropped).
    pub fn credential_claims(&self, role_arn: &str, policies: Vec<String>) -> Claims {
        let mut c = Claims::new(self.parent(), Provider::Plugin);
        c.sub = Some(self.parent());
        c.role_arn = Some(role_arn.to_owned());
        c.policies = policies;
        let mut kept = self.claims.clone();
        for k in IGNORED_CLAIMS {
            kept.remove(*k);
        }
        c.extra
            .insert(JWT_CLAIMS.to_owned(), Value::Object(copied_claims(&kept)));
        c
    }
}

/// A configured identity plugin.
#[derive(Debug)]
pub struct IdentityPlugin {
    config: PluginConfig,
    role_arn: String,
    client: HttpClient,
}

impl IdentityPlugin {
    pub fn new(config: PluginConfig, region: Option<&str>) -> Result<Self, String> {
        let client = HttpClient::new(config.timeout)?;
        let role_arn = config.role_arn(region);
        Ok(Self {
            config,
            role_arn,
            client,
        })
    }

    pub fn config(&self) -> &PluginConfig {
        &self.config
    }

    /// The plugin's role ARN (spec §6.2), the `RoleArn` clients send.
    pub fn role_arn(&self) -> &str {
        &self.role_arn
    }

    /// Asks the plugin about `token`.
    pub async fn authenticate(&self, token: &str) -> Result<PluginIdentity, StsError> {
        let url = with_token(&self.config.url, token);
        let auth = self.config.auth_token.as_ref().map(|t| t.expose());
        let started = std::time::Instant::now();
        let answer = self
            .client
            .post(&url, auth, Bytes::new(), MAX_RESPONSE_BYTES)
            .await;
        let (status, body) = match answer {
            Ok(a) => a,
            Err(e) => {
                // `e` never holds the URL with the token: only timeouts and transport causes.
                tracing::warn!(plugin = %self.config.url, error = %redact(&e), "identity plugin call failed");
                return Err(upstream(match e {
                    FetchError::Timeout(d) => {
                        format!("the identity plugin did not answer within {d:?}")
                    }
                    FetchError::TooLarge(n) => {
                        format!("the identity plugin's answer is larger than {n} bytes")
                    }
                    _ => "the identity plugin could not be reached".to_owned(),
                }));
            }
        };
        tracing::debug!(
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "identity plugin answered"
        );
        match status.as_u16() {
            200 => parse_success(&body).map_err(|why| {
                tracing::warn!(plugin = %self.config.url, "identity plugin answer refused: {why}");
                upstream(format!("the identity plugin's answer is invalid: {why}"))
            }),
            403 => {
                let reason = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| v.get("reason").and_then(Value::as_str).map(clean))
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "the identity plugin refused the token".to_owned());
                tracing::info!(plugin = %self.config.url, reason = %reason, "identity plugin refused a token");
                Err(StsError::access_denied(reason))
            }
            other => {
                tracing::warn!(plugin = %self.config.url, status = other, "identity plugin answered an unexpected status");
                Err(upstream(format!(
                    "the identity plugin answered HTTP {other}"
                )))
            }
        }
    }
}

fn upstream(message: String) -> StsError {
    StsError::with_message(StsErrorCode::UpstreamError, message)
}

/// The error for the log (its text never contains the request URL).
fn redact(e: &FetchError) -> String {
    match e {
        FetchError::BadUrl(_) => "bad URL".to_owned(),
        other => other.to_string(),
    }
}

/// `url` with `token=<percent-encoded token>` appended to its query.
fn with_token(url: &str, token: &str) -> String {
    let base = url.split_once('#').map_or(url, |(b, _)| b);
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut out = String::with_capacity(base.len() + token.len() + 8);
    out.push_str(base);
    out.push(sep);
    out.push_str("token=");
    for b in token.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Printable text only, bounded.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .scan(0usize, |n, c| {
            *n += c.len_utf8();
            (*n <= MAX_REASON_BYTES).then_some(c)
        })
        .collect()
}

/// The 200 answer: `user` non-empty (bounded), `maxValiditySeconds` an integer, `claims` an
/// object when present. The validity range is the duration rule's (spec §3.3).
fn parse_success(body: &[u8]) -> Result<PluginIdentity, &'static str> {
    let v: Value = serde_json::from_slice(body).map_err(|_| "not JSON")?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let user = obj
        .get("user")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or("no user")?;
    if user.len() > MAX_USER_BYTES || user.chars().any(char::is_control) {
        return Err("user too long or not printable");
    }
    let max_validity_secs = obj
        .get("maxValiditySeconds")
        .and_then(Value::as_i64)
        .ok_or("maxValiditySeconds is not an integer")?;
    let claims = match obj.get("claims") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("claims is not an object"),
    };
    Ok(PluginIdentity {
        user: user.to_owned(),
        max_validity_secs,
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_goes_into_the_query_encoded() {
        assert_eq!(
            with_token("http://h/auth", "a b&c=d/é"),
            "http://h/auth?token=a%20b%26c%3Dd%2F%C3%A9"
        );
        assert_eq!(
            with_token("http://h/auth?x=1", "t"),
            "http://h/auth?x=1&token=t"
        );
        assert_eq!(with_token("http://h/a#frag", "t"), "http://h/a?token=t");
    }

    #[test]
    fn success_answers_are_checked() {
        let ok = parse_success(
            br#"{"user":"alice","maxValiditySeconds":3600,"claims":{"team":"blue"}}"#,
        )
        .unwrap();
        assert_eq!(ok.user, "alice");
        assert_eq!(ok.max_validity_secs, 3600);
        assert_eq!(ok.claims["team"], "blue");
        for bad in [
            &b"nope"[..],
            br#"[]"#,
            br#"{"user":"","maxValiditySeconds":3600}"#,
            br#"{"maxValiditySeconds":3600}"#,
            br#"{"user":"a","maxValiditySeconds":"3600"}"#,
            br#"{"user":"a","maxValiditySeconds":3600,"claims":[1]}"#,
        ] {
            assert!(
                parse_success(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn reserved_claims_never_reach_the_credential() {
        let who = PluginIdentity {
            user: "alice".into(),
            max_validity_secs: 900,
            claims: json!({"exp": 1, "parent": "root", "sub": "x", "team": "blue"})
                .as_object()
                .unwrap()
                .clone(),
        };
        let c = who.credential_claims("arn:minio:iam:::role/idmp-x", vec!["p".into()]);
        assert_eq!(c.parent, "custom:alice");
        assert_eq!(c.sub.as_deref(), Some("custom:alice"));
        assert_eq!(c.provider, Provider::Plugin);
        assert_eq!(c.extra[JWT_CLAIMS], json!({"team": "blue"}));
    }

    #[test]
    fn reasons_are_bounded_and_printable() {
        assert_eq!(clean("no\nway"), "noway");
        assert_eq!(clean(&"x".repeat(2000)).len(), MAX_REASON_BYTES);
    }
}
