//! Regression tests named after MinIO advisories about the admin API (spec §17.1): Strongbox must
//! not have these bugs. Each drives the real server in process with madmin-shaped requests.

mod admin_support;

use admin_support::*;
use serde_json::json;

/// CVE-2022-24842 (GHSA-2j69-jjmg-534q): an unprivileged user could create service accounts for
/// root or other users and so inherit their policies.
#[tokio::test]
async fn cve_2022_24842_service_account_for_another_user_needs_an_explicit_allow() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    ok(&root.add_user("bob", "bob-secret-1").await);
    ok(&root.attach_user("bob", &["consoleAdmin"]).await);
    let alice = user_with(&s, "alice", "alice-secret-1", &["readonly"]).await;

    for target in [ROOT, "bob"] {
        let body =
            json!({"targetUser": target, "accessKey": "stolen1", "secretKey": "stolen-secret"});
        refused(&alice.add_service_account(&body).await, 403, "AccessDenied");
    }
    // Nothing was created: the key does not authenticate.
    let stolen = s.client("stolen1", "stolen-secret");
    assert_eq!(
        stolen
            .send("GET", "accountinfo", &[], Vec::new())
            .await
            .status,
        403
    );
    // Her own account needs only the absence of a Deny; its parent is alice, not anyone else.
    let own = json!({"accessKey": "alice-svc", "secretKey": "alice-svc-secret"});
    ok(&alice.add_service_account(&own).await);
    let info = s
        .client("alice-svc", "alice-svc-secret")
        .send("GET", "accountinfo", &[], Vec::new())
        .await;
    assert_eq!(info.json()["AccountName"], "alice");
    // An explicit Deny of CreateServiceAccount stops even that.
    ok(&root
        .add_policy("nosvc", &deny(&["admin:CreateServiceAccount"]))
        .await);
    ok(&root.attach_user("alice", &["nosvc"]).await);
    let own2 = json!({"accessKey": "alice-svc2", "secretKey": "alice-svc-secret"});
    refused(&alice.add_service_account(&own2).await, 403, "AccessDenied");

    // With an explicit allow, creating for another user works and the parent is that user.
    ok(&root
        .add_policy("svcmaker", &allow(&["admin:CreateServiceAccount"]))
        .await);
    let carol = user_with(&s, "carol", "carol-secret-1", &["svcmaker"]).await;
    let body = json!({"targetUser": "bob", "accessKey": "bob-svc", "secretKey": "bob-svc-secret"});
    ok(&carol.add_service_account(&body).await);
    let info = root
        .send(
            "GET",
            "info-service-account",
            &[("accessKey", "bob-svc")],
            Vec::new(),
        )
        .await;
    assert_eq!(root.open(&info)["parentUser"], "bob");
}

