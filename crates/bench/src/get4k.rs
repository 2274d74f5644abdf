//! Scenario (a): 4 KiB GETs at 64 keep-alive connections, Strongbox (SigV4 header auth with
//! root credentials) against the trivial hyper floor, both driven by the same load generator.
//! With several rounds the two are measured alternately, so a burst of other work on the
//! machine hits both sides alike.

use crate::load::{self, LoadConfig, LoadResult, RequestTemplate};
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
use std::time::Duration;

pub const OBJECT_LEN: usize = 4096;
const BUCKET: &str = "bench";
const KEY: &str = "get4k/object";

/// Which server a target is; fixes labels and report keys.
#[derive(Clone, Copy)]
pub enum Side {
    Floor,
    Strongbox,
}

impl Side {
    fn label(self) -> &'static str {
        match self {
            Side::Floor => "floor (hyper, 4 KiB)",
            Side::Strongbox => "strongbox GetObject 4 KiB, SigV4 root",
        }
    }

    /// (detail key, requests/s key, CPU per request key)
    fn keys(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Side::Floor => ("floor", "floor_get4k_rps", "floor_cpu_us_per_req"),
            Side::Strongbox => ("get4k", "strongbox_get4k_rps", "strongbox_cpu_us_per_req"),
        }
    }
}

/// A running server with the request to replay against it, and its results so far.
pub struct Target {
    side: Side,
    server: ServerProcess,
    template: RequestTemplate,
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
    Ok(Target {
        side: Side::Floor,
        server,
        template,
        rounds: Vec::new(),
    })
}

/// Strongbox: create a bucket and a random 4 KiB object, check the ETag and that a signed GET
/// returns the same bytes, then pre-sign the GET that every connection replays.
pub async fn prepare_strongbox(setup: &Setup) -> Result<Target> {
    let server = setup.start_strongbox(&setup.work_dir.join("get4k-data"))?;
    println!("  strongbox pid {} at {}", server.pid(), server.addr);
    let client = S3Client::new(server.addr, &setup.region, setup.creds.clone());
    let path = format!("/{BUCKET}/{KEY}");
    let check = async {
        client.create_bucket(BUCKET).await?;
        let mut content = vec![0u8; OBJECT_LEN];
        rand::thread_rng().fill_bytes(&mut content);
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
        anyhow::Ok(())
    };
    check.await.with_context(|| {
        format!(
            "strongbox get4k set-up; server output:\n{}",
            server.log_tail()
        )
    })?;
    let template =
        RequestTemplate::new(&path, &client.sign("GET", &path, EMPTY_PAYLOAD_SHA256, &[]))?;
    Ok(Target {
        side: Side::Strongbox,
        server,
        template,
        rounds: Vec::new(),
    })
}

impl Target {
    /// One measured round; an invalid round (any response not 200 with 4096 bytes) fails the run.
    pub async fn measure(&mut self, cfg: LoadConfig) -> Result<()> {
        let result = load::run(
            self.server.addr,
            self.server.pid(),
            self.template.clone(),
            cfg,
        )
        .await
        .with_context(|| {
            format!(
                "{}; server output:\n{}",
                self.side.label(),
                self.server.log_tail()
            )
        })?;
        let (key, ..) = self.side.keys();
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
                "{}: run INVALID: {} of {} responses were not 200 with {} bytes (first: {})",
                self.side.label(),
                result.bad,
                result.total,
                cfg.expected_len,
                result
                    .first_bad
                    .as_deref()
                    .unwrap_or("no good responses at all")
            );
        }
        self.rounds.push(result);
        Ok(())
    }

    /// Put the rounds together into the report; returns requests/s over all rounds.
    pub fn record(&self, cfg: LoadConfig, report: &mut Report) -> f64 {
        let (key, rps_key, cpu_key) = self.side.keys();
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
        let label = self.side.label();
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
