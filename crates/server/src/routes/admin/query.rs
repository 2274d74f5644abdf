//! The decoded query string of an admin request (`accessKey=`, `status=`, repeated `user=` ...).

/// Most query parameters an admin request may carry (policy-entities repeats `user`, `group` and
/// `policy`; anything longer is refused rather than scanned).
pub const MAX_PARAMS: usize = 1000;

/// Decoded `(name, value)` pairs in request order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Decodes `%XX` and `+`; `None` for malformed escapes, non-UTF-8 text or too many pairs.
    pub fn parse(raw: Option<&str>) -> Option<Query> {
        let Some(raw) = raw else {
            return Some(Query::default());
        };
        let mut pairs = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            if pairs.len() == MAX_PARAMS {
                return None;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode(k)?, decode(v)?));
        }
        Some(Query(pairs))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or `""`.
    pub fn get_or_empty(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Every pair, for parsers of repeated parameters.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_keeps_repeats() {
        let q = Query::parse(Some("user=a%2Cb&user=c&policy=read+only&flag")).unwrap();
        assert_eq!(q.get("user"), Some("a,b"));
        assert_eq!(q.get("policy"), Some("read only"));
        assert_eq!(q.get("flag"), Some(""));
        assert_eq!(q.get("none"), None);
        assert_eq!(q.pairs().filter(|(k, _)| *k == "user").count(), 2);
        assert_eq!(Query::parse(None).unwrap(), Query::default());
    }

    #[test]
    fn refuses_bad_escapes_and_floods() {
        assert!(Query::parse(Some("a=%zz")).is_none());
        assert!(Query::parse(Some("a=%c3")).is_none(), "not UTF-8");
        assert!(Query::parse(Some("a=%4")).is_none());
        let flood = "a=1&".repeat(MAX_PARAMS + 1);
        assert!(Query::parse(Some(&flood)).is_none());
    }
}
