//! The direct read path (`strongbox_server::fast`) answers exactly what s3s answers, and only the
//! requests it should. Differential: two servers over identical data directories (one set up, then
//! copied: same objects with the same Last-Modified, same root, IAM users and policies), one with
//! the direct path attached, one with `STRONGBOX_DIRECT_READS=off`. Every request of the matrix
//! goes to both; status, body and every header but `Date` and `x-amz-request-id` must agree
//! (`x-amz-meta-*` as a set: s3s writes them in hash-map order), and the direct server's count of
//! reads it answered must move exactly for the requests the path is for.

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod sts_common;

use std::path::Path;

use bytes::Bytes;
use http_body_util::Full;
use strongbox_iam::{PolicyTarget, Status};
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};

use common::direct::{Direct, config, copy_dir, start_direct};
use common::sigv4::{Signer, UNSIGNED_PAYLOAD, sha256_hex, uri_encode};
use common::{Reply, error_code, request, send};

const ROOT: (&str, &str) = ("directroot", "directroot-secret");
const READER: (&str, &str) = ("reader", "reader-secret");
const NARROW: (&str, &str) = ("narrow", "narrow-secret");
const DISABLED: (&str, &str) = ("disabled", "disabled-secret");
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const PLAIN: &str = "hello, direct reads\n";
const FULL_HEADERS: &[(&str, &str)] = &[
    ("content-type", "text/markdown; charset=utf-8"),
    ("cache-control", "max-age=60, private"),
    ("content-disposition", "attachment; filename=\"full.txt\""),
    ("content-encoding", "identity"),
    ("content-language", "en-GB"),
    ("expires", "Thu, 01 Dec 2044 16:00:00 GMT"),
    ("x-amz-meta-alpha", "1"),
    ("x-amz-meta-mixed-case", "Two Words"),
    ("x-amz-meta-zeta", "last"),
];

fn env(direct: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("MINIO_ROOT_USER", ROOT.0),
        ("MINIO_ROOT_PASSWORD", ROOT.1),
        ("STRONGBOX_DIRECT_READS", direct),
    ]
}

fn big_body() -> String {
    "0123456789abcdef".repeat(70 * 1024 / 16)
}

/// Who signs a request, and how.
#[derive(Clone, Copy, Debug)]
enum Who {
    Root,
    User((&'static str, &'static str)),
    /// The reader's AssumeRole credentials, token signed as `X-Amz-Security-Token`.
    Temp,
    /// As `Temp` with one character of the token changed.
    TempTampered,
    /// Root's keys with the reader's session token.
    RootWithToken,
    /// Root's access key with a wrong secret.
    WrongSecret,
    /// Root's presigned URL.
    Presigned,
    Anonymous,
}

#[derive(Clone, Debug)]
struct Req {
    who: Who,
    method: &'static str,
    /// Sent as is.
    path: String,
    /// The canonical URI signed, when it is not `path`.
    canonical: Option<String>,
    query: Vec<(String, String)>,
    payload: String,
    /// Seconds added to the signing time.
    skew: i64,
    /// Signed headers besides host, x-amz-date and x-amz-content-sha256.
    signed: Vec<(String, String)>,
    /// Values sent instead of the signed ones (same name), after signing.
    sent_as: Vec<(String, String)>,
    /// Headers added after signing, unsigned.
    unsigned: Vec<(String, String)>,
}

