//! Service accounts (access keys): add, update, info, list, delete.
//!
//! Who may act on whose account comes from `strongbox_iam::authz`, so the MinIO escalations
//! cannot recur: CVE-2022-24842 (creating an account for ANOTHER user needs an explicit
//! `admin:CreateServiceAccount` allow) and CVE-2024-24747 (updating any service account, its own
//! included, needs an explicit `admin:UpdateServiceAccount` allow).

use s3s::{Body, S3Response};
use serde_json::value::RawValue;
use strongbox_iam::authz::PermissionCheck::{self, DenyOnly, MustAllow};
use strongbox_iam::authz::{
    Relation, create_service_account_check, manage_service_account_check, relation_to_user,
};
use strongbox_iam::{
    IamSnapshot, NewServiceAccount, SecretKey, ServiceAccount, ServiceAccountPolicy,
    ServiceAccountUpdate, Status,
};
use strongbox_madmin::types::{
    AddServiceAccountReq, AddServiceAccountResp, Credentials, InfoServiceAccountResp,
    ListServiceAccountsResp, ServiceAccountInfo, UpdateServiceAccountReq, WireSecret,
};
use strongbox_policy::Action;

use super::AdminRequest;
use super::account::combined_policy;
use super::error::AdminError;
use super::users::{access_key_param, to_status};

/// MinIO reports a service account's status as its credential status: `on` / `off`.
fn on_off(s: Status) -> String {
    if s.is_enabled() { "on" } else { "off" }.to_owned()
}

/// An embedded policy from a request: `None` for absent, `null`, or an empty document `{}`
/// (which madmin sends to mean "inherit the parent's policies").
fn embedded_policy(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    let empty = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(raw)
        .is_ok_and(|m| m.is_empty());
    (!raw.is_empty() && !empty).then(|| raw.to_owned())
}

/// `PUT add-service-account` (encrypted both ways).
pub async fn add(mut req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    // The target user is inside the encrypted body; the caller's signature is already verified.
    let body: AddServiceAccountReq = req.json().await?;
    let caller = req.caller().clone();
    let root = caller.root_access_key();
    let target = body.target_user.clone().unwrap_or_default();
    let (parent, check) = create_service_account_check(&caller.as_authz(), root, &target);
    req.require(&[Action::AdminCreateServiceAccount], check)?;
    let access_key = body.access_key.clone().filter(|ak| !ak.is_empty());
    // CVE-2023-27589: the root access key never names a service account.
    if access_key.as_deref() == Some(root) {
        return Err(AdminError::root_key_reserved());
    }
    let snap = req.snapshot();
    if parent != root && snap.user(parent).is_none() {
        // A service account or STS key is never a parent; an unknown user is unknown.
        return Err(if snap.service_account(parent).is_some() {
            AdminError::account_not_eligible()
        } else {
            AdminError::no_such_user()
        });
    }
    let new = NewServiceAccount {
        parent: parent.to_owned(),
        access_key,
        secret_key: body
            .secret_key
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| SecretKey::new(s.expose())),
        policy: embedded_policy(body.policy_json()),
        name: body.name.clone().unwrap_or_default(),
        description: body.description().unwrap_or_default().to_owned(),
        expiration: body.expiration,
        groups: Vec::new(),
    };
    let expiration = new.expiration;
    let (ak, sk) = req.iam(move |iam| iam.add_service_account(new)).await?;
    let resp = AddServiceAccountResp {
        credentials: Credentials {
            access_key: ak,
            secret_key: WireSecret::new(sk.expose()),
            session_token: None,
            expiration,
        },
    };
    req.reply(&resp).await
}

/// The account named by `accessKey`, after checking `action` for the caller's relation to it.
/// An unknown account is reported only to callers who may `action` any account.
fn authorized_account(
    req: &AdminRequest,
    snap: &IamSnapshot,
    action: Action,
    check_for: impl Fn(&ServiceAccount) -> PermissionCheck,
) -> Result<ServiceAccount, AdminError> {
    let ak = access_key_param(req)?;
    let Some(sa) = snap.service_account(&ak) else {
        req.require(&[action], MustAllow)?;
        return Err(AdminError::service_account_not_found());
    };
    req.require(&[action], check_for(sa))?;
    Ok(sa.clone())
}

