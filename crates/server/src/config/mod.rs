//! Server configuration, in two phases (STYLE.md #10):
//! 1. [`Sources::read`] gathers raw strings from the command line and the environment (through the
//!    [`Env`] trait, so tests pass a `HashMap`);
//! 2. [`Sources::validate`] turns them into a [`Config`], collecting every problem before failing,
//!    so an operator fixes all of them in one go.
//!
//! Nothing here does I/O; generated root credentials are read or written later by
//! [`crate::credentials::resolve`].

mod address;
mod args;
mod env;
pub mod file;
mod ldap;
mod openid;
mod plugin;
pub mod tls;
pub mod tls_identity;

pub use self::address::ListenAddress;
pub use self::args::{LogFormat, ServerArgs};
pub use self::env::{Env, ProcessEnv};

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use s3s::auth::SecretKey;

use crate::credentials::{CredentialProblem, RootCredentials};

/// Environment variables read by the server.
pub mod vars {
    pub const ROOT_USER: &str = "MINIO_ROOT_USER";
    pub const ROOT_PASSWORD: &str = "MINIO_ROOT_PASSWORD";
    pub const ACCESS_KEY: &str = "MINIO_ACCESS_KEY";
    pub const SECRET_KEY: &str = "MINIO_SECRET_KEY";
    pub const REGION: &str = "MINIO_REGION";
    pub const SITE_REGION: &str = "MINIO_SITE_REGION";
    pub const DOMAIN: &str = "MINIO_DOMAIN";
    pub const LOG: &str = "STRONGBOX_LOG";
    pub const RUST_LOG: &str = "RUST_LOG";
    pub const LOG_FORMAT: &str = "STRONGBOX_LOG_FORMAT";
    pub const SHUTDOWN_TIMEOUT: &str = "STRONGBOX_SHUTDOWN_TIMEOUT";
    pub const DIRECT_READS: &str = "STRONGBOX_DIRECT_READS";
}

/// Region when neither `MINIO_SITE_REGION` nor `MINIO_REGION` is set.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Log filter when neither `STRONGBOX_LOG` nor `RUST_LOG` is set.
pub const DEFAULT_LOG_FILTER: &str = "info";
/// How long in-flight requests may run after a shutdown signal, unless configured.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// A validated server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: ListenAddress,
    pub data_dir: PathBuf,
    pub root_credentials: RootCredentialsSource,
    /// The region this server reports (GetBucketLocation): the configured one or `us-east-1`.
    pub region: String,
    /// The region as configured, `None` when neither variable is set. As in MinIO, only a
    /// configured region is enforced on credential scopes and appears in role ARNs.
    pub configured_region: Option<String>,
    /// Base domains for virtual-host-style requests (`MINIO_DOMAIN`); empty means path style only.
    pub domains: Vec<String>,
    pub log: LogConfig,
    pub shutdown_timeout: Duration,
    /// STS: durations, issuance rate limit, audit file ([`crate::sts::config`] lists the variables).
    pub sts: crate::sts::StsConfig,
    /// OpenID providers (`MINIO_IDENTITY_OPENID_*`, see [`openid`]); connected at bind.
    pub openid: strongbox_idp::openid::config::OpenIdConfig,
    /// The identity plugin (`MINIO_IDENTITY_PLUGIN_*`, see [`plugin`]), when configured.
    pub identity_plugin: Option<strongbox_idp::plugin::PluginConfig>,
    /// LDAP (`MINIO_IDENTITY_LDAP_*`, see [`ldap`]), when configured; connected at bind.
    pub ldap: Option<strongbox_idp::ldap::LdapConfig>,
    /// The external authoriser (`MINIO_POLICY_PLUGIN_*` / `MINIO_POLICY_OPA_*`), when configured.
    pub policy_plugin: Option<crate::authz::external::ExternalConfig>,
    /// HTTPS certificates and client-certificate requests (`--certs-dir`, see [`tls`]).
    pub tls: tls::TlsConfig,
    /// AssumeRoleWithCertificate (`MINIO_IDENTITY_TLS_*`, see [`tls_identity`]).
    pub tls_identity: tls_identity::TlsIdentityConfig,
    /// Who may read `/minio/v2/metrics/*` (`MINIO_PROMETHEUS_AUTH_TYPE`).
    pub prometheus_auth: crate::routes::metrics::PrometheusAuth,
    /// Answer plain GET/HEAD of objects in memory without s3s (`STRONGBOX_DIRECT_READS`, on by
    /// default; see [`crate::fast`]). Off sends every request through s3s.
    pub direct_reads: bool,
    /// Things worth telling the operator once logging is up (deprecated variables, ...).
    pub warnings: Vec<String>,
}

