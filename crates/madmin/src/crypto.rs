//! madmin's `EncryptData` / `DecryptData` envelope.
//!
//! ```text
//! salt (32) | AEAD id (1) | stream nonce (8) | sio chunks (16 KiB + 16-byte tag each, see sio.rs)
//! ```
//!
//! | id | key derivation | AEAD | who produces it |
//! |----|----------------|------|-----------------|
//! | 0  | Argon2id       | AES-256-GCM       | madmin (CPU with AES), minio-py (always) |
//! | 1  | Argon2id       | ChaCha20-Poly1305 | madmin on CPUs without native AES |
//! | 2  | PBKDF2-SHA256  | AES-256-GCM       | madmin built for FIPS |
//!
//! minio-py's decrypt understands ids 0 and 1 only (it always derives with Argon2id), so responses
//! are encrypted with id 0. Requests are accepted with any of the three ids.

use rand::RngCore;

use crate::kdf::{self, Kdf, SALT_LEN};
use crate::sio::{self, Cipher, STREAM_NONCE_LEN, Stream};

/// Bytes before the first sealed chunk: salt, algorithm id, stream nonce.
pub const HEADER_LEN: usize = SALT_LEN + 1 + STREAM_NONCE_LEN;

/// The largest encrypted body [`decrypt_data`] accepts: 1 MiB. Admin request bodies are a few KiB
/// (a service-account policy is at most 4096 bytes); MinIO itself caps most of them at 262272
/// bytes (`maxEConfigJSONSize`). Larger inputs are refused before any key is derived.
pub const MAX_CIPHERTEXT_LEN: usize = 1 << 20;

/// The envelope's algorithm id byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Algorithm {
    /// Id 0: Argon2id key, AES-256-GCM chunks. What [`encrypt_data`] produces.
    Argon2idAesGcm = 0,
    /// Id 1: Argon2id key, ChaCha20-Poly1305 chunks.
    Argon2idChaCha20Poly1305 = 1,
    /// Id 2: PBKDF2-HMAC-SHA256 key, AES-256-GCM chunks (madmin's FIPS mode). minio-py cannot
    /// decrypt this one, so never answer a minio-py client with it.
    Pbkdf2AesGcm = 2,
}

impl Algorithm {
    /// Parses the id byte of a header.
    pub fn from_id(id: u8) -> Option<Self> {
        match id {
            0 => Some(Self::Argon2idAesGcm),
            1 => Some(Self::Argon2idChaCha20Poly1305),
            2 => Some(Self::Pbkdf2AesGcm),
            _ => None,
        }
    }

    /// The id byte written in the header.
    pub fn id(self) -> u8 {
        self as u8
    }

    fn kdf(self) -> Kdf {
        match self {
            Self::Argon2idAesGcm | Self::Argon2idChaCha20Poly1305 => Kdf::Argon2id,
            Self::Pbkdf2AesGcm => Kdf::Pbkdf2Sha256,
        }
    }

    fn cipher(self) -> Cipher {
        match self {
            Self::Argon2idAesGcm | Self::Pbkdf2AesGcm => Cipher::Aes256Gcm,
            Self::Argon2idChaCha20Poly1305 => Cipher::ChaCha20Poly1305,
        }
    }
}

/// Why an encrypted admin payload was refused. The messages are safe to show a client: they never
/// contain key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is larger than [`MAX_CIPHERTEXT_LEN`]; nothing was derived or decrypted.
    #[error("encrypted payload of {len} bytes exceeds the maximum of {max} bytes")]
    TooLarge { len: usize, max: usize },
    /// Too short for a header and a final chunk, or a tail that cannot be a chunk.
    #[error("encrypted payload is truncated or malformed")]
    Malformed,
    /// The algorithm id byte is not one madmin defines.
    #[error("encrypted payload uses an unknown algorithm id")]
    UnknownAlgorithm(u8),
    /// A chunk failed authentication: wrong secret key, modified, reordered or truncated data.
    #[error("encrypted payload is not authentic (wrong secret key or modified data)")]
    NotAuthentic,
    /// The key derivation refused its input (a password longer than 4 GiB).
    #[error("key derivation failed")]
    KeyDerivation,
}

/// Encrypts an admin payload as madmin `EncryptData` does, with a fresh random salt and nonce,
/// using [`Algorithm::Argon2idAesGcm`] — the combination minio-py and every madmin can decrypt.
///
/// Costs one Argon2id derivation (64 MiB, tens of milliseconds); see the crate docs.
///
/// # Panics
/// Only for impossible sizes: a password over 4 GiB or a plaintext over 64 TiB.
pub fn encrypt_data(password: &[u8], plaintext: &[u8]) -> Vec<u8> {
    encrypt_data_with(Algorithm::Argon2idAesGcm, password, plaintext)
}

