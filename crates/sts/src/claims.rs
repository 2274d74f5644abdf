//! What a session token says about its credential: the typed claims (spec §4.2 names) and the
//! payload they travel in (a binary head and a JSON object of the optional claims).
//!
//! Reserved claim names are set only from the typed fields; arbitrary provider claims
//! (`Claims::extra`, e.g. copied id_token claims) can never override them.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
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

/// The signed payload. On the wire (see [`Payload::encode`]) the fields every token has travel
/// as a fixed binary head; the optional claims and the provider claims (flattened) follow as a
/// JSON object, left out when empty. The head keeps an AssumeRole token near 190 bytes: it
/// is sent with, and hashed into, every request a temporary credential signs.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Payload {
    #[serde(skip)]
    pub access_key: String,
    #[serde(skip)]
    pub exp: i64,
    /// Issue instant in Unix nanoseconds (revocation cut-offs need sub-second order).
    #[serde(skip)]
    pub iat_ns: i64,
    /// Per-token nonce, input to secret derivation (base64url of 16 random bytes).
    #[serde(skip)]
    pub jti: String,
    #[serde(skip)]
    pub parent: String,
    #[serde(skip, default = "Provider::placeholder")]
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

/// Version byte of the payload encoding.
const PAYLOAD_V1: u8 = 1;
/// Raw bytes of the `jti` nonce.
const JTI_BYTES: usize = 16;
/// Version, `exp`, `iatNs`, `jti`, provider.
const FIXED_HEAD: usize = 1 + 8 + 8 + JTI_BYTES + 1;

impl Provider {
    fn code(self) -> u8 {
        match self {
            Self::Builtin => 0,
            Self::OpenId => 1,
            Self::Ldap => 2,
            Self::Certificate => 3,
            Self::Plugin => 4,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Builtin,
            1 => Self::OpenId,
            2 => Self::Ldap,
            3 => Self::Certificate,
            4 => Self::Plugin,
            _ => return None,
        })
    }

    /// Stands in while the JSON part is decoded; [`Payload::decode`] sets the real one.
    fn placeholder() -> Self {
        Self::Builtin
    }
}

impl Payload {
    /// The payload bytes: `1 | exp i64 BE | iatNs i64 BE | jti (16 bytes) | provider u8 |
    /// len u8 + access key | len u16 BE + parent | JSON object of the rest (absent if empty)`.
    /// `None` only for values `issue` never makes (a jti that is not 16 bytes, an access key
    /// over 255 bytes, a parent over 65535 bytes).
    pub(crate) fn encode(&self) -> Option<Vec<u8>> {
        let jti = URL_SAFE_NO_PAD.decode(self.jti.as_bytes()).ok()?;
        if jti.len() != JTI_BYTES {
            return None;
        }
        let ak_len = u8::try_from(self.access_key.len()).ok()?;
        let parent_len = u16::try_from(self.parent.len()).ok()?;
        let tail = serde_json::to_vec(self).ok()?;
        let tail: &[u8] = if tail == b"{}" { &[] } else { &tail };
        let mut out = Vec::with_capacity(
            FIXED_HEAD + 1 + self.access_key.len() + 2 + self.parent.len() + tail.len(),
        );
        out.push(PAYLOAD_V1);
        out.extend_from_slice(&self.exp.to_be_bytes());
        out.extend_from_slice(&self.iat_ns.to_be_bytes());
        out.extend_from_slice(&jti);
        out.push(self.provider.code());
        out.push(ak_len);
        out.extend_from_slice(self.access_key.as_bytes());
        out.extend_from_slice(&parent_len.to_be_bytes());
        out.extend_from_slice(self.parent.as_bytes());
        out.extend_from_slice(tail);
        Some(out)
    }

    /// The inverse of [`Self::encode`]; `None` for anything it would not have written (another
    /// version, a short head, lengths past the end, text that is not UTF-8, an unknown
    /// provider, a tail that is not a JSON object of the optional claims).
    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let (&version, rest) = bytes.split_first()?;
        if version != PAYLOAD_V1 {
            return None;
        }
        let (exp, rest) = take_array::<8>(rest)?;
        let (iat_ns, rest) = take_array::<8>(rest)?;
        let (jti, rest) = take_array::<JTI_BYTES>(rest)?;
        let (&provider, rest) = rest.split_first()?;
        let provider = Provider::from_code(provider)?;
        let (&ak_len, rest) = rest.split_first()?;
        let (access_key, rest) = take_text(rest, usize::from(ak_len))?;
        let (parent_len, rest) = take_array::<2>(rest)?;
        let (parent, tail) = take_text(rest, usize::from(u16::from_be_bytes(parent_len)))?;
        let mut payload: Payload = if tail.is_empty() {
            serde_json::from_slice(b"{}").ok()?
        } else {
            serde_json::from_slice(tail).ok()?
        };
        payload.access_key = access_key.to_owned();
        payload.exp = i64::from_be_bytes(exp);
        payload.iat_ns = i64::from_be_bytes(iat_ns);
        payload.jti = URL_SAFE_NO_PAD.encode(jti);
        payload.parent = parent.to_owned();
        payload.provider = provider;
        Some(payload)
    }

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

