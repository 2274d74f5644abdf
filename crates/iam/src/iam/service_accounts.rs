//! Service accounts: add, update, delete, info, list.

use rand::Rng;
use rand::rngs::OsRng;
use time::{Duration, OffsetDateTime};

use super::{Iam, now};
use crate::codec::{Record, RecordKey};
use crate::error::IamError;
use crate::model::{ServiceAccount, ServiceAccountPolicy, Status};
use crate::secret::SecretKey;
use crate::snapshot::IamSnapshot;
use crate::validate;

/// Shortest and longest lifetime of an expiring service account (spec §15).
pub const MIN_EXPIRY: Duration = Duration::minutes(15);
pub const MAX_EXPIRY: Duration = Duration::days(365);

/// A service account to create.
#[derive(Debug, Clone)]
pub struct NewServiceAccount {
    /// The parent: an existing IAM user, or the root access key.
    pub parent: String,
    /// Generated (20 characters `0-9A-Z`) when `None`.
    pub access_key: Option<String>,
    /// Generated (40 characters) when `None`.
    pub secret_key: Option<SecretKey>,
    /// `None` inherits the parent's policies; `Some` embeds a restricting policy (≤ 4096 bytes).
    pub policy: Option<String>,
    pub name: String,
    pub description: String,
    pub expiration: Option<OffsetDateTime>,
    /// Groups of the creating credential (external identity providers); empty for builtin users.
    pub groups: Vec<String>,
}

impl NewServiceAccount {
    /// A service account of `parent` with generated keys, inherited policy, no expiry.
    pub fn for_parent(parent: impl Into<String>) -> Self {
        Self {
            parent: parent.into(),
            access_key: None,
            secret_key: None,
            policy: None,
            name: String::new(),
            description: String::new(),
            expiration: None,
            groups: Vec::new(),
        }
    }
}

/// Changes to a service account; `None` leaves a field as it is. There is no way to change the
/// parent.
#[derive(Debug, Clone, Default)]
pub struct ServiceAccountUpdate {
    pub secret_key: Option<SecretKey>,
    pub status: Option<Status>,
    pub policy: Option<ServiceAccountPolicy>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub expiration: Option<OffsetDateTime>,
}

const AK_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const SK_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789++";

fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut rng = OsRng;
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

/// A fresh access key: 20 characters from `0-9A-Z` (spec §3.1).
pub fn generate_access_key() -> String {
    random_string(AK_ALPHABET, 20)
}

/// A fresh secret key: 40 characters of the base64 alphabet with `/` replaced by `+` (spec §3.1).
pub fn generate_secret_key() -> SecretKey {
    SecretKey::new(random_string(SK_ALPHABET, 40))
}

fn check_embedded_policy(iam: &Iam, policy: &str) -> Result<(), IamError> {
    if policy.len() > validate::SERVICE_ACCOUNT_POLICY_RAW_MAX {
        return Err(IamError::PolicyTooLarge);
    }
    iam.validator()
        .validate(policy)
        .map_err(IamError::MalformedPolicy)?;
    if iam.validator().embedded_size(policy) > validate::SERVICE_ACCOUNT_POLICY_MAX {
        return Err(IamError::PolicyTooLarge);
    }
    Ok(())
}

fn check_expiration(exp: OffsetDateTime) -> Result<(), IamError> {
    let now = now();
    if exp < now + MIN_EXPIRY {
        return Err(IamError::InvalidExpiration(
            "must be at least 15 minutes in the future",
        ));
    }
    if exp > now + MAX_EXPIRY {
        return Err(IamError::InvalidExpiration(
            "must be at most 365 days in the future",
        ));
    }
    Ok(())
}

fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.unix_timestamp()).unwrap_or(t)
}

fn check_new_sa_key(snap: &IamSnapshot, ak: &str) -> Result<(), IamError> {
    validate::access_key(ak)?;
    if ak == snap.root_access_key() {
        return Err(IamError::ReservedAccessKey);
    }
    if snap.user(ak).is_some() || snap.service_account(ak).is_some() {
        return Err(IamError::AccessKeyInUse);
    }
    Ok(())
}

