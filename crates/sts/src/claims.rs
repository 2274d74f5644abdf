//! What a session token says about its credential: the typed claims (spec §4.2 names) and the
//! JSON payload they travel in.
//!
//! Reserved claim names are set only from the typed fields; arbitrary provider claims
//! (`Claims::extra`, e.g. copied id_token claims) can never override them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::StsError;

/// Largest session policy after re-serialisation (spec §11).
pub const MAX_SESSION_POLICY_BYTES: usize = 2048;

/// Claim names this crate owns. A provider claim with one of these names is dropped at issue.
pub const RESERVED_CLAIMS: &[&str] = &[
    "accessKey",
    "exp",
    "iat",
    "iatNs",
    "nbf",
    "jti",
    "parent",
    "sub",
    "policy",
    "sessionPolicy",
    "sessionPolicy-extracted",
    "provider",
    "groups",
    "tokenRevokeType",
    "roleArn",
];

/// A session policy: an ALREADY-VALIDATED, canonical (re-serialised) IAM policy JSON.
///
/// This crate does not parse policies: the caller validates the `Policy` parameter with
/// `crates/policy` (strict parse, `Version` required) and passes its canonical serialisation
/// here; only the §11 size limit is checked. Tokens carry it base64 (standard, padded) in claim
/// `sessionPolicy`, as MinIO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPolicyJson(String);

impl SessionPolicyJson {
    /// Accept canonical policy JSON; over 2048 bytes → 400 `InvalidParameterValue` with
    /// MinIO's message.
    pub fn new(canonical_json: String) -> Result<Self, StsError> {
        if canonical_json.len() > MAX_SESSION_POLICY_BYTES {
            return Err(StsError::invalid_parameter(
                "Session policy should not exceed 2048 characters",
            ));
        }
        Ok(Self(canonical_json))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Lowercase hex SHA-256 of the JSON (for audit records).
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// Which identity path issued the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// AssumeRole by root or an IAM user.
    Builtin,
    /// AssumeRoleWithWebIdentity / AssumeRoleWithClientGrants.
    OpenId,
    /// AssumeRoleWithLDAPIdentity.
    Ldap,
    /// AssumeRoleWithCertificate.
    Certificate,
    /// AssumeRoleWithCustomToken (identity plugin).
    Plugin,
}

/// The claims an issuer supplies (everything except access key and times, which `issue` sets).
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// The identity whose permissions the credential inherits (`parent`): the caller's access
    /// key for AssumeRole, `tls:<CN>`, `custom:<user>`, the OIDC parent id, the LDAP DN.
    pub parent: String,
    pub provider: Provider,
    /// `sub` (id_token subject, certificate CN, `custom:<user>`).
    pub sub: Option<String>,
    /// Policy names carried by the token (OIDC claim/role mode, plugin). Empty for AssumeRole:
    /// the parent's policies are resolved by name at request time.
    pub policies: Vec<String>,
    pub session_policy: Option<SessionPolicyJson>,
    pub groups: Vec<String>,
    /// Free string for selective revocation (`TokenRevokeType`).
    pub token_revoke_type: Option<String>,
    pub role_arn: Option<String>,
    /// Provider claims (untrusted: copied id_token claims, LDAP attributes, plugin claims).
    /// Reserved names are dropped. Check `provider` before trusting any of them.
    pub extra: Map<String, Value>,
}

impl Claims {
    /// Claims with only the parent and provider set.
    pub fn new(parent: impl Into<String>, provider: Provider) -> Self {
        Self {
            parent: parent.into(),
            provider,
            sub: None,
            policies: Vec::new(),
            session_policy: None,
            groups: Vec::new(),
            token_revoke_type: None,
            role_arn: None,
            extra: Map::new(),
        }
    }
}

