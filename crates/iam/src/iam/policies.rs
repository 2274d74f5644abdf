//! Named policies and policy mappings (users, groups, STS parents).

use std::collections::BTreeSet;

use super::{Iam, Tx, now};
use crate::codec::{Record, RecordKey};
use crate::error::IamError;
use crate::model::{MappingKind, PolicyDoc, PolicyMapping};
use crate::snapshot::IamSnapshot;
use crate::validate;

/// Who a builtin attach/detach targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyTarget {
    User(String),
    Group(String),
}

/// `idp/builtin/policy-entities`: for each policy, the users and groups it is mapped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEntities {
    pub policy: String,
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

pub(super) fn check_policy_names(
    snap: &IamSnapshot,
    tx: &mut Tx,
    names: &[&str],
) -> Result<(), IamError> {
    if names.is_empty() {
        return Err(IamError::InvalidArgument {
            what: "policy names",
            reason: "at least one policy name is required",
        });
    }
    for n in names {
        validate::policy_name(n)?;
        if snap.policy(n).is_none() {
            return Err(IamError::NoSuchPolicy);
        }
        // The stored record (or its absence, for a canned one) must still be as seen.
        tx.depend(RecordKey::Policy((*n).to_owned()));
    }
    Ok(())
}

/// Resolves and checks a builtin target; returns its mapping table key.
fn target_key(
    snap: &IamSnapshot,
    tx: &mut Tx,
    target: &PolicyTarget,
) -> Result<(MappingKind, String), IamError> {
    match target {
        PolicyTarget::User(u) => {
            if snap.service_account(u).is_some() || u == snap.root_access_key() {
                // Service accounts inherit or embed; root needs no policy; STS keys are not
                // users (spec §17 item 13).
                return Err(IamError::PolicyTargetNotAllowed);
            }
            if snap.user(u).is_none() {
                return Err(IamError::NoSuchUser);
            }
            tx.depend(RecordKey::User(u.clone()));
            Ok((MappingKind::User, u.clone()))
        }
        PolicyTarget::Group(g) => {
            if snap.group(g).is_none() {
                return Err(IamError::NoSuchGroup);
            }
            tx.depend(RecordKey::Group(g.clone()));
            Ok((MappingKind::Group, g.clone()))
        }
    }
}

pub(super) fn write_mapping(
    tx: &mut Tx,
    kind: MappingKind,
    entity: String,
    policies: BTreeSet<String>,
) {
    let key = RecordKey::Mapping(kind, entity.clone());
    if policies.is_empty() {
        tx.delete(key);
    } else {
        let m = PolicyMapping {
            kind,
            entity,
            policies,
            updated_at: now(),
        };
        tx.put(key, &Record::Mapping(m));
    }
}

pub(super) fn current(snap: &IamSnapshot, kind: MappingKind, entity: &str) -> BTreeSet<String> {
    snap.mapping(kind, entity)
        .map(|m| m.policies.clone())
        .unwrap_or_default()
}

impl Iam {
    /// Creates or replaces a named policy after validating it (`add-canned-policy`).
    pub fn put_policy(&self, name: &str, document: &str) -> Result<(), IamError> {
        validate::policy_name(name)?;
        if document.len() > validate::POLICY_DOCUMENT_MAX {
            return Err(IamError::PolicyTooLarge);
        }
        self.validator()
            .validate(document)
            .map_err(IamError::MalformedPolicy)?;
        self.write(|snap, tx| {
            let t = now();
            let created_at = snap.state.policies.get(name).map_or(t, |p| p.created_at);
            let doc = PolicyDoc {
                name: name.to_owned(),
                document: document.to_owned(),
                created_at,
                updated_at: t,
            };
            tx.put(RecordKey::Policy(name.to_owned()), &Record::Policy(doc));
            Ok(())
        })
    }

    /// Deletes a named policy. A canned policy can be deleted only when a stored one overrides it
    /// (the canned one is visible again afterwards). A policy still mapped anywhere is refused,
    /// unless a canned policy of that name stays behind.
    pub fn delete_policy(&self, name: &str) -> Result<(), IamError> {
        self.write(|snap, tx| {
            let stored = snap.state.policies.contains_key(name);
            let canned = snap.is_canned(name);
            if !stored {
                return Err(if canned {
                    IamError::CannedPolicy
                } else {
                    IamError::NoSuchPolicy
                });
            }
            // No guard on every mapping (etcd limits ops per txn): a concurrent attach on another
            // node can leave a mapping naming a deleted policy, which grants nothing.
            if !canned {
                for kind in [
                    MappingKind::User,
                    MappingKind::Group,
                    MappingKind::StsParent,
                ] {
                    for m in snap.mappings(kind) {
                        if m.policies.contains(name) {
                            return Err(IamError::PolicyInUse);
                        }
                    }
                }
            }
            tx.delete(RecordKey::Policy(name.to_owned()));
            Ok(())
        })
    }

    /// `info-canned-policy`.
    pub fn policy_info(&self, name: &str) -> Result<PolicyDoc, IamError> {
        self.snapshot()
            .policy(name)
            .cloned()
            .ok_or(IamError::NoSuchPolicy)
    }

    /// `list-canned-policies`, sorted by name (stored ones override canned ones).
    pub fn list_policies(&self) -> Vec<PolicyDoc> {
        self.snapshot().policies().into_iter().cloned().collect()
    }

