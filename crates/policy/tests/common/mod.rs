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

/// One statement's JSON, as the property tests generate it: `Action` or `NotAction`,
/// `Resource` or `NotResource`, and a `Condition` block made of `conditions` (each
/// `"Operator":{...}`) when there are any.
pub fn statement_json(
    effect: &str,
    (not_action, actions): (bool, &[&str]),
    (not_resource, resources): (bool, &[&str]),
    conditions: &[&str],
) -> String {
    let list = |v: &[&str]| {
        v.iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut s = format!(
        r#"{{"Effect":"{effect}","{}":[{}],"{}":[{}]"#,
        if not_action { "NotAction" } else { "Action" },
        list(actions),
        if not_resource {
            "NotResource"
        } else {
            "Resource"
        },
        list(resources)
    );
    if !conditions.is_empty() {
        s.push_str(&format!(r#","Condition":{{{}}}"#, conditions.join(",")));
    }
    s.push('}');
    s
}
