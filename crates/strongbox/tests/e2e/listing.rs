//! ListObjects v1 and v2: prefix, delimiter, max-keys, marker / continuation token / start-after,
//! encoding-type=url.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::EncodingType;

use crate::common::{Server, err_code};

/// Byte-sorted, as S3 lists them.
const KEYS: &[&str] = &[
    "a.txt", "b/1", "b/2", "b/c/3", "c d/4", "d", "e/5", "e/6/7", "p+q", "ü/8",
];

async fn populated() -> (Server, aws_sdk_s3::Client) {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("list").send().await.unwrap();
    for k in KEYS {
        s3.put_object()
            .bucket("list")
            .key(*k)
            .body(ByteStream::from(k.as_bytes().to_vec()))
            .send()
            .await
            .unwrap();
    }
    (server, s3)
}

fn keys_of(contents: &[aws_sdk_s3::types::Object]) -> Vec<String> {
    contents
        .iter()
        .map(|o| o.key().unwrap().to_string())
        .collect()
}

fn prefixes_of(cps: &[aws_sdk_s3::types::CommonPrefix]) -> Vec<String> {
    cps.iter()
        .map(|p| p.prefix().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn v2_everything_prefix_and_delimiter() {
    let (_server, s3) = populated().await;

    let all = s3.list_objects_v2().bucket("list").send().await.unwrap();
    assert_eq!(keys_of(all.contents()), KEYS);
    assert_eq!(all.key_count(), Some(KEYS.len() as i32));
    assert_eq!(all.is_truncated(), Some(false));
    for o in all.contents() {
        assert_eq!(
            o.size(),
            Some(o.key().unwrap().len() as i64),
            "size of {:?}",
            o.key()
        );
        assert!(o.e_tag().is_some() && o.last_modified().is_some());
    }

    let pre = s3
        .list_objects_v2()
        .bucket("list")
        .prefix("b/")
        .send()
        .await
        .unwrap();
    assert_eq!(keys_of(pre.contents()), ["b/1", "b/2", "b/c/3"]);

    let top = s3
        .list_objects_v2()
        .bucket("list")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    assert_eq!(keys_of(top.contents()), ["a.txt", "d", "p+q"]);
    assert_eq!(
        prefixes_of(top.common_prefixes()),
        ["b/", "c d/", "e/", "ü/"]
    );
    assert_eq!(
        top.key_count(),
        Some(7),
        "KeyCount counts keys and common prefixes"
    );

    let sub = s3
        .list_objects_v2()
        .bucket("list")
        .prefix("b/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    assert_eq!(keys_of(sub.contents()), ["b/1", "b/2"]);
    assert_eq!(prefixes_of(sub.common_prefixes()), ["b/c/"]);

    let partial = s3
        .list_objects_v2()
        .bucket("list")
        .prefix("e/6")
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys_of(partial.contents()),
        ["e/6/7"],
        "a prefix need not end at a slash"
    );

    let none = s3
        .list_objects_v2()
        .bucket("list")
        .prefix("zzz")
        .send()
        .await
        .unwrap();
    assert!(none.contents().is_empty());
    assert_eq!(none.key_count(), Some(0));
}

#[tokio::test]
async fn v2_pages_with_continuation_token() {
    let (_server, s3) = populated().await;
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = s3
            .list_objects_v2()
            .bucket("list")
            .max_keys(3)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(out.contents().len() <= 3);
        assert_eq!(out.max_keys(), Some(3));
        seen.extend(keys_of(out.contents()));
        if out.is_truncated() == Some(true) {
            token = Some(
                out.next_continuation_token()
                    .expect("truncated page has a token")
                    .to_string(),
            );
        } else {
            assert!(out.next_continuation_token().is_none());
            break;
        }
        assert!(pages < 20, "paging does not end");
    }
    assert_eq!(seen, KEYS);
    assert_eq!(pages, 4);
}

#[tokio::test]
async fn v2_pages_over_common_prefixes() {
    let (_server, s3) = populated().await;
    let mut entries = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..20 {
        let out = s3
            .list_objects_v2()
            .bucket("list")
            .delimiter("/")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        assert!(
            out.contents().len() + out.common_prefixes().len() <= 2,
            "{out:?}"
        );
        entries.extend(keys_of(out.contents()));
        entries.extend(prefixes_of(out.common_prefixes()));
        token = out.next_continuation_token().map(str::to_string);
        if out.is_truncated() != Some(true) {
            break;
        }
    }
    entries.sort();
    assert_eq!(entries, ["a.txt", "b/", "c d/", "d", "e/", "p+q", "ü/"]);
}

#[tokio::test]
async fn v2_start_after() {
    let (_server, s3) = populated().await;
    let out = s3
        .list_objects_v2()
        .bucket("list")
        .start_after("b/2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys_of(out.contents()),
        ["b/c/3", "c d/4", "d", "e/5", "e/6/7", "p+q", "ü/8"]
    );
    let out = s3
        .list_objects_v2()
        .bucket("list")
        .start_after("b/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys_of(out.contents())[0],
        "b/1",
        "start-after need not be an existing key"
    );
    let out = s3
        .list_objects_v2()
        .bucket("list")
        .start_after("ü/8")
        .send()
        .await
        .unwrap();
    assert!(out.contents().is_empty());
}

#[tokio::test]
async fn v1_marker_and_max_keys() {
    let (_server, s3) = populated().await;
    let all = s3.list_objects().bucket("list").send().await.unwrap();
    assert_eq!(keys_of(all.contents()), KEYS);
    assert_eq!(all.is_truncated(), Some(false));

    let after = s3
        .list_objects()
        .bucket("list")
        .marker("c d/4")
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys_of(after.contents()),
        ["d", "e/5", "e/6/7", "p+q", "ü/8"]
    );

    // Page through with max-keys; without a delimiter the next marker is the last key.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..20 {
        let out = s3
            .list_objects()
            .bucket("list")
            .max_keys(4)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        assert!(out.contents().len() <= 4);
        seen.extend(keys_of(out.contents()));
        if out.is_truncated() != Some(true) {
            break;
        }
        marker = Some(
            out.next_marker()
                .map(str::to_string)
                .unwrap_or_else(|| seen.last().unwrap().clone()),
        );
    }
    assert_eq!(seen, KEYS);

    let grouped = s3
        .list_objects()
        .bucket("list")
        .delimiter("/")
        .max_keys(3)
        .send()
        .await
        .unwrap();
    assert_eq!(grouped.is_truncated(), Some(true));
    let first: Vec<String> = keys_of(grouped.contents())
        .into_iter()
        .chain(prefixes_of(grouped.common_prefixes()))
        .collect();
    assert_eq!(first.len(), 3, "{grouped:?}");
    // With a delimiter, S3 returns NextMarker on a truncated page.
    let next = grouped
        .next_marker()
        .expect("NextMarker with delimiter")
        .to_string();
    let rest = s3
        .list_objects()
        .bucket("list")
        .delimiter("/")
        .marker(next)
        .send()
        .await
        .unwrap();
    let mut all_entries: Vec<String> = first
        .into_iter()
        .chain(keys_of(rest.contents()))
        .chain(prefixes_of(rest.common_prefixes()))
        .collect();
    all_entries.sort();
    assert_eq!(all_entries, ["a.txt", "b/", "c d/", "d", "e/", "p+q", "ü/"]);
}

