//! Canned policies and their attachment: add/info/list/remove-canned-policy,
//! set-user-or-group-policy, idp/builtin/policy/attach|detach, idp/builtin/policy-entities.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

use super::time_format;

/// Body of `POST idp/builtin/policy/attach` and `.../detach` (encrypted; `Content-Type` must be
/// `application/octet-stream`): `{"policies": ["p1"], "user": "u"}` or `{..., "group": "g"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PolicyAssociationReq {
    pub policies: Vec<String>,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub group: String,
    /// LDAP only (madmin `configName`); ignored by the builtin endpoints.
    #[serde(rename = "configName", default)]
    pub config_name: String,
}

/// Who a [`PolicyAssociationReq`] targets, once validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyTarget<'a> {
    User(&'a str),
    Group(&'a str),
}

impl PolicyAssociationReq {
    /// madmin `PolicyAssociationReq.IsValid`: at least one policy, no empty name, exactly one
    /// of user and group.
    pub fn validate(&self) -> Result<PolicyTarget<'_>, &'static str> {
        if self.policies.is_empty() {
            return Err("no policy names were given");
        }
        if self.policies.iter().any(String::is_empty) {
            return Err("an empty policy name was given");
        }
        match (self.user.is_empty(), self.group.is_empty()) {
            (true, true) => Err("no user or group association was given"),
            (false, false) => Err("either a group or a user association must be given, not both"),
            (false, true) => Ok(PolicyTarget::User(&self.user)),
            (true, false) => Ok(PolicyTarget::Group(&self.group)),
        }
    }
}

/// Response of attach/detach (encrypted, HTTP 200). madmin `PolicyAssociationResp`: the
/// policies that actually changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyAssociationResp {
    #[serde(
        rename = "policiesAttached",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub policies_attached: Vec<String>,
    #[serde(
        rename = "policiesDetached",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub policies_detached: Vec<String>,
    #[serde(
        rename = "updatedAt",
        serialize_with = "time_format::serialize",
        deserialize_with = "time::serde::rfc3339::deserialize"
    )]
    pub updated_at: OffsetDateTime,
}

/// Query of legacy `PUT set-user-or-group-policy?policyName=&userOrGroup=&isGroup=` (no body).
/// `policyName` may hold several names joined with `,`; an empty one detaches everything.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SetPolicyQuery {
    #[serde(rename = "policyName")]
    pub policy_name: String,
    #[serde(rename = "userOrGroup")]
    pub user_or_group: String,
    /// `"true"` for a group; any other value means a user (MinIO compares with `"true"`).
    #[serde(rename = "isGroup", default)]
    pub is_group: String,
}

impl SetPolicyQuery {
    pub fn is_group(&self) -> bool {
        self.is_group == "true"
    }

    /// The policy names, split on `,`, trimmed, empty ones dropped.
    pub fn policy_names(&self) -> Vec<&str> {
        self.policy_name
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// Query of `GET idp/builtin/policy-entities`: repeated `user=`, `group=`, `policy=` parameters
/// (minio-py sends each list sorted; all empty means "everything").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyEntitiesQuery {
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub policies: Vec<String>,
}

impl PolicyEntitiesQuery {
    /// Collects the repeated parameters from decoded `(key, value)` query pairs; other keys are
    /// ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut q = Self::default();
        for (k, v) in pairs {
            match k {
                "user" => q.users.push(v.to_owned()),
                "group" => q.groups.push(v.to_owned()),
                "policy" => q.policies.push(v.to_owned()),
                _ => {}
            }
        }
        q
    }
}

/// Response of policy-entities (encrypted). madmin `PolicyEntitiesResult`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyEntitiesResult {
    #[serde(
        serialize_with = "time_format::serialize",
        deserialize_with = "time::serde::rfc3339::deserialize"
    )]
    pub timestamp: OffsetDateTime,
    #[serde(
        rename = "userMappings",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub user_mappings: Vec<UserPolicyEntities>,
    #[serde(
        rename = "groupMappings",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub group_mappings: Vec<GroupPolicyEntities>,
    #[serde(
        rename = "policyMappings",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub policy_mappings: Vec<PolicyEntities>,
}

/// A user's directly attached policies, and those it gets through its groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPolicyEntities {
    pub user: String,
    pub policies: Vec<String>,
    #[serde(
        rename = "memberOfMappings",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub member_of_mappings: Vec<GroupPolicyEntities>,
}

/// A group's attached policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPolicyEntities {
    pub group: String,
    pub policies: Vec<String>,
}

/// The users and groups a policy is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyEntities {
    pub policy: String,
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

/// Response of `GET info-canned-policy?name=&v=2` (plain JSON). madmin `PolicyInfo`; the keys
/// are Go field names (no json tags). Without `v`, the response is the policy document alone;
/// any other `v` is an error.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyInfo {
    #[serde(rename = "PolicyName")]
    pub policy_name: String,
    /// The policy document, serialized as the server stores it.
    #[serde(rename = "Policy")]
    pub policy: Box<RawValue>,
    #[serde(
        rename = "CreateDate",
        skip_serializing_if = "Option::is_none",
        serialize_with = "time_format::serialize_opt"
    )]
    pub create_date: Option<OffsetDateTime>,
    #[serde(
        rename = "UpdateDate",
        skip_serializing_if = "Option::is_none",
        serialize_with = "time_format::serialize_opt"
    )]
    pub update_date: Option<OffsetDateTime>,
}

/// Response of `GET list-canned-policies` (plain JSON): policy name → policy document.
pub type ListCannedPoliciesResp = BTreeMap<String, Box<RawValue>>;