/// CVE-2024-24747 (GHSA-xx8w-mq23-29g4): a service account could edit its own access key
/// (policy, secret) and so escalate to its parent's full rights.
#[tokio::test]
async fn cve_2024_24747_service_account_cannot_edit_itself_without_update_service_account() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    // alice is a full admin; her access key is narrowed to reading one bucket.
    let alice = user_with(&s, "alice", "alice-secret-1", &["consoleAdmin"]).await;
    let narrow = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::data/*"]}]
    });
    let body = json!({"accessKey": "alice-svc", "secretKey": "alice-svc-secret", "policy": narrow});
    ok(&alice.add_service_account(&body).await);
    let svc = s.client("alice-svc", "alice-svc-secret");

    // The account tries to drop its embedded policy, widen it, or change its secret: its own
    // policy does not allow admin:UpdateServiceAccount, whatever its parent may do.
    for upd in [
        json!({"newPolicy": {}}),
        json!({"newPolicy": allow(&["admin:*", "s3:*"])}),
        json!({"newSecretKey": "attacker-secret"}),
        json!({"newStatus": "enabled"}),
    ] {
        refused(
            &svc.update_service_account("alice-svc", &upd).await,
            403,
            "AccessDenied",
        );
    }
    let info = root
        .send(
            "GET",
            "info-service-account",
            &[("accessKey", "alice-svc")],
            Vec::new(),
        )
        .await;
    assert_eq!(root.open(&info)["impliedPolicy"], false, "still narrowed");
    ok(&svc.send("GET", "accountinfo", &[], Vec::new()).await);

    // Owning the account is not enough either: the parent needs the explicit allow. Without it
    // (an explicit Deny next to consoleAdmin) she is refused; with it she may.
    ok(&root
        .add_policy("no-sa-update", &deny(&["admin:UpdateServiceAccount"]))
        .await);
    ok(&root.attach_user("alice", &["no-sa-update"]).await);
    refused(
        &alice
            .update_service_account("alice-svc", &json!({"newPolicy": {}}))
            .await,
        403,
        "AccessDenied",
    );
    ok(&root.detach_user("alice", &["no-sa-update"]).await);
    let r = alice
        .update_service_account("alice-svc", &json!({"newSecretKey": "rotated-secret"}))
        .await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        svc.send("GET", "accountinfo", &[], Vec::new()).await.status,
        403
    );
    ok(&s
        .client("alice-svc", "rotated-secret")
        .send("GET", "accountinfo", &[], Vec::new())
        .await);
}

/// CVE-2021-43858: add-user accepted a `policy` field, so a user who may change their own
/// password could also change their own policy.
#[tokio::test]
async fn cve_2021_43858_add_user_never_carries_a_policy() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let alice = user_with(&s, "alice", "alice-secret-1", &["readonly"]).await;
    for smuggled in [
        json!({"secretKey": "alice-secret-2", "status": "enabled", "policy": "consoleAdmin"}),
        json!({"secretKey": "alice-secret-2", "status": "enabled", "policyName": "consoleAdmin"}),
        json!({"secretKey": "alice-secret-2", "status": "enabled", "memberOf": ["admins"]}),
    ] {
        refused(
            &alice
                .send_enc("PUT", "add-user", &[("accessKey", "alice")], &smuggled)
                .await,
            400,
            "XMinioAdminConfigBadJSON",
        );
    }
    // Root cannot smuggle one either: policies change through attach only.
    let by_root =
        json!({"secretKey": "bob-secret-1", "status": "enabled", "policy": "consoleAdmin"});
    refused(
        &s.root()
            .send_enc("PUT", "add-user", &[("accessKey", "bob")], &by_root)
            .await,
        400,
        "XMinioAdminConfigBadJSON",
    );
    // The password change alone works and the policy is what it was.
    ok(&alice.add_user("alice", "alice-secret-2").await);
    let alice = s.client("alice", "alice-secret-2");
    assert_eq!(
        alice.user_info("alice").await.json()["policyName"],
        "readonly"
    );
    assert_eq!(
        alice
            .send("GET", "list-users", &[], Vec::new())
            .await
            .status,
        403
    );
}

/// CVE-2023-27589 (GHSA-9wfv-wmf7-6753): a consoleAdmin user could create an IAM user whose access
/// key equals the root access key, breaking root.
#[tokio::test]
async fn cve_2023_27589_root_access_key_is_never_a_user_or_service_account() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let admin = user_with(&s, "opsadmin", "opsadmin-secret", &["consoleAdmin"]).await;
    let root = s.root();
    for client in [&admin, &root] {
        refused(
            &client.add_user(ROOT, "hijacked-secret").await,
            403,
            "XMinioInvalidIAMCredentials",
        );
        let sa = json!({"accessKey": ROOT, "secretKey": "hijacked-secret"});
        refused(
            &client.add_service_account(&sa).await,
            403,
            "XMinioInvalidIAMCredentials",
        );
    }
    // Root is no group member and no policy target either.
    refused(
        &admin.group_members("g", &[ROOT], false).await,
        403,
        "XMinioInvalidIAMCredentials",
    );
    refused(
        &admin.attach_user(ROOT, &["readonly"]).await,
        403,
        "XMinioInvalidIAMCredentials",
    );
    // Root still signs with its own secret, and the hijack secret does nothing.
    ok(&root.send("GET", "list-users", &[], Vec::new()).await);
    assert!(s.iam.snapshot().user(ROOT).is_none());
    let hijack = s.client(ROOT, "hijacked-secret");
    assert_eq!(
        hijack
            .send("GET", "list-users", &[], Vec::new())
            .await
            .status,
        403
    );
}

/// A service account may not change its parent's password (MinIO: "account not eligible").
#[tokio::test]
async fn service_account_cannot_change_its_parents_password() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let alice = user_with(&s, "alice", "alice-secret-1", &["consoleAdmin"]).await;
    let body = json!({"accessKey": "alice-svc", "secretKey": "alice-svc-secret"});
    ok(&alice.add_service_account(&body).await);
    let svc = s.client("alice-svc", "alice-svc-secret");
    refused(
        &svc.add_user("alice", "taken-over-1").await,
        403,
        "XMinioInvalidIAMCredentials",
    );
    refused(
        &svc.send_enc(
            "POST",
            "change-my-password",
            &[],
            &json!({"secretKey": "taken-over-1"}),
        )
        .await,
        403,
        "XMinioInvalidIAMCredentials",
    );
    ok(&alice.user_info("alice").await);
}

/// CVE-2025-62506 (GHSA-jjjj-jwhf-8rgr): a credential restricted by an embedded (session) policy
/// could create service accounts for its own user and so escape the restriction.
#[tokio::test]
async fn cve_2025_62506_restricted_service_account_cannot_mint_an_unrestricted_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let alice = user_with(&s, "alice", "alice-secret-1", &["consoleAdmin"]).await;
    let narrow = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::data/*"]}]
    });
    let body = json!({"accessKey": "alice-ro", "secretKey": "alice-ro-secret", "policy": narrow});
    ok(&alice.add_service_account(&body).await);
    let ro = s.client("alice-ro", "alice-ro-secret");
    let escape = json!({"accessKey": "alice-full", "secretKey": "alice-full-secret"});
    refused(&ro.add_service_account(&escape).await, 403, "AccessDenied");
    // Its own listing needs an explicit allow too, and the embedded policy grants none.
    assert_eq!(
        ro.send("GET", "list-service-accounts", &[], Vec::new())
            .await
            .status,
        403
    );
    // Unrestricted, the same parent may.
    ok(&alice.add_service_account(&escape).await);
}

/// MinIO #8675 (586614c73, spec §17 item 13): policy and group changes could target credentials
/// that are not IAM users. A service account's key never becomes a user, a policy target or a
/// group member, whoever asks.
#[tokio::test]
async fn minio_8675_service_account_keys_are_never_users_or_policy_targets() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path()).await;
    let root = s.root();
    let alice = user_with(&s, "alice", "alice-secret-1", &["consoleAdmin"]).await;
    let body = json!({"accessKey": "alice-svc", "secretKey": "alice-svc-secret"});
    ok(&alice.add_service_account(&body).await);
    // The account itself, holding alice's admin rights, cannot make its key a user.
    let svc = s.client("alice-svc", "alice-svc-secret");
    refused(
        &svc.add_user("alice-svc", "new-secret-123").await,
        403,
        "XMinioInvalidIAMCredentials",
    );
    // Nor can root: the key is taken.
    refused(
        &root.add_user("alice-svc", "new-secret-123").await,
        409,
        "XMinioAdminAccessKeyInUse",
    );
    refused(
        &root.attach_user("alice-svc", &["consoleAdmin"]).await,
        403,
        "XMinioInvalidIAMCredentials",
    );
    refused(
        &root
            .send(
                "PUT",
                "set-user-or-group-policy",
                &[
                    ("policyName", "consoleAdmin"),
                    ("userOrGroup", "alice-svc"),
                    ("isGroup", "false"),
                ],
                Vec::new(),
            )
            .await,
        403,
        "XMinioInvalidIAMCredentials",
    );
    refused(
        &root.group_members("admins", &["alice-svc"], false).await,
        403,
        "XMinioInvalidIAMCredentials",
    );
    let snap = s.iam.snapshot();
    assert!(snap.user("alice-svc").is_none());
    assert!(snap.group("admins").is_none());
}
