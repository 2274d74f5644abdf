//! Canned policies and their attachment: add/remove/info/list-canned-policy,
//! set-user-or-group-policy (legacy), idp/builtin/policy/attach|detach, policy-entities.

use std::collections::BTreeSet;

use bytes::Bytes;
use http::StatusCode;
use s3s::{Body, S3Response};
use serde_json::value::RawValue;
use strongbox_iam::authz::PermissionCheck::MustAllow;
use strongbox_iam::{IamSnapshot, MappingKind, PolicyTarget};
use strongbox_madmin::types::{
    GroupPolicyEntities, ListCannedPoliciesResp, PolicyAssociationReq, PolicyAssociationResp,
    PolicyEntities, PolicyEntitiesQuery, PolicyEntitiesResult, PolicyInfo, SetPolicyQuery,
    UserPolicyEntities,
};
use strongbox_policy::Action;
use time::OffsetDateTime;

use super::AdminRequest;
use super::body::MAX_POLICY_BODY;
use super::error::{AdminError, json_response};

fn name_param(req: &AdminRequest) -> Result<String, AdminError> {
    match req.query().get("name") {
        Some(n) if !n.is_empty() => Ok(n.to_owned()),
        _ => Err(AdminError::invalid_argument("name is required")),
    }
}

fn raw_json(doc: &str) -> Result<Box<RawValue>, AdminError> {
    RawValue::from_string(doc.to_owned()).map_err(|e| {
        tracing::error!(error = %e, "admin: stored policy is not JSON");
        AdminError::internal()
    })
}

/// `PUT add-canned-policy?name=` with the policy document as a plain body (≤ 20 KiB).
pub async fn add(mut req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let name = name_param(&req)?;
    if name.contains(',') {
        return Err(AdminError::new(
            StatusCode::BAD_REQUEST,
            "PolicyInvalidName",
            "Policy name may not contain comma",
        ));
    }
    req.require(&[Action::AdminCreatePolicy], MustAllow)?;
    let too_large = AdminError::new(
        StatusCode::BAD_REQUEST,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed object size.",
    );
    let doc = req.raw_body(MAX_POLICY_BODY, too_large).await?;
    if doc.is_empty() {
        return Err(AdminError::new(
            StatusCode::LENGTH_REQUIRED,
            "MissingContentLength",
            "You must provide the Content-Length HTTP header.",
        ));
    }
    let doc = String::from_utf8(doc.to_vec()).map_err(|_| {
        AdminError::new(
            StatusCode::BAD_REQUEST,
            "XMinioMalformedIAMPolicy",
            "The policy document is not UTF-8 text",
        )
    })?;
    // MinIO refuses a named policy without a Version (the policy grammar allows it elsewhere).
    if let Ok(p) = strongbox_policy::Policy::parse(doc.as_bytes())
        && p.version().is_none_or(str::is_empty)
    {
        return Err(AdminError::new(
            StatusCode::BAD_REQUEST,
            "MalformedPolicy",
            "The policy version is invalid",
        ));
    }
    req.iam(move |iam| iam.put_policy(&name, &doc)).await?;
    Ok(req.done())
}

/// `DELETE remove-canned-policy?name=`.
pub async fn remove(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let name = name_param(&req)?;
    req.require(&[Action::AdminDeletePolicy], MustAllow)?;
    req.iam(move |iam| iam.delete_policy(&name)).await?;
    Ok(req.done())
}

/// `GET info-canned-policy?name=[&v=2]`: the document itself, or madmin's `PolicyInfo`.
pub async fn info(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let name = name_param(&req)?;
    let v2 = match req.query().get("v") {
        None => false,
        Some("2") => true,
        Some(_) => {
            return Err(AdminError::invalid_argument(
                "unsupported policy info version",
            ));
        }
    };
    req.require(&[Action::AdminGetPolicy], MustAllow)?;
    let doc = req.iam(move |iam| iam.policy_info(&name)).await?;
    if !v2 {
        return Ok(json_response(StatusCode::OK, Bytes::from(doc.document)));
    }
    let info = PolicyInfo {
        policy: raw_json(&doc.document)?,
        policy_name: doc.name,
        create_date: Some(doc.created_at),
        update_date: Some(doc.updated_at),
    };
    req.reply(&info).await
}

/// `GET list-canned-policies`: plain `{"name": document}`, canned ones included.
pub async fn list(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    req.require(&[Action::AdminListUserPolicies], MustAllow)?;
    let docs = req.iam(|iam| Ok(iam.list_policies())).await?;
    let mut out = ListCannedPoliciesResp::new();
    for d in docs {
        out.insert(d.name, raw_json(&d.document)?);
    }
    req.reply(&out).await
}

