//! Operator semantics, one small table per family.

use super::*;
use crate::action::compile_pattern;

fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
    let lits: Vec<Literal> = values
        .iter()
        .map(|v| Literal::String(v.to_string()))
        .collect();
    compile(op, key, &lits, &compile_pattern("s3:*").unwrap()).unwrap()
}

fn ctx(key: &str, values: &[&str]) -> ConditionValues {
    let mut c = ConditionValues::new();
    c.set(key, values.iter().copied());
    c
}

#[test]
fn missing_key_semantics() {
    let none = ConditionValues::new();
    // (operator, expected when the key is absent)
    let table = [
        ("StringEquals", false),
        ("StringNotEquals", true),
        ("StringLike", false),
        ("StringNotLike", true),
        ("StringEqualsIgnoreCase", false),
        ("StringNotEqualsIgnoreCase", true),
        ("StringEqualsIfExists", true),
        ("StringNotEqualsIfExists", true),
        ("ForAnyValue:StringEquals", false),
        ("ForAnyValue:StringNotEquals", false),
        ("ForAllValues:StringEquals", true),
        ("ForAllValues:StringNotEquals", true),
        ("ForAnyValue:StringEqualsIfExists", true),
    ];
    for (op, want) in table {
        assert_eq!(cond(op, "s3:prefix", &["a"]).evaluate(&none), want, "{op}");
    }
    for (op, want) in [
        ("IpAddress", false),
        ("NotIpAddress", true),
        ("IpAddressIfExists", true),
    ] {
        assert_eq!(
            cond(op, "aws:SourceIp", &["10.0.0.0/8"]).evaluate(&none),
            want,
            "{op}"
        );
    }
    for (op, want) in [
        ("NumericEquals", false),
        ("NumericNotEquals", true),
        ("NumericLessThanIfExists", true),
    ] {
        assert_eq!(
            cond(op, "s3:max-keys", &["10"]).evaluate(&none),
            want,
            "{op}"
        );
    }
    for (op, want) in [("DateLessThan", false), ("DateNotEquals", true)] {
        assert_eq!(
            cond(op, "aws:CurrentTime", &["2020-01-01T00:00:00Z"]).evaluate(&none),
            want,
            "{op}"
        );
    }
    assert!(!cond("Bool", "aws:SecureTransport", &["true"]).evaluate(&none));
}

#[test]
fn string_operators() {
    let c = ctx("s3:prefix", &["home/Bob/"]);
    assert!(cond("StringEquals", "s3:prefix", &["x", "home/Bob/"]).evaluate(&c));
    assert!(!cond("StringEquals", "s3:prefix", &["home/bob/"]).evaluate(&c));
    assert!(cond("StringEqualsIgnoreCase", "s3:prefix", &["HOME/BOB/"]).evaluate(&c));
    assert!(!cond("StringNotEqualsIgnoreCase", "s3:prefix", &["HOME/BOB/"]).evaluate(&c));
    assert!(cond("StringLike", "s3:prefix", &["home/*"]).evaluate(&c));
    assert!(cond("StringLike", "s3:prefix", &["home/B?b/"]).evaluate(&c));
    assert!(!cond("StringNotLike", "s3:prefix", &["home/*"]).evaluate(&c));
    assert!(cond("StringNotEquals", "s3:prefix", &["home/"]).evaluate(&c));
    // StringEquals treats * literally.
    assert!(!cond("StringEquals", "s3:prefix", &["home/*"]).evaluate(&c));
    // Key name is case-insensitive.
    assert!(cond("StringEquals", "S3:PREFIX", &["home/Bob/"]).evaluate(&c));
}

#[test]
fn string_values_substitute_variables_exactly() {
    let mut c = ctx("s3:prefix", &["bob/"]);
    c.insert("aws:username", "bob");
    assert!(cond("StringLike", "s3:prefix", &["${aws:username}/*"]).evaluate(&c));
    c.set("aws:username", ["bo"]);
    assert!(!cond("StringLike", "s3:prefix", &["${aws:username}/*"]).evaluate(&c));
    c.set("aws:username", ["*"]);
    assert!(!cond("StringLike", "s3:prefix", &["${aws:username}/*"]).evaluate(&c));
}

