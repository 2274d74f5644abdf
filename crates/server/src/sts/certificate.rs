//! The certificate identity provider behind `AssumeRoleWithCertificate` (spec §9): turns the
//! client certificate chain the TLS listener kept as unverified data into a
//! [`CertificateIdentity`], or says precisely why not. Pure except [`setup`], which start-up calls
//! once.
//!
//! Checks, in MinIO's order:
//! 1. Split the peer chain: CA certificates (basic constraints `CA:TRUE`) are intermediates, at
//!    most [`MAX_INTERMEDIATE_CAS`] (else `TooManyIntermediateCAs`); exactly one other
//!    certificate, the leaf (none → `MissingParameter`, several → `InvalidParameterValue`).
//! 2. Verify: with [`ChainCheck::Verify`], rustls-webpki builds a path from the leaf through the
//!    sent intermediates to a root of the `CAs/` directory, checking signatures, validity
//!    periods, basic constraints and the client-authentication usage of every certificate on
//!    it. With [`ChainCheck::DangerSkipVerify`] (`MINIO_IDENTITY_TLS_SKIP_VERIFY=on`) no chain
//!    is built, but the leaf's validity period is still checked. Any failure is
//!    `InvalidClientCertificate` with a message saying what is wrong.
//! 3. In both modes the leaf must *name* client authentication in its extended key usage (a
//!    leaf without the extension is refused, as MinIO's documentation demands; Go's verifier
//!    would take it as "any usage").
//! 4. The subject CN must be non-empty (`MissingParameter`); it names the policy.
//!
//! The roots come from `CERTS_DIR/CAs` ([`crate::tls::load_cas`]), read once at start-up
//! ([`setup`]).
//!
//! Known limit: rustls-webpki follows paths of at most 6 intermediates, so a chain that needs
//! 7 to 10 of them to reach a root is refused (`InvalidClientCertificate`, "too long") even
//! though MinIO's count limit lets it through. Extra intermediates that are not on the path
//! are fine.

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use serde_json::{Map, Value};
use strongbox_sts::{Claims, Provider, StsError, StsErrorCode};
use time::OffsetDateTime;
use webpki::{EndEntityCert, KeyUsage};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::X509Name;

/// Most intermediate CA certificates a client may send (MinIO's limit).
pub const MAX_INTERMEDIATE_CAS: usize = 10;
/// Most certificates of any kind looked at in one chain (TLS bounds the handshake anyway).
const MAX_PEER_CERTIFICATES: usize = 64;
/// Parent prefix of certificate credentials (spec §4.2: `tls:<CN>`).
pub const PARENT_PREFIX: &str = "tls:";

/// Signature algorithms accepted on certificates (those of rustls' ring provider).
static SIGNATURE_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PKCS1_3072_8192_SHA384,
];

/// How the client's chain is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainCheck {
    /// Against the roots of the `CAs/` directory (the default).
    Verify,
    /// `MINIO_IDENTITY_TLS_SKIP_VERIFY=on`: anyone can make a certificate with any CN, so
    /// anyone gets any policy. Only the leaf's usage and validity period are checked.
    DangerSkipVerify,
}

/// The trusted roots and the checking mode. Built once at start-up.
pub struct CertificateIdp {
    roots: Vec<TrustAnchor<'static>>,
    check: ChainCheck,
}

impl std::fmt::Debug for CertificateIdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateIdp")
            .field("roots", &self.roots.len())
            .field("check", &self.check)
            .finish()
    }
}

/// A client certificate that passed every check of [`CertificateIdp::verify`] (only it builds
/// one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateIdentity {
    common_name: String,
    issuer_common_name: Option<String>,
    organizations: Vec<String>,
    not_after: OffsetDateTime,
}

impl CertificateIdentity {
    /// The subject CN: the name of the credential's policy.
    pub fn common_name(&self) -> &str {
        &self.common_name
    }
    /// The earliest NotAfter of the leaf and the intermediates on the verified path: the
    /// credential must not outlive it.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
    /// `tls:<CN>`.
    pub fn parent(&self) -> String {
        format!("{PARENT_PREFIX}{}", self.common_name)
    }
    /// The credential's claims (spec §4.2): parent `tls:<CN>`, `sub` = CN, the policy named
    /// by the CN, `iss` = issuer CN, `aud` = subject Organization values.
    pub fn claims(&self) -> Claims {
        let mut c = Claims::new(self.parent(), Provider::Certificate);
        c.sub = Some(self.common_name.clone());
        c.policies = vec![self.common_name.clone()];
        let mut extra = Map::new();
        if let Some(iss) = &self.issuer_common_name {
            extra.insert("iss".into(), Value::String(iss.clone()));
        }
        if !self.organizations.is_empty() {
            extra.insert(
                "aud".into(),
                Value::Array(
                    self.organizations
                        .iter()
                        .map(|o| Value::String(o.clone()))
                        .collect(),
                ),
            );
        }
        c.extra = extra;
        c
    }
}

