//! The direct read path: a plain header-signed GetObject / HeadObject of a whole object that the
//! backend holds in memory is verified, authorised and answered here, without s3s.
//!
//! s3s's generic machinery (parsing the request into a typed input, deriving the SigV4 signing
//! key, building the canonical request and string to sign as strings, serialising the typed
//! output, formatting `Last-Modified`) was about a third of the server's CPU per small GET. This
//! path handles only the commonest shape of request and hands everything else to s3s untouched:
//!
//! - `GET` or `HEAD` over HTTP/1.x, path style `/bucket/key` with a valid bucket name and a key
//!   whose bytes need no percent-encoding, no query (or only the `x-id=GetObject` that AWS SDKs
//!   add to a GET), no body;
//! - only the headers [`allowed_header`] lists: no `Range`, conditionals, SSE-C or anything else
//!   that would change the answer; but one `x-amz-checksum-mode: ENABLED` (any ASCII case, as s3s
//!   and the backend compare it), which AWS SDKs send on every GetObject by default: the backend
//!   then answers with the stored checksums ([`DirectReads::direct_read`]'s `checksums`); any
//!   other value, or the header twice, goes to s3s;
//! - a SigV4 `Authorization` header ([`sigv4`]) that verifies with the secret s3s would use
//!   ([`Identities::secret_key`], inside the request's session scope, so temporary credentials
//!   are verified against their session token exactly as on the s3s path);
//! - the same authentication and decision as the s3s access hook ([`Access::allows`]);
//! - an object the backend answers from memory ([`DirectReads`]).
//!
//! Any step that does not succeed returns `None` and the caller sends the request through s3s,
//! which decides it again from scratch and answers errors in its usual form. So this path can
//! only answer successes that s3s would also answer; the server's differential tests
//! (`tests/direct_reads.rs`) compare both paths response by response.
//!
//! The object is read only after the request is authenticated and allowed, so whether an object
//! is in memory never shows in the timing of a refused request.

pub(crate) mod sigv4;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http::{Method, Request, Response, Version};
use s3s::Body;
use strongbox_storage::DirectReads;
use time::OffsetDateTime;

use crate::access::{Access, AccessQuery};
use crate::http::ConnectionInfo;
use crate::identity::Identities;
use crate::server::MAX_CLOCK_SKEW_SECS;

/// The query AWS SDKs add to a GetObject (signed like any query).
const SDK_GET_QUERY: &str = "x-id=GetObject";

/// Answers the requests described in the module docs.
pub struct DirectReadPath {
    access: Access,
    identities: Arc<Identities>,
    reads: Arc<dyn DirectReads>,
    served: AtomicU64,
}

impl std::fmt::Debug for DirectReadPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectReadPath")
            .field("served", &self.served())
            .finish_non_exhaustive()
    }
}

/// A request the direct path may answer, taken apart.
struct Plain<'a> {
    head: bool,
    bucket: &'a str,
    key: &'a str,
    query: &'a str,
    /// `x-amz-checksum-mode: ENABLED`.
    checksums: bool,
}

impl DirectReadPath {
    #[must_use]
    pub(crate) fn new(
        access: Access,
        identities: Arc<Identities>,
        reads: Arc<dyn DirectReads>,
    ) -> Self {
        Self {
            access,
            identities,
            reads,
            served: AtomicU64::new(0),
        }
    }

    /// Requests answered here since start.
    #[must_use]
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// The response, or `None`: then the request goes through s3s. Call inside the request's
    /// session scope ([`crate::sts::session::scope`]) when the server has STS.
    pub(crate) fn try_serve(
        &self,
        req: &Request<Body>,
        connection: Option<&ConnectionInfo>,
    ) -> Option<Response<Body>> {
        let plain = plain(req)?;
        let headers = req.headers();
        let auth = sigv4::parse(headers)?;
        let now = OffsetDateTime::now_utc();
        let resolution = self.identities.resolve(auth.access_key, now).ok()?;
        let canonical = sigv4::Canonical {
            method: if plain.head { "HEAD" } else { "GET" },
            uri: req.uri().path(),
            query: plain.query,
        };
        if !sigv4::verify(
            headers,
            &auth,
            &canonical,
            resolution.secret_key(),
            now,
            MAX_CLOCK_SKEW_SECS,
        ) {
            return None;
        }
        self.access
            .allows(AccessQuery {
                credentials: None,
                resolved: Some(resolution),
                headers,
                uri: req.uri(),
                op: if plain.head {
                    "HeadObject"
                } else {
                    "GetObject"
                },
                bucket: plain.bucket,
                object: Some(plain.key),
                connection,
                now,
            })
            .ok()?;
        let read = self
            .reads
            .direct_read(plain.bucket, plain.key, !plain.head, plain.checksums)?;
        let mut resp = Response::new(read.body.map_or_else(Body::empty, Body::from));
        *resp.headers_mut() = read.headers;
        self.served.fetch_add(1, Ordering::Relaxed);
        Some(resp)
    }
}

