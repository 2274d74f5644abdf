//! The start-up check of [`super::LdapDirectory::connect`]: everything that can be wrong with
//! the configuration against the real directory, reported together.
//!
//! - The connection opens (TCP, TLS or StartTLS, certificate trusted).
//! - The lookup account binds.
//! - Each base DN exists, searched as a base object by the lookup account; the server's
//!   spelling, normalised, becomes the canonical base. When the lookup bind failed, base DNs
//!   outside every naming context of the server (its root DSE, readable anonymously on most
//!   servers) are still reported as missing.
//! - No base DN lies under another of the same list (spec §8.1, as MinIO).
//! - The filters parse (also checked without I/O by [`super::config`]; repeated here for
//!   configurations built in code).

use ldap3::{Ldap, Scope, SearchOptions};

use super::config::{
    GROUP_BASE_VAR, GROUP_FILTER_VAR, LOOKUP_BIND_DN_VAR, LdapConfig, USER_BASE_VAR,
    USER_FILTER_VAR,
};
use super::dn;
use super::escape::check_filter;
use super::pool::{Connector, OpError};

pub(crate) struct Checked {
    pub connector: Connector,
    pub user_bases: Vec<(String, dn::Rdns)>,
    pub group_bases: Vec<(String, dn::Rdns)>,
}

pub(crate) async fn check(cfg: &LdapConfig) -> Result<Checked, Vec<String>> {
    let mut errs = Vec::new();
    if cfg.user_dn_search_base_dn.is_empty() {
        errs.push(format!("{USER_BASE_VAR}: at least one base DN is required"));
    }
    if !cfg.user_dn_search_filter.contains("%s") {
        errs.push(format!("{USER_FILTER_VAR}: must contain %s"));
    }
    if let Err(m) = check_filter(&cfg.user_dn_search_filter) {
        errs.push(format!("{USER_FILTER_VAR}: {m}"));
    }
    if let Some(f) = &cfg.group_search_filter
        && let Err(m) = check_filter(f)
    {
        errs.push(format!("{GROUP_FILTER_VAR}: {m}"));
    }
    let connector = match Connector::new(cfg) {
        Ok(c) => c,
        Err(m) => {
            errs.push(format!("LDAP TLS settings: {m}"));
            return Err(errs);
        }
    };
    let mut ldap = match connector.open().await {
        Ok(l) => l,
        Err(e) => {
            errs.push(format!("cannot connect to {}: {e}", connector.url()));
            return Err(errs);
        }
    };
    let limit = connector.op_timeout;
    let bound = match timed_bind(&mut ldap, cfg, limit).await {
        Ok(()) => true,
        Err(m) => {
            errs.push(format!("{LOOKUP_BIND_DN_VAR}: {m}"));
            false
        }
    };
    let contexts = if bound {
        Vec::new()
    } else {
        naming_contexts(&mut ldap, limit).await
    };
    let user_bases = bases(
        &mut ldap,
        &mut errs,
        USER_BASE_VAR,
        &cfg.user_dn_search_base_dn,
        bound,
        &contexts,
        limit,
    )
    .await;
    let group_bases = bases(
        &mut ldap,
        &mut errs,
        GROUP_BASE_VAR,
        &cfg.group_search_base_dn,
        bound,
        &contexts,
        limit,
    )
    .await;
    let _ = tokio::time::timeout(limit, ldap.unbind()).await;
    if bound && user_bases.is_empty() && errs.is_empty() {
        errs.push(format!("{USER_BASE_VAR}: no usable base DN"));
    }
    if errs.is_empty() {
        Ok(Checked {
            connector,
            user_bases,
            group_bases,
        })
    } else {
        Err(errs)
    }
}

async fn timed_bind(
    ldap: &mut Ldap,
    cfg: &LdapConfig,
    limit: std::time::Duration,
) -> Result<(), String> {
    let pw = cfg.lookup_bind_password.expose();
    match tokio::time::timeout(limit, ldap.simple_bind(&cfg.lookup_bind_dn, pw)).await {
        Err(_) => Err(format!("the lookup bind got no answer within {limit:?}")),
        Ok(Err(e)) => Err(format!(
            "the lookup bind as {:?} failed: {e}",
            cfg.lookup_bind_dn
        )),
        Ok(Ok(r)) if r.rc == 0 => Ok(()),
        Ok(Ok(r)) => Err(format!(
            "the lookup bind as {:?} was refused: {} (LDAP result code {})",
            cfg.lookup_bind_dn,
            if r.rc == 49 {
                "invalid credentials"
            } else {
                r.text.as_str()
            },
            r.rc
        )),
    }
}

