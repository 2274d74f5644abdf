//! Errors of policy parsing and validation.
//!
//! Every message names where the problem is (`Statement[2].Action[0]`), so an administrator can fix the
//! document. The messages contain no secrets and may be shown to the client (they are the admin API's
//! `MalformedPolicy` / STS `InvalidParameterValue` text).

/// Why a policy document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The raw document is larger than the limit in force.
    #[error("policy document is {size} bytes, the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// Arrays/objects nest deeper than any valid policy does.
    #[error("policy document nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    /// Not JSON (or not UTF-8, or a lone surrogate escape, or trailing data).
    #[error("policy document is not valid JSON: {0}")]
    Syntax(String),
    /// JSON, but not a valid policy.
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
}

impl PolicyError {
    pub(crate) fn invalid(location: impl Into<String>, message: impl Into<String>) -> Self {
        PolicyError::Invalid {
            location: location.into(),
            message: message.into(),
        }
    }
}
