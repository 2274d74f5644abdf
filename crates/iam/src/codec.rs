//! Key layout and record encoding, shared by every store.
//!
//! Keys follow MinIO's relative layout (spec §14.1) without the `config/iam/` prefix and file
//! suffixes: `users/<ak>`, `service-accounts/<ak>`, `groups/<name>`, `policies/<name>`,
//! `policydb/users/<user>`, `policydb/groups/<group>`, `policydb/sts-users/<parent>`,
//! `blobs/<name>`, and `format`. Values are versioned JSON.
//!
//! The encoding is canonical (fixed field order, sorted sets, whole seconds): decoding a stored
//! value and encoding it again yields the same bytes. The IAM layer relies on that to build store
//! guards from its snapshot.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::model::{
    Blob, Group, MappingKind, PolicyDoc, PolicyMapping, ServiceAccount, ServiceAccountPolicy,
    Status, User,
};
use crate::secret::SecretKey;
use crate::store::StoreError;

pub(crate) const FORMAT_KEY: &str = "format";
pub(crate) const FORMAT_VALUE: &[u8] = br#"{"version":1}"#;

const USERS: &str = "users/";
const SERVICE_ACCOUNTS: &str = "service-accounts/";
const GROUPS: &str = "groups/";
const POLICIES: &str = "policies/";
const MAP_USERS: &str = "policydb/users/";
const MAP_GROUPS: &str = "policydb/groups/";
const MAP_STS: &str = "policydb/sts-users/";
const BLOBS: &str = "blobs/";

/// What a key names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RecordKey {
    Format,
    User(String),
    ServiceAccount(String),
    Group(String),
    Policy(String),
    Mapping(MappingKind, String),
    Blob(String),
}

impl RecordKey {
    pub(crate) fn encode(&self) -> String {
        match self {
            RecordKey::Format => FORMAT_KEY.to_owned(),
            RecordKey::User(n) => format!("{USERS}{n}"),
            RecordKey::ServiceAccount(n) => format!("{SERVICE_ACCOUNTS}{n}"),
            RecordKey::Group(n) => format!("{GROUPS}{n}"),
            RecordKey::Policy(n) => format!("{POLICIES}{n}"),
            RecordKey::Mapping(MappingKind::User, n) => format!("{MAP_USERS}{n}"),
            RecordKey::Mapping(MappingKind::Group, n) => format!("{MAP_GROUPS}{n}"),
            RecordKey::Mapping(MappingKind::StsParent, n) => format!("{MAP_STS}{n}"),
            RecordKey::Blob(n) => format!("{BLOBS}{n}"),
        }
    }

    /// `None` for keys this version does not know (left alone, for forward compatibility).
    pub(crate) fn parse(key: &str) -> Option<RecordKey> {
        if key == FORMAT_KEY {
            return Some(RecordKey::Format);
        }
        type MakeKey = fn(String) -> RecordKey;
        let table: [(&str, MakeKey); 8] = [
            (USERS, RecordKey::User),
            (SERVICE_ACCOUNTS, RecordKey::ServiceAccount),
            (GROUPS, RecordKey::Group),
            (POLICIES, RecordKey::Policy),
            (MAP_USERS, |n| RecordKey::Mapping(MappingKind::User, n)),
            (MAP_GROUPS, |n| RecordKey::Mapping(MappingKind::Group, n)),
            (MAP_STS, |n| RecordKey::Mapping(MappingKind::StsParent, n)),
            (BLOBS, RecordKey::Blob),
        ];
        table.iter().find_map(|(prefix, make)| {
            key.strip_prefix(prefix)
                .filter(|rest| !rest.is_empty())
                .map(|rest| make(rest.to_owned()))
        })
    }
}

