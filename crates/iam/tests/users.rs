//! Rules for IAM users (spec §15, §16, §17).

mod common;

use common::*;
use strongbox_iam::{IamError, MappingKind, NewServiceAccount, PolicyTarget, Refusal, Status};
use time::OffsetDateTime;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[test]
fn cve_2023_27589_user_with_the_root_access_key_is_refused() {
    let (_, iam) = memory();
    let err = iam
        .add_user(ROOT_AK, "othersecret", Status::Enabled)
        .unwrap_err();
    assert!(matches!(err, IamError::ReservedAccessKey), "{err:?}");
    let snap = iam.snapshot();
    assert!(snap.user(ROOT_AK).is_none());
    let root = snap.resolve_access_key(ROOT_AK, now()).unwrap();
    assert!(
        root.principal.secret_key().ct_eq_str(ROOT_SK),
        "root still has its own secret"
    );
}

#[test]
fn cve_2023_27589_service_account_with_the_root_access_key_is_refused() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    for parent in ["alice", ROOT_AK] {
        let err = iam
            .add_service_account(NewServiceAccount {
                access_key: Some(ROOT_AK.into()),
                ..NewServiceAccount::for_parent(parent)
            })
            .unwrap_err();
        assert!(matches!(err, IamError::ReservedAccessKey), "{err:?}");
    }
    assert!(iam.snapshot().service_account(ROOT_AK).is_none());
}

#[test]
fn access_key_and_secret_rules() {
    let (_, iam) = memory();
    for bad in ["ab", "a=b=c", "a,bc", &"x".repeat(21), "has space"] {
        let err = iam
            .add_user(bad, "goodsecret", Status::Enabled)
            .unwrap_err();
        assert!(
            matches!(err, IamError::InvalidArgument { .. }),
            "{bad:?}: {err:?}"
        );
    }
    for bad in ["short", &"s".repeat(41)] {
        let err = iam.add_user("carol", bad, Status::Enabled).unwrap_err();
        assert!(matches!(err, IamError::InvalidArgument { .. }), "{err:?}");
    }
    iam.add_user("abc", "12345678", Status::Enabled).unwrap();
    iam.add_user(&"x".repeat(20), &"s".repeat(40), Status::Enabled)
        .unwrap();
    assert_eq!(iam.list_users().len(), 2);
}

#[test]
fn a_service_account_key_cannot_become_a_user() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.add_service_account(NewServiceAccount {
        access_key: Some("svc1".into()),
        ..NewServiceAccount::for_parent("alice")
    })
    .unwrap();
    let err = iam
        .add_user("svc1", "svcsecret9", Status::Enabled)
        .unwrap_err();
    assert!(matches!(err, IamError::AccessKeyInUse), "{err:?}");
}

#[test]
fn cve_2021_43858_password_and_status_changes_never_touch_policies() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.attach_policies(&PolicyTarget::User("alice".into()), &["readonly"])
        .unwrap();
    let mapping_before = iam.snapshot().mapping(MappingKind::User, "alice").cloned();
    assert!(mapping_before.is_some());

    // add-user on an existing user (what a user changing its own password calls)
    iam.add_user("alice", "newsecret1", Status::Enabled)
        .unwrap();
    iam.set_user_secret("alice", "newsecret2").unwrap();
    iam.set_user_status("alice", Status::Disabled).unwrap();
    iam.set_user_status("alice", Status::Enabled).unwrap();

    let snap = iam.snapshot();
    assert_eq!(
        snap.mapping(MappingKind::User, "alice").cloned(),
        mapping_before
    );
    assert_eq!(snap.policies_for_user("alice"), vec!["readonly"]);
    assert!(
        snap.user("alice")
            .unwrap()
            .secret_key
            .ct_eq_str("newsecret2")
    );
}

