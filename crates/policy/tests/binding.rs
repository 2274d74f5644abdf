//! A set bound to a principal's constant values ([`PolicySet::bind`]) decides exactly as the set
//! it was bound from, given the same values: over generated policies, bindings (user names with
//! `*`, `?`, `$`, `{`, empty, absent) and requests.

mod common;

use std::sync::Arc;

use proptest::prelude::*;
use strongbox_policy::{Action, Binding, ConditionValues, Key, Policy, PolicySet, Request};

const ACTIONS: &[&str] = &[
    "s3:*",
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:Get*",
    "admin:*",
    "*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::*",
    "arn:aws:s3:::b1",
    "arn:aws:s3:::b1/*",
    "arn:aws:s3:::b2/x*",
    "arn:aws:s3:::b?/*",
    "arn:aws:s3:::${aws:username}",
    "arn:aws:s3:::${aws:username}/*",
    "arn:aws:s3:::b1/home/${aws:username}/*",
    "arn:aws:s3:::b1/home/${aws:username}",
    "arn:aws:s3:::b1/${aws:userid}?x*",
    "arn:aws:s3:::${aws:principaltype}-*",
    "arn:aws:s3:::b1/${aws:username}${aws:userid}/*",
    "arn:aws:s3:::a${*}b/${aws:username}",
    "arn:aws:s3:::${jwt:sub}/*",
    "arn:aws:s3:::b1/${jwt:sub}/${aws:username}*",
    "*",
];
/// Each with its own operator (an operator may appear once per statement).
const CONDITIONS: &[&str] = &[
    r#""StringEquals":{"aws:username":"bob"}"#,
    r#""StringLike":{"aws:username":"b*"}"#,
    r#""StringNotLike":{"aws:userid":"${aws:username}-*"}"#,
    r#""StringEqualsIgnoreCase":{"aws:username":"${aws:userid}"}"#,
    r#""StringNotEqualsIgnoreCase":{"aws:username":"BOB"}"#,
    r#""StringLikeIfExists":{"aws:UserAgent":"home/${aws:username}/*"}"#,
    r#""StringEqualsIfExists":{"aws:principaltype":"User"}"#,
    r#""StringNotEquals":{"aws:principaltype":["Account","${aws:username}"]}"#,
    r#""ForAnyValue:StringEquals":{"aws:username":["bob","b*",""]}"#,
    r#""ForAllValues:StringLike":{"aws:userid":["b?b","${aws:username}"]}"#,
    r#""Null":{"aws:username":"true","aws:userid":"false"}"#,
    r#""StringNotEqualsIfExists":{"aws:userid":"u1"}"#,
    r#""ForAnyValue:StringNotEquals":{"aws:username":"${jwt:sub}"}"#,
    r#""ForAnyValue:StringLike":{"jwt:sub":"${aws:username}*"}"#,
    r#""ForAllValues:StringNotLike":{"aws:groups":"${aws:username}-*"}"#,
    r#""StringNotLikeIfExists":{"aws:username":"${aws:userid}"}"#,
    r#""IpAddress":{"aws:SourceIp":"10.0.0.0/8"}"#,
    r#""DateGreaterThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}"#,
];
/// User names as a subject may have them: ordinary, with glob characters, with what looks like
/// a variable, empty.
const NAMES: &[&str] = &[
    "bob",
    "b*",
    "b?b",
    "",
    "${aws:userid}",
    "a{b",
    "$",
    "bob/x",
    "é",
];
const BUCKETS: &[&str] = &[
    "b1",
    "b2",
    "bob",
    "b*",
    "bxb",
    "b?b",
    "${aws:username}",
    "${aws:userid}",
    "a{b",
    "$",
    "User-x",
    "AssumedRole-1",
    "a*b",
    "",
];
const OBJECTS: &[Option<&str>] = &[
    None,
    Some("x"),
    Some("home/bob/k"),
    Some("home/b*/k"),
    Some("home/${aws:username}/k"),
    Some("home/"),
    Some("bobbob/k"),
    Some("bob"),
    Some("u1xy"),
    Some("sub/bob!"),
    Some(""),
];
const BINDABLE: [Key; 3] = [Key::AwsUsername, Key::AwsUserId, Key::AwsPrincipalType];

