//! The identity model: the records the store keeps (root is not one of them: it comes from config).

use std::collections::BTreeSet;

use time::OffsetDateTime;

use crate::secret::SecretKey;

/// Enabled/disabled, as MinIO's `enabled`/`disabled` (users, groups, service accounts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Enabled,
    Disabled,
}

impl Status {
    /// MinIO's wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Enabled => "enabled",
            Status::Disabled => "disabled",
        }
    }

    /// Parses `enabled` / `disabled` (MinIO's `set-user-status?status=` values); also accepts
    /// MinIO's service-account spellings `on` / `off`.
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "enabled" | "on" => Some(Status::Enabled),
            "disabled" | "off" => Some(Status::Disabled),
            _ => None,
        }
    }

    pub fn is_enabled(self) -> bool {
        self == Status::Enabled
    }
}

/// The root credential, from configuration. Never stored.
#[derive(Debug, Clone)]
pub struct RootCredentials {
    pub access_key: String,
    pub secret_key: SecretKey,
}

/// An IAM user of the builtin identity provider. Its access key is its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub access_key: String,
    pub secret_key: SecretKey,
    pub status: Status,
    pub updated_at: OffsetDateTime,
}

/// A group of IAM users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub status: Status,
    /// Access keys of member users (sorted, unique).
    pub members: BTreeSet<String>,
    pub updated_at: OffsetDateTime,
}

/// A named policy: the JSON document as given (validated by the policy crate before storing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDoc {
    pub name: String,
    pub document: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Which policy-mapping table a mapping lives in (MinIO `policydb/users`, `policydb/groups`,
/// `policydb/sts-users`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MappingKind {
    /// A builtin IAM user.
    User,
    /// A builtin group.
    Group,
    /// A parent identity of STS credentials that is not an IAM user (OIDC claim mode, certificate
    /// CN, LDAP DN): spec §14.1 `policydb/sts-users/<parent>`.
    StsParent,
}

/// Policy names mapped to one user, group or STS parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyMapping {
    pub kind: MappingKind,
    pub entity: String,
    /// Policy names (sorted, unique, never empty: an empty mapping is deleted).
    pub policies: BTreeSet<String>,
    pub updated_at: OffsetDateTime,
}

/// Where a service account's permissions come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceAccountPolicy {
    /// The parent's policies, resolved live.
    Inherited,
    /// The parent's policies intersected with this document (≤ 4096 bytes).
    Embedded(String),
}

impl ServiceAccountPolicy {
    pub fn is_inherited(&self) -> bool {
        matches!(self, ServiceAccountPolicy::Inherited)
    }
}

/// A service account (MinIO "access key"): its own secret, a parent whose rights it derives from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub access_key: String,
    pub secret_key: SecretKey,
    /// The parent user's access key (or the root access key).
    pub parent: String,
    /// Groups copied from the creating credential (LDAP/OIDC parents); empty for builtin users.
    pub groups: Vec<String>,
    pub status: Status,
    pub policy: ServiceAccountPolicy,
    pub name: String,
    pub description: String,
    pub expiration: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A small opaque record every node sharing the store shares (the STS key ring, the revocation
/// list). `version` starts at 1 and increases by one with every write (compare-and-swap).
#[derive(Clone, PartialEq, Eq)]
pub struct Blob {
    pub name: String,
    pub version: u64,
    pub data: Vec<u8>,
    pub updated_at: OffsetDateTime,
}

impl std::fmt::Debug for Blob {
    // The key ring is secret material: never print the bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("len", &self.data.len())
            .finish()
    }
}

/// Well-known blob names.
pub mod blob_names {
    /// The STS signing key ring.
    pub const STS_KEY_RING: &str = "sts-key-ring";
    /// The STS revocation list.
    pub const STS_REVOCATIONS: &str = "sts-revocations";
}
