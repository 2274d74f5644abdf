//! LDAP settings (spec §8.1) from MinIO's variables, plus Strongbox's own timeouts, pool size
//! and failed-login throttle. Nothing here does I/O: [`super::LdapDirectory::connect`] checks the
//! directory itself.
//!
//! | Variable | Meaning |
//! |---|---|
//! | `MINIO_IDENTITY_LDAP_SERVER_ADDR` | `host[:port]` (default port 636); enables LDAP |
//! | `MINIO_IDENTITY_LDAP_ENABLE` | `off` disables LDAP even with a server address |
//! | `MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN` | the read-only account that searches (required) |
//! | `MINIO_IDENTITY_LDAP_LOOKUP_BIND_PASSWORD` | its password (empty: unauthenticated bind) |
//! | `MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN` | `;`-separated base DNs of users (required) |
//! | `MINIO_IDENTITY_LDAP_USER_DN_SEARCH_FILTER` | e.g. `(uid=%s)`; needs `%s`, no `%d` (required) |
//! | `MINIO_IDENTITY_LDAP_USER_DN_ATTRIBUTES` | `,`-separated attributes copied into the session |
//! | `MINIO_IDENTITY_LDAP_GROUP_SEARCH_FILTER` | e.g. `(&(objectclass=groupOfNames)(member=%d))` |
//! | `MINIO_IDENTITY_LDAP_GROUP_SEARCH_BASE_DN` | `;`-separated base DNs of groups |
//! | `MINIO_IDENTITY_LDAP_TLS_SKIP_VERIFY` | `on`: accept any server certificate (dangerous) |
//! | `MINIO_IDENTITY_LDAP_SERVER_INSECURE` | `on`: plain LDAP, no TLS (dangerous) |
//! | `MINIO_IDENTITY_LDAP_SERVER_STARTTLS` | `on`: plain connection upgraded with StartTLS |
//! | `MINIO_IDENTITY_LDAP_SRV_RECORD_NAME` | not supported: refused at start-up |
//! | `STRONGBOX_IDENTITY_LDAP_ROOT_CAS` | PEM file of extra CA certificates to trust |
//! | `STRONGBOX_IDENTITY_LDAP_CONNECT_TIMEOUT` | seconds to open a connection (TCP + TLS), default 2 |
//! | `STRONGBOX_IDENTITY_LDAP_OP_TIMEOUT` | seconds per LDAP operation, default 3 |
//! | `STRONGBOX_IDENTITY_LDAP_LOGIN_TIMEOUT` | seconds for one whole login, default 5 |
//! | `STRONGBOX_IDENTITY_LDAP_POOL_SIZE` | connections per pool (search, bind), default 8 |
//! | `STRONGBOX_IDENTITY_LDAP_THROTTLE_USER_FAILURES` | failed logins per username per window, default 10 |
//! | `STRONGBOX_IDENTITY_LDAP_THROTTLE_IP_FAILURES` | failed logins per source address per window, default 100 |
//! | `STRONGBOX_IDENTITY_LDAP_THROTTLE_WINDOW` | the throttle window in seconds, default 300 |
//!
//! Timeouts accept decimals (`0.5`). Throttle `0` failures turns that limit off.

use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use super::dn;
use super::escape::check_filter;

