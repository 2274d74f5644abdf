//! Golden tests for STS XML (spec §5.1–§5.3; AWS GetCallerIdentity:
//! https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).

use super::*;
use crate::claims::{Claims, Provider};
use crate::credentials::{SecretKey, SessionToken};
use crate::error::StsErrorCode;

fn cred() -> IssuedCredential {
    IssuedCredential {
        access_key: "Y4RJU1RNFGK48LGO9I2S".into(),
        secret_key: SecretKey::from("sYLRKS1Z7hSjluf6gEbb9066hnx315wHTiACPAjg".to_string()),
        session_token: SessionToken::new("eyJhbGciOiJIUzUxMiJ9.e30.c2ln".into()),
        // 2019-08-08T20:26:12Z
        expiration: OffsetDateTime::from_unix_timestamp(1_565_295_972).unwrap(),
        claims: Claims::new("minioadmin", Provider::Builtin),
    }
}

const CREDS: &str = "<Credentials><AccessKeyId>Y4RJU1RNFGK48LGO9I2S</AccessKeyId><SecretAccessKey>sYLRKS1Z7hSjluf6gEbb9066hnx315wHTiACPAjg</SecretAccessKey><SessionToken>eyJhbGciOiJIUzUxMiJ9.e30.c2ln</SessionToken><Expiration>2019-08-08T20:26:12Z</Expiration></Credentials>";
const META: &str = "<ResponseMetadata><RequestId>17A3B2C1D0E9F876</RequestId></ResponseMetadata>";
const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const NS: &str = "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"";

#[test]
fn assume_role_golden() {
    let got = assume_response(AssumeResult::AssumeRole, &cred(), "17A3B2C1D0E9F876");
    let want = format!(
        "{DECL}<AssumeRoleResponse {NS}><AssumeRoleResult>{CREDS}</AssumeRoleResult>{META}</AssumeRoleResponse>"
    );
    assert_eq!(got, want);
}

#[test]
fn web_identity_golden() {
    let r = AssumeResult::WebIdentity {
        subject: "7e5e2f30-1c4b",
    };
    let got = assume_response(r, &cred(), "17A3B2C1D0E9F876");
    let want = format!(
        "{DECL}<AssumeRoleWithWebIdentityResponse {NS}><AssumeRoleWithWebIdentityResult>{CREDS}<SubjectFromWebIdentityToken>7e5e2f30-1c4b</SubjectFromWebIdentityToken></AssumeRoleWithWebIdentityResult>{META}</AssumeRoleWithWebIdentityResponse>"
    );
    assert_eq!(got, want);
}

#[test]
fn client_grants_ldap_certificate_custom_golden() {
    let c = cred();
    let id = "17A3B2C1D0E9F876";
    assert_eq!(
        assume_response(AssumeResult::ClientGrants { subject: "s" }, &c, id),
        format!(
            "{DECL}<AssumeRoleWithClientGrantsResponse {NS}><AssumeRoleWithClientGrantsResult>{CREDS}<SubjectFromToken>s</SubjectFromToken></AssumeRoleWithClientGrantsResult>{META}</AssumeRoleWithClientGrantsResponse>"
        )
    );
    assert_eq!(
        assume_response(AssumeResult::Ldap, &c, id),
        format!(
            "{DECL}<AssumeRoleWithLDAPIdentityResponse {NS}><AssumeRoleWithLDAPIdentityResult>{CREDS}</AssumeRoleWithLDAPIdentityResult>{META}</AssumeRoleWithLDAPIdentityResponse>"
        )
    );
    assert_eq!(
        assume_response(AssumeResult::Certificate, &c, id),
        format!(
            "{DECL}<AssumeRoleWithCertificateResponse {NS}><AssumeRoleWithCertificateResult>{CREDS}</AssumeRoleWithCertificateResult>{META}</AssumeRoleWithCertificateResponse>"
        )
    );
    assert_eq!(
        assume_response(
            AssumeResult::CustomToken {
                assumed_user: "custom:alice"
            },
            &c,
            id
        ),
        format!(
            "{DECL}<AssumeRoleWithCustomTokenResponse {NS}><AssumeRoleWithCustomTokenResult>{CREDS}<AssumedUser>custom:alice</AssumedUser></AssumeRoleWithCustomTokenResult>{META}</AssumeRoleWithCustomTokenResponse>"
        )
    );
}

#[test]
fn assumed_role_user_is_never_sent() {
    for r in [
        AssumeResult::AssumeRole,
        AssumeResult::WebIdentity { subject: "s" },
        AssumeResult::ClientGrants { subject: "s" },
    ] {
        let x = assume_response(r, &cred(), "1");
        assert!(!x.contains("AssumedRoleUser"), "{x}");
        assert!(!x.contains("<Arn>"), "{x}");
    }
}

#[test]
fn error_golden() {
    let e = StsError::missing_parameter("Invalid STS API version 1, expecting 2011-06-15");
    assert_eq!(
        error_response(&e, "17A3B2C1D0E9F876"),
        format!(
            "{DECL}<ErrorResponse {NS}><Error><Type></Type><Code>MissingParameter</Code><Message>Invalid STS API version 1, expecting 2011-06-15</Message></Error><RequestId>17A3B2C1D0E9F876</RequestId></ErrorResponse>"
        )
    );
    let e = StsError::new(StsErrorCode::WebIdentityExpiredToken);
    let x = error_response(&e, "1");
    assert!(x.contains(
        "<Code>ExpiredToken</Code><Message>The web identity token that was passed is expired"
    ));
}

#[test]
fn caller_identity_golden() {
    let got = caller_identity_response(
        "arn:aws:iam::123456789012:user/Alice",
        "AKIAI44QH8DHBEXAMPLE",
        "123456789012",
        "01234567-89ab-cdef-0123-456789abcdef",
    );
    assert_eq!(
        got,
        format!(
            "{DECL}<GetCallerIdentityResponse {NS}><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/Alice</Arn><UserId>AKIAI44QH8DHBEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        )
    );
}

#[test]
fn text_is_escaped() {
    let e = StsError::invalid_parameter("Unsupported action <x>&\"'\u{1}");
    let x = error_response(&e, "a<b");
    assert!(
        x.contains("<Message>Unsupported action &lt;x&gt;&amp;&quot;&apos;\u{FFFD}</Message>"),
        "{x}"
    );
    assert!(x.contains("<RequestId>a&lt;b</RequestId>"));
    let x = assume_response(
        AssumeResult::WebIdentity { subject: "</Sub>" },
        &cred(),
        "1",
    );
    assert!(x.contains("&lt;/Sub&gt;"));
}

#[test]
fn expiration_format() {
    let t = OffsetDateTime::from_unix_timestamp_nanos(1_565_295_972_987_654_321).unwrap();
    assert_eq!(format_expiration(t), "2019-08-08T20:26:12Z");
    let t = t.to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap());
    assert_eq!(format_expiration(t), "2019-08-08T20:26:12Z");
}
