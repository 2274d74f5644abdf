//! Tests of the payload encoding: round trips, its size, and refusal of everything `encode`
//! never writes.

use super::*;
use serde_json::json;

/// A generated access key (20 chars of 0-9A-Z).
const AK: &str = "AKIAIOSFODNN7EXAMPLE";
/// 2026-01-01T00:00:00.5Z in Unix nanoseconds.
const IAT_NS: i64 = 1_767_225_600_500_000_000;
const IAT_S: i64 = 1_767_225_600;
/// Offsets of an encoded payload whose lifetime varint is one byte.
const LIFE_AT: usize = 1 + 8;
const KEY_AT: usize = LIFE_AT + 1;
const PARENT_AT: usize = KEY_AT + ACCESS_KEY_BYTES;

fn encode(c: Claims, exp: i64) -> Vec<u8> {
    Payload::build(c, AK.into(), IAT_NS, exp).encode().unwrap()
}

#[test]
fn provider_claims_never_override_reserved() {
    let mut c = Claims::new("alice", Provider::OpenId);
    c.extra = json!({
        "accessKey": "EVIL", "exp": 9_999_999_999i64, "parent": "root",
        "policy": ["consoleAdmin"], "sessionPolicy": "e30=", "email": "a@example.com",
        "provider": "builtin", "groups": ["admins"], "iatNs": 0, "jti": "x"
    })
    .as_object()
    .unwrap()
    .clone();
    let bytes = encode(c, IAT_S + 100);
    let back = Payload::decode(&bytes).unwrap();
    assert_eq!(back.access_key, AK);
    assert_eq!(back.exp, IAT_S + 100);
    assert_eq!(back.iat_ns, IAT_NS);
    assert_eq!(back.parent, "alice");
    assert_eq!(back.provider, Provider::OpenId);
    assert!(back.session_policy.is_none());
    let o = &back.optional;
    assert_eq!(o.extra["email"], "a@example.com");
    assert_eq!(o.extra.len(), 1, "{:?}", o.extra);
    assert!(o.policy.is_empty() && o.groups.is_empty());
    // The JSON part names none of the reserved claims.
    let tail = String::from_utf8_lossy(&bytes[PARENT_AT + 1 + 5..]).into_owned();
    assert!(tail.starts_with('{'), "{tail}");
    for name in [
        "accessKey",
        "iat",
        "exp",
        "parent",
        "provider",
        "jti",
        "session",
    ] {
        assert!(!tail.contains(&format!("\"{name}")), "{name} in {tail}");
    }
}

#[test]
fn round_trip() {
    let mut c = Claims::new("uid=dillon,dc=min,dc=io", Provider::Ldap);
    c.sub = Some("dillon".into());
    c.policies = vec!["readwrite".into()];
    c.groups = vec!["cn=projecta".into()];
    c.token_revoke_type = Some("type-1".into());
    c.role_arn = Some("arn:minio:iam:::role/x".into());
    let policy = r#"{"Version":"2012-10-17"}"#;
    c.session_policy = Some(SessionPolicyJson::new(policy.into()).unwrap());
    c.extra.insert("ldapUsername".into(), json!("dillon"));
    let bytes = encode(c.clone(), IAT_S + 43_200);
    // The session policy travels as its own bytes, not escaped or base64.
    assert!(bytes.windows(policy.len()).any(|w| w == policy.as_bytes()));
    let (claims, meta) = Payload::decode(&bytes).unwrap().into_claims().unwrap();
    assert_eq!(claims, c);
    assert_eq!(
        (meta.access_key.as_str(), meta.exp, meta.iat_ns),
        (AK, IAT_S + 43_200, IAT_NS)
    );
}

#[test]
fn every_provider_with_and_without_a_session_policy() {
    let policy = SessionPolicyJson::new("{}".into()).unwrap();
    for provider in [
        Provider::Builtin,
        Provider::OpenId,
        Provider::Ldap,
        Provider::Certificate,
        Provider::Plugin,
    ] {
        for sp in [None, Some(policy.clone())] {
            let mut c = Claims::new("p", provider);
            c.session_policy = sp;
            let (back, _) = Payload::decode(&encode(c.clone(), IAT_S + 1))
                .unwrap()
                .into_claims()
                .unwrap();
            assert_eq!(back, c);
        }
    }
}

#[test]
fn an_assume_role_payload_is_only_its_head() {
    let bytes = encode(Claims::new("benchuser", Provider::Builtin), IAT_S + 3600);
    // head, iatNs, 2-byte lifetime, key, parent length and text.
    assert_eq!(bytes.len(), 1 + 8 + 2 + ACCESS_KEY_BYTES + 1 + 9);
    // The access key is not there as text.
    assert!(!bytes.windows(AK.len()).any(|w| w == AK.as_bytes()));
    let back = Payload::decode(&bytes).unwrap();
    assert_eq!(
        (back.parent.as_str(), back.provider, back.exp),
        ("benchuser", Provider::Builtin, IAT_S + 3600)
    );
    assert!(back.optional.extra.is_empty() && back.optional.sub.is_none());
}

