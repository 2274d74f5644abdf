//! Server-side STS state: the key ring and the revocation list (both kept in IAM blobs, so every
//! node sharing the IAM store shares them), the per-parent issuance limiter, the audit sink and
//! the clock every expiry rule reads. The HTTP side is [`crate::routes::sts`]; the per-request
//! check of temporary credentials is [`session`].
//!
//! Nothing here is global: one [`Sts`] is built at start-up and shared as `Arc<Sts>`.

mod audit;
pub mod certificate;
pub mod config;
mod keys;
pub mod ldap;
pub mod ldap_throttle;
mod revocations;
pub mod session;

use std::sync::Arc;

use strongbox_iam::Iam;
use strongbox_sts::ratelimit::IssuanceLimiter;
use strongbox_sts::revocation::{Revocation, RevocationSet};
use strongbox_sts::{Clock, KeyRing, SystemClock};
use time::OffsetDateTime;

pub use self::audit::{AUDIT_TARGET, AuditSink};
pub use self::config::StsConfig;
pub use self::keys::KeyStoreError;
pub use self::revocations::RevocationStoreError;

use self::keys::KeyStore;
use self::revocations::RevocationStore;

/// Why the STS state could not be set up or changed.
#[derive(Debug, thiserror::Error)]
pub enum StsSetupError {
    #[error(transparent)]
    Keys(#[from] KeyStoreError),
    #[error(transparent)]
    Revocations(#[from] RevocationStoreError),
    #[error("invalid STS rate limit: {0}")]
    RateLimit(String),
    #[error("cannot open the audit file: {0}")]
    AuditFile(std::io::Error),
}

/// The node's STS state.
pub struct Sts {
    iam: Arc<Iam>,
    config: StsConfig,
    clock: Arc<dyn Clock>,
    keys: KeyStore,
    revocations: RevocationStore,
    limiter: IssuanceLimiter,
    audit: AuditSink,
    /// The configured region (`MINIO_REGION`), for ARNs.
    region: Option<String>,
    /// OpenID providers (AssumeRoleWithWebIdentity / ClientGrants), when configured.
    openid: Option<Arc<strongbox_idp::openid::OpenId>>,
    /// The identity plugin (AssumeRoleWithCustomToken), when configured.
    plugin: Option<Arc<strongbox_idp::plugin::IdentityPlugin>>,
    /// The LDAP directory and its login throttle (AssumeRoleWithLDAPIdentity), when configured.
    ldap: Option<Arc<ldap::LdapLogin>>,
    /// Client certificates (AssumeRoleWithCertificate), when `MINIO_IDENTITY_TLS_ENABLE=on`.
    certificate: Option<Arc<certificate::CertificateIdp>>,
}

impl std::fmt::Debug for Sts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sts")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Sts {
    /// Loads (or, on first start, creates) the key ring and loads the revocation list from the
    /// IAM store. Blocking (store I/O): call from `spawn_blocking` in async code.
    pub fn open(
        iam: Arc<Iam>,
        config: StsConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StsSetupError> {
        let keys = KeyStore::open(&iam, clock.now())?;
        let revocations = RevocationStore::open(&iam)?;
        let limiter = IssuanceLimiter::new(config.rate_limit)
            .map_err(|e| StsSetupError::RateLimit(e.to_string()))?;
        let audit = match &config.audit_file {
            Some(path) => AuditSink::with_file(path).map_err(StsSetupError::AuditFile)?,
            None => AuditSink::log_only(),
        };
        Ok(Self {
            iam,
            config,
            clock,
            keys,
            revocations,
            limiter,
            audit,
            region: None,
            openid: None,
            plugin: None,
            ldap: None,
            certificate: None,
        })
    }

    /// [`Sts::open`] with the wall clock.
    pub fn open_with_system_clock(iam: Arc<Iam>, config: StsConfig) -> Result<Self, StsSetupError> {
        Self::open(iam, config, Arc::new(SystemClock))
    }

    /// The configured region, named in ARNs (`GetCallerIdentity`).
    #[must_use]
    pub fn with_region(mut self, region: Option<String>) -> Self {
        self.region = region;
        self
    }

    /// Serve the OpenID actions with these providers.
    #[must_use]
    pub fn with_openid(mut self, openid: Arc<strongbox_idp::openid::OpenId>) -> Self {
        self.openid = Some(openid);
        self
    }

    pub fn openid(&self) -> Option<&Arc<strongbox_idp::openid::OpenId>> {
        self.openid.as_ref()
    }

    /// Serve AssumeRoleWithCustomToken with this identity plugin.
    #[must_use]
    pub fn with_plugin(mut self, plugin: Arc<strongbox_idp::plugin::IdentityPlugin>) -> Self {
        self.plugin = Some(plugin);
        self
    }

    pub fn plugin(&self) -> Option<&Arc<strongbox_idp::plugin::IdentityPlugin>> {
        self.plugin.as_ref()
    }

    /// Serve AssumeRoleWithLDAPIdentity (and the LDAP admin endpoints) with this directory.
    #[must_use]
    pub fn with_ldap(mut self, ldap: Arc<ldap::LdapLogin>) -> Self {
        self.ldap = Some(ldap);
        self
    }

    pub fn ldap(&self) -> Option<&Arc<ldap::LdapLogin>> {
        self.ldap.as_ref()
    }

    /// Serve AssumeRoleWithCertificate with these roots.
    #[must_use]
    pub fn with_certificate(mut self, idp: Arc<certificate::CertificateIdp>) -> Self {
        self.certificate = Some(idp);
        self
    }

    pub fn certificate(&self) -> Option<&Arc<certificate::CertificateIdp>> {
        self.certificate.as_ref()
    }

    pub fn iam(&self) -> &Arc<Iam> {
        &self.iam
    }

    pub fn config(&self) -> &StsConfig {
        &self.config
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// [`Sts::now`] in whole Unix seconds (cheaper: no calendar date).
    pub fn unix_now(&self) -> i64 {
        self.clock.unix_seconds()
    }

    /// [`Sts::unix_now`], where `wall` is the wall clock's time as the caller read it for the
    /// request at hand: it stands in when this STS runs on the wall clock (no second read).
    pub fn unix_now_at(&self, wall: OffsetDateTime) -> i64 {
        if self.clock.is_wall_clock() {
            wall.unix_timestamp()
        } else {
            self.clock.unix_seconds()
        }
    }

    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The key ring as of now (cheap: a version comparison).
    pub fn key_ring(&self) -> Arc<KeyRing> {
        self.keys.current(&self.iam)
    }

    /// The revocation list as of now (cheap: a version comparison).
    pub fn revocations(&self) -> Arc<RevocationSet> {
        self.revocations.current(&self.iam)
    }

    pub fn limiter(&self) -> &IssuanceLimiter {
        &self.limiter
    }

    pub fn audit(&self) -> &AuditSink {
        &self.audit
    }

    /// Rotates the key ring: new credentials are signed with a fresh key, outstanding ones keep
    /// verifying until they expire. Blocking. Returns the new key id.
    pub fn rotate_key_ring(&self) -> Result<String, StsSetupError> {
        let keep = time::Duration::seconds(self.config.duration.max_secs);
        Ok(self.keys.rotate(&self.iam, self.now(), keep)?)
    }

    /// Records revocations (persisted in the IAM store; in force on this node at once).
    /// Blocking.
    pub fn revoke(&self, records: &[Revocation]) -> Result<(), StsSetupError> {
        Ok(self.revocations.revoke(
            &self.iam,
            records,
            self.now(),
            self.config.duration.max_secs,
        )?)
    }

    /// Every temporary credential of `parent` issued up to now stops working. Call it when the
    /// parent user is deleted, so a re-created user of the same name does not revive them
    /// (spec §17.3). Blocking.
    pub fn revoke_parent(&self, parent: &str) -> Result<(), StsSetupError> {
        let cutoff_ns = now_ns(self.now());
        self.revoke(&[Revocation::Parent {
            parent: parent.to_owned(),
            cutoff_ns,
        }])
    }
}

/// Unix nanoseconds of `t` (saturating).
pub fn now_ns(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
