//! Groups: members, status, removal (only when empty, as MinIO), info.

use std::collections::BTreeSet;

use super::{Iam, now};
use crate::codec::{Record, RecordKey};
use crate::error::IamError;
use crate::model::{Group, MappingKind, Status};
use crate::validate;

/// What `group?group=` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    pub name: String,
    pub status: Status,
    pub members: Vec<String>,
    pub policies: Vec<String>,
    pub updated_at: time::OffsetDateTime,
}

impl Iam {
    /// Adds members to a group, creating it (enabled) if needed. Every member must be an existing
    /// IAM user (not root, a service account or STS credentials).
    pub fn add_group_members(&self, group: &str, members: &[&str]) -> Result<(), IamError> {
        validate::group_name(group)?;
        self.write(|snap, tx| {
            for m in members {
                if snap.user(m).is_none() {
                    return Err(IamError::NoSuchUser);
                }
                tx.depend(RecordKey::User((*m).to_owned()));
            }
            let mut g = snap.group(group).cloned().unwrap_or_else(|| Group {
                name: group.to_owned(),
                status: Status::Enabled,
                members: BTreeSet::new(),
                updated_at: now(),
            });
            let before = g.members.len();
            g.members.extend(members.iter().map(|m| (*m).to_owned()));
            if g.members.len() == before && snap.group(group).is_some() {
                return Ok(());
            }
            g.updated_at = now();
            tx.put(RecordKey::Group(group.to_owned()), &Record::Group(g));
            Ok(())
        })
    }

    /// Removes members from a group (members not in it are ignored). The group stays, even when
    /// it becomes empty; [`Iam::remove_group`] removes it.
    pub fn remove_group_members(&self, group: &str, members: &[&str]) -> Result<(), IamError> {
        self.write(|snap, tx| {
            let mut g = snap.group(group).cloned().ok_or(IamError::NoSuchGroup)?;
            let before = g.members.len();
            for m in members {
                g.members.remove(*m);
            }
            if g.members.len() != before {
                g.updated_at = now();
                tx.put(RecordKey::Group(group.to_owned()), &Record::Group(g));
            }
            Ok(())
        })
    }

    /// Removes a group and its policy mapping. Refused while it has members (MinIO).
    pub fn remove_group(&self, group: &str) -> Result<(), IamError> {
        self.write(|snap, tx| {
            let g = snap.group(group).ok_or(IamError::NoSuchGroup)?;
            if !g.members.is_empty() {
                return Err(IamError::GroupNotEmpty);
            }
            tx.delete(RecordKey::Group(group.to_owned()));
            if snap.mapping(MappingKind::Group, group).is_some() {
                tx.delete(RecordKey::Mapping(MappingKind::Group, group.to_owned()));
            }
            Ok(())
        })
    }

    /// Enables or disables a group: a disabled group grants its members nothing.
    pub fn set_group_status(&self, group: &str, status: Status) -> Result<(), IamError> {
        self.write(|snap, tx| {
            let mut g = snap.group(group).cloned().ok_or(IamError::NoSuchGroup)?;
            g.status = status;
            g.updated_at = now();
            tx.put(RecordKey::Group(group.to_owned()), &Record::Group(g));
            Ok(())
        })
    }

    /// `group?group=`.
    pub fn group_info(&self, group: &str) -> Result<GroupInfo, IamError> {
        let snap = self.snapshot();
        let g = snap.group(group).ok_or(IamError::NoSuchGroup)?;
        Ok(GroupInfo {
            name: g.name.clone(),
            status: g.status,
            members: g.members.iter().cloned().collect(),
            policies: snap
                .mapping(MappingKind::Group, group)
                .map(|m| m.policies.iter().cloned().collect())
                .unwrap_or_default(),
            updated_at: g.updated_at,
        })
    }

    /// `groups`, sorted.
    pub fn list_groups(&self) -> Vec<String> {
        self.snapshot()
            .group_names()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }
}
