//! Waiting for the signal that stops the server.

use std::future::Future;

/// Installs SIGTERM and SIGINT handlers now (so a signal that arrives during start-up is not
/// lost) and returns a future that resolves on the first of them, with its name.
pub fn signal() -> std::io::Result<impl Future<Output = &'static str>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    })
}
