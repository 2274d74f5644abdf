//! Who is calling the admin API, and whether an `admin:` action is allowed for them.
//!
//! Authentication is s3s's SigV4 verification (the route sees `req.credentials` only after the
//! signature was checked with the secret [`crate::auth::Auth`] handed out) plus
//! [`crate::identity::authenticate`] (region, session token, live status). On top of that the
//! admin API, like MinIO's `validateAdminSignature`, takes only header-signed SigV4 with service
//! `s3` and a real payload hash: no presigned URLs, no SigV2, no unsigned or streaming payloads.
//!
//! Authorisation evaluates the caller's policies from the IAM snapshot with the policy crate:
//! root (and root's service accounts, within their embedded policy) is the owner; IAM users
//! get the union of their own and their enabled groups' policies; a service account gets its
//! parent's, narrowed by its embedded policy; a temporary credential its session's
//! ([`crate::sts::session::TemporarySession::permissions`]). Condition values are the S3 path's
//! ([`crate::authz::context`]): source address, transport, time, and the identity's keys. Unlike
//! S3 decisions, admin checks need to tell an explicit Deny from no Allow (MinIO's deny-only
//! checks for one's own account), so the decision is made here with the policy crate.

use std::sync::Arc;

use http::HeaderMap;
use s3s::auth::SecretKey;
use strongbox_iam::authz::{Caller as AuthzCaller, PermissionCheck};
use strongbox_iam::{BasePermissions, IamSnapshot, Permissions, Principal};
use strongbox_policy::{
    Action, ConditionValues, Decision, Parent, Policy, PolicySet, Request, evaluate_session,
};
use time::OffsetDateTime;

use super::error::AdminError;
use crate::authz::context::{AuthStyle, RequestFacts, Who, condition_values};
use crate::authz::table::Rule;
use crate::http::ConnectionInfo;
use crate::identity::{Identity, Principal as Authenticated};
use crate::sts::session::TemporarySession;

/// The kind of credential that signed an admin request.
#[derive(Debug, Clone)]
pub enum CallerKind {
    Root,
    User,
    ServiceAccount {
        parent: String,
        /// It has an embedded policy.
        restricted: bool,
    },
    Temporary {
        parent: String,
        session: Arc<TemporarySession>,
    },
}

impl CallerKind {
    /// A service account or a temporary credential: acts for a parent user.
    #[must_use]
    pub fn is_derived(&self) -> bool {
        matches!(self, Self::ServiceAccount { .. } | Self::Temporary { .. })
    }
}

/// An authenticated admin caller.
#[derive(Debug, Clone)]
pub struct Caller {
    identity: Identity,
    /// The secret the request was signed with: the password of encrypted bodies.
    secret: SecretKey,
    kind: CallerKind,
    root_access_key: String,
    /// What the condition values are built from.
    connection: Option<ConnectionInfo>,
    headers: HeaderMap,
    query: Vec<(String, String)>,
}

impl Caller {
    #[must_use]
    pub fn access_key(&self) -> &str {
        self.identity.access_key()
    }

    #[must_use]
    pub fn kind(&self) -> &CallerKind {
        &self.kind
    }

    /// The password madmin payloads are sealed with.
    pub(super) fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// The user whose rights the caller exercises: itself, or a service account's or temporary
    /// credential's parent.
    #[must_use]
    pub fn effective_user(&self) -> &str {
        match &self.kind {
            CallerKind::Root | CallerKind::User => self.identity.access_key(),
            CallerKind::ServiceAccount { parent, .. } | CallerKind::Temporary { parent, .. } => {
                parent
            }
        }
    }

    #[must_use]
    pub fn root_access_key(&self) -> &str {
        &self.root_access_key
    }

    /// Narrowed by an embedded (service account) or session (temporary credential) policy: no
    /// "own account" shortcut applies (CVE-2025-62506).
    #[must_use]
    pub fn is_restricted(&self) -> bool {
        match &self.kind {
            CallerKind::Root | CallerKind::User => false,
            CallerKind::ServiceAccount { restricted, .. } => *restricted,
            CallerKind::Temporary { session, .. } => session.session_policy().is_some(),
        }
    }

    /// The caller as the S3 authoriser sees it.
    #[must_use]
    pub fn principal(&self) -> Authenticated {
        Authenticated::Authenticated(self.identity.clone())
    }

    /// The condition values of this request (as admin decisions use them).
    #[must_use]
    pub fn condition_values(&self, snap: &IamSnapshot) -> ConditionValues {
        values(snap, self, OffsetDateTime::now_utc())
    }

    /// The caller as `strongbox_iam::authz` sees it (which check a service-account operation
    /// needs).
    #[must_use]
    pub fn as_authz(&self) -> AuthzCaller<'_> {
        let access_key = self.identity.access_key();
        match &self.kind {
            CallerKind::Root => AuthzCaller::Root,
            CallerKind::User => AuthzCaller::User { access_key },
            CallerKind::ServiceAccount { parent, restricted } => AuthzCaller::ServiceAccount {
                access_key,
                parent,
                restricted: *restricted,
            },
            CallerKind::Temporary { parent, .. } => AuthzCaller::Temporary {
                access_key,
                parent,
                restricted: self.is_restricted(),
            },
        }
    }
}

