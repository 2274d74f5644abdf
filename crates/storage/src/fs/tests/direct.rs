//! `DirectReads` against s3s itself: objects are written and read through a real `S3Service`
//! over the backend (which fills the object cache), and then `direct_read` must give the same
//! response head, header for header and in the same order, and the same bytes, both without and
//! with `x-amz-checksum-mode: ENABLED` (any case). Plus the cases that must decline, and that a
//! write is never answered with the old head or bytes.

use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use s3s::service::{S3Service, S3ServiceBuilder};

use super::multipart::{complete, create, part};
use super::*;
use crate::fs::multipart::MIN_PART_SIZE;
use crate::{DirectRead, DirectReads};

const B: &str = "direct";

struct Harness {
    _dir: TempDir,
    fs: FsBackend,
    svc: S3Service,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

async fn harness() -> Harness {
    let (dir, fs) = backend().await;
    // No auth provider: s3s lets unsigned requests through and checks no access.
    let svc = S3ServiceBuilder::new(fs.clone()).build();
    let h = Harness { _dir: dir, fs, svc };
    let a = h.send(Method::PUT, &format!("/{B}"), &[], Vec::new()).await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "create bucket: {:?}",
        String::from_utf8_lossy(&a.body)
    );
    h
}

/// Path-style `/{bucket}/{key}` with the key percent-encoded (all but unreserved and `/`).
fn path(key: &str) -> String {
    let mut p = format!("/{B}/");
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            p.push(b as char);
        } else {
            p.push_str(&format!("%{b:02X}"));
        }
    }
    p
}

impl Harness {
    async fn send(&self, m: Method, uri: &str, hs: &[(&str, &str)], body: Vec<u8>) -> Answer {
        let mut r = Request::builder()
            .method(m)
            .uri(uri)
            .header("host", "127.0.0.1")
            .header("content-length", body.len().to_string());
        for (n, v) in hs {
            r = r.header(*n, *v);
        }
        let resp = self
            .svc
            .call(r.body(s3s::Body::from(body)).unwrap())
            .await
            .unwrap();
        let (parts, body) = resp.into_parts();
        let body = BodyExt::collect(body).await.unwrap().to_bytes().to_vec();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    async fn put(&self, key: &str, hs: &[(&str, &str)], body: &[u8]) {
        let a = self.send(Method::PUT, &path(key), hs, body.to_vec()).await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "PUT {key}: {:?}",
            String::from_utf8_lossy(&a.body)
        );
    }

    async fn get(&self, key: &str) -> Answer {
        self.send(Method::GET, &path(key), &[], Vec::new()).await
    }

    async fn head(&self, key: &str) -> Answer {
        self.send(Method::HEAD, &path(key), &[], Vec::new()).await
    }

    fn direct(&self, key: &str, want_body: bool) -> Option<DirectRead> {
        self.fs.direct_read(B, key, want_body, false)
    }

    /// `direct` with checksum mode.
    fn direct_ck(&self, key: &str, want_body: bool) -> Option<DirectRead> {
        self.fs.direct_read(B, key, want_body, true)
    }

    /// GET and HEAD through s3s, then both direct reads must match them.
    async fn same_as_s3s(&self, key: &str, data: &[u8]) -> HeaderMap {
        let get = self.get(key).await;
        assert_eq!(get.status, StatusCode::OK, "GET {key}");
        assert_eq!(get.body, data, "GET {key} body");
        let head = self.head(key).await;
        assert_eq!(head.status, StatusCode::OK, "HEAD {key}");
        assert_eq!(
            normalised(&head.headers),
            normalised(&get.headers),
            "s3s HEAD vs GET {key}"
        );

        let d = self.direct(key, true).expect("direct GET hit");
        assert_same_head(&d.headers, &get.headers, &format!("direct GET {key}"));
        assert_eq!(d.body.as_deref(), Some(data), "direct GET {key} body");
        let d = self.direct(key, false).expect("direct HEAD hit");
        assert_same_head(&d.headers, &head.headers, &format!("direct HEAD {key}"));
        assert!(d.body.is_none());
        // A second hit answers from the memo, identically.
        let again = self.direct(key, true).expect("second hit");
        assert_eq!(ordered(&again.headers), normalised(&get.headers));
        self.same_as_s3s_with_checksum_mode(key, data).await;
        get.headers
    }

