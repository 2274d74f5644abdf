//! SigV4 header authentication for the direct read path ([`super`]).
//!
//! Only the plainest form is recognised: `Authorization: AWS4-HMAC-SHA256 Credential=…,
//! SignedHeaders=…, Signature=…` for service `s3`, an `x-amz-date` header, and a payload hash of
//! `UNSIGNED-PAYLOAD` or the empty body's. Everything this module does not recognise, and every
//! signature that does not verify, is answered with `None`: the request then goes through s3s,
//! which verifies it again and gives the client its error. So this code may be stricter than
//! s3s, never more lenient; the canonical request it hashes is the one s3s builds first (its
//! URI-encoded form; s3s's raw-path fallback is left to s3s).
//!
//! What it saves over s3s: no canonical request or string to sign is materialised (the pieces
//! are hashed as they are found), and the signing key (four HMACs) is derived once per secret,
//! day and region per thread rather than per request.

use std::cell::RefCell;

use hmac::{Hmac, Mac};
use http::HeaderMap;
use s3s::auth::SecretKey;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::identity::SECURITY_TOKEN_HEADER;

type HmacSha256 = Hmac<Sha256>;

/// The SHA-256 of an empty payload, as a client sends it for a GET.
pub(crate) const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The session token header of a temporary credential's request, parsed.
const SECURITY_TOKEN: http::HeaderName = http::HeaderName::from_static(SECURITY_TOKEN_HEADER);
/// Most signed headers looked at; a request signing more goes through s3s.
const MAX_SIGNED_HEADERS: usize = 16;

/// The parts of a SigV4 `Authorization` header, borrowed from the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Authorization<'a> {
    pub access_key: &'a str,
    /// `YYYYMMDD` of the credential scope.
    scope_date: &'a str,
    /// May be empty (minio-py signs that way).
    region: &'a str,
    /// `a;b;c`, lower case, strictly ascending.
    signed_headers: &'a str,
    /// 32 bytes, from 64 lower-case hex digits.
    signature: [u8; 32],
}

/// Parses the `Authorization` header, or `None` if it is not the plain SigV4 header form.
pub(crate) fn parse(headers: &HeaderMap) -> Option<Authorization<'_>> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let rest = value.strip_prefix(ALGORITHM)?.strip_prefix(' ')?;
    let rest = rest.trim_start_matches(' ');
    let (credential, rest) = component(rest, "Credential=")?;
    let (signed_headers, rest) = component(rest, "SignedHeaders=")?;
    let (signature, rest) = component(rest, "Signature=")?;
    if !rest.is_empty() {
        return None;
    }
    let mut scope = credential.split('/');
    let access_key = scope.next()?;
    let scope_date = scope.next()?;
    let region = scope.next()?;
    let service = scope.next()?;
    let terminator = scope.next()?;
    if scope.next().is_some()
        || access_key.is_empty()
        || !access_key.bytes().all(|b| b.is_ascii_graphic())
        || scope_date.len() != 8
        || !scope_date.bytes().all(|b| b.is_ascii_digit())
        || !region.bytes().all(|b| b.is_ascii_graphic())
        || service != "s3"
        || terminator != "aws4_request"
        || !well_formed_signed_headers(signed_headers)
    {
        return None;
    }
    Some(Authorization {
        access_key,
        scope_date,
        region,
        signed_headers,
        signature: lower_hex_32(signature)?,
    })
}

/// `name` followed by its value, up to a `,` (and spaces) or the end. Inlined: the names are
/// constants, so the prefix test needs no call.
#[inline(always)]
fn component<'a>(s: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    let s = s.strip_prefix(name)?;
    match s.split_once(',') {
        Some((value, rest)) => Some((value, rest.trim_start_matches(' '))),
        None => Some((s, "")),
    }
}

fn well_formed_signed_headers(list: &str) -> bool {
    let mut previous: Option<&str> = None;
    let mut n = 0;
    for name in list.split(';') {
        n += 1;
        if n > MAX_SIGNED_HEADERS
            || name.is_empty()
            || name == "authorization"
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            || previous.is_some_and(|p| p >= name)
        {
            return false;
        }
        previous = Some(name);
    }
    true
}

