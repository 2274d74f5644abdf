//! The admin endpoints of `ENDPOINTS.md` as data: method, path, which bodies are encrypted, the
//! success status and the `admin:` actions MinIO checks. The server dispatches on this table so
//! that "is this body encrypted?" is answered in one place; a test keeps it equal to the
//! markdown table.

/// Path prefix of every admin endpoint.
pub const ADMIN_PREFIX: &str = "/minio/admin/v3/";

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// What travels in a request or response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body (or an empty one).
    None,
    /// JSON in the clear (for add-canned-policy: the policy document).
    Plain,
    /// JSON sealed with [`crate::encrypt_data`] under the requester's secret key.
    Encrypted,
}

/// The operations of the table, one per handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    AddUser,
    SetUserStatus,
    RemoveUser,
    UserInfo,
    ListUsers,
    UpdateGroupMembers,
    SetGroupStatus,
    GroupInfo,
    ListGroups,
    AddCannedPolicy,
    RemoveCannedPolicy,
    InfoCannedPolicy,
    ListCannedPolicies,
    SetUserOrGroupPolicy,
    AttachPolicy,
    DetachPolicy,
    PolicyEntities,
    AddServiceAccount,
    UpdateServiceAccount,
    InfoServiceAccount,
    ListServiceAccounts,
    DeleteServiceAccount,
    AccountInfo,
    TemporaryAccountInfo,
    RevokeTokensBuiltin,
    ChangeMyPassword,
    LdapAttachPolicy,
    LdapDetachPolicy,
    LdapPolicyEntities,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub operation: Operation,
    pub method: Method,
    /// Path after [`ADMIN_PREFIX`].
    pub path: &'static str,
    pub request: Body,
    pub response: Body,
    /// 200, or 204 where MinIO answers "no content".
    pub success_status: u16,
    /// MinIO's check: any one of these `admin:` actions allowed. Empty: a valid signature
    /// suffices. Self-service exceptions (deny-only checks) are the handler's business; see
    /// ENDPOINTS.md.
    pub actions: &'static [&'static str],
}

const fn row(
    operation: Operation,
    method: Method,
    path: &'static str,
    request: Body,
    response: Body,
    success_status: u16,
    actions: &'static [&'static str],
) -> Endpoint {
    Endpoint {
        operation,
        method,
        path,
        request,
        response,
        success_status,
        actions,
    }
}

use Body::{Encrypted as Enc, None as Nil, Plain};
use Method::{Delete, Get, Post, Put};
use Operation as Op;

