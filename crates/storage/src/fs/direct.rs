//! Direct reads: the response of a plain whole-object GetObject / HeadObject answered from the
//! object cache, for a server that wants to skip s3s's parsing, typed I/O and serialisation on
//! its hottest path. Anything this cannot answer exactly as the s3s path would is `None`, and the
//! caller asks the normal path.
//!
//! # What the head is
//! The headers s3s 0.14.1 writes (`GetObject::serialize_http` / `HeadObject::serialize_http`,
//! which agree for everything we set) for the output `object_get.rs` builds for a read of the
//! whole object, in s3s's order: `accept-ranges`, `cache-control`, then (only for a read with
//! checksum mode, see below) `x-amz-checksum-crc32`, `-crc32c`, `-crc64nvme`, `-sha1`,
//! `-sha256`, then `content-disposition`, `content-encoding`, `content-language`,
//! `content-length`, `content-type`, `etag`, `expires`, `last-modified`, then `x-amz-meta-*`.
//! The only difference: s3s writes the `x-amz-meta-*` headers in the order of a `HashMap`
//! (random per request), this in the order of their names.
//!
//! # Checksum mode
//! A whole-object read with `x-amz-checksum-mode: ENABLED` (any ASCII case, as `object_get.rs`
//! compares) also carries the checksums stored with the object (`checksums = true`); an object
//! stored without any has the same head either way. AWS SDKs send the header on every GET by
//! default, so both heads are common; each is rendered on first use only.
//!
//! # What declines (the caller falls back to s3s)
//! - an invalid bucket name or key, a cache miss, or a GET of an entry cached without its bytes
//!   (larger than the cached-body limit, or cached by a HEAD);
//! - a user metadata value with a byte outside printable ASCII (0x20..=0x7E, so also a tab):
//!   s3s sends those RFC 2047 encoded;
//! - any value `http::HeaderValue` refuses, or a metadata name `HeaderName` refuses (s3s answers
//!   500 there), and a date that does not format as a short HTTP date.
//!
//! The head is rendered once per cache entry and variant and kept in it ([`Cached::head`],
//! [`Cached::head_checksums`]): a hit costs a `HeaderMap` clone and a `Bytes` clone.

use bytes::Bytes;
use http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_ENCODING, CONTENT_LANGUAGE,
    CONTENT_LENGTH, CONTENT_TYPE, ETAG, EXPIRES, LAST_MODIFIED,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use s3s::dto::{Timestamp, TimestampFormat};

use super::FsBackend;
use super::cache::Cached;
use super::meta::{Checksums, ObjectMeta, ms_to_timestamp, secs_to_timestamp};
use super::names::{check_key, is_valid_bucket_name};
use super::object_get::DEFAULT_CONTENT_TYPE;

/// An object answered from memory: the response head that GetObject / HeadObject send for a
/// read of the whole object, and for GET its bytes.
#[derive(Debug, Clone)]
pub struct DirectRead {
    /// Exactly the headers s3s would write for this answer (status 200), but for the order of
    /// the `x-amz-meta-*` headers among themselves (see the module docs).
    pub headers: HeaderMap,
    /// `Some(whole object)` when asked for the body, `None` for HEAD.
    pub body: Option<Bytes>,
}

/// Reads answered without blocking, disk or s3s: `None` means "ask the normal path".
pub trait DirectReads: Send + Sync + 'static {
    /// The answer to a GET (`want_body`) or HEAD of the whole of (bucket, key) with no range,
    /// conditions, part number or response overrides, if it can be given from memory exactly as
    /// the normal path would give it. `checksums`: the request has `x-amz-checksum-mode` set to
    /// `ENABLED` in any ASCII case (the caller sends any other value to the normal path).
    fn direct_read(
        &self,
        bucket: &str,
        key: &str,
        want_body: bool,
        checksums: bool,
    ) -> Option<DirectRead>;
}

impl DirectReads for FsBackend {
    fn direct_read(
        &self,
        bucket: &str,
        key: &str,
        want_body: bool,
        checksums: bool,
    ) -> Option<DirectRead> {
        // The same checks as `object_get::lookup`: an invalid name is the normal path's error.
        if !is_valid_bucket_name(bucket) || check_key(key).is_err() {
            return None;
        }
        let entry = self.inner.index.cache().get(bucket, key)?;
        let body = if want_body {
            Some(entry.body.clone()?)
        } else {
            None
        };
        // Without stored checksums both variants are the same head: only one is kept.
        let with_checksums = checksums && !entry.meta.checksums.is_empty();
        let headers = head(&entry, with_checksums)?.clone();
        Some(DirectRead { headers, body })
    }
}

