//! A temporary object file: written without an intermediate user-space buffer, flushed to disk
//! in the background while the upload is still arriving, fsynced once complete, and renamed into
//! the data directory only then (or removed when dropped unpersisted).
//!
//! Background flushing: a large upload asks a helper thread to `fdatasync` a second handle of
//! the file every [`SYNC_EVERY`] bytes. The writer keeps writing meanwhile, so the disk works
//! while the network and the hash do, instead of a 1 GiB upload sitting in the page cache until
//! the final fsync (or the writer stopping at every intermediate sync). The writer waits only
//! when more than [`MAX_UNSYNCED`] bytes are not yet known to be on disk, so the dirty data one
//! upload holds is bounded. The final `fsync` in [`FileWriter::finish`] is what makes the file
//! durable; the background syncs only make it cheap.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use super::layout::{Layout, new_data_id, sync_dir};

/// Writes smaller than this are gathered in a buffer (a copy); larger ones go straight to the
/// file, so a large upload is written from the received chunks without another copy.
const SMALL_WRITE: usize = 64 << 10;
/// Buffer for small writes.
const SMALL_BUF: usize = 256 << 10;
/// Bytes written between two background data sync requests.
const SYNC_EVERY: u64 = 8 << 20;
/// The writer waits while more than this many bytes are written but not yet synced.
const MAX_UNSYNCED: u64 = 256 << 20;

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

/// A temporary file being written.
pub(crate) struct FileWriter {
    file: File,
    /// Small writes gathered until [`SMALL_BUF`].
    buf: Vec<u8>,
    tmp: TempFile,
    /// Bytes accepted (written to the file or in `buf`).
    size: u64,
    /// Bytes handed to the file (`size - buf.len()`).
    on_file: u64,
    /// Value of `on_file` at the last background sync request.
    requested: u64,
    syncer: Option<Syncer>,
}

impl FileWriter {
    pub fn create(layout: &Layout) -> io::Result<Self> {
        let path = layout.new_tmp_path();
        let file = File::options().write(true).create_new(true).open(&path)?;
        Ok(Self {
            file,
            buf: Vec::new(),
            tmp: TempFile { path, armed: true },
            size: 0,
            on_file: 0,
            requested: 0,
            syncer: None,
        })
    }

    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        if data.len() < SMALL_WRITE {
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(SMALL_BUF);
            }
            if self.buf.len() + data.len() > SMALL_BUF {
                self.flush_buf()?;
            }
            self.buf.extend_from_slice(data);
        } else {
            self.flush_buf()?;
            self.file.write_all(data)?;
            self.on_file += data.len() as u64;
        }
        self.size += data.len() as u64;
        if self.on_file - self.requested >= SYNC_EVERY {
            self.request_sync()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.file.write_all(&self.buf)?;
            self.on_file += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// Asks the background syncer (started on first use) to sync what is on the file, and
    /// waits if too much is still unsynced.
    fn request_sync(&mut self) -> io::Result<()> {
        if self.syncer.is_none() {
            self.syncer = Some(Syncer::start(self.file.try_clone()?)?);
        }
        let Some(syncer) = &self.syncer else {
            return Ok(());
        };
        self.requested = self.on_file;
        syncer.request(self.on_file, self.on_file.saturating_sub(MAX_UNSYNCED))
    }

    /// Writes what is buffered, stops the background syncer and fsyncs the file.
    pub fn finish(mut self) -> io::Result<(TempFile, u64)> {
        self.flush_buf()?;
        if let Some(syncer) = self.syncer.take() {
            syncer.stop()?;
        }
        self.file.sync_all()?;
        let Self {
            file, tmp, size, ..
        } = self;
        drop(file);
        Ok((tmp, size))
    }
}

/// What the writer and the syncer thread share.
#[derive(Default)]
struct SyncState {
    /// File length the writer wants synced.
    requested: u64,
    /// File length known to be synced.
    synced: u64,
    /// The writer is done (finished or dropped): the thread exits.
    stop: bool,
    /// A failed sync: reported to the writer, which fails the upload.
    error: Option<io::Error>,
}

