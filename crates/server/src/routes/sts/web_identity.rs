//! `AssumeRoleWithWebIdentity` and `AssumeRoleWithClientGrants` (spec §6, §7): an OpenID
//! provider's token (id_token, or a client-credentials access token) buys a temporary
//! credential. Unsigned; the token is the proof.
//!
//! Order: provider and mode from `RoleArn`, token validated (and UserInfo merged) by
//! `strongbox_idp::openid` → policies that exist now → `DurationSeconds` (never past the token's
//! `exp` unless the danger option is on) → `Policy` and `TokenRevokeType` → deny check for
//! `sts:AssumeRoleWithWebIdentity` → the one issuing pipeline ([`super::issue`]) → response.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use s3s::{Body, S3Request};
use strongbox_idp::openid::TokenRequest;
use strongbox_idp::openid::policy::{self, Mode};
use strongbox_policy::{Policy, PolicyError};
use strongbox_sts::duration::{self, OidcFlow};
use strongbox_sts::xml::{AssumeResult, assume_response};
use strongbox_sts::{Action, StsError, StsErrorCode};

use super::{StsAnswer, StsCall, issue};
use crate::sts::Sts;

/// Most compiled policies kept for the deny check; when full the memo is emptied.
const MAX_COMPILED: usize = 1024;

/// Named policies compiled for the deny check, each with the text it was compiled from, so a
/// request costs a lookup and a text comparison, not a parse; an edited policy is compiled
/// again. One memo per process: an entry is used only for the very same text, so servers with
/// different IAM stores in one process (tests) stay correct.
static COMPILED: LazyLock<RwLock<Memo>> = LazyLock::new(RwLock::default);

/// Policy name → (the text compiled, its compiled form).
type Memo = HashMap<String, (Arc<str>, Arc<Policy>)>;

pub async fn handle(
    sts: &Sts,
    req: &S3Request<Body>,
    call: &StsCall,
    request_id: &str,
) -> StsAnswer {
    let flow = match call.action {
        Action::AssumeRoleWithClientGrants => OidcFlow::ClientGrants,
        _ => OidcFlow::WebIdentity,
    };
    let Some(openid) = sts.openid().filter(|o| !o.is_empty()) else {
        return Err(StsError::invalid_parameter(format!(
            "{} is not available: no OpenID provider is configured",
            call.action.as_str()
        )));
    };
    let params = &call.params;
    // MinIO reads `Token` first, then `WebIdentityToken`, whatever the action (spec §7).
    let Some(token) = params
        .get_non_empty("Token")
        .or_else(|| params.get_non_empty("WebIdentityToken"))
    else {
        return Err(StsError::missing_parameter(match flow {
            OidcFlow::WebIdentity => "WebIdentityToken is required",
            OidcFlow::ClientGrants => "Token is required",
        }));
    };
    let now = sts.now();
    let who = openid
        .authenticate(TokenRequest {
            flow,
            token,
            access_token: params.get_non_empty("WebIdentityAccessToken"),
            role_arn: params.get_non_empty("RoleArn"),
            now_unix: now.unix_timestamp(),
        })
        .await?;

    let snapshot = sts.iam().snapshot();
    let kept = policy::existing(&who.requested_policies, |n| snapshot.policy(n).is_some())?;
    let duration_param = params.get("DurationSeconds");
    let duration = duration::oidc(
        &sts.config().duration,
        flow,
        duration_param,
        Some(who.exp),
        now,
    )?;
    let mut claims = policy::credential_claims(&who.sub, &who.iss, &who.mode, kept, &who.claims);
    issue::request_claims(params, &mut claims)?;

    let mut compiled = Vec::with_capacity(claims.policies.len());
    for name in &claims.policies {
        let Some(doc) = snapshot.policy(name) else {
            continue;
        };
        let parsed = compiled_policy(name, &doc.document).map_err(|e| {
            tracing::error!(policy = %name, "stored policy does not compile: {e}");
            StsError::new(StsErrorCode::InternalError)
        })?;
        compiled.push((name.clone(), parsed));
    }
    drop(snapshot);
    policy::deny_check(&compiled, duration_param, &claims)?;

    if let Mode::Role { arn } = &who.mode {
        tracing::debug!(provider = who.provider.config().label(), role_arn = %arn, "OpenID role mode");
    }
    let cred = issue::issue_recorded(sts, req, call.action, claims, duration, request_id)?;
    let result = match flow {
        OidcFlow::WebIdentity => AssumeResult::WebIdentity { subject: &who.sub },
        OidcFlow::ClientGrants => AssumeResult::ClientGrants { subject: &who.sub },
    };
    Ok(assume_response(result, &cred, request_id))
}

/// The compiled form of the stored policy `name` whose document is `text`.
fn compiled_policy(name: &str, text: &str) -> Result<Arc<Policy>, PolicyError> {
    // A panic while holding the lock leaves a valid map (entries are inserted whole).
    {
        let memo = COMPILED
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((known, policy)) = memo.get(name)
            && **known == *text
        {
            return Ok(Arc::clone(policy));
        }
    }
    let policy = Arc::new(Policy::parse(text.as_bytes())?);
    let mut memo = COMPILED
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if memo.len() >= MAX_COMPILED && !memo.contains_key(name) {
        memo.clear();
    }
    memo.insert(name.to_owned(), (Arc::from(text), Arc::clone(&policy)));
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DENY_A: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["sts:AssumeRoleWithWebIdentity"],"Resource":["*"]}]}"#;
    const ALLOW_S3: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}"#;

    #[test]
    fn a_policy_is_compiled_once_per_text() {
        let name = "web-identity-memo-test";
        let a = compiled_policy(name, DENY_A).unwrap();
        let again = compiled_policy(name, DENY_A).unwrap();
        assert!(
            Arc::ptr_eq(&a, &again),
            "same text: the compiled form is reused"
        );
        // The policy was edited: the new text is compiled, never the old form returned.
        let edited = compiled_policy(name, ALLOW_S3).unwrap();
        assert!(!Arc::ptr_eq(&a, &edited));
        assert_eq!(
            format!("{edited:?}"),
            format!("{:?}", Policy::parse(ALLOW_S3.as_bytes()).unwrap())
        );
        assert!(compiled_policy(name, "not json").is_err());
        // A text that does not compile leaves the memo as it was.
        assert!(Arc::ptr_eq(
            &edited,
            &compiled_policy(name, ALLOW_S3).unwrap()
        ));
    }
}
