//! `authz-latency`: what an external authoriser adds to each S3 request. Two Strongbox servers,
//! the same 4 KiB object and the same root-signed GetObject replayed: one decides with its IAM
//! policies, the other asks an OPA-style authoriser (`MINIO_POLICY_OPA_URL`, here this binary's
//! `plugin-server --kind authz`, answering `{"result": true}` to MinIO's input document) on every
//! request. Rounds alternate plain, OPA, plain, ... at `--connections` (throughput and latency
//! under load), then again at one connection (latency alone, no queueing): the difference of the
//! one-connection medians is the added latency per request.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::get4k::{BUCKET, OBJECT_LEN, put_and_check, signed_get};
use crate::load::{self, Expect, LoadConfig, LoadResult};
use crate::plugin_server::{self, Kind};
use crate::process::ServerProcess;
use crate::report::Report;
use crate::s3client::S3Client;
use crate::servers::Setup;

const KEY: &str = "authz/object";

/// One server under test and its rounds at each concurrency.
struct Side {
    name: &'static str,
    server: ServerProcess,
    request: Arc<load::RequestTemplate>,
    loaded: Vec<LoadResult>,
    single: Vec<LoadResult>,
}

/// Figures over rounds: requests/s (all good responses / all measured time) and the mean of the
/// rounds' p50 and p99 latencies, and server CPU per request.
#[derive(Clone, Copy)]
struct Summary {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us: Option<f64>,
}

fn summary(rounds: &[LoadResult]) -> Summary {
    let ok: u64 = rounds.iter().map(|r| r.measured_ok).sum();
    let secs: f64 = rounds.iter().map(|r| r.elapsed.as_secs_f64()).sum();
    let n = rounds.len().max(1) as f64;
    let cpu: Option<f64> = rounds
        .iter()
        .map(|r| r.server_cpu.map(|c| c.as_secs_f64()))
        .sum();
    Summary {
        rps: ok as f64 / secs.max(f64::MIN_POSITIVE),
        p50_us: rounds.iter().map(|r| f64::from(r.p50_us)).sum::<f64>() / n,
        p99_us: rounds.iter().map(|r| f64::from(r.p99_us)).sum::<f64>() / n,
        cpu_us: cpu.map(|c| c * 1e6 / ok.max(1) as f64),
    }
}

async fn start_side(setup: &Setup, name: &'static str, env: &[(&str, &str)]) -> Result<Side> {
    let server = setup.start_strongbox(&setup.work_dir.join(format!("authz-{name}-data")), env)?;
    println!(
        "  {name}: strongbox pid {} at {}",
        server.pid(),
        server.addr
    );
    let client = S3Client::new(server.addr, &setup.region, setup.creds.clone());
    let path = format!("/{BUCKET}/{KEY}");
    put_and_check(&client, BUCKET, &path)
        .await
        .with_context(|| format!("{name} set-up; server output:\n{}", server.log_tail()))?;
    Ok(Side {
        name,
        server,
        request: Arc::new(signed_get(&client, &path)?),
        loaded: Vec::new(),
        single: Vec::new(),
    })
}

async fn measure(side: &Side, cfg: LoadConfig) -> Result<LoadResult> {
    let r = load::run(
        side.server.addr,
        side.server.pid(),
        Arc::clone(&side.request) as Arc<dyn load::MakeRequest>,
        Expect::Len(OBJECT_LEN as u64),
        cfg,
    )
    .await
    .with_context(|| format!("{}; server output:\n{}", side.name, side.server.log_tail()))?;
    if !r.is_valid() {
        bail!(
            "{}: run INVALID: {} of {} responses were not 200 with {OBJECT_LEN} bytes (first: {}); server output:\n{}",
            side.name,
            r.bad,
            r.total,
            r.first_bad.as_deref().unwrap_or("no good responses at all"),
            side.server.log_tail()
        );
    }
    println!(
        "  {} ({} conns): {:.0} req/s, p50 {} us, p99 {} us, server CPU {} us/req",
        side.name,
        cfg.connections,
        r.requests_per_sec(),
        r.p50_us,
        r.p99_us,
        r.server_cpu_us_per_req()
            .map_or_else(|| "?".into(), |c| format!("{c:.1}"))
    );
    Ok(r)
}

