//! Every admin endpoint of `strongbox_madmin::endpoints::ENDPOINTS`, tested as a table: a signed
//! caller without admin rights, acting on someone else, is refused with `AccessDenied` and
//! changes nothing; the same request by root succeeds. The `match` on `Operation` makes a new
//! endpoint a compile error here until it has a row.

mod admin_support;

use admin_support::*;
use serde_json::{Value, json};
use strongbox_madmin::endpoints::{ENDPOINTS, Operation};

/// What a request carries besides method and path.
enum Body {
    None,
    Plain(Value),
    Sealed(Value),
}

/// The request for `op` aimed at bob (another user), his group, his policy, his service account.
fn request(op: Operation) -> (Vec<(&'static str, &'static str)>, Body) {
    use Operation as Op;
    let none = Body::None;
    match op {
        Op::AddUser => (
            vec![("accessKey", "bob")],
            Body::Sealed(json!({"secretKey": "bob-secret-2", "status": "enabled"})),
        ),
        Op::SetUserStatus => (vec![("accessKey", "bob"), ("status", "disabled")], none),
        Op::RemoveUser | Op::UserInfo => (vec![("accessKey", "bob")], none),
        Op::ListUsers | Op::ListGroups | Op::ListCannedPolicies | Op::PolicyEntities => {
            (vec![], none)
        }
        Op::UpdateGroupMembers => (
            vec![],
            Body::Plain(json!({"group": "bobs", "members": ["eve"], "isRemove": false})),
        ),
        Op::SetGroupStatus => (vec![("group", "bobs"), ("status", "disabled")], none),
        Op::GroupInfo => (vec![("group", "bobs")], none),
        Op::AddCannedPolicy => (
            vec![("name", "bobpolicy")],
            Body::Plain(allow(&["admin:*"])),
        ),
        Op::RemoveCannedPolicy | Op::InfoCannedPolicy => (vec![("name", "bobpolicy")], none),
        Op::SetUserOrGroupPolicy => (
            vec![
                ("policyName", "readonly"),
                ("userOrGroup", "eve"),
                ("isGroup", "false"),
            ],
            none,
        ),
        Op::AttachPolicy => (
            vec![],
            Body::Sealed(json!({"policies": ["consoleAdmin"], "user": "eve"})),
        ),
        Op::DetachPolicy => (
            vec![],
            Body::Sealed(json!({"policies": ["bobpolicy"], "user": "bob"})),
        ),
        Op::AddServiceAccount => (
            vec![],
            Body::Sealed(
                json!({"targetUser": "bob", "accessKey": "eve-svc", "secretKey": "eve-svc-secret"}),
            ),
        ),
        Op::UpdateServiceAccount => (
            vec![("accessKey", "bob-svc")],
            Body::Sealed(json!({"newSecretKey": "eve-owns-this"})),
        ),
        Op::InfoServiceAccount | Op::DeleteServiceAccount => (vec![("accessKey", "bob-svc")], none),
        Op::ListServiceAccounts => (vec![("user", "bob")], none),
        Op::RevokeTokensBuiltin => (vec![("user", "bob"), ("fullRevoke", "true")], none),
        Op::LdapAttachPolicy | Op::LdapDetachPolicy => (
            vec![],
            Body::Sealed(
                json!({"policies": ["consoleAdmin"], "group": "cn=bobs,dc=example,dc=org"}),
            ),
        ),
        Op::LdapPolicyEntities => (vec![], none),
        // Self-service or not served: their own rows below.
        Op::AccountInfo | Op::TemporaryAccountInfo => (vec![("accessKey", "bob")], none),
        // The same secret again: the caller's credential keeps working for the rows after it.
        Op::ChangeMyPassword => (vec![], Body::Sealed(json!({"secretKey": "eve-secret-1"}))),
    }
}

async fn send(c: &Client, method: &str, path: &str, q: &[(&str, &str)], body: &Body) -> Reply {
    match body {
        Body::None => c.send(method, path, q, Vec::new()).await,
        Body::Plain(v) => c.send_json(method, path, q, v).await,
        Body::Sealed(v) => c.send_enc(method, path, q, v).await,
    }
}

