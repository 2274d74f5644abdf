//! OpenID provider configuration from MinIO's variables (spec §6.1), every problem reported at
//! once, and the role ARN of each role-policy provider (spec §6.2).
//!
//! `MINIO_IDENTITY_OPENID_<KEY>` configures the default provider, `MINIO_IDENTITY_OPENID_<KEY>_<NAME>`
//! the provider `<NAME>`. Keys (MinIO `help.go`, the console-only ones are accepted and ignored):
//!
//! | Key | Meaning |
//! |---|---|
//! | `ENABLE` | `on`/`off`; when empty, a provider is enabled if it has a config URL, client id or secret |
//! | `CONFIG_URL` | discovery document, e.g. `https://accounts.google.com/.well-known/openid-configuration` |
//! | `CLIENT_ID` | this application's client id: must be in the token's `aud` (or `azp`) |
//! | `CLIENT_SECRET` | the client secret; never a token-verification key here (GHSA-5cx5-wh4m-82fh) |
//! | `ROLE_POLICY` | comma-separated policy names: role mode, `RoleArn` = this provider's ARN |
//! | `CLAIM_NAME` | claim holding policy names (claim mode), default `policy` |
//! | `CLAIM_PREFIX` | deprecated prefix of the claim name |
//! | `CLAIM_USERINFO` | `on`: merge the UserInfo endpoint's claims (needs `WebIdentityAccessToken`) |
//! | `SCOPES` | comma-separated scopes (console login) |
//! | `DISPLAY_NAME`, `REDIRECT_URI`, `REDIRECT_URI_DYNAMIC`, `VENDOR`, `KEYCLOAK_REALM`, `KEYCLOAK_ADMIN_URL`, `USER_READABLE_CLAIM`, `USER_ID_CLAIM`, `COMMENT` | console login / vendor extras, accepted |
//!
//! Strongbox adds `STRONGBOX_IDENTITY_OPENID_TIMEOUT` (seconds per provider call, default 5),
//! `STRONGBOX_IDENTITY_OPENID_JWKS_REFRESH_INTERVAL` (least seconds between two key fetches of
//! one provider caused by unknown key ids, default 10) and
//! `STRONGBOX_IDENTITY_OPENID_DANGER_ALLOW_OUTLIVING_ID_TOKEN` (`on`: MinIO's behaviour, where
//! `DurationSeconds` may make credentials outlive the id_token, spec §17.3; default off).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::http::parse_url;

pub const PREFIX: &str = "MINIO_IDENTITY_OPENID_";
pub const TIMEOUT_VAR: &str = "STRONGBOX_IDENTITY_OPENID_TIMEOUT";
pub const REFRESH_VAR: &str = "STRONGBOX_IDENTITY_OPENID_JWKS_REFRESH_INTERVAL";
pub const DANGER_OUTLIVE_VAR: &str = "STRONGBOX_IDENTITY_OPENID_DANGER_ALLOW_OUTLIVING_ID_TOKEN";
/// The claim that names policies unless `CLAIM_NAME` says otherwise.
pub const DEFAULT_CLAIM_NAME: &str = "policy";
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(10);

/// Every key, longest first so `REDIRECT_URI_DYNAMIC` is not read as `REDIRECT_URI` of a
/// provider named `DYNAMIC`.
pub const KEYS: &[&str] = &[
    "REDIRECT_URI_DYNAMIC",
    "USER_READABLE_CLAIM",
    "KEYCLOAK_ADMIN_URL",
    "CLAIM_USERINFO",
    "KEYCLOAK_REALM",
    "USER_ID_CLAIM",
    "CLIENT_SECRET",
    "DISPLAY_NAME",
    "CLAIM_PREFIX",
    "REDIRECT_URI",
    "ROLE_POLICY",
    "CONFIG_URL",
    "CLAIM_NAME",
    "CLIENT_ID",
    "JWKS_URL",
    "COMMENT",
    "ENABLE",
    "SCOPES",
    "VENDOR",
];

/// A client secret: redacted in Debug, wiped on drop. Kept for the console login flow and the
/// Keycloak admin API; it never verifies a token.
#[derive(Clone, Default)]
pub struct ClientSecret(Zeroizing<String>);

impl ClientSecret {
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"<redacted>\""
        })
    }
}

