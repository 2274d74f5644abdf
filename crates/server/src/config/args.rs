//! Command-line arguments of `strongbox server` (the binary embeds them in its clap CLI).

use std::path::PathBuf;

/// Arguments of `strongbox server`.
#[derive(clap::Args, Debug, Clone)]
pub struct ServerArgs {
    /// Address to listen on, HOST:PORT. ":9000" means every interface, port 9000; port 0 picks a
    /// free port (the bound address is logged as "listening on http://ADDR", or https://).
    #[arg(long, default_value = ":9000", value_name = "HOST:PORT")]
    pub address: String,

    /// Log format [env: STRONGBOX_LOG_FORMAT]. The level comes from STRONGBOX_LOG or RUST_LOG.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,

    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT [env: STRONGBOX_SHUTDOWN_TIMEOUT]
    /// [default: 30].
    #[arg(long, value_name = "SECONDS")]
    pub shutdown_timeout: Option<u64>,

    /// Certificate directory for HTTPS: public.crt, private.key and CAs/ (MinIO's layout)
    /// [env: MINIO_CERTS_DIR] [default: ~/.minio/certs]. Without the certificate files the server
    /// speaks plain HTTP.
    #[arg(long, value_name = "DIR")]
    pub certs_dir: Option<PathBuf>,

    /// TOML configuration file [env: STRONGBOX_CONFIG_FILE]: the same settings as the MINIO_* /
    /// STRONGBOX_* variables, which win over it (see docs/configuration.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Data directory: objects, and the server's own state under DIR/.strongbox.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

impl ServerArgs {
    /// Arguments as if given `strongbox server DIR` with every option at its default.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            address: ":9000".to_owned(),
            log_format: None,
            shutdown_timeout: None,
            config: None,
            certs_dir: None,
            dir: dir.into(),
        }
    }
}

/// How log lines are written.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}
