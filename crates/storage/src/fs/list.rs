//! ListObjects (v1) and ListObjectsV2: an ordered range scan of the index with prefix,
//! delimiter (CommonPrefixes; a whole common prefix is skipped with one seek), max-keys (capped
//! at 1000), marker / continuation-token / start-after and encoding-type=url.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::Backend;
use super::bucket::owner;
use super::error::{blocking, internal, invalid_argument};
use super::index::{Step, dec};
use super::meta::{ObjectMeta, etag_dto, ms_to_timestamp};
use super::names::{MAX_KEY_LEN, check_bucket};

/// Default and largest page size.
pub(crate) const MAX_KEYS: usize = 1000;

/// Continuation tokens are the hex of the last key (or common prefix) returned.
pub(crate) fn encode_token(last: &str) -> String {
    hex::encode(last.as_bytes())
}

pub(crate) fn decode_token(t: &str) -> S3Result<String> {
    let bad = || invalid_argument("The continuation token provided is incorrect");
    if t.len() > 2 * MAX_KEY_LEN + 2 {
        return Err(bad());
    }
    let raw = hex::decode(t).map_err(|_| bad())?;
    String::from_utf8(raw).map_err(|_| bad())
}

/// S3's `encoding-type=url`: percent-encode every byte except unreserved characters and `/`.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn wants_url(e: Option<&EncodingType>) -> S3Result<bool> {
    match e {
        None => Ok(false),
        Some(e) if e.as_str().eq_ignore_ascii_case(EncodingType::URL) => Ok(true),
        Some(_) => Err(invalid_argument(
            "Invalid Encoding Method specified in Request",
        )),
    }
}

pub(crate) fn page_size(max: Option<i32>) -> S3Result<usize> {
    match max {
        None => Ok(MAX_KEYS),
        Some(n) if n < 0 => Err(invalid_argument("max-keys must not be negative.")),
        Some(n) => Ok(usize::try_from(n).unwrap_or(MAX_KEYS).min(MAX_KEYS)),
    }
}

fn bounded(v: Option<&String>, what: &'static str) -> S3Result<()> {
    if v.is_some_and(|s| s.len() > MAX_KEY_LEN) {
        return Err(invalid_argument(what));
    }
    Ok(())
}

#[derive(Default)]
pub(crate) struct Listing {
    pub objects: Vec<(String, ObjectMeta)>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    /// The last key or common prefix returned.
    pub last: Option<String>,
}

/// A byte string greater than every string that starts with `p` (UTF-8 never holds 0xFF).
fn past(p: &str) -> Vec<u8> {
    let mut v = p.as_bytes().to_vec();
    v.push(0xFF);
    v
}

/// One page of keys after `after` (exclusive) under `prefix`.
pub(crate) fn list_page(
    fs: &Backend,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) -> S3Result<Listing> {
    let mut out = Listing::default();
    let delimiter = delimiter.filter(|d| !d.is_empty());
    let start = match after {
        Some(a) if a > prefix => a.as_bytes().to_vec(),
        _ => prefix.as_bytes().to_vec(),
    };
    if max == 0 {
        // Still reports NoSuchBucket.
        fs.index.require_bucket(bucket)?;
        return Ok(out);
    }
    fs.index.scan_objects(bucket, start, |k, v| {
        if after.is_some_and(|a| k <= a.as_bytes()) {
            return Ok(Step::Next);
        }
        if !k.starts_with(prefix.as_bytes()) {
            return Ok(Step::Stop);
        }
        let key = std::str::from_utf8(k).map_err(internal)?;
        if let Some(d) = delimiter
            && let Some(pos) = key[prefix.len()..].find(d)
        {
            let cp = &key[..prefix.len() + pos + d.len()];
            if after.is_some_and(|a| cp <= a) {
                return Ok(Step::SeekTo(past(cp)));
            }
            if out.objects.len() + out.prefixes.len() == max {
                out.truncated = true;
                return Ok(Step::Stop);
            }
            out.prefixes.push(cp.to_owned());
            out.last = Some(cp.to_owned());
            return Ok(Step::SeekTo(past(cp)));
        }
        if out.objects.len() + out.prefixes.len() == max {
            out.truncated = true;
            return Ok(Step::Stop);
        }
        out.objects.push((key.to_owned(), dec(v)?));
        out.last = Some(key.to_owned());
        Ok(Step::Next)
    })?;
    Ok(out)
}

fn to_object(key: String, m: &ObjectMeta, url: bool, with_owner: bool) -> Object {
    Object {
        key: Some(if url { url_encode(&key) } else { key }),
        e_tag: Some(etag_dto(&m.etag)),
        last_modified: Some(ms_to_timestamp(m.mtime_ms)),
        size: Some(i64::try_from(m.size).unwrap_or(i64::MAX)),
        storage_class: Some(ObjectStorageClass::from_static(
            ObjectStorageClass::STANDARD,
        )),
        owner: with_owner.then(owner),
        ..Default::default()
    }
}

