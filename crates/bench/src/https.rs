//! `https`: what TLS costs.
//! 1. 4 KiB GetObject requests/s over HTTPS with keep-alive against the same over plain HTTP:
//!    the same Strongbox binary (one process per mode, the same object), the same load
//!    generator (`https/tls_load.rs`, one code path for both), N connections, rounds alternating.
//! 2. New TLS connections/s (TCP connect, full handshake without resumption, one small GET,
//!    close) against Strongbox and against the trivial hyper server behind rustls with the same
//!    settings and certificate (the floor, `https/floor.rs`).
//!
//! Certificates: a throwaway CA and an ECDSA P-256 server certificate, written in MinIO's layout.

mod floor;
mod pki;
mod tls_load;

pub use self::floor::serve as serve_floor;

use self::tls_load::{Mode, Stats, TlsProcess};
use crate::get4k::{BUCKET, OBJECT_LEN, signed_get};
use crate::load::LoadConfig;
use crate::report::Report;
use crate::s3client::S3Client;
use crate::servers::Setup;
use crate::sigv4::{EMPTY_PAYLOAD_SHA256, uri_encode};
use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use tokio_rustls::TlsConnector;

const KEY: &str = "https/object";
/// Health path answered without authentication (the handshake run's one request).
const HEALTH: &str = "/minio/health/live";

pub async fn run(setup: &Setup, cfg: LoadConfig, rounds: u32, report: &mut Report) -> Result<()> {
    let certs = setup.work_dir.join("https-certs");
    let ca = pki::write_certs_dir(&certs)?;
    let reuse = tls_load::connector(&ca, true)?;
    let fresh = tls_load::connector(&ca, false)?;
    let path = format!("/{BUCKET}/{KEY}");
    let mut content = vec![0u8; OBJECT_LEN];
    rand::thread_rng().fill_bytes(&mut content);
    let content = Bytes::from(content);

    // The same binary twice: plain HTTP, and HTTPS with --certs-dir; each gets the object.
    let http = setup.start_strongbox(&setup.work_dir.join("https-bench-http"), &[])?;
    let http_client = S3Client::new(http.addr, &setup.region, setup.creds.clone());
    prepare_object(&http_client, None, &path, &content)
        .await
        .with_context(|| format!("plain-HTTP set-up:\n{}", http.log_tail()))?;

    let https = start_https_strongbox(setup, &certs, &reuse).await?;
    println!(
        "  strongbox pid {} (HTTP at {}), pid {} (HTTPS at {})",
        http.pid(),
        http.addr,
        https.pid(),
        https.addr
    );
    let https_client = S3Client::new(https.addr, &setup.region, setup.creds.clone());
    prepare_object(&https_client, Some(&reuse), &path, &content)
        .await
        .with_context(|| format!("HTTPS set-up:\n{}", https.log_tail()))?;

    let floor = start_floor(setup, &certs, &reuse).await?;

    let http_mode = Mode::KeepAlive {
        tls: None,
        source: Arc::new(signed_get(&http_client, &path)?),
        len: OBJECT_LEN,
    };
    let https_mode = Mode::KeepAlive {
        tls: Some(reuse.clone()),
        source: Arc::new(signed_get(&https_client, &path)?),
        len: OBJECT_LEN,
    };
    let (mut http_runs, mut https_runs) = (Vec::new(), Vec::new());
    let (mut sb_hs, mut floor_hs) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        println!(
            "https round {round}/{rounds}: {} connections, {:?} warm-up + {:?} measured",
            cfg.connections, cfg.warmup, cfg.duration
        );
        http_runs.push(
            measure(
                "get4k over HTTP",
                http.addr,
                http.pid(),
                &http_mode,
                cfg,
                || http.log_tail(),
            )
            .await?,
        );
        https_runs.push(
            measure(
                "get4k over HTTPS",
                https.addr,
                https.pid(),
                &https_mode,
                cfg,
                || https.log_tail(),
            )
            .await?,
        );
        let hs = |p: &str| Mode::NewConnections {
            tls: fresh.clone(),
            path: p.to_owned(),
        };
        sb_hs.push(
            measure(
                "new TLS connections, strongbox",
                https.addr,
                https.pid(),
                &hs(HEALTH),
                cfg,
                || https.log_tail(),
            )
            .await?,
        );
        floor_hs.push(
            measure(
                "new TLS connections, floor",
                floor.addr,
                floor.pid(),
                &hs("/"),
                cfg,
                || floor.log_tail(),
            )
            .await?,
        );
    }

    let http_rps = record(
        report,
        "https_bench_http_get4k_rps",
        "strongbox GetObject 4 KiB, plain HTTP keep-alive (https bench generator)",
        &http_runs,
        cfg,
    );
    let https_rps = record(
        report,
        "https_get4k_rps",
        "strongbox GetObject 4 KiB, HTTPS keep-alive",
        &https_runs,
        cfg,
    );
    let sb = record(
        report,
        "tls_new_connections_per_sec",
        "strongbox new TLS connections/s (full handshake + 1 GET)",
        &sb_hs,
        cfg,
    );
    let fl = record(
        report,
        "floor_tls_new_connections_per_sec",
        "floor (hyper+rustls) new TLS connections/s (full handshake + 1 GET)",
        &floor_hs,
        cfg,
    );
    cpu_measure(
        report,
        "https_get4k_server_cpu_us",
        "strongbox HTTPS, server CPU/request",
        &https_runs,
    );
    cpu_measure(
        report,
        "https_bench_http_get4k_server_cpu_us",
        "strongbox HTTP, server CPU/request",
        &http_runs,
    );
    cpu_measure(
        report,
        "tls_new_connection_server_cpu_us",
        "strongbox server CPU per new TLS connection",
        &sb_hs,
    );
    cpu_measure(
        report,
        "floor_tls_new_connection_server_cpu_us",
        "floor server CPU per new TLS connection",
        &floor_hs,
    );
    report.ratio("https_vs_http_get4k", https_rps / http_rps, 0.75);
    if let (Some(plain), Some(tls)) = (
        report.value("https_bench_http_get4k_server_cpu_us"),
        report.value("https_get4k_server_cpu_us"),
    ) {
        report.info(
            "https_vs_http_get4k_server_cpu",
            plain / tls,
            "server CPU per 4 KiB GET, HTTP / HTTPS: TLS's cost on the server alone (the req/s ratio \
             also pays the load generator's TLS on the same cores)",
        );
    }
    report.ratio("tls_handshakes_vs_floor", sb / fl, 0.8);
    report.detail(
        "https",
        json!({
            "connections": cfg.connections,
            "certificate": "ECDSA P-256, signed by a throwaway CA",
            "http_rounds": rounds_json(&http_runs),
            "https_rounds": rounds_json(&https_runs),
            "strongbox_handshake_rounds": rounds_json(&sb_hs),
            "floor_handshake_rounds": rounds_json(&floor_hs),
        }),
    );
    Ok(())
}