#[test]
fn qualifiers_on_multivalued_keys() {
    let c = ctx("s3:RequestObjectTagKeys", &["security", "virus"]);
    let k = "s3:RequestObjectTagKeys";
    assert!(cond("ForAllValues:StringLike", k, &["security", "virus"]).evaluate(&c));
    assert!(!cond("ForAllValues:StringLike", k, &["security"]).evaluate(&c));
    assert!(cond("ForAnyValue:StringLike", k, &["security"]).evaluate(&c));
    assert!(!cond("ForAnyValue:StringLike", k, &["other"]).evaluate(&c));
    assert!(cond("ForAnyValue:StringNotEquals", k, &["security"]).evaluate(&c));
    assert!(!cond("ForAnyValue:StringNotEquals", k, &["security", "virus"]).evaluate(&c));
    assert!(cond("ForAllValues:StringNotEquals", k, &["other"]).evaluate(&c));
    assert!(!cond("ForAllValues:StringNotEquals", k, &["virus"]).evaluate(&c));
    // Plain operators: any value.
    assert!(cond("StringEquals", k, &["virus"]).evaluate(&c));
    assert!(!cond("StringNotEquals", k, &["virus"]).evaluate(&c));
}

#[test]
fn ip_operators() {
    let c = ctx("aws:SourceIp", &["192.0.2.10"]);
    assert!(cond("IpAddress", "aws:SourceIp", &["192.0.2.0/24"]).evaluate(&c));
    assert!(!cond("NotIpAddress", "aws:SourceIp", &["192.0.2.0/24"]).evaluate(&c));
    assert!(
        cond(
            "NotIpAddress",
            "aws:SourceIp",
            &["203.0.113.0/24", "2001:db8::/32"]
        )
        .evaluate(&c)
    );
    let v6 = ctx("aws:SourceIp", &["2001:db8::5"]);
    assert!(cond("IpAddress", "aws:SourceIp", &["2001:db8::/32"]).evaluate(&v6));
    let junk = ctx("aws:SourceIp", &["not-an-ip"]);
    assert!(!cond("IpAddress", "aws:SourceIp", &["0.0.0.0/0"]).evaluate(&junk));
}

#[test]
fn numeric_date_bool_null() {
    let c = ctx("s3:max-keys", &["10"]);
    assert!(cond("NumericEquals", "s3:max-keys", &["10"]).evaluate(&c));
    assert!(cond("NumericEquals", "s3:max-keys", &["10.0"]).evaluate(&c));
    assert!(cond("NumericNotEquals", "s3:max-keys", &["11"]).evaluate(&c));
    assert!(cond("NumericLessThan", "s3:max-keys", &["11"]).evaluate(&c));
    assert!(!cond("NumericLessThan", "s3:max-keys", &["10"]).evaluate(&c));
    assert!(cond("NumericLessThanEquals", "s3:max-keys", &["10"]).evaluate(&c));
    assert!(cond("NumericGreaterThan", "s3:max-keys", &["9"]).evaluate(&c));
    assert!(cond("NumericGreaterThanEquals", "s3:max-keys", &["10"]).evaluate(&c));
    assert!(cond("NumericGreaterThanIfExists", "s3:max-keys", &["9"]).evaluate(&c));
    assert!(
        !cond("NumericGreaterThan", "s3:max-keys", &["9"]).evaluate(&ctx("s3:max-keys", &["ten"]))
    );

    let t = ctx("aws:CurrentTime", &["2024-05-01T12:00:00Z"]);
    assert!(
        cond(
            "DateGreaterThan",
            "aws:CurrentTime",
            &["2024-01-01T00:00:00Z"]
        )
        .evaluate(&t)
    );
    assert!(cond("DateLessThan", "aws:CurrentTime", &["2024-12-31"]).evaluate(&t));
    assert!(
        cond(
            "DateEquals",
            "aws:CurrentTime",
            &["2024-05-01T14:00:00+02:00"]
        )
        .evaluate(&t)
    );
    assert!(
        cond(
            "DateNotEquals",
            "aws:CurrentTime",
            &["2024-05-01T12:00:01Z"]
        )
        .evaluate(&t)
    );
    assert!(
        cond(
            "DateLessThanEquals",
            "aws:CurrentTime",
            &["2024-05-01T12:00:00Z"]
        )
        .evaluate(&t)
    );
    assert!(cond("DateGreaterThanEquals", "aws:CurrentTime", &["1714564800"]).evaluate(&t));
    let e = ctx("aws:EpochTime", &["1714564800"]);
    assert!(cond("DateEquals", "aws:EpochTime", &["2024-05-01T12:00:00Z"]).evaluate(&e));

    let tls = ctx("aws:SecureTransport", &["false"]);
    assert!(cond("Bool", "aws:SecureTransport", &["false"]).evaluate(&tls));
    assert!(!cond("Bool", "aws:SecureTransport", &["true"]).evaluate(&tls));

    assert!(cond("Null", "s3:x-amz-server-side-encryption", &["true"]).evaluate(&tls));
    assert!(!cond("Null", "aws:SecureTransport", &["true"]).evaluate(&tls));
    assert!(cond("Null", "aws:SecureTransport", &["false"]).evaluate(&tls));
}

