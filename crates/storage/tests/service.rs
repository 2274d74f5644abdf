//! The backend behind the real s3s service (`S3ServiceBuilder` + `SimpleAuth`), driven with
//! SigV4-signed HTTP requests built here: status codes, headers and XML as a client sees them,
//! and an `aws-chunked` upload with an `x-amz-checksum-crc32` trailer as newer SDKs send it.

use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use sha2::{Digest, Sha256};
use strongbox_storage::FsBackend;

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const REGION: &str = "us-east-1";

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Signs a path-style request (SigV4, header auth). `query` must already be canonical
/// (sorted, encoded); `extra` headers are signed too.
fn signed(
    method: Method,
    path: &str,
    query: &str,
    extra: &[(&str, String)],
    payload_hash: &str,
    body: Bytes,
) -> Request<s3s::Body> {
    let now = time::OffsetDateTime::now_utc();
    let amz_date = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let date = &amz_date[..8];
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), "localhost".into()),
        ("x-amz-content-sha256".into(), payload_hash.to_owned()),
        ("x-amz-date".into(), amz_date.clone()),
    ];
    for (k, v) in extra {
        headers.push((k.to_ascii_lowercase(), v.clone()));
    }
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
    let canonical =
        format!("{method}\n{path}\n{query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}");
    let scope = format!("{date}/{REGION}/s3/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k = hmac(format!("AWS4{SK}").as_bytes(), date);
    let k = hmac(&k, REGION);
    let k = hmac(&k, "s3");
    let k = hmac(&k, "aws4_request");
    let sig = hex::encode(hmac(&k, &to_sign));
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={AK}/{scope}, SignedHeaders={signed_headers}, Signature={sig}"
    );
    let uri = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in &headers {
        b = b.header(k, v);
    }
    b = b
        .header("authorization", auth)
        .header("content-length", body.len().to_string());
    b.body(s3s::Body::from(body)).unwrap()
}

fn plain(
    method: Method,
    path: &str,
    query: &str,
    extra: &[(&str, String)],
    body: &[u8],
) -> Request<s3s::Body> {
    let hash = sha256_hex(body);
    signed(
        method,
        path,
        query,
        extra,
        &hash,
        Bytes::copy_from_slice(body),
    )
}

