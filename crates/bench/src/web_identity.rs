//! `web-identity`: AssumeRoleWithWebIdentity requests/s (RS256 id_token, provider keys cached)
//! against the trivial hyper floor sent the same requests, and against the cost of RS256
//! verification alone (measured in process in the same run).
//!
//! The OpenID provider is a small in-process server (discovery document and JWKS) with the
//! 2048-bit test key of the server's OpenID tests; Strongbox reads its keys once at start and
//! then never calls it again (every request carries the same id_token, so the key is cached).
//! The per-parent issuance rate limit is raised for the run, as for `assume-role`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::Method;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair};
use serde_json::json;

use crate::assume_role::RATE_LIMIT_ENV;
use crate::get4k::{Side, Target};
use crate::load::{Expect, LoadConfig, RequestTemplate, header_map};
use crate::report::Report;
use crate::servers::Setup;

/// The RSA test key of crates/server/tests/openid_support (made for tests only).
const TEST_RSA_KEY: &str = include_str!("../../server/tests/openid_support/test-rsa-2048.der.b64");
const CLIENT_ID: &str = "bench-app";
const KID: &str = "bench-rsa";

const FLOOR: Side = Side {
    label: "floor (hyper, WebIdentity-sized answer)",
    detail_key: "web_identity_floor",
    rps_key: "web_identity_floor_rps",
    cpu_key: "web_identity_floor_cpu_us_per_req",
};
const STRONGBOX: Side = Side {
    label: "strongbox AssumeRoleWithWebIdentity (RS256, keys cached)",
    detail_key: "web_identity",
    rps_key: "web_identity_rps",
    cpu_key: "web_identity_cpu_us_per_req",
};

/// Serves the discovery document and the JWKS of `jwk` on 127.0.0.1 until the runtime ends;
/// `hits` counts the requests it answers.
async fn start_provider(jwk: serde_json::Value, hits: Arc<AtomicU64>) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let issuer = format!("http://{addr}");
    let discovery = json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks")}).to_string();
    let jwks = json!({ "keys": [jwk] }).to_string();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (discovery, jwks) = (discovery.clone(), jwks.clone());
            let hits = Arc::clone(&hits);
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    hits.fetch_add(1, Ordering::Relaxed);
                    let body = match req.uri().path() {
                        "/jwks" => jwks.clone(),
                        _ => discovery.clone(),
                    };
                    async move {
                        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                            Bytes::from(body),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok(addr)
}

/// RS256 over `header.claims` with `key`.
fn sign(key: &RsaKeyPair, claims: &serde_json::Value) -> Result<String> {
    let header = json!({"alg": "RS256", "kid": KID, "typ": "JWT"});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| anyhow::anyhow!("RS256 signing failed"))?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

/// RS256 verifications per second on one core, over `token` (median of 5 trials of ~200 ms).
fn rs256_verify_per_sec(key: &RsaKeyPair, token: &str) -> Result<f64> {
    let (input, sig) = token.rsplit_once('.').context("token without signature")?;
    let sig = URL_SAFE_NO_PAD.decode(sig)?;
    let c = signature::RsaPublicKeyComponents::<Vec<u8>>::from(key.public());
    let mut trials = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < Duration::from_millis(200) {
            for _ in 0..16 {
                c.verify(
                    &signature::RSA_PKCS1_2048_8192_SHA256,
                    input.as_bytes(),
                    &sig,
                )
                .map_err(|_| anyhow::anyhow!("RS256 verification failed"))?;
            }
            n += 16;
        }
        trials.push(n as f64 / start.elapsed().as_secs_f64());
    }
    trials.sort_by(f64::total_cmp);
    Ok(trials[2])
}