/// Every endpoint of ENDPOINTS.md, in its order.
pub static ENDPOINTS: &[Endpoint] = &[
    row(
        Op::AddUser,
        Put,
        "add-user",
        Enc,
        Nil,
        200,
        &["admin:CreateUser"],
    ),
    row(
        Op::SetUserStatus,
        Put,
        "set-user-status",
        Nil,
        Nil,
        200,
        &["admin:EnableUser"],
    ),
    row(
        Op::RemoveUser,
        Delete,
        "remove-user",
        Nil,
        Nil,
        200,
        &["admin:DeleteUser"],
    ),
    row(
        Op::UserInfo,
        Get,
        "user-info",
        Nil,
        Plain,
        200,
        &["admin:GetUser"],
    ),
    row(
        Op::ListUsers,
        Get,
        "list-users",
        Nil,
        Enc,
        200,
        &["admin:ListUsers"],
    ),
    row(
        Op::UpdateGroupMembers,
        Put,
        "update-group-members",
        Plain,
        Nil,
        200,
        &["admin:AddUserToGroup"],
    ),
    row(
        Op::SetGroupStatus,
        Put,
        "set-group-status",
        Nil,
        Nil,
        200,
        &["admin:EnableGroup"],
    ),
    row(
        Op::GroupInfo,
        Get,
        "group",
        Nil,
        Plain,
        200,
        &["admin:GetGroup"],
    ),
    row(
        Op::ListGroups,
        Get,
        "groups",
        Nil,
        Plain,
        200,
        &["admin:ListGroups"],
    ),
    row(
        Op::AddCannedPolicy,
        Put,
        "add-canned-policy",
        Plain,
        Nil,
        200,
        &["admin:CreatePolicy"],
    ),
    row(
        Op::RemoveCannedPolicy,
        Delete,
        "remove-canned-policy",
        Nil,
        Nil,
        200,
        &["admin:DeletePolicy"],
    ),
    row(
        Op::InfoCannedPolicy,
        Get,
        "info-canned-policy",
        Nil,
        Plain,
        200,
        &["admin:GetPolicy"],
    ),
    row(
        Op::ListCannedPolicies,
        Get,
        "list-canned-policies",
        Nil,
        Plain,
        200,
        &["admin:ListUserPolicies"],
    ),
    row(
        Op::SetUserOrGroupPolicy,
        Put,
        "set-user-or-group-policy",
        Nil,
        Nil,
        200,
        &["admin:AttachUserOrGroupPolicy"],
    ),
    row(
        Op::AttachPolicy,
        Post,
        "idp/builtin/policy/attach",
        Enc,
        Enc,
        200,
        &[
            "admin:UpdatePolicyAssociation",
            "admin:AttachUserOrGroupPolicy",
        ],
    ),
    row(
        Op::DetachPolicy,
        Post,
        "idp/builtin/policy/detach",
        Enc,
        Enc,
        200,
        &[
            "admin:UpdatePolicyAssociation",
            "admin:AttachUserOrGroupPolicy",
        ],
    ),
    row(
        Op::PolicyEntities,
        Get,
        "idp/builtin/policy-entities",
        Nil,
        Enc,
        200,
        &[
            "admin:ListGroups",
            "admin:ListUsers",
            "admin:ListUserPolicies",
        ],
    ),
    row(
        Op::AddServiceAccount,
        Put,
        "add-service-account",
        Enc,
        Enc,
        200,
        &["admin:CreateServiceAccount"],
    ),
    row(
        Op::UpdateServiceAccount,
        Post,
        "update-service-account",
        Enc,
        Nil,
        204,
        &["admin:UpdateServiceAccount"],
    ),
    row(
        Op::InfoServiceAccount,
        Get,
        "info-service-account",
        Nil,
        Enc,
        200,
        &["admin:ListServiceAccounts"],
    ),
    row(
        Op::ListServiceAccounts,
        Get,
        "list-service-accounts",
        Nil,
        Enc,
        200,
        &["admin:ListServiceAccounts"],
    ),
    row(
        Op::DeleteServiceAccount,
        Delete,
        "delete-service-account",
        Nil,
        Nil,
        204,
        &["admin:RemoveServiceAccount"],
    ),
    row(Op::AccountInfo, Get, "accountinfo", Nil, Plain, 200, &[]),
    row(
        Op::TemporaryAccountInfo,
        Get,
        "temporary-account-info",
        Nil,
        Enc,
        200,
        &["admin:ListTemporaryAccounts"],
    ),
    row(
        Op::RevokeTokensBuiltin,
        Post,
        "revoke-tokens/builtin",
        Nil,
        Nil,
        204,
        &["admin:RemoveServiceAccount"],
    ),
    row(
        Op::ChangeMyPassword,
        Post,
        "change-my-password",
        Enc,
        Nil,
        200,
        &["admin:CreateUser"],
    ),
    row(
        Op::LdapAttachPolicy,
        Post,
        "idp/ldap/policy/attach",
        Enc,
        Enc,
        200,
        &[
            "admin:UpdatePolicyAssociation",
            "admin:AttachUserOrGroupPolicy",
        ],
    ),
    row(
        Op::LdapDetachPolicy,
        Post,
        "idp/ldap/policy/detach",
        Enc,
        Enc,
        200,
        &[
            "admin:UpdatePolicyAssociation",
            "admin:AttachUserOrGroupPolicy",
        ],
    ),
    row(
        Op::LdapPolicyEntities,
        Get,
        "idp/ldap/policy-entities",
        Nil,
        Enc,
        200,
        &[
            "admin:ListGroups",
            "admin:ListUsers",
            "admin:ListUserPolicies",
        ],
    ),
];

