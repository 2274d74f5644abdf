//! Multipart upload: create, upload part, upload part copy, list parts, list uploads, complete
//! (ETag, part checks), abort.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use crate::common::data::{multipart_etag, quoted_md5, random_bytes};
use crate::common::{Server, err_code, err_status};

const MIB: usize = 1024 * 1024;

async fn create(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    s3.create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .upload_id()
        .expect("upload id")
        .to_string()
}

async fn upload_part(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    id: &str,
    n: i32,
    data: &[u8],
) -> String {
    let out = s3
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .part_number(n)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("UploadPart {n}: {e:?}"));
    let etag = out.e_tag().expect("part etag").to_string();
    assert_eq!(
        etag,
        quoted_md5(data),
        "part {n} ETag is the MD5 of the part"
    );
    etag
}

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .iter()
                .map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(*e).build())
                .collect(),
        ))
        .build()
}

async fn get_bytes(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test]
async fn full_multipart_flow() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("mpu").send().await.unwrap();

    let id = s3
        .create_multipart_upload()
        .bucket("mpu")
        .key("big/object.bin")
        .content_type("application/x-big")
        .metadata("purpose", "e2e")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_string();

    let parts: Vec<Vec<u8>> = vec![
        random_bytes(5 * MIB, 1),
        random_bytes(5 * MIB, 2),
        random_bytes(MIB + 7, 3),
    ];
    // Upload out of order, and replace part 2 once: the last upload of a part number wins.
    let e3 = upload_part(&s3, "mpu", "big/object.bin", &id, 3, &parts[2]).await;
    upload_part(
        &s3,
        "mpu",
        "big/object.bin",
        &id,
        2,
        &random_bytes(5 * MIB, 99),
    )
    .await;
    let e1 = upload_part(&s3, "mpu", "big/object.bin", &id, 1, &parts[0]).await;
    let e2 = upload_part(&s3, "mpu", "big/object.bin", &id, 2, &parts[1]).await;

    let listed = s3
        .list_parts()
        .bucket("mpu")
        .key("big/object.bin")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let summary: Vec<(i32, i64, String)> = listed
        .parts()
        .iter()
        .map(|p| {
            (
                p.part_number().unwrap(),
                p.size().unwrap(),
                p.e_tag().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, (5 * MIB) as i64, e1.clone()),
            (2, (5 * MIB) as i64, e2.clone()),
            (3, (MIB + 7) as i64, e3.clone())
        ]
    );

    let uploads = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    let ups: Vec<(String, String)> = uploads
        .uploads()
        .iter()
        .map(|u| {
            (
                u.key().unwrap().to_string(),
                u.upload_id().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(ups, [("big/object.bin".to_string(), id.clone())]);
    // An upload in progress is not an object.
    let list = s3.list_objects_v2().bucket("mpu").send().await.unwrap();
    assert_eq!(
        list.key_count(),
        Some(0),
        "in-progress upload visible as object: {list:?}"
    );

    let done = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big/object.bin")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e1), (2, &e2), (3, &e3)]))
        .send()
        .await
        .unwrap();
    let want_etag = multipart_etag(&[&parts[0], &parts[1], &parts[2]]);
    assert_eq!(done.e_tag(), Some(want_etag.as_str()));
    assert!(want_etag.ends_with("-3\""));

    let head = s3
        .head_object()
        .bucket("mpu")
        .key("big/object.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.e_tag(), Some(want_etag.as_str()));
    assert_eq!(head.content_length(), Some((11 * MIB + 7) as i64));
    assert_eq!(head.content_type(), Some("application/x-big"));
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("purpose"))
            .map(String::as_str),
        Some("e2e")
    );

    let body = get_bytes(&s3, "mpu", "big/object.bin").await;
    assert!(
        body == parts.concat(),
        "assembled object differs from the parts"
    );

    let uploads = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    assert!(
        uploads.uploads().is_empty(),
        "completed upload still listed"
    );
    let res = s3
        .list_parts()
        .bucket("mpu")
        .key("big/object.bin")
        .upload_id(&id)
        .send()
        .await;
    assert_eq!(err_code(res), "NoSuchUpload");
}

#[tokio::test]
async fn upload_part_copy_from_an_object_range() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("mpc").send().await.unwrap();
    let source = random_bytes(6 * MIB, 5);
    s3.put_object()
        .bucket("mpc")
        .key("source")
        .body(ByteStream::from(source.clone()))
        .send()
        .await
        .unwrap();

    let id = create(&s3, "mpc", "assembled").await;
    let copy = s3
        .upload_part_copy()
        .bucket("mpc")
        .key("assembled")
        .upload_id(&id)
        .part_number(1)
        .copy_source("mpc/source")
        .copy_source_range(format!("bytes=0-{}", 5 * MIB - 1))
        .send()
        .await
        .unwrap();
    let e1 = copy
        .copy_part_result()
        .and_then(|r| r.e_tag())
        .expect("CopyPartResult ETag")
        .to_string();
    assert_eq!(e1, quoted_md5(&source[..5 * MIB]));
    // A whole-object copy as the last part.
    let copy2 = s3
        .upload_part_copy()
        .bucket("mpc")
        .key("assembled")
        .upload_id(&id)
        .part_number(2)
        .copy_source("mpc/source")
        .send()
        .await
        .unwrap();
    let e2 = copy2
        .copy_part_result()
        .and_then(|r| r.e_tag())
        .unwrap()
        .to_string();
    assert_eq!(e2, quoted_md5(&source));

    let done = s3
        .complete_multipart_upload()
        .bucket("mpc")
        .key("assembled")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e1), (2, &e2)]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        done.e_tag(),
        Some(multipart_etag(&[&source[..5 * MIB], &source]).as_str())
    );
    let body = get_bytes(&s3, "mpc", "assembled").await;
    assert!(body == [&source[..5 * MIB], &source[..]].concat());
}

