//! IAM-level conformance properties (part of [`crate::testsuite::conformance_suite`]): two `Iam`
//! nodes over one store, changes as single transactions, failures that apply nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use crate::IamError;
use crate::iam::{Iam, IamConfig, NewServiceAccount, PolicyTarget};
use crate::model::{MappingKind, RootCredentials, Status};
use crate::secret::SecretKey;
use crate::store::{Change, IamStore, StoreError};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}"#;

fn config() -> IamConfig {
    IamConfig {
        root: RootCredentials {
            access_key: "rootadmin".into(),
            secret_key: SecretKey::new("rootsecret123"),
        },
        canned: vec![("readonly".into(), POLICY.into())],
        validator: Arc::new(|doc: &str| {
            serde_json::from_str::<serde_json::Value>(doc)
                .map(drop)
                .map_err(|e| e.to_string())
        }),
    }
}

fn node<S: IamStore>(store: &Arc<S>) -> Iam {
    Iam::with_store(Arc::clone(store) as Arc<dyn IamStore>, config()).expect("open Iam")
}

/// A store wrapper that counts commits, remembers them, and can fail the next one.
struct Probe<S> {
    inner: Arc<S>,
    commits: AtomicUsize,
    fail_next: AtomicUsize,
    last: Mutex<Option<Change>>,
    all: Mutex<Vec<Change>>,
}

impl<S> Probe<S> {
    fn new(inner: Arc<S>) -> Self {
        Probe {
            inner,
            commits: AtomicUsize::new(0),
            fail_next: AtomicUsize::new(0),
            last: Mutex::new(None),
            all: Mutex::new(Vec::new()),
        }
    }
}

impl<S: IamStore> IamStore for Probe<S> {
    fn load(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.inner.load()
    }
    fn commit(&self, change: &Change) -> Result<(), StoreError> {
        if self.fail_next.swap(0, Ordering::SeqCst) == 1 {
            return Err(StoreError::Backend("probe: injected failure".into()));
        }
        self.inner.commit(change)?;
        self.commits.fetch_add(1, Ordering::SeqCst);
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(change.clone());
        self.all
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(change.clone());
        Ok(())
    }
}

pub(crate) fn two_nodes_share_state<S: IamStore>(store: Arc<S>) {
    let a = node(&store);
    let b = node(&store);
    a.add_user("alice", "alicesecret", Status::Enabled)
        .expect("add_user");
    a.put_policy("getb", POLICY).expect("put_policy");
    a.attach_policies(&PolicyTarget::User("alice".into()), &["getb"])
        .expect("attach");
    a.add_group_members("devs", &["alice"]).expect("group");
    a.attach_policies(&PolicyTarget::Group("devs".into()), &["readonly"])
        .expect("attach group");
    let exp = OffsetDateTime::now_utc() + time::Duration::days(2);
    let (svc, svc_secret) = a
        .add_service_account(NewServiceAccount {
            access_key: Some("svc-alice".into()),
            policy: Some(POLICY.into()),
            name: "bot".into(),
            expiration: Some(exp),
            ..NewServiceAccount::for_parent("alice")
        })
        .expect("add sa");
    a.set_sts_parent_policies("cn=carol,dc=example", &["getb"])
        .expect("sts mapping");
    a.put_blob("sts-key-ring", 0, b"\x00key\xff").expect("blob");

    assert!(
        b.snapshot().user("alice").is_none(),
        "b has not refreshed yet"
    );
    b.refresh().expect("refresh");
    let fresh = node(&store);
    for n in [&a, &b, &fresh] {
        let s = n.snapshot();
        assert_eq!(s.policies_for_user("alice"), vec!["getb", "readonly"]);
        assert_eq!(s.groups_of("alice"), vec!["devs"]);
        let sa = s.service_account(&svc).expect("sa visible");
        assert_eq!(sa.secret_key, svc_secret);
        assert_eq!(sa.name, "bot");
        assert_eq!(
            sa.expiration.map(|e| e.unix_timestamp()),
            Some(exp.unix_timestamp())
        );
        assert_eq!(
            s.mapping(MappingKind::StsParent, "cn=carol,dc=example")
                .map(|m| m.policies.len()),
            Some(1)
        );
        assert_eq!(
            s.blob("sts-key-ring").map(|b| b.data.clone()),
            Some(b"\x00key\xff".to_vec())
        );
        assert_eq!(s.policy("getb").map(|p| p.document.as_str()), Some(POLICY));
        let r = s
            .resolve_access_key("svc-alice", OffsetDateTime::now_utc())
            .expect("resolves");
        assert!(r.usable().is_ok());
    }
    assert_eq!(a.list_users(), fresh.list_users());
    assert_eq!(a.group_info("devs").ok(), fresh.group_info("devs").ok());
}

pub(crate) fn stale_node_conflict_is_retried<S: IamStore>(store: Arc<S>) {
    let a = node(&store);
    for u in ["alice", "bob", "carol"] {
        a.add_user(u, "usersecret", Status::Enabled)
            .expect("add_user");
    }
    a.add_group_members("g", &["alice"]).expect("group");
    let b = node(&store);
    a.add_group_members("g", &["bob"]).expect("a adds bob");
    // b still sees {alice}: its guarded write fails, it reloads and re-plans.
    b.add_group_members("g", &["carol"]).expect("b adds carol");
    let fresh = node(&store);
    assert_eq!(
        fresh.group_info("g").expect("g").members,
        vec!["alice", "bob", "carol"],
        "no lost update between nodes"
    );
    a.put_blob("rev", 0, b"1").expect("a writes v1");
    let b = node(&store);
    assert_eq!(a.put_blob("rev", 1, b"2").expect("a writes v2"), 2);
    match b.put_blob("rev", 1, b"x") {
        Err(IamError::BlobVersionMismatch { current: 2 }) => {}
        other => panic!("stale blob write must lose, got {other:?}"),
    }
}

