use s3s::S3;
use s3s::S3ErrorCode;
use s3s::dto::*;

use super::*;

#[tokio::test]
async fn create_list_head_delete() {
    let (_d, fs) = backend().await;
    bucket(&fs, "zeta").await;
    bucket(&fs, "alpha").await;
    let out = fs
        .list_buckets(req(ListBucketsInput::default()))
        .await
        .unwrap()
        .output;
    let names: Vec<_> = out
        .buckets
        .unwrap()
        .into_iter()
        .map(|b| b.name.unwrap())
        .collect();
    assert_eq!(names, ["alpha", "zeta"]);
    assert!(out.owner.is_some());

    fs.head_bucket(req(HeadBucketInput {
        bucket: "alpha".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    fs.delete_bucket(req(DeleteBucketInput {
        bucket: "alpha".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    let r = fs
        .head_bucket(req(HeadBucketInput {
            bucket: "alpha".into(),
            ..Default::default()
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::NoSuchBucket);
    let r = fs
        .delete_bucket(req(DeleteBucketInput {
            bucket: "alpha".into(),
            ..Default::default()
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::NoSuchBucket);
}

#[tokio::test]
async fn create_twice_is_already_owned() {
    let (_d, fs) = backend().await;
    bucket(&fs, "twice").await;
    let r = fs
        .create_bucket(req(CreateBucketInput {
            bucket: "twice".into(),
            ..Default::default()
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::BucketAlreadyOwnedByYou);
}

#[tokio::test]
async fn invalid_names_are_refused() {
    let (_d, fs) = backend().await;
    for name in [
        "ab",
        "Upper",
        ".strongbox",
        "..",
        "a..b",
        "10.0.0.1",
        "bad_name",
        "-x-",
        "a/b",
        "a\0bc",
    ] {
        let r = fs
            .create_bucket(req(CreateBucketInput {
                bucket: name.into(),
                ..Default::default()
            }))
            .await;
        assert_eq!(code(r), S3ErrorCode::InvalidBucketName, "{name:?}");
    }
    // The state directory is never a bucket.
    let r = fs
        .list_objects_v2(req(ListObjectsV2Input {
            bucket: ".strongbox".into(),
            ..Default::default()
        }))
        .await;
    assert!(r.is_err());
    let out = fs
        .list_buckets(req(ListBucketsInput::default()))
        .await
        .unwrap()
        .output;
    assert!(out.buckets.unwrap().is_empty());
}

#[tokio::test]
async fn delete_non_empty_bucket_fails() {
    let (_d, fs) = backend().await;
    bucket(&fs, "full").await;
    put(&fs, "full", "k", b"v").await;
    let r = fs
        .delete_bucket(req(DeleteBucketInput {
            bucket: "full".into(),
            ..Default::default()
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::BucketNotEmpty);
    fs.delete_object(req(DeleteObjectInput {
        bucket: "full".into(),
        key: "k".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    fs.delete_bucket(req(DeleteBucketInput {
        bucket: "full".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
}

#[tokio::test]
async fn bucket_with_neighbour_name_does_not_count_as_content() {
    // "abc" and "abc-d": the emptiness check must not see the neighbour's objects.
    let (_d, fs) = backend().await;
    bucket(&fs, "abc").await;
    bucket(&fs, "abcd").await;
    put(&fs, "abcd", "k", b"v").await;
    fs.delete_bucket(req(DeleteBucketInput {
        bucket: "abc".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
}

#[tokio::test]
async fn location_reports_constraint_or_empty_for_us_east_1() {
    let (_d, fs) = backend().await;
    bucket(&fs, "plain").await;
    let out = fs
        .get_bucket_location(req(GetBucketLocationInput {
            bucket: "plain".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .output;
    assert!(out.location_constraint.is_none());
    fs.create_bucket(req(CreateBucketInput {
        bucket: "europe".into(),
        create_bucket_configuration: Some(CreateBucketConfiguration {
            location_constraint: Some(BucketLocationConstraint::from("eu-west-1".to_owned())),
            ..Default::default()
        }),
        ..Default::default()
    }))
    .await
    .unwrap();
    let out = fs
        .get_bucket_location(req(GetBucketLocationInput {
            bucket: "europe".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .output;
    assert_eq!(out.location_constraint.unwrap().as_str(), "eu-west-1");
    let r = fs
        .get_bucket_location(req(GetBucketLocationInput {
            bucket: "missing".into(),
            ..Default::default()
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::NoSuchBucket);
}

#[tokio::test]
async fn buckets_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let fs = crate::FsBackend::open(dir.path()).await.unwrap();
        bucket(&fs, "kept").await;
        put(&fs, "kept", "a/b", b"hello").await;
    }
    let fs = crate::FsBackend::open(dir.path()).await.unwrap();
    let (_, body) = get(&fs, "kept", "a/b").await.unwrap();
    assert_eq!(body, b"hello");
}
