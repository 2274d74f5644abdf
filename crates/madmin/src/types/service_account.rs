//! Service accounts (access keys): add, update, info, list, delete, and temporary-account-info.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

use super::secret::WireSecret;
use super::time_format;
use super::user::AccountStatus;

/// Body of `PUT add-service-account` (encrypted). madmin `AddServiceAccountReq`, plus the
/// `status` key minio-py sends (madmin has none; MinIO ignores it).
///
/// minio-py sends `{"status": "enabled", "accessKey": null|"..", "secretKey": null|"..",
/// "name"?, "description"?, "policy"?: {...}, "expiration"?: "<RFC 3339>"}`; madmin adds
/// `targetUser` (create for another user: needs an explicit `admin:CreateServiceAccount`
/// allow, CVE-2022-24842) and `comment` (old name of `description`).
#[derive(Debug, Clone, Deserialize)]
pub struct AddServiceAccountReq {
    /// The embedded (session) policy, as raw JSON. MinIO limits it to 4096 bytes. `null` and
    /// absence both mean "inherit the parent's policies".
    #[serde(default)]
    pub policy: Option<Box<RawValue>>,
    #[serde(rename = "targetUser", default)]
    pub target_user: Option<String>,
    /// Chosen access key; absent, `null` or empty means "generate one".
    #[serde(rename = "accessKey", default)]
    pub access_key: Option<String>,
    #[serde(rename = "secretKey", default)]
    pub secret_key: Option<WireSecret>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Deprecated madmin alias of `description`.
    #[serde(default)]
    pub comment: Option<String>,
    /// `None` for absent, `null`, Go's zero time or the Unix epoch (madmin's "no expiry").
    #[serde(default, deserialize_with = "time_format::deserialize_expiration")]
    pub expiration: Option<OffsetDateTime>,
    /// minio-py only.
    #[serde(default, deserialize_with = "super::user::status_or_empty")]
    pub status: Option<AccountStatus>,
    /// LDAP only.
    #[serde(rename = "configName", default)]
    pub config_name: Option<String>,
}

impl AddServiceAccountReq {
    /// The embedded policy's JSON text, `None` when absent or `null`.
    pub fn policy_json(&self) -> Option<&str> {
        raw_policy(self.policy.as_deref())
    }

    /// `description`, falling back to the deprecated `comment`.
    pub fn description(&self) -> Option<&str> {
        self.description
            .as_deref()
            .filter(|d| !d.is_empty())
            .or(self.comment.as_deref().filter(|c| !c.is_empty()))
    }
}

fn raw_policy(p: Option<&RawValue>) -> Option<&str> {
    p.map(RawValue::get).filter(|s| s.trim() != "null")
}

/// Credentials in an add-service-account response. madmin `Credentials`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(rename = "accessKey")]
    pub access_key: String,
    #[serde(rename = "secretKey")]
    pub secret_key: WireSecret,
    #[serde(
        rename = "sessionToken",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub session_token: Option<String>,
    /// madmin always writes it (Go zero time `0001-01-01T00:00:00Z` for "never").
    #[serde(
        serialize_with = "serialize_expiration_or_zero",
        deserialize_with = "time_format::deserialize_expiration",
        default
    )]
    pub expiration: Option<OffsetDateTime>,
}

fn serialize_expiration_or_zero<S: serde::Serializer>(
    t: &Option<OffsetDateTime>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(_) => time_format::serialize_opt(t, s),
        None => s.serialize_str("0001-01-01T00:00:00Z"),
    }
}

/// Response of add-service-account (encrypted): `{"credentials": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddServiceAccountResp {
    pub credentials: Credentials,
}

/// Body of `POST update-service-account?accessKey=` (encrypted). madmin
/// `UpdateServiceAccountReq`. Every field is optional; only the present ones change.
/// MinIO answers 204. Needs `admin:UpdateServiceAccount` even for one's own keys
/// (CVE-2024-24747).
#[derive(Debug, Clone, Deserialize)]
pub struct UpdateServiceAccountReq {
    /// A policy document replaces the embedded policy; an empty one (`{}`: no Version, no
    /// Statement) removes it, so the account inherits its parent's policies again.
    #[serde(rename = "newPolicy", default)]
    pub new_policy: Option<Box<RawValue>>,
    #[serde(rename = "newSecretKey", default)]
    pub new_secret_key: Option<WireSecret>,
    #[serde(
        rename = "newStatus",
        default,
        deserialize_with = "super::user::status_or_empty"
    )]
    pub new_status: Option<AccountStatus>,
    #[serde(rename = "newName", default)]
    pub new_name: Option<String>,
    #[serde(rename = "newDescription", default)]
    pub new_description: Option<String>,
    #[serde(
        rename = "newExpiration",
        default,
        deserialize_with = "time_format::deserialize_expiration"
    )]
    pub new_expiration: Option<OffsetDateTime>,
}

impl UpdateServiceAccountReq {
    /// The new policy's JSON text, `None` when absent or `null`.
    pub fn new_policy_json(&self) -> Option<&str> {
        raw_policy(self.new_policy.as_deref())
    }
}

/// One entry of list-service-accounts. madmin `ServiceAccountInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccountInfo {
    #[serde(rename = "parentUser")]
    pub parent_user: String,
    /// `on` / `off` in MinIO's responses (its stored credential status), not enabled/disabled.
    #[serde(rename = "accountStatus")]
    pub account_status: String,
    #[serde(rename = "impliedPolicy")]
    pub implied_policy: bool,
    #[serde(rename = "accessKey")]
    pub access_key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "time_format::serialize_opt",
        deserialize_with = "time_format::deserialize_expiration"
    )]
    pub expiration: Option<OffsetDateTime>,
}

/// Response of `GET list-service-accounts[?user=]` (encrypted): `{"accounts": [...]}`.
/// MinIO writes `null` for no accounts; we write `[]`, which every client reads the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListServiceAccountsResp {
    pub accounts: Vec<ServiceAccountInfo>,
}

/// Response of `GET info-service-account?accessKey=` (encrypted). madmin
/// `InfoServiceAccountResp`. `policy` is the effective policy as a JSON *string*: the embedded
/// one, or (with `impliedPolicy: true`) the parent's combined policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoServiceAccountResp {
    #[serde(rename = "parentUser")]
    pub parent_user: String,
    #[serde(
        rename = "parentUserStatus",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub parent_user_status: String,
    #[serde(rename = "accountStatus")]
    pub account_status: String,
    #[serde(rename = "impliedPolicy")]
    pub implied_policy: bool,
    pub policy: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "time_format::serialize_opt",
        deserialize_with = "time_format::deserialize_expiration"
    )]
    pub expiration: Option<OffsetDateTime>,
}

/// Response of `GET temporary-account-info?accessKey=` (encrypted): same shape as
/// [`InfoServiceAccountResp`] (madmin `TemporaryAccountInfoResp`).
pub type TemporaryAccountInfoResp = InfoServiceAccountResp;
