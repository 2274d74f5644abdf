//! The server side of AssumeRoleWithLDAPIdentity (spec §8): the directory
//! ([`strongbox_idp::ldap`]), the failed-login throttle ([`super::ldap_throttle`]), the claims an
//! LDAP credential carries and the `ldap:` policy variables read back from them.
//!
//! A login is: throttle admits (before any bind) → the directory authenticates within its
//! `login_timeout` (default 5 s; [`BACKSTOP`] more at most) → a wrong password and an unknown user are the SAME error, byte for
//! byte (CVE-2026-33419; the directory equalises their timing) and both count as failures; an
//! outage is a clear upstream error and counts as nothing.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use strongbox_idp::ldap::{LdapConfig, LdapDirectory, LdapError, LdapIdentity, Secret};
use strongbox_sts::{Claims, Provider, StsError, StsErrorCode};

use super::ldap_throttle::{LdapThrottle, Throttled};

/// The directory bounds a login by its `login_timeout`; this server-side deadline on top of it
/// only guards against a directory call that forgets to (an outage must answer in bounded time).
pub const BACKSTOP: Duration = Duration::from_millis(500);

/// Claim: the normalised user DN (`ldap:user`).
pub const CLAIM_USER: &str = "ldapUser";
/// Claim: the user DN as the directory returned it.
pub const CLAIM_ACTUAL_USER: &str = "ldapActualUser";
/// Claim: the login name (`ldap:username`).
pub const CLAIM_USERNAME: &str = "ldapUsername";
/// Claim prefix of each configured extra user attribute (`user_dn_attributes`).
pub const CLAIM_ATTRIBUTE_PREFIX: &str = "ldapAttrib_";

/// The one answer for a wrong password and an unknown user alike.
pub const INVALID_CREDENTIALS: &str =
    "LDAP authentication failed: the username or the password is not valid";

/// AssumeRoleWithLDAPIdentity's state: one per server, shared.
pub struct LdapLogin {
    directory: Arc<LdapDirectory>,
    throttle: LdapThrottle,
}

impl std::fmt::Debug for LdapLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapLogin").finish_non_exhaustive()
    }
}

/// Connects to the configured directory and checks it (every problem reported at once): the
/// server does not start with a broken LDAP configuration.
pub async fn connect(cfg: &LdapConfig) -> std::io::Result<LdapLogin> {
    let directory = LdapDirectory::connect(cfg.clone())
        .await
        .map_err(|problems| {
            std::io::Error::other(format!("LDAP directory: {}", problems.join("; ")))
        })?;
    let t = cfg.throttle;
    tracing::info!(
        directory = %cfg.describe(),
        user_failures = t.max_failures_per_user,
        address_failures = t.max_failures_per_ip,
        window_secs = t.window.as_secs_f64(),
        "LDAP: AssumeRoleWithLDAPIdentity enabled"
    );
    Ok(LdapLogin::new(Arc::new(directory)))
}

impl LdapLogin {
    /// Throttled as the directory's configuration says (`ThrottleConfig`).
    pub fn new(directory: Arc<LdapDirectory>) -> Self {
        let throttle = LdapThrottle::new(directory.config().throttle);
        Self {
            directory,
            throttle,
        }
    }

    pub fn directory(&self) -> &Arc<LdapDirectory> {
        &self.directory
    }

    pub fn throttle(&self) -> &LdapThrottle {
        &self.throttle
    }

    /// Authenticates `username` with `password` for a client at `ip`; `now_ns` is the STS
    /// clock in Unix nanoseconds. Every error is the client's STS answer.
    pub async fn login(
        &self,
        username: &str,
        password: &Secret,
        ip: Option<IpAddr>,
        now_ns: i64,
    ) -> Result<LdapIdentity, StsError> {
        let attempt = self.throttle.begin(username, ip, now_ns).map_err(|t| {
            tracing::warn!(source_ip = ?ip, limit = ?t, "LDAP login throttled");
            throttled(t)
        })?;
        let deadline = self.directory.config().login_timeout + BACKSTOP;
        let outcome =
            tokio::time::timeout(deadline, self.directory.authenticate(username, password)).await;
        match outcome {
            Ok(Ok(identity)) => {
                attempt.not_a_failure(now_ns);
                Ok(identity)
            }
            Ok(Err(LdapError::InvalidCredentials)) => {
                // Counted by `begin`. Never log the username: it may be a mistyped password.
                tracing::info!(source_ip = ?ip, "LDAP login refused: invalid credentials");
                Err(StsError::invalid_parameter(INVALID_CREDENTIALS))
            }
            Ok(Err(LdapError::Unavailable)) => {
                // The directory logged the cause.
                attempt.not_a_failure(now_ns);
                Err(unavailable())
            }
            Err(_elapsed) => {
                attempt.not_a_failure(now_ns);
                tracing::warn!(?deadline, "LDAP directory did not answer in time");
                Err(unavailable())
            }
            Ok(Err(e @ (LdapError::Config(_) | LdapError::InvalidDn(_)))) => {
                attempt.not_a_failure(now_ns);
                tracing::error!(error = %e, "LDAP login failed: configuration problem");
                Err(StsError::with_message(
                    StsErrorCode::InternalError,
                    "LDAP login is misconfigured on this server; contact the administrator",
                ))
            }
        }
    }
}

