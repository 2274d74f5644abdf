//! A provider's signing keys (RFC 7517 JWK Set) and the per-provider cache around them.
//!
//! - Only asymmetric signature keys are kept: RSA (≥ 2048 bits), EC P-256 / P-384, Ed25519.
//!   Symmetric (`oct`) keys, encryption keys (`use: enc`) and unknown types are skipped: nothing
//!   secret ever verifies a token, so a token HMAC-signed with the client secret or with a public
//!   key cannot pass (GHSA-5cx5-wh4m-82fh, "RS256 re-signed as HS256").
//! - Each algorithm is pinned to its key type, and to the key's own `alg` when the JWK names one.
//! - The cache holds one provider's keys only (no shared kid namespace, spec §17.3). A fetch
//!   replaces the set, so a key rotated out of the JWKS stops being trusted; a failed fetch keeps
//!   the old set, so cached keys keep verifying while the provider is unreachable. Fetches caused
//!   by unknown key ids happen at most once per refresh interval (bad tokens cannot make us
//!   hammer the provider).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;

use crate::http::{FetchError, HttpClient};

/// Largest JWKS document read.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;
/// At most this many keys are kept per provider.
pub const MAX_KEYS: usize = 64;

/// A JWS algorithm we verify (RFC 7518 §3.1, RFC 8037).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    EdDsa,
}

impl Alg {
    /// The asymmetric algorithms accepted; `none`, `HS*` and anything else are `None`.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "RS256" => Alg::Rs256,
            "RS384" => Alg::Rs384,
            "RS512" => Alg::Rs512,
            "PS256" => Alg::Ps256,
            "PS384" => Alg::Ps384,
            "PS512" => Alg::Ps512,
            "ES256" => Alg::Es256,
            "ES384" => Alg::Es384,
            "EdDSA" => Alg::EdDsa,
            _ => return None,
        })
    }
}

/// A public key ready to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// Uncompressed SEC1 point (`04 || x || y`).
    P256(Vec<u8>),
    P384(Vec<u8>),
    Ed25519(Vec<u8>),
}

/// One usable key of a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub kid: Option<String>,
    /// The JWK's own `alg`, if it names one: then only that algorithm is accepted.
    pub alg: Option<Alg>,
    pub key: PublicKey,
}

impl Key {
    /// Whether `alg` may be used with this key: the key type must match, and the JWK's `alg`
    /// if present.
    pub fn accepts(&self, alg: Alg) -> bool {
        if self.alg.is_some_and(|a| a != alg) {
            return false;
        }
        matches!(
            (&self.key, alg),
            (
                PublicKey::Rsa { .. },
                Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512
            ) | (PublicKey::P256(_), Alg::Es256)
                | (PublicKey::P384(_), Alg::Es384)
                | (PublicKey::Ed25519(_), Alg::EdDsa)
        )
    }

    /// Verifies `signature` over `message` with `alg` (which must be [`Key::accepts`]ed).
    pub fn verify(&self, alg: Alg, message: &[u8], sig: &[u8]) -> bool {
        if !self.accepts(alg) {
            return false;
        }
        match &self.key {
            PublicKey::Rsa { n, e } => {
                let params: &signature::RsaParameters = match alg {
                    Alg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Alg::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Alg::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Alg::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Alg::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
                    Alg::Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
                    _ => return false,
                };
                RsaPublicKeyComponents { n, e }
                    .verify(params, message, sig)
                    .is_ok()
            }
            PublicKey::P256(p) => UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, p)
                .verify(message, sig)
                .is_ok(),
            PublicKey::P384(p) => UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, p)
                .verify(message, sig)
                .is_ok(),
            PublicKey::Ed25519(p) => UnparsedPublicKey::new(&signature::ED25519, p)
                .verify(message, sig)
                .is_ok(),
        }
    }
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawKey {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

fn b64(s: &Option<String>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.as_deref()?.as_bytes()).ok()
}

