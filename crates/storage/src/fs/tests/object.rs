use base64::Engine as _;
use s3s::S3;
use s3s::S3ErrorCode;
use s3s::dto::*;

use super::*;

#[tokio::test]
async fn put_get_round_trip_keeps_headers_and_metadata() {
    let (_d, fs) = backend().await;
    bucket(&fs, "bk1").await;
    let body = data(1000, 1);
    let mut meta = Metadata::new();
    meta.insert("color".into(), "blue".into());
    let expires =
        Timestamp::parse(TimestampFormat::HttpDate, "Wed, 21 Oct 2037 07:28:00 GMT").unwrap();
    let out = fs
        .put_object(req(PutObjectInput {
            content_type: Some("text/plain".into()),
            content_encoding: Some("identity".into()),
            content_disposition: Some("attachment; filename=\"x.txt\"".into()),
            content_language: Some("en".into()),
            cache_control: Some("no-cache".into()),
            expires: Some(expires.clone()),
            metadata: Some(meta),
            ..put_input("bk1", "dir/file.txt", &body)
        }))
        .await
        .unwrap()
        .output;
    assert_eq!(out.e_tag.unwrap().as_strong().unwrap(), md5_hex(&body));

    let (o, got) = get(&fs, "bk1", "dir/file.txt").await.unwrap();
    assert_eq!(got, body);
    assert_eq!(o.content_length, Some(1000));
    assert_eq!(o.content_type.as_deref(), Some("text/plain"));
    assert_eq!(o.content_encoding.as_deref(), Some("identity"));
    assert_eq!(
        o.content_disposition.as_deref(),
        Some("attachment; filename=\"x.txt\"")
    );
    assert_eq!(o.content_language.as_deref(), Some("en"));
    assert_eq!(o.cache_control.as_deref(), Some("no-cache"));
    assert_eq!(o.expires, Some(expires));
    assert_eq!(
        o.metadata.unwrap().get("color").map(String::as_str),
        Some("blue")
    );
    assert_eq!(o.e_tag.unwrap().value(), md5_hex(&body));
    assert!(o.last_modified.is_some());
    assert!(o.content_range.is_none());

    let h = fs
        .head_object(req(HeadObjectInput {
            bucket: "bk1".into(),
            key: "dir/file.txt".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .output;
    assert_eq!(h.content_length, Some(1000));
    assert_eq!(h.content_type.as_deref(), Some("text/plain"));
    assert_eq!(
        h.metadata.unwrap().get("color").map(String::as_str),
        Some("blue")
    );
}

#[tokio::test]
async fn large_object_streams_and_overwrite_replaces() {
    let (d, fs) = backend().await;
    bucket(&fs, "big").await;
    let body = data(3 << 20 | 12345, 7);
    let etag = put(&fs, "big", "obj", &body).await;
    assert_eq!(etag, md5_hex(&body));
    let (o, got) = get(&fs, "big", "obj").await.unwrap();
    assert_eq!(o.content_length, Some(body.len() as i64));
    assert!(got == body, "large body differs");

    let small = b"now small".to_vec();
    put(&fs, "big", "obj", &small).await;
    assert_eq!(get(&fs, "big", "obj").await.unwrap().1, small);
    // The replaced data file is gone: exactly one data file remains.
    assert_eq!(count_data_files(d.path()), 1);
}

pub(super) fn count_data_files(root: &std::path::Path) -> usize {
    let data = root.join(".strongbox/objects/data");
    let mut n = 0;
    for sub in std::fs::read_dir(data).unwrap() {
        n += std::fs::read_dir(sub.unwrap().path()).unwrap().count();
    }
    n
}

pub(super) fn count_tmp_files(root: &std::path::Path) -> usize {
    std::fs::read_dir(root.join(".strongbox/objects/tmp"))
        .unwrap()
        .count()
}

#[tokio::test]
async fn empty_object_and_missing_body() {
    let (_d, fs) = backend().await;
    bucket(&fs, "em1").await;
    fs.put_object(req(PutObjectInput {
        bucket: "em1".into(),
        key: "empty".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    let (o, got) = get(&fs, "em1", "empty").await.unwrap();
    assert!(got.is_empty());
    assert_eq!(o.content_length, Some(0));
    assert_eq!(o.e_tag.unwrap().value(), "d41d8cd98f00b204e9800998ecf8427e");
}

async fn get_range(
    fs: &crate::FsBackend,
    r: &str,
) -> Result<(GetObjectOutput, Vec<u8>), s3s::S3Error> {
    let mut out = fs
        .get_object(req(GetObjectInput {
            range: Some(Range::parse(r).unwrap()),
            ..get_input("rgb", "k")
        }))
        .await?
        .output;
    let body = collect(out.body.take()).await;
    Ok((out, body))
}

#[tokio::test]
async fn ranges() {
    let (_d, fs) = backend().await;
    bucket(&fs, "rgb").await;
    let body = data(1000, 3);
    put(&fs, "rgb", "k", &body).await;

    let (o, got) = get_range(&fs, "bytes=10-19").await.unwrap();
    assert_eq!(got, &body[10..20]);
    assert_eq!(o.content_range.as_deref(), Some("bytes 10-19/1000"));
    assert_eq!(o.content_length, Some(10));

    let (o, got) = get_range(&fs, "bytes=990-").await.unwrap();
    assert_eq!(got, &body[990..]);
    assert_eq!(o.content_range.as_deref(), Some("bytes 990-999/1000"));

    let (o, got) = get_range(&fs, "bytes=-5").await.unwrap();
    assert_eq!(got, &body[995..]);
    assert_eq!(o.content_range.as_deref(), Some("bytes 995-999/1000"));

    // Past the end is clamped; a suffix longer than the object is the whole object.
    let (_, got) = get_range(&fs, "bytes=995-5000").await.unwrap();
    assert_eq!(got, &body[995..]);
    let (o, got) = get_range(&fs, "bytes=-5000").await.unwrap();
    assert_eq!(got, body);
    assert_eq!(o.content_range.as_deref(), Some("bytes 0-999/1000"));

    assert_eq!(
        code(get_range(&fs, "bytes=1000-").await),
        S3ErrorCode::InvalidRange
    );
    assert_eq!(
        code(get_range(&fs, "bytes=-0").await),
        S3ErrorCode::InvalidRange
    );
}

#[tokio::test]
async fn ranges_on_a_streamed_object() {
    let (_d, fs) = backend().await;
    bucket(&fs, "rgb").await;
    let body = data(2 << 20, 9);
    put(&fs, "rgb", "k", &body).await;
    let (o, got) = get_range(&fs, "bytes=100-1500000").await.unwrap();
    assert_eq!(o.content_length, Some(1_499_901));
    assert!(got == body[100..1_500_001]);
}

fn etag_cond(v: &str) -> ETagCondition {
    ETagCondition::ETag(ETag::Strong(v.into()))
}

#[tokio::test]
async fn conditional_get_and_head() {
    let (_d, fs) = backend().await;
    bucket(&fs, "cdb").await;
    let etag = put(&fs, "cdb", "k", b"conditional").await;
    let past =
        Timestamp::parse(TimestampFormat::HttpDate, "Mon, 01 Jan 2001 00:00:00 GMT").unwrap();
    let future =
        Timestamp::parse(TimestampFormat::HttpDate, "Fri, 01 Jan 2100 00:00:00 GMT").unwrap();

    let g = |i: GetObjectInput| {
        let fs = fs.clone();
        async move { fs.get_object(req(i)).await.map(|_| ()) }
    };
    let base = || get_input("cdb", "k");
    g(GetObjectInput {
        if_match: Some(etag_cond(&etag)),
        ..base()
    })
    .await
    .unwrap();
    g(GetObjectInput {
        if_match: Some(ETagCondition::Any),
        ..base()
    })
    .await
    .unwrap();
    assert_eq!(
        code(
            g(GetObjectInput {
                if_match: Some(etag_cond("nope")),
                ..base()
            })
            .await
        ),
        S3ErrorCode::PreconditionFailed
    );
    assert_eq!(
        code(
            g(GetObjectInput {
                if_none_match: Some(etag_cond(&etag)),
                ..base()
            })
            .await
        ),
        S3ErrorCode::NotModified
    );
    g(GetObjectInput {
        if_none_match: Some(etag_cond("other")),
        ..base()
    })
    .await
    .unwrap();
    assert_eq!(
        code(
            g(GetObjectInput {
                if_modified_since: Some(future.clone()),
                ..base()
            })
            .await
        ),
        S3ErrorCode::NotModified
    );
    g(GetObjectInput {
        if_modified_since: Some(past.clone()),
        ..base()
    })
    .await
    .unwrap();
    assert_eq!(
        code(
            g(GetObjectInput {
                if_unmodified_since: Some(past.clone()),
                ..base()
            })
            .await
        ),
        S3ErrorCode::PreconditionFailed
    );
    g(GetObjectInput {
        if_unmodified_since: Some(future.clone()),
        ..base()
    })
    .await
    .unwrap();
    // If-Match true wins over If-Unmodified-Since false.
    g(GetObjectInput {
        if_match: Some(etag_cond(&etag)),
        if_unmodified_since: Some(past.clone()),
        ..base()
    })
    .await
    .unwrap();
    // If-None-Match false (matches) gives 304 even though If-Modified-Since is true.
    assert_eq!(
        code(
            g(GetObjectInput {
                if_none_match: Some(etag_cond(&etag)),
                if_modified_since: Some(past.clone()),
                ..base()
            })
            .await
        ),
        S3ErrorCode::NotModified
    );

    // 304 carries the ETag.
    let e = fs
        .head_object(req(HeadObjectInput {
            bucket: "cdb".into(),
            key: "k".into(),
            if_none_match: Some(etag_cond(&etag)),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), &S3ErrorCode::NotModified);
    assert_eq!(
        e.headers().unwrap().get("etag").unwrap(),
        &format!("\"{etag}\"")
    );
    let e = fs
        .head_object(req(HeadObjectInput {
            bucket: "cdb".into(),
            key: "k".into(),
            if_match: Some(etag_cond("x")),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), &S3ErrorCode::PreconditionFailed);
}

#[tokio::test]
async fn conditional_put() {
    let (_d, fs) = backend().await;
    bucket(&fs, "cpb").await;
    fs.put_object(req(PutObjectInput {
        if_none_match: Some(ETagCondition::Any),
        ..put_input("cpb", "k", b"1")
    }))
    .await
    .unwrap();
    let r = fs
        .put_object(req(PutObjectInput {
            if_none_match: Some(ETagCondition::Any),
            ..put_input("cpb", "k", b"2")
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::PreconditionFailed);
    let r = fs
        .put_object(req(PutObjectInput {
            if_match: Some(etag_cond("zz")),
            ..put_input("cpb", "k", b"3")
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::PreconditionFailed);
    assert_eq!(get(&fs, "cpb", "k").await.unwrap().1, b"1");
}

#[tokio::test]
async fn missing_bucket_and_key() {
    let (_d, fs) = backend().await;
    assert_eq!(code(get(&fs, "nob", "k").await), S3ErrorCode::NoSuchBucket);
    let r = fs.put_object(req(put_input("nob", "k", b"x"))).await;
    assert_eq!(code(r), S3ErrorCode::NoSuchBucket);
    bucket(&fs, "yesb").await;
    assert_eq!(code(get(&fs, "yesb", "k").await), S3ErrorCode::NoSuchKey);
}

#[tokio::test]
async fn content_md5_and_checksums_are_verified() {
    let (d, fs) = backend().await;
    bucket(&fs, "mdb").await;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let good = b64(&Md5::digest(b"payload"));
    fs.put_object(req(PutObjectInput {
        content_md5: Some(good),
        ..put_input("mdb", "ok", b"payload")
    }))
    .await
    .unwrap();
    let bad = b64(&Md5::digest(b"other"));
    let r = fs
        .put_object(req(PutObjectInput {
            content_md5: Some(bad),
            ..put_input("mdb", "bad", b"payload")
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::BadDigest);
    assert_eq!(code(get(&fs, "mdb", "bad").await), S3ErrorCode::NoSuchKey);

    // CRC32 of "payload" computed independently.
    let crc = b64(&s3s::crypto::Crc32::checksum_u32(b"payload").to_be_bytes());
    let out = fs
        .put_object(req(PutObjectInput {
            checksum_crc32: Some(crc.clone()),
            ..put_input("mdb", "crc", b"payload")
        }))
        .await
        .unwrap()
        .output;
    assert_eq!(out.checksum_crc32.as_deref(), Some(crc.as_str()));
    let r = fs
        .put_object(req(PutObjectInput {
            checksum_crc32: Some(b64(&[0, 0, 0, 0])),
            ..put_input("mdb", "crc2", b"payload")
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::BadDigest);
    let o = fs
        .get_object(req(GetObjectInput {
            checksum_mode: Some(ChecksumMode::from_static(ChecksumMode::ENABLED)),
            ..get_input("mdb", "crc")
        }))
        .await
        .unwrap()
        .output;
    assert_eq!(o.checksum_crc32.as_deref(), Some(crc.as_str()));
    // Rejected uploads leave nothing behind.
    assert_eq!(count_tmp_files(d.path()), 0);
    assert_eq!(count_data_files(d.path()), 2);
}

#[tokio::test]
async fn wrong_content_length_is_incomplete_body() {
    let (_d, fs) = backend().await;
    bucket(&fs, "clb").await;
    let r = fs
        .put_object(req(PutObjectInput {
            content_length: Some(10),
            ..put_input("clb", "k", b"short")
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::IncompleteBody);
}

#[tokio::test]
async fn odd_keys_round_trip() {
    let (_d, fs) = backend().await;
    bucket(&fs, "odd").await;
    let keys = [
        "a",
        "a/b",
        "a/b/c",
        "with space",
        "ünïcødé/ключ",
        "100%",
        "%2F",
        "a+b",
        "x//y",
        "trailing/",
        "...",
        "a..b",
    ];
    for (i, k) in keys.iter().enumerate() {
        put(&fs, "odd", k, format!("v{i}").as_bytes()).await;
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(
            get(&fs, "odd", k).await.unwrap().1,
            format!("v{i}").as_bytes(),
            "{k}"
        );
    }
    let (listed, _, _) = keys_v2(
        &fs,
        "odd",
        ListObjectsV2Input {
            bucket: "odd".into(),
            ..Default::default()
        },
    )
    .await;
    let mut sorted: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    sorted.sort();
    assert_eq!(listed, sorted);
}

#[tokio::test]
async fn escaping_keys_are_refused() {
    let (d, fs) = backend().await;
    bucket(&fs, "esc").await;
    for k in [
        "../../etc/passwd",
        "..",
        "a/../../b",
        "/abs",
        "nul\0byte",
        "./x",
    ] {
        let r = fs.put_object(req(put_input("esc", k, b"x"))).await;
        assert_eq!(code(r), S3ErrorCode::InvalidArgument, "{k:?}");
        assert!(fs.get_object(req(get_input("esc", k))).await.is_err());
    }
    assert!(!d.path().join("etc").exists());
    assert_eq!(count_data_files(d.path()), 0);
}

#[tokio::test]
async fn delete_object_and_objects() {
    let (_d, fs) = backend().await;
    bucket(&fs, "del").await;
    for k in ["a", "b", "c"] {
        put(&fs, "del", k, b"x").await;
    }
    // Deleting a missing key succeeds.
    fs.delete_object(req(DeleteObjectInput {
        bucket: "del".into(),
        key: "missing".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    fs.delete_object(req(DeleteObjectInput {
        bucket: "del".into(),
        key: "a".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    assert_eq!(code(get(&fs, "del", "a").await), S3ErrorCode::NoSuchKey);

    let ids = |ks: &[&str]| {
        ks.iter()
            .map(|k| ObjectIdentifier {
                key: k.to_string(),
                ..Default::default()
            })
            .collect()
    };
    let out = fs
        .delete_objects(req(DeleteObjectsInput {
            bucket: "del".into(),
            delete: Delete {
                objects: ids(&["b", "nothere", "../x"]),
                quiet: None,
            },
            bypass_governance_retention: None,
            checksum_algorithm: None,
            expected_bucket_owner: None,
            mfa: None,
            request_payer: None,
        }))
        .await
        .unwrap()
        .output;
    let deleted: Vec<_> = out
        .deleted
        .unwrap()
        .into_iter()
        .map(|d| d.key.unwrap())
        .collect();
    assert_eq!(deleted, ["b", "nothere"]);
    let errors = out.errors.unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].key.as_deref(), Some("../x"));

    let out = fs
        .delete_objects(req(DeleteObjectsInput {
            bucket: "del".into(),
            delete: Delete {
                objects: ids(&["c"]),
                quiet: Some(true),
            },
            bypass_governance_retention: None,
            checksum_algorithm: None,
            expected_bucket_owner: None,
            mfa: None,
            request_payer: None,
        }))
        .await
        .unwrap()
        .output;
    assert!(out.deleted.unwrap_or_default().is_empty());
    assert_eq!(code(get(&fs, "del", "c").await), S3ErrorCode::NoSuchKey);
}

#[tokio::test]
async fn only_the_null_version_exists() {
    let (_d, fs) = backend().await;
    bucket(&fs, "vers").await;
    let body = data(100, 3);
    put(&fs, "vers", "k", &body).await;
    let get_version = |v: &str| {
        fs.get_object(req(GetObjectInput {
            version_id: Some(v.into()),
            ..get_input("vers", "k")
        }))
    };
    let o = get_version("null").await.unwrap().output;
    assert_eq!(collect(o.body).await, body);
    for bad in [
        "abc",
        "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
        "",
    ] {
        assert_eq!(
            code(get_version(bad).await),
            S3ErrorCode::NoSuchVersion,
            "GET versionId={bad:?}"
        );
        let head = fs
            .head_object(req(HeadObjectInput {
                bucket: "vers".into(),
                key: "k".into(),
                version_id: Some(bad.into()),
                ..Default::default()
            }))
            .await;
        assert_eq!(
            code(head),
            S3ErrorCode::NoSuchVersion,
            "HEAD versionId={bad:?}"
        );
    }
}
