//! A bounded JSON reader that keeps object keys in order and keeps duplicates, so the policy parser can
//! refuse ambiguous documents (`{"Effect":"Allow","Effect":"Deny"}`) instead of silently taking one.
//!
//! Bounds, checked before serde_json sees the bytes: total size and nesting depth. The depth scan is a
//! linear byte walk, so 10,000 `[` cost microseconds and never touch the stack.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

use crate::error::PolicyError;

/// The deepest nesting a valid policy needs is 5 (document, Statement array, statement, Condition,
/// operator, key -> value array = 6 containers); leave a little room for clear error messages.
pub const MAX_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// Parses `bytes` as JSON after checking size and depth.
pub(crate) fn parse(bytes: &[u8], max_bytes: usize) -> Result<Json, PolicyError> {
    if bytes.len() > max_bytes {
        return Err(PolicyError::TooLarge {
            size: bytes.len(),
            limit: max_bytes,
        });
    }
    check_depth(bytes)?;
    serde_json::from_slice::<Json>(bytes).map_err(|e| PolicyError::Syntax(e.to_string()))
}

fn check_depth(bytes: &[u8]) -> Result<(), PolicyError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(PolicyError::TooDeep { limit: MAX_DEPTH });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Json::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            out.push((k, v));
        }
        Ok(Json::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_duplicate_keys_in_order() {
        let j = parse(br#"{"a":1,"a":2}"#, 100).unwrap();
        let Json::Object(entries) = j else { panic!() };
        assert_eq!(entries.len(), 2);
    }

    #[test]
    fn depth_scan_ignores_brackets_in_strings() {
        let s = format!(r#"{{"a":"{}"}}"#, "[".repeat(1000));
        assert!(parse(s.as_bytes(), 1 << 20).is_ok());
        let deep = "[".repeat(10_000);
        assert_eq!(
            parse(deep.as_bytes(), 1 << 20),
            Err(PolicyError::TooDeep { limit: MAX_DEPTH })
        );
    }

    #[test]
    fn escaped_quote_does_not_end_string() {
        let s = r#"{"a":"\"[[[[[[[[[[[[[[[[[["}"#;
        assert!(parse(s.as_bytes(), 1000).is_ok());
    }
}
