//! The decoded IAM state: typed maps plus the user → groups index, built from a full load and
//! kept current by applying each committed change's ops.

use std::collections::{BTreeSet, HashMap};

use crate::codec::{self, Record, RecordKey};
use crate::model::{Blob, Group, MappingKind, PolicyDoc, PolicyMapping, ServiceAccount, User};
use crate::store::{Op, StoreError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IamState {
    pub(crate) users: HashMap<String, User>,
    pub(crate) service_accounts: HashMap<String, ServiceAccount>,
    pub(crate) groups: HashMap<String, Group>,
    pub(crate) policies: HashMap<String, PolicyDoc>,
    pub(crate) user_mappings: HashMap<String, PolicyMapping>,
    pub(crate) group_mappings: HashMap<String, PolicyMapping>,
    pub(crate) sts_mappings: HashMap<String, PolicyMapping>,
    pub(crate) blobs: HashMap<String, Blob>,
    /// user access key → names of the groups listing it as a member.
    pub(crate) memberships: HashMap<String, BTreeSet<String>>,
    pub(crate) has_format: bool,
}

impl IamState {
    /// Builds the state from a full store load.
    pub(crate) fn from_records(records: Vec<(String, Vec<u8>)>) -> Result<Self, StoreError> {
        let mut state = IamState::default();
        for (key, value) in records {
            state.put(&key, &value)?;
        }
        Ok(state)
    }

    /// Applies committed ops (in order).
    pub(crate) fn apply(&mut self, ops: &[Op]) -> Result<(), StoreError> {
        for op in ops {
            match op {
                Op::Put { key, value } => self.put(key, value)?,
                Op::Delete { key } => {
                    if let Some(rk) = RecordKey::parse(key) {
                        self.remove(&rk);
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn mappings(&self, kind: MappingKind) -> &HashMap<String, PolicyMapping> {
        match kind {
            MappingKind::User => &self.user_mappings,
            MappingKind::Group => &self.group_mappings,
            MappingKind::StsParent => &self.sts_mappings,
        }
    }

    fn mappings_mut(&mut self, kind: MappingKind) -> &mut HashMap<String, PolicyMapping> {
        match kind {
            MappingKind::User => &mut self.user_mappings,
            MappingKind::Group => &mut self.group_mappings,
            MappingKind::StsParent => &mut self.sts_mappings,
        }
    }

    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let Some((rk, rec)) = codec::decode(key, value)? else {
            return Ok(());
        };
        // Replace semantics: drop the old record (and its index entries) first.
        self.remove(&rk);
        match rec {
            Record::Format => self.has_format = true,
            Record::User(u) => {
                self.users.insert(u.access_key.clone(), u);
            }
            Record::ServiceAccount(sa) => {
                self.service_accounts.insert(sa.access_key.clone(), sa);
            }
            Record::Group(g) => {
                for m in &g.members {
                    self.memberships
                        .entry(m.clone())
                        .or_default()
                        .insert(g.name.clone());
                }
                self.groups.insert(g.name.clone(), g);
            }
            Record::Policy(p) => {
                self.policies.insert(p.name.clone(), p);
            }
            Record::Mapping(m) => {
                self.mappings_mut(m.kind).insert(m.entity.clone(), m);
            }
            Record::Blob(b) => {
                self.blobs.insert(b.name.clone(), b);
            }
        }
        Ok(())
    }

    fn remove(&mut self, rk: &RecordKey) {
        match rk {
            RecordKey::Format => self.has_format = false,
            RecordKey::User(ak) => {
                self.users.remove(ak);
            }
            RecordKey::ServiceAccount(ak) => {
                self.service_accounts.remove(ak);
            }
            RecordKey::Group(name) => {
                if let Some(g) = self.groups.remove(name) {
                    for m in &g.members {
                        if let Some(set) = self.memberships.get_mut(m) {
                            set.remove(name);
                            if set.is_empty() {
                                self.memberships.remove(m);
                            }
                        }
                    }
                }
            }
            RecordKey::Policy(name) => {
                self.policies.remove(name);
            }
            RecordKey::Mapping(kind, entity) => {
                self.mappings_mut(*kind).remove(entity);
            }
            RecordKey::Blob(name) => {
                self.blobs.remove(name);
            }
        }
    }

    /// The canonical encoding of the record currently under `rk` (for store guards).
    pub(crate) fn encoded(&self, rk: &RecordKey) -> Option<Vec<u8>> {
        match rk {
            RecordKey::Format => self.has_format.then(|| codec::FORMAT_VALUE.to_vec()),
            RecordKey::User(ak) => self.users.get(ak).map(codec::encode_user),
            RecordKey::ServiceAccount(ak) => self
                .service_accounts
                .get(ak)
                .map(codec::encode_service_account),
            RecordKey::Group(n) => self.groups.get(n).map(codec::encode_group),
            RecordKey::Policy(n) => self.policies.get(n).map(codec::encode_policy),
            RecordKey::Mapping(kind, e) => self.mappings(*kind).get(e).map(codec::encode_mapping),
            RecordKey::Blob(n) => self.blobs.get(n).map(codec::encode_blob),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use time::OffsetDateTime;

    fn group(name: &str, members: &[&str]) -> Op {
        let g = Group {
            name: name.into(),
            status: Status::Enabled,
            members: members.iter().map(|m| m.to_string()).collect(),
            updated_at: OffsetDateTime::UNIX_EPOCH,
        };
        Op::Put {
            key: RecordKey::Group(name.into()).encode(),
            value: codec::encode_group(&g),
        }
    }

    #[test]
    fn membership_index_follows_group_changes() {
        let mut s = IamState::default();
        s.apply(&[group("g1", &["a", "b"]), group("g2", &["b"])])
            .unwrap();
        assert_eq!(
            s.memberships["b"],
            ["g1".to_string(), "g2".to_string()].into()
        );
        s.apply(&[group("g1", &["c"])]).unwrap();
        assert!(!s.memberships.contains_key("a"));
        assert_eq!(s.memberships["b"], ["g2".to_string()].into());
        assert_eq!(s.memberships["c"], ["g1".to_string()].into());
        s.apply(&[Op::Delete {
            key: RecordKey::Group("g2".into()).encode(),
        }])
        .unwrap();
        assert!(!s.memberships.contains_key("b"));
        assert!(s.encoded(&RecordKey::Group("g2".into())).is_none());
        assert!(s.encoded(&RecordKey::Group("g1".into())).is_some());
    }
}
