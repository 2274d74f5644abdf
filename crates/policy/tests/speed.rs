//! Sanity check that evaluation costs microseconds: a 50-statement policy with conditions and
//! variables. Prints ns/decision (`cargo test --release -p strongbox-policy --test speed -- --nocapture`).
//! The bound is loose enough for an unoptimised build on a busy machine; the benchmark crate measures
//! properly.

use std::sync::Arc;
use std::time::Instant;

use strongbox_policy::{Action, ConditionValues, Policy, PolicySet, Request, canned_policy};

/// A 50-statement policy: 45 Allow statements with variables and conditions, 5 Deny statements.
pub fn fifty_statement_policy() -> String {
    let mut stmts = Vec::new();
    for i in 0..45 {
        stmts.push(format!(
            r#"{{"Sid":"team{i}","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],
              "Resource":["arn:aws:s3:::team{i}","arn:aws:s3:::team{i}/${{aws:username}}/*"],
              "Condition":{{"IpAddress":{{"aws:SourceIp":["10.{i}.0.0/16","192.0.2.0/24"]}},
                           "Bool":{{"aws:SecureTransport":"true"}},
                           "ForAnyValue:StringEquals":{{"aws:groups":["g{i}","staff"]}}}}}}"#
        ));
    }
    for i in 0..5 {
        stmts.push(format!(
            r#"{{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::team{i}/*",
              "Condition":{{"StringNotLike":{{"aws:username":"admin-*"}}}}}}"#
        ));
    }
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        stmts.join(",")
    )
}

fn ns_per_decision(set: &PolicySet, req: &Request<'_>, expect: bool) -> f64 {
    let n = 20_000u32;
    let start = Instant::now();
    for _ in 0..n {
        assert_eq!(
            std::hint::black_box(set.evaluate(std::hint::black_box(req))).is_allowed(),
            expect
        );
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

#[test]
fn evaluation_costs_microseconds() {
    let big = Policy::parse(fifty_statement_policy().as_bytes()).unwrap();
    assert_eq!(big.statements().len(), 50);
    let big = PolicySet::single("fifty", Arc::new(big));
    let rw = PolicySet::single("readwrite", Arc::new(canned_policy("readwrite").unwrap()));
    let ctx = ConditionValues::new()
        .with("aws:username", "bob")
        .with("aws:groups", "staff")
        .with("aws:SourceIp", "192.0.2.9")
        .with("aws:SecureTransport", "true")
        .with("aws:CurrentTime", "2024-06-01T00:00:00Z");
    // Worst case: the last Allow statement decides, after all Deny statements were tried.
    let last = Request::new(Action::GetObject, "team44", Some("bob/report.csv"), &ctx);
    let none = Request::new(Action::GetObject, "other", Some("bob/report.csv"), &ctx);
    let simple = Request::new(Action::GetObject, "b", Some("k"), &ctx);
    let t_last = ns_per_decision(&big, &last, true);
    let t_none = ns_per_decision(&big, &none, false);
    let t_rw = ns_per_decision(&rw, &simple, true);
    println!(
        "readwrite: {t_rw:.0} ns/decision; 50 statements, last decides: {t_last:.0} ns; none matches: {t_none:.0} ns"
    );
    for t in [t_last, t_none, t_rw] {
        assert!(t < 200_000.0, "{t} ns per decision");
    }
}