/// `POST update-service-account?accessKey=` (encrypted request, 204). Always needs an explicit
/// `admin:UpdateServiceAccount` allow, for one's own accounts and for the calling account
/// itself too (CVE-2024-24747).
pub async fn update(mut req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let snap = req.snapshot();
    let sa = authorized_account(&req, &snap, Action::AdminUpdateServiceAccount, |_| {
        MustAllow
    })?;
    let body: UpdateServiceAccountReq = req.json().await?;
    let update = ServiceAccountUpdate {
        secret_key: body
            .new_secret_key
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| SecretKey::new(s.expose())),
        status: body.new_status.map(to_status),
        policy: body
            .new_policy_json()
            .map(|p| match embedded_policy(Some(p)) {
                Some(doc) => ServiceAccountPolicy::Embedded(doc),
                None => ServiceAccountPolicy::Inherited,
            }),
        name: body.new_name.clone().filter(|n| !n.is_empty()),
        description: body.new_description.clone(),
        expiration: body.new_expiration,
    };
    let ak = sa.access_key;
    req.iam(move |iam| iam.update_service_account(&ak, update))
        .await?;
    Ok(req.done())
}

/// `GET info-service-account?accessKey=` (encrypted response): `admin:ListServiceAccounts`, or
/// (deny-only) the account belongs to the caller's user.
pub async fn info(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let snap = req.snapshot();
    let caller = req.caller().clone();
    let sa = authorized_account(&req, &snap, Action::AdminListServiceAccounts, |sa| {
        manage_service_account_check(&caller.as_authz(), caller.root_access_key(), sa)
    })?;
    let (implied, policy) = match &sa.policy {
        ServiceAccountPolicy::Inherited => (true, parent_policy(&snap, &sa)),
        ServiceAccountPolicy::Embedded(doc) => (false, doc.clone()),
    };
    let parent_status = if sa.parent == snap.root_access_key() {
        String::new()
    } else {
        snap.user(&sa.parent)
            .map(|u| u.status.as_str().to_owned())
            .unwrap_or_default()
    };
    let resp = InfoServiceAccountResp {
        parent_user: sa.parent.clone(),
        parent_user_status: parent_status,
        account_status: on_off(sa.status),
        implied_policy: implied,
        policy,
        name: sa.name,
        description: sa.description,
        expiration: sa.expiration,
    };
    req.reply(&resp).await
}

/// The parent's combined policy as JSON text (what an inheriting account may do).
fn parent_policy(snap: &IamSnapshot, sa: &ServiceAccount) -> String {
    let names = if sa.parent == snap.root_access_key() {
        vec!["consoleAdmin".to_owned()]
    } else {
        snap.policies_for_sts_parent(&sa.parent, &sa.groups)
    };
    combined_policy(snap, &names)
        .map(|raw: Box<RawValue>| raw.get().to_owned())
        .unwrap_or_default()
}

/// `GET list-service-accounts[?user=]` (encrypted response). Listing another user's accounts
/// needs an explicit `admin:ListServiceAccounts` allow.
pub async fn list(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let caller = req.caller().clone();
    let root = caller.root_access_key();
    let asked = req.query().get_or_empty("user").to_owned();
    let (user, check) = match relation_to_user(&caller.as_authz(), root, &asked) {
        Relation::Other => (asked.as_str(), MustAllow),
        Relation::OwnAccount | Relation::Itself => (
            caller.effective_user(),
            if caller.is_restricted() {
                MustAllow
            } else {
                DenyOnly
            },
        ),
    };
    req.require(&[Action::AdminListServiceAccounts], check)?;
    let snap = req.snapshot();
    if user != root && snap.user(user).is_none() {
        return Err(if snap.service_account(user).is_some() {
            AdminError::account_not_eligible()
        } else {
            AdminError::no_such_user()
        });
    }
    let accounts = snap
        .service_accounts_of(user)
        .into_iter()
        .map(|sa| ServiceAccountInfo {
            parent_user: sa.parent.clone(),
            account_status: on_off(sa.status),
            implied_policy: sa.policy.is_inherited(),
            access_key: sa.access_key.clone(),
            name: sa.name.clone(),
            description: sa.description.clone(),
            expiration: sa.expiration,
        })
        .collect();
    req.reply(&ListServiceAccountsResp { accounts }).await
}

/// `DELETE delete-service-account?accessKey=` (204): `admin:RemoveServiceAccount`, or
/// (deny-only) the account belongs to the caller's user.
pub async fn delete(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let snap = req.snapshot();
    let caller = req.caller().clone();
    let sa = authorized_account(&req, &snap, Action::AdminRemoveServiceAccount, |sa| {
        manage_service_account_check(&caller.as_authz(), caller.root_access_key(), sa)
    })?;
    let ak = sa.access_key;
    req.iam(move |iam| iam.delete_service_account(&ak)).await?;
    Ok(req.done())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_policy_document_means_inherit() {
        assert_eq!(embedded_policy(None), None);
        assert_eq!(embedded_policy(Some("{}")), None);
        assert_eq!(embedded_policy(Some(" { } ")), None);
        assert_eq!(embedded_policy(Some("")), None);
        let doc = r#"{"Version":"2012-10-17","Statement":[]}"#;
        assert_eq!(embedded_policy(Some(doc)).as_deref(), Some(doc));
    }
}
