//! Multipart upload: CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
//! AbortMultipartUpload. (UploadPartCopy is in `copy.rs`, the listings in `multipart_list.rs`.)
//!
//! Each part is an immutable data file with a row in the index. Completing an upload checks the
//! client's part list and, in one index transaction, makes the chosen part files the object's
//! segments: no bytes are copied.

use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{S3ErrorCode, S3Request, S3Response, S3Result};

use super::checksum::{ChecksumPlan, given, verify_content_md5};
use super::conditions::check_write;
use super::error::{blocking, err, internal, invalid_argument, no_such_upload};
use super::meta::{
    Checksums, ObjectMeta, PartMeta, Segment, UploadMeta, etag_dto, now_ms, user_metadata,
};
use super::names::{check_bucket, check_key};
use super::object_put::{body_or_empty, content_headers, content_length};
use super::writer::{Written, write_body};
use super::{Backend, MAX_PUT_SIZE};

/// Every part but the last must be at least this long (S3 rule).
pub(crate) const MIN_PART_SIZE: u64 = 5 << 20;
/// Highest part number (S3 rule).
pub(crate) const MAX_PART_NUMBER: u32 = 10_000;

pub(crate) fn check_part_number(n: i32) -> S3Result<u32> {
    u32::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| {
            invalid_argument("Part number must be an integer between 1 and 10000, inclusive.")
        })
}

pub(crate) fn check_upload_id(id: &str) -> S3Result<()> {
    if id.is_empty() || id.len() > 128 {
        return Err(no_such_upload());
    }
    Ok(())
}

fn new_upload_id() -> String {
    // Time first, so one key's uploads list in the order they were started.
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    format!(
        "{:016x}{}",
        u64::try_from(nanos).unwrap_or(0),
        uuid::Uuid::new_v4().simple()
    )
}

pub(crate) async fn create_multipart_upload(
    fs: &Backend,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let i = req.input;
    check_bucket(&i.bucket)?;
    check_key(&i.key)?;
    let meta = UploadMeta {
        initiated_ms: now_ms(),
        headers: content_headers(
            i.content_type,
            i.content_encoding,
            i.content_disposition,
            i.content_language,
            i.cache_control,
            i.expires.as_ref(),
        ),
        user: user_metadata(i.metadata),
        checksum_algorithm: i.checksum_algorithm.as_ref().map(|a| a.as_str().to_owned()),
    };
    let id = new_upload_id();
    let fs = fs.clone();
    let (b, k, u) = (i.bucket.clone(), i.key.clone(), id.clone());
    blocking(move || fs.index.create_upload(&b, &k, &u, &meta)).await?;
    Ok(S3Response::new(CreateMultipartUploadOutput {
        bucket: Some(i.bucket),
        key: Some(i.key),
        upload_id: Some(id),
        checksum_algorithm: i.checksum_algorithm,
        ..Default::default()
    }))
}

/// Persists `written` as part `number` of an upload (replacing an earlier upload of that part).
pub(crate) async fn commit_part(
    fs: &Backend,
    bucket: String,
    key: String,
    upload_id: String,
    number: u32,
    written: Written,
    checksums: Checksums,
) -> S3Result<PartMeta> {
    let fs = fs.clone();
    blocking(move || {
        let size = written.size;
        let md5 = written.md5;
        let id = written.tmp.persist(&fs.layout).map_err(internal)?;
        let part = PartMeta {
            size,
            etag: hex::encode(md5),
            mtime_ms: now_ms(),
            segment: Segment {
                id: id.clone(),
                size,
            },
            checksums,
        };
        match fs.index.put_part(&bucket, &key, &upload_id, number, &part) {
            Ok(old) => {
                fs.layout.remove_data_files(old.iter().map(String::as_str));
                Ok(part)
            }
            Err(e) => {
                fs.layout.remove_data_files([id.as_str()]);
                Err(e)
            }
        }
    })
    .await
}

pub(crate) async fn upload_part(
    fs: &Backend,
    req: S3Request<UploadPartInput>,
) -> S3Result<S3Response<UploadPartOutput>> {
    let S3Request {
        input: i,
        headers,
        trailing_headers,
        ..
    } = req;
    check_bucket(&i.bucket)?;
    check_key(&i.key)?;
    check_upload_id(&i.upload_id)?;
    let number = check_part_number(i.part_number)?;
    {
        let fs = fs.clone();
        let (b, k, u) = (i.bucket.clone(), i.key.clone(), i.upload_id.clone());
        blocking(move || fs.index.get_upload(&b, &k, &u)).await?;
    }
    let plan = ChecksumPlan::new(
        i.checksum_algorithm.as_ref(),
        given(
            i.checksum_crc32,
            i.checksum_crc32c,
            i.checksum_crc64nvme,
            i.checksum_sha1,
            i.checksum_sha256,
        ),
        &headers,
    );
    let expected_len = content_length(i.content_length)?;
    let written = write_body(
        &fs.layout,
        body_or_empty(i.body),
        plan.hasher(),
        expected_len,
        MAX_PUT_SIZE,
    )
    .await?;
    verify_content_md5(i.content_md5.as_deref(), &written.md5)?;
    let checksums = plan.verify(&written.checksums, trailing_headers.as_ref())?;
    let part = commit_part(fs, i.bucket, i.key, i.upload_id, number, written, checksums).await?;
    let c = part.checksums;
    Ok(S3Response::new(UploadPartOutput {
        e_tag: Some(etag_dto(&part.etag)),
        checksum_crc32: c.crc32,
        checksum_crc32c: c.crc32c,
        checksum_crc64nvme: c.crc64nvme,
        checksum_sha1: c.sha1,
        checksum_sha256: c.sha256,
        ..Default::default()
    }))
}