/// `application/x-www-form-urlencoded` decoding, as botocore applies to url-encoded listings.
fn unquote_plus(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let v = u8::from_str_radix(&s[i + 1..i + 3], 16).expect("bad %XX escape");
                out.push(v);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).expect("decoded key is UTF-8")
}

#[tokio::test]
async fn encoding_type_url() {
    let (_server, s3) = populated().await;
    let out = s3
        .list_objects_v2()
        .bucket("list")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(out.encoding_type(), Some(&EncodingType::Url));
    let raw = keys_of(out.contents());
    for k in &raw {
        assert!(
            k.is_ascii() && !k.contains(' '),
            "key not url-encoded: {k:?}"
        );
    }
    let decoded: Vec<String> = raw.iter().map(|k| unquote_plus(k)).collect();
    assert_eq!(decoded, KEYS);

    let grouped = s3
        .list_objects()
        .bucket("list")
        .delimiter("/")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    let cps: Vec<String> = prefixes_of(grouped.common_prefixes())
        .iter()
        .map(|p| unquote_plus(p))
        .collect();
    assert_eq!(cps, ["b/", "c d/", "e/", "ü/"]);
    for p in prefixes_of(grouped.common_prefixes()) {
        assert!(
            p.is_ascii() && !p.contains(' '),
            "prefix not url-encoded: {p:?}"
        );
    }
}

#[tokio::test]
async fn listing_a_missing_bucket() {
    let server = Server::start();
    let s3 = server.s3();
    assert_eq!(
        err_code(s3.list_objects().bucket("nope").send().await),
        "NoSuchBucket"
    );
    assert_eq!(
        err_code(s3.list_objects_v2().bucket("nope").send().await),
        "NoSuchBucket"
    );
}