fn lower_hex_32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
        *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// What is signed besides the headers: the canonical URI and query, already in canonical form.
pub(crate) struct Canonical<'a> {
    pub method: &'a str,
    /// The request path, which the caller made sure needs no encoding.
    pub uri: &'a str,
    /// `name=value`, already sorted and encoded, or empty.
    pub query: &'a str,
}

/// Whether `auth` is a valid signature of this request by `secret`, made within
/// `max_skew_secs` of `now`. `false` for anything this module does not handle.
pub(crate) fn verify(
    headers: &HeaderMap,
    auth: &Authorization<'_>,
    canonical: &Canonical<'_>,
    secret: &SecretKey,
    now: OffsetDateTime,
    max_skew_secs: u32,
) -> bool {
    let Some(amz_date) = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .filter(|d| d.get(..8) == Some(auth.scope_date))
    else {
        return false;
    };
    let Some(signed_at) = crate::scope::parse_amz_date(amz_date) else {
        return false;
    };
    if (now - signed_at).whole_seconds().unsigned_abs() > u64::from(max_skew_secs) {
        return false;
    }
    let payload = match headers
        .get("x-amz-content-sha256")
        .map(http::HeaderValue::as_bytes)
    {
        Some(v) if v == UNSIGNED_PAYLOAD.as_bytes() => UNSIGNED_PAYLOAD,
        Some(v) if v == EMPTY_PAYLOAD_SHA256.as_bytes() => EMPTY_PAYLOAD_SHA256,
        _ => return false,
    };

    let Some(digest) = CANONICAL.with(|cell| {
        let mut buf = cell.borrow_mut();
        buf.clear();
        for piece in [
            canonical.method,
            "\n",
            canonical.uri,
            "\n",
            canonical.query,
            "\n",
        ] {
            buf.extend_from_slice(piece.as_bytes());
        }
        for name in auth.signed_headers.split(';') {
            // The session token's name parsed once: looking a header up by `&str` parses the
            // name on every call, and this one is long.
            let mut values = if name == SECURITY_TOKEN_HEADER {
                headers.get_all(SECURITY_TOKEN)
            } else {
                headers.get_all(name)
            }
            .iter();
            let (Some(value), None) = (values.next(), values.next()) else {
                return None;
            };
            buf.extend_from_slice(name.as_bytes());
            buf.push(b':');
            if !push_normalized(&mut buf, value.as_bytes()) {
                return None;
            }
            buf.push(b'\n');
        }
        buf.push(b'\n');
        buf.extend_from_slice(auth.signed_headers.as_bytes());
        buf.push(b'\n');
        buf.extend_from_slice(payload.as_bytes());
        let digest: [u8; 32] = Sha256::digest(&*buf).into();
        if buf.capacity() > MAX_KEPT_BUFFER {
            *buf = Vec::new();
        }
        Some(digest)
    }) else {
        return false;
    };
    // Hex on the stack (hex::encode would allocate a String on every request).
    let mut canonical_hash = [0u8; 64];
    if hex::encode_to_slice(digest, &mut canonical_hash).is_err() {
        return false;
    }
    let canonical_hash = std::str::from_utf8(&canonical_hash).unwrap_or_default();

    with_signing_key(secret, auth.scope_date, auth.region, |mut mac| {
        for piece in [
            ALGORITHM,
            "\n",
            amz_date,
            "\n",
            auth.scope_date,
            "/",
            auth.region,
            "/s3/aws4_request\n",
            canonical_hash,
        ] {
            mac.update(piece.as_bytes());
        }
        let ours = mac.finalize().into_bytes();
        bool::from(ours.as_slice().ct_eq(&auth.signature))
    })
}

