//! Which condition keys a compiled policy reads, so that a caller builds only those values.
//!
//! A statement reads the key of each of its conditions and every key named by a policy variable
//! (`${aws:username}`) in its resources and in its `String*` condition values. Nothing else of the
//! request's [`crate::ConditionValues`] is ever looked at by evaluation (`Principal` patterns are
//! matched without variables), so leaving every other key out of the values cannot change a
//! decision. The crate's tests check exactly that.

use crate::condition::Condition;
use crate::document::ResourcePattern;
use crate::key::{Key, KeyId};
use crate::values::TAGGED_PREFIXES;

/// The normalised condition keys a policy (or a set of policies) reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySet {
    /// Known keys read, one bit per [`Key`].
    known: u64,
    /// Other keys, normalised (see [`crate::values::normalize_key`]), sorted, without duplicates.
    keys: Vec<String>,
    /// One bit per namespace of [`NAMESPACES`] that some key read is in: asked for every
    /// request of a temporary credential (`jwt:`, `ldap:`), so kept as the keys are added.
    namespaces: u8,
}

/// The namespaces [`KeySet::reads_any_in`] answers with a bit test (any other prefix is scanned).
const NAMESPACES: [&str; 6] = ["aws:", "s3:", "jwt:", "ldap:", "sts:", "svc:"];

/// The bits of [`NAMESPACES`] that `key` (normalised) is in.
fn namespace_bits(key: &str) -> u8 {
    NAMESPACES
        .iter()
        .enumerate()
        .filter(|(_, ns)| key.starts_with(*ns))
        .fold(0, |bits, (i, _)| bits | 1 << i)
}

impl KeySet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `key` (any case, as [`crate::ConditionValues::insert`] takes it) is read. Does not
    /// allocate.
    pub fn reads(&self, key: &str) -> bool {
        match Key::lookup(key) {
            Some(k) => self.reads_key(k),
            None => self.keys.iter().any(|k| same_key(k, key)),
        }
    }

    /// Whether the known `key` is read: one bit test, for callers that ask for every value they
    /// could build on every request.
    pub fn reads_key(&self, key: Key) -> bool {
        self.known & key.bit() != 0
    }

    /// Whether any key of the namespace `prefix` (e.g. `jwt:`, lower case) is read.
    /// Only the known keys that are read are looked at (their bits), not every known key: this
    /// is asked for every request of a temporary credential.
    pub fn reads_any_in(&self, prefix: &str) -> bool {
        if let Some(i) = NAMESPACES.iter().position(|ns| *ns == prefix) {
            return self.namespaces & (1 << i) != 0;
        }
        self.scan_any_in(prefix)
    }

    /// [`Self::reads_any_in`] looking at every key read.
    fn scan_any_in(&self, prefix: &str) -> bool {
        let mut bits = self.known;
        while bits != 0 {
            // `Key as u8` is its index in `Key::ALL` (both follow the declaration order).
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if Key::ALL
                .get(i)
                .is_some_and(|k| k.name().starts_with(prefix))
            {
                return true;
            }
        }
        self.keys.iter().any(|k| k.starts_with(prefix))
    }

    /// The keys read, normalised and sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let mut all: Vec<&str> = Key::ALL
            .iter()
            .filter(|k| self.reads_key(**k))
            .map(|k| k.name())
            .chain(self.keys.iter().map(String::as_str))
            .collect();
        all.sort_unstable();
        all.into_iter()
    }

    /// The known keys read, one bit per [`Key`] ([`Key::bit`]): a caller asking about many
    /// keys per request unites its sets once and tests bits.
    pub fn known_bits(&self) -> u64 {
        self.known
    }

    /// How many known keys are read (the most a caller building only those sets).
    pub fn known_len(&self) -> usize {
        self.known.count_ones() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.known == 0 && self.keys.is_empty()
    }

    /// Adds a key.
    pub(crate) fn add(&mut self, key: &KeyId) {
        match key {
            KeyId::Known(k) => {
                self.known |= k.bit();
                self.namespaces |= namespace_bits(k.name());
            }
            KeyId::Named(name) => {
                self.namespaces |= namespace_bits(name);
                if let Err(at) = self.keys.binary_search_by(|k| k.as_str().cmp(name)) {
                    self.keys.insert(at, name.to_string());
                }
            }
        }
    }

    /// Adds everything a statement with these resource patterns and conditions reads.
    pub(crate) fn add_parts(
        &mut self,
        patterns: Option<&[ResourcePattern]>,
        conditions: &[Condition],
    ) {
        for p in patterns.unwrap_or(&[]) {
            for key in p.pattern.variable_keys() {
                self.add(key);
            }
            if let Some(alias) = &p.bucket_alias {
                for key in alias.variable_keys() {
                    self.add(key);
                }
            }
        }
        for c in conditions {
            for key in c.read_keys() {
                self.add(key);
            }
        }
    }
}

