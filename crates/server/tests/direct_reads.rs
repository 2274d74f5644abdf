//! The direct read path (`strongbox_server::fast`) answers exactly what s3s answers, and only the
//! requests it should. Differential: two servers over identical data directories (one set up, then
//! copied: same objects with the same Last-Modified, same root, IAM users and policies), one with
//! the direct path attached, one with `STRONGBOX_DIRECT_READS=off`. Every request of the matrix
//! goes to both; status, body and every header but `Date` and `x-amz-request-id` must agree
//! (`x-amz-meta-*` as a set: s3s writes them in hash-map order), and the direct server's count of
//! reads it answered must move exactly for the requests the path is for.

#[allow(dead_code)]
mod common;
#[allow(dead_code)] // shared with tests/direct_reads_keys.rs
mod direct_reads_support;
mod sts_common; // allows its own dead code (each test file uses a part)

use strongbox_iam::{PolicyTarget, Status};
use time::Duration;

use common::direct::{config, start_direct};
use common::send;
use common::sigv4::{UNSIGNED_PAYLOAD, sha256_hex};
use direct_reads_support::{
    DISABLED, EMPTY_SHA256, NARROW, Pair, READER, READER_NEW, ROOT, SVC_INHERIT, SVC_NARROW, Who,
    env, policy, put_ok, req,
};

#[tokio::test]
async fn direct_answers_equal_s3s_answers() {
    let p = Pair::start().await;
    let root = |m, path: &str| req(Who::Root, m, path);
    let get = || root("GET", "/data/plain.txt");
    for (name, r) in [
        ("root GET", get()),
        ("root HEAD", root("HEAD", "/data/plain.txt")),
        ("GET ?x-id=GetObject", get().query(&[("x-id", "GetObject")])),
        (
            "all content headers and metadata GET",
            root("GET", "/data/full.txt"),
        ),
        (
            "all content headers and metadata HEAD",
            root("HEAD", "/data/full.txt"),
        ),
        ("zero-byte GET", root("GET", "/data/empty")),
        ("zero-byte HEAD", root("HEAD", "/data/empty")),
        ("nested key", root("GET", "/data/dir/nested.txt")),
        // The cache holds its head, not its bytes.
        ("object over 64 KiB, HEAD", root("HEAD", "/data/big")),
        (
            "IAM user allowed",
            req(Who::User(READER), "GET", "/data/full.txt"),
        ),
        (
            "IAM user allowed HEAD",
            req(Who::User(READER), "HEAD", "/data/plain.txt"),
        ),
        (
            "AssumeRole session GET",
            req(Who::Temp, "GET", "/data/full.txt"),
        ),
        (
            "AssumeRole session HEAD",
            req(Who::Temp, "HEAD", "/data/plain.txt"),
        ),
        ("UNSIGNED-PAYLOAD", get().payload(UNSIGNED_PAYLOAD)),
        ("empty payload hash", get().payload(EMPTY_SHA256)),
        (
            "signed header sent with extra spaces and a tab",
            get()
                .signed(&[("user-agent", "strongbox test agent")])
                .sent_as(&[("user-agent", "strongbox   test \t agent")]),
        ),
        (
            "signed header sent with tabs around and between words",
            get()
                .signed(&[("x-amz-user-agent", "a b c")])
                .sent_as(&[("x-amz-user-agent", "\ta\t\tb  \t c\t ")]),
        ),
        (
            "signed header with an empty value",
            get().signed(&[("x-amz-user-agent", "")]),
        ),
        (
            "several signed headers with blanks",
            get()
                .signed(&[
                    ("accept", "text/plain, */*"),
                    ("user-agent", "x y"),
                    ("x-amz-user-agent", "p q r"),
                ])
                .sent_as(&[("user-agent", "x   y"), ("x-amz-user-agent", "p\tq  r")]),
        ),
        ("HTTP/1.0 GET", get().http10()),
        ("HTTP/1.0 HEAD", root("HEAD", "/data/full.txt").http10()),
        (
            "accept-encoding and connection: close, unsigned",
            root("GET", "/data/full.txt")
                .unsigned(&[("accept-encoding", "gzip, br"), ("connection", "close")]),
        ),
        (
            "a non-ASCII user-agent, unsigned",
            get().unsigned(&[("user-agent", "caf\u{e9}/1")]),
        ),
        (
            "session token sent unsigned",
            req(Who::TempTokenUnsigned, "GET", "/data/plain.txt"),
        ),
        (
            "Authorization without spaces after commas",
            get().auth(|a| a.replace(", ", ",")),
        ),
        (
            "content-length: 0, signed",
            get().signed(&[("content-length", "0")]),
        ),
        (
            "service account, inheriting",
            req(Who::User(SVC_INHERIT), "GET", "/data/full.txt"),
        ),
        (
            "service account, embedded policy",
            req(Who::User(SVC_NARROW), "GET", "/data/plain.txt"),
        ),
        (
            "session policy allows",
            req(Who::TempNarrow, "GET", "/data/plain.txt"),
        ),
        (
            "root past a bucket policy Deny",
            root("GET", "/data/private/x"),
        ),
        (
            "credential scope with an empty region (minio-py)",
            get().region(""),
        ),
        (
            "SDK headers, some unsigned",
            get()
                .query(&[("x-id", "GetObject")])
                .payload(UNSIGNED_PAYLOAD)
                .signed(&[
                    (
                        "amz-sdk-invocation-id",
                        "5d1e8f0e-0000-4000-8000-000000000000",
                    ),
                    ("amz-sdk-request", "attempt=1; max=3"),
                    ("x-amz-user-agent", "aws-sdk-rust/1.0"),
                ])
                .unsigned(&[
                    ("user-agent", "aws-sdk-rust/1.0 os/linux"),
                    ("accept", "*/*"),
                ]),
        ),
    ] {
        p.check(name, &r, 200, true).await;
    }
}

