//! Embedded local-disk backend.

use std::path::{Path, PathBuf};

/// The local-disk object backend.
pub struct FsBackend {
    root: PathBuf,
}

impl FsBackend {
    /// Opens (creating if needed) the backend rooted at `dir`.
    pub async fn open(dir: &Path) -> std::io::Result<Self> {
        tokio::fs::create_dir_all(dir).await?;
        Ok(Self { root: dir.to_path_buf() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[async_trait::async_trait]
impl s3s::S3 for FsBackend {}
