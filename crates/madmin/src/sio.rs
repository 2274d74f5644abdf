//! The sio ("DARE 2.0") chunked AEAD stream that madmin wraps its admin payloads in.
//!
//! Facts of the format (secure-io/sio-go `sio.go`, `writer.go`, `reader.go`; minio-py `crypto.py`):
//! - The plaintext is cut into chunks of [`CHUNK_LEN`] (16 KiB) bytes; only the last chunk may be
//!   shorter, and it may be empty only when the whole plaintext is empty. Each chunk is sealed
//!   separately and followed by its 16-byte tag, so every sealed chunk but the last is exactly
//!   [`SEALED_CHUNK_LEN`] bytes.
//! - The AEAD nonce (12 bytes) is the stream's 8-byte random nonce followed by a little-endian
//!   u32 sequence number. Sequence number 0 is used once, to seal an empty plaintext with empty
//!   associated data; its 16-byte tag becomes part of the associated data of every chunk.
//!   Chunks use sequence numbers 1, 2, 3, ...
//! - The associated data of each chunk is one flag byte followed by that tag: `0x00` for every
//!   chunk but the last, `0x80` for the last. So truncating the stream at a chunk boundary, or
//!   reordering chunks, fails authentication.
//!
//! Everything here works on an already derived key: it is cheap, so it is what the fast fuzz and
//! property tests exercise.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;

/// Plaintext bytes per chunk (sio `BufSize`).
pub const CHUNK_LEN: usize = 16 * 1024;
/// Authentication tag length of both AEADs.
pub const TAG_LEN: usize = 16;
/// A full sealed chunk: 16 KiB of ciphertext and its tag.
pub const SEALED_CHUNK_LEN: usize = CHUNK_LEN + TAG_LEN;
/// The random per-stream nonce carried in the header (AEAD nonce size minus the 4-byte counter).
pub const STREAM_NONCE_LEN: usize = 8;

const FLAG_MORE: u8 = 0x00;
const FLAG_FINAL: u8 = 0x80;

/// The AEAD a stream uses. The ids of the madmin header pick one of these (see `crypto.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    Aes256Gcm,
    ChaCha20Poly1305,
}

/// Either AEAD, keyed.
enum Aead {
    Aes(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

impl Aead {
    fn new(cipher: Cipher, key: &[u8; 32]) -> Self {
        match cipher {
            Cipher::Aes256Gcm => Aead::Aes(Box::new(Aes256Gcm::new(key.into()))),
            Cipher::ChaCha20Poly1305 => Aead::ChaCha(Box::new(ChaCha20Poly1305::new(key.into()))),
        }
    }

    /// Encrypts `buf` in place and returns the tag. Fails only for inputs longer than the AEAD
    /// limit (GiBs), which a 16 KiB chunk never is.
    fn seal(&self, nonce: &[u8; 12], ad: &[u8], buf: &mut [u8]) -> Option<[u8; TAG_LEN]> {
        let tag = match self {
            Aead::Aes(c) => c.encrypt_in_place_detached(nonce.into(), ad, buf).ok()?,
            Aead::ChaCha(c) => c.encrypt_in_place_detached(nonce.into(), ad, buf).ok()?,
        };
        Some(tag.into())
    }

    /// Decrypts `buf` in place if `tag` authenticates it (and `ad`); otherwise `buf` is unchanged
    /// or zeroed and `false` is returned.
    fn open(&self, nonce: &[u8; 12], ad: &[u8], buf: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        match self {
            Aead::Aes(c) => c
                .decrypt_in_place_detached(nonce.into(), ad, buf, tag.into())
                .is_ok(),
            Aead::ChaCha(c) => c
                .decrypt_in_place_detached(nonce.into(), ad, buf, tag.into())
                .is_ok(),
        }
    }
}

/// How a sealed stream of a given length splits into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Number of chunks, the last one included (at least 1).
    pub chunks: usize,
    /// Sealed length of the last chunk (`TAG_LEN..=SEALED_CHUNK_LEN`).
    pub last_len: usize,
}

/// Checks that `sealed_len` bytes can be a sio stream: at least one chunk, and a last chunk that
/// holds at least its tag. Costs nothing, so callers run it before deriving a key.
pub fn layout(sealed_len: usize) -> Option<Layout> {
    if sealed_len < TAG_LEN {
        return None;
    }
    let full = sealed_len / SEALED_CHUNK_LEN;
    let rest = sealed_len % SEALED_CHUNK_LEN;
    let layout = match rest {
        // The stream ends exactly on a full chunk: that chunk is the final one.
        0 => Layout {
            chunks: full,
            last_len: SEALED_CHUNK_LEN,
        },
        r if r >= TAG_LEN => Layout {
            chunks: full + 1,
            last_len: r,
        },
        // 1..15 trailing bytes cannot hold a tag.
        _ => return None,
    };
    // sio refuses more than 2^32 - 1 chunks (the counter would wrap to the header's 0).
    if layout.chunks == 0 || u32::try_from(layout.chunks).is_err() {
        return None;
    }
    Some(layout)
}

/// A keyed sio stream: the AEAD, the header nonce and the associated data derived from them.
pub struct Stream {
    aead: Aead,
    nonce: [u8; STREAM_NONCE_LEN],
    header_tag: [u8; TAG_LEN],
}

impl Stream {
    /// Keys a stream. Seals the empty message with sequence number 0 to obtain the tag that binds
    /// every chunk to this key, nonce and (empty) stream associated data.
    pub fn new(cipher: Cipher, key: &[u8; 32], nonce: &[u8; STREAM_NONCE_LEN]) -> Self {
        let aead = Aead::new(cipher, key);
        let header_tag = aead
            .seal(&chunk_nonce(nonce, 0), &[], &mut [])
            .unwrap_or([0; TAG_LEN]); // sealing an empty message cannot fail
        Stream {
            aead,
            nonce: *nonce,
            header_tag,
        }
    }

