//! Credential material: access keys (20 chars `0-9A-Z`), secret keys (40 chars, MinIO's
//! alphabet `A-Za-z0-9+`) and the types that keep secrets and session tokens from leaking.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use rand::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// Length of a generated access key.
pub const ACCESS_KEY_LEN: usize = 20;
/// Length of a generated secret key.
pub const SECRET_KEY_LEN: usize = 40;
/// Bytes of entropy behind a secret key (30 bytes → 40 base64 chars).
pub const SECRET_KEY_BYTES: usize = 30;

const ACCESS_KEY_ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// Largest multiple of 36 that fits a byte: bytes at or above it are rejected so every
/// character is equally likely (MinIO takes `byte % 36`, which is biased).
const REJECT_FROM: u8 = 252;

/// A fresh access key: 20 characters from `0-9A-Z`, uniform (rejection sampling over a CSPRNG).
pub fn generate_access_key<R: RngCore + CryptoRng>(rng: &mut R) -> String {
    let mut out = String::with_capacity(ACCESS_KEY_LEN);
    let mut buf = [0u8; 32];
    while out.len() < ACCESS_KEY_LEN {
        rng.fill_bytes(&mut buf);
        for c in buf.iter().filter_map(|b| access_key_symbol(*b)) {
            if out.len() < ACCESS_KEY_LEN {
                out.push(c);
            }
        }
    }
    out
}

/// One random byte → one symbol, or `None` for the 4 byte values that would bias `% 36`.
fn access_key_symbol(b: u8) -> Option<char> {
    (b < REJECT_FROM).then(|| char::from(ACCESS_KEY_ALPHABET[usize::from(b % 36)]))
}

/// Whether `s` has the shape of a generated access key.
pub fn is_generated_access_key(s: &str) -> bool {
    s.len() == ACCESS_KEY_LEN && s.bytes().all(|b| ACCESS_KEY_ALPHABET.contains(&b))
}

/// Bytes of an access key's binary form ([`access_key_bytes`]): `36^20 < 2^104`.
pub(crate) const ACCESS_KEY_BYTES: usize = 13;
/// How many access keys there are: `36^20` (about `2^103.4`).
const ACCESS_KEY_SPACE: u128 = 36u128.pow(ACCESS_KEY_LEN as u32);

/// A generated access key as the big-endian bytes of the number its 20 base-36 digits spell
/// (`0-9` then `A-Z`); `None` for anything [`is_generated_access_key`] refuses. A bijection with
/// [`access_key_from_bytes`]: the binary form is as unique and as unguessable as the key.
pub(crate) fn access_key_bytes(access_key: &str) -> Option<[u8; ACCESS_KEY_BYTES]> {
    if !is_generated_access_key(access_key) {
        return None;
    }
    let n = access_key.bytes().fold(0u128, |n, b| {
        let digit = if b.is_ascii_digit() {
            b - b'0'
        } else {
            b - b'A' + 10
        };
        n * 36 + u128::from(digit)
    });
    let wide = n.to_be_bytes();
    wide[16 - ACCESS_KEY_BYTES..].try_into().ok()
}

