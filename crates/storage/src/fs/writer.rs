//! Writing object bytes: a temporary file that is hashed (MD5 and any requested checksums) while
//! the bytes go to disk, fsynced, and only then renamed into the data directory.
//!
//! A request body is received on the async side and handed over bounded channels to blocking
//! threads that hash and write (a large upload: one thread each, see `tmpfile`), so hashing
//! never runs on an executor thread and never needs a second pass. If the request is dropped mid-way (client gone,
//! server shutting down) the channel closes without an end marker and the temporary file is
//! removed; a `kill -9` leaves it in `tmp/`, which is emptied at the next open.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};
use s3s::checksum::ChecksumHasher;
use s3s::dto::StreamingBlob;
use s3s::{S3Error, S3ErrorCode, S3Result};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::error::{err, internal};
use super::layout::Layout;
use super::meta::Checksums;
use super::tmpfile::{FileWriter, TempFile};

/// Bytes in flight between the request body and each stage thread. Bounded by bytes, not
/// chunks (network chunks are small): the hashing stage can run ahead of the file stage, and
/// memory per upload stays bounded.
const STAGE_BUDGET: usize = 64 << 20;

/// Bytes written and their digests.
#[derive(Debug)]
pub(crate) struct Written {
    pub tmp: TempFile,
    pub size: u64,
    pub md5: [u8; 16],
    pub checksums: Checksums,
}

/// MD5 plus any requested additional checksums.
pub(crate) struct Hasher {
    md5: Md5,
    sums: ChecksumHasher,
}

impl Hasher {
    pub fn new(sums: ChecksumHasher) -> Self {
        Self {
            md5: Md5::new(),
            sums,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        self.sums.update(data);
    }

    pub fn finish(self) -> ([u8; 16], Checksums) {
        (
            self.md5.finalize().into(),
            to_checksums(self.sums.finalize()),
        )
    }
}

/// Writing and hashing in one thread (copies, small uploads).
pub(crate) struct Sink {
    file: FileWriter,
    hash: Hasher,
}

impl Sink {
    pub fn create(layout: &Layout, sums: ChecksumHasher) -> io::Result<Self> {
        Ok(Self {
            file: FileWriter::create(layout)?,
            hash: Hasher::new(sums),
        })
    }

    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.hash.update(data);
        self.file.write(data)
    }

    pub fn finish(self) -> io::Result<Written> {
        let (tmp, size) = self.file.finish()?;
        let (md5, checksums) = self.hash.finish();
        Ok(Written {
            tmp,
            size,
            md5,
            checksums,
        })
    }
}

fn to_checksums(c: s3s::dto::Checksum) -> Checksums {
    Checksums {
        crc32: c.checksum_crc32,
        crc32c: c.checksum_crc32c,
        crc64nvme: c.checksum_crc64nvme,
        sha1: c.checksum_sha1,
        sha256: c.checksum_sha256,
    }
}

enum Msg {
    /// The permit returns the chunk's bytes to the stage's budget once processed.
    Data(Bytes, OwnedSemaphorePermit),
    End,
}

/// The pump takes a stage's budget in blocks of this size and hands it out chunk by chunk, so a
/// stage that frees budget chunk by chunk wakes the request task once per block, not once per
/// network chunk (fewer context switches taking CPU from the hashing thread).
const CREDIT_BLOCK: usize = 8 << 20;

/// The sending side of a stage.
struct StageTx {
    tx: mpsc::UnboundedSender<Msg>,
    budget: Arc<Semaphore>,
    /// Budget taken but not yet handed to a chunk.
    credit: Option<OwnedSemaphorePermit>,
}

