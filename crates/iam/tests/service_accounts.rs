//! Rules for service accounts (spec §12.1 item 4, §15, §16).

mod common;

use std::sync::Arc;

use common::*;
use strongbox_iam::{
    BasePermissions, IamError, IamStore, NewServiceAccount, Op, PolicyTarget, Principal, Refusal,
    SecretKey, ServiceAccountPolicy, ServiceAccountUpdate, Status,
};
use time::{Duration, OffsetDateTime};

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn named(ak: &str, parent: &str) -> NewServiceAccount {
    NewServiceAccount {
        access_key: Some(ak.into()),
        ..NewServiceAccount::for_parent(parent)
    }
}

#[test]
fn the_parent_must_exist() {
    let (_, iam) = memory();
    let err = iam.add_service_account(named("svc1", "ghost")).unwrap_err();
    assert!(matches!(err, IamError::NoSuchUser), "{err:?}");
    iam.add_service_account(named("svc1", ROOT_AK)).unwrap();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.add_service_account(named("svc2", "alice")).unwrap();
    // A service account is not a valid parent.
    let err = iam.add_service_account(named("svc3", "svc2")).unwrap_err();
    assert!(matches!(err, IamError::NoSuchUser), "{err:?}");
    assert_eq!(iam.list_service_accounts("alice").len(), 1);
    assert_eq!(iam.list_service_accounts(ROOT_AK).len(), 1);
}

#[test]
fn keys_are_checked_and_unique() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.add_service_account(named("svc1", "alice")).unwrap();
    for ak in ["svc1", "alice"] {
        let err = iam.add_service_account(named(ak, "alice")).unwrap_err();
        assert!(matches!(err, IamError::AccessKeyInUse), "{ak}: {err:?}");
    }
    let err = iam.add_service_account(named("a=b", "alice")).unwrap_err();
    assert!(matches!(err, IamError::InvalidArgument { .. }), "{err:?}");
    let err = iam
        .add_service_account(NewServiceAccount {
            secret_key: Some(SecretKey::new("short")),
            ..named("svc2", "alice")
        })
        .unwrap_err();
    assert!(matches!(err, IamError::InvalidArgument { .. }), "{err:?}");
    let (ak, sk) = iam
        .add_service_account(NewServiceAccount::for_parent("alice"))
        .unwrap();
    assert_eq!((ak.len(), sk.len()), (20, 40), "generated keys");
    let err = iam
        .add_service_account(NewServiceAccount {
            name: "9lives".into(),
            ..named("svc3", "alice")
        })
        .unwrap_err();
    assert!(matches!(err, IamError::InvalidArgument { .. }), "{err:?}");
}

#[test]
fn embedded_policy_is_validated_and_at_most_4096_bytes() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    let pad = |n: usize| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[],"X":"{}"}}"#,
            "p".repeat(n)
        )
    };
    let exact = pad(4096 - pad(0).len());
    assert_eq!(exact.len(), 4096);
    iam.add_service_account(NewServiceAccount {
        policy: Some(exact.clone()),
        ..named("svc1", "alice")
    })
    .unwrap();
    let err = iam
        .add_service_account(NewServiceAccount {
            policy: Some(pad(4097 - pad(0).len())),
            ..named("svc2", "alice")
        })
        .unwrap_err();
    assert!(matches!(err, IamError::PolicyTooLarge), "{err:?}");
    let err = iam
        .add_service_account(NewServiceAccount {
            policy: Some("[1,2".into()),
            ..named("svc2", "alice")
        })
        .unwrap_err();
    assert!(matches!(err, IamError::MalformedPolicy(_)), "{err:?}");
    let err = iam
        .update_service_account(
            "svc1",
            ServiceAccountUpdate {
                policy: Some(ServiceAccountPolicy::Embedded(pad(5000))),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, IamError::PolicyTooLarge), "{err:?}");
    assert_eq!(
        iam.service_account_info("svc1").unwrap().policy,
        ServiceAccountPolicy::Embedded(exact)
    );
}