/// `normalized == normalize_key(key)`, without allocating.
fn same_key(normalized: &str, key: &str) -> bool {
    let (n, k) = (normalized.as_bytes(), key.as_bytes());
    if n.len() != k.len() {
        return false;
    }
    for tagged in TAGGED_PREFIXES {
        if normalized.starts_with(tagged) {
            let t = tagged.len();
            // The tag name after the prefix keeps its case.
            return k[..t].eq_ignore_ascii_case(&n[..t]) && k[t..] == n[t..];
        }
    }
    // `normalized` is not a tag key, so neither is a `key` equal to it in ASCII case.
    n.eq_ignore_ascii_case(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_compares_as_normalisation_does() {
        let mut s = KeySet::new();
        for k in ["aws:SourceIp", "s3:ExistingObjectTag/Team", "jwt:sub"] {
            s.add(&KeyId::of(k));
        }
        s.add(&KeyId::of("aws:sourceip"));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            ["aws:sourceip", "jwt:sub", "s3:existingobjecttag/Team"]
        );
        assert!(s.reads("AWS:SOURCEIP"));
        assert!(s.reads("aws:sourceip"));
        assert!(!s.reads("aws:sourceip2"));
        assert!(s.reads("S3:existingObjectTag/Team"));
        assert!(!s.reads("s3:existingobjecttag/team"));
        assert!(s.reads("JWT:SUB"));
        assert!(s.reads_any_in("jwt:"));
        assert!(!s.reads_any_in("ldap:"));
        assert!(s.reads_any_in("aws:"));
        assert!(s.reads_key(Key::AwsSourceIp));
        assert!(!s.reads_key(Key::AwsUsername));
        assert!(!KeySet::new().reads("aws:sourceip"));
        assert_eq!(s.known_len(), 1);
    }

    /// The namespace bits answer as a scan of every key read does, for each namespace and for
    /// prefixes that are not one.
    #[test]
    fn namespace_bits_agree_with_a_scan() {
        let names: Vec<String> = Key::ALL
            .iter()
            .map(|k| k.name().to_owned())
            .chain(["jwt:sub", "jwt:groups", "ldap:x", "s3:existingobjecttag/T"].map(String::from))
            .collect();
        let prefixes: Vec<&str> = NAMESPACES
            .iter()
            .copied()
            .chain(["aws:source", "jwt", "", "ldap:user", "x:"])
            .collect();
        // Every set of up to two of the names (and the empty set).
        let mut sets = vec![KeySet::new()];
        for (i, a) in names.iter().enumerate() {
            for b in &names[i..] {
                let mut s = KeySet::new();
                s.add(&KeyId::of(a));
                s.add(&KeyId::of(b));
                sets.push(s);
            }
        }
        let mut hits = 0;
        for s in &sets {
            for p in &prefixes {
                assert_eq!(s.reads_any_in(p), s.scan_any_in(p), "{s:?} {p:?}");
                hits += usize::from(s.reads_any_in(p));
            }
        }
        assert!(hits > 0 && hits < sets.len() * prefixes.len());
        let mut jwt = KeySet::new();
        jwt.add(&KeyId::of("jwt:sub"));
        assert!(jwt.reads_any_in("jwt:") && !jwt.reads_any_in("ldap:"));
        let mut ldap = KeySet::new();
        ldap.add(&KeyId::of("ldap:username"));
        assert!(ldap.reads_any_in("ldap:") && !ldap.reads_any_in("jwt:"));
    }

    #[test]
    fn a_set_reads_condition_keys_and_variables_nothing_else() {
        let doc = br#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*",
             "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},
                          "StringLike":{"s3:prefix":"${jwt:sub}/*"}}},
            {"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::${ldap:username}"}]}"#;
        let set =
            crate::PolicySet::single("p", std::sync::Arc::new(crate::Policy::parse(doc).unwrap()));
        assert_eq!(
            set.reads().iter().collect::<Vec<_>>(),
            [
                "aws:sourceip",
                "aws:username",
                "jwt:sub",
                "ldap:username",
                "s3:prefix"
            ]
        );
        let readwrite = crate::canned_policy("readwrite").unwrap();
        assert!(
            crate::PolicySet::single("rw", std::sync::Arc::new(readwrite))
                .reads()
                .is_empty()
        );
    }
}
