//! IAM users: add (or update secret/status), status, removal (with everything hanging off the
//! user), info, account info.

use super::{Iam, Tx, now};
use crate::codec::{Record, RecordKey};
use crate::error::IamError;
use crate::model::{MappingKind, Status, User};
use crate::secret::SecretKey;
use crate::snapshot::IamSnapshot;
use crate::validate;

/// What `user-info` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub access_key: String,
    pub status: Status,
    /// Policies mapped to the user directly.
    pub policies: Vec<String>,
    /// Groups the user is a member of.
    pub member_of: Vec<String>,
    pub updated_at: time::OffsetDateTime,
}

/// What `accountinfo` needs from IAM (the server adds bucket access computed by the policy
/// engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    pub access_key: String,
    /// Root or root-derived: all access.
    pub is_owner: bool,
    /// Effective policy names (user + enabled groups).
    pub policies: Vec<String>,
    pub groups: Vec<String>,
}

/// Refuses access keys that would shadow root or another kind of identity.
pub(crate) fn check_new_user_key(snap: &IamSnapshot, ak: &str) -> Result<(), IamError> {
    validate::access_key(ak)?;
    if ak == snap.root_access_key() {
        return Err(IamError::ReservedAccessKey);
    }
    if snap.service_account(ak).is_some() {
        return Err(IamError::AccessKeyInUse);
    }
    Ok(())
}

pub(crate) fn user_info(snap: &IamSnapshot, u: &User) -> UserInfo {
    UserInfo {
        access_key: u.access_key.clone(),
        status: u.status,
        policies: snap
            .mapping(MappingKind::User, &u.access_key)
            .map(|m| m.policies.iter().cloned().collect())
            .unwrap_or_default(),
        member_of: snap.groups_of(&u.access_key),
        updated_at: u.updated_at,
    }
}

fn put_user(tx: &mut Tx, u: User) {
    tx.put(RecordKey::User(u.access_key.clone()), &Record::User(u));
}

impl Iam {
    /// Creates a user, or updates an existing user's secret and status (MinIO `add-user`).
    /// Policies are never touched here (CVE-2021-43858): this call has no way to carry them.
    pub fn add_user(
        &self,
        access_key: &str,
        secret_key: &str,
        status: Status,
    ) -> Result<(), IamError> {
        validate::secret_key(secret_key)?;
        self.write(|snap, tx| {
            check_new_user_key(snap, access_key)?;
            // Another node must not make this key a service account meanwhile.
            tx.depend(RecordKey::ServiceAccount(access_key.to_owned()));
            put_user(
                tx,
                User {
                    access_key: access_key.to_owned(),
                    secret_key: SecretKey::new(secret_key),
                    status,
                    updated_at: now(),
                },
            );
            Ok(())
        })
    }

    /// Enables or disables a user. Its service accounts follow it live (they resolve through
    /// their parent).
    pub fn set_user_status(&self, access_key: &str, status: Status) -> Result<(), IamError> {
        self.write(|snap, tx| {
            let u = snap.user(access_key).ok_or(IamError::NoSuchUser)?;
            put_user(
                tx,
                User {
                    status,
                    updated_at: now(),
                    ..u.clone()
                },
            );
            Ok(())
        })
    }

    /// Changes a user's secret key (and nothing else).
    pub fn set_user_secret(&self, access_key: &str, secret_key: &str) -> Result<(), IamError> {
        validate::secret_key(secret_key)?;
        self.write(|snap, tx| {
            let u = snap.user(access_key).ok_or(IamError::NoSuchUser)?;
            put_user(
                tx,
                User {
                    secret_key: SecretKey::new(secret_key),
                    updated_at: now(),
                    ..u.clone()
                },
            );
            Ok(())
        })
    }

    /// Removes a user, its policy mapping, its service accounts and its group memberships, all in
    /// one change.
    pub fn remove_user(&self, access_key: &str) -> Result<(), IamError> {
        self.write(|snap, tx| {
            if snap.user(access_key).is_none() {
                return Err(IamError::NoSuchUser);
            }
            tx.delete(RecordKey::User(access_key.to_owned()));
            if snap.mapping(MappingKind::User, access_key).is_some() {
                tx.delete(RecordKey::Mapping(MappingKind::User, access_key.to_owned()));
            }
            for sa in snap.service_accounts_of(access_key) {
                tx.delete(RecordKey::ServiceAccount(sa.access_key.clone()));
            }
            for g in snap.groups_of(access_key) {
                let Some(group) = snap.group(&g) else {
                    continue;
                };
                let mut group = group.clone();
                group.members.remove(access_key);
                group.updated_at = now();
                tx.put(RecordKey::Group(g), &Record::Group(group));
            }
            Ok(())
        })
    }

    /// `user-info`.
    pub fn user_info(&self, access_key: &str) -> Result<UserInfo, IamError> {
        let snap = self.snapshot();
        let u = snap.user(access_key).ok_or(IamError::NoSuchUser)?;
        Ok(user_info(&snap, u))
    }

    /// `list-users`, sorted by access key.
    pub fn list_users(&self) -> Vec<UserInfo> {
        let snap = self.snapshot();
        snap.users()
            .into_iter()
            .map(|u| user_info(&snap, u))
            .collect()
    }

    /// `accountinfo` data for an effective user (root, or an IAM user).
    pub fn account_info(&self, user: &str) -> Result<AccountInfo, IamError> {
        let snap = self.snapshot();
        if user == snap.root_access_key() {
            return Ok(AccountInfo {
                access_key: user.to_owned(),
                is_owner: true,
                policies: Vec::new(),
                groups: Vec::new(),
            });
        }
        if snap.user(user).is_none() {
            return Err(IamError::NoSuchUser);
        }
        Ok(AccountInfo {
            access_key: user.to_owned(),
            is_owner: false,
            policies: snap.policies_for_user(user),
            groups: snap.groups_of(user),
        })
    }
}