/// Finds the endpoint for a method and a full request path (`/minio/admin/v3/...`).
pub fn lookup(method: &str, path: &str) -> Option<&'static Endpoint> {
    let rest = path.strip_prefix(ADMIN_PREFIX)?;
    ENDPOINTS
        .iter()
        .find(|e| e.path == rest && e.method.as_str() == method)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = include_str!("../ENDPOINTS.md");

    /// (method, path, request body, response body, status) from a markdown table row.
    fn doc_rows() -> Vec<(String, String, Body, Body, u16)> {
        let enc = |cell: &str| {
            if cell.contains("**enc**") {
                Body::Encrypted
            } else if cell.contains("plain") {
                Body::Plain
            } else {
                Body::None
            }
        };
        DOC.lines()
            .filter(|l| {
                l.starts_with("| ") && !l.starts_with("| minio-py") && !l.starts_with("|---")
            })
            .filter_map(|l| {
                let cells: Vec<&str> = l.split(" | ").map(str::trim).collect();
                // Only the main table has 7 columns and an HTTP method in the second.
                if cells.len() != 7 || !["GET", "PUT", "POST", "DELETE"].contains(&cells[1]) {
                    return None;
                }
                let path = cells[2].trim_matches('`').split('`').next()?.to_owned();
                let status = if cells[5].contains("**204**") {
                    204
                } else {
                    200
                };
                Some((
                    cells[1].to_owned(),
                    path,
                    enc(cells[4]),
                    enc(cells[5]),
                    status,
                ))
            })
            .collect()
    }

    #[test]
    fn table_matches_endpoints_md() {
        let rows = doc_rows();
        // group_add and group_remove are two documented rows for one endpoint.
        assert_eq!(
            rows.len(),
            ENDPOINTS.len() + 1,
            "rows parsed from ENDPOINTS.md"
        );
        for e in ENDPOINTS {
            let found = rows.iter().any(|(m, p, req, resp, status)| {
                m == e.method.as_str()
                    && p == e.path
                    && *req == e.request
                    && *resp == e.response
                    && *status == e.success_status
            });
            assert!(
                found,
                "{:?} {} {} differs from ENDPOINTS.md",
                e.operation,
                e.method.as_str(),
                e.path
            );
        }
        // Every documented (method, path) has a row (group_add/group_remove share one).
        for (m, p, ..) in &rows {
            assert!(
                lookup(m, &format!("{ADMIN_PREFIX}{p}")).is_some(),
                "{m} {p} missing"
            );
        }
    }

    #[test]
    fn lookup_by_method_and_path() {
        let e = lookup("POST", "/minio/admin/v3/idp/builtin/policy/attach").expect("attach");
        assert_eq!(e.operation, Operation::AttachPolicy);
        assert_eq!((e.request, e.response), (Body::Encrypted, Body::Encrypted));
        assert_eq!(
            lookup("GET", "/minio/admin/v3/idp/builtin/policy/attach"),
            None
        );
        assert_eq!(lookup("PUT", "/minio/admin/v3/add-user/"), None);
        assert_eq!(lookup("PUT", "/other/add-user"), None);
        let ops: std::collections::HashSet<_> = ENDPOINTS.iter().map(|e| e.operation).collect();
        assert_eq!(ops.len(), ENDPOINTS.len(), "one row per operation");
        assert!(
            ENDPOINTS
                .iter()
                .all(|e| e.actions.iter().all(|a| a.starts_with("admin:")))
        );
    }
}
