//! Hostile documents: each is refused with a clean error (never a panic) and quickly.

use std::time::{Duration, Instant};

use strongbox_policy::{
    Action, ConditionValues, MAX_DEPTH, MAX_POLICY_BYTES, Policy, PolicyError, PolicySet, Request,
};

/// Parses under all three kinds and returns the identity-policy result, failing the test if any
/// parse takes longer than `budget`.
fn parse_quickly(doc: &[u8], budget: Duration) -> Result<Policy, PolicyError> {
    let start = Instant::now();
    let r = Policy::parse(doc);
    let _ = Policy::parse_session(doc);
    let _ = Policy::parse_bucket(doc);
    assert!(start.elapsed() < budget, "took {:?}", start.elapsed());
    r
}

fn fast(doc: &[u8]) -> Result<Policy, PolicyError> {
    parse_quickly(doc, Duration::from_secs(2))
}

#[test]
fn deeply_nested_documents() {
    for doc in [
        "[".repeat(10_000),
        "{\"a\":".repeat(10_000),
        format!(
            "{{\"Version\":\"2012-10-17\",\"Statement\":{}",
            "[".repeat(10_000)
        ),
        format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)),
    ] {
        assert_eq!(
            fast(doc.as_bytes()).unwrap_err(),
            PolicyError::TooDeep { limit: MAX_DEPTH }
        );
    }
    // Nested arrays inside a condition value: a type error within the depth limit, "too deep" past it.
    let nested = |n: usize| {
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{{"StringEquals":{{"s3:prefix":{}"x"{}}}}}}}]}}"#,
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    assert!(matches!(
        fast(nested(3).as_bytes()),
        Err(PolicyError::Invalid { .. })
    ));
    assert!(matches!(
        fast(nested(4).as_bytes()),
        Err(PolicyError::TooDeep { .. })
    ));
}

#[test]
fn huge_documents() {
    let big = vec![b' '; MAX_POLICY_BYTES + 1];
    assert_eq!(
        fast(&big).unwrap_err(),
        PolicyError::TooLarge {
            size: MAX_POLICY_BYTES + 1,
            limit: MAX_POLICY_BYTES
        }
    );
    // Just under the cap, with far too many statements.
    let stmt = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},"#;
    let mut doc = String::from(r#"{"Version":"2012-10-17","Statement":["#);
    while doc.len() + stmt.len() + 200 < MAX_POLICY_BYTES {
        doc.push_str(stmt);
    }
    doc.push_str(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#);
    let e = fast(doc.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("more than 1000 statements"), "{e}");
    // A long string.
    let doc = format!(
        r#"{{"Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{}"}}]}}"#,
        "a".repeat(10_000)
    );
    assert!(
        fast(doc.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("longer than")
    );
    // A huge number of values.
    let values = vec!["\"s3:GetObject\""; 5000].join(",");
    let doc =
        format!(r#"{{"Statement":[{{"Effect":"Allow","Action":[{values}],"Resource":"*"}}]}}"#);
    assert!(
        fast(doc.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("more than 1000 values")
    );
}

#[test]
fn malformed_json() {
    for doc in [
        &b""[..],
        b"null",
        b"[]",
        b"\"policy\"",
        b"42",
        b"{",
        b"{\"Version\":\"2012-10-17\",\"Statement\":[]}}",
        b"{\"Version\":\"2012-10-17\",\"Statement\":[]} trailing",
        b"{'Version':'2012-10-17'}",
        b"{\"Version\":\"2012-10-17\",\"Statement\":[],}",
        b"\xff\xfe{}",
        b"{\"Version\":\"2012-10-17\xc3\x28\"}",
        b"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{\"NumericEquals\":{\"s3:max-keys\":1e999}}}]}",
    ] {
        let r = fast(doc);
        assert!(r.is_err(), "{:?} parsed", String::from_utf8_lossy(doc));
    }
}

#[test]
fn unicode_tricks() {
    let wrap = |action: &str, resource: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
        )
    };
    let cases = [
        // NUL, escaped and raw-escaped.
        wrap("s3:Get\\u0000Object", "*"),
        wrap("s3:GetObject", "arn:aws:s3:::b\\u0000/*"),
        // Lone surrogates.
        wrap("s3:GetObject\\ud800", "*"),
        wrap("s3:GetObject", "arn:aws:s3:::b/\\udc00"),
        // Homoglyphs: Greek capital omicron, Cyrillic dze, full-width colon.
        wrap("s3:Get\u{039F}bject", "*"),
        wrap("\u{0455}3:GetObject", "*"),
        wrap("s3\u{FF1A}GetObject", "*"),
        // Bidi override, zero-width space and BOM in a resource.
        wrap("s3:GetObject", "arn:aws:s3:::b\u{202E}/*"),
        wrap("s3:GetObject", "arn:aws:s3:::b\u{200B}/*"),
        wrap("s3:GetObject", "arn:aws:s3:::\u{FEFF}b/*"),
        // Effect with a trailing invisible character.
        r#"{"Statement":[{"Effect":"Allow\u200d","Action":"s3:*","Resource":"*"}]}"#.to_owned(),
    ];
    for doc in cases {
        let e = fast(doc.as_bytes()).unwrap_err();
        assert!(
            matches!(e, PolicyError::Invalid { .. } | PolicyError::Syntax(_)),
            "{doc}: {e:?}"
        );
    }
    // Non-ASCII that is not a trick is fine in resources (object keys can be any UTF-8).
    assert!(fast(wrap("s3:GetObject", "arn:aws:s3:::b/résumé/日本/*").as_bytes()).is_ok());
}

#[test]
fn pathological_patterns_evaluate_quickly() {
    let pattern = format!("arn:aws:s3:::b/{}x", "*a".repeat(400));
    let doc = format!(
        r#"{{"Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{pattern}"}}]}}"#
    );
    let set = PolicySet::single(
        "p",
        std::sync::Arc::new(Policy::parse(doc.as_bytes()).unwrap()),
    );
    let key = "a".repeat(1024);
    let ctx = ConditionValues::new();
    let start = Instant::now();
    let d = set.evaluate(&Request::new(Action::GetObject, "b", Some(&key), &ctx));
    assert!(!d.is_allowed());
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
}
