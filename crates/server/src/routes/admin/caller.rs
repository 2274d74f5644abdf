//! Who is calling the admin API, and whether an `admin:` action is allowed for them.
//!
//! Authentication is s3s's SigV4 verification (the route sees `req.credentials` only after the
//! signature was checked with the secret [`crate::auth::Auth`] handed out) plus
//! [`crate::identity::authenticate`] (region, session token). On top of that the admin API, like
//! MinIO's `validateAdminSignature`, takes only header-signed SigV4 with service `s3` and a real
//! payload hash: no presigned URLs, no SigV2, no unsigned or streaming payloads.
//!
//! Authorisation evaluates the caller's policies from the IAM snapshot with the policy crate:
//! root (and root's service accounts, within their embedded policy) is the owner; IAM users
//! get the union of their own and their enabled groups' policies; a service account gets its
//! parent's, narrowed by its embedded policy.

use std::sync::Arc;

use http::HeaderMap;
use s3s::auth::SecretKey;
use strongbox_iam::authz::{Caller as AuthzCaller, PermissionCheck};
use strongbox_iam::{BasePermissions, IamSnapshot, Principal};
use strongbox_policy::{
    Action, ConditionValues, Decision, Parent, Policy, PolicySet, Request, evaluate_session,
};
use time::OffsetDateTime;

use super::error::AdminError;

/// The kind of credential that signed an admin request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    Root,
    User,
    ServiceAccount {
        parent: String,
        /// It has an embedded policy.
        restricted: bool,
    },
}

/// An authenticated admin caller.
#[derive(Debug, Clone)]
pub struct Caller {
    access_key: String,
    /// The secret the request was signed with: the password of encrypted bodies.
    secret: SecretKey,
    kind: CallerKind,
    root_access_key: String,
}

impl Caller {
    #[must_use]
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    #[must_use]
    pub fn kind(&self) -> &CallerKind {
        &self.kind
    }

    /// The password madmin payloads are sealed with.
    pub(super) fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// The user whose rights the caller exercises: itself, or a service account's parent.
    #[must_use]
    pub fn effective_user(&self) -> &str {
        match &self.kind {
            CallerKind::Root | CallerKind::User => &self.access_key,
            CallerKind::ServiceAccount { parent, .. } => parent,
        }
    }

    #[must_use]
    pub fn root_access_key(&self) -> &str {
        &self.root_access_key
    }

    /// The caller as `strongbox_iam::authz` sees it (which check a service-account operation
    /// needs).
    #[must_use]
    pub fn as_authz(&self) -> AuthzCaller<'_> {
        match &self.kind {
            CallerKind::Root => AuthzCaller::Root,
            CallerKind::User => AuthzCaller::User {
                access_key: &self.access_key,
            },
            CallerKind::ServiceAccount { parent, restricted } => AuthzCaller::ServiceAccount {
                access_key: &self.access_key,
                parent,
                restricted: *restricted,
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

/// Resolves the verified access key against the IAM snapshot. `secret` is the secret s3s verified
/// the signature with.
pub fn resolve(
    snap: &IamSnapshot,
    access_key: &str,
    secret: SecretKey,
    now: OffsetDateTime,
) -> Result<Caller, AdminError> {
    let resolved = snap
        .resolve_access_key(access_key, now)
        .ok_or_else(AdminError::access_denied)?;
    let principal = resolved.usable().map_err(|refusal| {
        tracing::debug!(?refusal, "admin: credential not usable");
        AdminError::access_denied()
    })?;
    let kind = match principal {
        Principal::Root(_) => CallerKind::Root,
        Principal::User(_) => CallerKind::User,
        Principal::ServiceAccount { account, .. } => CallerKind::ServiceAccount {
            parent: account.parent.clone(),
            restricted: !account.policy.is_inherited(),
        },
    };
    Ok(Caller {
        access_key: access_key.to_owned(),
        secret,
        kind,
        root_access_key: snap.root_access_key().to_owned(),
    })
}

/// The condition values of an admin request: who is asking and when.
fn condition_values(snap: &IamSnapshot, caller: &Caller, now: OffsetDateTime) -> ConditionValues {
    let user = caller.effective_user();
    let mut v = ConditionValues::new();
    v.insert("aws:username", user);
    v.insert("aws:userid", user);
    v.insert(
        "aws:principaltype",
        match caller.kind {
            CallerKind::Root => "Account",
            CallerKind::User => "User",
            CallerKind::ServiceAccount { .. } => "User",
        },
    );
    let groups = snap.groups_of(user);
    if !groups.is_empty() {
        v.set("aws:groups", groups);
    }
    if let Ok(t) = now.format(&time::format_description::well_known::Rfc3339) {
        v.insert("aws:CurrentTime", t);
    }
    v.insert("aws:EpochTime", now.unix_timestamp().to_string());
    v
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

/// Whether `caller` may perform `action` under `check`. Root is the owner (allowed, unless a
/// service account's embedded policy narrows it).
pub fn is_allowed(
    snap: &IamSnapshot,
    caller: &Caller,
    action: Action,
    check: PermissionCheck,
) -> bool {
    let now = OffsetDateTime::now_utc();
    let Some(resolved) = snap.resolve_access_key(caller.access_key(), now) else {
        return false;
    };
    let Ok(principal) = resolved.usable() else {
        return false;
    };
    let perms = snap.permissions(&principal);
    let values = condition_values(snap, caller, now);
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
                tracing::warn!(error = %e, "embedded service-account policy does not parse");
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