    /// GET and HEAD through s3s with checksum mode (as s3s compares it: any case), then both
    /// direct reads with `checksums` must match them.
    async fn same_as_s3s_with_checksum_mode(&self, key: &str, data: &[u8]) {
        for mode in ["ENABLED", "enabled"] {
            let hs = [("x-amz-checksum-mode", mode)];
            let get = self.send(Method::GET, &path(key), &hs, Vec::new()).await;
            assert_eq!(get.status, StatusCode::OK, "GET {key} {mode}");
            assert_eq!(get.body, data, "GET {key} {mode} body");
            let head = self.send(Method::HEAD, &path(key), &hs, Vec::new()).await;
            assert_eq!(head.status, StatusCode::OK, "HEAD {key} {mode}");
            assert_eq!(normalised(&head.headers), normalised(&get.headers));

            let d = self.direct_ck(key, true).expect("direct GET hit");
            assert_same_head(&d.headers, &get.headers, &format!("GET {key} {mode}"));
            assert_eq!(
                d.body.as_deref(),
                Some(data),
                "direct GET {key} {mode} body"
            );
            let d = self.direct_ck(key, false).expect("direct HEAD hit");
            assert_same_head(&d.headers, &head.headers, &format!("HEAD {key} {mode}"));
            assert!(d.body.is_none());
        }
    }
}

/// Every (name, value) in the map's order.
fn ordered(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| {
            let v = String::from_utf8(v.as_bytes().to_vec()).expect("no obs-text here");
            (n.as_str().to_owned(), v)
        })
        .collect()
}

/// `h` with each run of `x-amz-meta-*` headers sorted by name: s3s writes them from a HashMap,
/// in an order that changes from one response to the next.
fn normalised(h: &HeaderMap) -> Vec<(String, String)> {
    let mut v = ordered(h);
    let mut i = 0;
    while i < v.len() {
        let j = (i..v.len())
            .find(|&j| !v[j].0.starts_with("x-amz-meta-"))
            .unwrap_or(v.len());
        v[i..j].sort();
        i = j.max(i + 1);
    }
    v
}

/// Same names, same values, same order (but for the order within the `x-amz-meta-*` run).
fn assert_same_head(direct: &HeaderMap, s3s: &HeaderMap, what: &str) {
    assert_eq!(normalised(direct), normalised(s3s), "{what}");
    // The direct head already has the sorted order, so it is byte-stable across hits.
    assert_eq!(ordered(direct), normalised(direct), "{what}");
}

#[tokio::test]
async fn heads_and_bodies_equal_what_s3s_sends() {
    let h = harness().await;
    let plain = data(4096, 1);
    h.put("plain", &[], &plain).await;
    let hs = h.same_as_s3s("plain", &plain).await;
    assert_eq!(hs["content-type"], "binary/octet-stream");
    assert_eq!(hs["content-length"], "4096");
    assert_eq!(hs["etag"], format!("\"{}\"", md5_hex(&plain)).as_str());

    let with_headers = data(1000, 2);
    h.put(
        "with-headers",
        &[
            ("content-type", "text/plain; charset=utf-8"),
            ("cache-control", "max-age=60, must-revalidate"),
            ("content-disposition", "attachment; filename=\"a b.txt\""),
            ("content-encoding", "identity"),
            ("content-language", "de-CH"),
            ("expires", "Thu, 01 Jan 2032 08:09:10 GMT"),
        ],
        &with_headers,
    )
    .await;
    let hs = h.same_as_s3s("with-headers", &with_headers).await;
    for name in [
        "content-type",
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-language",
        "expires",
        "last-modified",
    ] {
        assert!(hs.contains_key(name), "{name} missing: {hs:?}");
    }
    assert_eq!(hs["expires"], "Thu, 01 Jan 2032 08:09:10 GMT");

    let meta = data(77, 3);
    h.put(
        "meta",
        &[
            ("X-Amz-Meta-Alpha", "first value"),
            ("x-amz-meta-BETA-two", "Second: (x=1; y=\"2\") ~!@#$%^&*"),
            ("x-amz-meta-c", ""),
            ("x-amz-meta-zz", "last"),
            ("content-type", "application/json"),
        ],
        &meta,
    )
    .await;
    let hs = h.same_as_s3s("meta", &meta).await;
    assert_eq!(hs["x-amz-meta-alpha"], "first value");
    assert_eq!(
        hs["x-amz-meta-beta-two"],
        "Second: (x=1; y=\"2\") ~!@#$%^&*"
    );
    assert_eq!(hs.get_all("x-amz-meta-c").iter().count(), 1);

    h.put("empty", &[], &[]).await;
    let hs = h.same_as_s3s("empty", &[]).await;
    assert_eq!(hs["content-length"], "0");

    let largest = data(64 << 10, 4);
    h.put("largest", &[("x-amz-meta-k", "v")], &largest).await;
    h.same_as_s3s("largest", &largest).await;

    let unicode = "dir/sub/ünïcødé 名前 +&=.txt";
    let u = data(333, 5);
    h.put(unicode, &[("content-language", "ja")], &u).await;
    h.same_as_s3s(unicode, &u).await;
}

