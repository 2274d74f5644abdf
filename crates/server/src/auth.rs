//! The s3s authentication hook: access key → secret, for signature verification.

use std::sync::Arc;

use s3s::S3Result;
use s3s::auth::{S3Auth, SecretKey};

use crate::identity::Identities;

/// Hands s3s the secret for an access key; s3s then verifies the signature (SigV4 header,
/// presigned query, POST form, streaming chunks; SigV2) with it.
#[derive(Debug, Clone)]
pub struct Auth {
    identities: Arc<Identities>,
}

impl Auth {
    #[must_use]
    pub fn new(identities: Arc<Identities>) -> Self {
        Self { identities }
    }
}

#[async_trait::async_trait]
impl S3Auth for Auth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        self.identities.secret_key(access_key)
    }
}