/// The multipart ETag: MD5 of the concatenated binary part MD5s, hex, then `-N`.
pub(crate) fn multipart_etag<'a>(
    part_md5_hex: impl IntoIterator<Item = &'a str>,
) -> S3Result<String> {
    let mut h = Md5::new();
    let mut n = 0usize;
    for hexed in part_md5_hex {
        let raw = hex::decode(hexed).map_err(internal)?;
        h.update(&raw);
        n += 1;
    }
    Ok(format!("{}-{n}", hex::encode(h.finalize())))
}

fn invalid_part() -> s3s::S3Error {
    err(
        S3ErrorCode::InvalidPart,
        "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
    )
}

/// Checks the client's part list against the uploaded parts and builds the object.
fn build_object(
    requested: &[(u32, String)],
    upload: &UploadMeta,
    parts: &std::collections::BTreeMap<u32, PartMeta>,
) -> S3Result<ObjectMeta> {
    if requested.is_empty() {
        return Err(err(
            S3ErrorCode::MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema.",
        ));
    }
    let mut chosen: Vec<&PartMeta> = Vec::with_capacity(requested.len());
    let mut prev = 0u32;
    for (n, etag) in requested {
        if *n <= prev {
            return Err(err(
                S3ErrorCode::InvalidPartOrder,
                "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
            ));
        }
        prev = *n;
        let part = parts.get(n).ok_or_else(invalid_part)?;
        if part.etag != *etag {
            return Err(invalid_part());
        }
        chosen.push(part);
    }
    if let Some((_, init)) = chosen.split_last()
        && init.iter().any(|p| p.size < MIN_PART_SIZE)
    {
        return Err(err(
            S3ErrorCode::EntityTooSmall,
            "Your proposed upload is smaller than the minimum allowed object size.",
        ));
    }
    let etag = multipart_etag(chosen.iter().map(|p| p.etag.as_str()))?;
    Ok(ObjectMeta {
        size: chosen.iter().map(|p| p.size).sum(),
        etag,
        mtime_ms: now_ms(),
        headers: upload.headers.clone(),
        user: upload.user.clone(),
        segments: chosen.iter().map(|p| p.segment.clone()).collect(),
        parts: Some(u32::try_from(chosen.len()).map_err(internal)?),
        checksums: Checksums::default(),
    })
}

pub(crate) async fn complete_multipart_upload(
    fs: &Backend,
    req: S3Request<CompleteMultipartUploadInput>,
) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
    let i = req.input;
    check_bucket(&i.bucket)?;
    check_key(&i.key)?;
    check_upload_id(&i.upload_id)?;
    let listed = i.multipart_upload.and_then(|m| m.parts).unwrap_or_default();
    if listed.len() > MAX_PART_NUMBER as usize {
        return Err(invalid_argument("Too many parts."));
    }
    let mut requested = Vec::with_capacity(listed.len());
    for p in listed {
        let n = check_part_number(p.part_number.ok_or_else(invalid_part)?)?;
        let etag = p.e_tag.ok_or_else(invalid_part)?.into_value();
        requested.push((n, etag.trim_matches('"').to_owned()));
    }
    let (if_match, if_none_match) = (i.if_match, i.if_none_match);
    let fs2 = fs.clone();
    let (b, k, u) = (i.bucket.clone(), i.key.clone(), i.upload_id);
    let obj = blocking(move || {
        let (obj, dead) = fs2.index.complete_upload(
            &b,
            &k,
            &u,
            |upload, parts| build_object(&requested, upload, parts),
            |cur| check_write(if_match.as_ref(), if_none_match.as_ref(), cur),
        )?;
        fs2.layout
            .remove_data_files(dead.iter().map(String::as_str));
        Ok(obj)
    })
    .await?;
    Ok(S3Response::new(CompleteMultipartUploadOutput {
        location: Some(format!("/{}/{}", i.bucket, i.key)),
        bucket: Some(i.bucket),
        key: Some(i.key),
        e_tag: Some(etag_dto(&obj.etag)),
        ..Default::default()
    }))
}

pub(crate) async fn abort_multipart_upload(
    fs: &Backend,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    let i = req.input;
    check_bucket(&i.bucket)?;
    check_key(&i.key)?;
    check_upload_id(&i.upload_id)?;
    let fs = fs.clone();
    blocking(move || {
        let dead = fs.index.abort_upload(&i.bucket, &i.key, &i.upload_id)?;
        fs.layout.remove_data_files(dead.iter().map(String::as_str));
        Ok(())
    })
    .await?;
    Ok(S3Response::new(AbortMultipartUploadOutput::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_etag_known_vector() {
        // Two parts "a" and "b": MD5(MD5("a") || MD5("b")) with "-2".
        let a: [u8; 16] = Md5::digest(b"a").into();
        let b: [u8; 16] = Md5::digest(b"b").into();
        let mut both = Vec::new();
        both.extend_from_slice(&a);
        both.extend_from_slice(&b);
        let expected = format!("{}-2", hex::encode(Md5::digest(&both)));
        assert_eq!(
            multipart_etag([hex::encode(a).as_str(), hex::encode(b).as_str()]).unwrap(),
            expected
        );
        // Fixed vector: md5("a") = 0cc175b9c0f1b6a831c399e269772661, md5("b") = 92eb5ffee6ae2fec3ad71c777531578f.
        assert_eq!(
            multipart_etag([
                "0cc175b9c0f1b6a831c399e269772661",
                "92eb5ffee6ae2fec3ad71c777531578f"
            ])
            .unwrap(),
            expected
        );
    }
}
