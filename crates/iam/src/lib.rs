//! strongbox-iam: identities (root, users, groups, service accounts), named policies and policy
//! mappings, the [`IamStore`] seam with its embedded redb implementation, and the immutable
//! [`IamSnapshot`] the request path reads.
//!
//! - [`Iam`] is the façade: open it, call admin operations (each validated and committed as one
//!   store transaction), read [`Iam::snapshot`] on every request.
//! - Policy documents are opaque JSON here; validation is plugged in through
//!   [`PolicyValidator`] (the policy crate provides it).
//! - [`authz`] tells the server which admin checks need an explicit allow.

pub mod authz;
mod codec;
pub mod error;
mod iam;
pub mod model;
pub mod secret;
pub mod snapshot;
mod state;
pub mod store;
pub mod validate;

#[cfg(any(test, feature = "testsuite"))]
pub mod testsuite;
#[cfg(any(test, feature = "testsuite"))]
mod testsuite_iam;

pub use error::IamError;
pub use iam::{
    AccountInfo, GroupInfo, Iam, IamConfig, LdapPolicyChange, LdapPolicyEntities, LdapTarget,
    MAX_ATTEMPTS, MAX_EXPIRY, MIN_EXPIRY, NewServiceAccount, PolicyEntities, PolicyTarget,
    PolicyValidator, ServiceAccountUpdate, UserInfo, generate_access_key, generate_secret_key,
};
pub use model::{
    Blob, Group, MappingKind, PolicyDoc, PolicyMapping, RootCredentials, ServiceAccount,
    ServiceAccountPolicy, Status, User, blob_names,
};
pub use secret::SecretKey;
pub use snapshot::{BasePermissions, IamSnapshot, Permissions, Principal, Refusal, Resolved};
pub use store::memory::MemoryStore;
pub use store::redb::RedbStore;
pub use store::{Change, Guard, IamStore, Op, StoreError};

// The façade and its snapshots are shared across the server's tasks and threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Iam>();
    shared::<IamSnapshot>();
    shared::<RedbStore>();
};