/// The memoised head of `entry` (with its stored checksums or not), rendered on first use.
fn head(entry: &Cached, checksums: bool) -> Option<&HeaderMap> {
    let cell = if checksums {
        &entry.head_checksums
    } else {
        &entry.head
    };
    if let Some(h) = cell.get() {
        return h.as_ref();
    }
    // Rendered outside the cell, so a concurrent first reader never waits on the formatting;
    // both render the same map from the same immutable meta and one of them is kept.
    let _ = cell.set(render(&entry.meta, checksums));
    cell.get().and_then(Option::as_ref)
}

/// The checksum headers in the order s3s writes them.
const CHECKSUM_HEADERS: [&str; 5] = [
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
];

/// The head s3s writes for a whole-object read of `m` (see the module docs), with the stored
/// checksums when `checksums`, or `None` where exact equality is not certain.
pub(super) fn render(m: &ObjectMeta, checksums: bool) -> Option<HeaderMap> {
    let h = &m.headers;
    let mut out = HeaderMap::with_capacity(15 + m.user.len());
    out.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    put_opt(&mut out, CACHE_CONTROL, h.cache_control.as_deref())?;
    if checksums {
        put_checksums(&mut out, &m.checksums)?;
    }
    put_opt(
        &mut out,
        CONTENT_DISPOSITION,
        h.content_disposition.as_deref(),
    )?;
    put_opt(&mut out, CONTENT_ENCODING, h.content_encoding.as_deref())?;
    put_opt(&mut out, CONTENT_LANGUAGE, h.content_language.as_deref())?;
    let len = i64::try_from(m.size).unwrap_or(i64::MAX);
    out.insert(CONTENT_LENGTH, HeaderValue::from(len));
    let content_type = h.content_type.as_deref().unwrap_or(DEFAULT_CONTENT_TYPE);
    out.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).ok()?);
    let mut etag = Vec::with_capacity(m.etag.len() + 2);
    etag.push(b'"');
    etag.extend_from_slice(m.etag.as_bytes());
    etag.push(b'"');
    out.insert(ETAG, HeaderValue::from_bytes(&etag).ok()?);
    if let Some(secs) = h.expires {
        out.insert(EXPIRES, http_date(&secs_to_timestamp(secs))?);
    }
    out.insert(LAST_MODIFIED, http_date(&ms_to_timestamp(m.mtime_ms))?);
    for (name, value) in &m.user {
        if !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return None;
        }
        let mut full = Vec::with_capacity(11 + name.len());
        full.extend_from_slice(b"x-amz-meta-");
        full.extend_from_slice(name.as_bytes());
        let name = HeaderName::from_bytes(&full).ok()?;
        out.insert(name, HeaderValue::from_str(value).ok()?);
    }
    Some(out)
}

/// Inserts the stored checksums, in s3s's order; `None` if `HeaderValue` refuses one.
fn put_checksums(out: &mut HeaderMap, c: &Checksums) -> Option<()> {
    let values = [&c.crc32, &c.crc32c, &c.crc64nvme, &c.sha1, &c.sha256];
    for (name, value) in CHECKSUM_HEADERS.into_iter().zip(values) {
        put_opt(out, HeaderName::from_static(name), value.as_deref())?;
    }
    Some(())
}

/// Inserts `value` under `name` if there is one; `None` if `HeaderValue` refuses it.
fn put_opt(out: &mut HeaderMap, name: HeaderName, value: Option<&str>) -> Option<()> {
    if let Some(v) = value {
        out.insert(name, HeaderValue::from_str(v).ok()?);
    }
    Some(())
}

/// `t` as s3s writes an HTTP date (its own formatter; it keeps at most 32 bytes).
fn http_date(t: &Timestamp) -> Option<HeaderValue> {
    let mut buf = Vec::with_capacity(32);
    t.format(TimestampFormat::HttpDate, &mut buf).ok()?;
    if buf.len() > 32 {
        return None;
    }
    HeaderValue::from_bytes(&buf).ok()
}
