//! The session-token rules of spec §4.4 for one S3/admin request, in ONE place, for every auth
//! style (header, presigned query, POST form): which secret verifies the signature, or why the
//! request is refused. The server supplies what only it knows (is the access key root, an IAM
//! user or a service account?) and calls this before SigV4 verification.

use time::OffsetDateTime;

use crate::keyring::KeyRing;
use crate::revocation::RevocationSet;
use crate::token::{TokenError, VerifiedSession, resolve};

/// What the server's IAM snapshot says about the presented access key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Root, an IAM user or a service account: verified with its stored secret.
    Static,
    /// Not a static key: may only be a temporary credential.
    NotStatic,
}

/// The outcome when the request may proceed to signature verification.
#[derive(Debug, Clone)]
pub enum CredentialCheck {
    /// No access key and no token: an anonymous request (policy decides).
    Anonymous,
    /// A static key without a session token: verify with the stored secret.
    Static,
    /// A temporary credential whose token verified and is not revoked: verify the signature
    /// with `session.secret_key()`.
    Temporary(Box<VerifiedSession>),
}

/// Why the request is refused before its signature is even looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// A session token without any access key.
    #[error("session token without access key")]
    TokenWithoutAccessKey,
    /// A static key presented together with a session token (MinIO #13388).
    #[error("session token presented with a static access key")]
    TokenWithStaticKey,
    /// Neither static nor carrying a token.
    #[error("unknown access key")]
    UnknownAccessKey,
    #[error(transparent)]
    Token(#[from] TokenError),
}

impl CredentialError {
    /// S3 error code (spec §4.4).
    pub fn s3_code(self) -> &'static str {
        match self {
            CredentialError::TokenWithoutAccessKey => "AccessDenied",
            CredentialError::TokenWithStaticKey => "InvalidTokenId",
            CredentialError::UnknownAccessKey => "InvalidAccessKeyId",
            CredentialError::Token(t) => t.s3_code(),
        }
    }
    pub fn s3_status(self) -> u16 {
        match self {
            CredentialError::Token(t) => t.s3_status(),
            _ => 403,
        }
    }
    pub fn s3_message(self) -> &'static str {
        match self {
            CredentialError::TokenWithoutAccessKey => "No AWSAccessKey was presented",
            CredentialError::TokenWithStaticKey => TokenError::Malformed.s3_message(),
            CredentialError::UnknownAccessKey => {
                "The Access Key Id you provided does not exist in our records."
            }
            CredentialError::Token(t) => t.s3_message(),
        }
    }
}

