//! Rules for groups, named policies and policy mappings (spec §12.2, §12.5, §15, §17).

mod common;

use common::*;
use strongbox_iam::{IamError, MappingKind, NewServiceAccount, PolicyTarget, Status};

fn user(u: &str) -> PolicyTarget {
    PolicyTarget::User(u.into())
}

fn group(g: &str) -> PolicyTarget {
    PolicyTarget::Group(g.into())
}

#[test]
fn group_members_must_be_existing_users() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    let err = iam
        .add_group_members("devs", &["alice", "ghost"])
        .unwrap_err();
    assert!(matches!(err, IamError::NoSuchUser), "{err:?}");
    assert!(
        iam.snapshot().group("devs").is_none(),
        "nothing half-applied"
    );
    let err = iam.add_group_members("devs", &[ROOT_AK]).unwrap_err();
    assert!(matches!(err, IamError::NoSuchUser), "{err:?}");
    iam.add_group_members("devs", &["alice"]).unwrap();
    assert_eq!(iam.group_info("devs").unwrap().members, vec!["alice"]);
    assert_eq!(iam.group_info("devs").unwrap().status, Status::Enabled);
    assert!(matches!(
        iam.add_group_members("a,b", &["alice"]),
        Err(IamError::InvalidArgument { .. })
    ));
}

#[test]
fn a_group_is_removed_only_when_empty_and_takes_its_mapping_along() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.add_group_members("devs", &["alice"]).unwrap();
    iam.attach_policies(&group("devs"), &["readonly"]).unwrap();
    assert!(matches!(
        iam.remove_group("devs"),
        Err(IamError::GroupNotEmpty)
    ));
    iam.remove_group_members("devs", &["alice"]).unwrap();
    assert!(iam.group_info("devs").unwrap().members.is_empty());
    iam.remove_group("devs").unwrap();
    let snap = iam.snapshot();
    assert!(snap.group("devs").is_none());
    assert!(snap.mapping(MappingKind::Group, "devs").is_none());
    assert!(matches!(
        iam.remove_group("devs"),
        Err(IamError::NoSuchGroup)
    ));
    assert!(matches!(
        iam.remove_group_members("devs", &["alice"]),
        Err(IamError::NoSuchGroup)
    ));
    assert!(iam.list_groups().is_empty());
}

#[test]
fn disabled_group_grants_nothing_but_other_grants_stay() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.put_policy("getb", GET_B).unwrap();
    iam.attach_policies(&user("alice"), &["getb"]).unwrap();
    iam.add_group_members("readers", &["alice"]).unwrap();
    iam.add_group_members("writers", &["alice"]).unwrap();
    iam.attach_policies(&group("readers"), &["readonly"])
        .unwrap();
    iam.attach_policies(&group("writers"), &["readwrite"])
        .unwrap();
    assert_eq!(
        iam.snapshot().policies_for_user("alice"),
        vec!["getb", "readonly", "readwrite"]
    );
    iam.set_group_status("writers", Status::Disabled).unwrap();
    let snap = iam.snapshot();
    // MinIO's policyDBGet skips a disabled group of the user; asking for the group directly
    // yields nothing.
    assert_eq!(snap.policies_for_user("alice"), vec!["getb", "readonly"]);
    assert!(snap.policies_for_group("writers").is_empty());
    assert_eq!(
        snap.policies_for_sts_parent("alice", &["writers".to_string()]),
        vec!["getb", "readonly"],
        "an STS credential naming a disabled group gets nothing from it"
    );
    iam.set_group_status("writers", Status::Enabled).unwrap();
    assert_eq!(
        iam.snapshot().policies_for_group("writers"),
        vec!["readwrite"]
    );
}

#[test]
fn attaching_a_missing_policy_is_an_error() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    let err = iam
        .attach_policies(&user("alice"), &["readonly", "nope"])
        .unwrap_err();
    assert!(matches!(err, IamError::NoSuchPolicy), "{err:?}");
    assert!(iam.snapshot().mapping(MappingKind::User, "alice").is_none());
    assert!(matches!(
        iam.attach_policies(&user("ghost"), &["readonly"]),
        Err(IamError::NoSuchUser)
    ));
    assert!(matches!(
        iam.attach_policies(&group("ghosts"), &["readonly"]),
        Err(IamError::NoSuchGroup)
    ));
    assert!(matches!(
        iam.set_policies(&user("alice"), &["nope"]),
        Err(IamError::NoSuchPolicy)
    ));
}

