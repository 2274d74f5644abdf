//! OpenID Connect identity providers for AssumeRoleWithWebIdentity and
//! AssumeRoleWithClientGrants (spec §6, §7).
//!
//! [`OpenId::connect`] fetches every provider's discovery document and keys at start-up
//! (reporting every unreachable one at once) and keeps the keys fresh in the background.
//! [`OpenId::authenticate`] turns a request's token into an [`Authenticated`] identity: provider
//! and mode chosen from `RoleArn` ([`policy::select`]), token validated ([`validate`]) with that
//! provider's keys ([`jwks`]), UserInfo claims merged when configured, policy names read. The
//! server then runs the one STS issuing pipeline (existing policies, duration, session policy,
//! deny check, rate limit, issue, audit).

pub mod config;
pub mod discovery;
pub mod jwks;
pub mod policy;
pub mod validate;

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{Map, Value};
use strongbox_sts::StsError;
use strongbox_sts::duration::OidcFlow;

use self::config::{OpenIdConfig, ProviderConfig};
use self::discovery::Discovery;
use self::jwks::{KeyCache, LookupError};
use self::policy::{Mode, RoleProvider};
use self::validate::{Expect, Rejection};
use crate::http::HttpClient;

/// Largest UserInfo answer read.
pub const MAX_USERINFO_BYTES: usize = 64 * 1024;

/// One provider, connected.
#[derive(Debug)]
pub struct OpenIdProvider {
    config: ProviderConfig,
    role_arn: Option<String>,
    discovery: Discovery,
    keys: KeyCache,
    http: HttpClient,
}

impl RoleProvider for OpenIdProvider {
    fn config(&self) -> &ProviderConfig {
        &self.config
    }
    fn role_arn(&self) -> Option<&str> {
        self.role_arn.as_deref()
    }
}

impl OpenIdProvider {
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }
    /// The role ARN of a role-policy provider (spec §6.2).
    pub fn role_arn(&self) -> Option<&str> {
        self.role_arn.as_deref()
    }
    pub fn issuer(&self) -> &str {
        &self.discovery.issuer
    }
    pub fn keys(&self) -> &KeyCache {
        &self.keys
    }
}

/// The configured providers.
#[derive(Debug, Default)]
pub struct OpenId {
    providers: Vec<Arc<OpenIdProvider>>,
}

/// A request's token, as the STS handler hands it over.
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'a> {
    pub flow: OidcFlow,
    pub token: &'a str,
    /// `WebIdentityAccessToken` (for UserInfo).
    pub access_token: Option<&'a str>,
    pub role_arn: Option<&'a str>,
    pub now_unix: i64,
}

/// A validated identity, ready for the issuing pipeline.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub provider: Arc<OpenIdProvider>,
    pub mode: Mode,
    pub sub: String,
    pub iss: String,
    pub exp: i64,
    /// The token's claims (plus UserInfo claims not already present).
    pub claims: Map<String, Value>,
    /// Policy names asked for by the role or the claim (not yet checked to exist).
    pub requested_policies: Vec<String>,
}

