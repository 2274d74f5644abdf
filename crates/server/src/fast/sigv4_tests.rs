use http::{HeaderMap, HeaderValue};
use s3s::auth::SecretKey;
use time::macros::datetime;

use super::*;

/// AWS's published example: "GET Object" from the SigV4 header-authentication docs
/// (examplebucket, /test.txt, Range bytes=0-9, 2013-05-24).
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
const NOW: OffsetDateTime = datetime!(2013-05-24 00:05:00 UTC);
const GET: Canonical<'static> = Canonical {
    method: "GET",
    uri: "/test.txt",
    query: "",
};

fn example() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "host",
        HeaderValue::from_static("examplebucket.s3.amazonaws.com"),
    );
    h.insert("range", HeaderValue::from_static("bytes=0-9"));
    h.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static(EMPTY_PAYLOAD_SHA256),
    );
    h.insert("x-amz-date", HeaderValue::from_static("20130524T000000Z"));
    h.insert("authorization", HeaderValue::from_static(AUTH));
    h
}

fn check(h: &HeaderMap, canonical: &Canonical<'_>, secret: &str, now: OffsetDateTime) -> bool {
    let Some(auth) = parse(h) else { return false };
    verify(h, &auth, canonical, &SecretKey::from(secret), now, 900)
}

