//! LDAP / Active Directory (spec §8): who a username and password belong to, and their groups.
//!
//! [`LdapDirectory::authenticate`] follows spec §8.2: search the user as the lookup account
//! (each user base DN, filter with `%s` = the RFC 4515-escaped username, exactly one entry),
//! bind as that entry with the password, then search groups as the lookup account (`%s`,
//! `%d` = the escaped user DN). The STS handler turns the [`LdapIdentity`] into a credential.
//!
//! Unknown user and wrong password (CVE-2026-33419): both end in
//! [`LdapError::InvalidCredentials`], and both cost the same round trips. When the search finds
//! no entry (or several), the password is still sent in a bind, to a DN that cannot exist
//! (`cn=strongbox-absent-<random>,<first user base DN>`), on the same bind pool; the server
//! answers that bind the way it answers a wrong password, after looking the DN up, so the time
//! is the same up to the server's password hashing: a directory storing slow hashes (argon2,
//! bcrypt) answers a missing DN faster than a wrong password, which only the server can fix.
//! Requests refused before any network call (empty or oversized username or password) take
//! less time, but that depends only on the input's shape, never on whether the user exists.
//!
//! Directory down or slow: every connect and operation has a deadline and the whole login has
//! `login_timeout` (default 5 s), after which [`LdapError::Unavailable`] (detail in the log
//! only). Broken connections are replaced on the next request (see [`pool`]).

pub mod config;
pub mod dn;
pub mod escape;
mod pool;
mod startup;

use std::collections::BTreeMap;
use std::sync::Arc;

use ldap3::Scope;

use self::escape::fill_filter;
use self::pool::{BindPool, OpError, SearchPool};

pub use self::config::{LdapConfig, Problem, Secret, ThrottleConfig, Transport};

/// Longest username accepted; longer ones are refused before any network call.
pub const MAX_USERNAME_BYTES: usize = 1024;
/// Longest password accepted; longer ones are refused before any network call.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Groups kept per login (more are dropped, with a log line).
pub const MAX_GROUPS: usize = 1000;
/// Entries asked of one group search (one more than kept, to notice truncation).
const GROUP_SIZE_LIMIT: i32 = MAX_GROUPS as i32 + 1;
/// Values kept per user attribute, and bytes per value.
pub const MAX_ATTRIBUTE_VALUES: usize = 16;
pub const MAX_ATTRIBUTE_VALUE_BYTES: usize = 4096;

/// Who logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapIdentity {
    /// The user's DN, normalised ([`dn`]): the policy-mapping key and claim `ldapUser`.
    pub user_dn: String,
    /// The user's DN exactly as the server returned it (claim `ldapActualUser`).
    pub actual_dn: String,
    /// The username as given at login (claim `ldapUsername`, policy variable `ldap:username`).
    pub username: String,
    /// The DNs of the user's groups, normalised, sorted, without duplicates.
    pub group_dns: Vec<String>,
    /// The configured `user_dn_attributes` the entry has (claims `ldapAttrib_<name>`), under
    /// the configured spelling of each name.
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// Why a login or lookup failed. The text is safe to show a client; causes go to the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LdapError {
    /// Unknown user, wrong password, empty or oversized input, ambiguous user: one variant,
    /// so a caller cannot tell them apart.
    #[error("invalid LDAP credentials")]
    InvalidCredentials,
    /// The directory is down, slow or answered with an error (detail only in the log).
    #[error("the LDAP directory is unavailable")]
    Unavailable,
    /// The directory or the request does not fit the configuration.
    #[error("{0}")]
    Config(String),
    /// Not a distinguished name (RFC 4514).
    #[error("not a distinguished name: {0}")]
    InvalidDn(String),
}

/// A connected, checked directory. Cheap to share (`Arc` it); all methods take `&self`.
pub struct LdapDirectory {
    cfg: LdapConfig,
    searches: SearchPool,
    binds: BindPool,
    /// The base DNs as the server spells them, parsed.
    user_bases: Vec<(String, dn::Rdns)>,
    group_bases: Vec<(String, dn::Rdns)>,
    /// The DN bound when no user matched (see the module docs).
    absent_dn: String,
}

