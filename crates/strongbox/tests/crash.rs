//! Crash test (issue 2, "What it must show" 3): `kill -9` the server while several large PUTs and
//! a multipart upload are in flight, restart it on the same DIR, and check that every acknowledged
//! object is intact, that nothing partial is listed or readable, and that earlier objects were not
//! damaged. Repeated at several moments of the upload.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use common::data::random_bytes;
use common::{ROOT_PASSWORD, ROOT_USER, Server};

const MIB: usize = 1024 * 1024;
const BUCKET: &str = "crash";
const PUTS_PER_ROUND: u64 = 4;

/// Size of each large PUT; `STRONGBOX_CRASH_MIB` overrides the default 32.
fn big_size() -> usize {
    std::env::var("STRONGBOX_CRASH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32)
        * MIB
}

/// A content the test wrote: `random_bytes(size, seed)`, or for a multipart upload the
/// concatenation of its parts. Comparing bytes (memcmp) rather than hashing keeps this test fast
/// in a debug build; equality is the strongest checksum.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Content {
    Single { seed: u64, size: usize },
    Parts(Vec<(u64, usize)>),
}

impl Content {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Content::Single { seed, size } => random_bytes(*size, *seed),
            Content::Parts(parts) => parts
                .iter()
                .flat_map(|(seed, size)| random_bytes(*size, *seed))
                .collect(),
        }
    }
    fn len(&self) -> usize {
        match self {
            Content::Single { size, .. } => *size,
            Content::Parts(parts) => parts.iter().map(|(_, s)| s).sum(),
        }
    }
}

/// What the test knows about every key it ever wrote.
#[derive(Default, Clone)]
struct Ledger {
    /// Every write of a key, in order: (content, acknowledged?).
    history: BTreeMap<String, Vec<(Content, bool)>>,
}

impl Ledger {
    fn attempt(&mut self, key: &str, content: &Content) {
        self.history
            .entry(key.to_string())
            .or_default()
            .push((content.clone(), false));
    }

    fn ack(&mut self, key: &str, content: &Content) {
        let writes = self
            .history
            .get_mut(key)
            .expect("ack of a key never attempted");
        let entry = writes
            .iter_mut()
            .rev()
            .find(|(c, _)| c == content)
            .expect("ack of content never attempted");
        entry.1 = true;
    }

    fn acked_count(&self) -> usize {
        self.history.values().flatten().filter(|(_, a)| *a).count()
    }

    /// Whether the key must exist: some write of it was acknowledged.
    fn must_exist(&self, key: &str) -> bool {
        self.history[key].iter().any(|(_, a)| *a)
    }

    /// Contents the key may hold after a crash: its last acknowledged write, or any write after
    /// that one (whose acknowledgement the kill may have swallowed).
    fn allowed(&self, key: &str) -> Vec<Content> {
        let writes = &self.history[key];
        let from = writes.iter().rposition(|(_, a)| *a).unwrap_or(0);
        writes[from..].iter().map(|(c, _)| c.clone()).collect()
    }

    /// Whether `body` is one of the contents `key` may hold.
    fn matches(&self, key: &str, body: &[u8]) -> bool {
        self.allowed(key)
            .iter()
            .any(|c| c.len() == body.len() && c.bytes() == body)
    }
}

type Shared = Arc<Mutex<Ledger>>;

fn upload_client(server: &Server) -> aws_sdk_s3::Client {
    // No retries: a retried PUT must not land after the restart and blur what was acknowledged.
    // No client-side checksums or payload hashing: they only cost CPU in this debug-built test.
    aws_sdk_s3::Client::from_conf(
        server
            .s3_config(ROOT_USER, ROOT_PASSWORD)
            .retry_config(RetryConfig::disabled())
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build(),
    )
}

async fn put_task(s3: aws_sdk_s3::Client, ledger: Shared, key: String, content: Content) {
    ledger.lock().unwrap().attempt(&key, &content);
    let res = s3
        .put_object()
        .bucket(BUCKET)
        .key(&key)
        .body(ByteStream::from(content.bytes()))
        .customize()
        .disable_payload_signing()
        .send()
        .await;
    if res.is_ok() {
        ledger.lock().unwrap().ack(&key, &content);
    }
}

async fn multipart_task(
    s3: aws_sdk_s3::Client,
    ledger: Shared,
    key: String,
    seed: u64,
    completing: Arc<Mutex<bool>>,
) {
    let spec: Vec<(u64, usize)> = (0..3)
        .map(|i| (seed + i, 5 * MIB + i as usize * 1000))
        .collect();
    let content = Content::Parts(spec.clone());
    ledger.lock().unwrap().attempt(&key, &content);
    let Ok(created) = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key(&key)
        .send()
        .await
    else {
        return;
    };
    let id = created.upload_id().unwrap().to_string();
    let mut done = Vec::new();
    for (i, (part_seed, size)) in spec.iter().enumerate() {
        let n = i as i32 + 1;
        let res = s3
            .upload_part()
            .bucket(BUCKET)
            .key(&key)
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(random_bytes(*size, *part_seed)))
            .customize()
            .disable_payload_signing()
            .send()
            .await;
        let Ok(out) = res else { return };
        done.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .build(),
        );
    }
    *completing.lock().unwrap() = true;
    let res = s3
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key(&key)
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await;
    if let Ok(out) = res {
        assert!(
            out.e_tag().is_some_and(|e| e.ends_with("-3\"")),
            "multipart ETag {:?}",
            out.e_tag()
        );
        ledger.lock().unwrap().ack(&key, &content);
    }
}

