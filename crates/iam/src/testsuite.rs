//! The conformance suite every [`IamStore`] implementation must pass (STYLE.md #8): run it from
//! the implementation's tests with a constructor that returns a fresh, empty store each call.
//!
//! ```ignore
//! strongbox_iam::testsuite::conformance_suite(|| MyStore::new_empty());
//! ```
//!
//! It panics with a message naming the failed property.

use std::sync::Arc;

use crate::store::{Change, Guard, IamStore, MAX_KEY_LEN, MAX_VALUE_LEN, Op, StoreError};

fn put(key: &str, value: &[u8]) -> Op {
    Op::Put {
        key: key.into(),
        value: value.to_vec(),
    }
}

fn del(key: &str) -> Op {
    Op::Delete { key: key.into() }
}

fn change(ops: Vec<Op>) -> Change {
    Change {
        guards: vec![],
        ops,
    }
}

fn guarded(guards: Vec<Guard>, ops: Vec<Op>) -> Change {
    Change { guards, ops }
}

fn guard(key: &str, expected: Option<&[u8]>) -> Guard {
    Guard {
        key: key.into(),
        expected: expected.map(<[u8]>::to_vec),
    }
}

fn kv(pairs: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
        .collect()
}

/// Runs every store-level property, then the IAM-level ones ([`iam_suite`]).
pub fn conformance_suite<S: IamStore>(make: impl Fn() -> S) {
    empty_store_loads_nothing(&make());
    round_trip_sorted(&make());
    delete_and_overwrite(&make());
    change_is_all_or_nothing_on_invalid_op(&make());
    guards(&make());
    guard_failure_applies_nothing(&make());
    limits(&make());
    concurrent_guarded_increments_lose_nothing(make());
    iam_suite(make);
}

fn empty_store_loads_nothing<S: IamStore>(s: &S) {
    assert_eq!(s.load().expect("load"), vec![], "a fresh store is empty");
    s.commit(&Change::default())
        .expect("an empty change commits");
    assert_eq!(
        s.load().expect("load"),
        vec![],
        "an empty change writes nothing"
    );
}

fn round_trip_sorted<S: IamStore>(s: &S) {
    let binary: &[u8] = &[0, 255, 1, 254, b'"', b'\\'];
    s.commit(&change(vec![
        put("users/zed", b"z"),
        put("users/alice", b"a"),
        put("policydb/users/alice", b""),
        put("groups/dev ops/x", binary),
        put("policies/\u{e9}t\u{e9}", "unicode \u{1f511}".as_bytes()),
    ]))
    .expect("commit");
    assert_eq!(
        s.load().expect("load"),
        kv(&[
            ("groups/dev ops/x", binary),
            ("policies/\u{e9}t\u{e9}", "unicode \u{1f511}".as_bytes()),
            ("policydb/users/alice", b""),
            ("users/alice", b"a"),
            ("users/zed", b"z"),
        ]),
        "load returns every record, byte-exact, sorted by key"
    );
}

fn delete_and_overwrite<S: IamStore>(s: &S) {
    s.commit(&change(vec![put("a", b"1"), put("b", b"1")]))
        .expect("commit");
    s.commit(&change(vec![
        put("a", b"2"),
        del("b"),
        del("never-existed"),
        put("c", b"1"),
        put("c", b"3"),
        put("d", b"1"),
        del("d"),
    ]))
    .expect("commit");
    assert_eq!(
        s.load().expect("load"),
        kv(&[("a", b"2"), ("c", b"3")]),
        "ops apply in order, later ops on a key win, deleting an absent key is fine"
    );
}

fn change_is_all_or_nothing_on_invalid_op<S: IamStore>(s: &S) {
    s.commit(&change(vec![put("keep", b"1")])).expect("commit");
    let bad_ops = [
        put("", b"empty key"),
        put(&"k".repeat(MAX_KEY_LEN + 1), b"long key"),
        put("big", &vec![7u8; MAX_VALUE_LEN + 1]),
        del(""),
    ];
    for bad in bad_ops {
        let err = s
            .commit(&change(vec![
                put("keep", b"2"),
                put("new1", b"x"),
                bad.clone(),
                put("new2", b"y"),
            ]))
            .expect_err("a change with an invalid op must fail");
        assert!(
            matches!(err, StoreError::InvalidChange(_)),
            "invalid op {bad:?} gives InvalidChange, got {err:?}"
        );
        assert_eq!(
            s.load().expect("load"),
            kv(&[("keep", b"1")]),
            "a failed change applies nothing, not even the ops before the bad one ({bad:?})"
        );
    }
}

