//! MinIO's built-in policies (spec §12.5), as documents parsed by the same parser as any other.

use crate::document::Policy;

/// Names of the canned policies.
pub const CANNED_POLICY_NAMES: [&str; 5] = [
    "readwrite",
    "readonly",
    "writeonly",
    "diagnostics",
    "consoleAdmin",
];

const READWRITE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}"#;
const READONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetObject"],"Resource":["arn:aws:s3:::*"]}]}"#;
const WRITEONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::*"]}]}"#;
const DIAGNOSTICS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:BandwidthMonitor","admin:ConsoleLog","admin:OBDInfo","admin:Profiling","admin:Prometheus","admin:ServerInfo","admin:ServerTrace","admin:TopLocksInfo"],"Resource":["arn:aws:s3:::*"]}]}"#;
const CONSOLE_ADMIN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:*"]},{"Effect":"Allow","Action":["kms:*"]},{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}"#;

/// The JSON text of a canned policy.
pub fn canned_policy_json(name: &str) -> Option<&'static str> {
    Some(match name {
        "readwrite" => READWRITE,
        "readonly" => READONLY,
        "writeonly" => WRITEONLY,
        "diagnostics" => DIAGNOSTICS,
        "consoleAdmin" => CONSOLE_ADMIN,
        _ => return None,
    })
}

/// A canned policy, parsed.
pub fn canned_policy(name: &str) -> Option<Policy> {
    // The texts above are fixed and covered by a test; a parse failure here is impossible.
    canned_policy_json(name).and_then(|j| Policy::parse(j.as_bytes()).ok())
}