fn req(who: Who, method: &'static str, path: &str) -> Req {
    Req {
        who,
        method,
        path: path.into(),
        canonical: None,
        query: Vec::new(),
        payload: EMPTY_SHA256.into(),
        skew: 0,
        signed: Vec::new(),
        sent_as: Vec::new(),
        unsigned: Vec::new(),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Req {
    fn canonical(mut self, uri: &str) -> Self {
        self.canonical = Some(uri.into());
        self
    }
    fn query(mut self, q: &[(&str, &str)]) -> Self {
        self.query = pairs(q);
        self
    }
    fn payload(mut self, p: &str) -> Self {
        self.payload = p.into();
        self
    }
    fn skew(mut self, secs: i64) -> Self {
        self.skew = secs;
        self
    }
    fn signed(mut self, h: &[(&str, &str)]) -> Self {
        self.signed = pairs(h);
        self
    }
    fn sent_as(mut self, h: &[(&str, &str)]) -> Self {
        self.sent_as = pairs(h);
        self
    }
    fn unsigned(mut self, h: &[(&str, &str)]) -> Self {
        self.unsigned = pairs(h);
        self
    }
}

/// One server of the pair with its own AssumeRole session of the reader.
struct Side {
    srv: Direct,
    /// (access key, secret, session token).
    temp: (String, String, String),
}

impl Side {
    async fn start(dir: &Path, direct: &str) -> Side {
        let srv = start_direct(dir, &env(direct)).await;
        let host = srv.run.host();
        let body = "Action=AssumeRole&Version=2011-06-15";
        let call = sts_common::Signer::new(READER.0, READER.1).request(
            &host,
            "POST",
            "/",
            &[],
            body,
            &sts_common::Sign::sts(),
        );
        let r = send(srv.run.addr, call).await;
        assert_eq!(r.status, 200, "AssumeRole: {}", r.body);
        let el = |n| sts_common::element(&r.body, n).unwrap().to_owned();
        let temp = (el("AccessKeyId"), el("SecretAccessKey"), el("SessionToken"));
        Side { srv, temp }
    }

    fn build(&self, r: &Req) -> http::Request<Full<Bytes>> {
        let host = self.srv.run.host();
        let token = match r.who {
            Who::Temp | Who::RootWithToken => Some(self.temp.2.clone()),
            Who::TempTampered => Some(tamper(&self.temp.2)),
            _ => None,
        };
        let (ak, sk) = match r.who {
            Who::Root | Who::RootWithToken | Who::Presigned => (ROOT.0, ROOT.1),
            Who::WrongSecret => (ROOT.0, "not-the-root-secret"),
            Who::User(u) => u,
            Who::Temp | Who::TempTampered => (self.temp.0.as_str(), self.temp.1.as_str()),
            Who::Anonymous => ("", ""),
        };
        let signer = Signer::new(ak, sk, "us-east-1");
        let canonical = r.canonical.as_deref().unwrap_or(&r.path);
        let t = OffsetDateTime::now_utc() + Duration::seconds(r.skew);
        let mut headers = match r.who {
            Who::Anonymous => Vec::new(),
            Who::Presigned => {
                let q = signer.presign(r.method, &host, canonical, 300, t);
                return request(r.method, &host, &format!("{}?{q}", r.path), &[], "");
            }
            _ => {
                let mut extra: Vec<(&str, &str)> = r
                    .signed
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                if let Some(tok) = &token {
                    extra.push(("x-amz-security-token", tok));
                }
                signer.sign(r.method, &host, canonical, &r.query, &r.payload, t, &extra)
            }
        };
        for (k, v) in &r.sent_as {
            let h = headers.iter_mut().find(|(n, _)| n == k).expect("signed");
            h.1.clone_from(v);
        }
        headers.extend(r.unsigned.iter().cloned());
        request(
            r.method,
            &host,
            &with_query(&r.path, &r.query),
            &headers,
            "",
        )
    }
}

fn with_query(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v)))
        .collect();
    format!("{path}?{}", q.join("&"))
}

