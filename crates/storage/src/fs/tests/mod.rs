//! Tests that call the backend through the `s3s::S3` trait on a temporary directory.
