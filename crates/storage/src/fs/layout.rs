//! Where the backend keeps its files under `DIR/.strongbox/objects/`, and the few filesystem
//! operations that must be done in a crash-safe order (fsync of files and directories, sweeping).
//!
//! No path here is ever built from a bucket name or an object key: data files are named by a
//! random id, so nothing a client sends can reach outside these directories.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Directory (under DIR) that holds all server state; never reachable through S3.
pub const STATE_DIR: &str = ".strongbox";
/// Sub-directory of [`STATE_DIR`] owned by this backend.
pub const OBJECTS_DIR: &str = "objects";

#[derive(Debug, Clone)]
pub(crate) struct Layout {
    base: PathBuf,
}

impl Layout {
    /// Creates the directory tree (idempotent) and fsyncs it.
    pub fn create(root: &Path) -> io::Result<Self> {
        let base = root.join(STATE_DIR).join(OBJECTS_DIR);
        let this = Self { base };
        fs::create_dir_all(this.tmp_dir())?;
        fs::create_dir_all(this.data_dir())?;
        for i in 0..=255u8 {
            let d = this.data_dir().join(format!("{i:02x}"));
            if !d.is_dir() {
                fs::create_dir(&d)?;
            }
        }
        sync_dir(&this.data_dir())?;
        sync_dir(&this.base)?;
        if let Some(parent) = this.base.parent() {
            sync_dir(parent)?;
        }
        Ok(this)
    }

    pub fn index_path(&self) -> PathBuf {
        self.base.join("index.redb")
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.base.join("tmp")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.base.join("data")
    }

    /// A fresh temporary file path (unique name).
    pub fn new_tmp_path(&self) -> PathBuf {
        self.tmp_dir()
            .join(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The path of the immutable data file `id` (ids are 32 lowercase hex digits).
    /// An id that is not one of ours (a damaged index) maps to a path that never exists.
    pub fn data_path(&self, id: &str) -> PathBuf {
        if !is_data_id(id) {
            return self.data_dir().join("invalid-id");
        }
        self.data_dir().join(&id[..2]).join(id)
    }

    pub fn data_subdir(&self, id: &str) -> PathBuf {
        if !is_data_id(id) {
            return self.data_dir();
        }
        self.data_dir().join(&id[..2])
    }

    /// Removes every temporary file (left by a crash mid-write).
    pub fn clear_tmp(&self) -> io::Result<usize> {
        let mut n = 0;
        for entry in fs::read_dir(self.tmp_dir())? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                fs::remove_file(entry.path())?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Removes every data file whose id is not in `live` (left by a crash between the rename of a
    /// data file and the commit of the index, or between a commit and the unlink of a replaced file).
    pub fn sweep_data(&self, live: &HashSet<String>) -> io::Result<usize> {
        let mut n = 0;
        for sub in fs::read_dir(self.data_dir())? {
            let sub = sub?;
            if !sub.file_type()?.is_dir() {
                continue;
            }
            for entry in fs::read_dir(sub.path())? {
                let entry = entry?;
                let name = entry.file_name();
                let keep = name.to_str().is_some_and(|s| live.contains(s));
                if !keep && entry.file_type()?.is_file() {
                    fs::remove_file(entry.path())?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Unlinks data files that are no longer referenced. Failures are logged, never fatal: a
    /// leftover file is swept at the next open.
    pub fn remove_data_files<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        for id in ids {
            if let Err(e) = fs::remove_file(self.data_path(id))
                && e.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!(error = %e, "could not remove unreferenced data file");
            }
        }
    }
}

/// A new random data-file id: 32 lowercase hex digits.
pub(crate) fn new_data_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub(crate) fn is_data_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Makes a directory's entries (creations, renames) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
