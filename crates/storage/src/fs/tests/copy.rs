use s3s::S3;
use s3s::S3ErrorCode;
use s3s::dto::*;

use super::*;

fn src(b: &str, k: &str) -> CopySource {
    CopySource::Bucket {
        bucket: b.into(),
        key: k.into(),
        version_id: None,
    }
}

fn copy_input(sb: &str, sk: &str, db: &str, dk: &str) -> CopyObjectInput {
    CopyObjectInput::builder()
        .bucket(db.into())
        .key(dk.into())
        .copy_source(src(sb, sk))
        .build()
        .unwrap()
}

async fn put_with_meta(fs: &crate::FsBackend, b: &str, k: &str, body: &[u8]) {
    let mut meta = Metadata::new();
    meta.insert("origin".into(), "source".into());
    fs.put_object(req(PutObjectInput {
        content_type: Some("text/source".into()),
        metadata: Some(meta),
        ..put_input(b, k, body)
    }))
    .await
    .unwrap();
}

#[tokio::test]
async fn copy_keeps_metadata_by_default() {
    let (_d, fs) = backend().await;
    bucket(&fs, "cpy1").await;
    bucket(&fs, "cpy2").await;
    let body = data(300_000, 5);
    put_with_meta(&fs, "cpy1", "src", &body).await;
    let out = fs
        .copy_object(req(copy_input("cpy1", "src", "cpy2", "dst")))
        .await
        .unwrap()
        .output;
    assert_eq!(
        out.copy_object_result.unwrap().e_tag.unwrap().value(),
        md5_hex(&body)
    );
    let (o, got) = get(&fs, "cpy2", "dst").await.unwrap();
    assert!(got == body);
    assert_eq!(o.content_type.as_deref(), Some("text/source"));
    assert_eq!(
        o.metadata.unwrap().get("origin").map(String::as_str),
        Some("source")
    );

    // The copy is independent of the source.
    fs.delete_object(req(DeleteObjectInput {
        bucket: "cpy1".into(),
        key: "src".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    assert!(get(&fs, "cpy2", "dst").await.unwrap().1 == body);
}

#[tokio::test]
async fn copy_replace_uses_request_metadata() {
    let (_d, fs) = backend().await;
    bucket(&fs, "cpy1").await;
    put_with_meta(&fs, "cpy1", "src", b"abc").await;
    let mut meta = Metadata::new();
    meta.insert("new".into(), "yes".into());
    let mut i = copy_input("cpy1", "src", "cpy1", "dst");
    i.metadata_directive = Some(MetadataDirective::from_static(MetadataDirective::REPLACE));
    i.metadata = Some(meta);
    i.content_type = Some("text/new".into());
    fs.copy_object(req(i)).await.unwrap();
    let (o, _) = get(&fs, "cpy1", "dst").await.unwrap();
    assert_eq!(o.content_type.as_deref(), Some("text/new"));
    let m = o.metadata.unwrap();
    assert_eq!(m.get("new").map(String::as_str), Some("yes"));
    assert!(!m.contains_key("origin"));
}

#[tokio::test]
async fn copy_onto_itself_needs_replace() {
    let (_d, fs) = backend().await;
    bucket(&fs, "self").await;
    put_with_meta(&fs, "self", "k", b"same").await;
    let r = fs
        .copy_object(req(copy_input("self", "k", "self", "k")))
        .await;
    assert_eq!(code(r), S3ErrorCode::InvalidRequest);
    let mut i = copy_input("self", "k", "self", "k");
    i.metadata_directive = Some(MetadataDirective::from_static(MetadataDirective::REPLACE));
    i.content_type = Some("text/changed".into());
    fs.copy_object(req(i)).await.unwrap();
    let (o, got) = get(&fs, "self", "k").await.unwrap();
    assert_eq!(got, b"same");
    assert_eq!(o.content_type.as_deref(), Some("text/changed"));
}

#[tokio::test]
async fn copy_source_conditions_and_missing_source() {
    let (_d, fs) = backend().await;
    bucket(&fs, "ccb").await;
    let etag = put(&fs, "ccb", "src", b"data").await;
    let mut i = copy_input("ccb", "src", "ccb", "dst");
    i.copy_source_if_match = Some(ETagCondition::ETag(ETag::Strong("wrong".into())));
    assert_eq!(
        code(fs.copy_object(req(i)).await),
        S3ErrorCode::PreconditionFailed
    );
    let mut i = copy_input("ccb", "src", "ccb", "dst");
    i.copy_source_if_none_match = Some(ETagCondition::ETag(ETag::Strong(etag.clone())));
    assert_eq!(
        code(fs.copy_object(req(i)).await),
        S3ErrorCode::PreconditionFailed
    );
    let mut i = copy_input("ccb", "src", "ccb", "dst");
    i.copy_source_if_match = Some(ETagCondition::ETag(ETag::Strong(etag)));
    fs.copy_object(req(i)).await.unwrap();
    let r = fs
        .copy_object(req(copy_input("ccb", "nothing", "ccb", "dst2")))
        .await;
    assert_eq!(code(r), S3ErrorCode::NoSuchKey);
    let r = fs
        .copy_object(req(copy_input("ccb", "src", "nobucket", "dst2")))
        .await;
    assert_eq!(code(r), S3ErrorCode::NoSuchBucket);
}
