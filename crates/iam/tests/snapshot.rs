//! The snapshot the request path reads: immutable, swapped atomically, always consistent.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use strongbox_iam::{IamSnapshot, NewServiceAccount, PolicyTarget, Status};

/// Invariants every snapshot must satisfy, whatever admin operations are in flight.
fn check_consistent(snap: &IamSnapshot) {
    for u in snap.users() {
        for g in snap.groups_of(&u.access_key) {
            let group = snap
                .group(&g)
                .expect("membership index names an existing group");
            assert!(group.members.contains(&u.access_key));
        }
    }
    for g in snap.group_names() {
        for m in &snap.group(g).unwrap().members {
            assert!(
                snap.groups_of(m).iter().any(|x| x == g),
                "index misses {m} in {g}"
            );
        }
    }
}

#[test]
fn a_held_snapshot_never_changes() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    iam.attach_policies(&PolicyTarget::User("alice".into()), &["readonly"])
        .unwrap();
    let old = iam.snapshot();
    iam.set_user_status("alice", Status::Disabled).unwrap();
    iam.add_user("bob", "bobsecret1", Status::Enabled).unwrap();
    assert!(old.is_enabled("alice"));
    assert!(old.user("bob").is_none());
    assert_eq!(old.policies_for_user("alice"), vec!["readonly"]);
    let new = iam.snapshot();
    assert!(
        new.generation() > old.generation(),
        "caches keyed by generation see the change"
    );
    assert!(!new.is_enabled("alice"));
    assert!(new.user("bob").is_some());
}

#[test]
fn failed_operations_leave_the_snapshot_alone() {
    let (_, iam) = memory();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    let before = iam.snapshot();
    assert!(iam.add_group_members("g", &["alice", "ghost"]).is_err());
    assert!(
        iam.attach_policies(&PolicyTarget::User("alice".into()), &["nope"])
            .is_err()
    );
    let after = iam.snapshot();
    assert!(
        std::sync::Arc::ptr_eq(&before, &after),
        "no swap without a committed change"
    );
}

#[test]
fn readers_see_consistent_snapshots_while_admins_write() {
    let (_, iam) = memory();
    for i in 0..5 {
        iam.add_user(&format!("user{i}"), "usersecret", Status::Enabled)
            .unwrap();
    }
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut seen = 0;
                while !stop.load(Ordering::Relaxed) || seen == 0 {
                    check_consistent(&iam.snapshot());
                    seen += 1;
                }
            });
        }
        for round in 0..40 {
            let g = format!("g{}", round % 4);
            let u = format!("user{}", round % 5);
            iam.add_group_members(&g, &[&u]).unwrap();
            if round % 3 == 0 {
                iam.remove_group_members(&g, &[&u]).unwrap();
            }
            if round % 7 == 0 {
                iam.remove_user(&u).unwrap();
                iam.add_user(&u, "usersecret", Status::Enabled).unwrap();
                iam.add_service_account(NewServiceAccount::for_parent(u.clone()))
                    .unwrap();
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    check_consistent(&iam.snapshot());
}