#[test]
fn binary_equals() {
    let c = ctx("s3:x-amz-content-sha256", &["hello"]);
    assert!(cond("BinaryEquals", "s3:x-amz-content-sha256", &["aGVsbG8="]).evaluate(&c));
    assert!(!cond("BinaryEquals", "s3:x-amz-content-sha256", &["aGVsbG9v"]).evaluate(&c));
}

#[test]
fn refuses_bad_conditions() {
    let s3 = compile_pattern("s3:*").unwrap();
    let lit = |v: &str| vec![Literal::String(v.into())];
    for (op, key, v) in [
        ("StringEqualz", "s3:prefix", "a"),
        ("stringequals", "s3:prefix", "a"),
        ("IpAddress", "aws:SourceIp", "300.0.0.0/8"),
        ("NumericEquals", "s3:max-keys", "ten"),
        ("DateEquals", "aws:CurrentTime", "tomorrow"),
        ("Bool", "aws:SecureTransport", "yes"),
        ("NullIfExists", "s3:prefix", "true"),
        ("ForAnyValue:Null", "s3:prefix", "true"),
        ("BinaryEquals", "s3:prefix", "***"),
        ("StringEquals", "aws:unknownkey", "a"),
        ("ForSomeValues:StringEquals", "s3:prefix", "a"),
    ] {
        assert!(compile(op, key, &lit(v), &s3).is_err(), "{op} {key} {v}");
    }
    assert!(compile("StringEquals", "s3:prefix", &[], &s3).is_err());
}

/// `aws:SourceIp`, `aws:CurrentTime` and `aws:EpochTime` set typed (as the server does) decide
/// every operator exactly as the same values set as text.
#[test]
fn typed_values_decide_as_their_text() {
    let ips = ["10.1.2.3", "::ffff:10.1.2.3", "2001:db8::7", "192.0.2.1"];
    let ip_conds = [
        cond("IpAddress", "aws:SourceIp", &["10.0.0.0/8"]),
        cond(
            "NotIpAddress",
            "aws:SourceIp",
            &["10.0.0.0/8", "2001:db8::/32"],
        ),
        cond("ForAnyValue:IpAddress", "aws:SourceIp", &["192.0.2.0/24"]),
        cond("ForAllValues:NotIpAddress", "aws:SourceIp", &["10.0.0.0/8"]),
        cond("IpAddressIfExists", "aws:SourceIp", &["2001:db8::/32"]),
        cond("StringEquals", "aws:SourceIp", &["10.1.2.3"]),
        cond("StringLike", "aws:SourceIp", &["2001:*"]),
        cond("Null", "aws:SourceIp", &["false"]),
    ];
    for ip in ips {
        let mut typed = ConditionValues::new();
        typed.set_source_ip(ip.parse().unwrap());
        let text = ctx(
            "aws:SourceIp",
            &[&ip
                .parse::<std::net::IpAddr>()
                .unwrap()
                .to_canonical()
                .to_string()],
        );
        for c in &ip_conds {
            assert_eq!(c.evaluate(&typed), c.evaluate(&text), "{c:?} {ip}");
        }
    }
    let times = [1_577_836_799, 1_577_836_800, 1_577_836_801, 1_700_000_000];
    let time_conds = [
        cond(
            "DateGreaterThan",
            "aws:CurrentTime",
            &["2020-01-01T00:00:00Z"],
        ),
        cond(
            "DateLessThanEquals",
            "aws:CurrentTime",
            &["2020-01-01T00:00:00Z"],
        ),
        cond(
            "DateNotEquals",
            "aws:CurrentTime",
            &["2020-01-01T00:00:00Z"],
        ),
        cond("ForAllValues:DateEquals", "aws:EpochTime", &["1577836800"]),
        cond("DateGreaterThanEquals", "aws:EpochTime", &["2020-01-01"]),
        cond("NumericLessThan", "aws:EpochTime", &["1577836801"]),
        cond("StringLike", "aws:CurrentTime", &["2020-*"]),
        cond("StringEquals", "aws:EpochTime", &["1577836800"]),
    ];
    for secs in times {
        // Sub-second precision: `aws:CurrentTime` keeps it, `aws:EpochTime` drops it.
        let at = time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
            + time::Duration::milliseconds(250);
        let mut typed = ConditionValues::new();
        typed.set_current_time(at).set_epoch_time(at);
        let mut text = ConditionValues::new();
        text.insert(
            "aws:CurrentTime",
            at.format(&time::format_description::well_known::Rfc3339)
                .unwrap(),
        )
        .insert("aws:EpochTime", secs.to_string());
        for c in &time_conds {
            assert_eq!(c.evaluate(&typed), c.evaluate(&text), "{c:?} {secs}");
        }
    }
}
