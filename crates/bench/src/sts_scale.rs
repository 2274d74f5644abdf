//! `sts-scale`: issue up to 1,000,000 credentials (AssumeRole by the IAM user, re-signed every
//! time, as fast as the server answers) and show that issuing writes nothing and costs no memory:
//! the IAM store (`DIR/.strongbox/iam.redb`) and the whole data directory are measured before and
//! after, and the server's `VmRSS`. The run is bounded: a short timed warm-up measures the rate,
//! and if 1,000,000 would take longer than [`TIME_BUDGET`] at that rate, fewer are issued and the
//! output says so. Nothing is extrapolated. No audit file is configured (events go to the
//! server's log only, which the bench reads and discards).

use crate::assume_role::{DURATION_SECS, RATE_LIMIT_ENV, announce_rate_limit};
use crate::cpu::process_rss_kib;
use crate::iam_fixture::IamFixture;
use crate::load::{self, Expect, LoadConfig};
use crate::policy50;
use crate::report::Report;
use crate::servers::Setup;
use crate::sts_client::{self, AssumeRoleRequests};
use anyhow::{Context, Result, bail, ensure};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How many credentials the acceptance point asks for.
pub const TARGET_COUNT: u64 = 1_000_000;
/// Longest the issuing may take.
const TIME_BUDGET: Duration = Duration::from_secs(300);
/// Timed warm-up that measures the rate (and fills connection buffers and allocator caches).
const WARMUP: Duration = Duration::from_secs(3);
/// Store growth allowed: none.
const MAX_STORE_GROWTH: u64 = 0;
/// RSS growth allowed.
const MAX_RSS_GROWTH_MIB: f64 = 10.0;

/// Bytes of every file under `dir` (sizes as `stat` reports them).
fn dir_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_dir() {
            total += dir_bytes(&entry.path())?;
        } else {
            total += meta.len();
        }
    }
    Ok(total)
}

#[derive(Clone, Copy, Debug)]
struct Snapshot {
    store: u64,
    dir: u64,
    rss_kib: u64,
}

fn snapshot(data_dir: &Path, pid: u32) -> Result<Snapshot> {
    let store = std::fs::metadata(data_dir.join(".strongbox/iam.redb"))
        .context("the IAM store DIR/.strongbox/iam.redb")?
        .len();
    Ok(Snapshot {
        store,
        dir: dir_bytes(data_dir)?,
        rss_kib: process_rss_kib(pid).context("reading the server's VmRSS")?,
    })
}

fn mib(kib_delta: i64) -> f64 {
    kib_delta as f64 / 1024.0
}