/// One configured provider.
#[derive(Debug, Clone, Default)]
pub struct ProviderConfig {
    /// `None` for the default provider, else the `_<NAME>` suffix.
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub config_url: String,
    pub client_id: String,
    pub client_secret: ClientSecret,
    /// Role mode when non-empty.
    pub role_policy: Vec<String>,
    pub claim_name: String,
    pub claim_prefix: String,
    pub claim_userinfo: bool,
    pub scopes: Vec<String>,
    pub redirect_uri: Option<String>,
    pub vendor: Option<String>,
}

impl ProviderConfig {
    /// `default` or the provider's name, for logs and errors.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or("default")
    }
    pub fn is_role_mode(&self) -> bool {
        !self.role_policy.is_empty()
    }
    /// The claim that holds policy names in claim mode (`<claim_prefix><claim_name>`).
    pub fn policy_claim(&self) -> String {
        format!("{}{}", self.claim_prefix, self.claim_name)
    }
    /// The variable a key of this provider is set with (for error messages).
    pub fn var(&self, key: &str) -> String {
        match &self.name {
            None => format!("{PREFIX}{key}"),
            Some(n) => format!("{PREFIX}{key}_{n}"),
        }
    }
}

/// All OpenID settings.
#[derive(Debug, Clone)]
pub struct OpenIdConfig {
    pub providers: Vec<ProviderConfig>,
    /// Bound on every provider call (discovery, keys, UserInfo).
    pub timeout: Duration,
    /// Least time between two key fetches of one provider caused by unknown key ids.
    pub refresh_interval: Duration,
    /// How often keys are re-read in the background, so rotated-out keys stop being trusted.
    pub key_max_age: Duration,
    /// Let `DurationSeconds` outlive the id_token (MinIO's behaviour; off by default).
    pub danger_allow_outliving_id_token: bool,
}

impl Default for OpenIdConfig {
    fn default() -> Self {
        Self {
            providers: Vec::new(),
            timeout: crate::http::DEFAULT_TIMEOUT,
            refresh_interval: DEFAULT_REFRESH_INTERVAL,
            key_max_age: Duration::from_secs(300),
            danger_allow_outliving_id_token: false,
        }
    }
}

/// One problem: the variable and what is wrong with it (never a secret's value).
pub type Problem = (String, String);

impl OpenIdConfig {
    /// Reads every `MINIO_IDENTITY_OPENID_*` variable in `vars` (name, value; empty values count
    /// as unset) and the two Strongbox variables; `Err` lists every problem.
    pub fn from_vars<'a>(
        vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut cfg = OpenIdConfig::default();
        // provider name ("" = default) -> key -> value
        let mut raw: BTreeMap<String, BTreeMap<&'static str, String>> = BTreeMap::new();
        for (name, value) in vars {
            if value.is_empty() {
                continue;
            }
            if name == DANGER_OUTLIVE_VAR {
                match on_off(value) {
                    Some(b) => cfg.danger_allow_outliving_id_token = b,
                    None => {
                        problems.push((name.to_owned(), format!("{value:?} is neither on nor off")))
                    }
                }
                continue;
            }
            if name == TIMEOUT_VAR || name == REFRESH_VAR {
                match value.trim().parse::<u64>() {
                    Ok(s) if (1..=300).contains(&s) => {
                        if name == TIMEOUT_VAR {
                            cfg.timeout = Duration::from_secs(s);
                        } else {
                            cfg.refresh_interval = Duration::from_secs(s);
                        }
                    }
                    _ => problems.push((
                        name.to_owned(),
                        format!("{value:?} is not a whole number of seconds in 1..=300"),
                    )),
                }
                continue;
            }
            let Some(rest) = name.strip_prefix(PREFIX) else {
                continue;
            };
            match split_key(rest) {
                Some((key, provider)) => {
                    raw.entry(provider.to_owned())
                        .or_default()
                        .insert(key, value.to_owned());
                }
                None => problems.push((name.to_owned(), "unknown OpenID setting".to_owned())),
            }
        }
        for (name, keys) in raw {
            let name = (!name.is_empty()).then_some(name);
            if let Some(p) = provider(name, keys, &mut problems) {
                cfg.providers.push(p);
            }
        }
        check_across(&cfg.providers, &mut problems);
        if problems.is_empty() {
            Ok(cfg)
        } else {
            Err(problems)
        }
    }

    /// The provider in claim mode, if any (at most one).
    pub fn claim_provider(&self) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| !p.is_role_mode())
    }
}

