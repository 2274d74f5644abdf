//! Query strings for log lines: signature material replaced by `REDACTED`.

/// Query parameters whose values never reach a log line (compared case-insensitively):
/// SigV4 and SigV2 presigned signatures, the credential scope, session tokens, and the bearer
/// tokens and passwords of the query-string STS actions (spec §17.2 item 24).
const SENSITIVE: &[&str] = &[
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "signature",
    "awsaccesskeyid",
    "webidentitytoken",
    "webidentityaccesstoken",
    "token",
    "ldappassword",
];

/// Whether the parameter `name` (as it appears in the raw query) is sensitive. The STS reads
/// names percent-decoded, so `LDAP%50assword` is the password too: the name is decoded the same
/// way (`%XX` and `+`) before it is compared. A name longer than any sensitive one is not.
fn is_sensitive(raw: &str) -> bool {
    const LONGEST_ENCODED: usize = 3 * 24;
    if raw.len() > LONGEST_ENCODED {
        return false;
    }
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| (h << 4) | l),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(b), _) => {
                decoded.push(b);
                i += 3;
            }
            (None, b'+') => {
                decoded.push(b' ');
                i += 1;
            }
            (None, b) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    SENSITIVE
        .iter()
        .any(|s| decoded.eq_ignore_ascii_case(s.as_bytes()))
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Longest query string kept in a log line; the rest is cut.
const MAX_LOGGED_QUERY: usize = 1024;

/// The query with the values of sensitive parameters replaced, cut to a bounded length.
#[must_use]
pub fn redact_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len().min(MAX_LOGGED_QUERY));
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        if is_sensitive(name) {
            out.push_str(name);
            out.push_str("=REDACTED");
        } else {
            out.push_str(pair);
        }
        if out.len() > MAX_LOGGED_QUERY {
            let mut cut = MAX_LOGGED_QUERY;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push_str("...");
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sts_query_tokens_are_redacted() {
        let q = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=eyJ.a.b\
                 &WebIdentityAccessToken=at&Token=ct&LDAPPassword=pw";
        assert_eq!(
            redact_query(q),
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=REDACTED\
             &WebIdentityAccessToken=REDACTED&Token=REDACTED&LDAPPassword=REDACTED"
        );
    }

    #[test]
    fn presigned_v4_and_v2_material_is_redacted() {
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260101%2Fus-east-1%2Fs3%2Faws4_request\
                 &X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host\
                 &X-Amz-Security-Token=tok&X-Amz-Signature=abcdef";
        let r = redact_query(q);
        assert_eq!(
            r,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Date=20260101T000000Z\
             &X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED"
        );
        assert_eq!(
            redact_query("AWSAccessKeyId=AK&Expires=1&signature=s"),
            "AWSAccessKeyId=REDACTED&Expires=1&signature=REDACTED"
        );
        assert_eq!(redact_query("list-type=2&prefix=a"), "list-type=2&prefix=a");
    }

    #[test]
    fn percent_encoded_names_are_redacted_too() {
        assert_eq!(
            redact_query("Action=AssumeRoleWithLDAPIdentity&LDAP%50assword=pw&%54oken=t&x=1"),
            "Action=AssumeRoleWithLDAPIdentity&LDAP%50assword=REDACTED&%54oken=REDACTED&x=1"
        );
        assert_eq!(redact_query("ldap%70assword=pw"), "ldap%70assword=REDACTED");
        // Broken escapes are compared as they are, and stay visible only if not sensitive.
        assert_eq!(redact_query("LDAPPass%zzword=x"), "LDAPPass%zzword=x");
    }

    #[test]
    fn long_queries_are_cut() {
        let q = format!("prefix={}", "é".repeat(2000));
        let r = redact_query(&q);
        assert!(r.len() <= MAX_LOGGED_QUERY + 3);
        assert!(r.ends_with("..."));
    }
}
