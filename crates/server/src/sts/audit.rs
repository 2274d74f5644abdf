//! Where issuance audit events go: one JSON line per issued credential to the log (target
//! `strongbox::audit`, level info) and, when `STRONGBOX_AUDIT_FILE` is set, appended to that file.
//! An event never holds a secret key or a session token (its type has no field for them).
//!
//! Writing is off the request path: [`AuditSink::record`] puts the event on a bounded queue
//! ([`QUEUE_LEN`] events) and returns; one writer thread (`strongbox-audit`) takes whatever is
//! queued, logs each line and appends it to the file through a buffer, and flushes the file after
//! every batch, so a line is out within milliseconds of the answer and in issuing order.
//!
//! - **A full queue drops, it never blocks.** Issuing must not wait for a slow disk or a blocked
//!   stdout. A dropped event is counted ([`AuditSink::dropped`]) and the writer logs the count
//!   (warn, target `strongbox::audit`) after its next batch. At ~6,000 issues/s a full queue
//!   means the writer has been stuck for over a second.
//! - **Shutdown:** dropping the sink (the server's STS state) closes the queue; the writer
//!   writes what is left, flushes and is joined. [`AuditSink::flush`] waits until every event
//!   recorded so far is written.
//! - The log line is emitted from the writer thread, so it carries no request span; the event
//!   itself names the request id.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use strongbox_sts::audit::IssuanceEvent;

/// Log target of audit lines.
pub const AUDIT_TARGET: &str = "strongbox::audit";

/// Events that may wait for the writer; more are dropped (and counted).
pub const QUEUE_LEN: usize = 8192;

/// Most events written between two flushes of the file.
const MAX_BATCH: usize = 512;

enum Msg {
    Event(Box<IssuanceEvent>),
    /// Answered once everything queued before it is written and flushed.
    Flush(SyncSender<()>),
}

/// The audit sink of one server.
pub struct AuditSink {
    tx: Option<SyncSender<Msg>>,
    /// Events recorded (one per issued credential), written or dropped.
    recorded: AtomicU64,
    dropped: Arc<AtomicU64>,
    writer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for AuditSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSink")
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl AuditSink {
    /// Log only.
    #[must_use]
    pub fn log_only() -> Self {
        Self::start(None, QUEUE_LEN).expect("cannot start the audit writer thread")
    }

    /// Log, and append to `path` (created owner-only if missing).
    pub fn with_file(path: &Path) -> std::io::Result<Self> {
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        Self::start(Some(opts.open(path)?), QUEUE_LEN)
    }

    fn start(file: Option<File>, queue_len: usize) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(queue_len);
        let dropped = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&dropped);
        let writer = std::thread::Builder::new()
            .name("strongbox-audit".into())
            .spawn(move || write_loop(&rx, file.map(BufWriter::new), &counter))?;
        Ok(Self {
            tx: Some(tx),
            recorded: AtomicU64::new(0),
            dropped,
            writer: Some(writer),
        })
    }

    /// Queues one event for the writer; never blocks. A full queue drops the event and counts
    /// it.
    pub fn record(&self, event: &IssuanceEvent) {
        self.recorded.fetch_add(1, Ordering::Relaxed);
        let Some(tx) = &self.tx else { return };
        match tx.try_send(Msg::Event(Box::new(event.clone()))) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::error!(target: AUDIT_TARGET, "audit writer is gone; event dropped");
            }
        }
    }

    /// Events recorded since start: the number of credentials issued.
    pub fn recorded(&self) -> u64 {
        self.recorded.load(Ordering::Relaxed)
    }

    /// Events dropped because the queue was full (or the writer gone), since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Waits (blocking) until every event recorded before this call is written and the file
    /// flushed. Not for the request path.
    pub fn flush(&self) {
        let Some(tx) = &self.tx else { return };
        let (done_tx, done_rx) = sync_channel(1);
        if tx.send(Msg::Flush(done_tx)).is_ok() {
            let _ = done_rx.recv();
        }
    }
}

impl Drop for AuditSink {
    fn drop(&mut self) {
        // Closing the queue lets the writer finish what is queued, flush and end.
        drop(self.tx.take());
        if let Some(writer) = self.writer.take()
            && writer.join().is_err()
        {
            tracing::error!(target: AUDIT_TARGET, "the audit writer panicked");
        }
    }
}

