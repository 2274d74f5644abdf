//! Temporary credentials on S3 and admin requests (spec §4.3–§4.4, §12.2).
//!
//! s3s asks for a secret with nothing but the access key (`S3Auth::get_secret_key`), yet a
//! temporary credential's secret is derived from its session token. So the HTTP front
//! ([`crate::routes::sts::front`]) runs every request inside [`scope`], which holds the request's
//! session token (header `X-Amz-Security-Token`, else the presigned query parameter) in a
//! task-local. Then:
//! - [`temporary`] (called by authentication for an access key that is not a static one)
//!   verifies the token against the key ring, checks revocations and that the parent still
//!   exists and is enabled, and yields the derived secret s3s verifies the signature with —
//!   before any signature is looked at, as MinIO does;
//! - [`verified`] (called by authentication after s3s verified the signature) returns the same
//!   verification, without repeating it, as a [`TemporarySession`] whose
//!   [`TemporarySession::permissions`] is what authorisation evaluates: the parent's policies
//!   resolved by name now, intersected with the session policy.
//!
//! A POST form upload carries its token inside the multipart body, which the front cannot see:
//! a temporary access key there is refused with a clear message.
//!
//! Verified sessions are cached across requests ([`SessionCache`]), keyed by access key; an
//! entry keeps the token it was verified with and is used only for that very token (compared in
//! constant time, a word at a time; no hash of the token per request). An entry is used only by
//! the [`Sts`] that verified it, only while the IAM snapshot generation is the one it was
//! verified under (any change of the key ring, the revocations, users or policies starts a new
//! generation, so a revocation ends a cached session at once), and only before the credential
//! expires or its signing key stops verifying.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock, RwLock, Weak};

use s3s::{S3Error, S3ErrorCode, S3Result};
use strongbox_iam::{BasePermissions, IamSnapshot, Permissions};
use strongbox_sts::request_auth::{CredentialError, KeyKind, check_credentials};
use strongbox_sts::{Provider, VerifiedSession};
use subtle::ConstantTimeEq;

use super::Sts;

/// What the front knows about a request's session token.
#[derive(Debug, Clone)]
pub enum TokenSource {
    /// No token (or an empty one).
    Absent,
    Present(PresentedToken),
    /// Conflicting or oversize token values: any temporary key is refused.
    Invalid,
}

/// Whether a request carries a session token, as the front found it (see [`token_state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Absent,
    Present,
    Invalid,
}

/// A session token as the request presented it: the header value itself (shared with the
/// request, not copied), or the percent-decoded query parameter.
///
/// Not zeroized: a session token is no secret. The client sends it in clear on every request
/// (header or URL), and it proves nothing without the secret key, which is derived from the key
/// ring and never travels; what must stay secret is the key ring and the derived secret. Its
/// `Debug` still shows only the length, as it is a bearer of identity claims.
#[derive(Clone)]
pub struct PresentedToken(TokenRepr);

#[derive(Clone)]
enum TokenRepr {
    /// Checked to be UTF-8 when made.
    Header(http::HeaderValue),
    Decoded(Box<str>),
}

impl PresentedToken {
    /// A token header value; `None` unless it is UTF-8. (A token with anything but the
    /// base64url alphabet and dots fails verification anyway; UTF-8 is checked with the fast
    /// ASCII path of `str::from_utf8` rather than `HeaderValue::to_str`'s byte loop.)
    #[must_use]
    pub fn from_header(value: &http::HeaderValue) -> Option<Self> {
        std::str::from_utf8(value.as_bytes()).ok()?;
        Some(Self(TokenRepr::Header(value.clone())))
    }

    /// A token taken from the query string, already percent-decoded.
    #[must_use]
    pub fn from_decoded(value: String) -> Self {
        Self(TokenRepr::Decoded(value.into_boxed_str()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Checked in `from_header`: never the empty fallback.
            TokenRepr::Header(v) => std::str::from_utf8(v.as_bytes()).unwrap_or_default(),
            TokenRepr::Decoded(s) => s,
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }
}

impl std::fmt::Debug for PresentedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PresentedToken({} bytes)", self.as_str().len())
    }
}

