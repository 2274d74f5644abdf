//! A `kill -9` during admin writes never leaves a half-applied change: a child process (this test
//! binary, re-executed) loops over multi-record admin operations on a redb store until it is
//! killed; the parent then reopens the store and checks every cross-record invariant.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use strongbox_iam::{NewServiceAccount, PolicyTarget, Status};

const CHILD_ENV: &str = "STRONGBOX_IAM_KILL9_DIR";

/// The writer. Does nothing unless started by `kill9_never_leaves_half_a_change`.
#[test]
fn kill9_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let iam = open(Path::new(&dir));
    for i in 0u64.. {
        let u = format!("user{}", i % 8);
        let g = format!("group{}", i % 3);
        iam.add_user(&u, "usersecret", Status::Enabled).unwrap();
        iam.attach_policies(&PolicyTarget::User(u.clone()), &["readonly"])
            .ok();
        iam.add_group_members(&g, &[&u]).unwrap();
        iam.add_service_account(NewServiceAccount::for_parent(u.clone()))
            .unwrap();
        // One change touching the user, its mapping, its service accounts and its groups.
        iam.remove_user(&u).unwrap();
        std::fs::write(Path::new(&dir).join("progress"), i.to_string()).unwrap();
    }
}

/// Never leave the writer running when the test fails early.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn kill9_never_leaves_half_a_change() {
    let dir = tempfile::tempdir().unwrap();
    // Prepare a state where the removal of user0 has a lot to do.
    {
        let iam = open(dir.path());
        iam.add_user("keeper", "keepersecret", Status::Enabled)
            .unwrap();
        iam.add_group_members("group0", &["keeper"]).unwrap();
    }
    for round in 0..5 {
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "kill9_child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut child = KillOnDrop(child);
        let child = &mut child.0;
        let progress = dir.path().join("progress");
        let _ = std::fs::remove_file(&progress);
        let start = Instant::now();
        while !progress.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "child made no progress"
            );
            if let Some(status) = child.try_wait().unwrap() {
                panic!("child writer exited early: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Let it run into the middle of some change, then SIGKILL it.
        std::thread::sleep(Duration::from_millis(150 + 70 * round));
        child.kill().unwrap();
        child.wait().unwrap();

        let iam = open(dir.path());
        let snap = iam.snapshot();
        assert!(snap.is_enabled("keeper"), "round {round}");
        for sa_owner in snap.users().iter().map(|u| u.access_key.clone()) {
            for g in snap.groups_of(&sa_owner) {
                assert!(snap.group(&g).unwrap().members.contains(&sa_owner));
            }
        }
        for g in snap.group_names() {
            for m in &snap.group(g).unwrap().members {
                assert!(
                    snap.user(m).is_some(),
                    "round {round}: {g} lists removed user {m}"
                );
            }
        }
        for i in 0..8 {
            let u = format!("user{i}");
            if snap.user(&u).is_none() {
                assert!(
                    snap.service_accounts_of(&u).is_empty(),
                    "round {round}: service account of removed {u} survived"
                );
                assert!(
                    snap.mapping(strongbox_iam::MappingKind::User, &u).is_none(),
                    "round {round}: mapping of removed {u} survived"
                );
            }
        }
    }
}
