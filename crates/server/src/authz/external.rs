//! External authorisation (spec §13): an Open Policy Agent or MinIO "access management plugin"
//! decides every authenticated request instead of the IAM policies, root included.
//!
//! - Configuration: `MINIO_POLICY_PLUGIN_URL` + `MINIO_POLICY_PLUGIN_AUTH_TOKEN`; when that has
//!   no URL, `MINIO_POLICY_OPA_URL` + `MINIO_POLICY_OPA_AUTH_TOKEN`, then the older
//!   `MINIO_IAM_OPA_URL` + `MINIO_IAM_OPA_AUTHTOKEN`. `STRONGBOX_POLICY_PLUGIN_TIMEOUT` bounds
//!   each call (seconds, default 5; MinIO waits up to a minute).
//! - Each decision: `POST <url>`, `Content-Type: application/json`, `Authorization: <token>`
//!   verbatim, body `{"input": {account, groups, action, originalAction, bucket, conditions,
//!   owner, object, claims, denyOnly}}` ([`input_document`]).
//! - The answer (status ignored, as MinIO): `{"result": true|false}` or
//!   `{"result": {"allow": true|false}}`. Anything else, a timeout or a transport error denies
//!   (fail closed) and is logged. Decisions are counted in the server's
//!   [`crate::metrics::DecisionCounters`] (allowed, denied, failed), served as Prometheus text.
//! - Anonymous requests are still answered by bucket policies (MinIO consults the plugin only
//!   for signed requests).
//!
//! [`ExternalAuthorizer::decide_async`] awaits the call on the caller's runtime: no thread
//! hand-off. [`ExternalAuthorizer::decide`] is synchronous for [`super::Authorizer::decide`]:
//! the HTTP call runs on this authoriser's own small runtime and the caller's worker waits in
//! `block_in_place`. Those hand-offs, not HTTP or JSON, are most of the ~100 µs of server CPU
//! an authoriser adds per request (`./bench.sh authz-latency`); running the call on the
//! caller's runtime inside `block_in_place`, or on a per-thread runtime, measured no better.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value, json};
use strongbox_idp::http::{DEFAULT_TIMEOUT, HttpClient, parse_url};
use strongbox_idp::plugin::config::AuthToken;
use strongbox_policy::Request;

use super::decide::{Subject, Verdict};
use crate::config::Env;
use crate::identity::{Identity, Principal};
pub use crate::metrics::Counts;
use crate::metrics::DecisionCounters;

/// Largest authoriser answer read.
const MAX_ANSWER_BYTES: usize = 16 * 1024;
const TIMEOUT_VAR: &str = "STRONGBOX_POLICY_PLUGIN_TIMEOUT";

/// Where the authoriser is.
#[derive(Debug, Clone)]
pub struct ExternalConfig {
    pub url: String,
    pub auth_token: Option<AuthToken>,
    pub timeout: Duration,
}

impl ExternalConfig {
    /// The authoriser's settings, if configured; `Err` lists every problem as (variable, why).
    pub fn from_env(env: &dyn Env) -> Result<Option<Self>, Vec<(String, String)>> {
        let pairs = [
            ("MINIO_POLICY_PLUGIN_URL", "MINIO_POLICY_PLUGIN_AUTH_TOKEN"),
            ("MINIO_POLICY_OPA_URL", "MINIO_POLICY_OPA_AUTH_TOKEN"),
            ("MINIO_IAM_OPA_URL", "MINIO_IAM_OPA_AUTHTOKEN"),
        ];
        let Some((url_var, url, token)) = pairs
            .iter()
            .find_map(|(u, t)| env.var(u).map(|url| (*u, url, env.var(t))))
        else {
            return Ok(None);
        };
        let mut problems = Vec::new();
        if parse_url(&url).is_err() {
            problems.push((url_var.to_owned(), format!("{url:?} is not an http(s) URL")));
        }
        let timeout = match env.var(TIMEOUT_VAR) {
            None => DEFAULT_TIMEOUT,
            Some(t) => match t.parse::<u64>() {
                Ok(s) if (1..=60).contains(&s) => Duration::from_secs(s),
                _ => {
                    problems.push((
                        TIMEOUT_VAR.to_owned(),
                        format!("{t:?} is not a whole number of seconds in 1..=60"),
                    ));
                    DEFAULT_TIMEOUT
                }
            },
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Some(Self {
            url,
            auth_token: token.map(AuthToken::new),
            timeout,
        }))
    }
}

