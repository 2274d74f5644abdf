//! The direct read path keeps derived SigV4 signing keys per thread, found by secret, date and
//! region. Differential as tests/direct_reads.rs: secrets that differ in one byte (first word,
//! last byte) or only by length never stand for each other, a signature made with another user's
//! secret is refused on both paths, and more users than the per-thread cache holds are all
//! verified (the in-process server runs on the test's one thread, so they share one cache). The
//! access key, secret and token of two sessions never combine.

#[allow(dead_code)]
mod common;
#[allow(dead_code)] // shared with tests/direct_reads.rs
mod direct_reads_support;
mod sts_common; // allows its own dead code (each test file uses a part)

use strongbox_iam::{PolicyTarget, Status};

use direct_reads_support::{Pair, Who, req};

/// (user, secret): x and y differ in their last byte, p is x without it, m differs from x in
/// its first eight bytes, n is unrelated.
const USERS: &[(&str, &str)] = &[
    ("twin-x", "twin-secret-0123456789x"),
    ("twin-y", "twin-secret-0123456789y"),
    ("twin-p", "twin-secret-0123456789"),
    ("twin-m", "twin-sEcret-0123456789x"),
    ("twin-n", "another-secret-entirely"),
    ("twin-o", "one-more-secret-for-eviction"),
];

#[tokio::test]
async fn signing_keys_of_different_secrets_never_stand_for_each_other() {
    let p = Pair::start().await;
    for iam in [&p.direct.srv.iam, &p.off.srv.iam] {
        for (user, secret) in USERS {
            iam.add_user(user, secret, Status::Enabled).unwrap();
            iam.attach_policies(&PolicyTarget::User((*user).into()), &["read-data"])
                .unwrap();
        }
    }
    let get = |who: (&'static str, &'static str)| req(Who::User(who), "GET", "/data/plain.txt");

    // More users than the cache holds, twice round: every one verified, by the direct path.
    for round in 0..2 {
        for &user in USERS {
            p.check(&format!("{} round {round}", user.0), &get(user), 200, true)
                .await;
        }
    }
    // Each user's key freshly cached, then a request as another user signed with that secret.
    for &(owner, secret) in USERS {
        for &(victim, _) in USERS.iter().filter(|(u, _)| *u != owner) {
            p.check(owner, &get((owner, secret)), 200, true).await;
            let forged = get((victim, secret));
            let name = format!("{victim} signed with {owner}'s secret");
            p.check_error(&name, &forged, 403, "SignatureDoesNotMatch")
                .await;
        }
    }
}

#[tokio::test]
async fn a_session_key_never_borrows_another_sessions_token_or_secret() {
    let p = Pair::start().await;
    // Both sessions are the reader's; the narrow one's session policy allows data/plain.txt only.
    let full = |key, secret, token| {
        let who = Who::Mixed { key, secret, token };
        req(who, "GET", "/data/full.txt")
    };
    p.check(
        "unrestricted session",
        &full(false, false, false),
        200,
        true,
    )
    .await;
    p.check("narrow session", &full(true, true, true), 403, false)
        .await;
    for (key, secret, token) in [
        (false, false, true),
        (false, true, true),
        (true, true, false),
        (true, false, false),
        (false, true, false),
        (true, false, true),
    ] {
        let name = format!("key {key}, secret {secret}, token {token}");
        p.check(&name, &full(key, secret, token), 403, false).await;
    }
}
