//! Hostile tokens (issue 5, "What it must show" 3): each gets its own test and the proper STS
//! error. Tokens are minted with keys made in the test and served by an in-test provider.

mod openid_support;
mod sts_common;

use openid_support::{Idp, Signing, Srv, claims, hs256, start};
use serde_json::json;
use sts_common::sts_error;

const CLIENT: &str = "strongbox-app";
const SECRET: &str = "strongbox-client-secret";

struct Setup {
    idp: Idp,
    key: Signing,
    srv: Srv,
}

/// One claim-based provider (claim `policy`), policy `readonly` exists (canned).
async fn setup() -> Setup {
    let key = Signing::rsa("rsa-1");
    let idp = Idp::start(&[&key]).await;
    let url = idp.config_url();
    let srv = start(&[
        ("MINIO_IDENTITY_OPENID_CONFIG_URL", &url),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", CLIENT),
        ("MINIO_IDENTITY_OPENID_CLIENT_SECRET", SECRET),
    ])
    .await;
    Setup { idp, key, srv }
}

fn good_claims(s: &Setup) -> serde_json::Value {
    claims(&s.idp, CLIENT, "alice", json!({"policy": "readonly"}))
}

async fn ipv(s: &Setup, token: &str) -> String {
    let r = s.srv.web_identity(token, &[]).await;
    sts_error(&r, 400, "InvalidParameterValue").to_owned()
}

#[tokio::test]
async fn a_good_token_is_accepted() {
    let s = setup().await;
    let r = s.srv.web_identity(&s.key.sign(&good_claims(&s)), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        sts_common::element(&r.body, "SubjectFromWebIdentityToken"),
        Some("alice")
    );
}

#[tokio::test]
async fn wrong_signature() {
    let s = setup().await;
    // Signed by the provider's key, then the payload is changed.
    let token = s.key.sign(&good_claims(&s));
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut evil = good_claims(&s);
    evil["policy"] = json!("consoleAdmin");
    parts[1] = base64_url(&evil.to_string());
    let m = ipv(&s, &parts.join(".")).await;
    assert!(m.contains("signature does not verify"), "{m}");
}

#[tokio::test]
async fn signed_by_another_key_with_the_same_kid() {
    let s = setup().await;
    let impostor = Signing::ec("rsa-1");
    let m = ipv(&s, &impostor.sign(&good_claims(&s))).await;
    // An ES256 token naming an RSA key's kid: no key of that id accepts ES256.
    assert!(
        m.contains("key the identity provider does not publish"),
        "{m}"
    );
}

#[tokio::test]
async fn unknown_kid_is_a_clean_400() {
    // MinIO #20387: an unknown kid once gave a misleading error.
    let s = setup().await;
    let stranger = Signing::ec("nobody-knows-me");
    let m = ipv(&s, &stranger.sign(&good_claims(&s))).await;
    assert!(
        m.contains("key the identity provider does not publish"),
        "{m}"
    );
}

