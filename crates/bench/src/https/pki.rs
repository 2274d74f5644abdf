//! Certificates for the HTTPS benchmark: a throwaway CA and a server certificate for 127.0.0.1,
//! written in MinIO's layout (`public.crt`, `private.key`, `CAs/ca.crt`).

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::CertificateDer;
use std::path::Path;

/// Writes the certificate directory; returns the CA certificate the clients trust.
/// ECDSA P-256 keys (rcgen's default), as a modern deployment would use.
pub fn write_certs_dir(dir: &Path) -> Result<CertificateDer<'static>> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name = rcgen::DistinguishedName::new();
    ca.distinguished_name
        .push(DnType::CommonName, "strongbox-bench CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;

    let mut server = CertificateParams::new(vec!["localhost".to_owned()])?;
    server
        .subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    server.distinguished_name = rcgen::DistinguishedName::new();
    server
        .distinguished_name
        .push(DnType::CommonName, "strongbox-bench server");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate()?;
    let cert = server.signed_by(&key, &ca)?;

    std::fs::create_dir_all(dir.join("CAs"))
        .with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("CAs").join("ca.crt"), ca.pem())?;
    std::fs::write(dir.join("public.crt"), cert.pem())?;
    std::fs::write(dir.join("private.key"), key.serialize_pem())?;
    Ok(ca.der().clone())
}
