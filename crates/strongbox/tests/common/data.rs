//! Test data: deterministic pseudo-random bytes and the checksums S3 defines over them.

use md5::{Digest, Md5};

/// `len` pseudo-random bytes from `seed` (splitmix64: fast even in a debug build, and
/// reproducible, so a failure can be replayed).
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        out.extend_from_slice(&z.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// The ETag S3 gives a single-part object: `"<md5 hex>"`.
pub fn quoted_md5(data: &[u8]) -> String {
    format!("\"{}\"", md5_hex(data))
}

/// The ETag S3 gives a completed multipart upload: MD5 over the concatenated binary MD5s of the
/// parts, then `-<part count>`, in quotes.
pub fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut cat = Vec::with_capacity(16 * parts.len());
    for p in parts {
        cat.extend_from_slice(&Md5::digest(p));
    }
    format!("\"{}-{}\"", hex::encode(Md5::digest(&cat)), parts.len())
}

/// ETags compared without their quotes (clients differ on whether they keep them).
pub fn unquote(etag: &str) -> &str {
    etag.trim_matches('"')
}
