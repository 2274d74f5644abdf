//! LDAP policy mappings through MinIO's admin API (spec §8.3, §15): `idp/ldap/policy/attach`,
//! `idp/ldap/policy/detach` and `idp/ldap/policy-entities`, as `mc idp ldap policy ...` and
//! minio-py's `attach_policy_ldap`/`detach_policy_ldap` call them.
//!
//! A user is given as a DN or as a login name, a group as a DN; attach looks them up in the
//! directory (unknown, or outside the configured base DNs → 404 `XMinioAdminNoSuchUser` /
//! `XMinioAdminNoSuchGroup`), detach also takes a DN the directory no longer has. Mappings are
//! keyed by the NORMALISED DN (the
//! form the STS flow puts in its credentials), so `UID=Alice, OU=People,...` and
//! `uid=alice,ou=people,...` are one mapping. User DNs map through `policydb/sts-users`, group
//! DNs through `policydb/groups` ([`strongbox_iam::LdapTarget`]).

use std::future::Future;
use std::time::Duration;

use http::StatusCode;
use s3s::{Body, S3Response};
use strongbox_iam::LdapTarget;
use strongbox_iam::authz::PermissionCheck::MustAllow;
use strongbox_idp::ldap::{LdapDirectory, LdapError};
use strongbox_madmin::types::{
    GroupPolicyEntities, PolicyAssociationReq, PolicyAssociationResp, PolicyEntities,
    PolicyEntitiesQuery, PolicyEntitiesResult, PolicyTarget, UserPolicyEntities,
};
use strongbox_policy::Action;
use time::OffsetDateTime;

use super::AdminRequest;
use super::error::AdminError;
use crate::sts::ldap::LdapLogin;

/// Longest an admin call waits for one directory lookup.
const LOOKUP_DEADLINE: Duration = Duration::from_secs(5);
/// Most login names one policy-entities call may ask the directory about.
const MAX_LOOKUPS: usize = 64;

const NOT_CONFIGURED: AdminError = AdminError::new(
    StatusCode::BAD_REQUEST,
    "XMinioIAMActionNotAllowed",
    "No LDAP directory is configured on this server",
);
const UNAVAILABLE: AdminError = AdminError::new(
    StatusCode::SERVICE_UNAVAILABLE,
    "XMinioAdminLDAPUnavailable",
    "The LDAP directory is unavailable; try again later",
);
const NOT_A_DN: AdminError = AdminError::invalid_argument("an LDAP group must be given as a DN");
const NO_SUCH_GROUP: AdminError = AdminError::new(
    StatusCode::NOT_FOUND,
    "XMinioAdminNoSuchGroup",
    "The specified group does not exist",
);

fn ldap(req: &AdminRequest) -> Result<&LdapLogin, AdminError> {
    req.ldap().map(|l| &**l).ok_or(NOT_CONFIGURED)
}

/// A DN has at least one `attr=value` component; a login name is anything else.
fn looks_like_dn(s: &str) -> bool {
    s.contains('=')
}

fn normalized(dn: &str) -> Result<String, AdminError> {
    LdapDirectory::normalize_dn(dn)
        .map_err(|_| AdminError::invalid_argument("not a valid LDAP distinguished name"))
}

fn directory_error(e: LdapError) -> AdminError {
    match e {
        LdapError::Unavailable => UNAVAILABLE,
        LdapError::InvalidDn(_) => {
            AdminError::invalid_argument("not a valid LDAP distinguished name")
        }
        LdapError::InvalidCredentials => AdminError::no_such_user(),
        LdapError::Config(m) => {
            tracing::warn!(error = %m, "admin: LDAP lookup refused");
            AdminError::invalid_argument("the name does not identify exactly one LDAP user")
        }
    }
}

/// Runs a directory lookup within [`LOOKUP_DEADLINE`].
async fn bounded<T>(
    lookup: impl Future<Output = Result<Option<T>, LdapError>>,
) -> Result<Option<T>, AdminError> {
    match tokio::time::timeout(LOOKUP_DEADLINE, lookup).await {
        Ok(r) => r.map_err(directory_error),
        Err(_) => {
            tracing::warn!("admin: LDAP lookup timed out");
            Err(UNAVAILABLE)
        }
    }
}

/// The normalised DN of a user given as a DN or a login name, as the directory knows it (a DN
/// must lie under a user base DN). `None`: no such user.
async fn lookup_user(login: &LdapLogin, user: &str) -> Result<Option<String>, AdminError> {
    bounded(login.directory().lookup_user_dn(user)).await
}

