//! The provider as a network peer: start-up errors reported at once, keys refreshed on an
//! unknown kid at most once per interval, rotated-out keys no longer trusted, a slow or absent
//! provider failing issuance in bounded time while issued credentials and cached keys keep
//! working.

mod openid_support;
mod sts_common;

use std::time::{Duration, Instant};

use openid_support::{Idp, Signing, bucket_policy, claims, openid_config, start, start_with};
use serde_json::json;
use strongbox_idp::openid::OpenId;
use sts_common::{Signer, sts_error};

const APP: &str = "app";

#[tokio::test]
async fn config_problems_are_reported_together() {
    let e = openid_config(&[
        (
            "MINIO_IDENTITY_OPENID_CONFIG_URL",
            "http://127.0.0.1:1/.well-known/openid-configuration",
        ),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", "same"),
        (
            "MINIO_IDENTITY_OPENID_CONFIG_URL_TWO",
            "http://127.0.0.1:2/.well-known/openid-configuration",
        ),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID_TWO", "same"),
        (
            "MINIO_IDENTITY_OPENID_CONFIG_URL_ROLE",
            "http://127.0.0.1:3/.well-known/openid-configuration",
        ),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID_ROLE", "r"),
        ("MINIO_IDENTITY_OPENID_ROLE_POLICY_ROLE", "readonly"),
        ("MINIO_IDENTITY_OPENID_CLAIM_NAME_ROLE", "groups"),
        ("MINIO_REGION", "1bad"),
    ])
    .unwrap_err();
    let shown = e.to_string();
    for want in [
        "MINIO_IDENTITY_OPENID_CLIENT_ID_TWO: client id \"same\" is used by another OpenID provider",
        "only one OpenID provider can be configured without a role policy",
        "MINIO_IDENTITY_OPENID_ROLE_POLICY_ROLE: cannot be combined with a custom CLAIM_NAME",
        "MINIO_REGION",
    ] {
        assert!(shown.contains(want), "{want} missing from: {shown}");
    }
}

#[tokio::test]
async fn unreachable_discovery_documents_are_reported_together() {
    let key = Signing::rsa("k");
    let idp = Idp::start(&[&key]).await;
    let good = idp.config_url();
    let dead = |port: u16| format!("http://127.0.0.1:{port}/.well-known/openid-configuration");
    let (d1, d2) = (dead(free_port()), dead(free_port()));
    let cfg = openid_config(&[
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", &good),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", "a"),
        ("MINIO_IDENTITY_OPENID_CONFIG_URL_B", &d1),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID_B", "b"),
        ("MINIO_IDENTITY_OPENID_ROLE_POLICY_B", "readonly"),
        ("MINIO_IDENTITY_OPENID_CONFIG_URL_C", &d2),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID_C", "c"),
        ("MINIO_IDENTITY_OPENID_ROLE_POLICY_C", "readonly"),
    ])
    .unwrap();
    let errors = OpenId::connect(&cfg.openid, None).await.unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("OpenID provider B: cannot fetch the discovery document"),
        "{errors:?}"
    );
    assert!(errors[1].starts_with("OpenID provider C:"), "{errors:?}");
}

#[tokio::test]
async fn unknown_kids_refresh_at_most_once_per_interval_and_rotation_is_honoured() {
    let old = Signing::rsa("old");
    let idp = Idp::start(&[&old]).await;
    let url = idp.config_url();
    let srv = start_with(
        &[
            ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP),
        ],
        |mut c| {
            c.refresh_interval = Duration::from_secs(2);
            c
        },
    )
    .await;
    let fetches_at_start = idp.jwks_fetches();
    assert_eq!(fetches_at_start, 1);
    let token =
        |k: &Signing, sub: &str| k.sign(&claims(&idp, APP, sub, json!({"policy": "readonly"})));

    // A flood of tokens with unknown kids costs the provider one fetch.
    let stranger = Signing::ec("stranger");
    for i in 0..20 {
        let r = srv
            .web_identity(&token(&stranger, &format!("u{i}")), &[])
            .await;
        sts_error(&r, 400, "InvalidParameterValue");
    }
    assert_eq!(idp.jwks_fetches(), fetches_at_start + 1);

    // Rotation: the provider now publishes only `new`.
    let new = Signing::ec("new");
    idp.publish(&[&new]);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = srv.web_identity(&token(&new, "alice"), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(idp.jwks_fetches(), fetches_at_start + 2);
    // The rotated-out key is no longer trusted.
    let r = srv.web_identity(&token(&old, "alice"), &[]).await;
    let m = sts_error(&r, 400, "InvalidParameterValue");
    assert!(m.contains("does not publish"), "{m}");
}

