//! id_token / access-token validation (spec §6.4, tightened as §17 and §19 ask):
//! bounded size before any decoding; compact JWS with exactly three parts; `alg` one of the
//! asymmetric algorithms and pinned to the key ([`super::jwks`]); no `crit`; signature with the
//! provider's keys only; `iss` equal to the discovery issuer; `aud` (string or array) or `azp`
//! naming the client id; `exp` required, `nbf` and `iat` checked with a small leeway; `sub`
//! required.
//!
//! [`Rejection`] is what the client is told (a code and a message, nothing internal).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use strongbox_sts::duration::OidcFlow;
use strongbox_sts::{StsError, StsErrorCode};
use subtle::ConstantTimeEq;

use super::jwks::{Alg, Key};

/// Longest token accepted (checked before decoding anything).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Clock difference tolerated on `nbf` and `iat`.
pub const LEEWAY_SECS: i64 = 60;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the token is larger than {MAX_TOKEN_BYTES} bytes")]
    TooLarge,
    #[error("the token is malformed: {0}")]
    Malformed(&'static str),
    #[error(
        "the token algorithm {0} is not accepted (asymmetric signatures only: RS256/384/512, PS256/384/512, ES256/384, EdDSA)"
    )]
    Algorithm(String),
    #[error("the token carries critical header parameters that are not supported")]
    Critical,
    #[error("the token is signed with a key the identity provider does not publish")]
    UnknownKey,
    #[error("the token signature does not verify")]
    BadSignature,
    #[error("the token issuer (iss) is not the identity provider")]
    Issuer,
    #[error("the token audience (aud, azp) does not include the configured OpenID client id")]
    Audience,
    #[error("the token has expired")]
    Expired,
    #[error("the token has no expiry (exp)")]
    NoExpiry,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("the token was issued in the future (iat)")]
    IssuedInFuture,
    #[error("the token has no subject: the sub claim is mandatory")]
    MissingSub,
    #[error("the identity provider could not be reached; try again later")]
    Unreachable,
    #[error("the UserInfo answer of the identity provider is unusable")]
    UserInfo,
    #[error(
        "access_token is mandatory if user_info claim is enabled (send WebIdentityAccessToken)"
    )]
    AccessTokenRequired,
}

impl Rejection {
    /// The STS error for `flow`: an expired token is `ExpiredToken` (AWS's code, spec §19);
    /// everything else `InvalidParameterValue` (MinIO's).
    pub fn to_sts(&self, flow: OidcFlow) -> StsError {
        match self {
            Rejection::Expired => StsError::new(match flow {
                OidcFlow::WebIdentity => StsErrorCode::WebIdentityExpiredToken,
                OidcFlow::ClientGrants => StsErrorCode::ClientGrantsExpiredToken,
            }),
            other => {
                let what = match flow {
                    OidcFlow::WebIdentity => "web identity token",
                    OidcFlow::ClientGrants => "client grants token",
                };
                StsError::invalid_parameter(format!("Invalid {what}: {other}"))
            }
        }
    }
}

/// A structurally valid token whose signature is not checked yet.
#[derive(Debug)]
pub struct Unverified {
    pub alg: Alg,
    pub kid: Option<String>,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
    claims: Map<String, Value>,
}

/// Splits and decodes a compact JWS (RFC 7515 §7.1). Nothing is trusted yet.
pub fn parse(token: &str) -> Result<Unverified, Rejection> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Rejection::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejection::Malformed(
            "a token has exactly three dot-separated parts",
        ));
    };
    let decode = |part: &str, what: &'static str| {
        URL_SAFE_NO_PAD
            .decode(part.as_bytes())
            .map_err(|_| Rejection::Malformed(what))
    };
    let header: Map<String, Value> = serde_json::from_slice(&decode(h, "header is not base64url")?)
        .map_err(|_| Rejection::Malformed("header is not a JSON object"))?;
    let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let alg = Alg::from_name(alg_name)
        .ok_or_else(|| Rejection::Algorithm(alg_name.chars().take(32).collect()))?;
    if header.contains_key("crit") {
        return Err(Rejection::Critical);
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(Rejection::Malformed("kid is not a string")),
    };
    let claims: Map<String, Value> =
        serde_json::from_slice(&decode(p, "payload is not base64url")?)
            .map_err(|_| Rejection::Malformed("payload is not a JSON object"))?;
    let signature = decode(s, "signature is not base64url")?;
    Ok(Unverified {
        alg,
        kid,
        signing_input: token.as_bytes()[..h.len() + 1 + p.len()].to_vec(),
        signature,
        claims,
    })
}

