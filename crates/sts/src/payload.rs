//! The signed payload of a session token: what every token carries as a binary head, then the
//! optional claims as a JSON object (left out when there are none).
//!
//! The token travels with, and is SHA-256-hashed into, every request a temporary credential
//! signs, so the head spends no byte it need not:
//!
//! ```text
//! head    u8       version (high nibble, 2) | has-session-policy (0x08) | provider (low 3 bits)
//! iatNs   i64 BE   issue instant, Unix nanoseconds (revocation cut-offs need sub-second order)
//! life    varint   exp - floor(iatNs / 1e9), seconds (exp itself is not written)
//! key     13 B     the access key: the big-endian number its 20 base-36 digits spell
//! parent  varint length + UTF-8
//! policy  varint length + UTF-8 canonical session policy JSON, only with the flag
//! tail    JSON object of sub, policy, groups, tokenRevokeType, roleArn and provider claims
//! ```
//!
//! The access key is the token's unique id (`jti`) and the nonce of secret derivation: issue
//! draws it uniformly from the 36^20 (about 2^103.4) keys, so it is as unguessable and as
//! unlikely to repeat as a separate random nonce of that size, and the request's access key is
//! checked against it. Varints are LEB128, at most 5 bytes, minimal; [`Payload::decode`] refuses
//! anything [`Payload::encode`] would not write.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::claims::{Claims, Provider, RESERVED_CLAIMS, SessionPolicyJson};
use crate::credentials::{ACCESS_KEY_BYTES, access_key_bytes, access_key_from_bytes};

/// Format version, the high nibble of the first byte.
const VERSION: u8 = 2;
const HAS_SESSION_POLICY: u8 = 0x08;
const PROVIDER_BITS: u8 = 0x07;
/// Longest parent or session policy text the head can carry.
const MAX_TEXT: u32 = u16::MAX as u32;
const NANOS_PER_SEC: i64 = 1_000_000_000;

/// The payload's fields, typed. Build one with [`Payload::build`], or get one from
/// [`Payload::decode`] (after the signature verified).
#[derive(Debug)]
pub(crate) struct Payload {
    pub access_key: String,
    pub exp: i64,
    pub iat_ns: i64,
    pub parent: String,
    pub provider: Provider,
    /// Canonical session policy JSON.
    pub session_policy: Option<String>,
    pub optional: Optional,
}

/// The claims that travel in the JSON tail.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Optional {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<String>,
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

/// What the token says about itself, beside the claims.
pub(crate) struct PayloadMeta {
    pub access_key: String,
    pub exp: i64,
    pub iat_ns: i64,
}

fn provider_code(p: Provider) -> u8 {
    match p {
        Provider::Builtin => 0,
        Provider::OpenId => 1,
        Provider::Ldap => 2,
        Provider::Certificate => 3,
        Provider::Plugin => 4,
    }
}

fn provider_from_code(code: u8) -> Option<Provider> {
    Some(match code {
        0 => Provider::Builtin,
        1 => Provider::OpenId,
        2 => Provider::Ldap,
        3 => Provider::Certificate,
        4 => Provider::Plugin,
        _ => return None,
    })
}

impl Payload {
    /// The payload of a new token; provider claims with reserved names are dropped.
    pub(crate) fn build(claims: Claims, access_key: String, iat_ns: i64, exp: i64) -> Self {
        let mut extra = claims.extra;
        extra.retain(|k, _| !RESERVED_CLAIMS.contains(&k.as_str()));
        Self {
            access_key,
            exp,
            iat_ns,
            parent: claims.parent,
            provider: claims.provider,
            session_policy: claims.session_policy.map(|p| p.as_str().to_owned()),
            optional: Optional {
                sub: claims.sub,
                policy: claims.policies,
                groups: claims.groups,
                token_revoke_type: claims.token_revoke_type,
                role_arn: claims.role_arn,
                extra,
            },
        }
    }

