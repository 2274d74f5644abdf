//! Bucket policies: validated strictly, kept in the IAM store (they are authorisation state, and a
//! shared etcd store shares them across nodes) as the blob `bucket-policy.<bucket>`.

use std::sync::Arc;

use s3s::{S3Error, S3ErrorCode, S3Result};
use strongbox_iam::{Iam, IamError, IamSnapshot};
use strongbox_policy::Policy;

/// Largest bucket policy accepted (MinIO's `maxBucketPolicySize`).
pub const MAX_BUCKET_POLICY_BYTES: usize = 20 * 1024;

const BLOB_PREFIX: &str = "bucket-policy.";

/// The blob holding `bucket`'s policy.
#[must_use]
pub fn blob_name(bucket: &str) -> String {
    format!("{BLOB_PREFIX}{bucket}")
}

/// The policy text of `bucket`, if it has one.
#[must_use]
pub fn load<'a>(snapshot: &'a IamSnapshot, bucket: &str) -> Option<&'a str> {
    let blob = snapshot.blob(&blob_name(bucket))?;
    std::str::from_utf8(&blob.data).ok()
}

/// Checks a policy for `bucket`: size, grammar (a `Principal` in every statement, S3 actions
/// only), and every resource inside the bucket. The message says what is wrong.
pub fn validate(bucket: &str, text: &str) -> S3Result<()> {
    if text.len() > MAX_BUCKET_POLICY_BYTES {
        return Err(malformed(
            "Policy exceeds the maximum allowed document size.".into(),
        ));
    }
    if text.trim().is_empty() {
        return Err(malformed(
            "Policies must be valid JSON and the first byte must be '{'".into(),
        ));
    }
    let policy = Policy::parse_bucket(text.as_bytes()).map_err(|e| malformed(e.to_string()))?;
    policy
        .check_bucket(bucket)
        .map_err(|e| malformed(e.to_string()))?;
    Ok(())
}

fn malformed(message: String) -> S3Error {
    S3Error::with_message(S3ErrorCode::MalformedPolicy, message)
}

/// Stores `text` (already validated) as `bucket`'s policy.
pub async fn store(iam: &Arc<Iam>, bucket: &str, text: &str) -> S3Result<()> {
    let iam = Arc::clone(iam);
    let name = blob_name(bucket);
    let data = text.as_bytes().to_vec();
    blocking(move || {
        // Compare-and-swap on the version we saw; another writer winning means retry with theirs.
        let mut expected = iam.blob(&name).map_or(0, |b| b.version);
        for _ in 0..strongbox_iam::MAX_ATTEMPTS {
            match iam.put_blob(&name, expected, &data) {
                Ok(_) => return Ok(()),
                Err(IamError::BlobVersionMismatch { current }) => expected = current,
                Err(e) => return Err(e),
            }
        }
        Err(IamError::Conflict)
    })
    .await
}

/// Removes `bucket`'s policy; no policy is not an error.
pub async fn remove(iam: &Arc<Iam>, bucket: &str) -> S3Result<()> {
    let iam = Arc::clone(iam);
    let name = blob_name(bucket);
    blocking(move || {
        for _ in 0..strongbox_iam::MAX_ATTEMPTS {
            let Some(blob) = iam.blob(&name) else {
                return Ok(());
            };
            match iam.delete_blob(&name, blob.version) {
                Ok(()) | Err(IamError::NoSuchBlob) => return Ok(()),
                Err(IamError::BlobVersionMismatch { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Err(IamError::Conflict)
    })
    .await
}

/// Runs an IAM write off the async threads; its failure is an internal error for the client.
async fn blocking(f: impl FnOnce() -> Result<(), IamError> + Send + 'static) -> S3Result<()> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "bucket policy write failed");
            Err(S3Error::with_message(
                S3ErrorCode::InternalError,
                "We encountered an internal error. Please try again.",
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "bucket policy write task failed");
            Err(S3Error::new(S3ErrorCode::InternalError))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_msg(r: S3Result<()>) -> (String, String) {
        let e = r.unwrap_err();
        (
            e.code().as_str().to_owned(),
            e.message().unwrap_or_default().to_owned(),
        )
    }

    #[test]
    fn validation_is_strict_and_says_why() {
        let good = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}"#;
        assert!(validate("pub", good).is_ok());
        let (code, msg) = code_msg(validate("other", good));
        assert_eq!(code, "MalformedPolicy");
        assert!(!msg.is_empty());
        let (code, _) = code_msg(validate("pub", "{not json"));
        assert_eq!(code, "MalformedPolicy");
        let (code, _) = code_msg(validate("pub", ""));
        assert_eq!(code, "MalformedPolicy");
        // No Principal: an identity policy is not a bucket policy.
        let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}"#;
        assert_eq!(code_msg(validate("pub", no_principal)).0, "MalformedPolicy");
        let padding = " ".repeat(MAX_BUCKET_POLICY_BYTES);
        let big = format!("{good}{padding}");
        let (code, msg) = code_msg(validate("pub", &big));
        assert_eq!(code, "MalformedPolicy");
        assert!(msg.contains("maximum"), "{msg}");
    }

    #[test]
    fn blob_names_fit_the_longest_bucket_name() {
        assert!(strongbox_iam::validate::blob_name(&blob_name(&"b".repeat(63))).is_ok());
    }
}
