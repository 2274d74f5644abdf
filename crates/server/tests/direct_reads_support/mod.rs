//! The pair of servers of tests/direct_reads.rs and the requests sent to both: one data
//! directory set up once and copied, one server with the direct read path, one with
//! `STRONGBOX_DIRECT_READS=off`, each request built per server (its host, its own sessions) from
//! one description ([`Req`]) and the answers compared.

use std::path::Path;

use bytes::Bytes;
use http_body_util::Full;
use strongbox_iam::{NewServiceAccount, PolicyTarget, SecretKey, Status};
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};

use crate::common::direct::{Direct, copy_dir, start_direct};
use crate::common::sigv4::{Signer, sha256_hex, uri_encode};
use crate::common::{Reply, connect, error_code, request, send};

pub const ROOT: (&str, &str) = ("directroot", "directroot-secret");
pub const READER: (&str, &str) = ("reader", "reader-secret");
/// The reader after its secret changed.
pub const READER_NEW: (&str, &str) = ("reader", "reader-secret-2");
pub const NARROW: (&str, &str) = ("narrow", "narrow-secret");
pub const DISABLED: (&str, &str) = ("disabled", "disabled-secret");
/// Service accounts of the reader: inheriting its policies, and restricted to data/plain.txt.
pub const SVC_INHERIT: (&str, &str) = ("svcinherit", "svcinherit-secret");
pub const SVC_NARROW: (&str, &str) = ("svcnarrow", "svcnarrow-secret");
/// Users allowed s3:GetObject on `RESOURCE` under a condition (name, condition block); each
/// user's secret is its name followed by `-secret`.
pub const CONDITIONED: &[(&str, &str, &str)] = &[
    (
        "ip-local",
        "data/*",
        r#"{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}"#,
    ),
    (
        "ip-other",
        "data/*",
        r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
    ),
    (
        "tls-only",
        "data/*",
        r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
    ),
    (
        "header-auth",
        "data/*",
        r#"{"StringEquals":{"s3:authType":"REST-HEADER"}}"#,
    ),
    (
        "query-auth",
        "data/*",
        r#"{"StringEquals":{"s3:authType":"REST-QUERY-STRING"}}"#,
    ),
    (
        "sigv4",
        "data/*",
        r#"{"StringEquals":{"s3:signatureversion":"AWS4-HMAC-SHA256"}}"#,
    ),
    (
        "agent",
        "data/*",
        r#"{"StringLike":{"aws:UserAgent":"strongbox-ua/*"}}"#,
    ),
    (
        "after-2020",
        "data/*",
        r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#,
    ),
    (
        "before-2020",
        "data/*",
        r#"{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#,
    ),
    ("dir", "data/${aws:username}/*", "{}"),
];
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

pub const PLAIN: &str = "hello, direct reads\n";
pub const FULL_HEADERS: &[(&str, &str)] = &[
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

pub fn env(direct: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("MINIO_ROOT_USER", ROOT.0),
        ("MINIO_ROOT_PASSWORD", ROOT.1),
        ("STRONGBOX_DIRECT_READS", direct),
    ]
}

pub fn big_body() -> String {
    "0123456789abcdef".repeat(70 * 1024 / 16)
}

/// (path, body, its `x-amz-checksum-*` headers in s3s's order).
pub type Checksummed = (&'static str, &'static str, Vec<(String, String)>);

/// Objects PUT with `x-amz-checksum-*` headers, which the backend stores and answers with to a
/// read with checksum mode. One with a CRC32, one with all five algorithms.
pub fn checksummed() -> Vec<Checksummed> {
    use base64::Engine as _;
    use s3s::crypto::{Checksum as _, Crc32, Crc32c, Crc64Nvme, Sha1, Sha256};
    fn sums(body: &str, which: &[&str]) -> Vec<(String, String)> {
        let b = body.as_bytes();
        let all = [
            ("crc32", Crc32::checksum(b).to_vec()),
            ("crc32c", Crc32c::checksum(b).to_vec()),
            ("crc64nvme", Crc64Nvme::checksum(b).to_vec()),
            ("sha1", Sha1::checksum(b).to_vec()),
            ("sha256", Sha256::checksum(b).to_vec()),
        ];
        all.into_iter()
            .filter(|(alg, _)| which.contains(alg))
            .map(|(alg, d)| {
                let v = base64::engine::general_purpose::STANDARD.encode(d);
                (format!("x-amz-checksum-{alg}"), v)
            })
            .collect()
    }
    let one = "checksummed: crc32\n";
    let all = "checksummed: every algorithm\n";
    vec![
        ("/data/crc32.txt", one, sums(one, &["crc32"])),
        (
            "/data/sums.txt",
            all,
            sums(all, &["crc32", "crc32c", "crc64nvme", "sha1", "sha256"]),
        ),
    ]
}

