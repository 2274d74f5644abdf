//! GetObject and HeadObject: conditionals, byte ranges (206 + Content-Range), partNumber, and
//! the stored headers and metadata.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::Backend;
use super::cache::{Cached, MAX_CACHED_BODY};
use super::conditions::Conditions;
use super::error::{blocking, err, internal, only_null_version};
use super::meta::{Checksums, ObjectMeta, ms_to_timestamp, secs_to_timestamp, to_dto_metadata};
use super::names::{check_bucket, check_key};
use super::reader::{INLINE_MAX, OpenObject};

/// Content-Type reported for objects stored without one (as S3 does).
pub(super) const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

struct Found {
    entry: Arc<Cached>,
    start: u64,
    end: u64,
    /// Set for a partial answer (range or partNumber): 206.
    content_range: Option<String>,
    body: Option<Body>,
}

enum Body {
    Inline(Bytes),
    Stream(OpenObject),
}

pub(crate) struct ReadRequest {
    pub bucket: String,
    pub key: String,
    pub if_match: Option<ETagCondition>,
    pub if_none_match: Option<ETagCondition>,
    pub if_modified_since: Option<Timestamp>,
    pub if_unmodified_since: Option<Timestamp>,
    pub range: Option<Range>,
    pub part_number: Option<i32>,
}

fn invalid_part_number() -> S3Error {
    let code =
        S3ErrorCode::from_bytes(b"InvalidPartNumber").unwrap_or(S3ErrorCode::InvalidArgument);
    let mut e = S3Error::with_message(code, "The requested partnumber is not satisfiable");
    e.set_status_code(http::StatusCode::RANGE_NOT_SATISFIABLE);
    e
}

fn invalid_range() -> S3Error {
    err(
        S3ErrorCode::InvalidRange,
        "The requested range is not satisfiable",
    )
}

/// The byte range [start, end) to answer with, and whether the answer is partial.
fn select(
    meta: &ObjectMeta,
    range: Option<&Range>,
    part_number: Option<i32>,
) -> S3Result<(u64, u64, bool)> {
    if let Some(n) = part_number {
        if range.is_some() {
            return Err(err(
                S3ErrorCode::InvalidRequest,
                "Cannot specify both Range header and partNumber query parameter.",
            ));
        }
        let parts = meta.parts.unwrap_or(1);
        let n = u32::try_from(n)
            .ok()
            .filter(|n| (1..=parts).contains(n))
            .ok_or_else(invalid_part_number)?;
        if meta.parts.is_none() {
            return Ok((0, meta.size, false));
        }
        let idx = (n - 1) as usize;
        let start: u64 = meta.segments[..idx].iter().map(|s| s.size).sum();
        let end = start + meta.segments.get(idx).map_or(0, |s| s.size);
        return Ok((start, end, true));
    }
    match range {
        None => Ok((0, meta.size, false)),
        Some(r) => {
            let r = r.check(meta.size).map_err(|_| invalid_range())?;
            Ok((r.start, r.end, true))
        }
    }
}

/// What the request asks of `meta`: conditions checked, then the byte range and Content-Range.
fn plan(rr: &ReadRequest, meta: &ObjectMeta) -> S3Result<(u64, u64, Option<String>)> {
    Conditions {
        if_match: rr.if_match.as_ref(),
        if_none_match: rr.if_none_match.as_ref(),
        if_modified_since: rr.if_modified_since.as_ref(),
        if_unmodified_since: rr.if_unmodified_since.as_ref(),
    }
    .check_read(meta)?;
    let (start, end, partial) = select(meta, rr.range.as_ref(), rr.part_number)?;
    let content_range =
        partial.then(|| format!("bytes {}-{}/{}", start, end.saturating_sub(1), meta.size));
    Ok((start, end, content_range))
}

async fn lookup(fs: &Backend, rr: ReadRequest, want_body: bool) -> S3Result<Found> {
    check_bucket(&rr.bucket)?;
    check_key(&rr.key)?;
    let (hit, ticket) = fs.index.cache().lookup(&rr.bucket, &rr.key);
    if let Some(entry) = hit {
        // Served from memory when nothing else is needed: HEAD, or a small object's bytes.
        let body = match (&entry.body, want_body) {
            (_, false) => Some(None),
            (Some(bytes), true) => Some(Some(bytes.clone())),
            (None, true) => None,
        };
        if let Some(bytes) = body {
            let (start, end, content_range) = plan(&rr, &entry.meta)?;
            let body = bytes.map(|b| Body::Inline(slice(&b, start, end)));
            return Ok(Found {
                entry,
                start,
                end,
                content_range,
                body,
            });
        }
    }
    let fs = fs.clone();
    blocking(move || {
        // A concurrent overwrite may unlink the files between the index read and the open:
        // then the index has moved on, so read it again.
        for _ in 0..8 {
            let meta = fs.index.get_object(&rr.bucket, &rr.key)?;
            if !want_body {
                let entry =
                    fs.index
                        .cache()
                        .fill(&rr.bucket, &rr.key, ticket, Cached::new(meta, None));
                let (start, end, content_range) = plan(&rr, &entry.meta)?;
                return Ok(Found {
                    entry,
                    start,
                    end,
                    content_range,
                    body: None,
                });
            }
            let open = match OpenObject::open(&fs.layout, &meta.segments) {
                Ok(o) => o,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(internal(e)),
            };
            // A small object is read whole and cached with its bytes.
            let whole = (meta.size <= MAX_CACHED_BODY)
                .then(|| open.read_all(0, meta.size))
                .transpose()
                .map_err(internal)?;
            let entry =
                fs.index
                    .cache()
                    .fill(&rr.bucket, &rr.key, ticket, Cached::new(meta, whole));
            let (start, end, content_range) = plan(&rr, &entry.meta)?;
            let body = match &entry.body {
                Some(b) => Body::Inline(slice(b, start, end)),
                None if end - start <= INLINE_MAX => {
                    Body::Inline(open.read_all(start, end).map_err(internal)?)
                }
                None => Body::Stream(open),
            };
            return Ok(Found {
                entry,
                start,
                end,
                content_range,
                body: Some(body),
            });
        }
        Err(internal("object kept changing while being opened"))
    })
    .await
}

