//! PutObject, GetObject (whole and Range), HeadObject, DeleteObject, DeleteObjects, metadata and
//! standard headers.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::common::data::{quoted_md5, random_bytes, unquote};
use crate::common::{Server, err_code, err_status};

async fn get_bytes(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("GetObject");
    out.body
        .collect()
        .await
        .expect("read body")
        .into_bytes()
        .to_vec()
}

#[tokio::test]
async fn put_get_round_trip_with_md5_etag() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("objs").send().await.unwrap();

    for (i, len) in [0usize, 1, 4096, 1_000_003].into_iter().enumerate() {
        let data = random_bytes(len, i as u64);
        let key = format!("obj-{len}");
        let put = s3
            .put_object()
            .bucket("objs")
            .key(&key)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            put.e_tag(),
            Some(quoted_md5(&data).as_str()),
            "PUT ETag of {len} bytes"
        );

        let got = s3
            .get_object()
            .bucket("objs")
            .key(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(got.e_tag(), Some(quoted_md5(&data).as_str()));
        assert_eq!(got.content_length(), Some(len as i64));
        let body = got.body.collect().await.unwrap().into_bytes();
        assert!(
            body.as_ref() == data.as_slice(),
            "content of {len}-byte object differs"
        );
    }
}

#[tokio::test]
async fn put_overwrites_and_streamed_file_body_works() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("over").send().await.unwrap();
    s3.put_object()
        .bucket("over")
        .key("k")
        .body(ByteStream::from_static(
            b"first version, longer than the second",
        ))
        .send()
        .await
        .unwrap();

    // A body streamed from a file: the SDK sends it with aws-chunked encoding and a trailing
    // checksum when it cannot hash it up front.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body");
    let data = random_bytes(3 * 1024 * 1024 + 17, 7);
    std::fs::write(&path, &data).unwrap();
    let put = s3
        .put_object()
        .bucket("over")
        .key("k")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(put.e_tag(), Some(quoted_md5(&data).as_str()));
    assert_eq!(get_bytes(&s3, "over", "k").await, data);
}

#[tokio::test]
async fn range_requests() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("ranges").send().await.unwrap();
    let data = random_bytes(10_000, 3);
    s3.put_object()
        .bucket("ranges")
        .key("r")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();

    let cases: [(&str, std::ops::Range<usize>); 4] = [
        ("bytes=0-0", 0..1),
        ("bytes=100-199", 100..200),
        ("bytes=9990-", 9990..10_000),
        ("bytes=-25", 9975..10_000),
    ];
    for (range, want) in cases {
        let out = s3
            .get_object()
            .bucket("ranges")
            .key("r")
            .range(range)
            .send()
            .await
            .unwrap();
        let content_range = out.content_range().map(str::to_string);
        let len = out.content_length();
        let body = out.body.collect().await.unwrap().into_bytes();
        assert_eq!(body.as_ref(), &data[want.clone()], "{range}");
        assert_eq!(len, Some(want.len() as i64), "{range}");
        assert_eq!(
            content_range.as_deref(),
            Some(format!("bytes {}-{}/10000", want.start, want.end - 1).as_str()),
            "{range}"
        );
    }
    // A range that starts past the end cannot be satisfied.
    let res = s3
        .get_object()
        .bucket("ranges")
        .key("r")
        .range("bytes=20000-")
        .send()
        .await;
    assert_eq!(err_code(res), "InvalidRange");
}