#[test]
fn disabled_user_resolves_disabled_and_has_no_policies() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.attach_policies(&PolicyTarget::User("alice".into()), &["readwrite"])
        .unwrap();
    assert!(iam.snapshot().is_enabled("alice"));
    iam.set_user_status("alice", Status::Disabled).unwrap();
    let snap = iam.snapshot();
    assert!(!snap.is_enabled("alice"));
    assert!(snap.policies_for_user("alice").is_empty());
    let r = snap.resolve_access_key("alice", now()).unwrap();
    assert_eq!(r.usable().unwrap_err(), Refusal::UserDisabled);
    assert!(snap.resolve_access_key("nobody", now()).is_none());
    assert!(matches!(
        iam.set_user_status("nobody", Status::Enabled),
        Err(IamError::NoSuchUser)
    ));
}

#[test]
fn removing_a_user_removes_its_service_accounts_groups_and_mapping() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.add_user("bob", "bobsecret1", Status::Enabled).unwrap();
    iam.attach_policies(&PolicyTarget::User("alice".into()), &["readonly"])
        .unwrap();
    iam.add_group_members("devs", &["alice", "bob"]).unwrap();
    let (svc, _) = iam
        .add_service_account(NewServiceAccount::for_parent("alice"))
        .unwrap();
    let (bob_svc, _) = iam
        .add_service_account(NewServiceAccount::for_parent("bob"))
        .unwrap();

    iam.remove_user("alice").unwrap();
    let snap = iam.snapshot();
    assert!(snap.user("alice").is_none());
    assert!(snap.service_account(&svc).is_none());
    assert!(snap.resolve_access_key(&svc, now()).is_none());
    assert!(snap.mapping(MappingKind::User, "alice").is_none());
    assert_eq!(iam.group_info("devs").unwrap().members, vec!["bob"]);
    assert!(snap.service_account(&bob_svc).is_some());
    assert!(matches!(
        iam.remove_user("alice"),
        Err(IamError::NoSuchUser)
    ));

    // A re-created user with the same name gets nothing from the old one.
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    let snap = iam.snapshot();
    assert!(snap.policies_for_user("alice").is_empty());
    assert!(snap.groups_of("alice").is_empty());
    assert!(snap.service_accounts_of("alice").is_empty());
}

#[test]
fn user_info_and_account_info() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.attach_policies(&PolicyTarget::User("alice".into()), &["readonly"])
        .unwrap();
    iam.add_group_members("devs", &["alice"]).unwrap();
    iam.attach_policies(&PolicyTarget::Group("devs".into()), &["readwrite"])
        .unwrap();
    let info = iam.user_info("alice").unwrap();
    assert_eq!(info.policies, vec!["readonly"]);
    assert_eq!(info.member_of, vec!["devs"]);
    assert_eq!(info.status, Status::Enabled);
    let acc = iam.account_info("alice").unwrap();
    assert!(!acc.is_owner);
    assert_eq!(acc.policies, vec!["readonly", "readwrite"]);
    assert!(iam.account_info(ROOT_AK).unwrap().is_owner);
    assert!(matches!(iam.user_info("zed"), Err(IamError::NoSuchUser)));
}

#[test]
fn state_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let iam = open(dir.path());
        iam.add_user("alice", "alicesecret", Status::Enabled)
            .unwrap();
        iam.put_policy("getb", GET_B).unwrap();
        iam.attach_policies(&PolicyTarget::User("alice".into()), &["getb"])
            .unwrap();
        iam.add_group_members("devs", &["alice"]).unwrap();
        iam.set_group_status("devs", Status::Disabled).unwrap();
        iam.add_service_account(NewServiceAccount {
            access_key: Some("svc1".into()),
            policy: Some(GET_B.into()),
            ..NewServiceAccount::for_parent("alice")
        })
        .unwrap();
        iam.put_blob("sts-key-ring", 0, b"ring").unwrap();
    }
    let iam = open(dir.path());
    let snap = iam.snapshot();
    assert!(
        snap.user("alice")
            .unwrap()
            .secret_key
            .ct_eq_str("alicesecret")
    );
    assert_eq!(snap.policies_for_user("alice"), vec!["getb"]);
    assert_eq!(snap.group("devs").unwrap().status, Status::Disabled);
    assert_eq!(snap.service_account("svc1").unwrap().parent, "alice");
    assert_eq!(snap.blob("sts-key-ring").unwrap().version, 1);
    assert_eq!(snap.policy("getb").unwrap().document, GET_B);
}
