//! The user's own components that Strongbox calls out to, as tiny hyper servers (hidden
//! `plugin-server` subcommand of this binary, a separate process like the floor, so its CPU is
//! counted apart from the load generator's):
//!
//! - `identity`: the identity plugin of `AssumeRoleWithCustomToken` (spec §10), like
//!   tests/python/test_plugin.py's: `POST ?token=TOKEN` with `Authorization: AUTH` answers
//!   `200 {"user", "maxValiditySeconds", "claims"}`; any other token or auth answers
//!   `403 {"reason"}`.
//! - `authz`: an OPA-style external authoriser (spec §13): a `POST` whose body is a JSON input
//!   document with `input.action` answers `{"result": true}`; anything else `{"result": false}`.
//!
//! Both answer `GET /` (the readiness probe) with 200.

use std::convert::Infallible;
use std::net::SocketAddr;

use anyhow::Result;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::process::{ServerProcess, free_addr};

/// The token clients send and the plugin accepts (bench data, not a secret).
pub const TOKEN: &str = "bench-custom-token-0123456789";
/// The `Authorization` value Strongbox is configured to send (`MINIO_IDENTITY_PLUGIN_AUTH_TOKEN`).
pub const AUTH: &str = "Bearer bench-plugin-auth";
/// The user the plugin answers; the credential's parent is `custom:<USER>`.
pub const USER: &str = "bench-user";
/// Largest request body read (an authoriser input document is well under 4 KiB).
const MAX_BODY: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Identity,
    Authz,
}

/// The identity plugin's 200 answer.
pub fn identity_answer() -> String {
    json!({"user": USER, "maxValiditySeconds": 3600, "claims": {"team": "bench", "groups": ["a", "b"]}})
        .to_string()
}

/// `token=` of a query string (tokens here are plain ASCII: no percent-decoding needed).
fn query_token(query: Option<&str>) -> Option<&str> {
    query?.split('&').find_map(|kv| kv.strip_prefix("token="))
}

/// The answer to one request.
fn answer(
    kind: Kind,
    method: &Method,
    query: Option<&str>,
    auth: Option<&[u8]>,
    body: &[u8],
) -> (StatusCode, String) {
    if method == Method::GET {
        return (StatusCode::OK, "{}".into());
    }
    match kind {
        Kind::Identity => {
            if query_token(query) == Some(TOKEN) && auth == Some(AUTH.as_bytes()) {
                (StatusCode::OK, identity_answer())
            } else {
                let reason = json!({"reason": "unknown token or wrong Authorization"});
                (StatusCode::FORBIDDEN, reason.to_string())
            }
        }
        Kind::Authz => {
            let allow = serde_json::from_slice::<Value>(body)
                .ok()
                .is_some_and(|v| v.pointer("/input/action").is_some_and(Value::is_string));
            (StatusCode::OK, json!({ "result": allow }).to_string())
        }
    }
}

