//! Authorisation: the IAM state this node decides with, and (in later steps) the S3 operation
//! table, the request's condition values and the decision itself.
//!
//! - [`open_iam`] opens `DIR/.strongbox/iam.redb` with the canned policies of the policy crate and
//!   the policy crate plugged in as the [`strongbox_iam::PolicyValidator`].
//! - Routes reach the IAM through the shared server state: `ServerState::iam()`.

mod open;

pub use self::open::{PolicyCrateValidator, iam_config, open_iam};
