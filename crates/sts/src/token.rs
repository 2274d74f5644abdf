//! Zero-write issuance and lookup-free verification of temporary credentials.
//!
//! **Session token**: compact JWS `base64url(header).base64url(payload).base64url(sig)`,
//! header `{"alg":"HS256","kid":"<kid>"}`, `sig = HMAC-SHA256(K_sign[kid], header "." payload)`;
//! the payload is a binary head plus a JSON object of the optional claims
//! ([`crate::payload`]), not JSON text.
//! Verification accepts only `HS256` and only kids the ring still holds. The token travels
//! with every request and is hashed into every SigV4 canonical request, so it is kept short:
//! a 32-byte tag (never truncated), an 8-hex-digit kid, no `typ` (a `typ` other than `JWT` is
//! refused), the access key as 13 bytes that double as the token's unique id, `exp` as a
//! lifetime after the issue instant. An AssumeRole token is about 135 bytes.
//!
//! **Access key**: drawn uniformly from the 36^20 keys at issue and carried in the signed
//! payload as its base-36 number; a request's access key must equal it (constant time).
//!
//! **Secret key**: never stored and never in the token. It is *derived*:
//! `secret = enc(HMAC-SHA512(K_derive[kid], lp(kid) ‖ lp(accessKey))[..30])`
//! where `lp` is a 2-byte big-endian length prefix, the access key is the credential's random
//! nonce (about 103 bits) and `enc` is MinIO's secret alphabet (40 chars). Anyone holding the key ring and the token can
//! recompute it; anyone without the ring learns nothing about it from the token (HMAC is a PRF
//! under a key the token does not contain, and `K_derive` is independent of the signing key).
//! Issuing therefore writes nothing; every node that shares the ring verifies every credential.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::claims::Claims;
use crate::credentials::{
    SECRET_KEY_BYTES, SecretKey, SessionToken, encode_secret, generate_access_key,
};
use crate::duration::SessionDuration;
use crate::error::StsError;
use crate::keyring::{KeyRing, StsKey, finalize64};
use crate::payload::Payload;

/// Tokens longer than this are rejected before any decoding.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// The one algorithm we sign with and accept.
pub const TOKEN_ALG: &str = "HS256";

/// What `issue` hands back: everything the STS response needs.
#[derive(Debug, Clone)]
pub struct IssuedCredential {
    pub access_key: String,
    pub secret_key: SecretKey,
    pub session_token: SessionToken,
    pub expiration: OffsetDateTime,
    /// The claims as signed (reserved names removed from `extra`), for the audit record.
    pub claims: Claims,
}

/// A session token that verified: signed by a live key, unexpired at the given time, and
/// belonging to the access key that presented it. Only [`resolve`] makes one.
#[derive(Debug, Clone)]
pub struct VerifiedSession {
    access_key: String,
    secret_key: SecretKey,
    claims: Claims,
    issued_at_ns: i64,
    expiration: OffsetDateTime,
    kid: String,
}

impl VerifiedSession {
    pub fn access_key(&self) -> &str {
        &self.access_key
    }
    /// The derived secret: give it to the SigV4 verifier.
    pub fn secret_key(&self) -> &SecretKey {
        &self.secret_key
    }
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
    pub fn parent(&self) -> &str {
        &self.claims.parent
    }
    /// Issue instant, Unix nanoseconds (what revocation cut-offs compare with).
    pub fn issued_at_ns(&self) -> i64 {
        self.issued_at_ns
    }
    pub fn expiration(&self) -> OffsetDateTime {
        self.expiration
    }
    /// The key id that signed the token.
    pub fn kid(&self) -> &str {
        &self.kid
    }
    /// MinIO's "owner" flag (spec §4.4 step 5, §17 items 11 and 19): an AssumeRole session of
    /// root with no session policy has root's full rights; with a session policy it is limited
    /// by it (MinIO #12947). Only `Provider::Builtin` sessions can be root's.
    pub fn is_owner(&self, root_access_key: &str) -> bool {
        self.claims.provider == crate::claims::Provider::Builtin
            && self.claims.session_policy.is_none()
            && bool::from(
                self.claims
                    .parent
                    .as_bytes()
                    .ct_eq(root_access_key.as_bytes()),
            )
    }
    /// The token's unique id (`jti`): its access key, which issue draws at random.
    pub fn token_id(&self) -> &str {
        &self.access_key
    }
}

