//! Evaluation: a request against a set of named policies, returning which statement decided.
//!
//! Order (spec §12.3): any matching Deny → [`Decision::ExplicitDeny`]; else any matching Allow →
//! [`Decision::Allow`]; else [`Decision::ImplicitDeny`]. Resource matching applies to S3 actions only;
//! admin, KMS and STS requests skip it (spec §12.3).

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::action::{Action, ActionSet, Service};
use crate::bind::Binding;
use crate::condition::{Bound, Condition};
use crate::document::{Effect, Policy, ResourcePattern, Statement};
use crate::glob::Pattern;
use crate::index::{Index, confined_buckets, resource_literals};
use crate::reads::KeySet;
use crate::resource::{Text, segment_hash};
use crate::values::ConditionValues;

/// What is being asked: an action on a resource, with the request's condition values (which also
/// carry the principal's policy variables: `aws:username`, `jwt:sub`, ...).
#[derive(Debug, Clone)]
pub struct Request<'a> {
    action: Action,
    bucket: &'a str,
    object: Option<&'a str>,
    /// `bucket` or `bucket/object`: the text resource patterns are matched against.
    resource: Text<'a>,
    /// Whether `action` is an S3 action (resources are matched for S3 actions only).
    s3: bool,
    values: &'a ConditionValues,
}

impl<'a> Request<'a> {
    /// `bucket` may be empty (ListAllMyBuckets, admin and STS calls); `object` is `None` for
    /// bucket-level requests.
    pub fn new(
        action: Action,
        bucket: &'a str,
        object: Option<&'a str>,
        values: &'a ConditionValues,
    ) -> Self {
        Request {
            action,
            bucket,
            object,
            resource: Text::resource(bucket, object),
            s3: action.service() == Service::S3,
            values,
        }
    }

    pub fn action(&self) -> Action {
        self.action
    }
    pub fn bucket(&self) -> &str {
        self.bucket
    }
    pub fn object(&self) -> Option<&str> {
        self.object
    }
    pub fn values(&self) -> &ConditionValues {
        self.values
    }
    /// The same request for another action (e.g. the deny-only `s3:DeleteObjectVersion` check).
    pub fn with_action(&self, action: Action) -> Request<'a> {
        Request {
            action,
            s3: action.service() == Service::S3,
            ..self.clone()
        }
    }
}

/// Names the statement that decided: the policy's name, its position and its `Sid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementRef<'a> {
    pub policy: &'a str,
    pub index: usize,
    pub sid: Option<&'a str>,
}

impl fmt::Display for StatementRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "policy {:?} statement #{}", self.policy, self.index)?;
        if let Some(sid) = self.sid {
            write!(f, " (Sid {sid:?})")?;
        }
        Ok(())
    }
}

/// The outcome of an evaluation, with its reason. Not a bool: log it, then branch on it.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision<'a> {
    Allow(StatementRef<'a>),
    ExplicitDeny(StatementRef<'a>),
    ImplicitDeny,
}

impl<'a> Decision<'a> {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }
    /// The deciding statement (`None` for an implicit deny).
    pub fn statement(&self) -> Option<StatementRef<'a>> {
        match self {
            Decision::Allow(s) | Decision::ExplicitDeny(s) => Some(*s),
            Decision::ImplicitDeny => None,
        }
    }
}

impl fmt::Display for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allow(s) => write!(f, "allowed by {s}"),
            Decision::ExplicitDeny(s) => write!(f, "denied by {s}"),
            Decision::ImplicitDeny => f.write_str("denied: no statement allows"),
        }
    }
}

/// Who is asking, for bucket-policy `Principal` matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal<'a> {
    /// An unsigned request: only `"*"` principals match.
    Anonymous,
    /// An authenticated principal, matched against `AWS` entries (with wildcards).
    Arn(&'a str),
}

impl ResourcePattern {
    fn matches(&self, req: &Request<'_>) -> bool {
        self.pattern.matches_text(&req.resource, req.values)
            || (req.object.is_none()
                && self
                    .bucket_alias
                    .as_ref()
                    .is_some_and(|p| p.matches(req.bucket, req.values)))
    }
}

