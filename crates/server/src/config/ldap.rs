//! LDAP settings (`MINIO_IDENTITY_LDAP_*`, plus the `STRONGBOX_IDENTITY_LDAP_*` timeouts, pool
//! size, extra CAs and failed-login throttle), read through [`Env`]. The variables and their
//! rules live beside the directory client in [`strongbox_idp::ldap::config`]; reaching the
//! directory (lookup bind, base DNs) happens when the server binds
//! ([`strongbox_idp::ldap::LdapDirectory::connect`]).

use strongbox_idp::ldap::{LdapConfig, Problem};

use super::Env;

/// The LDAP settings, if LDAP is configured; `Err` lists every problem.
pub fn from_env(env: &dyn Env) -> Result<Option<LdapConfig>, Vec<Problem>> {
    LdapConfig::from_vars(|n| env.var(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use strongbox_idp::ldap::config::{
        GROUP_FILTER_VAR, LOOKUP_BIND_DN_VAR, LOOKUP_BIND_PASSWORD_VAR, SERVER_ADDR_VAR,
        SERVER_INSECURE_VAR, SRV_RECORD_NAME_VAR, THROTTLE_USER_VAR, USER_BASE_VAR,
        USER_FILTER_VAR,
    };

    #[test]
    fn through_env() {
        let mut env: HashMap<&str, &str> = [
            (SERVER_ADDR_VAR, "127.0.0.1:3890"),
            (SERVER_INSECURE_VAR, "on"),
            (LOOKUP_BIND_DN_VAR, "cn=lookup,dc=example,dc=org"),
            (LOOKUP_BIND_PASSWORD_VAR, "lookup-secret"),
            (USER_BASE_VAR, "ou=people,dc=example,dc=org"),
            (USER_FILTER_VAR, "(uid=%s)"),
            (THROTTLE_USER_VAR, "5"),
        ]
        .into_iter()
        .collect();
        let c = from_env(&env).unwrap().unwrap();
        assert_eq!(c.url(), "ldap://127.0.0.1:3890");
        assert_eq!(c.throttle.max_failures_per_user, 5);
        assert!(!format!("{c:?}").contains("lookup-secret"));

        env.insert(SRV_RECORD_NAME_VAR, "ldap");
        env.insert(GROUP_FILTER_VAR, "(member=%d)");
        let problems = from_env(&env).unwrap_err();
        let vars: Vec<&str> = problems.iter().map(|(v, _)| v.as_str()).collect();
        assert!(vars.contains(&SRV_RECORD_NAME_VAR), "{problems:?}");
        assert!(
            vars.contains(&"MINIO_IDENTITY_LDAP_GROUP_SEARCH_BASE_DN"),
            "{problems:?}"
        );

        let empty: HashMap<&str, &str> = HashMap::new();
        assert!(from_env(&empty).unwrap().is_none());
    }
}