/// `token` with its middle character changed.
fn tamper(token: &str) -> String {
    let mut b = token.as_bytes().to_vec();
    let i = b.len() / 2;
    b[i] = if b[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(b).unwrap()
}

/// The head as compared: every header in order but `Date`, `x-amz-request-id` and the
/// `x-amz-meta-*` run, which is returned sorted.
type Head = (Vec<(String, String)>, Vec<(String, String)>);

fn head(r: &Reply, skip: &[&str]) -> Head {
    let (mut rest, mut meta) = (Vec::new(), Vec::new());
    for (name, value) in &r.headers {
        let n = name.as_str();
        if n == "date" || n == "x-amz-request-id" || skip.contains(&n) {
            continue;
        }
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if n.starts_with("x-amz-meta-") {
            meta.push((n.to_owned(), v));
        } else {
            rest.push((n.to_owned(), v));
        }
    }
    meta.sort();
    (rest, meta)
}

/// The body with the text of `<RequestId>` (unique per request) blanked.
fn body(r: &Reply) -> String {
    let mut b = r.body.clone();
    if let Some(start) = b.find("<RequestId>").map(|i| i + "<RequestId>".len())
        && let Some(len) = b[start..].find("</RequestId>")
    {
        b.replace_range(start..start + len, "");
    }
    b
}

/// The two servers, over copies of one data directory.
struct Pair {
    direct: Side,
    off: Side,
    _dirs: (TempDir, TempDir),
}

impl Pair {
    async fn start() -> Pair {
        let a = tempfile::tempdir().unwrap();
        setup(a.path()).await;
        let b = tempfile::tempdir().unwrap();
        copy_dir(a.path(), b.path());
        let direct = Side::start(a.path(), "on").await;
        let off = Side::start(b.path(), "off").await;
        assert_eq!(direct.srv.direct_reads_served(), Some(0));
        assert_eq!(off.srv.direct_reads_served(), None);
        let pair = Pair {
            direct,
            off,
            _dirs: (a, b),
        };
        // Prime the object cache of both (the first read of an object goes through s3s).
        for key in ["plain.txt", "full.txt", "empty", "dir/nested.txt", "big"] {
            for side in [&pair.direct, &pair.off] {
                for method in ["GET", "HEAD"] {
                    let r = send(
                        side.srv.run.addr,
                        side.build(&req(Who::Root, method, &format!("/data/{key}"))),
                    )
                    .await;
                    assert_eq!(r.status, 200, "prime {key}: {}", r.body);
                }
            }
        }
        pair
    }

    /// Sends `r` to both servers and compares the answers ([`head`] skipping `skip` too);
    /// asserts `status`. The direct server's reply and how many times the direct path answered.
    async fn compare(&self, name: &str, r: &Req, status: u16, skip: &[&str]) -> (Reply, u64) {
        let before = self.direct.srv.direct_reads_served().unwrap();
        let d = send(self.direct.srv.run.addr, self.direct.build(r)).await;
        let answered = self.direct.srv.direct_reads_served().unwrap() - before;
        let o = send(self.off.srv.run.addr, self.off.build(r)).await;
        assert_eq!(self.off.srv.direct_reads_served(), None);
        assert_eq!(d.status, status, "{name}: status; body {}", d.body);
        assert_eq!(o.status, d.status, "{name}: status; off body {}", o.body);
        assert_eq!(
            head(&d, skip),
            head(&o, skip),
            "{name}: headers (direct, off)"
        );
        assert_eq!(body(&d), body(&o), "{name}: body (direct, off)");
        (d, answered)
    }

    /// As [`Pair::compare`], asserting whether the direct path answered.
    async fn check(&self, name: &str, r: &Req, status: u16, direct: bool) -> Reply {
        let (d, answered) = self.compare(name, r, status, &[]).await;
        assert_eq!(
            answered,
            u64::from(direct),
            "{name}: answered by the direct path {answered} times, expected {direct}"
        );
        d
    }

    /// As [`Pair::check`] for an error answer with S3 error `code`.
    async fn check_error(&self, name: &str, r: &Req, status: u16, code: &str) {
        let d = self.check(name, r, status, false).await;
        if r.method != "HEAD" {
            assert_eq!(error_code(&d.body), Some(code), "{name}: {}", d.body);
        }
    }
}

/// Root puts the objects, IAM gets users and policies; the server then stops.
async fn setup(dir: &Path) {
    let srv = start_direct(dir, &env("off")).await;
    let side = Side {
        srv,
        temp: Default::default(),
    };
    let put = |bucket_key: &str, body: &str, headers: &[(&str, &str)]| {
        let mut r = req(Who::Root, "PUT", bucket_key)
            .payload(&sha256_hex(body.as_bytes()))
            .signed(headers);
        if bucket_key.contains('+') {
            r = r.canonical(&bucket_key.replace('+', "%2B"));
        }
        let mut http = side.build(&r);
        *http.body_mut() = Full::new(Bytes::from(body.to_owned()));
        http
    };
    let addr = side.srv.run.addr;
    for bucket in ["/data", "/secret"] {
        let r = send(addr, put(bucket, "", &[])).await;
        assert_eq!(r.status, 200, "{bucket}: {}", r.body);
    }
    let big = big_body();
    for (path, body, headers) in [
        ("/data/plain.txt", PLAIN, &[][..]),
        ("/data/full.txt", "full headers\n", FULL_HEADERS),
        ("/data/empty", "", &[]),
        ("/data/dir/nested.txt", "nested\n", &[]),
        ("/data/big", big.as_str(), &[]),
        ("/data/a%20b", "space\n", &[]),
        ("/data/a+b", "plus\n", &[]),
        ("/data/%C3%BC.txt", "unicode\n", &[]),
        (
            "/data/overwrite.txt",
            "before\n",
            &[("content-type", "text/old")],
        ),
        ("/data/delete.txt", "doomed\n", &[]),
        ("/secret/k", "top secret\n", &[]),
    ] {
        let r = send(addr, put(path, body, headers)).await;
        assert_eq!(r.status, 200, "PUT {path}: {}", r.body);
    }
    let iam = &side.srv.iam;
    let policy = |resource: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::{resource}"]}}]}}"#
        )
    };
    iam.put_policy("read-data", &policy("data/*")).unwrap();
    iam.put_policy("read-plain", &policy("data/plain.txt"))
        .unwrap();
    for ((user, secret), policy, status) in [
        (READER, "read-data", Status::Enabled),
        (NARROW, "read-plain", Status::Enabled),
        (DISABLED, "read-data", Status::Disabled),
    ] {
        iam.add_user(user, secret, status).unwrap();
        iam.attach_policies(&PolicyTarget::User(user.into()), &[policy])
            .unwrap();
    }
    side.srv.stop().await;
}

