//! PutObject: stream the body to a temporary file (hashing as it goes), verify the client's
//! digests, then persist and commit (see the module doc of `fs` for the order).

use bytes::Bytes;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::checksum::{ChecksumPlan, given, verify_content_md5};
use super::conditions::check_write;
use super::error::{blocking, internal, invalid_argument};
use super::meta::{ContentHeaders, ObjectMeta, Segment, now_ms, timestamp_secs, user_metadata};
use super::names::{check_bucket, check_key};
use super::writer::{Written, write_body};
use super::{Backend, MAX_PUT_SIZE};

/// The standard content headers of a request.
pub(crate) fn content_headers(
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    expires: Option<&Timestamp>,
) -> ContentHeaders {
    ContentHeaders {
        content_type,
        content_encoding: content_encoding.and_then(|v| stored_content_encoding(&v)),
        content_disposition,
        content_language,
        cache_control,
        expires: expires.map(timestamp_secs),
    }
}

/// `aws-chunked` only describes how the request body was framed on the wire (SigV4 streaming);
/// S3 drops it from what it stores and keeps any real coding that follows it (`aws-chunked,gzip`).
fn stored_content_encoding(value: &str) -> Option<String> {
    let kept: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(","))
}

pub(crate) fn body_or_empty(body: Option<StreamingBlob>) -> StreamingBlob {
    body.unwrap_or_else(|| StreamingBlob::from(s3s::Body::from(Bytes::new())))
}

pub(crate) fn content_length(len: Option<i64>) -> S3Result<Option<u64>> {
    match len {
        None => Ok(None),
        Some(n) => u64::try_from(n)
            .map(Some)
            .map_err(|_| invalid_argument("Content-Length must not be negative.")),
    }
}

/// Persists `written` as the object (bucket, key) described by `meta` (its `segments` are set
/// here), provided `check` accepts the object it replaces. Unlinks the replaced object's files.
pub(crate) async fn commit_object(
    fs: &Backend,
    bucket: String,
    key: String,
    written: Written,
    mut meta: ObjectMeta,
    check: impl FnOnce(Option<&ObjectMeta>) -> S3Result<()> + Send + 'static,
) -> S3Result<ObjectMeta> {
    let fs = fs.clone();
    blocking(move || {
        let size = written.size;
        let id = written.tmp.persist(&fs.layout).map_err(internal)?;
        meta.segments = vec![Segment {
            id: id.clone(),
            size,
        }];
        match fs.index.put_object(&bucket, &key, &meta, check) {
            Ok(old) => {
                fs.layout
                    .remove_data_files(old.iter().map(|s| s.id.as_str()));
                Ok(meta)
            }
            Err(e) => {
                fs.layout.remove_data_files([id.as_str()]);
                Err(e)
            }
        }
    })
    .await
}

pub(crate) async fn put_object(
    fs: &Backend,
    req: S3Request<PutObjectInput>,
) -> S3Result<S3Response<PutObjectOutput>> {
    let S3Request {
        input,
        headers,
        trailing_headers,
        ..
    } = req;
    check_bucket(&input.bucket)?;
    check_key(&input.key)?;
    {
        let fs = fs.clone();
        let bucket = input.bucket.clone();
        blocking(move || fs.index.require_bucket(&bucket)).await?;
    }
    let plan = ChecksumPlan::new(
        input.checksum_algorithm.as_ref(),
        given(
            input.checksum_crc32,
            input.checksum_crc32c,
            input.checksum_crc64nvme,
            input.checksum_sha1,
            input.checksum_sha256,
        ),
        &headers,
    );
    let expected_len = content_length(input.content_length)?;
    let written = write_body(
        &fs.layout,
        body_or_empty(input.body),
        plan.hasher(),
        expected_len,
        MAX_PUT_SIZE,
    )
    .await?;
    verify_content_md5(input.content_md5.as_deref(), &written.md5)?;
    let checksums = plan.verify(&written.checksums, trailing_headers.as_ref())?;

    let meta = ObjectMeta {
        size: written.size,
        etag: hex::encode(written.md5),
        mtime_ms: now_ms(),
        headers: content_headers(
            input.content_type,
            input.content_encoding,
            input.content_disposition,
            input.content_language,
            input.cache_control,
            input.expires.as_ref(),
        ),
        user: user_metadata(input.metadata),
        segments: Vec::new(),
        parts: None,
        checksums,
    };
    let (if_match, if_none_match) = (input.if_match, input.if_none_match);
    let meta = commit_object(fs, input.bucket, input.key, written, meta, move |cur| {
        check_write(if_match.as_ref(), if_none_match.as_ref(), cur)
    })
    .await?;

    let c = meta.checksums;
    Ok(S3Response::new(PutObjectOutput {
        e_tag: Some(super::meta::etag_dto(&meta.etag)),
        checksum_crc32: c.crc32,
        checksum_crc32c: c.crc32c,
        checksum_crc64nvme: c.crc64nvme,
        checksum_sha1: c.sha1,
        checksum_sha256: c.sha256,
        ..Default::default()
    }))
}

#[cfg(test)]
mod content_encoding_tests {
    use super::stored_content_encoding;

    #[test]
    fn aws_chunked_is_not_stored() {
        assert_eq!(stored_content_encoding("aws-chunked"), None);
        assert_eq!(
            stored_content_encoding("aws-chunked, gzip"),
            Some("gzip".to_owned())
        );
        assert_eq!(stored_content_encoding("gzip"), Some("gzip".to_owned()));
        assert_eq!(stored_content_encoding("AWS-CHUNKED"), None);
    }
}
