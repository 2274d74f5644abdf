//! Scenario (b): one large object PUT and GET (single stream, UNSIGNED-PAYLOAD, no Content-MD5)
//! against raw sequential write (fsync at the end) and read of the same size on the same disk,
//! and against single-core MD5 speed, all measured in the same run.

use crate::cpu::process_cpu;
use crate::report::{Report, machine_load};
use crate::s3client::S3Client;
use crate::servers::Setup;
use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use md5::{Digest, Md5};
use rand::RngCore;
use serde_json::json;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;
/// Bodies are sent in chunks of this size, slices of one random pattern.
const CHUNK: usize = 1024 * 1024;
/// The random pattern repeated to make up the object (a multiple of CHUNK).
const PATTERN_LEN: usize = 8 * CHUNK;
const BUCKET: &str = "bench";
const KEY: &str = "bigobject/object";
/// Bound on one PUT or GET of the big object.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(300);

/// The object's bytes: `size` bytes of a repeated random pattern, as shareable chunks.
struct Content {
    pattern: Bytes,
    size: u64,
}

impl Content {
    fn new(size: u64) -> Self {
        let mut pattern = vec![0u8; PATTERN_LEN];
        rand::thread_rng().fill_bytes(&mut pattern);
        Self {
            pattern: Bytes::from(pattern),
            size,
        }
    }

    fn chunks(&self) -> Vec<Bytes> {
        let mut out = Vec::new();
        let mut offset = 0u64;
        while offset < self.size {
            let start = (offset % PATTERN_LEN as u64) as usize;
            let len = CHUNK.min((self.size - offset) as usize);
            out.push(self.pattern.slice(start..start + len));
            offset += len as u64;
        }
        out
    }

    /// Check that `data` equals the content at `offset`.
    fn check(&self, offset: u64, data: &[u8]) -> Result<()> {
        ensure!(
            offset + data.len() as u64 <= self.size,
            "more than {} bytes",
            self.size
        );
        let mut done = 0usize;
        while done < data.len() {
            let at = ((offset + done as u64) % PATTERN_LEN as u64) as usize;
            let n = (PATTERN_LEN - at).min(data.len() - done);
            ensure!(
                data[done..done + n] == self.pattern[at..at + n],
                "content differs at byte {}",
                offset + done as u64
            );
            done += n;
        }
        Ok(())
    }
}

fn mib_per_sec(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / MIB as f64 / elapsed.as_secs_f64()
}

/// Server CPU time between two samples, for the progress lines.
fn cpu_text(from: Option<Duration>, to: Option<Duration>) -> String {
    match (from, to) {
        (Some(a), Some(b)) => format!("{:.2} s", b.saturating_sub(a).as_secs_f64()),
        _ => "unknown".into(),
    }
}

/// Single-core MD5 over the whole content: (MiB/s of wall time, MiB per second of this process's
/// CPU time if readable, hex digest). The CPU figure shows what MD5 costs when other work
/// competes for the cores (the wall figure is the floor; the CPU figure is only reported).
fn md5_speed(content: &Content) -> (f64, Option<f64>, String) {
    let chunks = content.chunks();
    let cpu0 = process_cpu(std::process::id());
    let start = Instant::now();
    let mut md5 = Md5::new();
    for c in &chunks {
        md5.update(c);
    }
    let digest = hex::encode(md5.finalize());
    let wall = mib_per_sec(content.size, start.elapsed());
    let cpu = match (cpu0, process_cpu(std::process::id())) {
        (Some(a), Some(b)) if b > a => Some(mib_per_sec(content.size, b - a)),
        _ => None,
    };
    (wall, cpu, digest)
}

fn raw_write(path: &Path, content: &Content) -> Result<f64> {
    let chunks = content.chunks();
    let start = Instant::now();
    let mut file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    for c in &chunks {
        file.write_all(c)?;
    }
    file.sync_all()?;
    Ok(mib_per_sec(content.size, start.elapsed()))
}

fn raw_read(path: &Path, content: &Content) -> Result<f64> {
    let start = Instant::now();
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        content.check(offset, &buf[..n])?;
        offset += n as u64;
    }
    let elapsed = start.elapsed();
    ensure!(
        offset == content.size,
        "raw read {offset} bytes, wrote {}",
        content.size
    );
    Ok(mib_per_sec(content.size, elapsed))
}

/// Write back dirty pages and drop the page cache; false when not permitted here.
fn drop_caches() -> bool {
    let synced = std::process::Command::new("sync")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    synced && std::fs::write("/proc/sys/vm/drop_caches", "3\n").is_ok()
}