const P: &str = "MINIO_IDENTITY_LDAP_";
pub const SERVER_ADDR_VAR: &str = "MINIO_IDENTITY_LDAP_SERVER_ADDR";
pub const ENABLE_VAR: &str = "MINIO_IDENTITY_LDAP_ENABLE";
pub const LOOKUP_BIND_DN_VAR: &str = "MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN";
pub const LOOKUP_BIND_PASSWORD_VAR: &str = "MINIO_IDENTITY_LDAP_LOOKUP_BIND_PASSWORD";
pub const USER_BASE_VAR: &str = "MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN";
pub const USER_FILTER_VAR: &str = "MINIO_IDENTITY_LDAP_USER_DN_SEARCH_FILTER";
pub const USER_ATTRIBUTES_VAR: &str = "MINIO_IDENTITY_LDAP_USER_DN_ATTRIBUTES";
pub const GROUP_FILTER_VAR: &str = "MINIO_IDENTITY_LDAP_GROUP_SEARCH_FILTER";
pub const GROUP_BASE_VAR: &str = "MINIO_IDENTITY_LDAP_GROUP_SEARCH_BASE_DN";
pub const TLS_SKIP_VERIFY_VAR: &str = "MINIO_IDENTITY_LDAP_TLS_SKIP_VERIFY";
pub const SERVER_INSECURE_VAR: &str = "MINIO_IDENTITY_LDAP_SERVER_INSECURE";
pub const SERVER_STARTTLS_VAR: &str = "MINIO_IDENTITY_LDAP_SERVER_STARTTLS";
pub const SRV_RECORD_NAME_VAR: &str = "MINIO_IDENTITY_LDAP_SRV_RECORD_NAME";
pub const ROOT_CAS_VAR: &str = "STRONGBOX_IDENTITY_LDAP_ROOT_CAS";
pub const CONNECT_TIMEOUT_VAR: &str = "STRONGBOX_IDENTITY_LDAP_CONNECT_TIMEOUT";
pub const OP_TIMEOUT_VAR: &str = "STRONGBOX_IDENTITY_LDAP_OP_TIMEOUT";
pub const LOGIN_TIMEOUT_VAR: &str = "STRONGBOX_IDENTITY_LDAP_LOGIN_TIMEOUT";
pub const POOL_SIZE_VAR: &str = "STRONGBOX_IDENTITY_LDAP_POOL_SIZE";
pub const THROTTLE_USER_VAR: &str = "STRONGBOX_IDENTITY_LDAP_THROTTLE_USER_FAILURES";
pub const THROTTLE_IP_VAR: &str = "STRONGBOX_IDENTITY_LDAP_THROTTLE_IP_FAILURES";
pub const THROTTLE_WINDOW_VAR: &str = "STRONGBOX_IDENTITY_LDAP_THROTTLE_WINDOW";

/// MinIO's default port (LDAPS) when `server_addr` names none.
pub const DEFAULT_PORT: u16 = 636;
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const DEFAULT_OP_TIMEOUT: Duration = Duration::from_secs(3);
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_POOL_SIZE: usize = 8;
/// Longest value read from any of the variables.
const MAX_VALUE_BYTES: usize = 16 * 1024;

/// A configuration problem: (variable, what is wrong). Never holds a secret's value.
pub type Problem = (String, String);

/// A password that never appears in Debug output and is wiped when dropped.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Failed-login throttle settings. The directory does not apply them: the STS handler does,
/// per username and per source address, counting failures within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures per username within `window` after which further attempts are refused until
    /// the window has passed; 0 = no per-user limit.
    pub max_failures_per_user: u32,
    /// The same per source address; 0 = no per-address limit.
    pub max_failures_per_ip: u32,
    pub window: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            max_failures_per_user: 10,
            max_failures_per_ip: 100,
            window: Duration::from_secs(300),
        }
    }
}

/// How to reach the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `ldaps://` (the default).
    Ldaps,
    /// `ldap://` upgraded with StartTLS before anything else is sent.
    StartTls,
    /// `ldap://` with no TLS at all (`SERVER_INSECURE=on`).
    DangerPlain,
}

/// The LDAP identity provider's settings.
#[derive(Debug, Clone)]
pub struct LdapConfig {
    /// `host:port` (the port is always present after [`LdapConfig::from_vars`]).
    pub server_addr: String,
    pub lookup_bind_dn: String,
    /// Empty: an unauthenticated bind (RFC 4513 §5.1.2).
    pub lookup_bind_password: Secret,
    pub user_dn_search_base_dn: Vec<String>,
    pub user_dn_search_filter: String,
    pub user_dn_attributes: Vec<String>,
    pub group_search_base_dn: Vec<String>,
    pub group_search_filter: Option<String>,
    pub tls_skip_verify: bool,
    pub server_insecure: bool,
    pub server_starttls: bool,
    /// Extra CA certificates (PEM file) trusted besides the system's.
    pub root_cas: Option<PathBuf>,
    pub connect_timeout: Duration,
    pub op_timeout: Duration,
    /// Bound on one whole [`super::LdapDirectory::authenticate`] call.
    pub login_timeout: Duration,
    pub pool_size: usize,
    pub throttle: ThrottleConfig,
}

