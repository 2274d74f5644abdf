//! What a session token says about its credential: the typed claims (spec §4.2 names). The
//! payload they travel in is [`crate::payload`].
//!
//! Reserved claim names are set only from the typed fields; arbitrary provider claims
//! (`Claims::extra`, e.g. copied id_token claims) can never override them.

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
/// here; only the §11 size limit is checked. Tokens carry it as raw bytes in the payload's
/// binary head (MinIO puts base64 in a `sessionPolicy` claim; the token is opaque to clients).
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
