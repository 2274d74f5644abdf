//! Reading object bytes: an object is the concatenation of its segment files. Files are opened
//! before the response starts (so a concurrent overwrite, which unlinks the old files, cannot
//! pull them away) and read with positional reads on a blocking thread, in large chunks.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use s3s::StdError;
use s3s::dto::StreamingBlob;
use s3s::stream::{ByteStream, RemainingLength};
use tokio::sync::mpsc;

use super::layout::Layout;
use super::meta::Segment;

/// Chunk size for streaming reads.
const READ_CHUNK: u64 = 1 << 20;
/// Ranges up to this size are read in the lookup call and sent as one buffer.
pub(crate) const INLINE_MAX: u64 = 256 << 10;

/// The open segment files of one object.
pub(crate) struct OpenObject {
    files: Vec<(File, u64)>,
}

impl OpenObject {
    pub fn open(layout: &Layout, segments: &[Segment]) -> io::Result<Self> {
        let mut files = Vec::with_capacity(segments.len());
        for s in segments {
            files.push((File::open(layout.data_path(&s.id))?, s.size));
        }
        Ok(Self { files })
    }

    /// Calls `f` with consecutive pieces of bytes `[start, end)`, each at most `chunk` long.
    pub fn read_range(
        &self,
        start: u64,
        end: u64,
        chunk: u64,
        mut f: impl FnMut(Vec<u8>) -> bool,
    ) -> io::Result<()> {
        let mut seg_start = 0u64;
        let mut pos = start;
        for (file, size) in &self.files {
            let seg_end = seg_start + size;
            while pos < end && pos < seg_end {
                let n = (end.min(seg_end) - pos).min(chunk);
                let mut buf = vec![0u8; usize::try_from(n).map_err(io::Error::other)?];
                file.read_exact_at(&mut buf, pos - seg_start)?;
                pos += n;
                if !f(buf) {
                    return Ok(());
                }
            }
            seg_start = seg_end;
            if pos >= end {
                break;
            }
        }
        if pos < end {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "object data shorter than its index entry",
            ));
        }
        Ok(())
    }

    /// Reads `[start, end)` into one buffer (for small ranges).
    pub fn read_all(&self, start: u64, end: u64) -> io::Result<Bytes> {
        let mut out = Vec::with_capacity(usize::try_from(end - start).map_err(io::Error::other)?);
        self.read_range(start, end, end - start + 1, |b| {
            out.extend_from_slice(&b);
            true
        })?;
        Ok(Bytes::from(out))
    }

    /// Streams `[start, end)` from a blocking thread.
    pub fn stream(self, start: u64, end: u64) -> StreamingBlob {
        let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
        tokio::task::spawn_blocking(move || {
            let res = self.read_range(start, end, READ_CHUNK, |b| {
                tx.blocking_send(Ok(Bytes::from(b))).is_ok()
            });
            if let Err(e) = res {
                tracing::error!(error = %e, "reading object data failed");
                let _ = tx.blocking_send(Err(e));
            }
        });
        StreamingBlob::new(BodyStream {
            rx,
            remaining: end - start,
        })
    }
}

struct BodyStream {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    remaining: u64,
}

impl Stream for BodyStream {
    type Item = Result<Bytes, StdError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(b))) => {
                self.remaining = self.remaining.saturating_sub(b.len() as u64);
                Poll::Ready(Some(Ok(b)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => {
                if self.remaining > 0 {
                    let e =
                        io::Error::new(io::ErrorKind::UnexpectedEof, "object stream ended early");
                    self.remaining = 0;
                    return Poll::Ready(Some(Err(Box::new(e))));
                }
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, None)
    }
}

impl ByteStream for BodyStream {
    fn remaining_length(&self) -> RemainingLength {
        match usize::try_from(self.remaining) {
            Ok(n) => RemainingLength::new_exact(n),
            Err(_) => RemainingLength::unknown(),
        }
    }
}
