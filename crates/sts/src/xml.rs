//! STS XML bodies (spec §5): success responses with MinIO's element order, the error body, and
//! AWS's `GetCallerIdentity` response. Compact XML after the declaration line, text escaped.
//!
//! `AssumedRoleUser` is deliberately **omitted** from every response. MinIO sends it with an
//! empty `Arn` and the misspelled child `AssumeRoleId`; aws-sdk-rust rejects that (it requires a
//! non-empty `Arn` and an `AssumedRoleId`), while no client we know requires the element (the
//! AWS model marks it optional; minio-go, boto3 and the AWS CLI accept its absence). Omitting it
//! is the one shape every client accepts. Everything else follows MinIO exactly.

use std::fmt::Write as _;

use time::OffsetDateTime;
use time::macros::format_description;

use crate::error::StsError;
use crate::token::IssuedCredential;

/// The STS namespace on every root element.
pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// Content-Type of every STS body.
pub const CONTENT_TYPE: &str = "application/xml";
const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Which success response, with its action-specific fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssumeResult<'a> {
    AssumeRole,
    /// `subject` = the id_token's `sub` (`SubjectFromWebIdentityToken`).
    WebIdentity {
        subject: &'a str,
    },
    /// `subject` = the token's `sub` (`SubjectFromToken`).
    ClientGrants {
        subject: &'a str,
    },
    Ldap,
    Certificate,
    /// `assumed_user` = `custom:<user>` (`AssumedUser`).
    CustomToken {
        assumed_user: &'a str,
    },
}

impl AssumeResult<'_> {
    fn name(&self) -> &'static str {
        match self {
            AssumeResult::AssumeRole => "AssumeRole",
            AssumeResult::WebIdentity { .. } => "AssumeRoleWithWebIdentity",
            AssumeResult::ClientGrants { .. } => "AssumeRoleWithClientGrants",
            AssumeResult::Ldap => "AssumeRoleWithLDAPIdentity",
            AssumeResult::Certificate => "AssumeRoleWithCertificate",
            AssumeResult::CustomToken { .. } => "AssumeRoleWithCustomToken",
        }
    }
}

/// `Expiration` format: RFC 3339, UTC, `Z`, whole seconds (e.g. `2019-08-08T20:26:12Z`).
pub fn format_expiration(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// The success body for an issued credential.
pub fn assume_response(
    result: AssumeResult<'_>,
    cred: &IssuedCredential,
    request_id: &str,
) -> String {
    let name = result.name();
    let mut x = String::with_capacity(cred.session_token.expose().len() + 600);
    x.push_str(DECLARATION);
    let _ = write!(
        x,
        "<{name}Response xmlns=\"{STS_NAMESPACE}\"><{name}Result>"
    );
    x.push_str("<Credentials>");
    element(&mut x, "AccessKeyId", &cred.access_key);
    element(&mut x, "SecretAccessKey", cred.secret_key.expose());
    element(&mut x, "SessionToken", cred.session_token.expose());
    element(&mut x, "Expiration", &format_expiration(cred.expiration));
    x.push_str("</Credentials>");
    match result {
        AssumeResult::WebIdentity { subject } => {
            element(&mut x, "SubjectFromWebIdentityToken", subject);
        }
        AssumeResult::ClientGrants { subject } => element(&mut x, "SubjectFromToken", subject),
        AssumeResult::CustomToken { assumed_user } => {
            element(&mut x, "AssumedUser", assumed_user);
        }
        AssumeResult::AssumeRole | AssumeResult::Ldap | AssumeResult::Certificate => {}
    }
    let _ = write!(x, "</{name}Result>");
    response_metadata(&mut x, request_id);
    let _ = write!(x, "</{name}Response>");
    x
}

/// AWS `GetCallerIdentity` (children in AWS's order: `Arn`, `UserId`, `Account`).
pub fn caller_identity_response(
    arn: &str,
    user_id: &str,
    account: &str,
    request_id: &str,
) -> String {
    let mut x = String::with_capacity(400);
    x.push_str(DECLARATION);
    let _ = write!(
        x,
        "<GetCallerIdentityResponse xmlns=\"{STS_NAMESPACE}\"><GetCallerIdentityResult>"
    );
    element(&mut x, "Arn", arn);
    element(&mut x, "UserId", user_id);
    element(&mut x, "Account", account);
    x.push_str("</GetCallerIdentityResult>");
    response_metadata(&mut x, request_id);
    x.push_str("</GetCallerIdentityResponse>");
    x
}

/// The STS error body (spec §5.2): `Type` always empty, then `Code`, `Message`; `RequestId`
/// after `Error`. Send it with `err.status()`.
pub fn error_response(err: &StsError, request_id: &str) -> String {
    let mut x = String::with_capacity(400);
    x.push_str(DECLARATION);
    let _ = write!(
        x,
        "<ErrorResponse xmlns=\"{STS_NAMESPACE}\"><Error><Type></Type>"
    );
    element(&mut x, "Code", err.code().wire());
    element(&mut x, "Message", err.message());
    x.push_str("</Error>");
    element(&mut x, "RequestId", request_id);
    x.push_str("</ErrorResponse>");
    x
}

fn response_metadata(x: &mut String, request_id: &str) {
    x.push_str("<ResponseMetadata>");
    element(x, "RequestId", request_id);
    x.push_str("</ResponseMetadata>");
}

fn element(x: &mut String, name: &str, text: &str) {
    let _ = write!(x, "<{name}>");
    escape_into(x, text);
    let _ = write!(x, "</{name}>");
}

/// XML text escaping; characters XML 1.0 cannot carry become U+FFFD (as Go's encoder does).
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

#[cfg(test)]
#[path = "xml_tests.rs"]
mod tests;
