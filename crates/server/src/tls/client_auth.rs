//! Asking for a client certificate without requiring or trusting it
//! (`MINIO_IDENTITY_TLS_ENABLE=on`).
//!
//! The listener cannot know which requests will be `AssumeRoleWithCertificate`, so it asks every
//! client for a certificate and lets the handshake go on without one. A chain that is offered is
//! NOT verified here (no trust anchor, validity or usage check): it reaches the request as
//! unverified data, and only the certificate identity provider verifies it against `CAs/`.
//! What IS checked, by rustls with these algorithms, is the handshake signature: the peer proves
//! it holds the private key of the leaf it sent.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// Requests a client certificate, accepts any chain (or none) and verifies only the handshake
/// signature. `danger` because, unlike rustls' `WebPkiClientVerifier`, it trusts nothing it sees.
#[derive(Debug)]
pub struct DangerRequestAnyClientCert {
    hints: Arc<[DistinguishedName]>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl DangerRequestAnyClientCert {
    /// `hints`: the subjects of the trusted CAs, sent in the CertificateRequest so clients with
    /// several certificates pick one these CAs issued.
    #[must_use]
    pub fn new(hints: Vec<DistinguishedName>, algorithms: WebPkiSupportedAlgorithms) -> Self {
        Self {
            hints: hints.into(),
            algorithms,
        }
    }
}

impl ClientCertVerifier for DangerRequestAnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // Deliberately no chain verification: see the module docs.
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
