//! The listener's TLS set-up, in memory: client certificates are requested, not required, passed
//! on unverified, and the handshake signature is still checked.

use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::client::ResolvesClientCert;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, SignatureScheme};
use tokio_rustls::TlsConnector;

use super::*;

struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
}

struct Issued {
    der: CertificateDer<'static>,
    pem: String,
    key: KeyPair,
}

impl Pki {
    fn new(cn: &str) -> Self {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        Self {
            ca: CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    fn issue(&self, cn: &str, eku: ExtendedKeyUsagePurpose) -> Issued {
        let mut p = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.extended_key_usages = vec![eku];
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.ca).unwrap();
        Issued {
            der: cert.der().clone(),
            pem: cert.pem(),
            key,
        }
    }
}

/// A certificate directory with a server certificate and `CAs/` holding `trusted`.
fn server_tls(
    server_ca: &Pki,
    trusted: &Pki,
    client_certificates: bool,
) -> (tempfile::TempDir, ServerTls) {
    let dir = tempfile::tempdir().unwrap();
    let server = server_ca.issue("server", ExtendedKeyUsagePurpose::ServerAuth);
    std::fs::write(dir.path().join("public.crt"), &server.pem).unwrap();
    std::fs::write(dir.path().join("private.key"), server.key.serialize_pem()).unwrap();
    std::fs::create_dir(dir.path().join("CAs")).unwrap();
    std::fs::write(dir.path().join("CAs/root.pem"), trusted.ca.pem()).unwrap();
    let config = TlsConfig {
        certs_dir: Some(dir.path().to_path_buf()),
        certs_dir_named: true,
        identity_tls: client_certificates,
    };
    let tls = ServerTls::setup(&config).unwrap().expect("HTTPS");
    (dir, tls)
}

/// A client certificate resolver that records the CA hints it was given and may present a key
/// that does not belong to its certificate.
#[derive(Debug)]
struct Presenter {
    key: Option<Arc<CertifiedKey>>,
    hints: Mutex<Vec<Vec<u8>>>,
}

impl ResolvesClientCert for Presenter {
    fn resolve(&self, hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        *self.hints.lock().unwrap() = hints.iter().map(|h| h.to_vec()).collect();
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}

fn presenter(cert: Option<&Issued>, signing_key: Option<&KeyPair>) -> Arc<Presenter> {
    let key = cert.map(|c| {
        let k = signing_key.unwrap_or(&c.key);
        let der = PrivateKeyDer::from_pem_slice(k.serialize_pem().as_bytes()).unwrap();
        let signer = provider().key_provider.load_private_key(der).unwrap();
        Arc::new(CertifiedKey::new(vec![c.der.clone()], signer))
    });
    Arc::new(Presenter {
        key,
        hints: Mutex::new(Vec::new()),
    })
}

/// Handshakes in memory; the server side's outcome: the peer chain, or the error.
async fn handshake(
    tls: &ServerTls,
    server_ca: &Pki,
    client: Arc<Presenter>,
) -> Result<Option<Vec<CertificateDer<'static>>>, String> {
    let mut roots = RootCertStore::empty();
    roots.add(server_ca.ca.der().clone()).unwrap();
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_cert_resolver(client);
    let connector = TlsConnector::from(Arc::new(config));
    let (c, s) = tokio::io::duplex(64 * 1024);
    let acceptor = tls.acceptor().clone();
    let server = tokio::spawn(async move {
        let mut stream = acceptor.accept(s).await.map_err(|e| e.to_string())?;
        // TLS 1.3: the client's certificate and signature arrive with its Finished, which the
        // accept above has read; answer so the client's side completes too.
        tokio::io::AsyncWriteExt::write_all(&mut stream, b"ok")
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(stream.get_ref().1.peer_certificates().map(<[_]>::to_vec))
    });
    let name = ServerName::try_from("localhost").unwrap();
    let client = connector.connect(name, c).await;
    let server = server.await.unwrap();
    if let Ok(mut stream) = client {
        let mut buf = [0u8; 2];
        let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
    }
    server
}

#[tokio::test]
async fn client_certificate_requested_not_required_and_passed_unverified() {
    let server_ca = Pki::new("server CA");
    let trusted = Pki::new("trusted client CA");
    let (_dir, tls) = server_tls(&server_ca, &trusted, true);
    assert!(tls.requests_client_certificates());

    // No certificate: served, nothing passed on.
    let none = handshake(&tls, &server_ca, presenter(None, None))
        .await
        .unwrap();
    assert_eq!(none, None);

    // A certificate from a CA the server does not trust: accepted at this layer, passed on as
    // sent (the certificate identity provider refuses it later).
    let stranger =
        Pki::new("unknown CA").issue("consoleAdmin", ExtendedKeyUsagePurpose::ClientAuth);
    let client = presenter(Some(&stranger), None);
    let chain = handshake(&tls, &server_ca, Arc::clone(&client))
        .await
        .unwrap();
    assert_eq!(chain, Some(vec![stranger.der.clone()]));

    // The CertificateRequest named the trusted CA (its subject, DER) as a hint.
    let hints = client.hints.lock().unwrap().clone();
    assert_eq!(hints.len(), 1, "{hints:?}");
    let subject = x509_parser::parse_x509_certificate(trusted.ca.der())
        .unwrap()
        .1
        .subject()
        .as_raw()
        .to_vec();
    assert_eq!(hints[0], subject);
}

#[tokio::test]
async fn a_certificate_without_its_private_key_fails_the_handshake() {
    let server_ca = Pki::new("server CA");
    let (_dir, tls) = server_tls(&server_ca, &server_ca, true);
    let victim = server_ca.issue("consoleAdmin", ExtendedKeyUsagePurpose::ClientAuth);
    let thief_key = KeyPair::generate().unwrap();
    let err = handshake(&tls, &server_ca, presenter(Some(&victim), Some(&thief_key)))
        .await
        .unwrap_err();
    assert!(
        err.to_lowercase().contains("signature"),
        "the handshake signature is checked: {err}"
    );
}

#[tokio::test]
async fn without_identity_tls_no_certificate_is_requested() {
    let server_ca = Pki::new("server CA");
    let (_dir, tls) = server_tls(&server_ca, &server_ca, false);
    let cert = server_ca.issue("consoleAdmin", ExtendedKeyUsagePurpose::ClientAuth);
    let client = presenter(Some(&cert), None);
    let chain = handshake(&tls, &server_ca, Arc::clone(&client))
        .await
        .unwrap();
    assert_eq!(chain, None);
}

#[test]
fn plain_http_when_the_directory_holds_no_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let config = |named| TlsConfig {
        certs_dir: Some(dir.path().to_path_buf()),
        certs_dir_named: named,
        identity_tls: false,
    };
    assert!(ServerTls::setup(&config(true)).unwrap().is_none());
    let missing = TlsConfig {
        certs_dir: Some(dir.path().join("nope")),
        certs_dir_named: false,
        identity_tls: false,
    };
    assert!(
        ServerTls::setup(&missing).unwrap().is_none(),
        "default dir absent: HTTP"
    );
    let named_missing = TlsConfig {
        certs_dir_named: true,
        ..missing
    };
    let err = ServerTls::setup(&named_missing).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[test]
fn load_cas_reads_every_file_and_names_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    assert!(load_cas(&dir.path().join("absent")).unwrap().is_empty());
    let (a, b) = (Pki::new("a"), Pki::new("b"));
    std::fs::write(dir.path().join("a.crt"), a.ca.pem()).unwrap();
    std::fs::write(
        dir.path().join("b.pem"),
        format!("{}{}", b.ca.pem(), a.ca.pem()),
    )
    .unwrap();
    std::fs::write(dir.path().join(".hidden"), "ignored").unwrap();
    let cas = load_cas(dir.path()).unwrap();
    assert_eq!(
        cas,
        vec![a.ca.der().clone(), b.ca.der().clone(), a.ca.der().clone()]
    );
    std::fs::write(dir.path().join("c.txt"), "not PEM").unwrap();
    let err = load_cas(dir.path()).unwrap_err();
    assert!(err.path.ends_with("c.txt"), "{err}");
}