    fn associated_data(&self, last: bool) -> [u8; 1 + TAG_LEN] {
        let mut ad = [0u8; 1 + TAG_LEN];
        ad[0] = if last { FLAG_FINAL } else { FLAG_MORE };
        ad[1..].copy_from_slice(&self.header_tag);
        ad
    }

    /// Seals `plaintext` as a whole stream and appends the chunks to `out`.
    ///
    /// # Panics
    /// If `plaintext` needs more than 2^32 - 1 chunks (64 TiB), the most sio can address.
    pub fn seal_into(&self, plaintext: &[u8], out: &mut Vec<u8>) {
        let chunks = plaintext.len().div_ceil(CHUNK_LEN).max(1);
        assert!(
            u32::try_from(chunks).is_ok(),
            "sio: plaintext exceeds 2^32 - 1 chunks"
        );
        out.reserve(plaintext.len() + chunks * TAG_LEN);
        for index in 0..chunks {
            let start = index * CHUNK_LEN;
            let end = plaintext.len().min(start + CHUNK_LEN);
            let last = index + 1 == chunks;
            let at = out.len();
            out.extend_from_slice(&plaintext[start..end]);
            let nonce = chunk_nonce(&self.nonce, seq(index));
            let tag = self
                .aead
                .seal(&nonce, &self.associated_data(last), &mut out[at..])
                .unwrap_or_else(|| unreachable!("a 16 KiB chunk is within every AEAD limit"));
            out.extend_from_slice(&tag);
        }
    }

    /// Opens a whole sealed stream. Fails, returning no plaintext at all, if any chunk is not
    /// authentic, if the stream was cut short or extended, or if chunks were reordered.
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        let layout = layout(sealed.len())?;
        let mut plaintext = Vec::with_capacity(sealed.len() - layout.chunks * TAG_LEN);
        for (index, chunk) in sealed.chunks(SEALED_CHUNK_LEN).enumerate() {
            let last = index + 1 == layout.chunks;
            let (body, tag) = chunk.split_at(chunk.len() - TAG_LEN);
            let tag: &[u8; TAG_LEN] = tag.try_into().ok()?;
            let at = plaintext.len();
            plaintext.extend_from_slice(body);
            let nonce = chunk_nonce(&self.nonce, seq(index));
            if !self.aead.open(
                &nonce,
                &self.associated_data(last),
                &mut plaintext[at..],
                tag,
            ) {
                zeroize::Zeroize::zeroize(&mut plaintext);
                return None;
            }
        }
        Some(plaintext)
    }
}

