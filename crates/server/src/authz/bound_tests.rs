//! A principal's policies bound to its constant values (`aws:username`, `aws:userid`,
//! `aws:principaltype`): every decision is the one the unbound policies make with every value,
//! for IAM users, service accounts and temporary credentials (with and without a session
//! policy), and it follows IAM changes at once.

use std::sync::Arc;

use http::HeaderMap;
use strongbox_iam::{Iam, MemoryStore, NewServiceAccount, PolicyTarget, Status};
use strongbox_policy::{Action, Key, Parent, Policy, PolicySet, Request, evaluate_session};
use time::OffsetDateTime;

use super::context::{AuthStyle, RequestFacts, Who, condition_values, condition_values_for};
use super::table::rule;
use super::{Authorizer, Subject};
use crate::http::ConnectionInfo;
use crate::identity::{Identity, Principal};

/// Each user's home, read and written from the loopback network; temporary credentials may
/// not write; the user id must be the user name (always so here: settled once bound).
const HOME: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/home/${aws:username}/*",
  "Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"},"StringLike":{"aws:userid":"${aws:username}"}}},
 {"Effect":"Deny","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:principaltype":"AssumedRole"}}}]}"#;
/// The same, moved to `users/`.
const USERS: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/users/${aws:username}/*"}]}"#;
/// A session policy reading the user name too.
const SESSION: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*/${aws:username}/k"}]}"#;

fn iam() -> Arc<Iam> {
    let root = crate::RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
    let iam = Iam::with_store(Arc::new(MemoryStore::new()), super::iam_config(&root)).unwrap();
    iam.put_policy("home", HOME).unwrap();
    for user in ["alice", "bob"] {
        iam.add_user(user, "usersecret", Status::Enabled).unwrap();
        iam.attach_policies(&PolicyTarget::User(user.into()), &["home"])
            .unwrap();
    }
    Arc::new(iam)
}

/// Whether `who` may `action` `b/object`, with the values the server builds for what the
/// subject reads; checked against the unbound policies `docs` (and `session`) evaluated with
/// every value.
fn allowed(
    authz: &Authorizer,
    iam: &Iam,
    who: &Principal,
    (action, object): (Action, &str),
    (docs, session): (&[&str], Option<&str>),
) -> bool {
    let snapshot = iam.snapshot();
    let subject = authz.subject_of(&snapshot, who);
    let (headers, query) = (HeaderMap::new(), Vec::new());
    let conn = ConnectionInfo {
        peer: "127.0.0.1:5000".parse().unwrap(),
        tls: false,
        peer_certificates: None,
    };
    let facts = RequestFacts {
        headers: &headers,
        query: &query,
        connection: Some(&conn),
        auth: AuthStyle::Header { v4: true },
        now: OffsetDateTime::now_utc(),
    };
    let op = rule(if action == Action::GetObject {
        "GetObject"
    } else {
        "PutObject"
    })
    .unwrap();
    let wanted = subject.wanted().expect("a principal with policies");
    // Bound, its policies read none of the identity keys.
    for key in [Key::AwsUsername, Key::AwsUserId, Key::AwsPrincipalType] {
        assert!(!wanted.wants(key), "{key:?} still read");
    }
    let some = condition_values_for(&facts, op, &Who::of_for(who, &snapshot, wanted), wanted);
    let decided = authz
        .decide(
            &snapshot,
            &subject,
            &Request::new(action, "b", Some(object), &some),
        )
        .is_allowed();

    let all = condition_values(&facts, op, &Who::of(who, &snapshot));
    let req = Request::new(action, "b", Some(object), &all);
    let mut unbound = PolicySet::new();
    for (i, doc) in docs.iter().enumerate() {
        unbound.add(
            i.to_string(),
            Arc::new(Policy::parse(doc.as_bytes()).unwrap()),
        );
    }
    let want = match session {
        None => unbound.evaluate(&req).is_allowed(),
        Some(s) => {
            let s = PolicySet::single("s", Arc::new(Policy::parse_session(s.as_bytes()).unwrap()));
            evaluate_session(Parent::Policies(&unbound), &s, &req).is_allowed()
        }
    };
    assert_eq!(decided, want, "{who:?} {action} {object}");
    assert!(!all.is_empty() && all.get("aws:username").is_some());
    decided
}

fn user(name: &str) -> Principal {
    Principal::Authenticated(Identity::User {
        access_key: name.into(),
    })
}

/// [`allowed`] for each `(who, action, object, expected)`, against the same policies.
fn expect(
    authz: &Authorizer,
    iam: &Iam,
    docs: (&[&str], Option<&str>),
    cases: &[(&Principal, Action, &str, bool)],
) {
    for &(who, action, object, want) in cases {
        assert_eq!(
            allowed(authz, iam, who, (action, object), docs),
            want,
            "{who:?} {action} {object}"
        );
    }
}

