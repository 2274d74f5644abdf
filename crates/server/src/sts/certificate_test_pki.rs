//! A throwaway PKI for tests (rcgen): roots, intermediates and client certificates with chosen
//! names, usages and validity periods.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

/// The instant tests verify at.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

/// A certificate authority that can sign.
pub struct Ca {
    pub der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

fn name(cn: Option<&str>, org: Option<&str>) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    if let Some(org) = org {
        dn.push(DnType::OrganizationName, org);
    }
    if let Some(cn) = cn {
        dn.push(DnType::CommonName, cn);
    }
    dn
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(Some(cn), None);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = now() - Duration::days(365);
    p.not_after = now() + Duration::days(3650);
    p
}

impl Ca {
    /// A self-signed root.
    pub fn root(cn: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(cn);
        let cert = params.self_signed(&key).unwrap();
        Self {
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// An intermediate signed by `self`.
    pub fn intermediate(&self, cn: &str) -> Self {
        self.intermediate_until(cn, now() + Duration::days(3650))
    }

    /// An intermediate signed by `self`, valid until `not_after`.
    pub fn intermediate_until(&self, cn: &str, not_after: OffsetDateTime) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = ca_params(cn);
        params.not_after = not_after;
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Self {
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A client certificate signed by `self`.
    pub fn client(&self, spec: &Client<'_>) -> CertificateDer<'static> {
        self.client_named(spec, name(spec.cn, spec.org))
    }

    /// A client certificate signed by `self` with this exact subject.
    pub fn client_named(
        &self,
        spec: &Client<'_>,
        subject: DistinguishedName,
    ) -> CertificateDer<'static> {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::default();
        p.distinguished_name = subject;
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = spec.usages.to_vec();
        p.not_before = spec.not_before;
        p.not_after = spec.not_after;
        p.signed_by(&key, &self.issuer).unwrap().der().clone()
    }
}

/// What a client certificate says.
pub struct Client<'a> {
    pub cn: Option<&'a str>,
    pub org: Option<&'a str>,
    pub usages: &'a [ExtendedKeyUsagePurpose],
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl<'a> Client<'a> {
    /// CN `cn`, clientAuth, valid from a day before [`now`] to 30 days after.
    pub fn named(cn: &'a str) -> Self {
        Self {
            cn: Some(cn),
            org: None,
            usages: &[ExtendedKeyUsagePurpose::ClientAuth],
            not_before: now() - Duration::days(1),
            not_after: now() + Duration::days(30),
        }
    }
}
