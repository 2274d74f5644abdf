//! A small AWS Signature Version 4 signer for the `Authorization` header (client side).
//!
//! Written from the AWS documentation:
//! - the signing process: <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>
//! - S3 specifics and the worked examples used in the tests below:
//!   <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>
//!
//! The load generator signs one request up front and replays its headers: a SigV4 header
//! signature stays valid for 15 minutes, far longer than a benchmark run.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use time::OffsetDateTime;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// Hex SHA-256 of the empty payload.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Payload hash value meaning "the body is not signed".
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// An access key and its secret. The secret never shows in `Debug` output.
#[derive(Clone)]
pub struct Credentials {
    access_key: String,
    secret_key: Zeroizing<String>,
}

impl Credentials {
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: Zeroizing::new(secret_key.into()),
        }
    }

    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The secret, for handing to a child process's environment.
    pub fn expose_secret(&self) -> &str {
        &self.secret_key
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// What is signed: the request line, the headers to sign and the payload hash.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The raw (not yet percent-encoded) absolute path, for example `/bucket/my key`.
    pub path: &'a str,
    /// Raw (not yet percent-encoded) query parameters.
    pub query: &'a [(&'a str, &'a str)],
    /// Headers to sign; names in any case. Must contain `host` and `x-amz-date`.
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body, or [`UNSIGNED_PAYLOAD`].
    pub payload_hash: &'a str,
}

/// The credential scope: when, where and for which service.
pub struct Scope<'a> {
    pub time: OffsetDateTime,
    pub region: &'a str,
    pub service: &'a str,
}

/// `YYYYMMDDTHHMMSSZ`, the `x-amz-date` format.
pub fn amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Percent-encode as SigV4 requires: everything but `A-Za-z0-9-._~` (and `/` when `keep_slash`).
pub fn uri_encode(input: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len());
    for &b in input.as_bytes() {
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if unreserved || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query string as SigV4 canonicalises it (encoded, sorted); also what we send.
pub fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Lowercase names, values trimmed with inner runs of spaces collapsed, sorted by name,
/// repeated names joined with commas. Returns (canonical headers block, signed header list).
fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    let mut entries: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                value.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut merged: Vec<(String, String)> = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        match merged.last_mut() {
            Some((last, joined)) if *last == name => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => merged.push((name, value)),
        }
    }
    let block = merged
        .iter()
        .map(|(n, v)| format!("{n}:{v}\n"))
        .collect::<String>();
    let signed = merged
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    (block, signed)
}

/// The canonical request (step 1 of the signing process).
pub fn canonical_request(req: &Request<'_>) -> (String, String) {
    let (headers, signed) = canonical_headers(req.headers);
    let text = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        uri_encode(req.path, true),
        canonical_query(req.query),
        headers,
        signed,
        req.payload_hash
    );
    (text, signed)
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn date_stamp(scope: &Scope<'_>) -> String {
    amz_date(scope.time)[..8].to_owned()
}

/// The signing key: HMAC chain over date, region, service and `aws4_request`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Zeroizing<[u8; 32]> {
    let k_secret = Zeroizing::new(format!("AWS4{secret}"));
    let k_date = Zeroizing::new(hmac(k_secret.as_bytes(), date.as_bytes()));
    let k_region = Zeroizing::new(hmac(&*k_date, region.as_bytes()));
    let k_service = Zeroizing::new(hmac(&*k_region, service.as_bytes()));
    Zeroizing::new(hmac(&*k_service, b"aws4_request"))
}

/// The value of the `Authorization` header for `req`.
pub fn authorization(creds: &Credentials, scope: &Scope<'_>, req: &Request<'_>) -> String {
    let (canonical, signed_headers) = canonical_request(req);
    let date = date_stamp(scope);
    let credential_scope = format!("{date}/{}/{}/aws4_request", scope.region, scope.service);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{credential_scope}\n{}",
        amz_date(scope.time),
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let key = signing_key(creds.expose_secret(), &date, scope.region, scope.service);
    let signature = hex::encode(hmac(&*key, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key()
    )
}

/// Where an S3 request goes: the `host` header value and the region of the credential scope.
#[derive(Clone, Copy)]
pub struct Endpoint<'a> {
    pub host: &'a str,
    pub region: &'a str,
}

/// Sign an S3 request: returns the headers to send (`host`, `x-amz-date`, `x-amz-content-sha256`,
/// the `extra` headers, and `authorization`), all of which except the last are signed.
pub fn sign_s3(
    creds: &Credentials,
    endpoint: &Endpoint<'_>,
    now: OffsetDateTime,
    method: &str,
    path: &str,
    payload_hash: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    sign(
        creds,
        endpoint,
        "s3",
        now,
        &Request {
            method,
            path,
            query: &[],
            headers: extra,
            payload_hash,
        },
    )
}

