//! Binding the listening socket and the accept loop with graceful shutdown.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use super::service::{ConnectionInfo, HttpService};
use crate::config::ListenAddress;
use crate::state::ServerState;
use crate::tls::ServerTls;

const BACKLOG: i32 = 1024;
/// A client has this long to send a request's headers (slow-loris bound).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A client has this long to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// TLS handshakes in progress at once; further connections wait in the accept backlog.
pub const MAX_HANDSHAKES: usize = 256;

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
/// requests `grace` to finish. Returns whether they all did. With `tls`, every connection is
/// TLS (a TLS handshake has [`HANDSHAKE_TIMEOUT`]; at most [`MAX_HANDSHAKES`] run at once) and
/// the certificate files are watched for changes while serving.
pub async fn serve(
    listener: TcpListener,
    service: HttpService,
    state: Arc<ServerState>,
    tls: Option<ServerTls>,
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
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    let reload = tls
        .as_ref()
        .map(|t| tokio::spawn(Arc::clone(t.certificate()).watch()));

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
        // Without TCP_NODELAY, Nagle plus delayed ACKs hold small responses back ~40 ms.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "cannot set TCP_NODELAY");
        }
        match &tls {
            None => {
                let service = service.for_connection(ConnectionInfo::plain(peer));
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
            Some(tls) => {
                // Wait for a handshake slot rather than start unbounded CPU work; the kernel
                // backlog holds the rest.
                let permit = tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    permit = Arc::clone(&handshakes).acquire_owned() => permit,
                };
                let Ok(permit) = permit else { break };
                let conn = TlsConnection {
                    acceptor: tls.acceptor().clone(),
                    builder: builder.clone(),
                    watcher: graceful.watcher(),
                    service: service.clone(),
                    peer,
                };
                tokio::spawn(conn.run(stream, permit));
            }
        }
    }

    drop(listener);
    if let Some(reload) = reload {
        reload.abort();
    }
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

/// One accepted TCP connection on the HTTPS listener, before its handshake.
struct TlsConnection {
    acceptor: TlsAcceptor,
    builder: auto::Builder<TokioExecutor>,
    watcher: Watcher,
    service: HttpService,
    peer: SocketAddr,
}

impl TlsConnection {
    async fn run(self, stream: TcpStream, permit: OwnedSemaphorePermit) {
        let peer = self.peer;
        let stream =
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor.accept(stream)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
        drop(permit);
        let peer_certificates = stream
            .get_ref()
            .1
            .peer_certificates()
            .filter(|chain| !chain.is_empty())
            .map(|chain| Arc::<[_]>::from(chain.to_vec()));
        let info = ConnectionInfo {
            peer,
            tls: true,
            peer_certificates,
        };
        let conn = self
            .builder
            .serve_connection(TokioIo::new(stream), self.service.for_connection(info))
            .into_owned();
        if let Err(e) = self.watcher.watch(conn).await {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
        }
    }
}