/// The mapping key an attach or detach targets. Attach needs the user or group to exist in the
/// directory; detach accepts a DN that is gone from it (its mapping must stay removable).
async fn target(
    login: &LdapLogin,
    target: PolicyTarget<'_>,
    attach: bool,
) -> Result<LdapTarget, AdminError> {
    match target {
        PolicyTarget::User(u) => match lookup_user(login, u).await? {
            Some(dn) => Ok(LdapTarget::User(dn)),
            None if !attach && looks_like_dn(u) => Ok(LdapTarget::User(normalized(u)?)),
            None => Err(AdminError::no_such_user()),
        },
        PolicyTarget::Group(g) => {
            if !looks_like_dn(g) {
                return Err(NOT_A_DN);
            }
            if !attach {
                return Ok(LdapTarget::Group(normalized(g)?));
            }
            match bounded(login.directory().lookup_group_dn(g)).await? {
                Some(dn) => Ok(LdapTarget::Group(dn)),
                None => Err(NO_SUCH_GROUP),
            }
        }
    }
}

async fn associate(mut req: AdminRequest, attach: bool) -> Result<S3Response<Body>, AdminError> {
    req.require(
        &[
            Action::AdminUpdatePolicyAssociation,
            Action::AdminAttachUserOrGroupPolicy,
        ],
        MustAllow,
    )?;
    let body: PolicyAssociationReq = req.json().await?;
    let who = body.validate().map_err(AdminError::invalid_argument)?;
    let target = target(ldap(&req)?, who, attach).await?;
    let names = body.policies;
    let change = req
        .iam(move |iam| {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            if attach {
                iam.attach_ldap_policies(&target, &refs)
            } else {
                iam.detach_ldap_policies(&target, &refs)
            }
        })
        .await?;
    let (policies_attached, policies_detached) = if attach {
        (change.changed, Vec::new())
    } else {
        (Vec::new(), change.changed)
    };
    req.reply(&PolicyAssociationResp {
        policies_attached,
        policies_detached,
        updated_at: OffsetDateTime::now_utc(),
    })
    .await
}

/// `POST idp/ldap/policy/attach` (encrypted both ways).
pub async fn attach(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    associate(req, true).await
}

/// `POST idp/ldap/policy/detach` (encrypted both ways).
pub async fn detach(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    associate(req, false).await
}

/// `GET idp/ldap/policy-entities[?user=..&group=..&policy=..]`: encrypted
/// `PolicyEntitiesResult` from the mappings alone (no filter lists every LDAP mapping). A user
/// given by login name that the directory does not know is left out.
pub async fn entities(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    req.require(
        &[
            Action::AdminListGroups,
            Action::AdminListUsers,
            Action::AdminListUserPolicies,
        ],
        MustAllow,
    )?;
    let q = PolicyEntitiesQuery::from_pairs(req.query().pairs());
    if q.users.iter().filter(|u| !looks_like_dn(u)).count() > MAX_LOOKUPS {
        return Err(AdminError::invalid_argument(
            "too many user names to look up; give DNs instead",
        ));
    }
    let mut users = Vec::with_capacity(q.users.len());
    for u in &q.users {
        if looks_like_dn(u) {
            users.push(normalized(u)?);
        } else if let Some(dn) = lookup_user(ldap(&req)?, u).await? {
            users.push(dn);
        }
    }
    let groups = q
        .groups
        .iter()
        .map(|g| normalized(g))
        .collect::<Result<Vec<_>, _>>()?;
    let policies = q.policies;
    let found = req
        .iam(move |iam| {
            let u: Vec<&str> = users.iter().map(String::as_str).collect();
            let g: Vec<&str> = groups.iter().map(String::as_str).collect();
            let p: Vec<&str> = policies.iter().map(String::as_str).collect();
            Ok(iam.ldap_policy_entities(&u, &g, &p))
        })
        .await?;
    let resp = PolicyEntitiesResult {
        timestamp: OffsetDateTime::now_utc(),
        user_mappings: found
            .users
            .into_iter()
            .map(|(user, policies)| UserPolicyEntities {
                user,
                policies,
                member_of_mappings: Vec::new(),
            })
            .collect(),
        group_mappings: found
            .groups
            .into_iter()
            .map(|(group, policies)| GroupPolicyEntities { group, policies })
            .collect(),
        policy_mappings: found
            .policies
            .into_iter()
            .map(|(policy, users, groups)| PolicyEntities {
                policy,
                users,
                groups,
            })
            .collect(),
    };
    req.reply(&resp).await
}
