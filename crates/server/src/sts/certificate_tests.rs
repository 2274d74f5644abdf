//! The certificate verifier against chains made in the test: every refusal of issue 7 item 2
//! that the verifier owns, and what a good certificate yields.

use rcgen::ExtendedKeyUsagePurpose as Eku;
use rustls_pki_types::CertificateDer;
use strongbox_sts::StsErrorCode;
use time::Duration;

use super::test_pki::{Ca, Client, now};
use super::*;

fn idp(root: &Ca) -> CertificateIdp {
    CertificateIdp::new(std::slice::from_ref(&root.der), ChainCheck::Verify).unwrap()
}

fn refused(idp: &CertificateIdp, chain: &[CertificateDer<'_>]) -> StsError {
    idp.verify(chain, now()).unwrap_err()
}

#[test]
fn good_certificate_names_its_policy() {
    let root = Ca::root("Test Root");
    let leaf = root.client(&Client {
        org: Some("Engineering"),
        ..Client::named("readwrite")
    });
    let id = idp(&root).verify(&[leaf], now()).unwrap();
    assert_eq!(id.common_name(), "readwrite");
    assert_eq!(id.parent(), "tls:readwrite");
    assert_eq!(id.not_after(), now() + Duration::days(30));
    let claims = id.claims();
    assert_eq!(claims.parent, "tls:readwrite");
    assert_eq!(claims.provider, Provider::Certificate);
    assert_eq!(claims.sub.as_deref(), Some("readwrite"));
    assert_eq!(claims.policies, vec!["readwrite".to_owned()]);
    assert_eq!(claims.extra["iss"], "Test Root");
    assert_eq!(claims.extra["aud"], serde_json::json!(["Engineering"]));
}

#[test]
fn no_certificate_is_missing_parameter() {
    let root = Ca::root("Test Root");
    let e = refused(&idp(&root), &[]);
    assert_eq!(e.code(), StsErrorCode::MissingParameter);
    assert_eq!(e.message(), "No client certificate provided");
    // Only CA certificates sent: still no client certificate.
    let e = refused(&idp(&root), &[root.intermediate("I").der]);
    assert_eq!(e.code(), StsErrorCode::MissingParameter);
}

#[test]
fn two_client_certificates_are_refused() {
    let root = Ca::root("Test Root");
    let a = root.client(&Client::named("a"));
    let b = root.client(&Client::named("b"));
    let e = refused(&idp(&root), &[a, b]);
    assert_eq!(e.code(), StsErrorCode::InvalidParameterValue);
}

#[test]
fn certificate_from_another_ca_is_invalid() {
    let root = Ca::root("Test Root");
    let other = Ca::root("Other Root");
    let e = refused(&idp(&root), &[other.client(&Client::named("readwrite"))]);
    assert_eq!(e.code(), StsErrorCode::InvalidClientCertificate);
    assert!(
        e.message()
            .contains("not signed by a certificate authority this server trusts")
    );
    // The other CA's root sent along as an "intermediate" does not help either.
    let leaf = other.client(&Client::named("readwrite"));
    let e = refused(&idp(&root), &[leaf, other.der.clone()]);
    assert_eq!(e.code(), StsErrorCode::InvalidClientCertificate);
}

#[test]
fn expired_certificate_is_invalid() {
    let root = Ca::root("Test Root");
    let leaf = root.client(&Client {
        not_before: now() - Duration::days(30),
        not_after: now() - Duration::seconds(1),
        ..Client::named("readwrite")
    });
    let e = refused(&idp(&root), &[leaf]);
    assert_eq!(e.code(), StsErrorCode::InvalidClientCertificate);
    assert!(e.message().contains("expired"), "{}", e.message());
}

#[test]
fn not_yet_valid_certificate_is_invalid() {
    let root = Ca::root("Test Root");
    let leaf = root.client(&Client {
        not_before: now() + Duration::hours(1),
        not_after: now() + Duration::days(30),
        ..Client::named("readwrite")
    });
    let e = refused(&idp(&root), &[leaf]);
    assert_eq!(e.code(), StsErrorCode::InvalidClientCertificate);
    assert!(e.message().contains("not yet valid"), "{}", e.message());
}

#[test]
fn server_auth_only_certificate_is_invalid() {
    let root = Ca::root("Test Root");
    let leaf = root.client(&Client {
        usages: &[Eku::ServerAuth],
        ..Client::named("readwrite")
    });
    let e = refused(&idp(&root), &[leaf]);
    assert_eq!(e.code(), StsErrorCode::InvalidClientCertificate);
    assert!(
        e.message().contains("client authentication"),
        "{}",
        e.message()
    );
}

#[test]
fn certificate_without_extended_key_usage_is_invalid() {
    let root = Ca::root("Test Root");
    let leaf = root.client(&Client {
        usages: &[],
        ..Client::named("readwrite")
    });
    let e = refused(&idp(&root), &[leaf]);
    assert_eq!(e.code(), StsErrorCode::InvalidClientCertificate);
    assert!(e.message().contains("clientAuth"), "{}", e.message());
}

#[test]
fn empty_or_missing_common_name_is_refused() {
    let root = Ca::root("Test Root");
    for cn in [Some(""), None] {
        let leaf = root.client(&Client {
            cn,
            org: Some("Engineering"),
            ..Client::named("x")
        });
        let e = refused(&idp(&root), &[leaf]);
        assert_eq!(e.code(), StsErrorCode::MissingParameter, "{cn:?}");
        assert_eq!(e.message(), "certificate subject CN cannot be empty");
    }
}

#[test]
fn two_common_names_are_refused() {
    let root = Ca::root("Test Root");
    let mut subject = rcgen::DistinguishedName::new();
    subject.push(rcgen::DnType::CommonName, "readonly");
    // A second CN attribute (same OID, 2.5.4.3), which rcgen keys separately.
    subject.push(
        rcgen::DnType::CustomDnType(vec![2, 5, 4, 3]),
        "consoleAdmin",
    );
    let leaf = root.client_named(&Client::named("x"), subject);
    let e = refused(&idp(&root), &[leaf]);
    assert_eq!(e.code(), StsErrorCode::InvalidClientCertificate);
    assert!(e.message().contains("more than one CN"), "{}", e.message());
}

/// `root → I1 → … → In`, returned leaf-side first (`In` first), as a client sends it.
fn chain_of(root: &Ca, n: usize) -> (Ca, Vec<CertificateDer<'static>>) {
    let mut cas: Vec<Ca> = Vec::new();
    for i in 1..=n {
        let next = cas
            .last()
            .unwrap_or(root)
            .intermediate(&format!("Intermediate {i}"));
        cas.push(next);
    }
    let ders = cas.iter().rev().map(|c| c.der.clone()).collect();
    (cas.pop().unwrap(), ders)
}

#[test]
fn ten_intermediates_are_accepted_eleven_are_too_many() {
    let root = Ca::root("Test Root");
    // A path of 3 intermediates plus 7 more CA certificates of the same PKI: 10 in all.
    let (issuing, mut sent) = chain_of(&root, 3);
    for i in 0..7 {
        sent.push(root.intermediate(&format!("Sibling {i}")).der);
    }
    let leaf = issuing.client(&Client::named("readwrite"));
    let mut chain = vec![leaf];
    chain.extend(sent.iter().cloned());
    assert_eq!(chain.len(), 11);
    let id = idp(&root).verify(&chain, now()).unwrap();
    assert_eq!(id.common_name(), "readwrite");

    chain.push(root.intermediate("Sibling 7").der);
    let e = refused(&idp(&root), &chain);
    assert_eq!(e.code(), StsErrorCode::TooManyIntermediateCAs);
    assert_eq!(e.code().wire(), "TooManyIntermediateCAs");
    // Counted before anything is verified: a bad leaf with 11 CAs is still "too many".
    chain[0] = Ca::root("Other").client(&Client::named("readwrite"));
    assert_eq!(
        refused(&idp(&root), &chain).code(),
        StsErrorCode::TooManyIntermediateCAs
    );
}

#[test]
fn path_depth_is_limited_by_the_verifier() {
    let root = Ca::root("Test Root");
    let (issuing, sent) = chain_of(&root, 6);
    let mut chain = vec![issuing.client(&Client::named("readwrite"))];
    chain.extend(sent);
    assert!(idp(&root).verify(&chain, now()).is_ok(), "6 deep verifies");

    let (issuing, sent) = chain_of(&root, 7);
    let mut chain = vec![issuing.client(&Client::named("readwrite"))];
    chain.extend(sent);
    let e = refused(&idp(&root), &chain);
    assert_eq!(e.code(), StsErrorCode::InvalidClientCertificate);
    assert!(e.message().contains("too long"), "{}", e.message());
}

#[test]
fn missing_intermediate_is_invalid() {
    let root = Ca::root("Test Root");
    let (issuing, _) = chain_of(&root, 2);
    let e = refused(&idp(&root), &[issuing.client(&Client::named("readwrite"))]);
    assert_eq!(e.code(), StsErrorCode::InvalidClientCertificate);
}

#[test]
fn expiry_is_the_earliest_on_the_path() {
    let root = Ca::root("Test Root");
    let short = root.intermediate_until("Short-lived", now() + Duration::days(2));
    let leaf = short.client(&Client::named("readwrite"));
    let id = idp(&root)
        .verify(&[leaf, short.der.clone()], now())
        .unwrap();
    assert_eq!(id.not_after(), now() + Duration::days(2));
}

#[test]
fn garbage_is_invalid_not_a_panic() {
    let root = Ca::root("Test Root");
    let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x01]);
    let e = refused(&idp(&root), &[junk]);
    assert_eq!(e.code(), StsErrorCode::InvalidClientCertificate);
}

