//! strongbox-policy: IAM policy grammar, validation and evaluation. Pure: no I/O, no async.
//!
//! ```
//! use strongbox_policy::{Action, ConditionValues, Decision, Policy, PolicySet, Request};
//! use std::sync::Arc;
//!
//! let doc = br#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
//!               "Resource":"arn:aws:s3:::${aws:username}/*"}]}"#;
//! let set = PolicySet::single("home", Arc::new(Policy::parse(doc).unwrap()));
//! let ctx = ConditionValues::new().with("aws:username", "bob");
//! let d = set.evaluate(&Request::new(Action::GetObject, "bob", Some("notes.txt"), &ctx));
//! assert!(matches!(d, Decision::Allow(_)));
//! let d = set.evaluate(&Request::new(Action::GetObject, "bob2", Some("notes.txt"), &ctx));
//! assert_eq!(d, Decision::ImplicitDeny);
//! ```
//!
//! A set can be bound to values that are the same in every request it will decide (a
//! principal's `aws:username`, ...): [`PolicySet::bind`] substitutes them once (see [`Binding`]).
//!
//! Decisions we made where AWS and MinIO differ or are silent are documented on the modules:
//! [`values`] (key case and namespaces), `glob` (variables), `condition` (missing keys), `parse`
//! (field-name case, duplicates).

mod action;
mod bind;
mod canned;
mod claim;
mod condition;
mod document;
mod error;
mod eval;
mod glob;
mod index;
mod json;
mod key;
mod parse;
mod reads;
mod resource;
pub mod values;

pub use action::{Action, ActionSet, Service};
pub use bind::Binding;
pub use canned::{CANNED_POLICY_NAMES, canned_policy, canned_policy_json};
pub use claim::parse_policy_names;
pub use condition::Literal;
pub use document::{
    Effect, MAX_POLICY_BYTES, MAX_STATEMENTS, MAX_STRING_BYTES, MAX_VALUES, POLICY_VERSION, Policy,
    PolicyKind, Statement,
};
pub use error::PolicyError;
pub use eval::{Decision, Parent, PolicySet, Principal, Request, StatementRef, evaluate_session};
pub use json::MAX_DEPTH;
pub use key::Key;
pub use parse::ParseOptions;
pub use reads::KeySet;
pub use values::ConditionValues;

/// Session policies (STS `Policy` parameter) may not exceed this many bytes once re-serialised.
pub const MAX_SESSION_POLICY_BYTES: usize = 2048;
/// Service-account embedded policies may not exceed this many bytes once re-serialised.
pub const MAX_SERVICE_ACCOUNT_POLICY_BYTES: usize = 4096;
