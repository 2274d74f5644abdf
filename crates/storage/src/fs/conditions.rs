//! Conditional requests with S3's semantics (RFC 9110 plus S3's tie-breaks):
//! - `If-Match` fails -> 412; when it is present, `If-Unmodified-Since` is not evaluated.
//! - `If-Unmodified-Since` fails -> 412.
//! - `If-None-Match` matches -> 304 on GET/HEAD; when present, `If-Modified-Since` is ignored.
//! - `If-Modified-Since` not modified -> 304.
//!
//! For copy sources (`x-amz-copy-source-if-*`) every failure is 412.
//! Dates compare at one-second precision, as HTTP dates carry.

use http::{HeaderMap, HeaderValue};
use s3s::dto::{ETagCondition, Timestamp, TimestampFormat};
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::error::err;
use super::meta::{ObjectMeta, ms_to_timestamp, timestamp_secs};

pub(crate) struct Conditions<'a> {
    pub if_match: Option<&'a ETagCondition>,
    pub if_none_match: Option<&'a ETagCondition>,
    pub if_modified_since: Option<&'a Timestamp>,
    pub if_unmodified_since: Option<&'a Timestamp>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Proceed,
    NotModified,
    PreconditionFailed,
}

fn matches(cond: &ETagCondition, etag: &str) -> bool {
    match cond {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => e.value() == etag,
    }
}

impl Conditions<'_> {
    pub fn evaluate(&self, etag: &str, mtime_ms: i64) -> Outcome {
        let mtime = mtime_ms.div_euclid(1000);
        if let Some(c) = self.if_match {
            if !matches(c, etag) {
                return Outcome::PreconditionFailed;
            }
        } else if let Some(t) = self.if_unmodified_since
            && mtime > timestamp_secs(t)
        {
            return Outcome::PreconditionFailed;
        }
        if let Some(c) = self.if_none_match {
            if matches(c, etag) {
                return Outcome::NotModified;
            }
        } else if let Some(t) = self.if_modified_since
            && mtime <= timestamp_secs(t)
        {
            return Outcome::NotModified;
        }
        Outcome::Proceed
    }

    /// For GET/HEAD: 304 (with ETag and Last-Modified) or 412.
    pub fn check_read(&self, meta: &ObjectMeta) -> S3Result<()> {
        match self.evaluate(&meta.etag, meta.mtime_ms) {
            Outcome::Proceed => Ok(()),
            Outcome::PreconditionFailed => Err(precondition_failed()),
            Outcome::NotModified => {
                let mut e = S3Error::new(S3ErrorCode::NotModified);
                let mut h = HeaderMap::new();
                if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", meta.etag)) {
                    h.insert(http::header::ETAG, v);
                }
                let mut date = Vec::new();
                if ms_to_timestamp(meta.mtime_ms)
                    .format(TimestampFormat::HttpDate, &mut date)
                    .is_ok()
                    && let Ok(v) = HeaderValue::from_bytes(&date)
                {
                    h.insert(http::header::LAST_MODIFIED, v);
                }
                e.set_headers(h);
                Err(e)
            }
        }
    }

    /// For copy sources: any failure is 412.
    pub fn check_copy_source(&self, meta: &ObjectMeta) -> S3Result<()> {
        match self.evaluate(&meta.etag, meta.mtime_ms) {
            Outcome::Proceed => Ok(()),
            _ => Err(precondition_failed()),
        }
    }
}

pub(crate) fn precondition_failed() -> S3Error {
    err(
        S3ErrorCode::PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold",
    )
}

/// Write conditions (`If-Match` / `If-None-Match` on PUT and CompleteMultipartUpload), checked
/// inside the index transaction against the object being replaced.
pub(crate) fn check_write(
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    current: Option<&ObjectMeta>,
) -> S3Result<()> {
    if let Some(c) = if_match {
        match current {
            None => {
                return Err(err(
                    S3ErrorCode::NoSuchKey,
                    "The specified key does not exist.",
                ));
            }
            Some(m) if !matches(c, &m.etag) => return Err(precondition_failed()),
            Some(_) => {}
        }
    }
    if let Some(c) = if_none_match
        && let Some(m) = current
        && matches(c, &m.etag)
    {
        return Err(precondition_failed());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::dto::ETag;

    fn ts(secs: i64) -> Timestamp {
        super::super::meta::secs_to_timestamp(secs)
    }

    #[test]
    fn s3_tie_breaks() {
        let etag = "abc";
        let mtime_ms = 1_000_500; // 1000.5 s
        let yes = ETagCondition::ETag(ETag::Strong("abc".into()));
        let no = ETagCondition::ETag(ETag::Strong("zzz".into()));
        let before = ts(900);
        let same = ts(1000);
        let after = ts(1100);
        let c = |im, inm, ims, ius| Conditions {
            if_match: im,
            if_none_match: inm,
            if_modified_since: ims,
            if_unmodified_since: ius,
        };
        // If-Match true + If-Unmodified-Since false -> 200.
        assert_eq!(
            c(Some(&yes), None, None, Some(&before)).evaluate(etag, mtime_ms),
            Outcome::Proceed
        );
        assert_eq!(
            c(None, None, None, Some(&before)).evaluate(etag, mtime_ms),
            Outcome::PreconditionFailed
        );
        assert_eq!(
            c(Some(&no), None, None, None).evaluate(etag, mtime_ms),
            Outcome::PreconditionFailed
        );
        // If-None-Match present and true (ETag differs): If-Modified-Since is not evaluated.
        assert_eq!(
            c(None, Some(&no), Some(&after), None).evaluate(etag, mtime_ms),
            Outcome::Proceed
        );
        assert_eq!(
            c(None, Some(&yes), None, None).evaluate(etag, mtime_ms),
            Outcome::NotModified
        );
        assert_eq!(
            c(None, Some(&ETagCondition::Any), None, None).evaluate(etag, mtime_ms),
            Outcome::NotModified
        );
        assert_eq!(
            c(None, None, Some(&same), None).evaluate(etag, mtime_ms),
            Outcome::NotModified
        );
        assert_eq!(
            c(None, None, Some(&before), None).evaluate(etag, mtime_ms),
            Outcome::Proceed
        );
        assert_eq!(
            c(None, None, None, Some(&same)).evaluate(etag, mtime_ms),
            Outcome::Proceed
        );
        // 412 wins over 304.
        assert_eq!(
            c(Some(&no), Some(&yes), None, None).evaluate(etag, mtime_ms),
            Outcome::PreconditionFailed
        );
    }
}
