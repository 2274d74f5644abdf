//! The decision (spec §12.1): whose policies apply to a principal, and what they say about one
//! action on one resource.
//!
//! - Root: the owner, allowed.
//! - IAM user: the union of its own and its enabled groups' named policies, resolved by name from
//!   the snapshot at request time (no policy → denied).
//! - Service account: its parent's rights (owner for root's accounts), intersected with its
//!   embedded policy when it has one (both must allow; a Deny on either side denies).
//! - Temporary credential (STS): its parent's named policies resolved now (owner for root's
//!   sessions), intersected with its session policy when it has one (spec §11, §12.2).
//! - Anonymous: the bucket's policy, statements whose `Principal` is `*` (no policy → denied).
//!
//! Authenticated requests are evaluated against IAM policies only; bucket policies only answer
//! anonymous requests, as MinIO. Explicit Deny wins everywhere (the policy crate's order).
//!
//! A principal's policy sets are bound to its `aws:username`, `aws:userid` and
//! `aws:principaltype` ([`strongbox_policy::PolicySet::bind`]) when its subject is resolved, once
//! per IAM generation: its requests then neither build those values nor resolve
//! `${aws:username}`. The principals of one user share its bound sets.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::{Arc, PoisonError, RwLock};

use sha2::Digest as _;

use strongbox_iam::{BasePermissions, IamSnapshot};
use strongbox_policy::{
    Decision, Parent, Policy, PolicySet, Principal as PolicyPrincipal, Request, evaluate_session,
};
use time::OffsetDateTime;

use super::bucket_policy;
use super::cache::{CompileError, DocKey, PolicyCache};
use super::context::{IDENTITY_BITS, Wanted, identity_binding};
use crate::identity::{Identity, Principal};

/// The policies a principal is evaluated against, resolved once per request.
#[derive(Debug, Clone)]
pub enum Subject {
    /// Root: everything allowed.
    Owner,
    /// Named policies (`base`; `None` = owner-derived), narrowed by `restrict` when present.
    Policies {
        base: Option<Arc<PolicySet>>,
        restrict: Option<Arc<PolicySet>>,
    },
    /// Unsigned: the bucket policy of the resource's bucket.
    Anonymous,
    /// The principal's policies could not be compiled: everything denied.
    Broken,
    /// An external authoriser decides (spec §13).
    External(Arc<super::external::ExternalWho>),
}

impl Subject {
    /// Whether deciding for this subject reads the request's condition values. The owner is
    /// allowed and a broken subject denied without them, so their requests need not build any
    /// (see [`super::context::condition_values`]); every other subject evaluates a policy or
    /// asks the external authoriser, which sees them all.
    #[must_use]
    pub fn reads_condition_values(&self) -> bool {
        self.wanted().is_some()
    }

    /// Which condition values deciding for this subject reads: `None` for none at all; for
    /// policies, the keys they name ([`strongbox_policy::PolicySet::reads`]); everything for a
    /// bucket policy (compiled at decision time) and for the external authoriser (which is sent
    /// them all).
    #[must_use]
    pub fn wanted(&self) -> Option<Wanted<'_>> {
        match self {
            Self::Owner
            | Self::Broken
            | Self::Policies {
                base: None,
                restrict: None,
            } => None,
            Self::Policies { base, restrict } => Some(Wanted::Read(
                base.as_deref().map(PolicySet::reads),
                restrict.as_deref().map(PolicySet::reads),
            )),
            Self::Anonymous | Self::External(_) => Some(Wanted::All),
        }
    }
}

/// The outcome, with the reason for the log (naming the deciding statement while the debug log of
/// this module is on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allow(Cow<'static, str>),
    Deny(Cow<'static, str>),
}

impl Verdict {
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow(_))
    }

    /// The statement that decided is spelled out only when the debug log that reports it is on:
    /// formatting it costs about as much as evaluating a small policy, on every request.
    fn of(d: Decision<'_>) -> Self {
        let reason = if tracing::enabled!(tracing::Level::DEBUG) {
            Cow::Owned(d.to_string())
        } else if d.is_allowed() {
            Cow::Borrowed("allowed by policy")
        } else {
            Cow::Borrowed("denied by policy")
        };
        if d.is_allowed() {
            Self::Allow(reason)
        } else {
            Self::Deny(reason)
        }
    }
}

