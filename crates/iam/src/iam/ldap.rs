//! Policy mappings of LDAP identities (spec §8.3): a user DN maps through
//! `policydb/sts-users/<DN>` ([`MappingKind::StsParent`], the parent of the user's STS
//! credentials), a group DN through `policydb/groups/<DN>` ([`MappingKind::Group`], with no
//! group record). The caller passes DNs already resolved and normalised by the directory; this
//! module only keeps the mappings consistent (one store change per call, like every admin
//! operation).

use std::collections::{BTreeMap, BTreeSet};

use super::Iam;
use super::policies::{check_policy_names, current, write_mapping};
use crate::codec::RecordKey;
use crate::error::IamError;
use crate::model::MappingKind;
use crate::snapshot::IamSnapshot;
use crate::validate;

/// Who an LDAP attach/detach targets: a normalised user DN or group DN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LdapTarget {
    User(String),
    Group(String),
}

impl LdapTarget {
    fn key(&self) -> (MappingKind, &str) {
        match self {
            LdapTarget::User(dn) => (MappingKind::StsParent, dn),
            LdapTarget::Group(dn) => (MappingKind::Group, dn),
        }
    }
}

/// What a policy change did: the policies that changed, and the mapping afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapPolicyChange {
    /// Requested names that were attached now (attach) or detached now (detach), sorted.
    pub changed: Vec<String>,
    /// The target's whole mapping after the change, sorted.
    pub mapped: Vec<String>,
}

/// `idp/ldap/policy-entities` answer, built from the mappings alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LdapPolicyEntities {
    /// `(user DN, its policies)` for each requested user DN that has a mapping.
    pub users: Vec<(String, Vec<String>)>,
    /// `(group DN, its policies)` for each requested group DN that has a mapping.
    pub groups: Vec<(String, Vec<String>)>,
    /// `(policy, user DNs, group DNs)` for the requested policies (all mapped policies when
    /// nothing at all was requested).
    pub policies: Vec<(String, Vec<String>, Vec<String>)>,
}

/// The mapping key must not be anything else's name: root, an IAM user, a service account
/// (their rights come from elsewhere), or a builtin group.
fn check_target(snap: &IamSnapshot, target: &LdapTarget) -> Result<(), IamError> {
    let (_, dn) = target.key();
    validate::sts_parent(dn)?;
    let taken = match target {
        LdapTarget::User(dn) => {
            dn == snap.root_access_key()
                || snap.user(dn).is_some()
                || snap.service_account(dn).is_some()
        }
        LdapTarget::Group(dn) => snap.group(dn).is_some(),
    };
    if taken {
        return Err(IamError::PolicyTargetNotAllowed);
    }
    Ok(())
}

fn mapped_names(snap: &IamSnapshot, kind: MappingKind, entity: &str) -> Vec<String> {
    current(snap, kind, entity).into_iter().collect()
}

impl Iam {
    /// Attaches existing policies to an LDAP user or group DN. Fails with
    /// `PolicyChangeAlreadyApplied` if all of them were attached already.
    pub fn attach_ldap_policies(
        &self,
        target: &LdapTarget,
        names: &[&str],
    ) -> Result<LdapPolicyChange, IamError> {
        self.write(|snap, tx| {
            check_target(snap, target)?;
            check_policy_names(snap, tx, names)?;
            let (kind, entity) = target.key();
            tx.depend(RecordKey::User(entity.to_owned()));
            tx.depend(RecordKey::Group(entity.to_owned()));
            let mut set = current(snap, kind, entity);
            let mut changed = BTreeSet::new();
            for n in names {
                if set.insert((*n).to_owned()) {
                    changed.insert((*n).to_owned());
                }
            }
            if changed.is_empty() {
                return Err(IamError::PolicyChangeAlreadyApplied);
            }
            let mapped = set.iter().cloned().collect();
            write_mapping(tx, kind, entity.to_owned(), set);
            Ok(LdapPolicyChange {
                changed: changed.into_iter().collect(),
                mapped,
            })
        })
    }

    /// Detaches policies from an LDAP user or group DN (the DN need not exist in the directory
    /// any more, nor the policies in the IAM). Fails with `PolicyChangeAlreadyApplied` if none
    /// of them was attached.
    pub fn detach_ldap_policies(
        &self,
        target: &LdapTarget,
        names: &[&str],
    ) -> Result<LdapPolicyChange, IamError> {
        self.write(|snap, tx| {
            if names.is_empty() {
                return Err(IamError::InvalidArgument {
                    what: "policy names",
                    reason: "at least one policy name is required",
                });
            }
            check_target(snap, target)?;
            let (kind, entity) = target.key();
            let mut set = current(snap, kind, entity);
            let changed: BTreeSet<String> = names
                .iter()
                .filter(|n| set.remove(**n))
                .map(|n| (*n).to_owned())
                .collect();
            if changed.is_empty() {
                return Err(IamError::PolicyChangeAlreadyApplied);
            }
            let mapped = set.iter().cloned().collect();
            write_mapping(tx, kind, entity.to_owned(), set);
            Ok(LdapPolicyChange {
                changed: changed.into_iter().collect(),
                mapped,
            })
        })
    }

    /// `idp/ldap/policy-entities`: the mappings of the given user DNs, group DNs and policies.
    /// With all three empty, every policy mapped to an LDAP user DN or a group without a group
    /// record is listed.
    pub fn ldap_policy_entities(
        &self,
        user_dns: &[&str],
        group_dns: &[&str],
        policies: &[&str],
    ) -> LdapPolicyEntities {
        let snap = self.snapshot();
        let mut out = LdapPolicyEntities::default();
        for dn in user_dns {
            let names = mapped_names(&snap, MappingKind::StsParent, dn);
            if !names.is_empty() {
                out.users.push(((*dn).to_owned(), names));
            }
        }
        for dn in group_dns {
            let names = mapped_names(&snap, MappingKind::Group, dn);
            if !names.is_empty() && snap.group(dn).is_none() {
                out.groups.push(((*dn).to_owned(), names));
            }
        }
        let everything = user_dns.is_empty() && group_dns.is_empty() && policies.is_empty();
        if !everything && policies.is_empty() {
            return out;
        }
        let wanted = |p: &str| everything || policies.contains(&p);
        let mut by_policy: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
        // Other STS parents (`tls:<CN>`, OpenID parent ids) never contain `=`; a DN always does.
        for m in snap.mappings(MappingKind::StsParent) {
            if !m.entity.contains('=') {
                continue;
            }
            for p in m.policies.iter().filter(|p| wanted(p)) {
                by_policy
                    .entry(p.clone())
                    .or_default()
                    .0
                    .push(m.entity.clone());
            }
        }
        for m in snap.mappings(MappingKind::Group) {
            if snap.group(&m.entity).is_some() {
                continue; // a builtin group, not an LDAP DN
            }
            for p in m.policies.iter().filter(|p| wanted(p)) {
                by_policy
                    .entry(p.clone())
                    .or_default()
                    .1
                    .push(m.entity.clone());
            }
        }
        out.policies = by_policy
            .into_iter()
            .map(|(p, (users, groups))| (p, users, groups))
            .collect();
        out
    }
}