/// Where the root credentials come from.
#[derive(Debug, Clone)]
pub enum RootCredentialsSource {
    /// Given in the environment.
    Environment(RootCredentials),
    /// None given: generated on first start and kept under the data directory.
    Generated,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    /// An `EnvFilter` directive string, already checked to parse.
    pub filter: String,
}

/// One configuration problem: which setting, and what is wrong with it (never a secret's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

/// Every problem found in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "invalid configuration ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            write!(f, "\n  - {}: {}", e.setting, e.problem)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Config {
    /// Both phases at once: read `args` and `env`, validate, report every problem.
    pub fn from_sources(args: &ServerArgs, env: &dyn Env) -> Result<Self, ConfigErrors> {
        Sources::read(args, env).validate()
    }
}

/// Phase 1: the raw values and the name each came from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    address: String,
    data_dir: PathBuf,
    root_user: Option<(&'static str, String)>,
    root_password: Option<(&'static str, SecretKey)>,
    legacy_ignored: bool,
    region: Option<(&'static str, String)>,
    domain: Option<String>,
    log_filter: Option<(&'static str, String)>,
    log_format_flag: Option<LogFormat>,
    log_format_env: Option<String>,
    shutdown_flag: Option<u64>,
    shutdown_env: Option<String>,
    sts: crate::sts::StsConfig,
    sts_problems: Vec<crate::sts::config::Problem>,
    openid: strongbox_idp::openid::config::OpenIdConfig,
    openid_problems: Vec<(String, String)>,
    identity_plugin: Option<strongbox_idp::plugin::PluginConfig>,
    plugin_problems: Vec<(String, String)>,
    ldap: Option<strongbox_idp::ldap::LdapConfig>,
    ldap_problems: Vec<(String, String)>,
    policy_plugin: Option<crate::authz::external::ExternalConfig>,
    tls: tls::TlsConfig,
    tls_problems: Vec<(String, String)>,
    tls_identity: tls_identity::TlsIdentityConfig,
    prometheus_auth: Option<String>,
    direct_reads: Option<String>,
}

impl Sources {
    #[must_use]
    pub fn read(args: &ServerArgs, env: &dyn Env) -> Self {
        let pick = |a: &'static str, b: &'static str| {
            env.var(a)
                .map(|v| (a, v))
                .or_else(|| env.var(b).map(|v| (b, v)))
        };
        // The current pair wins over the older MINIO_ACCESS_KEY/MINIO_SECRET_KEY, as a pair:
        // never a user from one and a password from the other.
        let current = (env.var(vars::ROOT_USER), env.var(vars::ROOT_PASSWORD));
        let legacy = (env.var(vars::ACCESS_KEY), env.var(vars::SECRET_KEY));
        let use_current = current.0.is_some() || current.1.is_some();
        let (user_var, pass_var, (user, pass)) = if use_current {
            (vars::ROOT_USER, vars::ROOT_PASSWORD, current)
        } else {
            (vars::ACCESS_KEY, vars::SECRET_KEY, legacy.clone())
        };
        let (sts, sts_problems) = match crate::sts::StsConfig::from_env(env) {
            Ok(c) => (c, Vec::new()),
            Err(p) => (crate::sts::StsConfig::default(), p),
        };
        let (openid, openid_problems) = match openid::from_env(env) {
            Ok(c) => (c, Vec::new()),
            Err(p) => (Default::default(), p),
        };
        let (identity_plugin, mut plugin_problems) = match plugin::identity_from_env(env) {
            Ok(c) => (c, Vec::new()),
            Err(p) => (None, p),
        };
        let (tls, mut tls_problems) = match tls::from_sources(args.certs_dir.as_deref(), env) {
            Ok(c) => (c, Vec::new()),
            Err(p) => (tls::TlsConfig::default(), p),
        };
        let tls_identity = tls_identity::from_env(tls.identity_tls, env).unwrap_or_else(|p| {
            tls_problems.extend(p);
            Default::default()
        });
        let (ldap, ldap_problems) = match ldap::from_env(env) {
            Ok(c) => (c, Vec::new()),
            Err(p) => (None, p),
        };
        let policy_plugin = plugin::policy_from_env(env).unwrap_or_else(|p| {
            plugin_problems.extend(p);
            None
        });
        Self {
            address: args.address.clone(),
            data_dir: args.dir.clone(),
            root_user: user.map(|u| (user_var, u)),
            root_password: pass.map(|p| (pass_var, SecretKey::from(p))),
            legacy_ignored: use_current && (legacy.0.is_some() || legacy.1.is_some()),
            region: pick(vars::SITE_REGION, vars::REGION),
            domain: env.var(vars::DOMAIN),
            log_filter: pick(vars::LOG, vars::RUST_LOG),
            log_format_flag: args.log_format,
            log_format_env: env.var(vars::LOG_FORMAT),
            shutdown_flag: args.shutdown_timeout,
            shutdown_env: env.var(vars::SHUTDOWN_TIMEOUT),
            sts,
            sts_problems,
            openid,
            openid_problems,
            identity_plugin,
            plugin_problems,
            ldap,
            ldap_problems,
            policy_plugin,
            tls,
            tls_problems,
            tls_identity,
            prometheus_auth: env.var(crate::routes::metrics::AUTH_TYPE_VAR),
            direct_reads: env.var(vars::DIRECT_READS),
        }
    }

    /// Phase 2: check everything, collect every problem.
    pub fn validate(self) -> Result<Config, ConfigErrors> {
        let mut errors = Vec::new();
        let mut err = |setting: &str, problem: String| {
            errors.push(ConfigError {
                setting: setting.to_owned(),
                problem,
            });
        };
        let mut warnings = Vec::new();

        let listen = ListenAddress::parse(&self.address)
            .map_err(|p| err("--address", p))
            .ok();

        if self.data_dir.as_os_str().is_empty() {
            err("DIR", "must not be empty".to_owned());
        }

        let root_credentials = match (self.root_user, self.root_password) {
            (None, None) => Some(RootCredentialsSource::Generated),
            (Some((u, _)), None) => {
                err(
                    pair_of(u),
                    format!("{u} is set, so {} must be set too", pair_of(u)),
                );
                None
            }
            (None, Some((p, _))) => {
                err(
                    pair_of(p),
                    format!("{p} is set, so {} must be set too", pair_of(p)),
                );
                None
            }
            (Some((uvar, user)), Some((pvar, pass))) => match RootCredentials::new(user, pass) {
                Ok(c) => Some(RootCredentialsSource::Environment(c)),
                Err(problems) => {
                    for p in problems {
                        match p {
                            CredentialProblem::AccessKey(m) => err(uvar, m),
                            CredentialProblem::SecretKey(m) => err(pvar, m),
                        }
                    }
                    None
                }
            },
        };
        if self.legacy_ignored {
            warnings.push(format!(
                "{} and {} are ignored because {} or {} is set",
                vars::ACCESS_KEY,
                vars::SECRET_KEY,
                vars::ROOT_USER,
                vars::ROOT_PASSWORD
            ));
        }

        let configured_region = match self.region {
            None => None,
            Some((var, r)) => {
                if let Err(p) = check_region(&r) {
                    err(var, p);
                }
                Some(r)
            }
        };
        let region = configured_region
            .clone()
            .unwrap_or_else(|| DEFAULT_REGION.to_owned());

        let mut domains = Vec::new();
        if let Some(list) = self.domain {
            for d in list.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                match check_domain(d) {
                    Ok(()) => domains.push(d.to_ascii_lowercase()),
                    Err(p) => err(vars::DOMAIN, p),
                }
            }
        }

        let format = match (self.log_format_flag, self.log_format_env) {
            (Some(f), _) => f,
            (None, None) => LogFormat::Human,
            (None, Some(v)) => match v.to_ascii_lowercase().as_str() {
                "human" => LogFormat::Human,
                "json" => LogFormat::Json,
                _ => {
                    err(
                        vars::LOG_FORMAT,
                        format!("{v:?} is neither \"human\" nor \"json\""),
                    );
                    LogFormat::Human
                }
            },
        };
        let filter = match self.log_filter {
            None => DEFAULT_LOG_FILTER.to_owned(),
            Some((var, f)) => {
                if let Err(e) = tracing_subscriber::EnvFilter::builder().parse(&f) {
                    err(var, format!("not a log filter: {e}"));
                }
                f
            }
        };

        let shutdown_timeout = match (self.shutdown_flag, self.shutdown_env) {
            (Some(s), _) => Duration::from_secs(s),
            (None, None) => DEFAULT_SHUTDOWN_TIMEOUT,
            (None, Some(v)) => match v.parse::<u64>() {
                Ok(s) => Duration::from_secs(s),
                Err(_) => {
                    err(
                        vars::SHUTDOWN_TIMEOUT,
                        format!("{v:?} is not a whole number of seconds"),
                    );
                    DEFAULT_SHUTDOWN_TIMEOUT
                }
            },
        };

        for (var, p) in self.sts_problems {
            err(var, p);
        }
        let mut sts = self.sts;
        sts.duration.danger_allow_outliving_id_token |= self.openid.danger_allow_outliving_id_token;
        for (var, p) in self
            .openid_problems
            .into_iter()
            .chain(self.plugin_problems)
            .chain(self.ldap_problems)
        {
            err(&var, p);
        }
        for (var, p) in self.tls_problems {
            err(&var, p);
        }
        let prometheus_auth = match &self.prometheus_auth {
            None => Default::default(),
            Some(v) => crate::routes::metrics::PrometheusAuth::parse(v).unwrap_or_else(|p| {
                err(crate::routes::metrics::AUTH_TYPE_VAR, p);
                Default::default()
            }),
        };

        let direct_reads = match self.direct_reads.as_deref().map(str::to_ascii_lowercase) {
            None => true,
            Some(v) if v == "on" => true,
            Some(v) if v == "off" => false,
            Some(v) => {
                err(
                    vars::DIRECT_READS,
                    format!("{v:?} is neither \"on\" nor \"off\""),
                );
                true
            }
        };

        match (listen, root_credentials) {
            (Some(listen), Some(root_credentials)) if errors.is_empty() => Ok(Config {
                listen,
                data_dir: self.data_dir,
                root_credentials,
                region,
                configured_region,
                domains,
                log: LogConfig { format, filter },
                shutdown_timeout,
                sts,
                openid: self.openid,
                identity_plugin: self.identity_plugin,
                ldap: self.ldap,
                policy_plugin: self.policy_plugin,
                tls: self.tls,
                tls_identity: self.tls_identity,
                prometheus_auth,
                direct_reads,
                warnings,
            }),
            _ => Err(ConfigErrors(errors)),
        }
    }
}

/// The other half of a credential pair.
fn pair_of(var: &str) -> &'static str {
    match var {
        vars::ROOT_USER => vars::ROOT_PASSWORD,
        vars::ROOT_PASSWORD => vars::ROOT_USER,
        vars::ACCESS_KEY => vars::SECRET_KEY,
        _ => vars::ACCESS_KEY,
    }
}

/// MinIO's rule: a letter, then letters, digits, `-` or `_`.
fn check_region(r: &str) -> Result<(), String> {
    let mut chars = r.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if r.len() > 64
        || !first_ok
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "{r:?} is not a region name (a letter, then letters, digits, '-' or '_')"
        ));
    }
    Ok(())
}