/// Why a presented temporary credential was refused. Client-facing codes via
/// [`TokenError::s3_code`]; the variant itself is for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("session token larger than {MAX_TOKEN_BYTES} bytes")]
    TooLarge,
    #[error("session token malformed")]
    Malformed,
    #[error("session token algorithm not accepted")]
    UnsupportedAlgorithm,
    #[error("session token signed by an unknown or retired key")]
    UnknownKey,
    #[error("session token signature invalid")]
    BadSignature,
    #[error("session token belongs to another access key")]
    AccessKeyMismatch,
    #[error("session token expired")]
    Expired,
    #[error("session revoked")]
    Revoked,
}

impl TokenError {
    /// The S3 error code (spec §4.4): `ExpiredToken` when expired, else `InvalidTokenId`.
    pub fn s3_code(self) -> &'static str {
        match self {
            TokenError::Expired => "ExpiredToken",
            _ => "InvalidTokenId",
        }
    }
    /// HTTP status: 400 for `ExpiredToken` (AWS S3), 403 for `InvalidTokenId` (MinIO).
    pub fn s3_status(self) -> u16 {
        match self {
            TokenError::Expired => 400,
            _ => 403,
        }
    }
    pub fn s3_message(self) -> &'static str {
        match self {
            TokenError::Expired => "The provided token has expired.",
            _ => "The security token included in the request is invalid",
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header<'a> {
    alg: &'a str,
    /// Not written; accepted only as `JWT`.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    typ: Option<&'a str>,
    kid: &'a str,
}

/// Mint a temporary credential. Writes nothing: the secret is derived, the rest is signed into
/// the token. Uses the ring's active key. Fails only if the claims make the token larger than
/// [`MAX_TOKEN_BYTES`] (400 `InvalidParameterValue`).
pub fn issue(
    ring: &KeyRing,
    claims: Claims,
    now: OffsetDateTime,
    duration: SessionDuration,
) -> Result<IssuedCredential, StsError> {
    if claims.parent.is_empty() {
        // Every credential needs a parent (MinIO refuses to persist one without); a caller bug.
        return Err(StsError::internal());
    }
    let mut rng = rand::thread_rng(); // ChaCha-based CSPRNG seeded from the OS
    let access_key = generate_access_key(&mut rng);

    let exp = duration.expires_at_unix(now);
    let iat_ns = i64::try_from(now.unix_timestamp_nanos()).unwrap_or(i64::MAX);
    let key = ring.active_key();
    let payload = Payload::build(claims.clone(), access_key.clone(), iat_ns, exp);
    let token = sign(key, &payload)?;
    let secret_key = derive_secret(key, &access_key);
    let expiration = OffsetDateTime::from_unix_timestamp(exp).map_err(|_| StsError::internal())?;
    let mut claims = claims;
    claims
        .extra
        .retain(|k, _| !crate::claims::RESERVED_CLAIMS.contains(&k.as_str()));
    Ok(IssuedCredential {
        access_key,
        secret_key,
        session_token: SessionToken::new(token),
        expiration,
        claims,
    })
}

