//! "Is this request STS?" — the route table of spec §1.1 as a pure predicate, and which actions
//! each route may dispatch to.

use crate::error::StsError;
use crate::params::{
    Action, STS_API_VERSION, StsParams, check_version_and_action, unsupported_action,
};

/// Which STS route matched (spec §1.1, first match wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StsRoute {
    /// Route 1: POST, form body, SigV4 `Authorization` header, empty raw query. Signed actions:
    /// `AssumeRole` (and our `GetCallerIdentity`).
    Signed,
    /// Route 2: POST, form body, empty raw query, no SigV4 header ("SSO" handler):
    /// WebIdentity, ClientGrants, LDAP.
    Unsigned,
    /// Routes 3–7: POST whose query names the action, `Version=2011-06-15` and the action's
    /// required keys.
    Query(Action),
}

impl StsRoute {
    /// Whether the handler reads the form body too (Certificate and CustomToken see the query
    /// only, spec §1.3).
    pub fn reads_body(self) -> bool {
        !matches!(
            self,
            StsRoute::Query(Action::AssumeRoleWithCertificate | Action::AssumeRoleWithCustomToken)
        )
    }

    /// Spec §1.5 dispatch for this route: `Version`, then `Action`, then whether the action is
    /// served on this route (else `InvalidParameterValue "Unsupported action X"`).
    pub fn dispatch(self, params: &StsParams) -> Result<Action, StsError> {
        let action = check_version_and_action(params)?;
        let allowed = match self {
            StsRoute::Signed => {
                matches!(action, Action::AssumeRole | Action::GetCallerIdentity)
            }
            StsRoute::Unsigned => matches!(
                action,
                Action::AssumeRoleWithWebIdentity
                    | Action::AssumeRoleWithClientGrants
                    | Action::AssumeRoleWithLdapIdentity
            ),
            StsRoute::Query(a) => a == action,
        };
        if allowed {
            Ok(action)
        } else {
            Err(unsupported_action(action.as_str()))
        }
    }
}

/// `Authorization` header value starts with `AWS4-HMAC-SHA256` (case-sensitive, spec §1.1).
pub fn is_sigv4_authorization(header: &str) -> bool {
    header.starts_with("AWS4-HMAC-SHA256")
}