impl Statement {
    /// Whether the statement applies to `req` (action, resource for S3 actions, conditions).
    pub(crate) fn matches(&self, req: &Request<'_>) -> bool {
        if !self.actions.contains(req.action) {
            return false;
        }
        if req.s3 {
            let Some(r) = &self.resource else {
                return false;
            };
            if r.patterns.iter().any(|p| p.matches(req)) == r.negated {
                return false;
            }
        }
        self.conditions.iter().all(|c| c.evaluate(req.values))
    }

    fn principal_matches(&self, who: Principal<'_>) -> bool {
        let Some(p) = &self.principal else {
            return false;
        };
        let hit = match who {
            Principal::Anonymous => p.aws.iter().any(|a| a == "*"),
            Principal::Arn(arn) => p
                .patterns
                .iter()
                .any(|pat| pat.matches(arn, ConditionValues::empty())),
        };
        hit != p.negated
    }
}

#[derive(Debug, Clone)]
struct Slot {
    /// The statement's actions, kept here so that a statement for other actions is passed over
    /// without reaching its policy.
    actions: ActionSet,
    /// For S3 actions: the common beginning of [`Self::prefixes`] (at most [`HEAD_BYTES`]),
    /// tested without following a pointer.
    head: Head,
    /// Whether every resource matches (a `Resource` with the pattern `*`).
    any_resource: bool,
    /// For S3 actions: the statement can only match a resource that starts with one of these
    /// (the literal beginnings of its resource patterns); `None` when that says nothing (no
    /// `Resource`, `NotResource`, or a pattern starting with a wildcard or variable), or when
    /// [`Self::head`] already says all of it.
    prefixes: Option<Box<[Box<str>]>>,
    /// The statement's resource block (`negated`, patterns) and conditions: what deciding
    /// whether it applies reads, kept with the slot so that a candidate is tested without a
    /// trip through its policy to its statement (only the statement that decides is looked up).
    resource: Option<(bool, Arc<[ResourcePattern]>)>,
    conditions: Arc<[Condition]>,
    policy: u32,
    statement: u32,
    /// The first resource segments (buckets) the statement can match in, `None` when unknown
    /// (see [`crate::index`]).
    buckets: Option<Box<[Box<str>]>>,
}

impl Slot {
    fn new(policy: u32, statement: u32, st: &Statement) -> Self {
        let resource = st
            .resource
            .as_ref()
            .map(|r| (r.negated, Arc::from(r.patterns.as_slice())));
        Self::of(
            (policy, statement),
            st.actions,
            resource,
            Arc::from(st.conditions.as_slice()),
        )
    }

    /// A slot for a statement's actions, resource block and conditions, with what is derived
    /// from them.
    fn of(
        (policy, statement): (u32, u32),
        actions: ActionSet,
        resource: Option<(bool, Arc<[ResourcePattern]>)>,
        conditions: Arc<[Condition]>,
    ) -> Self {
        let literals = resource
            .as_ref()
            .and_then(|(negated, patterns)| resource_literals(*negated, patterns));
        let mut prefixes = literals.as_deref().and_then(|l| {
            l.iter()
                .map(|&(lit, _)| (!lit.is_empty()).then(|| Box::<str>::from(lit)))
                .collect::<Option<Box<[_]>>>()
        });
        let head = Head::of(prefixes.as_deref().unwrap_or(&[]));
        // One prefix the head holds whole: testing the head is the whole test.
        if let Some([only]) = prefixes.as_deref()
            && only.len() == usize::from(head.len)
        {
            prefixes = None;
        }
        let buckets = literals
            .as_deref()
            .and_then(confined_buckets)
            .map(Vec::into_boxed_slice);
        let any_resource = resource.as_ref().is_some_and(|(negated, patterns)| {
            !negated && patterns.iter().any(|p| p.pattern.is_match_all())
        });
        Slot {
            actions,
            head,
            any_resource,
            prefixes,
            resource,
            conditions,
            policy,
            statement,
            buckets,
        }
    }

