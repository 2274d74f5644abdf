//! Conditional GetObject/HeadObject: If-Match, If-None-Match, If-Modified-Since,
//! If-Unmodified-Since, with the precedence the S3 GetObject documentation gives (RFC 7232).

use aws_sdk_s3::primitives::{ByteStream, DateTime};

use crate::common::data::quoted_md5;
use crate::common::{Server, err_status};

struct Fixture {
    _server: Server,
    s3: aws_sdk_s3::Client,
    etag: String,
    last_modified: DateTime,
}

async fn fixture() -> Fixture {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("cond").send().await.unwrap();
    s3.put_object()
        .bucket("cond")
        .key("k")
        .body(ByteStream::from_static(b"conditional body"))
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket("cond")
        .key("k")
        .send()
        .await
        .unwrap();
    let etag = head.e_tag().expect("etag").to_string();
    assert_eq!(etag, quoted_md5(b"conditional body"));
    let last_modified = *head.last_modified().expect("last-modified");
    Fixture {
        _server: server,
        s3,
        etag,
        last_modified,
    }
}

fn shifted(t: &DateTime, secs: i64) -> DateTime {
    DateTime::from_secs(t.secs() + secs)
}

#[tokio::test]
async fn if_match() {
    let f = fixture().await;
    let get = || f.s3.get_object().bucket("cond").key("k");
    get()
        .if_match(&f.etag)
        .send()
        .await
        .expect("If-Match with the current ETag");
    get().if_match("*").send().await.expect("If-Match: *");
    assert_eq!(
        err_status(
            get()
                .if_match("\"0123456789abcdef0123456789abcdef\"")
                .send()
                .await
        ),
        412
    );
    let head = f.s3.head_object().bucket("cond").key("k");
    assert_eq!(
        err_status(
            head.if_match("\"ffffffffffffffffffffffffffffffff\"")
                .send()
                .await
        ),
        412
    );
}

#[tokio::test]
async fn if_none_match() {
    let f = fixture().await;
    let get = || f.s3.get_object().bucket("cond").key("k");
    assert_eq!(err_status(get().if_none_match(&f.etag).send().await), 304);
    let out = get()
        .if_none_match("\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await
        .expect("If-None-Match with another ETag");
    assert_eq!(
        out.body.collect().await.unwrap().into_bytes().as_ref(),
        b"conditional body"
    );
    let head = f.s3.head_object().bucket("cond").key("k");
    assert_eq!(err_status(head.if_none_match(&f.etag).send().await), 304);
}

#[tokio::test]
async fn if_modified_since() {
    let f = fixture().await;
    let get = || f.s3.get_object().bucket("cond").key("k");
    assert_eq!(
        err_status(get().if_modified_since(f.last_modified).send().await),
        304
    );
    get()
        .if_modified_since(shifted(&f.last_modified, -3600))
        .send()
        .await
        .expect("modified since an hour before");
}

#[tokio::test]
async fn if_unmodified_since() {
    let f = fixture().await;
    let get = || f.s3.get_object().bucket("cond").key("k");
    get()
        .if_unmodified_since(f.last_modified)
        .send()
        .await
        .expect("unmodified since its own Last-Modified");
    assert_eq!(
        err_status(
            get()
                .if_unmodified_since(shifted(&f.last_modified, -3600))
                .send()
                .await
        ),
        412
    );
}

/// S3 GetObject docs: If-Match true + If-Unmodified-Since false → 200; If-None-Match false +
/// If-Modified-Since true → 304.
#[tokio::test]
async fn condition_precedence() {
    let f = fixture().await;
    let get = || f.s3.get_object().bucket("cond").key("k");
    get()
        .if_match(&f.etag)
        .if_unmodified_since(shifted(&f.last_modified, -3600))
        .send()
        .await
        .expect("If-Match wins over If-Unmodified-Since");
    assert_eq!(
        err_status(
            get()
                .if_none_match(&f.etag)
                .if_modified_since(shifted(&f.last_modified, -3600))
                .send()
                .await
        ),
        304
    );
}
