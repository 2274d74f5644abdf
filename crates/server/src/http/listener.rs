//! Binding the listening socket and the accept loop with graceful shutdown.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpListener, TcpStream};

use super::service::{ConnectionInfo, HttpService};
use crate::config::ListenAddress;
use crate::state::ServerState;

const BACKLOG: i32 = 1024;
/// A client has this long to send a request's headers (slow-loris bound).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Binds `address`. No host means every interface: IPv6 and IPv4 on one dual-stack socket, or
/// IPv4 alone where IPv6 is unavailable. A host name binds its first resolved address.
pub async fn bind(address: &ListenAddress) -> io::Result<TcpListener> {
    let addr = match &address.host {
        None => {
            let any6 = SocketAddr::from((Ipv6Addr::UNSPECIFIED, address.port));
            match bind_socket(any6, true) {
                Ok(l) => return Ok(l),
                Err(e) => {
                    tracing::debug!(error = %e, "no dual-stack IPv6 socket; listening on IPv4 only");
                    SocketAddr::from((Ipv4Addr::UNSPECIFIED, address.port))
                }
            }
        }
        Some(host) => tokio::net::lookup_host((host.as_str(), address.port))
            .await?
            .next()
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{host} resolves to no address"),
                )
            })?,
    };
    bind_socket(addr, false)
}

fn bind_socket(addr: SocketAddr, dual_stack: bool) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if dual_stack {
        socket.set_only_v6(false)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    TcpListener::from_std(socket.into())
}

/// Accepts connections until `shutdown` resolves, then stops accepting and gives in-flight
/// requests `grace` to finish. Returns whether they all did.
pub async fn serve(
    listener: TcpListener,
    service: HttpService,
    state: Arc<ServerState>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> bool {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        serve_connection(&builder, &graceful, stream, peer, service.clone());
    }

    drop(listener);
    state.start_draining();
    let open = graceful.count();
    tracing::info!(
        connections = open,
        grace_secs = grace.as_secs_f64(),
        "stopped accepting; draining in-flight requests"
    );
    match tokio::time::timeout(grace, graceful.shutdown()).await {
        Ok(()) => true,
        Err(_) => {
            tracing::warn!(
                grace_secs = grace.as_secs_f64(),
                "requests still running after the shutdown grace period"
            );
            false
        }
    }
}

fn serve_connection(
    builder: &auto::Builder<TokioExecutor>,
    graceful: &GracefulShutdown,
    stream: TcpStream,
    peer: SocketAddr,
    service: HttpService,
) {
    // Without TCP_NODELAY, Nagle plus delayed ACKs hold small responses back ~40 ms.
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(%peer, error = %e, "cannot set TCP_NODELAY");
    }
    let service = service.for_connection(ConnectionInfo { peer, tls: false });
    let conn = builder
        .serve_connection(TokioIo::new(stream), service)
        .into_owned();
    let conn = graceful.watch(conn);
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
        }
    });
}
