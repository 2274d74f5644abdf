//! `strongbox-bench`: Strongbox measured against floors taken in the same run.
//! See crates/bench/README.md for what each subcommand measures.

mod assume_role;
mod authz_latency;
mod bigobject;
mod cpu;
mod custom_token;
mod floor;
mod get4k;
mod get4k_auth;
mod https;
mod iam_fixture;
mod ldap;
mod load;
mod plugin_server;
mod policy50;
mod policy_eval;
mod process;
mod report;
mod s3client;
mod servers;
mod sigv4;
#[cfg(test)]
mod sigv4_interop;
mod sts_client;
mod sts_scale;
mod web_identity;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use load::LoadConfig;
use report::{Report, machine_load};
use servers::Setup;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "strongbox-bench",
    about = "Benchmark Strongbox against floors measured in the same run"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// 4 KiB GETs against the trivial hyper server (the floor).
    FloorGet(Common),
    /// 4 KiB SigV4-signed GetObject against Strongbox, and the floor in the same run.
    Get4k(Common),
    /// Large object PUT/GET against raw disk and MD5 speed.
    Bigobject(Common),
    /// ns per policy decision (canned readwrite, the 50-statement policy), in process.
    PolicyEval(Common),
    /// 4 KiB GetObject signed by an IAM user with the 50-statement policy vs by root.
    Get4kIam(Common),
    /// 4 KiB GetObject signed with AssumeRole credentials (of that user, of root) vs by root; the user's own keys too.
    Get4kSts(Common),
    /// AssumeRole requests/s (each re-signed) vs the floor.
    AssumeRole(Common),
    /// Issue up to 1,000,000 credentials; IAM store and server memory before/after.
    StsScale(Common),
    /// AssumeRoleWithWebIdentity requests/s (RS256, keys cached) vs the floor and vs RS256
    /// verification alone.
    WebIdentity(Common),
    /// AssumeRoleWithCustomToken requests/s vs the identity plugin's own rate (the floor).
    CustomToken(Common),
    /// 4 KiB GetObject latency and req/s with an OPA-style external authoriser vs without.
    AuthzLatency(Common),
    /// LdapDirectory::authenticate/s vs bare bind+search+bind round trips/s to the same
    /// throwaway slapd (tests/ldap/start-slapd.sh).
    Ldap(Common),
    /// 4 KiB GetObject over HTTPS (keep-alive) vs plain HTTP, and new TLS connections/s vs a
    /// hyper+rustls floor.
    Https(Common),
    /// Issue #4's benchmark in one run: assume-role, get4k-sts (with the IAM rounds) and
    /// sts-scale.
    Sts(Common),
    /// Everything, with the ratios.
    All(Common),
    /// The trivial hyper server itself (started by the other subcommands).
    #[command(hide = true)]
    FloorServer {
        #[arg(long)]
        address: SocketAddr,
        #[arg(long, default_value_t = get4k::OBJECT_LEN)]
        body_len: usize,
    },
    /// The trivial hyper server behind rustls (started by https).
    #[command(hide = true)]
    HttpsFloorServer {
        #[arg(long)]
        address: SocketAddr,
        #[arg(long)]
        certs_dir: PathBuf,
        #[arg(long, default_value_t = get4k::OBJECT_LEN)]
        body_len: usize,
    },
    /// The identity plugin or OPA-style authoriser (started by custom-token, authz-latency).
    #[command(hide = true)]
    PluginServer {
        #[arg(long)]
        address: SocketAddr,
        #[arg(long, value_enum)]
        kind: plugin_server::Kind,
    },
}

#[derive(Args, Clone)]
struct Common {
    /// The strongbox binary (default: next to this binary).
    #[arg(long)]
    strongbox: Option<PathBuf>,
    /// Temporary data lives in a fresh directory under this one (keep it on the repo's disk).
    #[arg(long, default_value = "target/bench")]
    work_dir: PathBuf,
    /// Where the JSON results go.
    #[arg(long, default_value = "target/bench/results.json")]
    out: PathBuf,
    /// Connections for the 4 KiB GET load.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1024))]
    connections: u16,
    /// Warm-up seconds before the measured window.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Measured seconds for each load run.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Rounds of 4 KiB GET load; with both servers they alternate floor, Strongbox, floor, ...
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    rounds: u32,
    /// Size of the big object in MiB.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=16384))]
    size_mib: u64,
    /// Credentials sts-scale issues (fewer if the 5-minute bound would not allow them).
    #[arg(long, default_value_t = sts_scale::TARGET_COUNT, value_parser = clap::value_parser!(u64).range(1..=sts_scale::TARGET_COUNT))]
    sts_count: u64,
}

