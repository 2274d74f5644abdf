//! Logging with `tracing`: human lines or JSON lines on stdout.
//!
//! No log line may carry a secret, session token or signature. Our own code never logs them; s3s
//! does at debug level (the whole request with its Authorization header, computed signatures), so
//! events and spans of the `s3s` target (and `h2`, which traces header frames) are dropped above
//! INFO whatever the filter says. s3s also logs every 4xx at ERROR level; its target is therefore
//! off unless the filter names it (e.g. `RUST_LOG=info,s3s=warn`).

use std::io::IsTerminal;

use tracing::{Level, Metadata};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogConfig, LogFormat};

/// Targets whose debug and trace output may contain secrets.
const CAPPED_TARGETS: &[&str] = &["s3s", "h2"];

/// Installs the global subscriber. Call once, before anything logs.
pub fn init(config: &LogConfig) -> anyhow::Result<()> {
    let filter = EnvFilter::builder().parse(effective_filter(&config.filter))?;
    let cap = filter_fn(allowed);
    let ansi = std::io::stdout().is_terminal();
    let registry = tracing_subscriber::registry().with(filter);
    match config.format {
        LogFormat::Human => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(ansi)
                    .with_filter(cap),
            )
            .try_init()?,
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_filter(cap),
            )
            .try_init()?,
    }
    Ok(())
}

/// The filter with `s3s=off` added unless it mentions s3s itself.
#[must_use]
pub fn effective_filter(filter: &str) -> String {
    if filter.contains("s3s") {
        filter.to_owned()
    } else if filter.trim().is_empty() {
        "s3s=off".to_owned()
    } else {
        format!("{filter},s3s=off")
    }
}

/// False for debug/trace events and spans of the capped targets.
#[must_use]
pub fn allowed(meta: &Metadata<'_>) -> bool {
    let capped = CAPPED_TARGETS.iter().any(|t| {
        meta.target() == *t
            || meta
                .target()
                .strip_prefix(t)
                .is_some_and(|rest| rest.starts_with("::"))
    });
    !(capped && *meta.level() > Level::INFO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3s_is_off_unless_named() {
        assert_eq!(effective_filter("info"), "info,s3s=off");
        assert_eq!(effective_filter("debug,s3s=warn"), "debug,s3s=warn");
        assert_eq!(effective_filter(""), "s3s=off");
    }

    #[test]
    fn s3s_debug_output_never_passes_the_cap() {
        // Capture real s3s-targeted events through the same cap and check what comes out.
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::registry()
            .with(
                EnvFilter::builder()
                    .parse(effective_filter("trace,s3s=trace"))
                    .unwrap(),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(move || writer.clone())
                    .with_filter(filter_fn(allowed)),
            );
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "s3s::ops::signature", signature = "deadbeef", "signature mismatch");
            tracing::trace!(target: "h2::codec", "authorization: AWS4-HMAC-SHA256 secret");
            tracing::error!(target: "s3s::ops", "failed to prepare");
            tracing::debug!(target: "s3s_like_but_not", "kept");
            tracing::debug!(target: "strongbox::access", "request line");
        });
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(!out.contains("deadbeef"), "{out}");
        assert!(!out.contains("secret"), "{out}");
        assert!(out.contains("failed to prepare"), "{out}");
        assert!(out.contains("kept"), "{out}");
        assert!(out.contains("request line"), "{out}");
    }
}
