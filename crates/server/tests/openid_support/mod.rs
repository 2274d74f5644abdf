//! A small in-test OpenID provider (discovery, JWKS, UserInfo over HTTP on 127.0.0.1) with
//! keys made in the test, token minting (including hostile tokens), and a server connected to
//! it. The fast unit layer of the OpenID tests; the client flows use a real third-party provider
//! (tests/python/test_openid.py).

#![allow(dead_code)] // each test file uses a different part

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use s3s::dto::{HeadBucketInput, HeadBucketOutput};
use s3s::{S3, S3Request, S3Response, S3Result};
use serde_json::{Value, json};
use strongbox_idp::openid::OpenId;
use strongbox_idp::openid::config::OpenIdConfig;
use strongbox_server::config::ServerArgs;
use strongbox_server::sts::Sts;
use strongbox_server::{Config, RootCredentials, Server};
use strongbox_sts::TestClock;
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::sts_common::{FORM, ROOT_PASSWORD, ROOT_USER, Reply, Sign, Signer, send};

/// A 2048-bit RSA key made for these tests only (PKCS#1 DER, base64).
const TEST_RSA_KEY: &str = include_str!("test-rsa-2048.der.b64");

/// A signing key and its kid.
#[derive(Clone)]
pub enum Signing {
    Rsa(Arc<RsaKeyPair>, String),
    Ec(Arc<EcdsaKeyPair>, String),
    Ed(Arc<Ed25519KeyPair>, String),
}

impl Signing {
    pub fn rsa(kid: &str) -> Self {
        let der = base64::engine::general_purpose::STANDARD
            .decode(TEST_RSA_KEY.split_whitespace().collect::<String>())
            .unwrap();
        Signing::Rsa(Arc::new(RsaKeyPair::from_der(&der).unwrap()), kid.into())
    }
    pub fn ec(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let kp = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
        Signing::Ec(Arc::new(kp), kid.into())
    }
    pub fn ed(kid: &str) -> Self {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Signing::Ed(
            Arc::new(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()),
            kid.into(),
        )
    }
    pub fn kid(&self) -> &str {
        match self {
            Signing::Rsa(_, k) | Signing::Ec(_, k) | Signing::Ed(_, k) => k,
        }
    }
    pub fn alg(&self) -> &'static str {
        match self {
            Signing::Rsa(..) => "RS256",
            Signing::Ec(..) => "ES256",
            Signing::Ed(..) => "EdDSA",
        }
    }
    /// The public JWK.
    pub fn jwk(&self) -> Value {
        let b = |x: &[u8]| URL_SAFE_NO_PAD.encode(x);
        match self {
            Signing::Rsa(kp, kid) => {
                let c = signature::RsaPublicKeyComponents::<Vec<u8>>::from(kp.public());
                json!({"kty": "RSA", "kid": kid, "use": "sig", "n": b(&c.n), "e": b(&c.e)})
            }
            Signing::Ec(kp, kid) => {
                let p = kp.public_key().as_ref();
                json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": b(&p[1..33]), "y": b(&p[33..65])})
            }
            Signing::Ed(kp, kid) => {
                json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b(kp.public_key().as_ref())})
            }
        }
    }
    /// The RSA public key as DER (for the "public key as HMAC secret" attack).
    pub fn public_der(&self) -> Vec<u8> {
        match self {
            Signing::Rsa(kp, _) => kp.public().as_ref().to_vec(),
            _ => Vec::new(),
        }
    }
    /// A compact JWS of `claims` with this key, `alg` and `kid` in the header.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": self.alg(), "kid": self.kid(), "typ": "JWT"});
        self.sign_with_header(&header, claims)
    }
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = SystemRandom::new();
        let sig = match self {
            Signing::Rsa(kp, _) => {
                let mut sig = vec![0; kp.public().modulus_len()];
                kp.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    input.as_bytes(),
                    &mut sig,
                )
                .unwrap();
                sig
            }
            Signing::Ec(kp, _) => kp.sign(&rng, input.as_bytes()).unwrap().as_ref().to_vec(),
            Signing::Ed(kp, _) => kp.sign(input.as_bytes()).as_ref().to_vec(),
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// HS256 over `header.claims` with `secret` (attacks).
pub fn hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