/// Decide how a request's credentials are checked. `access_key` is `None` for anonymous
/// requests; `session_token` is the `X-Amz-Security-Token` header, else the query parameter
/// (an empty value counts as absent, as MinIO). `kind` is ignored when `access_key` is `None`.
pub fn check_credentials(
    ring: &KeyRing,
    revocations: &RevocationSet,
    access_key: Option<&str>,
    kind: KeyKind,
    session_token: Option<&str>,
    now: OffsetDateTime,
) -> Result<CredentialCheck, CredentialError> {
    let token = session_token.filter(|t| !t.is_empty());
    let Some(access_key) = access_key.filter(|k| !k.is_empty()) else {
        return match token {
            Some(_) => Err(CredentialError::TokenWithoutAccessKey),
            None => Ok(CredentialCheck::Anonymous),
        };
    };
    match (kind, token) {
        (KeyKind::Static, None) => Ok(CredentialCheck::Static),
        (KeyKind::Static, Some(_)) => Err(CredentialError::TokenWithStaticKey),
        (KeyKind::NotStatic, None) => Err(CredentialError::UnknownAccessKey),
        (KeyKind::NotStatic, Some(t)) => {
            let session = resolve(ring, access_key, t, now)?;
            revocations.check(&session)?;
            Ok(CredentialCheck::Temporary(Box::new(session)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{Claims, Provider, SessionPolicyJson};
    use crate::duration::for_tests;
    use crate::revocation::Revocation;
    use crate::token::issue;

    const T0: i64 = 1_700_000_000;
    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(s).unwrap()
    }

    fn setup() -> (KeyRing, RevocationSet, crate::token::IssuedCredential) {
        let ring = KeyRing::generate(at(T0));
        let cred = issue(
            &ring,
            Claims::new("minioadmin", Provider::Builtin),
            at(T0),
            for_tests(900),
        )
        .unwrap();
        (ring, RevocationSet::new(), cred)
    }

    #[test]
    fn temporary_credential_with_its_token_passes() {
        let (ring, rev, c) = setup();
        let tok = Some(c.session_token.expose());
        let r = check_credentials(
            &ring,
            &rev,
            Some(&c.access_key),
            KeyKind::NotStatic,
            tok,
            at(T0),
        );
        match r {
            Ok(CredentialCheck::Temporary(s)) => assert_eq!(s.secret_key(), &c.secret_key),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn minio_13388_static_key_with_any_token_is_invalid_token_id() {
        let (ring, rev, c) = setup();
        for tok in [c.session_token.expose(), "garbage"] {
            let e = check_credentials(
                &ring,
                &rev,
                Some("minioadmin"),
                KeyKind::Static,
                Some(tok),
                at(T0),
            )
            .unwrap_err();
            assert_eq!((e.s3_code(), e.s3_status()), ("InvalidTokenId", 403));
        }
        let ok = check_credentials(
            &ring,
            &rev,
            Some("minioadmin"),
            KeyKind::Static,
            Some(""),
            at(T0),
        );
        assert!(matches!(ok, Ok(CredentialCheck::Static)));
    }

    #[test]
    fn token_without_access_key_is_access_denied() {
        let (ring, rev, c) = setup();
        let e = check_credentials(
            &ring,
            &rev,
            None,
            KeyKind::NotStatic,
            Some(c.session_token.expose()),
            at(T0),
        )
        .unwrap_err();
        assert_eq!(
            (e.s3_code(), e.s3_message()),
            ("AccessDenied", "No AWSAccessKey was presented")
        );
    }

    #[test]
    fn anonymous_passes_through() {
        let (ring, rev, _) = setup();
        let r = check_credentials(&ring, &rev, None, KeyKind::NotStatic, None, at(T0));
        assert!(matches!(r, Ok(CredentialCheck::Anonymous)));
    }

    #[test]
    fn temporary_key_without_token_is_refused() {
        let (ring, rev, c) = setup();
        let e = check_credentials(
            &ring,
            &rev,
            Some(&c.access_key),
            KeyKind::NotStatic,
            None,
            at(T0),
        )
        .unwrap_err();
        assert_eq!(e.s3_code(), "InvalidAccessKeyId");
    }

    #[test]
    fn expired_and_revoked() {
        let (ring, mut rev, c) = setup();
        let tok = Some(c.session_token.expose());
        let e = check_credentials(
            &ring,
            &rev,
            Some(&c.access_key),
            KeyKind::NotStatic,
            tok,
            at(T0 + 900),
        )
        .unwrap_err();
        assert_eq!((e.s3_code(), e.s3_status()), ("ExpiredToken", 400));
        rev.apply(Revocation::Parent {
            parent: "minioadmin".into(),
            cutoff_ns: T0 * 1_000_000_000,
        });
        let e = check_credentials(
            &ring,
            &rev,
            Some(&c.access_key),
            KeyKind::NotStatic,
            tok,
            at(T0 + 1),
        )
        .unwrap_err();
        assert_eq!(e, CredentialError::Token(TokenError::Revoked));
        assert_eq!(e.s3_code(), "InvalidTokenId");
    }

    #[test]
    fn minio_12947_root_parent_with_session_policy_is_not_owner() {
        let ring = KeyRing::generate(at(T0));
        let mut c = Claims::new("minioadmin", Provider::Builtin);
        c.session_policy = Some(
            SessionPolicyJson::new(r#"{"Version":"2012-10-17","Statement":[]}"#.into()).unwrap(),
        );
        let i = issue(&ring, c, at(T0), for_tests(900)).unwrap();
        let s = resolve(&ring, &i.access_key, i.session_token.expose(), at(T0)).unwrap();
        assert!(!s.is_owner("minioadmin"));
    }

    #[test]
    fn minio_13947_root_parented_session_without_policy_is_owner() {
        let (ring, _, c) = setup();
        let s = resolve(&ring, &c.access_key, c.session_token.expose(), at(T0)).unwrap();
        assert!(s.is_owner("minioadmin"));
        assert!(!s.is_owner("someone-else"));
        // Only a builtin (AssumeRole) parent can be root: an identity provider's parent id that
        // happens to equal the root access key never is.
        let mut c = Claims::new("minioadmin", Provider::OpenId);
        c.sub = Some("minioadmin".into());
        let i = issue(&ring, c, at(T0), for_tests(900)).unwrap();
        let s = resolve(&ring, &i.access_key, i.session_token.expose(), at(T0)).unwrap();
        assert!(!s.is_owner("minioadmin"));
    }
}
