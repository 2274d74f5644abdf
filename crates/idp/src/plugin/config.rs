//! Identity plugin settings (spec §10.1) from MinIO's variables, and the plugin's role ARN
//! (spec §6.2: `arn:minio:iam:<region>::role/idmp-<id>`).
//!
//! | Variable | Meaning |
//! |---|---|
//! | `MINIO_IDENTITY_PLUGIN_URL` | the plugin's endpoint (required to enable it) |
//! | `MINIO_IDENTITY_PLUGIN_AUTH_TOKEN` | sent verbatim as the `Authorization` header |
//! | `MINIO_IDENTITY_PLUGIN_ROLE_POLICY` | comma-separated policy names (required) |
//! | `MINIO_IDENTITY_PLUGIN_ROLE_ID` | the ARN's id (`[A-Za-z0-9_-]+`); default: base64url(SHA-1(URL)) |
//! | `MINIO_IDENTITY_PLUGIN_COMMENT` | free text, logged at start-up |
//! | `STRONGBOX_IDENTITY_PLUGIN_TIMEOUT` | seconds per plugin call, default 5 (Strongbox only) |

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::http::{DEFAULT_TIMEOUT, parse_url};

pub const URL_VAR: &str = "MINIO_IDENTITY_PLUGIN_URL";
pub const AUTH_TOKEN_VAR: &str = "MINIO_IDENTITY_PLUGIN_AUTH_TOKEN";
pub const ROLE_POLICY_VAR: &str = "MINIO_IDENTITY_PLUGIN_ROLE_POLICY";
pub const ROLE_ID_VAR: &str = "MINIO_IDENTITY_PLUGIN_ROLE_ID";
pub const COMMENT_VAR: &str = "MINIO_IDENTITY_PLUGIN_COMMENT";
pub const TIMEOUT_VAR: &str = "STRONGBOX_IDENTITY_PLUGIN_TIMEOUT";

/// A configuration problem: (variable, what is wrong).
pub type Problem = (String, String);

/// A secret header value that never appears in Debug output.
#[derive(Clone)]
pub struct AuthToken(Zeroizing<String>);

impl AuthToken {
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthToken(<redacted>)")
    }
}

/// The identity plugin's settings.
#[derive(Debug, Clone)]
pub struct PluginConfig {
    pub url: String,
    pub auth_token: Option<AuthToken>,
    pub role_policy: Vec<String>,
    pub role_id: Option<String>,
    pub comment: Option<String>,
    pub timeout: Duration,
}

impl PluginConfig {
    /// Reads the variables through `var`. `Ok(None)`: no plugin configured (no URL, and none
    /// of its other variables set). Every problem is reported at once.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, Vec<Problem>> {
        let get = |n: &str| {
            var(n)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let url = get(URL_VAR);
        let auth_token = var(AUTH_TOKEN_VAR).filter(|v| !v.is_empty());
        let role_policy = get(ROLE_POLICY_VAR);
        let role_id = get(ROLE_ID_VAR);
        let comment = get(COMMENT_VAR);
        let timeout = get(TIMEOUT_VAR);
        let Some(url) = url else {
            if auth_token.is_some() || role_policy.is_some() || role_id.is_some() {
                return Err(vec![(
                    URL_VAR.into(),
                    "is required when other MINIO_IDENTITY_PLUGIN_ variables are set".into(),
                )]);
            }
            return Ok(None);
        };
        let mut problems = Vec::new();
        if parse_url(&url).is_err() {
            problems.push((URL_VAR.into(), format!("{url:?} is not an http(s) URL")));
        }
        let role_policy: Vec<String> = role_policy
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        if role_policy.is_empty() {
            problems.push((
                ROLE_POLICY_VAR.into(),
                "is required: the policies of the plugin's role".into(),
            ));
        }
        if let Some(id) = &role_id
            && !valid_role_id(id)
        {
            problems.push((
                ROLE_ID_VAR.into(),
                format!("{id:?} may contain only letters, digits, '_' and '-'"),
            ));
        }
        let timeout = match timeout {
            None => DEFAULT_TIMEOUT,
            Some(t) => match t.parse::<u64>() {
                Ok(s) if (1..=300).contains(&s) => Duration::from_secs(s),
                _ => {
                    problems.push((
                        TIMEOUT_VAR.into(),
                        format!("{t:?} is not a whole number of seconds in 1..=300"),
                    ));
                    DEFAULT_TIMEOUT
                }
            },
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Some(Self {
            url,
            auth_token: auth_token.map(AuthToken::new),
            role_policy,
            role_id,
            comment,
            timeout,
        }))
    }

    /// Spec §6.2: `arn:minio:iam:<region>::role/idmp-<role_id or base64url(SHA-1(url))>`.
    pub fn role_arn(&self, region: Option<&str>) -> String {
        let id = match &self.role_id {
            Some(id) => id.clone(),
            None => {
                let digest = ring::digest::digest(
                    &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
                    self.url.as_bytes(),
                );
                URL_SAFE_NO_PAD.encode(digest.as_ref())
            }
        };
        format!("arn:minio:iam:{}::role/idmp-{id}", region.unwrap_or(""))
    }
}

fn valid_role_id(id: &str) -> bool {
    id.len() <= 256
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<PluginConfig>, Vec<Problem>> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        PluginConfig::from_vars(|n| m.get(n).cloned())
    }

    #[test]
    fn absent_valid_and_problems() {
        assert!(read(&[]).unwrap().is_none());
        let c = read(&[
            (URL_VAR, "http://127.0.0.1:8081/auth"),
            (AUTH_TOKEN_VAR, "Bearer s3cret"),
            (ROLE_POLICY_VAR, "readonly, diagnostics"),
            (TIMEOUT_VAR, "2"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.role_policy, ["readonly", "diagnostics"]);
        assert_eq!(c.timeout, Duration::from_secs(2));
        assert_eq!(c.auth_token.as_ref().unwrap().expose(), "Bearer s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));

        let e = read(&[
            (URL_VAR, "ftp://x"),
            (ROLE_ID_VAR, "a b"),
            (TIMEOUT_VAR, "0"),
        ])
        .unwrap_err();
        let vars: Vec<&str> = e.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(vars, [URL_VAR, ROLE_POLICY_VAR, ROLE_ID_VAR, TIMEOUT_VAR]);
        assert_eq!(
            read(&[(ROLE_POLICY_VAR, "x")]).unwrap_err()[0].0,
            URL_VAR.to_owned()
        );
    }

    #[test]
    fn role_arn_from_id_or_url() {
        let mut c = read(&[
            (URL_VAR, "http://127.0.0.1:8081/auth"),
            (ROLE_POLICY_VAR, "p"),
        ])
        .unwrap()
        .unwrap();
        let by_url = c.role_arn(None);
        assert!(by_url.starts_with("arn:minio:iam:::role/idmp-"), "{by_url}");
        // base64url of a 20-byte SHA-1, no padding.
        assert_eq!(by_url.len(), "arn:minio:iam:::role/idmp-".len() + 27);
        c.role_id = Some("acme-sso".into());
        assert_eq!(c.role_arn(None), "arn:minio:iam:::role/idmp-acme-sso");
        assert_eq!(
            c.role_arn(Some("eu-1")),
            "arn:minio:iam:eu-1::role/idmp-acme-sso"
        );
    }
}
