//! Root credentials: their rules, their generation, and where generated ones are kept.

mod store;

pub use self::store::{CREDENTIALS_FILE, Origin, credentials_path, resolve};

use rand::Rng;
use rand::rngs::OsRng;
use s3s::auth::SecretKey;

/// Shortest root user (MinIO's rule).
pub const ACCESS_KEY_MIN_LEN: usize = 3;
/// Longest root user we accept (bounds every parser that sees it).
pub const ACCESS_KEY_MAX_LEN: usize = 128;
/// Shortest root password (MinIO's rule).
pub const SECRET_KEY_MIN_LEN: usize = 8;
/// Longest root password we accept.
pub const SECRET_KEY_MAX_LEN: usize = 1024;

const GENERATED_ACCESS_KEY_LEN: usize = 20;
const GENERATED_SECRET_KEY_LEN: usize = 40;
const ACCESS_KEY_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const SECRET_KEY_ALPHABET: &[u8] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The root user's access key and secret. Debug never shows the secret ([`SecretKey`] redacts
/// itself, zeroizes on drop and compares in constant time).
#[derive(Clone, Debug)]
pub struct RootCredentials {
    access_key: String,
    secret_key: SecretKey,
}

impl RootCredentials {
    /// Checks both halves and reports every problem, each without the secret's value.
    pub fn new(access_key: String, secret_key: SecretKey) -> Result<Self, Vec<CredentialProblem>> {
        let mut problems = Vec::new();
        if let Err(p) = check_access_key(&access_key) {
            problems.push(p);
        }
        if let Err(p) = check_secret_key(secret_key.expose()) {
            problems.push(p);
        }
        if problems.is_empty() {
            Ok(Self {
                access_key,
                secret_key,
            })
        } else {
            Err(problems)
        }
    }

    /// Fresh random credentials from the operating system's generator: an access key of 20
    /// characters `0-9A-Z` and a secret of 40 alphanumeric characters (about 238 bits).
    #[must_use]
    pub fn generate() -> Self {
        Self {
            access_key: random_string(ACCESS_KEY_ALPHABET, GENERATED_ACCESS_KEY_LEN),
            secret_key: SecretKey::from(random_string(
                SECRET_KEY_ALPHABET,
                GENERATED_SECRET_KEY_LEN,
            )),
        }
    }

    #[must_use]
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    #[must_use]
    pub fn secret_key(&self) -> &SecretKey {
        &self.secret_key
    }
}

/// Which half of a credential pair is wrong, and why (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialProblem {
    AccessKey(String),
    SecretKey(String),
}

fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut rng = OsRng;
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

fn check_access_key(key: &str) -> Result<(), CredentialProblem> {
    let problem = |m: String| Err(CredentialProblem::AccessKey(m));
    let len = key.chars().count();
    if len < ACCESS_KEY_MIN_LEN {
        return problem(format!(
            "must be at least {ACCESS_KEY_MIN_LEN} characters long (got {len})"
        ));
    }
    if len > ACCESS_KEY_MAX_LEN {
        return problem(format!(
            "must be at most {ACCESS_KEY_MAX_LEN} characters long (got {len})"
        ));
    }
    // `/` separates the SigV4 credential scope; `,` and `=` separate the Authorization header.
    if key
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | ',' | '='))
    {
        return problem(
            "must not contain whitespace, control characters, '/', ',' or '='".to_owned(),
        );
    }
    Ok(())
}

fn check_secret_key(secret: &str) -> Result<(), CredentialProblem> {
    let problem = |m: String| Err(CredentialProblem::SecretKey(m));
    let len = secret.chars().count();
    if len < SECRET_KEY_MIN_LEN {
        return problem(format!(
            "must be at least {SECRET_KEY_MIN_LEN} characters long (got {len})"
        ));
    }
    if len > SECRET_KEY_MAX_LEN {
        return problem(format!(
            "must be at most {SECRET_KEY_MAX_LEN} characters long (got {len})"
        ));
    }
    if secret.chars().any(char::is_control) {
        return problem("must not contain control characters".to_owned());
    }
    Ok(())
}

/// What the operator sees once, on stdout, when credentials were just generated.
#[must_use]
pub fn first_start_notice(
    creds: &RootCredentials,
    path: &std::path::Path,
) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(format!(
        "\nStrongbox generated root credentials for this data directory.\n\
         They are shown only this once and kept in {} (mode 0600):\n\n\
         \x20  RootUser: {}\n\
         \x20  RootPass: {}\n\n\
         Set MINIO_ROOT_USER and MINIO_ROOT_PASSWORD to choose your own.\n",
        path.display(),
        creds.access_key(),
        creds.secret_key().expose()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_follow_the_documented_shape() {
        let a = RootCredentials::generate();
        let b = RootCredentials::generate();
        assert_eq!(a.access_key().len(), 20);
        assert!(
            a.access_key()
                .bytes()
                .all(|c| ACCESS_KEY_ALPHABET.contains(&c))
        );
        assert_eq!(a.secret_key().expose().len(), 40);
        assert!(
            a.secret_key()
                .expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric())
        );
        assert_ne!(a.access_key(), b.access_key());
        assert_ne!(a.secret_key().expose(), b.secret_key().expose());
        assert!(RootCredentials::new(a.access_key().to_owned(), a.secret_key().clone()).is_ok());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = RootCredentials::new("admin".into(), SecretKey::from("correct horse")).unwrap();
        let shown = format!("{c:?}");
        assert!(shown.contains("admin"));
        assert!(!shown.contains("correct horse"));
    }

    #[test]
    fn short_password_and_short_user_both_reported() {
        let problems = RootCredentials::new("ab".into(), SecretKey::from("1234567")).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(
            matches!(&problems[0], CredentialProblem::AccessKey(m) if m.contains("at least 3"))
        );
        assert!(
            matches!(&problems[1], CredentialProblem::SecretKey(m) if m.contains("at least 8"))
        );
        // The message never carries the value.
        assert!(!format!("{problems:?}").contains("1234567"));
    }

    #[test]
    fn reserved_characters_in_access_key_refused() {
        for bad in ["ad/min", "ad,min", "ad=min", "ad min"] {
            assert!(
                RootCredentials::new(bad.into(), SecretKey::from("password1")).is_err(),
                "{bad}"
            );
        }
        assert!(RootCredentials::new("minioadmin".into(), SecretKey::from("password")).is_ok());
    }
}
