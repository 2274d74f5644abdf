//! Groups: update-group-members, group, groups, set-group-status.

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

use super::time_format;

/// `enabled` / `disabled` (madmin `GroupStatus`).
pub use super::user::AccountStatus as GroupStatus;

/// Body of `PUT update-group-members` (plain JSON, not encrypted):
/// `{"group": "g", "members": ["u1"], "isRemove": false}`.
///
/// - `isRemove: false` adds the members, creating the group if needed.
/// - `isRemove: true` removes the members; with no members it removes the group itself, which
///   MinIO allows only when the group is empty (`XMinioAdminGroupNotEmpty` otherwise).
///
/// minio-py's `group_add(group, members)` / `group_remove(group, members)` put `members` into the
/// JSON as given; its type hint is `str`, so a single string arrives as `"members": "u1"`. Go
/// would reject that; we accept it as a one-member list so minio-py works as documented.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GroupAddRemove {
    pub group: String,
    #[serde(default, deserialize_with = "string_or_list")]
    pub members: Vec<String>,
    /// Sent by madmin (usually empty); set-group-status is the API that changes it.
    #[serde(rename = "groupStatus", default)]
    pub status: Option<String>,
    #[serde(rename = "isRemove", default)]
    pub is_remove: bool,
}

fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) if s.is_empty() => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

/// Response of `GET group?group=` (plain JSON). madmin `GroupDesc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDesc {
    pub name: String,
    /// `enabled` or `disabled` (a plain string in madmin).
    pub status: String,
    pub members: Vec<String>,
    /// Attached policy names joined with `,`.
    pub policy: String,
    #[serde(
        rename = "updatedAt",
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "time_format::serialize_opt",
        deserialize_with = "time::serde::rfc3339::option::deserialize"
    )]
    pub updated_at: Option<OffsetDateTime>,
}

/// Response of `GET groups` (plain JSON): the group names. MinIO writes `[]` (not `null`) for none.
pub type ListGroupsResp = Vec<String>;
