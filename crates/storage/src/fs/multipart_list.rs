//! ListParts and ListMultipartUploads.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::Backend;
use super::bucket::owner;
use super::error::{blocking, invalid_argument};
use super::list::{page_size, url_encode, wants_url};
use super::meta::{etag_dto, ms_to_timestamp};
use super::multipart::check_upload_id;
use super::names::{check_bucket, check_key};

pub(crate) async fn list_parts(
    fs: &Backend,
    req: S3Request<ListPartsInput>,
) -> S3Result<S3Response<ListPartsOutput>> {
    let i = req.input;
    check_bucket(&i.bucket)?;
    check_key(&i.key)?;
    check_upload_id(&i.upload_id)?;
    let max = page_size(i.max_parts)?;
    let marker = match i.part_number_marker {
        Some(n) if n < 0 => {
            return Err(invalid_argument("part-number-marker must not be negative."));
        }
        Some(n) => u32::try_from(n).unwrap_or(0),
        None => 0,
    };
    let fs2 = fs.clone();
    let (b, k, u) = (i.bucket.clone(), i.key.clone(), i.upload_id.clone());
    let all = blocking(move || {
        fs2.index.get_upload(&b, &k, &u)?;
        fs2.index.list_parts(&u)
    })
    .await?;
    let mut parts = Vec::new();
    let mut truncated = false;
    for (n, p) in all.range(marker.saturating_add(1)..) {
        if parts.len() == max {
            truncated = true;
            break;
        }
        let c = p.checksums.clone();
        parts.push(Part {
            part_number: Some(i32::try_from(*n).unwrap_or(i32::MAX)),
            e_tag: Some(etag_dto(&p.etag)),
            size: Some(i64::try_from(p.size).unwrap_or(i64::MAX)),
            last_modified: Some(ms_to_timestamp(p.mtime_ms)),
            checksum_crc32: c.crc32,
            checksum_crc32c: c.crc32c,
            checksum_crc64nvme: c.crc64nvme,
            checksum_sha1: c.sha1,
            checksum_sha256: c.sha256,
        });
    }
    let next = if truncated {
        parts.last().and_then(|p| p.part_number)
    } else {
        None
    };
    let o = owner();
    Ok(S3Response::new(ListPartsOutput {
        bucket: Some(i.bucket),
        key: Some(i.key),
        upload_id: Some(i.upload_id),
        part_number_marker: i.part_number_marker,
        next_part_number_marker: next,
        max_parts: Some(i32::try_from(max).unwrap_or(1000)),
        is_truncated: Some(truncated),
        parts: Some(parts),
        initiator: Some(Initiator {
            display_name: o.display_name.clone(),
            id: o.id.clone(),
        }),
        owner: Some(o),
        storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
        ..Default::default()
    }))
}

pub(crate) async fn list_multipart_uploads(
    fs: &Backend,
    req: S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let i = req.input;
    check_bucket(&i.bucket)?;
    let url = wants_url(i.encoding_type.as_ref())?;
    let max = page_size(i.max_uploads)?;
    let fs2 = fs.clone();
    let b = i.bucket.clone();
    let all = blocking(move || fs2.index.list_uploads(&b)).await?;
    let prefix = i.prefix.clone().unwrap_or_default();
    let delimiter = i.delimiter.clone().filter(|d| !d.is_empty());
    let key_marker = i.key_marker.clone();
    let id_marker = i.upload_id_marker.clone();

    let mut uploads = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut truncated = false;
    let mut next: Option<(String, Option<String>)> = None;
    for (key, id, meta) in all {
        if !key.starts_with(&prefix) {
            continue;
        }
        if let Some(km) = &key_marker {
            let after = key.as_str() > km.as_str()
                || (key == *km
                    && id_marker
                        .as_ref()
                        .is_some_and(|im| id.as_str() > im.as_str()));
            if !after {
                continue;
            }
        }
        let cp = delimiter.as_deref().and_then(|d| {
            key[prefix.len()..]
                .find(d)
                .map(|pos| key[..prefix.len() + pos + d.len()].to_owned())
        });
        if let Some(cp) = &cp
            && (prefixes.last() == Some(cp)
                || key_marker
                    .as_ref()
                    .is_some_and(|km| cp.as_str() <= km.as_str()))
        {
            continue;
        }
        if uploads.len() + prefixes.len() == max {
            truncated = true;
            break;
        }
        match cp {
            Some(cp) => {
                next = Some((cp.clone(), None));
                prefixes.push(cp);
            }
            None => {
                next = Some((key.clone(), Some(id.clone())));
                let o = owner();
                uploads.push(MultipartUpload {
                    key: Some(if url { url_encode(&key) } else { key }),
                    upload_id: Some(id),
                    initiated: Some(ms_to_timestamp(meta.initiated_ms)),
                    initiator: Some(Initiator {
                        display_name: o.display_name.clone(),
                        id: o.id.clone(),
                    }),
                    owner: Some(o),
                    storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                    ..Default::default()
                });
            }
        }
    }
    let (next_key, next_id) = match (truncated, next) {
        (true, Some((k, id))) => (Some(if url { url_encode(&k) } else { k }), id),
        _ => (None, None),
    };
    let e = |s: Option<String>| if url { s.map(|s| url_encode(&s)) } else { s };
    Ok(S3Response::new(ListMultipartUploadsOutput {
        bucket: Some(i.bucket),
        prefix: e(i.prefix),
        delimiter: e(i.delimiter),
        key_marker: e(i.key_marker),
        upload_id_marker: i.upload_id_marker,
        next_key_marker: next_key,
        next_upload_id_marker: next_id,
        max_uploads: Some(i32::try_from(max).unwrap_or(1000)),
        is_truncated: Some(truncated),
        uploads: Some(uploads),
        common_prefixes: Some(
            prefixes
                .into_iter()
                .map(|p| CommonPrefix {
                    prefix: Some(if url { url_encode(&p) } else { p }),
                })
                .collect(),
        ),
        encoding_type: i.encoding_type,
        ..Default::default()
    }))
}
