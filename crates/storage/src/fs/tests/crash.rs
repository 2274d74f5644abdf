//! Interrupted writes never leave a partial object, and leftovers are swept at open.

use std::time::Duration;

use bytes::Bytes;
use s3s::S3;
use s3s::S3ErrorCode;
use s3s::dto::*;

use super::object::{count_data_files, count_tmp_files};
use super::*;
use crate::FsBackend;

/// A body that yields `good` bytes and then fails.
fn failing_blob(good: usize) -> StreamingBlob {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from(data(good / 2, 1))),
        Ok(Bytes::from(data(good - good / 2, 2))),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ];
    StreamingBlob::wrap(futures::stream::iter(chunks))
}

#[tokio::test]
async fn body_error_halfway_leaves_nothing_and_keeps_the_old_version() {
    let dir = tempfile::tempdir().unwrap();
    {
        let fs = FsBackend::open(dir.path()).await.unwrap();
        bucket(&fs, "crash").await;
        put(&fs, "crash", "k", b"old version").await;
        let r = fs
            .put_object(req(PutObjectInput {
                bucket: "crash".into(),
                key: "k".into(),
                body: Some(failing_blob(3 << 20)),
                content_length: Some(6 << 20),
                ..Default::default()
            }))
            .await;
        assert_eq!(code(r), S3ErrorCode::IncompleteBody);
        let r = fs
            .put_object(req(PutObjectInput {
                bucket: "crash".into(),
                key: "new".into(),
                body: Some(failing_blob(1000)),
                ..Default::default()
            }))
            .await;
        assert!(r.is_err());
        assert_eq!(get(&fs, "crash", "k").await.unwrap().1, b"old version");
        assert_eq!(code(get(&fs, "crash", "new").await), S3ErrorCode::NoSuchKey);
        assert_eq!(count_tmp_files(dir.path()), 0);
        assert_eq!(count_data_files(dir.path()), 1);
    }
    let fs = FsBackend::open(dir.path()).await.unwrap();
    let (keys, _, _) = keys_v2(
        &fs,
        "crash",
        ListObjectsV2Input {
            bucket: "crash".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(keys, ["k"]);
    assert_eq!(count_tmp_files(dir.path()), 0);
}

#[tokio::test]
async fn dropped_request_removes_its_temporary_file() {
    let (d, fs) = backend().await;
    bucket(&fs, "drop").await;
    let first: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from(data(1 << 20, 3)))];
    let stalled = futures::stream::iter(first).chain(futures::stream::pending());
    let fut = fs.put_object(req(PutObjectInput {
        bucket: "drop".into(),
        key: "k".into(),
        body: Some(StreamingBlob::wrap(stalled)),
        ..Default::default()
    }));
    let r = tokio::time::timeout(Duration::from_millis(300), fut).await;
    assert!(r.is_err(), "the upload must still be waiting for its body");
    // The writer thread notices the closed channel and removes its file.
    let mut left = usize::MAX;
    for _ in 0..100 {
        left = count_tmp_files(d.path());
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(left, 0);
    assert_eq!(code(get(&fs, "drop", "k").await), S3ErrorCode::NoSuchKey);
    assert_eq!(count_data_files(d.path()), 0);
}

#[tokio::test]
async fn leftovers_of_a_crash_are_swept_at_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let fs = FsBackend::open(dir.path()).await.unwrap();
        bucket(&fs, "sweep").await;
        put(&fs, "sweep", "kept", b"kept data").await;
    }
    // What a kill -9 can leave: a temporary file mid-write, and a data file renamed into place
    // whose index commit never happened.
    let base = dir.path().join(".strongbox/objects");
    std::fs::write(
        base.join("tmp/0123456789abcdef0123456789abcdef"),
        b"partial",
    )
    .unwrap();
    let orphan = base.join("data/ab/ab23456789abcdef0123456789abcdef");
    std::fs::write(&orphan, b"uncommitted").unwrap();

    let fs = FsBackend::open(dir.path()).await.unwrap();
    assert_eq!(count_tmp_files(dir.path()), 0);
    assert!(!orphan.exists());
    assert_eq!(count_data_files(dir.path()), 1);
    assert_eq!(get(&fs, "sweep", "kept").await.unwrap().1, b"kept data");
}

#[tokio::test]
async fn second_open_of_the_same_dir_fails() {
    let dir = tempfile::tempdir().unwrap();
    let _fs = FsBackend::open(dir.path()).await.unwrap();
    assert!(FsBackend::open(dir.path()).await.is_err());
}

#[tokio::test]
async fn overwrite_during_a_streaming_read_does_not_tear_it() {
    let (_d, fs) = backend().await;
    bucket(&fs, "tear").await;
    let old = data(4 << 20, 11);
    put(&fs, "tear", "k", &old).await;
    let mut out = fs
        .get_object(req(get_input("tear", "k")))
        .await
        .unwrap()
        .output;
    let mut body = out.body.take().unwrap();
    let first = body.next().await.unwrap().unwrap();
    // Overwrite (the old file is unlinked) while the read is in flight.
    put(&fs, "tear", "k", b"new").await;
    let mut got = first.to_vec();
    while let Some(c) = body.next().await {
        got.extend_from_slice(&c.unwrap());
    }
    assert!(got == old);
    assert_eq!(get(&fs, "tear", "k").await.unwrap().1, b"new");
}
