//! `AssumeRoleWithCertificate` end to end (issue 7, spec §9): the real binary serving HTTPS from
//! a certificate directory whose `CAs/` holds an in-test root (rcgen), with
//! `MINIO_IDENTITY_TLS_ENABLE=on`, driven by MinIO's documented `curl` call:
//!
//! - the returned credentials work for S3 (aws-sdk-rust over HTTPS) within the policy the
//!   certificate's CN names, and not beyond;
//! - credentials never outlive the certificate;
//! - every refusal, over the wire, with its code: plain HTTP, disabled, no certificate, another
//!   CA, expired, not yet valid, serverAuth only, empty CN, CN naming no policy, 11 intermediate
//!   CAs (10 accepted), DurationSeconds 899 and 31536001;
//! - `MINIO_IDENTITY_TLS_SKIP_VERIFY=on` takes a certificate of any CA (still not a serverAuth
//!   one) and warns at start-up.
//!
//! Needs `curl` (test.sh installs it).

mod common;

use std::fs::File;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use common::{REGION, ROOT_PASSWORD, ROOT_USER, free_port};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose as Eku,
    IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use time::OffsetDateTime;

const STS_QUERY: &str = "Action=AssumeRoleWithCertificate&Version=2011-06-15";

// ---------------------------------------------------------------------------------------------
// A throwaway PKI.
// ---------------------------------------------------------------------------------------------

struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn dn(cn: Option<&str>) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    if let Some(cn) = cn {
        dn.push(DnType::CommonName, cn);
    }
    dn
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(Some(cn));
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = OffsetDateTime::now_utc() - time::Duration::days(1);
    p.not_after = OffsetDateTime::now_utc() + time::Duration::days(365);
    p
}

