//! `AssumeRoleWithCertificate` (spec §9): a client that authenticated the TLS connection with a
//! certificate gets credentials for the policy its subject CN names. Unsigned; parameters from
//! the query only.
//!
//! Order (spec §9): enabled (else 503 `STSNotInitialized`) → TLS connection (else 400
//! `InsecureConnection`) → the chain, verified by [`crate::sts::certificate`]
//! (`TooManyIntermediateCAs`, `MissingParameter` without a certificate, `InvalidClientCertificate`,
//! empty CN) → `DurationSeconds` (900 s to the configured maximum, default 1 h; errors are
//! `MissingParameter`, as MinIO) capped at the certificate's NotAfter → the CN's policy exists
//! (400 `InvalidParameterValue`; MinIO fails later with a 500) → `Policy` and `TokenRevokeType`
//! → the one issuing pipeline ([`super::issue`]).

use rustls_pki_types::CertificateDer;
use s3s::{Body, S3Request};
use strongbox_sts::xml::{AssumeResult, assume_response};
use strongbox_sts::{Claims, SessionDuration, StsError, StsErrorCode, StsParams, duration};

use super::{StsAnswer, StsCall, issue};
use crate::http::ConnectionInfo;
use crate::sts::Sts;

pub async fn handle(
    sts: &Sts,
    req: &S3Request<Body>,
    call: &StsCall,
    request_id: &str,
) -> StsAnswer {
    let connection = req.extensions.get::<ConnectionInfo>();
    let tls = connection.is_some_and(|c| c.tls);
    let peer = connection.and_then(|c| c.peer_certificates.as_deref());
    let (claims, duration) = identify(sts, tls, peer, &call.params)?;
    let cred = issue::issue_recorded(sts, req, call.action, claims, duration, request_id)?;
    Ok(assume_response(
        AssumeResult::Certificate,
        &cred,
        request_id,
    ))
}

