//! Writing object bytes: a temporary file that is hashed (MD5 and any requested checksums) while
//! the bytes go to disk, fsynced, and only then renamed into the data directory.
//!
//! A request body is received on the async side and handed over a bounded channel to one
//! blocking thread that hashes and writes with a large buffer, so hashing never runs on an
//! executor thread and never needs a second pass. If the request is dropped mid-way (client gone,
//! server shutting down) the channel closes without an end marker and the temporary file is
//! removed; a `kill -9` leaves it in `tmp/`, which is emptied at the next open.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};
use s3s::checksum::ChecksumHasher;
use s3s::dto::StreamingBlob;
use s3s::{S3Error, S3ErrorCode, S3Result};
use tokio::sync::mpsc;

use super::error::{err, internal};
use super::layout::{Layout, new_data_id, sync_dir};
use super::meta::Checksums;

/// Write buffer: large, so a 1 GiB upload is a thousand `write` calls, not a million.
const WRITE_BUF: usize = 4 << 20;
/// Chunks in flight between the request body and the writer thread.
const CHANNEL_DEPTH: usize = 32;

/// A temporary file that is removed when dropped, unless it was persisted.
#[derive(Debug)]
pub(crate) struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    /// Renames the (already fsynced) file into the data directory under a fresh id and makes
    /// the rename durable. Returns the id.
    pub fn persist(mut self, layout: &Layout) -> io::Result<String> {
        let id = new_data_id();
        std::fs::rename(&self.path, layout.data_path(&id))?;
        self.armed = false;
        sync_dir(&layout.data_subdir(&id))?;
        Ok(id)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed
            && let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, "could not remove temporary file");
        }
    }
}

/// Bytes written and their digests.
#[derive(Debug)]
pub(crate) struct Written {
    pub tmp: TempFile,
    pub size: u64,
    pub md5: [u8; 16],
    pub checksums: Checksums,
}

/// A temporary file being written.
pub(crate) struct Sink {
    file: BufWriter<File>,
    tmp: TempFile,
    md5: Md5,
    sums: ChecksumHasher,
    size: u64,
}

impl Sink {
    pub fn create(layout: &Layout, sums: ChecksumHasher) -> io::Result<Self> {
        let path = layout.new_tmp_path();
        let file = File::options().write(true).create_new(true).open(&path)?;
        Ok(Self {
            file: BufWriter::with_capacity(WRITE_BUF, file),
            tmp: TempFile { path, armed: true },
            md5: Md5::new(),
            sums,
            size: 0,
        })
    }

    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.md5.update(data);
        self.sums.update(data);
        self.file.write_all(data)?;
        self.size += data.len() as u64;
        Ok(())
    }

    /// Flushes and fsyncs the file.
    pub fn finish(self) -> io::Result<Written> {
        let file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        Ok(Written {
            tmp: self.tmp,
            size: self.size,
            md5: self.md5.finalize().into(),
            checksums: to_checksums(self.sums.finalize()),
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
    Data(Bytes),
    End,
}

/// Streams a request body into a temporary file. Refuses more than `max` bytes
/// (`EntityTooLarge`) and, when `expected_len` is given, any other length (`IncompleteBody`).
pub(crate) async fn write_body(
    layout: &Layout,
    mut body: StreamingBlob,
    sums: ChecksumHasher,
    expected_len: Option<u64>,
    max: u64,
) -> S3Result<Written> {
    let (tx, mut rx) = mpsc::channel::<Msg>(CHANNEL_DEPTH);
    let layout = layout.clone();
    let writer = tokio::task::spawn_blocking(move || -> io::Result<Written> {
        let mut sink = Sink::create(&layout, sums)?;
        loop {
            match rx.blocking_recv() {
                Some(Msg::Data(b)) => sink.write(&b)?,
                Some(Msg::End) => return sink.finish(),
                None => return Err(io::Error::other("request body abandoned")),
            }
        }
    });

    let mut received: u64 = 0;
    let mut failure: Option<S3Error> = None;
    while let Some(chunk) = body.next().await {
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
        if tx.send(Msg::Data(chunk)).await.is_err() {
            // The writer stopped: its own error is reported below.
            break;
        }
    }
    if failure.is_none() && expected_len.is_some_and(|n| received != n) {
        failure = Some(incomplete());
    }
    if let Some(e) = failure {
        drop(tx);
        // Wait so the temporary file is gone when we answer.
        let _ = writer.await;
        return Err(e);
    }
    let _ = tx.send(Msg::End).await;
    drop(tx);
    match writer.await {
        Ok(Ok(w)) => Ok(w),
        Ok(Err(e)) => Err(internal(e)),
        Err(e) => Err(internal(e)),
    }
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
            incomplete()
        }
    }
}
