//! AssumeRoleWithLDAPIdentity end to end: the real binary against a real, throwaway slapd
//! (tests/ldap/start-slapd.sh; users, groups and passwords in tests/ldap/README.md). Policies are
//! mapped to DNs through the LDAP admin API; credentials are used with aws-sdk-s3.
//!
//! Without slapd these tests say SKIPPED, except under `CI=true`, where they fail.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use common::Server;
use common::ldap::{
    Admin, PROJECT_A, PROJECT_B, Slapd, TempCreds, bucket_policy, login_form, login_query,
    password, sts_error, user_dn, without_request_id,
};

/// A server wired to `slapd`, with buckets `projecta`, `projectb` and one home bucket per
/// seeded user, and policies `projecta-rw`, `projectb-rw` and `home` (`${ldap:username}`).
fn setup(slapd: &Slapd, extra_env: &[(&str, &str)]) -> (Server, Admin) {
    let mut env = slapd.env();
    env.extend(
        extra_env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned()))),
    );
    let server = Server::start_with_env(env);
    let admin = Admin {
        addr: server.addr(),
    };
    admin.put_policy("projecta-rw", &bucket_policy("projecta"));
    admin.put_policy("projectb-rw", &bucket_policy("projectb"));
    admin.put_policy("home", &bucket_policy("${ldap:username}"));
    (server, admin)
}

async fn make_buckets(server: &Server) {
    let s3 = server.s3();
    for b in ["projecta", "projectb", "alice", "bob", "carol", "dave"] {
        s3.create_bucket()
            .bucket(b)
            .send()
            .await
            .expect("create bucket");
    }
}

fn s3_as(server: &Server, creds: &TempCreds) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        server
            .s3_config("unused", "unused")
            .credentials_provider(creds.credentials())
            .build(),
    )
}

async fn can_put(s3: &aws_sdk_s3::Client, bucket: &str) -> bool {
    s3.put_object()
        .bucket(bucket)
        .key("probe.txt")
        .body(ByteStream::from_static(b"probe"))
        .send()
        .await
        .is_ok()
}

fn login(server: &Server, uid: &str) -> TempCreds {
    TempCreds::from_response(&login_form(server.addr(), uid, &password(uid), &[]))
}

#[tokio::test]
async fn group_dn_policies_home_buckets_union_and_detach() {
    let Some(slapd) = Slapd::start() else { return };
    let (server, admin) = setup(&slapd, &[]);
    make_buckets(&server).await;

    // Right password, but nothing mapped to the user DN or its groups: a clear refusal.
    let r = login_form(server.addr(), "alice", "alice-password", &[]);
    let (status, code, message) = sts_error(&r);
    assert_eq!((status, code.as_str()), (400, "InvalidParameterValue"));
    assert!(
        message.contains("expecting a policy to be set for user")
            && message.contains(&user_dn("alice")),
        "{message}"
    );

    // A policy on a group DN applies to its members (attach answers what changed).
    let (status, body) = admin.attach(&["projecta-rw"], ("group", PROJECT_A));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(r#""policiesAttached":["projecta-rw"]"#),
        "{body}"
    );
    let alice = login(&server, "alice");
    let alice_s3 = s3_as(&server, &alice);
    assert!(can_put(&alice_s3, "projecta").await);
    assert!(!can_put(&alice_s3, "projectb").await);

    // bob is in both groups: the union.
    let (status, body) = admin.attach(&["projectb-rw"], ("group", PROJECT_B));
    assert_eq!(status, 200, "{body}");
    let bob_s3 = s3_as(&server, &login(&server, "bob"));
    assert!(can_put(&bob_s3, "projecta").await);
    assert!(can_put(&bob_s3, "projectb").await);
    assert!(!can_put(&bob_s3, "alice").await);

    // `${ldap:username}` home buckets; the user given by login name resolves to the DN.
    let (status, body) = admin.attach(&["home"], ("user", "dave"));
    assert_eq!(status, 200, "{body}");
    let (status, _) = admin.attach(&["home"], ("user", "nobody-here"));
    assert_eq!(status, 404, "unknown user refused");
    let dave_s3 = s3_as(&server, &login(&server, "dave"));
    assert!(can_put(&dave_s3, "dave").await);
    assert!(!can_put(&dave_s3, "carol").await);
    assert!(!can_put(&dave_s3, "projecta").await);

    // The mappings are keyed by normalised DNs.
    let (status, body) = admin.entities(&[]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&user_dn("dave")), "{body}");
    assert!(
        body.contains(PROJECT_A) && body.contains(PROJECT_B),
        "{body}"
    );

    // Detaching ends new issuance, and live credentials lose the rights at once.
    let (status, body) = admin.detach(&["projecta-rw"], ("group", PROJECT_A));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(r#""policiesDetached":["projecta-rw"]"#),
        "{body}"
    );
    let r = login_form(server.addr(), "alice", "alice-password", &[]);
    assert_eq!(sts_error(&r).1, "InvalidParameterValue");
    assert!(!can_put(&alice_s3, "projecta").await);
    // bob keeps projectb through his other group.
    assert!(can_put(&bob_s3, "projectb").await);
    assert!(!can_put(&bob_s3, "projecta").await);
}

