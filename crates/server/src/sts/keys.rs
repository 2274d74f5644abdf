//! The STS key ring as this node holds it: stored in the IAM blob `sts-key-ring` (so every node
//! sharing the IAM store shares it), created on first start, rotated on demand, and re-read
//! whenever the blob's version changes (a rotation on another node arrives through the IAM
//! snapshot). The request path only compares a version number.

use std::sync::{Arc, RwLock};

use strongbox_iam::{Iam, IamError, blob_names};
use strongbox_sts::KeyRing;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// How many times a blob write is retried after losing a race with another node.
const ATTEMPTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("IAM store: {0}")]
    Iam(#[from] IamError),
    #[error("the stored STS key ring is unreadable: {0}")]
    Corrupt(String),
    #[error("gave up writing the STS key ring after {ATTEMPTS} conflicting writes")]
    Contended,
}

/// The cached ring and the blob version it came from.
#[derive(Debug)]
pub struct KeyStore {
    cached: RwLock<(u64, Arc<KeyRing>)>,
}

fn decode(data: &[u8]) -> Result<KeyRing, KeyStoreError> {
    serde_json::from_slice(data).map_err(|e| KeyStoreError::Corrupt(e.to_string()))
}

fn encode(ring: &KeyRing) -> Result<Zeroizing<Vec<u8>>, KeyStoreError> {
    serde_json::to_vec(ring)
        .map(Zeroizing::new)
        .map_err(|e| KeyStoreError::Corrupt(e.to_string()))
}

impl KeyStore {
    /// Loads the ring, creating and storing a fresh one if the store has none. Blocking.
    pub fn open(iam: &Iam, now: OffsetDateTime) -> Result<Self, KeyStoreError> {
        for _ in 0..ATTEMPTS {
            if let Some(blob) = iam.blob(blob_names::STS_KEY_RING) {
                let ring = decode(&blob.data)?;
                return Ok(Self {
                    cached: RwLock::new((blob.version, Arc::new(ring))),
                });
            }
            let ring = KeyRing::generate(now);
            match iam.put_blob(blob_names::STS_KEY_RING, 0, &encode(&ring)?) {
                Ok(version) => {
                    tracing::info!(kid = ring.active_kid(), "created the STS key ring");
                    return Ok(Self {
                        cached: RwLock::new((version, Arc::new(ring))),
                    });
                }
                // Another node created it first: use theirs.
                Err(IamError::BlobVersionMismatch { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(KeyStoreError::Contended)
    }

    /// The ring for this request: the cached one, re-read first if the stored blob changed.
    pub fn current(&self, iam: &Iam) -> Arc<KeyRing> {
        let snapshot = iam.snapshot();
        let stored = snapshot.blob(blob_names::STS_KEY_RING);
        {
            let cached = read(&self.cached);
            if stored.is_none_or(|b| b.version <= cached.0) {
                return Arc::clone(&cached.1);
            }
        }
        let Some(blob) = stored else {
            return Arc::clone(&read(&self.cached).1);
        };
        match decode(&blob.data) {
            Ok(ring) => {
                let ring = Arc::new(ring);
                let mut w = self.cached.write().unwrap_or_else(|p| p.into_inner());
                if w.0 < blob.version {
                    *w = (blob.version, Arc::clone(&ring));
                }
                Arc::clone(&w.1)
            }
            Err(e) => {
                // Keep serving with the ring we have; an operator must look at the store.
                tracing::error!(error = %e, "ignoring an unreadable STS key ring update");
                Arc::clone(&read(&self.cached).1)
            }
        }
    }

    /// Makes a fresh key active; older keys keep verifying for `keep_old_for` (give the longest
    /// credential lifetime so no session is cut short). Blocking. Returns the new kid.
    pub fn rotate(
        &self,
        iam: &Iam,
        now: OffsetDateTime,
        keep_old_for: time::Duration,
    ) -> Result<String, KeyStoreError> {
        for _ in 0..ATTEMPTS {
            let (version, ring) = match iam.blob(blob_names::STS_KEY_RING) {
                Some(b) => (b.version, decode(&b.data)?),
                None => (0, KeyRing::generate(now)),
            };
            let mut ring = ring;
            ring.prune(now);
            let kid = ring.rotate(now, keep_old_for).to_owned();
            match iam.put_blob(blob_names::STS_KEY_RING, version, &encode(&ring)?) {
                Ok(new_version) => {
                    let mut w = self.cached.write().unwrap_or_else(|p| p.into_inner());
                    *w = (new_version, Arc::new(ring));
                    tracing::info!(kid = %kid, "rotated the STS key ring");
                    return Ok(kid);
                }
                Err(IamError::BlobVersionMismatch { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(KeyStoreError::Contended)
    }
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // Writers only swap whole values in: a poisoned lock still holds a consistent value.
    l.read().unwrap_or_else(|p| p.into_inner())
}