/// What the authoriser is told about the principal (the rest comes from the request).
#[derive(Debug)]
pub struct ExternalWho {
    account: String,
    owner: bool,
    claims: Value,
}

/// The client of the external authoriser.
pub struct ExternalAuthorizer {
    config: ExternalConfig,
    /// For [`Self::decide`], whose calls run on `runtime`.
    client: HttpClient,
    /// For [`Self::decide_async`]: its pooled connections live on the callers' runtime.
    async_client: HttpClient,
    runtime: Option<tokio::runtime::Runtime>,
    counters: Arc<DecisionCounters>,
}

impl std::fmt::Debug for ExternalAuthorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalAuthorizer")
            .field("url", &self.config.url)
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl Drop for ExternalAuthorizer {
    fn drop(&mut self) {
        // Dropping a runtime may happen inside async code: never block there.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl ExternalAuthorizer {
    /// An authoriser whose decisions are counted in `counters`.
    pub fn new(config: ExternalConfig, counters: Arc<DecisionCounters>) -> std::io::Result<Self> {
        let client = HttpClient::new(config.timeout).map_err(std::io::Error::other)?;
        let async_client = HttpClient::new(config.timeout).map_err(std::io::Error::other)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("strongbox-authz")
            .enable_all()
            .build()?;
        Ok(Self {
            config,
            client,
            async_client,
            runtime: Some(runtime),
            counters,
        })
    }

    pub fn url(&self) -> &str {
        &self.config.url
    }

    pub fn counts(&self) -> Counts {
        self.counters.counts()
    }

    /// The subject of an authenticated principal (`None` for anonymous requests).
    pub fn subject(&self, principal: &Principal) -> Option<Subject> {
        let Principal::Authenticated(identity) = principal else {
            return None;
        };
        let (owner, claims) = match identity {
            Identity::Root { .. } => (true, json!({})),
            Identity::Temporary { session, .. } => (
                session.is_owner(),
                claims_json(session.verified().claims(), session.verified().parent()),
            ),
            _ => (false, json!({})),
        };
        Some(Subject::External(Arc::new(ExternalWho {
            account: identity.access_key().to_owned(),
            owner,
            claims,
        })))
    }

    /// Asks the authoriser about `req`; any failure denies. Blocks the calling thread for the
    /// call (see the module docs); async callers should prefer [`Self::decide_async`].
    pub fn decide(&self, who: &ExternalWho, req: &Request<'_>) -> Verdict {
        let body = Bytes::from(input_document(who, req).to_string());
        self.verdict(self.ask(body), req)
    }

    /// [`Self::decide`] without blocking: the call is awaited on the caller's runtime, so no
    /// thread hand-off at all. Fails closed alike.
    pub async fn decide_async(&self, who: &ExternalWho, req: &Request<'_>) -> Verdict {
        let body = Bytes::from(input_document(who, req).to_string());
        let auth = self.config.auth_token.as_ref().map(AuthToken::expose);
        let answer = self
            .async_client
            .post(&self.config.url, auth, body, MAX_ANSWER_BYTES)
            .await
            .map_err(|e| e.to_string())
            .and_then(|(_status, answer)| parse_answer(&answer));
        self.verdict(answer, req)
    }

    fn verdict(&self, answer: Result<bool, String>, req: &Request<'_>) -> Verdict {
        let verdict = match answer {
            Ok(true) => {
                self.counters.allow();
                Verdict::Allow("external authoriser".into())
            }
            Ok(false) => {
                self.counters.deny();
                Verdict::Deny("external authoriser".into())
            }
            Err(why) => {
                self.counters.fail();
                tracing::warn!(url = %self.config.url, action = req.action().as_str(), "external authoriser failed, denying: {why}");
                Verdict::Deny("external authoriser failed".into())
            }
        };
        tracing::debug!(counts = ?self.counts(), "external authorisation");
        verdict
    }

    fn ask(&self, body: Bytes) -> Result<bool, String> {
        let Some(rt) = &self.runtime else {
            return Err("shut down".into());
        };
        let client = self.client.clone();
        let url = self.config.url.clone();
        let auth = self.config.auth_token.clone();
        let task = rt.spawn(async move {
            client
                .post(
                    &url,
                    auth.as_ref().map(AuthToken::expose),
                    body,
                    MAX_ANSWER_BYTES,
                )
                .await
        });
        let wait = || futures::executor::block_on(task);
        let joined = match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(wait)
            }
            _ => wait(),
        };
        let (_status, answer) = joined
            .map_err(|e| format!("task: {e}"))?
            .map_err(|e| e.to_string())?;
        parse_answer(&answer)
    }
}

