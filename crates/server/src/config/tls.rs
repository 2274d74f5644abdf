//! Where HTTPS certificates come from (MinIO's layout) and whether the listener asks for client
//! certificates.
//!
//! - `--certs-dir DIR`, else `MINIO_CERTS_DIR`, else `$HOME/.minio/certs` (MinIO's default).
//!   The directory holds `public.crt` (the chain, leaf first), `private.key` and `CAs/` (trusted
//!   roots: client certificates for `AssumeRoleWithCertificate` are verified against them).
//!   With neither certificate file present the server speaks plain HTTP, as MinIO does; a
//!   directory named explicitly must exist (a typo must not silently turn HTTPS off).
//! - `MINIO_IDENTITY_TLS_ENABLE=on`: the HTTPS listener requests (never requires) a client
//!   certificate; the chain is passed to the request unverified.
//!
//! Reading the files is [`crate::tls`]'s job; this is phase 1 and 2 of the configuration only.

use std::path::{Path, PathBuf};

use super::Env;

pub const CERTS_DIR: &str = "MINIO_CERTS_DIR";
pub const IDENTITY_TLS_ENABLE: &str = "MINIO_IDENTITY_TLS_ENABLE";

/// The server certificate chain, PEM, leaf first.
pub const PUBLIC_CERT_FILE: &str = "public.crt";
/// The server's private key, PEM (PKCS#8, PKCS#1 or SEC1).
pub const PRIVATE_KEY_FILE: &str = "private.key";
/// Trusted CA certificates, one or more PEM files.
pub const CAS_DIR: &str = "CAs";

/// TLS settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsConfig {
    /// The certificate directory; `None` when none was named and `HOME` is unset.
    pub certs_dir: Option<PathBuf>,
    /// The directory was named (flag or variable) rather than the default.
    pub certs_dir_named: bool,
    /// `MINIO_IDENTITY_TLS_ENABLE=on`: request client certificates on the HTTPS listener.
    pub identity_tls: bool,
}

impl TlsConfig {
    /// `CERTS_DIR/CAs`, where trusted roots live.
    #[must_use]
    pub fn cas_dir(&self) -> Option<PathBuf> {
        self.certs_dir.as_deref().map(|d| d.join(CAS_DIR))
    }
}

/// `CERTS_DIR/CAs` for a given certificate directory.
#[must_use]
pub fn cas_dir_of(certs_dir: &Path) -> PathBuf {
    certs_dir.join(CAS_DIR)
}

/// Phase 1 and 2 together: no I/O, only strings. Problems are `(setting, problem)`.
pub fn from_sources(
    flag: Option<&Path>,
    env: &dyn Env,
) -> Result<TlsConfig, Vec<(String, String)>> {
    let mut problems = Vec::new();
    let (certs_dir, named) = match (flag, env.var(CERTS_DIR)) {
        (Some(dir), _) => (Some(dir.to_path_buf()), true),
        (None, Some(dir)) => (Some(PathBuf::from(dir)), true),
        (None, None) => (
            env.var("HOME")
                .map(|home| Path::new(&home).join(".minio").join("certs")),
            false,
        ),
    };
    if named && certs_dir.as_ref().is_some_and(|d| d.as_os_str().is_empty()) {
        problems.push(("--certs-dir".to_owned(), "must not be empty".to_owned()));
    }
    let identity_tls = match env.var(IDENTITY_TLS_ENABLE) {
        None => false,
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "1" | "enable" | "enabled" => true,
            "off" | "false" | "no" | "0" | "disable" | "disabled" => false,
            _ => {
                problems.push((
                    IDENTITY_TLS_ENABLE.to_owned(),
                    format!("{v:?} is neither \"on\" nor \"off\""),
                ));
                false
            }
        },
    };
    if problems.is_empty() {
        Ok(TlsConfig {
            certs_dir,
            certs_dir_named: named,
            identity_tls,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(flag: Option<&str>, env: &[(&str, &str)]) -> Result<TlsConfig, Vec<(String, String)>> {
        let env: HashMap<&str, &str> = env.iter().copied().collect();
        from_sources(flag.map(Path::new), &env)
    }

    #[test]
    fn default_is_minio_home_certs() {
        let c = load(None, &[("HOME", "/home/m")]).unwrap();
        assert_eq!(
            c.certs_dir.as_deref(),
            Some(Path::new("/home/m/.minio/certs"))
        );
        assert!(!c.certs_dir_named);
        assert!(!c.identity_tls);
        assert_eq!(
            c.cas_dir().as_deref(),
            Some(Path::new("/home/m/.minio/certs/CAs"))
        );
        assert_eq!(load(None, &[]).unwrap().certs_dir, None);
    }

    #[test]
    fn flag_wins_over_variable() {
        let env = [("HOME", "/h"), (CERTS_DIR, "/from/env")];
        let c = load(Some("/from/flag"), &env).unwrap();
        assert_eq!(c.certs_dir.as_deref(), Some(Path::new("/from/flag")));
        assert!(c.certs_dir_named);
        let c = load(None, &env).unwrap();
        assert_eq!(c.certs_dir.as_deref(), Some(Path::new("/from/env")));
        assert!(c.certs_dir_named);
    }

    #[test]
    fn identity_tls_switch() {
        assert!(
            load(None, &[(IDENTITY_TLS_ENABLE, "on")])
                .unwrap()
                .identity_tls
        );
        assert!(
            !load(None, &[(IDENTITY_TLS_ENABLE, "off")])
                .unwrap()
                .identity_tls
        );
        let err = load(Some(""), &[(IDENTITY_TLS_ENABLE, "maybe")]).unwrap_err();
        let settings: Vec<_> = err.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(settings, ["--certs-dir", IDENTITY_TLS_ENABLE]);
    }
}
