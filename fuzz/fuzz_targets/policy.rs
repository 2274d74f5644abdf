//! Fuzz the policy parser and evaluator: any bytes must parse to a policy or a clean error, never
//! panic or hang; a parsed policy must re-serialise to canonical JSON that parses again to the same
//! canonical JSON, and evaluation against a fixed set of requests must agree between the two.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use strongbox_policy::{
    Action, ConditionValues, ParseOptions, Parent, Policy, PolicySet, Principal, Request, evaluate_session,
};

fn contexts() -> Vec<ConditionValues> {
    vec![
        ConditionValues::new(),
        ConditionValues::new()
            .with("aws:username", "bob")
            .with("aws:userid", "bob")
            .with("aws:groups", "staff")
            .with("aws:groups", "dev")
            .with("aws:SourceIp", "192.0.2.7")
            .with("aws:SecureTransport", "true")
            .with("aws:CurrentTime", "2024-05-01T12:00:00Z")
            .with("aws:EpochTime", "1714564800")
            .with("s3:prefix", "home/bob/")
            .with("s3:max-keys", "100")
            .with("jwt:sub", "abc*?")
            .with("s3:RequestObjectTagKeys", "security"),
        ConditionValues::new()
            .with("aws:username", "*")
            .with("aws:SourceIp", "2001:db8::1")
            .with("aws:SecureTransport", "false"),
    ]
}

const REQUESTS: &[(Action, &str, Option<&str>)] = &[
    (Action::GetObject, "bob", Some("home/bob/a.txt")),
    (Action::GetObject, "bob2", Some("x")),
    (Action::PutObject, "bucket", Some("a/b/c")),
    (Action::ListBucket, "bucket", None),
    (Action::ListAllMyBuckets, "", None),
    (Action::AdminServerInfo, "", None),
    (Action::AdminCreateServiceAccount, "", None),
    (Action::KmsStatus, "", None),
    (Action::StsAssumeRoleWithWebIdentity, "", None),
];

fuzz_target!(|data: &[u8]| {
    for opts in [ParseOptions::IDENTITY, ParseOptions::SESSION, ParseOptions::BUCKET] {
        let Ok(policy) = Policy::parse_with(data, &opts) else {
            continue;
        };
        let canonical = policy.to_canonical_json();
        let again = Policy::parse_with(canonical.as_bytes(), &opts).expect("canonical JSON must parse");
        assert_eq!(again.to_canonical_json(), canonical, "canonical form must be a fixed point");

        let a = PolicySet::single("fuzz", Arc::new(policy));
        let b = PolicySet::single("fuzz", Arc::new(again));
        for ctx in contexts() {
            for (action, bucket, object) in REQUESTS {
                let req = Request::new(*action, bucket, *object, &ctx);
                let da = a.evaluate(&req);
                assert_eq!(da.is_allowed(), b.evaluate(&req).is_allowed());
                let anon = a.evaluate_bucket(&req, Principal::Anonymous);
                assert_eq!(anon.is_allowed(), b.evaluate_bucket(&req, Principal::Anonymous).is_allowed());
                // Intersection never widens either side.
                let s = evaluate_session(Parent::Policies(&b), &a, &req);
                if s.is_allowed() {
                    assert!(da.is_allowed());
                }
                let owner = evaluate_session(Parent::Owner, &a, &req);
                assert_eq!(owner.is_allowed(), da.is_allowed());
            }
        }
    }
});
