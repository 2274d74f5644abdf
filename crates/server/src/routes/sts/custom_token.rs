//! `AssumeRoleWithCustomToken` (spec §10): the identity plugin vouches for the client's
//! `Token` and the credential gets the plugin role's policies. Unsigned; parameters from the
//! query only.
//!
//! Order (spec §10.4): plugin configured (else 503 `STSNotInitialized`) → `Token` non-empty →
//! `DurationSeconds` well-formed → `RoleArn` is the plugin's → the role's policies exist now →
//! the plugin call ([`strongbox_idp::plugin`]: 403 `AccessDenied` with the plugin's reason, 500
//! on any plugin failure) → duration `min(DurationSeconds, maxValiditySeconds)` → `Policy` and
//! `TokenRevokeType` → the one issuing pipeline ([`super::issue`]) → `AssumedUser`.

use s3s::{Body, S3Request};
use strongbox_idp::openid::policy::existing;
use strongbox_sts::duration;
use strongbox_sts::xml::{AssumeResult, assume_response};
use strongbox_sts::{StsError, StsErrorCode};

use super::{StsAnswer, StsCall, issue};
use crate::sts::Sts;

pub async fn handle(
    sts: &Sts,
    req: &S3Request<Body>,
    call: &StsCall,
    request_id: &str,
) -> StsAnswer {
    let Some(plugin) = sts.plugin() else {
        return Err(StsError::with_message(
            StsErrorCode::NotInitialized,
            "STS API 'AssumeRoleWithCustomToken' is disabled: no identity plugin is configured",
        ));
    };
    let params = &call.params;
    let Some(token) = params.get_non_empty("Token") else {
        return Err(StsError::invalid_parameter(
            "Invalid empty `Token` parameter provided",
        ));
    };
    let duration_param = params.get("DurationSeconds");
    // Checked before the plugin is asked: a malformed request never reaches it.
    duration::custom_token(
        &sts.config().duration,
        duration_param,
        duration::MIN_DURATION_SECS,
    )?;
    match params.get_non_empty("RoleArn") {
        Some(arn) if arn == plugin.role_arn() => {}
        Some(arn) => {
            return Err(StsError::invalid_parameter(format!(
                "Error processing parameter RoleArn: role {arn} does not exist"
            )));
        }
        None => {
            return Err(StsError::invalid_parameter(format!(
                "Error processing parameter RoleArn: it is required (the identity plugin's is {})",
                plugin.role_arn()
            )));
        }
    }
    let role_policy = &plugin.config().role_policy;
    let policies = {
        let snapshot = sts.iam().snapshot();
        existing(role_policy, |n| snapshot.policy(n).is_some())?
    };

    let who = plugin.authenticate(token).await?;
    let duration = duration::custom_token(
        &sts.config().duration,
        duration_param,
        who.max_validity_secs,
    )?;
    let mut claims = who.credential_claims(plugin.role_arn(), policies);
    issue::request_claims(params, &mut claims)?;
    let assumed_user = who.parent();
    let cred = issue::issue_recorded(sts, req, call.action, claims, duration, request_id)?;
    Ok(assume_response(
        AssumeResult::CustomToken {
            assumed_user: &assumed_user,
        },
        &cred,
        request_id,
    ))
}