async fn measure(
    what: &str,
    addr: SocketAddr,
    pid: u32,
    mode: &Mode,
    cfg: LoadConfig,
    log: impl Fn() -> String,
) -> Result<Stats> {
    let stats = tls_load::run(addr, pid, mode.clone(), cfg).await?;
    println!(
        "  {what}: {:.0}/s, p50 {} us, p99 {} us, server CPU {} us each",
        stats.per_sec(),
        stats.p50_us,
        stats.p99_us,
        stats
            .server_cpu_us()
            .map_or_else(|| "?".to_owned(), |c| format!("{c:.1}"))
    );
    if stats.bad > 0 || stats.ok == 0 {
        bail!(
            "{what}: run INVALID: {} bad answers (first: {}); server output:\n{}",
            stats.bad,
            stats
                .first_bad
                .as_deref()
                .unwrap_or("no good answers at all"),
            log()
        );
    }
    Ok(stats)
}

fn record(
    report: &mut Report,
    key: &'static str,
    label: &str,
    runs: &[Stats],
    cfg: LoadConfig,
) -> f64 {
    let ok: u64 = runs.iter().map(|r| r.ok).sum();
    let secs: f64 = runs.iter().map(|r| r.elapsed.as_secs_f64()).sum();
    let rate = ok as f64 / secs.max(f64::MIN_POSITIVE);
    report.measure(
        key,
        format!("{label}, {} conns", cfg.connections),
        rate,
        "/s",
    );
    rate
}

