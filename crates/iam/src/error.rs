//! IAM errors. Each has a stable code and a message safe to show a client; `Display` may carry
//! internal detail (store errors) and is for logs only.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        what: &'static str,
        reason: &'static str,
    },
    /// The root access key can never name a user or a service account (CVE-2023-27589).
    #[error("the root access key is reserved")]
    ReservedAccessKey,
    /// The access key already names a different kind of identity (user vs service account).
    #[error("access key already in use by another identity")]
    AccessKeyInUse,
    #[error("the specified user does not exist")]
    NoSuchUser,
    #[error("the specified group does not exist")]
    NoSuchGroup,
    #[error("the specified policy does not exist")]
    NoSuchPolicy,
    #[error("the specified service account does not exist")]
    NoSuchServiceAccount,
    #[error("the specified blob does not exist")]
    NoSuchBlob,
    /// Removing a group that still has members (MinIO removes only empty groups).
    #[error("the group is not empty")]
    GroupNotEmpty,
    /// Deleting a policy that is still mapped to a user, group or STS parent.
    #[error("the policy is in use")]
    PolicyInUse,
    /// Deleting a canned policy that was not overridden by a stored one (spec §12.5).
    #[error("a built-in policy cannot be removed")]
    CannedPolicy,
    /// Attach of already-attached policies, or detach of policies not attached.
    #[error("the policy change is already in effect")]
    PolicyChangeAlreadyApplied,
    /// Policies can be mapped only to IAM users, groups and STS parents, never to a service
    /// account or an STS access key (spec §17 item 13).
    #[error("policies cannot be attached to this identity")]
    PolicyTargetNotAllowed,
    #[error("malformed policy: {0}")]
    MalformedPolicy(String),
    #[error("policy document too large")]
    PolicyTooLarge,
    #[error("invalid expiration: {0}")]
    InvalidExpiration(&'static str),
    /// A blob compare-and-swap lost: someone else wrote version `current`.
    #[error("blob version mismatch (current version {current})")]
    BlobVersionMismatch { current: u64 },
    /// A concurrent change by another node kept winning; the caller may retry.
    #[error("concurrent modification, retry")]
    Conflict,
    #[error("IAM store error: {0}")]
    Store(#[from] StoreError),
}

impl IamError {
    /// A stable error code, MinIO admin-API style. The server maps codes to HTTP statuses.
    pub fn code(&self) -> &'static str {
        match self {
            IamError::InvalidArgument { .. } => "XMinioAdminInvalidArgument",
            IamError::ReservedAccessKey | IamError::AccessKeyInUse => "XMinioIAMActionNotAllowed",
            IamError::NoSuchUser => "XMinioAdminNoSuchUser",
            IamError::NoSuchGroup => "XMinioAdminNoSuchGroup",
            IamError::NoSuchPolicy => "XMinioAdminNoSuchPolicy",
            IamError::NoSuchServiceAccount => "XMinioAdminNoSuchServiceAccount",
            IamError::NoSuchBlob => "NoSuchKey",
            IamError::GroupNotEmpty => "XMinioAdminGroupNotEmpty",
            IamError::PolicyInUse => "XMinioAdminPolicyInUse",
            IamError::CannedPolicy => "XMinioIAMActionNotAllowed",
            IamError::PolicyChangeAlreadyApplied => "XMinioAdminPolicyChangeAlreadyApplied",
            IamError::PolicyTargetNotAllowed => "XMinioIAMActionNotAllowed",
            IamError::MalformedPolicy(_) | IamError::PolicyTooLarge => "XMinioMalformedIAMPolicy",
            IamError::InvalidExpiration(_) => "XMinioAdminInvalidArgument",
            IamError::BlobVersionMismatch { .. } | IamError::Conflict => "XMinioAdminConflict",
            IamError::Store(_) => "InternalError",
        }
    }

    /// The message a client may see: never the store's internal detail.
    pub fn client_message(&self) -> String {
        match self {
            IamError::Store(_) => "We encountered an internal error, please try again.".into(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_detail_stays_out_of_the_client_message() {
        let e = IamError::Store(StoreError::Backend("disk /secret/path failed".into()));
        assert_eq!(e.code(), "InternalError");
        assert!(!e.client_message().contains("/secret/path"));
        assert!(e.to_string().contains("/secret/path"));
    }
}