/// The admin API's own transport rule (MinIO `validateAdminSignature`): an `Authorization`
/// header with SigV4 and an `x-amz-content-sha256` that is the body's hash. s3s has already
/// verified the signature and, while the body is read, the hash.
pub fn check_transport(headers: &HeaderMap, service: Option<&str>) -> Result<(), AdminError> {
    let header_signed = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 "));
    let hashed = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()));
    if header_signed && hashed && service == Some("s3") {
        Ok(())
    } else {
        Err(AdminError::access_denied())
    }
}

/// What the request looked like, for condition values.
pub struct RequestParts {
    pub connection: Option<ConnectionInfo>,
    pub headers: HeaderMap,
    pub query: Vec<(String, String)>,
}

/// The caller behind an authenticated `identity`, with its live status in `snap`. `secret` is
/// the secret s3s verified the signature with.
pub fn resolve(
    snap: &IamSnapshot,
    identity: Identity,
    secret: SecretKey,
    parts: RequestParts,
    now: OffsetDateTime,
) -> Result<Caller, AdminError> {
    let access_key = identity.access_key().to_owned();
    let kind = match snap.resolve_access_key(&access_key, now) {
        Some(resolved) => match resolved.usable().map_err(|refusal| {
            tracing::debug!(?refusal, "admin: credential not usable");
            AdminError::access_denied()
        })? {
            Principal::Root(_) => CallerKind::Root,
            Principal::User(_) => CallerKind::User,
            Principal::ServiceAccount { account, .. } => CallerKind::ServiceAccount {
                parent: account.parent.clone(),
                restricted: !account.policy.is_inherited(),
            },
        },
        // Not in the snapshot: a temporary credential verified with this request's token.
        None => match crate::sts::session::verified(&access_key) {
            Some(session) => CallerKind::Temporary {
                parent: session.parent().to_owned(),
                session,
            },
            None => return Err(AdminError::access_denied()),
        },
    };
    Ok(Caller {
        identity,
        secret,
        kind,
        root_access_key: snap.root_access_key().to_owned(),
        connection: parts.connection,
        headers: parts.headers,
        query: parts.query,
    })
}

/// Admin requests add no operation keys to the condition values.
const ADMIN_RULE: Rule = Rule {
    op: "Admin",
    needs: &[],
    keys: &[],
};

/// The condition values of an admin request: the S3 path's, for this caller.
fn values(snap: &IamSnapshot, caller: &Caller, now: OffsetDateTime) -> ConditionValues {
    let facts = RequestFacts {
        headers: &caller.headers,
        query: &caller.query,
        connection: caller.connection.as_ref(),
        auth: AuthStyle::Header { v4: true },
        now,
    };
    let who = Who::of(&Authenticated::Authenticated(caller.identity.clone()), snap);
    condition_values(&facts, &ADMIN_RULE, &who)
}

/// Parses the named policies of `names` that still exist (a mapping may name a deleted policy,
/// which grants nothing).
fn policy_set(snap: &IamSnapshot, names: &[String]) -> PolicySet {
    let mut set = PolicySet::new();
    for name in names {
        let Some(doc) = snap.policy(name) else {
            continue;
        };
        match Policy::parse(doc.document.as_bytes()) {
            Ok(p) => set.add(name.clone(), Arc::new(p)),
            Err(e) => tracing::warn!(policy = %name, error = %e, "stored policy does not parse"),
        }
    }
    set
}

/// The caller's live permissions in `snap`, `None` if it may no longer act.
pub fn permissions<'a>(
    snap: &'a IamSnapshot,
    caller: &'a Caller,
    now: OffsetDateTime,
) -> Option<Permissions<'a>> {
    if let CallerKind::Temporary { session, .. } = &caller.kind {
        return Some(session.permissions(snap));
    }
    let principal = snap
        .resolve_access_key(caller.access_key(), now)?
        .usable()
        .ok()?;
    Some(snap.permissions(&principal))
}

/// Whether `caller` may perform `action` under `check`. Root is the owner (allowed, unless a
/// service account's embedded policy or a session policy narrows it).
pub fn is_allowed(
    snap: &IamSnapshot,
    caller: &Caller,
    action: Action,
    check: PermissionCheck,
) -> bool {
    let now = OffsetDateTime::now_utc();
    let Some(perms) = permissions(snap, caller, now) else {
        return false;
    };
    let values = values(snap, caller, now);
    let req = Request::new(action, "", None, &values);
    let base = match &perms.base {
        BasePermissions::Owner => None,
        BasePermissions::Named(names) => Some(policy_set(snap, names)),
    };
    let restrict = match perms.restrict {
        None => None,
        Some(doc) => match Policy::parse(doc.as_bytes()) {
            Ok(p) => Some(PolicySet::single("embedded", Arc::new(p))),
            Err(e) => {
                tracing::warn!(error = %e, "embedded or session policy does not parse");
                return false;
            }
        },
    };
    let decision = match (&base, &restrict) {
        (None, None) => return true,
        (None, Some(r)) => evaluate_session(Parent::Owner, r, &req),
        (Some(b), None) => b.evaluate(&req),
        (Some(b), Some(r)) => evaluate_session(Parent::Policies(b), r, &req),
    };
    tracing::debug!(
        action = action.as_str(),
        caller = caller.access_key(),
        %decision,
        ?check,
        "admin decision"
    );
    match check {
        PermissionCheck::MustAllow => decision.is_allowed(),
        PermissionCheck::DenyOnly => !matches!(decision, Decision::ExplicitDeny(_)),
    }
}
