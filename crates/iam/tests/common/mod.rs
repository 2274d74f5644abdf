//! Shared helpers for the IAM integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use strongbox_iam::{Iam, IamConfig, IamStore, MemoryStore, RootCredentials, SecretKey};

pub const ROOT_AK: &str = "rootadmin";
pub const ROOT_SK: &str = "rootsecret123";

pub const READONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetObject"],"Resource":["arn:aws:s3:::*"]}]}"#;
pub const READWRITE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}"#;
pub const GET_B: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}"#;

/// A stand-in for the policy crate's validator: JSON object with a `Version`.
pub fn validate(doc: &str) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(doc).map_err(|e| e.to_string())?;
    if v.get("Version").is_none() {
        return Err("missing Version".into());
    }
    Ok(())
}

pub fn config() -> IamConfig {
    IamConfig {
        root: RootCredentials {
            access_key: ROOT_AK.into(),
            secret_key: SecretKey::new(ROOT_SK),
        },
        canned: vec![
            ("readonly".into(), READONLY.into()),
            ("readwrite".into(), READWRITE.into()),
        ],
        validator: Arc::new(validate),
    }
}

pub fn open(dir: &Path) -> Iam {
    Iam::open(dir, config()).expect("open iam")
}

pub fn memory() -> (Arc<MemoryStore>, Iam) {
    let store = Arc::new(MemoryStore::new());
    let iam = Iam::with_store(Arc::clone(&store) as Arc<dyn IamStore>, config()).expect("open");
    (store, iam)
}