/// Most subjects of IAM users and service accounts remembered per IAM generation.
const MAX_SUBJECTS: usize = 4096;

/// Subjects of long-term access keys, valid for one IAM snapshot generation (any IAM change —
/// a policy edited, a mapping, a user disabled — starts a new one, and the memo with it).
type Subjects = GenerationMemo<String, Subject, MAX_SUBJECTS>;

/// Tells authorisers apart in the per-thread memo (an address could be reused).
#[derive(Debug)]
struct AuthorizerId(u64);

impl Default for AuthorizerId {
    fn default() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Self(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

/// The subject a thread resolved last, for the IAM generation and access key it was resolved
/// under.
struct LastSubject {
    authorizer: u64,
    generation: u64,
    access_key: String,
    subject: Subject,
}

thread_local! {
    /// Consecutive requests on a thread mostly come from one credential: its subject is found
    /// here without the shared lock and map of [`Authorizer::subject`]. Counted with `Rc`: a
    /// request holding it writes this thread's count only, not the policy sets' shared ones.
    static LAST_SUBJECT: std::cell::RefCell<Option<Rc<LastSubject>>> =
        const { std::cell::RefCell::new(None) };
}

/// A subject as one request holds it ([`Authorizer::subject_of`]): borrowed from a temporary
/// credential's session, shared with this thread's memo of the last IAM user or service
/// account, or its own.
#[derive(Clone)]
pub struct SubjectRef<'p>(Held<'p>);

#[derive(Clone)]
enum Held<'p> {
    Borrowed(&'p Subject),
    Local(Rc<LastSubject>),
    Owned(Subject),
}

impl SubjectRef<'_> {
    /// An owned copy (for a decision that waits for the operation's typed input).
    #[must_use]
    pub fn into_owned(self) -> Subject {
        match self.0 {
            Held::Borrowed(s) => s.clone(),
            Held::Local(last) => last.subject.clone(),
            Held::Owned(s) => s,
        }
    }
}

impl Deref for SubjectRef<'_> {
    type Target = Subject;

    fn deref(&self) -> &Subject {
        match &self.0 {
            Held::Borrowed(s) => s,
            Held::Local(last) => &last.subject,
            Held::Owned(s) => s,
        }
    }
}

impl std::fmt::Debug for SubjectRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Subject::fmt(self, f)
    }
}

/// Values remembered for one IAM generation, at most `CAP` of them.
#[derive(Debug)]
struct GenerationMemo<K, V, const CAP: usize> {
    generation: u64,
    entries: HashMap<K, V>,
}