#[test]
fn minio_8675_policies_cannot_target_service_accounts_root_or_sts_keys() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    let (svc, _) = iam
        .add_service_account(NewServiceAccount::for_parent("alice"))
        .unwrap();
    for target in [svc.as_str(), ROOT_AK] {
        let err = iam
            .attach_policies(&user(target), &["readwrite"])
            .unwrap_err();
        assert!(
            matches!(err, IamError::PolicyTargetNotAllowed),
            "{target}: {err:?}"
        );
        let err = iam.set_policies(&user(target), &["readwrite"]).unwrap_err();
        assert!(matches!(err, IamError::PolicyTargetNotAllowed), "{err:?}");
    }
    // An STS access key is not a stored identity: it is no user either.
    let err = iam
        .attach_policies(&user("ASIASTSKEY0000000000"), &["readwrite"])
        .unwrap_err();
    assert!(matches!(err, IamError::NoSuchUser), "{err:?}");
    // Nor can an STS-parent mapping be pointed at a user, service account or root.
    for target in ["alice", svc.as_str(), ROOT_AK] {
        let err = iam
            .set_sts_parent_policies(target, &["readwrite"])
            .unwrap_err();
        assert!(matches!(err, IamError::PolicyTargetNotAllowed), "{err:?}");
    }
}

#[test]
fn attach_and_detach_report_no_op_changes() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    assert_eq!(
        iam.attach_policies(&user("alice"), &["readonly"]).unwrap(),
        vec!["readonly"]
    );
    assert!(matches!(
        iam.attach_policies(&user("alice"), &["readonly"]),
        Err(IamError::PolicyChangeAlreadyApplied)
    ));
    assert_eq!(
        iam.attach_policies(&user("alice"), &["readonly", "readwrite"])
            .unwrap(),
        vec!["readonly", "readwrite"]
    );
    assert_eq!(
        iam.detach_policies(&user("alice"), &["readonly"]).unwrap(),
        vec!["readwrite"]
    );
    assert!(matches!(
        iam.detach_policies(&user("alice"), &["readonly"]),
        Err(IamError::PolicyChangeAlreadyApplied)
    ));
    iam.detach_policies(&user("alice"), &["readwrite"]).unwrap();
    assert!(
        iam.snapshot().mapping(MappingKind::User, "alice").is_none(),
        "an empty mapping is deleted"
    );
    iam.set_policies(&user("alice"), &["readonly"]).unwrap();
    iam.set_policies(&user("alice"), &[]).unwrap();
    assert!(iam.snapshot().mapping(MappingKind::User, "alice").is_none());
}

#[test]
fn canned_policies_are_visible_and_deletable_only_when_overridden() {
    let (_, iam) = memory();
    let snap = iam.snapshot();
    assert_eq!(snap.policy("readonly").unwrap().document, READONLY);
    assert!(snap.is_canned("readonly"));
    assert_eq!(
        iam.list_policies()
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        vec!["readonly", "readwrite"]
    );
    assert!(matches!(
        iam.delete_policy("readonly"),
        Err(IamError::CannedPolicy)
    ));

    iam.put_policy("readonly", GET_B).unwrap();
    assert_eq!(iam.policy_info("readonly").unwrap().document, GET_B);
    iam.delete_policy("readonly").unwrap();
    assert_eq!(
        iam.policy_info("readonly").unwrap().document,
        READONLY,
        "the canned document is back"
    );
    assert!(matches!(
        iam.delete_policy("readonly"),
        Err(IamError::CannedPolicy)
    ));
    assert!(matches!(
        iam.delete_policy("nope"),
        Err(IamError::NoSuchPolicy)
    ));
}

