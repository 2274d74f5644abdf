//! The one list of variables a configuration file may set: every `MINIO_*` / `STRONGBOX_*` name
//! the configuration reads through [`Env`](super::super::Env). A test below reads the whole
//! configuration through a recording `Env` and fails when the configuration reads a variable
//! this list does not name (or this list names one nobody reads): whoever adds a setting adds it
//! here, and the file can set it with no other code.

use strongbox_idp::ldap::config as ldap;
use strongbox_idp::openid::config as openid;
use strongbox_idp::plugin::config as plugin;

use crate::config::vars;
use crate::sts::config::vars as sts;

/// Variables read by their exact name.
pub const VARS: &[&str] = &[
    // config/mod.rs
    vars::ROOT_USER,
    vars::ROOT_PASSWORD,
    vars::ACCESS_KEY,
    vars::SECRET_KEY,
    vars::REGION,
    vars::SITE_REGION,
    vars::DOMAIN,
    vars::LOG,
    vars::LOG_FORMAT,
    vars::SHUTDOWN_TIMEOUT,
    vars::DIRECT_READS,
    // sts/config.rs
    sts::MAX_DURATION,
    sts::STS_DURATION,
    sts::RATE_LIMIT,
    sts::RATE_BURST,
    sts::AUDIT_FILE,
    // OpenID (the provider keys are the family below)
    openid::TIMEOUT_VAR,
    openid::REFRESH_VAR,
    openid::DANGER_OUTLIVE_VAR,
    // identity plugin
    plugin::URL_VAR,
    plugin::AUTH_TOKEN_VAR,
    plugin::ROLE_POLICY_VAR,
    plugin::ROLE_ID_VAR,
    plugin::COMMENT_VAR,
    plugin::TIMEOUT_VAR,
    // external authoriser (authz/external.rs)
    "MINIO_POLICY_PLUGIN_URL",
    "MINIO_POLICY_PLUGIN_AUTH_TOKEN",
    "MINIO_POLICY_OPA_URL",
    "MINIO_POLICY_OPA_AUTH_TOKEN",
    "MINIO_IAM_OPA_URL",
    "MINIO_IAM_OPA_AUTHTOKEN",
    "STRONGBOX_POLICY_PLUGIN_TIMEOUT",
    // LDAP (config/ldap.rs)
    ldap::SERVER_ADDR_VAR,
    ldap::ENABLE_VAR,
    ldap::LOOKUP_BIND_DN_VAR,
    ldap::LOOKUP_BIND_PASSWORD_VAR,
    ldap::USER_BASE_VAR,
    ldap::USER_FILTER_VAR,
    ldap::USER_ATTRIBUTES_VAR,
    ldap::GROUP_FILTER_VAR,
    ldap::GROUP_BASE_VAR,
    ldap::TLS_SKIP_VERIFY_VAR,
    ldap::SERVER_INSECURE_VAR,
    ldap::SERVER_STARTTLS_VAR,
    ldap::SRV_RECORD_NAME_VAR,
    ldap::ROOT_CAS_VAR,
    ldap::CONNECT_TIMEOUT_VAR,
    ldap::OP_TIMEOUT_VAR,
    ldap::LOGIN_TIMEOUT_VAR,
    ldap::POOL_SIZE_VAR,
    ldap::THROTTLE_USER_VAR,
    ldap::THROTTLE_IP_VAR,
    ldap::THROTTLE_WINDOW_VAR,
    // TLS (config/tls.rs, config/tls_identity.rs)
    "MINIO_CERTS_DIR",
    "MINIO_IDENTITY_TLS_ENABLE",
    "MINIO_IDENTITY_TLS_SKIP_VERIFY",
    // metrics endpoint (routes/metrics.rs)
    crate::routes::metrics::AUTH_TYPE_VAR,
];

/// A family of settings read by prefix, whose keys may carry a `_<NAME>` suffix (MinIO's named
/// providers): in the file, `[SECTION] key` is `PREFIX KEY` and `[SECTION.name] key` is
/// `PREFIX KEY _NAME`.
pub struct Family {
    pub section: &'static str,
    pub prefix: &'static str,
    /// Longest first, as the family's own parser splits names.
    pub keys: &'static [&'static str],
}

pub const FAMILIES: &[Family] = &[Family {
    section: "identity_openid",
    prefix: openid::PREFIX,
    keys: openid::KEYS,
}];