/// Serve until the process is killed. Prints `listening on http://ADDR` once bound.
pub async fn serve(address: SocketAddr, kind: Kind) -> Result<()> {
    let listener = TcpListener::bind(address).await?;
    println!("listening on http://{} ({kind:?})", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| async move {
                let (parts, body) = req.into_parts();
                // A body over the bound or broken is answered as an empty one (refused).
                let body = Limited::new(body, MAX_BODY)
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                let auth = parts
                    .headers
                    .get(http::header::AUTHORIZATION)
                    .map(|v| v.as_bytes());
                let (status, text) = answer(kind, &parts.method, parts.uri.query(), auth, &body);
                let mut resp = Response::new(Full::new(Bytes::from(text)));
                *resp.status_mut() = status;
                resp.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                Ok::<_, Infallible>(resp)
            });
            // A client closing its connection is normal at the end of a run.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Starts this binary's `plugin-server` of `kind` on a free port of 127.0.0.1.
pub fn start(kind: Kind) -> Result<ServerProcess> {
    let addr = free_addr()?;
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("plugin-server")
        .arg("--address")
        .arg(addr.to_string())
        .arg("--kind")
        .arg(match kind {
            Kind::Identity => "identity",
            Kind::Authz => "authz",
        });
    ServerProcess::start(&format!("{kind:?} plugin"), cmd, addr, "/")
}

/// TCP connections on this machine to `port`, as (established, in TIME_WAIT), from
/// `/proc/net/tcp{,6}`: a client that pools its connections to the plugin keeps about one per
/// concurrent request open and leaves few in TIME_WAIT; one that connects per call leaves
/// thousands in TIME_WAIT.
pub fn sockets_on_port(port: u16) -> (u64, u64) {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|t| std::fs::read_to_string(t).ok())
        .map(|text| count_sockets(&text, port))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// [`sockets_on_port`] over one `/proc/net/tcp` table.
fn count_sockets(table: &str, port: u16) -> (u64, u64) {
    let mut counts = (0, 0);
    let port_of = |a: &str| {
        a.rsplit_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
    };
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [_, local, remote, state, ..] = f[..] else {
            continue;
        };
        let (at_server, at_client) = (port_of(local) == Some(port), port_of(remote) == Some(port));
        match state {
            // Both ends of a loopback connection are listed: count the server's.
            "01" if at_server => counts.0 += 1,
            "06" if at_server || at_client => counts.1 += 1,
            _ => {}
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_plugin_checks_token_and_auth() {
        let q = format!("token={TOKEN}");
        let ok = answer(
            Kind::Identity,
            &Method::POST,
            Some(&q),
            Some(AUTH.as_bytes()),
            b"",
        );
        assert_eq!(ok.0, StatusCode::OK);
        let v: Value = serde_json::from_str(&ok.1).unwrap();
        assert_eq!(v["user"], USER);
        assert_eq!(v["maxValiditySeconds"], 3600);
        assert_eq!(v["claims"]["team"], "bench");
        let wrong_auth = answer(
            Kind::Identity,
            &Method::POST,
            Some(&q),
            Some(b"Bearer x"),
            b"",
        );
        assert_eq!(wrong_auth.0, StatusCode::FORBIDDEN);
        let wrong_token = answer(
            Kind::Identity,
            &Method::POST,
            Some("token=nope"),
            Some(AUTH.as_bytes()),
            b"",
        );
        assert_eq!(wrong_token.0, StatusCode::FORBIDDEN);
        assert!(wrong_token.1.contains("reason"));
    }

    #[test]
    fn counts_connections_to_a_port() {
        // Port 0x1F90 = 8080: one connection (both ends listed), one in TIME_WAIT on the client
        // side, one listening socket and one unrelated connection.
        let table = "  sl  local_address rem_address   st tx_queue rx_queue\n\
            0: 0100007F:1F90 00000000:0000 0A 00000000:00000000\n\
            1: 0100007F:1F90 0100007F:A000 01 00000000:00000000\n\
            2: 0100007F:A000 0100007F:1F90 01 00000000:00000000\n\
            3: 0100007F:A001 0100007F:1F90 06 00000000:00000000\n\
            4: 0100007F:A002 0100007F:0050 01 00000000:00000000\n";
        assert_eq!(count_sockets(table, 8080), (1, 1));
        assert_eq!(count_sockets(table, 80), (0, 0));
    }

    #[test]
    fn authoriser_allows_only_input_documents() {
        let doc = br#"{"input": {"action": "s3:GetObject", "bucket": "b"}}"#;
        assert_eq!(
            answer(Kind::Authz, &Method::POST, None, None, doc).1,
            r#"{"result":true}"#
        );
        for bad in [&b"nope"[..], b"{}", br#"{"input": {"action": 1}}"#] {
            assert_eq!(
                answer(Kind::Authz, &Method::POST, None, None, bad).1,
                r#"{"result":false}"#
            );
        }
        assert_eq!(
            answer(Kind::Authz, &Method::GET, None, None, b"").0,
            StatusCode::OK
        );
    }
}
