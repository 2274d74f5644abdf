//! Which policies an OpenID credential gets (spec §6.3, §6.4 steps 8 and 10–12), and how the
//! provider's claims travel in the session token and come back as `jwt:*` condition values.
//!
//! - Role mode: `RoleArn` names a role-policy provider → its `role_policy`.
//! - Claim mode: no `RoleArn`, or one that is unknown while a claim-based provider exists (AWS
//!   SDKs always send one) → the names in the claim `<claim_prefix><claim_name>` (string with
//!   comma lists, or array of such strings).
//! - Only policies that exist now are kept; none → `InvalidParameterValue`. Policies travel in
//!   the session token and are resolved by name at each request; nothing is written (unlike
//!   MinIO, a newer login never changes the policies of older credentials, spec §17.3).
//! - Provider claims are kept under one key, [`JWT_CLAIMS`], of the token's provider claims. They
//!   become `jwt:<claim>` condition values, a namespace of their own: they can never set
//!   `aws:username`, `aws:userid`, `aws:principaltype` or `aws:groups` (spec §17.3).

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use strongbox_policy::{Action, ConditionValues, Policy, PolicySet, Request};
use strongbox_sts::{Claims, Provider as ClaimsProvider, StsError};

use super::config::ProviderConfig;

/// The provider-claims key holding the id_token's claims.
pub const JWT_CLAIMS: &str = "jwt";
/// Budget for the copied claims in the session token (its whole size is capped at 16 KiB).
pub const MAX_COPIED_CLAIMS_BYTES: usize = 6 * 1024;
/// A single claim value longer than this is not copied.
pub const MAX_CLAIM_VALUE_BYTES: usize = 1024;
/// Arrays longer than this are not copied.
pub const MAX_CLAIM_ARRAY: usize = 128;

/// How the policies of a request are chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The provider's `role_policy`; the ARN is recorded in the credential.
    Role { arn: String },
    /// Policy names from the token's claim.
    Claim,
}

/// A provider as selection sees it: its configuration and, in role mode, its ARN.
pub trait RoleProvider {
    fn config(&self) -> &ProviderConfig;
    fn role_arn(&self) -> Option<&str>;
}

/// Spec §6.3: the provider serving a request and the mode, from the `RoleArn` parameter.
pub fn select<'a, P: RoleProvider>(
    providers: &'a [Arc<P>],
    role_arn: Option<&str>,
) -> Result<(&'a Arc<P>, Mode), StsError> {
    let claim = providers.iter().find(|p| !p.config().is_role_mode());
    let requested = role_arn.filter(|a| !a.is_empty());
    if let Some(arn) = requested
        && let Some(p) = providers.iter().find(|p| p.role_arn() == Some(arn))
    {
        return Ok((
            p,
            Mode::Role {
                arn: arn.to_owned(),
            },
        ));
    }
    match (claim, requested) {
        (Some(p), _) => Ok((p, Mode::Claim)),
        (None, None) => Err(StsError::invalid_parameter(format!(
            "Role {} does not exist",
            super::config::DUMMY_ROLE_ARN
        ))),
        (None, Some(arn)) => {
            let shown: String = arn.chars().take(256).collect();
            Err(StsError::invalid_parameter(format!(
                "Error processing RoleArn parameter: role {shown} does not exist"
            )))
        }
    }
}

/// The policy names asked for (before checking they exist).
pub fn requested_policies(
    cfg: &ProviderConfig,
    mode: &Mode,
    claims: &Map<String, Value>,
) -> Result<Vec<String>, StsError> {
    if let Mode::Role { .. } = mode {
        return Ok(cfg.role_policy.clone());
    }
    let name = cfg.policy_claim();
    let values: Vec<&str> = match claims.get(&name) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => {
            return Err(StsError::invalid_parameter(format!(
                "{name} claim missing from the JWT token, credentials will not be generated"
            )));
        }
    };
    Ok(strongbox_policy::parse_policy_names(values)
        .into_iter()
        .collect())
}