impl Iam {
    /// Creates a service account; returns its access key and secret. Authorisation (who may
    /// create one for whom) is the caller's job: see [`crate::authz`].
    pub fn add_service_account(
        &self,
        req: NewServiceAccount,
    ) -> Result<(String, SecretKey), IamError> {
        let access_key = req.access_key.clone().unwrap_or_else(generate_access_key);
        let secret_key = req.secret_key.clone().unwrap_or_else(generate_secret_key);
        validate::secret_key(secret_key.expose())?;
        validate::service_account_name(&req.name)?;
        validate::service_account_description(&req.description)?;
        for g in &req.groups {
            validate::sts_parent(g)?;
        }
        if let Some(p) = &req.policy {
            check_embedded_policy(self, p)?;
        }
        if let Some(exp) = req.expiration {
            check_expiration(exp)?;
        }
        self.write(|snap, tx| {
            check_new_sa_key(snap, &access_key)?;
            if req.parent != snap.root_access_key() {
                if snap.user(&req.parent).is_none() {
                    return Err(IamError::NoSuchUser);
                }
                tx.depend(RecordKey::User(req.parent.clone()));
            }
            // Guards: the key must still be free of users and service accounts.
            tx.depend(RecordKey::User(access_key.clone()));
            let t = now();
            let sa = ServiceAccount {
                access_key: access_key.clone(),
                secret_key: secret_key.clone(),
                parent: req.parent.clone(),
                groups: req.groups.clone(),
                status: Status::Enabled,
                policy: match &req.policy {
                    None => ServiceAccountPolicy::Inherited,
                    Some(p) => ServiceAccountPolicy::Embedded(p.clone()),
                },
                name: req.name.clone(),
                description: req.description.clone(),
                expiration: req.expiration.map(truncate),
                created_at: t,
                updated_at: t,
            };
            tx.put(
                RecordKey::ServiceAccount(access_key.clone()),
                &Record::ServiceAccount(sa),
            );
            Ok(())
        })?;
        Ok((access_key, secret_key))
    }

    /// Updates a service account. Authorisation (CVE-2024-24747: a service account may not edit
    /// itself without an explicit allow) is the caller's job: see [`crate::authz`].
    pub fn update_service_account(
        &self,
        access_key: &str,
        update: ServiceAccountUpdate,
    ) -> Result<(), IamError> {
        if let Some(s) = &update.secret_key {
            validate::secret_key(s.expose())?;
        }
        if let Some(n) = &update.name {
            validate::service_account_name(n)?;
        }
        if let Some(d) = &update.description {
            validate::service_account_description(d)?;
        }
        if let Some(ServiceAccountPolicy::Embedded(p)) = &update.policy {
            check_embedded_policy(self, p)?;
        }
        if let Some(exp) = update.expiration {
            check_expiration(exp)?;
        }
        self.write(|snap, tx| {
            let mut sa = snap
                .service_account(access_key)
                .cloned()
                .ok_or(IamError::NoSuchServiceAccount)?;
            if let Some(s) = &update.secret_key {
                sa.secret_key = s.clone();
            }
            if let Some(s) = update.status {
                sa.status = s;
            }
            if let Some(p) = &update.policy {
                sa.policy = p.clone();
            }
            if let Some(n) = &update.name {
                sa.name = n.clone();
            }
            if let Some(d) = &update.description {
                sa.description = d.clone();
            }
            if let Some(e) = update.expiration {
                sa.expiration = Some(truncate(e));
            }
            sa.updated_at = now();
            tx.put(
                RecordKey::ServiceAccount(access_key.to_owned()),
                &Record::ServiceAccount(sa),
            );
            Ok(())
        })
    }

    /// Deletes a service account.
    pub fn delete_service_account(&self, access_key: &str) -> Result<(), IamError> {
        self.write(|snap, tx| {
            if snap.service_account(access_key).is_none() {
                return Err(IamError::NoSuchServiceAccount);
            }
            tx.delete(RecordKey::ServiceAccount(access_key.to_owned()));
            Ok(())
        })
    }

    /// `info-service-account`.
    pub fn service_account_info(&self, access_key: &str) -> Result<ServiceAccount, IamError> {
        self.snapshot()
            .service_account(access_key)
            .cloned()
            .ok_or(IamError::NoSuchServiceAccount)
    }

    /// `list-service-accounts?user=`, sorted by access key.
    pub fn list_service_accounts(&self, parent: &str) -> Vec<ServiceAccount> {
        self.snapshot()
            .service_accounts_of(parent)
            .into_iter()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_minio_shape() {
        let ak = generate_access_key();
        assert_eq!(ak.len(), 20);
        assert!(ak.bytes().all(|b| AK_ALPHABET.contains(&b)));
        let sk = generate_secret_key();
        assert_eq!(sk.len(), 40);
        assert!(!sk.expose().contains('/'));
        assert_ne!(generate_access_key(), ak);
        validate::access_key(&ak).unwrap();
        validate::secret_key(sk.expose()).unwrap();
    }
}
