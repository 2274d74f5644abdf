//! The load generator: N HTTP/1.1 keep-alive connections, each sending requests sequentially
//! for a warm-up period and then a measured period (or until a total count is reached). Every
//! response must be what [`Expect`] says, otherwise the run is reported as invalid.

use crate::cpu;
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Longest a single request may take before the run is declared broken.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Latency samples kept per connection (bounds memory at ~64 * 200k * 4 bytes).
const MAX_SAMPLES_PER_CONN: usize = 200_000;
/// Longest STS answer accepted (an AssumeRole response is a few KiB).
pub const MAX_STS_BODY: usize = 32 * 1024;

/// Makes each request of a run (a fixed one, or one signed afresh every time).
pub trait MakeRequest: Send + Sync + 'static {
    fn make(&self) -> Result<Request<Full<Bytes>>>;
}

/// One request, replayed unchanged on every connection.
#[derive(Clone)]
pub struct RequestTemplate {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A header map from (name, value) pairs.
pub fn header_map(headers: &[(String, String)]) -> Result<HeaderMap> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_bytes())?,
            HeaderValue::from_str(value)?,
        );
    }
    Ok(map)
}

impl RequestTemplate {
    /// A GET without a body. `path` is raw (not percent-encoded), as given to the signer.
    pub fn new(path: &str, headers: &[(String, String)]) -> Result<Self> {
        Ok(Self {
            method: Method::GET,
            path: crate::sigv4::uri_encode(path, true),
            headers: header_map(headers)?,
            body: Bytes::new(),
        })
    }
}

impl MakeRequest for RequestTemplate {
    fn make(&self) -> Result<Request<Full<Bytes>>> {
        let mut req = Request::builder()
            .method(self.method.clone())
            .uri(&self.path)
            .body(Full::new(self.body.clone()))?;
        *req.headers_mut() = self.headers.clone();
        Ok(req)
    }
}

/// What a good response is.
#[derive(Clone, Copy, Debug)]
pub enum Expect {
    /// 200 with exactly this many body bytes.
    Len(u64),
    /// 200 with an STS answer of at most [`MAX_STS_BODY`] bytes holding an `<AccessKeyId>`;
    /// the access keys are counted (distinct ones, by a 64-bit hash).
    Credentials,
}

impl Expect {
    pub fn describe(self) -> String {
        match self {
            Expect::Len(n) => format!("200 with {n} bytes"),
            Expect::Credentials => "200 with an AccessKeyId".into(),
        }
    }
}

/// The `<AccessKeyId>` of an STS answer.
pub fn access_key_of(body: &[u8]) -> Option<&[u8]> {
    element(body, b"AccessKeyId")
}

/// The text of the first `<name>...</name>` in `body` (no attributes, no nesting: enough for STS).
pub fn element<'a>(body: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let open = [b"<", name, b">"].concat();
    let close = [b"</", name, b">"].concat();
    let start = find(body, &open)? + open.len();
    let len = find(&body[start..], &close)?;
    Some(&body[start..start + len])
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn key_hash(key: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

#[derive(Clone, Copy, Debug)]
pub struct LoadConfig {
    pub connections: usize,
    pub warmup: Duration,
    /// The measured window; with `max_requests`, the longest the run may take.
    pub duration: Duration,
    /// Stop after this many requests in all (counted from the start; use no warm-up with it).
    pub max_requests: Option<u64>,
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
    /// The measured window; with `max_requests`, from the start to the last response.
    pub elapsed: Duration,
    /// Distinct access keys seen ([`Expect::Credentials`] only).
    pub distinct_keys: u64,
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

#[derive(Default)]
struct ConnOutcome {
    measured_ok: u64,
    total: u64,
    bad: u64,
    first_bad: Option<String>,
    samples: Vec<u32>,
    keys: HashSet<u64>,
    last_done: Option<Instant>,
}

/// What every connection of one run shares.
struct Shared {
    source: Arc<dyn MakeRequest>,
    expect: Expect,
    cfg: LoadConfig,
    window_start: Instant,
    window_end: Instant,
    /// Requests started so far (for `max_requests`).
    tickets: AtomicU64,
}

/// Run the load against `addr` (served by process `server_pid`) and return the merged result.
pub async fn run(
    addr: SocketAddr,
    server_pid: u32,
    source: Arc<dyn MakeRequest>,
    expect: Expect,
    cfg: LoadConfig,
) -> Result<LoadResult> {
    if cfg.connections == 0 {
        bail!("need at least one connection");
    }
    let start = Instant::now();
    let window_start = start + cfg.warmup;
    let shared = Arc::new(Shared {
        source,
        expect,
        cfg,
        window_start,
        window_end: window_start + cfg.duration,
        tickets: AtomicU64::new(0),
    });
    let mut tasks = Vec::with_capacity(cfg.connections);
    for _ in 0..cfg.connections {
        let shared = Arc::clone(&shared);
        tasks.push(tokio::spawn(async move { connection(addr, &shared).await }));
    }
    let (cpu_done_tx, cpu_done_rx) = tokio::sync::oneshot::channel();
    let cpu_sampler = tokio::spawn(cpu_in_window(
        server_pid,
        window_start,
        shared.window_end,
        cpu_done_rx,
    ));
    let mut result = LoadResult {
        elapsed: cfg.duration,
        ..LoadResult::default()
    };
    let mut samples = Vec::new();
    let mut keys = HashSet::new();
    let mut last_done: Option<Instant> = None;
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
        keys.extend(outcome.keys);
        last_done = last_done.max(outcome.last_done);
    }
    // A counted run ends before its time bound: stop the CPU sampler now.
    let _ = cpu_done_tx.send(());
    if let (Some(_), Some(last)) = (cfg.max_requests, last_done) {
        result.elapsed = last
            .saturating_duration_since(window_start)
            .min(cfg.duration);
    }
    result.distinct_keys = keys.len() as u64;
    (result.server_cpu, result.client_cpu) = cpu_sampler.await.unwrap_or((None, None));
    samples.sort_unstable();
    result.p50_us = percentile(&samples, 50);
    result.p99_us = percentile(&samples, 99);
    Ok(result)
}

/// CPU used by the server and by this process between `from` and `to`.
/// Ends at `to` or when `done` fires, whichever is first.
async fn cpu_in_window(
    server_pid: u32,
    from: Instant,
    to: Instant,
    done: tokio::sync::oneshot::Receiver<()>,
) -> (Option<Duration>, Option<Duration>) {
    let me = std::process::id();
    tokio::time::sleep_until(from.into()).await;
    let (server0, me0) = (cpu::process_cpu(server_pid), cpu::process_cpu(me));
    tokio::select! {
        _ = tokio::time::sleep_until(to.into()) => {}
        _ = done => {}
    }
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

async fn connection(addr: SocketAddr, shared: &Shared) -> ConnOutcome {
    let mut out = ConnOutcome::default();
    if let Err(e) = drive(addr, shared, &mut out).await {
        out.bad += 1;
        out.first_bad
            .get_or_insert_with(|| format!("transport: {e:#}"));
    }
    out
}

/// Reads a response body as `expect` needs it: counted only, or kept (bounded) to be checked.
async fn read_body(
    resp: hyper::Response<hyper::body::Incoming>,
    expect: Expect,
) -> Result<(http::StatusCode, u64, Option<Vec<u8>>)> {
    let status = resp.status();
    let keep = matches!(expect, Expect::Credentials);
    let mut kept = Vec::new();
    let mut body = resp.into_body();
    let mut len = 0u64;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            len += data.len() as u64;
            if keep && kept.len() + data.len() <= MAX_STS_BODY {
                kept.extend_from_slice(&data);
            }
        }
    }
    Ok((status, len, keep.then_some(kept)))
}

