//! The JSON error body of the admin API.

use serde::{Deserialize, Serialize};

/// What MinIO's admin handlers write on failure (`writeErrorResponseJSON`), with the HTTP
/// status of the error: `{"Code", "Message", "Resource", "RequestId", "HostId"}`. minio-py
/// raises `MinioAdminException(status, body)` with it; madmin parses `Code` and `Message`.
/// `Message` is for the client: never put an internal cause in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminErrorResponse {
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Message")]
    pub message: String,
    /// The request path.
    #[serde(rename = "Resource")]
    pub resource: String,
    #[serde(rename = "RequestId")]
    pub request_id: String,
    #[serde(rename = "HostId")]
    pub host_id: String,
}
