//! Embedded local-disk backend (`strongbox server DIR`).
//!
//! # Design
//! - **Index**: a redb database (`DIR/.strongbox/objects/index.redb`) holds buckets, objects
//!   (keyed by (bucket, key bytes), so a listing is an ordered range scan in S3's byte order),
//!   multipart uploads and parts. Making an object visible, replacing or deleting it is one redb
//!   transaction: atomic and durable at commit.
//! - **Data**: object bytes live in immutable files named by a random id
//!   (`DIR/.strongbox/objects/data/<2 hex>/<32 hex>`). Bucket names and keys never become paths,
//!   so `..`, absolute paths, `a` next to `a/b`, unicode or `%` in keys cannot touch the file
//!   system, and `DIR/.strongbox/` can never be reached through S3. (Keys with `.`/`..` segments,
//!   a leading `/` or control characters are still refused, as MinIO does.)
//! - **Writes**: bytes stream to `tmp/<uuid>` while MD5 (and any requested `x-amz-checksum-*`) is
//!   computed on a blocking thread; then fsync, rename into `data/`, fsync the directory, commit
//!   the index, and only then unlink the replaced object's files. A crash before the commit
//!   leaves an unreferenced file, removed at the next open (`tmp/` is emptied and `data/` is
//!   swept against the index); a crash after it leaves the new object complete. Nothing partial
//!   is ever visible, and no write touches another object's files.
//! - **Multipart**: each part is a data file with a row in `parts`. Completing an upload does not
//!   copy bytes: the object's row lists the part files as its segments (one transaction), so
//!   completion is instant and crash-safe. CopyObject hard-links the source's immutable files.
//! - **Reads** open all segment files first (a concurrent overwrite may unlink them afterwards;
//!   open files stay readable) and stream them in 1 MiB positional reads from a blocking thread.
//! - **Cache**: GET/HEAD keep recently read index entries, and the bytes of objects up to 64 KiB,
//!   in a bounded in-memory cache (`cache.rs`) that every index write invalidates after its
//!   commit; a hit is answered without the blocking pool, redb or the file system.
//!   [`DirectReads`] (`direct.rs`) answers plain whole-object GET/HEAD hits with a response head
//!   rendered once per entry, for a server that bypasses s3s on that path.
//!
//! Every redb and file-system call runs on tokio's blocking pool, never on executor threads.

mod bucket;
mod cache;
mod checksum;
mod conditions;
mod copy;
mod delete;
mod direct;
mod error;
mod index;
mod layout;
mod list;
mod meta;
mod multipart;
mod multipart_list;
mod names;
mod object_get;
mod object_put;
mod reader;
mod tmpfile;
mod writer;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result};

pub use direct::{DirectRead, DirectReads};
pub use layout::{OBJECTS_DIR, STATE_DIR};
pub use names::is_valid_bucket_name;

use index::Index;
use layout::Layout;

/// Largest single PUT / part (5 GiB, as S3).
pub(crate) const MAX_PUT_SIZE: u64 = 5 << 30;

/// The local-disk object backend. Cheap to clone (shared state).
#[derive(Clone)]
pub struct FsBackend {
    inner: Backend,
}

pub(crate) type Backend = Arc<Inner>;

pub(crate) struct Inner {
    root: PathBuf,
    layout: Layout,
    index: Index,
    /// Region reported for buckets created without a location constraint.
    region: String,
}

impl std::fmt::Debug for FsBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsBackend")
            .field("root", &self.inner.root)
            .finish_non_exhaustive()
    }
}

impl FsBackend {
    /// Opens (creating if needed) the backend rooted at `dir`: creates `DIR/.strongbox/objects/`,
    /// opens the index (fails if another process has it open), removes temporary files and
    /// unreferenced data files left by a crash. Region defaults to `us-east-1`.
    pub async fn open(dir: &Path) -> std::io::Result<Self> {
        Self::open_with_region(dir, "us-east-1").await
    }

    /// Like [`FsBackend::open`], reporting `region` for buckets (HeadBucket, GetBucketLocation,
    /// ListBuckets) created without a location constraint.
    pub async fn open_with_region(dir: &Path, region: &str) -> std::io::Result<Self> {
        let root = dir.to_path_buf();
        let region = region.to_owned();
        let inner = tokio::task::spawn_blocking(move || -> std::io::Result<Inner> {
            std::fs::create_dir_all(&root)?;
            let layout = Layout::create(&root)?;
            let index = Index::open(&layout.index_path())?;
            let tmp = layout.clear_tmp()?;
            let live = index
                .live_ids()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let swept = layout.sweep_data(&live)?;
            if tmp + swept > 0 {
                tracing::info!(tmp, swept, "removed files left by an interrupted write");
            }
            Ok(Inner {
                root,
                layout,
                index,
                region,
            })
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }
}

#[async_trait::async_trait]
impl S3 for FsBackend {
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        bucket::list_buckets(&self.inner, req).await
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        bucket::create_bucket(&self.inner, req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        bucket::head_bucket(&self.inner, req).await
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        bucket::delete_bucket(&self.inner, req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        bucket::get_bucket_location(&self.inner, req).await
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        object_put::put_object(&self.inner, req).await
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        object_get::get_object(&self.inner, req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        object_get::head_object(&self.inner, req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        delete::delete_object(&self.inner, req).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        delete::delete_objects(&self.inner, req).await
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        copy::copy_object(&self.inner, req).await
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        list::list_objects(&self.inner, req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        list::list_objects_v2(&self.inner, req).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        multipart::create_multipart_upload(&self.inner, req).await
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        multipart::upload_part(&self.inner, req).await
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        copy::upload_part_copy(&self.inner, req).await
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        multipart_list::list_parts(&self.inner, req).await
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        multipart_list::list_multipart_uploads(&self.inner, req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        multipart::complete_multipart_upload(&self.inner, req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        multipart::abort_multipart_upload(&self.inner, req).await
    }
}
