//! Scenario (a): 4 KiB GETs at 64 keep-alive connections, Strongbox (SigV4 header auth with
//! root credentials) against the trivial hyper floor, both driven by the same load generator.

use crate::load::{self, LoadConfig, LoadResult, RequestTemplate};
use crate::report::Report;
use crate::s3client::S3Client;
use crate::servers::Setup;
use crate::sigv4::EMPTY_PAYLOAD_SHA256;
use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use md5::{Digest, Md5};
use rand::RngCore;
use serde_json::json;

pub const OBJECT_LEN: usize = 4096;
const BUCKET: &str = "bench";
const KEY: &str = "get4k/object";

/// Measure the floor: the same signed-looking request against the trivial server.
pub async fn floor(setup: &Setup, cfg: LoadConfig, report: &mut Report) -> Result<f64> {
    let server = setup.start_floor(OBJECT_LEN)?;
    // Same header set (and so the same request size) as the Strongbox run.
    let client = S3Client::new(server.addr, &setup.region, setup.creds.clone());
    let path = format!("/{BUCKET}/{KEY}");
    let template =
        RequestTemplate::new(&path, &client.sign("GET", &path, EMPTY_PAYLOAD_SHA256, &[]))?;
    let result = load::run(server.addr, server.pid(), template, cfg).await?;
    finish(Side::Floor, "floor (hyper, 4 KiB)", &result, cfg, report)
}

/// Measure Strongbox: create a bucket and a 4 KiB object, check a signed GET returns it, then
/// replay one pre-signed GET on every connection.
pub async fn strongbox(setup: &Setup, cfg: LoadConfig, report: &mut Report) -> Result<f64> {
    let data_dir = setup.work_dir.join("get4k-data");
    let server = setup.start_strongbox(&data_dir)?;
    println!("  strongbox pid {} at {}", server.pid(), server.addr);
    let client = S3Client::new(server.addr, &setup.region, setup.creds.clone());
    let run = async {
        client.create_bucket(BUCKET).await?;
        let mut content = vec![0u8; OBJECT_LEN];
        rand::thread_rng().fill_bytes(&mut content);
        let path = format!("/{BUCKET}/{KEY}");
        let etag = client
            .put_small(&path, Bytes::from(content.clone()))
            .await?;
        let expected = hex::encode(Md5::digest(&content));
        ensure!(
            etag == expected,
            "PutObject ETag {etag}, expected the MD5 {expected}"
        );
        let mut got = Vec::with_capacity(OBJECT_LEN);
        client
            .get_with(&path, |_, chunk| {
                ensure!(
                    got.len() + chunk.len() <= OBJECT_LEN,
                    "GetObject body longer than {OBJECT_LEN}"
                );
                got.extend_from_slice(chunk);
                Ok(())
            })
            .await?;
        ensure!(
            got == content,
            "GetObject returned different bytes than were put"
        );
        let template =
            RequestTemplate::new(&path, &client.sign("GET", &path, EMPTY_PAYLOAD_SHA256, &[]))?;
        load::run(server.addr, server.pid(), template, cfg).await
    };
    let result = run
        .await
        .with_context(|| format!("strongbox get4k; server output:\n{}", server.log_tail()))?;
    finish(
        Side::Strongbox,
        "strongbox GetObject 4 KiB, SigV4 root",
        &result,
        cfg,
        report,
    )
}

/// Which server a load result belongs to; fixes the report keys.
#[derive(Clone, Copy)]
enum Side {
    Floor,
    Strongbox,
}

impl Side {
    fn keys(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Side::Floor => ("floor", "floor_get4k_rps", "floor_cpu_us_per_req"),
            Side::Strongbox => ("get4k", "strongbox_get4k_rps", "strongbox_cpu_us_per_req"),
        }
    }
}

fn finish(
    side: Side,
    label: &str,
    result: &LoadResult,
    cfg: LoadConfig,
    report: &mut Report,
) -> Result<f64> {
    let (key, rps_key, cpu_key) = side.keys();
    let rps = result.requests_per_sec();
    let server_cpu = result.server_cpu_us_per_req();
    let client_cpu = result.client_cpu_us_per_req();
    report.detail(
        key,
        json!({
            "requests_per_sec": rps,
            "measured_ok": result.measured_ok,
            "total_responses": result.total,
            "bad_responses": result.bad,
            "p50_us": result.p50_us,
            "p99_us": result.p99_us,
            "server_cpu_us_per_req": server_cpu,
            "load_generator_cpu_us_per_req": client_cpu,
            "connections": cfg.connections,
            "warmup_s": cfg.warmup.as_secs_f64(),
            "duration_s": cfg.duration.as_secs_f64(),
        }),
    );
    if !result.is_valid() {
        bail!(
            "{label}: run INVALID: {} of {} responses were not 200 with {} bytes (first: {})",
            result.bad,
            result.total,
            cfg.expected_len,
            result
                .first_bad
                .as_deref()
                .unwrap_or("no good responses at all")
        );
    }
    report.measure(
        rps_key,
        format!("{label}, {} conns", cfg.connections),
        rps,
        "req/s",
    );
    if let Some(cpu) = server_cpu {
        report.measure(
            cpu_key,
            format!("{label}, server CPU per request"),
            cpu,
            "us",
        );
    }
    println!(
        "  {key}: {rps:.0} req/s, p50 {} us, p99 {} us, server CPU {} us/req, load generator CPU {} us/req; \
         {} responses, all 200 with {} bytes",
        result.p50_us,
        result.p99_us,
        server_cpu.map_or("?".into(), |c| format!("{c:.1}")),
        client_cpu.map_or("?".into(), |c| format!("{c:.1}")),
        result.total,
        cfg.expected_len
    );
    Ok(rps)
}