#[tokio::test]
async fn alg_none() {
    let s = setup().await;
    let token = format!(
        "{}.{}.",
        base64_url(r#"{"alg":"none","typ":"JWT"}"#),
        base64_url(&good_claims(&s).to_string())
    );
    let m = ipv(&s, &token).await;
    assert!(m.contains("algorithm none is not accepted"), "{m}");
}

#[tokio::test]
async fn ghsa_5cx5_client_secret_hmac_rejected() {
    // GHSA-5cx5-wh4m-82fh: MinIO accepts HS256 id_tokens keyed by the client secret
    // (kid = client id), so anyone who knows the secret can mint any identity.
    let s = setup().await;
    let header = json!({"alg": "HS256", "kid": CLIENT, "typ": "JWT"});
    let mut evil = good_claims(&s);
    evil["policy"] = json!("consoleAdmin");
    let m = ipv(&s, &hs256(&header, &evil, SECRET.as_bytes())).await;
    assert!(m.contains("algorithm HS256 is not accepted"), "{m}");
}

#[tokio::test]
async fn rs256_token_resigned_as_hs256_with_the_public_key() {
    let s = setup().await;
    let header = json!({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"});
    let m = ipv(&s, &hs256(&header, &good_claims(&s), &s.key.public_der())).await;
    assert!(m.contains("algorithm HS256 is not accepted"), "{m}");
}

#[tokio::test]
async fn wrong_issuer() {
    let s = setup().await;
    let mut c = good_claims(&s);
    c["iss"] = json!("https://evil.example");
    let m = ipv(&s, &s.key.sign(&c)).await;
    assert!(m.contains("issuer (iss)"), "{m}");
}

#[tokio::test]
async fn wrong_audience() {
    // MinIO #12797: tokens minted for other applications were accepted.
    let s = setup().await;
    let mut c = good_claims(&s);
    c["aud"] = json!(["another-app"]);
    c["azp"] = json!("another-app");
    let m = ipv(&s, &s.key.sign(&c)).await;
    assert!(m.contains("audience"), "{m}");
    // An array containing the client id, or azp alone, is fine.
    c["aud"] = json!(["another-app", CLIENT]);
    assert_eq!(s.srv.web_identity(&s.key.sign(&c), &[]).await.status, 200);
    c["aud"] = json!("another-app");
    c["azp"] = json!(CLIENT);
    assert_eq!(s.srv.web_identity(&s.key.sign(&c), &[]).await.status, 200);
}

#[tokio::test]
async fn expired() {
    let s = setup().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut c = good_claims(&s);
    c["exp"] = json!(now - 3600);
    c["iat"] = json!(now - 7200);
    let r = s.srv.web_identity(&s.key.sign(&c), &[]).await;
    let m = sts_error(&r, 400, "ExpiredToken");
    assert!(
        m.starts_with("The web identity token that was passed is expired"),
        "{m}"
    );
    let r = s.srv.client_grants(&s.key.sign(&c), &[]).await;
    let m = sts_error(&r, 400, "ExpiredToken");
    assert!(
        m.starts_with("The client grants that was passed is expired"),
        "{m}"
    );
}

#[tokio::test]
async fn not_yet_valid() {
    let s = setup().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut c = good_claims(&s);
    c["nbf"] = json!(now + 3600);
    let m = ipv(&s, &s.key.sign(&c)).await;
    assert!(m.contains("not valid yet"), "{m}");
    let mut c = good_claims(&s);
    c["iat"] = json!(now + 3600);
    let m = ipv(&s, &s.key.sign(&c)).await;
    assert!(m.contains("issued in the future"), "{m}");
}

#[tokio::test]
async fn missing_sub() {
    let s = setup().await;
    let c = claims(
        &s.idp,
        CLIENT,
        "x",
        json!({"policy": "readonly", "sub": null}),
    );
    let m = ipv(&s, &s.key.sign(&c)).await;
    assert!(m.contains("sub claim is mandatory"), "{m}");
}

#[tokio::test]
async fn token_of_100_kib() {
    let s = setup().await;
    let c = claims(
        &s.idp,
        CLIENT,
        "alice",
        json!({"policy": "readonly", "pad": "x".repeat(100 * 1024)}),
    );
    let m = ipv(&s, &s.key.sign(&c)).await;
    // Refused by the bounded form reader or the token size bound, never decoded.
    assert!(m.contains("exceeds") || m.contains("larger than"), "{m}");
    // A 20 KiB token fits the form but not the token bound.
    let c = claims(
        &s.idp,
        CLIENT,
        "alice",
        json!({"policy": "readonly", "pad": "x".repeat(20 * 1024)}),
    );
    let m = ipv(&s, &s.key.sign(&c)).await;
    assert!(m.contains("larger than 16384 bytes"), "{m}");
}

#[tokio::test]
async fn non_json_payload() {
    let s = setup().await;
    let header = json!({"alg": "RS256", "kid": "rsa-1"});
    let token = format!(
        "{}.{}.{}",
        base64_url(&header.to_string()),
        base64_url("this is not JSON"),
        base64_url("sig")
    );
    let m = ipv(&s, &token).await;
    assert!(m.contains("payload is not a JSON object"), "{m}");
    let m = ipv(&s, "not-a-jwt").await;
    assert!(m.contains("three dot-separated parts"), "{m}");
}

#[tokio::test]
async fn policy_claim_naming_only_missing_policies() {
    // MinIO #12056: credentials were issued although the named policies did not exist.
    let s = setup().await;
    let c = claims(
        &s.idp,
        CLIENT,
        "alice",
        json!({"policy": ["nope", "gone,missing"]}),
    );
    let m = ipv(&s, &s.key.sign(&c)).await;
    assert_eq!(
        m,
        "None of the given policies (gone,missing,nope) are defined, credentials will not be generated"
    );
    let c = claims(&s.idp, CLIENT, "alice", json!({}));
    let m = ipv(&s, &s.key.sign(&c)).await;
    assert_eq!(
        m,
        "policy claim missing from the JWT token, credentials will not be generated"
    );
}

#[tokio::test]
async fn missing_token_parameter() {
    let s = setup().await;
    let r = s.srv.sts(&[("Action", "AssumeRoleWithWebIdentity")]).await;
    sts_error(&r, 400, "MissingParameter");
}

fn base64_url(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}