#[test]
fn aws_example_verifies() {
    let h = example();
    let auth = parse(&h).unwrap();
    assert_eq!(auth.access_key, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(auth.region, "us-east-1");
    assert!(check(&h, &GET, SECRET, NOW));
    // Again: now from the thread's derived-key cache.
    assert!(check(&h, &GET, SECRET, NOW));
}

#[test]
fn every_signed_part_matters() {
    assert!(!check(
        &example(),
        &GET,
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ",
        NOW
    ));
    for canonical in [
        Canonical {
            method: "HEAD",
            ..GET
        },
        Canonical {
            uri: "/test.txu",
            ..GET
        },
        Canonical {
            query: "x-id=GetObject",
            ..GET
        },
    ] {
        assert!(!check(&example(), &canonical, SECRET, NOW));
    }
    for (name, value) in [
        ("host", "examplebucket.s3.amazonaws.co"),
        ("range", "bytes=0-8"),
        ("x-amz-date", "20130524T000001Z"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ] {
        let mut h = example();
        h.insert(name, HeaderValue::from_static(value));
        assert!(!check(&h, &GET, SECRET, NOW), "{name}");
    }
    // A signed header missing, or sent twice.
    let mut h = example();
    h.remove("range");
    assert!(!check(&h, &GET, SECRET, NOW));
    let mut h = example();
    h.append("range", HeaderValue::from_static("bytes=0-9"));
    assert!(!check(&h, &GET, SECRET, NOW));
}

#[test]
fn header_values_are_normalised_as_sigv4_says() {
    // Extra spaces and tabs around and inside a value canonicalise to the signed form.
    let mut h = example();
    h.insert("range", HeaderValue::from_static(" \tbytes=0-9  "));
    assert!(check(&h, &GET, SECRET, NOW));
    let mut h = example();
    h.insert("range", HeaderValue::from_static("bytes=0-9 x"));
    assert!(!check(&h, &GET, SECRET, NOW));
    // Not visible ASCII: left to s3s.
    let mut h = example();
    h.insert("range", HeaderValue::from_bytes(b"bytes=0-9\xff").unwrap());
    assert!(!check(&h, &GET, SECRET, NOW));
}

#[test]
fn clock_skew_and_scope_date() {
    let h = example();
    assert!(check(&h, &GET, SECRET, datetime!(2013-05-24 00:15:00 UTC)));
    assert!(check(&h, &GET, SECRET, datetime!(2013-05-23 23:45:00 UTC)));
    assert!(!check(&h, &GET, SECRET, datetime!(2013-05-24 00:15:01 UTC)));
    assert!(!check(&h, &GET, SECRET, datetime!(2013-05-23 23:44:59 UTC)));
    // The scope's day must be x-amz-date's.
    let mut h = example();
    h.insert("x-amz-date", HeaderValue::from_static("20130525T000000Z"));
    assert!(!check(&h, &GET, SECRET, datetime!(2013-05-25 00:00:00 UTC)));
    for bad in [
        "2013-05-24T00:00:00Z",
        "20130524T000000",
        "20131324T000000Z",
        "20130524T250000Z",
    ] {
        assert!(crate::scope::parse_amz_date(bad).is_none(), "{bad}");
    }
}

#[test]
fn only_the_plain_header_form_is_recognised() {
    let example_headers = example();
    let good = parse(&example_headers).unwrap();
    assert_eq!(
        good.signed_headers,
        "host;range;x-amz-content-sha256;x-amz-date"
    );
    // Spaces after the commas, as most SDKs send it.
    let spaced = AUTH
        .replace(",SignedHeaders", ", SignedHeaders")
        .replace(",Signature", ", Signature");
    let mut h = example();
    h.insert("authorization", HeaderValue::from_str(&spaced).unwrap());
    assert!(check(&h, &GET, SECRET, NOW));
    for bad in [
        AUTH.replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA512 "),
        AUTH.replace("/s3/", "/sts/"),
        AUTH.replace("aws4_request", "aws4_reques"),
        AUTH.replace("/20130524/", "/2013052/"),
        AUTH.replace("host;range", "range;host"),
        AUTH.replace("host;range", "host;host;range"),
        AUTH.replace("host;range", "Host;range"),
        AUTH.replace("host;range", "authorization;host;range"),
        AUTH.replace("Signature=f0e8", "Signature=F0E8"),
        AUTH.replace("Signature=f0e8", "Signature=f0e"),
        AUTH.replace("Signature=f0e8", "Signature=g0e8"),
        format!("{AUTH},Extra=1"),
        AUTH.replace("Credential=AKIAIOSFODNN7EXAMPLE/", "Credential=/"),
        AUTH.replace("SignedHeaders=", "Signedheaders="),
    ] {
        let mut h = example();
        h.insert("authorization", HeaderValue::from_str(&bad).unwrap());
        assert!(parse(&h).is_none(), "{bad}");
    }
    let many: Vec<String> = (0..=MAX_SIGNED_HEADERS)
        .map(|i| format!("h{i:02}"))
        .collect();
    assert!(!well_formed_signed_headers(&many.join(";")));
    assert!(well_formed_signed_headers(
        &many[..MAX_SIGNED_HEADERS].join(";")
    ));
}

#[test]
fn derived_keys_follow_secret_day_and_region() {
    // What the cached keyed HMAC signs, against an HMAC keyed with the freshly derived key.
    let sign = |secret: &SecretKey, date: &str, region: &str| {
        with_signing_key(secret, date, region, |mut mac| {
            mac.update(b"string to sign");
            <[u8; 32]>::from(mac.finalize().into_bytes())
        })
    };
    let want = |secret: &str, date: &str, region: &str| {
        hmac(&*derive(secret, date, region), b"string to sign")
    };
    let a = SecretKey::from(SECRET);
    let b = SecretKey::from("another-secret-key-of-forty-characters!!");
    let sa = sign(&a, "20130524", "us-east-1");
    assert_eq!(sa, want(SECRET, "20130524", "us-east-1"));
    assert_eq!(sign(&a, "20130524", "us-east-1"), sa);
    assert_ne!(sign(&b, "20130524", "us-east-1"), sa);
    assert_ne!(sign(&a, "20130525", "us-east-1"), sa);
    assert_ne!(sign(&a, "20130524", ""), sa);
    // More credentials than the cache holds: every answer is still the derived key's.
    for i in 0..(3 * KEYS_PER_THREAD) {
        let s = format!("secret-number-{i}");
        assert_eq!(
            sign(&SecretKey::from(s.as_str()), "20130524", "r"),
            want(&s, "20130524", "r")
        );
    }
    assert_eq!(sign(&a, "20130524", "us-east-1"), sa);
}

#[test]
fn visible_ascii_scan_agrees_with_the_byte_by_byte_rule() {
    let naive = |v: &[u8]| v.iter().all(|b| (0x21..0x7f).contains(b));
    for len in [0, 1, 7, 8, 9, 16, 19, 33] {
        for pos in 0..len {
            for b in 0..=255u8 {
                let mut v = vec![b'a'; len];
                v[pos] = b;
                assert_eq!(
                    all_visible_ascii(&v),
                    naive(&v),
                    "len {len} pos {pos} byte {b:#x}"
                );
                // Two odd bytes: a borrow or carry from one never hides or invents the other.
                if len > 1 {
                    v[(pos + 1) % len] = 0x7e;
                    assert_eq!(
                        all_visible_ascii(&v),
                        naive(&v),
                        "len {len} pos {pos} byte {b:#x}+7e"
                    );
                    v[(pos + 1) % len] = 0x21;
                    assert_eq!(
                        all_visible_ascii(&v),
                        naive(&v),
                        "len {len} pos {pos} byte {b:#x}+21"
                    );
                }
            }
        }
    }
}

/// A request signed with a session token (a temporary credential's): the token is a signed
/// header like any other, looked up under its pre-parsed name.
#[test]
fn a_signed_session_token_must_be_the_one_sent_once() {
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsImtpZCI6IjEifQ.IAABhEM1.c2lnbmF0dXJl";
    // The canonical request and string to sign spelled out as the SigV4 docs list them.
    let signed = "host;x-amz-content-sha256;x-amz-date;x-amz-security-token";
    let canonical = format!(
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:{EMPTY_PAYLOAD_SHA256}\nx-amz-date:20130524T000000Z\nx-amz-security-token:{TOKEN}\n\n{signed}\n{EMPTY_PAYLOAD_SHA256}"
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let signature = hex::encode(hmac(
        &*derive(SECRET, "20130524", "us-east-1"),
        to_sign.as_bytes(),
    ));
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed},Signature={signature}"
    );
    let headers = |token: &[&str]| {
        let mut h = example();
        h.remove("range");
        h.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        for t in token {
            h.append(SECURITY_TOKEN_HEADER, HeaderValue::from_str(t).unwrap());
        }
        h
    };
    assert!(check(&headers(&[TOKEN]), &GET, SECRET, NOW));
    let tampered = TOKEN.replace("IAAB", "IAAC");
    assert!(!check(&headers(&[&tampered]), &GET, SECRET, NOW));
    assert!(!check(&headers(&[]), &GET, SECRET, NOW));
    assert!(!check(&headers(&[TOKEN, TOKEN]), &GET, SECRET, NOW));
}
