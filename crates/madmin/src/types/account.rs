//! accountinfo and revoke-tokens.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

use super::time_format;

/// Response of `GET accountinfo[?prefix-usage=true]` (plain JSON). madmin `AccountInfo`; the
/// top-level keys are Go field names (no json tags).
#[derive(Debug, Clone, Serialize)]
pub struct AccountInfo {
    #[serde(rename = "AccountName")]
    pub account_name: String,
    #[serde(rename = "Server")]
    pub server: BackendInfo,
    /// The caller's effective policy document (raw JSON).
    #[serde(rename = "Policy")]
    pub policy: Box<RawValue>,
    #[serde(rename = "Buckets")]
    pub buckets: Vec<BucketAccessInfo>,
}

/// madmin `BackendInfo`, reduced to what a single-node server can say truthfully. Clients
/// decode unknown or missing keys as zero values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendInfo {
    /// madmin `BackendType`: 0 Unknown, 1 FS, 2 Erasure.
    #[serde(rename = "Type")]
    pub backend_type: u8,
}

/// One bucket the caller can read or write. madmin `BucketAccessInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketAccessInfo {
    pub name: String,
    pub size: u64,
    pub objects: u64,
    pub versions: u64,
    #[serde(rename = "deleteMarkers")]
    pub delete_markers: u64,
    #[serde(rename = "objectHistogram", skip_serializing_if = "Option::is_none")]
    pub object_sizes_histogram: Option<std::collections::BTreeMap<String, u64>>,
    #[serde(
        rename = "objectsVersionsHistogram",
        skip_serializing_if = "Option::is_none"
    )]
    pub object_versions_histogram: Option<std::collections::BTreeMap<String, u64>>,
    pub details: Option<BucketDetails>,
    #[serde(rename = "prefixUsage", skip_serializing_if = "Option::is_none")]
    pub prefix_usage: Option<std::collections::BTreeMap<String, u64>>,
    #[serde(serialize_with = "time_format::serialize")]
    pub created: OffsetDateTime,
    pub access: AccountAccess,
}

/// madmin `BucketDetails` (tags and quota left out: written as `null`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BucketDetails {
    pub versioning: bool,
    #[serde(rename = "versioningSuspended")]
    pub versioning_suspended: bool,
    pub locking: bool,
    pub replication: bool,
}

/// madmin `AccountAccess`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountAccess {
    pub read: bool,
    pub write: bool,
}

/// Query of `POST revoke-tokens/{builtin|ldap}?user=&tokenRevokeType=&fullRevoke=` (no body,
/// answers 204). Not in minio-py 7.2.20; madmin `RevokeTokens`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RevokeTokensQuery {
    #[serde(default)]
    pub user: String,
    #[serde(rename = "tokenRevokeType", default)]
    pub token_revoke_type: String,
    /// `"true"` means full revoke (MinIO compares with `"true"`).
    #[serde(rename = "fullRevoke", default)]
    pub full_revoke: String,
}

impl RevokeTokensQuery {
    pub fn full_revoke(&self) -> bool {
        self.full_revoke == "true"
    }

    /// MinIO's rule: with a `user`, exactly one of `tokenRevokeType` and `fullRevoke`;
    /// without one (self-revoke), at most one. Violations are `InvalidRequest`.
    pub fn validate(&self) -> Result<(), &'static str> {
        let typed = !self.token_revoke_type.is_empty();
        if typed && self.full_revoke() {
            return Err("only one of tokenRevokeType or fullRevoke may be set");
        }
        if !self.user.is_empty() && !typed && !self.full_revoke() {
            return Err("one of tokenRevokeType or fullRevoke must be set when user is set");
        }
        Ok(())
    }
}
