//! In front of s3s: every request runs inside [`crate::sts::session::scope`] (so the
//! authentication hook can verify temporary credentials), and STS requests get their parameters
//! checked and their errors shaped as STS XML. See the module docs of [`super`].

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::BodyExt as _;
use s3s::service::S3Service;
use s3s::{Body, HttpError};
use sha2::{Digest, Sha256};
use strongbox_sts::params::MAX_FORM_BODY;
use strongbox_sts::xml::{CONTENT_TYPE, error_response};
use strongbox_sts::{StsError, StsErrorCode, StsParams, StsRoute};

use super::{Answered, StsCall};
use crate::fast::DirectReadPath;
use crate::http::{ConnectionInfo, RequestId};
use crate::routes::Endpoint;
use crate::sts::Sts;
use crate::sts::session::{self, RequestCredentials, TokenSource};

const CONTENT_SHA256: &str = "x-amz-content-sha256";
/// Longest s3s error body we read back to reshape it.
const MAX_S3_ERROR_BODY: usize = 64 * 1024;

/// What the HTTP front knows of a request besides the request itself. It goes into the
/// request's extensions only when the request goes to s3s: the direct read path reads it here
/// (an extensions map costs allocations on every request).
pub struct Tags<'a> {
    pub id: &'a RequestId,
    pub connection: Option<&'a ConnectionInfo>,
}

impl Tags<'_> {
    fn put_on(&self, req: &mut Request<Body>) {
        req.extensions_mut().insert(self.id.clone());
        if let Some(info) = self.connection {
            req.extensions_mut().insert(info.clone());
        }
    }
}

/// Serves one request through s3s, with STS handling around it (a no-op without `sts`); an S3
/// request that the direct read path answers does not reach s3s.
pub async fn call(
    sts: Option<&Arc<Sts>>,
    direct: Option<&DirectReadPath>,
    s3: &S3Service,
    mut req: Request<Body>,
    tags: Tags<'_>,
) -> Result<Response<Body>, HttpError> {
    let Some(sts) = sts else {
        if let Some(resp) = direct.and_then(|d| d.try_serve(&req, tags.connection)) {
            return Ok(resp);
        }
        tags.put_on(&mut req);
        return Box::pin(s3.call(req)).await;
    };
    let token = match crate::identity::session_token(req.headers(), req.uri()) {
        Ok(Some(t)) => TokenSource::Present(t),
        Ok(None) => TokenSource::Absent,
        Err(_) => TokenSource::Invalid,
    };
    let post_form = req.method() == http::Method::POST
        && req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| {
                c.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/form-data")
            });
    let endpoint = Endpoint::classify(req.method(), req.uri(), req.headers());
    if endpoint.is_none()
        && let Some(direct) = direct
    {
        // Synchronous, in its own session scope: no boxed future for the common read. A
        // request it does not answer gets a fresh scope below (and verifies again).
        let creds = RequestCredentials::new(Arc::clone(sts), token.clone(), post_form);
        let connection = tags.connection;
        if let Some(resp) = session::sync_scope(creds, || direct.try_serve(&req, connection)) {
            return Ok(resp);
        }
    }
    tags.put_on(&mut req);
    let creds = RequestCredentials::new(Arc::clone(sts), token, post_form);
    match endpoint {
        // Both boxed: s3s's future is ~3 KiB and the STS handlers' larger; inline (and held
        // twice by `scope`'s async fn) they made every request's future ~9 KiB, copied on each
        // move (into `instrument`, into the connection's box).
        Some(Endpoint::Sts(route)) => {
            session::scope(creds, Box::pin(sts_request(route, s3, req))).await
        }
        _ => session::scope(creds, Box::pin(s3.call(req))).await,
    }
}

async fn sts_request(
    route: StsRoute,
    s3: &S3Service,
    req: Request<Body>,
) -> Result<Response<Body>, HttpError> {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default();
    let (mut parts, body) = req.into_parts();
    let checked = async {
        let body = read_form_body(body).await?;
        let content_type = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let query = parts.uri.query().unwrap_or("");
        let params = if route.reads_body() {
            StsParams::from_query_and_body(query, content_type, &body)?
        } else {
            StsParams::from_query(query)?
        };
        let action = route.dispatch(&params)?;
        if route == StsRoute::Signed {
            pin_payload_hash(&mut parts.headers, &body)?;
        }
        Ok::<_, StsError>((body, action, params))
    }
    .await;
    let (body, action, params) = match checked {
        Ok(c) => c,
        Err(e) => return Ok(sts_error(&e, &request_id)),
    };
    parts.extensions.insert(StsCall {
        route,
        action,
        params: Arc::new(params),
    });
    let resp = s3
        .call(Request::from_parts(parts, Body::from(body)))
        .await?;
    if resp.extensions().get::<Answered>().is_some() || resp.status().is_success() {
        return Ok(resp);
    }
    Ok(reshape_s3_error(resp, &request_id).await)
}

