//! The `Iam` façade: validated admin operations, each committed as ONE store change, then applied
//! to a fresh snapshot that is swapped in atomically.
//!
//! Every admin operation is planned against the current snapshot. Each record it writes or depends
//! on becomes a store guard ("still as I saw it"), so two nodes sharing one store cannot
//! interleave half-checked changes: the loser's commit fails, it reloads and re-plans (up to
//! [`MAX_ATTEMPTS`] times). Within one process, admin operations are serialised by a mutex.
//!
//! Admin operations block (store I/O): call them from `spawn_blocking`. [`Iam::snapshot`] never
//! blocks.

mod blobs;
mod groups;
mod ldap;
mod policies;
mod service_accounts;
mod users;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use time::OffsetDateTime;

use crate::codec::{self, Record, RecordKey};
use crate::error::IamError;
use crate::model::{PolicyDoc, RootCredentials};
use crate::snapshot::IamSnapshot;
use crate::state::IamState;
use crate::store::redb::RedbStore;
use crate::store::{Change, Guard, IamStore, Op, StoreError};

pub use groups::GroupInfo;
pub use ldap::{LdapPolicyChange, LdapPolicyEntities, LdapTarget};
pub use policies::{PolicyEntities, PolicyTarget};
pub use service_accounts::{
    MAX_EXPIRY, MIN_EXPIRY, NewServiceAccount, ServiceAccountUpdate, generate_access_key,
    generate_secret_key,
};
pub use users::{AccountInfo, UserInfo};

/// How many times a change is re-planned after losing a race with another node.
pub const MAX_ATTEMPTS: usize = 3;

/// Validates a policy document (the policy crate plugs in here). `Err` carries a message for the
/// client.
pub trait PolicyValidator: Send + Sync {
    fn validate(&self, document: &str) -> Result<(), String>;

    /// The size of a valid document that counts against the 4096-byte service-account limit.
    /// MinIO measures the re-serialised policy; the default is the raw length.
    fn embedded_size(&self, document: &str) -> usize {
        document.len()
    }
}

impl<F> PolicyValidator for F
where
    F: Fn(&str) -> Result<(), String> + Send + Sync,
{
    fn validate(&self, document: &str) -> Result<(), String> {
        self(document)
    }
}

/// What `Iam` needs besides a store.
pub struct IamConfig {
    pub root: RootCredentials,
    /// Canned policies `(name, JSON)`: visible unless a stored policy of the same name overrides
    /// them; they cannot be deleted unless overridden (spec §12.5).
    pub canned: Vec<(String, String)>,
    pub validator: Arc<dyn PolicyValidator>,
}

/// The IAM system of one node.
pub struct Iam {
    store: Arc<dyn IamStore>,
    snapshot: ArcSwap<IamSnapshot>,
    root: Arc<RootCredentials>,
    canned: Arc<HashMap<String, PolicyDoc>>,
    validator: Arc<dyn PolicyValidator>,
    write_lock: Mutex<()>,
}

impl std::fmt::Debug for Iam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iam")
            .field("root_access_key", &self.root.access_key)
            .finish_non_exhaustive()
    }
}

/// The current time, truncated to whole seconds (the store keeps seconds).
pub(crate) fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    OffsetDateTime::from_unix_timestamp(t.unix_timestamp()).unwrap_or(t)
}

/// The writes and dependencies of one admin operation, planned against one snapshot.
pub(crate) struct Tx {
    deps: Vec<RecordKey>,
    ops: Vec<Op>,
}

impl Tx {
    fn new() -> Self {
        Tx {
            deps: Vec::new(),
            ops: Vec::new(),
        }
    }

    /// The change is only valid if this record is still as the snapshot saw it.
    pub(crate) fn depend(&mut self, key: RecordKey) {
        if !self.deps.contains(&key) {
            self.deps.push(key);
        }
    }

    pub(crate) fn put(&mut self, key: RecordKey, rec: &Record) {
        self.ops.push(Op::Put {
            key: key.encode(),
            value: codec::encode(rec),
        });
        self.depend(key);
    }

    pub(crate) fn delete(&mut self, key: RecordKey) {
        self.ops.push(Op::Delete { key: key.encode() });
        self.depend(key);
    }

    fn into_change(self, state: &IamState) -> Change {
        let guards = self
            .deps
            .iter()
            .map(|k| Guard {
                key: k.encode(),
                expected: state.encoded(k),
            })
            .collect();
        Change {
            guards,
            ops: self.ops,
        }
    }
}