#[test]
fn users_and_service_accounts_decide_with_their_own_names_through_iam_changes() {
    let iam = iam();
    let authz = Authorizer::new();
    let (sa_key, _) = iam
        .add_service_account(NewServiceAccount {
            parent: "alice".into(),
            access_key: None,
            secret_key: None,
            policy: None,
            name: "alices".into(),
            description: String::new(),
            expiration: None,
            groups: Vec::new(),
        })
        .unwrap();
    let alices = Principal::Authenticated(Identity::ServiceAccount {
        access_key: sa_key,
        parent: "alice".into(),
        parent_is_root: false,
    });
    let (alice, bob) = (user("alice"), user("bob"));
    let home = (&[HOME][..], None);
    for _ in 0..2 {
        for (who, own, other) in [
            (&alice, "alice", "bob"),
            (&alices, "alice", "bob"),
            (&bob, "bob", "alice"),
        ] {
            let (own_home, other_home) = (format!("home/{own}/k"), format!("home/{other}/k"));
            let own_users = format!("users/{own}/k");
            expect(
                &authz,
                &iam,
                home,
                &[
                    (who, Action::GetObject, &own_home, true),
                    (who, Action::PutObject, &own_home, true),
                    (who, Action::GetObject, &other_home, false),
                    (who, Action::GetObject, &own_users, false),
                ],
            );
        }
    }
    // The policy's text changes: a new IAM generation, new bound sets.
    iam.put_policy("home", USERS).unwrap();
    expect(
        &authz,
        &iam,
        (&[USERS][..], None),
        &[
            (&alice, Action::GetObject, "users/alice/k", true),
            (&alices, Action::GetObject, "users/alice/k", true),
            (&alice, Action::GetObject, "home/alice/k", false),
            (&bob, Action::GetObject, "users/alice/k", false),
        ],
    );
    // Bob is removed and made again with both policies.
    iam.remove_user("bob").unwrap();
    iam.add_user("bob", "usersecret", Status::Enabled).unwrap();
    iam.put_policy("home2", HOME).unwrap();
    iam.attach_policies(&PolicyTarget::User("bob".into()), &["home", "home2"])
        .unwrap();
    expect(
        &authz,
        &iam,
        (&[USERS, HOME][..], None),
        &[
            (&bob, Action::GetObject, "users/bob/k", true),
            (&bob, Action::GetObject, "home/bob/k", true),
            (&bob, Action::GetObject, "home/alice/k", false),
        ],
    );
}

/// The principals of one user share its bound set; another user gets its own.
#[test]
fn the_principals_of_one_user_share_its_bound_set() {
    let iam = iam();
    let authz = Authorizer::new();
    let snapshot = iam.snapshot();
    let base = |who: &Principal| match authz.subject(&snapshot, who) {
        Subject::Policies {
            base: Some(base), ..
        } => base,
        other => panic!("not a user's policies: {other:?}"),
    };
    let alice = base(&user("alice"));
    assert!(alice.binding().is_some());
    let again = Authorizer::subject(&authz, &snapshot, &user("alice"));
    assert!(matches!(again, Subject::Policies { base: Some(b), .. } if Arc::ptr_eq(&b, &alice)));
    let bob = base(&user("bob"));
    assert!(!Arc::ptr_eq(&alice, &bob));
    assert_eq!(
        bob.binding().unwrap().values().get("aws:username").unwrap(),
        ["bob"]
    );
}

/// Temporary credentials: bound to their parent's name and to `AssumedRole`, with and without
/// a session policy.
#[tokio::test]
async fn temporary_credentials_decide_with_their_parents_name() {
    use crate::sts::session::{PresentedToken, RequestCredentials, TokenSource, scope, temporary};
    use strongbox_sts::{Claims, Provider, SessionPolicyJson, TestClock, duration, issue};

    let iam = iam();
    let clock = TestClock::at_unix(OffsetDateTime::now_utc().unix_timestamp());
    let sts = crate::sts::Sts::open(
        Arc::clone(&iam),
        crate::sts::StsConfig::default(),
        Arc::new(clock),
    )
    .map(Arc::new)
    .unwrap();
    let authz = Authorizer::new();
    for session in [None, Some(SESSION)] {
        let mut claims = Claims::new("alice", Provider::Builtin);
        if let Some(doc) = session {
            let canonical = Policy::parse_session(doc.as_bytes())
                .unwrap()
                .to_canonical_json();
            claims.session_policy = Some(SessionPolicyJson::new(canonical).unwrap());
        }
        let d = duration::assume_role(&sts.config().duration, Some("900")).unwrap();
        let cred = issue(&sts.key_ring(), claims, sts.now(), d).unwrap();
        let token = PresentedToken::from_decoded(cred.session_token.expose().to_owned());
        let creds = RequestCredentials::new(Arc::clone(&sts), TokenSource::Present(token), false);
        let session_of = scope(creds, async { temporary(&cred.access_key).unwrap() })
            .await
            .unwrap();
        let who = Principal::Authenticated(Identity::Temporary {
            session: session_of,
        });
        let docs = (&[HOME][..], session);
        for _ in 0..2 {
            expect(
                &authz,
                &iam,
                docs,
                &[
                    (&who, Action::GetObject, "home/alice/k", true),
                    (&who, Action::GetObject, "home/bob/k", false),
                    // Denied to temporary credentials (`aws:principaltype`), allowed to alice
                    // herself (below).
                    (&who, Action::PutObject, "home/alice/k", false),
                ],
            );
            expect(
                &authz,
                &iam,
                (&[HOME][..], None),
                &[(&user("alice"), Action::PutObject, "home/alice/k", true)],
            );
        }
    }
}