fn guards<S: IamStore>(s: &S) {
    s.commit(&guarded(
        vec![guard("x", None)],
        vec![put("x", b"1"), put("y", b"1")],
    ))
    .expect("absent guard holds on an absent key");
    s.commit(&guarded(vec![guard("x", Some(b"1"))], vec![put("x", b"2")]))
        .expect("value guard holds on an equal value");
    s.commit(&guarded(
        vec![guard("x", Some(b"2")), guard("nope", None)],
        vec![del("y")],
    ))
    .expect("several guards that all hold");
    assert_eq!(s.load().expect("load"), kv(&[("x", b"2")]));
    let failing = [
        guard("x", None),
        guard("x", Some(b"1")),
        guard("x", Some(b"")),
        guard("absent", Some(b"")),
    ];
    for g in failing {
        let err = s
            .commit(&guarded(vec![g.clone()], vec![put("x", b"3")]))
            .expect_err("guard must fail");
        assert!(
            matches!(err, StoreError::GuardFailed(ref k) if *k == g.key),
            "{g:?} fails with GuardFailed naming its key, got {err:?}"
        );
    }
    assert_eq!(s.load().expect("load"), kv(&[("x", b"2")]));
}

fn guard_failure_applies_nothing<S: IamStore>(s: &S) {
    s.commit(&change(vec![put("a", b"1")])).expect("commit");
    let err = s
        .commit(&guarded(
            vec![guard("a", Some(b"1")), guard("b", Some(b"1"))],
            vec![put("a", b"2"), put("b", b"2"), put("c", b"2")],
        ))
        .expect_err("the second guard fails");
    assert!(matches!(err, StoreError::GuardFailed(_)), "{err:?}");
    assert_eq!(s.load().expect("load"), kv(&[("a", b"1")]));
}

fn limits<S: IamStore>(s: &S) {
    let key = "k".repeat(MAX_KEY_LEN);
    let value = vec![42u8; MAX_VALUE_LEN];
    s.commit(&change(vec![put(&key, &value)]))
        .expect("the largest key and value are accepted");
    let loaded = s.load().expect("load");
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].0, key);
    assert_eq!(loaded[0].1, value);
}

fn concurrent_guarded_increments_lose_nothing<S: IamStore>(s: S) {
    const THREADS: usize = 4;
    const EACH: usize = 15;
    let s = Arc::new(s);
    let read = |s: &S| -> (Option<Vec<u8>>, u64) {
        let all = s.load().expect("load");
        let cur = all
            .into_iter()
            .find(|(k, _)| k == "counter")
            .map(|(_, v)| v);
        let n = cur
            .as_deref()
            .map(|v| String::from_utf8_lossy(v).parse::<u64>().expect("number"))
            .unwrap_or(0);
        (cur, n)
    };
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            let s = Arc::clone(&s);
            scope.spawn(move || {
                let mut done = 0;
                while done < EACH {
                    let (cur, n) = read(&s);
                    let next = (n + 1).to_string().into_bytes();
                    match s.commit(&guarded(
                        vec![Guard {
                            key: "counter".into(),
                            expected: cur,
                        }],
                        vec![Op::Put {
                            key: "counter".into(),
                            value: next,
                        }],
                    )) {
                        Ok(()) => done += 1,
                        Err(StoreError::GuardFailed(_)) => continue,
                        Err(e) => panic!("unexpected store error {e:?}"),
                    }
                }
            });
        }
    });
    assert_eq!(
        read(&s).1,
        (THREADS * EACH) as u64,
        "guards are checked atomically with the ops: no lost update"
    );
}

/// IAM-level properties over a store shared by two [`crate::Iam`] instances (two nodes sharing
/// one etcd, or two handles on one database).
pub fn iam_suite<S: IamStore>(make: impl Fn() -> S) {
    crate::testsuite_iam::two_nodes_share_state(Arc::new(make()));
    crate::testsuite_iam::stale_node_conflict_is_retried(Arc::new(make()));
    crate::testsuite_iam::remove_user_is_one_change(Arc::new(make()));
    crate::testsuite_iam::blob_compare_and_swap_across_nodes(Arc::new(make()));
    crate::testsuite_iam::external_changes_apply_like_a_reload(Arc::new(make()));
}