fn sign(key: &StsKey, payload: &Payload) -> Result<String, StsError> {
    let header = Header {
        alg: TOKEN_ALG,
        typ: None,
        kid: key.kid(),
    };
    let header = serde_json::to_vec(&header).map_err(|_| StsError::internal())?;
    let payload = payload.encode().ok_or_else(StsError::internal)?;
    let mut token = String::with_capacity((header.len() + payload.len()) * 4 / 3 + 100);
    URL_SAFE_NO_PAD.encode_string(&header, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
    let sig = key
        .signer()
        .chain_update(token.as_bytes())
        .finalize()
        .into_bytes();
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(sig, &mut token);
    if token.len() > MAX_TOKEN_BYTES {
        return Err(StsError::invalid_parameter(format!(
            "the session token would exceed {MAX_TOKEN_BYTES} bytes; the identity carries too many claims"
        )));
    }
    Ok(token)
}

fn derive_secret(key: &StsKey, access_key: &str) -> SecretKey {
    let mut m = key.deriver();
    for part in [key.kid(), access_key] {
        // Both are short ASCII (kid ≤ 64, access key 20): u16 never truncates.
        let len = u16::try_from(part.len()).unwrap_or(u16::MAX);
        m.update(&len.to_be_bytes());
        m.update(part.as_bytes());
    }
    let full = finalize64(m);
    let mut raw = Zeroizing::new([0u8; SECRET_KEY_BYTES]);
    raw.copy_from_slice(&full[..SECRET_KEY_BYTES]);
    encode_secret(&raw)
}

/// Verify `session_token` as presented with `access_key` at `now`, and recover the
/// credential's secret key. No lookup: the ring is all it needs. Revocation is a separate
/// check ([`crate::revocation::RevocationSet::check`]); the caller must run it too.
///
/// Order: size (before decoding) → 3 segments → header (`HS256`, no `typ` or `JWT`, known live kid) →
/// constant-time signature → payload → access key matches → `exp` (valid iff `now < exp`).
pub fn resolve(
    ring: &KeyRing,
    access_key: &str,
    session_token: &str,
    now: OffsetDateTime,
) -> Result<VerifiedSession, TokenError> {
    if session_token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::TooLarge);
    }
    let mut parts = session_token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header_bytes = URL_SAFE_NO_PAD
        .decode(h64)
        .map_err(|_| TokenError::Malformed)?;
    let header: Header<'_> =
        serde_json::from_slice(&header_bytes).map_err(|_| TokenError::Malformed)?;
    if header.alg != TOKEN_ALG {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    if header.typ.is_some_and(|t| t != "JWT") {
        return Err(TokenError::Malformed);
    }
    let now_s = now.unix_timestamp();
    let key = ring
        .verifying_key(header.kid, now_s)
        .ok_or(TokenError::UnknownKey)?;
    let sig = URL_SAFE_NO_PAD
        .decode(s64)
        .map_err(|_| TokenError::BadSignature)?;
    let signed_len = h64.len() + 1 + p64.len();
    key.signer()
        .chain_update(&session_token.as_bytes()[..signed_len])
        .verify_slice(&sig)
        .map_err(|_| TokenError::BadSignature)?;

    let payload_bytes = URL_SAFE_NO_PAD
        .decode(p64)
        .map_err(|_| TokenError::Malformed)?;
    let payload = Payload::decode(&payload_bytes).ok_or(TokenError::Malformed)?;
    let (claims, meta) = payload.into_claims().ok_or(TokenError::Malformed)?;
    let same_key: bool = meta
        .access_key
        .as_bytes()
        .ct_eq(access_key.as_bytes())
        .into();
    if !same_key {
        return Err(TokenError::AccessKeyMismatch);
    }
    if now_s >= meta.exp {
        return Err(TokenError::Expired);
    }
    let expiration =
        OffsetDateTime::from_unix_timestamp(meta.exp).map_err(|_| TokenError::Malformed)?;
    let secret_key = derive_secret(key, &meta.access_key);
    Ok(VerifiedSession {
        access_key: meta.access_key,
        secret_key,
        claims,
        issued_at_ns: meta.iat_ns,
        expiration,
        kid: key.kid().to_string(),
    })
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
