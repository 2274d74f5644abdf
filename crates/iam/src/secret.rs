//! A secret key that cannot leak by accident: redacted in `Debug`, zeroized on drop, compared in
//! constant time, and read only through [`SecretKey::expose`].

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A secret access key (or any other credential secret).
///
/// It implements neither `Display` nor `Serialize`; the store codec reads it with
/// [`SecretKey::expose`] on purpose.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<String>);

impl SecretKey {
    /// Wraps a secret. Validation (length, characters) is the caller's job; see
    /// [`crate::validate::secret_key`].
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret.into()))
    }

    /// The secret itself. Every call site is a place where the secret leaves this type.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with a presented secret.
    pub fn ct_eq_str(&self, other: &str) -> bool {
        self.0.as_bytes().ct_eq(other.as_bytes()).into()
    }

    /// Length in bytes (not secret: it is bounded by validation anyway).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let shown = format!("{s:?} {:?}", Some(&s));
        assert!(!shown.contains("wJalr"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn equality_and_expose() {
        let a = SecretKey::new("secret123");
        assert_eq!(a, SecretKey::new("secret123"));
        assert_ne!(a, SecretKey::new("secret124"));
        assert_ne!(a, SecretKey::new("secret1234"));
        assert!(a.ct_eq_str("secret123"));
        assert!(!a.ct_eq_str("secret12"));
        assert_eq!(a.expose(), "secret123");
        assert_eq!(a.len(), 9);
    }
}
