//! The STS key ring: the dedicated keys (NOT the root secret, DESIGN.md) that sign session
//! tokens and derive temporary secret keys.
//!
//! One key is active (signs new tokens); older keys stay usable for *verification* until their
//! `verify_until` instant, so rotating never logs outstanding sessions out. The ring serialises
//! (key material included, base64) so the IAM store can persist it and every node shares it;
//! `Debug` never shows material. Persist it only through the IAM store's secret-aware path.
//!
//! Each 64-byte key `K` is split into two independent subkeys (domain separation):
//! `K_sign = HMAC-SHA512(K, "strongbox-sts/v1/token-signing")` (used with HMAC-SHA256: tokens
//! are HS256, whose 32-byte tag keeps the token short) and
//! `K_derive = HMAC-SHA512(K, "strongbox-sts/v1/secret-derivation")`, so a token signature can
//! never be related to a derived secret.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Sha256, Sha512};
use time::OffsetDateTime;
use zeroize::{Zeroize, Zeroizing};

/// Bytes of key material per key (the HMAC-SHA512 block-size-friendly 512 bits).
pub const KEY_BYTES: usize = 64;
/// Longest accepted key id (rings may hold ids this code did not make).
pub const MAX_KID_LEN: usize = 64;
/// Random bytes behind a generated key id (8 hex digits).
const KID_BYTES: usize = 4;
/// Ring format version written by this code.
const FORMAT_VERSION: u32 = 1;

pub(crate) type HmacSha512 = Hmac<Sha512>;
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Why a ring could not be loaded or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingError {
    #[error("unsupported key ring format version {0}")]
    Version(u32),
    #[error("key ring has no key with the active kid")]
    NoActiveKey,
    #[error("key ring has a duplicate kid")]
    DuplicateKid,
    #[error("invalid kid (1..=64 chars of A-Z a-z 0-9 _ -)")]
    BadKid,
    #[error("key material must be {KEY_BYTES} bytes of base64")]
    BadMaterial,
    #[error("the active key cannot be retired; rotate first")]
    RetireActive,
    #[error("no such kid")]
    UnknownKid,
}

/// One key: its id, material (secret), and when it stops verifying.
#[derive(Clone)]
pub(crate) struct StsKey {
    kid: String,
    material: Zeroizing<[u8; KEY_BYTES]>,
    created_at: i64,
    verify_until: Option<i64>,
    sign: HmacSha256,
    derive: HmacSha512,
}

impl StsKey {
    fn new(kid: String, material: Zeroizing<[u8; KEY_BYTES]>, created_at: i64) -> Self {
        let sub = |label: &[u8]| {
            let mut m = mac(material.as_ref());
            m.update(label);
            finalize64(m)
        };
        let sign = match HmacSha256::new_from_slice(sub(b"strongbox-sts/v1/token-signing").as_ref())
        {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        let derive = mac(sub(b"strongbox-sts/v1/secret-derivation").as_ref());
        Self {
            kid,
            material,
            created_at,
            verify_until: None,
            sign,
            derive,
        }
    }
    /// A fresh key whose id is none of `taken` (the ring's kids).
    fn generate(created_at: i64, taken: &[StsKey]) -> Self {
        let mut material = Zeroizing::new([0u8; KEY_BYTES]);
        OsRng.fill_bytes(material.as_mut());
        let kid = unused_kid(taken, || {
            let mut id = [0u8; KID_BYTES];
            OsRng.fill_bytes(&mut id);
            id
        });
        Self::new(kid, material, created_at)
    }
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }
    /// A fresh MAC (HMAC-SHA256) keyed with the token-signing subkey.
    pub(crate) fn signer(&self) -> HmacSha256 {
        self.sign.clone()
    }
    /// A fresh MAC keyed with the secret-derivation subkey.
    pub(crate) fn deriver(&self) -> HmacSha512 {
        self.derive.clone()
    }
    fn usable_at(&self, now: i64) -> bool {
        self.verify_until.is_none_or(|u| now < u)
    }
}