/// A decoded record.
#[derive(Debug, Clone)]
pub(crate) enum Record {
    Format,
    User(User),
    ServiceAccount(ServiceAccount),
    Group(Group),
    Policy(PolicyDoc),
    Mapping(PolicyMapping),
    Blob(Blob),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserRec {
    version: u32,
    secret_key: Zeroizing<String>,
    status: String,
    updated_at: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupRec {
    version: u32,
    status: String,
    members: BTreeSet<String>,
    updated_at: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyRec {
    version: u32,
    policy: String,
    created_at: i64,
    updated_at: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingRec {
    version: u32,
    policies: BTreeSet<String>,
    updated_at: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceAccountRec {
    version: u32,
    secret_key: Zeroizing<String>,
    parent: String,
    groups: Vec<String>,
    status: String,
    /// `None` = inherited policy.
    policy: Option<String>,
    name: String,
    description: String,
    expiration: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlobRec {
    version: u32,
    blob_version: u64,
    data: String,
    updated_at: i64,
}

fn ts(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    // Serialising these plain structs (strings, integers, sets) cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

pub(crate) fn encode_user(u: &User) -> Vec<u8> {
    to_json(&UserRec {
        version: 1,
        secret_key: Zeroizing::new(u.secret_key.expose().to_owned()),
        status: u.status.as_str().into(),
        updated_at: ts(u.updated_at),
    })
}

pub(crate) fn encode_group(g: &Group) -> Vec<u8> {
    to_json(&GroupRec {
        version: 1,
        status: g.status.as_str().into(),
        members: g.members.clone(),
        updated_at: ts(g.updated_at),
    })
}

pub(crate) fn encode_policy(p: &PolicyDoc) -> Vec<u8> {
    to_json(&PolicyRec {
        version: 1,
        policy: p.document.clone(),
        created_at: ts(p.created_at),
        updated_at: ts(p.updated_at),
    })
}

pub(crate) fn encode_mapping(m: &PolicyMapping) -> Vec<u8> {
    to_json(&MappingRec {
        version: 1,
        policies: m.policies.clone(),
        updated_at: ts(m.updated_at),
    })
}

pub(crate) fn encode_service_account(sa: &ServiceAccount) -> Vec<u8> {
    to_json(&ServiceAccountRec {
        version: 1,
        secret_key: Zeroizing::new(sa.secret_key.expose().to_owned()),
        parent: sa.parent.clone(),
        groups: sa.groups.clone(),
        status: sa.status.as_str().into(),
        policy: match &sa.policy {
            ServiceAccountPolicy::Inherited => None,
            ServiceAccountPolicy::Embedded(doc) => Some(doc.clone()),
        },
        name: sa.name.clone(),
        description: sa.description.clone(),
        expiration: sa.expiration.map(ts),
        created_at: ts(sa.created_at),
        updated_at: ts(sa.updated_at),
    })
}

pub(crate) fn encode_blob(b: &Blob) -> Vec<u8> {
    to_json(&BlobRec {
        version: 1,
        blob_version: b.version,
        data: base64::engine::general_purpose::STANDARD.encode(&b.data),
        updated_at: ts(b.updated_at),
    })
}

fn corrupt(key: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        key: key.to_owned(),
        reason: reason.to_string(),
    }
}

fn from_json<'a, T: Deserialize<'a>>(key: &str, bytes: &'a [u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(key, e))
}

fn time_of(key: &str, secs: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(secs).map_err(|e| corrupt(key, e))
}

fn status_of(key: &str, s: &str) -> Result<Status, StoreError> {
    Status::parse(s).ok_or_else(|| corrupt(key, format!("bad status {s:?}")))
}

fn check_version(key: &str, v: u32) -> Result<(), StoreError> {
    if v != 1 {
        return Err(corrupt(key, format!("unsupported record version {v}")));
    }
    Ok(())
}

/// Decodes the value stored under `key`. `Ok(None)` for keys this version does not know.
pub(crate) fn decode(key: &str, bytes: &[u8]) -> Result<Option<(RecordKey, Record)>, StoreError> {
    let Some(rk) = RecordKey::parse(key) else {
        return Ok(None);
    };
    let rec = match &rk {
        RecordKey::Format => {
            #[derive(Deserialize)]
            struct Fmt {
                version: u32,
            }
            let f: Fmt = from_json(key, bytes)?;
            check_version(key, f.version)?;
            Record::Format
        }
        RecordKey::User(ak) => {
            let r: UserRec = from_json(key, bytes)?;
            check_version(key, r.version)?;
            Record::User(User {
                access_key: ak.clone(),
                secret_key: SecretKey::new(r.secret_key.as_str()),
                status: status_of(key, &r.status)?,
                updated_at: time_of(key, r.updated_at)?,
            })
        }
        RecordKey::Group(name) => {
            let r: GroupRec = from_json(key, bytes)?;
            check_version(key, r.version)?;
            Record::Group(Group {
                name: name.clone(),
                status: status_of(key, &r.status)?,
                members: r.members,
                updated_at: time_of(key, r.updated_at)?,
            })
        }
        RecordKey::Policy(name) => {
            let r: PolicyRec = from_json(key, bytes)?;
            check_version(key, r.version)?;
            Record::Policy(PolicyDoc {
                name: name.clone(),
                document: r.policy,
                created_at: time_of(key, r.created_at)?,
                updated_at: time_of(key, r.updated_at)?,
            })
        }
        RecordKey::Mapping(kind, entity) => {
            let r: MappingRec = from_json(key, bytes)?;
            check_version(key, r.version)?;
            Record::Mapping(PolicyMapping {
                kind: *kind,
                entity: entity.clone(),
                policies: r.policies,
                updated_at: time_of(key, r.updated_at)?,
            })
        }
        RecordKey::ServiceAccount(ak) => {
            let r: ServiceAccountRec = from_json(key, bytes)?;
            check_version(key, r.version)?;
            Record::ServiceAccount(ServiceAccount {
                access_key: ak.clone(),
                secret_key: SecretKey::new(r.secret_key.as_str()),
                parent: r.parent,
                groups: r.groups,
                status: status_of(key, &r.status)?,
                policy: match r.policy {
                    None => ServiceAccountPolicy::Inherited,
                    Some(doc) => ServiceAccountPolicy::Embedded(doc),
                },
                name: r.name,
                description: r.description,
                expiration: r.expiration.map(|e| time_of(key, e)).transpose()?,
                created_at: time_of(key, r.created_at)?,
                updated_at: time_of(key, r.updated_at)?,
            })
        }
        RecordKey::Blob(name) => {
            let r: BlobRec = from_json(key, bytes)?;
            check_version(key, r.version)?;
            Record::Blob(Blob {
                name: name.clone(),
                version: r.blob_version,
                data: base64::engine::general_purpose::STANDARD
                    .decode(r.data.as_bytes())
                    .map_err(|e| corrupt(key, e))?,
                updated_at: time_of(key, r.updated_at)?,
            })
        }
    };
    Ok(Some((rk, rec)))
}

/// Encodes a record (the inverse of [`decode`]).
pub(crate) fn encode(rec: &Record) -> Vec<u8> {
    match rec {
        Record::Format => FORMAT_VALUE.to_vec(),
        Record::User(u) => encode_user(u),
        Record::ServiceAccount(sa) => encode_service_account(sa),
        Record::Group(g) => encode_group(g),
        Record::Policy(p) => encode_policy(p),
        Record::Mapping(m) => encode_mapping(m),
        Record::Blob(b) => encode_blob(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(s).unwrap()
    }

    fn round_trip(key: RecordKey, rec: Record) {
        let k = key.encode();
        let bytes = encode(&rec);
        let (k2, back) = decode(&k, &bytes).unwrap().unwrap();
        assert_eq!(k2, key);
        assert_eq!(encode(&back), bytes, "canonical re-encoding of {k}");
    }

    #[test]
    fn every_record_round_trips_canonically() {
        round_trip(RecordKey::Format, Record::Format);
        round_trip(
            RecordKey::User("alice".into()),
            Record::User(User {
                access_key: "alice".into(),
                secret_key: SecretKey::new("alicesecret"),
                status: Status::Disabled,
                updated_at: t(1_700_000_000),
            }),
        );
        round_trip(
            RecordKey::Group("dev/ops".into()),
            Record::Group(Group {
                name: "dev/ops".into(),
                status: Status::Enabled,
                members: ["b".to_string(), "a".to_string()].into(),
                updated_at: t(1),
            }),
        );
        round_trip(
            RecordKey::Mapping(MappingKind::StsParent, "cn=x,dc=y".into()),
            Record::Mapping(PolicyMapping {
                kind: MappingKind::StsParent,
                entity: "cn=x,dc=y".into(),
                policies: ["readonly".to_string()].into(),
                updated_at: t(2),
            }),
        );
        round_trip(
            RecordKey::ServiceAccount("svc1".into()),
            Record::ServiceAccount(ServiceAccount {
                access_key: "svc1".into(),
                secret_key: SecretKey::new("svcsecret1"),
                parent: "alice".into(),
                groups: vec!["g".into()],
                status: Status::Enabled,
                policy: ServiceAccountPolicy::Embedded("{\"Version\":\"2012-10-17\"}".into()),
                name: "bot".into(),
                description: "ci".into(),
                expiration: Some(t(4_000_000_000)),
                created_at: t(3),
                updated_at: t(4),
            }),
        );
        round_trip(
            RecordKey::Blob("sts-key-ring".into()),
            Record::Blob(Blob {
                name: "sts-key-ring".into(),
                version: 7,
                data: vec![0, 1, 2, 255],
                updated_at: t(5),
            }),
        );
    }

    #[test]
    fn stored_secrets_are_where_the_codec_puts_them_only() {
        let u = User {
            access_key: "alice".into(),
            secret_key: SecretKey::new("alicesecret"),
            status: Status::Enabled,
            updated_at: t(0),
        };
        let text = String::from_utf8(encode_user(&u)).unwrap();
        assert!(text.contains("\"secret_key\":\"alicesecret\""), "{text}");
        assert!(!format!("{u:?}").contains("alicesecret"));
    }

    #[test]
    fn unknown_keys_are_skipped_and_bad_records_are_corrupt() {
        assert!(decode("future/thing", b"whatever").unwrap().is_none());
        assert!(decode("users/", b"{}").unwrap().is_none());
        let e = decode("users/bob", b"{\"version\":1}").unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { ref key, .. } if key == "users/bob"));
        let e = decode(
            "users/bob",
            br#"{"version":2,"secret_key":"x","status":"enabled","updated_at":0}"#,
        )
        .unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }));
        let e = decode(
            "users/bob",
            br#"{"version":1,"secret_key":"x","status":"weird","updated_at":0}"#,
        )
        .unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }));
    }

    #[test]
    fn prefixes_do_not_shadow_each_other() {
        assert_eq!(
            RecordKey::parse("policydb/users/bob"),
            Some(RecordKey::Mapping(MappingKind::User, "bob".into()))
        );
        assert_eq!(
            RecordKey::parse("users/policydb/x"),
            Some(RecordKey::User("policydb/x".into()))
        );
        assert_eq!(
            RecordKey::parse("policies/p"),
            Some(RecordKey::Policy("p".into()))
        );
    }
}