/// Sends `req` once; the length of its 200 answer holding credentials.
async fn probe(addr: SocketAddr, req: &RequestTemplate) -> Result<usize> {
    use crate::load::MakeRequest as _;
    use http_body_util::BodyExt as _;
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let resp = sender.send_request(req.make()?).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    ensure!(
        status == 200 && crate::load::access_key_of(&body).is_some(),
        "AssumeRoleWithWebIdentity answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(body.len())
}

pub async fn run(setup: &Setup, cfg: LoadConfig, rounds: u32, report: &mut Report) -> Result<()> {
    println!("  {}", crate::assume_role::announce_rate_limit());
    let der = STANDARD.decode(TEST_RSA_KEY.split_whitespace().collect::<String>())?;
    let key = RsaKeyPair::from_der(&der).map_err(|e| anyhow::anyhow!("test RSA key: {e}"))?;
    let c = signature::RsaPublicKeyComponents::<Vec<u8>>::from(key.public());
    let jwk = json!({"kty": "RSA", "kid": KID, "use": "sig", "alg": "RS256",
                     "n": URL_SAFE_NO_PAD.encode(&c.n), "e": URL_SAFE_NO_PAD.encode(&c.e)});
    let provider_hits = Arc::new(AtomicU64::new(0));
    let provider = start_provider(jwk, Arc::clone(&provider_hits)).await?;
    let config_url = format!("http://{provider}/.well-known/openid-configuration");
    let mut env: Vec<(&str, &str)> = RATE_LIMIT_ENV.to_vec();
    env.extend([
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", config_url.as_str()),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", CLIENT_ID),
    ]);
    let server = Arc::new(
        setup
            .start_strongbox(&setup.work_dir.join("web-identity-data"), &env)
            .context("starting strongbox with an OpenID provider")?,
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Long enough for every round; the credential's lifetime is DurationSeconds (900 s).
    let claims = json!({"iss": format!("http://{provider}"), "aud": CLIENT_ID, "sub": "bench-user",
                        "iat": now, "exp": now + 24 * 3600, "policy": "readonly"});
    let token = sign(&key, &claims)?;
    let body = format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&DurationSeconds=900&WebIdentityToken={token}"
    );
    let template = |addr: SocketAddr| -> Result<Arc<RequestTemplate>> {
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
            body: Bytes::from(body.clone()),
        }))
    };
    // One request to learn the answer's size (the floor answers as many bytes).
    let answer_len = probe(server.addr, template(server.addr)?.as_ref())
        .await
        .with_context(|| {
            format!(
                "AssumeRoleWithWebIdentity; server output:\n{}",
                server.log_tail()
            )
        })?;
    let floor = Arc::new(setup.start_floor(answer_len)?);
    let mut targets = [
        Target::new(
            FLOOR,
            Arc::clone(&floor),
            template(floor.addr)?,
            Expect::Len(answer_len as u64),
        ),
        Target::new(
            STRONGBOX,
            Arc::clone(&server),
            template(server.addr)?,
            Expect::Credentials,
        ),
    ];
    let hits_before = provider_hits.load(Ordering::Relaxed);
    for round in 1..=rounds {
        println!(
            "AssumeRoleWithWebIdentity round {round}/{rounds}: {} connections, {:?} warm-up + {:?} measured, answer {answer_len} bytes",
            cfg.connections, cfg.warmup, cfg.duration
        );
        for target in &mut targets {
            target.measure(cfg).await?;
        }
    }
    let (distinct, good) = (targets[1].distinct_keys(), targets[1].good_responses());
    ensure!(
        distinct == good,
        "WebIdentity: {good} good answers but {distinct} distinct access keys"
    );
    // Keys cached: the provider is not asked per request (a periodic refresh may ask it once).
    let provider_calls = provider_hits.load(Ordering::Relaxed) - hits_before;
    println!("  OpenID provider requests during the load: {provider_calls}");
    report.check(
        "web_identity_keys_cached",
        provider_calls < 10,
        format!("{provider_calls} OpenID provider requests during {good} AssumeRoleWithWebIdentity answers"),
    );
    let rps: Vec<f64> = targets.iter().map(|t| t.record(cfg, report)).collect();
    report.ratio_untargeted("web_identity_vs_floor", rps[1] / rps[0]);
    let verify = rs256_verify_per_sec(&key, &token)?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    println!("  RS256 verification alone: {verify:.0}/s on one core ({cpus} CPUs)");
    report.info(
        "rs256_verify_per_sec_one_core",
        verify,
        "RS256 (2048-bit) signature verifications per second on one core, in process",
    );
    report.ratio_untargeted("web_identity_vs_rs256_verify", rps[1] / (verify * cpus));
    report.note(format!(
        "web_identity_vs_rs256_verify = WebIdentity requests/s / (RS256 verifications/s on one core x {cpus} CPUs): \
         the share of the machine's RS256 capacity that issuing reaches (the load generator shares those CPUs)"
    ));
    // Per core: WebIdentity requests per second of server CPU against RS256 verifications per
    // second of one core. Barely moved by other load on the machine.
    if let Some(cpu_us) = report.value(STRONGBOX.cpu_key) {
        report.ratio_untargeted(
            "web_identity_per_core_vs_rs256_verify",
            (1e6 / cpu_us) / verify,
        );
        report.note(format!(
            "web_identity_per_core_vs_rs256_verify = (1 / Strongbox CPU per WebIdentity request, {cpu_us:.1} us) / \
             RS256 verifications per core-second ({:.1} us each): the share of a request's server CPU that is \
             the signature check",
            1e6 / verify
        ));
    }
    Ok(())
}
