//! The load generator: N HTTP/1.1 keep-alive connections, each sending the same request
//! sequentially for a warm-up period and then a measured period. Every response must be
//! 200 with exactly the expected body length, otherwise the run is reported as invalid.

use crate::cpu;
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Longest a single request may take before the run is declared broken.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Latency samples kept per connection (bounds memory at ~64 * 200k * 4 bytes).
const MAX_SAMPLES_PER_CONN: usize = 200_000;

/// One request, replayed unchanged on every connection.
#[derive(Clone)]
pub struct RequestTemplate {
    pub path: String,
    pub headers: HeaderMap,
}

impl RequestTemplate {
    /// `path` is raw (not percent-encoded), as given to the signer.
    /// `path` is raw (not percent-encoded), as given to the signer.
    pub fn new(path: &str, headers: &[(String, String)]) -> Result<Self> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes())?,
                HeaderValue::from_str(value)?,
            );
        }
        Ok(Self {
            path: crate::sigv4::uri_encode(path, true),
            headers: map,
        })
    }

    fn build(&self) -> Result<Request<Empty<Bytes>>> {
        let mut req = Request::builder()
            .method(Method::GET)
            .uri(&self.path)
            .body(Empty::new())?;
        *req.headers_mut() = self.headers.clone();
        Ok(req)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct LoadConfig {
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub expected_len: u64,
}

#[derive(Debug, Default)]
pub struct LoadResult {
    /// Good responses completed inside the measured window.
    pub measured_ok: u64,
    /// All responses, warm-up included.
    pub total: u64,
    /// Responses that were not 200 or had the wrong length, plus transport errors.
    pub bad: u64,
    pub first_bad: Option<String>,
    pub elapsed: Duration,
    pub p50_us: u32,
    pub p99_us: u32,
    /// CPU time the server process used during the measured window.
    pub server_cpu: Option<Duration>,
    /// CPU time this load generator used during the measured window.
    pub client_cpu: Option<Duration>,
}

impl LoadResult {
    pub fn requests_per_sec(&self) -> f64 {
        self.measured_ok as f64 / self.elapsed.as_secs_f64()
    }

    /// Server CPU microseconds per measured request.
    pub fn server_cpu_us_per_req(&self) -> Option<f64> {
        self.server_cpu
            .map(|c| c.as_secs_f64() * 1e6 / self.measured_ok.max(1) as f64)
    }

    /// Load generator CPU microseconds per measured request.
    pub fn client_cpu_us_per_req(&self) -> Option<f64> {
        self.client_cpu
            .map(|c| c.as_secs_f64() * 1e6 / self.measured_ok.max(1) as f64)
    }

    pub fn is_valid(&self) -> bool {
        self.bad == 0 && self.measured_ok > 0
    }
}

struct ConnOutcome {
    measured_ok: u64,
    total: u64,
    bad: u64,
    first_bad: Option<String>,
    samples: Vec<u32>,
}

/// Run the load against `addr` (served by process `server_pid`) and return the merged result.
pub async fn run(
    addr: SocketAddr,
    server_pid: u32,
    template: RequestTemplate,
    cfg: LoadConfig,
) -> Result<LoadResult> {
    if cfg.connections == 0 {
        bail!("need at least one connection");
    }
    let template = Arc::new(template);
    let start = Instant::now();
    let window_start = start + cfg.warmup;
    let window_end = window_start + cfg.duration;
    let mut tasks = Vec::with_capacity(cfg.connections);
    for _ in 0..cfg.connections {
        let template = Arc::clone(&template);
        tasks.push(tokio::spawn(async move {
            connection(addr, &template, cfg, window_start, window_end).await
        }));
    }
    let cpu_sampler = tokio::spawn(cpu_in_window(server_pid, window_start, window_end));
    let mut result = LoadResult {
        elapsed: cfg.duration,
        ..LoadResult::default()
    };
    let mut samples = Vec::new();
    let hard_limit = cfg.warmup + cfg.duration + REQUEST_TIMEOUT + Duration::from_secs(5);
    for task in tasks {
        let outcome = tokio::time::timeout(hard_limit, task)
            .await
            .context("load connection did not finish in time")?
            .context("load connection panicked")?;
        result.measured_ok += outcome.measured_ok;
        result.total += outcome.total;
        result.bad += outcome.bad;
        if result.first_bad.is_none() {
            result.first_bad = outcome.first_bad;
        }
        samples.extend(outcome.samples);
    }
    (result.server_cpu, result.client_cpu) = cpu_sampler.await.unwrap_or((None, None));
    samples.sort_unstable();
    result.p50_us = percentile(&samples, 50);
    result.p99_us = percentile(&samples, 99);
    Ok(result)
}

/// CPU used by the server and by this process between `from` and `to`.
async fn cpu_in_window(
    server_pid: u32,
    from: Instant,
    to: Instant,
) -> (Option<Duration>, Option<Duration>) {
    let me = std::process::id();
    tokio::time::sleep_until(from.into()).await;
    let (server0, me0) = (cpu::process_cpu(server_pid), cpu::process_cpu(me));
    tokio::time::sleep_until(to.into()).await;
    let (server1, me1) = (cpu::process_cpu(server_pid), cpu::process_cpu(me));
    let diff = |a: Option<Duration>, b: Option<Duration>| Some(b?.saturating_sub(a?));
    (diff(server0, server1), diff(me0, me1))
}

fn percentile(sorted: &[u32], pct: usize) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[(sorted.len() - 1) * pct / 100]
}

async fn connection(
    addr: SocketAddr,
    template: &RequestTemplate,
    cfg: LoadConfig,
    window_start: Instant,
    window_end: Instant,
) -> ConnOutcome {
    let mut out = ConnOutcome {
        measured_ok: 0,
        total: 0,
        bad: 0,
        first_bad: None,
        samples: Vec::new(),
    };
    if let Err(e) = drive(addr, template, cfg, window_start, window_end, &mut out).await {
        out.bad += 1;
        out.first_bad
            .get_or_insert_with(|| format!("transport: {e:#}"));
    }
    out
}

async fn drive(
    addr: SocketAddr,
    template: &RequestTemplate,
    cfg: LoadConfig,
    window_start: Instant,
    window_end: Instant,
    out: &mut ConnOutcome,
) -> Result<()> {
    let stream = TcpStream::connect(addr).await.context("connect")?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let conn_task = tokio::spawn(conn);
    let result = async {
        loop {
            let sent = Instant::now();
            if sent >= window_end {
                return Ok(());
            }
            let one = async {
                sender.ready().await?;
                let resp = sender.send_request(template.build()?).await?;
                let status = resp.status();
                let mut body = resp.into_body();
                let mut len = 0u64;
                while let Some(frame) = body.frame().await {
                    if let Ok(data) = frame?.into_data() {
                        len += data.len() as u64;
                    }
                }
                anyhow::Ok((status, len))
            };
            let (status, len) = tokio::time::timeout(REQUEST_TIMEOUT, one)
                .await
                .context("request timed out")??;
            let done = Instant::now();
            out.total += 1;
            if status != http::StatusCode::OK || len != cfg.expected_len {
                out.bad += 1;
                out.first_bad
                    .get_or_insert_with(|| format!("status {status}, {len} body bytes"));
                continue;
            }
            if done >= window_start && done < window_end {
                out.measured_ok += 1;
                if out.samples.len() < MAX_SAMPLES_PER_CONN {
                    let us = done.duration_since(sent).as_micros();
                    out.samples.push(u32::try_from(us).unwrap_or(u32::MAX));
                }
            }
        }
    }
    .await;
    conn_task.abort();
    result
}
