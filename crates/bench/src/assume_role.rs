//! `assume-role`: AssumeRole requests/s at N connections against the trivial hyper floor.
//! Every request is signed when it is sent (its own `x-amz-date` and signature), by the IAM user
//! holding the 50-statement policy. The floor is sent the very same requests and answers a body
//! as long as a real AssumeRole answer. The per-parent issuance rate limit is raised for the run
//! (one parent issuing flat out is exactly what it exists to stop).

use crate::get4k::{Side, Target};
use crate::iam_fixture::IamFixture;
use crate::load::{Expect, LoadConfig};
use crate::report::Report;
use crate::servers::Setup;
use crate::sts_client::{self, AssumeRoleRequests};
use anyhow::{Context, Result, ensure};
use std::sync::Arc;

/// The server's issuance rate limit knobs (crates/server/src/sts/config.rs) and the values the
/// STS benchmarks set: far above what one machine can issue, so the limiter never answers.
pub const RATE_LIMIT_ENV: [(&str, &str); 2] = [
    ("STRONGBOX_STS_RATE_LIMIT", "1000000000"),
    ("STRONGBOX_STS_RATE_BURST", "1000000000"),
];

/// Lifetime asked for each credential (the minimum: nothing is stored either way).
pub const DURATION_SECS: u32 = 900;

const FLOOR: Side = Side {
    label: "floor (hyper, AssumeRole-sized answer)",
    detail_key: "assume_role_floor",
    rps_key: "assume_role_floor_rps",
    cpu_key: "assume_role_floor_cpu_us_per_req",
};
const STRONGBOX: Side = Side {
    label: "strongbox AssumeRole (IAM user, re-signed)",
    detail_key: "assume_role",
    rps_key: "assume_role_rps",
    cpu_key: "assume_role_cpu_us_per_req",
};

pub fn announce_rate_limit() -> String {
    let set: Vec<String> = RATE_LIMIT_ENV
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "STS issuance rate limit raised for this run: {} (default 10/s, burst 100)",
        set.join(" ")
    )
}

pub async fn run(setup: &Setup, cfg: LoadConfig, rounds: u32, report: &mut Report) -> Result<()> {
    println!("  {}", announce_rate_limit());
    let fx = IamFixture::start(setup, "assume-role-data", &RATE_LIMIT_ENV).await?;
    let (_, answer_len) = sts_client::assume_role(&fx.user, DURATION_SECS)
        .await
        .with_context(|| format!("AssumeRole; server output:\n{}", fx.server.log_tail()))?;
    let floor = Arc::new(setup.start_floor(answer_len)?);
    let requests = |addr: std::net::SocketAddr| {
        Arc::new(AssumeRoleRequests::new(
            fx.user.creds().clone(),
            addr.to_string(),
            setup.region.clone(),
            DURATION_SECS,
        ))
    };
    let mut targets = [
        Target::new(
            FLOOR,
            Arc::clone(&floor),
            requests(floor.addr),
            Expect::Len(answer_len as u64),
        ),
        Target::new(
            STRONGBOX,
            Arc::clone(&fx.server),
            requests(fx.server.addr),
            Expect::Credentials,
        ),
    ];
    for round in 1..=rounds {
        println!(
            "AssumeRole round {round}/{rounds}: {} connections, {:?} warm-up + {:?} measured, answer {answer_len} bytes",
            cfg.connections, cfg.warmup, cfg.duration
        );
        for target in &mut targets {
            target.measure(cfg).await?;
        }
    }
    let distinct = targets[1].distinct_keys();
    let good = targets[1].good_responses();
    ensure!(
        distinct == good,
        "AssumeRole: {good} good answers but {distinct} distinct access keys"
    );
    println!("  {good} AssumeRole answers, {distinct} distinct access keys");
    let rps: Vec<f64> = targets.iter().map(|t| t.record(cfg, report)).collect();
    report.ratio_untargeted("assume_role_vs_floor", rps[1] / rps[0]);
    if let (Some(f), Some(s)) = (report.value(FLOOR.cpu_key), report.value(STRONGBOX.cpu_key)) {
        report.info(
            "assume_role_cpu_floor_vs_strongbox",
            f / s,
            "floor server CPU per request / Strongbox's per AssumeRole",
        );
    }
    report.note(announce_rate_limit());
    Ok(())
}
