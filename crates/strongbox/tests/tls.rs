//! HTTPS end to end: the real binary with `--certs-dir` (certificates made by an in-test CA).
//!
//! - aws-sdk-rust over HTTPS (trusting the test CA, no client certificate): bucket and object
//!   round trip; HTTP/2 and HTTP/1.1 offered by ALPN;
//! - TLS 1.1 and plaintext to the HTTPS port are refused; TLS 1.2 and 1.3 are served;
//! - certificate reload: new connections get the new certificate, a connection opened before the
//!   swap keeps working, a broken replacement keeps the old certificate;
//! - `MINIO_IDENTITY_TLS_ENABLE=on`: clients with and without a certificate are both served;
//! - a bad certificate or key is a start-up error naming the file;
//! - a client that never finishes its handshake is dropped after the 10 s handshake timeout.

mod common;
#[path = "common/tls.rs"]
mod tls_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use common::{REGION, ROOT_PASSWORD, ROOT_USER};
use tls_support::{TestCa, TlsClient, TlsServer, client_config, install, write_atomically};

fn s3_over_https(server: &TlsServer) -> aws_sdk_s3::Client {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(server.ca.pem().into_bytes());
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap();
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(context)
        .build_https();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(server.endpoint())
        .credentials_provider(Credentials::new(
            ROOT_USER,
            ROOT_PASSWORD,
            None,
            None,
            "e2e",
        ))
        .force_path_style(true)
        .http_client(http)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_sdk_round_trip_over_https() {
    let server = TlsServer::start(&[]);
    let s3 = s3_over_https(&server);
    let bucket = common::bucket_name("tls");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let body = b"over rustls, no client certificate".to_vec();
    s3.put_object()
        .bucket(&bucket)
        .key("hello.txt")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("hello.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        body
    );
    let listed = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(listed.key_count(), Some(1));

    // aws:SecureTransport is true on this listener: a bucket policy that lets anyone read only
    // over TLS admits an anonymous GET, the same policy asking for "false" does not.
    for (secure, want) in [("true", 200), ("false", 403)] {
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*",
            "Condition":{{"Bool":{{"aws:SecureTransport":"{secure}"}}}}}}]}}"#
        );
        s3.put_bucket_policy()
            .bucket(&bucket)
            .policy(policy)
            .send()
            .await
            .unwrap();
        let (addr, ca) = (server.addr, server.ca.der());
        let path = format!("/{bucket}/hello.txt");
        let status = tokio::task::spawn_blocking(move || {
            TlsClient::connect(addr, &ca, None)
                .unwrap()
                .get(&path)
                .unwrap()
        })
        .await
        .unwrap();
        assert_eq!(
            status, want,
            "anonymous GET with aws:SecureTransport={secure}"
        );
    }
    let log = server.log();
    assert!(
        log.contains("HTTPS with the certificate") && log.contains("CN=server-1"),
        "the start-up log names HTTPS and the certificate subject:\n{log}"
    );
    assert!(
        log.contains(&format!("listening on https://{}", server.addr)),
        "{log}"
    );
}

#[test]
fn tls_versions_and_alpn() {
    let server = TlsServer::start(&[]);
    let ca = server.ca.der();
    for (versions, want) in [
        (
            &[&rustls::version::TLS13][..],
            rustls::ProtocolVersion::TLSv1_3,
        ),
        (
            &[&rustls::version::TLS12][..],
            rustls::ProtocolVersion::TLSv1_2,
        ),
    ] {
        let mut config = client_config(&ca, versions, None);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut conn = TlsClient::connect_with(server.addr, config).unwrap();
        assert_eq!(conn.protocol(), Some(want));
        assert_eq!(conn.alpn().as_deref(), Some(&b"http/1.1"[..]));
        assert_eq!(conn.get("/minio/health/live").unwrap(), 200);
    }
    let mut config = client_config(&ca, rustls::ALL_VERSIONS, None);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let conn = TlsClient::connect_with(server.addr, config).unwrap();
    assert_eq!(conn.alpn().as_deref(), Some(&b"h2"[..]), "h2 is offered");
}

/// A TLS 1.1 ClientHello (no supported_versions extension), as an old client sends it.
fn tls11_client_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x02]; // client_version TLS 1.1
    body.extend([7u8; 32]); // random
    body.push(0); // no session id
    let suites: [u16; 3] = [0x002f, 0x0035, 0xc013];
    body.extend(u16::try_from(suites.len() * 2).unwrap().to_be_bytes());
    for s in suites {
        body.extend(s.to_be_bytes());
    }
    body.extend([1, 0]); // compression: null
    let mut handshake = vec![1u8]; // ClientHello
    handshake.extend(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend(u16::try_from(handshake.len()).unwrap().to_be_bytes());
    record.extend(handshake);
    record
}

fn read_some(stream: &mut TcpStream) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend(&buf[..n]),
        }
    }
}

#[test]
fn tls_1_1_and_plaintext_are_refused() {
    let server = TlsServer::start(&[]);

    let mut old = TcpStream::connect(server.addr).unwrap();
    old.write_all(&tls11_client_hello()).unwrap();
    let answer = read_some(&mut old);
    assert_ne!(
        answer.first(),
        Some(&0x16),
        "no ServerHello for TLS 1.1: {answer:02x?}"
    );
    if !answer.is_empty() {
        // An alert record: protocol_version (70) or handshake_failure (40).
        assert_eq!(answer[0], 0x15, "{answer:02x?}");
        assert!(matches!(answer.get(6), Some(70 | 40)), "{answer:02x?}");
    }

    let mut plain = TcpStream::connect(server.addr).unwrap();
    plain
        .write_all(b"GET /minio/health/live HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let answer = read_some(&mut plain);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "plain HTTP must not be served on the HTTPS port: {:?}",
        String::from_utf8_lossy(&answer)
    );

    // The server is still fine afterwards.
    let mut conn = TlsClient::connect(server.addr, &server.ca.der(), None).unwrap();
    assert_eq!(conn.get("/minio/health/live").unwrap(), 200);
}

