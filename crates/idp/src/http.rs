//! The one outbound HTTP(S) client of the identity providers: rustls with the ring provider and
//! the system's root certificates, every call bounded in time and in response size.
//!
//! A provider that is down or slow must never hold an STS request for long, so each call —
//! connect, TLS, headers and body together — runs under one deadline.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Default bound on one provider call (issue 5: "bounded time, default 5 s").
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a call failed. The text is for the log; clients get a generic message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("not an http(s) URL: {0}")]
    BadUrl(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("request failed: {0}")]
    Transport(String),
    #[error("answered HTTP {0}")]
    Status(u16),
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
}

/// A cheap-to-clone HTTP(S) client.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client trusting the system's root certificates (none found is not an error: plain
    /// HTTP providers, e.g. on 127.0.0.1, still work).
    pub fn new(timeout: Duration) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for cert in found.certs {
            // Certificates the parser does not accept are skipped, as browsers do.
            let _ = roots.add(cert);
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(Self { client, timeout })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `GET url`; the body of a 200 answer, at most `max_bytes`.
    pub async fn get(&self, url: &str, max_bytes: usize) -> Result<Bytes, FetchError> {
        let req = Request::builder()
            .method(Method::GET)
            .uri(parse_url(url)?)
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::new()))
            .map_err(|e| FetchError::BadUrl(e.to_string()))?;
        self.send(req, max_bytes).await
    }

    /// `GET url` with `Authorization: Bearer <token>` (OpenID UserInfo, RFC 6750 §2.1).
    pub async fn get_bearer(
        &self,
        url: &str,
        token: &str,
        max_bytes: usize,
    ) -> Result<Bytes, FetchError> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| FetchError::Transport("the access token is not a header value".into()))?;
        auth.set_sensitive(true);
        let req = Request::builder()
            .method(Method::GET)
            .uri(parse_url(url)?)
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::AUTHORIZATION, auth)
            .body(Full::new(Bytes::new()))
            .map_err(|e| FetchError::BadUrl(e.to_string()))?;
        self.send(req, max_bytes).await
    }

    /// `POST url` with `body` (JSON) and an optional `Authorization` value sent verbatim (the
    /// identity plugin and the policy plugin). Any status is returned with its body (at most
    /// `max_bytes`): these callers read error answers too.
    pub async fn post(
        &self,
        url: &str,
        authorization: Option<&str>,
        body: Bytes,
        max_bytes: usize,
    ) -> Result<(StatusCode, Bytes), FetchError> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(parse_url(url)?)
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::CONTENT_TYPE, "application/json");
        if let Some(a) = authorization {
            let mut v = HeaderValue::from_str(a).map_err(|_| {
                FetchError::Transport("the auth token is not a header value".into())
            })?;
            v.set_sensitive(true);
            builder = builder.header(http::header::AUTHORIZATION, v);
        }
        let req = builder
            .body(Full::new(body))
            .map_err(|e| FetchError::BadUrl(e.to_string()))?;
        self.send_any(req, max_bytes).await
    }

    async fn send(&self, req: Request<Full<Bytes>>, max_bytes: usize) -> Result<Bytes, FetchError> {
        match self.send_any(req, max_bytes).await? {
            (StatusCode::OK, body) => Ok(body),
            (status, _) => Err(FetchError::Status(status.as_u16())),
        }
    }

    async fn send_any(
        &self,
        req: Request<Full<Bytes>>,
        max_bytes: usize,
    ) -> Result<(StatusCode, Bytes), FetchError> {
        let call = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| FetchError::Transport(describe(&e)))?;
            let status = resp.status();
            match Limited::new(resp.into_body(), max_bytes).collect().await {
                Ok(body) => Ok((status, body.to_bytes())),
                Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                    Err(FetchError::TooLarge(max_bytes))
                }
                Err(e) => Err(FetchError::Transport(e.to_string())),
            }
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout(self.timeout)),
        }
    }
}

/// An absolute `http` or `https` URL.
pub fn parse_url(url: &str) -> Result<Uri, FetchError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| FetchError::BadUrl(url.to_owned()))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(h)) if !h.is_empty() => Ok(uri),
        _ => Err(FetchError::BadUrl(url.to_owned())),
    }
}

/// The error and its causes on one line (hyper's top-level text alone says little).
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls() {
        for ok in [
            "http://127.0.0.1:9/x",
            "https://accounts.example/.well-known/x",
        ] {
            assert!(parse_url(ok).is_ok(), "{ok}");
        }
        for bad in ["ftp://h/x", "/relative", "127.0.0.1:80", "", "http://"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn slow_server_hits_the_deadline_and_refused_port_fails_fast() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepts and never answers.
        let hold = tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                if let Ok((s, _)) = listener.accept().await {
                    held.push(s);
                }
            }
        });
        let client = HttpClient::new(Duration::from_millis(300)).unwrap();
        let t = std::time::Instant::now();
        let e = client
            .get(&format!("http://{addr}/"), 1024)
            .await
            .unwrap_err();
        assert_eq!(e, FetchError::Timeout(Duration::from_millis(300)));
        assert!(t.elapsed() < Duration::from_secs(2));
        hold.abort();

        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let e = client
            .get(&format!("http://127.0.0.1:{port}/"), 1024)
            .await
            .unwrap_err();
        assert!(matches!(e, FetchError::Transport(_)), "{e:?}");
    }
}
