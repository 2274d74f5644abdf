use s3s::S3;
use s3s::S3ErrorCode;
use s3s::dto::*;

use super::object::{count_data_files, count_tmp_files};
use super::*;
use crate::fs::multipart::MIN_PART_SIZE;

const MIB5: usize = MIN_PART_SIZE as usize;

pub(super) async fn create(fs: &crate::FsBackend, b: &str, k: &str) -> String {
    let mut meta = Metadata::new();
    meta.insert("mpb".into(), "1".into());
    fs.create_multipart_upload(req(CreateMultipartUploadInput {
        bucket: b.into(),
        key: k.into(),
        content_type: Some("application/x-mp".into()),
        metadata: Some(meta),
        ..Default::default()
    }))
    .await
    .unwrap()
    .output
    .upload_id
    .unwrap()
}

pub(super) async fn part(
    fs: &crate::FsBackend,
    b: &str,
    k: &str,
    id: &str,
    n: i32,
    body: &[u8],
) -> S3Result<String> {
    let out = fs
        .upload_part(req(UploadPartInput {
            bucket: b.into(),
            key: k.into(),
            upload_id: id.into(),
            part_number: n,
            body: Some(chunked_blob(body, 256 << 10)),
            content_length: Some(body.len() as i64),
            ..Default::default()
        }))
        .await?
        .output;
    Ok(out.e_tag.unwrap().into_value())
}

use s3s::S3Result;

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload {
        parts: Some(
            parts
                .iter()
                .map(|(n, e)| CompletedPart {
                    part_number: Some(*n),
                    e_tag: Some(ETag::Strong(e.to_string())),
                    ..Default::default()
                })
                .collect(),
        ),
    }
}

pub(super) async fn complete(
    fs: &crate::FsBackend,
    b: &str,
    k: &str,
    id: &str,
    parts: &[(i32, &str)],
) -> S3Result<String> {
    let out = fs
        .complete_multipart_upload(req(CompleteMultipartUploadInput {
            bucket: b.into(),
            key: k.into(),
            upload_id: id.into(),
            multipart_upload: Some(completed(parts)),
            ..Default::default()
        }))
        .await?
        .output;
    Ok(out.e_tag.unwrap().into_value())
}

fn expected_etag(parts: &[&[u8]]) -> String {
    let mut cat = Vec::new();
    for p in parts {
        cat.extend_from_slice(&Md5::digest(p));
    }
    format!("{}-{}", md5_hex(&cat), parts.len())
}

