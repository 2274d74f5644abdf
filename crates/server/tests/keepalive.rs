//! A request refused before its body is read must not leave that body on the connection to be
//! parsed as the next request (seen with boto3: a denied PUT followed by `method=UT` and a
//! SignatureDoesNotMatch for the next, valid request on the same keep-alive connection).

#[allow(dead_code)]
mod common;

use std::time::Duration;

use common::start;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Empty;
impl s3s::S3 for Empty {}

#[tokio::test(flavor = "multi_thread")]
async fn unread_body_of_a_refused_request_never_becomes_the_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("MINIO_ROOT_USER", "rootuser"),
        ("MINIO_ROOT_PASSWORD", "rootpassword"),
    ];
    let s = start(dir.path(), &env, Empty).await;

    // An anonymous PUT (refused with 403 before its body is read) whose body looks like a
    // request, then a health check, both written at once on one connection.
    let smuggled = "GET /minio/health/live HTTP/1.1\r\nHost: x\r\nX-Smuggled: yes\r\n\r\n";
    let wire = format!(
        "PUT /bucket/key HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len}\r\n\r\n{smuggled}\
         GET /minio/health/ready HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        host = s.host(),
        len = smuggled.len(),
    );
    let mut conn = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    conn.write_all(wire.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut got))
        .await
        .expect("the server closes the connection")
        .unwrap();
    let got = String::from_utf8_lossy(&got);
    let statuses: Vec<&str> = got
        .split("\r\n")
        .filter(|l| l.starts_with("HTTP/1.1 "))
        .collect();

    assert_eq!(
        statuses.first().copied(),
        Some("HTTP/1.1 403 Forbidden"),
        "{got}"
    );
    // Either the server closed after the refusal, or it read the body as a body and went on to the
    // real second request. It must never answer the PUT's body as a request of its own.
    assert!(
        statuses.len() == 1 || statuses == ["HTTP/1.1 403 Forbidden", "HTTP/1.1 200 OK"],
        "the refused request's body was served as a request: {statuses:?}\n{got}"
    );
    if statuses.len() == 1 {
        assert!(
            got.to_ascii_lowercase().contains("connection: close"),
            "a server that stops reading says so: {got}"
        );
    }
    s.stop().await;
}

/// The same with `Expect: 100-continue` (boto3 sends it on every PUT): the client may send the
/// body after all (RFC 9110 §10.1.1 lets it stop waiting), so a server that answered without
/// reading must either close or discard the body, never parse it as a request.
#[tokio::test(flavor = "multi_thread")]
async fn refused_expect_continue_request_body_sent_late_is_not_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("MINIO_ROOT_USER", "rootuser"),
        ("MINIO_ROOT_PASSWORD", "rootpassword"),
    ];
    let s = start(dir.path(), &env, Empty).await;
    let smuggled = "GET /minio/health/live HTTP/1.1\r\nHost: x\r\nX-Smuggled: yes\r\n\r\n";
    let head = format!(
        "PUT /bucket/key HTTP/1.1\r\nHost: {host}\r\nExpect: 100-continue\r\nContent-Length: {len}\r\n\r\n",
        host = s.host(),
        len = smuggled.len(),
    );
    let mut conn = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    // Wait for the refusal, then send the body anyway and a real request after it.
    let mut first = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut first))
        .await
        .expect("an answer to the head")
        .unwrap();
    let first = String::from_utf8_lossy(&first[..n]).to_string();
    assert!(first.starts_with("HTTP/1.1 403"), "{first}");
    let rest = format!(
        "{smuggled}GET /minio/health/ready HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        host = s.host()
    );
    // The server may already have closed: a failed write is a correct outcome.
    let _ = conn.write_all(rest.as_bytes()).await;
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut got)).await;
    let got = String::from_utf8_lossy(&got);
    let statuses: Vec<&str> = got
        .split("\r\n")
        .filter(|l| l.starts_with("HTTP/1.1 "))
        .collect();
    assert!(
        statuses.is_empty() || statuses == ["HTTP/1.1 200 OK"],
        "after the refusal the body was served as a request: {statuses:?}\n{first}\n{got}"
    );
    if statuses.is_empty() {
        assert!(
            first.to_ascii_lowercase().contains("connection: close"),
            "a server that stops reading says so: {first}"
        );
    }
    s.stop().await;
}