/// The inverse of [`access_key_bytes`]; `None` for a number of `36^20` or more (bytes it never
/// writes).
pub(crate) fn access_key_from_bytes(bytes: &[u8; ACCESS_KEY_BYTES]) -> Option<String> {
    let mut wide = [0u8; 16];
    wide[16 - ACCESS_KEY_BYTES..].copy_from_slice(bytes);
    let mut n = u128::from_be_bytes(wide);
    if n >= ACCESS_KEY_SPACE {
        return None;
    }
    let mut digits = [0u8; ACCESS_KEY_LEN];
    for d in digits.iter_mut().rev() {
        // n % 36 < 36: the index is in range and the cast exact.
        *d = ACCESS_KEY_ALPHABET[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(digits.to_vec()).ok()
}

/// A fresh random secret key (for non-derived credentials, e.g. service accounts).
pub fn generate_secret_key<R: RngCore + CryptoRng>(rng: &mut R) -> SecretKey {
    let mut raw = Zeroizing::new([0u8; SECRET_KEY_BYTES]);
    rng.fill_bytes(raw.as_mut());
    encode_secret(&raw)
}

/// MinIO's encoding: standard base64 without padding, `/` replaced by `+`.
pub(crate) fn encode_secret(raw: &[u8; SECRET_KEY_BYTES]) -> SecretKey {
    let mut s = STANDARD_NO_PAD.encode(raw);
    // The rewritten copy is returned; the original buffer is wiped.
    let replaced: String = s.chars().map(|c| if c == '/' { '+' } else { c }).collect();
    s.zeroize();
    SecretKey::from(replaced)
}

/// A secret key: redacted in `Debug`, zeroized on drop, compared in constant time; read it
/// with [`SecretKey::expose`]. Deliberately not `Serialize`/`Display`.
#[derive(Clone)]
pub struct SecretKey(Box<str>);

impl SecretKey {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretKey {
    fn from(s: String) -> Self {
        Self(s.into_boxed_str())
    }
}

impl ConstantTimeEq for SecretKey {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.as_bytes().ct_eq(other.0.as_bytes())
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}
impl Eq for SecretKey {}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

/// A session token: redacted in `Debug`; read it with [`SessionToken::expose`] (to put it in
/// the response body). Never log it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub(crate) fn new(s: String) -> Self {
        Self(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionToken([redacted, {} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    #[test]
    fn access_key_shape() {
        for _ in 0..200 {
            let k = generate_access_key(&mut OsRng);
            assert!(is_generated_access_key(&k), "{k}");
        }
        assert!(!is_generated_access_key("abcdefghijklmnopqrst"));
        assert!(!is_generated_access_key("ABC"));
    }

    /// An RNG that replays a fixed byte pattern, to show rejected bytes are skipped.
    struct Replay(Vec<u8>, usize);
    impl RngCore for Replay {
        fn next_u32(&mut self) -> u32 {
            0
        }
        fn next_u64(&mut self) -> u64 {
            0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for d in dest {
                *d = self.0[self.1 % self.0.len()];
                self.1 += 1;
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl CryptoRng for Replay {}

    #[test]
    fn rejection_sampling_skips_biased_bytes() {
        // 252..=255 would map to 0..=3 under `% 36`; they must be skipped.
        let mut rng = Replay(vec![255, 252, 35, 0, 253, 36], 0);
        let k = generate_access_key(&mut rng);
        assert_eq!(k, "Z00Z00Z00Z00Z00Z00Z0");
    }

    #[test]
    fn byte_to_symbol_map_is_exactly_uniform() {
        // Over all 256 byte values every symbol must appear equally often (7 times); plain
        // `% 36` would give the first four symbols 8.
        let mut counts = [0u32; 36];
        for b in 0..=255u8 {
            if let Some(c) = access_key_symbol(b) {
                let i = ACCESS_KEY_ALPHABET
                    .iter()
                    .position(|a| char::from(*a) == c)
                    .unwrap();
                counts[i] += 1;
            }
        }
        assert_eq!(counts, [7; 36]);
    }

    #[test]
    fn access_keys_and_their_13_bytes_map_one_to_one() {
        for _ in 0..500 {
            let k = generate_access_key(&mut OsRng);
            let b = access_key_bytes(&k).unwrap();
            assert_eq!(access_key_from_bytes(&b).as_deref(), Some(k.as_str()));
        }
        // The ends of the range, and a known value: "10" in base 36 is 36.
        let zero = "0".repeat(20);
        assert_eq!(access_key_bytes(&zero), Some([0; ACCESS_KEY_BYTES]));
        let mut ten = [0; ACCESS_KEY_BYTES];
        ten[ACCESS_KEY_BYTES - 1] = 36;
        assert_eq!(
            access_key_bytes(&format!("{}10", "0".repeat(18))),
            Some(ten)
        );
        let top = "Z".repeat(20);
        let b = access_key_bytes(&top).unwrap();
        assert_eq!(access_key_from_bytes(&b), Some(top));
        // One past the largest key, and all ones: no access key.
        let mut wide = (ACCESS_KEY_SPACE).to_be_bytes();
        let past: [u8; ACCESS_KEY_BYTES] = wide[16 - ACCESS_KEY_BYTES..].try_into().unwrap();
        assert_eq!(access_key_from_bytes(&past), None);
        wide = u128::MAX.to_be_bytes();
        let ones: [u8; ACCESS_KEY_BYTES] = wide[16 - ACCESS_KEY_BYTES..].try_into().unwrap();
        assert_eq!(access_key_from_bytes(&ones), None);
        // What is not a generated key has no binary form.
        for bad in [
            "minioadmin",
            "abcdefghijklmnopqrst",
            "AKIAIOSFODNN7EXAMPLEX",
        ] {
            assert_eq!(access_key_bytes(bad), None, "{bad}");
        }
    }

    #[test]
    fn secret_shape_and_alphabet() {
        for _ in 0..200 {
            let s = generate_secret_key(&mut OsRng);
            assert_eq!(s.expose().len(), SECRET_KEY_LEN);
            assert!(
                s.expose()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+')
            );
        }
        // All-ones bytes encode to `/` in base64; MinIO replaces it with `+`.
        let s = encode_secret(&[0xff; SECRET_KEY_BYTES]);
        assert_eq!(s.expose(), "+".repeat(40));
    }

    #[test]
    fn secrets_redacted_and_compared() {
        let a = SecretKey::from("wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY00".to_string());
        let b = a.clone();
        assert_eq!(a, b);
        assert_ne!(a, SecretKey::from("other".to_string()));
        assert!(!format!("{a:?}").contains("wJal"));
        let t = SessionToken::new("eyJhbGciOi.payload.sig".into());
        assert!(!format!("{t:?}").contains("eyJ"));
    }
}
