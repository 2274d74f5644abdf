//! Scenario (a): 4 KiB GETs at 64 keep-alive connections, Strongbox (SigV4 header auth with
//! root credentials) against the trivial hyper floor, both driven by the same load generator.
//! With several rounds the two are measured alternately, so a burst of other work on the
//! machine hits both sides alike.

use crate::load::{self, Expect, LoadConfig, LoadResult, MakeRequest, RequestTemplate};
use crate::process::ServerProcess;
use crate::report::Report;
use crate::s3client::S3Client;
use crate::servers::Setup;
use crate::sigv4::EMPTY_PAYLOAD_SHA256;
use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use md5::{Digest, Md5};
use rand::RngCore;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

pub const OBJECT_LEN: usize = 4096;
pub const BUCKET: &str = "bench";
const KEY: &str = "get4k/object";

/// What a target is: its label and report keys.
#[derive(Clone, Copy)]
pub struct Side {
    pub label: &'static str,
    /// Key of its details in the JSON.
    pub detail_key: &'static str,
    /// Key of its requests/s.
    pub rps_key: &'static str,
    /// Key of its server CPU per request.
    pub cpu_key: &'static str,
}

pub const FLOOR: Side = Side {
    label: "floor (hyper, 4 KiB)",
    detail_key: "floor",
    rps_key: "floor_get4k_rps",
    cpu_key: "floor_cpu_us_per_req",
};

pub const ROOT: Side = Side {
    label: "strongbox GetObject 4 KiB, SigV4 root",
    detail_key: "get4k",
    rps_key: "strongbox_get4k_rps",
    cpu_key: "strongbox_cpu_us_per_req",
};

/// A running server with the request to send it, and its results so far.
pub struct Target {
    side: Side,
    server: Arc<ServerProcess>,
    source: Arc<dyn MakeRequest>,
    expect: Expect,
    rounds: Vec<LoadResult>,
}

/// The floor: the trivial server, sent the same signed header set (and so the same request
/// size) as Strongbox.
pub fn prepare_floor(setup: &Setup) -> Result<Target> {
    let server = setup.start_floor(OBJECT_LEN)?;
    let client = S3Client::new(server.addr, &setup.region, setup.creds.clone());
    let path = format!("/{BUCKET}/{KEY}");
    let template =
        RequestTemplate::new(&path, &client.sign("GET", &path, EMPTY_PAYLOAD_SHA256, &[]))?;
    Ok(Target::new(
        FLOOR,
        Arc::new(server),
        Arc::new(template),
        Expect::Len(OBJECT_LEN as u64),
    ))
}

/// Strongbox: create a bucket and a random 4 KiB object, check the ETag and that a signed GET
/// returns the same bytes, then pre-sign the GET that every connection replays.
pub async fn prepare_strongbox(setup: &Setup) -> Result<Target> {
    let server = setup.start_strongbox(&setup.work_dir.join("get4k-data"), &[])?;
    println!("  strongbox pid {} at {}", server.pid(), server.addr);
    let client = S3Client::new(server.addr, &setup.region, setup.creds.clone());
    let path = format!("/{BUCKET}/{KEY}");
    put_and_check(&client, BUCKET, &path)
        .await
        .with_context(|| {
            format!(
                "strongbox get4k set-up; server output:\n{}",
                server.log_tail()
            )
        })?;
    Ok(Target::new(
        ROOT,
        Arc::new(server),
        Arc::new(signed_get(&client, &path)?),
        Expect::Len(OBJECT_LEN as u64),
    ))
}

/// A GET of `path` signed now by `client`'s credentials, to be replayed.
pub fn signed_get(client: &S3Client, path: &str) -> Result<RequestTemplate> {
    RequestTemplate::new(path, &client.sign("GET", path, EMPTY_PAYLOAD_SHA256, &[]))
}