impl<K, V, const CAP: usize> Default for GenerationMemo<K, V, CAP> {
    fn default() -> Self {
        Self {
            generation: 0,
            entries: HashMap::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq, V, const CAP: usize> GenerationMemo<K, V, CAP> {
    /// The value remembered for `key` under `generation`.
    fn get<Q>(&self, generation: u64, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        (self.generation == generation)
            .then(|| self.entries.get(key))
            .flatten()
    }

    /// Remembers `value` for `key` under `generation`, forgetting older generations; a value of
    /// an older generation than the memo's is not kept. When full, everything is forgotten.
    fn insert(&mut self, generation: u64, key: K, value: V) {
        // Only move forward: a request holding an older snapshot must not evict newer ones.
        if self.generation < generation {
            self.generation = generation;
            self.entries.clear();
        }
        if self.generation == generation {
            if self.entries.len() >= CAP {
                self.entries.clear();
            }
            self.entries.insert(key, value);
        }
    }
}

/// Most policy sets bound to a principal's constant values remembered per IAM generation.
const MAX_BOUND_SETS: usize = 1024;

/// What a bound set is remembered by: the address of the set it was bound from (that set, kept
/// with it, keeps the address from being reused), and the user name and principal type bound.
type BoundKey = (usize, Arc<str>, &'static str);

/// Policy sets bound to the constant values of the principals using them ([`Authorizer::bound`]),
/// for one IAM generation: the principals of one user (the user, its service accounts, its
/// temporary credentials) share one bound set per policy set. Each entry: the set bound from,
/// and the bound set.
type BoundSets = GenerationMemo<BoundKey, (Arc<PolicySet>, Arc<PolicySet>), MAX_BOUND_SETS>;

/// Decides S3 requests; holds the compiled-policy caches.
#[derive(Debug, Default)]
pub struct Authorizer {
    id: AuthorizerId,
    cache: PolicyCache,
    subjects: RwLock<Subjects>,
    bound: RwLock<BoundSets>,
    external: Option<Arc<super::external::ExternalAuthorizer>>,
}

impl Authorizer {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every authenticated request is decided by `external` instead of IAM policies.
    #[must_use]
    pub fn with_external(mut self, external: Arc<super::external::ExternalAuthorizer>) -> Self {
        self.external = Some(external);
        self
    }

    /// Whose policies `principal` is evaluated against, from `snapshot` (the snapshot it was
    /// authenticated with).
    #[must_use]
    pub fn subject(&self, snapshot: &IamSnapshot, principal: &Principal) -> Subject {
        self.subject_of(snapshot, principal).into_owned()
    }

    /// [`Self::subject`], borrowed where it is remembered (a temporary credential's session,
    /// this thread's memo of the last IAM user or service account): a request then neither
    /// copies it nor counts another reference to its policy sets, whose counts all threads
    /// would otherwise write.
    #[must_use]
    pub fn subject_of<'p>(
        &self,
        snapshot: &IamSnapshot,
        principal: &'p Principal,
    ) -> SubjectRef<'p> {
        if let Some(s) = self.external.as_ref().and_then(|e| e.subject(principal)) {
            return SubjectRef(Held::Owned(s));
        }
        let identity = match principal {
            Principal::Anonymous => return SubjectRef(Held::Owned(Subject::Anonymous)),
            Principal::Authenticated(Identity::Root { .. }) => {
                return SubjectRef(Held::Owned(Subject::Owner));
            }
            Principal::Authenticated(identity @ Identity::Temporary { session, .. }) => {
                return SubjectRef(self.temporary_subject(snapshot, identity, session));
            }
            Principal::Authenticated(identity) => identity,
        };
        // Whose policies apply depends on the access key and the IAM state only; the request's
        // own checks (expiry, disabled) were made by authentication against this snapshot.
        let generation = snapshot.generation();
        let last = LAST_SUBJECT.with_borrow(|last| {
            last.as_ref()
                .filter(|l| {
                    l.authorizer == self.id.0
                        && l.generation == generation
                        && l.access_key == identity.access_key()
                })
                .map(Rc::clone)
        });
        if let Some(last) = last {
            return SubjectRef(Held::Local(last));
        }
        let subject = self.subject_shared(snapshot, identity, generation);
        if matches!(subject, Subject::Broken) {
            return SubjectRef(Held::Owned(subject));
        }
        let last = Rc::new(LastSubject {
            authorizer: self.id.0,
            generation,
            access_key: identity.access_key().to_owned(),
            subject,
        });
        LAST_SUBJECT.set(Some(Rc::clone(&last)));
        SubjectRef(Held::Local(last))
    }

    /// [`Self::subject`] of an IAM user or service account from the memo all threads share.
    fn subject_shared(
        &self,
        snapshot: &IamSnapshot,
        identity: &Identity,
        generation: u64,
    ) -> Subject {
        {
            let memo = self.subjects.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(subject) = memo.get(generation, identity.access_key()) {
                return subject.clone();
            }
        }
        let subject = self.subject_now(snapshot, identity);
        if !matches!(subject, Subject::Broken) {
            self.subjects
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(
                    generation,
                    identity.access_key().to_owned(),
                    subject.clone(),
                );
        }
        subject
    }

    /// [`Self::subject`] of an IAM user or service account, resolved from `snapshot` now.
    fn subject_now(&self, snapshot: &IamSnapshot, identity: &Identity) -> Subject {
        let Some(resolved) = snapshot
            .resolve_access_key(identity.access_key(), OffsetDateTime::now_utc())
            .and_then(|r| r.usable().ok())
        else {
            // Authenticated against this very snapshot, so this cannot happen; deny if it does.
            tracing::warn!(
                access_key = identity.access_key(),
                "authenticated identity missing from its snapshot"
            );
            return Subject::Broken;
        };
        let permissions = snapshot.permissions(&resolved);
        let subject = || -> Result<Subject, CompileError> {
            let base = match permissions.base {
                BasePermissions::Owner => None,
                BasePermissions::Named(names) => Some(self.cache.named_set(snapshot, names)?),
            };
            let restrict = match permissions.restrict {
                None => None,
                Some(doc) => {
                    let key = DocKey::Embedded(identity.access_key().to_owned());
                    Some(self.cache.single_set(key, doc, Policy::parse, "embedded")?)
                }
            };
            Ok(match (base, restrict) {
                (None, None) => Subject::Owner,
                (base, restrict) => {
                    let generation = snapshot.generation();
                    Subject::Policies {
                        base: base.map(|set| self.bound(set, identity, generation)),
                        restrict: restrict.map(|set| self.bound(set, identity, generation)),
                    }
                }
            })
        };
        subject().unwrap_or_else(|e| {
            tracing::error!(what = ?e.what, error = %e.error, "stored policy does not compile; denying");
            Subject::Broken
        })
    }

    /// `set` bound to the values that are the same in every request of `identity` (its
    /// `aws:username`, `aws:userid`, `aws:principaltype`), so that its requests neither carry
    /// nor resolve them; `set` itself when it reads none of them.
    fn bound(&self, set: Arc<PolicySet>, identity: &Identity, generation: u64) -> Arc<PolicySet> {
        if set.reads().known_bits() & IDENTITY_BITS == 0 {
            return set;
        }
        // What the binding is made of: the key it is remembered by.
        let kind = super::context::principal_type(identity);
        let name = identity.effective_user();
        let key: BoundKey = (Arc::as_ptr(&set) as usize, Arc::<str>::from(name), kind);
        {
            let memo = self.bound.read().unwrap_or_else(PoisonError::into_inner);
            if let Some((source, bound)) = memo.get(generation, &key)
                && Arc::ptr_eq(source, &set)
            {
                return Arc::clone(bound);
            }
        }
        let bound = Arc::new(set.bind(Arc::new(identity_binding(name, kind))));
        self.bound
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(generation, key, (set, Arc::clone(&bound)));
        bound
    }

    /// A temporary credential: the parent's policies by name now, narrowed by the session
    /// policy (which must allow every action itself, also for root's sessions: MinIO #12947).
    fn temporary_subject<'s>(
        &self,
        snapshot: &IamSnapshot,
        identity: &Identity,
        session: &'s crate::sts::session::TemporarySession,
    ) -> Held<'s> {
        if session.is_owner() {
            return Held::Owned(Subject::Owner);
        }
        // The session's claims never change, so under one IAM generation its subject is too.
        let generation = snapshot.generation();
        if let Some((g, subject)) = session.subject_memo().get()
            && *g == generation
        {
            return Held::Borrowed(subject);
        }
        let subject = self.temporary_subject_now(snapshot, identity, session);
        if !matches!(subject, Subject::Broken) {
            let _ = session.subject_memo().set((generation, subject.clone()));
        }
        Held::Owned(subject)
    }

