//! `AssumeRoleWithLDAPIdentity` (spec §8): a directory user's name and password buy a temporary
//! credential whose rights are the policies mapped to the user's DN and group DNs. Unsigned;
//! parameters from the form body or the query (minio-py sends them in the query, so the
//! password is redacted from every logged URL by `crate::http::redact`).
//!
//! Order: LDAP configured → `LDAPUsername`/`LDAPPassword` non-empty (400 `MissingParameter`)
//! and bounded → `Policy`, `TokenRevokeType` and `DurationSeconds` well-formed (all before the
//! directory is asked) → throttle → directory ([`crate::sts::ldap::LdapLogin`]) → at least one
//! existing policy mapped to the user DN or a group DN → the one issuing pipeline
//! ([`super::issue`]).

use s3s::{Body, S3Request};
use strongbox_idp::ldap::{MAX_PASSWORD_BYTES, MAX_USERNAME_BYTES, Secret};
use strongbox_sts::duration;
use strongbox_sts::xml::{AssumeResult, assume_response};
use strongbox_sts::{Claims, Provider, StsError};

use super::{StsAnswer, StsCall, issue};
use crate::sts::{Sts, ldap, now_ns};

pub async fn handle(
    sts: &Sts,
    req: &S3Request<Body>,
    call: &StsCall,
    request_id: &str,
) -> StsAnswer {
    let Some(login) = sts.ldap() else {
        return Err(StsError::invalid_parameter(
            "AssumeRoleWithLDAPIdentity is not available: no LDAP directory is configured",
        ));
    };
    let params = &call.params;
    let (Some(username), Some(password)) = (
        params.get_non_empty("LDAPUsername"),
        params.get_non_empty("LDAPPassword"),
    ) else {
        return Err(StsError::missing_parameter(
            "LDAPUsername and LDAPPassword cannot be empty",
        ));
    };
    check_username(username)?;
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(StsError::invalid_parameter(format!(
            "LDAPPassword must not exceed {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    // Everything the request can get wrong is checked before the directory is asked.
    let mut from_request = Claims::new(String::new(), Provider::Ldap);
    issue::request_claims(params, &mut from_request)?;
    let duration = duration::ldap(&sts.config().duration, params.get("DurationSeconds"))?;

    let ip = req
        .extensions
        .get::<crate::http::ConnectionInfo>()
        .map(|c| c.peer.ip());
    let password = Secret::new(password);
    let who = login
        .login(username, &password, ip, now_ns(sts.now()))
        .await?;

    let mut claims = ldap::credential_claims(&who);
    require_policy(sts, &claims)?;
    claims.session_policy = from_request.session_policy;
    claims.token_revoke_type = from_request.token_revoke_type;
    let cred = issue::issue_recorded(sts, req, call.action, claims, duration, request_id)?;
    Ok(assume_response(AssumeResult::Ldap, &cred, request_id))
}

/// Bounded, and no control characters (a NUL would end the name in C directories). The
/// directory refuses these too, as invalid credentials; here the client learns why.
fn check_username(username: &str) -> Result<(), StsError> {
    if username.len() > MAX_USERNAME_BYTES {
        return Err(StsError::invalid_parameter(format!(
            "LDAPUsername must not exceed {MAX_USERNAME_BYTES} bytes"
        )));
    }
    if username.chars().any(char::is_control) {
        return Err(StsError::invalid_parameter(
            "LDAPUsername must not contain control characters",
        ));
    }
    Ok(())
}

/// At least one existing policy must be mapped to the user DN or one of the group DNs (spec
/// §8.2); the names are resolved again on every request made with the credential.
fn require_policy(sts: &Sts, claims: &Claims) -> Result<(), StsError> {
    let snapshot = sts.iam().snapshot();
    let mapped = snapshot.policies_for_sts_parent(&claims.parent, &claims.groups);
    if mapped.iter().any(|n| snapshot.policy(n).is_some()) {
        return Ok(());
    }
    let groups = claims
        .groups
        .iter()
        .map(|g| format!("`{g}`"))
        .collect::<Vec<_>>()
        .join(",");
    Err(StsError::invalid_parameter(format!(
        "expecting a policy to be set for user `{}` or one of their groups: {groups} - rejecting this request",
        claims.parent
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_bounded_and_printable() {
        assert!(check_username("alice").is_ok());
        assert!(
            check_username("*)(uid=*").is_ok(),
            "escaped by the directory"
        );
        assert!(check_username(&"a".repeat(MAX_USERNAME_BYTES)).is_ok());
        for bad in [
            "a".repeat(MAX_USERNAME_BYTES + 1),
            "ali\0ce".to_owned(),
            "alice\n".to_owned(),
        ] {
            let e = check_username(&bad).unwrap_err();
            assert_eq!(e.code().wire(), "InvalidParameterValue", "{bad:?}");
        }
    }
}
