//! `strongbox`: an S3-compatible object server with a MinIO-compatible STS.
//!
//! This file reads as the boot log; the work lives in `strongbox-server` and `strongbox-storage`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use strongbox_server::config::{self, ProcessEnv};
use strongbox_server::credentials::{self, Origin};
use strongbox_server::{Config, Drained, Server, ServerArgs, logging, shutdown};
use strongbox_storage::FsBackend;
use tracing::{error, info, warn};

#[derive(Parser)]
#[command(
    name = "strongbox",
    version,
    about = "S3-compatible object server with a MinIO-compatible STS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve S3 from DIR on one port.
    ///
    /// Root credentials come from MINIO_ROOT_USER and MINIO_ROOT_PASSWORD (or the older
    /// MINIO_ACCESS_KEY and MINIO_SECRET_KEY); without them, random ones are generated on first start, printed once
    /// and kept in DIR/.strongbox/root-credentials.json. Region: MINIO_SITE_REGION or
    /// MINIO_REGION (default us-east-1). Virtual-host-style buckets: MINIO_DOMAIN. Every setting
    /// can also come from a TOML file (--config FILE); the environment wins over it.
    Server(ServerArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Server(args) => server(&args),
    }
}

fn server(args: &ServerArgs) -> ExitCode {
    let (config, file) = match config::file::load(args, &ProcessEnv) {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprintln!("strongbox: {errors}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = logging::init(&config.log) {
        eprintln!("strongbox: cannot start logging: {e}");
        return ExitCode::from(2);
    }
    if let Some(file) = &file {
        file.log_startup(&ProcessEnv);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            error!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let dir = config.data_dir.display().to_string();
    info!(version = env!("CARGO_PKG_VERSION"), data_dir = %dir, "starting strongbox");
    for warning in &config.warnings {
        warn!("{warning}");
    }

    let (root, origin) = credentials::resolve(&config.root_credentials, &config.data_dir)?;
    match &origin {
        Origin::Environment => info!(
            root_user = root.access_key(),
            "root credentials from the environment or the configuration file"
        ),
        Origin::Created(path) => println!("{}", *credentials::first_start_notice(&root, path)),
        Origin::Loaded(path) => info!(
            root_user = root.access_key(),
            "root credentials generated at first start are kept in {}",
            path.display()
        ),
    }

    let backend = FsBackend::open_with_region(&config.data_dir, &config.region).await?;
    info!(region = %config.region, "objects on local disk under {dir}");
    if !config.domains.is_empty() {
        info!(domains = ?config.domains, "virtual-host-style requests enabled");
    }

    let reads = std::sync::Arc::new(backend.clone());
    let server = Server::bind(&config, root, backend)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?
        .with_direct_reads(reads);
    let iam = server.iam().snapshot();
    info!(
        users = iam.users().len(),
        groups = iam.group_names().len(),
        policies = iam.policies().len(),
        "IAM state in {dir}/.strongbox/iam.redb"
    );
    drop(iam);
    info!("listening on {}://{}", server.scheme(), server.local_addr());

    let signal = shutdown::signal()?;
    let drained = server
        .serve(async {
            let name = signal.await;
            info!("received {name}; shutting down");
        })
        .await;
    match drained {
        Drained::Completely => info!("stopped"),
        Drained::TimedOut => warn!("stopped with requests still running"),
    }
    Ok(())
}