impl Iam {
    /// Opens the embedded store of data directory `dir` (`DIR/.strongbox/iam.redb`).
    pub fn open(dir: &Path, config: IamConfig) -> Result<Iam, IamError> {
        let store = RedbStore::open_dir(dir)?;
        Iam::with_store(Arc::new(store), config)
    }

    /// Uses any store (etcd, in-memory, a shared handle).
    pub fn with_store(store: Arc<dyn IamStore>, config: IamConfig) -> Result<Iam, IamError> {
        let created = now();
        let canned = config
            .canned
            .into_iter()
            .map(|(name, document)| {
                let doc = PolicyDoc {
                    name: name.clone(),
                    document,
                    created_at: created,
                    updated_at: created,
                };
                (name, doc)
            })
            .collect();
        let root = Arc::new(config.root);
        let canned = Arc::new(canned);
        let state = IamState::from_records(store.load()?)?;
        let iam = Iam {
            snapshot: ArcSwap::from_pointee(IamSnapshot::new(
                Arc::clone(&root),
                Arc::clone(&canned),
                state,
                0,
            )),
            store,
            root,
            canned,
            validator: config.validator,
            write_lock: Mutex::new(()),
        };
        iam.write(|snap, tx| {
            if !snap.state.has_format {
                tx.put(RecordKey::Format, &Record::Format);
            }
            Ok(())
        })?;
        Ok(iam)
    }

    /// The current snapshot (cheap: an atomic pointer load). Hold it for the duration of one
    /// request to see one consistent state.
    pub fn snapshot(&self) -> Arc<IamSnapshot> {
        self.snapshot.load_full()
    }

    /// The current snapshot's generation, without taking a reference to the snapshot (no
    /// shared reference count touched: cheap on a path every request takes).
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.snapshot.load().generation()
    }

    /// Reloads everything from the store (another node changed it; the etcd watcher calls this
    /// or [`Iam::apply_external`]).
    pub fn refresh(&self) -> Result<(), IamError> {
        let _guard = self.lock();
        self.refresh_locked()
    }

    /// Applies ops another node committed (an etcd watch event) to the snapshot.
    pub fn apply_external(&self, ops: &[Op]) -> Result<(), IamError> {
        let _guard = self.lock();
        let current = self.snapshot.load_full();
        let mut state = current.state.clone();
        state.apply(ops)?;
        self.swap(state);
        Ok(())
    }

    pub(crate) fn validator(&self) -> &dyn PolicyValidator {
        &*self.validator
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // The guarded data is `()`: a panic while holding it cannot corrupt anything.
        self.write_lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn refresh_locked(&self) -> Result<(), IamError> {
        let state = IamState::from_records(self.store.load()?)?;
        self.swap(state);
        Ok(())
    }

    /// Callers hold the write lock, so generations never repeat.
    fn swap(&self, state: IamState) {
        let generation = self.snapshot.load().generation + 1;
        self.snapshot.store(Arc::new(IamSnapshot::new(
            Arc::clone(&self.root),
            Arc::clone(&self.canned),
            state,
            generation,
        )));
    }

    /// Plans with `plan` against the current snapshot, commits the planned change as one store
    /// transaction, and swaps in the new snapshot. Re-plans after losing a race with another
    /// writer of the same store.
    pub(crate) fn write<T>(
        &self,
        plan: impl Fn(&IamSnapshot, &mut Tx) -> Result<T, IamError>,
    ) -> Result<T, IamError> {
        let _guard = self.lock();
        for _ in 0..MAX_ATTEMPTS {
            let snap = self.snapshot.load_full();
            let mut tx = Tx::new();
            let out = plan(&snap, &mut tx)?;
            if tx.ops.is_empty() {
                return Ok(out);
            }
            let change = tx.into_change(&snap.state);
            match self.store.commit(&change) {
                Ok(()) => {
                    let mut state = snap.state.clone();
                    match state.apply(&change.ops) {
                        Ok(()) => self.swap(state),
                        // Committed but not decodable here: take the store's word for it.
                        Err(_) => self.refresh_locked()?,
                    }
                    return Ok(out);
                }
                Err(StoreError::GuardFailed(_)) => self.refresh_locked()?,
                Err(e) => return Err(e.into()),
            }
        }
        Err(IamError::Conflict)
    }
}
