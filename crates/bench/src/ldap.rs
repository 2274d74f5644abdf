//! `ldap`: LDAP logins per second through Strongbox's directory client against the rate of
//! bare LDAP round trips to the same slapd (the floor the directory sets), at the same
//! concurrency, in alternating rounds.
//!
//! - slapd: a throwaway one from tests/ldap/start-slapd.sh (users and groups of
//!   tests/ldap/seed.ldif), on 127.0.0.1, stopped at the end.
//! - Floor: each of `C` workers holds its own connection and repeats the three round trips
//!   of a login done by hand: bind as the lookup account, search the user (`(uid=NAME)`),
//!   bind as the user. Nothing else: no escaping, no pooling logic, no groups.
//! - Directory: `C` tasks call `LdapDirectory::authenticate` (search the user, bind as the
//!   user, search the groups: also three round trips, the lookup bind being kept on pooled
//!   connections), pool size `C / 2` so both sides hold `C` connections.
//! - Every login of both sides must succeed (the users rotate: alice, bob, carol, dave).
//!
//! - Server: Strongbox wired to the same slapd (plain LDAP, default pool), the canned policy
//!   `readonly` attached to bob's two groups through the admin API (`idp/ldap/policy/attach`);
//!   the load generator POSTs AssumeRoleWithLDAPIdentity forms for bob at the same concurrency.
//!   Each answer must hold a fresh credential. The issuance rate limit and the failed-login
//!   throttle are raised for the run.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use ldap3::{LdapConnAsync, Scope};
use strongbox_idp::ldap::{LdapConfig, LdapDirectory, Secret};

use bytes::Bytes;
use http::Method;

use crate::assume_role::{RATE_LIMIT_ENV, announce_rate_limit};
use crate::get4k::{Side, Target};
use crate::load::{Expect, LoadConfig, RequestTemplate, header_map};
use crate::process::ServerProcess;
use crate::report::Report;
use crate::s3client::S3Client;
use crate::servers::Setup;

const LOOKUP_DN: &str = "cn=lookup,dc=example,dc=org";
const LOOKUP_PASSWORD: &str = "lookup-secret";
const PEOPLE: &str = "ou=people,dc=example,dc=org";
const GROUPS: [&str; 2] = [
    "cn=projecta,ou=groups,dc=example,dc=org",
    "cn=projectb,ou=groups,dc=example,dc=org",
];
const STS: Side = Side {
    label: "strongbox AssumeRoleWithLDAPIdentity (bob, two groups)",
    detail_key: "ldap_sts",
    rps_key: "ldap_sts_rps",
    cpu_key: "ldap_sts_cpu_us_per_req",
};
/// Failed-login throttle raised for the run: the handler counts logins still in flight for a
/// username, so 64 concurrent logins of one user would otherwise be throttled.
const THROTTLE_ENV: [(&str, &str); 2] = [
    ("STRONGBOX_IDENTITY_LDAP_THROTTLE_USER_FAILURES", "1000000"),
    ("STRONGBOX_IDENTITY_LDAP_THROTTLE_IP_FAILURES", "1000000"),
];
const USERS: [(&str, &str); 4] = [
    ("alice", "alice-password"),
    ("bob", "bob-password"),
    ("carol", "carol-password"),
    ("dave", "dave-password"),
];

/// The slapd scripts: beside the sources of this repository.
fn scripts() -> PathBuf {
    let from_cwd = PathBuf::from("tests/ldap");
    if from_cwd.join("start-slapd.sh").exists() {
        return from_cwd;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/ldap"))
}

/// A throwaway slapd, stopped on drop.
struct Slapd {
    dir: PathBuf,
    port: u16,
}

impl Slapd {
    fn start(dir: PathBuf) -> Result<Self> {
        let port = crate::process::free_addr()?.port();
        let out = Command::new("bash")
            .arg(scripts().join("start-slapd.sh"))
            .arg(&dir)
            .arg(port.to_string())
            .output()
            .context("running tests/ldap/start-slapd.sh")?;
        if !out.status.success() {
            bail!(
                "start-slapd.sh failed (slapd and ldap-utils installed?): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(Self { dir, port })
    }

    fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("slapd.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(scripts().join("stop-slapd.sh"))
            .arg(&self.dir)
            .output();
    }
}

/// CPU seconds (user + system) a process has used so far, from /proc.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// One measured run: logins per second over `cfg.duration` after `cfg.warmup`, and slapd's
/// CPU per login.
struct Run {
    rps: f64,
    slapd_cpu_us: Option<f64>,
}

/// Runs `workers` tasks made by `work` (each counts completed logins into the counter until
/// told to stop) and measures the window.
async fn measure<F, Fut>(
    cfg: LoadConfig,
    workers: usize,
    slapd: Option<u32>,
    work: F,
) -> Result<Run>
where
    F: Fn(usize, Arc<AtomicU64>, Arc<AtomicBool>) -> Fut,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let count = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..workers)
        .map(|i| tokio::spawn(work(i, Arc::clone(&count), Arc::clone(&stop))))
        .collect();
    tokio::time::sleep(cfg.warmup).await;
    let (n0, t0, c0) = (
        count.load(Ordering::Relaxed),
        Instant::now(),
        slapd.and_then(cpu_secs),
    );
    tokio::time::sleep(cfg.duration).await;
    let (n1, elapsed, c1) = (
        count.load(Ordering::Relaxed),
        t0.elapsed(),
        slapd.and_then(cpu_secs),
    );
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.context("worker panicked")??;
    }
    let done = (n1 - n0) as f64;
    ensure!(done > 0.0, "no login completed in the measured window");
    Ok(Run {
        rps: done / elapsed.as_secs_f64(),
        slapd_cpu_us: c0.zip(c1).map(|(a, b)| (b - a) * 1e6 / done),
    })
}