impl Unverified {
    /// The claims, if `key` verifies the signature with the token's (pinned) algorithm.
    pub fn verify(self, key: &Key) -> Result<Map<String, Value>, Rejection> {
        if key.verify(self.alg, &self.signing_input, &self.signature) {
            Ok(self.claims)
        } else {
            Err(Rejection::BadSignature)
        }
    }
}

/// What the claims must match.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub now_unix: i64,
}

/// The checked facts of a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub sub: String,
    pub iss: String,
    pub exp: i64,
}

/// Checks the registered claims of a verified token.
pub fn check_claims(claims: &Map<String, Value>, expect: Expect<'_>) -> Result<Checked, Rejection> {
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    if !bool::from(iss.as_bytes().ct_eq(expect.issuer.as_bytes())) {
        return Err(Rejection::Issuer);
    }
    if !names_client(claims.get("aud"), expect.client_id)
        && !names_client(claims.get("azp"), expect.client_id)
    {
        return Err(Rejection::Audience);
    }
    let exp = match claims.get("exp") {
        None => return Err(Rejection::NoExpiry),
        Some(v) => numeric_date(v).ok_or(Rejection::Malformed("exp is not a number"))?,
    };
    if exp <= expect.now_unix {
        return Err(Rejection::Expired);
    }
    if let Some(v) = claims.get("nbf") {
        let nbf = numeric_date(v).ok_or(Rejection::Malformed("nbf is not a number"))?;
        if nbf > expect.now_unix + LEEWAY_SECS {
            return Err(Rejection::NotYetValid);
        }
    }
    if let Some(v) = claims.get("iat") {
        let iat = numeric_date(v).ok_or(Rejection::Malformed("iat is not a number"))?;
        if iat > expect.now_unix + LEEWAY_SECS {
            return Err(Rejection::IssuedInFuture);
        }
    }
    let sub = match claims.get("sub") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(Rejection::MissingSub),
    };
    Ok(Checked {
        sub,
        iss: iss.to_owned(),
        exp,
    })
}

/// `aud` / `azp`: a string equal to the client id, or an array containing it.
fn names_client(v: Option<&Value>, client_id: &str) -> bool {
    match v {
        Some(Value::String(s)) => s == client_id,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(client_id)),
        _ => false,
    }
}