    /// Attaches existing policies to a user or group; returns the policies attached now. Fails
    /// with `PolicyChangeAlreadyApplied` if all were attached already.
    pub fn attach_policies(
        &self,
        target: &PolicyTarget,
        names: &[&str],
    ) -> Result<Vec<String>, IamError> {
        self.write(|snap, tx| {
            check_policy_names(snap, tx, names)?;
            let (kind, entity) = target_key(snap, tx, target)?;
            let mut set = current(snap, kind, &entity);
            let before = set.len();
            set.extend(names.iter().map(|n| (*n).to_owned()));
            if set.len() == before {
                return Err(IamError::PolicyChangeAlreadyApplied);
            }
            let out = set.iter().cloned().collect();
            write_mapping(tx, kind, entity, set);
            Ok(out)
        })
    }

    /// Detaches policies from a user or group; returns the policies still attached. Fails with
    /// `PolicyChangeAlreadyApplied` if none of them was attached.
    pub fn detach_policies(
        &self,
        target: &PolicyTarget,
        names: &[&str],
    ) -> Result<Vec<String>, IamError> {
        self.write(|snap, tx| {
            if names.is_empty() {
                return Err(IamError::InvalidArgument {
                    what: "policy names",
                    reason: "at least one policy name is required",
                });
            }
            let (kind, entity) = target_key(snap, tx, target)?;
            let mut set = current(snap, kind, &entity);
            let before = set.len();
            for n in names {
                set.remove(*n);
            }
            if set.len() == before {
                return Err(IamError::PolicyChangeAlreadyApplied);
            }
            let out = set.iter().cloned().collect();
            write_mapping(tx, kind, entity, set);
            Ok(out)
        })
    }

    /// Replaces a user's or group's mapping (legacy `set-user-or-group-policy`); an empty list
    /// removes the mapping.
    pub fn set_policies(&self, target: &PolicyTarget, names: &[&str]) -> Result<(), IamError> {
        self.write(|snap, tx| {
            if !names.is_empty() {
                check_policy_names(snap, tx, names)?;
            }
            let (kind, entity) = target_key(snap, tx, target)?;
            write_mapping(
                tx,
                kind,
                entity,
                names.iter().map(|n| (*n).to_owned()).collect(),
            );
            Ok(())
        })
    }

    /// Sets the `policydb/sts-users` mapping of an STS parent that is not an IAM user (OIDC claim
    /// mode, certificate CN, LDAP DN). At least one of the names must exist (spec §14.2); an
    /// empty list removes the mapping.
    pub fn set_sts_parent_policies(&self, parent: &str, names: &[&str]) -> Result<(), IamError> {
        validate::sts_parent(parent)?;
        self.write(|snap, tx| {
            if parent == snap.root_access_key()
                || snap.user(parent).is_some()
                || snap.service_account(parent).is_some()
            {
                return Err(IamError::PolicyTargetNotAllowed);
            }
            tx.depend(RecordKey::User(parent.to_owned()));
            tx.depend(RecordKey::ServiceAccount(parent.to_owned()));
            for n in names {
                validate::policy_name(n)?;
            }
            if !names.is_empty() && !names.iter().any(|n| snap.policy(n).is_some()) {
                return Err(IamError::NoSuchPolicy);
            }
            let set = names.iter().map(|n| (*n).to_owned()).collect();
            write_mapping(tx, MappingKind::StsParent, parent.to_owned(), set);
            Ok(())
        })
    }

    /// Sets the `policydb/groups` mapping of an external group (an LDAP group DN) that has no
    /// group record. Builtin groups use [`Iam::attach_policies`].
    pub fn set_external_group_policies(&self, group: &str, names: &[&str]) -> Result<(), IamError> {
        validate::sts_parent(group)?;
        self.write(|snap, tx| {
            if snap.group(group).is_some() {
                return Err(IamError::PolicyTargetNotAllowed);
            }
            if !names.is_empty() {
                check_policy_names(snap, tx, names)?;
            }
            tx.depend(RecordKey::Group(group.to_owned()));
            let set = names.iter().map(|n| (*n).to_owned()).collect();
            write_mapping(tx, MappingKind::Group, group.to_owned(), set);
            Ok(())
        })
    }

    /// `idp/builtin/policy-entities`: every policy that is mapped somewhere (or only those in
    /// `filter`, when non-empty), with the users and groups it is mapped to.
    pub fn policy_entities(&self, filter: &[&str]) -> Vec<PolicyEntities> {
        let snap = self.snapshot();
        let mut out: std::collections::BTreeMap<String, PolicyEntities> = Default::default();
        for (kind, is_user) in [(MappingKind::User, true), (MappingKind::Group, false)] {
            for m in snap.mappings(kind) {
                for p in &m.policies {
                    if !filter.is_empty() && !filter.contains(&p.as_str()) {
                        continue;
                    }
                    let e = out.entry(p.clone()).or_insert_with(|| PolicyEntities {
                        policy: p.clone(),
                        users: Vec::new(),
                        groups: Vec::new(),
                    });
                    if is_user {
                        e.users.push(m.entity.clone());
                    } else {
                        e.groups.push(m.entity.clone());
                    }
                }
            }
        }
        out.into_values().collect()
    }
}
