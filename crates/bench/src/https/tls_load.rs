//! The HTTPS benchmark's own load generator and process guard. It drives plain HTTP and HTTPS
//! the same way (one code path; only the connect step differs), so their ratio measures TLS and
//! nothing else:
//! - keep-alive: N connections, each sending the replayed signed GET back to back;
//! - new connections: N workers, each doing TCP connect + full TLS handshake (no resumption) +
//!   one small GET + close (RST, so no TIME_WAIT exhausts the ports), again and again.

use crate::cpu;
use crate::load::{LoadConfig, MakeRequest};
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_SAMPLES_PER_WORKER: usize = 100_000;
/// Longest body read per response.
const MAX_BODY: usize = 64 * 1024;

/// A client configuration trusting `ca` only (ring provider, ALPN http/1.1). Without
/// `resumption` every connection does a full handshake.
pub fn connector(ca: &CertificateDer<'static>, resumption: bool) -> Result<TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone())?;
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    if !resumption {
        config.resumption = rustls::client::Resumption::disabled();
    }
    Ok(TlsConnector::from(Arc::new(config)))
}

type Sender = SendRequest<Full<Bytes>>;

/// Opens an HTTP/1.1 connection, over TLS when `tls` is given.
pub async fn connect(addr: SocketAddr, tls: Option<&TlsConnector>) -> Result<Sender> {
    let tcp = TcpStream::connect(addr).await.context("connect")?;
    tcp.set_nodelay(true)?;
    let Some(tls) = tls else {
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        tokio::spawn(conn);
        return Ok(sender);
    };
    let name = ServerName::IpAddress(addr.ip().into());
    let stream = tls.connect(name, tcp).await.context("TLS handshake")?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

/// Sends `req` and reads the whole (bounded) answer.
pub async fn send(sender: &mut Sender, req: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes)> {
    sender.ready().await?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let mut body = resp.into_body();
    let mut kept = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            if kept.len() + data.len() > MAX_BODY {
                bail!("answer longer than {MAX_BODY} bytes");
            }
            kept.extend_from_slice(&data);
        }
    }
    Ok((status, Bytes::from(kept)))
}

/// A GET without authentication (health checks, the handshake runs).
pub fn plain_get(addr: SocketAddr, path: &str) -> Result<Request<Full<Bytes>>> {
    Ok(Request::builder()
        .uri(path)
        .header(http::header::HOST, addr.to_string())
        .body(Full::new(Bytes::new()))?)
}

/// A server child process (Strongbox over HTTPS, or the TLS floor), killed on drop.
pub struct TlsProcess {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
}

