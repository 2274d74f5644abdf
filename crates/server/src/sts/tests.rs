//! Two nodes sharing one IAM store share the STS key ring and the revocation list; a corrupt
//! blob update never makes a node forget what it knows.

use std::sync::Arc;

use strongbox_iam::{Iam, MemoryStore, blob_names};
use strongbox_sts::revocation::Revocation;
use strongbox_sts::{Claims, Provider, TestClock, duration, issue, resolve};

use super::{Sts, StsConfig};
use crate::RootCredentials;

const T0: i64 = 1_800_000_000;

fn node(store: &Arc<MemoryStore>, clock: &TestClock) -> Sts {
    let root = RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
    let store: Arc<dyn strongbox_iam::IamStore> = Arc::clone(store) as _;
    let iam = Iam::with_store(store, crate::authz::iam_config(&root)).unwrap();
    Sts::open(Arc::new(iam), StsConfig::default(), Arc::new(clock.clone())).unwrap()
}

fn credential(sts: &Sts) -> strongbox_sts::IssuedCredential {
    let d = duration::assume_role(&sts.config().duration, None).unwrap();
    issue(
        &sts.key_ring(),
        Claims::new("rootuser", Provider::Builtin),
        sts.now(),
        d,
    )
    .unwrap()
}

#[test]
fn nodes_sharing_a_store_verify_each_others_credentials_and_revocations() {
    let store = Arc::new(MemoryStore::new());
    let clock = TestClock::at_unix(T0);
    let a = node(&store, &clock);
    let b = node(&store, &clock);
    // B found A's ring instead of making its own.
    assert_eq!(a.key_ring().active_kid(), b.key_ring().active_kid());
    let cred = credential(&a);
    let token = cred.session_token.expose();
    let on_b = resolve(&b.key_ring(), &cred.access_key, token, b.now()).unwrap();
    assert_eq!(on_b.secret_key(), &cred.secret_key);

    // A rotates and revokes; B sees both once its IAM snapshot has the new blobs.
    let new_kid = a.rotate_key_ring().unwrap();
    a.revoke(&[Revocation::AccessKey {
        access_key: cred.access_key.clone(),
        expires_at: T0 + 3600,
    }])
    .unwrap();
    assert!(b.revocations().check(&on_b).is_ok());
    b.iam().refresh().unwrap();
    assert_eq!(b.key_ring().active_kid(), new_kid);
    assert!(b.revocations().check(&on_b).is_err());
    // The old key still verifies A's earlier credential on B.
    assert!(resolve(&b.key_ring(), &cred.access_key, token, b.now()).is_ok());
}

#[test]
fn a_corrupt_blob_update_is_ignored_not_obeyed() {
    let store = Arc::new(MemoryStore::new());
    let clock = TestClock::at_unix(T0);
    let a = node(&store, &clock);
    a.revoke_parent("alice").unwrap();
    let kid = a.key_ring().active_kid().to_owned();
    let revoked = a.revocations();
    for name in [blob_names::STS_KEY_RING, blob_names::STS_REVOCATIONS] {
        let v = a.iam().blob(name).unwrap().version;
        a.iam().put_blob(name, v, b"{not json").unwrap();
    }
    assert_eq!(a.key_ring().active_kid(), kid);
    assert_eq!(*a.revocations(), *revoked);
}

#[test]
fn revocations_are_pruned_once_nothing_can_match() {
    let store = Arc::new(MemoryStore::new());
    let clock = TestClock::at_unix(T0);
    let a = node(&store, &clock);
    a.revoke_parent("alice").unwrap();
    assert!(!a.revocations().is_empty());
    // After the longest lifetime nothing issued before the cut-off can still be alive.
    clock.advance_secs(a.config().duration.max_secs + 1);
    a.revoke(&[]).unwrap();
    assert!(a.revocations().is_empty());
}
