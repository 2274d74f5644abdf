//! CopyObject (hard links to the source's immutable data files: instant, no bytes copied) and
//! UploadPartCopy (copies a byte range of the source into a new part, hashing it).

use std::io;

use s3s::dto::*;
use s3s::{S3ErrorCode, S3Request, S3Response, S3Result};

use super::conditions::Conditions;
use super::error::{blocking, err, internal, invalid_argument, only_null_version};
use super::layout::{new_data_id, sync_dir};
use super::meta::{ObjectMeta, Segment, etag_dto, ms_to_timestamp, now_ms, user_metadata};
use super::multipart::{check_part_number, commit_part};
use super::names::{check_bucket, check_key};
use super::object_put::content_headers;
use super::reader::OpenObject;
use super::writer::Sink;
use super::{Backend, MAX_PUT_SIZE};

/// Tries a file operation on a source object a few times: a concurrent overwrite may unlink its
/// files between the index read and the operation.
const SOURCE_RETRIES: usize = 8;

fn source_of(cs: &CopySource) -> S3Result<(String, String)> {
    match cs {
        CopySource::Bucket {
            bucket,
            key,
            version_id,
        } => {
            only_null_version(version_id.as_deref())?;
            check_bucket(bucket)?;
            check_key(key)?;
            Ok((bucket.to_string(), key.to_string()))
        }
        _ => Err(err(
            S3ErrorCode::NotImplemented,
            "Only bucket/key copy sources are supported.",
        )),
    }
}

struct SourceConditions {
    if_match: Option<ETagCondition>,
    if_none_match: Option<ETagCondition>,
    if_modified_since: Option<Timestamp>,
    if_unmodified_since: Option<Timestamp>,
}

impl SourceConditions {
    fn check(&self, meta: &ObjectMeta) -> S3Result<()> {
        Conditions {
            if_match: self.if_match.as_ref(),
            if_none_match: self.if_none_match.as_ref(),
            if_modified_since: self.if_modified_since.as_ref(),
            if_unmodified_since: self.if_unmodified_since.as_ref(),
        }
        .check_copy_source(meta)
    }
}

fn link_segments(fs: &Backend, segments: &[Segment]) -> io::Result<Vec<Segment>> {
    let mut made: Vec<Segment> = Vec::with_capacity(segments.len());
    for s in segments {
        let id = new_data_id();
        if let Err(e) = std::fs::hard_link(fs.layout.data_path(&s.id), fs.layout.data_path(&id)) {
            fs.layout
                .remove_data_files(made.iter().map(|m| m.id.as_str()));
            return Err(e);
        }
        made.push(Segment { id, size: s.size });
    }
    for m in &made {
        sync_dir(&fs.layout.data_subdir(&m.id))?;
    }
    Ok(made)
}

