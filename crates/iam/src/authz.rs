//! Helpers for authorising admin operations on access keys. The server evaluates policies; these
//! functions tell it WHICH check a request needs, so the MinIO escalations cannot recur:
//!
//! - CVE-2022-24842: creating a service account for ANOTHER user needs an explicit
//!   `admin:CreateServiceAccount` allow (not merely "not denied").
//! - CVE-2024-24747: a service account changing ITSELF (secret, policy, status) needs an explicit
//!   `admin:UpdateServiceAccount` allow.
//! - CVE-2025-62506: a caller restricted by a session or embedded policy gets no "own account"
//!   shortcut: every action must be allowed.

use crate::model::ServiceAccount;

/// The authenticated caller of an admin request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    Root,
    User {
        access_key: &'a str,
    },
    ServiceAccount {
        access_key: &'a str,
        parent: &'a str,
        /// It has an embedded policy.
        restricted: bool,
    },
    Temporary {
        access_key: &'a str,
        parent: &'a str,
        /// It carries a session policy.
        restricted: bool,
    },
}

impl<'a> Caller<'a> {
    /// The user whose rights the caller exercises.
    pub fn effective_user(&self, root_access_key: &'a str) -> &'a str {
        match *self {
            Caller::Root => root_access_key,
            Caller::User { access_key } => access_key,
            Caller::ServiceAccount { parent, .. } | Caller::Temporary { parent, .. } => parent,
        }
    }

    pub fn access_key(&self, root_access_key: &'a str) -> &'a str {
        match *self {
            Caller::Root => root_access_key,
            Caller::User { access_key }
            | Caller::ServiceAccount { access_key, .. }
            | Caller::Temporary { access_key, .. } => access_key,
        }
    }

    fn restricted(&self) -> bool {
        match *self {
            Caller::Root | Caller::User { .. } => false,
            Caller::ServiceAccount { restricted, .. } | Caller::Temporary { restricted, .. } => {
                restricted
            }
        }
    }
}

/// How the server must evaluate the admin action for this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionCheck {
    /// The caller acts on its own account: refuse only if the action is explicitly denied.
    DenyOnly,
    /// The action must be explicitly allowed.
    MustAllow,
}

/// How a target relates to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The target is the caller's own effective user (or its own access key).
    OwnAccount,
    /// The target is the very access key making the request (a service account editing itself).
    Itself,
    /// Anyone else.
    Other,
}

/// How `target_user` relates to the caller. An empty target means "myself".
pub fn relation_to_user(caller: &Caller<'_>, root_access_key: &str, target_user: &str) -> Relation {
    if target_user.is_empty()
        || target_user == caller.effective_user(root_access_key)
        || target_user == caller.access_key(root_access_key)
    {
        Relation::OwnAccount
    } else {
        Relation::Other
    }
}

/// How the service account `sa` relates to the caller.
pub fn relation_to_service_account(
    caller: &Caller<'_>,
    root_access_key: &str,
    sa: &ServiceAccount,
) -> Relation {
    if sa.access_key == caller.access_key(root_access_key) {
        Relation::Itself
    } else if sa.parent == caller.effective_user(root_access_key) {
        Relation::OwnAccount
    } else {
        Relation::Other
    }
}

/// Creating a service account for `target_user` (empty = for myself): returns the parent the
/// new account gets and the check `admin:CreateServiceAccount` needs.
pub fn create_service_account_check<'a>(
    caller: &Caller<'a>,
    root_access_key: &'a str,
    target_user: &'a str,
) -> (&'a str, PermissionCheck) {
    match relation_to_user(caller, root_access_key, target_user) {
        Relation::OwnAccount | Relation::Itself => {
            let check = if caller.restricted() {
                PermissionCheck::MustAllow
            } else {
                PermissionCheck::DenyOnly
            };
            (caller.effective_user(root_access_key), check)
        }
        Relation::Other => (target_user, PermissionCheck::MustAllow),
    }
}