impl Ca {
    fn root(cn: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(cn);
        let pem = params.self_signed(&key).unwrap().pem();
        Self {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    fn intermediate(&self, cn: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(cn);
        let pem = params.signed_by(&key, &self.issuer).unwrap().pem();
        Self {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// `(certificate PEM, key PEM)` for 127.0.0.1 / localhost.
    fn server(&self) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        p.subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        p.distinguished_name = dn(Some("strongbox"));
        p.extended_key_usages = vec![Eku::ServerAuth];
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    fn client(&self, spec: &Spec<'_>) -> ClientCert {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::default();
        p.distinguished_name = dn(spec.cn);
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = spec.usages.to_vec();
        p.not_before = spec.not_before;
        p.not_after = spec.not_after;
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        ClientCert {
            chain_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            not_after: spec.not_after,
        }
    }
}

struct Spec<'a> {
    cn: Option<&'a str>,
    usages: &'a [Eku],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl<'a> Spec<'a> {
    fn named(cn: &'a str) -> Self {
        Self {
            cn: Some(cn),
            usages: &[Eku::ClientAuth],
            not_before: OffsetDateTime::now_utc() - time::Duration::hours(1),
            not_after: OffsetDateTime::now_utc() + time::Duration::days(30),
        }
    }
}

struct ClientCert {
    /// The leaf, then any intermediates (what curl sends).
    chain_pem: String,
    key_pem: String,
    not_after: OffsetDateTime,
}

impl ClientCert {
    fn with_intermediates(mut self, cas: &[&Ca]) -> Self {
        for ca in cas {
            self.chain_pem.push_str(&ca.pem);
        }
        self
    }
}

// ---------------------------------------------------------------------------------------------
// The server and the documented client call.
// ---------------------------------------------------------------------------------------------

struct Server {
    child: Child,
    addr: SocketAddr,
    https: bool,
    dir: tempfile::TempDir,
}

impl Server {
    /// HTTPS with a server certificate from `ca` and `ca` alone in `CAs/` (or plain HTTP with
    /// no certificate directory when `ca` is `None`).
    fn start(ca: Option<&Ca>, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("strongbox-cert-sts-")
            .tempdir()
            .unwrap();
        let certs = dir.path().join("certs");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let log = File::create(dir.path().join("server.log")).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_strongbox"));
        cmd.arg("server").arg("--address").arg(addr.to_string());
        if let Some(ca) = ca {
            std::fs::create_dir_all(certs.join("CAs")).unwrap();
            std::fs::write(certs.join("CAs").join("root.crt"), &ca.pem).unwrap();
            let (cert, key) = ca.server();
            std::fs::write(certs.join("public.crt"), cert).unwrap();
            std::fs::write(certs.join("private.key"), key).unwrap();
            std::fs::write(dir.path().join("ca.pem"), &ca.pem).unwrap();
            cmd.arg("--certs-dir").arg(&certs);
        }
        cmd.arg(&data)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .env("MINIO_ROOT_USER", ROOT_USER)
            .env("MINIO_ROOT_PASSWORD", ROOT_PASSWORD)
            .env("STRONGBOX_LOG", "info")
            .env_remove("HOME")
            .env_remove("MINIO_CERTS_DIR")
            .env_remove("MINIO_IDENTITY_TLS_ENABLE")
            .env_remove("MINIO_IDENTITY_TLS_SKIP_VERIFY")
            .env_remove("MINIO_REGION");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut server = Self {
            child: cmd.spawn().expect("spawn strongbox"),
            addr,
            https: ca.is_some(),
            dir,
        };
        server.wait_healthy();
        server
    }

    fn endpoint(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("strongbox exited with {status}\n{}", self.log());
            }
            let (status, _) = self.curl(&["-X", "GET"], "/minio/health/live", None);
            if status == 200 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no health answer\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `curl [args] [--cert --key] URL`; returns (HTTP status, body). Status 0: no HTTP answer.
    fn curl(
        &self,
        args: &[&str],
        path_and_query: &str,
        cert: Option<&ClientCert>,
    ) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--max-time", "20", "-w", "\n%{http_code}"]);
        cmd.args(args);
        if self.https {
            cmd.arg("--cacert").arg(self.dir.path().join("ca.pem"));
        }
        let tmp;
        if let Some(cert) = cert {
            tmp = tempfile::tempdir_in(self.dir.path()).unwrap();
            let (c, k) = (
                tmp.path().join("public.crt"),
                tmp.path().join("private.key"),
            );
            std::fs::write(&c, &cert.chain_pem).unwrap();
            std::fs::write(&k, &cert.key_pem).unwrap();
            cmd.arg("--key").arg(k).arg("--cert").arg(c);
        }
        cmd.arg(format!("{}{path_and_query}", self.endpoint()));
        let out = cmd
            .output()
            .expect("curl is needed for these tests (test.sh installs it)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        (code.trim().parse().unwrap_or(0), body.to_owned())
    }

    /// MinIO's documented call: `curl -X POST --key .. --cert .. "https://..?Action=..."`.
    fn assume(&self, cert: Option<&ClientCert>, extra_query: &str) -> (u16, String) {
        self.curl(
            &["-X", "POST"],
            &format!("/?{STS_QUERY}{extra_query}"),
            cert,
        )
    }

    fn s3(&self, creds: Credentials) -> aws_sdk_s3::Client {
        let ca_pem = std::fs::read(self.dir.path().join("ca.pem")).unwrap();
        let trust = TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(ca_pem);
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(
                TlsContext::builder()
                    .with_trust_store(trust)
                    .build()
                    .unwrap(),
            )
            .build_https();
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(creds)
            .force_path_style(true)
            .http_client(http)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of the first `<name>` element.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

fn credentials(xml: &str) -> Credentials {
    Credentials::new(
        element(xml, "AccessKeyId").unwrap(),
        element(xml, "SecretAccessKey").unwrap(),
        Some(element(xml, "SessionToken").unwrap().to_owned()),
        None,
        "certificate",
    )
}

fn expiration(xml: &str) -> OffsetDateTime {
    let text = element(xml, "Expiration").unwrap();
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
}

fn assert_refused(server: &Server, what: &str, answer: (u16, String), status: u16, code: &str) {
    let (got_status, body) = answer;
    assert_eq!(
        (got_status, element(&body, "Code")),
        (status, Some(code)),
        "{what}: {body}\n--- log ---\n{}",
        server.log()
    );
    assert!(body.contains("<ErrorResponse"), "{what}: {body}");
}

fn root_s3(server: &Server) -> aws_sdk_s3::Client {
    server.s3(Credentials::new(
        ROOT_USER,
        ROOT_PASSWORD,
        None,
        None,
        "root",
    ))
}

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn documented_curl_call_gives_credentials_limited_to_the_cn_policy() {
    let ca = Ca::root("Strongbox Test Root");
    let server = Server::start(Some(&ca), &[("MINIO_IDENTITY_TLS_ENABLE", "on")]);
    let root = root_s3(&server);
    let bucket = common::bucket_name("cert");
    root.create_bucket().bucket(&bucket).send().await.unwrap();
    root.put_object()
        .bucket(&bucket)
        .key("report.txt")
        .body(ByteStream::from_static(b"quarterly numbers"))
        .send()
        .await
        .unwrap();

    // CN = readonly: MinIO's canned read-only policy.
    let cert = ca.client(&Spec::named("readonly"));
    let (status, xml) = server.assume(Some(&cert), "&DurationSeconds=3600");
    assert_eq!(status, 200, "{xml}\n{}", server.log());
    assert!(
        xml.contains("<AssumeRoleWithCertificateResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithCertificateResult><Credentials><AccessKeyId>"),
        "{xml}"
    );
    let now = OffsetDateTime::now_utc();
    let expires = expiration(&xml);
    assert!(
        (expires - (now + time::Duration::hours(1))).abs() < time::Duration::minutes(1),
        "{expires}"
    );

    let s3 = server.s3(credentials(&xml));
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("report.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"quarterly numbers"
    );
    // MinIO's readonly grants s3:GetObject and s3:GetBucketLocation only: no listing, no
    // writing.
    s3.get_bucket_location()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let denied = s3
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        denied.as_service_error().and_then(|e| e.meta().code()),
        Some("AccessDenied"),
        "{denied:?}"
    );
    let denied = s3
        .put_object()
        .bucket(&bucket)
        .key("forged.txt")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        denied.as_service_error().and_then(|e| e.meta().code()),
        Some("AccessDenied"),
        "{denied:?}"
    );
    // The same credentials without their session token are nobody.
    let bare = Credentials::new(
        element(&xml, "AccessKeyId").unwrap(),
        element(&xml, "SecretAccessKey").unwrap(),
        None,
        None,
        "no-token",
    );
    assert!(
        server
            .s3(bare)
            .get_object()
            .bucket(&bucket)
            .key("report.txt")
            .send()
            .await
            .is_err()
    );
    // Root's S3 over the same HTTPS port is unaffected by client-certificate requests.
    root.head_object()
        .bucket(&bucket)
        .key("report.txt")
        .send()
        .await
        .unwrap();
}

#[test]
fn credentials_never_outlive_the_certificate() {
    let ca = Ca::root("Strongbox Test Root");
    let server = Server::start(Some(&ca), &[("MINIO_IDENTITY_TLS_ENABLE", "on")]);
    let cert = ca.client(&Spec {
        not_after: OffsetDateTime::now_utc() + time::Duration::minutes(20),
        ..Spec::named("readonly")
    });
    let (status, xml) = server.assume(Some(&cert), "&DurationSeconds=3600");
    assert_eq!(status, 200, "{xml}");
    let expires = expiration(&xml);
    let cert_end = cert.not_after.replace_nanosecond(0).unwrap();
    assert!(expires <= cert_end, "{expires} > {cert_end}");
    assert!(cert_end - expires < time::Duration::seconds(5), "{expires}");
}

#[test]
fn every_refusal_over_the_wire() {
    let ca = Ca::root("Strongbox Test Root");
    let server = Server::start(Some(&ca), &[("MINIO_IDENTITY_TLS_ENABLE", "on")]);
    let now = OffsetDateTime::now_utc();
    let good = ca.client(&Spec::named("readonly"));

    assert_refused(
        &server,
        "no certificate",
        server.assume(None, ""),
        400,
        "MissingParameter",
    );
    let other = Ca::root("Some Other Root").client(&Spec::named("readonly"));
    assert_refused(
        &server,
        "another CA",
        server.assume(Some(&other), ""),
        400,
        "InvalidClientCertificate",
    );
    let expired = ca.client(&Spec {
        not_before: now - time::Duration::days(10),
        not_after: now - time::Duration::days(1),
        ..Spec::named("readonly")
    });
    assert_refused(
        &server,
        "expired",
        server.assume(Some(&expired), ""),
        400,
        "InvalidClientCertificate",
    );
    let early = ca.client(&Spec {
        not_before: now + time::Duration::days(1),
        ..Spec::named("readonly")
    });
    assert_refused(
        &server,
        "not yet valid",
        server.assume(Some(&early), ""),
        400,
        "InvalidClientCertificate",
    );
    let server_only = ca.client(&Spec {
        usages: &[Eku::ServerAuth],
        ..Spec::named("readonly")
    });
    assert_refused(
        &server,
        "serverAuth only",
        server.assume(Some(&server_only), ""),
        400,
        "InvalidClientCertificate",
    );
    let no_cn = ca.client(&Spec {
        cn: None,
        ..Spec::named("x")
    });
    let (status, body) = server.assume(Some(&no_cn), "");
    assert_refused(
        &server,
        "empty CN",
        (status, body.clone()),
        400,
        "MissingParameter",
    );
    assert!(
        body.contains("certificate subject CN cannot be empty"),
        "{body}"
    );
    let unknown = ca.client(&Spec::named("no-such-policy"));
    assert_refused(
        &server,
        "CN naming no policy",
        server.assume(Some(&unknown), ""),
        400,
        "InvalidParameterValue",
    );
    for bad in ["899", "31536001"] {
        assert_refused(
            &server,
            &format!("DurationSeconds={bad}"),
            server.assume(Some(&good), &format!("&DurationSeconds={bad}")),
            400,
            "MissingParameter",
        );
    }

    // A path of 2 intermediates plus 8 more CAs of the PKI: 10 are accepted, 11 are not.
    let i1 = ca.intermediate("Intermediate 1");
    let i2 = i1.intermediate("Intermediate 2");
    let siblings: Vec<Ca> = (0..9)
        .map(|i| ca.intermediate(&format!("Sibling {i}")))
        .collect();
    let mut ten: Vec<&Ca> = vec![&i2, &i1];
    ten.extend(siblings.iter().take(8));
    let cert = i2.client(&Spec::named("readonly")).with_intermediates(&ten);
    let (status, xml) = server.assume(Some(&cert), "");
    assert_eq!(status, 200, "10 intermediates: {xml}\n{}", server.log());
    let mut eleven = ten.clone();
    eleven.push(&siblings[8]);
    let cert = i2
        .client(&Spec::named("readonly"))
        .with_intermediates(&eleven);
    assert_refused(
        &server,
        "11 intermediates",
        server.assume(Some(&cert), ""),
        400,
        "TooManyIntermediateCAs",
    );

    // The good certificate still works after all that.
    let (status, xml) = server.assume(Some(&good), "");
    assert_eq!(status, 200, "{xml}");
}

#[test]
fn plain_http_is_an_insecure_connection() {
    let server = Server::start(None, &[("MINIO_IDENTITY_TLS_ENABLE", "on")]);
    assert_refused(
        &server,
        "plain HTTP",
        server.assume(None, ""),
        400,
        "InsecureConnection",
    );
}

/// MinIO 9ea45399c (spec §17.2 #23): the action is off unless explicitly enabled.
#[test]
fn minio_9ea45399c_disabled_unless_enabled() {
    let ca = Ca::root("Strongbox Test Root");
    let server = Server::start(Some(&ca), &[]);
    let cert = ca.client(&Spec::named("readonly"));
    assert_refused(
        &server,
        "MINIO_IDENTITY_TLS_ENABLE unset",
        server.assume(Some(&cert), ""),
        503,
        "STSNotInitialized",
    );
}

#[test]
fn skip_verify_takes_any_ca_but_not_a_server_certificate_and_warns() {
    let ca = Ca::root("Strongbox Test Root");
    let server = Server::start(
        Some(&ca),
        &[
            ("MINIO_IDENTITY_TLS_ENABLE", "on"),
            ("MINIO_IDENTITY_TLS_SKIP_VERIFY", "on"),
        ],
    );
    assert!(
        server
            .log()
            .contains("DANGER: MINIO_IDENTITY_TLS_SKIP_VERIFY=on"),
        "{}",
        server.log()
    );
    let other = Ca::root("Anyone's Root").client(&Spec::named("readonly"));
    let (status, xml) = server.assume(Some(&other), "");
    assert_eq!(status, 200, "{xml}");
    let server_only = Ca::root("Anyone's Root").client(&Spec {
        usages: &[Eku::ServerAuth],
        ..Spec::named("readonly")
    });
    assert_refused(
        &server,
        "serverAuth only, skip verify",
        server.assume(Some(&server_only), ""),
        400,
        "InvalidClientCertificate",
    );
}
