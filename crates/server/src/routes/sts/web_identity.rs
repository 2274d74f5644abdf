//! `AssumeRoleWithWebIdentity` and `AssumeRoleWithClientGrants` (spec §6, §7): an OpenID
//! provider's token (id_token, or a client-credentials access token) buys a temporary
//! credential. Unsigned; the token is the proof.
//!
//! Order: provider and mode from `RoleArn`, token validated (and UserInfo merged) by
//! `strongbox_idp::openid` → policies that exist now → `DurationSeconds` (never past the token's
//! `exp` unless the danger option is on) → `Policy` and `TokenRevokeType` → deny check for
//! `sts:AssumeRoleWithWebIdentity` → the one issuing pipeline ([`super::issue`]) → response.

use std::sync::Arc;

use s3s::{Body, S3Request};
use strongbox_idp::openid::TokenRequest;
use strongbox_idp::openid::policy::{self, Mode};
use strongbox_policy::Policy;
use strongbox_sts::duration::{self, OidcFlow};
use strongbox_sts::xml::{AssumeResult, assume_response};
use strongbox_sts::{Action, StsError, StsErrorCode};

use super::{StsAnswer, StsCall, issue};
use crate::sts::Sts;

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
        let parsed = Policy::parse(doc.document.as_bytes()).map_err(|e| {
            tracing::error!(policy = %name, "stored policy does not compile: {e}");
            StsError::new(StsErrorCode::InternalError)
        })?;
        compiled.push((name.clone(), Arc::new(parsed)));
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