/// Whether `name` (a full variable name) is a setting the configuration reads.
pub fn is_known(name: &str) -> bool {
    VARS.contains(&name)
        || FAMILIES.iter().any(|f| {
            name.strip_prefix(f.prefix)
                .is_some_and(|key| f.keys.contains(&key))
        })
}

/// `KEY_NAME` of `family` split the way the family's parser splits it: the first key (longest
/// first) equal to `rest` or followed by `_` and a name.
pub fn split_named<'a>(family: &Family, rest: &'a str) -> Option<(&'static str, &'a str)> {
    family.keys.iter().find_map(|k| {
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::{BTreeSet, HashMap};

    use super::*;
    use crate::config::{Env, ServerArgs, Sources};

    /// Answers from a map and remembers every name and prefix asked for.
    struct Recording {
        map: HashMap<String, String>,
        names: RefCell<BTreeSet<String>>,
        prefixes: RefCell<BTreeSet<String>>,
    }

    impl Env for Recording {
        fn var(&self, name: &str) -> Option<String> {
            self.names.borrow_mut().insert(name.to_owned());
            self.map.get(name).filter(|v| !v.is_empty()).cloned()
        }
        fn names_with_prefix(&self, prefix: &str) -> Vec<String> {
            self.prefixes.borrow_mut().insert(prefix.to_owned());
            self.map
                .keys()
                .filter(|k| k.starts_with(prefix))
                .cloned()
                .collect()
        }
    }

    /// Every name the configuration asks for with `set` in the environment.
    fn read_with(set: &[&str]) -> (BTreeSet<String>, BTreeSet<String>) {
        let env = Recording {
            map: set
                .iter()
                .map(|n| ((*n).to_owned(), "1".to_owned()))
                .collect(),
            names: RefCell::default(),
            prefixes: RefCell::default(),
        };
        let _ = Sources::read(&ServerArgs::new("/data"), &env);
        (env.names.into_inner(), env.prefixes.into_inner())
    }

    fn settable(name: &str) -> bool {
        name.starts_with("MINIO_") || name.starts_with("STRONGBOX_")
    }

    #[test]
    fn every_variable_the_configuration_reads_is_in_the_list() {
        let mut all_read = BTreeSet::new();
        // One run per listed variable: reads that depend on another variable being set (a
        // token read only with its URL) show up in the run that sets it.
        let runs: Vec<Vec<&str>> = std::iter::once(Vec::new())
            .chain(VARS.iter().map(|v| vec![*v]))
            .chain(std::iter::once(VARS.to_vec()))
            .collect();
        for set in runs {
            let (names, prefixes) = read_with(&set);
            for n in names.iter().filter(|n| settable(n)) {
                assert!(
                    is_known(n),
                    "the configuration reads {n}, which a configuration file cannot set: add it to \
                     crates/server/src/config/file/known.rs"
                );
            }
            for p in &prefixes {
                assert!(
                    FAMILIES.iter().any(|f| f.prefix == p),
                    "the configuration reads every variable starting with {p}: add a Family for \
                     it to crates/server/src/config/file/known.rs"
                );
            }
            all_read.extend(names);
        }
        for v in VARS {
            assert!(
                all_read.contains(*v),
                "{v} is listed as a setting but the configuration never reads it"
            );
        }
    }

    #[test]
    fn no_setting_exists_under_both_prefixes() {
        for v in VARS {
            let (a, b) = match v.strip_prefix("MINIO_") {
                Some(rest) => (*v, format!("STRONGBOX_{rest}")),
                None => (*v, format!("MINIO_{}", &v["STRONGBOX_".len()..])),
            };
            assert!(settable(a), "{a}");
            assert!(
                !is_known(&b),
                "{a} and {b} would be the same key in the file"
            );
        }
    }

    #[test]
    fn named_keys_split_as_the_family_splits_them() {
        let f = &FAMILIES[0];
        assert_eq!(split_named(f, "CLIENT_ID"), Some(("CLIENT_ID", "")));
        assert_eq!(
            split_named(f, "CLIENT_ID_APP2"),
            Some(("CLIENT_ID", "APP2"))
        );
        assert_eq!(
            split_named(f, "REDIRECT_URI_DYNAMIC"),
            Some(("REDIRECT_URI_DYNAMIC", ""))
        );
        assert_eq!(split_named(f, "BOGUS"), None);
    }
}
