//! The MinIO admin API in process: every endpoint minio-py's `MinioAdmin` uses, with the bodies
//! it sends (encrypted where madmin encrypts), answered as madmin expects.

mod admin_support;

use admin_support::*;
use serde_json::json;

fn readonly_doc() -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::data/*"]}]
    })
}

#[tokio::test]
async fn users_add_info_list_status_remove() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();

    ok(&root.add_user("alice", "alice-secret-1").await);
    let info = root.user_info("alice").await;
    ok(&info);
    assert_eq!(info.json()["status"], "enabled");
    assert!(info.json().get("policyName").is_none(), "no policy yet");

    let list = root.send("GET", "list-users", &[], Vec::new()).await;
    let users = root.open(&list);
    assert_eq!(users["alice"]["status"], "enabled");

    let r = root
        .send(
            "PUT",
            "set-user-status",
            &[("accessKey", "alice"), ("status", "disabled")],
            Vec::new(),
        )
        .await;
    ok(&r);
    assert_eq!(root.user_info("alice").await.json()["status"], "disabled");
    // A disabled user cannot even ask about itself.
    let alice = s.client("alice", "alice-secret-1");
    assert_eq!(alice.user_info("alice").await.status, 403);

    let bad = root
        .send(
            "PUT",
            "set-user-status",
            &[("accessKey", "alice"), ("status", "maybe")],
            Vec::new(),
        )
        .await;
    refused(&bad, 400, "XMinioAdminInvalidArgument");

    ok(&root
        .send(
            "DELETE",
            "remove-user",
            &[("accessKey", "alice")],
            Vec::new(),
        )
        .await);
    refused(&root.user_info("alice").await, 404, "XMinioAdminNoSuchUser");
    refused(
        &root
            .send(
                "DELETE",
                "remove-user",
                &[("accessKey", "alice")],
                Vec::new(),
            )
            .await,
        404,
        "XMinioAdminNoSuchUser",
    );
}

#[tokio::test]
async fn a_user_changes_its_own_password_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let alice = user_with(&s, "alice", "alice-secret-1", &[]).await;
    // No policy at all: changing one's own password needs only the absence of a Deny.
    ok(&alice.add_user("alice", "alice-secret-2").await);
    assert_eq!(alice.user_info("alice").await.status, 403, "old secret");
    let alice = s.client("alice", "alice-secret-2");
    ok(&alice.user_info("alice").await);
    // But not anyone else's, nor a new user.
    assert_eq!(alice.add_user("bob", "bob-secret-1").await.status, 403);

    // change-my-password (madmin) does the same.
    let body = json!({"secretKey": "alice-secret-3", "status": ""}); // madmin writes the empty status
    ok(&alice
        .send_enc("POST", "change-my-password", &[], &body)
        .await);
    ok(&s.client("alice", "alice-secret-3").user_info("alice").await);
}

#[tokio::test]
async fn groups_members_info_list_status_remove() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    ok(&root.add_user("user1", "user1-secret").await);
    ok(&root.add_user("user2", "user2-secret").await);

    ok(&root.group_members("devs", &["user1", "user2"], false).await);
    // minio-py's type hint makes members a single string; that is one member.
    let one = json!({"group": "ops", "members": "user1", "isRemove": false});
    ok(&root
        .send_json("PUT", "update-group-members", &[], &one)
        .await);
    let info = root
        .send("GET", "group", &[("group", "devs")], Vec::new())
        .await;
    ok(&info);
    assert_eq!(info.json()["members"], json!(["user1", "user2"]));
    assert_eq!(info.json()["status"], "enabled");
    let list = root.send("GET", "groups", &[], Vec::new()).await;
    assert_eq!(list.json(), json!(["devs", "ops"]));
    assert_eq!(
        root.user_info("user1").await.json()["memberOf"],
        json!(["devs", "ops"])
    );

    ok(&root
        .send(
            "PUT",
            "set-group-status",
            &[("group", "devs"), ("status", "disabled")],
            Vec::new(),
        )
        .await);
    let info = root
        .send("GET", "group", &[("group", "devs")], Vec::new())
        .await;
    assert_eq!(info.json()["status"], "disabled");

    // A group with members cannot be removed; an empty one can.
    refused(
        &root.group_members("devs", &[], true).await,
        400,
        "XMinioAdminGroupNotEmpty",
    );
    ok(&root.group_members("devs", &["user1", "user2"], true).await);
    ok(&root.group_members("devs", &[], true).await);
    refused(
        &root
            .send("GET", "group", &[("group", "devs")], Vec::new())
            .await,
        404,
        "XMinioAdminNoSuchGroup",
    );
    // Members must be IAM users.
    refused(
        &root.group_members("devs", &["nobody"], false).await,
        404,
        "XMinioAdminNoSuchUser",
    );
    refused(
        &root.group_members("devs", &[ROOT], false).await,
        403,
        "XMinioInvalidIAMCredentials",
    );
}

#[tokio::test]
async fn service_accounts_add_info_list_update_delete() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    ok(&root.add_user("alice", "alice-secret-1").await);
    ok(&root.attach_user("alice", &["readonly"]).await);

    // Root creates one for alice with chosen keys and an embedded policy.
    let body = json!({
        "status": "enabled", "accessKey": "svc-alice", "secretKey": "svc-alice-secret",
        "targetUser": "alice", "name": "ci", "description": "for CI",
        "policy": readonly_doc(),
    });
    let r = root.add_service_account(&body).await;
    let creds = root.open(&r);
    assert_eq!(creds["credentials"]["accessKey"], "svc-alice");
    assert_eq!(creds["credentials"]["secretKey"], "svc-alice-secret");
    assert_eq!(creds["credentials"]["expiration"], "0001-01-01T00:00:00Z");

    // minio-py's add_service_account without keys: generated, for the caller (root).
    let r = root
        .add_service_account(&json!({"status": "enabled", "accessKey": null, "secretKey": null}))
        .await;
    let generated = root.open(&r);
    let gen_ak = generated["credentials"]["accessKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(gen_ak.len(), 20);
    assert_eq!(
        generated["credentials"]["secretKey"]
            .as_str()
            .unwrap()
            .len(),
        40
    );

    let info = root
        .send(
            "GET",
            "info-service-account",
            &[("accessKey", "svc-alice")],
            Vec::new(),
        )
        .await;
    let info = root.open(&info);
    assert_eq!(info["parentUser"], "alice");
    assert_eq!(info["accountStatus"], "on");
    assert_eq!(info["impliedPolicy"], false);
    assert_eq!(info["name"], "ci");
    let embedded: serde_json::Value =
        serde_json::from_str(info["policy"].as_str().unwrap()).unwrap();
    assert_eq!(embedded, readonly_doc());

    let list = root
        .send(
            "GET",
            "list-service-accounts",
            &[("user", "alice")],
            Vec::new(),
        )
        .await;
    let list = root.open(&list);
    assert_eq!(list["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(list["accounts"][0]["accessKey"], "svc-alice");
    let mine = root
        .send("GET", "list-service-accounts", &[], Vec::new())
        .await;
    assert_eq!(
        root.open(&mine)["accounts"][0]["accessKey"],
        gen_ak.as_str()
    );

    // Update: new secret, status, and back to the parent's policies with an empty document.
    let upd =
        json!({"newSecretKey": "svc-alice-secret2", "newStatus": "disabled", "newPolicy": {}});
    let r = root.update_service_account("svc-alice", &upd).await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    let info = root
        .send(
            "GET",
            "info-service-account",
            &[("accessKey", "svc-alice")],
            Vec::new(),
        )
        .await;
    let info = root.open(&info);
    assert_eq!(info["accountStatus"], "off");
    assert_eq!(info["impliedPolicy"], true);
    assert!(
        info["policy"]
            .as_str()
            .unwrap()
            .contains("s3:GetBucketLocation"),
        "readonly inherited"
    );

    let r = root
        .send(
            "DELETE",
            "delete-service-account",
            &[("accessKey", "svc-alice")],
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, 204);
    refused(
        &root
            .send(
                "GET",
                "info-service-account",
                &[("accessKey", "svc-alice")],
                Vec::new(),
            )
            .await,
        404,
        "XMinioInvalidIAMCredentials",
    );
    // A service account is not a user, and not a parent.
    let sa_parent = json!({"targetUser": gen_ak, "accessKey": null, "secretKey": null});
    refused(
        &root.add_service_account(&sa_parent).await,
        403,
        "XMinioInvalidIAMCredentials",
    );
}

#[tokio::test]
async fn accountinfo_names_the_caller_and_its_policy() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let alice = user_with(&s, "alice", "alice-secret-1", &["readonly"]).await;
    let r = alice.send("GET", "accountinfo", &[], Vec::new()).await;
    ok(&r);
    let v = r.json();
    assert_eq!(v["AccountName"], "alice");
    assert_eq!(v["Server"]["Type"], 1);
    assert!(
        v["Policy"]["Statement"]
            .to_string()
            .contains("s3:GetObject")
    );
    assert!(v["Buckets"].is_array());
    let root = s.root().send("GET", "accountinfo", &[], Vec::new()).await;
    assert_eq!(root.json()["AccountName"], ROOT);
}

#[tokio::test]
async fn admin_actions_follow_the_callers_policies() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    ok(&root
        .add_policy("usermaker", &allow(&["admin:CreateUser"]))
        .await);
    let maker = user_with(&s, "maker", "maker-secret-1", &["usermaker"]).await;
    ok(&maker.add_user("made", "made-secret-1").await);
    // CreateUser does not include ListUsers or policy changes.
    assert_eq!(
        maker
            .send("GET", "list-users", &[], Vec::new())
            .await
            .status,
        403
    );
    refused(
        &maker.attach_user("made", &["consoleAdmin"]).await,
        403,
        "AccessDenied",
    );

    // A consoleAdmin user can do everything root can here.
    let admin = user_with(&s, "opsadmin", "opsadmin-secret", &["consoleAdmin"]).await;
    ok(&admin.add_user("other", "other-secret-1").await);
    ok(&admin.attach_user("other", &["readonly"]).await);
    let list = admin.send("GET", "list-users", &[], Vec::new()).await;
    assert!(admin.open(&list)["other"].is_object());

    // Through a group too; a disabled group grants nothing.
    ok(&root
        .add_policy("lister", &allow(&["admin:ListUsers"]))
        .await);
    let viewer = user_with(&s, "viewer", "viewer-secret-1", &[]).await;
    ok(&root.group_members("viewers", &["viewer"], false).await);
    ok(&root.attach_group("viewers", &["lister"]).await);
    ok(&viewer.send("GET", "list-users", &[], Vec::new()).await);
    ok(&root
        .send(
            "PUT",
            "set-group-status",
            &[("group", "viewers"), ("status", "disabled")],
            Vec::new(),
        )
        .await);
    assert_eq!(
        viewer
            .send("GET", "list-users", &[], Vec::new())
            .await
            .status,
        403
    );

    // An explicit Deny wins over consoleAdmin.
    ok(&root
        .add_policy("nodelete", &deny(&["admin:DeleteUser"]))
        .await);
    ok(&root.attach_user("opsadmin", &["nodelete"]).await);
    refused(
        &admin
            .send(
                "DELETE",
                "remove-user",
                &[("accessKey", "other")],
                Vec::new(),
            )
            .await,
        403,
        "AccessDenied",
    );
}

#[tokio::test]
async fn authentication_comes_first_and_fails_as_admin_json() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let host = s.addr.to_string();

    // Unsigned.
    let req = http::Request::builder()
        .method("GET")
        .uri("/minio/admin/v3/list-users")
        .header("host", &host)
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let r = raw(s.addr, req).await;
    refused(&r, 403, "AccessDenied");
    assert_eq!(r.json()["Resource"], "/minio/admin/v3/list-users");
    assert!(
        r.json()["RequestId"]
            .as_str()
            .is_some_and(|id| id.len() == 16)
    );

    // Signed with UNSIGNED-PAYLOAD: the admin API wants the payload hash.
    let signer = sigv4::Signer::new(ROOT, ROOT_SECRET, "");
    let p = "/minio/admin/v3/list-users";
    let h = signer.sign(
        "GET",
        &host,
        p,
        &[],
        sigv4::UNSIGNED_PAYLOAD,
        time::OffsetDateTime::now_utc(),
        &[],
    );
    let mut b = http::Request::builder()
        .method("GET")
        .uri(p)
        .header("host", &host);
    for (k, v) in h {
        b = b.header(k, v);
    }
    let r = raw(
        s.addr,
        b.body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap(),
    )
    .await;
    refused(&r, 403, "AccessDenied");

    // Presigned.
    let q = signer.presign("GET", &host, p, 60, time::OffsetDateTime::now_utc());
    let req = http::Request::builder()
        .method("GET")
        .uri(format!("{p}?{q}"))
        .header("host", &host)
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    refused(&raw(s.addr, req).await, 403, "AccessDenied");

    // A wrong secret or an unknown key never reaches the handler (s3s refuses the signature),
    // and the refusal still has the admin shape.
    let wrong = s.client(ROOT, "not-the-root-secret");
    let r = wrong.send("GET", "list-users", &[], Vec::new()).await;
    refused(&r, 403, "SignatureDoesNotMatch");
    assert_eq!(r.json()["Resource"], "/minio/admin/v3/list-users");
    let unknown = s.client("nobody-at-all", "whatever-secret");
    refused(
        &unknown.send("GET", "list-users", &[], Vec::new()).await,
        403,
        "InvalidAccessKeyId",
    );

    // Unknown endpoints and versions.
    refused(
        &s.root().send("GET", "no-such-api", &[], Vec::new()).await,
        400,
        "XMinioUnknownAPIRequest",
    );
    refused(
        &s.root().send("POST", "list-users", &[], Vec::new()).await,
        400,
        "XMinioUnknownAPIRequest",
    );
}

#[tokio::test]
async fn encrypted_bodies_are_checked_before_they_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    // Sealed with another secret than the signer's.
    let sealed = strongbox_madmin::encrypt_data(
        b"someone-else",
        br#"{"secretKey":"x-secret-1","status":"enabled"}"#,
    );
    refused(
        &root
            .send("PUT", "add-user", &[("accessKey", "x")], sealed)
            .await,
        400,
        "XMinioAdminConfigBadJSON",
    );
    // Not encrypted at all.
    refused(
        &root
            .send(
                "PUT",
                "add-user",
                &[("accessKey", "xuser")],
                br#"{"secretKey":"x-secret-1"}"#.to_vec(),
            )
            .await,
        400,
        "XMinioAdminConfigBadJSON",
    );
    // Over MinIO's cap.
    refused(
        &root
            .send(
                "PUT",
                "add-user",
                &[("accessKey", "xuser")],
                vec![0u8; 300_000],
            )
            .await,
        400,
        "XMinioAdminConfigTooLarge",
    );
    // Well sealed, wrong shape.
    refused(
        &root
            .send_enc(
                "PUT",
                "add-user",
                &[("accessKey", "xuser")],
                &json!({"secretKey": 5}),
            )
            .await,
        400,
        "XMinioAdminConfigBadJSON",
    );
    refused(&root.user_info("xuser").await, 404, "XMinioAdminNoSuchUser");
    // A body for a caller without the right is never decrypted: the refusal is AccessDenied.
    let nobody = user_with(&s, "nobody", "nobody-secret", &[]).await;
    refused(
        &nobody
            .send("PUT", "add-user", &[("accessKey", "xuser")], vec![7u8; 100])
            .await,
        403,
        "AccessDenied",
    );
}

#[tokio::test]
async fn changes_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    ok(&root.add_user("alice", "alice-secret-1").await);
    ok(&root.add_policy("getdata", &readonly_doc()).await);
    ok(&root.attach_user("alice", &["getdata"]).await);
    ok(&root.group_members("devs", &["alice"], false).await);
    let r = root
        .add_service_account(&json!({"accessKey": "svc-alice", "secretKey": "svc-alice-secret", "targetUser": "alice"}))
        .await;
    ok(&r);
    s.stop().await;

    let s = start(dir.path()).await;
    let alice = s.client("alice", "alice-secret-1");
    let info = alice.user_info("alice").await;
    assert_eq!(info.json()["policyName"], "getdata");
    assert_eq!(info.json()["memberOf"], json!(["devs"]));
    let svc = s.client("svc-alice", "svc-alice-secret");
    let r = svc.send("GET", "accountinfo", &[], Vec::new()).await;
    assert_eq!(r.json()["AccountName"], "alice");
}

#[tokio::test]
async fn admin_conditions_see_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    let local_deny = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Action": ["admin:ListUsers"],
            "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8"]}}
        }]
    });
    ok(&root.add_policy("no-local-listing", &local_deny).await);
    let elsewhere = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Action": ["admin:CreateUser"],
            "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}}
        }]
    });
    ok(&root.add_policy("no-remote-create", &elsewhere).await);
    let admin = user_with(
        &s,
        "opsadmin",
        "opsadmin-secret",
        &["consoleAdmin", "no-local-listing", "no-remote-create"],
    )
    .await;
    // We connect from 127.0.0.1: the first Deny applies, the second does not.
    refused(
        &admin.send("GET", "list-users", &[], Vec::new()).await,
        403,
        "AccessDenied",
    );
    ok(&admin.add_user("created", "created-secret").await);
}
