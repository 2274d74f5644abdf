//! Groups: update-group-members, set-group-status, group, groups.

use s3s::{Body, S3Response};
use strongbox_iam::authz::PermissionCheck::MustAllow;
use strongbox_madmin::types::{AccountStatus, GroupAddRemove, GroupDesc, ListGroupsResp};
use strongbox_policy::Action;

use super::AdminRequest;
use super::error::AdminError;
use super::users::to_status;

fn group_param(req: &AdminRequest) -> Result<String, AdminError> {
    match req.query().get("group") {
        Some(g) if !g.is_empty() => Ok(g.to_owned()),
        _ => Err(AdminError::invalid_argument("group is required")),
    }
}

/// `PUT update-group-members` with a plain `{"group","members","isRemove"}`: adds members
/// (creating the group), removes members, or (remove with no members) removes an empty group.
pub async fn update_members(mut req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    // The body is plain JSON (no key derivation): read it to learn which action is asked.
    let body: GroupAddRemove = req.json().await?;
    let action = if body.is_remove {
        Action::AdminRemoveUserFromGroup
    } else {
        Action::AdminAddUserToGroup
    };
    req.require(&[action], MustAllow)?;
    if body.group.is_empty() {
        return Err(AdminError::invalid_argument("group is required"));
    }
    let snap = req.snapshot();
    for m in &body.members {
        // Only IAM users can be members: never root, a service account or STS credentials.
        if m == snap.root_access_key() {
            return Err(AdminError::root_key_reserved());
        }
        if snap.service_account(m).is_some() {
            return Err(AdminError::account_not_eligible());
        }
    }
    let GroupAddRemove {
        group,
        members,
        is_remove,
        ..
    } = body;
    req.iam(move |iam| {
        let members: Vec<&str> = members.iter().map(String::as_str).collect();
        match (is_remove, members.is_empty()) {
            (false, _) => iam.add_group_members(&group, &members),
            (true, true) => iam.remove_group(&group),
            (true, false) => iam.remove_group_members(&group, &members),
        }
    })
    .await?;
    Ok(req.done())
}

/// `PUT set-group-status?group=&status=enabled|disabled`.
pub async fn set_status(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let group = group_param(&req)?;
    let status = AccountStatus::from_query(req.query().get_or_empty("status"))
        .ok_or_else(|| AdminError::invalid_argument("status must be enabled or disabled"))?;
    let action = match status {
        AccountStatus::Enabled => Action::AdminEnableGroup,
        AccountStatus::Disabled => Action::AdminDisableGroup,
    };
    req.require(&[action], MustAllow)?;
    let status = to_status(status);
    req.iam(move |iam| iam.set_group_status(&group, status))
        .await?;
    Ok(req.done())
}

/// `GET group?group=`: plain `GroupDesc`.
pub async fn info(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let group = group_param(&req)?;
    req.require(&[Action::AdminGetGroup], MustAllow)?;
    let g = req.iam(move |iam| iam.group_info(&group)).await?;
    let desc = GroupDesc {
        name: g.name,
        status: g.status.as_str().to_owned(),
        members: g.members,
        policy: g.policies.join(","),
        updated_at: Some(g.updated_at),
    };
    req.reply(&desc).await
}

/// `GET groups`: plain `["g1", ...]`.
pub async fn list(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    req.require(&[Action::AdminListGroups], MustAllow)?;
    let groups: ListGroupsResp = req.iam(|iam| Ok(iam.list_groups())).await?;
    req.reply(&groups).await
}
