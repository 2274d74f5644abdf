//! State shared by the listener, the S3 hooks and the routes.
//!
//! Route handlers receive an `Arc<ServerState>` (see [`crate::routes::Routes`]) and reach the IAM
//! with [`ServerState::iam`]; the S3 access hook and the bucket-policy wrapper hold the same
//! `Arc<Iam>`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use strongbox_iam::Iam;

/// What every part of the server shares: the IAM and whether the server still takes new work.
#[derive(Debug)]
pub struct ServerState {
    draining: AtomicBool,
    iam: Arc<Iam>,
    /// The buckets and the authoriser, for admin `accountinfo` (set once the backend exists).
    buckets: OnceLock<Arc<crate::authz::list_filter::BucketView>>,
    /// The counters served at `/minio/v2/metrics/*`.
    metrics: Arc<crate::metrics::Metrics>,
}

impl ServerState {
    #[must_use]
    pub fn new(iam: Arc<Iam>) -> Self {
        Self {
            draining: AtomicBool::new(false),
            iam,
            buckets: OnceLock::new(),
            metrics: Arc::default(),
        }
    }

    /// Sets the bucket view (once; later calls are ignored).
    pub fn set_buckets(&self, view: Arc<crate::authz::list_filter::BucketView>) {
        let _ = self.buckets.set(view);
    }

    /// The bucket view, when the server has one.
    #[must_use]
    pub fn buckets(&self) -> Option<&Arc<crate::authz::list_filter::BucketView>> {
        self.buckets.get()
    }

    /// The node's IAM: admin operations (blocking, call from `spawn_blocking`) and
    /// [`Iam::snapshot`] for reads on the request path.
    #[must_use]
    pub fn iam(&self) -> &Arc<Iam> {
        &self.iam
    }

    /// The server's counters.
    #[must_use]
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.metrics
    }

    /// After a shutdown signal: readiness turns false so load balancers move on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    #[must_use]
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }
}