#[tokio::test]
async fn complete_with_a_wrong_etag_is_invalid_part() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("mpbad").send().await.unwrap();
    let id = create(&s3, "mpbad", "k").await;
    let p1 = random_bytes(5 * MIB, 1);
    let e1 = upload_part(&s3, "mpbad", "k", &id, 1, &p1).await;
    let e2 = upload_part(&s3, "mpbad", "k", &id, 2, b"tail").await;

    let wrong = "\"00000000000000000000000000000000\"";
    let res = s3
        .complete_multipart_upload()
        .bucket("mpbad")
        .key("k")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e1), (2, wrong)]))
        .send()
        .await;
    assert_eq!(err_code(res), "InvalidPart");

    // A part number that was never uploaded.
    let res = s3
        .complete_multipart_upload()
        .bucket("mpbad")
        .key("k")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e1), (7, &e2)]))
        .send()
        .await;
    assert_eq!(err_code(res), "InvalidPart");

    // Parts must be listed in ascending order.
    let res = s3
        .complete_multipart_upload()
        .bucket("mpbad")
        .key("k")
        .upload_id(&id)
        .multipart_upload(completed(&[(2, &e2), (1, &e1)]))
        .send()
        .await;
    assert_eq!(err_code(res), "InvalidPartOrder");

    // Nothing became visible, and the upload is still usable.
    assert_eq!(
        err_code(s3.get_object().bucket("mpbad").key("k").send().await),
        "NoSuchKey"
    );
    s3.complete_multipart_upload()
        .bucket("mpbad")
        .key("k")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e1), (2, &e2)]))
        .send()
        .await
        .expect("complete with the right parts after failed attempts");
    assert_eq!(
        get_bytes(&s3, "mpbad", "k").await,
        [&p1[..], b"tail"].concat()
    );
}

#[tokio::test]
async fn parts_below_5_mib_except_the_last_are_entity_too_small() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("mpsmall").send().await.unwrap();
    let id = create(&s3, "mpsmall", "k").await;
    let e1 = upload_part(&s3, "mpsmall", "k", &id, 1, &random_bytes(1024, 1)).await;
    let e2 = upload_part(&s3, "mpsmall", "k", &id, 2, &random_bytes(1024, 2)).await;
    let res = s3
        .complete_multipart_upload()
        .bucket("mpsmall")
        .key("k")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e1), (2, &e2)]))
        .send()
        .await;
    assert_eq!(err_code(res), "EntityTooSmall");
    assert_eq!(
        err_status(s3.head_object().bucket("mpsmall").key("k").send().await),
        404
    );

    // A single small part is fine: it is the last part.
    let id = create(&s3, "mpsmall", "single").await;
    let data = random_bytes(1024, 3);
    let e = upload_part(&s3, "mpsmall", "single", &id, 1, &data).await;
    let done = s3
        .complete_multipart_upload()
        .bucket("mpsmall")
        .key("single")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e)]))
        .send()
        .await
        .unwrap();
    assert_eq!(done.e_tag(), Some(multipart_etag(&[&data]).as_str()));
}

#[tokio::test]
async fn abort_discards_the_upload() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("mpabort").send().await.unwrap();
    let id = create(&s3, "mpabort", "gone").await;
    let other = create(&s3, "mpabort", "kept").await;
    upload_part(&s3, "mpabort", "gone", &id, 1, &random_bytes(MIB, 1)).await;

    s3.abort_multipart_upload()
        .bucket("mpabort")
        .key("gone")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let uploads = s3
        .list_multipart_uploads()
        .bucket("mpabort")
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = uploads
        .uploads()
        .iter()
        .filter_map(|u| u.upload_id())
        .collect();
    assert_eq!(ids, [other.as_str()]);

    let res = s3
        .list_parts()
        .bucket("mpabort")
        .key("gone")
        .upload_id(&id)
        .send()
        .await;
    assert_eq!(err_code(res), "NoSuchUpload");
    let res = s3
        .upload_part()
        .bucket("mpabort")
        .key("gone")
        .upload_id(&id)
        .part_number(2)
        .body(ByteStream::from_static(b"late"))
        .send()
        .await;
    assert_eq!(err_code(res), "NoSuchUpload");
    let res = s3
        .complete_multipart_upload()
        .bucket("mpabort")
        .key("gone")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, "\"x\"")]))
        .send()
        .await;
    assert_eq!(err_code(res), "NoSuchUpload");
    assert_eq!(
        err_code(s3.get_object().bucket("mpabort").key("gone").send().await),
        "NoSuchKey"
    );

    // An upload id that never existed.
    let res = s3
        .abort_multipart_upload()
        .bucket("mpabort")
        .key("kept")
        .upload_id("not-an-upload-id")
        .send()
        .await;
    assert_eq!(err_code(res), "NoSuchUpload");
}
