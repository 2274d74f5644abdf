//! Authentication: each way a request can be wrong gets its own S3 error code, and each way a
//! request can be right (header, presigned, unsigned payload, empty-region scope) works.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_async::time::StaticTimeSource;

use crate::common::http::{request_blocking, split_url, xml_tag};
use crate::common::sigv4::{EMPTY_SHA256, Signer, sha256_hex};
use crate::common::{REGION, ROOT_PASSWORD, ROOT_USER, Server, err_code, err_status};

async fn with_object(server: &Server) {
    let s3 = server.s3();
    s3.create_bucket().bucket("auth").send().await.unwrap();
    s3.put_object()
        .bucket("auth")
        .key("secret.txt")
        .body(ByteStream::from_static(b"top secret"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match() {
    let server = Server::start();
    with_object(&server).await;
    let bad = server.s3_with(ROOT_USER, "not-the-right-password");
    assert_eq!(
        err_code(bad.list_buckets().send().await),
        "SignatureDoesNotMatch"
    );
    assert_eq!(
        err_code(
            bad.get_object()
                .bucket("auth")
                .key("secret.txt")
                .send()
                .await
        ),
        "SignatureDoesNotMatch"
    );
    assert_eq!(err_status(bad.list_buckets().send().await), 403);
    let res = bad
        .put_object()
        .bucket("auth")
        .key("planted")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(err_code(res), "SignatureDoesNotMatch");
    assert_eq!(
        err_code(
            server
                .s3()
                .get_object()
                .bucket("auth")
                .key("planted")
                .send()
                .await
        ),
        "NoSuchKey"
    );
}

#[tokio::test]
async fn unknown_access_key_is_invalid_access_key_id() {
    let server = Server::start();
    with_object(&server).await;
    let stranger = server.s3_with("AKIANOBODYKNOWSTHIS", ROOT_PASSWORD);
    assert_eq!(
        err_code(stranger.list_buckets().send().await),
        "InvalidAccessKeyId"
    );
    assert_eq!(err_status(stranger.list_buckets().send().await), 403);
    assert_eq!(
        err_code(
            stranger
                .get_object()
                .bucket("auth")
                .key("secret.txt")
                .send()
                .await
        ),
        "InvalidAccessKeyId"
    );
}

#[tokio::test]
async fn anonymous_requests_are_access_denied() {
    let server = Server::start();
    with_object(&server).await;
    for (method, target) in [
        ("GET", "/"),
        ("GET", "/auth"),
        ("GET", "/auth/secret.txt"),
        ("PUT", "/auth/anon-upload"),
        ("DELETE", "/auth/secret.txt"),
        ("PUT", "/anon-bucket"),
    ] {
        let resp = request_blocking(server.addr(), method, target, &[], b"").unwrap();
        assert_eq!(resp.status, 403, "{method} {target}: {}", resp.body_text());
        assert_eq!(
            resp.error_code().as_deref(),
            Some("AccessDenied"),
            "{method} {target}"
        );
        assert!(!resp.body_text().contains("top secret"));
    }
    // Nothing changed.
    let s3 = server.s3();
    let got = s3
        .get_object()
        .bucket("auth")
        .key("secret.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"top secret"
    );
    assert_eq!(
        err_code(
            s3.get_object()
                .bucket("auth")
                .key("anon-upload")
                .send()
                .await
        ),
        "NoSuchKey"
    );
    assert_eq!(
        err_status(s3.head_bucket().bucket("anon-bucket").send().await),
        404
    );
}

#[tokio::test]
async fn presigned_get_and_put_work_and_tampering_fails() {
    let server = Server::start();
    with_object(&server).await;
    let s3 = server.s3();

    let get = s3
        .get_object()
        .bucket("auth")
        .key("secret.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let (addr, target) = split_url(get.uri());
    let resp = request_blocking(addr, "GET", &target, &[], b"").unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body_text());
    assert_eq!(resp.body, b"top secret");

    // Change one character of the signature.
    let tampered = match target.find("X-Amz-Signature=") {
        Some(i) => {
            let mut t = target.clone().into_bytes();
            let pos = i + "X-Amz-Signature=".len();
            t[pos] = if t[pos] == b'0' { b'1' } else { b'0' };
            String::from_utf8(t).unwrap()
        }
        None => panic!("presigned URL without X-Amz-Signature: {target}"),
    };
    let resp = request_blocking(addr, "GET", &tampered, &[], b"").unwrap();
    assert_eq!(resp.status, 403);
    assert_eq!(resp.error_code().as_deref(), Some("SignatureDoesNotMatch"));

    let put = s3
        .put_object()
        .bucket("auth")
        .key("via-presigned-put")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let (addr, target) = split_url(put.uri());
    let headers: Vec<(String, String)> = put
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let resp = request_blocking(
        addr,
        "PUT",
        &target,
        &headers,
        b"uploaded with a presigned URL",
    )
    .unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body_text());
    let got = s3
        .get_object()
        .bucket("auth")
        .key("via-presigned-put")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"uploaded with a presigned URL"
    );
}

#[tokio::test]
async fn expired_presigned_url_is_refused() {
    let server = Server::start();
    with_object(&server).await;
    let s3 = server.s3();
    let config = PresigningConfig::builder()
        .start_time(SystemTime::now() - Duration::from_secs(3600))
        .expires_in(Duration::from_secs(60))
        .build()
        .unwrap();
    let get = s3
        .get_object()
        .bucket("auth")
        .key("secret.txt")
        .presigned(config)
        .await
        .unwrap();
    let (addr, target) = split_url(get.uri());
    let resp = request_blocking(addr, "GET", &target, &[], b"").unwrap();
    assert_eq!(resp.status, 403, "{}", resp.body_text());
    // AWS: <Code>AccessDenied</Code><Message>Request has expired</Message>
    assert_eq!(resp.error_code().as_deref(), Some("AccessDenied"));
    let message = xml_tag(&resp.body_text(), "Message").unwrap_or_default();
    assert!(
        message.to_lowercase().contains("expired"),
        "message: {message:?}"
    );
    assert!(!resp.body_text().contains("top secret"));
}

/// Sign with a clock 20 minutes off (either way): beyond the 15 minutes S3 allows.
#[tokio::test]
async fn skewed_clock_is_request_time_too_skewed() {
    let server = Server::start();
    with_object(&server).await;
    let host = server.addr().to_string();
    let twenty_min = Duration::from_secs(20 * 60);
    for time in [
        SystemTime::now() - twenty_min,
        SystemTime::now() + twenty_min,
    ] {
        let signer = Signer::new(ROOT_USER, ROOT_PASSWORD, REGION, time);
        let signed = signer.sign("GET", &host, "/auth/secret.txt", &[], &[], EMPTY_SHA256);
        let resp =
            request_blocking(server.addr(), "GET", &signed.target, &signed.headers, b"").unwrap();
        assert_eq!(resp.status, 403, "{}", resp.body_text());
        assert_eq!(
            resp.error_code().as_deref(),
            Some("RequestTimeTooSkewed"),
            "{}",
            resp.body_text()
        );
    }
    // Five minutes off is within tolerance.
    let signer = Signer::new(
        ROOT_USER,
        ROOT_PASSWORD,
        REGION,
        SystemTime::now() - Duration::from_secs(300),
    );
    let signed = signer.sign("GET", &host, "/auth/secret.txt", &[], &[], EMPTY_SHA256);
    let resp =
        request_blocking(server.addr(), "GET", &signed.target, &signed.headers, b"").unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body_text());
    assert_eq!(resp.body, b"top secret");

    // The SDK with a skewed clock and no retries (its retry would correct the skew from the
    // server's Date header, which is the SDK's business, not the server's).
    let sdk = aws_sdk_s3::Client::from_conf(
        server
            .s3_config(ROOT_USER, ROOT_PASSWORD)
            .time_source(StaticTimeSource::new(SystemTime::now() - twenty_min))
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    assert_eq!(
        err_code(
            sdk.get_object()
                .bucket("auth")
                .key("secret.txt")
                .send()
                .await
        ),
        "RequestTimeTooSkewed"
    );
}

#[tokio::test]
async fn hand_signed_variants_are_accepted() {
    let server = Server::start();
    with_object(&server).await;
    let host = server.addr().to_string();

    // UNSIGNED-PAYLOAD.
    let signer = Signer::new(ROOT_USER, ROOT_PASSWORD, REGION, SystemTime::now());
    let signed = signer.sign("PUT", &host, "/auth/unsigned", &[], &[], "UNSIGNED-PAYLOAD");
    let resp = request_blocking(
        server.addr(),
        "PUT",
        &signed.target,
        &signed.headers,
        b"unsigned body",
    )
    .unwrap();
    assert_eq!(resp.status, 200, "UNSIGNED-PAYLOAD: {}", resp.body_text());

    // A signed payload hash, with a query string.
    let signed = signer.sign(
        "GET",
        &host,
        "/auth",
        &[("list-type", "2"), ("prefix", "uns")],
        &[],
        EMPTY_SHA256,
    );
    let resp =
        request_blocking(server.addr(), "GET", &signed.target, &signed.headers, b"").unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body_text());
    assert!(
        resp.body_text().contains("<Key>unsigned</Key>"),
        "{}",
        resp.body_text()
    );

    // An empty region in the credential scope (minio-py and s3-tests sign that way).
    let no_region = Signer::new(ROOT_USER, ROOT_PASSWORD, "", SystemTime::now());
    let body = b"empty region scope";
    let signed = no_region.sign("PUT", &host, "/auth/no-region", &[], &[], &sha256_hex(body));
    let resp =
        request_blocking(server.addr(), "PUT", &signed.target, &signed.headers, body).unwrap();
    assert_eq!(resp.status, 200, "empty-region scope: {}", resp.body_text());

    let s3 = server.s3();
    for (key, want) in [("unsigned", &b"unsigned body"[..]), ("no-region", body)] {
        let got = s3
            .get_object()
            .bucket("auth")
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.body.collect().await.unwrap().into_bytes().as_ref(),
            want,
            "{key}"
        );
    }
}

#[tokio::test]
async fn payload_not_matching_its_signed_hash_is_refused() {
    let server = Server::start();
    with_object(&server).await;
    let signer = Signer::new(ROOT_USER, ROOT_PASSWORD, REGION, SystemTime::now());
    let signed = signer.sign(
        "PUT",
        &server.addr().to_string(),
        "/auth/swapped",
        &[],
        &[],
        &sha256_hex(b"what was signed"),
    );
    let resp = request_blocking(
        server.addr(),
        "PUT",
        &signed.target,
        &signed.headers,
        b"what was sent!!",
    )
    .unwrap();
    assert!(
        resp.status >= 400,
        "a body that does not match x-amz-content-sha256 was stored"
    );
    assert_eq!(
        resp.error_code().as_deref(),
        Some("XAmzContentSHA256Mismatch"),
        "{}",
        resp.body_text()
    );
    let s3 = server.s3();
    assert_eq!(
        err_code(s3.get_object().bucket("auth").key("swapped").send().await),
        "NoSuchKey"
    );
}
