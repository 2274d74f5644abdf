//! A small, independent AWS Signature V4 signer for hand-made requests: header auth at an
//! arbitrary clock, and the streaming (chunked) payload formats no SDK in this test suite sends.
//!
//! Written from the AWS documentation:
//! - https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (canonical request,
//!   string to sign, signing key)
//! - https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
//!   (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: seed signature, `AWS4-HMAC-SHA256-PAYLOAD` chunk signatures)
//! - https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
//!   (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: `AWS4-HMAC-SHA256-TRAILER` trailer signature)

use std::time::SystemTime;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
pub const STREAMING_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// RFC 3986 unreserved characters stay, everything else is `%XX`; `/` stays when `keep_slash`.
pub fn uri_encode(input: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len() * 3);
    for &b in input.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub struct Signer {
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    /// The request time the signature claims (not necessarily now).
    pub time: SystemTime,
}

/// A request signed by [`Signer::sign`], ready for [`super::http::request_blocking`].
pub struct Signed {
    /// Request target: URI-encoded path plus canonical query string.
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// The request's signature: the seed signature for streaming payloads.
    pub signature: String,
}

impl Signer {
    pub fn new(access_key: &str, secret_key: &str, region: &str, time: SystemTime) -> Signer {
        Signer {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            region: region.into(),
            time,
        }
    }

    /// `20130524T000000Z`
    pub fn amz_date(&self) -> String {
        let t = time::OffsetDateTime::from(self.time);
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

    fn scope(&self) -> String {
        format!("{}/{}/s3/aws4_request", &self.amz_date()[..8], self.region)
    }

    fn signing_key(&self) -> Vec<u8> {
        let k_date = hmac(
            format!("AWS4{}", self.secret_key).as_bytes(),
            &self.amz_date().as_bytes()[..8],
        );
        let k_region = hmac(&k_date, self.region.as_bytes());
        let k_service = hmac(&k_region, b"s3");
        hmac(&k_service, b"aws4_request")
    }

    fn signature_of(&self, string_to_sign: &str) -> String {
        hex::encode(hmac(&self.signing_key(), string_to_sign.as_bytes()))
    }

    /// Sign a request with the `Authorization` header. `path` is the raw (unencoded) path, e.g.
    /// `/bucket/some key`; `headers` are extra headers to send and sign; `payload_hash` goes into
    /// `x-amz-content-sha256`. `host` is the `Host` header value the request will carry.
    pub fn sign(
        &self,
        method: &str,
        host: &str,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        payload_hash: &str,
    ) -> Signed {
        let amz_date = self.amz_date();
        let canonical_uri = uri_encode(path, true);

        let mut q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
            .collect();
        q.sort();
        let canonical_query = q
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");

        let mut hs: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        hs.push(("host".into(), host.into()));
        hs.push(("x-amz-date".into(), amz_date.clone()));
        hs.push(("x-amz-content-sha256".into(), payload_hash.into()));
        hs.sort();
        let canonical_headers: String = hs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed_headers = hs
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(";");

        let canonical_request = format!(
            "{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{}\n{}",
            self.scope(),
            sha256_hex(canonical_request.as_bytes())
        );
        let signature = self.signature_of(&string_to_sign);
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={signed_headers}, Signature={signature}",
            self.access_key,
            self.scope()
        );

        let mut out_headers: Vec<(String, String)> =
            hs.into_iter().filter(|(k, _)| k != "host").collect();
        out_headers.push(("Authorization".into(), authorization));
        let target = if canonical_query.is_empty() {
            canonical_uri
        } else {
            format!("{canonical_uri}?{canonical_query}")
        };
        Signed {
            target,
            headers: out_headers,
            signature,
        }
    }

    /// Signature of one chunk of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body.
    pub fn chunk_signature(&self, prev_signature: &str, chunk: &[u8]) -> String {
        let sts = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{prev_signature}\n{EMPTY_SHA256}\n{}",
            self.amz_date(),
            self.scope(),
            sha256_hex(chunk)
        );
        self.signature_of(&sts)
    }

    /// Signature of the trailing headers (`name:value\n` each, sorted by name).
    pub fn trailer_signature(&self, prev_signature: &str, canonical_trailers: &str) -> String {
        let sts = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{prev_signature}\n{}",
            self.amz_date(),
            self.scope(),
            sha256_hex(canonical_trailers.as_bytes())
        );
        self.signature_of(&sts)
    }

    /// Encode `data` as a signed aws-chunked body: `chunk_size`-byte chunks, each
    /// `hex(size);chunk-signature=SIG\r\n<data>\r\n`, then the empty final chunk, then (when
    /// `trailer` is given) the trailing header and `x-amz-trailer-signature`.
    pub fn chunked_body(
        &self,
        seed_signature: &str,
        data: &[u8],
        chunk_size: usize,
        trailer: Option<(&str, &str)>,
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 256);
        let mut prev = seed_signature.to_string();
        let mut chunks: Vec<&[u8]> = data.chunks(chunk_size).collect();
        chunks.push(&[]);
        for chunk in chunks {
            let sig = self.chunk_signature(&prev, chunk);
            out.extend_from_slice(
                format!("{:x};chunk-signature={sig}\r\n", chunk.len()).as_bytes(),
            );
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\r\n");
            prev = sig;
        }
        if let Some((name, value)) = trailer {
            let canonical = format!("{}:{}\n", name.to_ascii_lowercase(), value);
            let sig = self.trailer_signature(&prev, &canonical);
            out.extend_from_slice(
                format!("{name}:{value}\r\nx-amz-trailer-signature:{sig}\r\n\r\n").as_bytes(),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// The worked example of https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html:
    /// PUT /examplebucket/chunkObject.txt at 20130524T000000Z, 66560 bytes of 'a' in 64 KiB chunks.
    #[test]
    fn aws_streaming_example_signatures() {
        let signer = Signer::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "us-east-1",
            UNIX_EPOCH + Duration::from_secs(1_369_353_600),
        );
        assert_eq!(signer.amz_date(), "20130524T000000Z");
        let signed = signer.sign(
            "PUT",
            "s3.amazonaws.com",
            "/examplebucket/chunkObject.txt",
            &[],
            &[
                ("Content-Encoding", "aws-chunked"),
                ("Content-Length", "66824"),
                ("x-amz-decoded-content-length", "66560"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
            STREAMING_PAYLOAD,
        );
        assert_eq!(
            signed.signature,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        );
        let c1 = signer.chunk_signature(&signed.signature, &vec![b'a'; 65536]);
        assert_eq!(
            c1,
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
        );
        let c2 = signer.chunk_signature(&c1, &[b'a'; 1024]);
        assert_eq!(
            c2,
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
        );
        let c3 = signer.chunk_signature(&c2, &[]);
        assert_eq!(
            c3,
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
        );
        let body = signer.chunked_body(&signed.signature, &vec![b'a'; 66560], 65536, None);
        assert_eq!(body.len(), 66824);
    }

    /// The trailer example of https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html.
    #[test]
    fn aws_trailer_example_signature() {
        let signer = Signer::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "us-east-1",
            UNIX_EPOCH + Duration::from_secs(1_369_353_600),
        );
        let sig = signer.trailer_signature(
            "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
            "x-amz-checksum-crc32c:sOO8/Q==\n",
        );
        assert_eq!(
            sig,
            "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
        );
    }
}
