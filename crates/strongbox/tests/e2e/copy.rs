//! CopyObject with the COPY and REPLACE metadata directives.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::MetadataDirective;

use crate::common::data::{quoted_md5, random_bytes};
use crate::common::sigv4::uri_encode;
use crate::common::{Server, err_code};

async fn setup() -> (Server, aws_sdk_s3::Client, Vec<u8>) {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("src").send().await.unwrap();
    s3.create_bucket().bucket("dst").send().await.unwrap();
    let data = random_bytes(200_000, 11);
    s3.put_object()
        .bucket("src")
        .key("dir/original file.bin")
        .body(ByteStream::from(data.clone()))
        .content_type("application/x-original")
        .metadata("origin", "source")
        .send()
        .await
        .unwrap();
    (server, s3, data)
}

fn source() -> String {
    format!("src/{}", uri_encode("dir/original file.bin", true))
}

#[tokio::test]
async fn copy_keeps_metadata_by_default() {
    let (_server, s3, data) = setup().await;
    let out = s3
        .copy_object()
        .bucket("dst")
        .key("copied")
        .copy_source(source())
        // With COPY, metadata given on the request is ignored.
        .metadata("origin", "ignored")
        .send()
        .await
        .unwrap();
    let etag = out
        .copy_object_result()
        .and_then(|r| r.e_tag())
        .expect("CopyObjectResult ETag");
    assert_eq!(etag, quoted_md5(&data));

    let got = s3
        .get_object()
        .bucket("dst")
        .key("copied")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/x-original"));
    assert_eq!(
        got.metadata()
            .and_then(|m| m.get("origin"))
            .map(String::as_str),
        Some("source")
    );
    assert_eq!(got.e_tag(), Some(quoted_md5(&data).as_str()));
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        data.as_slice()
    );
}

#[tokio::test]
async fn copy_with_replace_takes_new_metadata() {
    let (_server, s3, data) = setup().await;
    s3.copy_object()
        .bucket("dst")
        .key("replaced")
        .copy_source(source())
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/plain")
        .metadata("fresh", "yes")
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket("dst")
        .key("replaced")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    let meta = head.metadata().cloned().unwrap_or_default();
    assert_eq!(meta.get("fresh").map(String::as_str), Some("yes"));
    assert!(
        !meta.contains_key("origin"),
        "REPLACE must drop the old metadata: {meta:?}"
    );
    assert_eq!(head.content_length(), Some(data.len() as i64));
}

#[tokio::test]
async fn copy_onto_itself_with_replace_changes_metadata_only() {
    let (_server, s3, data) = setup().await;
    s3.copy_object()
        .bucket("src")
        .key("dir/original file.bin")
        .copy_source(source())
        .metadata_directive(MetadataDirective::Replace)
        .metadata("origin", "rewritten")
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("src")
        .key("dir/original file.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.metadata()
            .and_then(|m| m.get("origin"))
            .map(String::as_str),
        Some("rewritten")
    );
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        data.as_slice()
    );
}

#[tokio::test]
async fn copy_from_missing_source() {
    let (_server, s3, _) = setup().await;
    let res = s3
        .copy_object()
        .bucket("dst")
        .key("x")
        .copy_source("src/no-such-key")
        .send()
        .await;
    assert_eq!(err_code(res), "NoSuchKey");
    let res = s3
        .copy_object()
        .bucket("dst")
        .key("x")
        .copy_source("no-such-bucket/k")
        .send()
        .await;
    assert_eq!(err_code(res), "NoSuchBucket");
}