/// Content-Type matches MinIO's `application/x-www-form-urlencoded*` (case-sensitive prefix).
fn is_form_content_type(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

/// The STS route a request takes, or `None` if it is not STS (it then goes to the S3 router
/// and gets S3-style errors, as in MinIO). GET is never STS.
///
/// `has_sigv4_authorization` is [`is_sigv4_authorization`] of the `Authorization` header.
pub fn match_route(
    method: &str,
    content_type: Option<&str>,
    has_sigv4_authorization: bool,
    raw_query: &str,
) -> Option<StsRoute> {
    if method != "POST" {
        return None;
    }
    if raw_query.is_empty() && is_form_content_type(content_type) {
        return Some(if has_sigv4_authorization {
            StsRoute::Signed
        } else {
            StsRoute::Unsigned
        });
    }
    if raw_query.is_empty() {
        return None;
    }
    // A query that does not parse is not an STS query: it falls through to S3.
    let q = StsParams::from_query(raw_query).ok()?;
    if q.get("Version") != Some(STS_API_VERSION) {
        return None;
    }
    let action = Action::from_wire(q.get("Action")?)?;
    let required: &[&str] = match action {
        Action::AssumeRoleWithClientGrants => &["Token"],
        Action::AssumeRoleWithWebIdentity => &["WebIdentityToken"],
        Action::AssumeRoleWithLdapIdentity => &["LDAPUsername", "LDAPPassword"],
        Action::AssumeRoleWithCertificate | Action::AssumeRoleWithCustomToken => &[],
        Action::AssumeRole | Action::GetCallerIdentity => return None,
    };
    required
        .iter()
        .all(|k| q.contains(k))
        .then_some(StsRoute::Query(action))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::StsErrorCode;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded; charset=utf-8");
    const V: &str = "Version=2011-06-15";

    #[test]
    fn route_table() {
        type Case<'a> = (&'a str, Option<&'a str>, bool, &'a str, Option<StsRoute>);
        let cases: &[Case<'_>] = &[
            ("POST", FORM, true, "", Some(StsRoute::Signed)),
            ("POST", FORM, false, "", Some(StsRoute::Unsigned)),
            ("GET", FORM, true, "", None),
            ("PUT", FORM, false, "", None),
            ("POST", None, true, "", None),
            ("POST", Some("application/json"), true, "", None),
            // Case-sensitive glob, as MinIO.
            (
                "POST",
                Some("Application/x-www-form-urlencoded"),
                true,
                "",
                None,
            ),
            // Form + a query that is not an STS query → not STS (S3 POST, e.g. DeleteObjects).
            ("POST", FORM, true, "delete", None),
            (
                "POST",
                None,
                false,
                "Action=AssumeRoleWithClientGrants&Version=2011-06-15&Token=",
                Some(StsRoute::Query(Action::AssumeRoleWithClientGrants)),
            ),
            (
                "POST",
                None,
                false,
                "Action=AssumeRoleWithClientGrants&Version=2011-06-15",
                None,
            ),
            (
                "POST",
                None,
                false,
                "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=t",
                Some(StsRoute::Query(Action::AssumeRoleWithWebIdentity)),
            ),
            (
                "POST",
                None,
                false,
                "Action=AssumeRoleWithLDAPIdentity&Version=2011-06-15&LDAPUsername=u",
                None,
            ),
            (
                "POST",
                None,
                false,
                "Action=AssumeRoleWithLDAPIdentity&Version=2011-06-15&LDAPUsername=u&LDAPPassword=p",
                Some(StsRoute::Query(Action::AssumeRoleWithLdapIdentity)),
            ),
            (
                "POST",
                FORM,
                true,
                "Action=AssumeRoleWithCertificate&Version=2011-06-15",
                Some(StsRoute::Query(Action::AssumeRoleWithCertificate)),
            ),
            (
                "POST",
                None,
                false,
                "Action=AssumeRoleWithCustomToken&Version=2011-06-15",
                Some(StsRoute::Query(Action::AssumeRoleWithCustomToken)),
            ),
            // Wrong version in the query → not STS (falls through to S3).
            (
                "POST",
                None,
                false,
                "Action=AssumeRoleWithCertificate&Version=2011-06-16",
                None,
            ),
            (
                "GET",
                None,
                false,
                "Action=AssumeRoleWithCertificate&Version=2011-06-15",
                None,
            ),
            // AssumeRole is never a query route (no presigned AssumeRole).
            (
                "POST",
                None,
                true,
                "Action=AssumeRole&Version=2011-06-15",
                None,
            ),
            (
                "POST",
                None,
                false,
                "Action=AssumeRoleWithCertificate&Version=2011-06-15&a=%zz",
                None,
            ),
        ];
        for (m, ct, sig, q, want) in cases {
            assert_eq!(match_route(m, *ct, *sig, q), *want, "{m} {ct:?} {sig} {q}");
        }
    }

    #[test]
    fn sigv4_prefix() {
        assert!(is_sigv4_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/sts/aws4_request, ..."
        ));
        assert!(!is_sigv4_authorization("aws4-hmac-sha256 Credential=x"));
        assert!(!is_sigv4_authorization("AWS AKIA:sig"));
    }

    fn dispatch(route: StsRoute, action: &str) -> Result<Action, StsError> {
        route.dispatch(&StsParams::from_query(&format!("Action={action}&{V}")).unwrap())
    }

    #[test]
    fn signed_route_serves_assume_role_and_caller_identity_only() {
        assert_eq!(
            dispatch(StsRoute::Signed, "AssumeRole"),
            Ok(Action::AssumeRole)
        );
        assert_eq!(
            dispatch(StsRoute::Signed, "GetCallerIdentity"),
            Ok(Action::GetCallerIdentity)
        );
        let e = dispatch(StsRoute::Signed, "AssumeRoleWithWebIdentity").unwrap_err();
        assert_eq!(e.message(), "Unsupported action AssumeRoleWithWebIdentity");
    }

    #[test]
    fn unsigned_route_rejects_assume_role_and_query_only_actions() {
        for a in [
            "AssumeRole",
            "AssumeRoleWithCertificate",
            "AssumeRoleWithCustomToken",
        ] {
            let e = dispatch(StsRoute::Unsigned, a).unwrap_err();
            assert_eq!(e.code(), StsErrorCode::InvalidParameterValue);
            assert_eq!(e.message(), format!("Unsupported action {a}"));
        }
        for a in [
            "AssumeRoleWithWebIdentity",
            "AssumeRoleWithClientGrants",
            "AssumeRoleWithLDAPIdentity",
        ] {
            assert!(dispatch(StsRoute::Unsigned, a).is_ok(), "{a}");
        }
    }

    #[test]
    fn query_routes_read_body_except_certificate_and_custom_token() {
        assert!(StsRoute::Signed.reads_body());
        assert!(StsRoute::Query(Action::AssumeRoleWithWebIdentity).reads_body());
        assert!(!StsRoute::Query(Action::AssumeRoleWithCertificate).reads_body());
        assert!(!StsRoute::Query(Action::AssumeRoleWithCustomToken).reads_body());
    }
}