#[tokio::test]
async fn other_reads_go_to_s3s_with_the_same_answer() {
    let p = Pair::start().await;
    let root = |m, path: &str| req(Who::Root, m, path);
    let get = || root("GET", "/data/plain.txt");
    let etag = p
        .check("etag", &root("HEAD", "/data/plain.txt"), 200, true)
        .await;
    let etag = etag.headers["etag"].to_str().unwrap().to_owned();
    for (name, r, status) in [
        ("Range", get().signed(&[("range", "bytes=0-4")]), 206),
        (
            "If-None-Match matching",
            get().signed(&[("if-none-match", &etag)]),
            304,
        ),
        (
            "If-None-Match matching HEAD",
            root("HEAD", "/data/plain.txt").signed(&[("if-none-match", &etag)]),
            304,
        ),
        (
            "If-Match mismatch",
            get().signed(&[("if-match", "\"0000\"")]),
            412,
        ),
        (
            "If-Modified-Since in the future",
            get().signed(&[("if-modified-since", "Thu, 01 Dec 2044 16:00:00 GMT")]),
            304,
        ),
        (
            "x-amz-checksum-mode other than ENABLED (tests/direct_reads_checksums.rs)",
            get().signed(&[("x-amz-checksum-mode", "DISABLED")]),
            200,
        ),
        ("object over 64 KiB", root("GET", "/data/big"), 200),
        ("key with %20", root("GET", "/data/a%20b"), 200),
        (
            "key with '+' (signed as %2B)",
            root("GET", "/data/a+b").canonical("/data/a%2Bb"),
            200,
        ),
        ("key with %2B", root("GET", "/data/a%2Bb"), 200),
        ("unicode key", root("GET", "/data/%C3%BC.txt"), 200),
        (
            "plain key sent percent-encoded",
            root("GET", "/data/pl%61in.txt").canonical("/data/plain.txt"),
            200,
        ),
        (
            "presigned URL",
            req(Who::Presigned, "GET", "/data/plain.txt"),
            200,
        ),
        (
            "response-content-type override",
            get().query(&[("response-content-type", "text/html")]),
            200,
        ),
        (
            "payload hash of a body that is not there",
            get().payload(&sha256_hex(b"x")),
            200,
        ),
        // Objects are unversioned: only `null` names their version.
        ("versionId query", get().query(&[("versionId", "abc")]), 404),
        ("versionId=null", get().query(&[("versionId", "null")]), 200),
        (
            "?x-id=GetObject on HEAD",
            root("HEAD", "/data/plain.txt").query(&[("x-id", "GetObject")]),
            200,
        ),
        (
            "a header the path does not know (signed)",
            get().signed(&[("x-amz-expected-bucket-owner", "x")]),
            200,
        ),
        (
            "a header the path does not know (unsigned)",
            get().unsigned(&[("origin", "http://example.com")]),
            200,
        ),
        (
            "anonymous, allowed by bucket policy",
            req(Who::Anonymous, "GET", "/pub/open.txt"),
            200,
        ),
        ("key with '..'", root("GET", "/data/dir/../plain.txt"), 400),
        ("key with '.'", root("GET", "/data/./plain.txt"), 400),
        ("key with '//'", root("GET", "/data//plain.txt"), 400),
        ("a prefix, not an object", root("GET", "/data/dir"), 404),
        ("a key ending in '/'", root("GET", "/data/dir/"), 404),
        (
            "an object's key and '/'",
            root("GET", "/data/plain.txt/"),
            404,
        ),
        ("a dot key", root("GET", "/data/.strongbox"), 404),
        (
            "bucket name in capitals",
            root("GET", "/DATA/plain.txt"),
            400,
        ),
        (
            "query X-Id=GetObject (case)",
            get().query(&[("X-Id", "GetObject")]),
            200,
        ),
        (
            // s3s builds the canonical request from the named headers that are present, so the
            // signature still verifies there; the direct path declines.
            "SignedHeaders naming a header not sent",
            get().auth(|a| a.replace("SignedHeaders=", "SignedHeaders=accept;")),
            200,
        ),
        (
            "a signed non-ASCII header value",
            get().signed(&[("x-amz-user-agent", "caf\u{e9}")]),
            200,
        ),
        (
            "a signed header sent twice (SigV4 joins the values)",
            get()
                .signed(&[("accept", "text/plain,text/html")])
                .sent_as(&[("accept", "text/plain")])
                .unsigned(&[("accept", "text/html")]),
            200,
        ),
    ] {
        p.check(name, &r, status, false).await;
    }
}

