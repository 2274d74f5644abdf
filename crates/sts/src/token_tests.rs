//! Tests of token issue/resolve: tampering, rotation, exact expiry, secrecy of the secret.

use super::*;
use crate::claims::{Provider, SessionPolicyJson};
use crate::clock::{Clock, TestClock};
use crate::duration::{DurationConfig, assume_role, for_tests};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use proptest::prelude::*;
use serde_json::json;

const T0: i64 = 1_700_000_000;

fn at(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(s).unwrap()
}

fn ring() -> KeyRing {
    KeyRing::generate(at(T0 - 10))
}

fn claims() -> Claims {
    let mut c = Claims::new("alice", Provider::Builtin);
    c.token_revoke_type = Some("t1".into());
    c
}

fn issue_900(ring: &KeyRing) -> IssuedCredential {
    let d = assume_role(&DurationConfig::default(), Some("900")).unwrap();
    issue(ring, claims(), at(T0), d).unwrap()
}

fn segments(tok: &str) -> Vec<String> {
    tok.split('.').map(str::to_string).collect()
}

/// Re-sign header+payload with a raw HMAC key of our choosing (an attacker's forgery).
fn forge(header: &serde_json::Value, payload: &[u8], key: &[u8]) -> String {
    let h = B64.encode(serde_json::to_vec(header).unwrap());
    let p = B64.encode(payload);
    let signing = format!("{h}.{p}");
    let mut m = crate::keyring::HmacSha256::new_from_slice(key).unwrap();
    m.update(signing.as_bytes());
    format!("{signing}.{}", B64.encode(m.finalize().into_bytes()))
}

/// The payload segment's bytes (binary head + optional JSON tail).
fn payload_of(tok: &str) -> Vec<u8> {
    B64.decode(segments(tok)[1].as_bytes()).unwrap()
}
fn header_of(tok: &str) -> serde_json::Value {
    serde_json::from_slice(&B64.decode(segments(tok)[0].as_bytes()).unwrap()).unwrap()
}

#[test]
fn issue_then_resolve_returns_same_secret_and_claims() {
    let r = ring();
    let c = issue_900(&r);
    assert_eq!(c.access_key.len(), 20);
    assert_eq!(c.secret_key.expose().len(), 40);
    assert_eq!(c.expiration.unix_timestamp(), T0 + 900);
    let v = resolve(&r, &c.access_key, c.session_token.expose(), at(T0 + 1)).unwrap();
    assert_eq!(v.secret_key(), &c.secret_key);
    assert_eq!(v.parent(), "alice");
    assert_eq!(v.claims(), &c.claims);
    assert_eq!(v.kid(), r.active_kid());
    assert_eq!(v.issued_at_ns(), T0 * 1_000_000_000);
    assert_eq!(v.expiration(), c.expiration);
}