#[tokio::test]
async fn metadata_and_standard_headers_round_trip() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("meta").send().await.unwrap();
    s3.put_object()
        .bucket("meta")
        .key("doc.html")
        .body(ByteStream::from_static(b"<p>hi</p>"))
        .content_type("text/html; charset=utf-8")
        .content_disposition("attachment; filename=\"doc.html\"")
        .content_encoding("identity")
        .content_language("en-GB")
        .cache_control("max-age=60")
        .metadata("color", "blue")
        .metadata("Mixed-Case", "Value With Spaces")
        .send()
        .await
        .unwrap();

    let head = s3
        .head_object()
        .bucket("meta")
        .key("doc.html")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/html; charset=utf-8"));
    assert_eq!(
        head.content_disposition(),
        Some("attachment; filename=\"doc.html\"")
    );
    assert_eq!(head.content_encoding(), Some("identity"));
    assert_eq!(head.content_language(), Some("en-GB"));
    assert_eq!(head.cache_control(), Some("max-age=60"));
    assert_eq!(head.content_length(), Some(9));
    assert!(head.last_modified().is_some());
    let meta = head.metadata().expect("user metadata");
    assert_eq!(meta.get("color").map(String::as_str), Some("blue"));
    assert_eq!(
        meta.get("mixed-case").map(String::as_str),
        Some("Value With Spaces")
    );

    let get = s3
        .get_object()
        .bucket("meta")
        .key("doc.html")
        .send()
        .await
        .unwrap();
    assert_eq!(get.content_type(), Some("text/html; charset=utf-8"));
    assert_eq!(
        get.metadata()
            .and_then(|m| m.get("color"))
            .map(String::as_str),
        Some("blue")
    );
}

#[tokio::test]
async fn head_and_get_missing_object() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("miss").send().await.unwrap();
    assert_eq!(
        err_code(s3.get_object().bucket("miss").key("nope").send().await),
        "NoSuchKey"
    );
    assert_eq!(
        err_status(s3.head_object().bucket("miss").key("nope").send().await),
        404
    );
}

#[tokio::test]
async fn head_object_matches_put() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("heads").send().await.unwrap();
    let data = random_bytes(12_345, 9);
    s3.put_object()
        .bucket("heads")
        .key("h")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket("heads")
        .key("h")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(12_345));
    assert_eq!(head.e_tag().map(unquote), Some(unquote(&quoted_md5(&data))));
}

#[tokio::test]
async fn delete_object_is_idempotent() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("del").send().await.unwrap();
    s3.put_object()
        .bucket("del")
        .key("a/b")
        .body(ByteStream::from_static(b"1"))
        .send()
        .await
        .unwrap();
    s3.delete_object()
        .bucket("del")
        .key("a/b")
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_code(s3.get_object().bucket("del").key("a/b").send().await),
        "NoSuchKey"
    );
    // S3 answers 204 for a key that is not there.
    s3.delete_object()
        .bucket("del")
        .key("a/b")
        .send()
        .await
        .expect("second delete");
    s3.delete_object()
        .bucket("del")
        .key("never-was")
        .send()
        .await
        .expect("delete of a missing key");
    let list = s3.list_objects_v2().bucket("del").send().await.unwrap();
    assert_eq!(list.key_count(), Some(0), "{list:?}");
}

#[tokio::test]
async fn delete_objects_batch() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("batch").send().await.unwrap();
    for k in ["one", "two", "dir/three", "keep"] {
        s3.put_object()
            .bucket("batch")
            .key(k)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let ids = ["one", "two", "dir/three", "absent"]
        .iter()
        .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
        .collect::<Vec<_>>();
    let out = s3
        .delete_objects()
        .bucket("batch")
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    assert!(out.errors().is_empty(), "errors: {:?}", out.errors());
    let mut deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort_unstable();
    // S3 reports a key that did not exist as deleted, too.
    assert_eq!(deleted, ["absent", "dir/three", "one", "two"]);

    let list = s3.list_objects_v2().bucket("batch").send().await.unwrap();
    let keys: Vec<&str> = list.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["keep"]);

    // Quiet mode reports nothing on success.
    let quiet = s3
        .delete_objects()
        .bucket("batch")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("keep").build().unwrap())
                .quiet(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        quiet.deleted().is_empty() && quiet.errors().is_empty(),
        "{quiet:?}"
    );
    let list = s3.list_objects_v2().bucket("batch").send().await.unwrap();
    assert_eq!(list.key_count(), Some(0));
}
