//! The request context a policy is evaluated against: condition keys and their values.
//!
//! Keys are written with their prefix, as in policies (`aws:SourceIp`, `s3:prefix`, `jwt:sub`,
//! `ldap:username`). They are stored ASCII-lower-cased, so `aws:sourceip` and `aws:SourceIp` are the
//! same key (AWS treats condition key names case-insensitively); the tag name after
//! `s3:ExistingObjectTag/` and `s3:RequestObjectTag/` keeps its case, because tag keys are
//! case-sensitive. Values are case-sensitive.
//!
//! Unlike MinIO, prefixes are namespaces: `jwt:username` is an IdP claim and never overrides
//! `aws:username` (spec §17.3 lists MinIO's override as risky).
//!
//! Every key is multi-valued (`aws:groups`, `s3:RequestObjectTagKeys`). A key with no values is
//! treated as absent.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use smallvec::SmallVec;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::key::{Key, KeyId};

/// Condition values for one request. Build it with [`ConditionValues::insert`] / [`ConditionValues::with`],
/// or, on the request path, with the [`Key`] methods ([`ConditionValues::insert_key`],
/// [`ConditionValues::set_source_ip`], [`ConditionValues::set_current_time`], ...), which neither
/// look the key up nor, for typed values, format them unless a condition compares their text.
#[derive(Debug, Clone)]
pub struct ConditionValues {
    /// Known keys, each at most once; the first [`INLINE_KEYS`] kept inline, so that a
    /// request's values (the few keys its policies read) are built and dropped without a trip
    /// to the allocator.
    known: SmallVec<[(Key, Entry); INLINE_KEYS]>,
    /// Where each known key is in `known`: its position plus one, 0 when absent (a lookup
    /// without a scan).
    at: [u8; Key::ALL.len()],
    /// Other keys by normalised name, each at most once.
    named: Vec<(Box<str>, Vec<String>)>,
}

impl PartialEq for ConditionValues {
    /// Equal when every key has the same values, however they were inserted.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for ConditionValues {}

/// The values of one key: text, or a typed value whose text is made on first use.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    Text(Vec<String>),
    /// One value, borrowed when it is a constant (`AWS4-HMAC-SHA256`, `REST-HEADER`).
    One(Cow<'static, str>, OnceLock<Vec<String>>),
    /// One value shared with other keys and requests (`aws:username` = `aws:userid`).
    Shared(Arc<str>, OnceLock<Vec<String>>),
    Ip(IpAddr, OnceLock<Vec<String>>),
    /// `epoch`: shown as Unix seconds (`aws:EpochTime`), else as RFC 3339 (`aws:CurrentTime`).
    Time {
        at: OffsetDateTime,
        epoch: bool,
        text: OnceLock<Vec<String>>,
    },
}

impl PartialEq for Entry {
    /// Typed values compare by value, whether or not their text was made.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Entry::Ip(a, _), Entry::Ip(b, _)) => a == b,
            (Entry::One(a, _), Entry::One(b, _)) => a == b,
            (Entry::Shared(a, _), Entry::Shared(b, _)) => a == b,
            (
                Entry::Time {
                    at: a, epoch: x, ..
                },
                Entry::Time {
                    at: b, epoch: y, ..
                },
            ) => a == b && x == y,
            _ => self.texts() == other.texts(),
        }
    }
}

impl Eq for Entry {}

impl Entry {
    fn texts(&self) -> &[String] {
        match self {
            Entry::Text(v) => v,
            Entry::One(s, text) => text.get_or_init(|| vec![s.to_string()]),
            Entry::Shared(s, text) => text.get_or_init(|| vec![s.to_string()]),
            Entry::Ip(ip, text) => text.get_or_init(|| vec![ip.to_string()]),
            Entry::Time { at, epoch, text } => text.get_or_init(|| {
                let shown = if *epoch {
                    at.unix_timestamp().to_string()
                } else {
                    // Formatting a valid UTC date as RFC 3339 fails only for years past 9999.
                    at.format(&Rfc3339).unwrap_or_default()
                };
                vec![shown]
            }),
        }
    }
}

/// A key's values as evaluation sees them: typed when they were set typed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Found<'a> {
    Text(&'a [String]),
    One(&'a str, &'a Entry),
    Ip(&'a IpAddr, &'a Entry),
    /// Unix nanoseconds, as [`crate::condition`] reads a date (`aws:EpochTime` whole seconds).
    Date(i128, &'a Entry),
}

impl<'a> Found<'a> {
    pub(crate) fn texts(self) -> &'a [String] {
        match self {
            Found::Text(v) => v,
            Found::One(_, e) | Found::Ip(_, e) | Found::Date(_, e) => e.texts(),
        }
    }
}

