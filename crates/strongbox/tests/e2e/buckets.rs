//! Bucket operations: ListBuckets, CreateBucket (naming rules), HeadBucket, DeleteBucket,
//! GetBucketLocation.

use aws_sdk_s3::primitives::ByteStream;

use crate::common::{Server, err_code, err_status};

#[tokio::test]
async fn list_buckets_shows_every_created_bucket() {
    let server = Server::start();
    let s3 = server.s3();

    let before = s3
        .list_buckets()
        .send()
        .await
        .expect("list on a fresh server");
    assert!(
        before.buckets().is_empty(),
        "fresh DIR must have no buckets: {before:?}"
    );

    for name in ["alpha-bucket", "beta.bucket", "0-numeric-first"] {
        s3.create_bucket().bucket(name).send().await.expect(name);
    }
    let out = s3.list_buckets().send().await.unwrap();
    let mut names: Vec<&str> = out.buckets().iter().filter_map(|b| b.name()).collect();
    names.sort_unstable();
    assert_eq!(names, ["0-numeric-first", "alpha-bucket", "beta.bucket"]);
    for b in out.buckets() {
        assert!(
            b.creation_date().is_some(),
            "bucket without creation date: {b:?}"
        );
    }
}

#[tokio::test]
async fn create_bucket_twice_is_an_error() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("twice").send().await.unwrap();
    let code = err_code(s3.create_bucket().bucket("twice").send().await);
    assert!(
        code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists",
        "second CreateBucket gave {code}"
    );
}

#[tokio::test]
async fn create_bucket_rejects_names_against_s3_rules() {
    let server = Server::start();
    let s3 = server.s3();
    let too_long = "a".repeat(64);
    let bad = [
        "ab",              // shorter than 3
        too_long.as_str(), // longer than 63
        "Upper-case",      // uppercase
        "under_score",     // underscore
        "-leading-dash",   // must start with a letter or digit
        "trailing-dash-",  // must end with a letter or digit
        "dots..adjacent",  // two adjacent periods
        "192.168.5.4",     // formatted as an IP address
        "xn--punycode",    // reserved prefix
    ];
    for name in bad {
        let code = err_code(s3.create_bucket().bucket(name).send().await);
        assert_eq!(code, "InvalidBucketName", "bucket name {name:?}");
    }
    // The limits themselves are fine.
    let max = "b".repeat(63);
    for good in ["abc", max.as_str(), "with.dots-and-1"] {
        s3.create_bucket()
            .bucket(good)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{good}: {e:?}"));
    }
    let listed = s3.list_buckets().send().await.unwrap();
    assert_eq!(
        listed.buckets().len(),
        3,
        "only the valid names exist: {listed:?}"
    );
}

#[tokio::test]
async fn head_bucket_exists_and_missing() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("here").send().await.unwrap();
    s3.head_bucket()
        .bucket("here")
        .send()
        .await
        .expect("HeadBucket on an existing bucket");
    assert_eq!(
        err_status(s3.head_bucket().bucket("not-here").send().await),
        404
    );
}

#[tokio::test]
async fn delete_bucket_only_when_empty() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("full").send().await.unwrap();
    s3.put_object()
        .bucket("full")
        .key("dir/obj")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();

    assert_eq!(
        err_code(s3.delete_bucket().bucket("full").send().await),
        "BucketNotEmpty"
    );
    // Still there, object intact.
    s3.head_object()
        .bucket("full")
        .key("dir/obj")
        .send()
        .await
        .unwrap();

    s3.delete_object()
        .bucket("full")
        .key("dir/obj")
        .send()
        .await
        .unwrap();
    s3.delete_bucket()
        .bucket("full")
        .send()
        .await
        .expect("delete an emptied bucket");
    assert_eq!(
        err_status(s3.head_bucket().bucket("full").send().await),
        404
    );
    assert_eq!(
        err_code(s3.delete_bucket().bucket("full").send().await),
        "NoSuchBucket"
    );
    // The name can be reused and the new bucket is empty.
    s3.create_bucket().bucket("full").send().await.unwrap();
    let list = s3.list_objects_v2().bucket("full").send().await.unwrap();
    assert_eq!(list.key_count(), Some(0));
}

#[tokio::test]
async fn get_bucket_location_reports_the_region() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("where").send().await.unwrap();
    let loc = s3
        .get_bucket_location()
        .bucket("where")
        .send()
        .await
        .unwrap();
    // S3 encodes us-east-1 as an empty LocationConstraint; MinIO sends "us-east-1". Both are
    // correct answers for the default region.
    let constraint = loc
        .location_constraint()
        .map(|c| c.as_str().to_string())
        .unwrap_or_default();
    assert!(
        constraint.is_empty() || constraint == "us-east-1",
        "unexpected location {constraint:?}"
    );
    assert_eq!(
        err_code(s3.get_bucket_location().bucket("nowhere").send().await),
        "NoSuchBucket"
    );
}

#[tokio::test]
async fn operations_on_a_missing_bucket_say_no_such_bucket() {
    let server = Server::start();
    let s3 = server.s3();
    assert_eq!(
        err_code(s3.list_objects_v2().bucket("ghost").send().await),
        "NoSuchBucket"
    );
    assert_eq!(
        err_code(
            s3.put_object()
                .bucket("ghost")
                .key("k")
                .body(ByteStream::from_static(b"v"))
                .send()
                .await
        ),
        "NoSuchBucket"
    );
    assert_eq!(
        err_code(s3.get_object().bucket("ghost").key("k").send().await),
        "NoSuchBucket"
    );
}
