//! Admin request and response bodies: bounded reads, madmin decryption and encryption, JSON.
//!
//! madmin's key derivation (Argon2id, 64 MiB, tens of milliseconds) runs on the blocking pool,
//! at most [`KDF_CONCURRENCY`] at a time, and only for callers whose signature was verified.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use s3s::auth::SecretKey;
use s3s::{Body, S3ErrorCode, S3Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use super::error::{AdminError, json_response};
use crate::routes::read_body;

/// Largest encrypted request body (MinIO's `maxEConfigJSONSize`).
pub const MAX_ENCRYPTED_BODY: usize = 262_272;
/// Largest plain JSON request body (group membership).
pub const MAX_PLAIN_BODY: usize = 64 * 1024;
/// Largest canned policy document (MinIO's limit for add-canned-policy).
pub const MAX_POLICY_BODY: usize = 20 * 1024;

/// Key derivations running at once (each holds 64 MiB).
pub const KDF_CONCURRENCY: usize = 2;
static KDF_PERMITS: Semaphore = Semaphore::const_new(KDF_CONCURRENCY);

/// The declared `Content-Length`, if any.
fn content_length(headers: &HeaderMap) -> Result<Option<usize>, AdminError> {
    match headers.get(http::header::CONTENT_LENGTH) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .map(Some)
            .ok_or_else(|| AdminError::invalid_argument("invalid Content-Length")),
    }
}

/// Reads a whole body of at most `limit` bytes, refusing a larger declared length before reading.
/// `too_large` is the error for a body over the limit.
pub async fn read_bounded(
    headers: &HeaderMap,
    body: &mut Body,
    limit: usize,
    too_large: AdminError,
) -> Result<Bytes, AdminError> {
    if content_length(headers)?.is_some_and(|n| n > limit) {
        return Err(too_large);
    }
    match read_body(body, limit).await {
        Ok(b) => Ok(b),
        Err(e) if *e.code() == S3ErrorCode::MaxMessageLengthExceeded => Err(too_large),
        Err(e) => {
            // Includes a body whose SHA-256 differs from the signed x-amz-content-sha256.
            tracing::debug!(error = %e, "admin: request body unreadable");
            Err(AdminError::new(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                "The request body is incomplete or does not match its signed hash",
            ))
        }
    }
}

fn password(secret: &SecretKey) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(secret.expose().as_bytes().to_vec())
}

/// Decrypts a madmin payload sealed with `secret`.
pub async fn decrypt(secret: &SecretKey, sealed: Bytes) -> Result<Zeroizing<Vec<u8>>, AdminError> {
    // Cheap checks (size, layout, algorithm id) before taking a KDF slot.
    if sealed.len() > strongbox_madmin::MAX_CIPHERTEXT_LEN {
        return Err(AdminError::too_large());
    }
    strongbox_madmin::crypto::parse_header(&sealed)?;
    let pw = password(secret);
    let _permit = KDF_PERMITS
        .acquire()
        .await
        .map_err(|_| AdminError::internal())?;
    let plain = tokio::task::spawn_blocking(move || strongbox_madmin::decrypt_data(&pw, &sealed))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "admin: decryption task failed");
            AdminError::internal()
        })??;
    Ok(Zeroizing::new(plain))
}

/// Seals `plain` for the caller (algorithm id 0, which minio-py and madmin both read).
pub async fn encrypt(secret: &SecretKey, plain: Zeroizing<Vec<u8>>) -> Result<Bytes, AdminError> {
    let pw = password(secret);
    let _permit = KDF_PERMITS
        .acquire()
        .await
        .map_err(|_| AdminError::internal())?;
    let sealed = tokio::task::spawn_blocking(move || strongbox_madmin::encrypt_data(&pw, &plain))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "admin: encryption task failed");
            AdminError::internal()
        })?;
    Ok(Bytes::from(sealed))
}

/// Parses a (decrypted or plain) JSON request body with the bounded madmin parser.
pub fn parse<T: DeserializeOwned>(json: &[u8]) -> Result<T, AdminError> {
    Ok(strongbox_madmin::types::from_json(json)?)
}

fn to_json<T: Serialize>(value: &T) -> Result<Zeroizing<Vec<u8>>, AdminError> {
    serde_json::to_vec(value).map(Zeroizing::new).map_err(|e| {
        tracing::error!(error = %e, "admin: response does not serialise");
        AdminError::internal()
    })
}

/// `200` with a plain JSON body.
pub fn plain_json<T: Serialize>(value: &T) -> Result<S3Response<Body>, AdminError> {
    let bytes = to_json(value)?;
    Ok(json_response(StatusCode::OK, Bytes::from(bytes.to_vec())))
}

/// `200` with a JSON body sealed for the caller.
pub async fn encrypted_json<T: Serialize>(
    secret: &SecretKey,
    value: &T,
) -> Result<S3Response<Body>, AdminError> {
    let sealed = encrypt(secret, to_json(value)?).await?;
    let mut resp = S3Response::with_status(Body::from(sealed), StatusCode::OK);
    resp.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/octet-stream"),
    );
    Ok(resp)
}

/// A success without a body (`200` or `204`).
pub fn empty(status: StatusCode) -> S3Response<Body> {
    S3Response::with_status(Body::empty(), status)
}
