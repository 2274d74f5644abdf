//! `POST revoke-tokens/builtin?user=&tokenRevokeType=&fullRevoke=` (204): end temporary
//! credentials (spec §15), plus our `?accessKey=` to end one credential.
//!
//! | Query | Revokes |
//! |---|---|
//! | `user=U&fullRevoke=true` | every credential of parent `U` issued until now |
//! | `user=U&tokenRevokeType=T` | those of them issued with `TokenRevokeType=T` |
//! | no `user` (self-revoke) | the same for the caller's own parent; without type or full, the type carried by the caller's own session token |
//! | `accessKey=AK` (alone) | the one temporary credential `AK` |
//!
//! Rules: `user` with neither or both of `tokenRevokeType`/`fullRevoke` → `InvalidRequest`
//! (MinIO's). Acting on another user's credentials, or on an access key other than the caller's
//! own, needs `admin:RemoveServiceAccount` explicitly allowed (MinIO silently retargets such a
//! request to the caller; we refuse it). Revocations are stored in the IAM store and survive
//! restarts; every node sharing the store applies them.

use http::StatusCode;
use s3s::{Body, S3Response};
use strongbox_iam::authz::PermissionCheck;
use strongbox_madmin::types::RevokeTokensQuery;
use strongbox_policy::Action;
use strongbox_sts::revocation::Revocation;

use super::AdminRequest;
use super::error::AdminError;
use crate::sts::{self, session};

const INVALID_REQUEST: fn(&'static str) -> AdminError =
    |m| AdminError::new(StatusCode::BAD_REQUEST, "InvalidRequest", m);

pub async fn revoke(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let Some(sts) = session::current_sts() else {
        return Err(AdminError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "XMinioServerNotInitialized",
            "STS is not running on this server.",
        ));
    };
    let record = plan(&req, &sts)?;
    let result = tokio::task::spawn_blocking(move || sts.revoke(&[record])).await;
    match result {
        Ok(Ok(())) => Ok(req.done()),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot store an STS revocation");
            Err(AdminError::internal())
        }
        Err(e) => {
            tracing::error!(error = %e, "STS revocation task failed");
            Err(AdminError::internal())
        }
    }
}

/// What to revoke, after the permission checks.
fn plan(req: &AdminRequest, sts: &sts::Sts) -> Result<Revocation, AdminError> {
    let q = req.query();
    let caller = req.caller();
    let own_session = session::verified(caller.access_key());
    let now = sts.now();
    let access_key = q.get_or_empty("accessKey");
    let query = RevokeTokensQuery {
        user: q.get_or_empty("user").to_owned(),
        token_revoke_type: q.get_or_empty("tokenRevokeType").to_owned(),
        full_revoke: q.get_or_empty("fullRevoke").to_owned(),
    };
    if !access_key.is_empty() {
        if !query.user.is_empty() || !query.token_revoke_type.is_empty() || query.full_revoke() {
            return Err(INVALID_REQUEST(
                "accessKey cannot be combined with user, tokenRevokeType or fullRevoke",
            ));
        }
        if access_key != caller.access_key() {
            req.require(
                &[Action::AdminRemoveServiceAccount],
                PermissionCheck::MustAllow,
            )?;
        }
        // Revocation writes nothing per credential at issue, so its expiry is unknown here:
        // keep the record as long as any credential can live.
        let expires_at = now
            .unix_timestamp()
            .saturating_add(sts.config().duration.max_secs);
        return Ok(Revocation::AccessKey {
            access_key: access_key.to_owned(),
            expires_at,
        });
    }
    query.validate().map_err(INVALID_REQUEST)?;
    let own_parent = match &own_session {
        Some(s) => s.parent().to_owned(),
        None => caller.effective_user().to_owned(),
    };
    let parent = if query.user.is_empty() {
        own_parent
    } else {
        if query.user != own_parent {
            req.require(
                &[Action::AdminRemoveServiceAccount],
                PermissionCheck::MustAllow,
            )?;
        }
        query.user.clone()
    };
    let cutoff_ns = sts::now_ns(now);
    if query.full_revoke() {
        return Ok(Revocation::Parent { parent, cutoff_ns });
    }
    let token_revoke_type = if query.token_revoke_type.is_empty() {
        own_session
            .as_ref()
            .and_then(|s| s.verified().claims().token_revoke_type.clone())
            .ok_or(INVALID_REQUEST(
                "tokenRevokeType is required: the calling credential carries none",
            ))?
    } else {
        query.token_revoke_type
    };
    Ok(Revocation::ParentType {
        parent,
        token_revoke_type,
        cutoff_ns,
    })
}