#[tokio::test]
async fn full_upload_with_etag_vector_part_get_and_listing() {
    let (d, fs) = backend().await;
    bucket(&fs, "mpb").await;
    let id = create(&fs, "mpb", "big/obj").await;
    let p1 = data(MIB5, 1);
    let p2 = data(MIB5 + 17, 2);
    let p3 = data(1234, 3);
    let e2 = part(&fs, "mpb", "big/obj", &id, 2, &p2).await.unwrap();
    let e1 = part(&fs, "mpb", "big/obj", &id, 1, &p1).await.unwrap();
    let e3 = part(&fs, "mpb", "big/obj", &id, 3, &p3).await.unwrap();
    assert_eq!(e1, md5_hex(&p1));

    // ListParts, paginated.
    let lp = fs
        .list_parts(req(ListPartsInput {
            bucket: "mpb".into(),
            key: "big/obj".into(),
            upload_id: id.clone(),
            max_parts: Some(2),
            ..Default::default()
        }))
        .await
        .unwrap()
        .output;
    let parts = lp.parts.unwrap();
    assert_eq!(
        parts
            .iter()
            .map(|p| p.part_number.unwrap())
            .collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(parts[1].size, Some((MIB5 + 17) as i64));
    assert_eq!(lp.is_truncated, Some(true));
    assert_eq!(lp.next_part_number_marker, Some(2));
    let lp = fs
        .list_parts(req(ListPartsInput {
            bucket: "mpb".into(),
            key: "big/obj".into(),
            upload_id: id.clone(),
            part_number_marker: Some(2),
            ..Default::default()
        }))
        .await
        .unwrap()
        .output;
    assert_eq!(lp.parts.unwrap().len(), 1);

    // ListMultipartUploads sees it.
    let lu = fs
        .list_multipart_uploads(req(ListMultipartUploadsInput {
            bucket: "mpb".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .output;
    let ups = lu.uploads.unwrap();
    assert_eq!(ups.len(), 1);
    assert_eq!(ups[0].upload_id.as_deref(), Some(id.as_str()));

    let etag = complete(&fs, "mpb", "big/obj", &id, &[(1, &e1), (2, &e2), (3, &e3)])
        .await
        .unwrap();
    assert_eq!(etag, expected_etag(&[&p1, &p2, &p3]));
    assert!(etag.ends_with("-3"));

    let (o, got) = get(&fs, "mpb", "big/obj").await.unwrap();
    let mut all = p1.clone();
    all.extend_from_slice(&p2);
    all.extend_from_slice(&p3);
    assert!(got == all);
    assert_eq!(o.e_tag.unwrap().value(), etag);
    assert_eq!(o.content_type.as_deref(), Some("application/x-mp"));
    assert_eq!(
        o.metadata.unwrap().get("mpb").map(String::as_str),
        Some("1")
    );

    // A range across the part boundary.
    let mut o = fs
        .get_object(req(GetObjectInput {
            range: Some(Range::Int {
                first: (MIB5 - 10) as u64,
                last: Some((MIB5 + 9) as u64),
            }),
            ..get_input("mpb", "big/obj")
        }))
        .await
        .unwrap()
        .output;
    assert_eq!(collect(o.body.take()).await, &all[MIB5 - 10..MIB5 + 10]);

    // partNumber=2.
    let mut o = fs
        .get_object(req(GetObjectInput {
            part_number: Some(2),
            ..get_input("mpb", "big/obj")
        }))
        .await
        .unwrap()
        .output;
    assert_eq!(o.parts_count, Some(3));
    assert!(collect(o.body.take()).await == p2);

    // The upload is gone; its parts are the object's data now.
    let lu = fs
        .list_multipart_uploads(req(ListMultipartUploadsInput {
            bucket: "mpb".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .output;
    assert!(lu.uploads.unwrap().is_empty());
    assert_eq!(count_data_files(d.path()), 3);
    assert_eq!(count_tmp_files(d.path()), 0);
    let r = part(&fs, "mpb", "big/obj", &id, 4, b"late").await;
    assert_eq!(code(r), S3ErrorCode::NoSuchUpload);
}

#[tokio::test]
async fn complete_checks_parts() {
    let (d, fs) = backend().await;
    bucket(&fs, "mpb").await;
    let id = create(&fs, "mpb", "k").await;
    let big = data(MIB5, 4);
    let e1 = part(&fs, "mpb", "k", &id, 1, b"small part").await.unwrap();
    let e2 = part(&fs, "mpb", "k", &id, 2, b"last").await.unwrap();

    let r = complete(&fs, "mpb", "k", &id, &[(1, &e1), (2, &e2)]).await;
    assert_eq!(code(r), S3ErrorCode::EntityTooSmall);
    let r = complete(&fs, "mpb", "k", &id, &[(2, &e2), (1, &e1)]).await;
    assert_eq!(code(r), S3ErrorCode::InvalidPartOrder);
    let r = complete(&fs, "mpb", "k", &id, &[(1, &e2)]).await;
    assert_eq!(code(r), S3ErrorCode::InvalidPart);
    let r = complete(&fs, "mpb", "k", &id, &[(7, &e1)]).await;
    assert_eq!(code(r), S3ErrorCode::InvalidPart);

    // Re-uploading part 1 replaces it (and its old file).
    let e1 = part(&fs, "mpb", "k", &id, 1, &big).await.unwrap();
    assert_eq!(count_data_files(d.path()), 2);
    // Only part 1 used: part 2's file is dropped at completion.
    let etag = complete(&fs, "mpb", "k", &id, &[(1, &e1)]).await.unwrap();
    assert_eq!(etag, expected_etag(&[&big]));
    assert_eq!(count_data_files(d.path()), 1);
    let r = complete(&fs, "mpb", "k", &id, &[(1, &e1)]).await;
    assert_eq!(code(r), S3ErrorCode::NoSuchUpload);
}

#[tokio::test]
async fn abort_removes_upload_and_parts() {
    let (d, fs) = backend().await;
    bucket(&fs, "abt").await;
    let id = create(&fs, "abt", "k").await;
    part(&fs, "abt", "k", &id, 1, b"part").await.unwrap();
    fs.abort_multipart_upload(req(AbortMultipartUploadInput {
        bucket: "abt".into(),
        key: "k".into(),
        upload_id: id.clone(),
        ..Default::default()
    }))
    .await
    .unwrap();
    assert_eq!(count_data_files(d.path()), 0);
    let r = fs
        .abort_multipart_upload(req(AbortMultipartUploadInput {
            bucket: "abt".into(),
            key: "k".into(),
            upload_id: id.clone(),
            ..Default::default()
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::NoSuchUpload);
    let r = fs
        .list_parts(req(ListPartsInput {
            bucket: "abt".into(),
            key: "k".into(),
            upload_id: id,
            ..Default::default()
        }))
        .await;
    assert_eq!(code(r), S3ErrorCode::NoSuchUpload);
    let r = part(&fs, "abt", "k", "bogus-id", 1, b"x").await;
    assert_eq!(code(r), S3ErrorCode::NoSuchUpload);
    let r = part(&fs, "abt", "k", "bogus-id", 0, b"x").await;
    assert_eq!(code(r), S3ErrorCode::InvalidArgument);
}

#[tokio::test]
async fn upload_part_copy_with_range() {
    let (_d, fs) = backend().await;
    bucket(&fs, "pcb").await;
    let src = data(MIB5 + 100, 8);
    put(&fs, "pcb", "src", &src).await;
    let id = create(&fs, "pcb", "dst").await;
    let copy = |n: i32, range: Option<&str>| {
        let mut i = UploadPartCopyInput::builder()
            .bucket("pcb".into())
            .key("dst".into())
            .upload_id(id.clone())
            .part_number(n)
            .copy_source(CopySource::Bucket {
                bucket: "pcb".into(),
                key: "src".into(),
                version_id: None,
            })
            .build()
            .unwrap();
        i.copy_source_range = range.map(str::to_owned);
        let fs = fs.clone();
        async move {
            fs.upload_part_copy(req(i)).await.map(|r| {
                r.output
                    .copy_part_result
                    .unwrap()
                    .e_tag
                    .unwrap()
                    .into_value()
            })
        }
    };
    let e1 = copy(1, None).await.unwrap();
    assert_eq!(e1, md5_hex(&src));
    let e2 = copy(2, Some("bytes=10-19")).await.unwrap();
    assert_eq!(e2, md5_hex(&src[10..20]));
    assert_eq!(
        code(copy(3, Some(&format!("bytes=0-{}", src.len()))).await),
        S3ErrorCode::InvalidRange
    );
    let etag = complete(&fs, "pcb", "dst", &id, &[(1, &e1), (2, &e2)])
        .await
        .unwrap();
    assert_eq!(etag, expected_etag(&[&src, &src[10..20]]));
    let (_, got) = get(&fs, "pcb", "dst").await.unwrap();
    assert_eq!(got.len(), src.len() + 10);
    assert!(got[src.len()..] == src[10..20]);
}

#[tokio::test]
async fn list_uploads_prefix_delimiter_and_markers() {
    let (_d, fs) = backend().await;
    bucket(&fs, "lub").await;
    let a1 = create(&fs, "lub", "a/1").await;
    let a2 = create(&fs, "lub", "a/2").await;
    let b1 = create(&fs, "lub", "b").await;
    let b2 = create(&fs, "lub", "b").await;
    let list = |i: ListMultipartUploadsInput| {
        let fs = fs.clone();
        async move { fs.list_multipart_uploads(req(i)).await.unwrap().output }
    };
    let base = || ListMultipartUploadsInput {
        bucket: "lub".into(),
        ..Default::default()
    };
    let out = list(ListMultipartUploadsInput {
        delimiter: Some("/".into()),
        ..base()
    })
    .await;
    let cps: Vec<_> = out
        .common_prefixes
        .unwrap()
        .into_iter()
        .map(|p| p.prefix.unwrap())
        .collect();
    assert_eq!(cps, ["a/"]);
    let ids: Vec<_> = out
        .uploads
        .unwrap()
        .into_iter()
        .map(|u| u.upload_id.unwrap())
        .collect();
    assert_eq!(
        ids,
        [b1.clone(), b2.clone()],
        "same key: in the order they were started"
    );

    let out = list(ListMultipartUploadsInput {
        prefix: Some("a/".into()),
        ..base()
    })
    .await;
    let ids: Vec<_> = out
        .uploads
        .unwrap()
        .into_iter()
        .map(|u| u.upload_id.unwrap())
        .collect();
    assert_eq!(ids, [a1, a2]);

    let out = list(ListMultipartUploadsInput {
        max_uploads: Some(3),
        ..base()
    })
    .await;
    assert_eq!(out.is_truncated, Some(true));
    assert_eq!(out.next_key_marker.as_deref(), Some("b"));
    assert_eq!(out.next_upload_id_marker.as_deref(), Some(b1.as_str()));
    let out = list(ListMultipartUploadsInput {
        key_marker: out.next_key_marker,
        upload_id_marker: out.next_upload_id_marker,
        ..base()
    })
    .await;
    let ids: Vec<_> = out
        .uploads
        .unwrap()
        .into_iter()
        .map(|u| u.upload_id.unwrap())
        .collect();
    assert_eq!(ids, [b2]);
}

#[tokio::test]
async fn delete_bucket_drops_unfinished_uploads() {
    let (d, fs) = backend().await;
    bucket(&fs, "gone").await;
    let id = create(&fs, "gone", "k").await;
    part(&fs, "gone", "k", &id, 1, b"x").await.unwrap();
    fs.delete_bucket(req(DeleteBucketInput {
        bucket: "gone".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    assert_eq!(count_data_files(d.path()), 0);
}
