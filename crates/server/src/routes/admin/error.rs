//! Admin API errors: one table of MinIO codes with their HTTP status, written as the JSON body
//! madmin and minio-py read (`{"Code","Message","Resource","RequestId","HostId"}`).
//!
//! The client sees a code and a fixed message; an internal cause goes to the log only.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use s3s::{Body, S3Response};
use strongbox_iam::IamError;
use strongbox_madmin::types::{AdminErrorResponse, BodyError};

/// An admin request that failed: what the client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminError {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
}

impl AdminError {
    pub const fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        Self {
            status,
            code,
            message: Cow::Borrowed(message),
        }
    }

    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    #[must_use]
    pub fn code(&self) -> &'static str {
        self.code
    }

    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A signature, credential or permission problem (MinIO answers every one with 403).
    pub const fn access_denied() -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied.")
    }

    pub const fn invalid_argument(message: &'static str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "XMinioAdminInvalidArgument",
            message,
        )
    }

    pub const fn bad_json() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "XMinioAdminConfigBadJSON",
            "JSON configuration provided is of incorrect format",
        )
    }

    pub const fn too_large() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "XMinioAdminConfigTooLarge",
            "Configuration data provided exceeds the allowed maximum",
        )
    }

    pub const fn no_such_user() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "XMinioAdminNoSuchUser",
            "The specified user does not exist",
        )
    }

    /// CVE-2023-27589 and friends: the root access key, or a credential that is not an IAM user,
    /// named where only an IAM user may be.
    pub const fn root_key_reserved() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "XMinioInvalidIAMCredentials",
            "Credential is not allowed to be same as admin access key",
        )
    }

    pub const fn account_not_eligible() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "XMinioInvalidIAMCredentials",
            "The account key is not eligible for this operation",
        )
    }

    pub const fn service_account_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "XMinioInvalidIAMCredentials",
            "The specified service account is not found",
        )
    }

    pub const fn unknown_api() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "XMinioUnknownAPIRequest",
            "Unknown or unsupported admin API request",
        )
    }

    pub const fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error, please try again.",
        )
    }

    /// The JSON error response for request `resource` (the path) and `request_id`.
    #[must_use]
    pub fn into_response(self, resource: &str, request_id: &str) -> S3Response<Body> {
        let body = AdminErrorResponse {
            code: self.code.to_owned(),
            message: self.message.into_owned(),
            resource: resource.to_owned(),
            request_id: request_id.to_owned(),
            host_id: String::new(),
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        json_response(self.status, Bytes::from(bytes))
    }
}

/// Rewrites an S3 XML error that s3s produced for an admin path (a signature it refused before
/// the admin route ran: `SignatureDoesNotMatch`, `InvalidAccessKeyId`, clock skew, ...) into the
/// admin JSON error shape with the same status and code. Other responses pass unchanged.
#[must_use]
pub fn admin_error_as_json(
    resp: http::Response<Body>,
    path: &str,
    request_id: &str,
) -> http::Response<Body> {
    let is_xml = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/xml"));
    if !(resp.status().is_client_error() || resp.status().is_server_error()) || !is_xml {
        return resp;
    }
    let Some(xml) = resp.body().bytes() else {
        return resp;
    };
    let xml = String::from_utf8_lossy(&xml);
    let code = xml_element(&xml, "Code").unwrap_or_else(|| "AccessDenied".to_owned());
    let message = xml_element(&xml, "Message").unwrap_or_default();
    let body = AdminErrorResponse {
        code,
        message,
        resource: path.to_owned(),
        request_id: request_id.to_owned(),
        host_id: String::new(),
    };
    let (mut parts, _) = resp.into_parts();
    parts.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(http::header::CONTENT_LENGTH);
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    http::Response::from_parts(parts, Body::from(Bytes::from(bytes)))
}

