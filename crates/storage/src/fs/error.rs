//! Error helpers: the client gets an S3 code and a fixed message, the cause goes to the log only.

use std::fmt::Display;

use s3s::{S3Error, S3ErrorCode, S3Result};

/// An internal failure (I/O, index). Logged here with its cause; the client sees `InternalError`.
pub(crate) fn internal(e: impl Display) -> S3Error {
    tracing::error!(error = %e, "storage backend internal error");
    S3Error::with_message(
        S3ErrorCode::InternalError,
        "We encountered an internal error. Please try again.",
    )
}

pub(crate) fn err(code: S3ErrorCode, msg: &'static str) -> S3Error {
    S3Error::with_message(code, msg)
}

pub(crate) fn no_such_bucket() -> S3Error {
    err(
        S3ErrorCode::NoSuchBucket,
        "The specified bucket does not exist.",
    )
}

pub(crate) fn no_such_key() -> S3Error {
    err(S3ErrorCode::NoSuchKey, "The specified key does not exist.")
}

pub(crate) fn no_such_upload() -> S3Error {
    err(
        S3ErrorCode::NoSuchUpload,
        "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

/// Objects here are unversioned: their one version is `null` (as in an S3 bucket that never had
/// versioning). Any other version id names a version that does not exist.
pub(crate) fn only_null_version(version_id: Option<&str>) -> S3Result<()> {
    match version_id {
        Some(v) if v != "null" => Err(err(
            S3ErrorCode::NoSuchVersion,
            "The specified version does not exist.",
        )),
        _ => Ok(()),
    }
}

pub(crate) fn invalid_argument(msg: &'static str) -> S3Error {
    err(S3ErrorCode::InvalidArgument, msg)
}

/// Runs blocking work (redb, file system) on tokio's blocking pool.
pub(crate) async fn blocking<T, F>(f: F) -> S3Result<T>
where
    F: FnOnce() -> S3Result<T> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(internal(e)),
    }
}
