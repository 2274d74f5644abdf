//! The server certificate, swapped in place when `public.crt` / `private.key` change.
//!
//! rustls asks [`ReloadingCert`] for the certificate at every handshake, so a swap reaches new
//! connections at once while open ones keep the session they negotiated. The files are polled
//! (metadata only: modification time, length, inode) every [`POLL_INTERVAL`]; a change is loaded
//! once the files have stayed unchanged for one more interval, so a pair being copied one file
//! after the other is not read half-way. A replacement that does not load (half written, key not
//! matching the certificate) is logged and the old certificate stays.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use time::OffsetDateTime;

use super::describe::CertSummary;
use super::files::{TlsError, read_certificates, read_private_key};

/// How often the certificate files' metadata is looked at.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// The certificate and key file of one certificate.
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A loaded certificate with its summary (for logs).
#[derive(Debug)]
pub struct Loaded {
    pub key: Arc<CertifiedKey>,
    pub summary: CertSummary,
}

impl CertFiles {
    /// Reads both files and checks that the key belongs to the leaf certificate.
    pub fn load(&self, provider: &CryptoProvider) -> Result<Loaded, TlsError> {
        let chain = read_certificates(&self.cert)?;
        let summary = CertSummary::of(&chain[0])
            .ok_or_else(|| TlsError::new(&self.cert, "the first certificate is not valid X.509"))?;
        let key = read_private_key(&self.key)?;
        let certified = CertifiedKey::from_der(chain, key, provider).map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => TlsError::new(
                &self.key,
                format!(
                    "does not belong to the certificate in {}",
                    self.cert.display()
                ),
            ),
            other => TlsError::new(&self.key, format!("unusable private key: {other}")),
        })?;
        Ok(Loaded {
            key: Arc::new(certified),
            summary,
        })
    }

    fn stamp(&self) -> Option<(Stamp, Stamp)> {
        Some((Stamp::of(&self.cert)?, Stamp::of(&self.key)?))
    }
}

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Self> {
        // `metadata` follows symlinks: a Kubernetes-style `..data` symlink swap is a change.
        let m = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&m);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Self {
            modified: m.modified().ok(),
            len: m.len(),
            inode,
        })
    }
}

/// The certificate rustls serves, swappable while connections are being accepted.
#[derive(Debug)]
pub struct ReloadingCert {
    files: CertFiles,
    provider: Arc<CryptoProvider>,
    current: ArcSwap<CertifiedKey>,
}

impl ReloadingCert {
    /// Loads the files once (a failure here is a start-up error).
    pub fn load(
        files: CertFiles,
        provider: Arc<CryptoProvider>,
    ) -> Result<(Self, CertSummary), TlsError> {
        let loaded = files.load(&provider)?;
        Ok((
            Self {
                files,
                provider,
                current: ArcSwap::new(loaded.key),
            },
            loaded.summary,
        ))
    }

    /// The certificate new handshakes get.
    #[must_use]
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current.load_full()
    }

    /// Re-reads the files now; on success new handshakes get the new certificate, on failure the
    /// current one stays. Blocking file I/O.
    pub fn reload(&self) -> Result<CertSummary, TlsError> {
        let loaded = self.files.load(&self.provider)?;
        self.current.store(loaded.key);
        Ok(loaded.summary)
    }

    /// Polls the files forever (the caller aborts the task when serving ends).
    pub async fn watch(self: Arc<Self>) {
        let mut loaded_stamp = self.files.stamp();
        let mut last_seen = loaded_stamp;
        let mut interval = tokio::time::interval(POLL_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval.tick().await;
        loop {
            interval.tick().await;
            let this = Arc::clone(&self);
            let Ok(now) = tokio::task::spawn_blocking(move || this.files.stamp()).await else {
                continue;
            };
            let settled = now == last_seen;
            last_seen = now;
            if now.is_none() || now == loaded_stamp || !settled {
                // Missing (mid-replacement), unchanged, or still changing: look again later.
                continue;
            }
            loaded_stamp = now;
            let this = Arc::clone(&self);
            match tokio::task::spawn_blocking(move || this.reload()).await {
                Ok(Ok(summary)) => log_loaded("reloaded the server certificate", &summary),
                Ok(Err(e)) => tracing::error!(
                    error = %e,
                    "the replaced server certificate cannot be used; still serving the previous one"
                ),
                Err(e) => tracing::error!(error = %e, "certificate reload task failed"),
            }
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// One info line about a certificate in use (a warning when it is not valid now).
pub fn log_loaded(what: &str, summary: &CertSummary) {
    let names = summary.names.join(",");
    if summary.valid_at(OffsetDateTime::now_utc()) {
        tracing::info!(
            subject = %summary.subject,
            names = %names,
            expires = %summary.expires(),
            "{what}"
        );
    } else {
        tracing::warn!(
            subject = %summary.subject,
            names = %names,
            expires = %summary.expires(),
            "{what}; it is NOT valid now (clients will refuse it)"
        );
    }
}
