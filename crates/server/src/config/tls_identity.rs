//! `AssumeRoleWithCertificate` settings (MinIO's `identity_tls` sub-system, spec §9):
//!
//! - `MINIO_IDENTITY_TLS_ENABLE=on` (read with the HTTPS settings in [`super::tls`], since it
//!   also makes the listener request client certificates) serves the action. Off by default:
//!   MinIO 9ea45399c made it opt-in.
//! - `MINIO_IDENTITY_TLS_SKIP_VERIFY=on` trusts client certificates **without verifying their
//!   chain**: anyone can make a certificate whose CN names any policy, `consoleAdmin` included.
//!   The leaf must still allow client authentication and be within its validity period. Start-up
//!   warns loudly ([`TlsIdentityConfig::warnings`]).

use super::Env;

pub const SKIP_VERIFY: &str = "MINIO_IDENTITY_TLS_SKIP_VERIFY";

/// Whether and how client certificates become credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TlsIdentityConfig {
    /// `MINIO_IDENTITY_TLS_ENABLE=on`.
    pub enabled: bool,
    /// `MINIO_IDENTITY_TLS_SKIP_VERIFY=on`.
    pub danger_skip_verify: bool,
}

/// MinIO's boolean spellings.
fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" | "enable" | "enabled" => Some(true),
        "off" | "false" | "no" | "0" | "disable" | "disabled" => Some(false),
        _ => None,
    }
}

/// `enabled` is [`super::tls::TlsConfig::identity_tls`]. Problems are `(setting, problem)`.
pub fn from_env(enabled: bool, env: &dyn Env) -> Result<TlsIdentityConfig, Vec<(String, String)>> {
    let danger_skip_verify = match env.var(SKIP_VERIFY) {
        None => false,
        Some(v) => parse_bool(&v).ok_or_else(|| {
            vec![(
                SKIP_VERIFY.to_owned(),
                format!("{v:?} is neither \"on\" nor \"off\""),
            )]
        })?,
    };
    Ok(TlsIdentityConfig {
        enabled,
        danger_skip_verify,
    })
}

impl TlsIdentityConfig {
    /// What start-up must tell the operator (each a `warn` line), given how many CA
    /// certificates `CAs/` holds.
    #[must_use]
    pub fn warnings(&self, ca_count: usize) -> Vec<String> {
        let mut w = Vec::new();
        match (self.enabled, self.danger_skip_verify) {
            (true, true) => w.push(format!(
                "DANGER: {SKIP_VERIFY}=on: client certificates are NOT verified. Anyone who can \
                 reach this server can make a certificate whose CN names any policy (consoleAdmin \
                 included) and get credentials for it with AssumeRoleWithCertificate. Use it only \
                 for testing."
            )),
            (false, true) => w.push(format!(
                "{SKIP_VERIFY}=on has no effect: MINIO_IDENTITY_TLS_ENABLE is off"
            )),
            (true, false) if ca_count == 0 => w.push(
                "MINIO_IDENTITY_TLS_ENABLE=on but CAs/ in the certificate directory holds no CA \
                 certificate: every AssumeRoleWithCertificate request will be refused"
                    .to_owned(),
            ),
            _ => {}
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(enabled: bool, skip: Option<&str>) -> Result<TlsIdentityConfig, Vec<(String, String)>> {
        let env: HashMap<&str, &str> = skip.map(|v| (SKIP_VERIFY, v)).into_iter().collect();
        from_env(enabled, &env)
    }

    #[test]
    fn skip_verify_is_off_unless_said() {
        assert_eq!(
            load(true, None).unwrap(),
            TlsIdentityConfig {
                enabled: true,
                danger_skip_verify: false
            }
        );
        for on in ["on", "ON", "true", "enable"] {
            assert!(load(true, Some(on)).unwrap().danger_skip_verify, "{on}");
        }
        for off in ["off", "false", "0"] {
            assert!(!load(true, Some(off)).unwrap().danger_skip_verify, "{off}");
        }
        let e = load(true, Some("maybe")).unwrap_err();
        assert_eq!(e[0].0, SKIP_VERIFY);
    }

    #[test]
    fn warns_loudly_about_skip_verify_and_missing_roots() {
        let skip = load(true, Some("on")).unwrap();
        let w = skip.warnings(3);
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("DANGER"), "{}", w[0]);
        assert!(w[0].contains("NOT verified"));
        assert!(load(false, Some("on")).unwrap().warnings(0)[0].contains("no effect"));
        assert!(load(true, None).unwrap().warnings(0)[0].contains("no CA certificate"));
        assert!(load(true, None).unwrap().warnings(1).is_empty());
        assert!(load(false, None).unwrap().warnings(0).is_empty());
    }
}
