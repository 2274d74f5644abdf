//! The region in a SigV4 credential scope, and the rule it must follow.
//!
//! s3s verifies the signature with whatever region the client put in its scope. MinIO enforces
//! the server's region only when one is configured (`MINIO_SITE_REGION`/`MINIO_REGION`), treats
//! `US` as `us-east-1`, and clients such as minio-py and s3-tests sign some requests with an empty
//! region, which is always accepted here.

use http::{HeaderMap, Uri};
use s3s::{S3Error, S3ErrorCode, S3Result};

const DEFAULT_REGION: &str = "us-east-1";
/// Longest credential scope we parse.
const MAX_CREDENTIAL_LEN: usize = 1024;

/// The region of a SigV4 request's credential scope (header or presigned query); `None` for
/// SigV2, POST forms and anything unparseable (s3s has already refused those if they were bad).
#[must_use]
pub fn scope_region(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if let Some(auth) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let rest = auth.strip_prefix("AWS4-")?;
        let start = rest.find("Credential=")? + "Credential=".len();
        let credential = rest[start..].split(',').next()?.trim();
        return region_of(credential);
    }
    let query = uri.query()?;
    let value = query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.eq_ignore_ascii_case("X-Amz-Credential")
            .then_some(value)
    })?;
    if value.len() > MAX_CREDENTIAL_LEN * 3 {
        return None;
    }
    region_of(&value.replace("%2F", "/").replace("%2f", "/"))
}

/// `AK/DATE/REGION/SERVICE/aws4_request`, read from the end so an access key with `/` still parses.
fn region_of(credential: &str) -> Option<String> {
    if credential.len() > MAX_CREDENTIAL_LEN {
        return None;
    }
    let mut parts = credential.rsplitn(5, '/');
    let (_terminator, _service, region) = (parts.next()?, parts.next()?, parts.next()?);
    parts.next()?; // date
    parts.next()?; // access key
    Some(region.to_owned())
}

/// Accepts `scope` when no region is configured, when it is empty, or when it names the
/// configured region.
pub fn check_region(configured: Option<&str>, scope: &str) -> S3Result<()> {
    let Some(configured) = configured else {
        return Ok(());
    };
    let normalize = |r: &str| {
        if r == "US" {
            DEFAULT_REGION.to_owned()
        } else {
            r.to_owned()
        }
    };
    if scope.is_empty() || normalize(scope) == normalize(configured) {
        return Ok(());
    }
    Err(S3Error::with_message(
        S3ErrorCode::AuthorizationHeaderMalformed,
        format!(
            "The authorization header is malformed; the region '{scope}' is wrong; expecting '{configured}'"
        ),
    ))
}

/// A SigV4 `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`, UTC), parsed without allocating (every signed
/// request's date goes through here).
#[must_use]
pub fn parse_amz_date(s: &str) -> Option<time::OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r.clone()].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = time::Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let day = u8::try_from(num(6..8)?).ok()?;
    let hour = u8::try_from(num(9..11)?).ok()?;
    let minute = u8::try_from(num(11..13)?).ok()?;
    let second = u8::try_from(num(13..15)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let t = time::Time::from_hms(hour, minute, second).ok()?;
    Some(time::PrimitiveDateTime::new(date, t).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn region_from_header_and_query() {
        let root: Uri = "/".parse().unwrap();
        let h = header(
            "AWS4-HMAC-SHA256 Credential=AK/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=00",
        );
        assert_eq!(scope_region(&h, &root).as_deref(), Some("eu-west-1"));
        let h = header(
            "AWS4-HMAC-SHA256 Credential=AK/20260101//s3/aws4_request,SignedHeaders=host,Signature=00",
        );
        assert_eq!(scope_region(&h, &root).as_deref(), Some(""));
        let q: Uri = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00"
            .parse()
            .unwrap();
        assert_eq!(
            scope_region(&HeaderMap::new(), &q).as_deref(),
            Some("us-east-1")
        );
        // SigV2 and unsigned requests carry no scope.
        assert_eq!(scope_region(&header("AWS AK:c2ln"), &root), None);
        assert_eq!(scope_region(&HeaderMap::new(), &root), None);
        assert_eq!(
            scope_region(
                &header("AWS4-HMAC-SHA256 Credential=AK/x, Signature=00"),
                &root
            ),
            None
        );
    }

    #[test]
    fn only_a_configured_region_is_enforced() {
        assert!(check_region(None, "ap-south-1").is_ok());
        assert!(check_region(Some("eu-west-1"), "eu-west-1").is_ok());
        assert!(check_region(Some("eu-west-1"), "").is_ok());
        assert!(check_region(Some("us-east-1"), "US").is_ok());
        let e = check_region(Some("eu-west-1"), "us-east-1").unwrap_err();
        assert_eq!(e.code(), &S3ErrorCode::AuthorizationHeaderMalformed);
        assert!(e.message().unwrap().contains("expecting 'eu-west-1'"));
    }
}