/// Issue `wanted` credentials (at most [`TARGET_COUNT`]; fewer if the time bound says so).
pub async fn run(
    setup: &Setup,
    connections: usize,
    wanted: u64,
    report: &mut Report,
) -> Result<()> {
    println!("  {}", announce_rate_limit());
    println!(
        "  no audit file (STRONGBOX_AUDIT_FILE removed): audit events go to the server log only"
    );
    let fx = IamFixture::start(setup, "sts-scale-data", &RATE_LIMIT_ENV).await?;
    let pid = fx.server.pid();
    let idle = snapshot(&fx.data_dir, pid)?;
    let requests = Arc::new(AssumeRoleRequests::new(
        fx.user.creds().clone(),
        fx.server.addr.to_string(),
        setup.region.clone(),
        DURATION_SECS,
    ));
    let run_load = |cfg: LoadConfig| {
        let requests = Arc::clone(&requests);
        let server = Arc::clone(&fx.server);
        async move {
            let r = load::run(
                server.addr,
                server.pid(),
                requests,
                Expect::Credentials,
                cfg,
            )
            .await
            .with_context(|| format!("AssumeRole load; server output:\n{}", server.log_tail()))?;
            if !r.is_valid() {
                bail!(
                    "AssumeRole run INVALID: {} of {} answers bad (first: {}); server output:\n{}",
                    r.bad,
                    r.total,
                    r.first_bad.as_deref().unwrap_or("no good answers at all"),
                    server.log_tail()
                );
            }
            Ok(r)
        }
    };
    let warm = run_load(LoadConfig {
        connections,
        warmup: Duration::ZERO,
        duration: WARMUP,
        max_requests: None,
    })
    .await?;
    let rate = warm.requests_per_sec();
    let affordable = (rate * TIME_BUDGET.as_secs_f64()) as u64;
    let count = wanted.min(affordable).max(1);
    if count < wanted {
        let note = format!(
            "sts-scale issued {count} credentials, NOT {wanted}: at the warm-up rate of {rate:.0}/s, \
             {wanted} would take {:.0} s, over the {} s bound",
            wanted as f64 / rate,
            TIME_BUDGET.as_secs()
        );
        println!("  {note}");
        report.note(note);
    }
    if count < TARGET_COUNT {
        report.note(format!(
            "sts-scale: {count} credentials issued, fewer than the {TARGET_COUNT} of the acceptance point"
        ));
    }
    let before = snapshot(&fx.data_dir, pid)?;
    println!(
        "  warm-up: {} credentials at {rate:.0}/s; issuing {count} at {connections} connections \
         (bound {} s); before: store {} B, data dir {} B, RSS {} KiB (idle {} KiB)",
        warm.total,
        TIME_BUDGET.as_secs() + 30,
        before.store,
        before.dir,
        before.rss_kib,
        idle.rss_kib
    );
    let issued = run_load(LoadConfig {
        connections,
        warmup: Duration::ZERO,
        duration: TIME_BUDGET + Duration::from_secs(30),
        max_requests: Some(count),
    })
    .await?;
    // Let in-flight work (and any deferred write) settle before measuring.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = snapshot(&fx.data_dir, pid)?;
    ensure!(
        issued.measured_ok == count,
        "asked for {count} credentials, {} were issued within the bound",
        issued.measured_ok
    );
    ensure!(
        issued.distinct_keys == count,
        "{count} credentials issued but only {} distinct access keys",
        issued.distinct_keys
    );
    // The server still works, and so do its fresh credentials.
    let (temp, _) = sts_client::assume_role(&fx.user, DURATION_SECS).await?;
    let client = fx
        .user
        .with_session(temp.creds.clone(), temp.session_token.to_string());
    client
        .get_with(&policy50::object_path(), |_, _| Ok(()))
        .await
        .context("GET with a credential issued after the run")?;

    let store_growth = after.store as i64 - before.store as i64;
    let dir_growth = after.dir as i64 - before.dir as i64;
    let rss_growth = mib(after.rss_kib as i64 - before.rss_kib as i64);
    let rss_from_idle = mib(after.rss_kib as i64 - idle.rss_kib as i64);
    let secs = issued.elapsed.as_secs_f64();
    println!(
        "  issued {count} credentials ({} distinct) in {secs:.1} s = {:.0}/s; after: store {} B, data dir {} B, RSS {} KiB",
        issued.distinct_keys,
        count as f64 / secs,
        after.store,
        after.dir,
        after.rss_kib
    );
    report.measure(
        "sts_scale_issued",
        "sts-scale: credentials issued",
        count as f64,
        "creds",
    );
    report.measure(
        "sts_scale_rate",
        "sts-scale: issuance rate",
        count as f64 / secs,
        "creds/s",
    );
    report.info(
        "sts_store_growth_bytes",
        store_growth as f64,
        "growth of DIR/.strongbox/iam.redb while issuing",
    );
    report.info(
        "sts_dir_growth_bytes",
        dir_growth as f64,
        "growth of the whole data directory while issuing",
    );
    report.info(
        "sts_rss_growth_mib",
        rss_growth,
        "server VmRSS growth while issuing (after the warm-up)",
    );
    report.info(
        "sts_rss_growth_from_idle_mib",
        rss_from_idle,
        "server VmRSS growth from idle (before the warm-up) to the end",
    );
    report.check(
        "sts_store_growth_zero",
        store_growth <= MAX_STORE_GROWTH as i64 && dir_growth <= 0,
        format!("{count} credentials: IAM store {store_growth:+} B, data dir {dir_growth:+} B"),
    );
    report.check(
        "sts_rss_growth_under_10mib",
        rss_growth < MAX_RSS_GROWTH_MIB,
        format!(
            "{count} credentials: VmRSS {rss_growth:+.2} MiB after warm-up, {rss_from_idle:+.2} MiB from idle"
        ),
    );
    report.detail(
        "sts_scale",
        json!({
            "count": count,
            "wanted": wanted,
            "target_count": TARGET_COUNT,
            "connections": connections,
            "seconds": secs,
            "warmup_rate_per_sec": rate,
            "distinct_access_keys": issued.distinct_keys,
            "server_cpu_us_per_credential": issued.server_cpu_us_per_req(),
            "idle": { "store_bytes": idle.store, "dir_bytes": idle.dir, "rss_kib": idle.rss_kib },
            "before": { "store_bytes": before.store, "dir_bytes": before.dir, "rss_kib": before.rss_kib },
            "after": { "store_bytes": after.store, "dir_bytes": after.dir, "rss_kib": after.rss_kib },
            "rate_limit_env": RATE_LIMIT_ENV.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
        }),
    );
    Ok(())
}
