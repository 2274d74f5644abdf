//! The MinIO admin API in process: canned policies and their attachment (add, info, list,
//! remove, attach/detach, legacy set, policy entities) as minio-py's `MinioAdmin` sends them.

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
async fn canned_policies_add_info_list_remove() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    ok(&root.add_policy("getdata", &readonly_doc()).await);

    let info = root
        .send(
            "GET",
            "info-canned-policy",
            &[("name", "getdata")],
            Vec::new(),
        )
        .await;
    ok(&info);
    assert_eq!(info.json(), readonly_doc());
    let v2 = root
        .send(
            "GET",
            "info-canned-policy",
            &[("name", "getdata"), ("v", "2")],
            Vec::new(),
        )
        .await;
    assert_eq!(v2.json()["PolicyName"], "getdata");
    assert_eq!(v2.json()["Policy"], readonly_doc());
    assert!(v2.json()["CreateDate"].is_string());

    let list = root
        .send("GET", "list-canned-policies", &[], Vec::new())
        .await;
    ok(&list);
    let list = list.json();
    assert_eq!(list["getdata"], readonly_doc());
    for canned in [
        "readonly",
        "readwrite",
        "writeonly",
        "diagnostics",
        "consoleAdmin",
    ] {
        assert!(list[canned].is_object(), "{canned} listed");
    }

    ok(&root
        .send(
            "DELETE",
            "remove-canned-policy",
            &[("name", "getdata")],
            Vec::new(),
        )
        .await);
    refused(
        &root
            .send(
                "GET",
                "info-canned-policy",
                &[("name", "getdata")],
                Vec::new(),
            )
            .await,
        404,
        "XMinioAdminNoSuchPolicy",
    );
    // A built-in policy stays.
    refused(
        &root
            .send(
                "DELETE",
                "remove-canned-policy",
                &[("name", "readonly")],
                Vec::new(),
            )
            .await,
        400,
        "XMinioIAMActionNotAllowed",
    );
}

#[tokio::test]
async fn hostile_policy_documents_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    let no_version =
        json!({"Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]});
    refused(
        &root.add_policy("p", &no_version).await,
        400,
        "MalformedPolicy",
    );
    let unknown = json!({"Version": "2012-10-17", "Statement": [], "Extra": 1});
    refused(
        &root.add_policy("p", &unknown).await,
        400,
        "XMinioMalformedIAMPolicy",
    );
    let nested = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = root
        .send(
            "PUT",
            "add-canned-policy",
            &[("name", "p")],
            nested.into_bytes(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let huge = vec![b' '; 2 << 20];
    refused(
        &root
            .send("PUT", "add-canned-policy", &[("name", "p")], huge)
            .await,
        400,
        "EntityTooLarge",
    );
    refused(
        &root
            .send("PUT", "add-canned-policy", &[("name", "p")], Vec::new())
            .await,
        411,
        "MissingContentLength",
    );
    refused(
        &root.add_policy("a,b", &readonly_doc()).await,
        400,
        "PolicyInvalidName",
    );
    // Nothing was stored.
    let list = root
        .send("GET", "list-canned-policies", &[], Vec::new())
        .await;
    assert!(list.json().get("p").is_none());
}

#[tokio::test]
async fn attach_detach_set_and_policy_entities() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    ok(&root.add_user("alice", "alice-secret-1").await);
    ok(&root.group_members("devs", &["alice"], false).await);
    ok(&root.add_policy("getdata", &readonly_doc()).await);

    let r = root.attach_user("alice", &["getdata", "readonly"]).await;
    let body = root.open(&r);
    assert_eq!(body["policiesAttached"], json!(["getdata", "readonly"]));
    assert!(body["updatedAt"].is_string());
    // Attaching again changes nothing: MinIO's error.
    refused(
        &root.attach_user("alice", &["getdata"]).await,
        400,
        "XMinioAdminPolicyChangeAlreadyApplied",
    );
    // Only the new one is reported.
    let r = root.attach_user("alice", &["getdata", "writeonly"]).await;
    assert_eq!(root.open(&r)["policiesAttached"], json!(["writeonly"]));
    ok(&root.attach_group("devs", &["diagnostics"]).await);
    assert_eq!(
        root.user_info("alice").await.json()["policyName"],
        "getdata,readonly,writeonly"
    );
    refused(
        &root.attach_user("alice", &["nosuch"]).await,
        404,
        "XMinioAdminNoSuchPolicy",
    );
    refused(
        &root.attach_user("nobody", &["readonly"]).await,
        404,
        "XMinioAdminNoSuchUser",
    );
    refused(
        &root.attach_user(ROOT, &["readonly"]).await,
        403,
        "XMinioInvalidIAMCredentials",
    );
    let both = json!({"policies": ["readonly"], "user": "alice", "group": "devs"});
    refused(
        &root
            .send_enc("POST", "idp/builtin/policy/attach", &[], &both)
            .await,
        400,
        "XMinioAdminInvalidArgument",
    );

    let all = root
        .send("GET", "idp/builtin/policy-entities", &[], Vec::new())
        .await;
    let all = root.open(&all);
    let mappings = all["policyMappings"].as_array().unwrap();
    let diag = mappings
        .iter()
        .find(|m| m["policy"] == "diagnostics")
        .unwrap();
    assert_eq!(diag["groups"], json!(["devs"]));
    let filtered = root
        .send(
            "GET",
            "idp/builtin/policy-entities",
            &[("user", "alice"), ("group", "devs")],
            Vec::new(),
        )
        .await;
    let filtered = root.open(&filtered);
    assert_eq!(filtered["userMappings"][0]["user"], "alice");
    assert_eq!(
        filtered["userMappings"][0]["memberOfMappings"][0],
        json!({"group": "devs", "policies": ["diagnostics"]})
    );
    assert_eq!(
        filtered["groupMappings"][0]["policies"],
        json!(["diagnostics"])
    );
    assert!(filtered.get("policyMappings").is_none());

    let r = root.detach_user("alice", &["readonly", "writeonly"]).await;
    assert_eq!(
        root.open(&r)["policiesDetached"],
        json!(["readonly", "writeonly"])
    );
    refused(
        &root.detach_user("alice", &["readonly"]).await,
        400,
        "XMinioAdminPolicyChangeAlreadyApplied",
    );
    // The legacy call replaces the whole mapping; an empty name list clears it.
    ok(&root
        .send(
            "PUT",
            "set-user-or-group-policy",
            &[
                ("policyName", "readonly,writeonly"),
                ("userOrGroup", "alice"),
                ("isGroup", "false"),
            ],
            Vec::new(),
        )
        .await);
    assert_eq!(
        root.user_info("alice").await.json()["policyName"],
        "readonly,writeonly"
    );
    ok(&root
        .send(
            "PUT",
            "set-user-or-group-policy",
            &[
                ("policyName", ""),
                ("userOrGroup", "devs"),
                ("isGroup", "true"),
            ],
            Vec::new(),
        )
        .await);
    let g = root
        .send("GET", "group", &[("group", "devs")], Vec::new())
        .await;
    assert_eq!(g.json()["policy"], "");
    // A policy in use cannot be removed.
    ok(&root.attach_group("devs", &["getdata"]).await);
    refused(
        &root
            .send(
                "DELETE",
                "remove-canned-policy",
                &[("name", "getdata")],
                Vec::new(),
            )
            .await,
        400,
        "XMinioAdminPolicyInUse",
    );
}
