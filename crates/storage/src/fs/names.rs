//! Validation of bucket names and object keys.
//!
//! Names never become filesystem paths in this backend (see `layout.rs`), so these checks are
//! about S3 rules and about refusing names that look like path tricks, not about safety of the
//! filesystem itself.

use std::net::Ipv4Addr;

use s3s::{S3Error, S3ErrorCode, S3Result};

/// Longest object key, in bytes (S3 limit).
pub const MAX_KEY_LEN: usize = 1024;

/// S3 bucket naming rules: 3-63 characters of lowercase letters, digits, `.` and `-`; starts and
/// ends with a letter or digit; no `..`, no `.-` / `-.`; not an IPv4 address; not the reserved
/// prefixes `xn--`, `sthree-`, `amzn-s3-demo-` or suffixes `-s3alias`, `--ol-s3`, `.mrap`,
/// `--x-s3`. A name starting with `.` (such as `.strongbox`) can never pass.
pub fn is_valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    if !(3..=63).contains(&b.len()) {
        return false;
    }
    if !b
        .iter()
        .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
    {
        return false;
    }
    let edge_ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !edge_ok(b[0]) || !edge_ok(b[b.len() - 1]) {
        return false;
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return false;
    }
    if name.parse::<Ipv4Addr>().is_ok() {
        return false;
    }
    const BAD_PREFIX: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
    const BAD_SUFFIX: [&str; 4] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3"];
    if BAD_PREFIX.iter().any(|p| name.starts_with(p))
        || BAD_SUFFIX.iter().any(|s| name.ends_with(s))
    {
        return false;
    }
    true
}

/// Checks a bucket name given to an operation on an existing bucket. An invalid name can never
/// exist, so the answer is `NoSuchBucket`-like but we say why.
pub fn check_bucket(name: &str) -> S3Result<()> {
    if is_valid_bucket_name(name) {
        Ok(())
    } else {
        Err(S3Error::with_message(
            S3ErrorCode::InvalidBucketName,
            "The specified bucket is not valid.",
        ))
    }
}

/// Object keys: 1..=1024 bytes of UTF-8, no NUL or other C0 control except tab, no `.` or `..`
/// path segment and no leading `/` (the forms that could mean "escape the directory" to a
/// backend that maps keys onto paths; refused as MinIO does so clients see one behaviour).
pub fn check_key(key: &str) -> S3Result<()> {
    if key.is_empty() {
        return Err(invalid_key("Object key must not be empty."));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(S3Error::with_message(
            S3ErrorCode::KeyTooLongError,
            "Your key is too long.",
        ));
    }
    if key.bytes().any(|c| c < 0x20 && c != b'\t') {
        return Err(invalid_key("Object key contains a control character."));
    }
    if key.starts_with('/') || key.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(invalid_key(
            "Object key contains a path segment that is not allowed.",
        ));
    }
    Ok(())
}

fn invalid_key(msg: &'static str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in ["abc", "my-bucket", "my.bucket.1", "a1b", &"a".repeat(63)] {
            assert!(is_valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "ABC",
            "a_b",
            "-abc",
            "abc-",
            ".abc",
            ".strongbox",
            "a..b",
            "a.-b",
            "a-.b",
            "192.168.1.1",
            "xn--abc",
            "foo-s3alias",
            "a/b",
            "a\0b",
            "..",
            "",
        ] {
            assert!(!is_valid_bucket_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn keys_that_try_to_escape_are_refused() {
        for bad in [
            "..",
            "../x",
            "a/../b",
            "a/..",
            "./a",
            "a/./b",
            "/etc/passwd",
            "a\0b",
            "",
        ] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
        let long = "k".repeat(1025);
        assert_eq!(
            check_key(&long).unwrap_err().code(),
            &S3ErrorCode::KeyTooLongError
        );
    }

    #[test]
    fn ordinary_odd_keys_are_accepted() {
        for ok in [
            "a",
            "a/b",
            "a b",
            "ünï/cødé",
            "100%",
            "a..b",
            "a/.hidden",
            "...",
            "a/",
            "tab\tkey",
        ] {
            assert!(check_key(ok).is_ok(), "{ok:?}");
        }
    }
}