    /// This slot for requests with the values of `binding` (see [`Binding`]): its
    /// patterns and conditions that read bound keys specialised (the others shared with this
    /// slot), or a slot that matches nothing when a condition can never hold.
    fn bind(&self, binding: &Binding) -> Slot {
        let (keys, values) = (binding.keys(), binding.values());
        let mut conditions: Option<Vec<Condition>> = None;
        for (i, c) in self.conditions.iter().enumerate() {
            match c.bind(keys, values) {
                Bound::Same => {
                    if let Some(kept) = &mut conditions {
                        kept.push(c.clone());
                    }
                }
                Bound::Changed(changed) => conditions
                    .get_or_insert_with(|| self.conditions[..i].to_vec())
                    .push(changed),
                Bound::Always(true) => {
                    conditions.get_or_insert_with(|| self.conditions[..i].to_vec());
                }
                Bound::Always(false) => {
                    return Slot::of(
                        (self.policy, self.statement),
                        ActionSet::default(),
                        None,
                        Arc::from([]),
                    );
                }
            }
        }
        let resource = self.resource.as_ref().map(|(negated, patterns)| {
            let reads = |p: &ResourcePattern| {
                p.pattern.reads_any_of(keys)
                    || p.bucket_alias
                        .as_ref()
                        .is_some_and(|a| a.reads_any_of(keys))
            };
            if !patterns.iter().any(reads) {
                return (*negated, Arc::clone(patterns));
            }
            let bind = |p: &Pattern| p.bind(keys, values).unwrap_or_else(|| p.clone());
            let bound: Arc<[ResourcePattern]> = patterns
                .iter()
                .map(|p| ResourcePattern {
                    pattern: bind(&p.pattern),
                    bucket_alias: p.bucket_alias.as_ref().map(bind),
                })
                .collect();
            (*negated, bound)
        });
        let conditions = conditions.map_or_else(|| Arc::clone(&self.conditions), Arc::from);
        Slot::of(
            (self.policy, self.statement),
            self.actions,
            resource,
            conditions,
        )
    }

    /// False only when the statement cannot match `req` (a cheap test before the full one).
    fn may_match(&self, req: &Request<'_>) -> bool {
        if !self.actions.contains(req.action) {
            return false;
        }
        if !req.s3 {
            return true;
        }
        if !req
            .resource
            .starts_with_at(0, &self.head.bytes[..usize::from(self.head.len)])
        {
            return false;
        }
        match &self.prefixes {
            Some(prefixes) => prefixes
                .iter()
                .any(|p| req.resource.starts_with_at(0, p.as_bytes())),
            None => true,
        }
    }

    /// [`Statement::matches`] on the slot's copy of the statement, for a request
    /// [`Self::may_match`] let through (its action is one of the statement's).
    fn matches(&self, req: &Request<'_>) -> bool {
        if req.s3 && !self.any_resource {
            let Some((negated, patterns)) = &self.resource else {
                return false;
            };
            if patterns.iter().any(|p| p.matches(req)) == *negated {
                return false;
            }
        }
        self.conditions.iter().all(|c| c.evaluate(req.values))
    }
}

/// Most bytes of a slot's [`Head`].
const HEAD_BYTES: usize = 16;

/// The beginning every resource a statement can match starts with, kept inline.
#[derive(Debug, Clone, Copy, Default)]
struct Head {
    bytes: [u8; HEAD_BYTES],
    len: u8,
}

impl Head {
    /// The longest common beginning of `prefixes` (whole characters), cut to [`HEAD_BYTES`];
    /// empty when there are none.
    fn of(prefixes: &[Box<str>]) -> Head {
        let Some((first, rest)) = prefixes.split_first() else {
            return Head::default();
        };
        let mut len = first.len().min(HEAD_BYTES);
        for p in rest {
            len = len.min(
                first
                    .bytes()
                    .zip(p.bytes())
                    .take_while(|(a, b)| a == b)
                    .count(),
            );
        }
        while !first.is_char_boundary(len) {
            len -= 1;
        }
        let mut bytes = [0; HEAD_BYTES];
        bytes[..len].copy_from_slice(&first.as_bytes()[..len]);
        Head {
            bytes,
            len: len as u8,
        }
    }
}

/// Named policies merged for evaluation: statements concatenated, duplicates dropped (spec §12.3),
/// Deny statements checked first.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    policies: Vec<(String, Arc<Policy>)>,
    deny: Vec<Slot>,
    allow: Vec<Slot>,
    /// The statements' dedup keys; shared with the sets bound from this one.
    seen: Arc<HashSet<String>>,
    reads: KeySet,
    /// The values the slots are specialised for ([`Self::bind`]).
    binding: Option<Arc<Binding>>,
    /// Built on first use when the set is large enough to gain from it; reset by `add`. A set
    /// bound from another shares its index (see [`Self::bind`]).
    index: OnceLock<Arc<(Index, Index)>>,
}

