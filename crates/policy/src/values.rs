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

use std::collections::BTreeMap;

/// Condition values for one request. Build it with [`ConditionValues::insert`] / [`ConditionValues::with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionValues {
    map: BTreeMap<String, Vec<String>>,
}

static EMPTY: ConditionValues = ConditionValues {
    map: BTreeMap::new(),
};

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
    pub fn new() -> Self {
        Self::default()
    }

    /// A shared empty context.
    pub fn empty() -> &'static ConditionValues {
        &EMPTY
    }

    /// Appends one value to `key`.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.map
            .entry(normalize_key(key))
            .or_default()
            .push(value.into());
        self
    }

    /// Replaces all values of `key`.
    pub fn set<I, S>(&mut self, key: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.map.insert(
            normalize_key(key),
            values.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.map.remove(&normalize_key(key));
        self
    }

    /// Builder style [`insert`](Self::insert).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// All values of `key`, `None` when absent or empty.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.get_normalized(&normalize_key(key))
    }

    pub(crate) fn get_normalized(&self, key: &str) -> Option<&[String]> {
        self.map
            .get(key)
            .map(Vec::as_slice)
            .filter(|v| !v.is_empty())
    }

    pub(crate) fn first_normalized(&self, key: &str) -> Option<&str> {
        self.get_normalized(key)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// Every key (normalised) with its values, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
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
    fn empty_values_are_absent() {
        let mut v = ConditionValues::new();
        v.set("aws:groups", Vec::<String>::new());
        assert!(v.get("aws:groups").is_none());
    }
}