/// Bytes `[start, end)` of a whole object held in memory (`select` keeps them within it).
fn slice(b: &Bytes, start: u64, end: u64) -> Bytes {
    let len = b.len() as u64;
    let (start, end) = (start.min(len), end.min(len));
    b.slice(start as usize..end as usize)
}

fn checksums_if(enabled: bool, c: &Checksums) -> Checksums {
    if enabled {
        c.clone()
    } else {
        Checksums::default()
    }
}

fn wants_checksums(mode: Option<&ChecksumMode>, partial: bool) -> bool {
    !partial && mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case(ChecksumMode::ENABLED))
}

pub(crate) async fn get_object(
    fs: &Backend,
    req: S3Request<GetObjectInput>,
) -> S3Result<S3Response<GetObjectOutput>> {
    let i = req.input;
    only_null_version(i.version_id.as_deref())?;
    let rr = ReadRequest {
        bucket: i.bucket,
        key: i.key,
        if_match: i.if_match,
        if_none_match: i.if_none_match,
        if_modified_since: i.if_modified_since,
        if_unmodified_since: i.if_unmodified_since,
        range: i.range,
        part_number: i.part_number,
    };
    let part_requested = rr.part_number.is_some();
    let f = lookup(fs, rr, true).await?;
    let body = match f.body {
        Some(Body::Inline(b)) => StreamingBlob::from(s3s::Body::from(b)),
        Some(Body::Stream(open)) => open.stream(f.start, f.end),
        None => return Err(internal("object body missing")),
    };
    let m = &f.entry.meta;
    let c = checksums_if(
        wants_checksums(i.checksum_mode.as_ref(), f.content_range.is_some()),
        &m.checksums,
    );
    let h = m.headers.clone();
    Ok(S3Response::new(GetObjectOutput {
        body: Some(body),
        accept_ranges: Some("bytes".to_owned()),
        content_length: Some(i64::try_from(f.end - f.start).unwrap_or(i64::MAX)),
        content_range: f.content_range,
        content_type: Some(
            h.content_type
                .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned()),
        ),
        content_encoding: h.content_encoding,
        content_disposition: h.content_disposition,
        content_language: h.content_language,
        cache_control: h.cache_control,
        expires: h.expires.map(secs_to_timestamp),
        e_tag: Some(super::meta::etag_dto(&m.etag)),
        last_modified: Some(ms_to_timestamp(m.mtime_ms)),
        metadata: to_dto_metadata(&m.user),
        parts_count: if part_requested {
            m.parts.and_then(|p| i32::try_from(p).ok())
        } else {
            None
        },
        checksum_crc32: c.crc32,
        checksum_crc32c: c.crc32c,
        checksum_crc64nvme: c.crc64nvme,
        checksum_sha1: c.sha1,
        checksum_sha256: c.sha256,
        ..Default::default()
    }))
}

pub(crate) async fn head_object(
    fs: &Backend,
    req: S3Request<HeadObjectInput>,
) -> S3Result<S3Response<HeadObjectOutput>> {
    let i = req.input;
    only_null_version(i.version_id.as_deref())?;
    let rr = ReadRequest {
        bucket: i.bucket,
        key: i.key,
        if_match: i.if_match,
        if_none_match: i.if_none_match,
        if_modified_since: i.if_modified_since,
        if_unmodified_since: i.if_unmodified_since,
        range: i.range,
        part_number: i.part_number,
    };
    let part_requested = rr.part_number.is_some();
    let f = lookup(fs, rr, false).await?;
    let m = &f.entry.meta;
    let c = checksums_if(
        wants_checksums(i.checksum_mode.as_ref(), f.content_range.is_some()),
        &m.checksums,
    );
    let h = m.headers.clone();
    Ok(S3Response::new(HeadObjectOutput {
        accept_ranges: Some("bytes".to_owned()),
        content_length: Some(i64::try_from(f.end - f.start).unwrap_or(i64::MAX)),
        content_range: f.content_range,
        content_type: Some(
            h.content_type
                .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned()),
        ),
        content_encoding: h.content_encoding,
        content_disposition: h.content_disposition,
        content_language: h.content_language,
        cache_control: h.cache_control,
        expires: h.expires.map(secs_to_timestamp),
        e_tag: Some(super::meta::etag_dto(&m.etag)),
        last_modified: Some(ms_to_timestamp(m.mtime_ms)),
        metadata: to_dto_metadata(&m.user),
        parts_count: if part_requested {
            m.parts.and_then(|p| i32::try_from(p).ok())
        } else {
            None
        },
        checksum_crc32: c.crc32,
        checksum_crc32c: c.crc32c,
        checksum_crc64nvme: c.crc64nvme,
        checksum_sha1: c.sha1,
        checksum_sha256: c.sha256,
        ..Default::default()
    }))
}