struct Shared {
    state: Mutex<SyncState>,
    /// Signals the syncer (new request, stop) and the writer (progress, error).
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, g: MutexGuard<'a, SyncState>) -> MutexGuard<'a, SyncState> {
        self.changed.wait(g).unwrap_or_else(PoisonError::into_inner)
    }
}

/// A thread that `fdatasync`s a second handle of the file on request.
struct Syncer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Syncer {
    fn start(file: File) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(SyncState::default()),
            changed: Condvar::new(),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("strongbox-sync".into())
            .spawn(move || sync_loop(&file, &s))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Requests a sync of the first `upto` bytes and waits until at least `at_least` are
    /// synced. Returns a sync error, if one happened.
    fn request(&self, upto: u64, at_least: u64) -> io::Result<()> {
        let mut g = self.shared.lock();
        g.requested = g.requested.max(upto);
        self.shared.changed.notify_all();
        loop {
            if let Some(e) = g.error.take() {
                return Err(e);
            }
            if g.synced >= at_least {
                return Ok(());
            }
            g = self.shared.wait(g);
        }
    }

    /// Stops the thread (after the sync it is running) and returns any sync error.
    fn stop(mut self) -> io::Result<()> {
        self.shutdown();
        match self.shared.lock().error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn shutdown(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("background sync thread panicked");
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn sync_loop(file: &File, shared: &Shared) {
    let mut g = shared.lock();
    loop {
        if g.stop || g.error.is_some() {
            return;
        }
        if g.requested > g.synced {
            let target = g.requested;
            drop(g);
            let result = file.sync_data();
            g = shared.lock();
            match result {
                Ok(()) => g.synced = g.synced.max(target),
                Err(e) => g.error = Some(e),
            }
            shared.changed.notify_all();
        } else {
            g = shared.wait(g);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    }

    /// Mixed small and large writes, past several background sync requests and the unsynced
    /// bound, come back byte for byte after finish and persist.
    #[test]
    fn mixed_writes_past_background_syncs_keep_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::create(dir.path()).unwrap();
        let data = pattern((MAX_UNSYNCED + 3 * SYNC_EVERY) as usize + 12_345);
        let sizes = [1, 100, SMALL_WRITE - 1, SMALL_WRITE, 1 << 20, 3, 300_000];
        let mut w = FileWriter::create(&layout).unwrap();
        let (mut at, mut i) = (0, 0);
        while at < data.len() {
            let n = sizes[i % sizes.len()].min(data.len() - at);
            w.write(&data[at..at + n]).unwrap();
            at += n;
            i += 1;
        }
        assert!(w.syncer.is_some(), "a large upload syncs in the background");
        let (tmp, size) = w.finish().unwrap();
        assert_eq!(size, data.len() as u64);
        let id = tmp.persist(&layout).unwrap();
        assert!(std::fs::read(layout.data_path(&id)).unwrap() == data);
        assert_eq!(std::fs::read_dir(layout.tmp_dir()).unwrap().count(), 0);
    }

    /// A writer dropped unfinished (abandoned upload) stops its syncer and removes its file.
    #[test]
    fn dropped_writer_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::create(dir.path()).unwrap();
        let mut w = FileWriter::create(&layout).unwrap();
        w.write(&pattern(SYNC_EVERY as usize + 1)).unwrap();
        w.write(b"tail").unwrap();
        assert!(w.syncer.is_some());
        drop(w);
        assert_eq!(std::fs::read_dir(layout.tmp_dir()).unwrap().count(), 0);
    }

    /// Small writes only: gathered in the buffer, all on disk after finish.
    #[test]
    fn small_writes_are_gathered_and_flushed() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::create(dir.path()).unwrap();
        let data = pattern(SMALL_BUF * 2 + 7);
        let mut w = FileWriter::create(&layout).unwrap();
        for c in data.chunks(1000) {
            w.write(c).unwrap();
        }
        assert!(w.syncer.is_none());
        let (tmp, size) = w.finish().unwrap();
        assert_eq!(size, data.len() as u64);
        let id = tmp.persist(&layout).unwrap();
        assert!(std::fs::read(layout.data_path(&id)).unwrap() == data);
    }
}