impl LdapConfig {
    /// Settings for `server_addr` with every optional value at its default (LDAPS, no groups).
    pub fn new(
        server_addr: impl Into<String>,
        lookup_bind_dn: impl Into<String>,
        lookup_bind_password: Secret,
        user_dn_search_base_dn: Vec<String>,
        user_dn_search_filter: impl Into<String>,
    ) -> Self {
        Self {
            server_addr: server_addr.into(),
            lookup_bind_dn: lookup_bind_dn.into(),
            lookup_bind_password,
            user_dn_search_base_dn,
            user_dn_search_filter: user_dn_search_filter.into(),
            user_dn_attributes: Vec::new(),
            group_search_base_dn: Vec::new(),
            group_search_filter: None,
            tls_skip_verify: false,
            server_insecure: false,
            server_starttls: false,
            root_cas: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            op_timeout: DEFAULT_OP_TIMEOUT,
            login_timeout: DEFAULT_LOGIN_TIMEOUT,
            pool_size: DEFAULT_POOL_SIZE,
            throttle: ThrottleConfig::default(),
        }
    }

    pub fn transport(&self) -> Transport {
        if self.server_insecure {
            Transport::DangerPlain
        } else if self.server_starttls {
            Transport::StartTls
        } else {
            Transport::Ldaps
        }
    }

    /// The URL the LDAP client connects to.
    pub fn url(&self) -> String {
        let scheme = match self.transport() {
            Transport::Ldaps => "ldaps",
            _ => "ldap",
        };
        format!("{scheme}://{}", self.server_addr)
    }

