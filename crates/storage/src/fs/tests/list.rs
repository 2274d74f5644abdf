use s3s::S3;
use s3s::S3ErrorCode;
use s3s::dto::*;

use super::*;

const KEYS: [&str; 9] = [
    "a", "a/b", "a/c/d", "a/c/e", "b/x", "b/y", "c", "c+d", "d e",
];

async fn filled() -> (tempfile::TempDir, crate::FsBackend) {
    let (d, fs) = backend().await;
    bucket(&fs, "lsb").await;
    for k in KEYS {
        put(&fs, "lsb", k, k.as_bytes()).await;
    }
    (d, fs)
}

fn v2() -> ListObjectsV2Input {
    ListObjectsV2Input {
        bucket: "lsb".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn plain_listing_is_sorted_with_sizes_and_etags() {
    let (_d, fs) = filled().await;
    let (keys, cps, out) = keys_v2(&fs, "lsb", v2()).await;
    assert_eq!(keys, KEYS);
    assert!(cps.is_empty());
    assert_eq!(out.key_count, Some(9));
    assert_eq!(out.is_truncated, Some(false));
    let first = &out.contents.unwrap()[1];
    assert_eq!(first.size, Some(3));
    assert_eq!(first.e_tag.as_ref().unwrap().value(), md5_hex(b"a/b"));
}

#[tokio::test]
async fn delimiter_gives_common_prefixes() {
    let (_d, fs) = filled().await;
    let (keys, cps, out) = keys_v2(
        &fs,
        "lsb",
        ListObjectsV2Input {
            delimiter: Some("/".into()),
            ..v2()
        },
    )
    .await;
    assert_eq!(keys, ["a", "c", "c+d", "d e"]);
    assert_eq!(cps, ["a/", "b/"]);
    assert_eq!(out.key_count, Some(6));

    let (keys, cps, _) = keys_v2(
        &fs,
        "lsb",
        ListObjectsV2Input {
            delimiter: Some("/".into()),
            prefix: Some("a/".into()),
            ..v2()
        },
    )
    .await;
    assert_eq!(keys, ["a/b"]);
    assert_eq!(cps, ["a/c/"]);

    let (keys, cps, _) = keys_v2(
        &fs,
        "lsb",
        ListObjectsV2Input {
            prefix: Some("b".into()),
            ..v2()
        },
    )
    .await;
    assert_eq!(keys, ["b/x", "b/y"]);
    assert!(cps.is_empty());
}

#[tokio::test]
async fn v2_pagination_with_continuation_tokens_visits_everything_once() {
    let (_d, fs) = filled().await;
    for delimiter in [None, Some("/".to_owned())] {
        let mut seen = Vec::new();
        let mut token = None;
        loop {
            let (keys, cps, out) = keys_v2(
                &fs,
                "lsb",
                ListObjectsV2Input {
                    max_keys: Some(2),
                    continuation_token: token.clone(),
                    delimiter: delimiter.clone(),
                    ..v2()
                },
            )
            .await;
            let mut page: Vec<String> = keys.into_iter().chain(cps).collect();
            assert!(page.len() <= 2);
            page.sort();
            seen.extend(page);
            if out.is_truncated == Some(true) {
                token = out.next_continuation_token;
                assert!(token.is_some());
            } else {
                assert!(out.next_continuation_token.is_none());
                break;
            }
        }
        let expected: Vec<&str> = if delimiter.is_some() {
            vec!["a", "a/", "b/", "c", "c+d", "d e"]
        } else {
            KEYS.to_vec()
        };
        assert_eq!(seen, expected, "delimiter {delimiter:?}");
    }
}

#[tokio::test]
async fn start_after_and_max_keys() {
    let (_d, fs) = filled().await;
    let (keys, _, out) = keys_v2(
        &fs,
        "lsb",
        ListObjectsV2Input {
            start_after: Some("b/x".into()),
            max_keys: Some(2),
            ..v2()
        },
    )
    .await;
    assert_eq!(keys, ["b/y", "c"]);
    assert_eq!(out.is_truncated, Some(true));
    let (keys, _, out) = keys_v2(
        &fs,
        "lsb",
        ListObjectsV2Input {
            max_keys: Some(0),
            ..v2()
        },
    )
    .await;
    assert!(keys.is_empty());
    assert_eq!(out.is_truncated, Some(false));
    // Above the cap is capped.
    let (_, _, out) = keys_v2(
        &fs,
        "lsb",
        ListObjectsV2Input {
            max_keys: Some(5000),
            ..v2()
        },
    )
    .await;
    assert_eq!(out.max_keys, Some(1000));
    let r = fs
        .list_objects_v2(req(ListObjectsV2Input {
            max_keys: Some(-1),
            ..v2()
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::InvalidArgument);
    let r = fs
        .list_objects_v2(req(ListObjectsV2Input {
            continuation_token: Some("not-hex".into()),
            ..v2()
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::InvalidArgument);
}

#[tokio::test]
async fn url_encoding_type() {
    let (_d, fs) = filled().await;
    let (keys, _, out) = keys_v2(
        &fs,
        "lsb",
        ListObjectsV2Input {
            encoding_type: Some(EncodingType::from_static(EncodingType::URL)),
            prefix: Some("c".into()),
            ..v2()
        },
    )
    .await;
    assert_eq!(keys, ["c", "c%2Bd"]);
    assert_eq!(out.encoding_type.unwrap().as_str(), "url");
    let (keys, _, _) = keys_v2(
        &fs,
        "lsb",
        ListObjectsV2Input {
            encoding_type: Some(EncodingType::from_static(EncodingType::URL)),
            prefix: Some("d".into()),
            ..v2()
        },
    )
    .await;
    assert_eq!(keys, ["d%20e"]);
    let r = fs
        .list_objects_v2(req(ListObjectsV2Input {
            encoding_type: Some(EncodingType::from("bogus".to_owned())),
            ..v2()
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::InvalidArgument);
}

#[tokio::test]
async fn v1_marker_and_next_marker() {
    let (_d, fs) = filled().await;
    let base = || ListObjectsInput {
        bucket: "lsb".into(),
        ..Default::default()
    };
    let out = fs
        .list_objects(req(ListObjectsInput {
            max_keys: Some(3),
            ..base()
        }))
        .await
        .unwrap()
        .output;
    let keys: Vec<_> = out
        .contents
        .unwrap()
        .into_iter()
        .map(|o| o.key.unwrap())
        .collect();
    assert_eq!(keys, ["a", "a/b", "a/c/d"]);
    assert_eq!(out.is_truncated, Some(true));
    assert!(
        out.next_marker.is_none(),
        "NextMarker only with a delimiter"
    );

    let out = fs
        .list_objects(req(ListObjectsInput {
            marker: Some("a/c/d".into()),
            max_keys: Some(3),
            ..base()
        }))
        .await
        .unwrap()
        .output;
    let keys: Vec<_> = out
        .contents
        .unwrap()
        .into_iter()
        .map(|o| o.key.unwrap())
        .collect();
    assert_eq!(keys, ["a/c/e", "b/x", "b/y"]);

    let out = fs
        .list_objects(req(ListObjectsInput {
            delimiter: Some("/".into()),
            max_keys: Some(2),
            ..base()
        }))
        .await
        .unwrap()
        .output;
    assert_eq!(out.is_truncated, Some(true));
    assert_eq!(out.next_marker.as_deref(), Some("a/"));
    let out = fs
        .list_objects(req(ListObjectsInput {
            delimiter: Some("/".into()),
            marker: Some("a/".into()),
            ..base()
        }))
        .await
        .unwrap()
        .output;
    let keys: Vec<_> = out
        .contents
        .unwrap()
        .into_iter()
        .map(|o| o.key.unwrap())
        .collect();
    let cps: Vec<_> = out
        .common_prefixes
        .unwrap()
        .into_iter()
        .map(|p| p.prefix.unwrap())
        .collect();
    assert_eq!(cps, ["b/"]);
    assert_eq!(keys, ["c", "c+d", "d e"]);
}

#[tokio::test]
async fn list_missing_bucket() {
    let (_d, fs) = backend().await;
    let r = fs
        .list_objects_v2(req(ListObjectsV2Input {
            bucket: "nope".into(),
            ..Default::default()
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::NoSuchBucket);
}

#[tokio::test]
async fn listing_does_not_leak_into_neighbour_bucket() {
    let (_d, fs) = backend().await;
    bucket(&fs, "aaa").await;
    bucket(&fs, "aab").await;
    put(&fs, "aab", "k", b"x").await;
    let (keys, _, _) = keys_v2(
        &fs,
        "aaa",
        ListObjectsV2Input {
            bucket: "aaa".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(keys.is_empty());
}
