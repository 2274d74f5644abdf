//! Who is asking: access key → [`Identity`], and the session-token check, in ONE place.
//!
//! Two hooks of s3s call into this module:
//! - [`crate::auth::Auth`] (`S3Auth::get_secret_key`) asks [`Identities::secret_key`] for the secret
//!   that s3s verifies the SigV4/SigV2 signature with (header, presigned query, POST form, streaming);
//! - [`crate::access::Access`] (`S3Access::check`) and every custom route then call [`authenticate`],
//!   which checks the credential scope's region ([`crate::scope`]), resolves the verified access
//!   key to an [`Identity`] and checks `X-Amz-Security-Token`.
//!
//! Access keys resolve against the IAM snapshot (never the database): root (from configuration,
//! compared in constant time), IAM users (enabled only), service accounts (enabled, unexpired, and
//! their parent resolved live: a disabled or deleted parent refuses the account at once). Both
//! hooks resolve, so a user disabled between signature check and access check is still refused.
//!
//! **Temporary credentials:** an access key the snapshot does not know goes to
//! [`crate::sts::session::temporary`] in [`Identities::resolve_in`] (the `None` arm), which
//! verifies the request's session token (key ring, expiry, revocations, live parent) and yields
//! the derived secret and an [`Identity::Temporary`]; [`check_session_token`] holds its rule.

use std::sync::Arc;

use http::{HeaderMap, Uri};
use s3s::auth::{Credentials, SecretKey};
use s3s::{S3Error, S3ErrorCode, S3Result};
use strongbox_iam::{Iam, IamSnapshot, Refusal};
use time::OffsetDateTime;

use crate::credentials::RootCredentials;
use crate::sts::session::{PresentedToken, TokenState};

/// The header and query parameter that carry a session token.
pub const SECURITY_TOKEN_HEADER: &str = "x-amz-security-token";
pub const SECURITY_TOKEN_QUERY: &str = "X-Amz-Security-Token";
/// Longest session token we look at (MinIO's parser stops at 64 KiB too).
pub const MAX_SESSION_TOKEN_LEN: usize = 64 * 1024;

/// MinIO's message for a disabled account (and for a service account whose parent is disabled).
pub const ACCOUNT_DISABLED: &str = "Your account is disabled; please contact your administrator.";

/// The principal behind a signed request, stored in the request's extensions by the access hook
/// so that policy evaluation and handlers can read it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Identity {
    /// The root user: may do everything.
    Root { access_key: String },
    /// An enabled IAM user of the builtin identity provider.
    User { access_key: String },
    /// A service account; its rights derive from `parent` (an IAM user or root).
    ServiceAccount {
        access_key: String,
        parent: String,
        /// The parent is the root credential (owner rights, narrowed by any embedded policy).
        parent_is_root: bool,
    },
    /// A temporary credential (STS), verified with its session token in this request. Its
    /// access key and parent are the session's (shared, not copied per request); its rights:
    /// [`crate::sts::session::TemporarySession::permissions`].
    Temporary {
        session: Arc<crate::sts::session::TemporarySession>,
    },
}

impl Identity {
    #[must_use]
    pub fn access_key(&self) -> &str {
        match self {
            Self::Root { access_key }
            | Self::User { access_key }
            | Self::ServiceAccount { access_key, .. } => access_key,
            Self::Temporary { session } => session.access_key(),
        }
    }

    /// The user whose rights this identity exercises (`aws:username`): itself, or a service
    /// account's parent.
    #[must_use]
    pub fn effective_user(&self) -> &str {
        match self {
            Self::Root { access_key } | Self::User { access_key } => access_key,
            Self::ServiceAccount { parent, .. } => parent,
            Self::Temporary { session } => session.parent(),
        }
    }
}

/// The result of authentication: an identity, or nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    Authenticated(Identity),
}

/// Everything that maps an access key to a secret and an identity.
#[derive(Debug)]
pub struct Identities {
    root: RootCredentials,
    iam: Arc<Iam>,
    /// The configured region that credential scopes must name (see [`crate::scope`]).
    required_region: Option<String>,
}