/// `CLIENT_ID_APP2` → (`CLIENT_ID`, `APP2`); `CLIENT_ID` → (`CLIENT_ID`, ``).
fn split_key(rest: &str) -> Option<(&'static str, &str)> {
    KEYS.iter().find_map(|k| {
        if rest == *k {
            Some((*k, ""))
        } else {
            rest.strip_prefix(k)
                .and_then(|r| r.strip_prefix('_'))
                .filter(|n| !n.is_empty())
                .map(|n| (*k, n))
        }
    })
}

fn on_off(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Some(true),
        "off" | "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

fn provider(
    name: Option<String>,
    mut keys: BTreeMap<&'static str, String>,
    problems: &mut Vec<Problem>,
) -> Option<ProviderConfig> {
    let mut p = ProviderConfig {
        name,
        ..ProviderConfig::default()
    };
    let mut bad = |p: &ProviderConfig, key: &str, what: String| problems.push((p.var(key), what));
    let enable = match keys.remove("ENABLE") {
        None => None,
        Some(v) => match on_off(&v) {
            Some(b) => Some(b),
            None => {
                bad(&p, "ENABLE", format!("{v:?} is neither on nor off"));
                None
            }
        },
    };
    p.config_url = keys.remove("CONFIG_URL").unwrap_or_default();
    p.client_id = keys.remove("CLIENT_ID").unwrap_or_default();
    p.client_secret = ClientSecret::new(keys.remove("CLIENT_SECRET").unwrap_or_default());
    let enabled = enable.unwrap_or(
        !p.config_url.is_empty() || !p.client_id.is_empty() || !p.client_secret.is_empty(),
    );
    if !enabled {
        return None;
    }
    p.display_name = keys.remove("DISPLAY_NAME");
    p.redirect_uri = keys.remove("REDIRECT_URI");
    p.vendor = keys.remove("VENDOR");
    p.claim_prefix = keys.remove("CLAIM_PREFIX").unwrap_or_default();
    let claim_name = keys.remove("CLAIM_NAME");
    p.claim_name = claim_name
        .clone()
        .unwrap_or_else(|| DEFAULT_CLAIM_NAME.to_owned());
    p.role_policy =
        strongbox_policy::parse_policy_names(keys.remove("ROLE_POLICY").iter().map(String::as_str))
            .into_iter()
            .collect();
    if let Some(v) = keys.remove("CLAIM_USERINFO") {
        match on_off(&v) {
            Some(b) => p.claim_userinfo = b,
            None => bad(&p, "CLAIM_USERINFO", format!("{v:?} is neither on nor off")),
        }
    }
    if let Some(v) = keys.remove("REDIRECT_URI_DYNAMIC")
        && on_off(&v).is_none()
    {
        bad(
            &p,
            "REDIRECT_URI_DYNAMIC",
            format!("{v:?} is neither on nor off"),
        );
    }
    if let Some(v) = keys.remove("SCOPES") {
        let scopes: Vec<String> = v.split(',').map(|s| s.trim().to_owned()).collect();
        if scopes.iter().any(String::is_empty) {
            bad(&p, "SCOPES", "empty scope in the list".to_owned());
        }
        p.scopes = scopes;
    }
    if let Some(v) = &p.vendor
        && v != "keycloak"
    {
        bad(
            &p,
            "VENDOR",
            format!("{v:?} is not supported (only \"keycloak\")"),
        );
    }
    if p.config_url.is_empty() {
        bad(&p, "CONFIG_URL", "is required".to_owned());
    } else if parse_url(&p.config_url).is_err() {
        bad(
            &p,
            "CONFIG_URL",
            format!("{:?} is not an http(s) URL", p.config_url),
        );
    }
    if p.client_id.is_empty() {
        bad(
            &p,
            "CLIENT_ID",
            "is required (tokens must name it in aud or azp)".to_owned(),
        );
    }
    if p.is_role_mode() && claim_name.is_some_and(|c| c != DEFAULT_CLAIM_NAME) {
        bad(
            &p,
            "ROLE_POLICY",
            "cannot be combined with a custom CLAIM_NAME: choose role policy or claim mode"
                .to_owned(),
        );
    }
    if p.claim_name.is_empty() && !p.is_role_mode() {
        bad(
            &p,
            "CLAIM_NAME",
            "either ROLE_POLICY or CLAIM_NAME is required".to_owned(),
        );
    }
    // Remaining keys (console and vendor extras; removed JWKS_URL) are accepted and unused.
    Some(p)
}

fn check_across(providers: &[ProviderConfig], problems: &mut Vec<Problem>) {
    let mut ids = HashSet::new();
    for p in providers {
        if !p.client_id.is_empty() && !ids.insert(p.client_id.as_str()) {
            problems.push((
                p.var("CLIENT_ID"),
                format!(
                    "client id {:?} is used by another OpenID provider",
                    p.client_id
                ),
            ));
        }
    }
    let claim: Vec<&ProviderConfig> = providers.iter().filter(|p| !p.is_role_mode()).collect();
    if claim.len() > 1 {
        let names: Vec<&str> = claim.iter().map(|p| p.label()).collect();
        problems.push((
            format!("{PREFIX}ROLE_POLICY"),
            format!(
                "only one OpenID provider can be configured without a role policy (claim-based: {})",
                names.join(", ")
            ),
        ));
    }
}

/// The role ARN of a role-policy provider (spec §6.2):
/// `arn:minio:iam:<region>::role/<base64url(SHA-1(client_id))>`.
pub fn role_arn(client_id: &str, region: Option<&str>) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        client_id.as_bytes(),
    );
    format!(
        "arn:minio:iam:{}::role/{}",
        region.unwrap_or(""),
        URL_SAFE_NO_PAD.encode(digest.as_ref())
    )
}