pub(crate) fn remove_user_is_one_change<S: IamStore>(store: Arc<S>) {
    let probe = Arc::new(Probe::new(store));
    let a = node(&probe);
    a.add_user("dave", "davesecret", Status::Enabled)
        .expect("add");
    a.add_user("erin", "erinsecret", Status::Enabled)
        .expect("add");
    a.put_policy("p1", POLICY).expect("policy");
    a.attach_policies(&PolicyTarget::User("dave".into()), &["p1"])
        .expect("attach");
    a.add_group_members("g1", &["dave", "erin"]).expect("g1");
    a.add_group_members("g2", &["dave"]).expect("g2");
    for i in 0..2 {
        a.add_service_account(NewServiceAccount {
            access_key: Some(format!("svc-dave-{i}")),
            ..NewServiceAccount::for_parent("dave")
        })
        .expect("sa");
    }
    let before = a.snapshot();

    // A failed commit changes nothing, in the store or in the snapshot.
    probe.fail_next.store(1, Ordering::SeqCst);
    let err = a.remove_user("dave").expect_err("injected failure");
    assert!(matches!(err, IamError::Store(_)), "{err:?}");
    for s in [a.snapshot(), node(&probe).snapshot()] {
        assert!(s.user("dave").is_some());
        assert_eq!(s.service_accounts_of("dave").len(), 2);
        assert_eq!(s.groups_of("dave"), vec!["g1", "g2"]);
        assert_eq!(
            s.policies_for_user("dave"),
            before.policies_for_user("dave")
        );
    }

    let commits = probe.commits.load(Ordering::SeqCst);
    a.remove_user("dave").expect("remove");
    assert_eq!(
        probe.commits.load(Ordering::SeqCst),
        commits + 1,
        "removing a user is ONE store change"
    );
    let last = probe
        .last
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .expect("a change");
    assert_eq!(
        last.ops.len(),
        6,
        "user, mapping, 2 service accounts, 2 groups: {last:?}"
    );
    for s in [a.snapshot(), node(&probe).snapshot()] {
        assert!(s.user("dave").is_none());
        assert!(s.mapping(MappingKind::User, "dave").is_none());
        assert!(s.service_accounts_of("dave").is_empty());
        assert!(s.groups_of("dave").is_empty());
        assert_eq!(
            s.group("g1")
                .map(|g| g.members.iter().cloned().collect::<Vec<_>>()),
            Some(vec!["erin".to_string()])
        );
        assert!(s.group("g2").is_some_and(|g| g.members.is_empty()));
    }
}

pub(crate) fn blob_compare_and_swap_across_nodes<S: IamStore>(store: Arc<S>) {
    let a = node(&store);
    let b = node(&store);
    assert_eq!(a.put_blob("k", 0, b"one").expect("create"), 1);
    // b's snapshot is stale (no blob) and it expects 0: the store guard makes it reload and lose.
    match b.put_blob("k", 0, b"other") {
        Err(IamError::BlobVersionMismatch { current: 1 }) => {}
        other => panic!("expected mismatch, got {other:?}"),
    }
    assert_eq!(b.put_blob("k", 1, b"two").expect("cas"), 2);
    a.refresh().expect("refresh");
    let blob = a.blob("k").expect("blob");
    assert_eq!((blob.version, blob.data.as_slice()), (2, &b"two"[..]));
}

/// What an etcd watcher does: feed another node's committed ops to `apply_external`. The result
/// must equal a full reload.
pub(crate) fn external_changes_apply_like_a_reload<S: IamStore>(store: Arc<S>) {
    let probe = Arc::new(Probe::new(store));
    let a = node(&probe);
    let b = node(&probe);
    a.add_user("alice", "alicesecret", Status::Enabled)
        .expect("add");
    a.add_user("bob", "bobsecret1", Status::Enabled)
        .expect("add");
    a.put_policy("getb", POLICY).expect("policy");
    a.add_group_members("g", &["alice", "bob"]).expect("group");
    a.attach_policies(&PolicyTarget::Group("g".into()), &["getb"])
        .expect("attach");
    a.add_service_account(NewServiceAccount::for_parent("bob"))
        .expect("sa");
    a.set_user_status("alice", Status::Disabled)
        .expect("status");
    a.remove_user("bob").expect("remove");
    a.put_blob("rev", 0, b"r").expect("blob");
    let changes = std::mem::take(&mut *probe.all.lock().unwrap_or_else(|p| p.into_inner()));
    assert!(changes.len() >= 9, "every admin op committed");
    for c in &changes {
        b.apply_external(&c.ops).expect("apply");
    }
    let reloaded = node(&probe);
    assert!(
        b.snapshot().state == reloaded.snapshot().state,
        "applying watched ops equals a full reload"
    );
    assert!(a.snapshot().state == reloaded.snapshot().state);
}