/// An access key resolved for a request whose signature the caller verifies itself (the direct
/// read path, [`crate::fast`]): the secret to verify with, and, once the signature verified,
/// whom it stands for ([`authenticate_resolved`]), resolved against `snapshot`, which the caller
/// goes on deciding with. One resolution instead of the two that s3s's hooks make.
pub struct Resolution {
    pub snapshot: Arc<IamSnapshot>,
    resolved: Resolved,
}

impl Resolution {
    /// The secret the request must be signed with.
    #[must_use]
    pub fn secret_key(&self) -> &SecretKey {
        self.resolved.secret_key()
    }
}

/// An access key that resolved: the secret to verify its signature with and whom it stands for.
enum Resolved {
    Static {
        secret_key: SecretKey,
        identity: Identity,
    },
    /// A temporary credential verified with this request's token: its secret is the session's
    /// (no copy), its [`Identity`] is made only once the signature verified.
    Temporary(Arc<crate::sts::session::TemporarySession>),
}

impl Resolved {
    fn secret_key(&self) -> &SecretKey {
        match self {
            Self::Static { secret_key, .. } => secret_key,
            Self::Temporary(session) => session.secret_key(),
        }
    }

    fn into_secret_key(self) -> SecretKey {
        match self {
            Self::Static { secret_key, .. } => secret_key,
            Self::Temporary(session) => session.secret_key().clone(),
        }
    }

    fn into_identity(self) -> Identity {
        match self {
            Self::Static { identity, .. } => identity,
            Self::Temporary(session) => temporary_identity(session),
        }
    }
}

impl Identities {
    #[must_use]
    pub fn new(root: RootCredentials, iam: Arc<Iam>, required_region: Option<String>) -> Self {
        Self {
            root,
            iam,
            required_region,
        }
    }

    /// The IAM the identities come from.
    #[must_use]
    pub fn iam(&self) -> &Arc<Iam> {
        &self.iam
    }

    /// The secret that signs requests made with `access_key`.
    pub fn secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        if self.is_root(access_key) {
            return Ok(self.root.secret_key().clone());
        }
        // A temporary credential with this request's token is tried first there.
        let snapshot = self.iam.snapshot();
        self.resolve_in(&snapshot, access_key, OffsetDateTime::now_utc())
            .map(Resolved::into_secret_key)
    }

    /// Resolves `access_key` now, as [`Identities::secret_key`] and then [`authenticate`] would
    /// (the same rules and refusals), in one step: see [`Resolution`].
    /// `now` is the wall clock's time for this request (`OffsetDateTime::now_utc`): it decides
    /// whether a service account has expired, and whether a cached temporary session still
    /// answers (when the STS runs on the wall clock).
    pub fn resolve(&self, access_key: &str, now: OffsetDateTime) -> S3Result<Resolution> {
        let snapshot = self.iam.snapshot();
        let resolved = self.resolve_in(&snapshot, access_key, now)?;
        Ok(Resolution { snapshot, resolved })
    }

    /// Whether `access_key` is root's. Constant time on the key's content; only its length can
    /// show through timing. The secret is never compared here: s3s compares signatures in
    /// constant time.
    fn is_root(&self, access_key: &str) -> bool {
        // Word-wise: subtle's byte loop showed in the profile of every request.
        strongbox_sts::ct::bytes_eq(access_key.as_bytes(), self.root.access_key().as_bytes())
    }

    /// Resolves `access_key` against one snapshot at time `now`.
    fn resolve_in(
        &self,
        snapshot: &IamSnapshot,
        access_key: &str,
        now: OffsetDateTime,
    ) -> S3Result<Resolved> {
        if self.is_root(access_key) {
            return Ok(Resolved::Static {
                secret_key: self.root.secret_key().clone(),
                identity: Identity::Root {
                    access_key: self.root.access_key().to_owned(),
                },
            });
        }
        // With a session token in the request, the key is first tried as the token's temporary
        // credential (cached per request and across requests), before any static key is looked
        // up: the common case then costs no IAM lookup. An error is only kept for when the key
        // is not a static one either, so every refusal stays what it was: root, IAM-user and
        // service-account keys with a token still resolve as themselves and are refused by
        // `check_session_token` (a token carries its own access key and verifies for no
        // other). The one change: a static key spelled exactly as an outstanding temporary
        // credential's random key is shadowed by that credential for requests carrying its
        // token (signed with its derived secret); the static key alone still works without one.
        let first = match crate::sts::session::presented_temporary(
            access_key,
            crate::sts::session::Seen {
                generation: snapshot.generation(),
                wall: now,
            },
        ) {
            Some(Ok(session)) => return Ok(Resolved::Temporary(session)),
            other => other,
        };
        let Some(resolved) = snapshot.resolve_access_key(access_key, now) else {
            return match first.or_else(|| crate::sts::session::temporary(access_key)) {
                Some(Ok(session)) => Ok(Resolved::Temporary(session)),
                Some(Err(e)) => Err(e),
                None => Err(invalid_access_key()),
            };
        };
        let principal = resolved.usable().map_err(|refusal| {
            tracing::debug!(access_key, ?refusal, "access key refused");
            refused(refusal)
        })?;
        let identity = match principal {
            strongbox_iam::Principal::Root(r) => Identity::Root {
                access_key: r.access_key.clone(),
            },
            strongbox_iam::Principal::User(u) => Identity::User {
                access_key: u.access_key.clone(),
            },
            strongbox_iam::Principal::ServiceAccount {
                account,
                parent_is_root,
            } => Identity::ServiceAccount {
                access_key: account.access_key.clone(),
                parent: account.parent.clone(),
                parent_is_root,
            },
        };
        Ok(Resolved::Static {
            secret_key: SecretKey::from(principal.secret_key().expose()),
            identity,
        })
    }
}

