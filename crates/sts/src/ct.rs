//! Constant-time equality of byte strings, a word at a time.
//!
//! `subtle`'s slice comparison routes every byte through an optimisation barrier (a volatile
//! read), which for a ~400-byte session token costs more than the rest of a cached lookup. Here
//! the bytes are XOR-ed eight at a time into one accumulator that is OR-ed and never tested
//! inside the loop; only the final accumulator passes through `subtle` (one barrier), so the
//! work done does not depend on where, or whether, the inputs differ. As with `subtle`, the
//! lengths are not secret: different lengths answer `false` at once.

use subtle::ConstantTimeEq;

const WORD: usize = std::mem::size_of::<u64>();

/// Whether `a` and `b` are equal, in time that depends only on their lengths.
#[must_use]
pub fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut acc = 0u64;
    let (a_words, b_words) = (a.chunks_exact(WORD), b.chunks_exact(WORD));
    let (a_tail, b_tail) = (a_words.remainder(), b_words.remainder());
    for (x, y) in a_words.zip(b_words) {
        acc |= word(x) ^ word(y);
    }
    for (x, y) in a_tail.iter().zip(b_tail) {
        acc |= u64::from(x ^ y);
    }
    acc.ct_eq(&0).into()
}

/// Eight bytes as a native-endian word (the order does not matter for an equality test).
fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; WORD];
    w.copy_from_slice(chunk);
    u64::from_ne_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_inputs_of_every_length_around_the_word_size() {
        let data: Vec<u8> = (0..=40u8).collect();
        let copy = data.clone();
        for n in 0..data.len() {
            assert!(bytes_eq(&data[..n], &copy[..n]), "length {n}");
        }
    }

    #[test]
    fn a_difference_anywhere_is_found() {
        let a: Vec<u8> = (0..400u32).map(|i| (i * 7 % 251) as u8).collect();
        for at in [0, 1, 7, 8, 9, 200, 391, 392, 398, 399] {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut b = a.clone();
                b[at] ^= flip;
                assert!(!bytes_eq(&a, &b), "byte {at} ^ {flip:#x}");
                assert!(!bytes_eq(&b, &a), "byte {at} ^ {flip:#x}, swapped");
            }
        }
        // Short inputs: the difference lies only in the tail after the last whole word.
        assert!(!bytes_eq(b"abc", b"abd"));
        assert!(!bytes_eq(b"abcdefgh1", b"abcdefgh2"));
    }

    #[test]
    fn different_lengths_are_unequal() {
        assert!(!bytes_eq(b"", b"a"));
        assert!(!bytes_eq(b"abcdefgh", b"abcdefghi"));
        assert!(!bytes_eq(b"abcdefghi", b"abcdefgh"));
        assert!(bytes_eq(b"", b""));
    }
}
