//! A small AWS Signature V4 signer for raw test requests (header auth and presigned URLs).
//! Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

pub struct Signer {
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// Percent-encodes everything but the unreserved characters.
pub fn uri_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn amz_date(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .unwrap()
}

fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut enc: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    enc.sort();
    enc.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

impl Signer {
    pub fn new(access_key: &str, secret_key: &str, region: &str) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            region: region.into(),
        }
    }

    fn scope(&self, date: &str) -> String {
        format!("{date}/{}/s3/aws4_request", self.region)
    }

    fn signature(&self, t: OffsetDateTime, canonical_request: &str) -> String {
        let stamp = amz_date(t);
        let date = &stamp[..8];
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{stamp}\n{}\n{}",
            self.scope(date),
            sha256_hex(canonical_request.as_bytes())
        );
        let k = hmac(format!("AWS4{}", self.secret_key).as_bytes(), date);
        let k = hmac(&k, &self.region);
        let k = hmac(&k, "s3");
        let k = hmac(&k, "aws4_request");
        hex::encode(hmac(&k, &string_to_sign))
    }

    /// Headers (name, value) to add for header auth, `Authorization` last. `extra` headers are
    /// signed too (lower-case names).
    #[allow(clippy::too_many_arguments)] // mirrors the parts of a canonical request
    pub fn sign(
        &self,
        method: &str,
        host: &str,
        path: &str,
        query: &[(String, String)],
        payload_hash: &str,
        t: OffsetDateTime,
        extra: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let stamp = amz_date(t);
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), host.into()),
            ("x-amz-content-sha256".into(), payload_hash.into()),
            ("x-amz-date".into(), stamp.clone()),
        ];
        headers.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        headers.sort();
        let canonical_headers: String = headers
            .iter()
            .map(|(k, v)| format!("{k}:{}\n", v.trim()))
            .collect();
        let signed_headers = headers
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(";");
        let canonical_request = format!(
            "{method}\n{path}\n{}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
            canonical_query(query)
        );
        let signature = self.signature(t, &canonical_request);
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={signed_headers}, Signature={signature}",
            self.access_key,
            self.scope(&stamp[..8])
        );
        headers.retain(|(k, _)| k != "host");
        headers.push(("authorization".into(), authorization));
        headers
    }

    /// The query string of a presigned URL for `method host path`.
    pub fn presign(
        &self,
        method: &str,
        host: &str,
        path: &str,
        expires_secs: u64,
        t: OffsetDateTime,
    ) -> String {
        let stamp = amz_date(t);
        let query: Vec<(String, String)> = vec![
            ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
            (
                "X-Amz-Credential".into(),
                format!("{}/{}", self.access_key, self.scope(&stamp[..8])),
            ),
            ("X-Amz-Date".into(), stamp.clone()),
            ("X-Amz-Expires".into(), expires_secs.to_string()),
            ("X-Amz-SignedHeaders".into(), "host".into()),
        ];
        let cq = canonical_query(&query);
        let canonical_request =
            format!("{method}\n{path}\n{cq}\nhost:{host}\n\nhost\n{UNSIGNED_PAYLOAD}");
        let signature = self.signature(t, &canonical_request);
        format!("{cq}&X-Amz-Signature={signature}")
    }
}

#[test]
fn aws_documented_signing_key_example() {
    // The GET example from the AWS SigV4 documentation ("examplebucket", "test.txt").
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
    let s = Signer::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "us-east-1",
    );
    let t = time::macros::datetime!(2013-05-24 00:00:00 UTC);
    let h = s.sign(
        "GET",
        "examplebucket.s3.amazonaws.com",
        "/test.txt",
        &[],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        t,
        &[("range", "bytes=0-9")],
    );
    let auth = &h.last().unwrap().1;
    assert!(
        auth.ends_with(
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        ),
        "{auth}"
    );
}
