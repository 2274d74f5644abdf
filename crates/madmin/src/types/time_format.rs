//! Timestamps as Go's `encoding/json` writes `time.Time`: RFC 3339 strings.

use serde::{Deserialize, Deserializer, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses an optional RFC 3339 timestamp. madmin's "no expiration" values — Go's zero time
/// (`0001-01-01T00:00:00Z`) and the Unix epoch (`timeSentinel`) — become `None`.
pub fn deserialize_expiration<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<OffsetDateTime>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let t = OffsetDateTime::parse(&text, &Rfc3339)
        .map_err(|_| serde::de::Error::custom("expiration is not an RFC 3339 timestamp"))?;
    Ok(if t.year() == 1 || t.unix_timestamp() == 0 {
        None
    } else {
        Some(t)
    })
}

/// Writes an optional timestamp as RFC 3339 (callers skip `None`).
pub fn serialize_opt<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(
            &t.format(&Rfc3339)
                .map_err(|_| serde::ser::Error::custom("timestamp out of RFC 3339 range"))?,
        ),
        None => s.serialize_none(),
    }
}

/// Writes a timestamp as RFC 3339.
pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    serialize_opt(&Some(*t), s)
}