/// Legacy `PUT set-user-or-group-policy?policyName=&userOrGroup=&isGroup=`: replaces the mapping
/// (an empty `policyName` removes it).
pub async fn set_user_or_group(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let q = SetPolicyQuery {
        policy_name: req.query().get_or_empty("policyName").to_owned(),
        user_or_group: req.query().get_or_empty("userOrGroup").to_owned(),
        is_group: req.query().get_or_empty("isGroup").to_owned(),
    };
    if q.user_or_group.is_empty() {
        return Err(AdminError::invalid_argument("userOrGroup is required"));
    }
    req.require(&[Action::AdminAttachUserOrGroupPolicy], MustAllow)?;
    let target = target_of(&req.snapshot(), q.is_group(), &q.user_or_group)?;
    let names: Vec<String> = q.policy_names().into_iter().map(str::to_owned).collect();
    req.iam(move |iam| {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        iam.set_policies(&target, &names)
    })
    .await?;
    Ok(req.done())
}

/// The target of a mapping change. Root and service accounts are never targets (CVE-2023-27589
/// style confusion; spec §17 item 13).
fn target_of(snap: &IamSnapshot, is_group: bool, name: &str) -> Result<PolicyTarget, AdminError> {
    if is_group {
        return Ok(PolicyTarget::Group(name.to_owned()));
    }
    if name == snap.root_access_key() {
        return Err(AdminError::root_key_reserved());
    }
    if snap.service_account(name).is_some() {
        return Err(AdminError::account_not_eligible());
    }
    Ok(PolicyTarget::User(name.to_owned()))
}

fn mapped(snap: &IamSnapshot, target: &PolicyTarget) -> BTreeSet<String> {
    let (kind, entity) = match target {
        PolicyTarget::User(u) => (MappingKind::User, u),
        PolicyTarget::Group(g) => (MappingKind::Group, g),
    };
    snap.mapping(kind, entity)
        .map(|m| m.policies.clone())
        .unwrap_or_default()
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
    let target = match body.validate().map_err(AdminError::invalid_argument)? {
        strongbox_madmin::types::PolicyTarget::User(u) => target_of(&req.snapshot(), false, u)?,
        strongbox_madmin::types::PolicyTarget::Group(g) => target_of(&req.snapshot(), true, g)?,
    };
    let names: Vec<String> = body.policies;
    let changed = req
        .iam(move |iam| {
            let before = mapped(&iam.snapshot(), &target);
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            if attach {
                iam.attach_policies(&target, &refs)?;
            } else {
                iam.detach_policies(&target, &refs)?;
            }
            let changed: BTreeSet<String> = names
                .into_iter()
                .filter(|n| before.contains(n) != attach)
                .collect();
            Ok(changed.into_iter().collect::<Vec<_>>())
        })
        .await?;
    let (attached, detached) = if attach {
        (changed, Vec::new())
    } else {
        (Vec::new(), changed)
    };
    let resp = PolicyAssociationResp {
        policies_attached: attached,
        policies_detached: detached,
        updated_at: OffsetDateTime::now_utc(),
    };
    req.reply(&resp).await
}

/// `POST idp/builtin/policy/attach` (encrypted both ways).
pub async fn attach(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    associate(req, true).await
}

/// `POST idp/builtin/policy/detach` (encrypted both ways).
pub async fn detach(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    associate(req, false).await
}

fn group_entities(snap: &IamSnapshot, group: &str) -> GroupPolicyEntities {
    GroupPolicyEntities {
        group: group.to_owned(),
        policies: snap
            .mapping(MappingKind::Group, group)
            .map(|m| m.policies.iter().cloned().collect())
            .unwrap_or_default(),
    }
}

/// `GET idp/builtin/policy-entities[?user=..&group=..&policy=..]`: encrypted
/// `PolicyEntitiesResult`. No filter at all lists every policy mapping.
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
    let snap = req.snapshot();
    let everything = q.users.is_empty() && q.groups.is_empty() && q.policies.is_empty();
    let user_mappings = q
        .users
        .iter()
        .filter(|u| snap.user(u).is_some())
        .map(|u| UserPolicyEntities {
            user: u.clone(),
            policies: snap
                .mapping(MappingKind::User, u)
                .map(|m| m.policies.iter().cloned().collect())
                .unwrap_or_default(),
            member_of_mappings: snap
                .groups_of(u)
                .iter()
                .map(|g| group_entities(&snap, g))
                .filter(|g| !g.policies.is_empty())
                .collect(),
        })
        .collect();
    let group_mappings = q
        .groups
        .iter()
        .filter(|g| snap.group(g).is_some() || snap.mapping(MappingKind::Group, g).is_some())
        .map(|g| group_entities(&snap, g))
        .collect();
    let policy_mappings = if everything || !q.policies.is_empty() {
        let filter: Vec<String> = q.policies.clone();
        req.iam(move |iam| {
            let refs: Vec<&str> = filter.iter().map(String::as_str).collect();
            Ok(iam.policy_entities(&refs))
        })
        .await?
        .into_iter()
        .map(|p| PolicyEntities {
            policy: p.policy,
            users: p.users,
            groups: p.groups,
        })
        .collect()
    } else {
        Vec::new()
    };
    let resp = PolicyEntitiesResult {
        timestamp: OffsetDateTime::now_utc(),
        user_mappings,
        group_mappings,
        policy_mappings,
    };
    req.reply(&resp).await
}