struct IdpState {
    issuer: String,
    jwks: Mutex<Vec<Value>>,
    jwks_fetches: AtomicUsize,
    delay: Mutex<Option<Duration>>,
    /// UserInfo answers by access token.
    userinfo: Mutex<Vec<(String, Value)>>,
    /// Open connections, closed by [`Idp::stop`] (keep-alive must not outlive the provider).
    conns: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// The in-test provider.
pub struct Idp {
    pub addr: SocketAddr,
    state: Arc<IdpState>,
    task: tokio::task::JoinHandle<()>,
}

impl Idp {
    pub async fn start(keys: &[&Signing]) -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), keys)
    }

    pub fn start_on(listener: TcpListener, keys: &[&Signing]) -> Self {
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(IdpState {
            issuer: format!("http://{addr}"),
            jwks: Mutex::new(keys.iter().map(|k| k.jwk()).collect()),
            jwks_fetches: AtomicUsize::new(0),
            delay: Mutex::new(None),
            userinfo: Mutex::new(Vec::new()),
            conns: Mutex::new(Vec::new()),
        });
        let st = Arc::clone(&state);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let conn_state = Arc::clone(&st);
                let st = Arc::clone(&st);
                let conn = tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let st = Arc::clone(&st);
                        async move { Ok::<_, std::convert::Infallible>(answer(&st, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
                conn_state.conns.lock().unwrap().push(conn);
            }
        });
        Self { addr, state, task }
    }

    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }
    pub fn config_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.state.issuer)
    }
    /// Replaces the published keys (rotation).
    pub fn publish(&self, keys: &[&Signing]) {
        *self.state.jwks.lock().unwrap() = keys.iter().map(|k| k.jwk()).collect();
    }
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }
    /// Every answer waits this long first (a slow provider).
    pub fn set_delay(&self, d: Option<Duration>) {
        *self.state.delay.lock().unwrap() = d;
    }
    pub fn set_userinfo(&self, access_token: &str, claims: Value) {
        self.state
            .userinfo
            .lock()
            .unwrap()
            .push((access_token.into(), claims));
    }
    /// Stops answering (connections are refused from now on).
    pub fn stop(self) {
        self.task.abort();
        for c in self.state.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }
}

async fn answer(
    st: &IdpState,
    req: http::Request<hyper::body::Incoming>,
) -> http::Response<Full<Bytes>> {
    let delay = *st.delay.lock().unwrap();
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let json_reply = |status: u16, v: Value| {
        http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(v.to_string())))
            .unwrap()
    };
    match req.uri().path() {
        "/.well-known/openid-configuration" => json_reply(
            200,
            json!({
                "issuer": st.issuer,
                "jwks_uri": format!("{}/jwks", st.issuer),
                "userinfo_endpoint": format!("{}/userinfo", st.issuer),
                "token_endpoint": format!("{}/token", st.issuer),
            }),
        ),
        "/jwks" => {
            st.jwks_fetches.fetch_add(1, Ordering::SeqCst);
            let keys = st.jwks.lock().unwrap().clone();
            json_reply(200, json!({ "keys": keys }))
        }
        "/userinfo" => {
            let auth = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("")
                .to_owned();
            let found = st
                .userinfo
                .lock()
                .unwrap()
                .iter()
                .find(|(t, _)| *t == auth)
                .map(|(_, v)| v.clone());
            match found {
                Some(v) => json_reply(200, v),
                None => json_reply(401, json!({"error": "invalid_token"})),
            }
        }
        _ => json_reply(404, json!({})),
    }
}

/// Standard id_token claims for `sub`, valid for an hour, plus `extra`.
pub fn claims(idp: &Idp, client_id: &str, sub: &str, extra: Value) -> Value {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let mut c = json!({
        "iss": idp.issuer(), "aud": client_id, "sub": sub,
        "iat": now, "nbf": now - 5, "exp": now + 3600,
    });
    if let (Some(m), Value::Object(e)) = (c.as_object_mut(), extra) {
        for (k, v) in e {
            if v.is_null() {
                m.remove(&k);
            } else {
                m.insert(k, v);
            }
        }
    }
    c
}

/// Answers HeadBucket for any bucket: whether a request gets there is authorisation's answer.
pub struct AnyBucket;

#[async_trait::async_trait]
impl S3 for AnyBucket {
    async fn head_bucket(
        &self,
        _req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        Ok(S3Response::new(HeadBucketOutput::default()))
    }
}

