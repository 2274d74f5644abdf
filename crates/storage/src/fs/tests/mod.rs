//! Tests that call the backend through the `s3s::S3` trait on a temporary directory.

mod bucket;
mod cache;
mod copy;
mod crash;
mod direct;
mod list;
mod multipart;
mod object;

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, Method, Uri};
use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{S3, S3Error, S3ErrorCode, S3Request};
use tempfile::TempDir;

use super::FsBackend;

pub(super) fn req<T>(input: T) -> S3Request<T> {
    S3Request {
        input,
        method: Method::GET,
        uri: Uri::from_static("/"),
        headers: HeaderMap::new(),
        extensions: Default::default(),
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    }
}

pub(super) async fn backend() -> (TempDir, FsBackend) {
    let dir = tempfile::tempdir().unwrap();
    let fs = FsBackend::open(dir.path()).await.unwrap();
    (dir, fs)
}

pub(super) async fn bucket(fs: &FsBackend, name: &str) {
    fs.create_bucket(req(CreateBucketInput {
        bucket: name.into(),
        ..Default::default()
    }))
    .await
    .unwrap();
}

/// A body delivered in several chunks (as the network does).
pub(super) fn chunked_blob(data: &[u8], chunk: usize) -> StreamingBlob {
    let chunks: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(chunk.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    StreamingBlob::wrap(futures::stream::iter(chunks))
}

pub(super) fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

pub(super) fn put_input(b: &str, k: &str, data: &[u8]) -> PutObjectInput {
    PutObjectInput {
        bucket: b.into(),
        key: k.into(),
        body: Some(chunked_blob(data, 64 << 10)),
        content_length: Some(data.len() as i64),
        ..Default::default()
    }
}

pub(super) async fn put(fs: &FsBackend, b: &str, k: &str, data: &[u8]) -> String {
    let out = fs
        .put_object(req(put_input(b, k, data)))
        .await
        .unwrap()
        .output;
    out.e_tag.unwrap().into_value()
}

pub(super) fn get_input(b: &str, k: &str) -> GetObjectInput {
    GetObjectInput {
        bucket: b.into(),
        key: k.into(),
        ..Default::default()
    }
}

pub(super) async fn collect(body: Option<StreamingBlob>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut body = body.expect("body");
    while let Some(c) = body.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

pub(super) async fn get(
    fs: &FsBackend,
    b: &str,
    k: &str,
) -> Result<(GetObjectOutput, Vec<u8>), S3Error> {
    let mut out = fs.get_object(req(get_input(b, k))).await?.output;
    let body = collect(out.body.take()).await;
    Ok((out, body))
}

pub(super) fn code<T>(r: Result<T, S3Error>) -> S3ErrorCode {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.code().clone(),
    }
}

/// Deterministic test data.
pub(super) fn data(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ ((i >> 8) as u8))
        .collect()
}

pub(super) async fn keys_v2(
    fs: &FsBackend,
    b: &str,
    input: ListObjectsV2Input,
) -> (Vec<String>, Vec<String>, ListObjectsV2Output) {
    let _ = b;
    let out = fs.list_objects_v2(req(input)).await.unwrap().output;
    let keys = out
        .contents
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|o| o.key.unwrap())
        .collect();
    let cps = out
        .common_prefixes
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.prefix.unwrap())
        .collect();
    (keys, cps, out)
}