/// The signed payload: every reserved claim plus the provider claims, flattened.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Payload {
    #[serde(rename = "accessKey")]
    pub access_key: String,
    pub exp: i64,
    /// Issue instant in Unix nanoseconds (revocation cut-offs need sub-second order).
    #[serde(rename = "iatNs")]
    pub iat_ns: i64,
    /// Per-token nonce, input to secret derivation.
    pub jti: String,
    pub parent: String,
    pub provider: Provider,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<String>,
    /// Base64 (standard) of the canonical session policy JSON.
    #[serde(
        rename = "sessionPolicy",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub session_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(
        rename = "tokenRevokeType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub token_revoke_type: Option<String>,
    #[serde(rename = "roleArn", default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Payload {
    pub(crate) fn build(
        claims: Claims,
        access_key: String,
        jti: String,
        iat_ns: i64,
        exp: i64,
    ) -> Self {
        let mut extra = claims.extra;
        extra.retain(|k, _| !RESERVED_CLAIMS.contains(&k.as_str()));
        Self {
            access_key,
            exp,
            iat_ns,
            jti,
            parent: claims.parent,
            provider: claims.provider,
            sub: claims.sub,
            policy: claims.policies,
            session_policy: claims
                .session_policy
                .map(|p| STANDARD.encode(p.as_str().as_bytes())),
            groups: claims.groups,
            token_revoke_type: claims.token_revoke_type,
            role_arn: claims.role_arn,
            extra,
        }
    }

    /// Back to typed claims; `None` if the session policy does not decode (only a signer bug
    /// could cause that, as the payload is authenticated).
    pub(crate) fn into_claims(self) -> Option<(Claims, PayloadMeta)> {
        let session_policy = match self.session_policy {
            None => None,
            Some(b64) => {
                let bytes = STANDARD.decode(b64.as_bytes()).ok()?;
                let json = String::from_utf8(bytes).ok()?;
                Some(SessionPolicyJson::new(json).ok()?)
            }
        };
        let mut extra = self.extra;
        extra.retain(|k, _| !RESERVED_CLAIMS.contains(&k.as_str()));
        let claims = Claims {
            parent: self.parent,
            provider: self.provider,
            sub: self.sub,
            policies: self.policy,
            session_policy,
            groups: self.groups,
            token_revoke_type: self.token_revoke_type,
            role_arn: self.role_arn,
            extra,
        };
        let meta = PayloadMeta {
            access_key: self.access_key,
            exp: self.exp,
            iat_ns: self.iat_ns,
            jti: self.jti,
        };
        Some((claims, meta))
    }
}

pub(crate) struct PayloadMeta {
    pub access_key: String,
    pub exp: i64,
    pub iat_ns: i64,
    pub jti: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn session_policy_size_limit() {
        let ok = "x".repeat(2048);
        assert!(SessionPolicyJson::new(ok).is_ok());
        let e = SessionPolicyJson::new("x".repeat(2049)).unwrap_err();
        assert_eq!(
            e.message(),
            "Session policy should not exceed 2048 characters"
        );
    }

    #[test]
    fn session_policy_hash() {
        let p = SessionPolicyJson::new("abc".into()).unwrap();
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            p.sha256_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn provider_claims_never_override_reserved() {
        let mut c = Claims::new("alice", Provider::OpenId);
        c.extra = json!({
            "accessKey": "EVIL", "exp": 9_999_999_999i64, "parent": "root",
            "policy": ["consoleAdmin"], "sessionPolicy": "e30=", "email": "a@example.com",
            "provider": "builtin", "groups": ["admins"], "iatNs": 0
        })
        .as_object()
        .unwrap()
        .clone();
        let p = Payload::build(c, "AK".into(), "n".into(), 5_000_000_000, 100);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["accessKey"], "AK");
        assert_eq!(v["exp"], 100);
        assert_eq!(v["iatNs"], 5_000_000_000i64);
        assert!(
            v.get("iat").is_none(),
            "iatNs alone carries the issue instant"
        );
        assert_eq!(v["parent"], "alice");
        assert_eq!(v["provider"], "openid");
        assert_eq!(v["email"], "a@example.com");
        for absent in ["policy", "sessionPolicy", "groups"] {
            assert!(v.get(absent).is_none(), "{absent}");
        }
    }

    #[test]
    fn round_trip() {
        let mut c = Claims::new("uid=dillon,dc=min,dc=io", Provider::Ldap);
        c.sub = Some("dillon".into());
        c.policies = vec!["readwrite".into()];
        c.groups = vec!["cn=projecta".into()];
        c.token_revoke_type = Some("type-1".into());
        c.role_arn = Some("arn:minio:iam:::role/x".into());
        c.session_policy =
            Some(SessionPolicyJson::new(r#"{"Version":"2012-10-17"}"#.into()).unwrap());
        c.extra.insert("ldapUsername".into(), json!("dillon"));
        let p = Payload::build(c.clone(), "AK".into(), "n".into(), 7, 100);
        let s = serde_json::to_string(&p).unwrap();
        assert!(
            s.contains(r#""sessionPolicy":"eyJWZXJzaW9uIjoiMjAxMi0xMC0xNyJ9""#),
            "{s}"
        );
        let back: Payload = serde_json::from_str(&s).unwrap();
        let (claims, meta) = back.into_claims().unwrap();
        assert_eq!(claims, c);
        assert_eq!(
            (meta.access_key.as_str(), meta.exp, meta.iat_ns),
            ("AK", 100, 7)
        );
    }
}