    /// Reads the variables through `var`. `Ok(None)`: LDAP not configured (no server address,
    /// or `ENABLE=off`). Every problem is reported at once.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, Vec<Problem>> {
        let mut r = Reader {
            var: &var,
            problems: Vec::new(),
        };
        for n in ALL_VARS {
            if var(n).is_some_and(|v| v.len() > MAX_VALUE_BYTES) {
                r.bad(n, format!("is longer than {MAX_VALUE_BYTES} bytes"));
            }
        }
        let enabled = r.flag(ENABLE_VAR, true);
        let Some(addr) = r.get(SERVER_ADDR_VAR) else {
            let others: Vec<&str> = ALL_VARS
                .iter()
                .copied()
                .filter(|n| n.starts_with(P) && *n != ENABLE_VAR && r.get(n).is_some())
                .collect();
            if enabled && !others.is_empty() {
                r.bad(
                    SERVER_ADDR_VAR,
                    format!("is required when {} is set", others.join(", ")),
                );
            }
            return r.finish(None);
        };
        if !enabled {
            return r.finish(None);
        }
        let server_addr = match with_port(&addr) {
            Ok(a) => a,
            Err(m) => {
                r.bad(SERVER_ADDR_VAR, m);
                addr
            }
        };
        if r.get(SRV_RECORD_NAME_VAR).is_some() {
            r.bad(
                SRV_RECORD_NAME_VAR,
                "DNS SRV lookup is not supported by Strongbox: set MINIO_IDENTITY_LDAP_SERVER_ADDR to the server's host:port instead".into(),
            );
        }
        let lookup_bind_dn = r.get(LOOKUP_BIND_DN_VAR).unwrap_or_default();
        if lookup_bind_dn.is_empty() {
            r.bad(LOOKUP_BIND_DN_VAR, "is required".into());
        } else if let Err(m) = dn::normalize(&lookup_bind_dn) {
            r.bad(LOOKUP_BIND_DN_VAR, format!("is not a DN: {m}"));
        }
        let lookup_bind_password = Secret::new(var(LOOKUP_BIND_PASSWORD_VAR).unwrap_or_default());
        let user_dn_search_base_dn = r.dn_list(USER_BASE_VAR, true);
        let group_search_base_dn = r.dn_list(GROUP_BASE_VAR, false);
        let user_dn_search_filter = r.get(USER_FILTER_VAR).unwrap_or_default();
        if user_dn_search_filter.is_empty() {
            r.bad(USER_FILTER_VAR, "is required, e.g. (uid=%s)".into());
        } else if !user_dn_search_filter.contains("%s") {
            r.bad(USER_FILTER_VAR, "must contain %s (the username)".into());
        } else if user_dn_search_filter.contains("%d") {
            r.bad(USER_FILTER_VAR, "must not contain %d".into());
        } else if let Err(m) = check_filter(&user_dn_search_filter) {
            r.bad(USER_FILTER_VAR, m);
        }
        let group_search_filter = r.get(GROUP_FILTER_VAR);
        if let Some(f) = &group_search_filter {
            if let Err(m) = check_filter(f) {
                r.bad(GROUP_FILTER_VAR, m);
            }
            if group_search_base_dn.is_empty() {
                r.bad(
                    GROUP_BASE_VAR,
                    format!("is required when {GROUP_FILTER_VAR} is set"),
                );
            }
        } else if !group_search_base_dn.is_empty() {
            r.bad(
                GROUP_FILTER_VAR,
                format!("is required when {GROUP_BASE_VAR} is set"),
            );
        }
        let user_dn_attributes: Vec<String> = r
            .get(USER_ATTRIBUTES_VAR)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        for a in &user_dn_attributes {
            let ok = a.len() <= 128
                && a.as_bytes()[0].is_ascii_alphabetic()
                && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                r.bad(
                    USER_ATTRIBUTES_VAR,
                    format!("{a:?} is not an attribute name"),
                );
            }
        }
        let tls_skip_verify = r.flag(TLS_SKIP_VERIFY_VAR, false);
        let server_insecure = r.flag(SERVER_INSECURE_VAR, false);
        let server_starttls = r.flag(SERVER_STARTTLS_VAR, false);
        if server_insecure && server_starttls {
            r.bad(
                SERVER_STARTTLS_VAR,
                format!("cannot be on together with {SERVER_INSECURE_VAR}"),
            );
        }
        let root_cas = r.get(ROOT_CAS_VAR).map(PathBuf::from);
        let connect_timeout = r.secs(CONNECT_TIMEOUT_VAR, DEFAULT_CONNECT_TIMEOUT);
        let op_timeout = r.secs(OP_TIMEOUT_VAR, DEFAULT_OP_TIMEOUT);
        let login_timeout = r.secs(LOGIN_TIMEOUT_VAR, DEFAULT_LOGIN_TIMEOUT);
        let defaults = ThrottleConfig::default();
        let throttle = ThrottleConfig {
            max_failures_per_user: r.count(
                THROTTLE_USER_VAR,
                defaults.max_failures_per_user,
                1_000_000,
            ),
            max_failures_per_ip: r.count(THROTTLE_IP_VAR, defaults.max_failures_per_ip, 1_000_000),
            window: r.secs(THROTTLE_WINDOW_VAR, defaults.window),
        };
        let pool_size = match r.count(POOL_SIZE_VAR, DEFAULT_POOL_SIZE as u32, 256) {
            0 => {
                r.bad(POOL_SIZE_VAR, "must be at least 1".into());
                DEFAULT_POOL_SIZE
            }
            n => n as usize,
        };
        r.finish(Some(Self {
            server_addr,
            lookup_bind_dn,
            lookup_bind_password,
            user_dn_search_base_dn,
            user_dn_search_filter,
            user_dn_attributes,
            group_search_base_dn,
            group_search_filter,
            tls_skip_verify,
            server_insecure,
            server_starttls,
            root_cas,
            connect_timeout,
            op_timeout,
            login_timeout,
            pool_size,
            throttle,
        }))
    }

    /// One line for the start-up log (no secret).
    pub fn describe(&self) -> String {
        let t = match self.transport() {
            Transport::Ldaps => "ldaps",
            Transport::StartTls => "ldap+starttls",
            Transport::DangerPlain => "plain ldap (insecure)",
        };
        format!(
            "{} ({t}{}), lookup as {}, users under {}",
            self.server_addr,
            if self.tls_skip_verify && !self.server_insecure {
                ", certificate NOT verified"
            } else {
                ""
            },
            self.lookup_bind_dn,
            self.user_dn_search_base_dn.join("; ")
        )
    }
}