#[tokio::test]
async fn keys_are_reread_periodically_so_rotated_out_keys_expire_without_an_unknown_kid() {
    let old = Signing::ec("old");
    let idp = Idp::start(&[&old]).await;
    let url = idp.config_url();
    let srv = start_with(
        &[
            ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP),
        ],
        |mut c| {
            c.key_max_age = Duration::from_millis(500);
            c
        },
    )
    .await;
    let token = old.sign(&claims(&idp, APP, "u", json!({"policy": "readonly"})));
    assert_eq!(srv.web_identity(&token, &[]).await.status, 200);
    idp.publish(&[&Signing::ec("new")]);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let r = srv.web_identity(&token, &[]).await;
    let m = sts_error(&r, 400, "InvalidParameterValue");
    assert!(m.contains("does not publish"), "{m}");
}

#[tokio::test]
async fn provider_outage_bounded_time_and_cached_keys_keep_working() {
    let key = Signing::rsa("k");
    let idp = Idp::start(&[&key]).await;
    let url = idp.config_url();
    let srv = start(&[
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP),
        ("MINIO_IDENTITY_OPENID_CLAIM_USERINFO", "on"),
    ])
    .await;
    srv.policy("projecta", &bucket_policy(&["projecta"]));
    idp.set_userinfo("at", json!({"sub": "u1", "policy": "projecta"}));
    let token = key.sign(&claims(&idp, APP, "u1", json!({})));
    let r = srv
        .web_identity(&token, &[("WebIdentityAccessToken", "at")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let issued = Signer::from_response(&r.body);

    // Slow provider: UserInfo never answers in time; the STS answer comes within ~5 s.
    idp.set_delay(Some(Duration::from_secs(30)));
    let t = Instant::now();
    let r = srv
        .web_identity(&token, &[("WebIdentityAccessToken", "at")])
        .await;
    let took = t.elapsed();
    let m = sts_error(&r, 400, "InvalidParameterValue");
    assert!(m.contains("could not be reached"), "{m}");
    assert!(took < Duration::from_secs(6), "{took:?}");
    assert!(took >= Duration::from_secs(4), "{took:?}");
    // Credentials already issued keep working.
    assert_eq!(srv.head_bucket(&issued, "projecta").await, 200);
    idp.set_delay(None);
    let r = srv
        .web_identity(&token, &[("WebIdentityAccessToken", "at")])
        .await;
    assert_eq!(r.status, 200, "issuance resumes: {}", r.body);
}

#[tokio::test]
async fn cached_keys_verify_while_the_provider_is_down_and_issuance_resumes() {
    let key = Signing::rsa("k");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let idp = Idp::start_on(listener, &[&key]);
    let url = idp.config_url();
    let srv = start_with(
        &[
            ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID", APP),
        ],
        |mut c| {
            c.refresh_interval = Duration::from_secs(1);
            c
        },
    )
    .await;
    let issuer = idp.issuer().to_owned();
    let mint = |k: &Signing, sub: &str| {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        k.sign(
            &json!({"iss": issuer, "aud": APP, "sub": sub, "exp": now + 600, "policy": "projecta"}),
        )
    };
    srv.policy("projecta", &bucket_policy(&["projecta"]));
    let r = srv.web_identity(&mint(&key, "a"), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let issued = Signer::from_response(&r.body);
    idp.stop();

    // Known key: verified from the cache, no provider needed.
    let r = srv.web_identity(&mint(&key, "b"), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(srv.head_bucket(&issued, "projecta").await, 200);
    // Unknown key: a refresh is needed and fails fast with a clear error.
    let rotated = Signing::ec("rotated");
    let t = Instant::now();
    let r = srv.web_identity(&mint(&rotated, "c"), &[]).await;
    let m = sts_error(&r, 400, "InvalidParameterValue");
    assert!(m.contains("could not be reached"), "{m}");
    assert!(t.elapsed() < Duration::from_secs(6));
    // Within the refresh interval the provider is not asked again, and the answer stays clear.
    let r = srv.web_identity(&mint(&rotated, "d"), &[]).await;
    let m = sts_error(&r, 400, "InvalidParameterValue");
    assert!(m.contains("could not be reached"), "{m}");

    // The provider comes back (same address) with the new key: issuance resumes.
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let back = Idp::start_on(listener, &[&rotated]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = srv.web_identity(&mint(&rotated, "c"), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    back.stop();
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