/// Spec §13's input document.
pub fn input_document(who: &ExternalWho, req: &Request<'_>) -> Value {
    let values = req.values();
    let groups = values
        .get("aws:groups")
        .map(|g| Value::from(g.to_vec()))
        .unwrap_or(Value::Null);
    let conditions: Map<String, Value> = values
        .iter()
        .map(|(k, v)| (k.to_owned(), Value::from(v.to_vec())))
        .collect();
    json!({"input": {
        "account": who.account,
        "groups": groups,
        "action": req.action().as_str(),
        "originalAction": "",
        "bucket": req.bucket(),
        "conditions": conditions,
        "owner": who.owner,
        "object": req.object().unwrap_or(""),
        "claims": who.claims,
        "denyOnly": false,
    }})
}

/// A temporary credential's claims as the authoriser sees them (MinIO's claim names).
fn claims_json(c: &strongbox_sts::Claims, parent: &str) -> Value {
    let mut m = Map::new();
    for (k, v) in &c.extra {
        m.insert(k.clone(), v.clone());
    }
    m.insert("parent".into(), parent.into());
    if let Some(sub) = &c.sub {
        m.insert("sub".into(), sub.clone().into());
    }
    if let Some(arn) = &c.role_arn {
        m.insert("roleArn".into(), arn.clone().into());
    }
    if !c.policies.is_empty() {
        m.insert("policy".into(), c.policies.join(",").into());
    }
    if !c.groups.is_empty() {
        m.insert("groups".into(), c.groups.clone().into());
    }
    Value::Object(m)
}