/// The request, if it has the shape the module docs describe (before authentication).
fn plain(req: &Request<Body>) -> Option<Plain<'_>> {
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => return None,
    };
    if !matches!(req.version(), Version::HTTP_11 | Version::HTTP_10) {
        return None;
    }
    let query = match req.uri().query() {
        None => "",
        Some(SDK_GET_QUERY) if !head => SDK_GET_QUERY,
        Some(_) => return None,
    };
    let path = req.uri().path();
    let (bucket, key) = path.strip_prefix('/')?.split_once('/')?;
    if key.is_empty()
        || key.len() > 1024
        || bucket == "minio"
        || !s3s::path::check_bucket_name(bucket)
        || !path.bytes().all(needs_no_encoding)
    {
        return None;
    }
    let mut checksums = false;
    for (name, value) in req.headers() {
        if name.as_str() == CHECKSUM_MODE {
            if checksums || !value.as_bytes().eq_ignore_ascii_case(b"ENABLED") {
                return None;
            }
            checksums = true;
        } else if !allowed_header(name, value) {
            return None;
        }
    }
    Some(Plain {
        head,
        bucket,
        key,
        query,
        checksums,
    })
}

/// Accepted once, with the value `ENABLED` in any ASCII case (see the module docs).
const CHECKSUM_MODE: &str = "x-amz-checksum-mode";

/// The request headers the direct path accepts besides [`CHECKSUM_MODE`]; any other header sends
/// the request to s3s.
fn allowed_header(name: &http::HeaderName, value: &http::HeaderValue) -> bool {
    match name.as_str() {
        "host"
        | "authorization"
        | "x-amz-date"
        | "x-amz-content-sha256"
        | "x-amz-security-token"
        | "user-agent"
        | "x-amz-user-agent"
        | "accept"
        | "accept-encoding"
        | "connection"
        | "amz-sdk-invocation-id"
        | "amz-sdk-request" => true,
        "content-length" => value.as_bytes() == b"0",
        _ => false,
    }
}

/// Path bytes that SigV4's URI encoding keeps as they are (with `/`), so the path is its own
/// canonical form and its own decoding.
fn needs_no_encoding(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
        let mut b = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn only_plain_whole_object_reads_qualify() {
        type Shape = (bool, String, String, String, bool);
        fn ok(r: &Request<Body>) -> Option<Shape> {
            plain(r).map(|p| {
                let (b, k, q) = (p.bucket.into(), p.key.into(), p.query.into());
                (p.head, b, k, q, p.checksums)
            })
        }
        let some =
            |head, b: &str, k: &str, q: &str, c| Some((head, b.into(), k.into(), q.into(), c));
        assert_eq!(
            ok(&req("GET", "/bkt/a/b.txt", &[("host", "h")])),
            some(false, "bkt", "a/b.txt", "", false)
        );
        assert_eq!(
            ok(&req("HEAD", "/bkt/k", &[("content-length", "0")])),
            some(true, "bkt", "k", "", false)
        );
        assert_eq!(
            ok(&req("GET", "/bkt/k?x-id=GetObject", &[])),
            some(false, "bkt", "k", "x-id=GetObject", false)
        );
        for mode in ["ENABLED", "enabled", "Enabled", "eNaBlEd"] {
            let hs = [("host", "h"), ("x-amz-checksum-mode", mode)];
            assert_eq!(
                ok(&req("GET", "/bkt/k?x-id=GetObject", &hs)),
                some(false, "bkt", "k", "x-id=GetObject", true),
                "{mode}"
            );
            assert_eq!(
                ok(&req("HEAD", "/bkt/k", &hs)),
                some(true, "bkt", "k", "", true),
                "{mode}"
            );
        }
        for (method, uri, headers) in [
            ("PUT", "/bkt/k", &[][..]),
            ("HEAD", "/bkt/k?x-id=GetObject", &[]),
            ("GET", "/bkt/k?versionId=1", &[]),
            ("GET", "/bkt/k?", &[]),
            ("GET", "/bkt/", &[]),
            ("GET", "/bkt", &[]),
            ("GET", "/", &[]),
            ("GET", "/minio/k", &[]),
            ("GET", "/Bkt/k", &[]),
            ("GET", "/bkt/a%20b", &[]),
            ("GET", "/bkt/a+b", &[]),
            ("GET", "/bkt/k", &[("range", "bytes=0-1")]),
            ("GET", "/bkt/k", &[("if-none-match", "\"x\"")]),
            ("GET", "/bkt/k", &[("x-amz-checksum-mode", "DISABLED")]),
            ("GET", "/bkt/k", &[("x-amz-checksum-mode", "")]),
            ("GET", "/bkt/k", &[("x-amz-checksum-mode", "ENABLED ")]),
            ("GET", "/bkt/k", &[("x-amz-checksum-mode", "ENABLE")]),
            ("GET", "/bkt/k", &[("x-amz-checksum-mode", "ENABLEDX")]),
            (
                "GET",
                "/bkt/k",
                &[
                    ("x-amz-checksum-mode", "ENABLED"),
                    ("x-amz-checksum-mode", "ENABLED"),
                ],
            ),
            (
                "GET",
                "/bkt/k",
                &[("x-amz-checksum-mode", "ENABLED"), ("range", "bytes=0-1")],
            ),
            ("GET", "/bkt/k", &[("content-length", "1")]),
            ("GET", "/bkt/k", &[("transfer-encoding", "chunked")]),
        ] {
            assert!(
                ok(&req(method, uri, headers)).is_none(),
                "{method} {uri} {headers:?}"
            );
        }
        let long = format!("/bkt/{}", "k".repeat(1025));
        assert!(ok(&req("GET", &long, &[])).is_none());
        let mut h2 = req("GET", "/bkt/k", &[]);
        *h2.version_mut() = Version::HTTP_2;
        assert!(ok(&h2).is_none());
    }
}