/// Appends a header value as SigV4 canonicalises it: trimmed, inner runs of spaces and tabs
/// collapsed to one space. `false` for a value that is not visible ASCII, spaces and tabs
/// (s3s reads header values as `str`).
fn push_normalized(buf: &mut Vec<u8>, value: &[u8]) -> bool {
    // Most values (dates, hashes, session tokens, host) are visible ASCII without a blank:
    // checked eight bytes at a time and copied as they are.
    if all_visible_ascii(value) {
        buf.extend_from_slice(value);
        return true;
    }
    if !value
        .iter()
        .all(|&b| b == b' ' || b == b'\t' || (0x21..0x7f).contains(&b))
    {
        return false;
    }
    let mut first = true;
    for word in value
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|w| !w.is_empty())
    {
        if !first {
            buf.push(b' ');
        }
        first = false;
        buf.extend_from_slice(word);
    }
    true
}

/// Whether every byte is in `0x21..=0x7e` (visible ASCII, no blank).
fn all_visible_ascii(value: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut words = value.chunks_exact(8);
    let mut flags = 0u64;
    for w in &mut words {
        let x = u64::from_ne_bytes(w.try_into().unwrap_or([0; 8]));
        // A byte below 0x21 (its high bit clears on subtracting 0x21), or above 0x7e (its
        // high bit is set, or becomes set on adding 1).
        flags |= (x.wrapping_sub(0x21 * ONES) & !x) | x | x.wrapping_add(ONES);
    }
    (flags & HIGHS) == 0 && words.remainder().iter().all(|b| (0x21..0x7f).contains(b))
}

/// A derived signing key, as an HMAC already keyed with it (its inner and outer pads hashed),
/// and what it was derived from.
struct DerivedKey {
    secret: Zeroizing<String>,
    date: [u8; 8],
    region: String,
    mac: HmacSha256,
}

thread_local! {
    /// The canonical request, built in a buffer each thread reuses.
    static CANONICAL: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}
/// A canonical request buffer that grew past this is not kept for the next request.
const MAX_KEPT_BUFFER: usize = 16 << 10;

/// Signing keys kept per thread (a handful of credentials are hot at a time).
const KEYS_PER_THREAD: usize = 4;

thread_local! {
    static KEYS: RefCell<(usize, Vec<DerivedKey>)> = const { RefCell::new((0, Vec::new())) };
}

/// Runs `f` with an HMAC keyed with the SigV4 signing key of `secret` for `date`, `region` and
/// service `s3`.
fn with_signing_key<R>(
    secret: &SecretKey,
    date: &str,
    region: &str,
    f: impl FnOnce(HmacSha256) -> R,
) -> R {
    let date_bytes: [u8; 8] = date.as_bytes().try_into().unwrap_or([0; 8]);
    KEYS.with(|cell| {
        let mut keys = cell.borrow_mut();
        let found = keys.1.iter().position(|k| {
            k.date == date_bytes
                && k.region == region
                && strongbox_sts::ct::bytes_eq(k.secret.as_bytes(), secret.expose().as_bytes())
        });
        let i = match found {
            Some(i) => i,
            None => {
                let key = derive(secret.expose(), date, region);
                let Ok(mac) = HmacSha256::new_from_slice(&*key) else {
                    unreachable!("HMAC takes keys of any length")
                };
                let derived = DerivedKey {
                    secret: Zeroizing::new(secret.expose().to_owned()),
                    date: date_bytes,
                    region: region.to_owned(),
                    mac,
                };
                let (next, list) = &mut *keys;
                if list.len() < KEYS_PER_THREAD {
                    list.push(derived);
                    list.len() - 1
                } else {
                    let i = *next % KEYS_PER_THREAD;
                    *next = next.wrapping_add(1);
                    list[i] = derived;
                    i
                }
            }
        };
        f(keys.1[i].mac.clone())
    })
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn derive(secret: &str, date: &str, region: &str) -> Zeroizing<[u8; 32]> {
    let mut k = Zeroizing::new(Vec::with_capacity(4 + secret.len()));
    k.extend_from_slice(b"AWS4");
    k.extend_from_slice(secret.as_bytes());
    let k_date = Zeroizing::new(hmac(&k, date.as_bytes()));
    let k_region = Zeroizing::new(hmac(&*k_date, region.as_bytes()));
    let k_service = Zeroizing::new(hmac(&*k_region, b"s3"));
    Zeroizing::new(hmac(&*k_service, b"aws4_request"))
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