#[tokio::test]
async fn direct_answers_equal_s3s_answers() {
    let p = Pair::start().await;
    let root = |m, path: &str| req(Who::Root, m, path);
    for (name, r) in [
        ("root GET", root("GET", "/data/plain.txt")),
        ("root HEAD", root("HEAD", "/data/plain.txt")),
        (
            "GET ?x-id=GetObject",
            root("GET", "/data/plain.txt").query(&[("x-id", "GetObject")]),
        ),
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
        (
            "UNSIGNED-PAYLOAD",
            root("GET", "/data/plain.txt").payload(UNSIGNED_PAYLOAD),
        ),
        (
            "empty payload hash",
            root("GET", "/data/plain.txt").payload(EMPTY_SHA256),
        ),
        (
            "signed header sent with extra spaces and a tab",
            root("GET", "/data/plain.txt")
                .signed(&[("user-agent", "strongbox test agent")])
                .sent_as(&[("user-agent", "strongbox   test \t agent")]),
        ),
        (
            "SDK headers, some unsigned",
            root("GET", "/data/plain.txt")
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
    let etag = p
        .check("etag", &root("HEAD", "/data/plain.txt"), 200, true)
        .await;
    let etag = etag.headers["etag"].to_str().unwrap().to_owned();
    for (name, r, status) in [
        (
            "Range",
            root("GET", "/data/plain.txt").signed(&[("range", "bytes=0-4")]),
            206,
        ),
        (
            "If-None-Match matching",
            root("GET", "/data/plain.txt").signed(&[("if-none-match", &etag)]),
            304,
        ),
        (
            "If-None-Match matching HEAD",
            root("HEAD", "/data/plain.txt").signed(&[("if-none-match", &etag)]),
            304,
        ),
        (
            "If-Match mismatch",
            root("GET", "/data/plain.txt").signed(&[("if-match", "\"0000\"")]),
            412,
        ),
        (
            "If-Modified-Since in the future",
            root("GET", "/data/plain.txt")
                .signed(&[("if-modified-since", "Thu, 01 Dec 2044 16:00:00 GMT")]),
            304,
        ),
        (
            "x-amz-checksum-mode",
            root("GET", "/data/plain.txt").signed(&[("x-amz-checksum-mode", "ENABLED")]),
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
            root("GET", "/data/plain.txt").query(&[("response-content-type", "text/html")]),
            200,
        ),
        (
            "payload hash of a body that is not there",
            root("GET", "/data/plain.txt").payload(&sha256_hex(b"x")),
            200,
        ),
        (
            "versionId query",
            root("GET", "/data/plain.txt").query(&[("versionId", "abc")]),
            200,
        ),
        (
            "?x-id=GetObject on HEAD",
            root("HEAD", "/data/plain.txt").query(&[("x-id", "GetObject")]),
            200,
        ),
        (
            "a header the path does not know (signed)",
            root("GET", "/data/plain.txt").signed(&[("x-amz-expected-bucket-owner", "x")]),
            200,
        ),
        (
            "a header the path does not know (unsigned)",
            root("GET", "/data/plain.txt").unsigned(&[("origin", "http://example.com")]),
            200,
        ),
        (
            "a signed header sent twice (SigV4 joins the values)",
            root("GET", "/data/plain.txt")
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
            req(Who::WrongSecret, "GET", "/data/plain.txt"),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "wrong secret HEAD",
            req(Who::WrongSecret, "HEAD", "/data/plain.txt"),
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
            req(Who::User(DISABLED), "GET", "/data/plain.txt"),
            403,
            "InvalidAccessKeyId",
        ),
        (
            "tampered session token",
            req(Who::TempTampered, "GET", "/data/plain.txt"),
            403,
            "InvalidTokenId",
        ),
        (
            "session token with root keys",
            req(Who::RootWithToken, "GET", "/data/plain.txt"),
            403,
            "InvalidTokenId",
        ),
        (
            "signed 20 minutes ago",
            root("GET", "/data/plain.txt").skew(-20 * 60),
            403,
            "RequestTimeTooSkewed",
        ),
        (
            "signed 20 minutes ahead",
            root("GET", "/data/plain.txt").skew(20 * 60),
            403,
            "RequestTimeTooSkewed",
        ),
        (
            "anonymous",
            req(Who::Anonymous, "GET", "/data/plain.txt"),
            403,
            "AccessDenied",
        ),
        (
            "inner spaces signed as sent (not collapsed)",
            root("GET", "/data/plain.txt").signed(&[("user-agent", "strongbox   agent")]),
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
        let mut put = side.build(
            &req(Who::Root, "PUT", path)
                .payload(&sha256_hex(new.as_bytes()))
                .signed(&[("content-type", "text/new"), ("x-amz-meta-v", "2")]),
        );
        *put.body_mut() = Full::new(Bytes::from(new));
        let r = send(side.srv.run.addr, put).await;
        assert_eq!(r.status, 200, "{}", r.body);
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
}
