//! `AssumeRole` (spec §2): root or an IAM user, signed with SigV4 service `sts`, obtains a
//! temporary credential that acts with its own policies (resolved at each request), optionally
//! narrowed by a session policy. Issuing writes nothing (zero-write tokens, see crates/sts).
//!
//! Order after the front's parameter checks (MinIO's): authentication errors → session policy →
//! `DurationSeconds` → per-parent rate limit → issue → audit → response.

use s3s::{Body, S3Request};
use strongbox_iam::{Principal, Refusal};
use strongbox_sts::xml::{AssumeResult, assume_response};
use strongbox_sts::{Action, Claims, Provider, StsError, duration};

use super::{StsAnswer, StsCall, issue};
use crate::sts::{Sts, session};

pub async fn handle(
    sts: &Sts,
    req: &S3Request<Body>,
    call: &StsCall,
    request_id: &str,
) -> StsAnswer {
    let parent = caller(sts, req)?;
    let params = &call.params;
    let mut claims = Claims::new(parent, Provider::Builtin);
    issue::request_claims(params, &mut claims)?;
    let duration = duration::assume_role(&sts.config().duration, params.get("DurationSeconds"))?;
    let cred = issue::issue_recorded(sts, req, Action::AssumeRole, claims, duration, request_id)?;
    Ok(assume_response(AssumeResult::AssumeRole, &cred, request_id))
}

/// The caller's access key, if it may call AssumeRole (spec §2.1): a SigV4 `sts` signature by
/// root or an enabled IAM user, without a session token. Everything else is `AccessDenied`.
fn caller(sts: &Sts, req: &S3Request<Body>) -> Result<String, StsError> {
    let Some(creds) = req.credentials.as_ref() else {
        return Err(StsError::access_denied("Request is not signed."));
    };
    if req.service.as_deref() != Some("sts") {
        return Err(StsError::access_denied(
            "Credential should be scoped to the correct service: 'sts'.",
        ));
    }
    if let Some(region) = crate::scope::scope_region(&req.headers, &req.uri)
        && let Err(e) = crate::scope::check_region(sts.region(), &region)
    {
        return Err(StsError::access_denied(
            e.message().unwrap_or("Invalid credential region."),
        ));
    }
    if session::request_has_token() || session::verified(&creds.access_key).is_some() {
        return Err(StsError::access_denied(
            "AssumeRole cannot be called with temporary credentials or a session token.",
        ));
    }
    let snapshot = sts.iam().snapshot();
    let resolved = snapshot
        .resolve_access_key(&creds.access_key, sts.now())
        .ok_or_else(|| StsError::access_denied("Access Denied."))?;
    match resolved.usable() {
        Ok(Principal::Root(_) | Principal::User(_)) => Ok(creds.access_key.clone()),
        Ok(Principal::ServiceAccount { .. }) => Err(StsError::access_denied(
            "AssumeRole cannot be called with service account credentials.",
        )),
        Err(Refusal::UserDisabled | Refusal::ParentDisabled) => Err(StsError::access_denied(
            "Your account is disabled; please contact your administrator.",
        )),
        Err(_) => Err(StsError::access_denied("Access Denied.")),
    }
}
