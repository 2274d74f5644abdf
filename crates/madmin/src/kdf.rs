//! Key derivation from the caller's secret key, with madmin's exact parameters
//! (madmin-go `encrypt.go`; minio-py `crypto.py` `_generate_key`).
//!
//! - Argon2id, version 0x13, time cost 1, memory 64 MiB (65536 KiB), 4 lanes, 32-byte output.
//! - PBKDF2-HMAC-SHA256, 8192 iterations, 32-byte output (madmin's FIPS build).
//!
//! Argon2id here costs 64 MiB of memory and tens of milliseconds of CPU per call (seconds in an
//! unoptimised debug build). That is the point of it for passwords, and a denial-of-service lever
//! against a server: see the crate documentation.

use argon2::{Algorithm, Argon2, Params, Version};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Salt length in the madmin header.
pub const SALT_LEN: usize = 32;
/// Derived key length (AES-256 / ChaCha20).
pub const KEY_LEN: usize = 32;

const ARGON2ID_TIME: u32 = 1;
const ARGON2ID_MEMORY_KIB: u32 = 64 * 1024;
const ARGON2ID_LANES: u32 = 4;
const PBKDF2_ROUNDS: u32 = 8192;

/// The two password-based key derivations madmin uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    Argon2id,
    Pbkdf2Sha256,
}

/// Derives the 32-byte stream key. Returns `None` only if argon2 refuses the input, which with
/// these constant parameters and a 32-byte salt means a password longer than 2^32 - 1 bytes.
pub fn derive(
    kdf: Kdf,
    password: &[u8],
    salt: &[u8; SALT_LEN],
) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    #[cfg(test)]
    DERIVATIONS.with(|n| n.set(n.get() + 1));
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    match kdf {
        Kdf::Argon2id => {
            let params = Params::new(
                ARGON2ID_MEMORY_KIB,
                ARGON2ID_TIME,
                ARGON2ID_LANES,
                Some(KEY_LEN),
            )
            .ok()?;
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password_into(password, salt, key.as_mut())
                .ok()?;
        }
        Kdf::Pbkdf2Sha256 => {
            pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, PBKDF2_ROUNDS, key.as_mut());
        }
    }
    Some(key)
}

#[cfg(test)]
thread_local! {
    /// How many keys this test thread derived: lets tests prove that a refusal came before the KDF.
    pub static DERIVATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6070-style check of the PBKDF2 wiring against an independent implementation:
    /// `python3 -c "import hashlib;print(hashlib.pbkdf2_hmac('sha256', b'password', bytes(range(32)), 8192, 32).hex())"`
    #[test]
    fn pbkdf2_matches_python_hashlib() {
        let salt: [u8; 32] = core::array::from_fn(|i| i as u8);
        let key = derive(Kdf::Pbkdf2Sha256, b"password", &salt).expect("pbkdf2");
        assert_eq!(
            hex::encode(key.as_ref()),
            include_str!("../testdata/pbkdf2-password-salt0to31.hex").trim()
        );
    }

    /// Argon2id with madmin's parameters against argon2-cffi (the library minio-py uses):
    /// `python3 -c "from argon2.low_level import *;print(hash_secret_raw(b'password', bytes(range(32)), 1, 65536, 4, 32, Type.ID, 19).hex())"`
    #[test]
    fn argon2id_matches_argon2_cffi() {
        let salt: [u8; 32] = core::array::from_fn(|i| i as u8);
        let key = derive(Kdf::Argon2id, b"password", &salt).expect("argon2");
        assert_eq!(
            hex::encode(key.as_ref()),
            include_str!("../testdata/argon2id-password-salt0to31.hex").trim()
        );
    }
}
