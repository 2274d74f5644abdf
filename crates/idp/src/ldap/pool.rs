//! Connections to the directory: opened with a deadline, reused, replaced when they break.
//!
//! - [`SearchPool`]: `pool_size` connections bound as the lookup account. An `ldap3` handle
//!   multiplexes operations, so each connection serves many searches at once; requests are
//!   spread round-robin. A connection that fails or times out is dropped and the next request
//!   on its slot opens (and binds) a new one, so a directory that comes back is used again
//!   without a restart.
//! - [`BindPool`]: connections used only for the users' own binds (a bind changes the whole
//!   connection's identity, so each is used by one login at a time; at most `pool_size` at
//!   once, idle ones kept for the next login). They never search.
//!
//! Every operation runs under `op_timeout`, every connect under `connect_timeout`. A reused
//! connection that turns out to be dead is retried once on a fresh one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, SearchOptions};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::sync::{Mutex, Semaphore};

use super::config::{LdapConfig, Secret, Transport};

/// Largest CA bundle read from `root_cas`.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// Why an operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpError {
    /// No usable connection: refused, reset, closed, TLS failure or no answer in time.
    Down(String),
    /// The server answered with this result code (and diagnostic text).
    Code(u32, String),
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Down(m) => write!(f, "{m}"),
            Self::Code(rc, t) if t.is_empty() => write!(f, "LDAP result code {rc}"),
            Self::Code(rc, t) => write!(f, "LDAP result code {rc}: {t}"),
        }
    }
}

fn from_ldap(e: ldap3::LdapError) -> OpError {
    match e {
        ldap3::LdapError::LdapResult { result } => OpError::Code(result.rc, result.text),
        other => OpError::Down(other.to_string()),
    }
}

/// Runs one operation under `limit`.
async fn timed<T>(
    limit: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, ldap3::LdapError>>,
) -> Result<T, OpError> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r.map_err(from_ldap),
        Err(_) => Err(OpError::Down(format!("{what}: no answer within {limit:?}"))),
    }
}

/// Opens connections to the configured server.
pub(crate) struct Connector {
    url: String,
    transport: Transport,
    tls: Option<Arc<rustls::ClientConfig>>,
    connect_timeout: Duration,
    pub(crate) op_timeout: Duration,
}

impl Connector {
    pub(crate) fn new(cfg: &LdapConfig) -> Result<Self, String> {
        let transport = cfg.transport();
        let tls = match transport {
            Transport::DangerPlain => None,
            _ => Some(tls_config(cfg)?),
        };
        Ok(Self {
            url: cfg.url(),
            transport,
            tls,
            connect_timeout: cfg.connect_timeout,
            op_timeout: cfg.op_timeout,
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// A new connection (TCP, then TLS or StartTLS as configured), not yet bound.
    pub(crate) async fn open(&self) -> Result<Ldap, OpError> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(self.connect_timeout)
            .set_starttls(self.transport == Transport::StartTls);
        if let Some(tls) = &self.tls {
            settings = settings.set_config(tls.clone());
        }
        let connect = LdapConnAsync::with_settings(settings, &self.url);
        let (conn, ldap) = timed(self.connect_timeout, "connect", connect)
            .await
            .map_err(|e| match e {
                OpError::Code(rc, t) => OpError::Down(format!("StartTLS refused ({rc}): {t}")),
                down => down,
            })?;
        tokio::spawn(async move {
            if let Err(e) = conn.drive().await {
                tracing::debug!(error = %e, "LDAP connection closed");
            }
        });
        Ok(ldap)
    }
}

/// rustls with the ring provider, TLS 1.2 or later, the system's roots plus `root_cas`.
fn tls_config(cfg: &LdapConfig) -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS setup: {e}"))?;
    if cfg.tls_skip_verify {
        return Ok(Arc::new(
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(DangerAnyCertificate(provider)))
                .with_no_client_auth(),
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // Certificates the parser does not accept are skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if let Some(path) = &cfg.root_cas {
        use std::io::Read as _;
        let mut pem = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_CA_FILE_BYTES).read_to_end(&mut pem))
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| format!("{}: {e}", path.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            added += 1;
        }
        if added == 0 {
            return Err(format!("{} holds no PEM certificate", path.display()));
        }
    }
    Ok(Arc::new(
        builder.with_root_certificates(roots).with_no_client_auth(),
    ))
}

/// `TLS_SKIP_VERIFY=on`: any certificate is accepted (the handshake signature is still
/// checked, so the server at least holds the key of the certificate it shows).
#[derive(Debug)]
struct DangerAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for DangerAnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Binds `ldap` as `dn`; `Ok(false)` when the server refuses the credentials.
async fn bind(ldap: &mut Ldap, dn: &str, password: &str, limit: Duration) -> Result<bool, OpError> {
    let res = timed(limit, "bind", ldap.simple_bind(dn, password)).await?;
    match res.rc {
        0 => Ok(true),
        // invalidCredentials, inappropriateAuthentication, insufficientAccessRights,
        // unwillingToPerform, constraintViolation (password policy), noSuchObject.
        49 | 48 | 50 | 53 | 19 | 32 => Ok(false),
        rc => Err(OpError::Code(rc, res.text)),
    }
}