/// The unescaped text of the first `<name>...</name>` of an s3s error body.
fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    let text = &xml[start..end];
    Some(
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// A response with a JSON (or empty) body.
pub(super) fn json_response(status: StatusCode, bytes: Bytes) -> S3Response<Body> {
    let mut resp = S3Response::with_status(Body::from(bytes), status);
    resp.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

impl From<IamError> for AdminError {
    fn from(e: IamError) -> Self {
        use StatusCode as S;
        let (status, code, message): (StatusCode, &'static str, Cow<'static, str>) = match &e {
            IamError::InvalidArgument { .. } | IamError::InvalidExpiration(_) => (
                S::BAD_REQUEST,
                "XMinioAdminInvalidArgument",
                e.client_message().into(),
            ),
            IamError::ReservedAccessKey => return Self::root_key_reserved(),
            IamError::AccessKeyInUse => (
                S::CONFLICT,
                "XMinioAdminAccessKeyInUse",
                "The access key is already in use by another identity".into(),
            ),
            IamError::NoSuchUser => return Self::no_such_user(),
            IamError::NoSuchGroup => (
                S::NOT_FOUND,
                "XMinioAdminNoSuchGroup",
                "The specified group does not exist".into(),
            ),
            IamError::NoSuchPolicy => (
                S::NOT_FOUND,
                "XMinioAdminNoSuchPolicy",
                "The canned policy does not exist".into(),
            ),
            IamError::NoSuchServiceAccount => return Self::service_account_not_found(),
            IamError::GroupNotEmpty => (
                S::BAD_REQUEST,
                "XMinioAdminGroupNotEmpty",
                "The specified group is not empty - cannot remove it".into(),
            ),
            IamError::PolicyInUse => (
                S::BAD_REQUEST,
                "XMinioAdminPolicyInUse",
                "The policy is attached to a user or group; detach it first".into(),
            ),
            IamError::CannedPolicy => (
                S::BAD_REQUEST,
                "XMinioIAMActionNotAllowed",
                "A built-in policy cannot be removed".into(),
            ),
            IamError::PolicyChangeAlreadyApplied => (
                S::BAD_REQUEST,
                "XMinioAdminPolicyChangeAlreadyApplied",
                "The specified policy change is already in effect.".into(),
            ),
            IamError::PolicyTargetNotAllowed => (
                S::BAD_REQUEST,
                "XMinioIAMActionNotAllowed",
                "Policies cannot be attached to this identity".into(),
            ),
            // The policy crate's messages say where the document is wrong; they quote no secret.
            IamError::MalformedPolicy(_) => (
                S::BAD_REQUEST,
                "XMinioMalformedIAMPolicy",
                e.client_message().into(),
            ),
            IamError::PolicyTooLarge => (
                S::BAD_REQUEST,
                "XMinioMalformedIAMPolicy",
                "The policy document is too large".into(),
            ),
            IamError::Conflict | IamError::BlobVersionMismatch { .. } => (
                S::CONFLICT,
                "XMinioAdminConflict",
                "A concurrent change won; please retry".into(),
            ),
            IamError::NoSuchBlob | IamError::Store(_) => {
                tracing::error!(error = %e, "admin: IAM store failure");
                return Self::internal();
            }
        };
        Self {
            status,
            code,
            message,
        }
    }
}

impl From<BodyError> for AdminError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge { .. } => Self::too_large(),
            BodyError::Invalid(_) | BodyError::Json(_) => {
                tracing::debug!(error = %e, "admin: request body refused");
                Self::bad_json()
            }
            _ => Self::bad_json(),
        }
    }
}

impl From<strongbox_madmin::Error> for AdminError {
    fn from(e: strongbox_madmin::Error) -> Self {
        tracing::debug!(error = %e, "admin: encrypted body refused");
        match e {
            strongbox_madmin::Error::TooLarge { .. } => Self::too_large(),
            _ => Self::bad_json(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::{S3Error, S3ErrorCode};
    use strongbox_iam::StoreError;

    #[test]
    fn iam_errors_map_to_minio_codes_and_statuses() {
        let cases = [
            (IamError::NoSuchUser, 404, "XMinioAdminNoSuchUser"),
            (IamError::NoSuchGroup, 404, "XMinioAdminNoSuchGroup"),
            (IamError::NoSuchPolicy, 404, "XMinioAdminNoSuchPolicy"),
            (
                IamError::NoSuchServiceAccount,
                404,
                "XMinioInvalidIAMCredentials",
            ),
            (
                IamError::ReservedAccessKey,
                403,
                "XMinioInvalidIAMCredentials",
            ),
            (IamError::GroupNotEmpty, 400, "XMinioAdminGroupNotEmpty"),
            (
                IamError::PolicyChangeAlreadyApplied,
                400,
                "XMinioAdminPolicyChangeAlreadyApplied",
            ),
            (
                IamError::MalformedPolicy("Statement #1: bad".into()),
                400,
                "XMinioMalformedIAMPolicy",
            ),
        ];
        for (e, status, code) in cases {
            let a = AdminError::from(e);
            assert_eq!((a.status().as_u16(), a.code()), (status, code));
        }
    }

    #[test]
    fn store_detail_never_reaches_the_client() {
        let a = AdminError::from(IamError::Store(StoreError::Backend(
            "disk /secret/path failed".into(),
        )));
        assert_eq!(a.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!a.message().contains("/secret"));
    }

    #[test]
    fn s3s_signature_errors_on_admin_paths_become_admin_json() {
        let xml = S3Error::with_message(S3ErrorCode::SignatureDoesNotMatch, "a & b")
            .to_http_response()
            .unwrap();
        let resp = admin_error_as_json(xml, "/minio/admin/v3/list-users", "ID1");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            resp.headers()[http::header::CONTENT_TYPE],
            "application/json"
        );
        let v: serde_json::Value = serde_json::from_slice(&resp.body().bytes().unwrap()).unwrap();
        assert_eq!(v["Code"], "SignatureDoesNotMatch");
        assert_eq!(v["Message"], "a & b");
        assert_eq!(v["RequestId"], "ID1");
        // Successes and JSON errors pass unchanged.
        let ok = http::Response::new(Body::from(Bytes::from_static(b"<x/>")));
        let ok = admin_error_as_json(ok, "/p", "ID");
        assert_eq!(ok.body().bytes().unwrap(), Bytes::from_static(b"<x/>"));
    }

    #[test]
    fn the_body_has_minio_shape() {
        let resp = AdminError::access_denied().into_response("/minio/admin/v3/add-user", "ABC");
        assert_eq!(resp.status, Some(StatusCode::FORBIDDEN));
        let body = resp.output.bytes().expect("in-memory body");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["Code"], "AccessDenied");
        assert_eq!(v["Resource"], "/minio/admin/v3/add-user");
        assert_eq!(v["RequestId"], "ABC");
        assert!(v.get("HostId").is_some() && v.get("Message").is_some());
    }
}