/// Checks one response; for credentials, returns the access key's hash.
fn check(
    expect: Expect,
    status: http::StatusCode,
    len: u64,
    kept: Option<&[u8]>,
) -> Result<Option<u64>, String> {
    let fail = || Err(format!("status {status}, {len} body bytes"));
    if status != http::StatusCode::OK {
        let text = kept.map(String::from_utf8_lossy).unwrap_or_default();
        return Err(format!("status {status}, {len} body bytes {text}"));
    }
    match expect {
        Expect::Len(n) if len == n => Ok(None),
        Expect::Credentials if len <= MAX_STS_BODY as u64 => match kept.and_then(access_key_of) {
            Some(key) if !key.is_empty() => Ok(Some(key_hash(key))),
            _ => Err(format!("status 200 without an AccessKeyId ({len} bytes)")),
        },
        _ => fail(),
    }
}

async fn drive(addr: SocketAddr, shared: &Shared, out: &mut ConnOutcome) -> Result<()> {
    let stream = TcpStream::connect(addr).await.context("connect")?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let conn_task = tokio::spawn(conn);
    let (expect, cfg) = (shared.expect, shared.cfg);
    let result = async {
        loop {
            if let Some(max) = cfg.max_requests
                && shared.tickets.fetch_add(1, Ordering::Relaxed) >= max
            {
                return Ok(());
            }
            let sent = Instant::now();
            if sent >= shared.window_end {
                return Ok(());
            }
            let one = async {
                sender.ready().await?;
                let resp = sender.send_request(shared.source.make()?).await?;
                read_body(resp, expect).await
            };
            let (status, len, kept) = tokio::time::timeout(REQUEST_TIMEOUT, one)
                .await
                .context("request timed out")??;
            let done = Instant::now();
            out.total += 1;
            match check(expect, status, len, kept.as_deref()) {
                Err(what) => {
                    out.bad += 1;
                    out.first_bad.get_or_insert(what);
                    continue;
                }
                Ok(Some(key)) => {
                    out.keys.insert(key);
                }
                Ok(None) => {}
            }
            if done >= shared.window_start && done < shared.window_end {
                out.measured_ok += 1;
                out.last_done = Some(done);
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

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &[u8] = b"<AssumeRoleResponse><AssumeRoleResult><Credentials>\
        <AccessKeyId>ABCDEFGHIJ0123456789</AccessKeyId><SecretAccessKey>s</SecretAccessKey>\
        </Credentials></AssumeRoleResult></AssumeRoleResponse>";

    #[test]
    fn finds_the_access_key() {
        assert_eq!(access_key_of(ANSWER), Some(&b"ABCDEFGHIJ0123456789"[..]));
        assert_eq!(
            access_key_of(b"<Error><Code>Throttling</Code></Error>"),
            None
        );
        assert_eq!(element(b"<A>x", b"A"), None);
    }

    #[test]
    fn checks_follow_the_expectation() {
        let ok = http::StatusCode::OK;
        assert!(check(Expect::Len(4096), ok, 4096, None).is_ok());
        assert!(check(Expect::Len(4096), ok, 4095, None).is_err());
        let len = ANSWER.len() as u64;
        let key = check(Expect::Credentials, ok, len, Some(ANSWER)).unwrap();
        assert_eq!(key, Some(key_hash(b"ABCDEFGHIJ0123456789")));
        assert!(check(Expect::Credentials, ok, 5, Some(b"<x/>")).is_err());
        let throttled = http::StatusCode::BAD_REQUEST;
        let err = check(Expect::Credentials, throttled, 3, Some(b"bad")).unwrap_err();
        assert!(err.contains("400") && err.contains("bad"), "{err}");
    }
}
