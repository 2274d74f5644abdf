//! The process around the API: health endpoints, root credentials from the environment,
//! restarts on the same DIR, graceful SIGTERM / SIGINT.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use rustix::process::Signal;

use crate::common::http::request_blocking;
use crate::common::sigv4::Signer;
use crate::common::{REGION, ROOT_PASSWORD, ROOT_USER, Server, err_code, files_under};

#[tokio::test]
async fn health_endpoints_answer_without_credentials() {
    let server = Server::start();
    for path in ["/minio/health/live", "/minio/health/ready"] {
        let resp = request_blocking(server.addr(), "GET", path, &[], b"").unwrap();
        assert_eq!(resp.status, 200, "GET {path}: {}", resp.body_text());
        let head = request_blocking(server.addr(), "HEAD", path, &[], b"").unwrap();
        assert_eq!(head.status, 200, "HEAD {path}");
    }
}

#[tokio::test]
async fn data_survives_a_restart() {
    let mut server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("durable").send().await.unwrap();
    s3.put_object()
        .bucket("durable")
        .key("dir/k")
        .body(ByteStream::from_static(b"still here"))
        .metadata("m", "v")
        .send()
        .await
        .unwrap();
    let status = server.sigterm(Duration::from_secs(15));
    assert!(status.success(), "exit status after SIGTERM: {status}");
    server.restart();
    let s3 = server.s3();
    let got = s3
        .get_object()
        .bucket("durable")
        .key("dir/k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.metadata().and_then(|m| m.get("m")).map(String::as_str),
        Some("v")
    );
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"still here"
    );
}

/// SIGTERM while a request is half sent: the request completes, then the process exits 0.
#[tokio::test]
async fn sigterm_drains_in_flight_requests_then_exits_zero() {
    let mut server = Server::start();
    server
        .s3()
        .create_bucket()
        .bucket("drain")
        .send()
        .await
        .unwrap();

    let body = vec![b'z'; 256 * 1024];
    let signer = Signer::new(ROOT_USER, ROOT_PASSWORD, REGION, SystemTime::now());
    let host = server.addr().to_string();
    let signed = signer.sign(
        "PUT",
        &host,
        "/drain/in-flight",
        &[],
        &[],
        "UNSIGNED-PAYLOAD",
    );
    let mut head = format!(
        "PUT {} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n",
        signed.target,
        body.len()
    );
    for (k, v) in &signed.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");

    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..1024]).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    server.signal(Signal::TERM);
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[1024..]).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "in-flight PUT after SIGTERM got: {text}"
    );

    let status = server.wait_exit(Duration::from_secs(15));
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM: {status}"
    );

    server.restart();
    let got = server
        .s3()
        .get_object()
        .bucket("drain")
        .key("in-flight")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().len(),
        body.len()
    );
}

#[tokio::test]
async fn sigint_exits_zero() {
    let mut server = Server::start();
    server.signal(Signal::INT);
    let status = server.wait_exit(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "exit status after SIGINT: {status}");
}

#[tokio::test]
async fn legacy_access_key_variables_are_honoured() {
    let server = Server::start_with_env(vec![
        ("MINIO_ACCESS_KEY".into(), Some("legacy-user".into())),
        ("MINIO_SECRET_KEY".into(), Some("legacy-secret-key".into())),
    ]);
    let s3 = server.s3_with("legacy-user", "legacy-secret-key");
    s3.create_bucket()
        .bucket("legacy")
        .send()
        .await
        .expect("legacy credentials work");
}

#[tokio::test]
async fn short_root_password_is_refused_at_start() {
    let mut server = Server::prepare(vec![
        ("MINIO_ROOT_USER".into(), Some("someone".into())),
        ("MINIO_ROOT_PASSWORD".into(), Some("short".into())),
    ]);
    let status = server.run_to_exit(Duration::from_secs(15));
    assert!(
        !status.success(),
        "a 5-character root password was accepted"
    );
    let log = server.log();
    assert!(
        log.contains("MINIO_ROOT_PASSWORD") || log.to_lowercase().contains("password"),
        "the error does not say what is wrong: {log}"
    );
    assert!(
        !log.contains("short\n") && !log.contains("\"short\""),
        "the rejected password was echoed: {log}"
    );
}

/// Without credentials in the environment, the server makes strong random ones, keeps them in a
/// 0600 file under DIR and starts again from them: never a well-known default.
#[tokio::test]
async fn generated_root_credentials_are_private_and_stable() {
    let mut server = Server::start_with_env(vec![]);
    let well_known = server.s3_with("minioadmin", "minioadmin");
    assert_eq!(
        err_code(well_known.list_buckets().send().await),
        "InvalidAccessKeyId"
    );

    let files = files_under(server.data_dir());
    let private: Vec<_> = files
        .iter()
        .filter(|p| {
            let mode = std::fs::metadata(server.data_dir().join(p))
                .unwrap()
                .permissions()
                .mode();
            mode & 0o077 == 0
        })
        .collect();
    assert!(
        !private.is_empty(),
        "no 0600 credentials file under DIR: {files:?}"
    );
    for p in &files {
        let mode = std::fs::metadata(server.data_dir().join(p))
            .unwrap()
            .permissions()
            .mode();
        let text = std::fs::read_to_string(server.data_dir().join(p)).unwrap_or_default();
        if text.to_lowercase().contains("secret") || text.to_lowercase().contains("password") {
            assert_eq!(
                mode & 0o077,
                0,
                "{p:?} holds credentials but has mode {mode:o}"
            );
        }
    }
    // Starts again on the same DIR with the stored credentials (health check inside restart).
    server.restart();
    assert_eq!(
        err_code(
            server
                .s3_with("minioadmin", "minioadmin")
                .list_buckets()
                .send()
                .await
        ),
        "InvalidAccessKeyId"
    );
}

#[tokio::test]
async fn region_comes_from_the_environment() {
    let mut env = crate::common::default_env();
    env.push(("MINIO_REGION".into(), Some("eu-west-3".into())));
    let server = Server::start_with_env(env);
    let s3 = aws_sdk_s3::Client::from_conf(
        server
            .s3_config(ROOT_USER, ROOT_PASSWORD)
            .region(aws_sdk_s3::config::Region::new("eu-west-3"))
            .build(),
    );
    s3.create_bucket().bucket("regional").send().await.unwrap();
    let loc = s3
        .get_bucket_location()
        .bucket("regional")
        .send()
        .await
        .unwrap();
    assert_eq!(
        loc.location_constraint().map(|c| c.as_str()),
        Some("eu-west-3")
    );
}