/// A Strongbox server with OpenID providers configured by `env` (MinIO variables) and
/// connected exactly as `Server::bind` does.
pub struct Srv {
    pub addr: SocketAddr,
    pub iam: Arc<strongbox_iam::Iam>,
    pub sts: Arc<Sts>,
    pub clock: TestClock,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Reads the OpenID settings from `env` through the server's configuration.
pub fn openid_config(
    env: &[(&str, &str)],
) -> Result<Config, strongbox_server::config::ConfigErrors> {
    let mut args = ServerArgs::new("/unused");
    args.address = "127.0.0.1:0".into();
    let mut vars: std::collections::HashMap<&str, &str> = env.iter().copied().collect();
    vars.insert("MINIO_ROOT_USER", ROOT_USER);
    vars.insert("MINIO_ROOT_PASSWORD", ROOT_PASSWORD);
    Config::from_sources(&args, &vars)
}

pub async fn start(env: &[(&str, &str)]) -> Srv {
    start_with(env, |c| c).await
}

/// As [`start`], editing the OpenID settings first (refresh interval, timeouts).
pub async fn start_with(
    env: &[(&str, &str)],
    edit: impl FnOnce(OpenIdConfig) -> OpenIdConfig,
) -> Srv {
    let dir = tempfile::tempdir().unwrap();
    let mut args = ServerArgs::new(dir.path());
    args.address = "127.0.0.1:0".into();
    let mut vars: std::collections::HashMap<&str, &str> = env.iter().copied().collect();
    vars.insert("MINIO_ROOT_USER", ROOT_USER);
    vars.insert("MINIO_ROOT_PASSWORD", ROOT_PASSWORD);
    let mut config = Config::from_sources(&args, &vars).expect("valid config");
    config.openid = edit(config.openid);
    let root = RootCredentials::new(ROOT_USER.into(), ROOT_PASSWORD.into()).unwrap();
    let iam = Arc::new(strongbox_server::authz::open_iam(dir.path(), &root).unwrap());
    let clock = TestClock::new(OffsetDateTime::now_utc());
    let openid = OpenId::connect(&config.openid, None)
        .await
        .expect("providers reachable");
    let sts = Arc::new(
        Sts::open(
            Arc::clone(&iam),
            config.sts.clone(),
            Arc::new(clock.clone()),
        )
        .unwrap()
        .with_openid(Arc::new(openid)),
    );
    let server =
        Server::bind_with_sts(&config, root, Arc::clone(&iam), Arc::clone(&sts), AnyBucket)
            .await
            .unwrap();
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(async {
        let _ = rx.await;
    }));
    Srv {
        addr,
        iam,
        sts,
        clock,
        _dir: dir,
        shutdown: Some(tx),
    }
}

impl Drop for Srv {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::sts_common::uri_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Srv {
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// An unsigned STS POST with these form parameters (plus Version).
    pub async fn sts(&self, params: &[(&str, &str)]) -> Reply {
        let mut all = vec![("Version", "2011-06-15")];
        all.extend_from_slice(params);
        let req = http::Request::builder()
            .method("POST")
            .uri("/")
            .header("host", self.host())
            .header("content-type", FORM)
            .body(Full::new(Bytes::from(form_encode(&all))))
            .unwrap();
        send(self.addr, req).await
    }

    pub async fn web_identity(&self, token: &str, extra: &[(&str, &str)]) -> Reply {
        let mut p = vec![
            ("Action", "AssumeRoleWithWebIdentity"),
            ("WebIdentityToken", token),
        ];
        p.extend_from_slice(extra);
        self.sts(&p).await
    }

    pub async fn client_grants(&self, token: &str, extra: &[(&str, &str)]) -> Reply {
        let mut p = vec![("Action", "AssumeRoleWithClientGrants"), ("Token", token)];
        p.extend_from_slice(extra);
        self.sts(&p).await
    }

    /// HEAD /bucket with `who`: 200 when allowed, 403 when not.
    pub async fn head_bucket(&self, who: &Signer, bucket: &str) -> u16 {
        let path = format!("/{bucket}");
        send(
            self.addr,
            who.request(&self.host(), "HEAD", &path, &[], "", &Sign::s3()),
        )
        .await
        .status
    }

    pub fn policy(&self, name: &str, doc: &str) {
        self.iam.put_policy(name, doc).unwrap();
    }
}

/// A policy allowing every S3 action on `buckets` (and their objects).
pub fn bucket_policy(buckets: &[&str]) -> String {
    let res: Vec<String> = buckets
        .iter()
        .flat_map(|b| [format!("arn:aws:s3:::{b}"), format!("arn:aws:s3:::{b}/*")])
        .collect();
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": res}
    ]})
    .to_string()
}
