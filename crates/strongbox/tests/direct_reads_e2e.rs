//! The direct read path end to end: the real binary with it (the default) and with
//! `STRONGBOX_DIRECT_READS=off`, over copies of one data directory, answer aws-sdk-rust's
//! GetObject / HeadObject alike, read after read. The SDK's requests are recorded: they have the
//! shape the direct path serves (only headers the direct path accepts, the `x-id=GetObject`
//! query, an empty or unsigned payload hash), by default (`ResponseChecksumValidation::
//! WhenSupported`) with `x-amz-checksum-mode: ENABLED` on every GET, which the path accepts.
//!
//! The binary does not tell which path answered, so a second test runs the server in process,
//! wired as the binary wires it, with the backend's `DirectReads` wrapped to count its answers:
//! the SDK's default GetObject is answered directly (with the stored checksums, which the SDK
//! validates) and exactly as the first, s3s-answered, read of the same object.

#[allow(dead_code)]
mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{
    BehaviorVersion, ConfigBag, Intercept, Region, RequestChecksumCalculation,
    ResponseChecksumValidation, RuntimeComponents,
};
use aws_sdk_s3::primitives::ByteStream;
use common::{Server, default_env};
use strongbox_server::config::ServerArgs;
use strongbox_server::{Config, credentials};
use strongbox_storage::{DirectRead, DirectReads, FsBackend};

const BUCKET: &str = "direct";
/// The request headers the direct path accepts (`strongbox_server::fast`, its module docs),
/// besides `x-amz-checksum-mode: ENABLED`.
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
        let accepted = DIRECT_HEADERS.contains(&name.as_str())
            || (name == "content-length" && value == "0")
            || (name == "x-amz-checksum-mode" && value.eq_ignore_ascii_case("ENABLED"));
        if !accepted {
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
            assert_eq!(
                direct_shape(method, uri, headers),
                Ok(()),
                "{method} {uri} {headers:?}"
            );
            let mode = headers.iter().any(|(k, _)| k == "x-amz-checksum-mode");
            let expected =
                method == "GET" && !matches!(validation, ResponseChecksumValidation::WhenRequired);
            assert_eq!(mode, expected, "{validation:?} {method} {uri} {headers:?}");
        }
    }
}

/// The backend's [`DirectReads`], counting the reads it answered, and those with checksums.
struct Counting {
    inner: FsBackend,
    answered: AtomicU64,
    with_checksums: AtomicU64,
}

impl DirectReads for Counting {
    fn direct_read(
        &self,
        bucket: &str,
        key: &str,
        want_body: bool,
        checksums: bool,
    ) -> Option<DirectRead> {
        let read = self.inner.direct_read(bucket, key, want_body, checksums)?;
        self.answered.fetch_add(1, Ordering::Relaxed);
        if checksums {
            self.with_checksums.fetch_add(1, Ordering::Relaxed);
        }
        Some(read)
    }
}

impl Counting {
    /// (answered, of those with checksums) so far.
    fn counts(&self) -> (u64, u64) {
        (
            self.answered.load(Ordering::Relaxed),
            self.with_checksums.load(Ordering::Relaxed),
        )
    }
}

#[tokio::test]
async fn sdk_default_get_object_is_answered_directly() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = ServerArgs::new(dir.path());
    args.address = "127.0.0.1:0".into();
    let env: HashMap<&str, &str> = [
        ("MINIO_ROOT_USER", common::ROOT_USER),
        ("MINIO_ROOT_PASSWORD", common::ROOT_PASSWORD),
    ]
    .into();
    let config = Config::from_sources(&args, &env).unwrap();
    let (root, _) = credentials::resolve(&config.root_credentials, &config.data_dir).unwrap();
    let backend = FsBackend::open_with_region(&config.data_dir, &config.region)
        .await
        .unwrap();
    let reads = Arc::new(Counting {
        inner: backend.clone(),
        answered: AtomicU64::new(0),
        with_checksums: AtomicU64::new(0),
    });
    // As the binary does (crates/strongbox/src/main.rs).
    let server = strongbox_server::Server::bind(&config, root, backend)
        .await
        .unwrap()
        .with_direct_reads(Arc::clone(&reads) as Arc<dyn DirectReads>);
    assert_eq!(server.direct_reads_served(), Some(0));
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async {
        let _ = stopped.await;
    }));

    // The SDK's defaults: checksums computed on upload when supported, validated on download.
    let conf = |calculation| {
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(format!("http://{addr}"))
            .region(Region::new(common::REGION))
            .credentials_provider(Credentials::new(
                common::ROOT_USER,
                common::ROOT_PASSWORD,
                None,
                None,
                "strongbox-e2e",
            ))
            .force_path_style(true)
            .request_checksum_calculation(calculation)
            .build()
    };
    let s3 = aws_sdk_s3::Client::from_conf(conf(RequestChecksumCalculation::WhenSupported));
    let no_sums = aws_sdk_s3::Client::from_conf(conf(RequestChecksumCalculation::WhenRequired));
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let objects: [(&str, &[u8], &aws_sdk_s3::Client); 3] = [
        ("summed.txt", b"the SDK computes a checksum of this\n", &s3),
        ("summed-empty", b"", &s3),
        ("unsummed.txt", b"stored without a checksum\n", &no_sums),
    ];
    for (key, body, client) in objects {
        client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(body))
            .send()
            .await
            .unwrap();
    }

    for (key, body, _) in objects {
        // The first read misses the object cache and goes through s3s (which fills it).
        let before = reads.counts();
        let first = get(&s3, key).await;
        assert_eq!(
            reads.counts(),
            before,
            "GET {key}: the first read is not direct"
        );
        for round in 0..3 {
            let before = reads.counts();
            assert_eq!(get(&s3, key).await, first, "GET {key} round {round}");
            assert_eq!(
                reads.counts(),
                (before.0 + 1, before.1 + 1),
                "GET {key} round {round}: direct, with checksum mode"
            );
            let before = reads.counts();
            head(&s3, key).await;
            assert_eq!(
                reads.counts(),
                (before.0 + 1, before.1),
                "HEAD {key} round {round}: direct, without checksum mode"
            );
        }
        let before = reads.counts();
        let out = s3
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        let stored = out.checksum_crc32().or(out.checksum_crc64_nvme()).is_some();
        assert_eq!(stored, key.starts_with("summed"), "{key}: {out:?}");
        // Collecting validates the body against the checksum header, when there is one.
        assert_eq!(out.body.collect().await.unwrap().into_bytes(), body);
        assert_eq!(reads.counts(), (before.0 + 1, before.1 + 1), "{key}");
    }
    let _ = stop.send(());
    task.await.unwrap();
}
