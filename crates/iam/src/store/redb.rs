//! The embedded store: one redb database at `DIR/.strongbox/iam.redb`, one table of
//! key → bytes. Every [`Change`] is one redb write transaction with immediate durability, so a
//! `kill -9` during an admin write leaves either the whole change or none of it.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableTable, TableDefinition};

use super::{Change, IamStore, Op, StoreError, check_op};

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("iam");

/// The redb-backed [`IamStore`].
pub struct RedbStore {
    db: Database,
    path: PathBuf,
    #[cfg(test)]
    fail_after_ops: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .finish()
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl RedbStore {
    /// The database file for data directory `dir`.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(".strongbox").join("iam.redb")
    }

    /// Opens (creating if needed) the store of data directory `dir`.
    pub fn open_dir(dir: &Path) -> Result<Self, StoreError> {
        let path = Self::path_in(dir);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(backend)?;
        }
        Self::open_file(&path)
    }

    /// Opens (creating if needed) the database file at `path`.
    pub fn open_file(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(backend)?;
        restrict_permissions(path)?;
        // Make sure the table exists, so readers never see "no such table".
        let tx = db.begin_write().map_err(backend)?;
        tx.open_table(TABLE).map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(Self {
            db,
            path: path.to_owned(),
            #[cfg(test)]
            fail_after_ops: std::sync::atomic::AtomicUsize::new(usize::MAX),
        })
    }

    /// Test hook: the next commits fail with a backend error after writing `n` ops inside the
    /// transaction (simulating a crash or I/O error mid-change).
    #[cfg(test)]
    pub(crate) fn inject_failure_after_ops(&self, n: usize) {
        self.fail_after_ops
            .store(n, std::sync::atomic::Ordering::SeqCst);
    }

    #[cfg(test)]
    fn injected_failure(&self, written: usize) -> Result<(), StoreError> {
        if written
            >= self
                .fail_after_ops
                .load(std::sync::atomic::Ordering::SeqCst)
        {
            return Err(StoreError::Backend("injected failure".into()));
        }
        Ok(())
    }

    #[cfg(not(test))]
    fn injected_failure(&self, _written: usize) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The database holds secret keys: owner read/write only.
#[cfg(unix)]
fn restrict_permissions(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(backend)
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

impl IamStore for RedbStore {
    fn load(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let tx = self.db.begin_read().map_err(backend)?;
        let table = tx.open_table(TABLE).map_err(backend)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(backend)? {
            let (k, v) = row.map_err(backend)?;
            out.push((k.value().to_owned(), v.value().to_vec()));
        }
        Ok(out)
    }

    fn commit(&self, change: &Change) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(backend)?;
        {
            let mut table = tx.open_table(TABLE).map_err(backend)?;
            for g in &change.guards {
                let current = table.get(g.key.as_str()).map_err(backend)?;
                let holds = match (&current, &g.expected) {
                    (None, None) => true,
                    (Some(cur), Some(exp)) => cur.value() == exp.as_slice(),
                    _ => false,
                };
                if !holds {
                    // Dropping `tx` without commit aborts it.
                    return Err(StoreError::GuardFailed(g.key.clone()));
                }
            }
            for (written, op) in change.ops.iter().enumerate() {
                self.injected_failure(written)?;
                check_op(op)?;
                match op {
                    Op::Put { key, value } => {
                        table
                            .insert(key.as_str(), value.as_slice())
                            .map_err(backend)?;
                    }
                    Op::Delete { key } => {
                        table.remove(key.as_str()).map_err(backend)?;
                    }
                }
            }
        }
        tx.commit().map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store that owns its temporary directory.
    struct TempRedb {
        store: RedbStore,
        _dir: tempfile::TempDir,
    }

    impl IamStore for TempRedb {
        fn load(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
            self.store.load()
        }
        fn commit(&self, change: &Change) -> Result<(), StoreError> {
            self.store.commit(change)
        }
    }

    #[test]
    fn conformance() {
        crate::testsuite::conformance_suite(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = RedbStore::open_dir(dir.path()).expect("open");
            TempRedb { store, _dir: dir }
        });
    }

    #[test]
    fn injected_failure_mid_change_applies_nothing_and_reopen_persists() {
        let dir = tempfile::tempdir().unwrap();
        let put = |k: &str, v: &str| Op::Put {
            key: k.into(),
            value: v.as_bytes().to_vec(),
        };
        {
            let store = RedbStore::open_dir(dir.path()).unwrap();
            store
                .commit(&Change {
                    guards: vec![],
                    ops: vec![put("a", "1")],
                })
                .unwrap();
            store.inject_failure_after_ops(2);
            let err = store
                .commit(&Change {
                    guards: vec![],
                    ops: vec![put("a", "2"), put("b", "2"), put("c", "2")],
                })
                .unwrap_err();
            assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
            assert_eq!(store.load().unwrap(), vec![("a".into(), b"1".to_vec())]);
        }
        let store = RedbStore::open_dir(dir.path()).unwrap();
        assert_eq!(store.load().unwrap(), vec![("a".into(), b"1".to_vec())]);
        let meta = std::fs::metadata(RedbStore::path_in(dir.path())).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                meta.permissions().mode() & 0o777,
                0o600,
                "secrets file is private"
            );
        }
        assert!(meta.is_file());
    }
}