pub async fn run(setup: &Setup, cfg: LoadConfig, rounds: u32, report: &mut Report) -> Result<()> {
    let opa = plugin_server::start(Kind::Authz)?;
    let opa_url = format!("http://{}/v1/data/strongbox/allow", opa.addr);
    println!("  OPA-style authoriser at {opa_url}");
    let mut sides = [
        start_side(setup, "plain", &[]).await?,
        start_side(setup, "opa", &[("MINIO_POLICY_OPA_URL", opa_url.as_str())]).await?,
    ];
    let single = LoadConfig {
        connections: 1,
        ..cfg
    };
    for round in 1..=rounds {
        println!(
            "authz-latency round {round}/{rounds}: 4 KiB GetObject by root, {} connections then 1, {:?} warm-up + {:?} measured",
            cfg.connections, cfg.warmup, cfg.duration
        );
        for side in &mut sides {
            let r = measure(side, cfg).await?;
            side.loaded.push(r);
        }
        for side in &mut sides {
            let r = measure(side, single).await?;
            side.single.push(r);
        }
    }
    let (established, time_wait) = plugin_server::sockets_on_port(opa.addr.port());
    println!(
        "  connections to the authoriser after the last round: {established} established, {time_wait} in TIME_WAIT"
    );
    let [plain, with] = &sides;
    let (pl, wl) = (summary(&plain.loaded), summary(&with.loaded));
    let (p1, w1) = (summary(&plain.single), summary(&with.single));
    let n = cfg.connections;
    for (key, label, value, unit) in [
        (
            "authz_plain_rps",
            format!("GetObject 4 KiB, IAM policies, {n} conns"),
            pl.rps,
            "req/s",
        ),
        (
            "authz_opa_rps",
            format!("GetObject 4 KiB, OPA authoriser, {n} conns"),
            wl.rps,
            "req/s",
        ),
        (
            "authz_plain_p50_us",
            format!("  IAM policies, {n} conns, p50"),
            pl.p50_us,
            "us",
        ),
        (
            "authz_opa_p50_us",
            format!("  OPA authoriser, {n} conns, p50"),
            wl.p50_us,
            "us",
        ),
        (
            "authz_plain_p99_us",
            format!("  IAM policies, {n} conns, p99"),
            pl.p99_us,
            "us",
        ),
        (
            "authz_opa_p99_us",
            format!("  OPA authoriser, {n} conns, p99"),
            wl.p99_us,
            "us",
        ),
        (
            "authz_plain_1conn_rps",
            "GetObject 4 KiB, IAM policies, 1 conn".into(),
            p1.rps,
            "req/s",
        ),
        (
            "authz_opa_1conn_rps",
            "GetObject 4 KiB, OPA authoriser, 1 conn".into(),
            w1.rps,
            "req/s",
        ),
        (
            "authz_plain_1conn_p50_us",
            "  IAM policies, 1 conn, p50".into(),
            p1.p50_us,
            "us",
        ),
        (
            "authz_opa_1conn_p50_us",
            "  OPA authoriser, 1 conn, p50".into(),
            w1.p50_us,
            "us",
        ),
        (
            "authz_plain_1conn_p99_us",
            "  IAM policies, 1 conn, p99".into(),
            p1.p99_us,
            "us",
        ),
        (
            "authz_opa_1conn_p99_us",
            "  OPA authoriser, 1 conn, p99".into(),
            w1.p99_us,
            "us",
        ),
    ] {
        report.measure(key, label, value, unit);
    }
    if let (Some(a), Some(b)) = (pl.cpu_us, wl.cpu_us) {
        report.measure(
            "authz_plain_cpu_us_per_req",
            "  IAM policies, server CPU/request",
            a,
            "us",
        );
        report.measure(
            "authz_opa_cpu_us_per_req",
            "  OPA authoriser, server CPU/request",
            b,
            "us",
        );
        report.info(
            "authz_added_server_cpu_us_per_req",
            b - a,
            "Strongbox CPU per GetObject with the authoriser minus without (the authoriser's own CPU not included)",
        );
    }
    report.ratio_untargeted("authz_opa_vs_plain", wl.rps / pl.rps);
    report.info(
        "authz_added_latency_us_1conn_p50",
        w1.p50_us - p1.p50_us,
        "median GetObject latency at one connection, with the authoriser minus without",
    );
    report.info(
        "authz_added_latency_us_1conn_p99",
        w1.p99_us - p1.p99_us,
        "p99 GetObject latency at one connection, with the authoriser minus without",
    );
    report.info(
        "authz_added_time_us_per_req_loaded",
        1e6 / wl.rps - 1e6 / pl.rps,
        "1/throughput with the authoriser minus without, at --connections (machine time per request)",
    );
    report.info(
        "authz_conns_established",
        established as f64,
        "TCP connections to the authoriser open after the last round",
    );
    report.info(
        "authz_conns_time_wait",
        time_wait as f64,
        "TCP connections to the authoriser in TIME_WAIT (a connection per call: thousands)",
    );
    report.detail(
        "authz_latency",
        json!({
            "connections": n,
            "rounds": rounds,
            "plain": {"loaded": rounds_json(&plain.loaded), "one_connection": rounds_json(&plain.single)},
            "opa": {"loaded": rounds_json(&with.loaded), "one_connection": rounds_json(&with.single)},
        }),
    );
    report.note(
        "authz-latency: with the authoriser every GetObject (root's too) makes one POST to it; \
         the added latency at one connection is the cost a single client sees",
    );
    Ok(())
}

fn rounds_json(rounds: &[LoadResult]) -> serde_json::Value {
    rounds
        .iter()
        .map(|r| {
            json!({
                "requests_per_sec": r.requests_per_sec(),
                "p50_us": r.p50_us,
                "p99_us": r.p99_us,
                "server_cpu_us_per_req": r.server_cpu_us_per_req(),
            })
        })
        .collect()
}