/// The identity of a verified session, named by the session's own access key (the request's:
/// a session answers no other, see [`crate::sts::session::with_temporary`]).
fn temporary_identity(session: Arc<crate::sts::session::TemporarySession>) -> Identity {
    Identity::Temporary { session }
}

/// Turns the credentials s3s verified into a [`Principal`], checking the session token.
///
/// `credentials` is `None` for an unsigned request. The token is looked for in the
/// `X-Amz-Security-Token` header and query parameter (header and presigned auth).
pub fn authenticate(
    identities: &Identities,
    credentials: Option<&Credentials>,
    headers: &HeaderMap,
    uri: &Uri,
) -> S3Result<Principal> {
    let snapshot = identities.iam.snapshot();
    authenticate_in(identities, &snapshot, credentials, headers, uri)
}

/// As [`authenticate`], against a snapshot the caller goes on deciding with.
pub fn authenticate_in(
    identities: &Identities,
    snapshot: &IamSnapshot,
    credentials: Option<&Credentials>,
    headers: &HeaderMap,
    uri: &Uri,
) -> S3Result<Principal> {
    let has_token = has_session_token(headers, uri)?;
    let Some(credentials) = credentials else {
        // A token on an unsigned request names a session nobody proved to own.
        return match has_token {
            false => Ok(Principal::Anonymous),
            true => Err(S3Error::with_message(
                S3ErrorCode::AccessDenied,
                "No AWSAccessKey was presented",
            )),
        };
    };
    check_region(identities, headers, uri)?;
    let identity = match crate::sts::session::verified(&credentials.access_key) {
        // This request's token verified for this very key when s3s asked for its secret (see
        // `Identities::resolve_in`): no second resolution.
        Some(session) => temporary_identity(session),
        None => identities
            .resolve_in(snapshot, &credentials.access_key, OffsetDateTime::now_utc())?
            .into_identity(),
    };
    check_session_token(&identity, has_token)?;
    Ok(Principal::Authenticated(identity))
}

/// As [`authenticate_in`], for a request signed by `resolution`'s secret (verified by the
/// caller): the same region and session-token rules, without resolving the key again.
pub fn authenticate_resolved(
    identities: &Identities,
    resolution: Resolution,
    headers: &HeaderMap,
    uri: &Uri,
) -> S3Result<(Arc<IamSnapshot>, Principal)> {
    let has_token = has_session_token(headers, uri)?;
    check_region(identities, headers, uri)?;
    let identity = resolution.resolved.into_identity();
    check_session_token(&identity, has_token)?;
    Ok((resolution.snapshot, Principal::Authenticated(identity)))
}

