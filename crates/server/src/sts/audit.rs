//! Where issuance audit events go: one JSON line per issued credential to the log (target
//! `strongbox::audit`, level info) and, when `STRONGBOX_AUDIT_FILE` is set, appended to that file.
//! An event never holds a secret key or a session token (its type has no field for them).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use strongbox_sts::audit::IssuanceEvent;

/// Log target of audit lines.
pub const AUDIT_TARGET: &str = "strongbox::audit";

#[derive(Debug, Default)]
pub struct AuditSink {
    file: Option<Mutex<File>>,
}

impl AuditSink {
    /// Log only.
    #[must_use]
    pub fn log_only() -> Self {
        Self::default()
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
        Ok(Self {
            file: Some(Mutex::new(opts.open(path)?)),
        })
    }

    /// Records one event. A failing file write is logged, never fails the request (the log
    /// line has been written already).
    pub fn record(&self, event: &IssuanceEvent) {
        let line = event.to_json_line();
        tracing::info!(target: AUDIT_TARGET, event = line.trim_end(), "sts.issue");
        if let Some(file) = &self.file {
            let mut f = file.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = f.write_all(line.as_bytes()) {
                tracing::error!(error = %e, "cannot append to the audit file");
            }
        }
    }
}
