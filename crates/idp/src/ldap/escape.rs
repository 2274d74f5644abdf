//! Putting untrusted values into LDAP search filters (RFC 4515) and DNs (RFC 4514).
//!
//! A login name is never pasted into a filter as it is: `*`, `(`, `)`, `\` and NUL become
//! `\2a`, `\28`, `\29`, `\5c`, `\00`, so `*)(uid=*` searches for that literal string. The
//! configured filter is filled in one pass ([`fill_filter`]), so a `%d` inside an already
//! substituted username is not substituted again.

use std::fmt::Write as _;

/// RFC 4515 §3: escapes the characters that are special in a filter's assertion value.
pub fn escape_filter_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '*' | '(' | ')' | '\\' | '\0' => {
                let _ = write!(out, "\\{:02x}", c as u32);
            }
            _ => out.push(c),
        }
    }
    out
}

/// RFC 4514 §2.4: escapes an attribute value for use in a DN string.
pub fn escape_dn_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\0' => out.push_str("\\00"),
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            _ => out.push(c),
        }
    }
    out
}

/// The configured filter with every `%s` replaced by the escaped `username` and every `%d` by
/// the escaped `user_dn` (when given; without it `%d` stays as written). One pass, left to
/// right: substituted text is never scanned again.
pub fn fill_filter(filter: &str, username: &str, user_dn: Option<&str>) -> String {
    let mut out = String::with_capacity(filter.len() + username.len());
    let mut rest = filter;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match (after.as_bytes().first(), user_dn) {
            (Some(b's'), _) => {
                out.push_str(&escape_filter_value(username));
                rest = &after[1..];
            }
            (Some(b'd'), Some(dn)) => {
                out.push_str(&escape_filter_value(dn));
                rest = &after[1..];
            }
            _ => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether `filter` (after substitution with harmless sample values) is a filter the LDAP
/// client can encode; `Err` says why not.
pub fn check_filter(filter: &str) -> Result<(), String> {
    let sample = fill_filter(filter, "user", Some("uid=user,dc=example,dc=org"));
    if !sample.starts_with('(') {
        return Err("must be enclosed in parentheses".to_owned());
    }
    ldap3::parse_filter(&sample)
        .map(|_| ())
        .map_err(|()| "is not a valid LDAP search filter (RFC 4515)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_specials_are_escaped() {
        assert_eq!(escape_filter_value("alice"), "alice");
        assert_eq!(escape_filter_value("*"), "\\2a");
        assert_eq!(escape_filter_value("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
        assert_eq!(
            escape_filter_value("admin)(|(uid=*"),
            "admin\\29\\28|\\28uid=\\2a"
        );
        assert_eq!(escape_filter_value("a\0b\\c"), "a\\00b\\5cc");
        assert_eq!(escape_filter_value("ünïcode"), "ünïcode");
    }

    #[test]
    fn filled_filters_stay_one_assertion() {
        for hostile in ["*", "*)(uid=*", "admin)(|(uid=*", "x\0", "\\", "%d", "%s"] {
            let f = fill_filter("(uid=%s)", hostile, None);
            // The escaped value holds no parenthesis or wildcard, so the filter is still
            // exactly one equality assertion.
            assert_eq!(f.matches('(').count(), 1, "{f}");
            assert_eq!(f.matches(')').count(), 1, "{f}");
            assert!(!f[5..f.len() - 1].contains('*'), "{f}");
            assert!(check_filter(&f).is_ok(), "{f}");
        }
    }

    #[test]
    fn one_pass_substitution() {
        assert_eq!(
            fill_filter("(&(member=%d)(uid=%s))", "%d*", Some("uid=a(b),dc=x")),
            "(&(member=uid=a\\28b\\29,dc=x)(uid=%d\\2a))"
        );
        assert_eq!(fill_filter("(uid=%s)(x=%d)%", "u", None), "(uid=u)(x=%d)%");
    }

    #[test]
    fn filter_check() {
        assert!(check_filter("(uid=%s)").is_ok());
        assert!(check_filter("(&(objectclass=groupOfNames)(member=%d))").is_ok());
        assert!(check_filter("uid=%s").is_err());
        assert!(check_filter("(uid=%s").is_err());
        assert!(check_filter("(&(uid=%s)").is_err());
    }

    #[test]
    fn dn_values_are_escaped() {
        assert_eq!(escape_dn_value("a,b+c"), "a\\,b\\+c");
        assert_eq!(escape_dn_value("#x "), "\\#x\\ ");
        assert_eq!(escape_dn_value(" lead"), "\\ lead");
        assert_eq!(escape_dn_value("q\"<>;\\"), "q\\\"\\<\\>\\;\\\\");
        assert_eq!(escape_dn_value("n\0"), "n\\00");
        assert_eq!(escape_dn_value("slash/ok=fine"), "slash/ok=fine");
    }
}
