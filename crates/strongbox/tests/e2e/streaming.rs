//! Streaming-signed uploads (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, with and without trailers),
//! signed chunk by chunk by the test's own signer (see common/sigv4.rs for the AWS pages it follows).

use std::time::SystemTime;

use base64::Engine;

use crate::common::data::{md5_hex, random_bytes};
use crate::common::http::request_blocking;
use crate::common::sigv4::{STREAMING_PAYLOAD, STREAMING_PAYLOAD_TRAILER, Signer};
use crate::common::{REGION, ROOT_PASSWORD, ROOT_USER, Server, err_code};

const CHUNK: usize = 64 * 1024;

/// PUT `data` to /stream/`key` as a signed aws-chunked body. Returns the response.
fn streaming_put(
    server: &Server,
    key: &str,
    data: &[u8],
    trailer: Option<(&str, &str)>,
    corrupt_chunk: Option<usize>,
) -> crate::common::http::Response {
    let signer = Signer::new(ROOT_USER, ROOT_PASSWORD, REGION, SystemTime::now());
    let host = server.addr().to_string();
    let decoded = data.len().to_string();
    // The encoded length must be signed too: encode once with a dummy seed to learn it (the
    // signatures all have the same length).
    let probe = signer.chunked_body(&"0".repeat(64), data, CHUNK, trailer);
    let encoded_len = probe.len().to_string();
    let mut headers = vec![
        ("content-encoding", "aws-chunked"),
        ("content-length", encoded_len.as_str()),
        ("x-amz-decoded-content-length", decoded.as_str()),
        ("content-type", "application/octet-stream"),
    ];
    let payload = match trailer {
        Some((name, _)) => {
            headers.push(("x-amz-trailer", name));
            STREAMING_PAYLOAD_TRAILER
        }
        None => STREAMING_PAYLOAD,
    };
    let signed = signer.sign(
        "PUT",
        &host,
        &format!("/stream/{key}"),
        &[],
        &headers,
        payload,
    );
    let mut body = signer.chunked_body(&signed.signature, data, CHUNK, trailer);
    assert_eq!(body.len(), probe.len());
    if let Some(at) = corrupt_chunk {
        // Flip a data byte inside chunk `at` (after its "size;chunk-signature=...\r\n" line).
        let meta = format!("{:x};chunk-signature=", CHUNK).len() + 64 + 2;
        let offset = at * (meta + CHUNK + 2) + meta + 10;
        body[offset] ^= 0xff;
    }
    request_blocking(server.addr(), "PUT", &signed.target, &signed.headers, &body)
        .expect("streaming PUT")
}

async fn stored(server: &Server, key: &str) -> Option<Vec<u8>> {
    let out = server
        .s3()
        .get_object()
        .bucket("stream")
        .key(key)
        .send()
        .await
        .ok()?;
    Some(out.body.collect().await.unwrap().into_bytes().to_vec())
}

async fn bucket(server: &Server) {
    server
        .s3()
        .create_bucket()
        .bucket("stream")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn streaming_signed_upload() {
    let server = Server::start();
    bucket(&server).await;
    // Several full chunks and a short last one.
    let data = random_bytes(5 * CHUNK + 1234, 21);
    let resp = streaming_put(&server, "chunked.bin", &data, None, None);
    assert_eq!(resp.status, 200, "{}", resp.body_text());
    assert_eq!(
        resp.header("etag").map(|e| e.trim_matches('"').to_string()),
        Some(md5_hex(&data)),
        "ETag is the MD5 of the decoded content"
    );
    assert_eq!(
        stored(&server, "chunked.bin").await.as_deref(),
        Some(data.as_slice())
    );
    // The aws-chunked encoding is transport only: it is not stored as the object's encoding.
    let head = server
        .s3()
        .head_object()
        .bucket("stream")
        .key("chunked.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(data.len() as i64));
    assert_ne!(head.content_encoding(), Some("aws-chunked"));
}

#[tokio::test]
async fn streaming_signed_upload_with_checksum_trailer() {
    let server = Server::start();
    bucket(&server).await;
    let data = random_bytes(3 * CHUNK + 99, 22);
    let crc =
        base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(&data).to_be_bytes());
    let resp = streaming_put(
        &server,
        "trailer.bin",
        &data,
        Some(("x-amz-checksum-crc32", &crc)),
        None,
    );
    assert_eq!(resp.status, 200, "{}", resp.body_text());
    assert_eq!(
        stored(&server, "trailer.bin").await.as_deref(),
        Some(data.as_slice())
    );

    // A trailer checksum that does not match the data must not store the object.
    let wrong = base64::engine::general_purpose::STANDARD.encode(0xdead_beef_u32.to_be_bytes());
    let resp = streaming_put(
        &server,
        "bad-trailer.bin",
        &data,
        Some(("x-amz-checksum-crc32", &wrong)),
        None,
    );
    assert!(
        resp.status >= 400,
        "wrong trailing checksum accepted: {}",
        resp.body_text()
    );
    assert_eq!(stored(&server, "bad-trailer.bin").await, None);
}

#[tokio::test]
async fn tampered_chunk_is_refused_and_not_stored() {
    let server = Server::start();
    bucket(&server).await;
    let data = random_bytes(4 * CHUNK, 23);
    let resp = streaming_put(&server, "tampered.bin", &data, None, Some(2));
    assert_eq!(resp.status, 403, "{}", resp.body_text());
    assert_eq!(
        resp.error_code().as_deref(),
        Some("SignatureDoesNotMatch"),
        "{}",
        resp.body_text()
    );
    assert_eq!(
        err_code(
            server
                .s3()
                .get_object()
                .bucket("stream")
                .key("tampered.bin")
                .send()
                .await
        ),
        "NoSuchKey"
    );
}