/// bob with a policy, a group and a service account; eve with no policy at all.
async fn world(s: &Running) -> Client {
    let root = s.root();
    ok(&root.add_user("bob", "bob-secret-1").await);
    ok(&root
        .add_policy("bobpolicy", &allow(&["admin:GetUser"]))
        .await);
    ok(&root.attach_user("bob", &["bobpolicy"]).await);
    ok(&root.group_members("bobs", &["bob"], false).await);
    let sa = json!({"targetUser": "bob", "accessKey": "bob-svc", "secretKey": "bob-svc-secret"});
    ok(&root.add_service_account(&sa).await);
    user_with(s, "eve", "eve-secret-1", &[]).await
}

#[tokio::test]
async fn every_endpoint_refuses_a_caller_without_admin_rights() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let eve = world(&s).await;
    let before = s.iam.snapshot();
    for e in ENDPOINTS {
        let (query, body) = request(e.operation);
        let r = send(&eve, e.method.as_str(), e.path, &query, &body).await;
        let expected = match e.operation {
            // Needs only a valid signature: about eve herself.
            Operation::AccountInfo => 200,
            // Her own password: allowed unless denied.
            Operation::ChangeMyPassword => 200,
            // Not served yet (temporary credentials' details): refused before any action.
            Operation::TemporaryAccountInfo => 501,
            _ => 403,
        };
        assert_eq!(
            r.status,
            expected,
            "{:?} {} {}: {}",
            e.operation,
            e.method.as_str(),
            e.path,
            String::from_utf8_lossy(&r.body)
        );
        if expected == 403 {
            assert_eq!(r.code(), "AccessDenied", "{:?}", e.operation);
        }
    }
    // The refusals were decisions, not a broken credential.
    ok(&eve.send("GET", "accountinfo", &[], Vec::new()).await);
    // Nothing about bob changed.
    let after = s.iam.snapshot();
    assert_eq!(after.user("bob"), before.user("bob"));
    assert_eq!(after.group("bobs"), before.group("bobs"));
    assert_eq!(
        after.service_account("bob-svc"),
        before.service_account("bob-svc")
    );
    assert_eq!(after.policy("bobpolicy"), before.policy("bobpolicy"));
    assert!(after.user("eve").is_some_and(|u| {
        after
            .mapping(strongbox_iam::MappingKind::User, &u.access_key)
            .is_none()
    }));
}

#[tokio::test]
async fn every_endpoint_serves_root() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    world(&s).await;
    let root = s.root();
    // Order matters only for the destructive rows: they come last in this list.
    let last = [
        Operation::DetachPolicy,
        Operation::RemoveCannedPolicy,
        Operation::DeleteServiceAccount,
        Operation::RemoveUser,
    ];
    let mut rows: Vec<_> = ENDPOINTS
        .iter()
        .filter(|e| !last.contains(&e.operation))
        .collect();
    rows.extend(
        last.iter()
            .filter_map(|op| ENDPOINTS.iter().find(|e| e.operation == *op)),
    );
    for e in rows {
        let (query, body) = request(e.operation);
        let r = send(&root, e.method.as_str(), e.path, &query, &body).await;
        let expected = match e.operation {
            Operation::TemporaryAccountInfo => vec![501],
            // This server has no LDAP directory to look the DN up in (tests/ldap.rs of the
            // strongbox crate has one); listing the (empty) LDAP mappings needs none.
            Operation::LdapAttachPolicy | Operation::LdapDetachPolicy => vec![400],
            // Root is no IAM user: it has no password to change here.
            Operation::ChangeMyPassword => vec![403],
            // Revoking a user's temporary credentials needs STS running; the in-process server
            // has it, so root's request is accepted.
            _ => vec![e.success_status],
        };
        assert!(
            expected.contains(&r.status),
            "{:?} {} {}: {} {}",
            e.operation,
            e.method.as_str(),
            e.path,
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    assert!(s.iam.snapshot().user("bob").is_none());
}