/// The per-request state behind [`scope`].
pub struct RequestCredentials {
    sts: Arc<Sts>,
    token: TokenSource,
    post_form: bool,
    verified: OnceLock<Outcome>,
}

/// This request's verification: the session (which knows its access key), or the refusal and
/// the access key it was for.
enum Outcome {
    Session(Arc<TemporarySession>),
    Refused(Box<str>, Failure),
}

impl Outcome {
    fn access_key(&self) -> &str {
        match self {
            Self::Session(s) => s.access_key(),
            Self::Refused(access_key, _) => access_key,
        }
    }
}

impl RequestCredentials {
    #[must_use]
    pub fn new(sts: Arc<Sts>, token: TokenSource, post_form: bool) -> Self {
        Self {
            sts,
            token,
            post_form,
            verified: OnceLock::new(),
        }
    }
}

tokio::task_local! {
    static CURRENT: RequestCredentials;
}

/// Runs `fut` (the rest of the request) with `creds` as the request's credentials.
pub async fn scope<F: Future>(creds: RequestCredentials, fut: F) -> F::Output {
    CURRENT.scope(creds, fut).await
}

/// [`scope`] for synchronous work (the direct read path): no future, no allocation.
pub fn sync_scope<R>(creds: RequestCredentials, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(creds, f)
}

/// A verified, unrevoked, unexpired temporary credential whose parent may still act.
#[derive(Debug)]
pub struct TemporarySession {
    session: VerifiedSession,
    owner: bool,
    /// Whose policies apply, as resolved under one IAM generation (see
    /// [`TemporarySession::subject_memo`]).
    subject: OnceLock<(u64, crate::authz::Subject)>,
}

/// Two sessions are the same credential when their access keys agree (issue draws each at
/// random, and a token carries its access key as its unique id).
impl PartialEq for TemporarySession {
    fn eq(&self, other: &Self) -> bool {
        self.session.access_key() == other.session.access_key()
    }
}
impl Eq for TemporarySession {}

impl TemporarySession {
    pub fn access_key(&self) -> &str {
        self.session.access_key()
    }
    pub fn parent(&self) -> &str {
        self.session.parent()
    }
    /// Root's session without a session policy: root's full rights (spec §4.4 step 5).
    pub fn is_owner(&self) -> bool {
        self.owner
    }
    /// The session policy (canonical JSON), if the credential carries one.
    pub fn session_policy(&self) -> Option<&str> {
        self.session
            .claims()
            .session_policy
            .as_ref()
            .map(|p| p.as_str())
    }
    pub fn verified(&self) -> &VerifiedSession {
        &self.session
    }
    /// Authorisation's memo for this session: the subject resolved under the IAM generation
    /// stored with it (valid only for that generation; a cached session lives for one anyway).
    pub fn subject_memo(&self) -> &OnceLock<(u64, crate::authz::Subject)> {
        &self.subject
    }
    /// The derived secret, for SigV4 verification.
    pub fn secret_key(&self) -> s3s::auth::SecretKey {
        s3s::auth::SecretKey::from(self.session.secret_key().expose())
    }

    /// What authorisation evaluates (spec §12.2, §11): the parent's policies resolved by name
    /// in `snapshot` (root's sessions: everything), narrowed by the session policy if any.
    /// With a session policy present every action, including "own account" admin actions,
    /// must be allowed by it explicitly (GHSA-jjjj-jwhf-8rgr).
    pub fn permissions<'a>(&'a self, snapshot: &'a IamSnapshot) -> Permissions<'a> {
        let claims = self.session.claims();
        let root: bool = claims
            .parent
            .as_bytes()
            .ct_eq(snapshot.root_access_key().as_bytes())
            .into();
        let base = if root && claims.provider == Provider::Builtin {
            BasePermissions::Owner
        } else {
            let mut names = snapshot.policies_for_sts_parent(&claims.parent, &claims.groups);
            for p in &claims.policies {
                if !names.contains(p) {
                    names.push(p.clone());
                }
            }
            BasePermissions::Named(names)
        };
        Permissions {
            base,
            restrict: self.session_policy(),
        }
    }
}