/// The first id from `draw` (hex) that no key in `taken` has. A kid only has to tell the ring's
/// few keys apart, not be unguessable (a token naming a kid still needs that key's MAC), so 32
/// random bits are plenty: it travels in every session token.
fn unused_kid(taken: &[StsKey], mut draw: impl FnMut() -> [u8; KID_BYTES]) -> String {
    loop {
        let kid = hex::encode(draw());
        if !taken.iter().any(|k| k.kid == kid) {
            return kid;
        }
    }
}

/// Finish a MAC into a buffer that is wiped on drop (the intermediate is wiped too).
pub(crate) fn finalize64(m: HmacSha512) -> Zeroizing<[u8; 64]> {
    let mut tag = m.finalize().into_bytes();
    let mut out = Zeroizing::new([0u8; 64]);
    out.copy_from_slice(&tag);
    tag.as_mut_slice().zeroize();
    out
}

fn mac(key: &[u8]) -> HmacSha512 {
    // HMAC accepts keys of any length; this cannot fail.
    match HmacSha512::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

/// Public, non-secret facts about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub active: bool,
    pub created_at: i64,
    /// Unix seconds from which the key no longer verifies (`None`: no limit).
    pub verify_until: Option<i64>,
}

/// The STS key ring. See the module docs.
#[derive(Clone)]
pub struct KeyRing {
    active: String,
    keys: Vec<StsKey>,
}

impl KeyRing {
    /// A new ring with one fresh random key (from the OS CSPRNG).
    pub fn generate(now: OffsetDateTime) -> Self {
        let key = StsKey::generate(now.unix_timestamp(), &[]);
        Self {
            active: key.kid.clone(),
            keys: vec![key],
        }
    }

    /// Make a fresh key active. The previously active key keeps verifying for `keep_old_for`
    /// (give at least the longest credential lifetime, `DurationConfig::max_secs`, so no
    /// outstanding session is cut short). Returns the new kid.
    pub fn rotate(&mut self, now: OffsetDateTime, keep_old_for: time::Duration) -> &str {
        let now_s = now.unix_timestamp();
        let until = now_s.saturating_add(keep_old_for.whole_seconds());
        let key = StsKey::generate(now_s, &self.keys);
        let old = self.active.clone();
        if let Some(k) = self.keys.iter_mut().find(|k| k.kid == old) {
            k.verify_until = Some(k.verify_until.map_or(until, |u| u.min(until)));
        }
        self.active = key.kid.clone();
        self.keys.push(key);
        &self.active
    }

    /// Stop a non-active key from verifying at `at` (e.g. now, after a suspected leak: every
    /// session it signed ends). Rotate first to retire the active key.
    pub fn retire(&mut self, kid: &str, at: OffsetDateTime) -> Result<(), KeyRingError> {
        if kid == self.active {
            return Err(KeyRingError::RetireActive);
        }
        let k = self
            .keys
            .iter_mut()
            .find(|k| k.kid == kid)
            .ok_or(KeyRingError::UnknownKid)?;
        let at = at.unix_timestamp();
        k.verify_until = Some(k.verify_until.map_or(at, |u| u.min(at)));
        Ok(())
    }

    /// Drop keys that no longer verify at `now`. Returns how many were dropped.
    pub fn prune(&mut self, now: OffsetDateTime) -> usize {
        let now = now.unix_timestamp();
        let before = self.keys.len();
        let active = self.active.clone();
        self.keys.retain(|k| k.kid == active || k.usable_at(now));
        before - self.keys.len()
    }

    pub fn active_kid(&self) -> &str {
        &self.active
    }

    /// Non-secret description of every key.
    pub fn keys(&self) -> Vec<KeyInfo> {
        self.keys
            .iter()
            .map(|k| KeyInfo {
                kid: k.kid.clone(),
                active: k.kid == self.active,
                created_at: k.created_at,
                verify_until: k.verify_until,
            })
            .collect()
    }

