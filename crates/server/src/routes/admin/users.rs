//! Users: add-user, set-user-status, remove-user, user-info, list-users, change-my-password.

use s3s::{Body, S3Response};
use strongbox_iam::authz::PermissionCheck::{DenyOnly, MustAllow};
use strongbox_iam::{Status, UserInfo as IamUserInfo};
use strongbox_madmin::types::{AccountStatus, AddOrUpdateUserReq, ListUsersResp, UserInfo};
use strongbox_policy::Action;

use super::error::AdminError;
use super::{AdminRequest, CallerKind};

/// The `accessKey` query parameter, which every user endpoint needs.
pub(super) fn access_key_param(req: &AdminRequest) -> Result<String, AdminError> {
    match req.query().get("accessKey") {
        Some(ak) if !ak.is_empty() => Ok(ak.to_owned()),
        _ => Err(AdminError::invalid_argument("accessKey is required")),
    }
}

pub(super) fn to_status(s: AccountStatus) -> Status {
    match s {
        AccountStatus::Enabled => Status::Enabled,
        AccountStatus::Disabled => Status::Disabled,
    }
}

pub(super) fn to_wire_status(s: Status) -> AccountStatus {
    match s {
        Status::Enabled => AccountStatus::Enabled,
        Status::Disabled => AccountStatus::Disabled,
    }
}

fn wire_user_info(u: IamUserInfo) -> UserInfo {
    UserInfo {
        auth_info: None,
        policy_name: u.policies.join(","),
        status: to_wire_status(u.status),
        member_of: u.member_of,
        updated_at: Some(u.updated_at),
    }
}

/// `PUT add-user?accessKey=` with an encrypted `{"secretKey","status"}`: creates a user or
/// changes an existing user's secret and status. Never a policy (CVE-2021-43858: the body type
/// refuses a `policy` key, and this handler has no way to pass one on).
pub async fn add_user(mut req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let ak = access_key_param(&req)?;
    let caller = req.caller().clone();
    // CVE-2023-27589: nobody, not even root, turns the root access key into a user.
    if ak == caller.root_access_key() {
        return Err(AdminError::root_key_reserved());
    }
    // A service account or temporary credential may not change its parent's password, nor turn
    // its own access key into a user (spec §17 item 13).
    if caller.kind().is_derived() && (ak == caller.effective_user() || ak == caller.access_key()) {
        return Err(AdminError::account_not_eligible());
    }
    // A user changing their own password only needs to not be denied (MinIO's rule).
    let check = if matches!(caller.kind(), CallerKind::User) && ak == caller.access_key() {
        DenyOnly
    } else {
        MustAllow
    };
    req.require(&[Action::AdminCreateUser], check)?;
    let body: AddOrUpdateUserReq = req.json().await?;
    let status = body.status.map(to_status);
    let secret = body.secret_key;
    req.iam(move |iam| {
        let existing = iam.snapshot().user(&ak).map(|u| u.status);
        match (existing, secret.is_empty()) {
            (_, false) => iam.add_user(
                &ak,
                secret.expose(),
                status.or(existing).unwrap_or(Status::Enabled),
            ),
            (Some(current), true) => iam.set_user_status(&ak, status.unwrap_or(current)),
            (None, true) => Err(strongbox_iam::IamError::InvalidArgument {
                what: "secret key",
                reason: "a new user needs a secret key",
            }),
        }
    })
    .await?;
    Ok(req.done())
}

/// `POST change-my-password` with an encrypted `{"secretKey"}`: an IAM user sets its own secret.
pub async fn change_my_password(mut req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    if !matches!(req.caller().kind(), CallerKind::User) {
        return Err(AdminError::account_not_eligible());
    }
    req.require(&[Action::AdminCreateUser], DenyOnly)?;
    let body: AddOrUpdateUserReq = req.json().await?;
    let ak = req.caller().access_key().to_owned();
    let secret = body.secret_key;
    req.iam(move |iam| iam.set_user_secret(&ak, secret.expose()))
        .await?;
    Ok(req.done())
}

/// `PUT set-user-status?accessKey=&status=enabled|disabled`.
pub async fn set_user_status(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let ak = access_key_param(&req)?;
    let status = AccountStatus::from_query(req.query().get_or_empty("status"))
        .ok_or_else(|| AdminError::invalid_argument("status must be enabled or disabled"))?;
    if ak == req.caller().root_access_key() {
        return Err(AdminError::invalid_argument(
            "the root user's status cannot be changed",
        ));
    }
    let action = match status {
        AccountStatus::Enabled => Action::AdminEnableUser,
        AccountStatus::Disabled => Action::AdminDisableUser,
    };
    req.require(&[action], MustAllow)?;
    let status = to_status(status);
    req.iam(move |iam| iam.set_user_status(&ak, status)).await?;
    Ok(req.done())
}

/// `DELETE remove-user?accessKey=`: the user, its mapping, memberships and service accounts.
pub async fn remove_user(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let ak = access_key_param(&req)?;
    if ak == req.caller().root_access_key() {
        return Err(AdminError::root_key_reserved());
    }
    req.require(&[Action::AdminDeleteUser], MustAllow)?;
    let user = ak.clone();
    req.iam(move |iam| iam.remove_user(&ak)).await?;
    // Its temporary credentials stay dead if a user of the same name is created again.
    crate::sts::session::parent_removed(&user).await;
    Ok(req.done())
}

/// `GET user-info?accessKey=`: plain JSON. One's own info needs only no explicit deny.
pub async fn user_info(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let ak = access_key_param(&req)?;
    let check = if ak == req.caller().access_key() {
        DenyOnly
    } else {
        MustAllow
    };
    req.require(&[Action::AdminGetUser], check)?;
    let info = req.iam(move |iam| iam.user_info(&ak)).await?;
    req.reply(&wire_user_info(info)).await
}

/// `GET list-users`: encrypted `{"name": UserInfo}` of IAM users (no service accounts).
pub async fn list_users(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    req.require(&[Action::AdminListUsers], MustAllow)?;
    let users = req.iam(|iam| Ok(iam.list_users())).await?;
    let resp: ListUsersResp = users
        .into_iter()
        .map(|u| (u.access_key.clone(), wire_user_info(u)))
        .collect();
    req.reply(&resp).await
}
