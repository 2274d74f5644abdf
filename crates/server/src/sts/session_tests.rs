use strongbox_iam::{Iam, MemoryStore, Status};
use strongbox_sts::revocation::Revocation;
use strongbox_sts::{Claims, IssuedCredential, Provider, TestClock, duration, issue};

use super::*;
use crate::sts::StsConfig;

const T0: i64 = 1_800_000_000;

fn at(unix: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

fn sts(clock: &TestClock) -> Arc<Sts> {
    let root = crate::RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
    let iam = Iam::with_store(
        Arc::new(MemoryStore::new()),
        crate::authz::iam_config(&root),
    )
    .unwrap();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    let sts = Sts::open(Arc::new(iam), StsConfig::default(), Arc::new(clock.clone()));
    Arc::new(sts.unwrap())
}

fn credential(sts: &Sts, secs: &str) -> IssuedCredential {
    let d = duration::assume_role(&sts.config().duration, Some(secs)).unwrap();
    issue(
        &sts.key_ring(),
        Claims::new("alice", Provider::Builtin),
        sts.now(),
        d,
    )
    .unwrap()
}

/// One request presenting `cred`'s token: the session, or the S3 error code.
async fn request(sts: &Arc<Sts>, cred: &IssuedCredential) -> Result<Arc<TemporarySession>, String> {
    let token = PresentedToken::from_decoded(cred.session_token.expose().to_owned());
    let creds = RequestCredentials::new(Arc::clone(sts), TokenSource::Present(token), false);
    scope(creds, async {
        temporary(&cred.access_key)
            .expect("a token was presented")
            .map_err(|e| e.code().as_str().to_owned())
    })
    .await
}

/// Both authentication hooks, as one request carrying `token` runs them: the secret handed to
/// s3s, and whom `authenticate` then names (or the S3 error codes).
async fn authenticate_with(
    sts: &Arc<Sts>,
    access_key: &str,
    token: &str,
) -> (Result<String, String>, Result<String, String>) {
    use crate::identity::{Identities, Identity, Principal, SECURITY_TOKEN_HEADER};
    let root = crate::RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
    let ids = Identities::new(root, Arc::clone(sts.iam()), None);
    let presented = PresentedToken::from_decoded(token.to_owned());
    let creds = RequestCredentials::new(Arc::clone(sts), TokenSource::Present(presented), false);
    let mut headers = http::HeaderMap::new();
    headers.insert(SECURITY_TOKEN_HEADER, token.parse().unwrap());
    let credentials = s3s::auth::Credentials {
        access_key: access_key.into(),
        secret_key: "unused".into(),
    };
    let code = |e: S3Error| e.code().as_str().to_owned();
    scope(creds, async {
        let secret = ids
            .secret_key(access_key)
            .map(|k| k.expose().to_owned())
            .map_err(code);
        let uri = "/b/k".parse().unwrap();
        let who = crate::identity::authenticate(&ids, Some(&credentials), &headers, &uri)
            .map(|p| match p {
                Principal::Authenticated(Identity::Temporary { session }) => {
                    format!("temporary of {}", session.parent())
                }
                other => format!("{other:?}"),
            })
            .map_err(code);
        (secret, who)
    })
    .await
}

#[tokio::test]
async fn a_token_is_tried_first_yet_static_keys_with_a_token_are_still_refused() {
    let clock = TestClock::at_unix(T0);
    let sts = sts(&clock);
    let cred = credential(&sts, "900");
    let token = cred.session_token.expose();
    let denied = || Err("InvalidTokenId".to_owned());
    // The temporary credential with its own token.
    let (secret, who) = authenticate_with(&sts, &cred.access_key, token).await;
    assert_eq!(secret.unwrap(), cred.secret_key.expose());
    assert_eq!(who.unwrap(), "temporary of alice");
    // An IAM user or root presenting that (valid) token: their own secret for the
    // signature, then refused as before.
    let (secret, who) = authenticate_with(&sts, "alice", token).await;
    assert_eq!(secret.unwrap(), "alicesecret");
    assert_eq!(who, denied());
    let (secret, who) = authenticate_with(&sts, "rootuser", token).await;
    assert_eq!(secret.unwrap(), "rootpassword");
    assert_eq!(who, denied());
    // An unknown key with another credential's token, and a tampered token.
    let (secret, who) = authenticate_with(&sts, "AKIAUNKNOWNKEY000000", token).await;
    assert_eq!((secret, who), (denied(), denied()));
    let tampered = format!("{token}x");
    let (secret, who) = authenticate_with(&sts, &cred.access_key, &tampered).await;
    assert_eq!((secret, who), (denied(), denied()));
    // A disabled user with a token: the account refusal, as before.
    sts.iam()
        .set_user_status("alice", Status::Disabled)
        .unwrap();
    let (secret, _) = authenticate_with(&sts, "alice", token).await;
    assert_eq!(secret, Err("InvalidAccessKeyId".to_owned()));
}

#[tokio::test]
async fn a_verified_session_is_reused_until_it_expires() {
    let clock = TestClock::at_unix(T0);
    let sts = sts(&clock);
    let cred = credential(&sts, "900");
    let first = request(&sts, &cred).await.unwrap();
    let second = request(&sts, &cred).await.unwrap();
    assert!(
        Arc::ptr_eq(&first, &second),
        "second request served from the cache"
    );
    clock.set(at(T0 + 899));
    assert!(request(&sts, &cred).await.is_ok());
    clock.set(at(T0 + 900));
    assert_eq!(request(&sts, &cred).await.unwrap_err(), "ExpiredToken");
}

#[tokio::test]
async fn revocation_and_a_disabled_parent_end_a_cached_session_at_once() {
    let clock = TestClock::at_unix(T0);
    let sts = sts(&clock);
    let (a, b) = (credential(&sts, "900"), credential(&sts, "900"));
    assert!(request(&sts, &b).await.is_ok());
    // Twice: the second is served by this thread's last entry, which must end at once too.
    assert!(request(&sts, &a).await.is_ok());
    assert!(request(&sts, &a).await.is_ok());
    sts.revoke(&[Revocation::AccessKey {
        access_key: a.access_key.clone(),
        expires_at: T0 + 900,
    }])
    .unwrap();
    assert_eq!(request(&sts, &a).await.unwrap_err(), "InvalidTokenId");
    assert!(request(&sts, &b).await.is_ok());
    assert!(request(&sts, &b).await.is_ok());
    sts.iam()
        .set_user_status("alice", Status::Disabled)
        .unwrap();
    assert_eq!(request(&sts, &b).await.unwrap_err(), "InvalidAccessKeyId");
    sts.iam().set_user_status("alice", Status::Enabled).unwrap();
    assert!(request(&sts, &b).await.is_ok());
    sts.revoke_parent("alice").unwrap();
    assert_eq!(request(&sts, &b).await.unwrap_err(), "InvalidTokenId");
}

/// One request presenting `cred`'s token as the direct read path asks: with what it has
/// `seen` (the session, or the S3 error code).
fn presented(
    sts: &Arc<Sts>,
    cred: &IssuedCredential,
    seen: Seen,
) -> Result<Arc<TemporarySession>, String> {
    let token = PresentedToken::from_decoded(cred.session_token.expose().to_owned());
    let creds = RequestCredentials::new(Arc::clone(sts), TokenSource::Present(token), false);
    sync_scope(creds, || {
        presented_temporary(&cred.access_key, seen)
            .expect("a token was presented")
            .map_err(|e| e.code().as_str().to_owned())
    })
}

#[tokio::test]
async fn the_callers_wall_time_stands_in_only_for_the_wall_clock() {
    // A test clock decides expiry whatever wall time the caller read.
    let clock = TestClock::at_unix(T0);
    let sts = sts(&clock);
    let cred = credential(&sts, "900");
    let generation = sts.iam().generation();
    let seen = |wall| Seen { generation, wall };
    let first = presented(&sts, &cred, seen(at(T0))).unwrap();
    let far = presented(&sts, &cred, seen(at(T0 + 100_000))).unwrap();
    assert!(
        Arc::ptr_eq(&first, &far),
        "the test clock, not the wall time"
    );
    clock.set(at(T0 + 900));
    let e = presented(&sts, &cred, seen(at(T0))).unwrap_err();
    assert_eq!(e, "ExpiredToken");

    // On the wall clock, the caller's time decides whether the cached entry still answers:
    // past the credential's expiry it does not, and the token is verified afresh.
    let root = crate::RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
    let iam = Iam::with_store(
        Arc::new(MemoryStore::new()),
        crate::authz::iam_config(&root),
    )
    .unwrap();
    iam.add_user("alice", "alicesecret", Status::Enabled)
        .unwrap();
    let wall = Arc::new(Sts::open_with_system_clock(Arc::new(iam), StsConfig::default()).unwrap());
    let cred = credential(&wall, "900");
    let generation = wall.iam().generation();
    let now = time::OffsetDateTime::now_utc();
    let seen = |wall| Seen { generation, wall };
    let first = presented(&wall, &cred, seen(now)).unwrap();
    let again = presented(&wall, &cred, seen(now)).unwrap();
    assert!(Arc::ptr_eq(&first, &again), "served from the cache");
    let late = now + time::Duration::seconds(901);
    let fresh = presented(&wall, &cred, seen(late)).unwrap();
    assert!(!Arc::ptr_eq(&first, &fresh), "verified again");
}

#[tokio::test]
async fn a_cached_session_answers_only_the_generation_it_was_verified_under() {
    let clock = TestClock::at_unix(T0);
    let sts = sts(&clock);
    let cred = credential(&sts, "900");
    let before = sts.iam().generation();
    let seen = |generation| Seen {
        generation,
        wall: at(T0),
    };
    assert!(presented(&sts, &cred, seen(before)).is_ok());
    sts.revoke(&[Revocation::AccessKey {
        access_key: cred.access_key.clone(),
        expires_at: T0 + 900,
    }])
    .unwrap();
    let after = sts.iam().generation();
    assert_ne!(before, after);
    // A request deciding with the new snapshot is refused at once; so is one that names
    // no generation (the s3s path).
    assert_eq!(
        presented(&sts, &cred, seen(after)).unwrap_err(),
        "InvalidTokenId"
    );
    assert_eq!(request(&sts, &cred).await.unwrap_err(), "InvalidTokenId");
}

#[tokio::test]
async fn a_session_cached_by_one_sts_is_not_accepted_by_another() {
    let clock = TestClock::at_unix(T0);
    let (one, other) = (sts(&clock), sts(&clock));
    let cred = credential(&one, "900");
    assert!(request(&one, &cred).await.is_ok());
    // Same IAM generation history, different key ring: the other must verify for itself.
    assert_eq!(
        one.iam().snapshot().generation(),
        other.iam().snapshot().generation()
    );
    assert_eq!(request(&other, &cred).await.unwrap_err(), "InvalidTokenId");
}

#[tokio::test]
async fn a_wrong_token_for_a_cached_access_key_is_refused() {
    let clock = TestClock::at_unix(T0);
    let sts = sts(&clock);
    let (a, b) = (credential(&sts, "900"), credential(&sts, "900"));
    assert!(request(&sts, &a).await.is_ok());
    let mixed = IssuedCredential {
        session_token: b.session_token.clone(),
        ..a.clone()
    };
    assert_eq!(request(&sts, &mixed).await.unwrap_err(), "InvalidTokenId");
}
