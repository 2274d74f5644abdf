//! `GetCallerIdentity` (AWS STS; MinIO lacks it): who signed this request. Any credential may
//! ask, temporary ones included. The answer follows AWS's shape (`Arn`, `UserId`, `Account`)
//! with MinIO-style ARNs (partition `minio`, empty account, as MinIO's role ARNs):
//!
//! | Caller | `Arn` | `UserId` |
//! |---|---|---|
//! | root | `arn:minio:iam:::root` | root access key |
//! | IAM user | `arn:minio:iam:::user/<name>` | name |
//! | service account | `arn:minio:iam:::service-account/<access key>` | access key |
//! | temporary (AssumeRole) | `arn:minio:sts:::assumed-role/<parent>/<access key>` | `<parent>:<access key>` |
//!
//! `Account` is empty: Strongbox has no account ids.

use s3s::{Body, S3Request};
use strongbox_iam::Principal;
use strongbox_sts::StsError;
use strongbox_sts::xml::caller_identity_response;

use super::StsAnswer;
use crate::sts::{Sts, session};

pub fn handle(sts: &Sts, req: &S3Request<Body>, request_id: &str) -> StsAnswer {
    let Some(creds) = req.credentials.as_ref() else {
        return Err(StsError::access_denied("Request is not signed."));
    };
    if req.service.as_deref() != Some("sts") {
        return Err(StsError::access_denied(
            "Credential should be scoped to the correct service: 'sts'.",
        ));
    }
    let ak = creds.access_key.as_str();
    if let Some(temp) = session::verified(ak) {
        let arn = format!("arn:minio:sts:::assumed-role/{}/{ak}", temp.parent());
        let user_id = format!("{}:{ak}", temp.parent());
        return Ok(caller_identity_response(&arn, &user_id, "", request_id));
    }
    if session::request_has_token() {
        // A static key with a session token (MinIO #13388).
        return Err(StsError::access_denied(
            "The security token included in the request is invalid",
        ));
    }
    let snapshot = sts.iam().snapshot();
    let principal = snapshot
        .resolve_access_key(ak, sts.now())
        .ok_or_else(|| StsError::access_denied("Access Denied."))?
        .usable()
        .map_err(|_| {
            StsError::access_denied("Your account is disabled; please contact your administrator.")
        })?;
    let (arn, user_id) = match principal {
        Principal::Root(_) => ("arn:minio:iam:::root".to_owned(), ak.to_owned()),
        Principal::User(_) => (format!("arn:minio:iam:::user/{ak}"), ak.to_owned()),
        Principal::ServiceAccount { .. } => (
            format!("arn:minio:iam:::service-account/{ak}"),
            ak.to_owned(),
        ),
    };
    Ok(caller_identity_response(&arn, &user_id, "", request_id))
}