fn statement() -> impl Strategy<Value = String> {
    (
        prop::bool::ANY,
        prop::sample::subsequence(ACTIONS, 1..3),
        prop::sample::subsequence(RESOURCES, 1..3),
        any::<bool>(),
        prop::sample::subsequence(CONDITIONS, 0..3),
    )
        .prop_map(|(deny, actions, resources, not_resource, conds)| {
            common::statement_json(
                if deny { "Deny" } else { "Allow" },
                (false, &actions),
                (not_resource, &resources),
                &conds,
            )
        })
}

fn set_of(statements: &[String]) -> PolicySet {
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    );
    let p = Policy::parse(doc.as_bytes()).expect("generated policy parses");
    PolicySet::single("p", Arc::new(p))
}

/// Which keys are bound and to what: each bindable key bound or not, and when bound given a
/// value, several values, an empty value, or none.
fn binding() -> impl Strategy<Value = Binding> {
    (
        prop::collection::vec((any::<bool>(), 0..4usize, prop::sample::select(NAMES)), 3),
        prop::sample::select(&["User", "AssumedRole", "Account"][..]),
    )
        .prop_map(|(choices, kind)| {
            let mut keys = Vec::new();
            let mut values = ConditionValues::new();
            for (key, (bound, how, name)) in BINDABLE.iter().zip(choices) {
                if !bound {
                    continue;
                }
                keys.push(*key);
                let value = if *key == Key::AwsPrincipalType {
                    kind
                } else {
                    name
                };
                match how {
                    0 => {
                        values.set_shared(*key, Arc::from(value));
                    }
                    1 => {
                        values.set_key(*key, [value, "other"]);
                    }
                    2 => {
                        values.set_one(*key, value.to_owned());
                    }
                    // Bound to being absent.
                    _ => {}
                }
            }
            Binding::new(&keys, values)
        })
}

/// A request's values: identity keys (overridden by the binding where bound), and others.
fn values() -> impl Strategy<Value = ConditionValues> {
    (
        prop::option::of(prop::sample::select(NAMES)),
        prop::option::of(prop::sample::select(NAMES)),
        prop::option::of(prop::sample::select(&["User", "AssumedRole"][..])),
        prop::option::of(prop::sample::select(
            &["home/bob/x", "home/b*/x", "home/"][..],
        )),
        prop::option::of(prop::sample::select(&["bob", "b*", "sub"][..])),
        any::<bool>(),
    )
        .prop_map(|(user, id, kind, prefix, sub, inside)| {
            let mut v = ConditionValues::new();
            let pairs = [
                ("aws:username", user),
                ("aws:userid", id),
                ("aws:principaltype", kind),
                ("aws:UserAgent", prefix),
                ("jwt:sub", sub),
            ];
            for (key, value) in pairs {
                if let Some(value) = value {
                    v.insert(key, value);
                }
            }
            v.set("aws:groups", ["bob-devs", "ops"]);
            v.insert(
                "aws:SourceIp",
                if inside { "10.1.2.3" } else { "192.0.2.1" },
            );
            v.insert("aws:CurrentTime", "2026-01-01T00:00:00Z");
            v
        })
}

fn request() -> impl Strategy<Value = (Action, &'static str, Option<&'static str>)> {
    (
        prop::sample::select(
            &[
                Action::GetObject,
                Action::PutObject,
                Action::ListBucket,
                Action::AdminServerInfo,
            ][..],
        ),
        prop::sample::select(BUCKETS),
        prop::sample::select(OBJECTS),
    )
}

/// Only the values of keys `set` reads.
fn only_read(set: &PolicySet, values: &ConditionValues) -> ConditionValues {
    let mut out = ConditionValues::new();
    for (key, vs) in values.iter().filter(|(k, _)| set.reads().reads(k)) {
        out.set(key, vs.iter().map(String::as_str));
    }
    out
}