impl std::fmt::Debug for LdapDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapDirectory")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl LdapDirectory {
    /// Connects and checks the configuration against the directory: the lookup bind works,
    /// every base DN exists (the server's spelling is kept), base DNs do not overlap, the
    /// filters parse. Every problem is returned at once.
    pub async fn connect(cfg: LdapConfig) -> Result<Self, Vec<String>> {
        let checked = startup::check(&cfg).await?;
        let connector = Arc::new(checked.connector);
        let absent_dn = format!(
            "cn=strongbox-absent-{},{}",
            random_hex(),
            checked.user_bases[0].0
        );
        Ok(Self {
            searches: SearchPool::new(connector.clone(), &cfg),
            binds: BindPool::new(connector, cfg.pool_size),
            user_bases: checked.user_bases,
            group_bases: checked.group_bases,
            absent_dn,
            cfg,
        })
    }

    pub fn config(&self) -> &LdapConfig {
        &self.cfg
    }

    /// The user base DNs, normalised (as the server spells them).
    pub fn user_base_dns(&self) -> Vec<String> {
        self.user_bases.iter().map(|(d, _)| d.clone()).collect()
    }

    /// The group base DNs, normalised (as the server spells them).
    pub fn group_base_dns(&self) -> Vec<String> {
        self.group_bases.iter().map(|(d, _)| d.clone()).collect()
    }

    /// Spec §8.2: the user's DN, groups and attributes when `password` is theirs.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &Secret,
    ) -> Result<LdapIdentity, LdapError> {
        if username.is_empty()
            || password.is_empty()
            || username.len() > MAX_USERNAME_BYTES
            || password.len() > MAX_PASSWORD_BYTES
            || username.contains(char::is_control)
        {
            return Err(LdapError::InvalidCredentials);
        }
        let limit = self.cfg.login_timeout;
        match tokio::time::timeout(limit, self.login(username, password.expose())).await {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(Failed::Refused)) => Err(LdapError::InvalidCredentials),
            Ok(Err(Failed::Directory(e))) => {
                tracing::warn!(server = %self.cfg.server_addr, error = %e, "LDAP login failed: directory error");
                Err(LdapError::Unavailable)
            }
            Err(_) => {
                tracing::warn!(server = %self.cfg.server_addr, "LDAP login failed: no answer within {limit:?}");
                Err(LdapError::Unavailable)
            }
        }
    }

    async fn login(&self, username: &str, password: &str) -> Result<LdapIdentity, Failed> {
        let filter = fill_filter(&self.cfg.user_dn_search_filter, username, None);
        let attrs: Vec<&str> = if self.cfg.user_dn_attributes.is_empty() {
            vec!["1.1"]
        } else {
            self.cfg
                .user_dn_attributes
                .iter()
                .map(String::as_str)
                .collect()
        };
        let mut found = Vec::new();
        for (base, _) in &self.user_bases {
            let entries = self
                .searches
                .search(base, Scope::Subtree, &filter, &attrs, 2)
                .await?;
            found.extend(entries);
            if found.len() > 1 {
                break;
            }
        }
        if found.len() != 1 {
            if found.len() > 1 {
                tracing::warn!(
                    "LDAP login refused: the user search filter matches several entries"
                );
            }
            // Same round trip as a wrong password (module docs); the answer is ignored.
            let _ = self.binds.bind(&self.absent_dn, password).await?;
            return Err(Failed::Refused);
        }
        let entry = found.remove(0);
        if !self.binds.bind(&entry.dn, password).await? {
            return Err(Failed::Refused);
        }
        let user_dn = dn::normalize(&entry.dn).map_err(|m| {
            Failed::Directory(OpError::Down(format!(
                "the server returned a DN that does not parse ({m})"
            )))
        })?;
        let group_dns = self.groups(username, &entry.dn).await?;
        let attributes = self.attributes(entry.attrs);
        Ok(LdapIdentity {
            user_dn,
            actual_dn: entry.dn,
            username: username.to_owned(),
            group_dns,
            attributes,
        })
    }

    async fn groups(&self, username: &str, user_dn: &str) -> Result<Vec<String>, Failed> {
        let Some(gf) = &self.cfg.group_search_filter else {
            return Ok(Vec::new());
        };
        let filter = fill_filter(gf, username, Some(user_dn));
        let mut groups = Vec::new();
        for (base, _) in &self.group_bases {
            let entries = self
                .searches
                .search(base, Scope::Subtree, &filter, &["1.1"], GROUP_SIZE_LIMIT)
                .await?;
            for e in entries {
                match dn::normalize(&e.dn) {
                    Ok(g) => groups.push(g),
                    Err(m) => tracing::warn!(group = %e.dn, "LDAP group DN skipped: {m}"),
                }
            }
        }
        groups.sort();
        groups.dedup();
        if groups.len() > MAX_GROUPS {
            tracing::warn!(
                "LDAP user is in {} groups; only the first {MAX_GROUPS} are kept",
                groups.len()
            );
            groups.truncate(MAX_GROUPS);
        }
        Ok(groups)
    }

    fn attributes(
        &self,
        mut got: std::collections::HashMap<String, Vec<String>>,
    ) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for name in &self.cfg.user_dn_attributes {
            let Some(key) = got.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned() else {
                continue;
            };
            let values: Vec<String> = got
                .remove(&key)
                .unwrap_or_default()
                .into_iter()
                .filter(|v| v.len() <= MAX_ATTRIBUTE_VALUE_BYTES)
                .take(MAX_ATTRIBUTE_VALUES)
                .collect();
            out.insert(name.clone(), values);
        }
        out
    }

    /// For admin policy attachment (spec §8.3): the normalised DN of the user named by
    /// `username_or_dn`. A DN is looked up as a base object and must lie under a user base DN;
    /// anything else is a username, searched with the user filter. `Ok(None)`: no such user.
    /// A username matching several entries is a [`LdapError::Config`] error.
    pub async fn lookup_user_dn(&self, username_or_dn: &str) -> Result<Option<String>, LdapError> {
        if username_or_dn.is_empty()
            || username_or_dn.len() > dn::MAX_DN_BYTES
            || username_or_dn.contains(char::is_control)
        {
            return Ok(None);
        }
        if let Ok(parsed) = dn::parse(username_or_dn)
            && !parsed.is_empty()
        {
            return self
                .lookup_under(username_or_dn, &parsed, &self.user_bases)
                .await;
        }
        let filter = fill_filter(&self.cfg.user_dn_search_filter, username_or_dn, None);
        let mut found = Vec::new();
        for (base, _) in &self.user_bases {
            found.extend(
                self.searches
                    .search(base, Scope::Subtree, &filter, &["1.1"], 2)
                    .await
                    .map_err(|e| self.unavailable(e))?,
            );
        }
        match found.len() {
            0 => Ok(None),
            1 => dn::normalize(&found[0].dn)
                .map(Some)
                .map_err(LdapError::InvalidDn),
            _ => Err(LdapError::Config(format!(
                "the username {username_or_dn:?} matches several directory entries"
            ))),
        }
    }

    /// For admin policy attachment: the normalised DN of the group `group_dn`, which must
    /// exist and lie under a group base DN. `Ok(None)`: no such group there.
    pub async fn lookup_group_dn(&self, group_dn: &str) -> Result<Option<String>, LdapError> {
        let parsed = dn::parse(group_dn).map_err(LdapError::InvalidDn)?;
        if parsed.is_empty() {
            return Err(LdapError::InvalidDn("empty".into()));
        }
        self.lookup_under(group_dn, &parsed, &self.group_bases)
            .await
    }

    async fn lookup_under(
        &self,
        dn_str: &str,
        parsed: &dn::Rdns,
        bases: &[(String, dn::Rdns)],
    ) -> Result<Option<String>, LdapError> {
        if !bases.iter().any(|(_, b)| dn::is_within(parsed, b)) {
            return Ok(None);
        }
        let entries = self
            .searches
            .search(dn_str, Scope::Base, "(objectClass=*)", &["1.1"], 1)
            .await
            .map_err(|e| self.unavailable(e))?;
        match entries.first() {
            None => Ok(None),
            Some(e) => dn::normalize(&e.dn).map(Some).map_err(LdapError::InvalidDn),
        }
    }

    fn unavailable(&self, e: OpError) -> LdapError {
        tracing::warn!(server = %self.cfg.server_addr, error = %e, "LDAP lookup failed");
        LdapError::Unavailable
    }

    /// Spec §8.3: the normal form of a DN (see [`dn`]), the key of policy mappings.
    pub fn normalize_dn(dn: &str) -> Result<String, LdapError> {
        dn::normalize(dn).map_err(LdapError::InvalidDn)
    }
}

/// Internal outcome of a login attempt.
enum Failed {
    Refused,
    Directory(OpError),
}

impl From<OpError> for Failed {
    fn from(e: OpError) -> Self {
        Self::Directory(e)
    }
}

fn random_hex() -> String {
    use std::fmt::Write as _;
    let mut b = [0u8; 12];
    // A fixed fallback would still be a DN nobody creates by accident.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}