fn cpu_measure(report: &mut Report, key: &'static str, label: &str, runs: &[Stats]) {
    let ok: u64 = runs.iter().map(|r| r.ok).sum();
    let cpu: Option<f64> = runs
        .iter()
        .map(|r| r.server_cpu.map(|c| c.as_secs_f64()))
        .sum();
    if let Some(cpu) = cpu {
        report.measure(key, label.to_owned(), cpu * 1e6 / ok.max(1) as f64, "us");
    }
}

fn rounds_json(runs: &[Stats]) -> serde_json::Value {
    runs.iter()
        .map(|r| {
            json!({
                "per_sec": r.per_sec(),
                "ok": r.ok,
                "p50_us": r.p50_us,
                "p99_us": r.p99_us,
                "server_cpu_us_each": r.server_cpu_us(),
            })
        })
        .collect()
}

/// `strongbox server --certs-dir CERTS` with the bench's root credentials.
async fn start_https_strongbox(
    setup: &Setup,
    certs: &std::path::Path,
    tls: &TlsConnector,
) -> Result<TlsProcess> {
    let dir = setup.work_dir.join("https-bench-https");
    std::fs::create_dir_all(&dir)?;
    let addr = crate::process::free_addr()?;
    let mut cmd = Command::new(&setup.strongbox_bin);
    cmd.arg("server")
        .arg("--address")
        .arg(addr.to_string())
        .arg("--certs-dir")
        .arg(certs)
        .arg(&dir)
        .env("MINIO_ROOT_USER", setup.creds.access_key())
        .env("MINIO_ROOT_PASSWORD", setup.creds.expose_secret())
        .env_remove("STRONGBOX_AUDIT_FILE")
        .env_remove("MINIO_IDENTITY_TLS_ENABLE");
    let log = setup.work_dir.join("https-strongbox.log");
    TlsProcess::start("strongbox (HTTPS)", cmd, addr, log, tls, HEALTH).await
}

async fn start_floor(
    setup: &Setup,
    certs: &std::path::Path,
    tls: &TlsConnector,
) -> Result<TlsProcess> {
    let addr = crate::process::free_addr()?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("https-floor-server")
        .arg("--address")
        .arg(addr.to_string())
        .arg("--certs-dir")
        .arg(certs)
        .arg("--body-len")
        .arg(OBJECT_LEN.to_string());
    let log = setup.work_dir.join("https-floor.log");
    TlsProcess::start("floor (hyper+rustls)", cmd, addr, log, tls, "/").await
}

/// Create the bucket, PUT `content` at `path` and check a signed GET returns it, over TLS when
/// `tls` is given (one connection per request).
async fn prepare_object(
    client: &S3Client,
    tls: Option<&TlsConnector>,
    path: &str,
    content: &Bytes,
) -> Result<()> {
    let addr = client_addr(client)?;
    let bucket_path = format!("/{BUCKET}");
    let headers = client.sign("PUT", &bucket_path, EMPTY_PAYLOAD_SHA256, &[]);
    let (status, body) = call(addr, tls, Method::PUT, &bucket_path, &headers, Bytes::new()).await?;
    ensure!(
        status.is_success() || String::from_utf8_lossy(&body).contains("BucketAlreadyOwnedByYou"),
        "CreateBucket: {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let hash = hex::encode(Sha256::digest(content));
    let len = content.len().to_string();
    let headers = client.sign("PUT", path, &hash, &[("content-length", &len)]);
    let (status, body) = call(addr, tls, Method::PUT, path, &headers, content.clone()).await?;
    ensure!(
        status == StatusCode::OK,
        "PutObject: {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let headers = client.sign("GET", path, EMPTY_PAYLOAD_SHA256, &[]);
    let (status, body) = call(addr, tls, Method::GET, path, &headers, Bytes::new()).await?;
    ensure!(
        status == StatusCode::OK && body == *content,
        "GetObject: {status}, {} bytes, not what was put",
        body.len()
    );
    Ok(())
}

fn client_addr(client: &S3Client) -> Result<SocketAddr> {
    client
        .endpoint()
        .host
        .parse()
        .context("the bench client's host is not an address")
}

async fn call(
    addr: SocketAddr,
    tls: Option<&TlsConnector>,
    method: Method,
    path: &str,
    headers: &[(String, String)],
    body: Bytes,
) -> Result<(StatusCode, Bytes)> {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri_encode(path, true));
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let mut sender = tls_load::connect(addr, tls).await?;
    tls_load::send(&mut sender, builder.body(Full::new(body))?).await
}
