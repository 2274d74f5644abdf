//! Authorisation of S3 requests (spec §12): the IAM this node decides with, the table of S3
//! operations, the request's condition values and the decision.
//!
//! - [`open_iam`] opens `DIR/.strongbox/iam.redb` with the canned policies of the policy crate and
//!   the policy crate plugged in as the [`strongbox_iam::PolicyValidator`]. Routes reach the IAM
//!   through the shared server state: `ServerState::iam()`.
//! - [`table`]: every S3 operation → IAM action(s), resource, condition keys.
//! - [`context`]: the condition values of one request (connection, identity, signature, op keys).
//! - [`Authorizer`]: whose policies apply (cached compiled sets) and the verdict.
//! - [`external`]: an OPA-style external authoriser that, when configured, decides instead.
//! - [`bucket_policy`]: bucket policies, stored in the IAM store, answering anonymous requests.
//! - [`list_filter`]: which buckets a caller sees (`ListBuckets`, admin `accountinfo`).
//!
//! The s3s hook that runs all this is [`crate::access::Access`].

#[cfg(test)]
mod bound_tests;
pub mod bucket_policy;
mod cache;
pub mod context;
mod decide;
pub mod external;
pub mod list_filter;
mod open;
pub mod table;

pub use self::decide::{Authorizer, Subject, SubjectRef, Verdict};
pub use self::open::{PolicyCrateValidator, iam_config, open_iam};
