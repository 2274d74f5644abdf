//! The MinIO admin API (`/minio/admin/v3/...`) wire format, so that `minio.MinioAdmin` (minio-py)
//! and madmin-go clients (`mc admin`) work against Strongbox unmodified.
//!
//! Two parts, both pure (no I/O, no tokio):
//! - [`crypto`]: madmin's payload encryption. Some admin requests and responses carry their JSON
//!   sealed with a key derived from the caller's secret key: a 41-byte header (32-byte salt,
//!   algorithm id, 8-byte nonce) and the body as a sio stream of 16 KiB AEAD chunks. See
//!   `ENDPOINTS.md` for which endpoints encrypt what.
//! - [`types`]: serde types of the JSON bodies of the user, group, policy, service-account,
//!   account-info and token-revocation endpoints.
//!
//! # Security notes for the server
//! - **Authenticate first.** [`decrypt_data`] runs Argon2id (64 MiB of memory, tens of
//!   milliseconds) for any body whose id byte is 0 or 1. Verify the request's SigV4 signature
//!   before decrypting, cap the body size before reading it (see [`MAX_CIPHERTEXT_LEN`]), and bound
//!   the number of derivations running at once; run them off the async executor.
//! - The password is the *requesting* credential's secret key (for STS credentials, the temporary
//!   secret), exactly as madmin uses it. Responses are encrypted with the same secret.
//! - A decrypted body is still untrusted JSON: parse it with the bounded types in [`types`].

#![forbid(unsafe_code)]

pub mod crypto;
pub mod endpoints;
mod kdf;
mod sio;
pub mod types;

pub use crypto::{
    Algorithm, Error, HEADER_LEN, MAX_CIPHERTEXT_LEN, decrypt_data, encrypt_data,
    encrypt_data_with, is_encrypted,
};

/// Plaintext bytes per sio chunk (16 KiB).
pub const CHUNK_LEN: usize = sio::CHUNK_LEN;
/// AEAD tag bytes after each chunk.
pub const TAG_LEN: usize = sio::TAG_LEN;
/// Salt bytes at the start of the header.
pub const SALT_LEN: usize = kdf::SALT_LEN;

#[cfg(test)]
mod crypto_tests;