/// Why a temporary credential was refused (cached per request; becomes an [`S3Error`]).
#[derive(Debug, Clone, Copy)]
struct Failure {
    code: &'static str,
    status: u16,
    message: &'static str,
}

impl Failure {
    fn from_credential(e: CredentialError) -> Self {
        Self {
            code: e.s3_code(),
            status: e.s3_status(),
            message: e.s3_message(),
        }
    }
    fn to_s3(self) -> S3Error {
        let code =
            S3ErrorCode::from_bytes(self.code.as_bytes()).unwrap_or(S3ErrorCode::AccessDenied);
        let mut e = S3Error::with_message(code, self.message);
        if let Ok(status) = http::StatusCode::from_u16(self.status) {
            e.set_status_code(status);
        }
        e
    }
}

const PARENT_DISABLED: Failure = Failure {
    code: "InvalidAccessKeyId",
    status: 403,
    message: "Your account is disabled; please contact your administrator.",
};

const POST_FORM: Failure = Failure {
    code: "AccessDenied",
    status: 403,
    message: "Temporary credentials cannot sign POST form uploads on this server; use a presigned URL instead.",
};

/// The temporary credential `access_key` of this request, verified against the request's
/// session token (once per request; later calls return the same result), or `None` when the
/// request carries no session token (the key is then simply unknown). `Some(Err(..))`: the token
/// is bad, expired (`ExpiredToken`), revoked, another credential's, or the parent may no longer
/// act. Call only for access keys that are not root, an IAM user or a service account; give
/// s3s [`TemporarySession::secret_key`] to verify the signature with.
pub fn temporary(access_key: &str) -> Option<S3Result<Arc<TemporarySession>>> {
    with_temporary(access_key, Arc::clone)
}

/// [`temporary`], handing `f` the session instead of a new reference to it.
pub fn with_temporary<R>(
    access_key: &str,
    f: impl FnOnce(&Arc<TemporarySession>) -> R,
) -> Option<S3Result<R>> {
    CURRENT
        .try_with(|cur| {
            let token = match &cur.token {
                TokenSource::Absent => {
                    let temp_looking =
                        strongbox_sts::credentials::is_generated_access_key(access_key);
                    return (cur.post_form && temp_looking).then(|| Err(POST_FORM.to_s3()));
                }
                TokenSource::Invalid => {
                    return Some(Err(Failure::from_credential(CredentialError::Token(
                        strongbox_sts::TokenError::Malformed,
                    ))
                    .to_s3()));
                }
                TokenSource::Present(t) => t.as_str(),
            };
            let outcome =
                cur.verified
                    .get_or_init(|| match verify_cached(&cur.sts, access_key, token) {
                        Ok(session) => Outcome::Session(session),
                        Err(failure) => Outcome::Refused(access_key.into(), failure),
                    });
            if outcome.access_key() != access_key {
                // s3s asks for one access key per request; anything else is not this session.
                return Some(Err(Failure::from_credential(CredentialError::Token(
                    strongbox_sts::TokenError::AccessKeyMismatch,
                ))
                .to_s3()));
            }
            Some(match outcome {
                Outcome::Session(s) => Ok(f(s)),
                Outcome::Refused(_, failure) => Err(failure.to_s3()),
            })
        })
        .ok()
        .flatten()
}

/// The temporary session verified for `access_key` in this request, once s3s has checked the
/// signature with its secret. `None` if `access_key` is not a verified temporary credential.
pub fn verified(access_key: &str) -> Option<Arc<TemporarySession>> {
    CURRENT
        .try_with(|cur| match cur.verified.get() {
            Some(Outcome::Session(s)) if s.access_key() == access_key => Some(Arc::clone(s)),
            _ => None,
        })
        .ok()
        .flatten()
}

/// Most verified sessions kept (about 1 KiB each); a full cache drops its unusable entries, or
/// everything if that is not enough.
const MAX_CACHED_SESSIONS: usize = 4096;