/// Updating, deleting or reading service account `sa` (`admin:UpdateServiceAccount`,
/// `admin:RemoveServiceAccount`, `admin:ListServiceAccounts`).
pub fn manage_service_account_check(
    caller: &Caller<'_>,
    root_access_key: &str,
    sa: &ServiceAccount,
) -> PermissionCheck {
    match relation_to_service_account(caller, root_access_key, sa) {
        Relation::Itself | Relation::Other => PermissionCheck::MustAllow,
        Relation::OwnAccount if caller.restricted() => PermissionCheck::MustAllow,
        Relation::OwnAccount => PermissionCheck::DenyOnly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ServiceAccountPolicy, Status};
    use crate::secret::SecretKey;
    use time::OffsetDateTime;

    const ROOT: &str = "rootadmin";

    fn sa(ak: &str, parent: &str) -> ServiceAccount {
        ServiceAccount {
            access_key: ak.into(),
            secret_key: SecretKey::new("svcsecret"),
            parent: parent.into(),
            groups: vec![],
            status: Status::Enabled,
            policy: ServiceAccountPolicy::Inherited,
            name: String::new(),
            description: String::new(),
            expiration: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn cve_2022_24842_service_account_for_another_user_needs_an_explicit_allow() {
        let alice = Caller::User {
            access_key: "alice",
        };
        assert_eq!(
            create_service_account_check(&alice, ROOT, ROOT),
            (ROOT, PermissionCheck::MustAllow),
            "a user creating a service account for root"
        );
        assert_eq!(
            create_service_account_check(&alice, ROOT, "bob"),
            ("bob", PermissionCheck::MustAllow)
        );
        assert_eq!(
            create_service_account_check(&alice, ROOT, ""),
            ("alice", PermissionCheck::DenyOnly)
        );
        assert_eq!(
            create_service_account_check(&alice, ROOT, "alice"),
            ("alice", PermissionCheck::DenyOnly)
        );
        let sts = Caller::Temporary {
            access_key: "STSKEY",
            parent: "alice",
            restricted: false,
        };
        assert_eq!(
            create_service_account_check(&sts, ROOT, "STSKEY"),
            ("alice", PermissionCheck::DenyOnly),
            "an STS credential targeting its own access key creates for its parent"
        );
        assert_eq!(
            create_service_account_check(&sts, ROOT, "bob"),
            ("bob", PermissionCheck::MustAllow)
        );
    }

    #[test]
    fn cve_2025_62506_restricted_callers_get_no_own_account_shortcut() {
        let sts = Caller::Temporary {
            access_key: "STSKEY",
            parent: "alice",
            restricted: true,
        };
        assert_eq!(
            create_service_account_check(&sts, ROOT, ""),
            ("alice", PermissionCheck::MustAllow)
        );
        let own = sa("svc1", "alice");
        assert_eq!(
            manage_service_account_check(&sts, ROOT, &own),
            PermissionCheck::MustAllow
        );
        let root_sts = Caller::Temporary {
            access_key: "STSROOT",
            parent: ROOT,
            restricted: true,
        };
        assert_eq!(
            create_service_account_check(&root_sts, ROOT, ""),
            (ROOT, PermissionCheck::MustAllow)
        );
    }

    #[test]
    fn cve_2024_24747_service_account_editing_itself_needs_an_explicit_allow() {
        let me = sa("svc1", "alice");
        let caller = Caller::ServiceAccount {
            access_key: "svc1",
            parent: "alice",
            restricted: false,
        };
        assert_eq!(
            relation_to_service_account(&caller, ROOT, &me),
            Relation::Itself
        );
        assert_eq!(
            manage_service_account_check(&caller, ROOT, &me),
            PermissionCheck::MustAllow
        );
        let sibling = sa("svc2", "alice");
        assert_eq!(
            manage_service_account_check(&caller, ROOT, &sibling),
            PermissionCheck::DenyOnly,
            "a sibling belongs to the same parent"
        );
        let alice = Caller::User {
            access_key: "alice",
        };
        assert_eq!(
            manage_service_account_check(&alice, ROOT, &me),
            PermissionCheck::DenyOnly
        );
        let bob = Caller::User { access_key: "bob" };
        assert_eq!(
            manage_service_account_check(&bob, ROOT, &me),
            PermissionCheck::MustAllow
        );
    }

    #[test]
    fn root_owns_root_service_accounts() {
        let mine = sa("svc9", ROOT);
        assert_eq!(
            manage_service_account_check(&Caller::Root, ROOT, &mine),
            PermissionCheck::DenyOnly
        );
        assert_eq!(
            relation_to_user(&Caller::Root, ROOT, "alice"),
            Relation::Other
        );
    }
}
