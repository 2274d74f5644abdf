//! A secret string as it travels in an admin body (a user's or service account's secret key).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A secret key inside an admin JSON body: redacted in `Debug`, zeroized on drop, compared in
/// constant time, read through [`WireSecret::expose`].
///
/// Unlike a stored secret it does implement `Serialize`, because some responses carry one (the
/// new credentials of add-service-account); those responses are always encrypted (ENDPOINTS.md).
#[derive(Clone, Default)]
pub struct WireSecret(Zeroizing<String>);

impl WireSecret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret.into()))
    }

    /// The secret itself; every call site is a place where it leaves this type.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for WireSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WireSecret(<redacted>)")
    }
}

impl PartialEq for WireSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for WireSecret {}

impl Serialize for WireSecret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for WireSecret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}
