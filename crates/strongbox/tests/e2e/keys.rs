//! Object keys: every character class clients use, `a` beside `a/b`, and keys that try to leave
//! the data directory.

use aws_sdk_s3::primitives::ByteStream;

use crate::common::http::request_blocking;
use crate::common::sigv4::{EMPTY_SHA256, Signer, sha256_hex};
use crate::common::{REGION, ROOT_PASSWORD, ROOT_USER, Server, files_under};

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &[u8]) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {key:?}: {e:?}"));
}

async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {key:?}: {e:?}"));
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

async fn list_all(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let out = s3
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        keys.extend(
            out.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        token = out.next_continuation_token().map(str::to_string);
        if token.is_none() {
            return keys;
        }
    }
}

const AWKWARD_KEYS: &[&str] = &[
    "plain",
    "dir/sub/file.txt",
    "with space",
    "two  spaces/and trailing ",
    "percent%20literal",
    "100% sure/%2F",
    "plus+sign",
    "ünïcødé/日本語 ファイル.txt",
    "emoji-😀",
    "quote'and\"double",
    "amp&eq=?q#hash",
    "tilde~star*(paren)",
    "semi;colon:comma,",
    "back\\slash",
    "..dots-but-not-a-path..",
    "dir/.hidden",
];

#[tokio::test]
async fn awkward_keys_round_trip_and_list() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("keys").send().await.unwrap();
    for (i, key) in AWKWARD_KEYS.iter().enumerate() {
        put(&s3, "keys", key, format!("body {i}").as_bytes()).await;
    }
    for (i, key) in AWKWARD_KEYS.iter().enumerate() {
        assert_eq!(
            get(&s3, "keys", key).await,
            format!("body {i}").as_bytes(),
            "{key:?}"
        );
    }
    let mut want: Vec<String> = AWKWARD_KEYS.iter().map(|k| k.to_string()).collect();
    want.sort();
    assert_eq!(
        list_all(&s3, "keys").await,
        want,
        "listing is the exact key set, in byte order"
    );
}

#[tokio::test]
async fn object_and_prefix_of_same_name_coexist() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("nest").send().await.unwrap();
    // Both orders: file first, then something below it; and the other way round.
    put(&s3, "nest", "a", b"A").await;
    put(&s3, "nest", "a/b", b"AB").await;
    put(&s3, "nest", "x/y/z", b"XYZ").await;
    put(&s3, "nest", "x/y", b"XY").await;
    put(&s3, "nest", "x", b"X").await;
    for (k, v) in [
        ("a", "A"),
        ("a/b", "AB"),
        ("x", "X"),
        ("x/y", "XY"),
        ("x/y/z", "XYZ"),
    ] {
        assert_eq!(get(&s3, "nest", k).await, v.as_bytes(), "{k}");
    }
    assert_eq!(
        list_all(&s3, "nest").await,
        ["a", "a/b", "x", "x/y", "x/y/z"]
    );

    // Deleting the deeper one leaves the shallower intact, and the other way round.
    s3.delete_object()
        .bucket("nest")
        .key("a/b")
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "nest", "a").await, b"A");
    s3.delete_object()
        .bucket("nest")
        .key("x")
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "nest", "x/y/z").await, b"XYZ");
    assert_eq!(list_all(&s3, "nest").await, ["a", "x/y", "x/y/z"]);
}

#[tokio::test]
async fn folder_marker_objects() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("folders").send().await.unwrap();
    // Consoles and sync tools create zero-byte "dir/" objects next to the files in them.
    put(&s3, "folders", "photos/", b"").await;
    put(&s3, "folders", "photos/cat.jpg", b"meow").await;
    assert_eq!(get(&s3, "folders", "photos/").await, b"");
    assert_eq!(
        list_all(&s3, "folders").await,
        ["photos/", "photos/cat.jpg"]
    );
}

#[tokio::test]
async fn long_keys_up_to_the_s3_limit() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("long").send().await.unwrap();
    // S3 allows 1024-byte keys, with no limit on a single path segment (file systems stop at 255).
    let one_segment = "s".repeat(300);
    let max = format!("{}/{}", "d".repeat(500), "f".repeat(523));
    assert_eq!(max.len(), 1024);
    put(&s3, "long", &one_segment, b"seg").await;
    put(&s3, "long", &max, b"max").await;
    assert_eq!(get(&s3, "long", &one_segment).await, b"seg");
    assert_eq!(get(&s3, "long", &max).await, b"max");
    let too_long = "k".repeat(1025);
    let res = s3
        .put_object()
        .bucket("long")
        .key(&too_long)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert!(res.is_err(), "a 1025-byte key must be refused");
}