fn key_of(raw: RawKey) -> Result<Key, String> {
    if raw.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err("not a signature key".into());
    }
    let alg = match raw.alg.as_deref() {
        None => None,
        Some(a) => Some(Alg::from_name(a).ok_or_else(|| format!("algorithm {a} is not accepted"))?),
    };
    let key = match (raw.kty.as_str(), raw.crv.as_deref()) {
        ("RSA", _) => {
            let (n, e) = (b64(&raw.n), b64(&raw.e));
            let (Some(n), Some(e)) = (n, e) else {
                return Err("RSA key without n/e".into());
            };
            let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
            if bits < 2048 {
                return Err(format!("RSA key of {bits} bits is too small"));
            }
            PublicKey::Rsa { n, e }
        }
        ("EC", Some(crv @ ("P-256" | "P-384"))) => {
            let size = if crv == "P-256" { 32 } else { 48 };
            let (Some(x), Some(y)) = (b64(&raw.x), b64(&raw.y)) else {
                return Err("EC key without x/y".into());
            };
            if x.len() != size || y.len() != size {
                return Err("EC coordinates of the wrong size".into());
            }
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            if size == 32 {
                PublicKey::P256(point)
            } else {
                PublicKey::P384(point)
            }
        }
        ("OKP", Some("Ed25519")) => match b64(&raw.x) {
            Some(x) if x.len() == 32 => PublicKey::Ed25519(x),
            _ => return Err("Ed25519 key of the wrong size".into()),
        },
        (kty, crv) => return Err(format!("key type {kty} {crv:?} is not supported")),
    };
    let k = Key {
        kid: raw.kid,
        alg,
        key,
    };
    if let Some(a) = alg
        && !k.accepts(a)
    {
        return Err("the key's alg does not match its type".into());
    }
    Ok(k)
}

/// Parses a JWK Set, keeping the usable keys (skipped ones are logged at debug level).
pub fn parse_jwks(bytes: &[u8]) -> Result<Vec<Key>, String> {
    let set: RawSet = serde_json::from_slice(bytes).map_err(|e| format!("not a JWK Set: {e}"))?;
    let mut keys = Vec::new();
    for v in set.keys {
        let parsed = serde_json::from_value::<RawKey>(v)
            .map_err(|e| e.to_string())
            .and_then(key_of);
        match parsed {
            Ok(k) if keys.len() < MAX_KEYS => keys.push(k),
            Ok(_) => tracing::debug!("JWKS: more than {MAX_KEYS} keys, the rest are ignored"),
            Err(why) => tracing::debug!("JWKS: key skipped: {why}"),
        }
    }
    Ok(keys)
}

/// Why no key was found for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// The provider's keys (after a refresh, if one was allowed) have no such key.
    Unknown,
    /// A refresh was needed and the provider could not be reached.
    Unreachable(FetchError),
}

struct Cached {
    keys: Arc<Vec<Key>>,
    fetched: Instant,
}

/// One provider's keys.
pub struct KeyCache {
    jwks_uri: String,
    http: HttpClient,
    refresh_interval: Duration,
    cached: RwLock<Cached>,
    /// Serialises fetches and remembers when the last on-demand one started and whether it
    /// failed (then requests in the same interval are told the provider is unreachable).
    last_on_demand: tokio::sync::Mutex<Option<(Instant, Option<FetchError>)>>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("jwks_uri", &self.jwks_uri)
            .finish_non_exhaustive()
    }
}

impl KeyCache {
    /// Fetches the keys once (start-up: an unreachable JWKS is a configuration error).
    pub async fn load(
        jwks_uri: String,
        http: HttpClient,
        refresh_interval: Duration,
    ) -> Result<Self, String> {
        let keys = fetch(&http, &jwks_uri).await?;
        Ok(Self::with_keys(jwks_uri, http, refresh_interval, keys))
    }

    pub fn with_keys(
        jwks_uri: String,
        http: HttpClient,
        refresh_interval: Duration,
        keys: Vec<Key>,
    ) -> Self {
        Self {
            jwks_uri,
            http,
            refresh_interval,
            cached: RwLock::new(Cached {
                keys: Arc::new(keys),
                fetched: Instant::now(),
            }),
            last_on_demand: tokio::sync::Mutex::new(None),
        }
    }

    /// The keys as of now.
    pub fn keys(&self) -> Arc<Vec<Key>> {
        Arc::clone(&self.cached.read().unwrap_or_else(|e| e.into_inner()).keys)
    }

    /// When the keys were last fetched successfully.
    pub fn fetched_at(&self) -> Instant {
        self.cached
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .fetched
    }

    /// The key for a token's `kid` and `alg`. An unknown key id triggers one refresh, unless
    /// one was done within the refresh interval.
    pub async fn find(&self, kid: Option<&str>, alg: Alg) -> Result<Key, LookupError> {
        if let Some(k) = pick(&self.keys(), kid, alg) {
            return Ok(k);
        }
        let mut last = self.last_on_demand.lock().await;
        // Another request may have refreshed while we waited for the lock.
        if let Some(k) = pick(&self.keys(), kid, alg) {
            return Ok(k);
        }
        if let Some((at, failed)) = &*last
            && at.elapsed() < self.refresh_interval
        {
            return Err(match failed {
                Some(e) => LookupError::Unreachable(e.clone()),
                None => LookupError::Unknown,
            });
        }
        let started = Instant::now();
        let result = self.refresh().await;
        *last = Some((started, result.as_ref().err().cloned()));
        match result {
            Ok(()) => pick(&self.keys(), kid, alg).ok_or(LookupError::Unknown),
            Err(e) => Err(LookupError::Unreachable(e)),
        }
    }

