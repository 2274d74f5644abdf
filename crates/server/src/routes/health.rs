//! `/minio/health/live` and `/minio/health/ready`, answered without credentials.

use http::StatusCode;
use s3s::{Body, S3Response};

use crate::state::ServerState;

/// Live: the process answers HTTP.
pub fn live() -> S3Response<Body> {
    S3Response::with_status(Body::empty(), StatusCode::OK)
}

/// Ready: 200 while serving, 503 once a shutdown signal arrived.
pub fn ready(state: &ServerState) -> S3Response<Body> {
    let status = if state.is_draining() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    S3Response::with_status(Body::empty(), status)
}