/// A root that cannot be used as a trust anchor.
#[derive(Debug, thiserror::Error)]
#[error("CA certificate #{index} cannot be used as a trust anchor: {reason}")]
pub struct RootError {
    pub index: usize,
    pub reason: String,
}

impl CertificateIdp {
    /// Trusts `roots` (DER certificates, e.g. from [`crate::tls::load_cas`]).
    pub fn new(roots: &[CertificateDer<'_>], check: ChainCheck) -> Result<Self, RootError> {
        let roots = roots
            .iter()
            .enumerate()
            .map(|(index, der)| {
                webpki::anchor_from_trusted_cert(der)
                    .map(|a| a.to_owned())
                    .map_err(|e| RootError {
                        index,
                        reason: format!("{e:?}"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { roots, check })
    }

    pub fn check(&self) -> ChainCheck {
        self.check
    }

    pub fn root_count(&self) -> usize {
        self.roots.len()
    }

    /// Checks the client's chain (leaf and intermediates in any order, as sent) at `now`.
    pub fn verify(
        &self,
        peer: &[CertificateDer<'_>],
        now: OffsetDateTime,
    ) -> Result<CertificateIdentity, StsError> {
        if peer.len() > MAX_PEER_CERTIFICATES {
            return Err(StsError::new(StsErrorCode::TooManyIntermediateCAs));
        }
        let mut leaves = Vec::new();
        let mut intermediates: Vec<CertificateDer<'_>> = Vec::new();
        for der in peer {
            let cert = parse(der)?;
            if cert.is_ca() {
                intermediates.push(CertificateDer::from(der.as_ref()));
            } else {
                leaves.push((der, cert));
            }
        }
        if intermediates.len() > MAX_INTERMEDIATE_CAS {
            return Err(StsError::with_message(
                StsErrorCode::TooManyIntermediateCAs,
                format!(
                    "The provided client certificate chain contains {} intermediate CA certificates; at most {MAX_INTERMEDIATE_CAS} are accepted",
                    intermediates.len()
                ),
            ));
        }
        let (leaf_der, leaf) = match leaves.len() {
            0 => {
                return Err(StsError::missing_parameter(
                    "No client certificate provided",
                ));
            }
            1 => leaves.swap_remove(0),
            _ => {
                return Err(StsError::invalid_parameter(
                    "More than one client certificate provided",
                ));
            }
        };
        let mut not_after = leaf.validity().not_after.to_datetime();
        match self.check {
            ChainCheck::Verify => {
                let path_not_after = self.verify_chain(leaf_der, &intermediates, now)?;
                not_after = not_after.min(path_not_after);
            }
            ChainCheck::DangerSkipVerify => check_validity(&leaf, now)?,
        }
        check_client_auth_usage(&leaf)?;
        let common_name = single_common_name(leaf.subject())?
            .filter(|cn| !cn.is_empty())
            .ok_or_else(|| StsError::missing_parameter("certificate subject CN cannot be empty"))?;
        let issuer_common_name = single_common_name(leaf.issuer()).ok().flatten();
        let organizations = leaf
            .subject()
            .iter_organization()
            .filter_map(|o| o.as_str().ok())
            .map(str::to_owned)
            .collect();
        Ok(CertificateIdentity {
            common_name,
            issuer_common_name,
            organizations,
            not_after,
        })
    }

    /// rustls-webpki path building; returns the earliest NotAfter of the path's intermediates
    /// (`OffsetDateTime` max when there are none).
    fn verify_chain(
        &self,
        leaf: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: OffsetDateTime,
    ) -> Result<OffsetDateTime, StsError> {
        let end_entity = EndEntityCert::try_from(leaf).map_err(|e| refused(&e))?;
        let secs = u64::try_from(now.unix_timestamp()).unwrap_or(0);
        let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
        let path = end_entity
            .verify_for_usage(
                SIGNATURE_ALGORITHMS,
                &self.roots,
                intermediates,
                time,
                KeyUsage::client_auth(),
                None,
                None,
            )
            .map_err(|e| refused(&e))?;
        let mut earliest = OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT);
        for cert in path.intermediate_certificates() {
            let der = cert.der();
            let parsed = parse(der.as_ref())?;
            earliest = earliest.min(parsed.validity().not_after.to_datetime());
        }
        Ok(earliest)
    }
}

fn invalid(message: impl Into<String>) -> StsError {
    StsError::with_message(StsErrorCode::InvalidClientCertificate, message)
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, StsError> {
    match X509Certificate::from_der(der) {
        Ok((&[], cert)) => Ok(cert),
        _ => Err(invalid(
            "The provided client certificate chain contains a certificate that cannot be parsed",
        )),
    }
}

/// The client-facing text for a path-building failure (the details go to the debug log).
fn refused(e: &webpki::Error) -> StsError {
    tracing::debug!(error = ?e, "client certificate chain refused");
    let why = match e {
        webpki::Error::CertExpired { .. } => "a certificate in the chain has expired",
        webpki::Error::CertNotValidYet { .. } => "a certificate in the chain is not yet valid",
        webpki::Error::UnknownIssuer => {
            "the certificate is not signed by a certificate authority this server trusts"
        }
        webpki::Error::RequiredEkuNotFoundContext(_) => {
            "the certificate is not valid for client authentication (extended key usage)"
        }
        webpki::Error::MaximumPathDepthExceeded => {
            "the path to a trusted certificate authority is too long (at most 6 intermediate CAs on the path)"
        }
        webpki::Error::InvalidSignatureForPublicKey
        | webpki::Error::UnsupportedSignatureAlgorithmContext(_)
        | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "a signature in the chain is invalid or uses an unsupported algorithm"
        }
        webpki::Error::CaUsedAsEndEntity | webpki::Error::EndEntityUsedAsCa => {
            "a certificate in the chain is used in the wrong role (CA or end entity)"
        }
        _ => "the certificate chain could not be verified",
    };
    invalid(format!("Invalid client certificate: {why}"))
}

fn check_validity(leaf: &X509Certificate<'_>, now: OffsetDateTime) -> Result<(), StsError> {
    let validity = leaf.validity();
    let now = now.unix_timestamp();
    if now < validity.not_before.timestamp() {
        return Err(invalid(
            "Invalid client certificate: the certificate is not yet valid",
        ));
    }
    if now > validity.not_after.timestamp() {
        return Err(invalid(
            "Invalid client certificate: the certificate has expired",
        ));
    }
    Ok(())
}

/// The leaf's extended key usage must list client authentication (strict in both modes).
fn check_client_auth_usage(leaf: &X509Certificate<'_>) -> Result<(), StsError> {
    match leaf.extended_key_usage() {
        Ok(Some(eku)) if eku.value.client_auth => Ok(()),
        Ok(_) => Err(invalid(
            "Invalid client certificate: the certificate is not valid for client authentication (its extended key usage must include clientAuth)",
        )),
        Err(_) => Err(invalid(
            "Invalid client certificate: its extended key usage extension is malformed",
        )),
    }
}

/// The one CN of `name`: `Ok(None)` if it has none; a name with several CNs or a CN that is not
/// a string is refused (which of them would name the policy?).
fn single_common_name(name: &X509Name<'_>) -> Result<Option<String>, StsError> {
    let mut cns = name.iter_common_name();
    let Some(first) = cns.next() else {
        return Ok(None);
    };
    if cns.next().is_some() {
        return Err(invalid(
            "Invalid client certificate: the subject has more than one CN",
        ));
    }
    first
        .as_str()
        .map(|s| Some(s.to_owned()))
        .map_err(|_| invalid("Invalid client certificate: the subject CN is not a string"))
}

/// The certificate identity provider, when `MINIO_IDENTITY_TLS_ENABLE=on`: trusts the
/// certificates of `CERTS_DIR/CAs` and logs what it decided, warnings loudly. Blocking file I/O.
pub fn setup(config: &crate::config::Config) -> std::io::Result<Option<CertificateIdp>> {
    let identity = config.tls_identity;
    let roots = match (identity.enabled, config.tls.cas_dir()) {
        (true, Some(dir)) => crate::tls::load_cas(&dir).map_err(std::io::Error::other)?,
        _ => Vec::new(),
    };
    for warning in identity.warnings(roots.len()) {
        tracing::warn!("{warning}");
    }
    if !identity.enabled {
        return Ok(None);
    }
    let check = if identity.danger_skip_verify {
        ChainCheck::DangerSkipVerify
    } else {
        ChainCheck::Verify
    };
    let idp = CertificateIdp::new(&roots, check).map_err(std::io::Error::other)?;
    tracing::info!(
        roots = idp.root_count(),
        verify = check == ChainCheck::Verify,
        "AssumeRoleWithCertificate enabled: the subject CN of a client certificate names its policy"
    );
    Ok(Some(idp))
}

#[cfg(test)]
#[path = "certificate_test_pki.rs"]
pub(crate) mod test_pki;

#[cfg(test)]
#[path = "certificate_tests.rs"]
mod tests;