impl Common {
    fn load_config(&self) -> Result<LoadConfig> {
        let secs = |s: f64, what: &str| {
            anyhow::ensure!(
                (0.0..=600.0).contains(&s),
                "--{what} must be between 0 and 600 seconds"
            );
            Ok(Duration::from_secs_f64(s))
        };
        let duration = secs(self.duration, "duration")?;
        anyhow::ensure!(!duration.is_zero(), "--duration must be positive");
        Ok(LoadConfig {
            connections: usize::from(self.connections),
            warmup: secs(self.warmup, "warmup")?,
            duration,
            max_requests: None,
        })
    }
}

/// Which parts a subcommand runs.
#[derive(Clone, Copy, Default)]
struct Which {
    floor: bool,
    get4k: bool,
    big: bool,
    policy_eval: bool,
    get4k_iam: bool,
    get4k_sts: bool,
    assume_role: bool,
    sts_scale: bool,
    web_identity: bool,
    custom_token: bool,
    authz_latency: bool,
    ldap: bool,
    https: bool,
}

impl Which {
    const NONE: Which = Which {
        floor: false,
        get4k: false,
        big: false,
        policy_eval: false,
        get4k_iam: false,
        get4k_sts: false,
        assume_role: false,
        sts_scale: false,
        web_identity: false,
        custom_token: false,
        authz_latency: false,
        ldap: false,
        https: false,
    };
    const ALL: Which = Which {
        floor: true,
        get4k: true,
        big: true,
        policy_eval: true,
        get4k_iam: true,
        get4k_sts: true,
        assume_role: true,
        sts_scale: true,
        web_identity: true,
        custom_token: true,
        authz_latency: true,
        ldap: true,
        https: true,
    };
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let (which, common) = match cli.command {
        Cmd::FloorServer { address, body_len } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            return rt.block_on(floor::serve(address, body_len));
        }
        Cmd::HttpsFloorServer {
            address,
            certs_dir,
            body_len,
        } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            return rt.block_on(https::serve_floor(address, &certs_dir, body_len));
        }
        Cmd::PluginServer { address, kind } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            return rt.block_on(plugin_server::serve(address, kind));
        }
        Cmd::FloorGet(c) => (
            Which {
                floor: true,
                ..Which::NONE
            },
            c,
        ),
        // With the floor, alternating rounds: the ratio of issue #2 (a) in one command.
        Cmd::Get4k(c) => (
            Which {
                floor: true,
                get4k: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::Bigobject(c) => (
            Which {
                big: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::PolicyEval(c) => (
            Which {
                policy_eval: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::Get4kIam(c) => (
            Which {
                get4k_iam: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::Get4kSts(c) => (
            Which {
                get4k_sts: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::AssumeRole(c) => (
            Which {
                assume_role: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::StsScale(c) => (
            Which {
                sts_scale: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::Sts(c) => (
            Which {
                assume_role: true,
                get4k_sts: true,
                sts_scale: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::WebIdentity(c) => (
            Which {
                web_identity: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::CustomToken(c) => (
            Which {
                custom_token: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::AuthzLatency(c) => (
            Which {
                authz_latency: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::Ldap(c) => (
            Which {
                ldap: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::Https(c) => (
            Which {
                https: true,
                ..Which::NONE
            },
            c,
        ),
        Cmd::All(c) => (Which::ALL, c),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        // On SIGINT/SIGTERM the run future is dropped, and with it the server guards (which
        // kill their processes) and the temporary directory.
        tokio::select! {
            r = run(which, &common) => r,
            s = interrupted() => Err(anyhow::anyhow!("interrupted by {s}; servers stopped")),
        }
    })
}

async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        },
        // Without signal handlers, never resolve: the run goes on as normal.
        _ => std::future::pending().await,
    }
}

async fn run(which: Which, common: &Common) -> Result<()> {
    let strongbox_bin = match &common.strongbox {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("strongbox"),
    };
    std::fs::create_dir_all(&common.work_dir)?;
    let tmp = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&common.work_dir)
        .with_context(|| {
            format!(
                "creating a temporary directory under {}",
                common.work_dir.display()
            )
        })?;
    let setup = Setup::new(strongbox_bin, tmp.path().to_path_buf());
    let cfg = common.load_config()?;
    let mut report = Report::default();
    let (load_before, cpus) = machine_load();
    println!(
        "strongbox-bench: {cpus} CPUs, load average {load_before:.2} at start; data under {}",
        tmp.path().display()
    );

    let mut targets = Vec::new();
    if which.policy_eval {
        println!("policy-eval: in process, median of 7 trials");
        policy_eval::run(&mut report)?;
    }
    if which.floor {
        targets.push(get4k::prepare_floor(&setup)?);
    }
    if which.get4k {
        targets.push(get4k::prepare_strongbox(&setup).await?);
    }
    for round in 1..=common.rounds {
        if !targets.is_empty() {
            println!(
                "4 KiB GET round {round}/{}: {} connections, {:?} warm-up + {:?} measured",
                common.rounds, cfg.connections, cfg.warmup, cfg.duration
            );
        }
        for target in &mut targets {
            target.measure(cfg).await?;
        }
    }
    let rps: Vec<f64> = targets.iter().map(|t| t.record(cfg, &mut report)).collect();
    drop(targets);
    if let [floor, sb] = rps[..] {
        report.ratio("get4k_vs_floor", sb / floor, 0.5);
        if let (Some(f), Some(s)) = (
            report.value("floor_cpu_us_per_req"),
            report.value("strongbox_cpu_us_per_req"),
        ) {
            report.info(
                "get4k_server_cpu_floor_vs_strongbox",
                f / s,
                "floor server CPU per request / Strongbox's: hardly moved by other load",
            );
        }
    }
    if which.get4k_iam || which.get4k_sts {
        println!("get4k by credential: root vs IAM user / temporary credentials, one server");
        get4k_auth::run(
            &setup,
            cfg,
            common.rounds,
            // The user's temporary credentials are also compared with the user's own keys.
            which.get4k_iam || which.get4k_sts,
            which.get4k_sts,
            &mut report,
        )
        .await?;
    }
    if which.assume_role {
        println!("assume-role: AssumeRole vs the floor, every request signed afresh");
        assume_role::run(&setup, cfg, common.rounds, &mut report).await?;
    }
    if which.web_identity {
        println!("web-identity: AssumeRoleWithWebIdentity vs the floor and vs RS256 verification");
        web_identity::run(&setup, cfg, common.rounds, &mut report).await?;
    }
    if which.custom_token {
        println!("custom-token: AssumeRoleWithCustomToken vs the identity plugin alone");
        custom_token::run(&setup, cfg, common.rounds, &mut report).await?;
    }
    if which.authz_latency {
        println!("authz-latency: 4 KiB GetObject with an OPA-style authoriser vs without");
        authz_latency::run(&setup, cfg, common.rounds, &mut report).await?;
    }
    if which.ldap {
        println!("ldap: LdapDirectory::authenticate vs bare LDAP round trips to the same slapd");
        ldap::run(&setup, cfg, common.rounds, &mut report).await?;
    }
    if which.https {
        println!("https: 4 KiB GetObject over HTTPS vs HTTP; new TLS connections vs the floor");
        https::run(&setup, cfg, common.rounds, &mut report).await?;
    }
    if which.big {
        println!("bigobject: {} MiB, single stream", common.size_mib);
        bigobject::run(&setup, common.size_mib * 1024 * 1024, &mut report).await?;
    }
    if which.sts_scale {
        println!(
            "sts-scale: up to {} credentials, store and memory before/after",
            common.sts_count
        );
        sts_scale::run(&setup, cfg.connections, common.sts_count, &mut report).await?;
    }

    let (load_after, _) = machine_load();
    report.detail("machine", serde_json::json!({ "cpus": cpus, "loadavg_1m_start": load_before, "loadavg_1m_end": load_after }));
    if load_before > 0.5 {
        report.note(format!(
            "machine was busy with other work (load average {load_before:.2} at start, {cpus} CPUs): figures are noisy"
        ));
    }
    report.print();
    report.write_json(&common.out)?;
    println!("results written to {}", common.out.display());
    Ok(())
}