/// When to pull the plug in a round.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// A fixed delay after the uploads start: mid-stream for all of them.
    After(Duration),
    /// As soon as this many large PUTs of the round are acknowledged.
    Acked(usize),
    /// As soon as the multipart upload sends CompleteMultipartUpload.
    Completing,
}

async fn verify(server: &Server, ledger: &Ledger, round: usize) {
    let s3 = server.s3();
    // Acknowledged objects: intact.
    for key in ledger.history.keys().filter(|k| ledger.must_exist(k)) {
        let out = s3
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!("round {round}: acknowledged {key} unreadable after restart: {e:?}")
            });
        let body = out.body.collect().await.unwrap().into_bytes();
        assert!(
            ledger.matches(key, &body),
            "round {round}: {key} holds {} bytes that are not its last acknowledged content (nor a later write)",
            body.len()
        );
    }
    // Every object listed is one we wrote, whole, with its exact size.
    let mut listed = BTreeSet::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(BUCKET)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        for o in page.contents() {
            listed.insert((o.key().unwrap().to_string(), o.size().unwrap()));
        }
        token = page.next_continuation_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    for (key, size) in &listed {
        assert!(
            ledger.history.contains_key(key),
            "round {round}: listing shows {key:?}, which no client wrote (temp file?)"
        );
        let sizes: BTreeSet<i64> = ledger.allowed(key).iter().map(|c| c.len() as i64).collect();
        assert!(
            sizes.contains(size),
            "round {round}: {key} listed with size {size}, expected one of {sizes:?}"
        );
        let out = s3
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        let body = out.body.collect().await.unwrap().into_bytes();
        assert!(
            ledger.matches(key, &body),
            "round {round}: listed {key} is readable but its content is torn ({} bytes)",
            body.len()
        );
    }
    for key in ledger.history.keys().filter(|k| ledger.must_exist(k)) {
        assert!(
            listed.iter().any(|(k, _)| k == key),
            "round {round}: acknowledged {key} not listed"
        );
    }
    // Unacknowledged keys that are not listed must not be readable either.
    for key in ledger.history.keys() {
        if !listed.iter().any(|(k, _)| k == key) {
            let res = s3.get_object().bucket(BUCKET).key(key).send().await;
            assert!(res.is_err(), "round {round}: {key} readable but not listed");
        }
    }
    let buckets = s3.list_buckets().send().await.unwrap();
    let names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(
        names,
        [BUCKET],
        "round {round}: unexpected buckets after restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_uploads_loses_nothing_acknowledged() {
    let mut server = Server::start();
    server
        .s3()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let ledger: Shared = Arc::default();
    let size = big_size();
    let moments = [
        Moment::After(Duration::from_millis(400)),
        Moment::Acked(1),
        Moment::Completing,
        Moment::Acked(PUTS_PER_ROUND as usize - 1),
    ];
    let started = Instant::now();

    for (round, moment) in moments.into_iter().enumerate() {
        let s3 = upload_client(&server);
        let completing = Arc::new(Mutex::new(false));
        let acked_before = ledger.lock().unwrap().acked_count();
        let mut tasks = Vec::new();
        for i in 0..PUTS_PER_ROUND {
            // Keys 0 and 1 are new each round; keys 2 and 3 overwrite the same keys every round,
            // so a crash during an overwrite must leave the old or the new object, never a mix.
            let key = if i < 2 {
                format!("round{round}/big-{i}")
            } else {
                format!("shared/big-{i}")
            };
            let content = Content::Single {
                seed: (round as u64) * 100 + i,
                size,
            };
            let task = put_task(s3.clone(), ledger.clone(), key, content);
            tasks.push(tokio::spawn(task));
        }
        tasks.push(tokio::spawn(multipart_task(
            s3.clone(),
            ledger.clone(),
            format!("round{round}/multipart"),
            1000 + round as u64 * 10,
            completing.clone(),
        )));

        // Wait for the moment (bounded), then kill -9.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let reached = match moment {
                Moment::After(d) => {
                    tokio::time::sleep(d).await;
                    true
                }
                Moment::Acked(n) => ledger.lock().unwrap().acked_count() >= acked_before + n,
                Moment::Completing => *completing.lock().unwrap(),
            };
            if reached || Instant::now() > deadline || tasks.iter().all(|t| t.is_finished()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        server.kill9();
        for t in tasks {
            // A task panics only on a wrong ETag in an acknowledgement: that is a failure.
            t.await.expect("upload task");
        }
        let acked_now = ledger.lock().unwrap().acked_count();
        eprintln!(
            "crash round {round} ({moment:?}): killed at {:?}, {} objects acknowledged so far",
            started.elapsed(),
            acked_now
        );

        server.restart();
        let snapshot = ledger.lock().unwrap().clone();
        verify(&server, &snapshot, round).await;
    }
    // The test must have caught uploads in flight at least once, and seen acknowledgements.
    let l = ledger.lock().unwrap();
    assert!(
        l.acked_count() > 0,
        "no upload was ever acknowledged: the server never finished a PUT"
    );
    let attempts: usize = l.history.values().map(Vec::len).sum();
    assert!(
        attempts > l.acked_count(),
        "every upload finished before the kill: the crash never hit an upload in flight"
    );
}