/// Known keys a [`ConditionValues`] holds without allocating.
const INLINE_KEYS: usize = 8;

static EMPTY: ConditionValues = ConditionValues {
    known: SmallVec::new_const(),
    at: [0; Key::ALL.len()],
    named: Vec::new(),
};

// Positions in `known` fit in `at`'s bytes: each known key is there at most once.
const _: () = assert!(Key::ALL.len() < u8::MAX as usize);

impl Default for ConditionValues {
    #[inline]
    fn default() -> Self {
        ConditionValues {
            known: SmallVec::new(),
            at: [0; Key::ALL.len()],
            named: Vec::new(),
        }
    }
}

/// Keys whose name after this (lower-case) prefix is a case-sensitive tag name.
pub(crate) const TAGGED_PREFIXES: [&str; 2] = ["s3:existingobjecttag/", "s3:requestobjecttag/"];

/// Normalises a condition key for lookup (see module docs).
pub fn normalize_key(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    for tagged in TAGGED_PREFIXES {
        if lower.starts_with(tagged) {
            return format!("{tagged}{}", &key[tagged.len()..]);
        }
    }
    lower
}

impl ConditionValues {
    #[inline]
    pub fn new() -> Self {
        Self::default()
    }

    /// A shared empty context.
    pub fn empty() -> &'static ConditionValues {
        &EMPTY
    }

    fn known_mut(&mut self, key: Key) -> Option<&mut Entry> {
        let at = usize::from(self.at[key as usize]).checked_sub(1)?;
        self.known.get_mut(at).map(|(_, e)| e)
    }

    fn known_ref(&self, key: Key) -> Option<&Entry> {
        let at = usize::from(self.at[key as usize]).checked_sub(1)?;
        self.known.get(at).map(|(_, e)| e)
    }

    /// Adds `key`, known to be absent.
    fn push_known(&mut self, key: Key, entry: Entry) {
        self.known.push((key, entry));
        self.at[key as usize] = self.known.len() as u8;
    }

    fn put_known(&mut self, key: Key, entry: Entry) {
        match self.known_mut(key) {
            Some(e) => *e = entry,
            None => self.push_known(key, entry),
        }
    }

    /// Appends one value to `key`.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        match KeyId::of(key) {
            KeyId::Known(k) => return self.insert_key(k, value),
            KeyId::Named(name) => match self.named.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => v.push(value.into()),
                None => self.named.push((name, vec![value.into()])),
            },
        }
        self
    }

    /// Appends one value to the known `key`.
    pub fn insert_key(&mut self, key: Key, value: impl Into<String>) -> &mut Self {
        match self.known_mut(key) {
            Some(Entry::Text(v)) => v.push(value.into()),
            Some(e) => {
                let mut v = e.texts().to_vec();
                v.push(value.into());
                *e = Entry::Text(v);
            }
            None => self.push_known(key, Entry::Text(vec![value.into()])),
        }
        self
    }

    /// Replaces all values of `key`.
    pub fn set<I, S>(&mut self, key: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        match KeyId::of(key) {
            KeyId::Known(k) => return self.set_key(k, values),
            KeyId::Named(name) => {
                let values: Vec<String> = values.into_iter().map(Into::into).collect();
                match self.named.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, v)) => *v = values,
                    None => self.named.push((name, values)),
                }
            }
        }
        self
    }

    /// Replaces all values of the known `key`.
    pub fn set_key<I, S>(&mut self, key: Key, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values = values.into_iter().map(Into::into).collect();
        self.put_known(key, Entry::Text(values));
        self
    }

    /// Replaces all values of the known `key` with one value: a constant is not copied, an owned
    /// text is moved in.
    pub fn set_one(&mut self, key: Key, value: impl Into<Cow<'static, str>>) -> &mut Self {
        self.put_known(key, Entry::One(value.into(), OnceLock::new()));
        self
    }

    /// Replaces all values of the known `key` with one shared value (no copy of its text).
    pub fn set_shared(&mut self, key: Key, value: Arc<str>) -> &mut Self {
        self.put_known(key, Entry::Shared(value, OnceLock::new()));
        self
    }

    /// Room for `n` known keys without growing (the caller knows how many it may set); up to
    /// [`INLINE_KEYS`] without allocating.
    #[inline]
    pub fn with_capacity(n: usize) -> Self {
        // Reserving within the inline room would copy it whole for nothing.
        if n > INLINE_KEYS {
            ConditionValues {
                known: SmallVec::with_capacity(n),
                ..Self::default()
            }
        } else {
            Self::default()
        }
    }

    /// Sets `aws:SourceIp` (IPv4-mapped IPv6 addresses as IPv4); shown as text only if a
    /// condition compares it as text.
    pub fn set_source_ip(&mut self, ip: IpAddr) -> &mut Self {
        self.put_known(
            Key::AwsSourceIp,
            Entry::Ip(ip.to_canonical(), OnceLock::new()),
        );
        self
    }

    /// Sets `aws:CurrentTime` (RFC 3339 text, made only if a condition compares it as text).
    pub fn set_current_time(&mut self, at: OffsetDateTime) -> &mut Self {
        let entry = Entry::Time {
            at,
            epoch: false,
            text: OnceLock::new(),
        };
        self.put_known(Key::AwsCurrentTime, entry);
        self
    }

    /// Sets `aws:EpochTime` (whole Unix seconds).
    pub fn set_epoch_time(&mut self, at: OffsetDateTime) -> &mut Self {
        let entry = Entry::Time {
            at,
            epoch: true,
            text: OnceLock::new(),
        };
        self.put_known(Key::AwsEpochTime, entry);
        self
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        match KeyId::of(key) {
            KeyId::Known(k) => return self.remove_key(k),
            KeyId::Named(name) => self.named.retain(|(n, _)| *n != name),
        }
        self
    }

    /// Removes the known `key`.
    pub fn remove_key(&mut self, key: Key) -> &mut Self {
        if self.known_ref(key).is_some() {
            self.known.retain(|(k, _)| *k != key);
            self.at = [0; Key::ALL.len()];
            for (i, (k, _)) in self.known.iter().enumerate() {
                self.at[*k as usize] = (i + 1) as u8;
            }
        }
        self
    }

    /// Gives each known key of `keys` (bits, see [`Key::bit`]) the values it has in `from`,
    /// removing it where `from` has none.
    pub(crate) fn replace_known(&mut self, from: &ConditionValues, keys: u64) {
        for key in Key::ALL.iter().filter(|k| keys & k.bit() != 0) {
            match from.known_ref(*key) {
                Some(entry) => self.put_known(*key, entry.clone()),
                None => {
                    self.remove_key(*key);
                }
            }
        }
    }

    /// Builder style [`insert`](Self::insert).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// All values of `key`, `None` when absent or empty.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.find(&KeyId::of(key)).map(Found::texts)
    }

    /// The values of `key`, `None` when absent or empty.
    pub(crate) fn find(&self, key: &KeyId) -> Option<Found<'_>> {
        match key {
            KeyId::Known(k) => {
                let e = self.known_ref(*k)?;
                Some(match e {
                    Entry::Text(v) if v.is_empty() => return None,
                    Entry::Text(v) => Found::Text(v),
                    Entry::One(s, _) => Found::One(s, e),
                    Entry::Shared(s, _) => Found::One(s, e),
                    Entry::Ip(ip, _) => Found::Ip(ip, e),
                    Entry::Time {
                        at, epoch: true, ..
                    } => Found::Date(i128::from(at.unix_timestamp()) * 1_000_000_000, e),
                    Entry::Time { at, .. } => Found::Date(at.unix_timestamp_nanos(), e),
                })
            }
            KeyId::Named(name) => self
                .named
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_slice())
                .filter(|v| !v.is_empty())
                .map(Found::Text),
        }
    }

    /// The first value of `key` as text.
    pub(crate) fn first(&self, key: &KeyId) -> Option<&str> {
        match self.find(key)? {
            Found::One(s, _) => Some(s),
            f => f.texts().first().map(String::as_str),
        }
    }

    /// Every key (normalised) with its values, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        let mut all: Vec<(&str, &[String])> = self
            .known
            .iter()
            .map(|(k, e)| (k.name(), e.texts()))
            .chain(self.named.iter().map(|(n, v)| (&**n, v.as_slice())))
            .collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all.into_iter()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.known.len() + self.named.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_case_insensitive_tag_names_not() {
        let v = ConditionValues::new()
            .with("aws:SourceIp", "10.0.0.1")
            .with("s3:ExistingObjectTag/Security", "public");
        assert_eq!(v.get("AWS:SOURCEIP").unwrap(), ["10.0.0.1"]);
        assert!(v.get("s3:existingobjecttag/Security").is_some());
        assert!(v.get("s3:existingobjecttag/security").is_none());
    }

    #[test]
    fn typed_values_show_as_text_when_asked() {
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let mut v = ConditionValues::new();
        v.set_source_ip("::ffff:10.1.2.3".parse().unwrap())
            .set_current_time(at)
            .set_epoch_time(at)
            .set_one(Key::S3AuthType, "REST-HEADER")
            .set_one(Key::AwsUsername, String::from("bob"))
            .set_shared(Key::AwsUserId, Arc::from("bob"));
        assert_eq!(v.get("s3:authType").unwrap(), ["REST-HEADER"]);
        assert_eq!(v.get("aws:username").unwrap(), ["bob"]);
        assert_eq!(v.get("aws:userid").unwrap(), ["bob"]);
        assert_eq!(
            v.first(&KeyId::Known(Key::AwsUserId)),
            Some("bob"),
            "a shared value is found as one value"
        );
        let mut as_text = ConditionValues::new();
        as_text.insert_key(Key::AwsUserId, "bob");
        let mut shared = ConditionValues::new();
        shared.set_shared(Key::AwsUserId, Arc::from("bob"));
        assert_eq!(shared, as_text);
        shared.insert_key(Key::AwsUserId, "alice");
        assert_eq!(shared.get("aws:userid").unwrap(), ["bob", "alice"]);
        v.remove_key(Key::S3AuthType)
            .remove_key(Key::AwsUsername)
            .remove_key(Key::AwsUserId);
        assert_eq!(v.get("aws:SourceIp").unwrap(), ["10.1.2.3"]);
        assert_eq!(v.get("aws:currenttime").unwrap(), ["2023-11-14T22:13:20Z"]);
        assert_eq!(v.get("AWS:EpochTime").unwrap(), ["1700000000"]);
        let text = ConditionValues::new()
            .with("aws:SourceIp", "10.1.2.3")
            .with("aws:CurrentTime", "2023-11-14T22:13:20Z")
            .with("aws:EpochTime", "1700000000");
        assert_eq!(
            v.iter().collect::<Vec<_>>(),
            text.iter().collect::<Vec<_>>()
        );
        // Appending to a typed key keeps its value.
        v.insert("aws:SourceIp", "10.9.9.9");
        assert_eq!(v.get("aws:SourceIp").unwrap(), ["10.1.2.3", "10.9.9.9"]);
        v.remove("aws:sourceip");
        assert!(v.get("aws:SourceIp").is_none());
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn empty_values_are_absent() {
        let mut v = ConditionValues::new();
        v.set("aws:groups", Vec::<String>::new());
        assert!(v.get("aws:groups").is_none());
    }

    /// More known keys than are kept inline: every key keeps its values through the move to
    /// the heap, through removals and replacements, and equals the same values built as text.
    #[test]
    fn more_keys_than_kept_inline() {
        for room in [0, 2, INLINE_KEYS + 4] {
            more_keys_than_kept_inline_from(room);
        }
    }

    fn more_keys_than_kept_inline_from(room: usize) {
        let mut v = ConditionValues::with_capacity(room);
        let mut text = ConditionValues::new();
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        v.set_current_time(at);
        text.insert("aws:currenttime", "2023-11-14T22:13:20Z");
        for (i, key) in Key::ALL.iter().enumerate().skip(5) {
            v.set_one(*key, format!("v{i}"));
            text.insert(key.name(), format!("v{i}"));
        }
        assert!(v.len() > INLINE_KEYS);
        assert_eq!(v, text);
        for (i, key) in Key::ALL.iter().enumerate().skip(5) {
            assert_eq!(v.get(key.name()).unwrap(), [format!("v{i}")]);
        }
        // Remove every other key, replace the rest.
        for (i, key) in Key::ALL.iter().enumerate().skip(5) {
            if i % 2 == 0 {
                v.remove_key(*key);
                text.remove_key(*key);
            } else {
                v.set_shared(*key, Arc::from(format!("w{i}").as_str()));
                text.set_key(*key, [format!("w{i}")]);
            }
        }
        assert_eq!(v, text);
        for (i, key) in Key::ALL.iter().enumerate().skip(5) {
            let expected = (i % 2 == 1).then(|| vec![format!("w{i}")]);
            assert_eq!(
                v.get(key.name()).map(<[String]>::to_vec),
                expected,
                "{key:?}"
            );
        }
        assert_eq!(v.get("aws:currenttime").unwrap(), ["2023-11-14T22:13:20Z"]);
    }
}