    /// The payload bytes (layout in the module docs). `None` only for values `issue` never
    /// makes: an access key that is not a generated one, `exp` before the issue second or over
    /// 2^32 s after it, a parent or session policy over 65535 bytes.
    pub(crate) fn encode(&self) -> Option<Vec<u8>> {
        let key = access_key_bytes(&self.access_key)?;
        let life = u32::try_from(
            self.exp
                .checked_sub(self.iat_ns.div_euclid(NANOS_PER_SEC))?,
        )
        .ok()?;
        let tail = serde_json::to_vec(&self.optional).ok()?;
        let tail: &[u8] = if tail == b"{}" { &[] } else { &tail };
        let policy = self.session_policy.as_deref();
        let mut out = Vec::with_capacity(
            1 + 8
                + 5
                + ACCESS_KEY_BYTES
                + 3
                + self.parent.len()
                + policy.map_or(0, |p| 3 + p.len())
                + tail.len(),
        );
        let flag = if policy.is_some() {
            HAS_SESSION_POLICY
        } else {
            0
        };
        out.push((VERSION << 4) | flag | provider_code(self.provider));
        out.extend_from_slice(&self.iat_ns.to_be_bytes());
        put_varint(&mut out, life);
        out.extend_from_slice(&key);
        put_text(&mut out, &self.parent)?;
        if let Some(p) = policy {
            put_text(&mut out, p)?;
        }
        out.extend_from_slice(tail);
        Some(out)
    }

    /// The inverse of [`Self::encode`]; `None` for anything it would not have written (another
    /// version, an unknown provider, a short head, a varint too long or not minimal, a key
    /// number of 36^20 or more, lengths past the end, text that is not UTF-8, a tail that is not
    /// a JSON object of the optional claims).
    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let (&head, rest) = bytes.split_first()?;
        if head >> 4 != VERSION {
            return None;
        }
        let provider = provider_from_code(head & PROVIDER_BITS)?;
        let (iat_ns, rest) = rest.split_first_chunk::<8>()?;
        let iat_ns = i64::from_be_bytes(*iat_ns);
        let (life, rest) = take_varint(rest)?;
        let exp = iat_ns
            .div_euclid(NANOS_PER_SEC)
            .checked_add(i64::from(life))?;
        let (key, rest) = rest.split_first_chunk::<ACCESS_KEY_BYTES>()?;
        let access_key = access_key_from_bytes(key)?;
        let (parent, rest) = take_text(rest)?;
        let (session_policy, tail) = if head & HAS_SESSION_POLICY != 0 {
            let (p, rest) = take_text(rest)?;
            (Some(p.to_owned()), rest)
        } else {
            (None, rest)
        };
        let optional: Optional = if tail.is_empty() {
            Optional::default()
        } else {
            serde_json::from_slice(tail).ok()?
        };
        Some(Self {
            access_key,
            exp,
            iat_ns,
            parent: parent.to_owned(),
            provider,
            session_policy,
            optional,
        })
    }

    /// Back to typed claims; `None` if the session policy is over its limit (only a signer bug
    /// could cause that, as the payload is authenticated).
    pub(crate) fn into_claims(self) -> Option<(Claims, PayloadMeta)> {
        let session_policy = match self.session_policy {
            None => None,
            Some(json) => Some(SessionPolicyJson::new(json).ok()?),
        };
        let o = self.optional;
        let mut extra = o.extra;
        extra.retain(|k, _| !RESERVED_CLAIMS.contains(&k.as_str()));
        let claims = Claims {
            parent: self.parent,
            provider: self.provider,
            sub: o.sub,
            policies: o.policy,
            session_policy,
            groups: o.groups,
            token_revoke_type: o.token_revoke_type,
            role_arn: o.role_arn,
            extra,
        };
        let meta = PayloadMeta {
            access_key: self.access_key,
            exp: self.exp,
            iat_ns: self.iat_ns,
        };
        Some((claims, meta))
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        // The low 7 bits, with the continuation bit: the cast keeps exactly those.
        out.push((v & 0x7f) as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A minimal LEB128 `u32` (at most 5 bytes, no trailing zero group, no bits past 32).
fn take_varint(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let mut v: u32 = 0;
    for (i, &b) in bytes.iter().enumerate().take(5) {
        let group = u32::from(b & 0x7f);
        if i == 4 && group > 0x0f {
            return None;
        }
        v |= group << (7 * i);
        if b & 0x80 == 0 {
            if i > 0 && b == 0 {
                return None;
            }
            return Some((v, &bytes[i + 1..]));
        }
    }
    None
}

fn put_text(out: &mut Vec<u8>, text: &str) -> Option<()> {
    let len = u32::try_from(text.len()).ok().filter(|l| *l <= MAX_TEXT)?;
    put_varint(out, len);
    out.extend_from_slice(text.as_bytes());
    Some(())
}

fn take_text(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let (len, rest) = take_varint(bytes)?;
    if len > MAX_TEXT {
        return None;
    }
    let (text, rest) = rest.split_at_checked(usize::try_from(len).ok()?)?;
    Some((std::str::from_utf8(text).ok()?, rest))
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
