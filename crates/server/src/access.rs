//! The s3s access hook: every S3 operation passes here after its signature was verified.
//!
//! It authenticates the request (identity and session token, [`crate::identity::authenticate`]),
//! decides, and leaves an [`Authorized`] proof in the request's extensions for handlers.
//! Issue 3 replaces [`decide`] with the IAM policy engine (identity policies, session policy,
//! bucket policy); anonymous requests are decided in the same place.

use std::sync::Arc;

use s3s::access::{S3Access, S3AccessContext};
use s3s::{S3Error, S3ErrorCode, S3Result};

use crate::http::RequestId;
use crate::identity::{Identities, Identity, Principal, authenticate};

/// Proof that a request passed authentication and authorisation. Only this module builds one.
#[derive(Debug, Clone)]
pub struct Authorized {
    identity: Identity,
}

impl Authorized {
    #[must_use]
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
}

/// The `S3Access` implementation installed in the s3s service.
#[derive(Debug, Clone)]
pub struct Access {
    identities: Arc<Identities>,
}

impl Access {
    #[must_use]
    pub fn new(identities: Arc<Identities>) -> Self {
        Self { identities }
    }
}

#[async_trait::async_trait]
impl S3Access for Access {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let request_id = cx.extensions_mut().get::<RequestId>().cloned();
        let result = authenticate(&self.identities, cx.credentials(), cx.headers(), cx.uri())
            .and_then(|p| decide(&*cx, p));
        match result {
            Ok(authorized) => {
                cx.extensions_mut().insert(authorized);
                Ok(())
            }
            Err(mut e) => {
                if let Some(id) = request_id {
                    e.set_request_id(id.as_str());
                }
                Err(e)
            }
        }
    }
}

/// The decision. Today: root may do everything, nobody else anything.
fn decide(cx: &S3AccessContext<'_>, principal: Principal) -> S3Result<Authorized> {
    match principal {
        Principal::Authenticated(identity @ Identity::Root { .. }) => Ok(Authorized { identity }),
        Principal::Anonymous => {
            tracing::debug!(op = cx.s3_op().name(), "anonymous request denied");
            Err(access_denied())
        }
    }
}

fn access_denied() -> S3Error {
    S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied.")
}