#[test]
fn lifetimes_and_issue_instants_at_their_limits() {
    for (iat_ns, life) in [
        (IAT_NS, 0u32),
        (IAT_NS, 127),
        (IAT_NS, 128),
        (IAT_NS, 16_383),
        (IAT_NS, 16_384),
        (IAT_NS, u32::MAX),
        (0, 900),
        (-1, 900),
    ] {
        let exp = iat_ns.div_euclid(NANOS_PER_SEC) + i64::from(life);
        let p = Payload::build(Claims::new("a", Provider::Builtin), AK.into(), iat_ns, exp);
        let back = Payload::decode(&p.encode().unwrap()).unwrap();
        assert_eq!((back.iat_ns, back.exp), (iat_ns, exp), "{iat_ns} {life}");
    }
    // exp before the issue second, or 2^32 s after it: never encoded.
    for exp in [IAT_S - 1, IAT_S + (1 << 32)] {
        let p = Payload::build(Claims::new("a", Provider::Builtin), AK.into(), IAT_NS, exp);
        assert!(p.encode().is_none(), "{exp}");
    }
}

#[test]
fn decode_refuses_what_encode_never_writes() {
    let good = encode(Claims::new("alice", Provider::Ldap), IAT_S + 2);
    assert!(Payload::decode(&good).is_some());
    // Every truncation.
    for n in 0..good.len() {
        assert!(Payload::decode(&good[..n]).is_none(), "first {n} bytes");
    }
    let changed = |at: usize, byte: u8| {
        let mut v = good.clone();
        v[at] = byte;
        Payload::decode(&v)
    };
    // Another version (the first format, 1, included), an unknown provider.
    for head in [0x02, 0x12, 0x32, 0xf2, 0x25, 0x26, 0x27] {
        assert!(changed(0, head).is_none(), "{head:#x}");
    }
    // The session-policy flag without a policy after the parent.
    assert!(changed(0, 0x2a).is_none());
    // A length past the end.
    assert!(changed(PARENT_AT, 100).is_none());
    // An access key number of 36^20 or more.
    let mut v = good.clone();
    v[KEY_AT..PARENT_AT].fill(0xff);
    assert!(Payload::decode(&v).is_none());
    // A lifetime varint that is not minimal (2 as 0x82 0x00), or runs past 5 bytes / 32 bits.
    for life in [
        &[0x82, 0x00][..],
        &[0xff, 0xff, 0xff, 0xff, 0x10],
        &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
    ] {
        let mut v = good[..LIFE_AT].to_vec();
        v.extend_from_slice(life);
        v.extend_from_slice(&good[KEY_AT..]);
        assert!(Payload::decode(&v).is_none(), "{life:x?}");
    }
    // A tail that is not a JSON object, or is but with a wrongly typed claim.
    for tail in [&b"x"[..], b"[]", b"{\"policy\":1}", b"{} {}"] {
        let mut v = good.clone();
        v.extend_from_slice(tail);
        assert!(
            Payload::decode(&v).is_none(),
            "{}",
            String::from_utf8_lossy(tail)
        );
    }
    // Text that is not UTF-8.
    let at = good.len() - 1;
    assert!(changed(at, 0xff).is_none());
}

#[test]
fn what_issue_never_makes_is_never_encoded() {
    let build = |ak: &str, parent: String| {
        Payload::build(
            Claims::new(parent, Provider::Builtin),
            ak.into(),
            IAT_NS,
            IAT_S + 1,
        )
    };
    for ak in [
        "minioadmin",
        "akiaiosfodnn7example",
        "AKIAIOSFODNN7EXAMPLE1",
    ] {
        assert!(build(ak, "a".into()).encode().is_none(), "{ak}");
    }
    assert!(build(AK, "p".repeat(65_535)).encode().is_some());
    assert!(build(AK, "p".repeat(65_536)).encode().is_none());
}

#[test]
fn varints_round_trip_minimally() {
    for v in [
        0,
        1,
        127,
        128,
        300,
        16_383,
        16_384,
        1 << 21,
        1 << 28,
        u32::MAX,
    ] {
        let mut out = Vec::new();
        put_varint(&mut out, v);
        let bits = 32 - v.leading_zeros();
        assert_eq!(out.len(), bits.max(1).div_ceil(7) as usize, "{v}");
        assert_eq!(take_varint(&out), Some((v, &[][..])), "{v}");
    }
}
