//! End-to-end harness: starts the real `strongbox` binary on a free 127.0.0.1 port with a fresh data
//! directory and fixed root credentials, and hands out clients for it.
//!
//! Every test file that needs a server does `mod common;` (or `#[path = "../common/mod.rs"]`).
#![allow(dead_code)] // each test binary uses a different subset of the helpers

pub mod data;
pub mod http;
pub mod ldap;
pub mod sigv4;

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};

pub const ROOT_USER: &str = "strongbox-e2e-root";
pub const ROOT_PASSWORD: &str = "e2e-secret-Passw0rd-long-enough";
pub const REGION: &str = "us-east-1";

/// How long a fresh server gets to answer `/minio/health/live`.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running (or stopped) `strongbox server` process on its own data directory.
/// Dropping it kills the process (SIGKILL) and removes the directories.
pub struct Server {
    child: Option<Child>,
    addr: SocketAddr,
    /// The data directory DIR handed to `strongbox server DIR`. Lives inside `root`.
    data_dir: PathBuf,
    /// Parent of DIR: tests assert that nothing appears here besides DIR and the logs.
    root: tempfile::TempDir,
    log_path: PathBuf,
    starts: u32,
    /// Credential environment for the child: `None` means "unset".
    env: Vec<(String, Option<String>)>,
}

/// The root-credential environment every test server gets unless a test says otherwise.
pub fn default_env() -> Vec<(String, Option<String>)> {
    vec![
        ("MINIO_ROOT_USER".into(), Some(ROOT_USER.into())),
        ("MINIO_ROOT_PASSWORD".into(), Some(ROOT_PASSWORD.into())),
    ]
}

/// Bind :0 on 127.0.0.1, read the port the kernel chose, and release it.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

impl Server {
    /// Start a server on a fresh, empty data directory. Panics (with the server's log) if it does
    /// not become healthy within 20 s.
    pub fn start() -> Server {
        Server::start_with_env(default_env())
    }

    /// Start with a chosen credential environment (`None` removes the variable). The MinIO
    /// credential and region variables not named here are removed from the child's environment.
    pub fn start_with_env(env: Vec<(String, Option<String>)>) -> Server {
        let mut server = Server::prepare(env);
        server.spawn();
        server
    }

    /// Set up DIR and the log without starting anything (see [`Server::run_to_exit`]).
    pub fn prepare(env: Vec<(String, Option<String>)>) -> Server {
        let root = tempfile::Builder::new()
            .prefix("strongbox-e2e-")
            .tempdir()
            .expect("tempdir");
        let data_dir = root.path().join("data");
        std::fs::create_dir(&data_dir).expect("create data dir");
        let log_path = root.path().join("server.log");
        Server {
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            root,
            log_path,
            starts: 0,
            env,
        }
    }

    fn command(&mut self) -> Command {
        self.addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        self.starts += 1;
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open server log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_strongbox"));
        cmd.arg("server")
            .arg("--address")
            .arg(self.addr.to_string())
            .arg(&self.data_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log);
        for var in [
            "MINIO_ROOT_USER",
            "MINIO_ROOT_PASSWORD",
            "MINIO_ACCESS_KEY",
            "MINIO_SECRET_KEY",
            "MINIO_REGION",
            "MINIO_SITE_REGION",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in &self.env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "server already running");
        let child = self.command().spawn().expect("spawn strongbox binary");
        self.child = Some(child);
        self.wait_healthy();
    }

    /// Run the binary expecting it to exit by itself (a configuration error); returns its status.
    pub fn run_to_exit(&mut self, timeout: Duration) -> ExitStatus {
        assert!(self.child.is_none(), "server already running");
        let mut child = self.command().spawn().expect("spawn strongbox binary");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "strongbox kept running for {timeout:?}; expected it to exit\n--- log ---\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("try_wait"))
            {
                self.child = None;
                panic!(
                    "strongbox exited during start-up with {status}\n--- server log ---\n{}",
                    self.log()
                );
            }
            if let Ok(resp) =
                http::request_blocking(self.addr, "GET", "/minio/health/live", &[], &[])
                && resp.status == 200
            {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "strongbox did not answer 200 on /minio/health/live at {} within {:?}\n--- server log ---\n{}",
                    self.addr,
                    START_TIMEOUT,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The directory that holds DIR (and the log); nothing else may appear in it.
    pub fn root_dir(&self) -> &Path {
        self.root.path()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Everything the server printed so far (all starts).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// An aws-sdk-s3 client with the root credentials: path-style, region us-east-1.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        self.s3_with(ROOT_USER, ROOT_PASSWORD)
    }

    /// An aws-sdk-s3 client with arbitrary credentials (for the error-code tests).
    pub fn s3_with(&self, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(self.s3_config(access_key, secret_key).build())
    }

    /// The config builder behind [`Server::s3_with`], for tests that change one more setting.
    pub fn s3_config(&self, access_key: &str, secret_key: &str) -> aws_sdk_s3::config::Builder {
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new(
                access_key,
                secret_key,
                None,
                None,
                "strongbox-e2e",
            ))
            .force_path_style(true)
    }

    /// `kill -9` the server and reap it.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Send a signal (SIGTERM, SIGINT) without waiting.
    pub fn signal(&self, signal: rustix::process::Signal) {
        let child = self.child.as_ref().expect("server not running");
        let pid = rustix::process::Pid::from_child(child);
        rustix::process::kill_process(pid, signal).expect("send signal");
    }

    /// Send SIGTERM and wait (bounded) for the exit status.
    pub fn sigterm(&mut self, timeout: Duration) -> ExitStatus {
        self.signal(rustix::process::Signal::TERM);
        self.wait_exit(timeout)
    }

    /// Wait (bounded) for the process to exit by itself; SIGKILL and panic after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("server not running");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "strongbox did not exit within {timeout:?}\n--- server log ---\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Start the binary again on the same DIR (on a new port). Kills the old process first if it
    /// is still running.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// Whether the process is still alive.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => c.try_wait().expect("try_wait").is_none(),
            None => false,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() && std::env::var_os("STRONGBOX_E2E_QUIET").is_none() {
            eprintln!("--- strongbox log ({}) ---\n{}", self.addr, self.log());
        }
    }
}

/// A unique, valid bucket name for one test.
pub fn bucket_name(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("e2e-{tag}-{}-{n}", std::process::id())
}

/// Every file under `dir`, recursively (paths relative to `dir`).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap_or(&p).to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The S3 error code of a failed SDK call (panics if the call succeeded).
pub fn err_code<T: std::fmt::Debug, E, R>(
    res: Result<T, aws_sdk_s3::error::SdkError<E, R>>,
) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match res {
        Ok(v) => panic!("expected an S3 error, got success: {v:?}"),
        Err(e) => match e.as_service_error() {
            Some(se) => se.code().unwrap_or("<no code>").to_string(),
            None => panic!("expected an S3 service error, got {e:?}"),
        },
    }
}

/// HTTP status of a failed SDK call.
pub fn err_status<T: std::fmt::Debug, E: std::fmt::Debug>(
    res: Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> u16 {
    match res {
        Ok(v) => panic!("expected an error, got success: {v:?}"),
        Err(e) => match e.raw_response() {
            Some(r) => r.status().as_u16(),
            None => panic!("expected an HTTP error response, got {e:?}"),
        },
    }
}