#[tokio::test]
async fn refusals_go_to_s3s_with_the_same_answer() {
    let p = Pair::start().await;
    let root = |m, path: &str| req(Who::Root, m, path);
    let get = || root("GET", "/data/plain.txt");
    let plain = |who, m| req(who, m, "/data/plain.txt");
    for (name, r, status, code) in [
        ("missing key", root("GET", "/data/nope"), 404, "NoSuchKey"),
        ("missing key HEAD", root("HEAD", "/data/nope"), 404, ""),
        (
            "missing bucket",
            root("GET", "/nobucket/k"),
            404,
            "NoSuchBucket",
        ),
        (
            "wrong secret",
            plain(Who::WrongSecret, "GET"),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "wrong secret HEAD",
            plain(Who::WrongSecret, "HEAD"),
            403,
            "",
        ),
        (
            "unknown access key",
            req(
                Who::User(("nobody", "nobody-secret")),
                "GET",
                "/data/plain.txt",
            ),
            403,
            "InvalidAccessKeyId",
        ),
        (
            "IAM user denied by policy",
            req(Who::User(NARROW), "GET", "/data/full.txt"),
            403,
            "AccessDenied",
        ),
        (
            "IAM user denied by policy HEAD",
            req(Who::User(NARROW), "HEAD", "/data/full.txt"),
            403,
            "",
        ),
        (
            "IAM user, other bucket",
            req(Who::User(READER), "GET", "/secret/k"),
            403,
            "AccessDenied",
        ),
        (
            "disabled user",
            plain(Who::User(DISABLED), "GET"),
            403,
            "InvalidAccessKeyId",
        ),
        (
            "tampered session token",
            plain(Who::TempTampered, "GET"),
            403,
            "InvalidTokenId",
        ),
        (
            "session policy denies",
            req(Who::TempNarrow, "GET", "/data/full.txt"),
            403,
            "AccessDenied",
        ),
        (
            "IAM user outside its policy, bucket policy allows *",
            req(Who::User(READER), "GET", "/pub/open.txt"),
            403,
            "AccessDenied",
        ),
        (
            "session keys without their token",
            plain(Who::TempNoToken, "GET"),
            403,
            "InvalidAccessKeyId",
        ),
        (
            "service account, outside its embedded policy",
            req(Who::User(SVC_NARROW), "GET", "/data/full.txt"),
            403,
            "AccessDenied",
        ),
        (
            "signature of other headers than those sent",
            get().signed(&[("accept", "a")]).sent_as(&[("accept", "b")]),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "upper-case hex signature",
            get().auth(|a| {
                let (head, sig) = a.split_once("Signature=").unwrap();
                format!("{head}Signature={}", sig.to_ascii_uppercase())
            }),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "session token with root keys",
            plain(Who::RootWithToken, "GET"),
            403,
            "InvalidTokenId",
        ),
        (
            "signed 20 minutes ago",
            get().skew(-20 * 60),
            403,
            "RequestTimeTooSkewed",
        ),
        (
            "signed 20 minutes ahead",
            get().skew(20 * 60),
            403,
            "RequestTimeTooSkewed",
        ),
        (
            "anonymous",
            plain(Who::Anonymous, "GET"),
            403,
            "AccessDenied",
        ),
        (
            "inner spaces signed as sent (not collapsed)",
            get().signed(&[("user-agent", "strongbox   agent")]),
            403,
            "SignatureDoesNotMatch",
        ),
    ] {
        p.check_error(name, &r, status, code).await;
    }
}