#[test]
fn expiration_must_be_15_minutes_to_365_days_ahead_and_is_enforced() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    for bad in [
        now() + Duration::minutes(5),
        now() + Duration::days(366),
        now() - Duration::days(1),
    ] {
        let err = iam
            .add_service_account(NewServiceAccount {
                expiration: Some(bad),
                ..named("svc1", "alice")
            })
            .unwrap_err();
        assert!(matches!(err, IamError::InvalidExpiration(_)), "{err:?}");
    }
    let exp = now() + Duration::days(1);
    iam.add_service_account(NewServiceAccount {
        expiration: Some(exp),
        ..named("svc1", "alice")
    })
    .unwrap();
    let snap = iam.snapshot();
    assert!(
        snap.resolve_access_key("svc1", now())
            .unwrap()
            .usable()
            .is_ok()
    );
    let later = snap
        .resolve_access_key("svc1", exp + Duration::seconds(1))
        .unwrap();
    assert_eq!(later.usable().unwrap_err(), Refusal::ServiceAccountExpired);
}

#[test]
fn parent_status_is_resolved_live() {
    let (store, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    let (svc, secret) = iam
        .add_service_account(NewServiceAccount::for_parent("alice"))
        .unwrap();
    let snap = iam.snapshot();
    let r = snap.resolve_access_key(&svc, now()).unwrap();
    let p = r.usable().unwrap();
    assert!(p.secret_key().ct_eq_str(secret.expose()));
    assert_eq!(p.effective_user(), "alice");

    iam.set_user_status("alice", Status::Disabled).unwrap();
    let r = iam
        .snapshot()
        .resolve_access_key(&svc, now())
        .map(|r| r.access);
    assert_eq!(r, Some(Err(Refusal::ParentDisabled)));
    iam.set_user_status("alice", Status::Enabled).unwrap();
    let r = iam
        .snapshot()
        .resolve_access_key(&svc, now())
        .map(|r| r.access);
    assert_eq!(r, Some(Ok(())));

    iam.update_service_account(
        &svc,
        ServiceAccountUpdate {
            status: Some(Status::Disabled),
            ..Default::default()
        },
    )
    .unwrap();
    let r = iam
        .snapshot()
        .resolve_access_key(&svc, now())
        .map(|r| r.access);
    assert_eq!(r, Some(Err(Refusal::ServiceAccountDisabled)));
    iam.update_service_account(
        &svc,
        ServiceAccountUpdate {
            status: Some(Status::Enabled),
            ..Default::default()
        },
    )
    .unwrap();

    // A parent that vanished behind our back (another writer, a restore) disables its accounts.
    store
        .commit(&strongbox_iam::Change {
            guards: vec![],
            ops: vec![Op::Delete {
                key: "users/alice".into(),
            }],
        })
        .unwrap();
    iam.refresh().unwrap();
    let r = iam
        .snapshot()
        .resolve_access_key(&svc, now())
        .map(|r| r.access);
    assert_eq!(r, Some(Err(Refusal::ParentMissing)));
}

#[test]
fn permissions_inherit_or_restrict_and_root_accounts_stay_restricted() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.attach_policies(&PolicyTarget::User("alice".into()), &["readwrite"])
        .unwrap();
    iam.add_service_account(named("svc-in", "alice")).unwrap();
    iam.add_service_account(NewServiceAccount {
        policy: Some(GET_B.into()),
        ..named("svc-em", "alice")
    })
    .unwrap();
    iam.add_service_account(NewServiceAccount {
        policy: Some(GET_B.into()),
        ..named("svc-root", ROOT_AK)
    })
    .unwrap();
    let snap = iam.snapshot();
    let perms = |ak: &str| {
        let p = snap
            .resolve_access_key(ak, now())
            .unwrap()
            .usable()
            .unwrap();
        snap.permissions(&p)
    };
    let p = perms("svc-in");
    assert_eq!(p.base, BasePermissions::Named(vec!["readwrite".into()]));
    assert_eq!(p.restrict, None);
    let p = perms("svc-em");
    assert_eq!(p.base, BasePermissions::Named(vec!["readwrite".into()]));
    assert_eq!(p.restrict, Some(GET_B));
    // spec §17 item 11: a root-derived account's own policy still applies.
    let p = perms("svc-root");
    assert_eq!(p.base, BasePermissions::Owner);
    assert_eq!(p.restrict, Some(GET_B));
    let root = snap
        .resolve_access_key(ROOT_AK, now())
        .unwrap()
        .usable()
        .unwrap();
    assert!(matches!(root, Principal::Root(_)));
    assert!(
        snap.resolve_access_key("svc-root", now())
            .unwrap()
            .principal
            .is_root_derived()
    );
    assert_eq!(snap.permissions(&root).base, BasePermissions::Owner);
}