    fn temporary_subject_now(
        &self,
        snapshot: &IamSnapshot,
        identity: &Identity,
        session: &crate::sts::session::TemporarySession,
    ) -> Subject {
        let permissions = session.permissions(snapshot);
        let subject = || -> Result<Subject, CompileError> {
            let base = match permissions.base {
                BasePermissions::Owner => None,
                BasePermissions::Named(names) => Some(self.cache.named_set(snapshot, names)?),
            };
            let restrict = match permissions.restrict {
                None => None,
                Some(doc) => {
                    let key = DocKey::Session(hex::encode(sha2::Sha256::digest(doc.as_bytes())));
                    Some(
                        self.cache
                            .single_set(key, doc, Policy::parse_session, "session")?,
                    )
                }
            };
            Ok(match (base, restrict) {
                (None, None) => Subject::Owner,
                (base, restrict) => {
                    let generation = snapshot.generation();
                    Subject::Policies {
                        base: base.map(|set| self.bound(set, identity, generation)),
                        restrict: restrict.map(|set| self.bound(set, identity, generation)),
                    }
                }
            })
        };
        subject().unwrap_or_else(|e| {
            tracing::error!(what = ?e.what, error = %e.error, "session policy does not compile; denying");
            Subject::Broken
        })
    }

    /// The verdict on one request (an action on `bucket`/`object` with its condition values).
    #[must_use]
    pub fn decide(&self, snapshot: &IamSnapshot, subject: &Subject, req: &Request<'_>) -> Verdict {
        let verdict = match subject {
            Subject::Owner => Verdict::Allow("owner".into()),
            Subject::Broken => Verdict::Deny("policies do not compile".into()),
            Subject::Policies { base, restrict } => match (base, restrict) {
                (Some(base), None) => Verdict::of(base.evaluate(req)),
                (Some(base), Some(r)) => {
                    Verdict::of(evaluate_session(Parent::Policies(base), r, req))
                }
                (None, Some(r)) => Verdict::of(evaluate_session(Parent::Owner, r, req)),
                (None, None) => Verdict::Allow("owner".into()),
            },
            Subject::Anonymous => self.decide_anonymous(snapshot, req),
            Subject::External(who) => match &self.external {
                Some(e) => e.decide(who, req),
                None => Verdict::Deny("no external authoriser".into()),
            },
        };
        tracing::debug!(
            action = req.action().as_str(),
            bucket = req.bucket(),
            object = req.object().unwrap_or(""),
            verdict = ?verdict,
            "authorization"
        );
        verdict
    }