#[tokio::test]
async fn hostile_usernames_and_passwords_get_sts_errors() {
    let Some(slapd) = Slapd::start() else { return };
    let (server, admin) = setup(&slapd, &[]);
    let (status, body) = admin.attach(&["projecta-rw"], ("group", PROJECT_A));
    assert_eq!(status, 200, "{body}");
    let long = "a".repeat(10 * 1024);
    let cases: Vec<(String, String)> = vec![
        ("*".into(), "alice-password".into()),
        ("*)(uid=*".into(), "alice-password".into()),
        ("admin)(|(uid=*".into(), "alice-password".into()),
        ("alice)(|(uid=*".into(), "alice-password".into()),
        ("alice\0".into(), "alice-password".into()),
        ("ali\0ce".into(), "alice-password".into()),
        (long.clone(), "alice-password".into()),
        ("alice".into(), String::new()),
        ("alice".into(), long.clone()),
        (String::new(), "alice-password".into()),
    ];
    for (user, pass) in &cases {
        let r = login_form(server.addr(), user, pass, &[]);
        let (status, code, _) = sts_error(&r);
        assert_eq!(status, 400, "{:.40?}: {}", user, r.body_text());
        assert!(
            ["InvalidParameterValue", "MissingParameter"].contains(&code.as_str()),
            "{user:.40?}: {code}"
        );
        assert!(!r.body_text().contains("AccessKeyId"));
    }
    // Still serving, and alice still logs in.
    assert_eq!(
        common::http::request_blocking(server.addr(), "GET", "/minio/health/live", &[], &[])
            .unwrap()
            .status,
        200
    );
    login(&server, "alice");
}

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same_then_throttled() {
    let Some(slapd) = Slapd::start() else { return };
    let (server, admin) = setup(&slapd, &[]);
    let (status, body) = admin.attach(&["projecta-rw"], ("group", PROJECT_A));
    assert_eq!(status, 200, "{body}");

    let unknown = login_form(server.addr(), "nobody", "whatever-password", &[]);
    let wrong = login_form(server.addr(), "alice", "wrong-password", &[]);
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(without_request_id(&unknown), without_request_id(&wrong));
    assert_eq!(unknown.header("content-type"), wrong.header("content-type"));
    assert_eq!(sts_error(&wrong).1, "InvalidParameterValue");

    // carol: 10 rapid failures are answered as such, the 11th is throttled before any bind
    // (even with the right password); other users are not affected.
    for i in 0..10 {
        let r = login_form(server.addr(), "carol", &format!("guess-{i}"), &[]);
        assert_eq!(sts_error(&r).1, "InvalidParameterValue", "attempt {i}");
    }
    let r = login_form(server.addr(), "carol", "guess-10", &[]);
    let (status, code, message) = sts_error(&r);
    assert_eq!((status, code.as_str()), (400, "Throttling"), "{message}");
    assert!(message.contains("Too many failed LDAP logins"), "{message}");
    let r = login_form(server.addr(), "CAROL", "carol-password", &[]);
    assert_eq!(sts_error(&r).1, "Throttling");
    login(&server, "alice");
    // A typo or two never throttles.
    for _ in 0..2 {
        login_form(server.addr(), "bob", "typo", &[]);
    }
    admin.attach(&["projectb-rw"], ("group", PROJECT_B));
    login(&server, "bob");
}

