//! LDAP DN policy mappings (spec §8.3): user DNs map through `policydb/sts-users`, group DNs
//! through `policydb/groups`; STS credentials of an LDAP user resolve the union at request time
//! (spec §12.2).

mod common;

use common::*;
use strongbox_iam::{IamError, LdapTarget, MappingKind, Status};

const ALICE: &str = "uid=alice,ou=people,dc=example,dc=org";
const BOB: &str = "uid=bob,ou=people,dc=example,dc=org";
const DEVS: &str = "cn=devs,ou=groups,dc=example,dc=org";
const OPS: &str = "cn=ops,ou=groups,dc=example,dc=org";

fn user(dn: &str) -> LdapTarget {
    LdapTarget::User(dn.into())
}

fn group(dn: &str) -> LdapTarget {
    LdapTarget::Group(dn.into())
}

#[test]
fn attach_reports_only_new_policies_and_refuses_a_no_op() {
    let (_, iam) = memory();
    iam.put_policy("getb", GET_B).unwrap();
    let c = iam
        .attach_ldap_policies(&user(ALICE), &["readonly"])
        .unwrap();
    assert_eq!(c.changed, vec!["readonly"]);
    assert_eq!(c.mapped, vec!["readonly"]);
    let c = iam
        .attach_ldap_policies(&user(ALICE), &["readonly", "getb"])
        .unwrap();
    assert_eq!(c.changed, vec!["getb"]);
    assert_eq!(c.mapped, vec!["getb", "readonly"]);
    assert!(matches!(
        iam.attach_ldap_policies(&user(ALICE), &["getb"]),
        Err(IamError::PolicyChangeAlreadyApplied)
    ));
    assert!(matches!(
        iam.attach_ldap_policies(&user(ALICE), &["nope"]),
        Err(IamError::NoSuchPolicy)
    ));
    assert!(matches!(
        iam.attach_ldap_policies(&user(ALICE), &[]),
        Err(IamError::InvalidArgument { .. })
    ));
    let snap = iam.snapshot();
    let m = snap.mapping(MappingKind::StsParent, ALICE).unwrap();
    assert_eq!(m.policies.len(), 2);
    assert!(snap.mapping(MappingKind::User, ALICE).is_none());
}

#[test]
fn group_dn_policies_apply_to_members_and_union_with_the_user() {
    let (_, iam) = memory();
    iam.put_policy("getb", GET_B).unwrap();
    iam.attach_ldap_policies(&group(DEVS), &["readonly"])
        .unwrap();
    iam.attach_ldap_policies(&group(OPS), &["getb"]).unwrap();
    iam.attach_ldap_policies(&user(BOB), &["readwrite"])
        .unwrap();
    let snap = iam.snapshot();
    assert_eq!(
        snap.policies_for_sts_parent(BOB, &[DEVS.into(), OPS.into()]),
        vec!["readwrite", "readonly", "getb"]
    );
    assert_eq!(
        snap.policies_for_sts_parent(ALICE, &[DEVS.into()]),
        vec!["readonly"]
    );
    assert!(snap.policies_for_sts_parent(ALICE, &[]).is_empty());
}

#[test]
fn detach_removes_the_mapping_and_tolerates_deleted_policies() {
    let (_, iam) = memory();
    iam.put_policy("getb", GET_B).unwrap();
    iam.attach_ldap_policies(&group(DEVS), &["getb", "readonly"])
        .unwrap();
    assert!(matches!(
        iam.delete_policy("getb"),
        Err(IamError::PolicyInUse)
    ));
    let c = iam
        .detach_ldap_policies(&group(DEVS), &["getb", "never-attached"])
        .unwrap();
    assert_eq!(c.changed, vec!["getb"]);
    assert_eq!(c.mapped, vec!["readonly"]);
    assert!(matches!(
        iam.detach_ldap_policies(&group(DEVS), &["getb"]),
        Err(IamError::PolicyChangeAlreadyApplied)
    ));
    let c = iam
        .detach_ldap_policies(&group(DEVS), &["readonly"])
        .unwrap();
    assert!(c.mapped.is_empty());
    let snap = iam.snapshot();
    assert!(snap.mapping(MappingKind::Group, DEVS).is_none());
    assert!(
        snap.policies_for_sts_parent(ALICE, &[DEVS.into()])
            .is_empty()
    );
    iam.delete_policy("getb").unwrap();
}

#[test]
fn iam_identities_are_never_ldap_targets() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.add_group_members("devs", &["alice"]).unwrap();
    for t in [user(ROOT_AK), user("alice"), group("devs")] {
        assert!(
            matches!(
                iam.attach_ldap_policies(&t, &["readonly"]),
                Err(IamError::PolicyTargetNotAllowed)
            ),
            "{t:?}"
        );
    }
    for bad in ["", "uid=a\0,dc=x", &"x".repeat(2000)] {
        assert!(
            matches!(
                iam.attach_ldap_policies(&user(bad), &["readonly"]),
                Err(IamError::InvalidArgument { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn policy_entities_by_user_group_and_policy() {
    let (_, iam) = memory();
    iam.put_policy("getb", GET_B).unwrap();
    iam.attach_ldap_policies(&user(ALICE), &["readonly"])
        .unwrap();
    iam.attach_ldap_policies(&group(DEVS), &["readonly", "getb"])
        .unwrap();
    // Not LDAP: a certificate parent and a builtin group.
    iam.set_sts_parent_policies("tls:client1", &["readonly"])
        .unwrap();
    iam.add_user("carol", "carolsecret", Status::Enabled)
        .unwrap();
    iam.add_group_members("builtin", &["carol"]).unwrap();
    iam.attach_policies(
        &strongbox_iam::PolicyTarget::Group("builtin".into()),
        &["readonly"],
    )
    .unwrap();

    let all = iam.ldap_policy_entities(&[], &[], &[]);
    assert!(all.users.is_empty() && all.groups.is_empty());
    assert_eq!(
        all.policies,
        vec![
            ("getb".to_string(), vec![], vec![DEVS.to_string()]),
            (
                "readonly".to_string(),
                vec![ALICE.to_string()],
                vec![DEVS.to_string()]
            ),
        ]
    );
    let some = iam.ldap_policy_entities(&[ALICE, BOB], &[DEVS, "builtin"], &[]);
    assert_eq!(
        some.users,
        vec![(ALICE.to_string(), vec!["readonly".to_string()])]
    );
    assert_eq!(
        some.groups,
        vec![(
            DEVS.to_string(),
            vec!["getb".to_string(), "readonly".to_string()]
        )]
    );
    assert!(some.policies.is_empty());
    let by_policy = iam.ldap_policy_entities(&[], &[], &["getb"]);
    assert_eq!(
        by_policy.policies,
        vec![("getb".to_string(), vec![], vec![DEVS.to_string()])]
    );
}