    /// Fetches the JWKS and replaces the key set; on failure the old set stays.
    pub async fn refresh(&self) -> Result<(), FetchError> {
        match fetch(&self.http, &self.jwks_uri).await {
            Ok(keys) => {
                let mut c = self.cached.write().unwrap_or_else(|e| e.into_inner());
                *c = Cached {
                    keys: Arc::new(keys),
                    fetched: Instant::now(),
                };
                Ok(())
            }
            Err(e) => {
                tracing::warn!(jwks_uri = %self.jwks_uri, "OpenID key refresh failed: {e}");
                Err(FetchError::Transport(e))
            }
        }
    }
}

async fn fetch(http: &HttpClient, uri: &str) -> Result<Vec<Key>, String> {
    let body = http
        .get(uri, MAX_JWKS_BYTES)
        .await
        .map_err(|e| format!("{uri}: {e}"))?;
    parse_jwks(&body).map_err(|e| format!("{uri}: {e}"))
}

/// With a `kid`: the key of that id that accepts `alg`. Without: the only key accepting `alg`
/// (several candidates → none: we never try keys in turn).
fn pick(keys: &[Key], kid: Option<&str>, alg: Alg) -> Option<Key> {
    match kid {
        Some(kid) => keys
            .iter()
            .find(|k| k.kid.as_deref() == Some(kid) && k.accepts(alg))
            .cloned(),
        None => {
            let mut it = keys.iter().filter(|k| k.accepts(alg));
            match (it.next(), it.next()) {
                (Some(k), None) => Some(k.clone()),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_none_and_unknown_algorithms_are_never_accepted() {
        for bad in [
            "none", "HS256", "HS384", "HS512", "ES512", "RS1", "rs256", "",
        ] {
            assert_eq!(Alg::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn symmetric_small_and_mismatched_keys_are_skipped() {
        let n2048 = URL_SAFE_NO_PAD.encode([0xc5u8; 256]);
        let n1024 = URL_SAFE_NO_PAD.encode([0xc5u8; 128]);
        let x32 = URL_SAFE_NO_PAD.encode([1u8; 32]);
        let doc = serde_json::json!({"keys": [
            {"kty": "oct", "kid": "client", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "small", "n": n1024, "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": n2048, "e": "AQAB"},
            {"kty": "RSA", "kid": "hs", "alg": "HS256", "n": n2048, "e": "AQAB"},
            {"kty": "RSA", "kid": "confused", "alg": "ES256", "n": n2048, "e": "AQAB"},
            {"kty": "RSA", "kid": "ok", "alg": "RS256", "n": n2048, "e": "AQAB"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": x32},
            {"kty": "EC", "crv": "P-521", "kid": "p521", "x": x32, "y": x32}
        ]});
        let keys = parse_jwks(doc.to_string().as_bytes()).unwrap();
        let kids: Vec<&str> = keys.iter().filter_map(|k| k.kid.as_deref()).collect();
        assert_eq!(kids, ["ok", "ed"]);
        let rsa = &keys[0];
        assert!(rsa.accepts(Alg::Rs256));
        assert!(!rsa.accepts(Alg::Ps256), "pinned to the JWK's alg");
        assert!(!rsa.accepts(Alg::EdDsa));
        assert!(keys[1].accepts(Alg::EdDsa) && !keys[1].accepts(Alg::Es256));
    }

    #[test]
    fn pick_by_kid_or_single_candidate() {
        let k = |kid: &str| Key {
            kid: Some(kid.into()),
            alg: None,
            key: PublicKey::Ed25519(vec![0; 32]),
        };
        let keys = vec![k("a"), k("b")];
        assert_eq!(
            pick(&keys, Some("b"), Alg::EdDsa).unwrap().kid.as_deref(),
            Some("b")
        );
        assert!(pick(&keys, Some("c"), Alg::EdDsa).is_none());
        assert!(pick(&keys, Some("a"), Alg::Rs256).is_none());
        assert!(pick(&keys, None, Alg::EdDsa).is_none(), "ambiguous");
        assert!(pick(&keys[..1], None, Alg::EdDsa).is_some());
    }

    #[test]
    fn not_a_jwks() {
        assert!(parse_jwks(b"<html>").is_err());
        assert!(parse_jwks(b"{\"keys\": 3}").is_err());
        assert_eq!(parse_jwks(b"{\"keys\": []}").unwrap(), vec![]);
    }
}