/// Opens new connections until one shows `want` as the server certificate.
fn wait_for_leaf(server: &TlsServer, want: &rustls::pki_types::CertificateDer<'_>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let conn = TlsClient::connect(server.addr, &server.ca.der(), None).unwrap();
        if conn.server_leaf() == *want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "new connections still get the old certificate\n--- log ---\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn certificate_reload_new_connections_new_cert_open_connections_kept() {
    let server = TlsServer::start(&[]);
    let ca = server.ca.der();

    let mut before = TlsClient::connect(server.addr, &ca, None).unwrap();
    assert_eq!(before.get("/minio/health/live").unwrap(), 200);
    let first_leaf = before.server_leaf();

    let second = server.ca.server_cert("server-2");
    install(&server.certs_dir, &second);
    wait_for_leaf(&server, &second.der);
    assert_ne!(first_leaf, second.der);

    // The connection opened before the swap goes on, on the same socket and session.
    for _ in 0..3 {
        assert_eq!(before.get("/minio/health/live").unwrap(), 200);
    }
    assert_eq!(before.server_leaf(), first_leaf);
    assert!(server.log().contains("reloaded the server certificate"));

    // A half-written replacement: the certificate file cut short. The old one stays.
    let third = server.ca.server_cert("server-3");
    let cut = &third.cert_pem.as_bytes()[..third.cert_pem.len() / 2];
    write_atomically(&server.certs_dir.join("public.crt"), cut);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server
        .log()
        .contains("cannot be used; still serving the previous one")
    {
        assert!(
            Instant::now() < deadline,
            "the broken replacement was not reported\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut after = TlsClient::connect(server.addr, &ca, None).unwrap();
    assert_eq!(after.server_leaf(), second.der, "the old certificate stays");
    assert_eq!(after.get("/minio/health/live").unwrap(), 200);

    // A key that does not belong to the certificate: also kept out.
    let fourth = server.ca.server_cert("server-4");
    let mut mismatched = fourth.clone();
    mismatched.key_pem = third.key_pem.clone();
    install(&server.certs_dir, &mismatched);
    std::thread::sleep(Duration::from_secs(6));
    let conn = TlsClient::connect(server.addr, &ca, None).unwrap();
    assert_eq!(conn.server_leaf(), second.der);
    assert!(server.log().contains("does not belong to the certificate"));

    // Fixing the files is picked up again.
    install(&server.certs_dir, &fourth);
    wait_for_leaf(&server, &fourth.der);
}

#[test]
fn identity_tls_requests_but_does_not_require_a_client_certificate() {
    let server = TlsServer::start(&[("MINIO_IDENTITY_TLS_ENABLE", "on")]);
    let ca = server.ca.der();
    let mut anonymous = TlsClient::connect(server.addr, &ca, None).unwrap();
    assert_eq!(anonymous.get("/minio/health/live").unwrap(), 200);

    // A certificate from a CA the server does not trust is still accepted at the TLS layer
    // (verification is AssumeRoleWithCertificate's job).
    let other = TestCa::new("some other CA");
    let client = other.client_cert("consoleAdmin");
    let mut with_cert = TlsClient::connect(server.addr, &ca, Some(&client)).unwrap();
    assert_eq!(with_cert.get("/minio/health/live").unwrap(), 200);
    assert!(
        server
            .log()
            .contains("HTTPS clients are asked (not required) for a certificate")
    );
}

#[test]
fn bad_certificate_files_are_start_up_errors_naming_the_file() {
    let (ok, log) = TlsServer::run_to_exit(|dir, ca| {
        let cert = ca.server_cert("a");
        let other = ca.server_cert("b");
        std::fs::write(dir.join("public.crt"), &cert.cert_pem).unwrap();
        std::fs::write(dir.join("private.key"), &other.key_pem).unwrap();
    });
    assert!(!ok);
    assert!(
        log.contains("private.key") && log.contains("does not belong to the certificate"),
        "{log}"
    );

    let (ok, log) = TlsServer::run_to_exit(|dir, _| {
        std::fs::write(dir.join("public.crt"), "not a certificate").unwrap();
        std::fs::write(dir.join("private.key"), "not a key").unwrap();
    });
    assert!(!ok);
    assert!(
        log.contains("public.crt") && log.contains("no PEM CERTIFICATE"),
        "{log}"
    );

    let (ok, log) = TlsServer::run_to_exit(|dir, ca| {
        std::fs::write(dir.join("public.crt"), ca.server_cert("a").cert_pem).unwrap();
    });
    assert!(!ok);
    assert!(log.contains("private.key: missing"), "{log}");
}

#[test]
fn a_client_that_never_finishes_the_handshake_is_dropped() {
    let server = TlsServer::start(&[]);
    let mut silent = TcpStream::connect(server.addr).unwrap();
    // Half a ClientHello, then nothing.
    let hello = tls11_client_hello();
    silent.write_all(&hello[..hello.len() / 2]).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let closed = loop {
        match silent.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    let waited = started.elapsed();
    assert!(
        closed,
        "the server kept a silent handshake open for {waited:?}"
    );
    assert!(
        waited >= Duration::from_secs(8) && waited < Duration::from_secs(20),
        "closed after {waited:?}; the handshake timeout is 10 s"
    );
    // Others are served meanwhile and afterwards.
    let mut conn = TlsClient::connect(server.addr, &server.ca.der(), None).unwrap();
    assert_eq!(conn.get("/minio/health/live").unwrap(), 200);
}
