//! Opaque shared blobs (STS key ring, revocation list) with compare-and-swap versions.

use super::{Iam, now};
use crate::codec::{Record, RecordKey};
use crate::error::IamError;
use crate::model::Blob;
use crate::validate;

impl Iam {
    /// Writes blob `name` if its current version is `expected_version` (`0` = the blob must not
    /// exist yet). Returns the new version. Another writer winning the race gives
    /// `BlobVersionMismatch` with the version now stored (after reloading from the store).
    pub fn put_blob(
        &self,
        name: &str,
        expected_version: u64,
        data: &[u8],
    ) -> Result<u64, IamError> {
        validate::blob_name(name)?;
        if data.len() > validate::BLOB_MAX {
            return Err(IamError::InvalidArgument {
                what: "blob",
                reason: "larger than 1 MiB",
            });
        }
        self.write(|snap, tx| {
            let current = snap.blob(name).map_or(0, |b| b.version);
            if current != expected_version {
                return Err(IamError::BlobVersionMismatch { current });
            }
            let blob = Blob {
                name: name.to_owned(),
                version: current + 1,
                data: data.to_vec(),
                updated_at: now(),
            };
            tx.put(RecordKey::Blob(name.to_owned()), &Record::Blob(blob));
            Ok(current + 1)
        })
    }

    /// Deletes blob `name` if its current version is `expected_version`.
    pub fn delete_blob(&self, name: &str, expected_version: u64) -> Result<(), IamError> {
        self.write(|snap, tx| {
            let current = snap.blob(name).ok_or(IamError::NoSuchBlob)?.version;
            if current != expected_version {
                return Err(IamError::BlobVersionMismatch { current });
            }
            tx.delete(RecordKey::Blob(name.to_owned()));
            Ok(())
        })
    }

    /// The blob as of the current snapshot.
    pub fn blob(&self, name: &str) -> Option<Blob> {
        self.snapshot().blob(name).cloned()
    }
}