#[test]
fn header_is_hs256_with_kid() {
    let r = ring();
    let c = issue_900(&r);
    assert_eq!(
        header_of(c.session_token.expose()),
        json!({"alg": "HS256", "kid": r.active_kid()})
    );
    assert_eq!(r.active_kid().len(), 8);
    // The header text is exactly that, in that order, with no spaces.
    let h = B64
        .decode(segments(c.session_token.expose())[0].as_bytes())
        .unwrap();
    assert_eq!(
        String::from_utf8(h).unwrap(),
        format!(r#"{{"alg":"HS256","kid":"{}"}}"#, r.active_kid())
    );
}

/// The token travels with, and is hashed into, every request a temporary credential signs: an
/// AssumeRole token of a short-named user is 128 bytes (386 with HS512, `typ`, `iat` and a JSON
/// payload; 305 with HS256 and JSON; 187 with a binary payload carrying the access key as text,
/// a 16-byte jti, `exp` in full and a 16-hex-digit kid).
#[test]
fn an_assume_role_token_is_short() {
    let r = ring();
    let d = assume_role(&DurationConfig::default(), Some("900")).unwrap();
    let c = issue(&r, Claims::new("alice", Provider::Builtin), at(T0), d).unwrap();
    let tok = c.session_token.expose();
    // Header 32 bytes, payload 1 + 8 + 2 + 13 + 1 + 5 = 30 bytes, tag 32 bytes.
    assert_eq!(
        segments(tok).iter().map(String::len).collect::<Vec<_>>(),
        [43, 40, 43]
    );
    assert_eq!(tok.len(), 128);
    // Neither the access key nor any 8-character window of it is in the token as text.
    for w in c.access_key.as_bytes().windows(8) {
        assert!(!payload_of(tok).windows(8).any(|p| p == w));
    }
}

#[test]
fn issued_access_keys_are_generated_keys_and_differ() {
    let r = ring();
    let keys: std::collections::HashSet<String> =
        (0..500).map(|_| issue_900(&r).access_key).collect();
    assert_eq!(keys.len(), 500);
    for k in &keys {
        assert!(crate::credentials::is_generated_access_key(k), "{k}");
        assert_eq!(
            crate::credentials::access_key_bytes(k)
                .and_then(|b| crate::credentials::access_key_from_bytes(&b))
                .as_deref(),
            Some(k.as_str())
        );
    }
}

#[test]
fn token_does_not_contain_the_secret() {
    let r = ring();
    let c = issue_900(&r);
    let tok = c.session_token.expose();
    let payload = String::from_utf8_lossy(&payload_of(tok)).into_owned();
    assert!(!tok.contains(c.secret_key.expose()));
    assert!(!payload.contains(c.secret_key.expose()));
    // Nor any 8-character window of it.
    let s = c.secret_key.expose();
    for i in 0..=s.len() - 8 {
        assert!(!payload.contains(&s[i..i + 8]));
    }
}

#[test]
fn exact_expiry_with_test_clock() {
    let r = ring();
    let clock = TestClock::at_unix(T0);
    let d = assume_role(&DurationConfig::default(), Some("900")).unwrap();
    let c = issue(&r, claims(), clock.now(), d).unwrap();
    let tok = c.session_token.expose();
    clock.advance_secs(899);
    assert!(resolve(&r, &c.access_key, tok, clock.now()).is_ok());
    clock.advance(time::Duration::milliseconds(999));
    assert!(resolve(&r, &c.access_key, tok, clock.now()).is_ok());
    clock.advance(time::Duration::milliseconds(1));
    assert_eq!(
        resolve(&r, &c.access_key, tok, clock.now()).unwrap_err(),
        TokenError::Expired
    );
    clock.advance_secs(1); // 901 s
    let e = resolve(&r, &c.access_key, tok, clock.now()).unwrap_err();
    assert_eq!(
        (e, e.s3_code(), e.s3_status()),
        (TokenError::Expired, "ExpiredToken", 400)
    );
}

#[test]
fn flipping_a_byte_in_each_segment_fails() {
    let r = ring();
    let c = issue_900(&r);
    let tok = c.session_token.expose();
    let segs = segments(tok);
    for seg in 0..3 {
        let mut s = segs.clone();
        let mut bytes = s[seg].clone().into_bytes();
        let mid = bytes.len() / 2;
        bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
        s[seg] = String::from_utf8(bytes).unwrap();
        let e = resolve(&r, &c.access_key, &s.join("."), at(T0 + 1)).unwrap_err();
        assert_eq!(e.s3_code(), "InvalidTokenId", "segment {seg}: {e:?}");
    }
}

#[test]
fn signature_with_nonzero_trailing_bits_rejected() {
    // 64 bytes → 86 base64 chars; the last char carries 2 unused bits. A lenient decoder would
    // accept a different string for the same signature (token malleability).
    let r = ring();
    let c = issue_900(&r);
    let mut segs = segments(c.session_token.expose());
    let last = segs[2].pop().unwrap();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet
        .iter()
        .position(|a| char::from(*a) == last)
        .unwrap();
    segs[2].push(char::from(alphabet[idx ^ 1]));
    let e = resolve(&r, &c.access_key, &segs.join("."), at(T0 + 1)).unwrap_err();
    assert_eq!(e, TokenError::BadSignature);
}

#[test]
fn alg_none_and_hs512_rejected() {
    let r = ring();
    let c = issue_900(&r);
    let tok = c.session_token.expose();
    let payload = payload_of(tok);
    for alg in ["none", "HS512", "hs256", "RS256"] {
        let h = json!({"alg": alg, "typ": "JWT", "kid": r.active_kid()});
        let forged = forge(&h, &payload, b"whatever");
        let e = resolve(&r, &c.access_key, &forged, at(T0 + 1)).unwrap_err();
        assert_eq!(e, TokenError::UnsupportedAlgorithm, "{alg}");
        // alg none with an empty signature segment.
        let s = segments(&forged);
        let unsigned = format!("{}.{}.", s[0], s[1]);
        assert!(resolve(&r, &c.access_key, &unsigned, at(T0 + 1)).is_err());
    }
    // A `typ` other than JWT is refused.
    let h = json!({"alg": "HS256", "typ": "JWS", "kid": r.active_kid()});
    let forged = forge(&h, &payload, b"k");
    assert_eq!(
        resolve(&r, &c.access_key, &forged, at(T0 + 1)).unwrap_err(),
        TokenError::Malformed
    );
    // Extra header fields (e.g. jku/jwk injection) are refused.
    let h = json!({"alg": "HS256", "typ": "JWT", "kid": r.active_kid(), "jku": "http://x"});
    let forged = forge(&h, &payload, b"k");
    assert_eq!(
        resolve(&r, &c.access_key, &forged, at(T0 + 1)).unwrap_err(),
        TokenError::Malformed
    );
}

#[test]
fn forged_with_wrong_key_or_unknown_kid_rejected() {
    let r = ring();
    let c = issue_900(&r);
    let payload = payload_of(c.session_token.expose());
    let h = json!({"alg": "HS256", "typ": "JWT", "kid": r.active_kid()});
    let e = resolve(
        &r,
        &c.access_key,
        &forge(&h, &payload, b"root-secret"),
        at(T0 + 1),
    );
    assert_eq!(e.unwrap_err(), TokenError::BadSignature);
    let h = json!({"alg": "HS256", "typ": "JWT", "kid": "deadbeef"});
    let e = resolve(&r, &c.access_key, &forge(&h, &payload, b"k"), at(T0 + 1));
    assert_eq!(e.unwrap_err(), TokenError::UnknownKey);
    // A token of another ring (another deployment) is unknown here.
    let other = ring();
    let c2 = issue_900(&other);
    let e = resolve(&r, &c2.access_key, c2.session_token.expose(), at(T0 + 1));
    assert_eq!(e.unwrap_err(), TokenError::UnknownKey);
}

#[test]
fn oversize_rejected_before_decoding() {
    let r = ring();
    let at_limit = "a".repeat(MAX_TOKEN_BYTES);
    assert_eq!(
        resolve(&r, "AK", &at_limit, at(T0)).unwrap_err(),
        TokenError::Malformed
    );
    let over = "a".repeat(MAX_TOKEN_BYTES + 1);
    assert_eq!(
        resolve(&r, "AK", &over, at(T0)).unwrap_err(),
        TokenError::TooLarge
    );
    // Even a well-formed, validly signed but oversized token: issue refuses to make one.
    let mut c = claims();
    c.extra
        .insert("blob".into(), json!("x".repeat(MAX_TOKEN_BYTES)));
    let e = issue(&r, c, at(T0), for_tests(900)).unwrap_err();
    assert_eq!(e.code(), crate::error::StsErrorCode::InvalidParameterValue);
}

#[test]
fn segment_count_enforced() {
    let r = ring();
    let c = issue_900(&r);
    let tok = c.session_token.expose();
    for bad in [
        String::new(),
        "a.b".to_string(),
        format!("{tok}.x"),
        format!("{tok}."),
        tok.replacen('.', "", 1),
    ] {
        assert!(
            resolve(&r, &c.access_key, &bad, at(T0 + 1)).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn another_credentials_token_rejected() {
    let r = ring();
    let a = issue_900(&r);
    let b = issue_900(&r);
    let e = resolve(&r, &a.access_key, b.session_token.expose(), at(T0 + 1)).unwrap_err();
    assert_eq!(
        (e, e.s3_code(), e.s3_status()),
        (TokenError::AccessKeyMismatch, "InvalidTokenId", 403)
    );
    // Root/IAM-user style keys presenting a valid token are refused the same way.
    let e = resolve(&r, "minioadmin", a.session_token.expose(), at(T0 + 1)).unwrap_err();
    assert_eq!(e, TokenError::AccessKeyMismatch);
}

#[test]
fn rotation_keeps_outstanding_sessions_until_retirement() {
    let mut r = ring();
    let old = issue_900(&r);
    let old_kid = r.active_kid().to_string();
    r.rotate(at(T0 + 10), time::Duration::seconds(900));
    let new = issue(&r, claims(), at(T0 + 10), for_tests(900)).unwrap();
    assert_ne!(
        header_of(new.session_token.expose())["kid"],
        old_kid.as_str()
    );
    // Old token still verifies (and derives the same secret) after rotation.
    let v = resolve(
        &r,
        &old.access_key,
        old.session_token.expose(),
        at(T0 + 899),
    )
    .unwrap();
    assert_eq!(v.secret_key(), &old.secret_key);
    assert_eq!(v.kid(), old_kid);
    assert!(resolve(&r, &new.access_key, new.session_token.expose(), at(T0 + 20)).is_ok());
    // The ring survives a store round trip.
    let r2: KeyRing = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    let v = resolve(&r2, &old.access_key, old.session_token.expose(), at(T0 + 5)).unwrap();
    assert_eq!(v.secret_key(), &old.secret_key);
}

#[test]
fn retired_key_stops_verifying_after_retirement() {
    let mut r = ring();
    let c = issue(&r, claims(), at(T0), for_tests(86_400)).unwrap();
    let kid = r.active_kid().to_string();
    r.rotate(at(T0 + 10), time::Duration::days(2));
    r.retire(&kid, at(T0 + 100)).unwrap();
    let tok = c.session_token.expose();
    assert!(resolve(&r, &c.access_key, tok, at(T0 + 99)).is_ok());
    assert_eq!(
        resolve(&r, &c.access_key, tok, at(T0 + 100)).unwrap_err(),
        TokenError::UnknownKey
    );
    r.prune(at(T0 + 100));
    assert_eq!(
        resolve(&r, &c.access_key, tok, at(T0 + 50)).unwrap_err(),
        TokenError::UnknownKey
    );
}

#[test]
fn derivation_is_bound_to_kid() {
    // Same access key and nonce under another key id would give another secret: the payload
    // re-signed with kid B by someone holding both keys still derives B's secret, not A's.
    let mut r = ring();
    let a = issue_900(&r);
    let key_a_kid = r.active_kid().to_string();
    r.rotate(at(T0), time::Duration::days(1));
    let key_b = r.active_key();
    let secret_b = derive_secret(key_b, &a.access_key);
    assert_ne!(secret_b, a.secret_key);
    let key_a = r.verifying_key(&key_a_kid, T0).unwrap();
    assert_eq!(derive_secret(key_a, &a.access_key), a.secret_key);
}

#[test]
fn session_policy_and_extras_survive() {
    let r = ring();
    let mut c = Claims::new("bob", Provider::OpenId);
    c.session_policy =
        Some(SessionPolicyJson::new(r#"{"Version":"2012-10-17","Statement":[]}"#.into()).unwrap());
    c.policies = vec!["readonly".into()];
    c.extra.insert("email".into(), json!("bob@example.com"));
    c.extra.insert("parent".into(), json!("root"));
    let i = issue(&r, c, at(T0), for_tests(600)).unwrap();
    assert!(!i.claims.extra.contains_key("parent"));
    let v = resolve(&r, &i.access_key, i.session_token.expose(), at(T0)).unwrap();
    assert_eq!(v.parent(), "bob");
    assert_eq!(v.claims().extra["email"], "bob@example.com");
    assert_eq!(
        v.claims().session_policy.as_ref().unwrap().as_str(),
        r#"{"Version":"2012-10-17","Statement":[]}"#
    );
}

#[test]
fn error_codes_map_to_spec() {
    for e in [
        TokenError::TooLarge,
        TokenError::Malformed,
        TokenError::UnsupportedAlgorithm,
        TokenError::UnknownKey,
        TokenError::BadSignature,
        TokenError::AccessKeyMismatch,
        TokenError::Revoked,
    ] {
        assert_eq!(
            (e.s3_code(), e.s3_status()),
            ("InvalidTokenId", 403),
            "{e:?}"
        );
    }
    assert_eq!(
        TokenError::Expired.s3_message(),
        "The provided token has expired."
    );
}

/// Rough cost check (debug build; informative only): issue and resolve each stay far below a
/// millisecond on this machine.
#[test]
fn measure_issue_and_resolve() {
    let r = ring();
    let n = 2_000;
    let start = std::time::Instant::now();
    let creds: Vec<_> = (0..n).map(|_| issue_900(&r)).collect();
    let issued = start.elapsed();
    let start = std::time::Instant::now();
    for c in &creds {
        resolve(&r, &c.access_key, c.session_token.expose(), at(T0 + 1)).unwrap();
    }
    let resolved = start.elapsed();
    eprintln!(
        "debug build: issue {:?}/op, resolve {:?}/op",
        issued / n,
        resolved / n
    );
    assert!(issued / n < std::time::Duration::from_millis(5));
    assert!(resolved / n < std::time::Duration::from_millis(5));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_issued_resolves_and_any_single_byte_change_fails(
        parent in "[a-zA-Z0-9=,.@_-]{1,40}",
        groups in proptest::collection::vec("[a-z]{1,10}", 0..4),
        dur in 1i64..100_000,
        pos in any::<proptest::sample::Index>(),
        replacement in 0x21u8..0x7f,
        key_pos in any::<proptest::sample::Index>(),
    ) {
        let r = ring();
        let mut c = Claims::new(parent, Provider::Ldap);
        c.groups = groups;
        let i = issue(&r, c, at(T0), for_tests(dur)).unwrap();
        let tok = i.session_token.expose();
        let v = resolve(&r, &i.access_key, tok, at(T0)).unwrap();
        prop_assert_eq!(v.secret_key(), &i.secret_key);
        let again = resolve(&r, &i.access_key, tok, at(T0 + dur - 1)).unwrap();
        prop_assert_eq!(again.secret_key(), &i.secret_key);

        let mut bytes = tok.as_bytes().to_vec();
        let p = pos.index(bytes.len());
        prop_assume!(bytes[p] != replacement);
        bytes[p] = replacement;
        let tampered = String::from_utf8(bytes).unwrap();
        prop_assert!(resolve(&r, &i.access_key, &tampered, at(T0)).is_err());

        let mut ak = i.access_key.clone().into_bytes();
        let k = key_pos.index(ak.len());
        ak[k] = if ak[k] == b'A' { b'B' } else { b'A' };
        let ak = String::from_utf8(ak).unwrap();
        prop_assert_eq!(resolve(&r, &ak, tok, at(T0)).unwrap_err(), TokenError::AccessKeyMismatch);
    }
}

#[test]
fn empty_parent_refused() {
    let r = ring();
    let e = issue(
        &r,
        Claims::new("", Provider::Builtin),
        at(T0),
        for_tests(900),
    )
    .unwrap_err();
    assert_eq!(e.code(), crate::error::StsErrorCode::InternalError);
}

/// MinIO #8826: presigned URLs carry the token in the query; ours needs no escaping there.
#[test]
fn minio_8826_token_is_query_safe() {
    let r = ring();
    let mut c = claims();
    c.extra.insert("note".into(), json!("a&b=c d/é"));
    let i = issue(&r, c, at(T0), for_tests(900)).unwrap();
    assert!(
        i.session_token
            .expose()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    );
}

/// MinIO #19072: an expired credential is refused and yields no secret.
#[test]
fn minio_19072_expired_credential_yields_nothing() {
    let r = ring();
    let c = issue_900(&r);
    let e = resolve(&r, &c.access_key, c.session_token.expose(), at(T0 + 10_000)).unwrap_err();
    assert_eq!(e, TokenError::Expired);
}

/// MinIO #12773: a session policy must reach the request path intact (it once broke AssumeRole
/// session policies wholesale).
#[test]
fn minio_12773_session_policy_survives_issue_and_resolve_byte_for_byte() {
    let r = ring();
    let json = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}"#;
    let mut c = claims();
    c.session_policy = Some(SessionPolicyJson::new(json.into()).unwrap());
    let i = issue(&r, c, at(T0), for_tests(900)).unwrap();
    let v = resolve(&r, &i.access_key, i.session_token.expose(), at(T0)).unwrap();
    assert_eq!(v.claims().session_policy.as_ref().unwrap().as_str(), json);
    assert!(!v.is_owner("alice"));
}

/// GHSA-jjjj-jwhf-8rgr (spec §17 item 1): a session with a session policy — whatever its
/// parent — is never "owner", so the evaluator must require the session policy to allow every
/// action, own-account admin operations included.
#[test]
fn ghsa_jjjj_jwhf_8rgr_session_policy_session_is_never_owner() {
    let r = ring();
    for parent in ["minioadmin", "alice"] {
        let mut c = Claims::new(parent, Provider::Builtin);
        c.session_policy =
            Some(SessionPolicyJson::new(r#"{"Version":"2012-10-17"}"#.into()).unwrap());
        let i = issue(&r, c, at(T0), for_tests(900)).unwrap();
        let v = resolve(&r, &i.access_key, i.session_token.expose(), at(T0)).unwrap();
        assert!(!v.is_owner(parent));
        assert!(v.claims().session_policy.is_some());
    }
}

/// MinIO #20387 (spec §17 item 21): an unknown `kid` is a clean refusal, not a nil-key error.
#[test]
fn minio_20387_unknown_kid_is_clean_invalid_token() {
    let r = ring();
    let c = issue_900(&r);
    let payload = payload_of(c.session_token.expose());
    for kid in ["", "unknown", "../../etc/passwd", &"k".repeat(100)] {
        let h = json!({"alg": "HS256", "typ": "JWT", "kid": kid});
        let e = resolve(&r, &c.access_key, &forge(&h, &payload, b"k"), at(T0)).unwrap_err();
        assert_eq!((e, e.s3_code()), (TokenError::UnknownKey, "InvalidTokenId"));
    }
}

/// A payload signed with the ring's own key (as only a signer bug could make one).
fn signed_by_ring(r: &KeyRing, payload: &[u8]) -> String {
    let key = r.active_key();
    let h = B64.encode(format!(r#"{{"alg":"HS256","kid":"{}"}}"#, key.kid()));
    let signing = format!("{h}.{}", B64.encode(payload));
    let sig = key.signer().chain_update(signing.as_bytes()).finalize();
    format!("{signing}.{}", B64.encode(sig.into_bytes()))
}

/// Validly signed payloads that the encoder never writes are refused cleanly: the first format
/// (version 1, access key as text), an access key number past 36^20, a cut-off head.
#[test]
fn signed_but_malformed_payloads_are_invalid_token() {
    let r = ring();
    let c = issue_900(&r);
    let good = payload_of(c.session_token.expose());
    assert!(resolve(&r, &c.access_key, &signed_by_ring(&r, &good), at(T0)).is_ok());
    let mut v1 = good.clone();
    v1[0] = 0x10;
    let mut big_key = good.clone();
    big_key[11..24].fill(0xff);
    for bad in [v1, big_key, good[..20].to_vec(), Vec::new()] {
        let e = resolve(&r, &c.access_key, &signed_by_ring(&r, &bad), at(T0)).unwrap_err();
        assert_eq!((e, e.s3_code()), (TokenError::Malformed, "InvalidTokenId"));
    }
}
