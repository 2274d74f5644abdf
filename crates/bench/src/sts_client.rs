//! STS as a client sees it: one AssumeRole call (for set-up), and AssumeRole requests signed afresh
//! for every send (for the load: each carries its own `x-amz-date` and signature, as real clients'
//! calls do).

use crate::load::{self, MakeRequest};
use crate::s3client::S3Client;
use crate::sigv4::{self, Credentials, Endpoint};
use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// STS form bodies are sent with this content type (as boto3 does).
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// Temporary credentials from AssumeRole.
pub struct Temporary {
    pub creds: Credentials,
    pub session_token: Zeroizing<String>,
    pub expiration: String,
}

/// The form body of AssumeRole.
pub fn assume_role_body(duration_secs: u32) -> String {
    format!("Action=AssumeRole&Version=2011-06-15&DurationSeconds={duration_secs}")
}

/// `&amp;` and friends back to text (STS answers escape their element text).
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Parses an AssumeRole answer.
pub fn parse_credentials(body: &[u8]) -> Result<Temporary> {
    let text = |name: &str| -> Result<String> {
        let raw = load::element(body, name.as_bytes())
            .with_context(|| format!("no <{name}> in the AssumeRole answer"))?;
        Ok(unescape(std::str::from_utf8(raw)?))
    };
    let access_key = text("AccessKeyId")?;
    let secret = Zeroizing::new(text("SecretAccessKey")?);
    let session_token = Zeroizing::new(text("SessionToken")?);
    ensure!(
        !access_key.is_empty() && !secret.is_empty() && !session_token.is_empty(),
        "empty credential fields in the AssumeRole answer"
    );
    Ok(Temporary {
        creds: Credentials::new(access_key, secret.as_str()),
        session_token,
        expiration: text("Expiration")?,
    })
}

/// AssumeRole with `client`'s credentials; the answer must be 200 with credentials.
pub async fn assume_role(client: &S3Client, duration_secs: u32) -> Result<(Temporary, usize)> {
    let answer = client
        .call(
            "sts",
            Method::POST,
            "/",
            &[],
            Bytes::from(assume_role_body(duration_secs)),
            &[("content-type", FORM_CONTENT_TYPE)],
        )
        .await?;
    ensure!(
        answer.status == http::StatusCode::OK,
        "AssumeRole: {}: {}",
        answer.status,
        answer.text()
    );
    Ok((parse_credentials(&answer.body)?, answer.body.len()))
}

/// AssumeRole requests, each signed when it is made.
pub struct AssumeRoleRequests {
    creds: Credentials,
    host: String,
    region: String,
    body: Bytes,
    body_hash: String,
}

impl AssumeRoleRequests {
    pub fn new(creds: Credentials, host: String, region: String, duration_secs: u32) -> Self {
        let body = Bytes::from(assume_role_body(duration_secs));
        let body_hash = hex::encode(Sha256::digest(&body));
        Self {
            creds,
            host,
            region,
            body,
            body_hash,
        }
    }
}

impl MakeRequest for AssumeRoleRequests {
    fn make(&self) -> Result<Request<Full<Bytes>>> {
        let len = self.body.len().to_string();
        let extra = [
            ("content-type", FORM_CONTENT_TYPE),
            ("content-length", len.as_str()),
        ];
        let headers = sigv4::sign(
            &self.creds,
            &Endpoint {
                host: &self.host,
                region: &self.region,
            },
            "sts",
            OffsetDateTime::now_utc(),
            &sigv4::Request {
                method: "POST",
                path: "/",
                query: &[],
                headers: &extra,
                payload_hash: &self.body_hash,
            },
        );
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/")
            .body(Full::new(self.body.clone()))?;
        *req.headers_mut() = load::header_map(&headers)?;
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_answer_and_unescapes() {
        let body = b"<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
            <AssumeRoleResult><Credentials><AccessKeyId>AKIA0123456789ABCDEF</AccessKeyId>\
            <SecretAccessKey>secret&amp;more</SecretAccessKey><SessionToken>tok.en</SessionToken>\
            <Expiration>2026-11-25T03:00:00Z</Expiration></Credentials></AssumeRoleResult>\
            </AssumeRoleResponse>";
        let t = parse_credentials(body).unwrap();
        assert_eq!(t.creds.access_key(), "AKIA0123456789ABCDEF");
        assert_eq!(t.creds.expose_secret(), "secret&more");
        assert_eq!(t.session_token.as_str(), "tok.en");
        assert_eq!(t.expiration, "2026-11-25T03:00:00Z");
        assert!(parse_credentials(b"<ErrorResponse/>").is_err());
    }

    #[test]
    fn every_request_is_signed_afresh() {
        let requests = AssumeRoleRequests::new(
            Credentials::new("AK", "SK"),
            "127.0.0.1:1".into(),
            "us-east-1".into(),
            900,
        );
        let req = requests.make().unwrap();
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(auth.contains("/us-east-1/sts/aws4_request"), "{auth}");
        assert!(
            auth.contains(
                "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date"
            ),
            "{auth}"
        );
        assert_eq!(req.method(), Method::POST);
    }
}