/// Who signs a request, and how.
#[derive(Clone, Copy, Debug)]
pub enum Who {
    Root,
    User((&'static str, &'static str)),
    /// One of [`CONDITIONED`], by name.
    Conditioned(&'static str),
    /// One of [`CONDITIONED`], presigned.
    ConditionedPresigned(&'static str),
    /// The reader's AssumeRole credentials, token signed as `X-Amz-Security-Token`.
    Temp,
    /// The reader's AssumeRole credentials with a session policy allowing data/plain.txt only.
    TempNarrow,
    /// As `Temp`, the token sent but not signed.
    TempTokenUnsigned,
    /// As `Temp` without the token.
    TempNoToken,
    /// As `Temp` with one character of the token changed.
    TempTampered,
    /// Root's keys with the reader's session token.
    RootWithToken,
    /// Root's access key with a wrong secret.
    WrongSecret,
    /// Root's presigned URL.
    Presigned,
    Anonymous,
    /// The access key, secret and token of the reader's sessions as named: `false` for
    /// [`Who::Temp`]'s, `true` for [`Who::TempNarrow`]'s.
    Mixed {
        key: bool,
        secret: bool,
        token: bool,
    },
}

#[derive(Clone, Debug)]
pub struct Req {
    who: Who,
    pub method: &'static str,
    /// Sent as is.
    path: String,
    /// The canonical URI signed, when it is not `path`.
    canonical: Option<String>,
    query: Vec<(String, String)>,
    payload: String,
    /// Seconds added to the signing time.
    skew: i64,
    /// The credential scope's region.
    region: &'static str,
    /// Signed headers besides host, x-amz-date and x-amz-content-sha256.
    signed: Vec<(String, String)>,
    /// Values sent instead of the signed ones (same name), after signing.
    sent_as: Vec<(String, String)>,
    /// Headers added after signing, unsigned.
    unsigned: Vec<(String, String)>,
    /// Rewrites the `Authorization` value after signing.
    auth: Option<fn(&str) -> String>,
    /// Sent as HTTP/1.0.
    http10: bool,
}

pub fn req(who: Who, method: &'static str, path: &str) -> Req {
    Req {
        who,
        method,
        path: path.into(),
        canonical: None,
        query: Vec::new(),
        payload: EMPTY_SHA256.into(),
        skew: 0,
        region: "us-east-1",
        signed: Vec::new(),
        sent_as: Vec::new(),
        unsigned: Vec::new(),
        auth: None,
        http10: false,
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Req {
    pub fn canonical(mut self, uri: &str) -> Self {
        self.canonical = Some(uri.into());
        self
    }
    pub fn query(mut self, q: &[(&str, &str)]) -> Self {
        self.query = pairs(q);
        self
    }
    pub fn payload(mut self, p: &str) -> Self {
        self.payload = p.into();
        self
    }
    pub fn skew(mut self, secs: i64) -> Self {
        self.skew = secs;
        self
    }
    pub fn signed(mut self, h: &[(&str, &str)]) -> Self {
        self.signed = pairs(h);
        self
    }
    pub fn sent_as(mut self, h: &[(&str, &str)]) -> Self {
        self.sent_as = pairs(h);
        self
    }
    pub fn http10(mut self) -> Self {
        self.http10 = true;
        self
    }
    pub fn region(mut self, region: &'static str) -> Self {
        self.region = region;
        self
    }
    pub fn auth(mut self, rewrite: fn(&str) -> String) -> Self {
        self.auth = Some(rewrite);
        self
    }
    pub fn unsigned(mut self, h: &[(&str, &str)]) -> Self {
        self.unsigned = pairs(h);
        self
    }
}

/// One server of the pair with its own AssumeRole session of the reader.
pub struct Side {
    pub srv: Direct,
    /// (access key, secret, session token).
    temp: (String, String, String),
    /// The same with a session policy (see [`Who::TempNarrow`]).
    temp_narrow: (String, String, String),
}

impl Side {
    async fn start(dir: &Path, env: &[(&str, &str)]) -> Side {
        let srv = start_direct(dir, env).await;
        let region = env
            .iter()
            .find(|(k, _)| *k == "MINIO_REGION")
            .map_or("us-east-1", |(_, v)| *v);
        let narrow = policy(&["s3:GetObject"], "data/plain.txt");
        Side {
            temp: assume_role(&srv, region, "").await,
            temp_narrow: assume_role(&srv, region, &format!("&Policy={}", uri_encode(&narrow)))
                .await,
            srv,
        }
    }

    fn session(&self, narrow: bool) -> &(String, String, String) {
        if narrow {
            &self.temp_narrow
        } else {
            &self.temp
        }
    }

    /// The access key of the reader's session ([`Who::Temp`]).
    pub fn temp_access_key(&self) -> &str {
        &self.temp.0
    }

    pub fn build(&self, r: &Req) -> http::Request<Full<Bytes>> {
        let host = self.srv.run.host();
        let token = match r.who {
            Who::Temp | Who::RootWithToken => Some(self.temp.2.clone()),
            Who::TempNarrow => Some(self.temp_narrow.2.clone()),
            Who::TempTampered => Some(tamper(&self.temp.2)),
            Who::Mixed { token, .. } => Some(self.session(token).2.clone()),
            _ => None,
        };
        let conditioned_secret;
        let (ak, sk) = match r.who {
            Who::Root | Who::RootWithToken | Who::Presigned => (ROOT.0, ROOT.1),
            Who::Conditioned(user) | Who::ConditionedPresigned(user) => {
                conditioned_secret = format!("{user}-secret");
                (user, conditioned_secret.as_str())
            }
            Who::WrongSecret => (ROOT.0, "not-the-root-secret"),
            Who::User(u) => u,
            Who::Temp | Who::TempTampered | Who::TempTokenUnsigned | Who::TempNoToken => {
                (self.temp.0.as_str(), self.temp.1.as_str())
            }
            Who::TempNarrow => (self.temp_narrow.0.as_str(), self.temp_narrow.1.as_str()),
            Who::Anonymous => ("", ""),
            Who::Mixed { key, secret, .. } => (
                self.session(key).0.as_str(),
                self.session(secret).1.as_str(),
            ),
        };
        let signer = Signer::new(ak, sk, r.region);
        let canonical = r.canonical.as_deref().unwrap_or(&r.path);
        let t = OffsetDateTime::now_utc() + Duration::seconds(r.skew);
        let mut headers = match r.who {
            Who::Anonymous => Vec::new(),
            Who::Presigned | Who::ConditionedPresigned(_) => {
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
        if let Some(rewrite) = r.auth {
            let h = headers.iter_mut().find(|(n, _)| n == "authorization");
            let h = h.expect("signed");
            h.1 = rewrite(&h.1);
        }
        if let Who::TempTokenUnsigned = r.who {
            headers.push(("x-amz-security-token".into(), self.temp.2.clone()));
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

/// The reader's AssumeRole credentials (access key, secret, token); `extra` is appended to
/// the form.
async fn assume_role(srv: &Direct, region: &str, extra: &str) -> (String, String, String) {
    let body = format!("Action=AssumeRole&Version=2011-06-15{extra}");
    let mut how = crate::sts_common::Sign::sts();
    how.region = if region == "us-east-1" {
        "us-east-1"
    } else {
        "eu-central-1"
    };
    let call = crate::sts_common::Signer::new(READER.0, READER.1).request(
        &srv.run.host(),
        "POST",
        "/",
        &[],
        &body,
        &how,
    );
    let r = send(srv.run.addr, call).await;
    assert_eq!(r.status, 200, "AssumeRole: {}", r.body);
    let el = |n| crate::sts_common::element(&r.body, n).unwrap().to_owned();
    (el("AccessKeyId"), el("SecretAccessKey"), el("SessionToken"))
}

/// A policy allowing `actions` on `resource` (an S3 ARN without its prefix).
pub fn policy(actions: &[&str], resource: &str) -> String {
    let actions: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":["arn:aws:s3:::{resource}"]}}]}}"#,
        actions.join(",")
    )
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
pub struct Pair {
    pub direct: Side,
    pub off: Side,
    _dirs: (TempDir, TempDir),
}

impl Pair {
    pub async fn start() -> Pair {
        Self::start_in(None).await
    }

    /// Both servers with `MINIO_REGION=region` when given.
    pub async fn start_in(region: Option<&'static str>) -> Pair {
        let a = tempfile::tempdir().unwrap();
        setup(a.path()).await;
        let b = tempfile::tempdir().unwrap();
        copy_dir(a.path(), b.path());
        let with_region = |direct| {
            let mut e = env(direct);
            e.extend(region.map(|r| ("MINIO_REGION", r)));
            e
        };
        let direct = Side::start(a.path(), &with_region("on")).await;
        let off = Side::start(b.path(), &with_region("off")).await;
        assert_eq!(direct.srv.direct_reads_served(), Some(0));
        assert_eq!(off.srv.direct_reads_served(), None);
        let pair = Pair {
            direct,
            off,
            _dirs: (a, b),
        };
        // Prime the object cache of both (the first read of an object goes through s3s).
        let keys = [
            "plain.txt",
            "full.txt",
            "empty",
            "dir/nested.txt",
            "big",
            "crc32.txt",
            "sums.txt",
        ];
        let keys = keys.iter().map(|k| format!("/data/{k}"));
        for path in keys.chain(["/pub/open.txt".into(), "/data/private/x".into()]) {
            for side in [&pair.direct, &pair.off] {
                for method in ["GET", "HEAD"] {
                    let r = req(Who::Root, method, &path).region(region.unwrap_or("us-east-1"));
                    let r = send(side.srv.run.addr, side.build(&r)).await;
                    assert_eq!(r.status, 200, "prime {path}: {}", r.body);
                }
            }
        }
        pair
    }

    /// Sends `r` to both servers and compares the answers ([`head`] skipping `skip` too);
    /// asserts `status`. The direct server's reply and how many times the direct path answered.
    pub async fn compare(&self, name: &str, r: &Req, status: u16, skip: &[&str]) -> (Reply, u64) {
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
        for skipped in ["date", "x-amz-request-id"] {
            assert!(d.headers.contains_key(skipped), "{name}: no {skipped}");
            assert!(
                o.headers.contains_key(skipped),
                "{name}: no {skipped} (off)"
            );
        }
        (d, answered)
    }

    /// As [`Pair::compare`], asserting whether the direct path answered.
    pub async fn check(&self, name: &str, r: &Req, status: u16, direct: bool) -> Reply {
        let (d, answered) = self.compare(name, r, status, &[]).await;
        assert_eq!(
            answered,
            u64::from(direct),
            "{name}: answered by the direct path {answered} times, expected {direct}"
        );
        d
    }

    /// Each of `script` (request, whether direct) in turn on one connection to each server,
    /// compared as [`Pair::check`] does.
    pub async fn check_on_one_connection(&self, script: &[(Req, bool)]) {
        let mut on = connect(self.direct.srv.run.addr).await.unwrap();
        let mut off = connect(self.off.srv.run.addr).await.unwrap();
        for (i, (r, direct)) in script.iter().enumerate() {
            let before = self.direct.srv.direct_reads_served().unwrap();
            let d = on.send(self.direct.build(r)).await;
            let answered = self.direct.srv.direct_reads_served().unwrap() - before;
            let o = off.send(self.off.build(r)).await;
            let name = format!("request {i} ({} {})", r.method, d.status);
            assert_eq!(d.status, o.status, "{name}: {} / {}", d.body, o.body);
            assert_eq!(head(&d, &[]), head(&o, &[]), "{name}");
            assert_eq!(body(&d), body(&o), "{name}");
            assert_eq!(answered, u64::from(*direct), "{name}: direct?");
        }
    }

    /// As [`Pair::check`] for an error answer (not from the direct path) with S3 error `code`
    /// (HEAD answers have no body).
    pub async fn check_error(&self, name: &str, r: &Req, status: u16, code: &str) {
        let d = self.check(name, r, status, false).await;
        if r.method != "HEAD" {
            assert_eq!(error_code(&d.body), Some(code), "{name}: {}", d.body);
        }
    }
}

/// A request of root's with `body` (PUT).
pub fn put(path: &str, body: &str, headers: &[(&str, &str)]) -> Req {
    let mut r = req(Who::Root, "PUT", path)
        .payload(&sha256_hex(body.as_bytes()))
        .signed(headers);
    if path.contains('+') {
        r = r.canonical(&path.replace('+', "%2B"));
    }
    r
}

/// Sends root's PUT of `body` to `side`, which must succeed.
pub async fn put_ok(
    side: &Side,
    path: &str,
    query: &[(&str, &str)],
    body: &str,
    headers: &[(&str, &str)],
) {
    let mut http = side.build(&put(path, body, headers).query(query));
    *http.body_mut() = Full::new(Bytes::from(body.to_owned()));
    let r = send(side.srv.run.addr, http).await;
    assert!(
        r.status == 200 || r.status == 204,
        "PUT {path}: {} {}",
        r.status,
        r.body
    );
}

/// Root puts the objects and a bucket policy, IAM gets users, policies and service accounts;
/// the server then stops.
async fn setup(dir: &Path) {
    let side = Side {
        srv: start_direct(dir, &env("off")).await,
        temp: Default::default(),
        temp_narrow: Default::default(),
    };
    for bucket in ["/data", "/secret", "/pub"] {
        put_ok(&side, bucket, &[], "", &[]).await;
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
        ("/data/private/x", "private\n", &[]),
        ("/secret/k", "top secret\n", &[]),
        ("/pub/open.txt", "open\n", &[]),
    ] {
        put_ok(&side, path, &[], body, headers).await;
    }
    for (path, body, sums) in checksummed() {
        let headers: Vec<(&str, &str)> = sums.iter().map(|(n, v)| (&**n, &**v)).collect();
        put_ok(&side, path, &[], body, &headers).await;
    }
    // Anyone may read pub/*; nobody (but root) data/private/*, whatever their IAM policy says.
    let bucket_policy = |bucket: &str, effect: &str, resource: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Principal":{{"AWS":["*"]}},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::{bucket}/{resource}"]}}]}}"#
        )
    };
    let open = bucket_policy("pub", "Allow", "*");
    put_ok(&side, "/pub", &[("policy", "")], &open, &[]).await;
    let closed = bucket_policy("data", "Deny", "private/*");
    put_ok(&side, "/data", &[("policy", "")], &closed, &[]).await;

    let iam = &side.srv.iam;
    iam.put_policy("read-data", &policy(&["s3:GetObject"], "data/*"))
        .unwrap();
    iam.put_policy("read-plain", &policy(&["s3:GetObject"], "data/plain.txt"))
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
    for (user, resource, condition) in CONDITIONED {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::{resource}"],"Condition":{condition}}}]}}"#
        );
        let name = format!("cond-{user}");
        iam.put_policy(&name, &doc).unwrap();
        iam.add_user(user, &format!("{user}-secret"), Status::Enabled)
            .unwrap();
        iam.attach_policies(&PolicyTarget::User((*user).into()), &[&name])
            .unwrap();
    }
    for ((key, secret), embedded) in [
        (SVC_INHERIT, None),
        (
            SVC_NARROW,
            Some(policy(&["s3:GetObject"], "data/plain.txt")),
        ),
    ] {
        let mut sa = NewServiceAccount::for_parent(READER.0);
        sa.access_key = Some(key.into());
        sa.secret_key = Some(SecretKey::new(secret));
        sa.policy = embedded;
        iam.add_service_account(sa).unwrap();
    }
    side.srv.stop().await;
}