#[derive(Clone)]
struct CachedSession {
    /// The session token verified; the entry answers only a request carrying exactly this one.
    /// Not zeroized: no secret (see [`PresentedToken`]).
    token: Arc<str>,
    /// The STS state that verified it. A `Weak` compares by allocation and keeps it from being
    /// reused by another `Sts` while the entry exists, without keeping the state alive.
    sts: Weak<Sts>,
    generation: u64,
    /// Unix seconds from which the entry is unusable: the credential's expiry, or earlier when
    /// its signing key stops verifying.
    valid_until: i64,
    session: Arc<TemporarySession>,
}

/// Verified temporary sessions, shared by the requests of every [`Sts`] in the process (one in
/// a server; tests run several, which the `sts` field of each entry tells apart).
#[derive(Default)]
struct SessionCache {
    map: RwLock<HashMap<String, CachedSession>>,
}

static SESSIONS: LazyLock<SessionCache> = LazyLock::new(SessionCache::default);

thread_local! {
    /// The entry this worker thread used last, checked before [`SESSIONS`]: a client's requests
    /// mostly reuse one credential, and this skips the shared lock and the hash. It obeys the
    /// very same checks as an entry of the map ([`CachedSession::answers`]).
    static LAST: std::cell::RefCell<Option<CachedSession>> = const { std::cell::RefCell::new(None) };
}

impl CachedSession {
    /// Whether this entry may answer `access_key` presenting `token` to `sts` under IAM
    /// `generation` at `now` (Unix seconds).
    fn answers(
        &self,
        sts: &Arc<Sts>,
        access_key: &str,
        token: &str,
        generation: u64,
        now: i64,
    ) -> bool {
        self.session.access_key() == access_key
            && strongbox_sts::ct::bytes_eq(self.token.as_bytes(), token.as_bytes())
            && std::ptr::eq(self.sts.as_ptr(), Arc::as_ptr(sts))
            && self.generation == generation
            && now < self.valid_until
    }
}

impl SessionCache {
    fn get(
        &self,
        sts: &Arc<Sts>,
        access_key: &str,
        token: &str,
        generation: u64,
        now: i64,
    ) -> Option<Arc<TemporarySession>> {
        let last = LAST.with_borrow(|last| {
            last.as_ref()
                .filter(|e| e.answers(sts, access_key, token, generation, now))
                .map(|e| Arc::clone(&e.session))
        });
        if last.is_some() {
            return last;
        }
        let entry = {
            let map = self.map.read().unwrap_or_else(|p| p.into_inner());
            map.get(access_key)
                .filter(|e| e.answers(sts, access_key, token, generation, now))
                .cloned()?
        };
        let session = Arc::clone(&entry.session);
        LAST.set(Some(entry));
        Some(session)
    }

    fn insert(&self, key: String, entry: CachedSession, now: i64) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_CACHED_SESSIONS {
            map.retain(|_, e| now < e.valid_until && e.sts.strong_count() > 0);
            if map.len() >= MAX_CACHED_SESSIONS / 2 {
                map.clear();
            }
        }
        map.insert(key, entry);
    }
}

/// [`verify`], answered from [`SESSIONS`] when this `Sts` verified the same token under the
/// current IAM generation and it is still unexpired.
///
/// A hit is not checked against the revocations again: they live in an IAM blob, so recording
/// one (here or on another node) starts a new IAM generation, and no entry of an older
/// generation is used; the entry was checked against revocations at least as new as its own
/// generation.
fn verify_cached(
    sts: &Arc<Sts>,
    access_key: &str,
    token: &str,
) -> Result<Arc<TemporarySession>, Failure> {
    let now = sts.now();
    // A hit needs only the current generation (no snapshot reference: every request with a
    // token comes here).
    if let Some(session) = SESSIONS.get(
        sts,
        access_key,
        token,
        sts.iam().generation(),
        now.unix_timestamp(),
    ) {
        return Ok(session);
    }
    // The snapshot is taken before the key ring and revocations are read, so an entry can only
    // ever be stored under a generation no newer than what it was checked against.
    let snapshot = sts.iam().snapshot();
    let generation = snapshot.generation();
    let ring = sts.key_ring();
    let session = verify(sts, &ring, &snapshot, access_key, token)?;
    let verified = session.verified();
    let key_until = ring
        .keys()
        .into_iter()
        .find(|k| k.kid == verified.kid())
        .and_then(|k| k.verify_until)
        .unwrap_or(i64::MAX);
    let entry = CachedSession {
        token: token.into(),
        sts: Arc::downgrade(sts),
        generation,
        valid_until: verified.expiration().unix_timestamp().min(key_until),
        session: Arc::clone(&session),
    };
    SESSIONS.insert(access_key.to_owned(), entry, now.unix_timestamp());
    Ok(session)
}