/// One search on `ldap` under `limit`: the entries, none for `noSuchObject`.
async fn search(
    ldap: &mut Ldap,
    base: &str,
    scope: Scope,
    attrs: &[&str],
    limit: std::time::Duration,
) -> Result<Vec<ldap3::SearchEntry>, OpError> {
    let fut = ldap
        .with_search_options(SearchOptions::new().deref(ldap3::DerefAliases::Never))
        .search(base, scope, "(objectClass=*)", attrs.to_vec());
    match tokio::time::timeout(limit, fut).await {
        Err(_) => Err(OpError::Down(format!("no answer within {limit:?}"))),
        Ok(Err(e)) => Err(OpError::Down(e.to_string())),
        Ok(Ok(ldap3::SearchResult(entries, res))) => match res.rc {
            0 => Ok(entries
                .into_iter()
                .map(ldap3::SearchEntry::construct)
                .collect()),
            32 => Ok(Vec::new()),
            rc => Err(OpError::Code(rc, res.text)),
        },
    }
}

/// The server's naming contexts (root DSE), parsed; empty when it does not say.
async fn naming_contexts(ldap: &mut Ldap, limit: std::time::Duration) -> Vec<dn::Rdns> {
    let Ok(entries) = search(ldap, "", Scope::Base, &["namingContexts"], limit).await else {
        return Vec::new();
    };
    entries
        .iter()
        .flat_map(|e| e.attrs.iter())
        .filter(|(k, _)| k.eq_ignore_ascii_case("namingContexts"))
        .flat_map(|(_, v)| v.iter())
        .filter_map(|c| dn::parse(c).ok())
        .collect()
}

/// Checks one list of base DNs; returns the ones found, in the server's spelling, normalised.
#[allow(clippy::too_many_arguments)]
async fn bases(
    ldap: &mut Ldap,
    errs: &mut Vec<String>,
    var: &str,
    list: &[String],
    bound: bool,
    contexts: &[dn::Rdns],
    limit: std::time::Duration,
) -> Vec<(String, dn::Rdns)> {
    let mut out: Vec<(String, dn::Rdns)> = Vec::new();
    for b in list {
        let parsed = match dn::parse(b) {
            Ok(p) if !p.is_empty() => p,
            Ok(_) => {
                errs.push(format!("{var}: an empty base DN"));
                continue;
            }
            Err(m) => {
                errs.push(format!("{var}: {b:?} is not a DN: {m}"));
                continue;
            }
        };
        if !bound {
            // Without the lookup bind only what the root DSE shows can be checked.
            if !contexts.is_empty() && !contexts.iter().any(|c| dn::is_within(&parsed, c)) {
                errs.push(format!(
                    "{var}: {b:?} does not exist (it is outside every naming context of the server)"
                ));
            }
            continue;
        }
        match search(ldap, b, Scope::Base, &["1.1"], limit).await {
            Ok(entries) if entries.is_empty() => {
                errs.push(format!("{var}: {b:?} does not exist in the directory"));
            }
            Ok(entries) => match dn::parse(&entries[0].dn) {
                Ok(server) => out.push((dn::to_string(&server), server)),
                Err(m) => errs.push(format!(
                    "{var}: the server spells {b:?} as a DN that does not parse: {m}"
                )),
            },
            Err(e) => errs.push(format!("{var}: cannot check {b:?}: {e}")),
        }
    }
    for (i, (a, pa)) in out.iter().enumerate() {
        for (b, pb) in &out[i + 1..] {
            if dn::is_within(pa, pb) || dn::is_within(pb, pa) {
                errs.push(format!(
                    "{var}: base DNs {a:?} and {b:?} overlap (one lies under the other)"
                ));
            }
        }
    }
    out
}