/// Sets with fewer statements than this are scanned in full: the index would not pay for itself.
const INDEX_MIN_SLOTS: usize = 8;

fn index_of(slots: &[Slot]) -> Index {
    Index::build(slots.iter().map(|s| (&s.actions, s.buckets.as_deref())))
}

impl PolicySet {
    pub fn new() -> Self {
        Self::default()
    }

    /// A set holding one policy.
    pub fn single(name: impl Into<String>, policy: Arc<Policy>) -> Self {
        let mut s = Self::new();
        s.add(name, policy);
        s
    }

    /// Adds a named policy. A policy name already present is ignored, as is any statement equal to
    /// one already present. In a bound set ([`Self::bind`]) its statements are bound too.
    pub fn add(&mut self, name: impl Into<String>, policy: Arc<Policy>) {
        let name = name.into();
        if self.policies.iter().any(|(n, _)| *n == name) {
            return;
        }
        let p = self.policies.len() as u32;
        for (i, st) in policy.statements.iter().enumerate() {
            if !Arc::make_mut(&mut self.seen).insert(st.dedup_key.clone()) {
                continue;
            }
            let mut slot = Slot::new(p, i as u32, st);
            if let Some(binding) = &self.binding {
                slot = slot.bind(binding);
            }
            self.reads.add_parts(
                slot.resource.as_ref().map(|(_, patterns)| &**patterns),
                &slot.conditions,
            );
            match st.effect {
                Effect::Deny => self.deny.push(slot),
                Effect::Allow => self.allow.push(slot),
            }
        }
        self.policies.push((name, policy));
        self.index = OnceLock::new();
    }

    /// This set for requests in which the keys of `binding` have its values (a principal's
    /// `aws:username`, ...): variables naming them are replaced by their values and conditions
    /// reading nothing else are settled, once, here (see [`Binding`] for what it decides).
    /// Statements that read no bound key, the index and the policies are shared with this set.
    /// Binding a bound set binds it further (keys it was bound to before keep those values).
    #[must_use]
    pub fn bind(&self, binding: Arc<Binding>) -> PolicySet {
        let binding = match &self.binding {
            // Keys bound before keep their values: what the earlier binding settled stays so.
            Some(before) => Arc::new(binding.after(before)),
            None => binding,
        };
        let bind = |slots: &[Slot]| slots.iter().map(|s| s.bind(&binding)).collect::<Vec<_>>();
        let (deny, allow) = (bind(&self.deny), bind(&self.allow));
        let mut reads = KeySet::new();
        for s in deny.iter().chain(&allow) {
            reads.add_parts(s.resource.as_ref().map(|(_, p)| &**p), &s.conditions);
        }
        // Slot `i` of the bound set matches only where slot `i` of this set can (for some
        // values), so this set's index lists every candidate of the bound one.
        let index = OnceLock::new();
        if let Some(ix) = self.indexes() {
            let _ = index.set(Arc::clone(ix));
        }
        PolicySet {
            policies: self.policies.clone(),
            deny,
            allow,
            seen: Arc::clone(&self.seen),
            reads,
            binding: Some(binding),
            index,
        }
    }

    /// The values this set is bound to ([`Self::bind`]).
    pub fn binding(&self) -> Option<&Binding> {
        self.binding.as_deref()
    }

    /// Names of the policies in the set.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.policies.iter().map(|(n, _)| n.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// The condition keys evaluating this set reads: values of other keys never matter to it.
    pub fn reads(&self) -> &KeySet {
        &self.reads
    }

    fn get(&self, slot: &Slot) -> (&Statement, StatementRef<'_>) {
        let (name, policy) = &self.policies[slot.policy as usize];
        let st = &policy.statements[slot.statement as usize];
        (
            st,
            StatementRef {
                policy: name,
                index: slot.statement as usize,
                sid: st.sid.as_deref(),
            },
        )
    }

    /// The (Deny, Allow) indexes, `None` for a set small enough to scan.
    fn indexes(&self) -> Option<&Arc<(Index, Index)>> {
        if self.deny.len() + self.allow.len() < INDEX_MIN_SLOTS {
            return None;
        }
        Some(
            self.index
                .get_or_init(|| Arc::new((index_of(&self.deny), index_of(&self.allow)))),
        )
    }