/// Connections bound as the lookup account, shared by concurrent searches.
pub(crate) struct SearchPool {
    connector: Arc<Connector>,
    bind_dn: String,
    password: Secret,
    slots: Vec<Mutex<Option<(u64, Ldap)>>>,
    next: AtomicUsize,
    generation: AtomicU64,
}

impl SearchPool {
    pub(crate) fn new(connector: Arc<Connector>, cfg: &LdapConfig) -> Self {
        Self {
            connector,
            bind_dn: cfg.lookup_bind_dn.clone(),
            password: cfg.lookup_bind_password.clone(),
            slots: (0..cfg.pool_size.max(1))
                .map(|_| Mutex::new(None))
                .collect(),
            next: AtomicUsize::new(0),
            generation: AtomicU64::new(0),
        }
    }

    /// A connection bound as the lookup account: the slot's, or a new one put in the slot.
    /// Returns (slot, generation, handle, reused).
    async fn get(&self) -> Result<(usize, u64, Ldap, bool), OpError> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let mut slot = self.slots[i].lock().await;
        if let Some((g, ldap)) = slot.as_mut()
            && !ldap.is_closed()
        {
            return Ok((i, *g, ldap.clone(), true));
        }
        *slot = None;
        let mut ldap = self.connector.open().await?;
        let limit = self.connector.op_timeout;
        if !bind(&mut ldap, &self.bind_dn, self.password.expose(), limit).await? {
            return Err(OpError::Code(
                49,
                format!("the lookup bind as {} was refused", self.bind_dn),
            ));
        }
        let g = self.generation.fetch_add(1, Ordering::Relaxed);
        *slot = Some((g, ldap.clone()));
        Ok((i, g, ldap, false))
    }

    /// Drops the slot's connection if it is still the one that failed.
    async fn discard(&self, i: usize, g: u64) {
        let mut slot = self.slots[i].lock().await;
        if slot.as_ref().is_some_and(|(sg, _)| *sg == g) {
            *slot = None;
        }
    }

    /// A subtree (or base) search, never dereferencing aliases. `noSuchObject` (a missing
    /// base) gives no entries; `sizeLimitExceeded` gives the entries sent so far.
    pub(crate) async fn search(
        &self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[&str],
        size_limit: i32,
    ) -> Result<Vec<SearchEntry>, OpError> {
        let mut retried = false;
        loop {
            let (i, g, mut ldap, reused) = self.get().await?;
            let opts = SearchOptions::new()
                .deref(ldap3::DerefAliases::Never)
                .sizelimit(size_limit);
            let fut = ldap
                .with_search_options(opts)
                .search(base, scope, filter, attrs.to_vec());
            match timed(self.connector.op_timeout, "search", fut).await {
                Ok(ldap3::SearchResult(entries, res)) => {
                    return match res.rc {
                        0 | 4 => Ok(entries.into_iter().map(SearchEntry::construct).collect()),
                        32 => Ok(Vec::new()),
                        rc => Err(OpError::Code(rc, res.text)),
                    };
                }
                Err(OpError::Down(m)) => {
                    self.discard(i, g).await;
                    if reused && !retried {
                        retried = true;
                        continue;
                    }
                    return Err(OpError::Down(m));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Connections for the users' own binds, one login at a time each.
pub(crate) struct BindPool {
    connector: Arc<Connector>,
    idle: std::sync::Mutex<Vec<Ldap>>,
    permits: Semaphore,
}

impl BindPool {
    pub(crate) fn new(connector: Arc<Connector>, size: usize) -> Self {
        Self {
            connector,
            idle: std::sync::Mutex::new(Vec::new()),
            permits: Semaphore::new(size.max(1)),
        }
    }

    fn take_idle(&self) -> Option<Ldap> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(mut l) = idle.pop() {
            if !l.is_closed() {
                return Some(l);
            }
        }
        None
    }

    fn put_idle(&self, l: Ldap) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(l);
    }

    /// Binds as `dn` with `password`: `Ok(true)` accepted, `Ok(false)` refused.
    pub(crate) async fn bind(&self, dn: &str, password: &str) -> Result<bool, OpError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| OpError::Down("bind pool closed".into()))?;
        let mut retried = false;
        loop {
            let (mut ldap, reused) = match self.take_idle() {
                Some(l) => (l, true),
                None => (self.connector.open().await?, false),
            };
            match bind(&mut ldap, dn, password, self.connector.op_timeout).await {
                Ok(accepted) => {
                    self.put_idle(ldap);
                    return Ok(accepted);
                }
                Err(OpError::Down(m)) => {
                    if reused && !retried {
                        retried = true;
                        continue;
                    }
                    return Err(OpError::Down(m));
                }
                Err(e) => {
                    self.put_idle(ldap);
                    return Err(e);
                }
            }
        }
    }
}