fn check_domain(d: &str) -> Result<(), String> {
    let ok = d.len() <= 253
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("{d:?} is not a domain name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(env: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let env: HashMap<&str, &str> = env.iter().copied().collect();
        Config::from_sources(&ServerArgs::new("/data"), &env)
    }

    fn settings(e: &ConfigErrors) -> Vec<&str> {
        e.0.iter().map(|e| e.setting.as_str()).collect()
    }

    #[test]
    fn defaults() {
        let c = load(&[]).unwrap();
        assert_eq!(
            c.listen,
            ListenAddress {
                host: None,
                port: 9000
            }
        );
        assert!(matches!(
            c.root_credentials,
            RootCredentialsSource::Generated
        ));
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.configured_region, None);
        assert!(c.domains.is_empty());
        assert_eq!(c.log.format, LogFormat::Human);
        assert_eq!(c.log.filter, "info");
        assert_eq!(c.shutdown_timeout, Duration::from_secs(30));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = load(&[
            ("MINIO_ROOT_USER", "ab"),
            ("MINIO_ROOT_PASSWORD", "short"),
            ("MINIO_REGION", "1bad"),
            ("MINIO_DOMAIN", "ok.example,bad_domain"),
            ("STRONGBOX_LOG_FORMAT", "xml"),
            ("STRONGBOX_SHUTDOWN_TIMEOUT", "soon"),
            ("RUST_LOG", "info,[[["),
        ])
        .unwrap_err();
        assert_eq!(
            settings(&err),
            [
                "MINIO_ROOT_USER",
                "MINIO_ROOT_PASSWORD",
                "MINIO_REGION",
                "MINIO_DOMAIN",
                "STRONGBOX_LOG_FORMAT",
                "RUST_LOG",
                "STRONGBOX_SHUTDOWN_TIMEOUT"
            ]
        );
        let shown = err.to_string();
        assert!(
            shown.starts_with("invalid configuration (7 problems):"),
            "{shown}"
        );
        assert!(shown.contains("MINIO_ROOT_PASSWORD: must be at least 8 characters long (got 5)"));
        assert!(
            !shown.contains("short"),
            "the password must not be shown: {shown}"
        );
    }

    #[test]
    fn half_a_pair_is_an_error() {
        let err = load(&[("MINIO_ROOT_USER", "admin")]).unwrap_err();
        assert_eq!(settings(&err), ["MINIO_ROOT_PASSWORD"]);
        let err = load(&[("MINIO_SECRET_KEY", "password")]).unwrap_err();
        assert_eq!(settings(&err), ["MINIO_ACCESS_KEY"]);
    }

    #[test]
    fn legacy_pair_is_read_and_the_current_pair_wins() {
        let c = load(&[
            ("MINIO_ACCESS_KEY", "old-user"),
            ("MINIO_SECRET_KEY", "old-password"),
        ])
        .unwrap();
        let RootCredentialsSource::Environment(creds) = c.root_credentials else {
            panic!()
        };
        assert_eq!(creds.access_key(), "old-user");
        assert!(c.warnings.is_empty());

        let c = load(&[
            ("MINIO_ACCESS_KEY", "old-user"),
            ("MINIO_SECRET_KEY", "old-password"),
            ("MINIO_ROOT_USER", "new-user"),
            ("MINIO_ROOT_PASSWORD", "new-password"),
        ])
        .unwrap();
        let RootCredentialsSource::Environment(creds) = c.root_credentials else {
            panic!()
        };
        assert_eq!(creds.access_key(), "new-user");
        assert_eq!(creds.secret_key().expose(), "new-password");
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn region_domain_log_and_flags() {
        let c = load(&[
            ("MINIO_REGION", "eu-west-1"),
            ("MINIO_DOMAIN", "S3.Example.com, other.test"),
            ("STRONGBOX_LOG_FORMAT", "JSON"),
            ("RUST_LOG", "debug"),
            ("STRONGBOX_SHUTDOWN_TIMEOUT", "5"),
        ])
        .unwrap();
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.configured_region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.domains, ["s3.example.com", "other.test"]);
        assert_eq!(c.log.format, LogFormat::Json);
        assert_eq!(c.log.filter, "debug");
        assert_eq!(c.shutdown_timeout, Duration::from_secs(5));

        // MINIO_SITE_REGION wins over MINIO_REGION; STRONGBOX_LOG over RUST_LOG.
        let c = load(&[
            ("MINIO_REGION", "a1"),
            ("MINIO_SITE_REGION", "b2"),
            ("RUST_LOG", "warn"),
            ("STRONGBOX_LOG", "trace"),
        ])
        .unwrap();
        assert_eq!((c.region.as_str(), c.log.filter.as_str()), ("b2", "trace"));

        // Flags win over the environment.
        let mut args = ServerArgs::new("/data");
        args.address = "127.0.0.1:0".into();
        args.log_format = Some(LogFormat::Human);
        args.shutdown_timeout = Some(1);
        let env: HashMap<&str, &str> = [
            ("STRONGBOX_LOG_FORMAT", "json"),
            ("STRONGBOX_SHUTDOWN_TIMEOUT", "9"),
        ]
        .into_iter()
        .collect();
        let c = Config::from_sources(&args, &env).unwrap();
        assert_eq!(c.listen.host.as_deref(), Some("127.0.0.1"));
        assert_eq!(c.log.format, LogFormat::Human);
        assert_eq!(c.shutdown_timeout, Duration::from_secs(1));
    }

    #[test]
    fn direct_reads_on_by_default_off_on_request() {
        assert!(load(&[]).unwrap().direct_reads);
        assert!(
            load(&[("STRONGBOX_DIRECT_READS", "ON")])
                .unwrap()
                .direct_reads
        );
        assert!(
            !load(&[("STRONGBOX_DIRECT_READS", "off")])
                .unwrap()
                .direct_reads
        );
        let err = load(&[("STRONGBOX_DIRECT_READS", "sometimes")]).unwrap_err();
        assert_eq!(settings(&err), ["STRONGBOX_DIRECT_READS"]);
    }

    #[test]
    fn bad_address_is_reported_with_the_rest() {
        let mut args = ServerArgs::new("/data");
        args.address = "9000".into();
        let env: HashMap<&str, &str> = [("MINIO_ROOT_PASSWORD", "password")].into_iter().collect();
        let err = Config::from_sources(&args, &env).unwrap_err();
        assert_eq!(settings(&err), ["--address", "MINIO_ROOT_USER"]);
    }
}
