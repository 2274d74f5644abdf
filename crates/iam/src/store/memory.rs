//! An in-memory store: for tests of code built on [`crate::Iam`], and as the reference
//! implementation of the [`IamStore`] contract. Nothing survives the process.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{Change, IamStore, Op, StoreError, check_op};

#[derive(Debug, Default)]
pub struct MemoryStore {
    map: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        // A panic while holding the lock cannot leave a half-applied change (changes are applied
        // to a copy and swapped in), so a poisoned lock is safe to reuse.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl IamStore for MemoryStore {
    fn load(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        Ok(self
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn commit(&self, change: &Change) -> Result<(), StoreError> {
        let mut map = self.lock();
        for g in &change.guards {
            if map.get(&g.key) != g.expected.as_ref() {
                return Err(StoreError::GuardFailed(g.key.clone()));
            }
        }
        let mut next = map.clone();
        for op in &change.ops {
            check_op(op)?;
            match op {
                Op::Put { key, value } => {
                    next.insert(key.clone(), value.clone());
                }
                Op::Delete { key } => {
                    next.remove(key);
                }
            }
        }
        *map = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn conformance() {
        crate::testsuite::conformance_suite(super::MemoryStore::new);
    }
}