    fn decide_anonymous(&self, snapshot: &IamSnapshot, req: &Request<'_>) -> Verdict {
        if req.bucket().is_empty() {
            return Verdict::Deny("anonymous request without a bucket".into());
        }
        let Some(text) = bucket_policy::load(snapshot, req.bucket()) else {
            return Verdict::Deny("anonymous request and no bucket policy".into());
        };
        let key = DocKey::Bucket(req.bucket().to_owned());
        match self
            .cache
            .single_set(key, text, Policy::parse_bucket, "bucket-policy")
        {
            Ok(set) => Verdict::of(set.evaluate_bucket(req, PolicyPrincipal::Anonymous)),
            Err(e) => {
                tracing::error!(bucket = req.bucket(), error = %e.error, "stored bucket policy does not compile; denying");
                Verdict::Deny("bucket policy does not compile".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strongbox_iam::{Iam, MemoryStore, PolicyTarget, Status};
    use strongbox_policy::{Action, ConditionValues};

    const GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    const PUT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#;

    /// An IAM (root `rootuser`) holding policy `p` (GetObject in `b`) and `q` (PutObject in `b`).
    fn iam_with_policies() -> Iam {
        let root = crate::RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
        let iam = Iam::with_store(
            Arc::new(MemoryStore::new()),
            super::super::iam_config(&root),
        )
        .unwrap();
        iam.put_policy("p", GET).unwrap();
        iam.put_policy("q", PUT).unwrap();
        iam
    }

    #[test]
    fn a_generation_memo_moves_only_forward_and_is_bounded() {
        let mut memo = GenerationMemo::<String, u32, 2>::default();
        memo.insert(5, "a".into(), 1);
        assert_eq!(memo.get(5, "a"), Some(&1));
        assert_eq!(memo.get(6, "a"), None, "another generation sees nothing");
        // A request still holding generation 4 neither evicts nor adds.
        memo.insert(4, "b".into(), 2);
        assert_eq!((memo.get(5, "a"), memo.get(4, "b")), (Some(&1), None));
        memo.insert(6, "c".into(), 3);
        assert_eq!((memo.get(5, "a"), memo.get(6, "c")), (None, Some(&3)));
        memo.insert(6, "d".into(), 4);
        memo.insert(6, "e".into(), 5);
        assert_eq!(memo.entries.len(), 1, "full at 2: forgotten, then e kept");
        assert_eq!(memo.get(6, "e"), Some(&5));
    }

    #[test]
    fn a_remembered_subject_follows_iam_changes_at_once() {
        let iam = iam_with_policies();
        iam.add_user("alice", "alicesecret", Status::Enabled)
            .unwrap();
        let alice = PolicyTarget::User("alice".into());
        iam.attach_policies(&alice, &["p"]).unwrap();
        let authz = Authorizer::new();
        let who = Principal::Authenticated(Identity::User {
            access_key: "alice".into(),
        });
        let values = ConditionValues::new();
        let allowed = |action| {
            let snapshot = iam.snapshot();
            let subject = authz.subject(&snapshot, &who);
            let req = Request::new(action, "b", Some("k"), &values);
            authz.decide(&snapshot, &subject, &req).is_allowed()
        };
        for _ in 0..2 {
            assert!(allowed(Action::GetObject));
            assert!(!allowed(Action::PutObject));
        }
        // The policy's text changes.
        iam.put_policy("p", PUT).unwrap();
        assert!(!allowed(Action::GetObject));
        assert!(allowed(Action::PutObject));
        iam.put_policy("p", GET).unwrap();
        assert!(allowed(Action::GetObject));
        assert!(!allowed(Action::PutObject));
        // Another policy is attached.
        iam.attach_policies(&alice, &["q"]).unwrap();
        assert!(allowed(Action::GetObject));
        assert!(allowed(Action::PutObject));
    }

    /// Two servers in one process (tests, several nodes) whose IAMs are at the same generation
    /// with the same user but different policies: one's per-thread memo never answers for the
    /// other.
    #[test]
    fn the_per_thread_memo_never_crosses_authorizers() {
        let root = crate::RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
        let iam_with = |doc: &str| {
            let iam = Iam::with_store(
                Arc::new(MemoryStore::new()),
                super::super::iam_config(&root),
            )
            .unwrap();
            iam.put_policy("p", doc).unwrap();
            iam.add_user("alice", "alicesecret", Status::Enabled)
                .unwrap();
            iam.attach_policies(&PolicyTarget::User("alice".into()), &["p"])
                .unwrap();
            iam
        };
        let (get_iam, put_iam) = (iam_with(GET), iam_with(PUT));
        assert_eq!(
            get_iam.snapshot().generation(),
            put_iam.snapshot().generation()
        );
        let who = Principal::Authenticated(Identity::User {
            access_key: "alice".into(),
        });
        let values = ConditionValues::new();
        let allowed = |authz: &Authorizer, iam: &Iam, action| {
            let snapshot = iam.snapshot();
            let subject = authz.subject(&snapshot, &who);
            let req = Request::new(action, "b", Some("k"), &values);
            authz.decide(&snapshot, &subject, &req).is_allowed()
        };
        let (a, b) = (Authorizer::new(), Authorizer::new());
        for _ in 0..3 {
            assert!(allowed(&a, &get_iam, Action::GetObject));
            assert!(!allowed(&b, &put_iam, Action::GetObject));
            assert!(allowed(&b, &put_iam, Action::PutObject));
            assert!(!allowed(&a, &get_iam, Action::PutObject));
        }
    }

    /// An IAM user's subject is held from this thread's memo: another request of the same user
    /// counts no further reference to its policy set, and a subject held while the memo moves
    /// on to another user keeps deciding for its own user.
    #[test]
    fn an_iam_users_subject_is_held_from_the_thread_memo() {
        let iam = iam_with_policies();
        for (user, policy) in [("alice", "p"), ("bob", "q")] {
            iam.add_user(user, "usersecret", Status::Enabled).unwrap();
            iam.attach_policies(&PolicyTarget::User(user.into()), &[policy])
                .unwrap();
        }
        let user = |name: &str| {
            Principal::Authenticated(Identity::User {
                access_key: name.into(),
            })
        };
        let (alice, bob) = (user("alice"), user("bob"));
        let authz = Authorizer::new();
        let snapshot = iam.snapshot();
        let base = |s: &Subject| match s {
            Subject::Policies {
                base: Some(base), ..
            } => Arc::clone(base),
            other => panic!("not a user's policies: {other:?}"),
        };
        let first = authz.subject_of(&snapshot, &alice);
        let counted = Arc::strong_count(&base(&first)) - 1;
        let second = authz.subject_of(&snapshot, &alice);
        assert!(Arc::ptr_eq(&base(&first), &base(&second)));
        assert_eq!(Arc::strong_count(&base(&second)) - 1, counted);
        // An owned copy counts one more.
        let owned = second.clone().into_owned();
        assert_eq!(Arc::strong_count(&base(&owned)) - 1, counted + 1);
        drop(owned);
        // The memo moves on to bob; alice's held subject still decides for alice.
        let values = ConditionValues::new();
        let allowed = |s: &Subject, action| {
            let req = Request::new(action, "b", Some("k"), &values);
            authz.decide(&snapshot, s, &req).is_allowed()
        };
        let bobs = authz.subject_of(&snapshot, &bob);
        assert!(!Arc::ptr_eq(&base(&first), &base(&bobs)));
        for s in [&first, &second] {
            assert!(allowed(s, Action::GetObject));
            assert!(!allowed(s, Action::PutObject));
        }
        assert!(allowed(&bobs, Action::PutObject));
        assert!(!allowed(&bobs, Action::GetObject));
    }
}
