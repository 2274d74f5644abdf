//! `policy-eval`: nanoseconds per policy decision, in process, with `strongbox-policy` as the
//! server uses it (a compiled `PolicySet`, a `Request` built per decision, the condition values a
//! header-signed GetObject from 127.0.0.1 carries). Cases: the canned `readwrite` policy and the
//! 50-statement policy of [`crate::policy50`], allowed by its last statement and refused by none
//! (every statement checked); and the allowed 50-statement case again with cold caches (4 MiB of other data written
//! before each decision, as a server's other work does between two). Inputs and outputs go
//! through `black_box`, so nothing is folded away.

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

/// Bytes read between two cold decisions: more than this machine's per-core caches hold, as a
/// server request's own work (HTTP, TLS, the object) passes through them between decisions.
const EVICT_BYTES: usize = 4 << 20;
/// Cold decisions per trial.
const COLD_DECISIONS: usize = 2_000;

/// Median ns per decision when the caches were filled with other data just before each one
/// (the server's situation: its policy data is not in L1/L2 when a request reaches it). Only
/// the decision is timed.
fn time_cold(case: &Case, object: &str) -> (f64, Vec<f64>) {
    let values = request_values(case.user);
    let mut other = vec![0u8; EVICT_BYTES];
    let mut trials = Vec::with_capacity(TRIALS);
    for trial in 0..TRIALS {
        let mut total = Duration::ZERO;
        for i in 0..COLD_DECISIONS {
            // Write every cache line of the other data (writes, so the lines are owned).
            for at in (0..EVICT_BYTES).step_by(64) {
                other[at] = other[at].wrapping_add((trial + i) as u8);
            }
            black_box(&other);
            let start = Instant::now();
            let _ = black_box(decide(black_box(&case.set), &values, object));
            total += start.elapsed();
        }
        trials.push(total.as_nanos() as f64 / COLD_DECISIONS as f64);
    }
    let mut sorted = trials.clone();
    sorted.sort_by(f64::total_cmp);
    (sorted[TRIALS / 2], trials)
}

/// The cost of timing nothing, as [`time_cold`] times a decision.
fn timer_ns() -> f64 {
    let start = Instant::now();
    let mut total = Duration::ZERO;
    let mut n = 0u32;
    while start.elapsed() < TRIAL_TIME {
        let t = Instant::now();
        black_box(n);
        total += t.elapsed();
        n += 1;
    }
    total.as_nanos() as f64 / f64::from(n.max(1))
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
    // The deciding case again with cold caches: what a decision costs the server, whose
    // requests pass other data through the caches between decisions.
    let cold = &cases[1];
    let timer = timer_ns();
    let (ns, trials) = time_cold(cold, &object);
    let ns = (ns - timer).max(0.0);
    let key = "policy_eval_50stmt_cold_ns";
    let label = "policy decision, 50 statements (Allow by #49), caches cold";
    println!("  {label}: {ns:.0} ns/decision (timer {timer:.0} ns subtracted)");
    report.measure(key, label, ns, "ns");
    report.detail(
        key,
        json!({ "median_ns": ns, "trials_ns": trials, "timer_ns": timer }),
    );
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
        (
            "policy_eval_50stmt_cold_ns",
            "ns per decision, 50-statement policy, caches filled with other data before each",
        ),
    ] {
        if let Some(v) = report.value(key) {
            report.info(key, v, meaning);
        }
    }
    Ok(())
}
