//! Compiled policies, so that a request costs an evaluation, not a parse.
//!
//! - Documents are compiled once per text: an entry is keyed by what it is (a named policy, a
//!   service account's embedded policy, a bucket's policy) and remembers the text it was compiled
//!   from, so an edited document is recompiled and an unchanged one survives IAM changes.
//! - Merged sets of named policies are keyed by their names and live for one IAM snapshot
//!   generation: any IAM change (a policy edited, a mapping changed) starts a new generation.
//!
//! Both maps are bounded; when one is full it is emptied (compiling again is correct, only slower).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use strongbox_iam::IamSnapshot;
use strongbox_policy::{Policy, PolicyError, PolicySet};

/// Most compiled documents and merged sets kept.
const MAX_ENTRIES: usize = 4096;

/// What a compiled document is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocKey {
    Named(String),
    Embedded(String),
    Bucket(String),
    /// A temporary credential's session policy, by the SHA-256 of its text (credentials issued
    /// with the same policy share the compiled form).
    Session(String),
}

/// A policy that could not be compiled. Its text was validated when stored, so this means a
/// grammar change or a corrupt store: the request is denied, never evaluated without it.
#[derive(Debug, Clone)]
pub struct CompileError {
    pub what: DocKey,
    pub error: String,
}

type Compiled = (Arc<str>, Arc<Policy>);
/// A one-policy set and the text it was compiled from.
type Single = (Arc<str>, Arc<PolicySet>);

#[derive(Default)]
struct Sets {
    generation: u64,
    sets: HashMap<Vec<String>, Arc<PolicySet>>,
}

/// The caches of one server.
#[derive(Default)]
pub struct PolicyCache {
    docs: RwLock<HashMap<DocKey, Compiled>>,
    sets: RwLock<Sets>,
    /// One-policy sets (embedded, session and bucket policies), by the text they hold: a set
    /// carries the statement index built on its first evaluation, so it is kept, not rebuilt per
    /// request.
    singles: RwLock<HashMap<DocKey, Single>>,
}

impl std::fmt::Debug for PolicyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyCache").finish_non_exhaustive()
    }
}

impl PolicyCache {
    /// The compiled form of `text`, known as `key`.
    pub fn compile(
        &self,
        key: DocKey,
        text: &str,
        parse: fn(&[u8]) -> Result<Policy, PolicyError>,
    ) -> Result<Arc<Policy>, CompileError> {
        if let Some((cached, policy)) = read(&self.docs).get(&key)
            && **cached == *text
        {
            return Ok(Arc::clone(policy));
        }
        let policy = Arc::new(parse(text.as_bytes()).map_err(|e| CompileError {
            what: key.clone(),
            error: e.to_string(),
        })?);
        let mut docs = write(&self.docs);
        if docs.len() >= MAX_ENTRIES {
            docs.clear();
        }
        docs.insert(key, (Arc::from(text), Arc::clone(&policy)));
        Ok(policy)
    }

    /// A set holding only the compiled form of `text` (known as `key`), named `name`.
    pub fn single_set(
        &self,
        key: DocKey,
        text: &str,
        parse: fn(&[u8]) -> Result<Policy, PolicyError>,
        name: &'static str,
    ) -> Result<Arc<PolicySet>, CompileError> {
        if let Some((cached, set)) = read(&self.singles).get(&key)
            && **cached == *text
        {
            return Ok(Arc::clone(set));
        }
        let policy = self.compile(key.clone(), text, parse)?;
        let set = Arc::new(PolicySet::single(name, policy));
        let mut singles = write(&self.singles);
        if singles.len() >= MAX_ENTRIES {
            singles.clear();
        }
        singles.insert(key, (Arc::from(text), Arc::clone(&set)));
        Ok(set)
    }

    /// The merged set of the named policies `names` as of `snapshot` (names without a document
    /// are skipped, as MinIO does).
    pub fn named_set(
        &self,
        snapshot: &IamSnapshot,
        names: Vec<String>,
    ) -> Result<Arc<PolicySet>, CompileError> {
        {
            let sets = read(&self.sets);
            if sets.generation == snapshot.generation()
                && let Some(set) = sets.sets.get(&names)
            {
                return Ok(Arc::clone(set));
            }
        }
        let mut set = PolicySet::new();
        for name in &names {
            if let Some(doc) = snapshot.policy(name) {
                let policy =
                    self.compile(DocKey::Named(name.clone()), &doc.document, Policy::parse)?;
                set.add(name.clone(), policy);
            }
        }
        let set = Arc::new(set);
        let mut sets = write(&self.sets);
        if sets.generation != snapshot.generation() {
            // Only move forward: a request holding an older snapshot must not evict newer sets.
            if sets.generation > snapshot.generation() {
                return Ok(set);
            }
            sets.generation = snapshot.generation();
            sets.sets.clear();
        }
        if sets.sets.len() >= MAX_ENTRIES {
            sets.sets.clear();
        }
        sets.sets.insert(names, Arc::clone(&set));
        Ok(set)
    }
}

// A panic while holding one of these locks leaves a map that is still valid (entries are inserted
// whole), so a poisoned lock is used as is.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    const DOC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#;

    #[test]
    fn same_text_is_compiled_once_and_a_new_text_recompiles() {
        let cache = PolicyCache::default();
        let k = || DocKey::Named("p".into());
        let a = cache.compile(k(), DOC, Policy::parse).unwrap();
        let b = cache.compile(k(), DOC, Policy::parse).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let c = cache.compile(k(), DOC2, Policy::parse).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        let err = cache.compile(k(), "{", Policy::parse).unwrap_err();
        assert_eq!(err.what, k());
    }

    #[test]
    fn a_single_set_is_kept_per_text_and_an_edit_takes_effect() {
        use strongbox_policy::{Action, ConditionValues, Request};
        let cache = PolicyCache::default();
        let k = || DocKey::Bucket("b".into());
        let values = ConditionValues::new();
        let get = Request::new(Action::GetObject, "b", Some("k"), &values);
        let a = cache
            .single_set(k(), DOC, Policy::parse, "bucket-policy")
            .unwrap();
        let b = cache
            .single_set(k(), DOC, Policy::parse, "bucket-policy")
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(a.evaluate(&get).is_allowed());
        let c = cache
            .single_set(k(), DOC2, Policy::parse, "bucket-policy")
            .unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert!(!c.evaluate(&get).is_allowed());
        assert!(
            cache
                .single_set(k(), "{", Policy::parse, "bucket-policy")
                .is_err()
        );
    }

    #[test]
    fn merged_sets_follow_the_snapshot_generation() {
        let root = crate::RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
        let iam = strongbox_iam::Iam::with_store(
            Arc::new(strongbox_iam::MemoryStore::new()),
            crate::authz::iam_config(&root),
        )
        .unwrap();
        let cache = PolicyCache::default();
        iam.put_policy("p", DOC).unwrap();
        let s1 = cache.named_set(&iam.snapshot(), vec!["p".into()]).unwrap();
        let again = cache.named_set(&iam.snapshot(), vec!["p".into()]).unwrap();
        assert!(Arc::ptr_eq(&s1, &again));
        iam.put_policy("p", DOC2).unwrap();
        let s2 = cache
            .named_set(&iam.snapshot(), vec!["p".into(), "gone".into()])
            .unwrap();
        assert!(!Arc::ptr_eq(&s1, &s2));
        assert_eq!(s2.names().collect::<Vec<_>>(), ["p"]);
    }
}