/// Reads variables and collects problems.
struct Reader<'a> {
    var: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn get(&self, n: &str) -> Option<String> {
        (self.var)(n)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn bad(&mut self, n: &str, m: String) {
        self.problems.push((n.to_owned(), m));
    }

    fn finish(self, c: Option<LdapConfig>) -> Result<Option<LdapConfig>, Vec<Problem>> {
        if self.problems.is_empty() {
            Ok(c)
        } else {
            Err(self.problems)
        }
    }

    fn flag(&mut self, n: &str, default: bool) -> bool {
        match self.get(n) {
            None => default,
            Some(v) => flag(&v).unwrap_or_else(|| {
                self.bad(n, format!("{v:?} is neither on nor off"));
                default
            }),
        }
    }

    fn secs(&mut self, n: &str, default: Duration) -> Duration {
        match self.get(n) {
            None => default,
            Some(v) => match v.parse::<f64>() {
                Ok(s) if (0.01..=86_400.0).contains(&s) => Duration::from_secs_f64(s),
                _ => {
                    self.bad(
                        n,
                        format!("{v:?} is not a number of seconds in 0.01..=86400"),
                    );
                    default
                }
            },
        }
    }

    fn count(&mut self, n: &str, default: u32, max: u32) -> u32 {
        match self.get(n) {
            None => default,
            Some(v) => match v.parse::<u32>() {
                Ok(c) if c <= max => c,
                _ => {
                    self.bad(n, format!("{v:?} is not a whole number in 0..={max}"));
                    default
                }
            },
        }
    }

    /// A `;`-separated list of DNs (newlines also separate).
    fn dn_list(&mut self, n: &str, required: bool) -> Vec<String> {
        let list: Vec<String> = self
            .get(n)
            .unwrap_or_default()
            .split([';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if required && list.is_empty() {
            self.bad(n, "is required".into());
        }
        for d in &list {
            match dn::parse(d) {
                Err(m) => self.bad(n, format!("{d:?} is not a DN: {m}")),
                Ok(r) if r.is_empty() => self.bad(n, "an empty base DN".into()),
                Ok(_) => {}
            }
        }
        list
    }
}

const ALL_VARS: &[&str] = &[
    SERVER_ADDR_VAR,
    ENABLE_VAR,
    LOOKUP_BIND_DN_VAR,
    LOOKUP_BIND_PASSWORD_VAR,
    USER_BASE_VAR,
    USER_FILTER_VAR,
    USER_ATTRIBUTES_VAR,
    GROUP_FILTER_VAR,
    GROUP_BASE_VAR,
    TLS_SKIP_VERIFY_VAR,
    SERVER_INSECURE_VAR,
    SERVER_STARTTLS_VAR,
    SRV_RECORD_NAME_VAR,
    ROOT_CAS_VAR,
    CONNECT_TIMEOUT_VAR,
    OP_TIMEOUT_VAR,
    LOGIN_TIMEOUT_VAR,
    POOL_SIZE_VAR,
    THROTTLE_USER_VAR,
    THROTTLE_IP_VAR,
    THROTTLE_WINDOW_VAR,
];

/// MinIO's booleans: `on`/`off` (also `true`/`false`, `yes`/`no`, `1`/`0`).
fn flag(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" | "enable" | "enabled" => Some(true),
        "off" | "false" | "no" | "0" | "disable" | "disabled" => Some(false),
        _ => None,
    }
}