fn verify(
    sts: &Sts,
    ring: &strongbox_sts::KeyRing,
    snapshot: &IamSnapshot,
    access_key: &str,
    token: &str,
) -> Result<Arc<TemporarySession>, Failure> {
    let revocations = sts.revocations();
    let now = sts.now();
    let checked = check_credentials(
        ring,
        &revocations,
        Some(access_key),
        KeyKind::NotStatic,
        Some(token),
        now,
    )
    .map_err(Failure::from_credential)?;
    let strongbox_sts::request_auth::CredentialCheck::Temporary(session) = checked else {
        // NotStatic with a token always yields a session or an error.
        return Err(Failure::from_credential(CredentialError::UnknownAccessKey));
    };
    check_parent(snapshot, &session)?;
    let owner = session.is_owner(snapshot.root_access_key());
    Ok(Arc::new(TemporarySession {
        session: *session,
        owner,
        subject: OnceLock::new(),
    }))
}

/// The parent must still be able to act (spec §12.2, DESIGN "a deleted or disabled parent makes
/// its derived credentials useless"): for AssumeRole credentials, root or an enabled IAM user.
fn check_parent(snapshot: &IamSnapshot, session: &VerifiedSession) -> Result<(), Failure> {
    let claims = session.claims();
    if claims.provider != Provider::Builtin {
        return Ok(());
    }
    let root: bool = claims
        .parent
        .as_bytes()
        .ct_eq(snapshot.root_access_key().as_bytes())
        .into();
    if root || snapshot.is_enabled(&claims.parent) {
        Ok(())
    } else {
        Err(PARENT_DISABLED)
    }
}

/// The session token state the front found for this request; `None` outside a request scope
/// (a server without STS).
pub fn token_state() -> Option<TokenState> {
    CURRENT
        .try_with(|c| match c.token {
            TokenSource::Absent => TokenState::Absent,
            TokenSource::Present(_) => TokenState::Present,
            TokenSource::Invalid => TokenState::Invalid,
        })
        .ok()
}

/// Whether this request carries a session token (valid or not) in its header or query.
pub fn request_has_token() -> bool {
    CURRENT
        .try_with(|c| !matches!(c.token, TokenSource::Absent))
        .unwrap_or(false)
}

/// The STS state serving this request (for handlers outside the STS route that act on STS
/// state, e.g. the admin revoke-tokens endpoint). `None` when the server runs without STS.
pub fn current_sts() -> Option<Arc<Sts>> {
    CURRENT.try_with(|c| Arc::clone(&c.sts)).ok()
}

