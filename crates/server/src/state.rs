//! State shared by the listener and the routes.

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the server still takes new work.
#[derive(Debug, Default)]
pub struct ServerState {
    draining: AtomicBool,
}

impl ServerState {
    /// After a shutdown signal: readiness turns false so load balancers move on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    #[must_use]
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }
}
