//! The direct read path with `x-amz-checksum-mode: ENABLED`, which AWS SDKs (aws-sdk-rust, and
//! boto3 from 1.36) send on every GetObject by default. Differential as tests/direct_reads.rs:
//! the same request to a server with the direct path and one without, every header but `Date`
//! and `x-amz-request-id` compared. A whole-object read with the mode (value in any ASCII case) is
//! answered directly, with the checksums stored with the object in s3s's place and order, or with
//! the usual head for an object stored without any; another value, the header twice or the mode
//! with anything else the path declines goes to s3s with the same answer.

#[allow(dead_code)]
mod common;
#[allow(dead_code)] // shared with tests/direct_reads.rs
mod direct_reads_support;
mod sts_common; // allows its own dead code (each test file uses a part)

use common::sigv4::UNSIGNED_PAYLOAD;
use direct_reads_support::{Pair, Req, Who, checksummed, req};

const MODE: &str = "x-amz-checksum-mode";

fn root(method: &'static str, path: &str) -> Req {
    req(Who::Root, method, path)
}

/// The `x-amz-checksum-*` headers of `h`, in order.
fn checksum_headers(h: &http::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .filter(|(n, _)| n.as_str().starts_with("x-amz-checksum-"))
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn checksum_mode_is_answered_directly_as_s3s_answers_it() {
    let p = Pair::start().await;
    // Objects stored without checksums: the same head as without the mode.
    for path in ["/data/plain.txt", "/data/full.txt", "/data/empty"] {
        for method in ["GET", "HEAD"] {
            for value in ["ENABLED", "enabled"] {
                let name = format!("{method} {path} {MODE}: {value}");
                let d = p
                    .check(
                        &name,
                        &root(method, path).signed(&[(MODE, value)]),
                        200,
                        true,
                    )
                    .await;
                assert_eq!(checksum_headers(&d.headers), [], "{name}");
            }
        }
    }
    // Cached without its bytes: HEAD only.
    p.check(
        "HEAD of an object over 64 KiB",
        &root("HEAD", "/data/big").signed(&[(MODE, "ENABLED")]),
        200,
        true,
    )
    .await;

    for (path, body, sums) in checksummed() {
        for method in ["GET", "HEAD"] {
            for value in ["ENABLED", "enabled", "Enabled"] {
                let name = format!("{method} {path} {MODE}: {value}");
                let d = p
                    .check(
                        &name,
                        &root(method, path).signed(&[(MODE, value)]),
                        200,
                        true,
                    )
                    .await;
                assert_eq!(checksum_headers(&d.headers), sums, "{name}");
                if method == "GET" {
                    assert_eq!(d.body, body, "{name}");
                }
            }
            // Without the mode the stored checksums are not sent, directly or not.
            let name = format!("{method} {path} without {MODE}");
            let d = p.check(&name, &root(method, path), 200, true).await;
            assert_eq!(checksum_headers(&d.headers), [], "{name}");
        }
    }

    let sums = "/data/sums.txt";
    for (name, r) in [
        (
            "as aws-sdk-rust sends a default GetObject, with a session",
            req(Who::Temp, "GET", sums)
                .query(&[("x-id", "GetObject")])
                .payload(UNSIGNED_PAYLOAD)
                .signed(&[
                    (MODE, "ENABLED"),
                    (
                        "amz-sdk-invocation-id",
                        "5d1e8f0e-0000-4000-8000-000000000000",
                    ),
                    ("amz-sdk-request", "attempt=1; max=3"),
                    ("x-amz-user-agent", "aws-sdk-rust/1.0"),
                ])
                .unsigned(&[("user-agent", "aws-sdk-rust/1.0 os/linux")]),
        ),
        (
            "IAM user allowed, HEAD",
            req(Who::User(direct_reads_support::READER), "HEAD", sums).signed(&[(MODE, "ENABLED")]),
        ),
        (
            "the mode sent unsigned",
            root("GET", sums).unsigned(&[(MODE, "ENABLED")]),
        ),
    ] {
        let d = p.check(name, &r, 200, true).await;
        assert_eq!(checksum_headers(&d.headers).len(), 5, "{name}");
    }
}

#[tokio::test]
async fn other_checksum_modes_go_to_s3s_with_the_same_answer() {
    let p = Pair::start().await;
    let sums = "/data/sums.txt";
    for (name, r, status) in [
        (
            "another value",
            root("GET", sums).signed(&[(MODE, "DISABLED")]),
            200,
        ),
        (
            "a prefix of it",
            root("GET", sums).signed(&[(MODE, "ENABLE")]),
            200,
        ),
        (
            "an empty value",
            root("GET", sums).signed(&[(MODE, "")]),
            200,
        ),
        (
            "the mode with a Range",
            root("GET", sums).signed(&[(MODE, "ENABLED"), ("range", "bytes=0-3")]),
            206,
        ),
        (
            "the mode with a conditional",
            root("GET", sums).signed(&[(MODE, "ENABLED"), ("if-match", "\"0000\"")]),
            412,
        ),
        (
            "the mode on an object whose bytes are not cached",
            root("GET", "/data/big").signed(&[(MODE, "ENABLED")]),
            200,
        ),
        (
            "the mode on a missing key",
            root("GET", "/data/nope").signed(&[(MODE, "ENABLED")]),
            404,
        ),
        (
            "the mode by someone not allowed",
            req(Who::User(direct_reads_support::NARROW), "GET", sums).signed(&[(MODE, "ENABLED")]),
            403,
        ),
    ] {
        p.check(name, &r, status, false).await;
    }
    // s3s refuses a header sent twice.
    let twice = root("GET", sums).unsigned(&[(MODE, "ENABLED"), (MODE, "ENABLED")]);
    p.check_error("the mode twice", &twice, 400, "InvalidRequest")
        .await;
}
