//! Which policies OpenID credentials get and how claims take part in decisions (spec §6.3,
//! §6.4, §12.4, §17.3): two role-policy providers and one claim-based provider at once,
//! `jwt:groups` conditions, claims that try to be `aws:username`, `DurationSeconds`, the
//! `sts:AssumeRoleWithWebIdentity` deny check, session policies, ClientGrants, UserInfo.

mod openid_support;
mod sts_common;

use openid_support::{Idp, Signing, Srv, bucket_policy, claims, start};
use serde_json::json;
use strongbox_idp::openid::config::role_arn;
use sts_common::{Signer, element, sts_error};

const APP1: &str = "minio-client-app";
const APP2: &str = "minio-client-app-2";
const CLAIMS_APP: &str = "claims-app";

struct Three {
    idp1: Idp,
    k1: Signing,
    idp2: Idp,
    k2: Signing,
    idp3: Idp,
    k3: Signing,
    srv: Srv,
}

/// Provider 1 and 2 in role mode (policies `projecta` / `projectb`), provider 3 claim-based
/// with claim `groups`.
async fn three_providers() -> Three {
    let (k1, k2, k3) = (Signing::rsa("k1"), Signing::ec("k2"), Signing::ed("k3"));
    let (idp1, idp2, idp3) = (
        Idp::start(&[&k1]).await,
        Idp::start(&[&k2]).await,
        Idp::start(&[&k3]).await,
    );
    let (u1, u2, u3) = (idp1.config_url(), idp2.config_url(), idp3.config_url());
    let srv = start(&[
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", &u1),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP1),
        ("MINIO_IDENTITY_OPENID_ROLE_POLICY", "projecta"),
        ("MINIO_IDENTITY_OPENID_CONFIG_URL_APP2", &u2),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID_APP2", APP2),
        ("MINIO_IDENTITY_OPENID_ROLE_POLICY_APP2", "projectb"),
        ("MINIO_IDENTITY_OPENID_CONFIG_URL_CLAIMS", &u3),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID_CLAIMS", CLAIMS_APP),
        ("MINIO_IDENTITY_OPENID_CLAIM_NAME_CLAIMS", "groups"),
    ])
    .await;
    srv.policy("projecta", &bucket_policy(&["projecta"]));
    srv.policy("projectb", &bucket_policy(&["projectb"]));
    srv.policy("other", &bucket_policy(&["other"]));
    Three {
        idp1,
        k1,
        idp2,
        k2,
        idp3,
        k3,
        srv,
    }
}

async fn creds(srv: &Srv, token: &str, extra: &[(&str, &str)]) -> Signer {
    let r = srv.web_identity(token, extra).await;
    assert_eq!(r.status, 200, "{}", r.body);
    Signer::from_response(&r.body)
}

async fn buckets(srv: &Srv, who: &Signer) -> Vec<&'static str> {
    let mut out = Vec::new();
    for b in ["projecta", "projectb", "projectaorb", "other"] {
        if srv.head_bucket(who, b).await == 200 {
            out.push(b);
        }
    }
    out
}

#[tokio::test]
async fn two_role_providers_and_one_claim_provider_at_once() {
    let t = three_providers().await;
    let arn1 = role_arn(APP1, None);
    let arn2 = role_arn(APP2, None);
    assert_eq!(arn1, "arn:minio:iam:::role/nOybJqMNzNmroqEKq5D0EUsRZw0");

    let tok1 = t.k1.sign(&claims(&t.idp1, APP1, "dillon", json!({})));
    let c1 = creds(&t.srv, &tok1, &[("RoleArn", &arn1)]).await;
    assert_eq!(buckets(&t.srv, &c1).await, ["projecta"]);

    let tok2 = t.k2.sign(&claims(&t.idp2, APP2, "dillon", json!({})));
    let c2 = creds(&t.srv, &tok2, &[("RoleArn", &arn2)]).await;
    assert_eq!(buckets(&t.srv, &c2).await, ["projectb"]);

    // Claim mode: no RoleArn, or an ARN we do not know (AWS SDKs always send one).
    let tok3 = t.k3.sign(&claims(
        &t.idp3,
        CLAIMS_APP,
        "liza",
        json!({"groups": ["other"]}),
    ));
    let c3 = creds(&t.srv, &tok3, &[]).await;
    assert_eq!(buckets(&t.srv, &c3).await, ["other"]);
    let c3 = creds(
        &t.srv,
        &tok3,
        &[("RoleArn", "arn:aws:iam::123456789012:role/x")],
    )
    .await;
    assert_eq!(buckets(&t.srv, &c3).await, ["other"]);

    // A token must come from the provider its RoleArn names: provider 1's token with
    // provider 2's ARN fails (wrong key, issuer and audience), and vice versa.
    let r = t.srv.web_identity(&tok1, &[("RoleArn", &arn2)]).await;
    sts_error(&r, 400, "InvalidParameterValue");
    let r = t.srv.web_identity(&tok3, &[("RoleArn", &arn1)]).await;
    sts_error(&r, 400, "InvalidParameterValue");
    // A role-mode token never reaches claim mode (it is validated by the claim provider).
    let r = t.srv.web_identity(&tok1, &[]).await;
    sts_error(&r, 400, "InvalidParameterValue");
}

