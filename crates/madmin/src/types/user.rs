//! Users: add-user, user-info, list-users, set-user-status.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::secret::WireSecret;
use super::time_format;

/// `enabled` / `disabled` (madmin `AccountStatus`; also the `status` query parameter of
/// set-user-status and set-group-status, and the service-account `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    Enabled,
    Disabled,
}

impl AccountStatus {
    /// Parses a query parameter value; anything but the two words is `None`.
    pub fn from_query(value: &str) -> Option<Self> {
        match value {
            "enabled" => Some(Self::Enabled),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }
}

/// Body of `PUT add-user?accessKey=` (encrypted): `{"secretKey": "...", "status": "enabled"}`.
///
/// **CVE-2021-43858.** madmin's struct also has a `policy` field and MinIO once applied it, so a
/// user allowed to change their own password could change their own policy. Here a non-empty
/// `policy` is refused, and so is every key this type does not know: password and status
/// updates never carry anything else. (madmin omits an empty `policy`; an explicit `""` is
/// tolerated and ignored.)
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddOrUpdateUserReq {
    /// madmin sends it with `omitempty`: absent means "keep the current secret" (only
    /// meaningful for an existing user; a new user without one is the server's error to raise).
    #[serde(rename = "secretKey", default)]
    pub secret_key: WireSecret,
    /// madmin always sends it (`""` from change-my-password, which means "unchanged").
    #[serde(rename = "status", default, deserialize_with = "status_or_empty")]
    pub status: Option<AccountStatus>,
    /// Always empty: a non-empty `policy` fails parsing; see the type's documentation.
    #[serde(rename = "policy", default)]
    pub policy: NoPolicy,
}

/// A status in a request body: `enabled`/`on`, `disabled`/`off` (MinIO's credential spelling,
/// which `mc` sends for service accounts), or `""`/`null`/absent meaning "no change".
pub(crate) fn status_or_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<AccountStatus>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref() {
        None | Some("") => Ok(None),
        Some("enabled" | "on") => Ok(Some(AccountStatus::Enabled)),
        Some("disabled" | "off") => Ok(Some(AccountStatus::Disabled)),
        Some(_) => Err(serde::de::Error::custom(
            "status must be enabled or disabled",
        )),
    }
}

/// The `policy` key of add-user, which may only be absent, `null` or `""` (CVE-2021-43858).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoPolicy;

impl<'de> Deserialize<'de> for NoPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(NoPolicy),
            Some(p) if p.is_empty() => Ok(NoPolicy),
            Some(_) => Err(serde::de::Error::custom(
                "add-user cannot set a policy (CVE-2021-43858); use the policy attach API",
            )),
        }
    }
}

/// How a user authenticates (madmin `UserAuthType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserAuthType {
    Builtin,
    Ldap,
}

/// madmin `UserAuthInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAuthInfo {
    #[serde(rename = "type")]
    pub auth_type: UserAuthType,
    #[serde(
        rename = "authServer",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub auth_server: String,
    #[serde(
        rename = "authServerUserID",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub auth_server_user_id: String,
}

/// Response of `GET user-info?accessKey=` (plain JSON) and the values of list-users.
/// madmin `UserInfo`. MinIO never fills `secretKey` in these responses, so it is not here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    #[serde(
        rename = "userAuthInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub auth_info: Option<UserAuthInfo>,
    /// Attached policy names joined with `,` (MinIO's `MappedPolicy` string form).
    #[serde(
        rename = "policyName",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub policy_name: String,
    pub status: AccountStatus,
    #[serde(rename = "memberOf", default, skip_serializing_if = "Vec::is_empty")]
    pub member_of: Vec<String>,
    #[serde(
        rename = "updatedAt",
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "time_format::serialize_opt",
        deserialize_with = "time::serde::rfc3339::option::deserialize"
    )]
    pub updated_at: Option<OffsetDateTime>,
}

/// Response of `GET list-users` (encrypted): access key → [`UserInfo`]. Sorted for stable output.
pub type ListUsersResp = BTreeMap<String, UserInfo>;