#[tokio::test]
async fn multipart_objects_have_their_dash_n_etag() {
    let h = harness().await;
    // One small part: the whole object is cached with its bytes.
    let small = data(2000, 6);
    let id = create(&h.fs, B, "mp/one").await;
    let e1 = part(&h.fs, B, "mp/one", &id, 1, &small).await.unwrap();
    complete(&h.fs, B, "mp/one", &id, &[(1, &e1)])
        .await
        .unwrap();
    let hs = h.same_as_s3s("mp/one", &small).await;
    assert!(hs["etag"].to_str().unwrap().ends_with("-1\""), "{hs:?}");
    assert_eq!(hs["x-amz-meta-mpb"], "1");

    // Two parts, too big for the cached bytes: HEAD only.
    let (p1, p2) = (data(MIN_PART_SIZE as usize, 7), data(10, 8));
    let id = create(&h.fs, B, "mp/two").await;
    let e1 = part(&h.fs, B, "mp/two", &id, 1, &p1).await.unwrap();
    let e2 = part(&h.fs, B, "mp/two", &id, 2, &p2).await.unwrap();
    complete(&h.fs, B, "mp/two", &id, &[(1, &e1), (2, &e2)])
        .await
        .unwrap();
    let get = h.get("mp/two").await;
    assert_eq!(get.body.len(), p1.len() + p2.len());
    assert!(h.direct("mp/two", true).is_none(), "bytes are not cached");
    let head = h.head("mp/two").await;
    let d = h.direct("mp/two", false).expect("HEAD hit");
    assert_same_head(&d.headers, &head.headers, "direct HEAD mp/two");
    assert_same_head(&d.headers, &get.headers, "direct HEAD vs s3s GET mp/two");
    assert!(d.headers["etag"].to_str().unwrap().ends_with("-2\""));
}

#[tokio::test]
async fn misses_and_invalid_names_decline() {
    let h = harness().await;
    h.put("never-read", &[], b"abc").await;
    assert!(h.direct("never-read", true).is_none());
    assert!(h.direct("never-read", false).is_none());
    assert!(h.direct("missing", false).is_none());
    assert_eq!(h.get("missing").await.status, StatusCode::NOT_FOUND);
    assert!(h.direct("missing", false).is_none(), "a 404 is not cached");

    h.get("never-read").await;
    assert!(h.direct("never-read", true).is_some());
    for checksums in [false, true] {
        assert!(
            h.fs.direct_read("Direct", "never-read", false, checksums)
                .is_none()
        );
        assert!(
            h.fs.direct_read("other", "never-read", false, checksums)
                .is_none()
        );
        for bad in ["", "a/../never-read", "/never-read", "x\u{1}y"] {
            assert!(
                h.fs.direct_read(B, bad, false, checksums).is_none(),
                "{bad:?}"
            );
        }
    }
    // Long keys (past the lookup's stack buffer) still hit.
    let long = "k".repeat(1000);
    h.put(&long, &[], b"long").await;
    h.same_as_s3s(&long, b"long").await;
}

#[tokio::test]
async fn objects_over_the_cached_body_limit_decline_for_get_only() {
    let h = harness().await;
    let big = data((64 << 10) + 1, 9);
    h.put("big", &[("content-type", "image/png")], &big).await;
    let head = h.head("big").await;
    // Filled by HEAD: no bytes.
    assert!(h.direct("big", true).is_none());
    let d = h.direct("big", false).expect("HEAD hit");
    assert_same_head(&d.headers, &head.headers, "HEAD big");
    let get = h.get("big").await;
    assert_eq!(get.body, big);
    // A GET of a big object keeps the index entry only.
    assert!(h.direct("big", true).is_none());
    assert_same_head(&d.headers, &get.headers, "GET big");

    // A small object first cached by HEAD has no bytes until a GET fills them.
    h.put("small", &[], b"tiny").await;
    h.head("small").await;
    assert!(h.direct("small", true).is_none());
    assert!(h.direct("small", false).is_some());
    h.get("small").await;
    assert_eq!(
        h.direct("small", true).unwrap().body.as_deref(),
        Some(&b"tiny"[..])
    );
}