fn take_array<const N: usize>(bytes: &[u8]) -> Option<([u8; N], &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<N>()?;
    Some((*head, rest))
}

fn take_text(bytes: &[u8], len: usize) -> Option<(&str, &[u8])> {
    let (text, rest) = bytes.split_at_checked(len)?;
    Some((std::str::from_utf8(text).ok()?, rest))
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

    fn jti() -> String {
        URL_SAFE_NO_PAD.encode([7u8; JTI_BYTES])
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
        let p = Payload::build(c, "AK".into(), jti(), 5_000_000_000, 100);
        let bytes = p.encode().unwrap();
        let back = Payload::decode(&bytes).unwrap();
        assert_eq!(back.access_key, "AK");
        assert_eq!(back.exp, 100);
        assert_eq!(back.iat_ns, 5_000_000_000);
        assert_eq!(back.jti, jti());
        assert_eq!(back.parent, "alice");
        assert_eq!(back.provider, Provider::OpenId);
        assert_eq!(back.extra["email"], "a@example.com");
        assert_eq!(back.extra.len(), 1, "{:?}", back.extra);
        assert!(back.policy.is_empty() && back.groups.is_empty());
        assert!(back.session_policy.is_none());
        // The JSON part names none of the reserved claims.
        let tail = String::from_utf8_lossy(&bytes[FIXED_HEAD..]).into_owned();
        for name in ["accessKey", "iat", "exp", "parent", "provider", "jti"] {
            assert!(!tail.contains(&format!("\"{name}")), "{name} in {tail}");
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
        let p = Payload::build(c.clone(), "AK".into(), jti(), 7, 100);
        let bytes = p.encode().unwrap();
        let s = String::from_utf8_lossy(&bytes).into_owned();
        assert!(
            s.contains(r#""sessionPolicy":"eyJWZXJzaW9uIjoiMjAxMi0xMC0xNyJ9""#),
            "{s}"
        );
        let back = Payload::decode(&bytes).unwrap();
        let (claims, meta) = back.into_claims().unwrap();
        assert_eq!(claims, c);
        assert_eq!(
            (meta.access_key.as_str(), meta.exp, meta.iat_ns, meta.jti),
            ("AK", 100, 7, jti())
        );
    }

    #[test]
    fn an_assume_role_payload_is_only_its_head() {
        let p = Payload::build(
            Claims::new("benchuser", Provider::Builtin),
            "AKIAIOSFODNN7EXAMPLE".into(),
            jti(),
            1,
            2,
        );
        let bytes = p.encode().unwrap();
        assert_eq!(bytes.len(), FIXED_HEAD + 1 + 20 + 2 + 9);
        let back = Payload::decode(&bytes).unwrap();
        assert_eq!(
            (back.parent.as_str(), back.provider),
            ("benchuser", Provider::Builtin)
        );
        assert!(back.extra.is_empty() && back.sub.is_none());
    }

    #[test]
    fn decode_refuses_what_encode_never_writes() {
        let p = Payload::build(
            Claims::new("alice", Provider::Ldap),
            "AK".into(),
            jti(),
            1,
            2,
        );
        let good = p.encode().unwrap();
        assert!(Payload::decode(&good).is_some());
        // Every truncation of the head.
        for n in 0..good.len() {
            assert!(Payload::decode(&good[..n]).is_none(), "first {n} bytes");
        }
        // Another version, an unknown provider.
        let mut v = good.clone();
        v[0] = 2;
        assert!(Payload::decode(&v).is_none());
        let mut v = good.clone();
        v[FIXED_HEAD - 1] = 9;
        assert!(Payload::decode(&v).is_none());
        // A length past the end.
        let mut v = good.clone();
        v[FIXED_HEAD] = 200;
        assert!(Payload::decode(&v).is_none());
        // A tail that is not a JSON object, or is but with a wrongly typed claim.
        for tail in [&b"x"[..], b"[]", b"{\"policy\":1}", b"{} {}"] {
            let mut v = good.clone();
            v.extend_from_slice(tail);
            assert!(
                Payload::decode(&v).is_none(),
                "{}",
                String::from_utf8_lossy(tail)
            );
        }
        // Text that is not UTF-8.
        let mut v = good.clone();
        let at = v.len() - 1;
        v[at] = 0xff;
        assert!(Payload::decode(&v).is_none());
        // A jti that is not 16 bytes or an access key over 255 bytes is never encoded.
        let short = Payload::build(
            Claims::new("a", Provider::Builtin),
            "AK".into(),
            "n".into(),
            1,
            2,
        );
        assert!(short.encode().is_none());
        let long = Payload::build(
            Claims::new("a", Provider::Builtin),
            "K".repeat(256),
            jti(),
            1,
            2,
        );
        assert!(long.encode().is_none());
    }
}