/// The credential scope must name the configured region; without one every scope is accepted
/// (the scope is not even parsed).
fn check_region(identities: &Identities, headers: &HeaderMap, uri: &Uri) -> S3Result<()> {
    if let Some(required) = identities.required_region.as_deref()
        && let Some(region) = crate::scope::scope_region(headers, uri)
    {
        crate::scope::check_region(Some(required), &region)?;
    }
    Ok(())
}

/// The rule per kind of identity. Long-term credentials carry no token: a token sent with them is
/// refused rather than ignored (as MinIO does), so a client never believes it used a session.
fn check_session_token(identity: &Identity, has_token: bool) -> S3Result<()> {
    match (identity, has_token) {
        (
            Identity::Root { .. } | Identity::User { .. } | Identity::ServiceAccount { .. },
            false,
        ) => Ok(()),
        (Identity::Root { .. } | Identity::User { .. } | Identity::ServiceAccount { .. }, true) => {
            Err(invalid_token())
        }
        // Resolved from this very request's token (checked there in constant time by HMAC).
        (Identity::Temporary { .. }, true) => Ok(()),
        (Identity::Temporary { .. }, false) => Err(invalid_token()),
    }
}

/// The session token of a request: at most one, from the header or the query, bounded in size.
/// A header token is shared with the request, not copied.
pub(crate) fn session_token(headers: &HeaderMap, uri: &Uri) -> S3Result<Option<PresentedToken>> {
    let mut found: Option<PresentedToken> = None;
    let mut offer = |token: PresentedToken| -> S3Result<()> {
        // Bytes: a header token was checked to be UTF-8 once, when it was taken.
        if token.as_bytes().len() > MAX_SESSION_TOKEN_LEN {
            return Err(invalid_token());
        }
        match &found {
            Some(existing) if existing.as_bytes() != token.as_bytes() => Err(invalid_token()),
            _ => {
                found = Some(token);
                Ok(())
            }
        }
    };
    // A parsed name: every request looks for it (`&str` would be parsed on each lookup).
    const HEADER: http::HeaderName = http::HeaderName::from_static(SECURITY_TOKEN_HEADER);
    for value in headers.get_all(HEADER) {
        offer(PresentedToken::from_header(value).ok_or_else(invalid_token)?)?;
    }
    if let Some(query) = uri.query() {
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if name.eq_ignore_ascii_case(SECURITY_TOKEN_QUERY) {
                let decoded = percent_decode(value).ok_or_else(invalid_token)?;
                offer(PresentedToken::from_decoded(decoded))?;
            }
        }
    }
    Ok(found.filter(|t| !t.is_empty()))
}

/// Whether the request carries a session token: as the HTTP front found it for this request
/// (the same headers and URI; no second scan), or read from `headers` and `uri` outside a
/// request scope (a server without STS, tests).
fn has_session_token(headers: &HeaderMap, uri: &Uri) -> S3Result<bool> {
    match crate::sts::session::token_state() {
        Some(TokenState::Present) => Ok(true),
        Some(TokenState::Absent) => Ok(false),
        Some(TokenState::Invalid) => Err(invalid_token()),
        None => Ok(session_token(headers, uri)?.is_some()),
    }
}

/// Decodes `%XX` escapes and `+`, refusing malformed escapes and non-UTF-8 results.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Why a known access key may not sign requests now. MinIO answers `InvalidAccessKeyId` for all.
fn refused(refusal: Refusal) -> S3Error {
    let message = match refusal {
        Refusal::ServiceAccountExpired => "The access key ID you provided has expired.",
        Refusal::UserDisabled
        | Refusal::ServiceAccountDisabled
        | Refusal::ParentDisabled
        | Refusal::ParentMissing => ACCOUNT_DISABLED,
    };
    S3Error::with_message(S3ErrorCode::InvalidAccessKeyId, message)
}

fn invalid_access_key() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidAccessKeyId,
        "The Access Key Id you provided does not exist in our records.",
    )
}