#[test]
fn skip_verify_takes_any_ca_but_still_checks_usage_and_validity() {
    let root = Ca::root("Test Root");
    let other = Ca::root("Other Root");
    let skip = CertificateIdp::new(
        std::slice::from_ref(&root.der),
        ChainCheck::DangerSkipVerify,
    )
    .unwrap();
    let id = skip
        .verify(&[other.client(&Client::named("readwrite"))], now())
        .unwrap();
    assert_eq!(id.common_name(), "readwrite");
    for (what, leaf) in [
        (
            "serverAuth only",
            other.client(&Client {
                usages: &[Eku::ServerAuth],
                ..Client::named("readwrite")
            }),
        ),
        (
            "expired",
            other.client(&Client {
                not_before: now() - Duration::days(30),
                not_after: now() - Duration::seconds(1),
                ..Client::named("readwrite")
            }),
        ),
        (
            "not yet valid",
            other.client(&Client {
                not_before: now() + Duration::hours(1),
                ..Client::named("readwrite")
            }),
        ),
    ] {
        let e = skip.verify(&[leaf], now()).unwrap_err();
        assert_eq!(e.code(), StsErrorCode::InvalidClientCertificate, "{what}");
    }
}

#[test]
fn every_root_is_trusted() {
    let a = Ca::root("A");
    let b = Ca::root("B");
    let idp = CertificateIdp::new(&[a.der.clone(), b.der.clone()], ChainCheck::Verify).unwrap();
    assert_eq!(idp.root_count(), 2);
    for ca in [&a, &b] {
        assert!(idp.verify(&[ca.client(&Client::named("x"))], now()).is_ok());
    }
    let junk = CertificateDer::from(vec![0x30, 0x00]);
    assert!(CertificateIdp::new(&[junk], ChainCheck::Verify).is_err());
}