#[tokio::test]
async fn directory_outage_keeps_issued_credentials_and_recovers() {
    let Some(slapd) = Slapd::start() else { return };
    let (server, admin) = setup(&slapd, &[]);
    make_buckets(&server).await;
    admin.attach(&["projecta-rw"], ("group", PROJECT_A));
    let alice_s3 = s3_as(&server, &login(&server, "alice"));
    assert!(can_put(&alice_s3, "projecta").await);

    slapd.stop();
    // Issued credentials need no directory.
    assert!(can_put(&alice_s3, "projecta").await);
    for attempt in 0..3 {
        let started = Instant::now();
        let r = login_form(server.addr(), "bob", "bob-password", &[]);
        let took = started.elapsed();
        let (status, code, message) = sts_error(&r);
        assert_eq!((status, code.as_str()), (500, "InternalError"), "{message}");
        assert!(
            message.contains("LDAP directory is unavailable"),
            "{message}"
        );
        assert!(
            took < Duration::from_secs(6),
            "attempt {attempt} took {took:?}"
        );
    }
    // Outage answers are not counted as failed logins (three so far, more below).
    slapd.restart();
    wait_for_login(&server, "bob");

    // A directory that accepts connections but never answers (SIGSTOP): the login timeout.
    slapd.signal(rustix::process::Signal::STOP);
    let started = Instant::now();
    let r = login_form(server.addr(), "carol", "carol-password", &[]);
    let took = started.elapsed();
    let (status, code, message) = sts_error(&r);
    assert_eq!((status, code.as_str()), (500, "InternalError"), "{message}");
    assert!(
        took < Duration::from_secs(6),
        "a hung directory took {took:?}"
    );
    assert!(can_put(&alice_s3, "projecta").await);
    slapd.signal(rustix::process::Signal::CONT);
    wait_for_login(&server, "bob");
}

/// Logs `uid` in, retrying for up to 10 s while the directory comes back.
fn wait_for_login(server: &Server, uid: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = login_form(server.addr(), uid, &password(uid), &[]);
        if r.status == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "logins did not resume after the directory came back: {}",
            r.body_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test]
async fn password_in_the_query_string_never_reaches_the_log() {
    let Some(slapd) = Slapd::start() else { return };
    let (server, admin) = setup(&slapd, &[("STRONGBOX_LOG", "debug")]);
    admin.attach(&["projecta-rw"], ("group", PROJECT_A));
    // minio-py's LdapIdentityProvider sends everything in the query.
    let r = login_query(server.addr(), "alice", "alice-password");
    TempCreds::from_response(&r);
    let r = login_query(server.addr(), "alice", "Wr0ng-Pa55-Sentinel");
    assert_eq!(sts_error(&r).1, "InvalidParameterValue");
    let r = login_form(server.addr(), "alice", "F0rm-Pa55-Sentinel", &[]);
    assert_eq!(sts_error(&r).1, "InvalidParameterValue");
    // Give the log writer a moment, then check the debug log saw the requests but no password.
    std::thread::sleep(Duration::from_millis(200));
    let log = server.log();
    assert!(
        log.contains("LDAPPassword=REDACTED"),
        "the access log should show the redacted query"
    );
    for secret in [
        "alice-password",
        "Wr0ng-Pa55-Sentinel",
        "F0rm-Pa55-Sentinel",
    ] {
        assert!(!log.contains(secret), "{secret} leaked into the log");
    }
}
