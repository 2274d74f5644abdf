//! What the log says about a server certificate: subject, names and validity.

use rustls::pki_types::CertificateDer;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The fields of a leaf certificate worth logging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    /// The subject distinguished name, e.g. `CN=s3.example.com, O=Example`.
    pub subject: String,
    /// DNS names and IP addresses of the subjectAltName extension.
    pub names: Vec<String>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl CertSummary {
    /// Parses `cert` (DER). `None` for bytes that are not an X.509 certificate.
    #[must_use]
    pub fn of(cert: &CertificateDer<'_>) -> Option<Self> {
        let (rest, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
        if !rest.is_empty() {
            return None;
        }
        let validity = parsed.validity();
        let not_before =
            OffsetDateTime::from_unix_timestamp(validity.not_before.timestamp()).ok()?;
        let not_after = OffsetDateTime::from_unix_timestamp(validity.not_after.timestamp()).ok()?;
        let mut names = Vec::new();
        if let Ok(Some(san)) = parsed.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    x509_parser::extensions::GeneralName::DNSName(d) => names.push((*d).to_owned()),
                    x509_parser::extensions::GeneralName::IPAddress(ip) => {
                        if let Some(ip) = ip_text(ip) {
                            names.push(ip);
                        }
                    }
                    _ => {}
                }
            }
        }
        Some(Self {
            subject: parsed.subject().to_string(),
            names,
            not_before,
            not_after,
        })
    }

    /// `not_after` as RFC 3339.
    #[must_use]
    pub fn expires(&self) -> String {
        self.not_after
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.not_after.to_string())
    }

    /// Whether `now` lies inside the validity period.
    #[must_use]
    pub fn valid_at(&self, now: OffsetDateTime) -> bool {
        self.not_before <= now && now <= self.not_after
    }
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(std::net::Ipv4Addr::from(v4).to_string());
    }
    let v6 = <[u8; 16]>::try_from(bytes).ok()?;
    Some(std::net::Ipv6Addr::from(v6).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_a_generated_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress(std::net::IpAddr::from([
                127, 0, 0, 1,
            ])));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "strongbox test");
        params.not_after = rcgen::date_time_ymd(2031, 1, 2);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let s = CertSummary::of(cert.der()).unwrap();
        assert_eq!(s.subject, "CN=strongbox test");
        assert_eq!(s.names, ["localhost", "127.0.0.1"]);
        assert!(s.expires().starts_with("2031-01-02T"), "{}", s.expires());
        assert!(s.valid_at(OffsetDateTime::now_utc()));
        assert!(CertSummary::of(&CertificateDer::from(vec![0x30, 0x00])).is_none());
    }
}
