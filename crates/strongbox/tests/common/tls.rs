//! HTTPS harness: an in-test CA (rcgen), a `strongbox server --certs-dir` process, and a small
//! rustls client that keeps one connection open and reports the certificate the server showed.
//!
//! Used with `mod common;` plus `#[path = "common/tls.rs"] mod tls_support;` (it builds on
//! `crate::common` (`mod common;` at the test crate root) for `free_port` and the root credentials).

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use crate::common::{ROOT_PASSWORD, ROOT_USER, free_port};

/// A test certificate authority.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, PEM.
#[derive(Clone)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: CertificateDer<'static>,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { issuer }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A server certificate for `localhost` and 127.0.0.1, subject CN `cn`.
    pub fn server_cert(&self, cn: &str) -> Issued {
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params)
    }

    /// A client certificate, subject CN `cn`.
    pub fn client_cert(&self, cn: &str) -> Issued {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(params)
    }

    fn issue(&self, params: CertificateParams) -> Issued {
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        }
    }
}

/// Writes `public.crt` and `private.key` into `dir` (each replaced by a rename, so the server
/// never reads a half-written file unless a test wants it to).
pub fn install(dir: &Path, cert: &Issued) {
    write_atomically(&dir.join("public.crt"), cert.cert_pem.as_bytes());
    write_atomically(&dir.join("private.key"), cert.key_pem.as_bytes());
}

pub fn write_atomically(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A `strongbox server --certs-dir` process. Dropping it kills the process.
pub struct TlsServer {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub certs_dir: PathBuf,
    pub ca: Arc<TestCa>,
    log_path: PathBuf,
    _root: tempfile::TempDir,
}

impl TlsServer {
    /// Starts with a certificate for CN `server-1` from a fresh CA; waits until a TLS request to
    /// `/minio/health/live` answers 200.
    pub fn start(extra_env: &[(&str, &str)]) -> Self {
        let ca = Arc::new(TestCa::new("strongbox test CA"));
        let root = tempfile::Builder::new()
            .prefix("strongbox-tls-")
            .tempdir()
            .unwrap();
        let certs_dir = root.path().join("certs");
        std::fs::create_dir_all(certs_dir.join("CAs")).unwrap();
        std::fs::write(certs_dir.join("CAs").join("ca.crt"), ca.pem()).unwrap();
        install(&certs_dir, &ca.server_cert("server-1"));
        let mut server = Self::prepare(root, certs_dir, ca);
        server.spawn(extra_env);
        server.wait_healthy();
        server
    }

    fn prepare(root: tempfile::TempDir, certs_dir: PathBuf, ca: Arc<TestCa>) -> Self {
        let log_path = root.path().join("server.log");
        Self {
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], free_port())),
            certs_dir,
            ca,
            log_path,
            _root: root,
        }
    }

    /// Runs the binary on a certificate directory prepared by `setup` and expects it to exit;
    /// returns (success, log).
    pub fn run_to_exit(setup: impl FnOnce(&Path, &TestCa)) -> (bool, String) {
        let ca = Arc::new(TestCa::new("strongbox test CA"));
        let root = tempfile::tempdir().unwrap();
        let certs_dir = root.path().join("certs");
        std::fs::create_dir_all(&certs_dir).unwrap();
        setup(&certs_dir, &ca);
        let mut server = Self::prepare(root, certs_dir, ca);
        server.spawn(&[]);
        let mut child = server.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (status.success(), server.log());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("strongbox kept running\n--- log ---\n{}", server.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn spawn(&mut self, extra_env: &[(&str, &str)]) {
        let data = self._root.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_strongbox"));
        cmd.arg("server")
            .arg("--address")
            .arg(self.addr.to_string())
            .arg("--certs-dir")
            .arg(&self.certs_dir)
            .arg(&data)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .env("MINIO_ROOT_USER", ROOT_USER)
            .env("MINIO_ROOT_PASSWORD", ROOT_PASSWORD)
            .env("STRONGBOX_LOG", "info")
            .env_remove("MINIO_IDENTITY_TLS_ENABLE")
            .env_remove("MINIO_CERTS_DIR");
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().expect("spawn strongbox"));
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "strongbox exited with {status}\n--- log ---\n{}",
                    self.log()
                );
            }
            if let Ok(mut conn) = TlsClient::connect(self.addr, &self.ca.der(), None)
                && conn.get("/minio/health/live").is_ok_and(|s| s == 200)
            {
                return;
            }
            if Instant::now() > deadline {
                panic!("no HTTPS health answer\n--- log ---\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Client configuration trusting `ca` (ring provider), optionally with a client certificate.
pub fn client_config(
    ca: &CertificateDer<'static>,
    versions: &[&'static rustls::SupportedProtocolVersion],
    client_cert: Option<&Issued>,
) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots);
    match client_cert {
        None => builder.with_no_client_auth(),
        Some(c) => {
            let key = PrivateKeyDer::from_pem_slice(c.key_pem.as_bytes()).unwrap();
            builder
                .with_client_auth_cert(vec![c.der.clone()], key)
                .unwrap()
        }
    }
}

/// One TLS connection with blocking HTTP/1.1 keep-alive requests.
pub struct TlsClient {
    stream: StreamOwned<ClientConnection, TcpStream>,
}

impl TlsClient {
    /// Connects (TLS 1.3 or 1.2) and completes the handshake.
    pub fn connect(
        addr: SocketAddr,
        ca: &CertificateDer<'static>,
        client_cert: Option<&Issued>,
    ) -> std::io::Result<Self> {
        Self::connect_with(addr, client_config(ca, rustls::ALL_VERSIONS, client_cert))
    }

    pub fn connect_with(addr: SocketAddr, config: ClientConfig) -> std::io::Result<Self> {
        let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
        let name = ServerName::try_from("localhost").unwrap();
        let conn = ClientConnection::new(Arc::new(config), name).map_err(std::io::Error::other)?;
        let mut stream = StreamOwned::new(conn, tcp);
        while stream.conn.is_handshaking() {
            stream
                .conn
                .complete_io(&mut stream.sock)
                .map_err(|e| std::io::Error::other(format!("handshake: {e}")))?;
        }
        Ok(Self { stream })
    }

    /// The certificate the server presented (leaf).
    pub fn server_leaf(&self) -> CertificateDer<'static> {
        self.stream.conn.peer_certificates().unwrap()[0].clone()
    }

    pub fn protocol(&self) -> Option<rustls::ProtocolVersion> {
        self.stream.conn.protocol_version()
    }

    pub fn alpn(&self) -> Option<Vec<u8>> {
        self.stream.conn.alpn_protocol().map(<[u8]>::to_vec)
    }

    /// `GET path` on this connection, keeping it open; returns the status.
    pub fn get(&mut self, path: &str) -> std::io::Result<u16> {
        write!(
            self.stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n"
        )?;
        self.stream.flush()?;
        // Read the head, then exactly Content-Length bytes of body.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if self.stream.read(&mut byte)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            head.push(byte[0]);
            if head.len() > 64 * 1024 {
                return Err(std::io::Error::other("response head too long"));
            }
        }
        let head = String::from_utf8_lossy(&head).to_string();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line: {head}")))?;
        let len = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body)?;
        Ok(status)
    }
}