#[tokio::test]
async fn expired_session_goes_to_s3s() {
    let p = Pair::start().await;
    let r = req(Who::Temp, "GET", "/data/plain.txt");
    p.check("session before expiry", &r, 200, true).await;
    for side in [&p.direct, &p.off] {
        side.srv.clock.advance(Duration::hours(2));
    }
    p.check_error("expired session", &r, 400, "ExpiredToken")
        .await;
}

#[tokio::test]
async fn revoked_sessions_go_to_s3s() {
    let p = Pair::start().await;
    let (temp, narrow) = (
        req(Who::Temp, "GET", "/data/plain.txt"),
        req(Who::TempNarrow, "GET", "/data/plain.txt"),
    );
    for _ in 0..2 {
        p.check("session", &temp, 200, true).await;
        p.check("other session", &narrow, 200, true).await;
    }
    let revoke = |query: Vec<(String, String)>| {
        let q: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        req(Who::Root, "POST", "/minio/admin/v3/revoke-tokens/builtin").query(&q)
    };
    for side in [&p.direct, &p.off] {
        let key = side.temp_access_key().to_owned();
        let r = revoke(vec![("accessKey".into(), key)]);
        let r = send(side.srv.run.addr, side.build(&r)).await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    p.check("revoked session", &temp, 403, false).await;
    p.check("other session, not revoked", &narrow, 200, true)
        .await;
    for side in [&p.direct, &p.off] {
        let r = revoke(vec![
            ("user".into(), READER.0.into()),
            ("fullRevoke".into(), "true".into()),
        ]);
        let r = send(side.srv.run.addr, side.build(&r)).await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    p.check("every session of the user revoked", &narrow, 403, false)
        .await;
    p.check(
        "the user's own keys",
        &req(Who::User(READER), "GET", "/data/plain.txt"),
        200,
        true,
    )
    .await;
}

#[tokio::test]
async fn overwrite_and_delete_are_seen_at_once() {
    let p = Pair::start().await;
    let path = "/data/overwrite.txt";
    let get = req(Who::Root, "GET", path);
    p.check("before overwrite (prime)", &get, 200, false).await;
    let d = p.check("before overwrite", &get, 200, true).await;
    assert_eq!(d.body, "before\n");
    let old_etag = d.headers["etag"].clone();
    let new = "after, and longer\n";
    for side in [&p.direct, &p.off] {
        let headers = [("content-type", "text/new"), ("x-amz-meta-v", "2")];
        put_ok(side, path, &[], new, &headers).await;
    }
    // The two PUTs happened at different instants: Last-Modified may differ.
    let mut answered = Vec::new();
    for _ in 0..3 {
        let (d, n) = p
            .compare("after overwrite", &get, 200, &["last-modified"])
            .await;
        assert_eq!(d.body, new);
        assert_ne!(d.headers["etag"], old_etag);
        assert_eq!(d.headers["content-type"], "text/new");
        assert_eq!(d.headers["x-amz-meta-v"], "2");
        answered.push(n);
    }
    // The first read after the PUT loads the new object into the cache (s3s); later ones are
    // the direct path's, with the new bytes and head.
    assert_eq!(answered[1..], [1, 1], "{answered:?}");

    let path = "/data/delete.txt";
    let get = req(Who::Root, "GET", path);
    p.check("before delete (prime)", &get, 200, false).await;
    p.check("before delete", &get, 200, true).await;
    for side in [&p.direct, &p.off] {
        let r = send(
            side.srv.run.addr,
            side.build(&req(Who::Root, "DELETE", path)),
        )
        .await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    p.check_error("after delete", &get, 404, "NoSuchKey").await;
    p.check_error("after delete, again", &get, 404, "NoSuchKey")
        .await;
}

#[tokio::test]
async fn policy_conditions_decide_alike() {
    let p = Pair::start().await;
    let get = |user, path: &str| req(Who::Conditioned(user), "GET", path);
    for (name, r, direct) in [
        (
            "aws:SourceIp matching",
            get("ip-local", "/data/plain.txt"),
            true,
        ),
        (
            "aws:SourceIp not matching",
            get("ip-other", "/data/plain.txt"),
            false,
        ),
        (
            "aws:SecureTransport over http",
            get("tls-only", "/data/plain.txt"),
            false,
        ),
        (
            "s3:authType REST-HEADER",
            get("header-auth", "/data/plain.txt"),
            true,
        ),
        (
            "s3:authType REST-QUERY-STRING, header-signed",
            get("query-auth", "/data/plain.txt"),
            false,
        ),
        ("s3:signatureversion", get("sigv4", "/data/plain.txt"), true),
        (
            "aws:UserAgent matching (signed)",
            get("agent", "/data/plain.txt").signed(&[("user-agent", "strongbox-ua/1")]),
            true,
        ),
        (
            "aws:UserAgent matching (unsigned)",
            get("agent", "/data/plain.txt").unsigned(&[("user-agent", "strongbox-ua/2")]),
            true,
        ),
        (
            "aws:UserAgent not matching",
            get("agent", "/data/plain.txt").unsigned(&[("user-agent", "curl/8")]),
            false,
        ),
        (
            "aws:UserAgent absent",
            get("agent", "/data/plain.txt"),
            false,
        ),
        (
            "aws:CurrentTime after",
            get("after-2020", "/data/plain.txt"),
            true,
        ),
        (
            "aws:CurrentTime before",
            get("before-2020", "/data/plain.txt"),
            false,
        ),
        (
            "${aws:username} in the resource",
            get("dir", "/data/dir/nested.txt"),
            true,
        ),
        (
            "${aws:username}, other key",
            get("dir", "/data/plain.txt"),
            false,
        ),
    ] {
        if direct {
            p.check(name, &r, 200, true).await;
        } else {
            p.check_error(name, &r, 403, "AccessDenied").await;
        }
    }
    let presigned = req(
        Who::ConditionedPresigned("query-auth"),
        "GET",
        "/data/plain.txt",
    );
    p.check(
        "s3:authType REST-QUERY-STRING, presigned",
        &presigned,
        200,
        false,
    )
    .await;
    let presigned = req(
        Who::ConditionedPresigned("header-auth"),
        "GET",
        "/data/plain.txt",
    );
    p.check_error(
        "s3:authType REST-HEADER, presigned",
        &presigned,
        403,
        "AccessDenied",
    )
    .await;
}

#[tokio::test]
async fn iam_changes_are_seen_at_once() {
    let p = Pair::start().await;
    let both = |f: &dyn Fn(&strongbox_iam::Iam)| {
        f(&p.direct.srv.iam);
        f(&p.off.srv.iam);
    };
    let reader = PolicyTarget::User(READER.0.into());
    let plain = |who| req(who, "GET", "/data/plain.txt");
    let (user, temp, svc) = (Who::User(READER), Who::Temp, Who::User(SVC_INHERIT));
    for who in [user, temp, svc] {
        p.check(&format!("{who:?} before"), &plain(who), 200, true)
            .await;
    }

    let full_only = policy(&["s3:GetObject"], "data/full.txt");
    both(&|iam| iam.put_policy("read-data", &full_only).unwrap());
    for who in [user, temp, svc] {
        p.check(
            &format!("{who:?}, policy narrowed"),
            &plain(who),
            403,
            false,
        )
        .await;
        let full = req(who, "GET", "/data/full.txt");
        p.check(
            &format!("{who:?}, policy narrowed, still allowed"),
            &full,
            200,
            true,
        )
        .await;
    }
    let all = policy(&["s3:GetObject"], "data/*");
    both(&|iam| iam.put_policy("read-data", &all).unwrap());
    p.check("policy restored", &plain(user), 200, true).await;

    both(&|iam| {
        iam.detach_policies(&reader, &["read-data"]).unwrap();
    });
    for who in [user, temp, svc] {
        p.check(
            &format!("{who:?}, policy detached"),
            &plain(who),
            403,
            false,
        )
        .await;
    }
    both(&|iam| {
        iam.attach_policies(&reader, &["read-data"]).unwrap();
    });
    p.check("policy attached again", &plain(temp), 200, true)
        .await;

    both(&|iam| iam.set_user_status(READER.0, Status::Disabled).unwrap());
    for who in [user, temp, svc] {
        p.check(&format!("{who:?}, user disabled"), &plain(who), 403, false)
            .await;
    }
    both(&|iam| iam.set_user_status(READER.0, Status::Enabled).unwrap());
    for who in [user, temp, svc] {
        p.check(&format!("{who:?}, enabled again"), &plain(who), 200, true)
            .await;
    }

    both(&|iam| iam.set_user_secret(READER.0, READER_NEW.1).unwrap());
    p.check("old secret", &plain(user), 403, false).await;
    p.check("new secret", &plain(Who::User(READER_NEW)), 200, true)
        .await;

    both(&|iam| iam.remove_user(READER.0).unwrap());
    for who in [Who::User(READER_NEW), temp, svc] {
        p.check(&format!("{who:?}, user removed"), &plain(who), 403, false)
            .await;
    }
}

#[tokio::test]
async fn one_connection_mixing_direct_and_s3s_answers() {
    let p = Pair::start().await;
    let root = |m, path: &str| req(Who::Root, m, path);
    let script = [
        (root("HEAD", "/data/big"), true),
        (root("GET", "/data/plain.txt"), true),
        (root("GET", "/data/big"), false),
        (root("HEAD", "/data/full.txt"), true),
        (
            root("GET", "/data/plain.txt").signed(&[("range", "bytes=2-3")]),
            false,
        ),
        (root("GET", "/data/empty"), true),
        (root("HEAD", "/data/nope"), false),
        (root("GET", "/data/full.txt"), true),
        (req(Who::WrongSecret, "GET", "/data/plain.txt"), false),
        (root("HEAD", "/data/plain.txt"), true),
        (root("GET", "/data/dir/nested.txt"), true),
    ];
    p.check_on_one_connection(&script).await;
}

#[tokio::test]
async fn configured_region() {
    let p = Pair::start_in(Some("eu-central-1")).await;
    let root = |region| req(Who::Root, "GET", "/data/plain.txt").region(region);
    p.check("scope names the region", &root("eu-central-1"), 200, true)
        .await;
    let temp = req(Who::Temp, "GET", "/data/plain.txt").region("eu-central-1");
    p.check("session, scope names the region", &temp, 200, true)
        .await;
    p.check_error(
        "scope names another region",
        &root("us-east-1"),
        400,
        "AuthorizationHeaderMalformed",
    )
    .await;
}

#[tokio::test]
async fn configuration() {
    let dir = tempfile::tempdir().unwrap();
    let e = config(dir.path(), &env("bogus")).unwrap_err();
    assert!(e.contains("STRONGBOX_DIRECT_READS"), "{e}");
    for v in ["on", "ON", "off", "Off"] {
        config(dir.path(), &env(v)).unwrap();
    }
    let roots = [("MINIO_ROOT_USER", ROOT.0), ("MINIO_ROOT_PASSWORD", ROOT.1)];
    assert!(
        config(dir.path(), &roots).unwrap().direct_reads,
        "on by default"
    );

    let on = start_direct(dir.path(), &roots).await;
    assert_eq!(on.direct_reads_served(), Some(0));
    on.stop().await;
    let off = start_direct(dir.path(), &env("off")).await;
    assert_eq!(off.direct_reads_served(), None);
    off.stop().await;
    // Virtual-host requests stay with s3s.
    let mut vhost = roots.to_vec();
    vhost.push(("MINIO_DOMAIN", "example.com"));
    let vhost = start_direct(dir.path(), &vhost).await;
    assert_eq!(vhost.direct_reads_served(), None);
    vhost.stop().await;
    // An external authoriser decides instead of the policies the direct path evaluates.
    let mut plugin = roots.to_vec();
    plugin.push(("MINIO_POLICY_PLUGIN_URL", "http://127.0.0.1:9/authorize"));
    let plugin = start_direct(dir.path(), &plugin).await;
    assert_eq!(plugin.direct_reads_served(), None);
    plugin.stop().await;
}