fn enc(url: bool, s: Option<String>) -> Option<String> {
    if url { s.map(|s| url_encode(&s)) } else { s }
}

fn prefixes(url: bool, ps: Vec<String>) -> Vec<CommonPrefix> {
    ps.into_iter()
        .map(|p| CommonPrefix {
            prefix: Some(if url { url_encode(&p) } else { p }),
        })
        .collect()
}

pub(crate) async fn list_objects_v2(
    fs: &Backend,
    req: S3Request<ListObjectsV2Input>,
) -> S3Result<S3Response<ListObjectsV2Output>> {
    let i = req.input;
    check_bucket(&i.bucket)?;
    let url = wants_url(i.encoding_type.as_ref())?;
    let max = page_size(i.max_keys)?;
    bounded(i.prefix.as_ref(), "Prefix is too long.")?;
    bounded(i.delimiter.as_ref(), "Delimiter is too long.")?;
    bounded(i.start_after.as_ref(), "StartAfter is too long.")?;
    let after = match &i.continuation_token {
        Some(t) => Some(decode_token(t)?),
        None => i.start_after.clone(),
    };
    let fs2 = fs.clone();
    let (bucket, prefix, delimiter) = (
        i.bucket.clone(),
        i.prefix.clone().unwrap_or_default(),
        i.delimiter.clone(),
    );
    let page = blocking(move || {
        list_page(
            &fs2,
            &bucket,
            &prefix,
            delimiter.as_deref(),
            after.as_deref(),
            max,
        )
    })
    .await?;
    let with_owner = i.fetch_owner.unwrap_or(false);
    let key_count = page.objects.len() + page.prefixes.len();
    let next = if page.truncated {
        page.last.as_deref().map(encode_token)
    } else {
        None
    };
    Ok(S3Response::new(ListObjectsV2Output {
        name: Some(i.bucket),
        prefix: Some(enc(url, i.prefix).unwrap_or_default()),
        delimiter: enc(url, i.delimiter),
        start_after: enc(url, i.start_after),
        max_keys: Some(i32::try_from(max).unwrap_or(1000)),
        key_count: Some(i32::try_from(key_count).unwrap_or(i32::MAX)),
        continuation_token: i.continuation_token,
        next_continuation_token: next,
        is_truncated: Some(page.truncated),
        contents: Some(
            page.objects
                .into_iter()
                .map(|(k, m)| to_object(k, &m, url, with_owner))
                .collect(),
        ),
        common_prefixes: Some(prefixes(url, page.prefixes)),
        encoding_type: i.encoding_type,
        ..Default::default()
    }))
}

pub(crate) async fn list_objects(
    fs: &Backend,
    req: S3Request<ListObjectsInput>,
) -> S3Result<S3Response<ListObjectsOutput>> {
    let i = req.input;
    check_bucket(&i.bucket)?;
    let url = wants_url(i.encoding_type.as_ref())?;
    let max = page_size(i.max_keys)?;
    bounded(i.prefix.as_ref(), "Prefix is too long.")?;
    bounded(i.delimiter.as_ref(), "Delimiter is too long.")?;
    bounded(i.marker.as_ref(), "Marker is too long.")?;
    let fs2 = fs.clone();
    let (bucket, prefix, delimiter, marker) = (
        i.bucket.clone(),
        i.prefix.clone().unwrap_or_default(),
        i.delimiter.clone(),
        i.marker.clone(),
    );
    let page = blocking(move || {
        list_page(
            &fs2,
            &bucket,
            &prefix,
            delimiter.as_deref(),
            marker.as_deref(),
            max,
        )
    })
    .await?;
    let has_delimiter = i.delimiter.as_deref().is_some_and(|d| !d.is_empty());
    let next_marker = if page.truncated && has_delimiter {
        enc(url, page.last)
    } else {
        None
    };
    Ok(S3Response::new(ListObjectsOutput {
        name: Some(i.bucket),
        prefix: Some(enc(url, i.prefix).unwrap_or_default()),
        delimiter: enc(url, i.delimiter),
        marker: Some(enc(url, i.marker).unwrap_or_default()),
        next_marker,
        max_keys: Some(i32::try_from(max).unwrap_or(1000)),
        is_truncated: Some(page.truncated),
        contents: Some(
            page.objects
                .into_iter()
                .map(|(k, m)| to_object(k, &m, url, true))
                .collect(),
        ),
        common_prefixes: Some(prefixes(url, page.prefixes)),
        encoding_type: i.encoding_type,
        ..Default::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_keeps_slash_and_unreserved() {
        assert_eq!(url_encode("a/b c+d%e~f_g.h-i"), "a/b%20c%2Bd%25e~f_g.h-i");
        assert_eq!(url_encode("ü"), "%C3%BC");
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let t = encode_token("dir/ké y");
        assert_eq!(decode_token(&t).unwrap(), "dir/ké y");
        assert!(decode_token("zz").is_err());
        assert!(decode_token(&"00".repeat(5000)).is_err());
    }
}