    pub(crate) fn active_key(&self) -> &StsKey {
        // Invariant (constructors and deserialisation): the active kid is in `keys`.
        match self.keys.iter().find(|k| k.kid == self.active) {
            Some(k) => k,
            None => unreachable!("key ring invariant: active key present"),
        }
    }

    /// The key `kid` if it still verifies at `now` (unix seconds).
    pub(crate) fn verifying_key(&self, kid: &str, now: i64) -> Option<&StsKey> {
        self.keys
            .iter()
            .find(|k| k.kid == kid)
            .filter(|k| k.usable_at(now))
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active)
            .field("keys", &self.keys())
            .finish()
    }
}

fn valid_kid(kid: &str) -> bool {
    (1..=MAX_KID_LEN).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

// ---- persistence -------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RingRepr {
    version: u32,
    active: String,
    keys: Vec<KeyRepr>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KeyRepr {
    kid: String,
    /// Standard base64 of the 64 bytes.
    material: Zeroizing<String>,
    created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verify_until: Option<i64>,
}

impl Serialize for KeyRing {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RingRepr {
            version: FORMAT_VERSION,
            active: self.active.clone(),
            keys: self
                .keys
                .iter()
                .map(|k| KeyRepr {
                    kid: k.kid.clone(),
                    material: Zeroizing::new(STANDARD.encode(k.material.as_ref())),
                    created_at: k.created_at,
                    verify_until: k.verify_until,
                })
                .collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for KeyRing {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = RingRepr::deserialize(d)?;
        KeyRing::try_from(repr).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<RingRepr> for KeyRing {
    type Error = KeyRingError;
    fn try_from(r: RingRepr) -> Result<Self, KeyRingError> {
        if r.version != FORMAT_VERSION {
            return Err(KeyRingError::Version(r.version));
        }
        let mut keys: Vec<StsKey> = Vec::with_capacity(r.keys.len());
        for k in r.keys {
            if !valid_kid(&k.kid) {
                return Err(KeyRingError::BadKid);
            }
            if keys.iter().any(|e| e.kid == k.kid) {
                return Err(KeyRingError::DuplicateKid);
            }
            let bytes = Zeroizing::new(
                STANDARD
                    .decode(k.material.as_bytes())
                    .map_err(|_| KeyRingError::BadMaterial)?,
            );
            let mut material = Zeroizing::new([0u8; KEY_BYTES]);
            if bytes.len() != KEY_BYTES {
                return Err(KeyRingError::BadMaterial);
            }
            material.copy_from_slice(&bytes);
            let mut key = StsKey::new(k.kid, material, k.created_at);
            key.verify_until = k.verify_until;
            keys.push(key);
        }
        if !keys.iter().any(|k| k.kid == r.active) {
            return Err(KeyRingError::NoActiveKey);
        }
        Ok(Self {
            active: r.active,
            keys,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(s).unwrap()
    }

    #[test]
    fn rotate_keeps_old_key_for_verification_until_deadline() {
        let mut ring = KeyRing::generate(t(1_000));
        let first = ring.active_kid().to_string();
        let second = ring
            .rotate(t(2_000), time::Duration::seconds(3_600))
            .to_string();
        assert_ne!(first, second);
        assert_eq!(ring.active_kid(), second);
        assert!(ring.verifying_key(&first, 5_599).is_some());
        assert!(ring.verifying_key(&first, 5_600).is_none());
        assert!(ring.verifying_key(&second, 1_000_000).is_some());
        assert_eq!(ring.prune(t(5_599)), 0);
        assert_eq!(ring.prune(t(5_600)), 1);
        assert_eq!(ring.keys().len(), 1);
    }

    #[test]
    fn kids_are_8_hex_digits_and_new_ones_differ_from_every_kid_in_the_ring() {
        let mut ring = KeyRing::generate(t(0));
        for i in 1..20 {
            ring.rotate(t(i), time::Duration::days(1));
        }
        let kids: Vec<String> = ring.keys().into_iter().map(|k| k.kid).collect();
        for kid in &kids {
            assert_eq!(kid.len(), 8, "{kid}");
            assert!(kid.bytes().all(|b| b.is_ascii_hexdigit()), "{kid}");
        }
        let mut unique = kids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), kids.len());
        // Draws that repeat ids already in the ring are skipped until a new one comes.
        let taken = &ring.keys[..2];
        let first = hex::decode(&taken[0].kid).unwrap();
        let second = hex::decode(&taken[1].kid).unwrap();
        let fresh = [0xde, 0xad, 0xbe, 0xef];
        let mut draws = [&first[..], &second[..], &first[..], &fresh[..]].into_iter();
        let kid = unused_kid(taken, || draws.next().unwrap().try_into().unwrap());
        assert_eq!(kid, "deadbeef");
        assert!(draws.next().is_none(), "stopped at the first unused id");
    }

    #[test]
    fn retire_rules() {
        let mut ring = KeyRing::generate(t(0));
        let first = ring.active_kid().to_string();
        assert_eq!(ring.retire(&first, t(1)), Err(KeyRingError::RetireActive));
        ring.rotate(t(10), time::Duration::days(365));
        ring.retire(&first, t(20)).unwrap();
        assert!(ring.verifying_key(&first, 19).is_some());
        assert!(ring.verifying_key(&first, 20).is_none());
        assert_eq!(ring.retire("nope", t(1)), Err(KeyRingError::UnknownKid));
    }

    #[test]
    fn serde_round_trip_preserves_keys_and_debug_redacts() {
        let mut ring = KeyRing::generate(t(0));
        ring.rotate(t(10), time::Duration::seconds(100));
        let json = serde_json::to_string(&ring).unwrap();
        let back: KeyRing = serde_json::from_str(&json).unwrap();
        assert_eq!(back.keys(), ring.keys());
        for (a, b) in ring.keys.iter().zip(&back.keys) {
            assert_eq!(a.material.as_ref(), b.material.as_ref());
        }
        let dbg = format!("{ring:?}");
        let material = STANDARD.encode(ring.keys[0].material.as_ref());
        assert!(json.contains(&material));
        assert!(!dbg.contains(&material[..16]), "{dbg}");
    }

    #[test]
    fn malformed_rings_rejected() {
        let ring = KeyRing::generate(t(0));
        let v: serde_json::Value = serde_json::to_value(&ring).unwrap();
        let mutate = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = v.clone();
            f(&mut v);
            serde_json::from_value::<KeyRing>(v)
                .unwrap_err()
                .to_string()
        };
        assert!(mutate(&|v| v["version"] = 2.into()).contains("version 2"));
        assert!(mutate(&|v| v["active"] = "zzz".into()).contains("active kid"));
        assert!(mutate(&|v| v["keys"][0]["material"] = "AAAA".into()).contains("64 bytes"));
        assert!(mutate(&|v| v["keys"][0]["kid"] = "a b".into()).contains("invalid kid"));
        assert!(mutate(&|v| v["extra"] = 1.into()).contains("unknown field"));
        assert!(
            mutate(&|v| {
                let k = v["keys"][0].clone();
                v["keys"].as_array_mut().unwrap().push(k);
            })
            .contains("duplicate")
        );
    }

    #[test]
    fn subkeys_differ_and_depend_on_material() {
        let a = KeyRing::generate(t(0));
        let b = KeyRing::generate(t(0));
        let sign = |m: HmacSha256| m.chain_update(b"x").finalize().into_bytes().to_vec();
        let derive = |m: HmacSha512| m.chain_update(b"x").finalize().into_bytes().to_vec();
        let ka = a.active_key();
        assert_ne!(sign(ka.signer())[..], derive(ka.deriver())[..32]);
        assert_ne!(sign(ka.signer()), sign(b.active_key().signer()));
        assert_ne!(derive(ka.deriver()), derive(b.active_key().deriver()));
    }
}
