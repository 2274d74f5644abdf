//! The immutable in-memory view the request path reads. A new snapshot is swapped in after every
//! committed change; readers never touch the database.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use time::OffsetDateTime;

use crate::model::{
    Blob, Group, MappingKind, PolicyDoc, PolicyMapping, RootCredentials, ServiceAccount,
    ServiceAccountPolicy, Status, User,
};
use crate::secret::SecretKey;
use crate::state::IamState;

/// One consistent view of all IAM state.
#[derive(Debug, Clone)]
pub struct IamSnapshot {
    pub(crate) root: Arc<RootCredentials>,
    pub(crate) canned: Arc<HashMap<String, PolicyDoc>>,
    pub(crate) state: IamState,
    pub(crate) generation: u64,
}

/// Who an access key belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Principal<'a> {
    Root(&'a RootCredentials),
    User(&'a User),
    ServiceAccount {
        account: &'a ServiceAccount,
        /// The parent is the root credential.
        parent_is_root: bool,
    },
}

impl<'a> Principal<'a> {
    pub fn access_key(&self) -> &'a str {
        match self {
            Principal::Root(r) => &r.access_key,
            Principal::User(u) => &u.access_key,
            Principal::ServiceAccount { account, .. } => &account.access_key,
        }
    }

    pub fn secret_key(&self) -> &'a SecretKey {
        match self {
            Principal::Root(r) => &r.secret_key,
            Principal::User(u) => &u.secret_key,
            Principal::ServiceAccount { account, .. } => &account.secret_key,
        }
    }

    /// The user whose rights this principal exercises: itself, or a service account's parent.
    pub fn effective_user(&self) -> &'a str {
        match self {
            Principal::Root(r) => &r.access_key,
            Principal::User(u) => &u.access_key,
            Principal::ServiceAccount { account, .. } => &account.parent,
        }
    }

    /// True for root and for service accounts of root.
    pub fn is_root_derived(&self) -> bool {
        matches!(
            self,
            Principal::Root(_)
                | Principal::ServiceAccount {
                    parent_is_root: true,
                    ..
                }
        )
    }
}

/// Why a known access key may not be used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UserDisabled,
    ServiceAccountDisabled,
    ServiceAccountExpired,
    ParentDisabled,
    ParentMissing,
}

/// An access key resolved against the snapshot, with its live status.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    pub principal: Principal<'a>,
    /// `Ok(())` when the credential may be used; the parent of a service account is checked live.
    pub access: Result<(), Refusal>,
}

impl<'a> Resolved<'a> {
    /// The principal, only if it may be used: a request must not go on without this.
    pub fn usable(self) -> Result<Principal<'a>, Refusal> {
        self.access.map(|()| self.principal)
    }
}

/// The base rights of a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BasePermissions {
    /// Root or root-derived: everything is allowed (subject to `restrict`).
    Owner,
    /// The union of these named policies (names whose document no longer exists are skipped at
    /// evaluation; an empty list denies everything).
    Named(Vec<String>),
}

/// What the policy engine evaluates for a principal: `base` AND (if present) `restrict`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions<'a> {
    pub base: BasePermissions,
    /// A service account's embedded policy: it can only narrow `base` (also for root-derived
    /// accounts, spec §17 item 11).
    pub restrict: Option<&'a str>,
}