/// [`encrypt_data`] with an explicit algorithm id (madmin clients decrypt all three ids; minio-py
/// only ids 0 and 1).
///
/// # Panics
/// Only for impossible sizes: a password over 4 GiB or a plaintext over 64 TiB.
pub fn encrypt_data_with(algorithm: Algorithm, password: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut rng = rand::thread_rng();
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; STREAM_NONCE_LEN];
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut nonce);
    seal_with_salt_and_nonce(algorithm, password, &salt, &nonce, plaintext)
}

/// The deterministic core of encryption. Reusing a salt and nonce for one password breaks the
/// AEAD, so this stays private to the crate (tests use it to compare against minio-py bytes).
pub(crate) fn seal_with_salt_and_nonce(
    algorithm: Algorithm,
    password: &[u8],
    salt: &[u8; SALT_LEN],
    nonce: &[u8; STREAM_NONCE_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    let key = kdf::derive(algorithm.kdf(), password, salt).unwrap_or_else(|| {
        panic!(
            "madmin: key derivation refused a password of {} bytes",
            password.len()
        )
    });
    let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + sio::TAG_LEN);
    out.extend_from_slice(salt);
    out.push(algorithm.id());
    out.extend_from_slice(nonce);
    Stream::new(algorithm.cipher(), &key, nonce).seal_into(plaintext, &mut out);
    out
}

/// Decrypts a payload produced by madmin `EncryptData` or minio-py `crypto.encrypt`.
///
/// Order of checks, cheapest first, so hostile input costs as little as possible: the size cap
/// ([`MAX_CIPHERTEXT_LEN`]), the header and chunk layout, the algorithm id; only then the key
/// derivation (Argon2id: 64 MiB, tens of milliseconds) and the chunk authentication. It never
/// panics, whatever the input, and returns no plaintext unless every chunk authenticated.
///
/// # Denial of service
/// Anyone can make the server run Argon2id by sending a body with id 0 or 1. Call this only
/// after the request's SigV4 signature has been verified (the password is the caller's secret
/// key, so the signature proves the caller knows it), and bound how many derivations run at once
/// (for example a semaphore around a `spawn_blocking` call).
///
/// A header with no chunk at all (minio-py's output for an empty plaintext) is refused, as madmin
/// refuses it: without a final chunk, truncation could not be detected.
pub fn decrypt_data(password: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
    if ciphertext.len() > MAX_CIPHERTEXT_LEN {
        return Err(Error::TooLarge {
            len: ciphertext.len(),
            max: MAX_CIPHERTEXT_LEN,
        });
    }
    let header = parse_header(ciphertext)?;
    let key =
        kdf::derive(header.algorithm.kdf(), password, &header.salt).ok_or(Error::KeyDerivation)?;
    Stream::new(header.algorithm.cipher(), &key, &header.nonce)
        .open(header.sealed)
        .ok_or(Error::NotAuthentic)
}

/// Reports whether `data` looks like a madmin envelope (longer than a salt and a known id byte at
/// offset 32), as madmin `IsEncrypted` does. A heuristic, not a proof.
pub fn is_encrypted(data: &[u8]) -> bool {
    data.len() > SALT_LEN && Algorithm::from_id(data[SALT_LEN]).is_some()
}

/// A parsed, layout-checked envelope header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    pub salt: [u8; SALT_LEN],
    pub algorithm: Algorithm,
    pub nonce: [u8; STREAM_NONCE_LEN],
    /// The sealed chunks after the header.
    pub sealed: &'a [u8],
}

/// Splits an envelope into its fields without deriving anything. Fails on an unknown id or on a
/// chunk layout sio would refuse (no final chunk, a tail shorter than a tag).
pub fn parse_header(ciphertext: &[u8]) -> Result<Header<'_>, Error> {
    if ciphertext.len() < HEADER_LEN {
        return Err(Error::Malformed);
    }
    let (head, sealed) = ciphertext.split_at(HEADER_LEN);
    let algorithm =
        Algorithm::from_id(head[SALT_LEN]).ok_or(Error::UnknownAlgorithm(head[SALT_LEN]))?;
    sio::layout(sealed.len()).ok_or(Error::Malformed)?;
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&head[..SALT_LEN]);
    let mut nonce = [0u8; STREAM_NONCE_LEN];
    nonce.copy_from_slice(&head[SALT_LEN + 1..]);
    Ok(Header {
        salt,
        algorithm,
        nonce,
        sealed,
    })
}
