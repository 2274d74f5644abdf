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

use std::cell::OnceCell;
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

    /// The token's bytes, without the UTF-8 check [`PresentedToken::as_str`] repeats.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            TokenRepr::Header(v) => v.as_bytes(),
            TokenRepr::Decoded(s) => s.as_bytes(),
        }
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
        self.as_bytes().is_empty()
    }
}

impl std::fmt::Debug for PresentedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PresentedToken({} bytes)", self.as_bytes().len())
    }
}

/// The per-request state behind [`scope`].
pub struct RequestCredentials {
    sts: Arc<Sts>,
    token: TokenSource,
    post_form: bool,
    /// Set once per request; a `OnceCell`, not a `OnceLock`: the task-local is never shared
    /// between threads, and a `OnceLock` took its slow, atomic path on every request.
    verified: OnceCell<Outcome>,
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
            verified: OnceCell::new(),
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
    /// The derived secret as s3s takes it, made once per verification rather than per request.
    s3_secret: s3s::auth::SecretKey,
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
    pub fn secret_key(&self) -> &s3s::auth::SecretKey {
        &self.s3_secret
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
        .try_with(|cur| cur.temporary(access_key, None, f))
        .ok()
        .flatten()
}

/// What the caller already knows of the request at hand, so that a cached verification is
/// looked up without asking again.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    /// The IAM generation of the snapshot the caller decides with.
    pub generation: u64,
    /// The wall clock's time as the caller read it for this request (stands in for the STS
    /// clock only when that is the wall clock, [`Sts::unix_now_at`]).
    pub wall: time::OffsetDateTime,
}

/// [`temporary`] for a request that carries a session token, its cached verification looked up
/// with what the caller has `seen`; `None` without a token (or outside a request scope).
pub fn presented_temporary(
    access_key: &str,
    seen: Seen,
) -> Option<S3Result<Arc<TemporarySession>>> {
    CURRENT
        .try_with(|cur| match cur.token {
            TokenSource::Present(_) => cur.temporary(access_key, Some(seen), Arc::clone),
            TokenSource::Absent | TokenSource::Invalid => None,
        })
        .ok()
        .flatten()
}

impl RequestCredentials {
    /// [`with_temporary`] within this request; `seen` as [`presented_temporary`] takes it
    /// (`None`: the current generation and the STS clock).
    fn temporary<R>(
        &self,
        access_key: &str,
        seen: Option<Seen>,
        f: impl FnOnce(&Arc<TemporarySession>) -> R,
    ) -> Option<S3Result<R>> {
        let token = match &self.token {
            TokenSource::Absent => {
                let temp_looking = strongbox_sts::credentials::is_generated_access_key(access_key);
                return (self.post_form && temp_looking).then(|| Err(POST_FORM.to_s3()));
            }
            TokenSource::Invalid => {
                return Some(Err(Failure::from_credential(CredentialError::Token(
                    strongbox_sts::TokenError::Malformed,
                ))
                .to_s3()));
            }
            TokenSource::Present(t) => t.as_bytes(),
        };
        let outcome =
            self.verified
                .get_or_init(|| match verify_cached(&self.sts, access_key, token, seen) {
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
    }
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
        token: &[u8],
        generation: u64,
        now: i64,
    ) -> bool {
        self.session.access_key() == access_key
            && strongbox_sts::ct::bytes_eq(self.token.as_bytes(), token)
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
        token: &[u8],
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

/// [`verify`], answered from [`SESSIONS`] when this `Sts` verified the same token under the IAM
/// generation `seen` names (the current one if `None`) and it is still unexpired.
///
/// A hit is not checked against the revocations again: they live in an IAM blob, so recording
/// one (here or on another node) starts a new IAM generation, and no entry of an older
/// generation is used; the entry was checked against revocations at least as new as its own
/// generation. A caller that names a generation decides with that snapshot's policies and users
/// too, so the request sees one consistent IAM state.
fn verify_cached(
    sts: &Arc<Sts>,
    access_key: &str,
    token: &[u8],
    seen: Option<Seen>,
) -> Result<Arc<TemporarySession>, Failure> {
    // Unix seconds are all a hit needs (no calendar date made on every request), and the
    // generation, not a reference to the snapshot.
    let (generation, now) = match seen {
        Some(seen) => (seen.generation, sts.unix_now_at(seen.wall)),
        None => (sts.iam().generation(), sts.unix_now()),
    };
    if let Some(session) = SESSIONS.get(sts, access_key, token, generation, now) {
        return Ok(session);
    }
    // Checked UTF-8 when the token was taken from the request; checked again only on a miss.
    let Ok(token) = std::str::from_utf8(token) else {
        return Err(Failure::from_credential(CredentialError::Token(
            strongbox_sts::TokenError::Malformed,
        )));
    };
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
    SESSIONS.insert(access_key.to_owned(), entry, now);
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
        s3_secret: s3s::auth::SecretKey::from(session.secret_key().expose()),
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
#[path = "session_tests.rs"]
mod tests;