/// `{"result": bool}` or `{"result": {"allow": bool}}`.
fn parse_answer(body: &[u8]) -> Result<bool, String> {
    let v: Value = serde_json::from_slice(body).map_err(|_| "answer is not JSON".to_owned())?;
    match v.get("result") {
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Object(o)) => match o.get("allow") {
            Some(Value::Bool(b)) => Ok(*b),
            _ => Err("answer has no boolean result.allow".into()),
        },
        _ => Err("answer has no boolean result".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use strongbox_policy::{Action, ConditionValues};

    #[test]
    fn answers() {
        assert_eq!(parse_answer(br#"{"result": true}"#), Ok(true));
        assert_eq!(parse_answer(br#"{"result": false}"#), Ok(false));
        assert_eq!(parse_answer(br#"{"result": {"allow": true}}"#), Ok(true));
        assert_eq!(parse_answer(br#"{"result": {"allow": false}}"#), Ok(false));
        for bad in [
            &b""[..],
            b"{}",
            br#"{"result": "yes"}"#,
            br#"{"result": {}}"#,
        ] {
            assert!(parse_answer(bad).is_err());
        }
    }

    #[test]
    fn config_precedence() {
        let env: HashMap<&str, &str> = [
            ("MINIO_POLICY_OPA_URL", "http://127.0.0.1:1/opa"),
            ("MINIO_IAM_OPA_URL", "http://127.0.0.1:2/old"),
            ("MINIO_IAM_OPA_AUTHTOKEN", "t"),
        ]
        .into_iter()
        .collect();
        let c = ExternalConfig::from_env(&env).unwrap().unwrap();
        assert_eq!(c.url, "http://127.0.0.1:1/opa");
        assert!(c.auth_token.is_none());
        let env: HashMap<&str, &str> = [
            ("MINIO_IAM_OPA_URL", "http://127.0.0.1:2/old"),
            ("MINIO_IAM_OPA_AUTHTOKEN", "t"),
        ]
        .into_iter()
        .collect();
        let c = ExternalConfig::from_env(&env).unwrap().unwrap();
        assert_eq!(c.auth_token.unwrap().expose(), "t");
        let env: HashMap<&str, &str> = [("MINIO_POLICY_PLUGIN_URL", "nope")].into_iter().collect();
        assert_eq!(
            ExternalConfig::from_env(&env).unwrap_err()[0].0,
            "MINIO_POLICY_PLUGIN_URL"
        );
        let none: HashMap<&str, &str> = HashMap::new();
        assert!(ExternalConfig::from_env(&none).unwrap().is_none());
    }

    #[test]
    fn the_input_document() {
        let mut v = ConditionValues::new();
        v.set("aws:groups", ["devs", "ops"]);
        v.set("aws:username", ["bob"]);
        let req = Request::new(Action::GetObject, "photos", Some("a/b.jpg"), &v);
        let who = ExternalWho {
            account: "BOBKEY".into(),
            owner: false,
            claims: json!({}),
        };
        assert_eq!(
            input_document(&who, &req),
            json!({"input": {
                "account": "BOBKEY", "groups": ["devs", "ops"], "action": "s3:GetObject",
                "originalAction": "", "bucket": "photos",
                "conditions": {"aws:groups": ["devs", "ops"], "aws:username": ["bob"]},
                "owner": false, "object": "a/b.jpg", "claims": {}, "denyOnly": false
            }})
        );
    }
    /// An authoriser on 127.0.0.1 answering every call with `answer`, and its URL.
    async fn stub(answer: &'static str) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/data/authz", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    let mut buf = [0u8; 4096];
                    // Headers, then the body its Content-Length announces.
                    loop {
                        let n = conn.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        got.extend_from_slice(&buf[..n]);
                        let text = String::from_utf8_lossy(&got).to_lowercase();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let len = text
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            if got.len() >= end + 4 + len {
                                break;
                            }
                        }
                    }
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = conn.write_all(resp.as_bytes()).await;
                });
            }
        });
        url
    }

    fn authoriser(url: &str) -> ExternalAuthorizer {
        ExternalAuthorizer::new(
            ExternalConfig {
                url: url.to_owned(),
                auth_token: None,
                timeout: Duration::from_secs(2),
            },
            Arc::default(),
        )
        .unwrap()
    }

    fn allowed(v: &Verdict) -> bool {
        matches!(v, Verdict::Allow(_))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn both_paths_ask_and_fail_closed_on_a_multi_thread_runtime() {
        let values = ConditionValues::new();
        let req = Request::new(Action::GetObject, "b", Some("k"), &values);
        let who = ExternalWho {
            account: "AK".into(),
            owner: false,
            claims: json!({}),
        };
        let yes = authoriser(&stub(r#"{"result": true}"#).await);
        assert!(allowed(&yes.decide(&who, &req)));
        assert!(allowed(&yes.decide_async(&who, &req).await));
        let no = authoriser(&stub(r#"{"result": {"allow": false}}"#).await);
        assert!(!allowed(&no.decide(&who, &req)));
        assert!(!allowed(&no.decide_async(&who, &req).await));
        let junk = authoriser(&stub("<html>").await);
        assert!(!allowed(&junk.decide(&who, &req)));
        assert!(!allowed(&junk.decide_async(&who, &req).await));
        assert_eq!(junk.counts().failed, 2);
        // Nobody listening: denied, counted as failed.
        let down = authoriser("http://127.0.0.1:1/");
        assert!(!allowed(&down.decide(&who, &req)));
        assert!(!allowed(&down.decide_async(&who, &req).await));
        assert_eq!(
            down.counts(),
            Counts {
                allowed: 0,
                denied: 0,
                failed: 2
            }
        );
    }

    #[test]
    fn outside_a_runtime_the_fallback_asks_and_fails_closed() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let url = rt.block_on(stub(r#"{"result": true}"#));
        let values = ConditionValues::new();
        let req = Request::new(Action::GetObject, "b", None, &values);
        let who = ExternalWho {
            account: "AK".into(),
            owner: true,
            claims: json!({}),
        };
        assert!(allowed(&authoriser(&url).decide(&who, &req)));
        assert!(!allowed(
            &authoriser("http://127.0.0.1:1/").decide(&who, &req)
        ));
        // A current-thread runtime cannot block in place: the fallback serves it too.
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let a = authoriser(&url);
        assert!(current.block_on(async { allowed(&a.decide(&who, &req)) }));
    }
}