/// Sign a request for `service` (`s3` for S3 and the admin API, `sts` for STS): `req.headers`
/// are the extra headers; `host`, `x-amz-date` and `x-amz-content-sha256` are added. Returns the
/// headers to send, `authorization` last (every other one is signed).
pub fn sign(
    creds: &Credentials,
    endpoint: &Endpoint<'_>,
    service: &str,
    now: OffsetDateTime,
    req: &Request<'_>,
) -> Vec<(String, String)> {
    let Endpoint { host, region } = *endpoint;
    let date = amz_date(now);
    let mut headers: Vec<(&str, &str)> = vec![
        ("host", host),
        ("x-amz-date", &date),
        ("x-amz-content-sha256", req.payload_hash),
    ];
    headers.extend_from_slice(req.headers);
    let full = Request {
        headers: &headers,
        ..*req
    };
    let auth = authorization(
        creds,
        &Scope {
            time: now,
            region,
            service,
        },
        &full,
    );
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    out.push(("authorization".to_owned(), auth));
    out
}

#[cfg(test)]
mod tests {
    //! Vectors from the worked examples in
    //! <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>
    //! ("Examples: Signature calculations") and the signing-key example in
    //! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>'s predecessor page
    //! <https://docs.aws.amazon.com/general/latest/gr/signature-v4-examples.html>.
    use super::*;
    use time::macros::datetime;

    const EXAMPLE_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const EXAMPLE_HOST: &str = "examplebucket.s3.amazonaws.com";

    fn scope() -> Scope<'static> {
        Scope {
            time: datetime!(2013-05-24 00:00:00 UTC),
            region: "us-east-1",
            service: "s3",
        }
    }

    fn signature_of(auth: &str) -> &str {
        auth.rsplit_once("Signature=").expect("has a signature").1
    }

    #[test]
    fn aws_example_get_object_with_range() {
        let creds = Credentials::new(EXAMPLE_KEY, EXAMPLE_SECRET);
        let headers = [
            ("Host", EXAMPLE_HOST),
            ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ];
        let req = Request {
            method: "GET",
            path: "/test.txt",
            query: &[],
            headers: &headers,
            payload_hash: EMPTY_PAYLOAD_SHA256,
        };
        let auth = authorization(&creds, &scope(), &req);
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn aws_example_put_object_encodes_dollar_in_path() {
        let creds = Credentials::new(EXAMPLE_KEY, EXAMPLE_SECRET);
        let body_hash = hex::encode(Sha256::digest(b"Welcome to Amazon S3."));
        assert_eq!(
            body_hash,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        );
        let headers = [
            ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("Host", EXAMPLE_HOST),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", &body_hash),
        ];
        let req = Request {
            method: "PUT",
            path: "/test$file.text",
            query: &[],
            headers: &headers,
            payload_hash: &body_hash,
        };
        let (canonical, signed) = canonical_request(&req);
        assert!(
            canonical.starts_with("PUT\n/test%24file.text\n\n"),
            "{canonical}"
        );
        assert_eq!(
            signed,
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class"
        );
        let auth = authorization(&creds, &scope(), &req);
        assert_eq!(
            signature_of(&auth),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        );
    }

    #[test]
    fn aws_example_list_objects_sorts_query() {
        let creds = Credentials::new(EXAMPLE_KEY, EXAMPLE_SECRET);
        let headers = [
            ("host", EXAMPLE_HOST),
            ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ];
        // Given out of order on purpose: the canonical form sorts them.
        let query = [("prefix", "J"), ("max-keys", "2")];
        let req = Request {
            method: "GET",
            path: "/",
            query: &query,
            headers: &headers,
            payload_hash: EMPTY_PAYLOAD_SHA256,
        };
        let auth = authorization(&creds, &scope(), &req);
        assert_eq!(
            signature_of(&auth),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        );
    }

    #[test]
    fn aws_example_signing_key() {
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(*key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn sign_s3_matches_the_documented_get_example() {
        let creds = Credentials::new(EXAMPLE_KEY, EXAMPLE_SECRET);
        let headers = sign_s3(
            &creds,
            &Endpoint {
                host: EXAMPLE_HOST,
                region: "us-east-1",
            },
            datetime!(2013-05-24 00:00:00 UTC),
            "GET",
            "/test.txt",
            EMPTY_PAYLOAD_SHA256,
            &[("range", "bytes=0-9")],
        );
        let auth = &headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .expect("authorization header")
            .1;
        assert_eq!(
            signature_of(auth),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        assert!(
            headers
                .iter()
                .any(|(n, v)| n == "x-amz-date" && v == "20130524T000000Z")
        );
    }

    #[test]
    fn debug_redacts_the_secret() {
        let creds = Credentials::new(EXAMPLE_KEY, EXAMPLE_SECRET);
        let shown = format!("{creds:?}");
        assert!(!shown.contains("EXAMPLEKEY"), "{shown}");
        assert!(shown.contains(EXAMPLE_KEY));
    }

    #[test]
    fn uri_encoding_follows_sigv4_rules() {
        assert_eq!(uri_encode("a b/c~d_e.f-g*h", true), "a%20b/c~d_e.f-g%2Ah");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(uri_encode("é", true), "%C3%A9");
    }
}