/// The direct answer after a write is nothing or the new object, never the old head or bytes.
fn not_old(h: &Harness, key: &str, old: &DirectRead) {
    for (want_body, checksums) in [(true, false), (false, false), (true, true), (false, true)] {
        if let Some(d) = h.fs.direct_read(B, key, want_body, checksums) {
            assert_ne!(d.headers["etag"], old.headers["etag"], "old head for {key}");
            if want_body {
                assert_ne!(d.body, old.body, "old bytes for {key}");
            }
        }
    }
}

#[tokio::test]
async fn writes_are_never_answered_with_the_old_head_or_bytes() {
    let h = harness().await;
    let v1 = data(3000, 10);
    h.put("k", &[("x-amz-meta-v", "1")], &v1).await;
    h.same_as_s3s("k", &v1).await;
    let old = h.direct("k", true).unwrap();

    let v2 = data(3001, 11);
    h.put("k", &[("x-amz-meta-v", "2")], &v2).await;
    not_old(&h, "k", &old);
    let hs = h.same_as_s3s("k", &v2).await;
    assert_eq!(hs["x-amz-meta-v"], "2");

    let del = h.send(Method::DELETE, &path("k"), &[], Vec::new()).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    assert!(h.direct("k", true).is_none());
    assert!(h.direct("k", false).is_none());

    // Copy over a cached object.
    h.put("src", &[], b"source").await;
    h.put("dst", &[], b"destination").await;
    h.same_as_s3s("dst", b"destination").await;
    let old = h.direct("dst", true).unwrap();
    let copy = h
        .send(
            Method::PUT,
            &path("dst"),
            &[("x-amz-copy-source", &format!("/{B}/src"))],
            Vec::new(),
        )
        .await;
    assert_eq!(copy.status, StatusCode::OK);
    not_old(&h, "dst", &old);
    h.same_as_s3s("dst", b"source").await;
}

#[tokio::test]
async fn values_s3s_would_encode_or_refuse_decline() {
    let h = harness().await;
    // Sent RFC 2047-encoded ("héllo"), stored decoded, sent back encoded by s3s.
    h.put("utf8", &[("x-amz-meta-n", "=?UTF-8?B?aMOpbGxv?=")], b"x")
        .await;
    let get = h.get("utf8").await;
    assert_eq!(get.headers["x-amz-meta-n"], "=?UTF-8?B?aMOpbGxv?=");
    assert!(h.direct("utf8", true).is_none());
    assert!(h.direct("utf8", false).is_none());

    // A tab is a valid header byte, but s3s encodes it.
    let mut meta = s3s::dto::Metadata::new();
    meta.insert("t".into(), "a\tb".into());
    h.fs.put_object(req(PutObjectInput {
        metadata: Some(meta),
        ..put_input(B, "tab", b"x")
    }))
    .await
    .unwrap();
    let get = h.get("tab").await;
    assert_eq!(get.status, StatusCode::OK);
    assert_ne!(get.headers["x-amz-meta-t"], "a\tb");
    assert!(h.direct("tab", false).is_none());

    // A value HeaderValue refuses: s3s fails the request; the direct path declines.
    h.fs.put_object(req(PutObjectInput {
        content_disposition: Some("a\u{1}b".into()),
        ..put_input(B, "ctl", b"x")
    }))
    .await
    .unwrap();
    h.head("ctl").await;
    assert!(h.direct("ctl", false).is_none());
}

fn b64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Every `x-amz-checksum-*` header, in the map's order.
fn checksum_headers(h: &HeaderMap) -> Vec<(String, String)> {
    ordered(h)
        .into_iter()
        .filter(|(n, _)| n.starts_with("x-amz-checksum-"))
        .collect()
}

