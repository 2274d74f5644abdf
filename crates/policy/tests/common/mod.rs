//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use strongbox_policy::{Action, ConditionValues, Decision, Policy, PolicySet, Principal, Request};

pub fn policy(json: &str) -> Policy {
    Policy::parse(json.as_bytes()).unwrap_or_else(|e| panic!("policy must parse: {e}\n{json}"))
}

pub fn set(json: &str) -> PolicySet {
    PolicySet::single("test", Arc::new(policy(json)))
}

pub fn bucket_set(json: &str) -> PolicySet {
    let p = Policy::parse_bucket(json.as_bytes())
        .unwrap_or_else(|e| panic!("bucket policy must parse: {e}"));
    PolicySet::single("bucket", Arc::new(p))
}

pub fn ctx(pairs: &[(&str, &str)]) -> ConditionValues {
    let mut c = ConditionValues::new();
    for (k, v) in pairs {
        c.insert(k, *v);
    }
    c
}

/// `"bucket"` or `"bucket/key"`.
fn split(resource: &str) -> (&str, Option<&str>) {
    match resource.split_once('/') {
        Some((b, k)) => (b, Some(k)),
        None => (resource, None),
    }
}

pub fn decide<'a>(
    set: &'a PolicySet,
    action: Action,
    resource: &str,
    c: &ConditionValues,
) -> Decision<'a> {
    let (b, k) = split(resource);
    set.evaluate(&Request::new(action, b, k, c))
}

pub fn allowed(set: &PolicySet, action: Action, resource: &str, c: &ConditionValues) -> bool {
    decide(set, action, resource, c).is_allowed()
}

pub fn anonymous<'a>(
    set: &'a PolicySet,
    action: Action,
    resource: &str,
    c: &ConditionValues,
) -> Decision<'a> {
    let (b, k) = split(resource);
    set.evaluate_bucket(&Request::new(action, b, k, c), Principal::Anonymous)
}