/// The whole form body, at most [`MAX_FORM_BODY`] bytes.
async fn read_form_body(body: Body) -> Result<Bytes, StsError> {
    match http_body_util::Limited::new(body, MAX_FORM_BODY)
        .collect()
        .await
    {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(StsError::invalid_parameter(
            format!("STS request body exceeds {MAX_FORM_BODY} bytes"),
        )),
        Err(_) => Err(StsError::invalid_parameter(
            "Unable to read the request body",
        )),
    }
}

/// AssumeRole's payload hash is the SHA-256 of the actual body (spec §2.1): a client that sent
/// none gets it filled in (it is not a signed header then, so the canonical request is the one
/// the client signed); a sent value must be that hash (`UNSIGNED-PAYLOAD` and streaming are not
/// honoured for STS).
fn pin_payload_hash(headers: &mut HeaderMap, body: &[u8]) -> Result<(), StsError> {
    let computed = hex::encode(Sha256::digest(body));
    match headers.get(CONTENT_SHA256) {
        None => {
            let v = HeaderValue::from_str(&computed).map_err(|_| StsError::internal())?;
            headers.insert(CONTENT_SHA256, v);
            Ok(())
        }
        Some(v) if v.as_bytes().eq_ignore_ascii_case(computed.as_bytes()) => Ok(()),
        Some(_) => Err(StsError::access_denied(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )),
    }
}

fn sts_error(e: &StsError, request_id: &str) -> Response<Body> {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = Response::new(Body::from(Bytes::from(error_response(e, request_id))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE),
    );
    resp
}

/// An error s3s answered before our route ran (signature, unknown key, clock skew, a session
/// token problem...): as MinIO, `AccessDenied` with the S3 message; 500 → `InternalError`, 503
/// → `STSNotInitialized`.
async fn reshape_s3_error(resp: Response<Body>, request_id: &str) -> Response<Body> {
    let status = resp.status();
    let body = http_body_util::Limited::new(resp.into_body(), MAX_S3_ERROR_BODY)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let code = element(&text, "Code").unwrap_or_default();
    tracing::debug!(status = status.as_u16(), s3_code = %code, "STS request refused before the handler");
    let e = match status {
        StatusCode::SERVICE_UNAVAILABLE => StsError::new(StsErrorCode::NotInitialized),
        StatusCode::INTERNAL_SERVER_ERROR => StsError::internal(),
        _ => match element(&text, "Message") {
            Some(m) if !m.is_empty() => StsError::access_denied(m),
            _ => match s3_description(&code) {
                Some(m) => StsError::access_denied(m),
                None => StsError::new(StsErrorCode::AccessDenied),
            },
        },
    };
    sts_error(&e, request_id)
}

/// The S3 description of the codes s3s may answer an STS request with without a message.
fn s3_description(code: &str) -> Option<&'static str> {
    Some(match code {
        "SignatureDoesNotMatch" => {
            "The request signature we calculated does not match the signature you provided. Check your key and signing method."
        }
        "InvalidAccessKeyId" => "The Access Key Id you provided does not exist in our records.",
        "RequestTimeTooSkewed" => {
            "The difference between the request time and the server's time is too large."
        }
        "AccessDenied" => "Access Denied.",
        _ => return None,
    })
}

/// The unescaped text of the first `<name>` element of a small, flat XML body.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_hash_filled_in_or_checked() {
        let body = b"Action=AssumeRole&Version=2011-06-15";
        let mut h = HeaderMap::new();
        pin_payload_hash(&mut h, body).unwrap();
        let want = hex::encode(Sha256::digest(body));
        assert_eq!(h.get(CONTENT_SHA256).unwrap(), want.as_str());
        pin_payload_hash(&mut h, body).unwrap();
        for bad in [
            "UNSIGNED-PAYLOAD",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "00",
        ] {
            h.insert(CONTENT_SHA256, HeaderValue::from_static(bad));
            let e = pin_payload_hash(&mut h, body).unwrap_err();
            assert_eq!(e.code(), StsErrorCode::AccessDenied, "{bad}");
        }
    }

    #[test]
    fn element_text_unescaped() {
        let x = "<Error><Code>SignatureDoesNotMatch</Code><Message>a &amp; b &lt;c&gt;</Message></Error>";
        assert_eq!(element(x, "Code").as_deref(), Some("SignatureDoesNotMatch"));
        assert_eq!(element(x, "Message").as_deref(), Some("a & b <c>"));
        assert_eq!(element(x, "RequestId"), None);
    }
}
