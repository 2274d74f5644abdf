//! OpenID provider settings (`MINIO_IDENTITY_OPENID_*`, named providers with a `_<NAME>`
//! suffix, plus the `STRONGBOX_IDENTITY_OPENID_*` timeout, key-refresh and danger settings),
//! read through [`Env`]. The keys and their
//! rules live beside the provider in `strongbox_idp::openid::config`; reaching the providers
//! (discovery, keys) happens when the server binds.

use strongbox_idp::openid::config::{
    DANGER_OUTLIVE_VAR, OpenIdConfig, PREFIX, Problem, REFRESH_VAR, TIMEOUT_VAR,
};

use super::Env;

/// Every OpenID variable set in `env`, checked; `Err` lists every problem.
pub fn from_env(env: &dyn Env) -> Result<OpenIdConfig, Vec<Problem>> {
    let mut names = env.names_with_prefix(PREFIX);
    names.sort();
    names.extend([TIMEOUT_VAR, REFRESH_VAR, DANGER_OUTLIVE_VAR].map(str::to_owned));
    let pairs: Vec<(String, String)> = names
        .into_iter()
        .filter_map(|n| env.var(&n).map(|v| (n, v)))
        .collect();
    OpenIdConfig::from_vars(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn named_providers_and_problems_through_env() {
        let env: HashMap<&str, &str> = [
            (
                "MINIO_IDENTITY_OPENID_CONFIG_URL",
                "http://127.0.0.1:1/.well-known/openid-configuration",
            ),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID", "a"),
            ("MINIO_IDENTITY_OPENID_ROLE_POLICY", "readonly"),
            (
                "MINIO_IDENTITY_OPENID_CONFIG_URL_TWO",
                "http://127.0.0.1:2/.well-known/openid-configuration",
            ),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID_TWO", "b"),
            ("STRONGBOX_IDENTITY_OPENID_TIMEOUT", "2"),
            ("OTHER", "x"),
        ]
        .into_iter()
        .collect();
        let c = from_env(&env).unwrap();
        assert_eq!(c.providers.len(), 2);
        assert_eq!(c.timeout, std::time::Duration::from_secs(2));
        assert_eq!(c.claim_provider().unwrap().name.as_deref(), Some("TWO"));

        let env: HashMap<&str, &str> = [
            ("MINIO_IDENTITY_OPENID_CLIENT_ID", "a"),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID_TWO", "a"),
        ]
        .into_iter()
        .collect();
        let e = from_env(&env).unwrap_err();
        let vars: Vec<&str> = e.iter().map(|(v, _)| v.as_str()).collect();
        assert!(vars.contains(&"MINIO_IDENTITY_OPENID_CONFIG_URL"), "{e:?}");
        assert!(
            vars.contains(&"MINIO_IDENTITY_OPENID_CONFIG_URL_TWO"),
            "{e:?}"
        );
        assert!(
            vars.contains(&"MINIO_IDENTITY_OPENID_CLIENT_ID_TWO"),
            "{e:?}"
        );
    }
}