#[tokio::test]
async fn missing_role_policy_is_invalid_parameter() {
    let t = three_providers().await;
    t.srv.iam.delete_policy("projecta").unwrap();
    let tok = t.k1.sign(&claims(&t.idp1, APP1, "dillon", json!({})));
    let r = t
        .srv
        .web_identity(&tok, &[("RoleArn", &role_arn(APP1, None))])
        .await;
    let m = sts_error(&r, 400, "InvalidParameterValue");
    assert!(
        m.starts_with("None of the given policies (projecta)"),
        "{m}"
    );
}

#[tokio::test]
async fn jwt_groups_conditions_give_users_different_buckets() {
    // MinIO's test: role_policy=projecta,projectb,projectaorb conditioned on jwt:groups.
    let key = Signing::rsa("k");
    let idp = Idp::start(&[&key]).await;
    let url = idp.config_url();
    let srv = start(&[
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP1),
        (
            "MINIO_IDENTITY_OPENID_ROLE_POLICY",
            "projecta,projectb,projectaorb",
        ),
    ])
    .await;
    let cond = |bucket: &str, groups: &[&str]| {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["s3:*"],
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": {"ForAnyValue:StringEquals": {"jwt:groups": groups}}
        }]})
        .to_string()
    };
    srv.policy("projecta", &cond("projecta", &["projecta"]));
    srv.policy("projectb", &cond("projectb", &["projectb"]));
    srv.policy(
        "projectaorb",
        &cond("projectaorb", &["projecta", "projectb"]),
    );
    let arn = role_arn(APP1, None);
    let dillon = key.sign(&claims(
        &idp,
        APP1,
        "dillon",
        json!({"groups": ["projecta", "projectb"]}),
    ));
    let liza = key.sign(&claims(&idp, APP1, "liza", json!({"groups": ["projectb"]})));
    let d = creds(&srv, &dillon, &[("RoleArn", &arn)]).await;
    let l = creds(&srv, &liza, &[("RoleArn", &arn)]).await;
    assert_eq!(
        buckets(&srv, &d).await,
        ["projecta", "projectb", "projectaorb"]
    );
    assert_eq!(buckets(&srv, &l).await, ["projectb", "projectaorb"]);
}

#[tokio::test]
async fn claims_never_override_aws_identity_keys() {
    // Spec §17.3: MinIO lets IdP claims named username/userid/principaltype/groups override
    // the aws: condition keys.
    let key = Signing::rsa("k");
    let idp = Idp::start(&[&key]).await;
    let url = idp.config_url();
    let srv = start(&[
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP1),
        ("MINIO_IDENTITY_OPENID_ROLE_POLICY", "home,pref"),
    ])
    .await;
    srv.policy("home", &bucket_policy(&["${aws:username}"]));
    srv.policy("pref", &bucket_policy(&["${jwt:preferred_username}"]));
    let token = key.sign(&claims(
        &idp,
        APP1,
        "sub-1",
        json!({"username": "victim", "userid": "victim", "principaltype": "Account",
               "preferred_username": "alice"}),
    ));
    let c = creds(&srv, &token, &[("RoleArn", &role_arn(APP1, None))]).await;
    assert_eq!(srv.head_bucket(&c, "victim").await, 403);
    assert_eq!(
        srv.head_bucket(&c, "alice").await,
        200,
        "jwt variables work"
    );
}

