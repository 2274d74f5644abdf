//! The object cache never answers with an object that a completed write replaced: every write
//! path (PUT, DeleteObject(s), CopyObject, CompleteMultipartUpload, DeleteBucket) is followed by
//! GET and HEAD of the same key after the object was read (and cached) before.

use s3s::S3;
use s3s::S3ErrorCode;
use s3s::dto::*;

use super::*;

async fn head_etag(fs: &FsBackend, b: &str, k: &str) -> Result<String, S3Error> {
    let out = fs
        .head_object(req(HeadObjectInput {
            bucket: b.into(),
            key: k.into(),
            ..Default::default()
        }))
        .await?
        .output;
    Ok(out.e_tag.unwrap().into_value())
}

/// Reads (bucket, key) by GET and HEAD, twice, so the second read is a cache hit.
async fn read_twice(fs: &FsBackend, b: &str, k: &str) -> Vec<u8> {
    let (_, first) = get(fs, b, k).await.unwrap();
    let (_, second) = get(fs, b, k).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(head_etag(fs, b, k).await.unwrap(), md5_hex(&first));
    first
}

#[tokio::test]
async fn put_overwrite_and_delete_are_seen_at_once() {
    let (_d, fs) = backend().await;
    bucket(&fs, "ca1").await;
    let v1 = data(4096, 1);
    put(&fs, "ca1", "k", &v1).await;
    assert_eq!(read_twice(&fs, "ca1", "k").await, v1);
    let v2 = data(4000, 2);
    put(&fs, "ca1", "k", &v2).await;
    assert_eq!(read_twice(&fs, "ca1", "k").await, v2);
    // A ranged GET is served from the cached bytes.
    let mut out = fs
        .get_object(req(GetObjectInput {
            range: Some(Range::Int {
                first: 10,
                last: Some(19),
            }),
            ..get_input("ca1", "k")
        }))
        .await
        .unwrap()
        .output;
    assert_eq!(out.content_range.as_deref(), Some("bytes 10-19/4000"));
    assert_eq!(collect(out.body.take()).await, &v2[10..20]);

    fs.delete_object(req(DeleteObjectInput {
        bucket: "ca1".into(),
        key: "k".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    assert_eq!(code(get(&fs, "ca1", "k").await), S3ErrorCode::NoSuchKey);
    assert_eq!(
        code(head_etag(&fs, "ca1", "k").await),
        S3ErrorCode::NoSuchKey
    );
}

#[tokio::test]
async fn head_first_then_get_returns_the_bytes() {
    let (_d, fs) = backend().await;
    bucket(&fs, "ca2").await;
    let v1 = data(100, 3);
    put(&fs, "ca2", "k", &v1).await;
    // HEAD caches the entry without its bytes; GET must still return them.
    assert_eq!(head_etag(&fs, "ca2", "k").await.unwrap(), md5_hex(&v1));
    assert_eq!(read_twice(&fs, "ca2", "k").await, v1);
}

#[tokio::test]
async fn delete_objects_and_copy_over_are_seen_at_once() {
    let (_d, fs) = backend().await;
    bucket(&fs, "ca3").await;
    let (a, b) = (data(500, 4), data(700, 5));
    put(&fs, "ca3", "a", &a).await;
    put(&fs, "ca3", "b", &b).await;
    assert_eq!(read_twice(&fs, "ca3", "a").await, a);
    assert_eq!(read_twice(&fs, "ca3", "b").await, b);
    fs.copy_object(req(CopyObjectInput::builder()
        .bucket("ca3".into())
        .key("a".into())
        .copy_source(CopySource::Bucket {
            bucket: "ca3".into(),
            key: "b".into(),
            version_id: None,
        })
        .build()
        .unwrap()))
        .await
        .unwrap();
    assert_eq!(read_twice(&fs, "ca3", "a").await, b);
    fs.delete_objects(req(DeleteObjectsInput {
        bucket: "ca3".into(),
        delete: Delete {
            objects: vec![
                ObjectIdentifier {
                    key: "a".into(),
                    ..Default::default()
                },
                ObjectIdentifier {
                    key: "b".into(),
                    ..Default::default()
                },
            ],
            quiet: None,
        },
        bypass_governance_retention: None,
        checksum_algorithm: None,
        expected_bucket_owner: None,
        mfa: None,
        request_payer: None,
    }))
    .await
    .unwrap();
    for k in ["a", "b"] {
        assert_eq!(code(get(&fs, "ca3", k).await), S3ErrorCode::NoSuchKey);
        assert_eq!(code(head_etag(&fs, "ca3", k).await), S3ErrorCode::NoSuchKey);
    }
}

#[tokio::test]
async fn multipart_completion_replaces_a_cached_object() {
    let (_d, fs) = backend().await;
    bucket(&fs, "ca4").await;
    let old = data(300, 6);
    put(&fs, "ca4", "k", &old).await;
    assert_eq!(read_twice(&fs, "ca4", "k").await, old);
    let id = fs
        .create_multipart_upload(req(CreateMultipartUploadInput {
            bucket: "ca4".into(),
            key: "k".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .output
        .upload_id
        .unwrap();
    let new = data(900, 7);
    let etag = fs
        .upload_part(req(UploadPartInput {
            bucket: "ca4".into(),
            key: "k".into(),
            upload_id: id.clone(),
            part_number: 1,
            body: Some(chunked_blob(&new, 256)),
            content_length: Some(new.len() as i64),
            ..Default::default()
        }))
        .await
        .unwrap()
        .output
        .e_tag
        .unwrap();
    fs.complete_multipart_upload(req(CompleteMultipartUploadInput {
        bucket: "ca4".into(),
        key: "k".into(),
        upload_id: id,
        multipart_upload: Some(CompletedMultipartUpload {
            parts: Some(vec![CompletedPart {
                part_number: Some(1),
                e_tag: Some(etag),
                ..Default::default()
            }]),
        }),
        ..Default::default()
    }))
    .await
    .unwrap();
    let (out, got) = get(&fs, "ca4", "k").await.unwrap();
    assert_eq!(got, new);
    assert!(out.e_tag.unwrap().into_value().ends_with("-1"));
    let (_, again) = get(&fs, "ca4", "k").await.unwrap();
    assert_eq!(again, new);
}

#[tokio::test]
async fn a_deleted_and_recreated_bucket_holds_nothing_old() {
    let (_d, fs) = backend().await;
    bucket(&fs, "ca5").await;
    let v = data(64, 8);
    put(&fs, "ca5", "k", &v).await;
    assert_eq!(read_twice(&fs, "ca5", "k").await, v);
    fs.delete_object(req(DeleteObjectInput {
        bucket: "ca5".into(),
        key: "k".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    fs.delete_bucket(req(DeleteBucketInput {
        bucket: "ca5".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    assert_eq!(code(get(&fs, "ca5", "k").await), S3ErrorCode::NoSuchBucket);
    bucket(&fs, "ca5").await;
    assert_eq!(code(get(&fs, "ca5", "k").await), S3ErrorCode::NoSuchKey);
}

#[tokio::test]
async fn concurrent_overwrites_never_leave_a_stale_entry() {
    let (_d, fs) = backend().await;
    bucket(&fs, "ca6").await;
    let versions: Vec<Vec<u8>> = (0..20).map(|i| data(2000 + i, i as u8)).collect();
    put(&fs, "ca6", "k", &versions[0]).await;
    let reader = {
        let fs = fs.clone();
        tokio::spawn(async move {
            for _ in 0..200 {
                let _ = get(&fs, "ca6", "k").await.unwrap();
            }
        })
    };
    for v in &versions[1..] {
        put(&fs, "ca6", "k", v).await;
        // Once a PUT returned, every read sees it.
        let (_, got) = get(&fs, "ca6", "k").await.unwrap();
        assert_eq!(&got, v);
    }
    reader.await.unwrap();
    let (_, got) = get(&fs, "ca6", "k").await.unwrap();
    assert_eq!(&got, versions.last().unwrap());
}
