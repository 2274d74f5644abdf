//! How to start each server under test: the Strongbox binary and the floor (this binary's
//! hidden `floor-server` subcommand).

use crate::process::{ServerProcess, free_addr};
use crate::sigv4::Credentials;
use anyhow::{Context, Result};
use rand::Rng;
use rand::distributions::Alphanumeric;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Everything a scenario needs to know about its surroundings.
pub struct Setup {
    pub strongbox_bin: PathBuf,
    /// A fresh temporary directory on the same disk as the repository.
    pub work_dir: PathBuf,
    pub creds: Credentials,
    pub region: String,
}

impl Setup {
    pub fn new(strongbox_bin: PathBuf, work_dir: PathBuf) -> Self {
        let mut rng = rand::thread_rng();
        let user: String = (&mut rng)
            .sample_iter(Alphanumeric)
            .take(16)
            .map(char::from)
            .collect();
        let password: String = (&mut rng)
            .sample_iter(Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        Self {
            strongbox_bin,
            work_dir,
            creds: Credentials::new(format!("bench{user}"), password),
            region: "us-east-1".into(),
        }
    }

    /// `strongbox server --address 127.0.0.1:PORT DIR` with our root credentials and `env`
    /// added to the environment. `STRONGBOX_AUDIT_FILE` is removed unless `env` sets it, so
    /// no run writes an audit file by accident.
    pub fn start_strongbox(&self, data_dir: &Path, env: &[(&str, &str)]) -> Result<ServerProcess> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let addr = free_addr()?;
        let mut cmd = Command::new(&self.strongbox_bin);
        cmd.arg("server")
            .arg("--address")
            .arg(addr.to_string())
            .arg(data_dir)
            .env("MINIO_ROOT_USER", self.creds.access_key())
            .env("MINIO_ROOT_PASSWORD", self.creds.expose_secret())
            .env_remove("STRONGBOX_AUDIT_FILE");
        cmd.envs(env.iter().copied());
        ServerProcess::start("strongbox", cmd, addr, "/minio/health/live")
    }

    /// The trivial hyper server answering `body_len` bytes to every request.
    pub fn start_floor(&self, body_len: usize) -> Result<ServerProcess> {
        let addr = free_addr()?;
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.arg("floor-server")
            .arg("--address")
            .arg(addr.to_string())
            .arg("--body-len")
            .arg(body_len.to_string());
        ServerProcess::start("floor", cmd, addr, "/")
    }
}