fn push_unique(out: &mut Vec<String>, names: &BTreeSet<String>) {
    for n in names {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
}

impl IamSnapshot {
    pub(crate) fn new(
        root: Arc<RootCredentials>,
        canned: Arc<HashMap<String, PolicyDoc>>,
        state: IamState,
        generation: u64,
    ) -> Self {
        Self {
            root,
            canned,
            state,
            generation,
        }
    }

    /// Increases with every swapped-in snapshot of one `Iam`: a key for caches of compiled
    /// policy sets (a cache entry of an older generation is stale).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn root_access_key(&self) -> &str {
        &self.root.access_key
    }

    /// Resolves an access key to its principal and live status at time `now`.
    pub fn resolve_access_key(&self, ak: &str, now: OffsetDateTime) -> Option<Resolved<'_>> {
        if ak == self.root.access_key {
            return Some(Resolved {
                principal: Principal::Root(&self.root),
                access: Ok(()),
            });
        }
        if let Some(u) = self.state.users.get(ak) {
            let access = if u.status.is_enabled() {
                Ok(())
            } else {
                Err(Refusal::UserDisabled)
            };
            return Some(Resolved {
                principal: Principal::User(u),
                access,
            });
        }
        let sa = self.state.service_accounts.get(ak)?;
        let parent_is_root = sa.parent == self.root.access_key;
        let access = if sa.status != Status::Enabled {
            Err(Refusal::ServiceAccountDisabled)
        } else if sa.expiration.is_some_and(|exp| exp <= now) {
            Err(Refusal::ServiceAccountExpired)
        } else if parent_is_root {
            Ok(())
        } else {
            match self.state.users.get(&sa.parent) {
                None => Err(Refusal::ParentMissing),
                Some(p) if !p.status.is_enabled() => Err(Refusal::ParentDisabled),
                Some(_) => Ok(()),
            }
        };
        Some(Resolved {
            principal: Principal::ServiceAccount {
                account: sa,
                parent_is_root,
            },
            access,
        })
    }

    /// What the policy engine must evaluate for a usable principal.
    pub fn permissions<'a>(&'a self, principal: &Principal<'a>) -> Permissions<'a> {
        match principal {
            Principal::Root(_) => Permissions {
                base: BasePermissions::Owner,
                restrict: None,
            },
            Principal::User(u) => Permissions {
                base: BasePermissions::Named(self.policies_for_user(&u.access_key)),
                restrict: None,
            },
            Principal::ServiceAccount {
                account,
                parent_is_root,
            } => Permissions {
                base: if *parent_is_root {
                    BasePermissions::Owner
                } else {
                    BasePermissions::Named(
                        self.policies_for_sts_parent(&account.parent, &account.groups),
                    )
                },
                restrict: match &account.policy {
                    ServiceAccountPolicy::Inherited => None,
                    ServiceAccountPolicy::Embedded(doc) => Some(doc.as_str()),
                },
            },
        }
    }

    /// Policy names of an IAM user: its own mapping plus the mappings of its enabled groups
    /// (disabled groups are skipped, as MinIO's `policyDBGet`). A missing or disabled user has
    /// none.
    pub fn policies_for_user(&self, user: &str) -> Vec<String> {
        match self.state.users.get(user) {
            Some(u) if u.status.is_enabled() => {}
            _ => return Vec::new(),
        }
        let mut out = Vec::new();
        if let Some(m) = self.state.user_mappings.get(user) {
            push_unique(&mut out, &m.policies);
        }
        if let Some(groups) = self.state.memberships.get(user) {
            for g in groups {
                out.extend(self.policies_for_group(g));
            }
        }
        dedup_keep_first(out)
    }

    /// Policy names mapped to a group; none when the group exists and is disabled. A group with
    /// a mapping but no group record (an LDAP group DN) returns its mapping.
    pub fn policies_for_group(&self, group: &str) -> Vec<String> {
        if let Some(g) = self.state.groups.get(group)
            && !g.status.is_enabled()
        {
            return Vec::new();
        }
        self.state
            .group_mappings
            .get(group)
            .map(|m| m.policies.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Policy names for STS credentials (and service accounts) of `parent` carrying `groups`
    /// (spec §12.2): an IAM user parent's policies (none if it is disabled), else the
    /// `policydb/sts-users` mapping; plus the policies of each given group.
    pub fn policies_for_sts_parent(&self, parent: &str, groups: &[String]) -> Vec<String> {
        let mut out = match self.state.users.get(parent) {
            Some(u) if !u.status.is_enabled() => return Vec::new(),
            Some(_) => self.policies_for_user(parent),
            None => self
                .state
                .sts_mappings
                .get(parent)
                .map(|m| m.policies.iter().cloned().collect())
                .unwrap_or_default(),
        };
        for g in groups {
            out.extend(self.policies_for_group(g));
        }
        dedup_keep_first(out)
    }

    /// A policy document by name: a stored one, else a canned one.
    pub fn policy(&self, name: &str) -> Option<&PolicyDoc> {
        self.state
            .policies
            .get(name)
            .or_else(|| self.canned.get(name))
    }

    /// True for an enabled IAM user (root is not an IAM user).
    pub fn is_enabled(&self, user: &str) -> bool {
        self.state
            .users
            .get(user)
            .is_some_and(|u| u.status.is_enabled())
    }

    pub fn user(&self, ak: &str) -> Option<&User> {
        self.state.users.get(ak)
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.state.groups.get(name)
    }

    pub fn service_account(&self, ak: &str) -> Option<&ServiceAccount> {
        self.state.service_accounts.get(ak)
    }

    pub fn mapping(&self, kind: MappingKind, entity: &str) -> Option<&PolicyMapping> {
        self.state.mappings(kind).get(entity)
    }

    /// Groups listing `user` as a member, sorted.
    pub fn groups_of(&self, user: &str) -> Vec<String> {
        self.state
            .memberships
            .get(user)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Service accounts whose parent is `parent`, sorted by access key.
    pub fn service_accounts_of(&self, parent: &str) -> Vec<&ServiceAccount> {
        let mut v: Vec<_> = self
            .state
            .service_accounts
            .values()
            .filter(|sa| sa.parent == parent)
            .collect();
        v.sort_by(|a, b| a.access_key.cmp(&b.access_key));
        v
    }

    /// All IAM users, sorted by access key.
    pub fn users(&self) -> Vec<&User> {
        let mut v: Vec<_> = self.state.users.values().collect();
        v.sort_by(|a, b| a.access_key.cmp(&b.access_key));
        v
    }

    /// All group names, sorted.
    pub fn group_names(&self) -> Vec<&str> {
        let mut v: Vec<_> = self.state.groups.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// All policies (stored ones override canned ones of the same name), sorted by name.
    pub fn policies(&self) -> Vec<&PolicyDoc> {
        let mut v: Vec<_> = self.state.policies.values().collect();
        v.extend(
            self.canned
                .values()
                .filter(|p| !self.state.policies.contains_key(&p.name)),
        );
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// True when `name` is a canned policy.
    pub fn is_canned(&self, name: &str) -> bool {
        self.canned.contains_key(name)
    }

    /// All mappings of one kind, sorted by entity.
    pub fn mappings(&self, kind: MappingKind) -> Vec<&PolicyMapping> {
        let mut v: Vec<_> = self.state.mappings(kind).values().collect();
        v.sort_by(|a, b| a.entity.cmp(&b.entity));
        v
    }

    pub fn blob(&self, name: &str) -> Option<&Blob> {
        self.state.blobs.get(name)
    }
}

fn dedup_keep_first(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for n in v {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}