fn throttled(t: Throttled) -> StsError {
    let who = match t {
        Throttled::Username => "this username",
        Throttled::SourceAddress => "this address",
    };
    StsError::with_message(
        StsErrorCode::Throttling,
        format!("Too many failed LDAP logins for {who}; try again later"),
    )
}

fn unavailable() -> StsError {
    StsError::with_message(
        StsErrorCode::UpstreamError,
        "The LDAP directory is unavailable; try again later (credentials already issued keep working)",
    )
}

/// The claims of a credential for `who` (spec §4.2): parent = normalised user DN, groups =
/// the (normalised) group DNs, `ldapUser`, `ldapActualUser`, `ldapUsername`, one
/// `ldapAttrib_<attr>` array per fetched attribute. No policy names: they are resolved from the
/// DN mappings at request time (spec §12.2), so detaching a policy takes effect on live
/// credentials at once.
pub fn credential_claims(who: &LdapIdentity) -> Claims {
    let mut claims = Claims::new(who.user_dn.clone(), Provider::Ldap);
    claims.groups = who.group_dns.clone();
    claims
        .extra
        .insert(CLAIM_USER.into(), Value::String(who.user_dn.clone()));
    claims.extra.insert(
        CLAIM_ACTUAL_USER.into(),
        Value::String(who.actual_dn.clone()),
    );
    claims
        .extra
        .insert(CLAIM_USERNAME.into(), Value::String(who.username.clone()));
    for (attr, values) in &who.attributes {
        claims.extra.insert(
            format!("{CLAIM_ATTRIBUTE_PREFIX}{attr}"),
            Value::Array(values.iter().cloned().map(Value::String).collect()),
        );
    }
    claims
}

/// The `ldap:user`, `ldap:username` and `ldap:groups` condition values (and policy variables)
/// of a credential; empty unless the LDAP flow issued it (spec §8.4, §12.4).
pub fn condition_values(claims: &Claims) -> Vec<(String, Vec<String>)> {
    if claims.provider != Provider::Ldap {
        return Vec::new();
    }
    let text = |name: &str| claims.extra.get(name).and_then(Value::as_str);
    let mut out = Vec::with_capacity(3);
    if let Some(dn) = text(CLAIM_USER) {
        out.push(("ldap:user".to_owned(), vec![dn.to_owned()]));
    }
    if let Some(name) = text(CLAIM_USERNAME) {
        out.push(("ldap:username".to_owned(), vec![name.to_owned()]));
    }
    out.push(("ldap:groups".to_owned(), claims.groups.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn bob() -> LdapIdentity {
        LdapIdentity {
            user_dn: "uid=bob,ou=people,dc=example,dc=org".into(),
            actual_dn: "uid=bob,ou=People,dc=example,dc=org".into(),
            username: "bob".into(),
            group_dns: vec![
                "cn=projecta,ou=groups,dc=example,dc=org".into(),
                "cn=projectb,ou=groups,dc=example,dc=org".into(),
            ],
            attributes: BTreeMap::from([("mail".to_owned(), vec!["bob@example.org".to_owned()])]),
        }
    }

    #[test]
    fn claims_carry_the_dn_groups_username_and_attributes() {
        let c = credential_claims(&bob());
        assert_eq!(c.parent, "uid=bob,ou=people,dc=example,dc=org");
        assert_eq!(c.provider, Provider::Ldap);
        assert_eq!(c.groups.len(), 2);
        assert!(c.policies.is_empty(), "resolved at request time");
        assert_eq!(c.extra[CLAIM_USER], "uid=bob,ou=people,dc=example,dc=org");
        assert_eq!(
            c.extra[CLAIM_ACTUAL_USER],
            "uid=bob,ou=People,dc=example,dc=org"
        );
        assert_eq!(c.extra[CLAIM_USERNAME], "bob");
        assert_eq!(
            c.extra["ldapAttrib_mail"],
            serde_json::json!(["bob@example.org"])
        );
    }

    #[test]
    fn policy_variables_come_from_ldap_claims_only() {
        let c = credential_claims(&bob());
        let v = condition_values(&c);
        assert_eq!(
            v,
            vec![
                (
                    "ldap:user".to_owned(),
                    vec!["uid=bob,ou=people,dc=example,dc=org".to_owned()]
                ),
                ("ldap:username".to_owned(), vec!["bob".to_owned()]),
                ("ldap:groups".to_owned(), c.groups.clone()),
            ]
        );
        // Another provider's claims named like LDAP's set nothing.
        let mut other = c.clone();
        other.provider = Provider::OpenId;
        assert!(condition_values(&other).is_empty());
    }

    #[test]
    fn throttle_and_outage_errors_are_clear() {
        let e = throttled(Throttled::Username);
        assert_eq!((e.code().wire(), e.status()), ("Throttling", 400));
        let e = unavailable();
        assert_eq!((e.code().wire(), e.status()), ("InternalError", 500));
        assert!(e.message().contains("unavailable"), "{}", e.message());
    }
}