/// MinIO's code and status for every session-token mismatch (spec §4.4): `InvalidTokenId`, 403.
fn invalid_token() -> S3Error {
    let code = S3ErrorCode::from_bytes(b"InvalidTokenId").unwrap_or(S3ErrorCode::InvalidToken);
    let mut e = S3Error::with_message(
        code,
        "The security token included in the request is invalid",
    );
    e.set_status_code(http::StatusCode::FORBIDDEN);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identities() -> Identities {
        let root =
            RootCredentials::new("rootuser".into(), SecretKey::from("rootpassword")).unwrap();
        let iam = Iam::with_store(
            Arc::new(strongbox_iam::MemoryStore::new()),
            crate::authz::iam_config(&root),
        )
        .unwrap();
        Identities::new(root, Arc::new(iam), None)
    }

    fn creds(ak: &str) -> Credentials {
        Credentials {
            access_key: ak.into(),
            secret_key: SecretKey::from("rootpassword"),
        }
    }

    #[test]
    fn root_key_resolves_and_unknown_key_is_invalid_access_key_id() {
        let ids = identities();
        assert_eq!(ids.secret_key("rootuser").unwrap().expose(), "rootpassword");
        for other in ["rootuse", "rootuserx", "ROOTUSER", ""] {
            assert_eq!(
                ids.secret_key(other).unwrap_err().code(),
                &S3ErrorCode::InvalidAccessKeyId
            );
        }
    }

    fn code_and_message(e: &S3Error) -> (&str, &str) {
        (e.code().as_str(), e.message().unwrap_or_default())
    }

    #[test]
    fn users_resolve_while_enabled_and_are_refused_at_once_when_disabled_or_deleted() {
        use strongbox_iam::Status;
        let ids = identities();
        let iam = Arc::clone(ids.iam());
        iam.add_user("alice", "alicesecret", Status::Enabled)
            .unwrap();
        assert_eq!(ids.secret_key("alice").unwrap().expose(), "alicesecret");
        let uri: Uri = "/b".parse().unwrap();
        assert_eq!(
            authenticate(&ids, Some(&creds("alice")), &HeaderMap::new(), &uri).unwrap(),
            Principal::Authenticated(Identity::User {
                access_key: "alice".into()
            })
        );
        iam.set_user_status("alice", Status::Disabled).unwrap();
        let e = ids.secret_key("alice").unwrap_err();
        assert_eq!(
            code_and_message(&e),
            ("InvalidAccessKeyId", ACCOUNT_DISABLED)
        );
        let e = authenticate(&ids, Some(&creds("alice")), &HeaderMap::new(), &uri).unwrap_err();
        assert_eq!(
            code_and_message(&e),
            ("InvalidAccessKeyId", ACCOUNT_DISABLED)
        );
        iam.set_user_status("alice", Status::Enabled).unwrap();
        iam.remove_user("alice").unwrap();
        let e = ids.secret_key("alice").unwrap_err();
        assert_eq!(e.code(), &S3ErrorCode::InvalidAccessKeyId);
        assert_ne!(e.message(), Some(ACCOUNT_DISABLED));
    }

    #[test]
    fn service_accounts_follow_their_parent_live_and_expire() {
        use strongbox_iam::{NewServiceAccount, Status};
        let ids = identities();
        let iam = Arc::clone(ids.iam());
        iam.add_user("bob", "bobsecret1", Status::Enabled).unwrap();
        let mut req = NewServiceAccount::for_parent("bob");
        req.access_key = Some("bobsvc".into());
        req.expiration = Some(OffsetDateTime::now_utc() + time::Duration::days(1));
        let (ak, sk) = iam.add_service_account(req).unwrap();
        assert_eq!(ids.secret_key(&ak).unwrap().expose(), sk.expose());
        let uri: Uri = "/b".parse().unwrap();
        assert_eq!(
            authenticate(&ids, Some(&creds(&ak)), &HeaderMap::new(), &uri).unwrap(),
            Principal::Authenticated(Identity::ServiceAccount {
                access_key: "bobsvc".into(),
                parent: "bob".into(),
                parent_is_root: false,
            })
        );
        // Expired: one day and a minute later.
        let later =
            OffsetDateTime::now_utc() + time::Duration::days(1) + time::Duration::minutes(1);
        let e = ids.resolve_in(&iam.snapshot(), &ak, later).err().unwrap();
        assert_eq!(e.code(), &S3ErrorCode::InvalidAccessKeyId);
        // The parent disabled: refused at once, with MinIO's message.
        iam.set_user_status("bob", Status::Disabled).unwrap();
        let e = ids.secret_key(&ak).unwrap_err();
        assert_eq!(
            code_and_message(&e),
            ("InvalidAccessKeyId", ACCOUNT_DISABLED)
        );
        iam.set_user_status("bob", Status::Enabled).unwrap();
        assert!(ids.secret_key(&ak).is_ok());
        // A user carrying a session token is refused like root.
        let mut h = HeaderMap::new();
        h.insert(SECURITY_TOKEN_HEADER, "tok".parse().unwrap());
        let e = authenticate(&ids, Some(&creds("bob")), &h, &uri).unwrap_err();
        assert_eq!(e.code().as_str(), "InvalidTokenId");
    }

    #[test]
    fn authenticate_root_and_anonymous() {
        let ids = identities();
        let uri: Uri = "/bucket?list-type=2".parse().unwrap();
        let h = HeaderMap::new();
        assert_eq!(
            authenticate(&ids, None, &h, &uri).unwrap(),
            Principal::Anonymous
        );
        assert_eq!(
            authenticate(&ids, Some(&creds("rootuser")), &h, &uri).unwrap(),
            Principal::Authenticated(Identity::Root {
                access_key: "rootuser".into()
            })
        );
        let err = authenticate(&ids, Some(&creds("nobody")), &h, &uri).unwrap_err();
        assert_eq!(err.code(), &S3ErrorCode::InvalidAccessKeyId);
    }

    #[test]
    fn a_session_token_with_root_credentials_is_refused_in_header_and_query() {
        let ids = identities();
        let mut h = HeaderMap::new();
        h.insert(SECURITY_TOKEN_HEADER, "tok".parse().unwrap());
        let plain: Uri = "/b".parse().unwrap();
        let err = authenticate(&ids, Some(&creds("rootuser")), &h, &plain).unwrap_err();
        assert_eq!(err.code().as_str(), "InvalidTokenId");
        assert_eq!(err.status_code(), Some(http::StatusCode::FORBIDDEN));
        // A token without any signature is refused too, not treated as anonymous.
        let err = authenticate(&ids, None, &h, &plain).unwrap_err();
        assert_eq!(err.code(), &S3ErrorCode::AccessDenied);

        let presigned: Uri = "/b/k?X-Amz-Security-Token=a%2Bb&X-Amz-Signature=00"
            .parse()
            .unwrap();
        let err = authenticate(
            &ids,
            Some(&creds("rootuser")),
            &HeaderMap::new(),
            &presigned,
        )
        .unwrap_err();
        assert_eq!(err.code().as_str(), "InvalidTokenId");
    }

    #[test]
    fn token_sources_must_agree_and_be_bounded() {
        let mut h = HeaderMap::new();
        h.insert(SECURITY_TOKEN_HEADER, "a b".parse().unwrap());
        let same: Uri = "/b?x-amz-security-token=a%20b".parse().unwrap();
        assert_eq!(
            session_token(&h, &same)
                .unwrap()
                .as_ref()
                .map(PresentedToken::as_str),
            Some("a b")
        );
        // Only UTF-8 in the header.
        let mut ctl = HeaderMap::new();
        ctl.insert(
            SECURITY_TOKEN_HEADER,
            http::HeaderValue::from_bytes(b"a\xffb").unwrap(),
        );
        assert!(session_token(&ctl, &"/".parse().unwrap()).is_err());
        let differ: Uri = "/b?X-Amz-Security-Token=other".parse().unwrap();
        assert!(session_token(&h, &differ).is_err());
        let bad_escape: Uri = "/b?X-Amz-Security-Token=%zz".parse().unwrap();
        assert!(session_token(&HeaderMap::new(), &bad_escape).is_err());
        let mut big = HeaderMap::new();
        big.insert(
            SECURITY_TOKEN_HEADER,
            "x".repeat(MAX_SESSION_TOKEN_LEN + 1).parse().unwrap(),
        );
        assert!(session_token(&big, &"/".parse().unwrap()).is_err());
        let empty: Uri = "/b?X-Amz-Security-Token=".parse().unwrap();
        assert!(session_token(&HeaderMap::new(), &empty).unwrap().is_none());
    }
}