#[test]
fn update_changes_only_what_it_names_and_delete_removes() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.add_service_account(NewServiceAccount {
        name: "bot".into(),
        description: "ci".into(),
        policy: Some(GET_B.into()),
        ..named("svc1", "alice")
    })
    .unwrap();
    let before = iam.service_account_info("svc1").unwrap();
    iam.update_service_account(
        "svc1",
        ServiceAccountUpdate {
            secret_key: Some(SecretKey::new("newsecret99")),
            ..Default::default()
        },
    )
    .unwrap();
    let after = iam.service_account_info("svc1").unwrap();
    assert!(after.secret_key.ct_eq_str("newsecret99"));
    assert_eq!(
        (
            &after.name,
            &after.description,
            &after.policy,
            &after.parent,
            after.status
        ),
        (
            &before.name,
            &before.description,
            &before.policy,
            &before.parent,
            before.status
        )
    );
    iam.update_service_account(
        "svc1",
        ServiceAccountUpdate {
            policy: Some(ServiceAccountPolicy::Inherited),
            description: Some("nightly".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let after = iam.service_account_info("svc1").unwrap();
    assert!(after.policy.is_inherited());
    assert_eq!(after.description, "nightly");
    assert!(matches!(
        iam.update_service_account("nope", ServiceAccountUpdate::default()),
        Err(IamError::NoSuchServiceAccount)
    ));
    iam.delete_service_account("svc1").unwrap();
    assert!(iam.snapshot().resolve_access_key("svc1", now()).is_none());
    assert!(matches!(
        iam.delete_service_account("svc1"),
        Err(IamError::NoSuchServiceAccount)
    ));
}

#[test]
fn secrets_never_show_in_debug_output() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    let (svc, sk) = iam
        .add_service_account(NewServiceAccount::for_parent("alice"))
        .unwrap();
    let snap = Arc::clone(&iam.snapshot());
    let shown = format!(
        "{:?} {:?} {:?} {:?}",
        snap.user("alice"),
        snap.service_account(&svc),
        snap.resolve_access_key(ROOT_AK, now()),
        iam.service_account_info(&svc)
    );
    for secret in ["alicesecret", sk.expose(), ROOT_SK] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

/// A validator that measures embedded policies without whitespace (as the policy crate's
/// canonical length would).
struct Canonical;

impl strongbox_iam::PolicyValidator for Canonical {
    fn validate(&self, document: &str) -> Result<(), String> {
        validate(document)
    }
    fn embedded_size(&self, document: &str) -> usize {
        document.chars().filter(|c| !c.is_whitespace()).count()
    }
}

#[test]
fn the_4096_byte_limit_uses_the_validators_measure() {
    let store = Arc::new(strongbox_iam::MemoryStore::new());
    let iam = strongbox_iam::Iam::with_store(
        store,
        strongbox_iam::IamConfig {
            validator: Arc::new(Canonical),
            ..config()
        },
    )
    .unwrap();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    let airy = GET_B.replace(',', &format!(",{}", " ".repeat(2000)));
    assert!(airy.len() > 4096 && airy.len() < 16 * 1024);
    iam.add_service_account(NewServiceAccount {
        policy: Some(airy),
        ..named("svc1", "alice")
    })
    .unwrap();
    let raw_too_big = GET_B.replace(',', &format!(",{}", " ".repeat(17 * 1024)));
    let err = iam
        .add_service_account(NewServiceAccount {
            policy: Some(raw_too_big),
            ..named("svc2", "alice")
        })
        .unwrap_err();
    assert!(matches!(err, IamError::PolicyTooLarge), "{err:?}");
}