/// Sequence number of the chunk at `index`; chunk counts are checked against u32 beforehand.
fn seq(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn chunk_nonce(nonce: &[u8; STREAM_NONCE_LEN], seq: u32) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..STREAM_NONCE_LEN].copy_from_slice(nonce);
    n[STREAM_NONCE_LEN..].copy_from_slice(&seq.to_le_bytes());
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];
    const NONCE: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

    fn sealed(cipher: Cipher, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Stream::new(cipher, &KEY, &NONCE).seal_into(plaintext, &mut out);
        out
    }

    #[test]
    fn layout_rules() {
        assert_eq!(layout(0), None);
        assert_eq!(layout(15), None);
        assert_eq!(
            layout(16),
            Some(Layout {
                chunks: 1,
                last_len: 16
            })
        );
        assert_eq!(
            layout(SEALED_CHUNK_LEN),
            Some(Layout {
                chunks: 1,
                last_len: SEALED_CHUNK_LEN
            })
        );
        assert_eq!(layout(SEALED_CHUNK_LEN + 1), None);
        assert_eq!(layout(SEALED_CHUNK_LEN + 15), None);
        assert_eq!(
            layout(SEALED_CHUNK_LEN + 16),
            Some(Layout {
                chunks: 2,
                last_len: 16
            })
        );
    }

    #[test]
    fn chunk_sizes_follow_sio() {
        for cipher in [Cipher::Aes256Gcm, Cipher::ChaCha20Poly1305] {
            // Empty plaintext: one final chunk holding only a tag.
            assert_eq!(sealed(cipher, b"").len(), TAG_LEN);
            // Exactly one chunk: a single full final chunk, no empty trailer.
            assert_eq!(sealed(cipher, &[0; CHUNK_LEN]).len(), SEALED_CHUNK_LEN);
            assert_eq!(
                sealed(cipher, &[0; CHUNK_LEN + 1]).len(),
                SEALED_CHUNK_LEN + 1 + TAG_LEN
            );
            assert_eq!(
                sealed(cipher, &[0; 2 * CHUNK_LEN]).len(),
                2 * SEALED_CHUNK_LEN
            );
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        for cipher in [Cipher::Aes256Gcm, Cipher::ChaCha20Poly1305] {
            for len in [
                0,
                1,
                CHUNK_LEN - 1,
                CHUNK_LEN,
                CHUNK_LEN + 1,
                3 * CHUNK_LEN + 5,
            ] {
                let plaintext: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
                let s = sealed(cipher, &plaintext);
                let stream = Stream::new(cipher, &KEY, &NONCE);
                assert_eq!(stream.open(&s).as_deref(), Some(&plaintext[..]));
                for at in [0, s.len() / 2, s.len() - 1] {
                    let mut bad = s.clone();
                    bad[at] ^= 0x01;
                    assert_eq!(stream.open(&bad), None, "flip at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn dropping_or_reordering_chunks_fails() {
        let plaintext = vec![9u8; 3 * CHUNK_LEN];
        let s = sealed(Cipher::Aes256Gcm, &plaintext);
        let stream = Stream::new(Cipher::Aes256Gcm, &KEY, &NONCE);
        // Cut at a chunk boundary: the new last chunk was sealed as "more follows".
        assert_eq!(stream.open(&s[..2 * SEALED_CHUNK_LEN]), None);
        // Swap the first two chunks: wrong sequence numbers.
        let mut swapped = s[SEALED_CHUNK_LEN..2 * SEALED_CHUNK_LEN].to_vec();
        swapped.extend_from_slice(&s[..SEALED_CHUNK_LEN]);
        swapped.extend_from_slice(&s[2 * SEALED_CHUNK_LEN..]);
        assert_eq!(stream.open(&swapped), None);
        // Another nonce or key: nothing opens.
        assert_eq!(Stream::new(Cipher::Aes256Gcm, &KEY, &[0; 8]).open(&s), None);
        assert_eq!(
            Stream::new(Cipher::ChaCha20Poly1305, &KEY, &NONCE).open(&s),
            None
        );
    }
}