/// Call after an IAM user was deleted (admin `remove-user`): records a revocation of every
/// credential the user's name parented until now, so a re-created user of the same name does
/// not revive old sessions (spec §17.3). Until then they are refused anyway: their parent does
/// not exist. Returns whether the revocation was stored (a failure is logged; the user is gone
/// either way). Without STS running there is nothing to revoke (`true`).
pub async fn parent_removed(user: &str) -> bool {
    let Some(sts) = current_sts() else {
        return true;
    };
    let user = user.to_owned();
    match tokio::task::spawn_blocking(move || sts.revoke_parent(&user)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot record the revocation of a deleted user's sessions");
            false
        }
        Err(e) => {
            tracing::error!(error = %e, "STS revocation task failed");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use strongbox_iam::{Iam, MemoryStore, Status};
    use strongbox_sts::revocation::Revocation;
    use strongbox_sts::{Claims, IssuedCredential, Provider, TestClock, duration, issue};

    use super::*;
    use crate::sts::StsConfig;

    const T0: i64 = 1_800_000_000;

    fn at(unix: i64) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    fn sts(clock: &TestClock) -> Arc<Sts> {
        let root = crate::RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
        let iam = Iam::with_store(
            Arc::new(MemoryStore::new()),
            crate::authz::iam_config(&root),
        )
        .unwrap();
        iam.add_user("alice", "alicesecret", Status::Enabled)
            .unwrap();
        let sts = Sts::open(Arc::new(iam), StsConfig::default(), Arc::new(clock.clone()));
        Arc::new(sts.unwrap())
    }

    fn credential(sts: &Sts, secs: &str) -> IssuedCredential {
        let d = duration::assume_role(&sts.config().duration, Some(secs)).unwrap();
        issue(
            &sts.key_ring(),
            Claims::new("alice", Provider::Builtin),
            sts.now(),
            d,
        )
        .unwrap()
    }

    /// One request presenting `cred`'s token: the session, or the S3 error code.
    async fn request(
        sts: &Arc<Sts>,
        cred: &IssuedCredential,
    ) -> Result<Arc<TemporarySession>, String> {
        let token = PresentedToken::from_decoded(cred.session_token.expose().to_owned());
        let creds = RequestCredentials::new(Arc::clone(sts), TokenSource::Present(token), false);
        scope(creds, async {
            temporary(&cred.access_key)
                .expect("a token was presented")
                .map_err(|e| e.code().as_str().to_owned())
        })
        .await
    }

    /// Both authentication hooks, as one request carrying `token` runs them: the secret handed to
    /// s3s, and whom `authenticate` then names (or the S3 error codes).
    async fn authenticate_with(
        sts: &Arc<Sts>,
        access_key: &str,
        token: &str,
    ) -> (Result<String, String>, Result<String, String>) {
        use crate::identity::{Identities, Identity, Principal, SECURITY_TOKEN_HEADER};
        let root = crate::RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
        let ids = Identities::new(root, Arc::clone(sts.iam()), None);
        let presented = PresentedToken::from_decoded(token.to_owned());
        let creds =
            RequestCredentials::new(Arc::clone(sts), TokenSource::Present(presented), false);
        let mut headers = http::HeaderMap::new();
        headers.insert(SECURITY_TOKEN_HEADER, token.parse().unwrap());
        let credentials = s3s::auth::Credentials {
            access_key: access_key.into(),
            secret_key: "unused".into(),
        };
        let code = |e: S3Error| e.code().as_str().to_owned();
        scope(creds, async {
            let secret = ids
                .secret_key(access_key)
                .map(|k| k.expose().to_owned())
                .map_err(code);
            let uri = "/b/k".parse().unwrap();
            let who = crate::identity::authenticate(&ids, Some(&credentials), &headers, &uri)
                .map(|p| match p {
                    Principal::Authenticated(Identity::Temporary { parent, .. }) => {
                        format!("temporary of {parent}")
                    }
                    other => format!("{other:?}"),
                })
                .map_err(code);
            (secret, who)
        })
        .await
    }

    #[tokio::test]
    async fn a_token_is_tried_first_yet_static_keys_with_a_token_are_still_refused() {
        let clock = TestClock::at_unix(T0);
        let sts = sts(&clock);
        let cred = credential(&sts, "900");
        let token = cred.session_token.expose();
        let denied = || Err("InvalidTokenId".to_owned());
        // The temporary credential with its own token.
        let (secret, who) = authenticate_with(&sts, &cred.access_key, token).await;
        assert_eq!(secret.unwrap(), cred.secret_key.expose());
        assert_eq!(who.unwrap(), "temporary of alice");
        // An IAM user or root presenting that (valid) token: their own secret for the
        // signature, then refused as before.
        let (secret, who) = authenticate_with(&sts, "alice", token).await;
        assert_eq!(secret.unwrap(), "alicesecret");
        assert_eq!(who, denied());
        let (secret, who) = authenticate_with(&sts, "rootuser", token).await;
        assert_eq!(secret.unwrap(), "rootpassword");
        assert_eq!(who, denied());
        // An unknown key with another credential's token, and a tampered token.
        let (secret, who) = authenticate_with(&sts, "AKIAUNKNOWNKEY000000", token).await;
        assert_eq!((secret, who), (denied(), denied()));
        let tampered = format!("{token}x");
        let (secret, who) = authenticate_with(&sts, &cred.access_key, &tampered).await;
        assert_eq!((secret, who), (denied(), denied()));
        // A disabled user with a token: the account refusal, as before.
        sts.iam()
            .set_user_status("alice", Status::Disabled)
            .unwrap();
        let (secret, _) = authenticate_with(&sts, "alice", token).await;
        assert_eq!(secret, Err("InvalidAccessKeyId".to_owned()));
    }

    #[tokio::test]
    async fn a_verified_session_is_reused_until_it_expires() {
        let clock = TestClock::at_unix(T0);
        let sts = sts(&clock);
        let cred = credential(&sts, "900");
        let first = request(&sts, &cred).await.unwrap();
        let second = request(&sts, &cred).await.unwrap();
        assert!(
            Arc::ptr_eq(&first, &second),
            "second request served from the cache"
        );
        clock.set(at(T0 + 899));
        assert!(request(&sts, &cred).await.is_ok());
        clock.set(at(T0 + 900));
        assert_eq!(request(&sts, &cred).await.unwrap_err(), "ExpiredToken");
    }

    #[tokio::test]
    async fn revocation_and_a_disabled_parent_end_a_cached_session_at_once() {
        let clock = TestClock::at_unix(T0);
        let sts = sts(&clock);
        let (a, b) = (credential(&sts, "900"), credential(&sts, "900"));
        assert!(request(&sts, &b).await.is_ok());
        // Twice: the second is served by this thread's last entry, which must end at once too.
        assert!(request(&sts, &a).await.is_ok());
        assert!(request(&sts, &a).await.is_ok());
        sts.revoke(&[Revocation::AccessKey {
            access_key: a.access_key.clone(),
            expires_at: T0 + 900,
        }])
        .unwrap();
        assert_eq!(request(&sts, &a).await.unwrap_err(), "InvalidTokenId");
        assert!(request(&sts, &b).await.is_ok());
        assert!(request(&sts, &b).await.is_ok());
        sts.iam()
            .set_user_status("alice", Status::Disabled)
            .unwrap();
        assert_eq!(request(&sts, &b).await.unwrap_err(), "InvalidAccessKeyId");
        sts.iam().set_user_status("alice", Status::Enabled).unwrap();
        assert!(request(&sts, &b).await.is_ok());
        sts.revoke_parent("alice").unwrap();
        assert_eq!(request(&sts, &b).await.unwrap_err(), "InvalidTokenId");
    }

    #[tokio::test]
    async fn a_session_cached_by_one_sts_is_not_accepted_by_another() {
        let clock = TestClock::at_unix(T0);
        let (one, other) = (sts(&clock), sts(&clock));
        let cred = credential(&one, "900");
        assert!(request(&one, &cred).await.is_ok());
        // Same IAM generation history, different key ring: the other must verify for itself.
        assert_eq!(
            one.iam().snapshot().generation(),
            other.iam().snapshot().generation()
        );
        assert_eq!(request(&other, &cred).await.unwrap_err(), "InvalidTokenId");
    }

    #[tokio::test]
    async fn a_wrong_token_for_a_cached_access_key_is_refused() {
        let clock = TestClock::at_unix(T0);
        let sts = sts(&clock);
        let (a, b) = (credential(&sts, "900"), credential(&sts, "900"));
        assert!(request(&sts, &a).await.is_ok());
        let mixed = IssuedCredential {
            session_token: b.session_token.clone(),
            ..a.clone()
        };
        assert_eq!(request(&sts, &mixed).await.unwrap_err(), "InvalidTokenId");
    }
}
