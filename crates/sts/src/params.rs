//! STS request parameters (spec §1.3–§1.5): the strict `application/x-www-form-urlencoded`
//! parser, the query/body merge (query wins, first value of a key only), the `Version` check and
//! the `Action` dispatch.

use std::collections::HashMap;

use crate::error::StsError;

/// Largest STS form body we read. The server must stop reading after `MAX_FORM_BODY + 1` bytes
/// and hand what it read to [`StsParams::from_query_and_body`], which then answers with a clear
/// error. (MinIO hashes up to 10 MiB; no STS request needs more than a few KiB.)
pub const MAX_FORM_BODY: usize = 64 * 1024;
/// Largest raw query string we parse.
pub const MAX_QUERY: usize = 16 * 1024;
/// At most this many `key=value` pairs per source.
pub const MAX_PAIRS: usize = 256;

/// The only accepted `Version`.
pub const STS_API_VERSION: &str = "2011-06-15";

/// An STS action (spec §1.5, plus AWS `GetCallerIdentity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    AssumeRole,
    AssumeRoleWithWebIdentity,
    AssumeRoleWithClientGrants,
    AssumeRoleWithLdapIdentity,
    AssumeRoleWithCertificate,
    AssumeRoleWithCustomToken,
    GetCallerIdentity,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::AssumeRole,
        Action::AssumeRoleWithWebIdentity,
        Action::AssumeRoleWithClientGrants,
        Action::AssumeRoleWithLdapIdentity,
        Action::AssumeRoleWithCertificate,
        Action::AssumeRoleWithCustomToken,
        Action::GetCallerIdentity,
    ];

    /// The wire name (case-sensitive).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::AssumeRole => "AssumeRole",
            Action::AssumeRoleWithWebIdentity => "AssumeRoleWithWebIdentity",
            Action::AssumeRoleWithClientGrants => "AssumeRoleWithClientGrants",
            Action::AssumeRoleWithLdapIdentity => "AssumeRoleWithLDAPIdentity",
            Action::AssumeRoleWithCertificate => "AssumeRoleWithCertificate",
            Action::AssumeRoleWithCustomToken => "AssumeRoleWithCustomToken",
            Action::GetCallerIdentity => "GetCallerIdentity",
        }
    }

    /// Exact, case-sensitive match of a wire name.
    pub fn from_wire(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Request parameters after the merge. Only the first value of each key is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StsParams {
    values: HashMap<String, String>,
}

impl StsParams {
    /// Parameters from the URL query only (Certificate and CustomToken read nothing else).
    pub fn from_query(raw_query: &str) -> Result<Self, StsError> {
        let mut p = StsParams::default();
        p.merge_from(raw_query.as_bytes(), MAX_QUERY, "query string")?;
        Ok(p)
    }

    /// Query parameters merged with a form body (spec §1.3): body keys already present in the
    /// query are ignored. The body is read only if `content_type` is
    /// `application/x-www-form-urlencoded` (any parameters such as `; charset=utf-8`);
    /// otherwise it is ignored, as Go's `ParseForm` does.
    pub fn from_query_and_body(
        raw_query: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Self, StsError> {
        let mut p = Self::from_query(raw_query)?;
        if content_type.is_some_and(is_form_media_type) {
            if body.len() > MAX_FORM_BODY {
                return Err(StsError::invalid_parameter(format!(
                    "STS request body exceeds {MAX_FORM_BODY} bytes"
                )));
            }
            p.merge_from(body, MAX_FORM_BODY, "request body")?;
        }
        Ok(p)
    }

    /// The first value of `key`, if present (an empty value counts as present).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// The first value of `key`, treating an empty value as absent (MinIO's `Get(k) != ""`).
    pub fn get_non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// Keep the first value of each key; keys already present (from the query) win.
    fn merge_from(&mut self, raw: &[u8], limit: usize, what: &str) -> Result<(), StsError> {
        for (k, v) in parse_urlencoded(raw, limit)
            .map_err(|e| StsError::invalid_parameter(format!("Unable to parse the {what}: {e}")))?
        {
            self.values.entry(k).or_insert(v);
        }
        Ok(())
    }
}

/// Spec §1.5 checks shared by every STS handler, in MinIO's order: `Version` first
/// (`MissingParameter`), then `Action` (`InvalidParameterValue "Unsupported action X"`).
/// Whether the action is allowed on the route it came by is `StsRoute::dispatch`'s job.
pub fn check_version_and_action(params: &StsParams) -> Result<Action, StsError> {
    let version = params.get("Version").unwrap_or("");
    if version != STS_API_VERSION {
        return Err(StsError::missing_parameter(format!(
            "Invalid STS API version {version}, expecting {STS_API_VERSION}"
        )));
    }
    let action = params.get("Action").unwrap_or("");
    Action::from_wire(action).ok_or_else(|| unsupported_action(action))
}

pub(crate) fn unsupported_action(action: &str) -> StsError {
    StsError::invalid_parameter(format!("Unsupported action {action}"))
}

/// `application/x-www-form-urlencoded` with optional parameters; the media type compares
/// case-insensitively (RFC 9110 §8.3.1), like Go's `mime.ParseMediaType`.
pub fn is_form_media_type(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// Why a urlencoded string was rejected (the text goes to the client; it has no secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("input exceeds {0} bytes")]
    TooLong(usize),
    #[error("more than {MAX_PAIRS} parameters")]
    TooManyPairs,
    #[error("invalid URL escape")]
    BadEscape,
    #[error("invalid semicolon separator")]
    Semicolon,
    #[error("parameter is not valid UTF-8")]
    NotUtf8,
}

/// Strict `application/x-www-form-urlencoded` parse: `&`-separated, `+` is a space, `%XX`
/// escapes must be well formed, `;` is refused (as Go ≥ 1.17 does), empty pairs are skipped,
/// a key without `=` has the empty value, decoded text must be UTF-8. Bounded by `limit` bytes
/// and [`MAX_PAIRS`] pairs.
pub fn parse_urlencoded(raw: &[u8], limit: usize) -> Result<Vec<(String, String)>, FormError> {
    if raw.len() > limit {
        return Err(FormError::TooLong(limit));
    }
    let mut out = Vec::new();
    for pair in raw.split(|b| *b == b'&') {
        if pair.is_empty() {
            continue;
        }
        if pair.contains(&b';') {
            return Err(FormError::Semicolon);
        }
        if out.len() == MAX_PAIRS {
            return Err(FormError::TooManyPairs);
        }
        let (k, v) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        out.push((decode_component(k)?, decode_component(v)?));
    }
    Ok(out)
}

fn decode_component(s: &[u8]) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = s.get(i + 1).and_then(|c| hex_val(*c));
                let lo = s.get(i + 2).and_then(|c| hex_val(*c));
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(FormError::BadEscape),
                }
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| FormError::NotUtf8)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::StsErrorCode;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

    #[test]
    fn query_wins_over_body_and_first_value_only() {
        let p = StsParams::from_query_and_body(
            "Action=AssumeRole&DurationSeconds=900&DurationSeconds=1000",
            FORM,
            b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&Policy=%7B%7D&Version=x",
        )
        .unwrap();
        assert_eq!(p.get("Action"), Some("AssumeRole"));
        assert_eq!(p.get("DurationSeconds"), Some("900"));
        assert_eq!(p.get("Version"), Some("2011-06-15"));
        assert_eq!(p.get("Policy"), Some("{}"));
    }

    #[test]
    fn charset_suffix_and_case_accepted_other_types_ignore_body() {
        for ct in [
            "application/x-www-form-urlencoded; charset=utf-8",
            "Application/X-WWW-Form-Urlencoded;charset=UTF-8",
        ] {
            let p = StsParams::from_query_and_body("", Some(ct), b"Action=AssumeRole").unwrap();
            assert_eq!(p.get("Action"), Some("AssumeRole"), "{ct}");
        }
        for ct in [None, Some("application/json"), Some("text/plain")] {
            let p = StsParams::from_query_and_body("", ct, b"Action=AssumeRole").unwrap();
            assert_eq!(p.get("Action"), None);
        }
    }

    #[test]
    fn decoding_rules() {
        let v = parse_urlencoded(b"a=b+c%2Bd&&e&f=&=g&h=%C3%A9", 100).unwrap();
        let want = [("a", "b c+d"), ("e", ""), ("f", ""), ("", "g"), ("h", "é")];
        let got: Vec<(&str, &str)> = v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn malformed_input_rejected() {
        assert_eq!(parse_urlencoded(b"a=%4", 100), Err(FormError::BadEscape));
        assert_eq!(parse_urlencoded(b"a=%zz", 100), Err(FormError::BadEscape));
        assert_eq!(parse_urlencoded(b"a=1;b=2", 100), Err(FormError::Semicolon));
        assert_eq!(parse_urlencoded(b"a=%ff", 100), Err(FormError::NotUtf8));
        assert_eq!(parse_urlencoded(b"abcdef", 5), Err(FormError::TooLong(5)));
        let many = vec!["k=v"; MAX_PAIRS + 1].join("&");
        assert_eq!(
            parse_urlencoded(many.as_bytes(), 100_000),
            Err(FormError::TooManyPairs)
        );
        let e = StsParams::from_query_and_body("", FORM, b"Policy=%G0").unwrap_err();
        assert_eq!(e.code(), StsErrorCode::InvalidParameterValue);
        assert!(e.message().contains("request body"), "{}", e.message());
    }

    #[test]
    fn body_size_bound() {
        let mut body = b"Action=AssumeRole&Policy=".to_vec();
        body.resize(MAX_FORM_BODY, b'a');
        assert!(StsParams::from_query_and_body("", FORM, &body).is_ok());
        body.push(b'a');
        let e = StsParams::from_query_and_body("", FORM, &body).unwrap_err();
        assert_eq!(e.code(), StsErrorCode::InvalidParameterValue);
        assert_eq!(e.message(), "STS request body exceeds 65536 bytes");
    }

    #[test]
    fn version_checked_before_action() {
        let p = StsParams::from_query("Action=Nope&Version=2011-06-16").unwrap();
        let e = check_version_and_action(&p).unwrap_err();
        assert_eq!(e.code(), StsErrorCode::MissingParameter);
        assert_eq!(
            e.message(),
            "Invalid STS API version 2011-06-16, expecting 2011-06-15"
        );
        let p = StsParams::from_query("Action=AssumeRole").unwrap();
        let e = check_version_and_action(&p).unwrap_err();
        assert_eq!(
            e.message(),
            "Invalid STS API version , expecting 2011-06-15"
        );
    }

    #[test]
    fn every_action_dispatches_and_unknown_is_ipv() {
        for a in Action::ALL {
            let q = format!("Action={}&Version=2011-06-15", a.as_str());
            let p = StsParams::from_query(&q).unwrap();
            assert_eq!(check_version_and_action(&p), Ok(a));
        }
        for bad in [
            "assumerole",
            "AssumeRoleWithLdapIdentity",
            "",
            "GetSessionToken",
        ] {
            let p = StsParams::from_query(&format!("Action={bad}&Version=2011-06-15")).unwrap();
            let e = check_version_and_action(&p).unwrap_err();
            assert_eq!(e.code(), StsErrorCode::InvalidParameterValue);
            assert_eq!(e.message(), format!("Unsupported action {bad}"));
        }
    }

    proptest::proptest! {
        #[test]
        fn prop_parser_total_on_arbitrary_bytes(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_urlencoded(&raw, MAX_FORM_BODY);
        }

        #[test]
        fn prop_encoded_pairs_round_trip(pairs in proptest::collection::vec(("[^&;]{0,12}", "\\PC{0,20}"), 0..8)) {
            let enc = |s: &str| {
                s.bytes().map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") }).collect::<String>()
            };
            let raw = pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
            let got = parse_urlencoded(raw.as_bytes(), usize::MAX).unwrap();
            proptest::prop_assert_eq!(got, pairs);
        }
    }

    #[test]
    fn empty_value_semantics() {
        let p = StsParams::from_query("Policy=&Token=x").unwrap();
        assert!(p.contains("Policy"));
        assert_eq!(p.get("Policy"), Some(""));
        assert_eq!(p.get_non_empty("Policy"), None);
        assert_eq!(p.get_non_empty("Token"), Some("x"));
    }
}