#[tokio::test]
async fn checksum_mode_adds_the_stored_checksums_as_s3s_does() {
    use s3s::crypto::{Checksum as _, Crc32, Crc32c, Crc64Nvme, Sha1, Sha256};
    let h = harness().await;

    let one = data(5000, 12);
    let crc32 = b64(&Crc32::checksum(&one));
    h.put("crc32", &[("x-amz-checksum-crc32", &crc32)], &one)
        .await;
    h.same_as_s3s("crc32", &one).await;
    let d = h.direct_ck("crc32", true).unwrap();
    assert_eq!(
        checksum_headers(&d.headers),
        [("x-amz-checksum-crc32".to_owned(), crc32.clone())]
    );
    let plain = h.direct("crc32", true).unwrap();
    assert!(checksum_headers(&plain.headers).is_empty(), "{plain:?}");

    let c = data(100, 13);
    let crc32c = b64(&Crc32c::checksum(&c));
    h.put(
        "crc32c",
        &[
            ("x-amz-checksum-crc32c", &crc32c),
            ("cache-control", "no-cache"),
            ("content-type", "text/csv"),
            ("x-amz-meta-m", "v"),
        ],
        &c,
    )
    .await;
    // Checksum mode asked first: the plain head is still rendered without checksums.
    h.get("crc32c").await;
    let d = h.direct_ck("crc32c", true).unwrap();
    let names: Vec<_> = ordered(&d.headers).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        &names[..3],
        ["accept-ranges", "cache-control", "x-amz-checksum-crc32c"]
    );
    assert!(checksum_headers(&h.direct("crc32c", false).unwrap().headers).is_empty());
    h.same_as_s3s("crc32c", &c).await;

    // Two given at once (the largest object cached with its bytes).
    let s = data(64 << 10, 14);
    let sha256 = b64(&Sha256::checksum(&s));
    h.put(
        "sha256+crc32",
        &[
            ("x-amz-checksum-sha256", &sha256),
            ("x-amz-checksum-crc32", &b64(&Crc32::checksum(&s))),
        ],
        &s,
    )
    .await;
    h.same_as_s3s("sha256+crc32", &s).await;
    let d = h.direct_ck("sha256+crc32", true).unwrap();
    assert_eq!(
        checksum_headers(&d.headers),
        [
            ("x-amz-checksum-crc32".to_owned(), b64(&Crc32::checksum(&s))),
            ("x-amz-checksum-sha256".to_owned(), sha256),
        ]
    );

    // All five, each in s3s's place.
    let all = data(2048, 15);
    let sums = [
        ("x-amz-checksum-sha256", b64(&Sha256::checksum(&all))),
        ("x-amz-checksum-sha1", b64(&Sha1::checksum(&all))),
        ("x-amz-checksum-crc64nvme", b64(&Crc64Nvme::checksum(&all))),
        ("x-amz-checksum-crc32c", b64(&Crc32c::checksum(&all))),
        ("x-amz-checksum-crc32", b64(&Crc32::checksum(&all))),
    ];
    let mut hs: Vec<(&str, &str)> = sums.iter().map(|(n, v)| (*n, v.as_str())).collect();
    hs.push(("content-disposition", "inline"));
    h.put("all", &hs, &all).await;
    h.same_as_s3s("all", &all).await;
    let d = h.direct_ck("all", true).unwrap();
    let expected: Vec<_> = sums
        .iter()
        .rev()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect();
    assert_eq!(checksum_headers(&d.headers), expected);

    // Too big for the cached bytes: HEAD only, with its checksum too.
    let big = data((64 << 10) + 1, 16);
    let big_crc = b64(&Crc32::checksum(&big));
    h.put("big", &[("x-amz-checksum-crc32", &big_crc)], &big)
        .await;
    let head = h
        .send(
            Method::HEAD,
            &path("big"),
            &[("x-amz-checksum-mode", "Enabled")],
            Vec::new(),
        )
        .await;
    assert_eq!(head.headers["x-amz-checksum-crc32"], big_crc.as_str());
    assert!(h.direct_ck("big", true).is_none());
    let d = h.direct_ck("big", false).expect("HEAD hit");
    assert_same_head(&d.headers, &head.headers, "HEAD big with checksum mode");

    // An overwrite never leaves the old head of either variant.
    let old = h.direct_ck("crc32", true).unwrap();
    let next = data(5001, 17);
    let next_crc = b64(&Crc32::checksum(&next));
    h.put("crc32", &[("x-amz-checksum-crc32", &next_crc)], &next)
        .await;
    not_old(&h, "crc32", &old);
    h.same_as_s3s("crc32", &next).await;
    assert_eq!(
        h.direct_ck("crc32", false).unwrap().headers["x-amz-checksum-crc32"],
        next_crc.as_str()
    );
}
