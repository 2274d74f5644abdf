//! The text resource patterns are matched against: `bucket` or `bucket/object`, seen as one text
//! without being joined (no copy, no allocation per request), and the first `/`-separated
//! segment the statement index looks up.

/// `head`, or `head/tail` when there is a tail: bytes of UTF-8 text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text<'a> {
    head: &'a [u8],
    tail: Option<&'a [u8]>,
}

impl<'a> Text<'a> {
    /// One text.
    pub(crate) fn one(s: &'a str) -> Self {
        Text {
            head: s.as_bytes(),
            tail: None,
        }
    }

    /// `bucket/object`, or `bucket` without an object.
    pub(crate) fn resource(bucket: &'a str, object: Option<&'a str>) -> Self {
        Text {
            head: bucket.as_bytes(),
            tail: object.map(str::as_bytes),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.head.len() + self.tail.map_or(0, |t| t.len() + 1)
    }

    /// The byte at `i < len()`.
    pub(crate) fn byte(&self, i: usize) -> u8 {
        match i.checked_sub(self.head.len()) {
            None => self.head[i],
            Some(0) => b'/',
            Some(j) => self.tail.map_or(0, |t| t[j - 1]),
        }
    }

    /// Whether the text from byte `at` on starts with `lit`.
    pub(crate) fn starts_with_at(&self, at: usize, mut lit: &[u8]) -> bool {
        if at + lit.len() > self.len() {
            return false;
        }
        let head = self.head.len();
        let mut at = at;
        if at < head {
            let n = lit.len().min(head - at);
            if !same_bytes(&self.head[at..at + n], &lit[..n]) {
                return false;
            }
            lit = &lit[n..];
            at += n;
        }
        let Some((&first, rest)) = lit.split_first() else {
            return true;
        };
        let Some(tail) = self.tail else {
            return false;
        };
        if at == head {
            if first != b'/' {
                return false;
            }
            lit = rest;
            at += 1;
        }
        let from = at - head - 1;
        same_bytes(&tail[from..from + lit.len()], lit)
    }

    /// Whether the text is exactly `lit`.
    pub(crate) fn equals(&self, lit: &[u8]) -> bool {
        lit.len() == self.len() && self.starts_with_at(0, lit)
    }

    /// The first `/`-separated segment: within the head, or the head itself.
    pub(crate) fn first_segment(&self) -> &'a [u8] {
        let end = self
            .head
            .iter()
            .position(|&b| b == b'/')
            .unwrap_or(self.head.len());
        &self.head[..end]
    }
}

/// `a == b`, compared inline when short: bucket names and pattern literals are, and a call to
/// `memcmp` costs more than comparing them.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let w8 = |s: &[u8], at: usize| {
        <[u8; 8]>::try_from(&s[at..at + 8])
            .map(u64::from_ne_bytes)
            .ok()
    };
    let w4 = |s: &[u8], at: usize| {
        <[u8; 4]>::try_from(&s[at..at + 4])
            .map(u32::from_ne_bytes)
            .ok()
    };
    match n {
        // Two overlapping words cover the slice.
        8..=16 => w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8),
        4..=7 => w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4),
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

/// FNV-1a: cheap for bucket-sized keys.
pub(crate) fn segment_hash(s: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_is_equality() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n as u8).map(|i| i.wrapping_mul(37)).collect();
            assert!(same_bytes(&a, &a.clone()));
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert!(!same_bytes(&a, &b), "{n} {i}");
            }
            assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    /// Every operation agrees with the same operation on the joined text.
    #[test]
    fn a_split_text_behaves_as_the_joined_one() {
        let cases = [
            ("b", Some("k/x")),
            ("b", None),
            ("", Some("k")),
            ("", None),
            ("a/b", Some("k")),
            ("a/b", None),
            ("b", Some("")),
            ("bucket", Some("é/ü")),
        ];
        for (bucket, object) in cases {
            let joined = match object {
                Some(o) => format!("{bucket}/{o}"),
                None => bucket.to_owned(),
            };
            let t = Text::resource(bucket, object);
            let j = joined.as_bytes();
            assert_eq!(t.len(), j.len());
            for (i, b) in j.iter().enumerate() {
                assert_eq!(t.byte(i), *b, "{joined} at {i}");
            }
            for at in 0..=j.len() {
                for end in at..=j.len() {
                    assert!(t.starts_with_at(at, &j[at..end]), "{joined} {at}..{end}");
                    let mut other = j[at..end].to_vec();
                    other.push(b'!');
                    assert!(!t.starts_with_at(at, &other), "{joined} {at}..{end}!");
                    if let Some(last) = other.len().checked_sub(2) {
                        other.pop();
                        other[last] ^= 1;
                        assert!(!t.starts_with_at(at, &other), "{joined} {at}..{end}^");
                    }
                }
            }
            assert!(t.equals(j));
            assert!(!t.equals(&j[..j.len().saturating_sub(1)]) || j.is_empty());
            let first = joined.split('/').next().unwrap_or("");
            assert_eq!(t.first_segment(), first.as_bytes());
        }
    }
}