/// The ARN claim-mode requests carry internally (spec §6.2).
pub const DUMMY_ROLE_ARN: &str = "arn:minio:iam:::role/dummy-internal";

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<OpenIdConfig, Vec<Problem>> {
        OpenIdConfig::from_vars(vars.iter().copied())
    }
    fn vars_of(p: &[Problem]) -> Vec<&str> {
        p.iter().map(|(v, _)| v.as_str()).collect()
    }

    #[test]
    fn role_arn_matches_minio_examples() {
        // spec §6.2 (MinIO docs and tests).
        assert_eq!(
            role_arn("minio-client-app", None),
            "arn:minio:iam:::role/nOybJqMNzNmroqEKq5D0EUsRZw0"
        );
        assert_eq!(
            role_arn("minio-client-app-2", None),
            "arn:minio:iam:::role/domXb70kze7Ugc1SaxaeFchhLP4"
        );
        assert_eq!(
            role_arn("minio-client-app", Some("eu-1")),
            "arn:minio:iam:eu-1::role/nOybJqMNzNmroqEKq5D0EUsRZw0"
        );
    }

    #[test]
    fn minio_doc_example_two_role_providers() {
        let c = load(&[
            ("MINIO_IDENTITY_OPENID_DISPLAY_NAME", "my first openid"),
            (
                "MINIO_IDENTITY_OPENID_CONFIG_URL",
                "http://myopenid.com/.well-known/openid-configuration",
            ),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID", "minio-client-app"),
            (
                "MINIO_IDENTITY_OPENID_CLIENT_SECRET",
                "minio-client-app-secret",
            ),
            ("MINIO_IDENTITY_OPENID_SCOPES", "openid,groups"),
            (
                "MINIO_IDENTITY_OPENID_REDIRECT_URI",
                "http://127.0.0.1:10000/oauth_callback",
            ),
            ("MINIO_IDENTITY_OPENID_ROLE_POLICY", "consoleAdmin"),
            ("MINIO_IDENTITY_OPENID_DISPLAY_NAME_APP2", "another oidc"),
            (
                "MINIO_IDENTITY_OPENID_CONFIG_URL_APP2",
                "http://anotheroidc.com/.well-known/openid-configuration",
            ),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID_APP2", "minio-client-app-2"),
            (
                "MINIO_IDENTITY_OPENID_CLIENT_SECRET_APP2",
                "minio-client-app-secret-2",
            ),
            ("MINIO_IDENTITY_OPENID_SCOPES_APP2", "openid,groups"),
            ("MINIO_IDENTITY_OPENID_REDIRECT_URI_DYNAMIC_APP2", "on"),
            (
                "MINIO_IDENTITY_OPENID_ROLE_POLICY_APP2",
                "readwrite, diagnostics",
            ),
        ])
        .unwrap();
        assert_eq!(c.providers.len(), 2);
        let (d, a) = (&c.providers[0], &c.providers[1]);
        assert_eq!(
            (d.name.as_deref(), d.client_id.as_str()),
            (None, "minio-client-app")
        );
        assert_eq!(d.role_policy, ["consoleAdmin"]);
        assert_eq!(a.name.as_deref(), Some("APP2"));
        assert_eq!(a.role_policy, ["diagnostics", "readwrite"]);
        assert_eq!(a.scopes, ["openid", "groups"]);
        assert!(c.claim_provider().is_none());
        let shown = format!("{d:?}");
        assert!(!shown.contains("minio-client-app-secret"), "{shown}");
    }

    #[test]
    fn claim_provider_defaults_and_prefix() {
        let c = load(&[
            (
                "MINIO_IDENTITY_OPENID_CONFIG_URL",
                "https://idp.example/.well-known/openid-configuration",
            ),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID", "app"),
            ("MINIO_IDENTITY_OPENID_CLAIM_PREFIX", "https://min.io/"),
            ("MINIO_IDENTITY_OPENID_CLAIM_USERINFO", "on"),
        ])
        .unwrap();
        let p = c.claim_provider().unwrap();
        assert_eq!(p.policy_claim(), "https://min.io/policy");
        assert!(p.claim_userinfo);
    }

    #[test]
    fn every_problem_at_once() {
        let e = load(&[
            // two claim-based providers
            (
                "MINIO_IDENTITY_OPENID_CONFIG_URL",
                "http://a/.well-known/openid-configuration",
            ),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID", "same"),
            ("MINIO_IDENTITY_OPENID_CONFIG_URL_B", "ftp://b/x"),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID_B", "same"),
            // role policy plus custom claim name
            (
                "MINIO_IDENTITY_OPENID_CONFIG_URL_C",
                "http://c/.well-known/openid-configuration",
            ),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID_C", "c"),
            ("MINIO_IDENTITY_OPENID_ROLE_POLICY_C", "readonly"),
            ("MINIO_IDENTITY_OPENID_CLAIM_NAME_C", "groups"),
            ("MINIO_IDENTITY_OPENID_SCOPES_C", "openid,,x"),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID_D", "d"),
            ("MINIO_IDENTITY_OPENID_ROLE_POLICY_D", "readonly"),
            ("MINIO_IDENTITY_OPENID_BOGUS", "x"),
            ("STRONGBOX_IDENTITY_OPENID_TIMEOUT", "0"),
        ])
        .unwrap_err();
        let got = vars_of(&e);
        for want in [
            "MINIO_IDENTITY_OPENID_BOGUS",
            "STRONGBOX_IDENTITY_OPENID_TIMEOUT",
            "MINIO_IDENTITY_OPENID_CONFIG_URL_B",
            "MINIO_IDENTITY_OPENID_ROLE_POLICY_C",
            "MINIO_IDENTITY_OPENID_SCOPES_C",
            "MINIO_IDENTITY_OPENID_CONFIG_URL_D",
            "MINIO_IDENTITY_OPENID_CLIENT_ID_B",
            "MINIO_IDENTITY_OPENID_ROLE_POLICY",
        ] {
            assert!(got.contains(&want), "{want} missing from {e:?}");
        }
        let two = e
            .iter()
            .find(|(v, _)| v == "MINIO_IDENTITY_OPENID_ROLE_POLICY")
            .unwrap();
        assert!(two.1.contains("only one OpenID provider"), "{}", two.1);
    }

    #[test]
    fn enable_rules() {
        // Nothing set: no provider. enable=off: ignored even when configured.
        assert!(load(&[]).unwrap().providers.is_empty());
        let c = load(&[
            ("MINIO_IDENTITY_OPENID_ENABLE", "off"),
            ("MINIO_IDENTITY_OPENID_CONFIG_URL", "http://a/x"),
        ])
        .unwrap();
        assert!(c.providers.is_empty());
        let e = load(&[("MINIO_IDENTITY_OPENID_ENABLE", "on")]).unwrap_err();
        assert_eq!(
            vars_of(&e),
            [
                "MINIO_IDENTITY_OPENID_CONFIG_URL",
                "MINIO_IDENTITY_OPENID_CLIENT_ID"
            ]
        );
    }
}