impl TlsProcess {
    /// Starts `cmd` (output to `log`) and waits until `GET health` over TLS answers 200.
    pub async fn start(
        name: &'static str,
        mut cmd: Command,
        addr: SocketAddr,
        log: PathBuf,
        tls: &TlsConnector,
        health: &str,
    ) -> Result<Self> {
        let out = std::fs::File::create(&log)?;
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
        let mut this = Self { child, addr, log };
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = this.child.try_wait()? {
                bail!("{name} exited ({status}):\n{}", this.log_tail());
            }
            let probe = async {
                let mut s = connect(addr, Some(tls)).await?;
                send(&mut s, plain_get(addr, health)?).await
            };
            if let Ok(Ok((StatusCode::OK, _))) =
                tokio::time::timeout(Duration::from_secs(2), probe).await
            {
                return Ok(this);
            }
            if Instant::now() > deadline {
                bail!("{name} not ready over HTTPS:\n{}", this.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for TlsProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a worker sends and how it connects.
#[derive(Clone)]
pub enum Mode {
    /// One connection per worker, the request replayed; a good answer is 200 with `len` bytes.
    KeepAlive {
        tls: Option<TlsConnector>,
        source: Arc<dyn MakeRequest>,
        len: usize,
    },
    /// A new TLS connection for every request (GET `path`); a good answer is any 200.
    NewConnections { tls: TlsConnector, path: String },
}

/// The outcome of one measured run.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub ok: u64,
    pub bad: u64,
    pub first_bad: Option<String>,
    pub elapsed: Duration,
    pub server_cpu: Option<Duration>,
    pub p50_us: u32,
    pub p99_us: u32,
}

impl Stats {
    pub fn per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    pub fn server_cpu_us(&self) -> Option<f64> {
        self.server_cpu
            .map(|c| c.as_secs_f64() * 1e6 / self.ok.max(1) as f64)
    }
}

#[derive(Default)]
struct WorkerOut {
    ok: u64,
    bad: u64,
    first_bad: Option<String>,
    samples: Vec<u32>,
}

/// Runs `cfg.connections` workers against `addr` (process `pid`) for warm-up + duration.
pub async fn run(addr: SocketAddr, pid: u32, mode: Mode, cfg: LoadConfig) -> Result<Stats> {
    let start = Instant::now();
    let window = (start + cfg.warmup, start + cfg.warmup + cfg.duration);
    let mut tasks = Vec::new();
    for _ in 0..cfg.connections.max(1) {
        let mode = mode.clone();
        tasks.push(tokio::spawn(worker(addr, mode, window)));
    }
    tokio::time::sleep_until(window.0.into()).await;
    let cpu0 = cpu::process_cpu(pid);
    tokio::time::sleep_until(window.1.into()).await;
    let cpu1 = cpu::process_cpu(pid);
    let mut stats = Stats {
        elapsed: cfg.duration,
        server_cpu: cpu0.zip(cpu1).map(|(a, b)| b.saturating_sub(a)),
        ..Stats::default()
    };
    let mut samples = Vec::new();
    for task in tasks {
        let out = tokio::time::timeout(REQUEST_TIMEOUT + Duration::from_secs(5), task)
            .await
            .context("a load worker did not stop")??;
        stats.ok += out.ok;
        stats.bad += out.bad;
        if stats.first_bad.is_none() {
            stats.first_bad = out.first_bad;
        }
        samples.extend(out.samples);
    }
    samples.sort_unstable();
    let pct = |p: usize| samples.get((samples.len().max(1) - 1) * p / 100).copied();
    stats.p50_us = pct(50).unwrap_or(0);
    stats.p99_us = pct(99).unwrap_or(0);
    Ok(stats)
}

async fn worker(addr: SocketAddr, mode: Mode, window: (Instant, Instant)) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut kept: Option<Sender> = None;
    loop {
        let sent = Instant::now();
        if sent >= window.1 {
            return out;
        }
        let one = async {
            match &mode {
                Mode::KeepAlive { tls, source, len } => {
                    if kept.is_none() {
                        kept = Some(connect(addr, tls.as_ref()).await?);
                    }
                    let sender = kept.as_mut().context("no connection")?;
                    let (status, body) = send(sender, source.make()?).await?;
                    anyhow::ensure!(
                        status == StatusCode::OK && body.len() == *len,
                        "status {status}, {} bytes",
                        body.len()
                    );
                }
                Mode::NewConnections { tls, path } => {
                    let mut sender = connect_rst(addr, tls).await?;
                    let (status, _) = send(&mut sender, plain_get(addr, path)?).await?;
                    anyhow::ensure!(status == StatusCode::OK, "status {status}");
                }
            }
            anyhow::Ok(())
        };
        let result = tokio::time::timeout(REQUEST_TIMEOUT, one).await;
        let done = Instant::now();
        match result {
            Ok(Ok(())) => {
                if done >= window.0 && done < window.1 {
                    out.ok += 1;
                    if out.samples.len() < MAX_SAMPLES_PER_WORKER {
                        let us = done.duration_since(sent).as_micros();
                        out.samples.push(u32::try_from(us).unwrap_or(u32::MAX));
                    }
                }
            }
            Ok(Err(e)) => {
                out.bad += 1;
                out.first_bad.get_or_insert_with(|| format!("{e:#}"));
                kept = None;
            }
            Err(_) => {
                out.bad += 1;
                out.first_bad.get_or_insert_with(|| "timed out".to_owned());
                kept = None;
            }
        }
    }
}

/// A TLS connection whose socket resets on close (SO_LINGER 0): thousands of short connections
/// per second must not pile up in TIME_WAIT and exhaust the client's ports.
async fn connect_rst(addr: SocketAddr, tls: &TlsConnector) -> Result<Sender> {
    let tcp = TcpStream::connect(addr).await.context("connect")?;
    tcp.set_nodelay(true)?;
    #[allow(deprecated)] // zero linger never blocks in close
    tcp.set_linger(Some(Duration::ZERO))?;
    let name = ServerName::IpAddress(addr.ip().into());
    let stream = tls.connect(name, tcp).await.context("TLS handshake")?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}
