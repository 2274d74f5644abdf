//! The process's counters (plain atomics) and their Prometheus text rendering. The server state
//! holds one [`Metrics`] ([`crate::state::ServerState::metrics`]); the endpoint that serves it is
//! [`crate::routes::metrics`].
//!
//! - `strongbox_authz_external_decisions_total{result="allow"|"deny"|"error"}`: decisions of the
//!   external authoriser ([`crate::authz::external`]). `error` counts the calls that failed
//!   (timeout, transport error, unreadable answer); each of those denied the request but is not
//!   in `deny`, which counts only the authoriser's own "no".
//! - `strongbox_sts_credentials_issued_total`: temporary credentials issued by STS (every
//!   `AssumeRole*`), read from the STS audit sink.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Decision counts of the external authoriser since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub allowed: u64,
    pub denied: u64,
    /// Denied because the authoriser failed (timeout, transport, unreadable answer).
    pub failed: u64,
}

/// The external authoriser's decision counters.
#[derive(Debug, Default)]
pub struct DecisionCounters {
    allowed: AtomicU64,
    denied: AtomicU64,
    failed: AtomicU64,
}

impl DecisionCounters {
    pub fn allow(&self) {
        self.allowed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn deny(&self) {
        self.denied.fetch_add(1, Ordering::Relaxed);
    }

    pub fn fail(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    #[must_use]
    pub fn counts(&self) -> Counts {
        Counts {
            allowed: self.allowed.load(Ordering::Relaxed),
            denied: self.denied.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

/// Every counter the server exports.
#[derive(Debug, Default)]
pub struct Metrics {
    authz: Arc<DecisionCounters>,
}

impl Metrics {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The counters an external authoriser adds to.
    #[must_use]
    pub fn authz(&self) -> &Arc<DecisionCounters> {
        &self.authz
    }

    /// The Prometheus text exposition (format 0.0.4) of every counter; `sts_issued` is the
    /// number of temporary credentials issued (`None`: no STS, rendered as 0).
    #[must_use]
    pub fn render(&self, sts_issued: Option<u64>) -> String {
        let c = self.authz.counts();
        let mut out = String::with_capacity(512);
        let name = "strongbox_authz_external_decisions_total";
        let _ = writeln!(
            out,
            "# HELP {name} Decisions of the external authoriser by result (error: the call failed and the request was denied)"
        );
        let _ = writeln!(out, "# TYPE {name} counter");
        for (result, n) in [
            ("allow", c.allowed),
            ("deny", c.denied),
            ("error", c.failed),
        ] {
            let _ = writeln!(out, "{name}{{result=\"{result}\"}} {n}");
        }
        let name = "strongbox_sts_credentials_issued_total";
        let _ = writeln!(out, "# HELP {name} Temporary credentials issued by STS");
        let _ = writeln!(out, "# TYPE {name} counter");
        let _ = writeln!(out, "{name} {}", sts_issued.unwrap_or(0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_counter_with_help_and_type() {
        let m = Metrics::new();
        m.authz().allow();
        m.authz().allow();
        m.authz().deny();
        m.authz().fail();
        m.authz().fail();
        m.authz().fail();
        let text = m.render(Some(4));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "# HELP strongbox_authz_external_decisions_total Decisions of the external authoriser by result (error: the call failed and the request was denied)",
                "# TYPE strongbox_authz_external_decisions_total counter",
                "strongbox_authz_external_decisions_total{result=\"allow\"} 2",
                "strongbox_authz_external_decisions_total{result=\"deny\"} 1",
                "strongbox_authz_external_decisions_total{result=\"error\"} 3",
                "# HELP strongbox_sts_credentials_issued_total Temporary credentials issued by STS",
                "# TYPE strongbox_sts_credentials_issued_total counter",
                "strongbox_sts_credentials_issued_total 4",
            ]
        );
        assert!(
            m.render(None)
                .ends_with("strongbox_sts_credentials_issued_total 0\n")
        );
    }
}
