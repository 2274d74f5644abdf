//! The floor: a trivial hyper server that reads each request and answers it with the same body
//! (4 KiB for GETs; as long as an AssumeRole answer when it stands in for STS).
//! It runs as a separate process (hidden `floor-server` subcommand of this binary), like
//! Strongbox does, so both sides share the machine the same way with the load generator.

use anyhow::Result;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Serve `body_len` bytes on every request until the process is killed.
/// Prints `listening on http://ADDR` once the socket is bound, as Strongbox does.
pub async fn serve(address: SocketAddr, body_len: usize) -> Result<()> {
    let listener = TcpListener::bind(address).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let body = Bytes::from(vec![b'x'; body_len]);
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let body = body.clone();
                async move {
                    // Read the request body (STS requests have one) as a real server would;
                    // a GET's is empty. A broken body still gets the answer.
                    let _ = req.into_body().collect().await;
                    let mut resp = Response::new(Full::new(body));
                    *resp.status_mut() = StatusCode::OK;
                    Ok::<_, Infallible>(resp)
                }
            });
            // A client closing its connection is normal at the end of a run.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
