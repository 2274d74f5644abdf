//! Serde types of the admin JSON bodies minio-py (`minio/minioadmin.py`) and madmin-go send and
//! expect, for users, groups, policies, service accounts, account info and token revocation.
//! `ENDPOINTS.md` in this crate lists, per endpoint, which type goes where and what is encrypted.
//!
//! Field names follow madmin exactly (they are JSON keys on the wire). Requests are parsed with
//! [`from_json`], which bounds the size; responses are plain `Serialize` values the server turns
//! into bytes with `serde_json::to_vec` and, where `ENDPOINTS.md` says so, seals with
//! [`crate::encrypt_data`].
//!
//! Go's `encoding/json` ignores unknown keys, so the request types do too, except
//! [`AddOrUpdateUserReq`], which refuses any key it does not know (CVE-2021-43858).

mod account;
mod error;
mod group;
mod policy;
mod secret;
mod service_account;
mod time_format;
mod user;

pub use account::{
    AccountAccess, AccountInfo, BackendInfo, BucketAccessInfo, BucketDetails, RevokeTokensQuery,
};
pub use error::AdminErrorResponse;
pub use group::{GroupAddRemove, GroupDesc, GroupStatus, ListGroupsResp};
pub use policy::{
    GroupPolicyEntities, ListCannedPoliciesResp, PolicyAssociationReq, PolicyAssociationResp,
    PolicyEntities, PolicyEntitiesQuery, PolicyEntitiesResult, PolicyInfo, PolicyTarget,
    SetPolicyQuery, UserPolicyEntities,
};
pub use secret::WireSecret;
pub use service_account::{
    AddServiceAccountReq, AddServiceAccountResp, Credentials, InfoServiceAccountResp,
    ListServiceAccountsResp, ServiceAccountInfo, TemporaryAccountInfoResp, UpdateServiceAccountReq,
};
pub use user::{
    AccountStatus, AddOrUpdateUserReq, ListUsersResp, NoPolicy, UserAuthInfo, UserAuthType,
    UserInfo,
};

use serde::de::DeserializeOwned;

/// The largest JSON request body [`from_json`] parses: 1 MiB, the same bound as
/// [`crate::MAX_CIPHERTEXT_LEN`]. (Canned policies have their own, smaller limit in the policy
/// crate; MinIO caps them at 20 KiB.)
pub const MAX_JSON_BODY_LEN: usize = 1 << 20;

/// Why a request body was refused. The message is safe for a client and never echoes the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// Larger than [`MAX_JSON_BODY_LEN`]; not parsed.
    #[error("request body of {len} bytes exceeds the maximum of {max} bytes")]
    TooLarge { len: usize, max: usize },
    /// Not the JSON shape the endpoint takes. Carries serde's line/column, not the input.
    #[error("request body is not valid JSON for this request: {0}")]
    Json(String),
    /// Well-formed JSON that breaks a rule of the endpoint (e.g. `policy` in add-user).
    #[error("{0}")]
    Invalid(&'static str),
}

/// Parses a (decrypted, or never encrypted) admin request body, refusing bodies over
/// [`MAX_JSON_BODY_LEN`] before looking at them. serde_json also bounds nesting depth (128).
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, BodyError> {
    if body.len() > MAX_JSON_BODY_LEN {
        return Err(BodyError::TooLarge {
            len: body.len(),
            max: MAX_JSON_BODY_LEN,
        });
    }
    serde_json::from_slice(body).map_err(|e| {
        // serde's messages can quote input (e.g. "unknown variant `x`"); keep only the position
        // and the category so secrets in a malformed body never reach the client.
        BodyError::Json(format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

#[cfg(test)]
mod tests;
