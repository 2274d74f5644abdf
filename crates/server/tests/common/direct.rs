//! A running server over the fs backend with the direct read path attached (as the strongbox
//! binary attaches it), its IAM and STS clock at hand, and a count of the reads the path answered.

#![allow(dead_code)] // used by tests/direct_reads.rs only

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use strongbox_iam::Iam;
use strongbox_server::config::ServerArgs;
use strongbox_server::credentials;
use strongbox_server::sts::Sts;
use strongbox_server::{Config, Server};
use strongbox_storage::{DirectRead, DirectReads, FsBackend};
use strongbox_sts::TestClock;
use time::OffsetDateTime;
use tokio::sync::oneshot;

use super::Running;

/// The backend's [`DirectReads`], counting the reads it answered. The direct path asks it only
/// after a request is verified and allowed, and answers exactly when it gets `Some`, so this is
/// the count `Server::direct_reads_served` keeps (which cannot be read once `serve` owns the
/// server).
struct CountingReads {
    inner: FsBackend,
    answered: AtomicU64,
}

impl DirectReads for CountingReads {
    fn direct_read(
        &self,
        bucket: &str,
        key: &str,
        want_body: bool,
        checksums: bool,
    ) -> Option<DirectRead> {
        let read = self.inner.direct_read(bucket, key, want_body, checksums)?;
        self.answered.fetch_add(1, Ordering::Relaxed);
        Some(read)
    }
}

pub struct Direct {
    pub run: Running,
    pub iam: Arc<Iam>,
    /// The STS clock (session expiry); signatures are still checked against the wall clock.
    pub clock: TestClock,
    reads: Arc<CountingReads>,
    /// Whether the server took the direct path (`Server::direct_reads_served().is_some()`).
    enabled: bool,
}

/// A server on 127.0.0.1:0 over `dir` with environment `env`, the backend opened as the binary
/// opens it and attached with `Server::with_direct_reads` (a no-op when the configuration turns
/// the path off). Panics on an invalid configuration (see [`config`]).
pub async fn start_direct(dir: &Path, env: &[(&str, &str)]) -> Direct {
    let config = config(dir, env).expect("valid config");
    let (root, origin) = credentials::resolve(&config.root_credentials, &config.data_dir).unwrap();
    let iam = Arc::new(strongbox_server::authz::open_iam(dir, &root).unwrap());
    let clock = TestClock::new(OffsetDateTime::now_utc());
    let sts = Arc::new(
        Sts::open(
            Arc::clone(&iam),
            config.sts.clone(),
            Arc::new(clock.clone()),
        )
        .unwrap(),
    );
    let backend = FsBackend::open_with_region(&config.data_dir, &config.region)
        .await
        .unwrap();
    let reads = Arc::new(CountingReads {
        inner: backend.clone(),
        answered: AtomicU64::new(0),
    });
    let server = Server::bind_with_sts(&config, root.clone(), Arc::clone(&iam), sts, backend)
        .await
        .unwrap()
        .with_direct_reads(Arc::clone(&reads) as Arc<dyn DirectReads>);
    let enabled = match server.direct_reads_served() {
        None => false,
        Some(0) => true,
        Some(n) => panic!("{n} direct reads before serving"),
    };
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async {
        let _ = rx.await;
    }));
    Direct {
        run: Running {
            addr,
            root,
            origin,
            shutdown: Some(tx),
            task: Some(task),
        },
        iam,
        clock,
        reads,
        enabled,
    }
}

/// The configuration [`start_direct`] would use, or its error text.
pub fn config(dir: &Path, env: &[(&str, &str)]) -> Result<Config, String> {
    let mut args = ServerArgs::new(dir);
    args.address = "127.0.0.1:0".into();
    let env: HashMap<&str, &str> = env.iter().copied().collect();
    Config::from_sources(&args, &env).map_err(|e| e.to_string())
}

impl Direct {
    /// Stops serving and closes the IAM store and the backend.
    pub async fn stop(self) {
        let Direct {
            run, iam, reads, ..
        } = self;
        run.stop().await;
        drop((iam, reads));
    }

    /// Requests the direct read path answered so far; `None` when it is off.
    pub fn direct_reads_served(&self) -> Option<u64> {
        self.enabled
            .then(|| self.reads.answered.load(Ordering::Relaxed))
    }
}

/// Copies the tree under `from` (a stopped server's data directory) into `to`, keeping
/// modification times.
pub fn copy_dir(from: &Path, to: &Path) {
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
