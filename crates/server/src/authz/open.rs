//! Opening the node's IAM: embedded store under the data directory, canned policies, validator.

use std::path::Path;
use std::sync::Arc;

use strongbox_iam::{Iam, IamConfig, IamError};
use strongbox_policy::{CANNED_POLICY_NAMES, Policy, canned_policy_json};

use crate::credentials::RootCredentials;

/// The policy crate as the IAM's validator: named policies and service-account embedded
/// policies are parsed strictly (identity-policy grammar) before they are stored.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicyCrateValidator;

impl strongbox_iam::PolicyValidator for PolicyCrateValidator {
    fn validate(&self, document: &str) -> Result<(), String> {
        Policy::parse(document.as_bytes())
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// MinIO measures the re-serialised policy against the 4096-byte limit.
    fn embedded_size(&self, document: &str) -> usize {
        Policy::parse(document.as_bytes()).map_or(document.len(), |p| p.canonical_len())
    }
}

/// What the IAM needs from the server: the root credential, the canned policies, the validator.
#[must_use]
pub fn iam_config(root: &RootCredentials) -> IamConfig {
    IamConfig {
        root: strongbox_iam::RootCredentials {
            access_key: root.access_key().to_owned(),
            secret_key: strongbox_iam::SecretKey::new(root.secret_key().expose()),
        },
        canned: CANNED_POLICY_NAMES
            .iter()
            .filter_map(|name| canned_policy_json(name).map(|j| ((*name).to_owned(), j.to_owned())))
            .collect(),
        validator: Arc::new(PolicyCrateValidator),
    }
}

/// Opens the embedded IAM store of data directory `dir` (`DIR/.strongbox/iam.redb`). Blocks on
/// disk I/O: call it from `spawn_blocking` inside a runtime.
pub fn open_iam(dir: &Path, root: &RootCredentials) -> Result<Iam, IamError> {
    Iam::open(dir, iam_config(root))
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::auth::SecretKey;
    use strongbox_iam::{MemoryStore, PolicyValidator};

    fn root() -> RootCredentials {
        RootCredentials::new("rootuser".into(), SecretKey::from("rootpassword")).unwrap()
    }

    #[test]
    fn canned_policies_are_visible_and_the_validator_is_strict() {
        let iam = Iam::with_store(Arc::new(MemoryStore::new()), iam_config(&root())).unwrap();
        let snap = iam.snapshot();
        for name in CANNED_POLICY_NAMES {
            assert!(snap.policy(name).is_some(), "{name}");
        }
        assert_eq!(snap.root_access_key(), "rootuser");
        let err = iam.put_policy("bad", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Bogus":1}]}"#).unwrap_err();
        assert_eq!(err.code(), "XMinioMalformedIAMPolicy");
        let v = PolicyCrateValidator;
        let spaced = r#"{ "Version" : "2012-10-17", "Statement" : [ { "Effect" : "Allow", "Action" : "s3:GetObject", "Resource" : "arn:aws:s3:::b/*" } ] }"#;
        assert!(v.embedded_size(spaced) < spaced.len());
    }

    #[test]
    fn opens_under_the_data_directory_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let iam = open_iam(dir.path(), &root()).unwrap();
            iam.add_user("alice", "alicesecret", strongbox_iam::Status::Enabled)
                .unwrap();
        }
        assert!(dir.path().join(".strongbox/iam.redb").exists());
        let iam = open_iam(dir.path(), &root()).unwrap();
        assert!(iam.snapshot().user("alice").is_some());
    }
}
