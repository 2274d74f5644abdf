//! Identity plugin settings (`MINIO_IDENTITY_PLUGIN_*`, see
//! [`strongbox_idp::plugin::config`]) and the external authoriser's
//! (`MINIO_POLICY_PLUGIN_*`, `MINIO_POLICY_OPA_*`, `MINIO_IAM_OPA_*`, see
//! [`crate::authz::external`]), read through [`Env`].

use strongbox_idp::plugin::config::{PluginConfig, Problem};

use super::Env;

/// The identity plugin, if configured; `Err` lists every problem.
pub fn identity_from_env(env: &dyn Env) -> Result<Option<PluginConfig>, Vec<Problem>> {
    PluginConfig::from_vars(|n| env.var(n))
}

/// The external authoriser (OPA / access management plugin), if configured.
pub fn policy_from_env(
    env: &dyn Env,
) -> Result<Option<crate::authz::external::ExternalConfig>, Vec<Problem>> {
    crate::authz::external::ExternalConfig::from_env(env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use strongbox_idp::plugin::config::{ROLE_ID_VAR, ROLE_POLICY_VAR, URL_VAR};

    #[test]
    fn through_env() {
        let env: HashMap<&str, &str> = [
            (URL_VAR, "http://127.0.0.1:1/auth"),
            (ROLE_POLICY_VAR, "readonly"),
            (ROLE_ID_VAR, "sso"),
        ]
        .into_iter()
        .collect();
        let c = identity_from_env(&env).unwrap().unwrap();
        assert_eq!(c.role_arn(None), "arn:minio:iam:::role/idmp-sso");
        let empty: HashMap<&str, &str> = HashMap::new();
        assert!(identity_from_env(&empty).unwrap().is_none());
    }
}