impl StageTx {
    /// Waits for budget, then queues the chunk. Err if the stage has stopped.
    async fn send(&mut self, chunk: Bytes) -> Result<(), ()> {
        let n = chunk.len().clamp(1, STAGE_BUDGET);
        if self.credit.as_ref().is_none_or(|c| c.num_permits() < n) {
            // Give the rest back first: never wait for budget while holding some.
            self.credit = None;
            let want = u32::try_from(n.clamp(CREDIT_BLOCK, STAGE_BUDGET)).map_err(|_| ())?;
            let block = self
                .budget
                .clone()
                .acquire_many_owned(want)
                .await
                .map_err(|_| ())?;
            self.credit = Some(block);
        }
        let permit = self.credit.as_mut().and_then(|c| c.split(n)).ok_or(())?;
        self.tx.send(Msg::Data(chunk, permit)).map_err(|_| ())
    }

    fn end(&self) {
        let _ = self.tx.send(Msg::End);
    }
}

/// Uploads that may be larger than this are hashed and written on two threads in parallel.
const PARALLEL_MIN: u64 = 4 << 20;

/// One blocking thread fed by a channel: runs `step` per chunk and `end` after the end marker.
/// A closed channel without the end marker means the request was abandoned: `T` is dropped
/// (a `TempFile` inside removes itself).
fn stage<S, T>(
    mut state: S,
    mut step: impl FnMut(&mut S, &[u8]) -> io::Result<()> + Send + 'static,
    end: impl FnOnce(S) -> io::Result<T> + Send + 'static,
) -> (StageTx, tokio::task::JoinHandle<io::Result<T>>)
where
    S: Send + 'static,
    T: Send + 'static,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let budget = Arc::new(Semaphore::new(STAGE_BUDGET));
    let h = tokio::task::spawn_blocking(move || {
        loop {
            match rx.blocking_recv() {
                Some(Msg::Data(b, permit)) => {
                    step(&mut state, &b)?;
                    drop(permit);
                }
                Some(Msg::End) => return end(state),
                None => return Err(io::Error::other("request body abandoned")),
            }
        }
    });
    (
        StageTx {
            tx,
            budget,
            credit: None,
        },
        h,
    )
}

async fn joined<T>(h: tokio::task::JoinHandle<io::Result<T>>) -> S3Result<T> {
    match h.await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(internal(e)),
        Err(e) => Err(internal(e)),
    }
}

/// Streams a request body into a temporary file. Refuses more than `max` bytes
/// (`EntityTooLarge`) and, when `expected_len` is given, any other length (`IncompleteBody`).
pub(crate) async fn write_body(
    layout: &Layout,
    body: StreamingBlob,
    sums: ChecksumHasher,
    expected_len: Option<u64>,
    max: u64,
) -> S3Result<Written> {
    let parallel = expected_len.is_none_or(|n| n >= PARALLEL_MIN);
    let file = FileWriter::create(layout).map_err(internal)?;
    if !parallel {
        let (tx, h) = stage(
            Sink {
                file,
                hash: Hasher::new(sums),
            },
            |s, b| s.write(b),
            Sink::finish,
        );
        if let Err(e) = pump(body, vec![tx], expected_len, max).await {
            // Wait so the temporary file is gone when we answer.
            let _ = h.await;
            return Err(e);
        }
        return joined(h).await;
    }
    let (ftx, fh) = stage(file, |f, b| f.write(b), FileWriter::finish);
    let (htx, hh) = stage(
        Hasher::new(sums),
        |h, b| {
            h.update(b);
            Ok(())
        },
        |h| Ok(h.finish()),
    );
    if let Err(e) = pump(body, vec![htx, ftx], expected_len, max).await {
        let _ = fh.await;
        let _ = hh.await;
        return Err(e);
    }
    let file = joined(fh).await;
    let hash = joined(hh).await;
    let (tmp, size) = file?;
    let (md5, checksums) = hash?;
    Ok(Written {
        tmp,
        size,
        md5,
        checksums,
    })
}

