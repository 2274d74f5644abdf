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
//!   (fail closed) and is logged. Decisions are counted ([`ExternalAuthorizer::counts`]).
//! - Anonymous requests are still answered by bucket policies (MinIO consults the plugin only
//!   for signed requests).
//!
//! Decisions are synchronous for the caller ([`super::Authorizer::decide`]); the HTTP call runs
//! on this authoriser's own small runtime and the caller's worker waits in `block_in_place`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value, json};
use strongbox_idp::http::{DEFAULT_TIMEOUT, HttpClient, parse_url};
use strongbox_idp::plugin::config::AuthToken;
use strongbox_policy::Request;

use super::decide::{Subject, Verdict};
use crate::config::Env;
use crate::identity::{Identity, Principal};

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

/// Decision counts since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub allowed: u64,
    pub denied: u64,
    /// Denied because the authoriser failed (timeout, transport, unreadable answer).
    pub failed: u64,
}

/// The client of the external authoriser.
pub struct ExternalAuthorizer {
    config: ExternalConfig,
    client: HttpClient,
    runtime: Option<tokio::runtime::Runtime>,
    allowed: AtomicU64,
    denied: AtomicU64,
    failed: AtomicU64,
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
    pub fn new(config: ExternalConfig) -> std::io::Result<Self> {
        let client = HttpClient::new(config.timeout).map_err(std::io::Error::other)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("strongbox-authz")
            .enable_all()
            .build()?;
        Ok(Self {
            config,
            client,
            runtime: Some(runtime),
            allowed: AtomicU64::new(0),
            denied: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        })
    }

    pub fn url(&self) -> &str {
        &self.config.url
    }

    pub fn counts(&self) -> Counts {
        Counts {
            allowed: self.allowed.load(Ordering::Relaxed),
            denied: self.denied.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
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

    /// Asks the authoriser about `req`; any failure denies.
    pub fn decide(&self, who: &ExternalWho, req: &Request<'_>) -> Verdict {
        let body = Bytes::from(input_document(who, req).to_string());
        let verdict = match self.ask(body) {
            Ok(true) => {
                self.allowed.fetch_add(1, Ordering::Relaxed);
                Verdict::Allow("external authoriser".into())
            }
            Ok(false) => {
                self.denied.fetch_add(1, Ordering::Relaxed);
                Verdict::Deny("external authoriser".into())
            }
            Err(why) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
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
}
