//! Revoked temporary credentials as this node holds them: the [`RevocationSet`] stored in the IAM
//! blob `sts-revocations`, cached in memory and re-read whenever the blob's version changes (a
//! revocation made on another node arrives through the IAM snapshot). Checking a request costs a
//! version comparison and at most three hash lookups.

use std::sync::{Arc, RwLock};

use strongbox_iam::{Iam, IamError, blob_names};
use strongbox_sts::revocation::{Revocation, RevocationSet};
use time::OffsetDateTime;

const ATTEMPTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum RevocationStoreError {
    #[error("IAM store: {0}")]
    Iam(#[from] IamError),
    #[error("the stored STS revocation list is unreadable: {0}")]
    Corrupt(String),
    #[error("gave up writing the STS revocation list after {ATTEMPTS} conflicting writes")]
    Contended,
}

#[derive(Debug, Default)]
pub struct RevocationStore {
    cached: RwLock<(u64, Arc<RevocationSet>)>,
}

fn decode(data: &[u8]) -> Result<RevocationSet, RevocationStoreError> {
    serde_json::from_slice(data).map_err(|e| RevocationStoreError::Corrupt(e.to_string()))
}

impl RevocationStore {
    /// Loads the stored list (an empty one if there is none).
    pub fn open(iam: &Iam) -> Result<Self, RevocationStoreError> {
        let cached = match iam.blob(blob_names::STS_REVOCATIONS) {
            Some(b) => (b.version, Arc::new(decode(&b.data)?)),
            None => (0, Arc::new(RevocationSet::new())),
        };
        Ok(Self {
            cached: RwLock::new(cached),
        })
    }

    /// The set for this request, re-read first if the stored blob changed.
    pub fn current(&self, iam: &Iam) -> Arc<RevocationSet> {
        let snapshot = iam.snapshot();
        let stored = snapshot.blob(blob_names::STS_REVOCATIONS);
        let stored_version = stored.map_or(0, |b| b.version);
        {
            let cached = read(&self.cached);
            if cached.0 >= stored_version {
                return Arc::clone(&cached.1);
            }
        }
        let set = match stored {
            Some(b) => match decode(&b.data) {
                Ok(s) => s,
                Err(e) => {
                    // Keep the revocations we know; never forget one because of a bad update.
                    tracing::error!(error = %e, "ignoring an unreadable STS revocation list update");
                    return Arc::clone(&read(&self.cached).1);
                }
            },
            None => RevocationSet::new(),
        };
        let mut w = self.cached.write().unwrap_or_else(|p| p.into_inner());
        if stored_version > w.0 {
            *w = (stored_version, Arc::new(set));
        }
        Arc::clone(&w.1)
    }

    /// Adds `records` to the stored list (pruning records that can no longer match anything:
    /// nothing lives longer than `max_lifetime_secs`). Blocking. Takes effect on this node at
    /// once, on other nodes when their IAM snapshot sees the new blob.
    pub fn revoke(
        &self,
        iam: &Iam,
        records: &[Revocation],
        now: OffsetDateTime,
        max_lifetime_secs: i64,
    ) -> Result<(), RevocationStoreError> {
        for _ in 0..ATTEMPTS {
            let (version, mut set) = match iam.blob(blob_names::STS_REVOCATIONS) {
                Some(b) => (b.version, decode(&b.data)?),
                None => (0, RevocationSet::new()),
            };
            for r in records {
                set.apply(r.clone());
            }
            set.prune(now.unix_timestamp(), max_lifetime_secs);
            let data = serde_json::to_vec(&set)
                .map_err(|e| RevocationStoreError::Corrupt(e.to_string()))?;
            match iam.put_blob(blob_names::STS_REVOCATIONS, version, &data) {
                Ok(new_version) => {
                    let mut w = self.cached.write().unwrap_or_else(|p| p.into_inner());
                    *w = (new_version, Arc::new(set));
                    return Ok(());
                }
                Err(IamError::BlobVersionMismatch { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(RevocationStoreError::Contended)
    }
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}
