//! The storage seam: a tiny transactional key-value contract every IAM backend implements.
//!
//! The IAM layer encodes its records itself (versioned JSON under MinIO-like relative keys:
//! `users/<ak>`, `service-accounts/<ak>`, `groups/<name>`, `policies/<name>`,
//! `policydb/{users,groups,sts-users}/<name>`, `blobs/<name>`, `format`); a store only keeps bytes
//! under string keys (an etcd store puts them under its prefix). A [`Change`] is one logical admin operation: its guards are checked and its
//! operations applied atomically (all or nothing), so a crash never leaves half a change. This maps
//! directly onto one redb write transaction, or one etcd `Txn` (guards = compares, ops = puts and
//! deletes under a prefix).
//!
//! Calls block: the server calls them from `spawn_blocking`.

pub mod memory;
pub mod redb;

/// Largest key a store must accept.
pub const MAX_KEY_LEN: usize = 1024;
/// Largest value a store must accept (etcd's default request limit is 1.5 MiB).
pub const MAX_VALUE_LEN: usize = 1536 * 1024;

/// One write inside a change.
#[derive(Clone, PartialEq, Eq)]
pub enum Op {
    Put { key: String, value: Vec<u8> },
    Delete { key: String },
}

impl Op {
    pub fn key(&self) -> &str {
        match self {
            Op::Put { key, .. } | Op::Delete { key } => key,
        }
    }
}

impl std::fmt::Debug for Op {
    // Values hold secrets: show only keys and sizes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Put { key, value } => write!(f, "Put({key:?}, {} bytes)", value.len()),
            Op::Delete { key } => write!(f, "Delete({key:?})"),
        }
    }
}

/// A precondition: the key's current value must equal `expected` (`None` = the key is absent).
#[derive(Clone, PartialEq, Eq)]
pub struct Guard {
    pub key: String,
    pub expected: Option<Vec<u8>>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Guard({:?}, {})",
            self.key,
            match &self.expected {
                Some(v) => format!("{} bytes", v.len()),
                None => "absent".into(),
            }
        )
    }
}

/// One logical admin operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    pub guards: Vec<Guard>,
    pub ops: Vec<Op>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A guard did not hold; nothing was applied.
    #[error("guard failed on key {0:?}")]
    GuardFailed(String),
    /// The change itself is malformed (empty or oversized key, oversized value); nothing was
    /// applied.
    #[error("invalid change: {0}")]
    InvalidChange(String),
    /// A stored record cannot be decoded.
    #[error("corrupt record {key:?}: {reason}")]
    Corrupt { key: String, reason: String },
    /// The backend failed (I/O, database, network).
    #[error("store backend: {0}")]
    Backend(String),
}

/// Checks one op against the limits every store enforces. Stores call it while applying a change
/// (so a bad op in the middle aborts the whole change).
pub fn check_op(op: &Op) -> Result<(), StoreError> {
    let key = op.key();
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(StoreError::InvalidChange(format!(
            "key length {} outside 1..={MAX_KEY_LEN}",
            key.len()
        )));
    }
    if let Op::Put { value, .. } = op
        && value.len() > MAX_VALUE_LEN
    {
        return Err(StoreError::InvalidChange(format!(
            "value of {key:?} is {} bytes, limit {MAX_VALUE_LEN}",
            value.len()
        )));
    }
    Ok(())
}

/// The persistence contract for IAM state.
///
/// Implementations must guarantee:
/// - `commit` is atomic and durable: when it returns `Ok`, every op is persisted; when it returns
///   `Err` (or the process dies during it), none is. Guards are evaluated inside the same
///   transaction as the ops.
/// - `commit` rejects (with [`StoreError::InvalidChange`], applying nothing) a change containing
///   an op that fails [`check_op`], wherever that op sits in the change.
/// - Ops apply in order; a later op on the same key wins.
/// - `load` returns every key with its value, as of one consistent point in time, sorted by key.
///
/// `testsuite::conformance_suite` checks all of this.
pub trait IamStore: Send + Sync + 'static {
    /// Every record, sorted by key.
    fn load(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// Applies a change atomically.
    fn commit(&self, change: &Change) -> Result<(), StoreError>;
}

impl<S: IamStore + ?Sized> IamStore for Box<S> {
    fn load(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        (**self).load()
    }
    fn commit(&self, change: &Change) -> Result<(), StoreError> {
        (**self).commit(change)
    }
}

impl<S: IamStore + ?Sized> IamStore for std::sync::Arc<S> {
    fn load(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        (**self).load()
    }
    fn commit(&self, change: &Change) -> Result<(), StoreError> {
        (**self).commit(change)
    }
}