/// The writer thread: batches of what is queued, each followed by a flush.
fn write_loop(rx: &Receiver<Msg>, mut file: Option<BufWriter<File>>, dropped: &AtomicU64) {
    let mut reported = 0;
    let mut waiting = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        let mut n = 0;
        while let Some(msg) = next {
            match msg {
                Msg::Event(event) => write_one(&event, file.as_mut()),
                Msg::Flush(done) => waiting.push(done),
            }
            n += 1;
            next = if n < MAX_BATCH {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if let Some(f) = file.as_mut()
            && let Err(e) = f.flush()
        {
            tracing::error!(target: AUDIT_TARGET, error = %e, "cannot append to the audit file");
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
        let now = dropped.load(Ordering::Relaxed);
        if now != reported {
            tracing::warn!(
                target: AUDIT_TARGET,
                dropped = now - reported,
                total = now,
                "audit queue full: events dropped"
            );
            reported = now;
        }
    }
}

/// Logs one event and appends it to the file's buffer. A failing file write is logged, never
/// fails anything (the log line has been written already).
fn write_one(event: &IssuanceEvent, file: Option<&mut BufWriter<File>>) {
    let line = event.to_json_line();
    tracing::info!(target: AUDIT_TARGET, event = line.trim_end(), "sts.issue");
    if let Some(f) = file
        && let Err(e) = f.write_all(line.as_bytes())
    {
        tracing::error!(target: AUDIT_TARGET, error = %e, "cannot append to the audit file");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strongbox_sts::duration::{self, DurationConfig};
    use strongbox_sts::{Action, Claims, KeyRing, Provider, issue};
    use time::OffsetDateTime;

    fn events(n: usize) -> Vec<IssuanceEvent> {
        let now = OffsetDateTime::from_unix_timestamp(1_565_295_072).unwrap();
        let ring = KeyRing::generate(now);
        (0..n)
            .map(|i| {
                let cred = issue(
                    &ring,
                    Claims::new(format!("user{i}"), Provider::Builtin),
                    now,
                    duration::assume_role(&DurationConfig::default(), None).unwrap(),
                )
                .unwrap();
                IssuanceEvent::new(Action::AssumeRole, &cred, now).with_request(
                    None,
                    None,
                    Some(format!("req-{i}")),
                )
            })
            .collect()
    }

    fn request_ids(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["requestId"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    #[test]
    fn every_event_written_in_order_from_many_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let sink = AuditSink::with_file(&path).unwrap();
        let all = events(4 * 500);
        // Four issuing threads, each recording its own events in order.
        std::thread::scope(|s| {
            for chunk in all.chunks(500) {
                let sink = &sink;
                s.spawn(move || chunk.iter().for_each(|e| sink.record(e)));
            }
        });
        sink.flush();
        let ids = request_ids(&path);
        assert_eq!(sink.dropped(), 0);
        assert_eq!(ids.len(), all.len(), "no event lost");
        // Each thread's events appear in the order it recorded them.
        for chunk in all.chunks(500) {
            let mine: Vec<&String> = ids
                .iter()
                .filter(|id| chunk.iter().any(|e| e.request_id.as_ref() == Some(*id)))
                .collect();
            let expected: Vec<&String> =
                chunk.iter().filter_map(|e| e.request_id.as_ref()).collect();
            assert_eq!(mine, expected);
        }
    }

    #[test]
    fn lines_appear_promptly_without_a_flush_call() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let sink = AuditSink::with_file(&path).unwrap();
        let ev = events(1);
        sink.record(&ev[0]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while request_ids(&path).is_empty() {
            assert!(std::time::Instant::now() < deadline, "line not written");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(request_ids(&path), ["req-0"]);
    }

    #[test]
    fn dropping_the_sink_writes_what_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let all = events(300);
        {
            let sink = AuditSink::with_file(&path).unwrap();
            all.iter().for_each(|e| sink.record(e));
        }
        assert_eq!(request_ids(&path).len(), 300);
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        let sink = AuditSink::start(Some(file), 2).unwrap();
        // Hold the writer: it answers this flush through a rendezvous channel nobody reads yet.
        let (done_tx, done_rx) = sync_channel(0);
        sink.tx.as_ref().unwrap().send(Msg::Flush(done_tx)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let all = events(50);
        let started = std::time::Instant::now();
        all.iter().for_each(|e| sink.record(e));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "record blocked"
        );
        let dropped = sink.dropped();
        assert!(dropped > 0, "a queue of 2 took 50 events");
        done_rx.recv().unwrap();
        sink.flush();
        // What was not dropped is written, and the drop is reported, not silent.
        assert_eq!(request_ids(&path).len() as u64, 50 - dropped);
    }
}
