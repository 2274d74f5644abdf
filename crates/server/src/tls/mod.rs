//! HTTPS: the certificate directory (MinIO's layout), the rustls server configuration, certificate
//! hot reload, and whether client certificates are requested.
//!
//! - [`ServerTls::setup`] decides HTTP or HTTPS from [`TlsConfig`] and loads the certificate
//!   (a bad file is a start-up error naming it).
//! - TLS 1.3 and 1.2 only, ring provider, ALPN `h2` and `http/1.1`.
//! - With `MINIO_IDENTITY_TLS_ENABLE=on` the listener requests a client certificate (never
//!   requires one) and hands the chain, unverified, to the request in
//!   [`crate::http::ConnectionInfo::peer_certificates`]; [`load_cas`] reads the roots the
//!   certificate identity provider verifies it against.

mod client_auth;
mod describe;
mod files;
mod reload;

pub use self::client_auth::DangerRequestAnyClientCert;
pub use self::describe::CertSummary;
pub use self::files::{TlsError, load_cas, read_certificates, read_private_key};
pub use self::reload::{CertFiles, POLL_INTERVAL, ReloadingCert};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::server::ServerConfig;
use tokio_rustls::TlsAcceptor;

use crate::config::tls::{CAS_DIR, PRIVATE_KEY_FILE, PUBLIC_CERT_FILE, TlsConfig};

/// ALPN protocols offered, in preference order.
pub const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// The crypto provider of every TLS endpoint here: ring (no aws-lc, no OpenSSL).
#[must_use]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A loaded HTTPS setup: what the listener needs to accept TLS connections.
#[derive(Clone)]
pub struct ServerTls {
    acceptor: TlsAcceptor,
    cert: Arc<ReloadingCert>,
    certs_dir: PathBuf,
    client_certificates: bool,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("certs_dir", &self.certs_dir)
            .field("client_certificates", &self.client_certificates)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// HTTPS when the certificate directory holds `public.crt` and `private.key`; `Ok(None)`
    /// (plain HTTP) when it holds neither or the default directory does not exist. Logs what it
    /// decided. Blocking file I/O.
    pub fn setup(config: &TlsConfig) -> Result<Option<Self>, TlsError> {
        let Some(dir) = config.certs_dir.as_deref() else {
            tracing::info!("no certificate directory (HOME is unset and none given): plain HTTP");
            warn_identity_tls_needs_https(config);
            return Ok(None);
        };
        if !dir.is_dir() {
            if config.certs_dir_named {
                return Err(TlsError::new(dir, "certificate directory does not exist"));
            }
            tracing::debug!(dir = %dir.display(), "no certificate directory: plain HTTP");
            warn_identity_tls_needs_https(config);
            return Ok(None);
        }
        let files = CertFiles {
            cert: dir.join(PUBLIC_CERT_FILE),
            key: dir.join(PRIVATE_KEY_FILE),
        };
        match (files.cert.exists(), files.key.exists()) {
            (false, false) => {
                tracing::info!(
                    dir = %dir.display(),
                    "no {PUBLIC_CERT_FILE} and {PRIVATE_KEY_FILE} in the certificate directory: plain HTTP"
                );
                warn_identity_tls_needs_https(config);
                return Ok(None);
            }
            (true, false) => return Err(TlsError::new(&files.key, "missing")),
            (false, true) => return Err(TlsError::new(&files.cert, "missing")),
            (true, true) => {}
        }
        Self::from_files(files, dir, config.identity_tls).map(Some)
    }

    /// HTTPS with these files (and `certs_dir/CAs` for client-certificate hints).
    pub fn from_files(
        files: CertFiles,
        certs_dir: &Path,
        client_certificates: bool,
    ) -> Result<Self, TlsError> {
        let provider = provider();
        let (cert, summary) = ReloadingCert::load(files, Arc::clone(&provider))?;
        let cert = Arc::new(cert);
        reload::log_loaded(
            "HTTPS with the certificate in the certificate directory",
            &summary,
        );

        let versions = [&rustls::version::TLS13, &rustls::version::TLS12];
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&versions)
            .map_err(|e| TlsError::new(certs_dir, format!("TLS set-up: {e}")))?;
        let builder = if client_certificates {
            let cas_dir = certs_dir.join(CAS_DIR);
            let cas = load_cas(&cas_dir)?;
            let mut roots = RootCertStore::empty();
            let (_, unusable) = roots.add_parsable_certificates(cas.iter().cloned());
            if unusable > 0 {
                tracing::warn!(
                    dir = %cas_dir.display(),
                    unusable,
                    "some certificates in the CAs directory are not usable as trust anchors"
                );
            }
            tracing::info!(
                trusted_cas = roots.len(),
                "MINIO_IDENTITY_TLS_ENABLE: HTTPS clients are asked (not required) for a certificate"
            );
            builder.with_client_cert_verifier(Arc::new(DangerRequestAnyClientCert::new(
                roots.subjects(),
                provider.signature_verification_algorithms,
            )))
        } else {
            builder.with_no_client_auth()
        };
        let mut server_config = builder.with_cert_resolver(Arc::clone(&cert) as _);
        server_config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(server_config)),
            cert,
            certs_dir: certs_dir.to_path_buf(),
            client_certificates,
        })
    }

    /// Accepts TLS on accepted TCP connections.
    #[must_use]
    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// The certificate in use, reloadable.
    #[must_use]
    pub fn certificate(&self) -> &Arc<ReloadingCert> {
        &self.cert
    }

    /// The certificate directory.
    #[must_use]
    pub fn certs_dir(&self) -> &Path {
        &self.certs_dir
    }

    /// Whether client certificates are requested.
    #[must_use]
    pub fn requests_client_certificates(&self) -> bool {
        self.client_certificates
    }
}

fn warn_identity_tls_needs_https(config: &TlsConfig) {
    if config.identity_tls {
        tracing::warn!(
            "MINIO_IDENTITY_TLS_ENABLE is on but the server speaks plain HTTP: \
             AssumeRoleWithCertificate needs HTTPS (public.crt and private.key in the certificate directory)"
        );
    }
}

#[cfg(test)]
mod tests;