impl OpenId {
    /// Connects every configured provider (discovery document and keys over HTTP(S)). `Err`
    /// lists every provider that could not be set up. `region` goes into role ARNs.
    pub async fn connect(cfg: &OpenIdConfig, region: Option<&str>) -> Result<Self, Vec<String>> {
        let http = HttpClient::new(cfg.timeout).map_err(|e| vec![e])?;
        let attempts = cfg.providers.iter().map(|p| {
            let http = http.clone();
            let refresh = cfg.refresh_interval;
            async move {
                let discovery = Discovery::fetch(&http, &p.config_url).await?;
                let keys =
                    KeyCache::load(discovery.jwks_uri.clone(), http.clone(), refresh).await?;
                if p.claim_userinfo && discovery.userinfo_endpoint.is_none() {
                    return Err(
                        "CLAIM_USERINFO is on but the provider has no userinfo_endpoint".to_owned(),
                    );
                }
                Ok(OpenIdProvider {
                    config: p.clone(),
                    role_arn: p
                        .is_role_mode()
                        .then(|| config::role_arn(&p.client_id, region)),
                    discovery,
                    keys,
                    http,
                })
            }
        });
        let results = futures::future::join_all(attempts).await;
        let mut providers = Vec::new();
        let mut errors = Vec::new();
        for (p, r) in cfg.providers.iter().zip(results) {
            match r {
                Ok(provider) => providers.push(Arc::new(provider)),
                Err(e) => errors.push(format!("OpenID provider {}: {e}", p.label())),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let me = Self { providers };
        me.spawn_key_refresh(cfg.key_max_age);
        Ok(me)
    }

    /// Providers built by the caller (tests).
    pub fn from_providers(providers: Vec<Arc<OpenIdProvider>>) -> Self {
        Self { providers }
    }

    pub fn providers(&self) -> &[Arc<OpenIdProvider>] {
        &self.providers
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// Re-reads each provider's keys every `max_age`, so keys rotated out of a JWKS stop being
    /// trusted even if no unknown key id ever arrives. Stops when the providers are dropped.
    fn spawn_key_refresh(&self, max_age: Duration) {
        for p in &self.providers {
            let weak: Weak<OpenIdProvider> = Arc::downgrade(p);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(max_age).await;
                    let Some(p) = weak.upgrade() else { return };
                    if p.keys.fetched_at().elapsed() >= max_age {
                        let _ = p.keys.refresh().await;
                    }
                }
            });
        }
    }

    /// Validates the request's token with the provider its `RoleArn` selects.
    pub async fn authenticate(&self, req: TokenRequest<'_>) -> Result<Authenticated, StsError> {
        let (provider, mode) = policy::select(&self.providers, req.role_arn)?;
        let reject = |r: Rejection| r.to_sts(req.flow);
        let unverified = validate::parse(req.token).map_err(reject)?;
        let key = match provider
            .keys
            .find(unverified.kid.as_deref(), unverified.alg)
            .await
        {
            Ok(k) => k,
            Err(LookupError::Unknown) => return Err(reject(Rejection::UnknownKey)),
            Err(LookupError::Unreachable(e)) => {
                tracing::warn!(
                    provider = provider.config.label(),
                    "OpenID keys unavailable: {e}"
                );
                return Err(reject(Rejection::Unreachable));
            }
        };
        let mut claims = unverified.verify(&key).map_err(reject)?;
        let checked = validate::check_claims(
            &claims,
            Expect {
                issuer: &provider.discovery.issuer,
                client_id: &provider.config.client_id,
                now_unix: req.now_unix,
            },
        )
        .map_err(reject)?;
        if provider.config.claim_userinfo {
            let access = req
                .access_token
                .filter(|t| !t.is_empty())
                .ok_or_else(|| reject(Rejection::AccessTokenRequired))?;
            merge_userinfo(provider, access, &checked.sub, &mut claims)
                .await
                .map_err(reject)?;
        }
        let requested_policies = policy::requested_policies(&provider.config, &mode, &claims)?;
        Ok(Authenticated {
            provider: Arc::clone(provider),
            mode,
            sub: checked.sub,
            iss: checked.iss,
            exp: checked.exp,
            claims,
            requested_policies,
        })
    }
}

/// Fetches UserInfo with the access token and adds its claims that the token does not have
/// (spec §6.4 step 6). Its `sub` must be the token's (OpenID Connect Core §5.3.2).
async fn merge_userinfo(
    provider: &OpenIdProvider,
    access_token: &str,
    sub: &str,
    claims: &mut Map<String, Value>,
) -> Result<(), Rejection> {
    let Some(url) = provider.discovery.userinfo_endpoint.as_deref() else {
        return Err(Rejection::UserInfo);
    };
    let body = provider
        .http
        .get_bearer(url, access_token, MAX_USERINFO_BYTES)
        .await
        .map_err(|e| {
            tracing::warn!(
                provider = provider.config.label(),
                "OpenID UserInfo failed: {e}"
            );
            match e {
                crate::http::FetchError::Status(_) => Rejection::UserInfo,
                _ => Rejection::Unreachable,
            }
        })?;
    let info: Map<String, Value> =
        serde_json::from_slice(&body).map_err(|_| Rejection::UserInfo)?;
    if info.get("sub").and_then(Value::as_str) != Some(sub) {
        return Err(Rejection::UserInfo);
    }
    for (k, v) in info {
        claims.entry(k).or_insert(v);
    }
    Ok(())
}