/// Keeps the names for which `exists` holds; none → 400 `InvalidParameterValue` (MinIO #12056).
pub fn existing(names: &[String], exists: impl Fn(&str) -> bool) -> Result<Vec<String>, StsError> {
    let kept: Vec<String> = names.iter().filter(|n| exists(n)).cloned().collect();
    if kept.is_empty() {
        return Err(StsError::invalid_parameter(format!(
            "None of the given policies ({}) are defined, credentials will not be generated",
            names.join(",")
        )));
    }
    Ok(kept)
}

/// MinIO's parent id of an OpenID identity (spec §6.4 step 11):
/// base64url-no-pad(SHA-256(`openid:<sub>:<iss>`)).
pub fn parent_id(sub: &str, iss: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(format!("openid:{sub}:{iss}").as_bytes()))
}

/// The provider claims copied into the credential: strings, numbers, booleans and arrays of
/// strings, each bounded, in name order until [`MAX_COPIED_CLAIMS_BYTES`].
pub fn copied_claims(claims: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    let mut used = 0usize;
    for (k, v) in claims {
        let keep = match v {
            Value::String(s) => s.len() <= MAX_CLAIM_VALUE_BYTES,
            Value::Number(_) | Value::Bool(_) => true,
            Value::Array(a) => {
                a.len() <= MAX_CLAIM_ARRAY
                    && a.iter()
                        .all(|x| x.as_str().is_some_and(|s| s.len() <= MAX_CLAIM_VALUE_BYTES))
            }
            _ => false,
        };
        if !keep || k.len() > 256 {
            continue;
        }
        let size = k.len() + v.to_string().len() + 4;
        if used + size > MAX_COPIED_CLAIMS_BYTES {
            tracing::debug!(claim = %k, "claim not copied into the credential: size budget spent");
            continue;
        }
        used += size;
        out.insert(k.clone(), v.clone());
    }
    out
}

/// The credential's claims (session policy and revoke type are the handler's).
pub fn credential_claims(
    sub: &str,
    iss: &str,
    mode: &Mode,
    policies: Vec<String>,
    token_claims: &Map<String, Value>,
) -> Claims {
    let mut c = Claims::new(parent_id(sub, iss), ClaimsProvider::OpenId);
    c.sub = Some(sub.to_owned());
    c.policies = policies;
    if let Mode::Role { arn } = mode {
        c.role_arn = Some(arn.clone());
    }
    c.extra.insert(
        JWT_CLAIMS.to_owned(),
        Value::Object(copied_claims(token_claims)),
    );
    c
}

