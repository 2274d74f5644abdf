//! The 50-statement policy of the IAM benchmarks: what a real team's policy looks like, with
//! conditions and policy variables, and the statement that allows the benchmark's GET last.
//!
//! - #0-#5 Deny: bucket administration, requests from outside the private networks
//!   (`NotIpAddress aws:SourceIp`), `secrets-*` buckets, unencrypted uploads to `archive-*`,
//!   anything not signed with SigV4, deleting shared objects.
//! - #6-#47 Allow, three per team bucket `team-01`..`team-14`: listing one's home
//!   (`StringLike s3:prefix` with `${aws:username}`), read/write in one's home from the team's
//!   network (`IpAddress`), reading `shared/` after a date (`DateGreaterThan aws:CurrentTime`).
//! - #48 Allow listing one's home in [`BUCKET`]; #49 Allow `s3:GetObject` on
//!   `BUCKET/home/${aws:username}/*` from 127.0.0.0/8: the statement that decides the benchmark GET.

use serde_json::{Value, json};

/// The bucket the benchmark GETs from.
pub const BUCKET: &str = "bench";
/// The IAM user holding the policy (its name is the `${aws:username}` of its requests).
pub const USER: &str = "benchuser";
/// Name of the policy in the IAM.
pub const POLICY_NAME: &str = "bench-50-statements";
/// Team buckets, three statements each.
const TEAMS: usize = 14;
/// Index of the statement that allows the benchmark GET.
pub const DECIDING_STATEMENT: usize = 49;

/// The object the benchmarks GET: inside the user's home, so only statement #49 allows it.
pub fn object_path() -> String {
    format!("/{BUCKET}/home/{USER}/object-4k")
}

/// The policy document (compact JSON).
pub fn document() -> String {
    let mut statements: Vec<Value> = vec![
        json!({"Sid": "DenyBucketAdministration", "Effect": "Deny",
               "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
                          "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning"],
               "Resource": ["arn:aws:s3:::*"]}),
        json!({"Sid": "DenyOutsidePrivateNetworks", "Effect": "Deny", "Action": ["s3:*"],
               "Resource": ["arn:aws:s3:::*"],
               "Condition": {"NotIpAddress": {"aws:SourceIp":
                   ["127.0.0.0/8", "10.0.0.0/8", "192.168.0.0/16", "::1/128"]}}}),
        json!({"Sid": "DenySecrets", "Effect": "Deny", "Action": ["s3:*"],
               "Resource": ["arn:aws:s3:::secrets-*", "arn:aws:s3:::secrets-*/*"]}),
        json!({"Sid": "DenyUnencryptedArchive", "Effect": "Deny", "Action": ["s3:PutObject"],
               "Resource": ["arn:aws:s3:::archive-*/*"],
               "Condition": {"StringNotEqualsIfExists":
                   {"s3:x-amz-server-side-encryption": ["AES256"]}}}),
        json!({"Sid": "DenyNotSigV4", "Effect": "Deny", "Action": ["s3:*"],
               "Resource": ["arn:aws:s3:::*"],
               "Condition": {"StringNotEquals": {"s3:signatureversion": ["AWS4-HMAC-SHA256"]}}}),
        json!({"Sid": "DenyDeletingShared", "Effect": "Deny", "Action": ["s3:DeleteObject"],
               "Resource": [format!("arn:aws:s3:::{BUCKET}/shared/*"), "arn:aws:s3:::team-*/shared/*".to_owned()]}),
    ];
    for team in 1..=TEAMS {
        let bucket = format!("team-{team:02}");
        statements.push(json!({
            "Sid": format!("ListHomeTeam{team:02}"), "Effect": "Allow", "Action": ["s3:ListBucket"],
            "Resource": [format!("arn:aws:s3:::{bucket}")],
            "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*", "shared/*"]}}
        }));
        statements.push(json!({
            "Sid": format!("HomeTeam{team:02}"), "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": [format!("arn:aws:s3:::{bucket}/home/${{aws:username}}/*")],
            "Condition": {"IpAddress": {"aws:SourceIp": [format!("10.{team}.0.0/16"), "127.0.0.0/8".to_owned()]}}
        }));
        statements.push(json!({
            "Sid": format!("SharedTeam{team:02}"), "Effect": "Allow", "Action": ["s3:GetObject"],
            "Resource": [format!("arn:aws:s3:::{bucket}/shared/*")],
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": ["2020-01-01T00:00:00Z"]}}
        }));
    }
    statements.push(json!({
        "Sid": "ListOwnHome", "Effect": "Allow", "Action": ["s3:ListBucket"],
        "Resource": [format!("arn:aws:s3:::{BUCKET}")],
        "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}
    }));
    statements.push(json!({
        "Sid": "ReadOwnHome", "Effect": "Allow", "Action": ["s3:GetObject"],
        "Resource": [format!("arn:aws:s3:::{BUCKET}/home/${{aws:username}}/*")],
        "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}
    }));
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use strongbox_policy::{Action, ConditionValues, Decision, Policy, PolicySet, Request};

    fn values(user: &str, ip: &str) -> ConditionValues {
        ConditionValues::new()
            .with("aws:SourceIp", ip)
            .with("aws:CurrentTime", "2026-01-01T00:00:00Z")
            .with("s3:signatureversion", "AWS4-HMAC-SHA256")
            .with("aws:username", user)
    }

    #[test]
    fn fifty_statements_small_enough_for_the_admin_api() {
        let doc = document();
        let policy = Policy::parse(doc.as_bytes()).expect("the benchmark policy parses");
        assert_eq!(policy.statements().len(), 50);
        // MinIO's add-canned-policy limit is 20 KiB.
        assert!(doc.len() < 20 * 1024, "{} bytes", doc.len());
    }

    #[test]
    fn the_last_statement_decides_the_benchmark_get() {
        let policy = Arc::new(Policy::parse(document().as_bytes()).unwrap());
        let set = PolicySet::single(POLICY_NAME, policy);
        let key = format!("home/{USER}/object-4k");
        let v = values(USER, "127.0.0.1");
        let d = set.evaluate(&Request::new(Action::GetObject, BUCKET, Some(&key), &v));
        match d {
            Decision::Allow(s) => assert_eq!(s.index, DECIDING_STATEMENT),
            other => panic!("expected Allow, got {other}"),
        }
        // Another user's home: nothing allows it.
        let other = values("someone", "127.0.0.1");
        let d = set.evaluate(&Request::new(Action::GetObject, BUCKET, Some(&key), &other));
        assert_eq!(d, Decision::ImplicitDeny);
        // From outside the private networks: denied by #1.
        let outside = values(USER, "203.0.113.9");
        let d = set.evaluate(&Request::new(
            Action::GetObject,
            BUCKET,
            Some(&key),
            &outside,
        ));
        assert!(
            matches!(d, Decision::ExplicitDeny(s) if s.index == 1),
            "{d}"
        );
    }
}
