//! The direct read path end to end: the real binary with it (the default) and with
//! `STRONGBOX_DIRECT_READS=off`, over copies of one data directory, answer aws-sdk-rust's
//! GetObject / HeadObject alike, read after read. The SDK's requests are recorded: with
//! `ResponseChecksumValidation::WhenRequired` they have the shape the direct path serves (only
//! headers the direct path accepts, the `x-id=GetObject` query, an empty or
//! unsigned payload hash); by default the SDK adds `x-amz-checksum-mode: ENABLED`, which the
//! direct path leaves to s3s. (Which requests the direct path answers is tested in process, with
//! its counter: crates/server/tests/direct_reads.rs.)

#[allow(dead_code)]
mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, ResponseChecksumValidation, RuntimeComponents};
use aws_sdk_s3::primitives::ByteStream;
use common::{Server, default_env};

const BUCKET: &str = "direct";
/// The request headers the direct path accepts (`strongbox_server::fast`, its module docs).
const DIRECT_HEADERS: &[&str] = &[
    "host",
    "authorization",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
    "user-agent",
    "x-amz-user-agent",
    "accept",
    "accept-encoding",
    "connection",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
];
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The requests a client sent, as signed: (method, URI, headers).
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<(String, String, Vec<(String, String)>)>>>);

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let req = context.request();
        let headers = req
            .headers()
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
            .collect();
        self.0
            .lock()
            .unwrap()
            .push((req.method().to_owned(), req.uri().to_owned(), headers));
        Ok(())
    }
}

impl Recorder {
    fn take(&self) -> Vec<(String, String, Vec<(String, String)>)> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

fn client(
    server: &Server,
    validation: ResponseChecksumValidation,
) -> (aws_sdk_s3::Client, Recorder) {
    let rec = Recorder::default();
    let conf = server
        .s3_config(common::ROOT_USER, common::ROOT_PASSWORD)
        .response_checksum_validation(validation)
        .interceptor(rec.clone())
        .build();
    (aws_sdk_s3::Client::from_conf(conf), rec)
}

/// Copies the tree under `from` into `to`, keeping modification times.
fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dst = to.join(entry.file_name());
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            copy_dir(&entry.path(), &dst);
        } else {
            std::fs::copy(entry.path(), &dst).unwrap();
            let f = std::fs::File::options().write(true).open(&dst).unwrap();
            f.set_modified(meta.modified().unwrap()).unwrap();
        }
    }
}

/// Everything of a GetObject answer a client sees (the request id aside).
async fn get(s3: &aws_sdk_s3::Client, key: &str) -> String {
    let out = s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    let head = format!(
        "etag={:?} len={:?} type={:?} cache={:?} disp={:?} enc={:?} lang={:?} expires={:?} \
         modified={:?} meta={:?} ranges={:?} crc32={:?} crc64={:?}",
        out.e_tag(),
        out.content_length(),
        out.content_type(),
        out.cache_control(),
        out.content_disposition(),
        out.content_encoding(),
        out.content_language(),
        out.expires_string(),
        out.last_modified(),
        out.metadata()
            .map(|m| m.iter().collect::<std::collections::BTreeMap<_, _>>()),
        out.accept_ranges(),
        out.checksum_crc32(),
        out.checksum_crc64_nvme(),
    );
    let body = out.body.collect().await.unwrap().into_bytes();
    format!("{head} body={body:?}")
}

/// Everything of a HeadObject answer a client sees (the request id aside).
async fn head(s3: &aws_sdk_s3::Client, key: &str) -> String {
    let out = s3
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    format!(
        "etag={:?} len={:?} type={:?} cache={:?} disp={:?} enc={:?} lang={:?} expires={:?} \
         modified={:?} meta={:?} ranges={:?} crc32={:?}",
        out.e_tag(),
        out.content_length(),
        out.content_type(),
        out.cache_control(),
        out.content_disposition(),
        out.content_encoding(),
        out.content_language(),
        out.expires_string(),
        out.last_modified(),
        out.metadata()
            .map(|m| m.iter().collect::<std::collections::BTreeMap<_, _>>()),
        out.accept_ranges(),
        out.checksum_crc32(),
    )
}

/// Whether a recorded request has the shape the direct path serves (its module docs).
fn direct_shape(method: &str, uri: &str, headers: &[(String, String)]) -> Result<(), String> {
    let query = uri.split_once('?').map(|(_, q)| q);
    match (method, query) {
        ("GET", None | Some("x-id=GetObject")) | ("HEAD", None) => {}
        _ => return Err(format!("{method} {uri}")),
    }
    for (name, value) in headers {
        if !DIRECT_HEADERS.contains(&name.as_str()) && !(name == "content-length" && value == "0") {
            return Err(format!("header {name}: {value}"));
        }
        if name == "x-amz-content-sha256" && value != "UNSIGNED-PAYLOAD" && value != EMPTY_SHA256 {
            return Err(format!("payload hash {value}"));
        }
    }
    Ok(())
}

#[tokio::test]
async fn sdk_reads_alike_with_and_without_direct_reads() {
    let mut off_env = default_env();
    off_env.push(("STRONGBOX_DIRECT_READS".into(), Some("off".into())));
    let mut off = Server::start_with_env(off_env);
    let s3 = off.s3();
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let mut meta = HashMap::new();
    meta.insert("Color".to_owned(), "blue".to_owned());
    meta.insert("shape".to_owned(), "round box".to_owned());
    s3.put_object()
        .bucket(BUCKET)
        .key("full.txt")
        .body(ByteStream::from_static(b"all the headers\n"))
        .content_type("text/plain; charset=utf-8")
        .cache_control("no-cache")
        .content_disposition("inline")
        .content_language("de")
        .set_metadata(Some(meta))
        .send()
        .await
        .unwrap();
    for (key, body) in [
        ("plain", &b"plain\n"[..]),
        ("empty", b""),
        ("dir/k", b"nested\n"),
    ] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(body))
            .send()
            .await
            .unwrap();
    }
    assert!(off.sigterm(Duration::from_secs(20)).success());
    let mut direct = Server::prepare(default_env());
    copy_dir(off.data_dir(), direct.data_dir());
    direct.restart();
    off.restart();

    for validation in [
        ResponseChecksumValidation::WhenRequired,
        ResponseChecksumValidation::WhenSupported,
    ] {
        let (on_s3, on_rec) = client(&direct, validation.clone());
        let (off_s3, _) = client(&off, validation.clone());
        for key in ["full.txt", "plain", "empty", "dir/k"] {
            // The first read may fill the object cache; the later ones may be direct.
            for round in 0..3 {
                let what = format!("{validation:?} {key} round {round}");
                assert_eq!(
                    get(&on_s3, key).await,
                    get(&off_s3, key).await,
                    "GET {what}"
                );
                assert_eq!(
                    head(&on_s3, key).await,
                    head(&off_s3, key).await,
                    "HEAD {what}"
                );
            }
        }
        let sent = on_rec.take();
        assert_eq!(sent.len(), 4 * 3 * 2);
        for (method, uri, headers) in &sent {
            let shape = direct_shape(method, uri, headers);
            match validation {
                ResponseChecksumValidation::WhenRequired => {
                    assert_eq!(shape, Ok(()), "{method} {uri} {headers:?}");
                }
                _ if method == "GET" => {
                    let mode = headers.iter().find(|(k, _)| k == "x-amz-checksum-mode");
                    assert!(mode.is_some(), "{uri} {headers:?}");
                    assert!(shape.is_err());
                }
                _ => assert_eq!(shape, Ok(()), "{method} {uri} {headers:?}"),
            }
        }
    }
}