/// The floor worker: its own connection; bind lookup, search, bind user, again and again.
async fn floor_worker(
    url: String,
    i: usize,
    count: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let (conn, mut ldap) = LdapConnAsync::new(&url).await?;
    tokio::spawn(async move {
        let _ = conn.drive().await;
    });
    let mut n = i;
    while !stop.load(Ordering::Relaxed) {
        let (user, pw) = USERS[n % USERS.len()];
        n += 1;
        ldap.simple_bind(LOOKUP_DN, LOOKUP_PASSWORD)
            .await?
            .success()?;
        let (entries, _) = ldap
            .search(
                PEOPLE,
                Scope::Subtree,
                &format!("(uid={user})"),
                vec!["1.1"],
            )
            .await?
            .success()?;
        ensure!(entries.len() == 1, "user {user} not found");
        let dn = ldap3::SearchEntry::construct(entries.into_iter().next().context("entry")?).dn;
        ldap.simple_bind(&dn, pw).await?.success()?;
        count.fetch_add(1, Ordering::Relaxed);
    }
    let _ = ldap.unbind().await;
    Ok(())
}

async fn directory_worker(
    d: Arc<LdapDirectory>,
    i: usize,
    count: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let secrets: Vec<(&str, Secret)> = USERS.iter().map(|(u, p)| (*u, Secret::from(*p))).collect();
    let mut n = i;
    while !stop.load(Ordering::Relaxed) {
        let (user, pw) = &secrets[n % secrets.len()];
        n += 1;
        let id = d
            .authenticate(user, pw)
            .await
            .map_err(|e| anyhow::anyhow!("login of {user}: {e}"))?;
        ensure!(id.username == *user);
        count.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// Strongbox wired to `slapd`, with `readonly` attached to bob's groups.
async fn start_server(setup: &Setup, port: u16) -> Result<ServerProcess> {
    let addr = format!("127.0.0.1:{port}");
    let mut env: Vec<(&str, &str)> = RATE_LIMIT_ENV.to_vec();
    env.extend([
        ("MINIO_IDENTITY_LDAP_SERVER_ADDR", addr.as_str()),
        ("MINIO_IDENTITY_LDAP_SERVER_INSECURE", "on"),
        ("MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN", LOOKUP_DN),
        ("MINIO_IDENTITY_LDAP_LOOKUP_BIND_PASSWORD", LOOKUP_PASSWORD),
        ("MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN", PEOPLE),
        ("MINIO_IDENTITY_LDAP_USER_DN_SEARCH_FILTER", "(uid=%s)"),
        THROTTLE_ENV[0],
        THROTTLE_ENV[1],
        (
            "MINIO_IDENTITY_LDAP_GROUP_SEARCH_BASE_DN",
            "ou=groups,dc=example,dc=org",
        ),
        (
            "MINIO_IDENTITY_LDAP_GROUP_SEARCH_FILTER",
            "(&(objectclass=groupOfNames)(member=%d))",
        ),
    ]);
    let server = setup.start_strongbox(&setup.work_dir.join("ldap-sts-data"), &env)?;
    let root = S3Client::new(server.addr, &setup.region, setup.creds.clone());
    for group in GROUPS {
        let plain = zeroize::Zeroizing::new(
            serde_json::json!({ "policies": ["readonly"], "group": group }).to_string(),
        );
        let password = zeroize::Zeroizing::new(root.creds().expose_secret().as_bytes().to_vec());
        // Argon2id (64 MiB): off the async threads.
        let sealed = tokio::task::spawn_blocking(move || {
            strongbox_madmin::encrypt_data(&password, plain.as_bytes())
        })
        .await?;
        let answer = root
            .call(
                "s3",
                Method::POST,
                "/minio/admin/v3/idp/ldap/policy/attach",
                &[],
                Bytes::from(sealed),
                &[],
            )
            .await?;
        ensure!(
            answer.status == http::StatusCode::OK,
            "idp/ldap/policy/attach {group}: {}: {}; server output:\n{}",
            answer.status,
            answer.text(),
            server.log_tail()
        );
    }
    Ok(server)
}

fn login_form(addr: std::net::SocketAddr) -> Result<Arc<RequestTemplate>> {
    let body = "Action=AssumeRoleWithLDAPIdentity&Version=2011-06-15&DurationSeconds=900\
                &LDAPUsername=bob&LDAPPassword=bob-password";
    Ok(Arc::new(RequestTemplate {
        method: Method::POST,
        path: "/".into(),
        headers: header_map(&[
            ("host".into(), addr.to_string()),
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        ])?,
        body: Bytes::from_static(body.as_bytes()),
    }))
}

pub async fn run(setup: &Setup, cfg: LoadConfig, rounds: u32, report: &mut Report) -> Result<()> {
    let slapd = Slapd::start(setup.work_dir.join("ldap-slapd"))?;
    println!("  {}", announce_rate_limit());
    let server = Arc::new(start_server(setup, slapd.port).await?);
    let mut sts = Target::new(
        STS,
        Arc::clone(&server),
        login_form(server.addr)?,
        Expect::Credentials,
    );
    let url = format!("ldap://127.0.0.1:{}", slapd.port);
    let workers = cfg.connections.clamp(2, 256);
    let mut c = LdapConfig::new(
        format!("127.0.0.1:{}", slapd.port),
        LOOKUP_DN,
        Secret::from(LOOKUP_PASSWORD),
        vec![PEOPLE.to_owned()],
        "(uid=%s)",
    );
    c.server_insecure = true;
    c.group_search_base_dn = vec!["ou=groups,dc=example,dc=org".to_owned()];
    c.group_search_filter = Some("(&(objectclass=groupOfNames)(member=%d))".to_owned());
    c.pool_size = workers / 2;
    let directory = Arc::new(
        LdapDirectory::connect(c)
            .await
            .map_err(|e| anyhow::anyhow!("LDAP start-up check: {}", e.join("; ")))?,
    );
    println!(
        "  slapd on {url} (pid {:?}); {workers} workers each side, pool {} search + {} bind connections",
        slapd.pid(),
        workers / 2,
        workers / 2
    );
    let (mut floor, mut dir) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let url = url.clone();
        let f = measure(cfg, workers, slapd.pid(), move |i, n, s| {
            floor_worker(url.clone(), i, n, s)
        })
        .await?;
        let d = Arc::clone(&directory);
        let r = measure(cfg, workers, slapd.pid(), move |i, n, s| {
            directory_worker(Arc::clone(&d), i, n, s)
        })
        .await?;
        println!(
            "  round {round}/{rounds}: floor {:.0} logins/s, LdapDirectory::authenticate {:.0}/s",
            f.rps, r.rps
        );
        sts.measure(cfg).await?;
        floor.push(f);
        dir.push(r);
    }
    // Mean over the rounds, as for the server side.
    let mean = |v: &[Run]| v.iter().map(|r| r.rps).sum::<f64>() / v.len().max(1) as f64;
    let (f, d) = (mean(&floor), mean(&dir));
    report.measure(
        "ldap_floor_rps",
        "bare LDAP bind+search+bind round trips/s (the floor)",
        f,
        "req/s",
    );
    report.measure(
        "ldap_authenticate_rps",
        "LdapDirectory::authenticate/s (search, bind, group search)",
        d,
        "req/s",
    );
    if let (Some(fc), Some(dc)) = (
        floor.last().and_then(|r| r.slapd_cpu_us),
        dir.last().and_then(|r| r.slapd_cpu_us),
    ) {
        report.measure(
            "ldap_floor_slapd_cpu_us",
            "slapd CPU per floor login",
            fc,
            "µs",
        );
        report.measure(
            "ldap_authenticate_slapd_cpu_us",
            "slapd CPU per authenticate",
            dc,
            "µs",
        );
    }
    report.ratio("ldap_authenticate_vs_floor", d / f, 0.7);
    let (distinct, good) = (sts.distinct_keys(), sts.good_responses());
    ensure!(
        distinct == good,
        "AssumeRoleWithLDAPIdentity: {good} good answers but {distinct} distinct access keys"
    );
    let e2e = sts.record(cfg, report);
    report.ratio_untargeted("ldap_sts_vs_floor", e2e / f);
    report.note(announce_rate_limit());
    report.note(format!(
        "ldap: failed-login throttle raised for the run: {}",
        THROTTLE_ENV.map(|(k, v)| format!("{k}={v}")).join(" ")
    ));
    Ok(())
}
