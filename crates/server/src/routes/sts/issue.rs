//! The one issuing pipeline every STS action ends in (DESIGN "What to avoid": never a copy per
//! identity provider). An action authenticates its caller or token and builds the [`Claims`];
//! then, for every provider alike: the `Policy` and `TokenRevokeType` parameters
//! ([`request_claims`]), the per-parent rate limit, [`strongbox_sts::issue`] and the audit record
//! ([`issue_recorded`]).

use s3s::{Body, S3Request};
use strongbox_policy::Policy;
use strongbox_sts::audit::IssuanceEvent;
use strongbox_sts::{
    Action, Claims, IssuedCredential, SessionDuration, SessionPolicyJson, StsError, StsParams,
    issue,
};

use crate::sts::Sts;

/// Longest `TokenRevokeType` accepted (it travels in every token of the credential).
const MAX_TOKEN_REVOKE_TYPE: usize = 256;

/// Sets the claims every action takes from the request: the session policy (spec §11) and the
/// revocation type.
pub(super) fn request_claims(params: &StsParams, claims: &mut Claims) -> Result<(), StsError> {
    claims.session_policy = session_policy(params)?;
    if let Some(t) = params.get_non_empty("TokenRevokeType") {
        if t.len() > MAX_TOKEN_REVOKE_TYPE {
            return Err(StsError::invalid_parameter(format!(
                "TokenRevokeType must not exceed {MAX_TOKEN_REVOKE_TYPE} characters"
            )));
        }
        claims.token_revoke_type = Some(t.to_owned());
    }
    Ok(())
}

/// The `Policy` parameter (spec §11): strict parse with `Version` required, then the canonical
/// re-serialisation must fit 2048 bytes. Absent or empty → no session policy.
fn session_policy(params: &StsParams) -> Result<Option<SessionPolicyJson>, StsError> {
    let Some(raw) = params.get_non_empty("Policy") else {
        return Ok(None);
    };
    let policy = Policy::parse_session(raw.as_bytes())
        .map_err(|e| StsError::invalid_parameter(e.to_string()))?;
    SessionPolicyJson::new(policy.to_canonical_json()).map(Some)
}

/// Rate limit for the parent, issue (no write), record the audit event.
pub(super) fn issue_recorded(
    sts: &Sts,
    req: &S3Request<Body>,
    action: Action,
    claims: Claims,
    duration: SessionDuration,
    request_id: &str,
) -> Result<IssuedCredential, StsError> {
    let now = sts.now();
    sts.limiter().check(&claims.parent, now)?;
    let cred = issue(&sts.key_ring(), claims, now, duration)?;
    let user_agent = req
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let source_ip = req
        .extensions
        .get::<crate::http::ConnectionInfo>()
        .map(|c| c.peer.ip().to_string());
    let event = IssuanceEvent::new(action, &cred, now).with_request(
        source_ip,
        user_agent,
        Some(request_id.to_owned()),
    );
    sts.audit().record(&event);
    Ok(cred)
}