/// Keys that would walk out of DIR if joined onto a path. The server must refuse them, and must
/// never read or write a file outside DIR, whichever way the request reaches it.
#[tokio::test]
async fn traversal_keys_never_leave_the_data_dir() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("jail").send().await.unwrap();

    // A file beside DIR that a traversal would reach: <root>/data/jail/../../secret.txt
    let secret = server.root_dir().join("secret.txt");
    std::fs::write(&secret, b"outside").unwrap();
    let outside_before = files_under(server.root_dir())
        .into_iter()
        .filter(|p| !p.starts_with("data"))
        .collect::<Vec<_>>();

    let evil = [
        "../secret.txt",
        "../../secret.txt",
        "../../../../../../../../tmp/strongbox-escape",
        "a/../../../secret.txt",
        "..",
        "../",
        "./../secret.txt",
        "/../../secret.txt",
        "/etc/passwd",
        "nul\0byte",
    ];
    let signer = Signer::new(
        ROOT_USER,
        ROOT_PASSWORD,
        REGION,
        std::time::SystemTime::now(),
    );
    for key in evil {
        // Through the SDK (which may or may not normalise), and raw on the wire (which does not).
        let res = s3
            .put_object()
            .bucket("jail")
            .key(key)
            .body(ByteStream::from_static(b"pwned"))
            .send()
            .await;
        // Issue 2: keys that try to escape DIR (`..`, absolute paths, NUL) are refused.
        assert!(res.is_err(), "PUT of key {key:?} was accepted");
        let body = b"pwned-raw";
        let path = format!("/jail/{key}");
        let signed = signer.sign(
            "PUT",
            &server.addr().to_string(),
            &path,
            &[],
            &[],
            &sha256_hex(body),
        );
        let _ = request_blocking(server.addr(), "PUT", &signed.target, &signed.headers, body);

        let got = s3.get_object().bucket("jail").key(key).send().await;
        if let Ok(out) = got {
            let bytes = out.body.collect().await.unwrap().into_bytes();
            assert_ne!(
                bytes.as_ref(),
                b"outside",
                "{key:?} read a file outside DIR"
            );
        }
        let signed = signer.sign(
            "GET",
            &server.addr().to_string(),
            &path,
            &[],
            &[],
            EMPTY_SHA256,
        );
        if let Ok(resp) =
            request_blocking(server.addr(), "GET", &signed.target, &signed.headers, &[])
        {
            assert_ne!(
                resp.body.as_slice(),
                b"outside",
                "raw GET {key:?} read a file outside DIR"
            );
        }
    }
    assert!(
        !std::path::Path::new("/tmp/strongbox-escape").exists(),
        "wrote /tmp/strongbox-escape"
    );
    assert_eq!(
        std::fs::read(&secret).unwrap(),
        b"outside",
        "file outside DIR was modified"
    );
    let outside_after = files_under(server.root_dir())
        .into_iter()
        .filter(|p| !p.starts_with("data"))
        .collect::<Vec<_>>();
    assert_eq!(outside_before, outside_after, "files appeared outside DIR");
}

/// The server keeps its own state under DIR; none of it may be reachable or listed through S3.
#[tokio::test]
async fn server_state_under_dir_is_not_reachable() {
    let server = Server::start();
    let s3 = server.s3();
    s3.create_bucket().bucket("visible").send().await.unwrap();
    put(&s3, "visible", "k", b"v").await;

    let buckets = s3.list_buckets().send().await.unwrap();
    let names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(
        names,
        ["visible"],
        "ListBuckets shows more than the created bucket"
    );

    // Every top-level entry of DIR that is not a bucket, tried as a bucket and as a path.
    let signer = Signer::new(
        ROOT_USER,
        ROOT_PASSWORD,
        REGION,
        std::time::SystemTime::now(),
    );
    let host = server.addr().to_string();
    let entries: Vec<String> = std::fs::read_dir(server.data_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "visible")
        .collect();
    for entry in &entries {
        for p in files_under(&server.data_dir().join(entry))
            .into_iter()
            .take(20)
        {
            let path = format!("/{entry}/{}", p.to_string_lossy());
            let signed = signer.sign("GET", &host, &path, &[], &[], EMPTY_SHA256);
            let resp = request_blocking(server.addr(), "GET", &signed.target, &signed.headers, &[])
                .unwrap();
            assert_ne!(resp.status, 200, "internal file {path} served through S3");
        }
        let signed = signer.sign("GET", &host, &format!("/{entry}"), &[], &[], EMPTY_SHA256);
        let resp =
            request_blocking(server.addr(), "GET", &signed.target, &signed.headers, &[]).unwrap();
        assert_ne!(
            resp.status, 200,
            "internal directory {entry} listed through S3"
        );
        let res = s3.create_bucket().bucket(entry).send().await;
        assert!(
            res.is_err(),
            "a bucket named {entry:?} (the server's own state) was created"
        );
    }
}