    fn first_match(
        &self,
        effect: Effect,
        req: &Request<'_>,
        who: Option<Principal<'_>>,
        hash: &mut Option<u64>,
    ) -> Option<StatementRef<'_>> {
        let (slots, index) = match (effect, self.indexes()) {
            (Effect::Deny, ix) => (&self.deny, ix.map(|ix| &ix.0)),
            (Effect::Allow, ix) => (&self.allow, ix.map(|ix| &ix.1)),
        };
        let try_slot = |s: &Slot| {
            if !s.may_match(req) || !s.matches(req) {
                return None;
            }
            let (st, r) = self.get(s);
            who.is_none_or(|w| st.principal_matches(w)).then_some(r)
        };
        match index {
            Some(index) => {
                let first = req.resource.first_segment();
                // Hashed once per decision (the Deny and the Allow index both look it up).
                let h = *hash.get_or_insert_with(|| segment_hash(first));
                index.find_map(req.action, (first, h), |i| try_slot(&slots[i]))
            }
            None => slots.iter().find_map(try_slot),
        }
    }

    /// [`Self::evaluate`] visiting every statement in order, without the index: the reference
    /// the index is tested against. A bound set's statements are evaluated as written, with the
    /// bound values put in the request's.
    #[doc(hidden)]
    pub fn evaluate_scanning_all(&self, req: &Request<'_>) -> Decision<'_> {
        let applied;
        let req = match &self.binding {
            Some(binding) => {
                applied = binding.apply(req.values);
                &Request {
                    values: &applied,
                    ..req.clone()
                }
            }
            None => req,
        };
        let scan = |slots: &[Slot]| {
            slots.iter().find_map(|s| {
                let (st, r) = self.get(s);
                st.matches(req).then_some(r)
            })
        };
        if let Some(r) = scan(&self.deny) {
            return Decision::ExplicitDeny(r);
        }
        scan(&self.allow).map_or(Decision::ImplicitDeny, Decision::Allow)
    }

    /// Identity-policy evaluation (Principal ignored).
    pub fn evaluate(&self, req: &Request<'_>) -> Decision<'_> {
        self.decide(req, None)
    }

    /// Bucket-policy evaluation: only statements whose `Principal` matches `who` apply.
    pub fn evaluate_bucket(&self, req: &Request<'_>, who: Principal<'_>) -> Decision<'_> {
        self.decide(req, Some(who))
    }

    /// The Deny statement that matches `req`, if any (MinIO's deny-only checks).
    pub fn explicit_deny(&self, req: &Request<'_>) -> Option<StatementRef<'_>> {
        self.first_match(Effect::Deny, req, None, &mut None)
    }

    fn decide(&self, req: &Request<'_>, who: Option<Principal<'_>>) -> Decision<'_> {
        let mut hash = None;
        if let Some(r) = self.first_match(Effect::Deny, req, who, &mut hash) {
            return Decision::ExplicitDeny(r);
        }
        match self.first_match(Effect::Allow, req, who, &mut hash) {
            Some(r) => Decision::Allow(r),
            None => Decision::ImplicitDeny,
        }
    }
}

/// Whose permissions a session policy is intersected with.
#[derive(Debug, Clone, Copy)]
pub enum Parent<'a> {
    /// Root-parented credentials: the parent allows everything (spec §12.2).
    Owner,
    /// The parent's merged policies.
    Policies(&'a PolicySet),
}

/// Session-policy intersection (spec §11): allowed iff the session policy allows and the parent
/// allows; a Deny on either side denies. An Allow names the parent's statement (or the session
/// statement when the parent is the owner).
pub fn evaluate_session<'a>(
    parent: Parent<'a>,
    session: &'a PolicySet,
    req: &Request<'_>,
) -> Decision<'a> {
    let s = session.evaluate(req);
    if let Decision::ExplicitDeny(_) = s {
        return s;
    }
    let p = match parent {
        Parent::Owner => None,
        Parent::Policies(set) => Some(set.evaluate(req)),
    };
    match (s, p) {
        (_, Some(d @ Decision::ExplicitDeny(_))) => d,
        (Decision::Allow(sr), None) => Decision::Allow(sr),
        (Decision::Allow(_), Some(d @ Decision::Allow(_))) => d,
        _ => Decision::ImplicitDeny,
    }
}
