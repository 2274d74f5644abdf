//! Bodies exactly as minio-py 7.2.20 (`minio/minioadmin.py`, `json.dumps`) and madmin-go write
//! them, and the response shapes those clients read.

use serde_json::json;
use time::macros::datetime;

use super::*;

fn parse<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, BodyError> {
    from_json(body.as_bytes())
}

#[test]
fn add_user_body_from_minio_py() {
    // MinioAdmin.user_add: json.dumps({"status": "enabled", "secretKey": secret_key})
    let req: AddOrUpdateUserReq =
        parse(r#"{"status": "enabled", "secretKey": "bob-secret-123"}"#).expect("parse");
    assert_eq!(req.secret_key.expose(), "bob-secret-123");
    assert_eq!(req.status, Some(AccountStatus::Enabled));
    assert!(
        !format!("{req:?}").contains("bob-secret-123"),
        "Debug redacts"
    );
}

/// CVE-2021-43858: a password/status update must not carry a policy change.
#[test]
fn cve_2021_43858_policy_in_add_user_is_refused() {
    let smuggled =
        r#"{"secretKey": "new-password-1", "status": "enabled", "policy": "consoleAdmin"}"#;
    let err = parse::<AddOrUpdateUserReq>(smuggled).expect_err("policy refused");
    assert!(matches!(err, BodyError::Json(_)));
    assert!(!err.to_string().contains("new-password-1"));
    // Any other unknown key is refused too, so nothing else can ride along.
    assert!(
        parse::<AddOrUpdateUserReq>(r#"{"secretKey":"x1234567","memberOf":["admins"]}"#).is_err()
    );
    // madmin's omitempty `policy` may appear empty: tolerated, ignored.
    assert!(
        parse::<AddOrUpdateUserReq>(r#"{"secretKey":"x1234567","status":"enabled","policy":""}"#)
            .is_ok()
    );
}

#[test]
fn change_my_password_body_from_madmin() {
    // madmin ChangeMyPassword: AddOrUpdateUserReq{SecretKey} -> status "" is written.
    let req: AddOrUpdateUserReq = parse(r#"{"secretKey":"newpass123"}"#).expect("parse");
    assert_eq!(req.status, None);
    let req: AddOrUpdateUserReq =
        parse(r#"{"secretKey":"newpass123","status":""}"#).expect("Go writes the empty status");
    assert_eq!(req.status, None);
    assert!(parse::<AddOrUpdateUserReq>(r#"{"secretKey":"newpass123","status":"maybe"}"#).is_err());
    // MinIO's credential spelling, as mc sends it for service accounts.
    let upd: UpdateServiceAccountReq = parse(r#"{"newStatus":"off"}"#).expect("off");
    assert_eq!(upd.new_status, Some(AccountStatus::Disabled));
    let upd: UpdateServiceAccountReq = parse(r#"{"newStatus":""}"#).expect("empty");
    assert_eq!(upd.new_status, None);
}

#[test]
fn group_bodies_from_minio_py() {
    // group_add with a list, as madmin and the minio-py docs' users do.
    let add: GroupAddRemove =
        parse(r#"{"group": "devs", "members": ["alice", "bob"], "isRemove": false}"#).expect("add");
    assert_eq!(add.members, ["alice", "bob"]);
    assert!(!add.is_remove);
    // group_add with its `members: str` type hint honoured.
    let one: GroupAddRemove =
        parse(r#"{"group": "devs", "members": "alice", "isRemove": false}"#).expect("one");
    assert_eq!(one.members, ["alice"]);
    // group_remove(group) without members: remove the group itself.
    let rm: GroupAddRemove = parse(r#"{"group": "devs", "isRemove": true}"#).expect("rm");
    assert!(rm.is_remove && rm.members.is_empty());
    // madmin UpdateGroupMembers writes groupStatus and a null member list.
    let go: GroupAddRemove =
        parse(r#"{"group":"devs","members":null,"groupStatus":"","isRemove":true}"#).expect("go");
    assert!(go.members.is_empty());
}

#[test]
fn attach_detach_bodies_and_validation() {
    let user: PolicyAssociationReq =
        parse(r#"{"policies": ["readwrite", "diagnostics"], "user": "alice"}"#).expect("user");
    assert_eq!(user.validate(), Ok(PolicyTarget::User("alice")));
    let group: PolicyAssociationReq =
        parse(r#"{"policies": ["readonly"], "group": "devs"}"#).expect("group");
    assert_eq!(group.validate(), Ok(PolicyTarget::Group("devs")));
    for bad in [
        r#"{"policies": [], "user": "alice"}"#,
        r#"{"policies": [""], "user": "alice"}"#,
        r#"{"policies": ["readonly"]}"#,
        r#"{"policies": ["readonly"], "user": "a", "group": "g"}"#,
    ] {
        let req: PolicyAssociationReq = parse(bad).expect("well-formed");
        assert!(req.validate().is_err(), "{bad}");
    }
}

#[test]
fn add_service_account_body_from_minio_py() {
    // add_service_account(policy=..., expiration=...) without chosen keys: nulls.
    let body = json!({
        "status": "enabled", "accessKey": null, "secretKey": null,
        "name": "ci", "description": "for CI",
        "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}]},
        "expiration": "2030-01-02T03:04:05Z"
    })
    .to_string();
    let req: AddServiceAccountReq = parse(&body).expect("parse");
    assert_eq!(req.access_key, None);
    assert!(req.secret_key.is_none());
    assert_eq!(req.status, Some(AccountStatus::Enabled));
    assert_eq!(req.description(), Some("for CI"));
    assert_eq!(req.expiration, Some(datetime!(2030-01-02 03:04:05 UTC)));
    let policy: serde_json::Value =
        serde_json::from_str(req.policy_json().expect("policy")).expect("json");
    assert_eq!(policy["Version"], "2012-10-17");
}

#[test]
fn add_service_account_body_from_madmin() {
    // madmin: chosen keys, targetUser, RFC 3339 nanoseconds, the deprecated comment.
    let req: AddServiceAccountReq = parse(
        r#"{"targetUser":"bob","accessKey":"svc-key-1","secretKey":"svc-secret-12345","comment":"old","expiration":"2030-01-02T03:04:05.123456789Z"}"#,
    )
    .expect("parse");
    assert_eq!(req.target_user.as_deref(), Some("bob"));
    assert_eq!(
        req.secret_key.as_ref().map(WireSecret::expose),
        Some("svc-secret-12345")
    );
    assert_eq!(req.description(), Some("old"));
    assert_eq!(req.policy_json(), None);
    assert!(req.expiration.is_some());
    // Go's zero time and the Unix epoch mean "never expires"; "policy": null means inherit.
    for never in ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z"] {
        let r: AddServiceAccountReq =
            parse(&format!(r#"{{"policy":null,"expiration":"{never}"}}"#)).expect("parse");
        assert_eq!(r.expiration, None, "{never}");
        assert_eq!(r.policy_json(), None);
    }
    assert!(parse::<AddServiceAccountReq>(r#"{"expiration":"tomorrow"}"#).is_err());
}

#[test]
fn update_service_account_body_from_minio_py() {
    let req: UpdateServiceAccountReq = parse(
        r#"{"newSecretKey": "rotated-secret-1", "newName": "n", "newPolicy": {"Version": "2012-10-17", "Statement": []}, "newStatus": "disabled", "newExpiration": "2031-05-06T07:08:09Z"}"#,
    )
    .expect("parse");
    assert_eq!(req.new_status, Some(AccountStatus::Disabled));
    assert_eq!(
        req.new_secret_key.as_ref().map(WireSecret::expose),
        Some("rotated-secret-1")
    );
    assert!(
        req.new_policy_json()
            .is_some_and(|p| p.contains("2012-10-17"))
    );
    assert_eq!(req.new_expiration, Some(datetime!(2031-05-06 07:08:09 UTC)));
    let empty: UpdateServiceAccountReq = parse("{}").expect("empty");
    assert!(empty.new_policy_json().is_none() && empty.new_secret_key.is_none());
}

#[test]
fn add_service_account_response_shape() {
    let resp = AddServiceAccountResp {
        credentials: Credentials {
            access_key: "AKSVC".into(),
            secret_key: WireSecret::new("s3cr3t"),
            session_token: None,
            expiration: None,
        },
    };
    assert_eq!(
        serde_json::to_value(&resp).expect("json"),
        json!({"credentials": {"accessKey": "AKSVC", "secretKey": "s3cr3t", "expiration": "0001-01-01T00:00:00Z"}})
    );
    assert!(!format!("{resp:?}").contains("s3cr3t"));
}

#[test]
fn user_and_group_response_shapes() {
    let info = UserInfo {
        auth_info: None,
        policy_name: "readwrite,diagnostics".into(),
        status: AccountStatus::Enabled,
        member_of: vec!["devs".into()],
        updated_at: Some(datetime!(2026-01-02 03:04:05 UTC)),
    };
    assert_eq!(
        serde_json::to_value(&info).expect("json"),
        json!({"policyName": "readwrite,diagnostics", "status": "enabled", "memberOf": ["devs"], "updatedAt": "2026-01-02T03:04:05Z"})
    );
    let mut users = ListUsersResp::new();
    users.insert("alice".into(), info.clone());
    let back: ListUsersResp =
        serde_json::from_slice(&serde_json::to_vec(&users).expect("ser")).expect("de");
    assert_eq!(back, users);

    let group = GroupDesc {
        name: "devs".into(),
        status: "enabled".into(),
        members: vec!["alice".into()],
        policy: "readonly".into(),
        updated_at: None,
    };
    assert_eq!(
        serde_json::to_value(&group).expect("json"),
        json!({"name": "devs", "status": "enabled", "members": ["alice"], "policy": "readonly"})
    );
}

#[test]
fn policy_response_shapes() {
    let assoc = PolicyAssociationResp {
        policies_attached: vec!["readwrite".into()],
        policies_detached: vec![],
        updated_at: datetime!(2026-01-02 03:04:05.5 UTC),
    };
    assert_eq!(
        serde_json::to_value(&assoc).expect("json"),
        json!({"policiesAttached": ["readwrite"], "updatedAt": "2026-01-02T03:04:05.5Z"})
    );
    let entities = PolicyEntitiesResult {
        timestamp: datetime!(2026-01-02 03:04:05 UTC),
        user_mappings: vec![UserPolicyEntities {
            user: "alice".into(),
            policies: vec!["readwrite".into()],
            member_of_mappings: vec![GroupPolicyEntities {
                group: "devs".into(),
                policies: vec!["readonly".into()],
            }],
        }],
        group_mappings: vec![],
        policy_mappings: vec![PolicyEntities {
            policy: "readwrite".into(),
            users: vec!["alice".into()],
            groups: vec![],
        }],
    };
    assert_eq!(
        serde_json::to_value(&entities).expect("json"),
        json!({
            "timestamp": "2026-01-02T03:04:05Z",
            "userMappings": [{"user": "alice", "policies": ["readwrite"], "memberOfMappings": [{"group": "devs", "policies": ["readonly"]}]}],
            "policyMappings": [{"policy": "readwrite", "users": ["alice"], "groups": []}]
        })
    );
    let doc = serde_json::value::RawValue::from_string(
        r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
    )
    .expect("raw");
    let info = PolicyInfo {
        policy_name: "p".into(),
        policy: doc.clone(),
        create_date: None,
        update_date: Some(datetime!(2026-01-02 03:04:05 UTC)),
    };
    assert_eq!(
        serde_json::to_value(&info).expect("json"),
        json!({"PolicyName": "p", "Policy": {"Version": "2012-10-17", "Statement": []}, "UpdateDate": "2026-01-02T03:04:05Z"})
    );
    let mut list = ListCannedPoliciesResp::new();
    list.insert("p".into(), doc);
    assert_eq!(
        serde_json::to_string(&list).expect("json"),
        r#"{"p":{"Version":"2012-10-17","Statement":[]}}"#
    );
}

#[test]
fn service_account_info_shapes() {
    let list = ListServiceAccountsResp {
        accounts: vec![ServiceAccountInfo {
            parent_user: "alice".into(),
            account_status: "on".into(),
            implied_policy: true,
            access_key: "AKSVC".into(),
            name: String::new(),
            description: String::new(),
            expiration: None,
        }],
    };
    assert_eq!(
        serde_json::to_value(&list).expect("json"),
        json!({"accounts": [{"parentUser": "alice", "accountStatus": "on", "impliedPolicy": true, "accessKey": "AKSVC"}]})
    );
    let info = InfoServiceAccountResp {
        parent_user: "alice".into(),
        parent_user_status: String::new(),
        account_status: "on".into(),
        implied_policy: false,
        policy: "{\"Version\":\"2012-10-17\"}".into(),
        name: "ci".into(),
        description: String::new(),
        expiration: Some(datetime!(2030-01-01 00:00:00 UTC)),
    };
    assert_eq!(
        serde_json::to_value(&info).expect("json"),
        json!({"parentUser": "alice", "accountStatus": "on", "impliedPolicy": false, "policy": "{\"Version\":\"2012-10-17\"}", "name": "ci", "expiration": "2030-01-01T00:00:00Z"})
    );
}

#[test]
fn account_info_and_error_shapes() {
    let acct = AccountInfo {
        account_name: "alice".into(),
        server: BackendInfo { backend_type: 1 },
        policy: serde_json::value::RawValue::from_string("{}".into()).expect("raw"),
        buckets: vec![BucketAccessInfo {
            name: "b".into(),
            size: 0,
            objects: 0,
            versions: 0,
            delete_markers: 0,
            object_sizes_histogram: None,
            object_versions_histogram: None,
            details: Some(BucketDetails::default()),
            prefix_usage: None,
            created: datetime!(2026-01-02 03:04:05 UTC),
            access: AccountAccess {
                read: true,
                write: false,
            },
        }],
    };
    let v = serde_json::to_value(&acct).expect("json");
    assert_eq!(v["AccountName"], "alice");
    assert_eq!(v["Server"]["Type"], 1);
    assert_eq!(
        v["Buckets"][0]["access"],
        json!({"read": true, "write": false})
    );
    assert_eq!(v["Buckets"][0]["created"], "2026-01-02T03:04:05Z");

    let err = AdminErrorResponse {
        code: "XMinioAdminNoSuchUser".into(),
        message: "The specified user does not exist.".into(),
        resource: "/minio/admin/v3/user-info".into(),
        request_id: "r1".into(),
        host_id: "h1".into(),
    };
    assert_eq!(
        serde_json::to_value(&err).expect("json"),
        json!({"Code": "XMinioAdminNoSuchUser", "Message": "The specified user does not exist.", "Resource": "/minio/admin/v3/user-info", "RequestId": "r1", "HostId": "h1"})
    );
}

#[test]
fn query_helpers() {
    let q: SetPolicyQuery = serde_json::from_value(
        json!({"policyName": "readwrite, diagnostics,", "userOrGroup": "devs", "isGroup": "true"}),
    )
    .expect("query");
    assert!(q.is_group());
    assert_eq!(q.policy_names(), ["readwrite", "diagnostics"]);

    let e = PolicyEntitiesQuery::from_pairs([
        ("user", "a"),
        ("user", "b"),
        ("policy", "p"),
        ("x", "y"),
    ]);
    assert_eq!(e.users, ["a", "b"]);
    assert_eq!(e.policies, ["p"]);
    assert!(e.groups.is_empty());

    let ok = |user: &str, t: &str, full: &str| {
        RevokeTokensQuery {
            user: user.into(),
            token_revoke_type: t.into(),
            full_revoke: full.into(),
        }
        .validate()
    };
    assert!(ok("bob", "", "true").is_ok());
    assert!(ok("bob", "app", "").is_ok());
    assert!(ok("", "", "").is_ok(), "self-revoke infers the type later");
    assert!(ok("bob", "", "").is_err());
    assert!(ok("bob", "app", "true").is_err());
    assert!(ok("", "app", "true").is_err());

    assert_eq!(
        AccountStatus::from_query("enabled"),
        Some(AccountStatus::Enabled)
    );
    assert_eq!(AccountStatus::from_query("on"), None);
}

#[test]
fn bodies_are_bounded_and_errors_do_not_echo_input() {
    let huge = vec![b' '; MAX_JSON_BODY_LEN + 1];
    assert_eq!(
        from_json::<GroupAddRemove>(&huge),
        Err(BodyError::TooLarge {
            len: MAX_JSON_BODY_LEN + 1,
            max: MAX_JSON_BODY_LEN
        })
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(
        from_json::<serde_json::Value>(deep.as_bytes()).is_err(),
        "nesting is bounded"
    );
    let err = from_json::<AddOrUpdateUserReq>(br#"{"secretKey": 12, "status": "sekrit-status"}"#)
        .expect_err("bad types");
    assert!(!err.to_string().contains("sekrit"));
    let err = from_json::<AddOrUpdateUserReq>(br#"{"secretKey": "x", "status": "sekrit-status"}"#)
        .expect_err("bad variant");
    assert!(!err.to_string().contains("sekrit"), "{err}");
}
