//! Cross-check: requests signed by our signer pass the SigV4 verification of the `s3s` crate
//! (the verifier Strongbox uses), and a wrong secret fails it. Independent of the AWS vectors
//! in `sigv4.rs` and of a running server.

use crate::sigv4::{self, Credentials, EMPTY_PAYLOAD_SHA256, Endpoint, UNSIGNED_PAYLOAD};
use s3s::dto::{GetObjectInput, GetObjectOutput, PutObjectInput, PutObjectOutput};
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3, S3Request, S3Response, S3Result};
use time::OffsetDateTime;

const ACCESS_KEY: &str = "benchaccesskey";
const SECRET_KEY: &str = "bench-secret-key-0123456789";
const HOST: &str = "127.0.0.1:9000";

/// Answers GetObject and PutObject with empty success: only authentication is under test.
struct Accepting;

#[async_trait::async_trait]
impl S3 for Accepting {
    async fn get_object(
        &self,
        _req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        Ok(S3Response::new(GetObjectOutput::default()))
    }

    async fn put_object(
        &self,
        _req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        Ok(S3Response::new(PutObjectOutput::default()))
    }
}

fn service() -> S3Service {
    let mut builder = S3ServiceBuilder::new(Accepting);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
    builder.build()
}

async fn status_of(
    creds: &Credentials,
    method: &str,
    path: &str,
    payload_hash: &str,
    body: &'static [u8],
) -> u16 {
    let endpoint = Endpoint {
        host: HOST,
        region: "us-east-1",
    };
    let len = body.len().to_string();
    let extra: Vec<(&str, &str)> = if body.is_empty() {
        vec![]
    } else {
        vec![("content-length", &len)]
    };
    let headers = sigv4::sign_s3(
        creds,
        &endpoint,
        OffsetDateTime::now_utc(),
        method,
        path,
        payload_hash,
        &extra,
    );
    // On the wire the path is percent-encoded; the signer encodes its canonical form the same way.
    let mut req = http::Request::builder()
        .method(method)
        .uri(sigv4::uri_encode(path, true));
    for (name, value) in &headers {
        req = req.header(name, value);
    }
    let req = req
        .body(s3s::Body::from(bytes::Bytes::from_static(body)))
        .expect("valid request");
    match service().call(req).await {
        Ok(resp) => resp.status().as_u16(),
        Err(_) => 500,
    }
}

#[tokio::test]
async fn s3s_accepts_our_signed_get() {
    let creds = Credentials::new(ACCESS_KEY, SECRET_KEY);
    assert_eq!(
        status_of(
            &creds,
            "GET",
            "/bucket/some key+%.txt",
            EMPTY_PAYLOAD_SHA256,
            b""
        )
        .await,
        200
    );
}

#[tokio::test]
async fn s3s_accepts_our_unsigned_payload_put() {
    let creds = Credentials::new(ACCESS_KEY, SECRET_KEY);
    assert_eq!(
        status_of(&creds, "PUT", "/bucket/object", UNSIGNED_PAYLOAD, b"hello").await,
        200
    );
}

#[tokio::test]
async fn s3s_rejects_a_wrong_secret() {
    let creds = Credentials::new(ACCESS_KEY, "not-the-secret-key-0123456789");
    assert_eq!(
        status_of(&creds, "GET", "/bucket/object", EMPTY_PAYLOAD_SHA256, b"").await,
        403
    );
}