/// A NumericDate (RFC 7519 §2): a non-negative JSON number, fractions truncated.
fn numeric_date(v: &Value) -> Option<i64> {
    if let Some(i) = v.as_i64() {
        return (i >= 0).then_some(i);
    }
    let f = v.as_f64()?;
    (f.is_finite() && (0.0..1e15).contains(&f)).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn size_is_checked_before_decoding() {
        let big = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(parse(&big).unwrap_err(), Rejection::TooLarge);
    }

    #[test]
    fn structure_and_header_rules() {
        let p = b64(&json!({"sub": "x"}));
        let h = |v: Value| b64(&v);
        assert!(matches!(parse("a.b").unwrap_err(), Rejection::Malformed(_)));
        assert!(matches!(
            parse("a.b.c.d").unwrap_err(),
            Rejection::Malformed(_)
        ));
        for alg in ["none", "HS256", "HS512"] {
            let t = format!("{}.{p}.", h(json!({"alg": alg})));
            assert_eq!(parse(&t).unwrap_err(), Rejection::Algorithm(alg.into()));
        }
        let t = format!("{}.{p}.", h(json!({"typ": "JWT"})));
        assert_eq!(parse(&t).unwrap_err(), Rejection::Algorithm(String::new()));
        let t = format!("{}.{p}.AAAA", h(json!({"alg": "RS256", "crit": ["b64"]})));
        assert_eq!(parse(&t).unwrap_err(), Rejection::Critical);
        let t = format!("{}.{p}.AAAA", h(json!({"alg": "RS256", "kid": 7})));
        assert!(matches!(parse(&t).unwrap_err(), Rejection::Malformed(_)));
        let not_json = URL_SAFE_NO_PAD.encode("not json");
        let t = format!("{}.{not_json}.AAAA", h(json!({"alg": "RS256"})));
        assert_eq!(
            parse(&t).unwrap_err(),
            Rejection::Malformed("payload is not a JSON object")
        );
        let t = format!("{}.{p}.AAAA", h(json!({"alg": "ES256", "kid": "k"})));
        let u = parse(&t).unwrap();
        assert_eq!((u.alg, u.kid.as_deref()), (Alg::Es256, Some("k")));
    }

    fn expect() -> Expect<'static> {
        Expect {
            issuer: "https://idp.example",
            client_id: "app",
            now_unix: 1_000_000,
        }
    }
    fn good() -> Map<String, Value> {
        json!({"iss": "https://idp.example", "aud": "app", "sub": "u1", "exp": 1_000_600,
               "iat": 999_990, "nbf": 999_990})
        .as_object()
        .unwrap()
        .clone()
    }
    fn with(k: &str, v: Value) -> Map<String, Value> {
        let mut c = good();
        c.insert(k.into(), v);
        c
    }
    fn without(k: &str) -> Map<String, Value> {
        let mut c = good();
        c.remove(k);
        c
    }

    #[test]
    fn registered_claims() {
        let ok = check_claims(&good(), expect()).unwrap();
        assert_eq!((ok.sub.as_str(), ok.exp), ("u1", 1_000_600));
        let cases: Vec<(Map<String, Value>, Rejection)> = vec![
            (
                with("iss", json!("https://evil.example")),
                Rejection::Issuer,
            ),
            (without("iss"), Rejection::Issuer),
            (with("aud", json!("other")), Rejection::Audience),
            (with("aud", json!(["a", "b"])), Rejection::Audience),
            (with("aud", json!("app,other")), Rejection::Audience),
            (with("exp", json!(1_000_000)), Rejection::Expired),
            (without("exp"), Rejection::NoExpiry),
            (
                with("exp", json!("1000600")),
                Rejection::Malformed("exp is not a number"),
            ),
            (with("nbf", json!(1_000_061)), Rejection::NotYetValid),
            (with("iat", json!(1_000_061)), Rejection::IssuedInFuture),
            (without("sub"), Rejection::MissingSub),
            (with("sub", json!("")), Rejection::MissingSub),
            (with("sub", json!(5)), Rejection::MissingSub),
        ];
        for (claims, want) in cases {
            assert_eq!(
                check_claims(&claims, expect()).unwrap_err(),
                want,
                "{claims:?}"
            );
        }
        // aud as an array, azp instead of aud, leeway on nbf.
        assert!(check_claims(&with("aud", json!(["x", "app"])), expect()).is_ok());
        let mut azp = with("aud", json!("other"));
        azp.insert("azp".into(), json!("app"));
        assert!(check_claims(&azp, expect()).is_ok());
        assert!(check_claims(&with("nbf", json!(1_000_059)), expect()).is_ok());
        assert!(check_claims(&with("exp", json!(1_000_600.5)), expect()).is_ok());
    }

    #[test]
    fn errors_become_sts_codes() {
        let e = Rejection::Expired.to_sts(OidcFlow::WebIdentity);
        assert_eq!(e.code().wire(), "ExpiredToken");
        let e = Rejection::Audience.to_sts(OidcFlow::ClientGrants);
        assert_eq!(e.code(), StsErrorCode::InvalidParameterValue);
        assert!(
            e.message().starts_with("Invalid client grants token: "),
            "{}",
            e.message()
        );
    }
}