#[test]
fn policies_are_validated_and_bounded() {
    let (_, iam) = memory();
    let err = iam.put_policy("bad", "{not json").unwrap_err();
    assert!(matches!(err, IamError::MalformedPolicy(_)), "{err:?}");
    assert_eq!(err.code(), "XMinioMalformedIAMPolicy");
    let err = iam.put_policy("bad", r#"{"Statement":[]}"#).unwrap_err();
    assert!(matches!(err, IamError::MalformedPolicy(_)), "{err:?}");
    let huge = format!(
        r#"{{"Version":"2012-10-17","Pad":"{}"}}"#,
        "x".repeat(1024 * 1024)
    );
    assert!(matches!(
        iam.put_policy("big", &huge),
        Err(IamError::PolicyTooLarge)
    ));
    assert!(matches!(
        iam.put_policy("has space", GET_B),
        Err(IamError::InvalidArgument { .. })
    ));
    assert!(iam.snapshot().policy("bad").is_none());
}

#[test]
fn a_policy_in_use_cannot_be_deleted_and_edits_apply_by_name() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.put_policy("getb", GET_B).unwrap();
    let created = iam.policy_info("getb").unwrap().created_at;
    iam.attach_policies(&user("alice"), &["getb"]).unwrap();
    assert!(matches!(
        iam.delete_policy("getb"),
        Err(IamError::PolicyInUse)
    ));

    iam.put_policy("getb", READWRITE).unwrap();
    let snap = iam.snapshot();
    assert_eq!(snap.policy("getb").unwrap().document, READWRITE);
    assert_eq!(snap.policy("getb").unwrap().created_at, created);
    assert_eq!(snap.policies_for_user("alice"), vec!["getb"]);

    iam.set_sts_parent_policies("cn=carol,dc=example", &["getb"])
        .unwrap();
    iam.detach_policies(&user("alice"), &["getb"]).unwrap();
    assert!(matches!(
        iam.delete_policy("getb"),
        Err(IamError::PolicyInUse)
    ));
    iam.set_sts_parent_policies("cn=carol,dc=example", &[])
        .unwrap();
    iam.delete_policy("getb").unwrap();
    assert!(iam.snapshot().policy("getb").is_none());
}

#[test]
fn sts_parent_and_external_group_mappings() {
    let (_, iam) = memory();
    iam.put_policy("getb", GET_B).unwrap();
    assert!(matches!(
        iam.set_sts_parent_policies("tls:client1", &["nope"]),
        Err(IamError::NoSuchPolicy)
    ));
    // At least one existing name is enough (spec §14.2); missing names grant nothing later.
    iam.set_sts_parent_policies("tls:client1", &["getb", "nope"])
        .unwrap();
    iam.set_external_group_policies("cn=admins,ou=groups,dc=example", &["readwrite"])
        .unwrap();
    let snap = iam.snapshot();
    assert_eq!(
        snap.policies_for_sts_parent(
            "tls:client1",
            &[
                "cn=admins,ou=groups,dc=example".to_string(),
                "unknown".to_string()
            ]
        ),
        vec!["getb", "nope", "readwrite"]
    );
    assert!(snap.policies_for_sts_parent("tls:other", &[]).is_empty());

    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.add_group_members("devs", &["alice"]).unwrap();
    assert!(matches!(
        iam.set_external_group_policies("devs", &["readonly"]),
        Err(IamError::PolicyTargetNotAllowed)
    ));
    let entities = iam.policy_entities(&[]);
    assert_eq!(entities.len(), 1, "{entities:?}");
    assert_eq!(entities[0].policy, "readwrite");
    assert_eq!(entities[0].groups, vec!["cn=admins,ou=groups,dc=example"]);
}

#[test]
fn policy_entities_list_users_and_groups_per_policy() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.add_user("bob", "bobsecret1", Status::Enabled).unwrap();
    iam.add_group_members("devs", &["bob"]).unwrap();
    iam.attach_policies(&user("alice"), &["readonly", "readwrite"])
        .unwrap();
    iam.attach_policies(&user("bob"), &["readonly"]).unwrap();
    iam.attach_policies(&group("devs"), &["readonly"]).unwrap();
    let all = iam.policy_entities(&[]);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].policy, "readonly");
    assert_eq!(all[0].users, vec!["alice", "bob"]);
    assert_eq!(all[0].groups, vec!["devs"]);
    let only = iam.policy_entities(&["readwrite"]);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].users, vec!["alice"]);
    assert!(only[0].groups.is_empty());
}