async fn call(svc: &S3Service, req: Request<s3s::Body>) -> (StatusCode, http::HeaderMap, Vec<u8>) {
    let resp = svc.call(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

async fn service() -> (tempfile::TempDir, S3Service) {
    let dir = tempfile::tempdir().unwrap();
    let fs = FsBackend::open(dir.path()).await.unwrap();
    let mut b = S3ServiceBuilder::new(fs);
    b.set_auth(SimpleAuth::from_single(AK, SK));
    (dir, b.build())
}

#[tokio::test]
async fn objects_through_the_s3s_service() {
    let (_d, svc) = service().await;
    let (st, _, _) = call(&svc, plain(Method::PUT, "/svc-bucket", "", &[], b"")).await;
    assert_eq!(st, StatusCode::OK);

    let body = b"0123456789abcdefghij";
    let (st, h, _) = call(
        &svc,
        plain(
            Method::PUT,
            "/svc-bucket/dir/a%20key",
            "",
            &[
                ("content-type", "text/plain".into()),
                ("x-amz-meta-color", "red".into()),
            ],
            body,
        ),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let etag = format!("\"{}\"", hex::encode(md5::Md5::digest(body)));
    assert_eq!(h.get("etag").unwrap(), etag.as_str());

    let (st, h, got) = call(
        &svc,
        plain(
            Method::GET,
            "/svc-bucket/dir/a%20key",
            "",
            &[("range", "bytes=5-9".into())],
            b"",
        ),
    )
    .await;
    assert_eq!(st, StatusCode::PARTIAL_CONTENT);
    assert_eq!(got, b"56789");
    assert_eq!(h.get("content-range").unwrap(), "bytes 5-9/20");
    assert_eq!(h.get("content-length").unwrap(), "5");
    assert_eq!(h.get("x-amz-meta-color").unwrap(), "red");
    assert_eq!(h.get("content-type").unwrap(), "text/plain");

    let (st, _, _) = call(
        &svc,
        plain(
            Method::GET,
            "/svc-bucket/dir/a%20key",
            "",
            &[("if-none-match", etag.clone())],
            b"",
        ),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_MODIFIED);
    let (st, _, _) = call(
        &svc,
        plain(
            Method::GET,
            "/svc-bucket/dir/a%20key",
            "",
            &[("if-match", "\"nope\"".into())],
            b"",
        ),
    )
    .await;
    assert_eq!(st, StatusCode::PRECONDITION_FAILED);
    let (st, _, xml) = call(
        &svc,
        plain(
            Method::GET,
            "/svc-bucket/dir/a%20key",
            "",
            &[("range", "bytes=50-".into())],
            b"",
        ),
    )
    .await;
    assert_eq!(st, StatusCode::RANGE_NOT_SATISFIABLE);
    assert!(String::from_utf8_lossy(&xml).contains("InvalidRange"));

    let (st, _, xml) = call(
        &svc,
        plain(
            Method::GET,
            "/svc-bucket",
            "encoding-type=url&list-type=2",
            &[],
            b"",
        ),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let xml = String::from_utf8(xml).unwrap();
    assert!(xml.contains("<Key>dir/a%20key</Key>"), "{xml}");
    assert!(xml.contains("<KeyCount>1</KeyCount>"), "{xml}");

    let (st, _, xml) = call(&svc, plain(Method::DELETE, "/svc-bucket", "", &[], b"")).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(String::from_utf8_lossy(&xml).contains("BucketNotEmpty"));
    let (st, _, _) = call(
        &svc,
        plain(Method::DELETE, "/svc-bucket/dir/a%20key", "", &[], b""),
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _, _) = call(
        &svc,
        plain(Method::DELETE, "/svc-bucket/never-was", "", &[], b""),
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _, _) = call(
        &svc,
        plain(Method::GET, "/svc-bucket/dir/a%20key", "", &[], b""),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

/// `aws-chunked` body with unsigned chunks and a trailer, as newer SDKs send.
fn chunked_with_trailer(data: &[u8], chunk: usize, trailer: (&str, &str)) -> Bytes {
    let mut out = Vec::new();
    for c in data.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n");
    out.extend_from_slice(format!("{}:{}\r\n\r\n", trailer.0, trailer.1).as_bytes());
    Bytes::from(out)
}

fn streaming_put(path: &str, data: &[u8], crc_b64: &str) -> Request<s3s::Body> {
    let body = chunked_with_trailer(data, 8192, ("x-amz-checksum-crc32", crc_b64));
    signed(
        Method::PUT,
        path,
        "",
        &[
            ("content-encoding", "aws-chunked".into()),
            ("x-amz-decoded-content-length", data.len().to_string()),
            ("x-amz-trailer", "x-amz-checksum-crc32".into()),
            ("x-amz-sdk-checksum-algorithm", "CRC32".into()),
        ],
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        body,
    )
}

#[tokio::test]
async fn streaming_upload_with_checksum_trailer() {
    let (_d, svc) = service().await;
    let (st, _, _) = call(&svc, plain(Method::PUT, "/trailers", "", &[], b"")).await;
    assert_eq!(st, StatusCode::OK);
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let crc = base64::engine::general_purpose::STANDARD
        .encode(s3s::crypto::Crc32::checksum_u32(&data).to_be_bytes());

    let (st, h, body) = call(&svc, streaming_put("/trailers/obj", &data, &crc)).await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(h.get("x-amz-checksum-crc32").unwrap(), crc.as_str());
    let (st, _, got) = call(&svc, plain(Method::GET, "/trailers/obj", "", &[], b"")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(got == data);

    let wrong = base64::engine::general_purpose::STANDARD.encode([1u8, 2, 3, 4]);
    let (st, _, body) = call(&svc, streaming_put("/trailers/bad", &data, &wrong)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("BadDigest"));
    let (st, _, _) = call(&svc, plain(Method::GET, "/trailers/bad", "", &[], b"")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn large_object_streams_with_exact_length() {
    let (_d, svc) = service().await;
    let (st, _, _) = call(&svc, plain(Method::PUT, "/large", "", &[], b"")).await;
    assert_eq!(st, StatusCode::OK);
    let data: Vec<u8> = (0..(3u32 << 20) + 7).map(|i| (i % 253) as u8).collect();
    let (st, _, _) = call(&svc, plain(Method::PUT, "/large/blob", "", &[], &data)).await;
    assert_eq!(st, StatusCode::OK);
    let (st, h, got) = call(&svc, plain(Method::GET, "/large/blob", "", &[], b"")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        h.get("content-length").unwrap(),
        data.len().to_string().as_str()
    );
    assert!(h.get("transfer-encoding").is_none());
    assert!(got == data);
    let (st, h, got) = call(&svc, plain(Method::HEAD, "/large/blob", "", &[], b"")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        h.get("content-length").unwrap(),
        data.len().to_string().as_str()
    );
    assert!(got.is_empty());
}
