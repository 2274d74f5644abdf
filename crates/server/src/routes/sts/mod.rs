//! The STS endpoint (spec §1): `POST` with `Action=` in the query or the form body.
//!
//! How a request travels:
//! 1. [`front::call`] (in front of s3s) recognises STS with [`super::Endpoint::classify`], reads
//!    the bounded form body, merges query and body parameters and checks `Version` and `Action`
//!    (errors here come first, before any signature problem, as MinIO). It makes sure the SigV4
//!    payload hash is the SHA-256 of the actual body, puts an [`StsCall`] into the request's
//!    extensions and hands the request to s3s, which verifies the signature (service `sts`).
//! 2. s3s calls our `S3Route` ([`super::Routes`]) → [`handle`] → one file per action.
//! 3. Every answer is STS XML. Handlers answer with [`StsAnswer`]; an error s3s produced itself
//!    (a bad signature, an unknown key) reaches the front without the [`Answered`] mark and is
//!    turned into an STS `AccessDenied` carrying the S3 message (spec §2.1).

mod assume_role;
mod caller_identity;
mod certificate;
mod custom_token;
pub mod front;
mod issue;
mod ldap;
mod web_identity;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use s3s::{Body, S3Request, S3Response, S3Result};
use strongbox_sts::xml::{CONTENT_TYPE, error_response};
use strongbox_sts::{Action, StsError, StsParams, StsRoute};

use crate::http::RequestId;
use crate::sts::Sts;

/// What the front learnt about an STS request; travels in the request's extensions.
#[derive(Debug, Clone)]
pub struct StsCall {
    pub route: StsRoute,
    pub action: Action,
    pub params: Arc<StsParams>,
}

/// Marks a response as already STS-shaped (set by [`respond`]).
#[derive(Debug, Clone, Copy)]
pub struct Answered;

/// A handler's answer: the XML body of a success, or an STS error.
pub type StsAnswer = Result<String, StsError>;

/// Serves one STS request that s3s routed to us.
pub async fn handle(sts: Option<&Arc<Sts>>, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
    let request_id = req
        .extensions
        .get::<RequestId>()
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default();
    let answer = match (sts, req.extensions.get::<StsCall>().cloned()) {
        (Some(sts), Some(call)) => dispatch(sts, &req, &call, &request_id).await,
        // The front always sets the call; without STS state nothing can be issued.
        _ => Err(StsError::new(strongbox_sts::StsErrorCode::NotInitialized)),
    };
    Ok(respond(answer, &request_id))
}

async fn dispatch(
    sts: &Arc<Sts>,
    req: &S3Request<Body>,
    call: &StsCall,
    request_id: &str,
) -> StsAnswer {
    match call.action {
        Action::AssumeRole => assume_role::handle(sts, req, call, request_id).await,
        Action::GetCallerIdentity => caller_identity::handle(sts, req, request_id),
        Action::AssumeRoleWithWebIdentity | Action::AssumeRoleWithClientGrants => {
            web_identity::handle(sts, req, call, request_id).await
        }
        Action::AssumeRoleWithCustomToken => custom_token::handle(sts, req, call, request_id).await,
        Action::AssumeRoleWithCertificate => certificate::handle(sts, req, call, request_id).await,
        Action::AssumeRoleWithLdapIdentity => ldap::handle(sts, req, call, request_id).await,
    }
}

/// The HTTP answer for `answer`, marked [`Answered`].
pub fn respond(answer: StsAnswer, request_id: &str) -> S3Response<Body> {
    let (status, body) = match answer {
        Ok(xml) => (StatusCode::OK, xml),
        Err(e) => {
            if e.status() >= 500 {
                tracing::warn!(code = e.code().wire(), "STS request failed");
            }
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (status, error_response(&e, request_id))
        }
    };
    let mut resp = S3Response::new(Body::from(Bytes::from(body)));
    resp.status = Some(status);
    resp.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE),
    );
    resp.extensions.insert(Answered);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn respond_marks_and_shapes_errors() {
        let r = respond(Err(StsError::missing_parameter("m")), "RID");
        assert_eq!(r.status, Some(StatusCode::BAD_REQUEST));
        assert!(r.extensions.get::<Answered>().is_some());
        assert_eq!(
            r.headers.get(http::header::CONTENT_TYPE).unwrap(),
            "application/xml"
        );
        let r = respond(Ok("<x/>".into()), "RID");
        assert_eq!(r.status, Some(StatusCode::OK));
    }
}
