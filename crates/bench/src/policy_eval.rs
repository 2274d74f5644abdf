//! `policy-eval`: nanoseconds per policy decision, in process, with `strongbox-policy` as the
//! server uses it (a compiled `PolicySet`, a `Request` built per decision, the condition values a
//! header-signed GetObject from 127.0.0.1 carries). Cases: the canned `readwrite` policy and the
//! 50-statement policy of [`crate::policy50`], allowed by its last statement and refused by none
//! (every statement checked). Inputs and outputs go through `black_box`, so nothing is folded away.

use crate::policy50::{self, BUCKET, DECIDING_STATEMENT, USER};
use crate::report::Report;
use anyhow::{Context, Result, ensure};
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strongbox_policy::{Action, ConditionValues, Decision, Key, Policy, PolicySet, Request};

/// Decisions per timed batch.
const BATCH: u64 = 2_000;
/// Trials per case; the median is reported (robust against bursts of other work).
const TRIALS: usize = 7;
/// Time per trial.
const TRIAL_TIME: Duration = Duration::from_millis(300);

/// What the server puts in the condition values of a header-signed GetObject by `user`, built the
/// way the server builds them (typed source address and clock, constants not copied), so the
/// figure includes what building them costs the server per decision.
pub fn request_values(user: &str) -> ConditionValues {
    let now = time::OffsetDateTime::from_unix_timestamp(1_795_917_600)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let mut v = ConditionValues::new();
    v.set_current_time(now)
        .set_epoch_time(now)
        .set_source_ip(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
        .set_one(Key::AwsSecureTransport, "false")
        .set_one(Key::AwsUserAgent, "strongbox-bench")
        .set_one(Key::S3SignatureVersion, "AWS4-HMAC-SHA256")
        .set_one(Key::S3AuthType, "REST-HEADER")
        .set_one(Key::S3ContentSha256, crate::sigv4::EMPTY_PAYLOAD_SHA256)
        .set_one(Key::AwsPrincipalType, "User")
        .set_one(Key::AwsUsername, user.to_owned())
        .set_one(Key::AwsUserId, user.to_owned())
        .set_key(Key::AwsGroups, std::iter::empty::<&str>());
    v
}

struct Case {
    key: &'static str,
    label: &'static str,
    set: PolicySet,
    user: &'static str,
    /// The statement index that must decide (`None`: implicit deny).
    expect: Option<usize>,
}

/// One decision as the server makes it: build the request, evaluate.
fn decide<'a>(set: &'a PolicySet, values: &ConditionValues, object: &str) -> Decision<'a> {
    set.evaluate(&Request::new(
        Action::GetObject,
        black_box(BUCKET),
        Some(black_box(object)),
        black_box(values),
    ))
}

/// Median ns per decision over [`TRIALS`] trials.
fn time_case(case: &Case, object: &str) -> (f64, Vec<f64>) {
    let values = request_values(case.user);
    let mut trials = Vec::with_capacity(TRIALS);
    for _ in 0..TRIALS {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < TRIAL_TIME {
            for _ in 0..BATCH {
                let _ = black_box(decide(black_box(&case.set), &values, object));
            }
            n += BATCH;
        }
        trials.push(start.elapsed().as_nanos() as f64 / n as f64);
    }
    let mut sorted = trials.clone();
    sorted.sort_by(f64::total_cmp);
    (sorted[TRIALS / 2], trials)
}

pub fn run(report: &mut Report) -> Result<()> {
    let readwrite = strongbox_policy::canned_policy("readwrite").context("canned readwrite")?;
    let fifty = Policy::parse(policy50::document().as_bytes())
        .map_err(|e| anyhow::anyhow!("the 50-statement policy does not parse: {e}"))?;
    let fifty = Arc::new(fifty);
    let cases = [
        Case {
            key: "policy_eval_readwrite_ns",
            label: "policy decision, canned readwrite (Allow)",
            set: PolicySet::single("readwrite", Arc::new(readwrite)),
            user: USER,
            expect: Some(0),
        },
        Case {
            key: "policy_eval_50stmt_ns",
            label: "policy decision, 50 statements (Allow by #49)",
            set: PolicySet::single(policy50::POLICY_NAME, Arc::clone(&fifty)),
            user: USER,
            expect: Some(DECIDING_STATEMENT),
        },
        Case {
            key: "policy_eval_50stmt_implicit_deny_ns",
            label: "policy decision, 50 statements (no statement applies)",
            set: PolicySet::single(policy50::POLICY_NAME, fifty),
            user: "someone-else",
            expect: None,
        },
    ];
    let object = format!("home/{USER}/object-4k");
    for case in &cases {
        // The decision must be the intended one, or the timing measures the wrong path.
        let values = request_values(case.user);
        let d = decide(&case.set, &values, &object);
        let got = d.statement().map(|s| s.index);
        ensure!(
            got == case.expect && d.is_allowed() == case.expect.is_some(),
            "{}: decision was {d}, expected statement {:?}",
            case.label,
            case.expect
        );
        let (ns, trials) = time_case(case, &object);
        println!("  {}: {ns:.0} ns/decision ({d})", case.label);
        report.measure(case.key, case.label, ns, "ns");
        report.detail(case.key, json!({ "median_ns": ns, "trials_ns": trials }));
    }
    for (key, meaning) in [
        (
            "policy_eval_readwrite_ns",
            "ns per decision, canned readwrite",
        ),
        (
            "policy_eval_50stmt_ns",
            "ns per decision, 50-statement policy, allowed by its last statement",
        ),
        (
            "policy_eval_50stmt_implicit_deny_ns",
            "ns per decision, 50-statement policy, no statement applies",
        ),
    ] {
        if let Some(v) = report.value(key) {
            report.info(key, v, meaning);
        }
    }
    Ok(())
}