/// `host[:port]` → `host:port` (port 636 when absent); IPv6 literals in brackets.
fn with_port(addr: &str) -> Result<String, String> {
    let bad = || format!("{addr:?} is not host[:port]");
    if addr.contains("://") || addr.contains('/') || addr.contains(char::is_whitespace) {
        return Err(format!("{addr:?} must be host[:port], without a scheme"));
    }
    let (host, port) = if let Some(rest) = addr.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(bad)?;
        let h: std::net::Ipv6Addr = h.parse().map_err(|_| bad())?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(bad)?),
        };
        (format!("[{h}]"), port)
    } else {
        match addr.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h.to_owned(), Some(p)),
            Some(_) => return Err(format!("{addr:?}: put an IPv6 address in brackets")),
            None => (addr.to_owned(), None),
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => return Err(bad()),
        },
    };
    Ok(format!("{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<LdapConfig>, Vec<Problem>> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        LdapConfig::from_vars(|n| m.get(n).cloned())
    }

    const GOOD: &[(&str, &str)] = &[
        (SERVER_ADDR_VAR, "ldap.example.org"),
        (LOOKUP_BIND_DN_VAR, "cn=lookup,dc=example,dc=org"),
        (LOOKUP_BIND_PASSWORD_VAR, "s3cret-pw"),
        (
            USER_BASE_VAR,
            "ou=people,dc=example,dc=org;ou=staff,dc=example,dc=org",
        ),
        (USER_FILTER_VAR, "(uid=%s)"),
        (USER_ATTRIBUTES_VAR, "mail, sshPublicKey"),
        (GROUP_FILTER_VAR, "(&(objectclass=groupOfNames)(member=%d))"),
        (GROUP_BASE_VAR, "ou=groups,dc=example,dc=org"),
    ];

    #[test]
    fn absent_and_disabled() {
        assert!(read(&[]).unwrap().is_none());
        let mut off = GOOD.to_vec();
        off.push((ENABLE_VAR, "off"));
        assert!(read(&off).unwrap().is_none());
        let e = read(&[(USER_FILTER_VAR, "(uid=%s)")]).unwrap_err();
        assert_eq!(e[0].0, SERVER_ADDR_VAR);
    }

    #[test]
    fn valid() {
        let c = read(GOOD).unwrap().unwrap();
        assert_eq!(c.server_addr, "ldap.example.org:636");
        assert_eq!(c.url(), "ldaps://ldap.example.org:636");
        assert_eq!(c.user_dn_search_base_dn.len(), 2);
        assert_eq!(c.user_dn_attributes, ["mail", "sshPublicKey"]);
        assert_eq!(c.lookup_bind_password.expose(), "s3cret-pw");
        assert!(!format!("{c:?}").contains("s3cret-pw"));
        assert_eq!(c.throttle, ThrottleConfig::default());
        assert_eq!(c.connect_timeout, DEFAULT_CONNECT_TIMEOUT);

        let mut plain = GOOD.to_vec();
        plain[0] = (SERVER_ADDR_VAR, "127.0.0.1:3890");
        plain.push((SERVER_INSECURE_VAR, "on"));
        plain.push((OP_TIMEOUT_VAR, "0.5"));
        plain.push((THROTTLE_USER_VAR, "3"));
        let c = read(&plain).unwrap().unwrap();
        assert_eq!(c.url(), "ldap://127.0.0.1:3890");
        assert_eq!(c.transport(), Transport::DangerPlain);
        assert_eq!(c.op_timeout, Duration::from_millis(500));
        assert_eq!(c.throttle.max_failures_per_user, 3);
        assert!(c.describe().contains("insecure"));
    }

    #[test]
    fn every_problem_at_once() {
        let e = read(&[
            (SERVER_ADDR_VAR, "ldap://x"),
            (SRV_RECORD_NAME_VAR, "ldap"),
            (USER_BASE_VAR, "not a dn"),
            (USER_FILTER_VAR, "(uid=%d)"),
            (GROUP_FILTER_VAR, "(member=%d"),
            (SERVER_INSECURE_VAR, "on"),
            (SERVER_STARTTLS_VAR, "on"),
            (TLS_SKIP_VERIFY_VAR, "maybe"),
            (CONNECT_TIMEOUT_VAR, "0"),
            (POOL_SIZE_VAR, "0"),
        ])
        .unwrap_err();
        let vars: Vec<&str> = e.iter().map(|(v, _)| v.as_str()).collect();
        for want in [
            SERVER_ADDR_VAR,
            SRV_RECORD_NAME_VAR,
            LOOKUP_BIND_DN_VAR,
            USER_BASE_VAR,
            USER_FILTER_VAR,
            GROUP_FILTER_VAR,
            GROUP_BASE_VAR,
            SERVER_STARTTLS_VAR,
            TLS_SKIP_VERIFY_VAR,
            CONNECT_TIMEOUT_VAR,
            POOL_SIZE_VAR,
        ] {
            assert!(vars.contains(&want), "{want} missing from {e:?}");
        }
        let no_s = read(&[
            (SERVER_ADDR_VAR, "h"),
            (LOOKUP_BIND_DN_VAR, "cn=l"),
            (USER_BASE_VAR, "dc=x"),
            (USER_FILTER_VAR, "(uid=bob)"),
        ])
        .unwrap_err();
        assert_eq!(no_s[0].0, USER_FILTER_VAR);
        assert!(no_s[0].1.contains("%s"));
    }

    #[test]
    fn addresses() {
        assert_eq!(with_port("h").unwrap(), "h:636");
        assert_eq!(with_port("h:389").unwrap(), "h:389");
        assert_eq!(with_port("[::1]").unwrap(), "[::1]:636");
        assert_eq!(with_port("[::1]:10389").unwrap(), "[::1]:10389");
        for bad in ["::1", "h:0", "h:x", ":389", "[::1", "ldaps://h", "h/x"] {
            assert!(with_port(bad).is_err(), "{bad}");
        }
    }
}