pub(crate) async fn copy_object(
    fs: &Backend,
    req: S3Request<CopyObjectInput>,
) -> S3Result<S3Response<CopyObjectOutput>> {
    let i = req.input;
    check_bucket(&i.bucket)?;
    check_key(&i.key)?;
    let (src_bucket, src_key) = source_of(&i.copy_source)?;
    let replace = match i
        .metadata_directive
        .as_ref()
        .map(|d| d.as_str().to_ascii_uppercase())
    {
        None => false,
        Some(d) if d == MetadataDirective::COPY => false,
        Some(d) if d == MetadataDirective::REPLACE => true,
        Some(_) => return Err(invalid_argument("Unknown metadata directive.")),
    };
    if !replace && src_bucket == i.bucket && src_key == i.key {
        return Err(err(
            S3ErrorCode::InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let conds = SourceConditions {
        if_match: i.copy_source_if_match,
        if_none_match: i.copy_source_if_none_match,
        if_modified_since: i.copy_source_if_modified_since,
        if_unmodified_since: i.copy_source_if_unmodified_since,
    };
    let new_headers = content_headers(
        i.content_type,
        i.content_encoding,
        i.content_disposition,
        i.content_language,
        i.cache_control,
        i.expires.as_ref(),
    );
    let new_user = user_metadata(i.metadata);
    let (bucket, key) = (i.bucket, i.key);
    let fs = fs.clone();
    let meta = blocking(move || {
        for _ in 0..SOURCE_RETRIES {
            let src = fs.index.get_object(&src_bucket, &src_key)?;
            conds.check(&src)?;
            let segments = match link_segments(&fs, &src.segments) {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(internal(e)),
            };
            let (headers, user) = if replace {
                (new_headers.clone(), new_user.clone())
            } else {
                (src.headers.clone(), src.user.clone())
            };
            let meta = ObjectMeta {
                mtime_ms: now_ms(),
                headers,
                user,
                segments,
                ..src
            };
            return match fs.index.put_object(&bucket, &key, &meta, |_| Ok(())) {
                Ok(old) => {
                    fs.layout
                        .remove_data_files(old.iter().map(|s| s.id.as_str()));
                    Ok(meta)
                }
                Err(e) => {
                    fs.layout
                        .remove_data_files(meta.segments.iter().map(|s| s.id.as_str()));
                    Err(e)
                }
            };
        }
        Err(internal("copy source kept changing"))
    })
    .await?;
    Ok(S3Response::new(CopyObjectOutput {
        copy_object_result: Some(CopyObjectResult {
            e_tag: Some(etag_dto(&meta.etag)),
            last_modified: Some(ms_to_timestamp(meta.mtime_ms)),
            ..Default::default()
        }),
        ..Default::default()
    }))
}

/// Parses `bytes=first-last` (both required, inclusive) against the source size.
fn parse_copy_range(s: &str, size: u64) -> S3Result<(u64, u64)> {
    let bad = || {
        invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        )
    };
    let rest = s.trim().strip_prefix("bytes=").ok_or_else(bad)?;
    let (a, b) = rest.split_once('-').ok_or_else(bad)?;
    let first: u64 = a.parse().map_err(|_| bad())?;
    let last: u64 = b.parse().map_err(|_| bad())?;
    if first > last {
        return Err(bad());
    }
    if last >= size {
        return Err(err(
            S3ErrorCode::InvalidRange,
            "The requested range is not satisfiable",
        ));
    }
    Ok((first, last + 1))
}

pub(crate) async fn upload_part_copy(
    fs: &Backend,
    req: S3Request<UploadPartCopyInput>,
) -> S3Result<S3Response<UploadPartCopyOutput>> {
    let i = req.input;
    check_bucket(&i.bucket)?;
    check_key(&i.key)?;
    let number = check_part_number(i.part_number)?;
    let (src_bucket, src_key) = source_of(&i.copy_source)?;
    let conds = SourceConditions {
        if_match: i.copy_source_if_match,
        if_none_match: i.copy_source_if_none_match,
        if_modified_since: i.copy_source_if_modified_since,
        if_unmodified_since: i.copy_source_if_unmodified_since,
    };
    let range = i.copy_source_range;
    let (bucket, key, upload_id) = (i.bucket, i.key, i.upload_id);
    let fs2 = fs.clone();
    let (b2, k2, u2) = (bucket.clone(), key.clone(), upload_id.clone());
    let written = blocking(move || {
        fs2.index.get_upload(&b2, &k2, &u2)?;
        for _ in 0..SOURCE_RETRIES {
            let src = fs2.index.get_object(&src_bucket, &src_key)?;
            conds.check(&src)?;
            let (start, end) = match &range {
                Some(r) => parse_copy_range(r, src.size)?,
                None => (0, src.size),
            };
            if end - start > MAX_PUT_SIZE {
                return Err(err(
                    S3ErrorCode::EntityTooLarge,
                    "Your proposed upload exceeds the maximum allowed size.",
                ));
            }
            let open = match OpenObject::open(&fs2.layout, &src.segments) {
                Ok(o) => o,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(internal(e)),
            };
            let mut sink = Sink::create(&fs2.layout, s3s::checksum::ChecksumHasher::default())
                .map_err(internal)?;
            let mut failed: Option<io::Error> = None;
            open.read_range(start, end, 1 << 20, |b| match sink.write(&b) {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            })
            .map_err(internal)?;
            if let Some(e) = failed {
                return Err(internal(e));
            }
            return sink.finish().map_err(internal);
        }
        Err(internal("copy source kept changing"))
    })
    .await?;
    let part = commit_part(
        fs,
        bucket,
        key,
        upload_id,
        number,
        written,
        Default::default(),
    )
    .await?;
    Ok(S3Response::new(UploadPartCopyOutput {
        copy_part_result: Some(CopyPartResult {
            e_tag: Some(etag_dto(&part.etag)),
            last_modified: Some(ms_to_timestamp(part.mtime_ms)),
            ..Default::default()
        }),
        ..Default::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_range_parsing() {
        assert_eq!(parse_copy_range("bytes=0-9", 10).unwrap(), (0, 10));
        assert_eq!(parse_copy_range("bytes=5-5", 10).unwrap(), (5, 6));
        assert_eq!(
            parse_copy_range("bytes=5-10", 10).unwrap_err().code(),
            &S3ErrorCode::InvalidRange
        );
        for bad in ["bytes=5-", "bytes=-5", "5-6", "bytes=6-5", "bytes=a-b"] {
            assert_eq!(
                parse_copy_range(bad, 10).unwrap_err().code(),
                &S3ErrorCode::InvalidArgument,
                "{bad}"
            );
        }
    }
}