/// Create `bucket`, PUT a random 4 KiB object at `path`, check its ETag and that a signed GET
/// returns the same bytes.
pub async fn put_and_check(client: &S3Client, bucket: &str, path: &str) -> Result<()> {
    client.create_bucket(bucket).await?;
    let mut content = vec![0u8; OBJECT_LEN];
    rand::thread_rng().fill_bytes(&mut content);
    let etag = client.put_small(path, Bytes::from(content.clone())).await?;
    let expected = hex::encode(Md5::digest(&content));
    ensure!(
        etag == expected,
        "PutObject ETag {etag}, expected the MD5 {expected}"
    );
    let mut got = Vec::with_capacity(OBJECT_LEN);
    client
        .get_with(path, |_, chunk| {
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
    Ok(())
}

impl Target {
    pub fn new(
        side: Side,
        server: Arc<ServerProcess>,
        source: Arc<dyn MakeRequest>,
        expect: Expect,
    ) -> Self {
        Self {
            side,
            server,
            source,
            expect,
            rounds: Vec::new(),
        }
    }

    /// Distinct access keys over all rounds so far (credential answers only).
    pub fn distinct_keys(&self) -> u64 {
        self.rounds.iter().map(|r| r.distinct_keys).sum()
    }

    /// Good responses over all rounds so far, warm-up included.
    pub fn good_responses(&self) -> u64 {
        self.rounds.iter().map(|r| r.total - r.bad).sum()
    }

    /// One measured round; an invalid round (any response not 200 with 4096 bytes) fails the run.
    pub async fn measure(&mut self, cfg: LoadConfig) -> Result<()> {
        let result = load::run(
            self.server.addr,
            self.server.pid(),
            Arc::clone(&self.source),
            self.expect,
            cfg,
        )
        .await
        .with_context(|| {
            format!(
                "{}; server output:\n{}",
                self.side.label,
                self.server.log_tail()
            )
        })?;
        let key = self.side.detail_key;
        println!(
            "  {key}: {:.0} req/s, p50 {} us, p99 {} us, server CPU {} us/req, load generator CPU {} us/req; \
             {} responses",
            result.requests_per_sec(),
            result.p50_us,
            result.p99_us,
            fmt_opt(result.server_cpu_us_per_req()),
            fmt_opt(result.client_cpu_us_per_req()),
            result.total,
        );
        if !result.is_valid() {
            bail!(
                "{}: run INVALID: {} of {} responses were not {} (first: {}); server output:\n{}",
                self.side.label,
                result.bad,
                result.total,
                self.expect.describe(),
                result
                    .first_bad
                    .as_deref()
                    .unwrap_or("no good responses at all"),
                self.server.log_tail()
            );
        }
        self.rounds.push(result);
        Ok(())
    }

    /// Put the rounds together into the report; returns requests/s over all rounds.
    pub fn record(&self, cfg: LoadConfig, report: &mut Report) -> f64 {
        let Side {
            label,
            detail_key: key,
            rps_key,
            cpu_key,
        } = self.side;
        let ok: u64 = self.rounds.iter().map(|r| r.measured_ok).sum();
        let secs: f64 = self.rounds.iter().map(|r| r.elapsed.as_secs_f64()).sum();
        let rps = ok as f64 / secs.max(f64::MIN_POSITIVE);
        let per_req = |cpu: Option<Duration>| cpu.map(|c| c.as_secs_f64() * 1e6 / ok.max(1) as f64);
        let sum = |f: fn(&LoadResult) -> Option<Duration>| {
            self.rounds
                .iter()
                .map(f)
                .try_fold(Duration::ZERO, |acc, d| Some(acc + d?))
        };
        let server_cpu = per_req(sum(|r| r.server_cpu));
        let client_cpu = per_req(sum(|r| r.client_cpu));
        let rounds: Vec<_> = self
            .rounds
            .iter()
            .map(|r| {
                json!({
                    "requests_per_sec": r.requests_per_sec(),
                    "measured_ok": r.measured_ok,
                    "total_responses": r.total,
                    "p50_us": r.p50_us,
                    "p99_us": r.p99_us,
                    "server_cpu_us_per_req": r.server_cpu_us_per_req(),
                    "load_generator_cpu_us_per_req": r.client_cpu_us_per_req(),
                })
            })
            .collect();
        report.detail(
            key,
            json!({
                "requests_per_sec": rps,
                "server_cpu_us_per_req": server_cpu,
                "load_generator_cpu_us_per_req": client_cpu,
                "connections": cfg.connections,
                "warmup_s": cfg.warmup.as_secs_f64(),
                "duration_s_per_round": cfg.duration.as_secs_f64(),
                "rounds": rounds,
            }),
        );
        report.measure(
            rps_key,
            format!("{label}, {} conns", cfg.connections),
            rps,
            "req/s",
        );
        if let Some(cpu) = server_cpu {
            report.measure(cpu_key, format!("{label}, server CPU/request"), cpu, "us");
        }
        rps
    }
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "?".into(), |v| format!("{v:.1}"))
}