/// The `jwt:<claim>` condition values of a credential's claims (empty unless it was issued by
/// an OpenID provider or the identity plugin, whose claims travel under the same key). Arrays give multi-valued keys (`jwt:groups`).
pub fn jwt_values(claims: &Claims) -> Vec<(String, Vec<String>)> {
    if !matches!(
        claims.provider,
        ClaimsProvider::OpenId | ClaimsProvider::Plugin
    ) {
        return Vec::new();
    }
    let Some(Value::Object(jwt)) = claims.extra.get(JWT_CLAIMS) else {
        return Vec::new();
    };
    jwt.iter()
        .filter_map(|(k, v)| {
            let values = match v {
                Value::String(s) => vec![s.clone()],
                Value::Number(n) => vec![n.to_string()],
                Value::Bool(b) => vec![b.to_string()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => return None,
            };
            Some((format!("jwt:{k}"), values))
        })
        .collect()
}

/// Spec §6.4 step 12: an explicit Deny of `sts:AssumeRoleWithWebIdentity` in the credential's
/// policies (with `sts:DurationSeconds` when the client sent `DurationSeconds`, and the token's
/// `jwt:*` values) refuses the request with 403 `AccessDenied`.
pub fn deny_check(
    policies: &[(String, Arc<Policy>)],
    duration_seconds: Option<&str>,
    claims: &Claims,
) -> Result<(), StsError> {
    let mut set = PolicySet::new();
    for (name, p) in policies {
        set.add(name.clone(), Arc::clone(p));
    }
    let mut values = ConditionValues::new();
    for (k, v) in jwt_values(claims) {
        values.set(&k, v);
    }
    if let Some(d) = duration_seconds.filter(|d| !d.is_empty()) {
        values.insert("sts:DurationSeconds", d);
    }
    values.set("aws:principaltype", ["AssumedRole"]);
    values.set("aws:username", [claims.parent.as_str()]);
    values.set("aws:userid", [claims.parent.as_str()]);
    let req = Request::new(Action::StsAssumeRoleWithWebIdentity, "", None, &values);
    match set.explicit_deny(&req) {
        Some(st) => {
            tracing::info!(
                policy = st.policy,
                statement = st.index,
                "OpenID STS denied by policy"
            );
            Err(StsError::access_denied(
                "this user does not have enough permission",
            ))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug)]
    struct P(ProviderConfig, Option<String>);
    impl RoleProvider for P {
        fn config(&self) -> &ProviderConfig {
            &self.0
        }
        fn role_arn(&self) -> Option<&str> {
            self.1.as_deref()
        }
    }
    fn role(id: &str, policies: &[&str]) -> Arc<P> {
        let cfg = ProviderConfig {
            client_id: id.into(),
            role_policy: policies.iter().map(|s| s.to_string()).collect(),
            claim_name: "policy".into(),
            ..ProviderConfig::default()
        };
        Arc::new(P(cfg, Some(super::super::config::role_arn(id, None))))
    }
    fn claim(id: &str, claim_name: &str) -> Arc<P> {
        let cfg = ProviderConfig {
            client_id: id.into(),
            claim_name: claim_name.into(),
            ..ProviderConfig::default()
        };
        Arc::new(P(cfg, None))
    }

    #[test]
    fn selection_rules() {
        let a = role("minio-client-app", &["readwrite"]);
        let arn_a = a.1.clone().unwrap();
        let only_roles = vec![a.clone(), role("minio-client-app-2", &["readonly"])];
        let (p, m) = select(&only_roles, Some(&arn_a)).unwrap();
        assert_eq!(p.0.client_id, "minio-client-app");
        assert_eq!(m, Mode::Role { arn: arn_a.clone() });
        // Unknown or absent RoleArn without a claim provider: IPV.
        let e = select(&only_roles, Some("arn:minio:iam:::role/nope")).unwrap_err();
        assert!(
            e.message()
                .starts_with("Error processing RoleArn parameter"),
            "{}",
            e.message()
        );
        let e = select(&only_roles, None).unwrap_err();
        assert_eq!(
            e.message(),
            "Role arn:minio:iam:::role/dummy-internal does not exist"
        );
        // With a claim provider: unknown ARN falls back to claim mode (MinIO #21512).
        let mixed = vec![a, claim("c", "groups")];
        let (p, m) = select(&mixed, Some("arn:aws:iam::123456789012:role/x")).unwrap();
        assert_eq!((p.0.client_id.as_str(), m), ("c", Mode::Claim));
        let (p, _) = select(&mixed, Some(&arn_a)).unwrap();
        assert_eq!(p.0.client_id, "minio-client-app");
        assert_eq!(select(&mixed, None).unwrap().1, Mode::Claim);
    }

    #[test]
    fn claim_names_string_array_and_comma_lists() {
        let cfg = claim("c", "groups").0.clone();
        let claims = |v: Value| json!({ "groups": v }).as_object().unwrap().clone();
        let got =
            requested_policies(&cfg, &Mode::Claim, &claims(json!(["b,a", " c ", ""]))).unwrap();
        assert_eq!(got, ["a", "b", "c"]);
        let got = requested_policies(&cfg, &Mode::Claim, &claims(json!("x, y"))).unwrap();
        assert_eq!(got, ["x", "y"]);
        let e = requested_policies(&cfg, &Mode::Claim, &Map::new()).unwrap_err();
        assert_eq!(
            e.message(),
            "groups claim missing from the JWT token, credentials will not be generated"
        );
        let e = existing(&["nope".into(), "gone".into()], |_| false).unwrap_err();
        assert_eq!(
            e.message(),
            "None of the given policies (nope,gone) are defined, credentials will not be generated"
        );
        assert_eq!(
            existing(&["a".into(), "b".into()], |n| n == "b").unwrap(),
            ["b"]
        );
    }

    #[test]
    fn parent_id_is_minio_shape() {
        let id = parent_id("7e5e2f30", "https://idp.example");
        assert_eq!(id.len(), 43);
        assert_ne!(id, parent_id("7e5e2f30", "https://other.example"));
    }

    #[test]
    fn claims_become_jwt_values_only() {
        let token = json!({
            "sub": "u1", "iss": "https://idp", "preferred_username": "alice",
            "groups": ["projecta", "projectb"], "username": "root", "email_verified": true,
            "nested": {"a": 1}, "huge": "x".repeat(MAX_CLAIM_VALUE_BYTES + 1)
        });
        let c = credential_claims(
            "u1",
            "https://idp",
            &Mode::Claim,
            vec!["p".into()],
            token.as_object().unwrap(),
        );
        assert_eq!(
            c.groups,
            Vec::<String>::new(),
            "IdP groups never map to IAM groups"
        );
        let v: std::collections::BTreeMap<String, Vec<String>> =
            jwt_values(&c).into_iter().collect();
        assert_eq!(v["jwt:groups"], ["projecta", "projectb"]);
        assert_eq!(v["jwt:preferred_username"], ["alice"]);
        assert_eq!(v["jwt:username"], ["root"]);
        assert_eq!(v["jwt:email_verified"], ["true"]);
        assert!(!v.contains_key("jwt:nested") && !v.contains_key("jwt:huge"));
        assert!(v.keys().all(|k| k.starts_with("jwt:")));
        // Another provider's extra claims are never read as jwt values.
        let mut other = c.clone();
        other.provider = ClaimsProvider::Ldap;
        assert!(jwt_values(&other).is_empty());
    }

    #[test]
    fn copy_budget_is_bounded() {
        let mut m = Map::new();
        for i in 0..200 {
            m.insert(format!("c{i:03}"), json!("v".repeat(100)));
        }
        let out = copied_claims(&m);
        assert!(serde_json::to_string(&out).unwrap().len() <= MAX_COPIED_CLAIMS_BYTES);
        assert!(out.len() > 10);
    }

    #[test]
    fn deny_check_with_duration_condition() {
        let doc = |n: u32| {
            Arc::new(
                Policy::parse(
                    format!(
                        r#"{{"Version":"2012-10-17","Statement":[
                        {{"Effect":"Deny","Action":["sts:AssumeRoleWithWebIdentity"],
                          "Condition":{{"NumericGreaterThan":{{"sts:DurationSeconds":"{n}"}}}}}},
                        {{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}}]}}"#
                    )
                    .as_bytes(),
                )
                .unwrap(),
            )
        };
        let c = credential_claims("u", "i", &Mode::Claim, vec![], &Map::new());
        let p60 = vec![("projecta".to_string(), doc(60))];
        let e = deny_check(&p60, Some("900"), &c).unwrap_err();
        assert_eq!(e.code(), strongbox_sts::StsErrorCode::AccessDenied);
        assert!(
            deny_check(&p60, None, &c).is_ok(),
            "no DurationSeconds: condition absent"
        );
        let p1800 = vec![("projecta".to_string(), doc(1800))];
        assert!(deny_check(&p1800, Some("900"), &c).is_ok());
    }
}