/// Everything before issuing: who the certificate is, and for how long.
fn identify(
    sts: &Sts,
    tls: bool,
    peer: Option<&[CertificateDer<'static>]>,
    params: &StsParams,
) -> Result<(Claims, SessionDuration), StsError> {
    let Some(idp) = sts.certificate() else {
        return Err(StsError::with_message(
            StsErrorCode::NotInitialized,
            "STS API 'AssumeRoleWithCertificate' is disabled: MINIO_IDENTITY_TLS_ENABLE is off",
        ));
    };
    if !tls {
        return Err(StsError::new(StsErrorCode::InsecureConnection));
    }
    let now = sts.now();
    let identity = idp.verify(peer.unwrap_or_default(), now)?;
    let duration = duration::certificate(
        &sts.config().duration,
        params.get("DurationSeconds"),
        identity.not_after(),
        now,
    )?;
    let cn = identity.common_name();
    if sts.iam().snapshot().policy(cn).is_none() {
        return Err(StsError::invalid_parameter(format!(
            "No policy named {cn:?} (the certificate's subject CN names its policy); credentials will not be generated"
        )));
    }
    let mut claims = identity.claims();
    issue::request_claims(params, &mut claims)?;
    Ok((claims, duration))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rcgen::ExtendedKeyUsagePurpose as Eku;
    use strongbox_iam::{Iam, MemoryStore};
    use strongbox_sts::{Provider, TestClock, issue, resolve};
    use time::Duration;

    use super::*;
    use crate::RootCredentials;
    use crate::sts::StsConfig;
    use crate::sts::certificate::test_pki::{Ca, Client, now};
    use crate::sts::certificate::{CertificateIdp, ChainCheck};

    fn sts(root: Option<&Ca>) -> Sts {
        let creds = RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
        let store: Arc<dyn strongbox_iam::IamStore> = Arc::new(MemoryStore::new());
        let iam = Iam::with_store(store, crate::authz::iam_config(&creds)).unwrap();
        iam.put_policy(
            "photos-read",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::photos/*"]}]}"#,
        )
        .unwrap();
        let clock = TestClock::at_unix(now().unix_timestamp());
        let sts = Sts::open(Arc::new(iam), StsConfig::default(), Arc::new(clock)).unwrap();
        match root {
            Some(root) => sts.with_certificate(Arc::new(
                CertificateIdp::new(std::slice::from_ref(&root.der), ChainCheck::Verify).unwrap(),
            )),
            None => sts,
        }
    }

    fn query(q: &str) -> StsParams {
        StsParams::from_query(&format!(
            "Action=AssumeRoleWithCertificate&Version=2011-06-15{q}"
        ))
        .unwrap()
    }

    fn refused(sts: &Sts, tls: bool, chain: &[CertificateDer<'static>], q: &str) -> StsError {
        identify(sts, tls, Some(chain), &query(q)).unwrap_err()
    }

    #[test]
    fn good_certificate_gets_its_cn_policy() {
        let root = Ca::root("Root");
        let sts = sts(Some(&root));
        let leaf = root.client(&Client::named("photos-read"));
        let (claims, d) = identify(&sts, true, Some(&[leaf]), &query("")).unwrap();
        assert_eq!(d.seconds(), 3600);
        assert_eq!(claims.parent, "tls:photos-read");
        assert_eq!(claims.provider, Provider::Certificate);
        assert_eq!(claims.policies, vec!["photos-read".to_owned()]);
        // The session policy and revoke type ride along as for every action.
        let leaf = root.client(&Client::named("photos-read"));
        let (claims, _) = identify(
            &sts,
            true,
            Some(&[leaf]),
            &query(
                "&TokenRevokeType=batch&DurationSeconds=900&Policy=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22s3%3AGetObject%22%5D%2C%22Resource%22%3A%5B%22arn%3Aaws%3As3%3A%3A%3Aphotos%2Fpublic%2F%2A%22%5D%7D%5D%7D",
            ),
        )
        .unwrap();
        assert_eq!(claims.token_revoke_type.as_deref(), Some("batch"));
        let session = claims.session_policy.expect("session policy");
        assert!(
            session.as_str().contains("photos/public/*"),
            "{}",
            session.as_str()
        );
    }

    #[test]
    fn disabled_comes_first() {
        let sts = sts(None);
        let e = refused(&sts, false, &[], "");
        assert_eq!(e.code(), StsErrorCode::NotInitialized);
        assert_eq!(e.status(), 503);
        assert_eq!(e.code().wire(), "STSNotInitialized");
    }

    #[test]
    fn plain_http_is_insecure_connection() {
        let root = Ca::root("Root");
        let sts = sts(Some(&root));
        let leaf = root.client(&Client::named("photos-read"));
        let e = refused(&sts, false, &[leaf], "");
        assert_eq!(e.code(), StsErrorCode::InsecureConnection);
        assert_eq!((e.code().wire(), e.status()), ("InsecureConnection", 400));
    }

    #[test]
    fn no_certificate_over_tls() {
        let root = Ca::root("Root");
        let sts = sts(Some(&root));
        let e = identify(&sts, true, None, &query("")).unwrap_err();
        assert_eq!(e.code(), StsErrorCode::MissingParameter);
        assert_eq!(e.message(), "No client certificate provided");
    }

    #[test]
    fn cn_naming_no_policy_is_refused() {
        let root = Ca::root("Root");
        let sts = sts(Some(&root));
        let e = refused(&sts, true, &[root.client(&Client::named("nosuch"))], "");
        assert_eq!(e.code(), StsErrorCode::InvalidParameterValue);
        assert!(e.message().contains("\"nosuch\""), "{}", e.message());
    }

    #[test]
    fn duration_bounds() {
        let root = Ca::root("Root");
        let sts = sts(Some(&root));
        for bad in ["899", "31536001", "9s", "-1"] {
            let leaf = root.client(&Client::named("photos-read"));
            let e = refused(&sts, true, &[leaf], &format!("&DurationSeconds={bad}"));
            // MinIO reports certificate duration errors as MissingParameter (spec §3.3).
            assert_eq!(e.code(), StsErrorCode::MissingParameter, "{bad}");
            assert_eq!(e.message(), "invalid token expiry");
        }
        let leaf = root.client(&Client {
            not_after: now() + Duration::days(400),
            ..Client::named("photos-read")
        });
        let (_, d) = identify(
            &sts,
            true,
            Some(&[leaf]),
            &query("&DurationSeconds=31536000"),
        )
        .unwrap();
        assert_eq!(d.seconds(), 31_536_000);
    }

    #[test]
    fn credentials_never_outlive_the_certificate() {
        let root = Ca::root("Root");
        let sts = sts(Some(&root));
        for left in [Duration::minutes(20), Duration::minutes(5)] {
            let leaf = root.client(&Client {
                not_after: now() + left,
                ..Client::named("photos-read")
            });
            let (claims, d) =
                identify(&sts, true, Some(&[leaf]), &query("&DurationSeconds=3600")).unwrap();
            assert_eq!(d.seconds(), left.whole_seconds());
            let cred = issue(&sts.key_ring(), claims, sts.now(), d).unwrap();
            assert_eq!(cred.expiration, now() + left);
            // The session token's own expiry says the same.
            let s = resolve(
                &sts.key_ring(),
                &cred.access_key,
                cred.session_token.expose(),
                now() + left + Duration::seconds(1),
            );
            assert!(
                s.is_err(),
                "token still valid after the certificate expired"
            );
        }
    }

    #[test]
    fn every_verifier_refusal_reaches_the_client() {
        let root = Ca::root("Root");
        let sts = sts(Some(&root));
        let server_only = root.client(&Client {
            usages: &[Eku::ServerAuth],
            ..Client::named("photos-read")
        });
        let other = Ca::root("Other").client(&Client::named("photos-read"));
        let expired = root.client(&Client {
            not_before: now() - Duration::days(2),
            not_after: now() - Duration::days(1),
            ..Client::named("photos-read")
        });
        let empty_cn = root.client(&Client {
            cn: Some(""),
            ..Client::named("x")
        });
        for (leaf, code) in [
            (server_only, StsErrorCode::InvalidClientCertificate),
            (other, StsErrorCode::InvalidClientCertificate),
            (expired, StsErrorCode::InvalidClientCertificate),
            (empty_cn, StsErrorCode::MissingParameter),
        ] {
            assert_eq!(refused(&sts, true, &[leaf], "").code(), code);
        }
        let mut many = vec![root.client(&Client::named("photos-read"))];
        for i in 0..11 {
            many.push(root.intermediate(&format!("I{i}")).der);
        }
        assert_eq!(
            refused(&sts, true, &many, "").code(),
            StsErrorCode::TooManyIntermediateCAs
        );
    }
}