pub async fn run(setup: &Setup, size: u64, report: &mut Report) -> Result<()> {
    let size_mib = size / MIB;
    let content = Content::new(size);
    let raw_dir = setup.work_dir.join("raw");
    let data_dir = setup.work_dir.join("bigobject-data");
    std::fs::create_dir_all(&raw_dir)?;
    std::fs::create_dir_all(&data_dir)?;
    let same_fs = std::fs::metadata(&raw_dir)?.dev() == std::fs::metadata(&data_dir)?.dev();
    ensure!(
        same_fs,
        "raw file and Strongbox data dir are on different file systems"
    );

    let (md5_mibs, md5_cpu_mibs, expected_etag) = md5_speed(&content);
    match md5_cpu_mibs {
        Some(c) => println!("  md5: {md5_mibs:.0} MiB/s (single core; {c:.0} MiB per CPU second)"),
        None => println!("  md5: {md5_mibs:.0} MiB/s (single core)"),
    }
    let raw_path = raw_dir.join("raw.bin");
    let write_mibs = raw_write(&raw_path, &content)?;
    println!("  raw write + fsync: {write_mibs:.0} MiB/s");
    let cold = drop_caches();
    let read_mibs = raw_read(&raw_path, &content)?;
    println!(
        "  raw read ({}): {read_mibs:.0} MiB/s",
        if cold { "cold cache" } else { "warm cache" }
    );
    std::fs::remove_file(&raw_path)?;

    let server = setup.start_strongbox(&data_dir, &[])?;
    println!("  strongbox pid {} at {}", server.pid(), server.addr);
    let client = S3Client::new(server.addr, &setup.region, setup.creds.clone());
    let path = format!("/{BUCKET}/{KEY}");
    let transfers = async {
        client.create_bucket(BUCKET).await?;
        let (load_at_put, _) = machine_load();
        let cpu0 = process_cpu(server.pid());
        let start = Instant::now();
        let etag = tokio::time::timeout(
            TRANSFER_TIMEOUT,
            client.put_stream(&path, size, content.chunks()),
        )
        .await
        .context("PUT timed out")??;
        let put_mibs = mib_per_sec(size, start.elapsed());
        let cpu1 = process_cpu(server.pid());
        ensure!(
            etag == expected_etag,
            "PUT ETag {etag}, expected the content MD5 {expected_etag}"
        );
        println!(
            "  strongbox PUT: {put_mibs:.0} MiB/s, server CPU {} (ETag is the MD5; load average {load_at_put:.2} before)",
            cpu_text(cpu0, cpu1)
        );
        let cold_get = cold && drop_caches();
        let start = Instant::now();
        let got = tokio::time::timeout(
            TRANSFER_TIMEOUT,
            client.get_with(&path, |off, data| content.check(off, data)),
        )
        .await
        .context("GET timed out")??;
        let get_mibs = mib_per_sec(size, start.elapsed());
        let cpu2 = process_cpu(server.pid());
        ensure!(got == size, "GET returned {got} bytes, expected {size}");
        println!(
            "  strongbox GET: {get_mibs:.0} MiB/s, server CPU {} (content verified)",
            cpu_text(cpu1, cpu2)
        );
        let put_cpu = cpu1
            .zip(cpu0)
            .map(|(b, a)| b.saturating_sub(a).as_secs_f64());
        anyhow::Ok((put_mibs, get_mibs, cold_get, put_cpu))
    };
    let (put_mibs, get_mibs, cold_get, put_cpu) = transfers
        .await
        .with_context(|| format!("strongbox bigobject; server output:\n{}", server.log_tail()))?;
    drop(server);

    let cache = if cold && cold_get {
        "cold cache"
    } else {
        "warm cache"
    };
    report.measure("md5_mibs", "md5, single core", md5_mibs, "MiB/s");
    report.measure(
        "raw_write_mibs",
        format!("raw write {size_mib} MiB + fsync"),
        write_mibs,
        "MiB/s",
    );
    report.measure(
        "raw_read_mibs",
        format!("raw read {size_mib} MiB ({cache})"),
        read_mibs,
        "MiB/s",
    );
    report.measure(
        "strongbox_put_mibs",
        format!("strongbox PUT {size_mib} MiB"),
        put_mibs,
        "MiB/s",
    );
    report.measure(
        "strongbox_get_mibs",
        format!("strongbox GET {size_mib} MiB ({cache})"),
        get_mibs,
        "MiB/s",
    );
    let put_floor = write_mibs.min(md5_mibs);
    let get_floor = read_mibs.min(md5_mibs);
    report.ratio("put1g_vs_floor", put_mibs / put_floor, 0.7);
    report.ratio("get1g_vs_floor", get_mibs / get_floor, 0.7);
    report.info(
        "put1g_vs_raw_write",
        put_mibs / write_mibs,
        "PUT against raw write alone",
    );
    report.info(
        "get1g_vs_raw_read",
        get_mibs / read_mibs,
        "GET against raw read alone (GET needs no MD5)",
    );
    report.detail(
        "bigobject",
        json!({
            "size_bytes": size,
            "page_cache_dropped_for_reads": cold && cold_get,
            "put_floor_mibs": put_floor,
            "get_floor_mibs": get_floor,
            "put_vs_raw_write": put_mibs / write_mibs,
            "md5_mib_per_cpu_second": md5_cpu_mibs,
            "put_server_cpu_seconds": put_cpu,
            "get_vs_raw_read": get_mibs / read_mibs,
        }),
    );
    if !(cold && cold_get) {
        report.note(
            "page cache could not be dropped: raw read and Strongbox GET are both warm-cache reads",
        );
    }
    Ok(())
}
