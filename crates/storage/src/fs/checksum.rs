//! Integrity checks on uploads: `Content-MD5` and the additional checksums (`x-amz-checksum-*`)
//! that clients send as headers or, with newer SDKs, as trailers after a streamed body.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use s3s::checksum::ChecksumHasher;
use s3s::crypto::{Checksum as _, Crc32, Crc32c, Crc64Nvme, Sha1, Sha256};
use s3s::dto::ChecksumAlgorithm;
use s3s::{S3Error, S3ErrorCode, S3Result, TrailingHeaders};

use super::error::err;
use super::meta::Checksums;

/// Which checksums to compute while writing, and the values the client gave up front.
#[derive(Debug, Default)]
pub(crate) struct ChecksumPlan {
    crc32: bool,
    crc32c: bool,
    crc64nvme: bool,
    sha1: bool,
    sha256: bool,
    given: Checksums,
}

const NAMES: [&str; 5] = [
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
];

impl ChecksumPlan {
    /// From the operation's checksum fields, its `x-amz-sdk-checksum-algorithm` and the names
    /// announced in `x-amz-trailer`.
    pub fn new(
        algorithm: Option<&ChecksumAlgorithm>,
        given: Checksums,
        headers: &HeaderMap,
    ) -> Self {
        let mut p = Self {
            given,
            ..Self::default()
        };
        p.crc32 = p.given.crc32.is_some();
        p.crc32c = p.given.crc32c.is_some();
        p.crc64nvme = p.given.crc64nvme.is_some();
        p.sha1 = p.given.sha1.is_some();
        p.sha256 = p.given.sha256.is_some();
        if let Some(a) = algorithm {
            p.enable(&a.as_str().to_ascii_lowercase());
        }
        for v in headers.get_all("x-amz-trailer") {
            if let Ok(v) = v.to_str() {
                for name in v.split(',') {
                    let name = name.trim().to_ascii_lowercase();
                    if let Some(alg) = name.strip_prefix("x-amz-checksum-") {
                        p.enable(alg);
                    }
                }
            }
        }
        p
    }

    fn enable(&mut self, alg: &str) {
        match alg {
            "crc32" => self.crc32 = true,
            "crc32c" => self.crc32c = true,
            "crc64nvme" => self.crc64nvme = true,
            "sha1" => self.sha1 = true,
            "sha256" => self.sha256 = true,
            _ => {}
        }
    }

    pub fn hasher(&self) -> ChecksumHasher {
        ChecksumHasher {
            crc32: self.crc32.then(Crc32::new),
            crc32c: self.crc32c.then(Crc32c::new),
            crc64nvme: self.crc64nvme.then(Crc64Nvme::new),
            sha1: self.sha1.then(Sha1::new),
            sha256: self.sha256.then(Sha256::new),
        }
    }

    /// Compares what was computed with what the client sent (header or trailer): `BadDigest` on
    /// a mismatch. Returns the checksums to keep with the object.
    pub fn verify(
        &self,
        computed: &Checksums,
        trailers: Option<&TrailingHeaders>,
    ) -> S3Result<Checksums> {
        let trailer = |name: &str| -> Option<String> {
            trailers
                .and_then(|t| {
                    t.read(|h| {
                        h.get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(|s| s.trim().to_owned())
                    })
                })
                .flatten()
        };
        let pairs = [
            (&self.given.crc32, &computed.crc32, NAMES[0]),
            (&self.given.crc32c, &computed.crc32c, NAMES[1]),
            (&self.given.crc64nvme, &computed.crc64nvme, NAMES[2]),
            (&self.given.sha1, &computed.sha1, NAMES[3]),
            (&self.given.sha256, &computed.sha256, NAMES[4]),
        ];
        for (given, computed, name) in pairs {
            let expected = given.clone().or_else(|| trailer(name));
            if let (Some(expected), Some(computed)) = (expected, computed)
                && expected != *computed
            {
                return Err(checksum_mismatch());
            }
        }
        Ok(computed.clone())
    }
}

fn checksum_mismatch() -> S3Error {
    err(
        S3ErrorCode::BadDigest,
        "The checksum you specified did not match the calculated checksum.",
    )
}

/// Checks a `Content-MD5` header (base64 of the 16-byte digest) against the computed MD5.
pub(crate) fn verify_content_md5(header: Option<&str>, md5: &[u8; 16]) -> S3Result<()> {
    let Some(h) = header else { return Ok(()) };
    let h = h.trim();
    if h.len() > 64 {
        return Err(invalid_digest());
    }
    let decoded = STANDARD.decode(h).map_err(|_| invalid_digest())?;
    if decoded.len() != 16 {
        return Err(invalid_digest());
    }
    if decoded.as_slice() != md5 {
        return Err(err(
            S3ErrorCode::BadDigest,
            "The Content-MD5 you specified did not match what we received.",
        ));
    }
    Ok(())
}

fn invalid_digest() -> S3Error {
    err(
        S3ErrorCode::InvalidDigest,
        "The Content-MD5 you specified is not valid.",
    )
}

/// Collects the checksum fields of an input into [`Checksums`].
pub(crate) fn given(
    crc32: Option<String>,
    crc32c: Option<String>,
    crc64nvme: Option<String>,
    sha1: Option<String>,
    sha256: Option<String>,
) -> Checksums {
    Checksums {
        crc32,
        crc32c,
        crc64nvme,
        sha1,
        sha256,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};

    #[test]
    fn content_md5_is_checked() {
        let md5: [u8; 16] = Md5::digest(b"hello").into();
        let good = STANDARD.encode(md5);
        assert!(verify_content_md5(Some(&good), &md5).is_ok());
        let other = STANDARD.encode(Md5::digest(b"world"));
        assert_eq!(
            verify_content_md5(Some(&other), &md5).unwrap_err().code(),
            &S3ErrorCode::BadDigest
        );
        assert_eq!(
            verify_content_md5(Some("not base64!"), &md5)
                .unwrap_err()
                .code(),
            &S3ErrorCode::InvalidDigest
        );
        assert!(verify_content_md5(None, &md5).is_ok());
    }

    #[test]
    fn trailer_names_enable_algorithms() {
        let mut h = HeaderMap::new();
        h.insert("x-amz-trailer", "x-amz-checksum-crc32".parse().unwrap());
        let plan = ChecksumPlan::new(None, Checksums::default(), &h);
        let mut hasher = plan.hasher();
        hasher.update(b"abc");
        assert!(hasher.finalize().checksum_crc32.is_some());
    }
}