fn check(
    stmts: &[String],
    binding: Binding,
    values: &ConditionValues,
    (action, bucket, object): (Action, &str, Option<&str>),
) -> Result<(), TestCaseError> {
    let set = set_of(stmts);
    let bound = set.bind(Arc::new(binding.clone()));
    // The request as the server builds it: the bound keys hold the bound values.
    let applied = binding.apply(values);
    let req = |v| Request::new(action, bucket, object, v);
    let want = set.evaluate(&req(&applied));
    prop_assert_eq!(bound.evaluate(&req(&applied)), want);
    // Only what the bound set reads is needed.
    let read = only_read(&bound, &applied);
    prop_assert_eq!(bound.evaluate(&req(&read)), want);
    prop_assert_eq!(bound.evaluate_scanning_all(&req(&read)), want);
    prop_assert_eq!(
        bound.explicit_deny(&req(&read)),
        set.explicit_deny(&req(&applied))
    );
    // It reads no more than the set it was bound from.
    for key in bound.reads().iter() {
        prop_assert!(set.reads().reads(key), "{key} read only once bound");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Small sets, scanned.
    #[test]
    fn a_bound_set_decides_as_its_set(
        stmts in prop::collection::vec(statement(), 0..6),
        binding in binding(),
        values in values(),
        r in request(),
    ) {
        check(&stmts, binding, &values, r)?;
    }

    /// Sets large enough to be indexed: the bound set shares the index of its set.
    #[test]
    fn a_bound_indexed_set_decides_as_its_set(
        stmts in prop::collection::vec(statement(), 8..24),
        binding in binding(),
        values in values(),
        r in request(),
    ) {
        check(&stmts, binding, &values, r)?;
    }

    /// Binding twice is binding once to both (the first binding's keys keep its values), and
    /// adding a policy to a bound set binds it too.
    #[test]
    fn bindings_compose_and_bind_what_is_added(
        a in prop::collection::vec(statement(), 0..8),
        b in prop::collection::vec(statement(), 0..8),
        first in binding(),
        second in binding(),
        values in values(),
        (action, bucket, object) in request(),
    ) {
        let set = set_of(&a);
        let twice = set.bind(Arc::new(first.clone())).bind(Arc::new(second.clone()));
        let applied = first.apply(&second.apply(&values));
        let req = |v| Request::new(action, bucket, object, v);
        let want = set.evaluate(&req(&applied));
        let read = only_read(&twice, &applied);
        prop_assert_eq!(twice.evaluate(&req(&read)), want);

        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, b.join(","));
        let more = Arc::new(Policy::parse(doc.as_bytes()).unwrap());
        let mut unbound = set.clone();
        unbound.add("q", Arc::clone(&more));
        let mut bound = set.bind(Arc::new(first.clone()));
        bound.add("q", more);
        let applied = first.apply(&values);
        let read = only_read(&bound, &applied);
        prop_assert_eq!(bound.evaluate(&req(&read)), unbound.evaluate(&req(&applied)));
    }
}

/// The benchmark's shape: a home directory under `${aws:username}`. Bound to the user, the set
/// no longer reads the user name, and the name is matched as text, never as a pattern.
#[test]
fn a_home_directory_is_bound_to_its_user() {
    let set = set_of(&[
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bench/home/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}"#.to_owned(),
        r#"{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*","Condition":{"StringEquals":{"aws:principaltype":"Anonymous"}}}"#.to_owned(),
    ]);
    assert!(set.reads().reads("aws:username"));
    let bind = |name: &str| {
        let mut v = ConditionValues::new();
        v.set_shared(Key::AwsUsername, Arc::from(name))
            .set_shared(Key::AwsUserId, Arc::from(name))
            .set_one(Key::AwsPrincipalType, "User");
        set.bind(Arc::new(Binding::new(&BINDABLE, v)))
    };
    let mut values = ConditionValues::new();
    values.set_source_ip("127.0.0.1".parse().unwrap());
    let get = |s: &PolicySet, object| {
        s.evaluate(&Request::new(
            Action::GetObject,
            "bench",
            Some(object),
            &values,
        ))
        .is_allowed()
    };
    let bob = bind("bob");
    assert_eq!(bob.reads().iter().collect::<Vec<_>>(), ["aws:sourceip"]);
    assert!(get(&bob, "home/bob/k"));
    assert!(!get(&bob, "home/bo/k"));
    assert!(!get(&bob, "home/alice/k"));
    let star = bind("b*");
    assert!(get(&star, "home/b*/k"));
    assert!(
        !get(&star, "home/bob/k"),
        "a `*` in a name is not a wildcard"
    );
    let q = bind("b?b");
    assert!(!get(&q, "home/bob/k"), "a `?` in a name is not a wildcard");
    // An empty name leaves the variable as its text, as when resolved per request.
    let empty = bind("");
    assert!(get(&empty, "home/${aws:username}/k"));
    assert!(!get(&empty, "home//k"));
}