/// Feeds the body to the stages; sends the end marker only if the whole body arrived intact.
/// Takes the senders by value: they are dropped when it returns, so an abandoned stage sees
/// its channel close before the caller waits for it.
async fn pump(
    mut body: StreamingBlob,
    mut to: Vec<StageTx>,
    expected_len: Option<u64>,
    max: u64,
) -> S3Result<()> {
    let mut received: u64 = 0;
    let mut failure: Option<S3Error> = None;
    'body: while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                failure = Some(body_error(e));
                break;
            }
        };
        received += chunk.len() as u64;
        if received > max {
            failure = Some(err(
                S3ErrorCode::EntityTooLarge,
                "Your proposed upload exceeds the maximum allowed object size.",
            ));
            break;
        }
        if expected_len.is_some_and(|n| received > n) {
            failure = Some(incomplete());
            break;
        }
        for tx in &mut to {
            if tx.send(chunk.clone()).await.is_err() {
                // A stage stopped: its own error is reported by the caller.
                break 'body;
            }
        }
    }
    if failure.is_none() && expected_len.is_some_and(|n| received != n) {
        failure = Some(incomplete());
    }
    if let Some(e) = failure {
        // Dropping the senders (by returning) abandons the stages.
        return Err(e);
    }
    for tx in &to {
        tx.end();
    }
    Ok(())
}

fn incomplete() -> S3Error {
    err(
        S3ErrorCode::IncompleteBody,
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    )
}

/// A body stream error: an S3 error raised by s3s while decoding (e.g. a bad chunk signature)
/// is passed on; anything else means the client's body broke off.
fn body_error(e: s3s::StdError) -> S3Error {
    match e.downcast::<S3Error>() {
        Ok(s3) => *s3,
        Err(other) => {
            tracing::debug!(error = %other, "request body failed");
            body_verification_error(&other.to_string()).unwrap_or_else(incomplete)
        }
    }
}

/// s3s 0.14.1 (pinned exactly) reports body verification failures with error types it does not
/// export, so they are recognised by their display text: a body that does not match its signed
/// `x-amz-content-sha256`, and an aws-chunked chunk whose signature is wrong. Both are the
/// client's signature problem, not a short body.
fn body_verification_error(text: &str) -> Option<S3Error> {
    if text.contains("UploadStreamError: Sha256Mismatch") {
        // Not in s3s's generated code table: a custom code with the status AWS uses.
        let code = "XAmzContentSHA256Mismatch"
            .parse::<S3ErrorCode>()
            .unwrap_or(S3ErrorCode::BadDigest);
        let mut e = err(
            code,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        );
        e.set_status_code(http::StatusCode::BAD_REQUEST);
        Some(e)
    } else if text.contains("AwsChunkedStreamError: SignatureMismatch") {
        Some(err(
            S3ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};

    /// More than twice the stage budget, in odd-sized chunks around one chunk larger than the
    /// whole budget: budget taken in blocks and handed out per chunk never deadlocks and every
    /// byte reaches the file and the hash, in order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn budget_blocks_carry_every_byte_past_the_stage_budget() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::create(dir.path()).unwrap();
        let pattern: Vec<u8> = (0..(1usize << 20) + 7)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        let mut chunks = Vec::new();
        let mut whole = Vec::new();
        let mut push = |c: Vec<u8>| {
            whole.extend_from_slice(&c);
            chunks.push(Ok::<_, io::Error>(Bytes::from(c)));
        };
        for i in 0..140 {
            push(pattern[..100_003 + (i * 7919) % 900_000].to_vec());
        }
        let big: Vec<u8> = pattern
            .iter()
            .rev()
            .copied()
            .cycle()
            .take(STAGE_BUDGET + 5)
            .collect();
        push(big);
        for _ in 0..40 {
            push(pattern.clone());
        }
        let len = whole.len() as u64;
        assert!(len > 2 * STAGE_BUDGET as u64);
        let body = StreamingBlob::wrap(futures::stream::iter(chunks));
        let written = write_body(
            &layout,
            body,
            ChecksumHasher::default(),
            Some(len),
            u64::MAX,
        )
        .await
        .unwrap();
        assert_eq!(written.size, len);
        assert_eq!(written.md5, <[u8; 16]>::from(Md5::digest(&whole)));
        let id = written.tmp.persist(&layout).unwrap();
        assert!(std::fs::read(layout.data_path(&id)).unwrap() == whole);
    }
}