#[tokio::test]
async fn duration_never_outlives_the_id_token() {
    let key = Signing::rsa("k");
    let idp = Idp::start(&[&key]).await;
    let url = idp.config_url();
    let srv = start(&[
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP1),
    ])
    .await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let c = claims(
        &idp,
        APP1,
        "u",
        json!({"policy": "readonly", "exp": now + 1200}),
    );
    let token = key.sign(&c);
    let exp_of = |body: &str| {
        let e = element(body, "Expiration").unwrap();
        time::OffsetDateTime::parse(e, &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp()
    };
    let r = srv.web_identity(&token, &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!((exp_of(&r.body) - (now + 1200)).abs() <= 2);
    let r = srv
        .web_identity(&token, &[("DurationSeconds", "86400")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        exp_of(&r.body) <= now + 1202,
        "capped by the id_token's exp"
    );
    let r = srv
        .web_identity(&token, &[("DurationSeconds", "900")])
        .await;
    assert!((exp_of(&r.body) - (now + 900)).abs() <= 2);
    for bad in ["899", "31536001", "9s"] {
        let r = srv.web_identity(&token, &[("DurationSeconds", bad)]).await;
        assert_eq!(
            sts_error(&r, 400, "InvalidParameterValue"),
            "invalid token expiry"
        );
    }
}

#[tokio::test]
async fn danger_option_lets_duration_outlive_the_id_token() {
    let key = Signing::rsa("k");
    let idp = Idp::start(&[&key]).await;
    let url = idp.config_url();
    let srv = start(&[
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP1),
        (
            "STRONGBOX_IDENTITY_OPENID_DANGER_ALLOW_OUTLIVING_ID_TOKEN",
            "on",
        ),
    ])
    .await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let c = claims(
        &idp,
        APP1,
        "u",
        json!({"policy": "readonly", "exp": now + 1200}),
    );
    let r = srv
        .web_identity(&key.sign(&c), &[("DurationSeconds", "86400")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let e = element(&r.body, "Expiration").unwrap();
    let exp = time::OffsetDateTime::parse(e, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp();
    assert!((exp - (now + 86400)).abs() <= 2, "{exp} vs {now}");
}

#[tokio::test]
async fn deny_assume_role_with_web_identity_by_duration() {
    // MinIO's test: Deny sts:AssumeRoleWithWebIdentity when sts:DurationSeconds > N.
    let key = Signing::rsa("k");
    let idp = Idp::start(&[&key]).await;
    let url = idp.config_url();
    let srv = start(&[
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP1),
        ("MINIO_IDENTITY_OPENID_CLAIM_NAME", "groups"),
    ])
    .await;
    let doc = |n: u32| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": ["sts:AssumeRoleWithWebIdentity"],
             "Condition": {"NumericGreaterThan": {"sts:DurationSeconds": n.to_string()}}},
            {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::projecta", "arn:aws:s3:::projecta/*"]}
        ]})
        .to_string()
    };
    srv.policy("projecta", &doc(60));
    let token = key.sign(&claims(
        &idp,
        APP1,
        "dillon",
        json!({"groups": ["projecta"]}),
    ));
    let r = srv
        .web_identity(&token, &[("DurationSeconds", "900")])
        .await;
    assert_eq!(
        sts_error(&r, 403, "AccessDenied"),
        "this user does not have enough permission"
    );
    srv.policy("projecta", &doc(1800));
    let c = creds(&srv, &token, &[("DurationSeconds", "900")]).await;
    assert_eq!(srv.head_bucket(&c, "projecta").await, 200);
}

#[tokio::test]
async fn session_policy_narrows_and_client_grants_answers_subject_from_token() {
    let key = Signing::ec("k");
    let idp = Idp::start(&[&key]).await;
    let url = idp.config_url();
    let srv = start(&[
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP1),
    ])
    .await;
    srv.policy("ab", &bucket_policy(&["projecta", "projectb"]));
    let token = key.sign(&claims(&idp, APP1, "svc-42", json!({"policy": "ab"})));
    let session = bucket_policy(&["projectb"]);
    let c = creds(&srv, &token, &[("Policy", &session)]).await;
    assert_eq!(buckets(&srv, &c).await, ["projectb"]);
    let r = srv
        .web_identity(&token, &[("Policy", "{\"Statement\":[]}")])
        .await;
    sts_error(&r, 400, "InvalidParameterValue");

    let r = srv.client_grants(&token, &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("<AssumeRoleWithClientGrantsResponse"),
        "{}",
        r.body
    );
    assert_eq!(element(&r.body, "SubjectFromToken"), Some("svc-42"));
    let c = Signer::from_response(&r.body);
    assert_eq!(buckets(&srv, &c).await, ["projecta", "projectb"]);
}

#[tokio::test]
async fn userinfo_claims_are_merged_when_configured() {
    let key = Signing::rsa("k");
    let idp = Idp::start(&[&key]).await;
    let url = idp.config_url();
    let srv = start(&[
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP1),
        ("MINIO_IDENTITY_OPENID_CLAIM_USERINFO", "on"),
    ])
    .await;
    srv.policy("projecta", &bucket_policy(&["projecta"]));
    // The policy claim comes only from UserInfo.
    idp.set_userinfo("at-1", json!({"sub": "u1", "policy": "projecta"}));
    idp.set_userinfo(
        "at-wrong-sub",
        json!({"sub": "someone-else", "policy": "projecta"}),
    );
    let token = key.sign(&claims(&idp, APP1, "u1", json!({})));
    let r = srv.web_identity(&token, &[]).await;
    let m = sts_error(&r, 400, "InvalidParameterValue");
    assert!(m.contains("access_token is mandatory"), "{m}");
    let c = creds(&srv, &token, &[("WebIdentityAccessToken", "at-1")]).await;
    assert_eq!(buckets(&srv, &c).await, ["projecta"]);
    for bad in ["at-wrong-sub", "at-unknown"] {
        let r = srv
            .web_identity(&token, &[("WebIdentityAccessToken", bad)])
            .await;
        let m = sts_error(&r, 400, "InvalidParameterValue");
        assert!(m.contains("UserInfo"), "{m}");
    }
}
