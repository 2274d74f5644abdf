//! Input rules for identities and names (spec §15, §16; madmin's name/description rules).

use crate::error::IamError;

/// Access keys (users and service accounts): 3..=20 characters.
pub const ACCESS_KEY_MIN: usize = 3;
pub const ACCESS_KEY_MAX: usize = 20;
/// Secret keys: 8..=40 characters.
pub const SECRET_KEY_MIN: usize = 8;
pub const SECRET_KEY_MAX: usize = 40;
/// Embedded service-account policy: at most 4096 bytes as measured by
/// [`crate::PolicyValidator::embedded_size`] (spec §16) ...
pub const SERVICE_ACCOUNT_POLICY_MAX: usize = 4096;
/// ... and at most 16 KiB as sent (bounds the parser's input).
pub const SERVICE_ACCOUNT_POLICY_RAW_MAX: usize = 16 * 1024;
/// A named policy document: at most 1 MiB (the policy crate's parser bound; fits one etcd value).
pub const POLICY_DOCUMENT_MAX: usize = 1024 * 1024;
/// Service-account display name and description (madmin `validateSAName`/`validateSADescription`).
pub const SA_NAME_MAX: usize = 32;
pub const SA_DESCRIPTION_MAX: usize = 256;
/// Group and policy names.
pub const GROUP_NAME_MAX: usize = 256;
pub const POLICY_NAME_MAX: usize = 128;
/// An STS parent identity (LDAP DN, derived OIDC id, `tls:CN`).
pub const STS_PARENT_MAX: usize = 1024;
/// Opaque blobs (STS key ring, revocation list): etcd's default request limit is 1.5 MiB.
pub const BLOB_MAX: usize = 1024 * 1024;

fn invalid(what: &'static str, reason: &'static str) -> IamError {
    IamError::InvalidArgument { what, reason }
}

/// An access key: 3..=20 characters, no `=` or `,` (they break the SigV4 `Credential=` field and
/// MinIO's comma-joined lists), no whitespace or control characters.
pub fn access_key(ak: &str) -> Result<(), IamError> {
    let n = ak.chars().count();
    if !(ACCESS_KEY_MIN..=ACCESS_KEY_MAX).contains(&n) {
        return Err(invalid("access key", "must be 3 to 20 characters long"));
    }
    if ak.contains(['=', ',']) {
        return Err(invalid("access key", "must not contain '=' or ','"));
    }
    if ak.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "access key",
            "must not contain whitespace or control characters",
        ));
    }
    if RESERVED_PARENT_PREFIXES.iter().any(|p| {
        ak.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    }) {
        return Err(invalid(
            "access key",
            "must not start with 'tls:' or 'custom:' (reserved for certificate and identity-plugin sessions)",
        ));
    }
    Ok(())
}

/// Parents of temporary credentials that could otherwise be an access key: `tls:<CN>`
/// (AssumeRoleWithCertificate) and `custom:<user>` (the identity plugin). A user of such a name
/// would lend its policies to those sessions, whose policies are resolved by parent name. (LDAP
/// parents are DNs, which contain `=`; OpenID parents are 43-character digests.)
const RESERVED_PARENT_PREFIXES: [&str; 2] = ["tls:", "custom:"];

/// A secret key: 8..=40 characters, no control characters.
pub fn secret_key(sk: &str) -> Result<(), IamError> {
    let n = sk.chars().count();
    if !(SECRET_KEY_MIN..=SECRET_KEY_MAX).contains(&n) {
        return Err(invalid("secret key", "must be 8 to 40 characters long"));
    }
    if sk.chars().any(char::is_control) {
        return Err(invalid("secret key", "must not contain control characters"));
    }
    Ok(())
}

fn plain_name(
    what: &'static str,
    name: &str,
    max: usize,
    reason_len: &'static str,
) -> Result<(), IamError> {
    if name.is_empty() || name.len() > max {
        return Err(invalid(what, reason_len));
    }
    if name.contains(',') {
        return Err(invalid(what, "must not contain ','"));
    }
    if name.chars().any(char::is_control) || name.trim() != name {
        return Err(invalid(
            what,
            "must not contain control characters or surrounding spaces",
        ));
    }
    Ok(())
}

/// A group name: 1..=256 bytes, no `,`, no control characters or surrounding spaces.
pub fn group_name(name: &str) -> Result<(), IamError> {
    plain_name(
        "group name",
        name,
        GROUP_NAME_MAX,
        "must be 1 to 256 bytes long",
    )
}

/// A policy name: 1..=128 bytes, no `,` or whitespace, no control characters.
pub fn policy_name(name: &str) -> Result<(), IamError> {
    plain_name(
        "policy name",
        name,
        POLICY_NAME_MAX,
        "must be 1 to 128 bytes long",
    )?;
    if name.chars().any(char::is_whitespace) {
        return Err(invalid("policy name", "must not contain whitespace"));
    }
    Ok(())
}

/// An STS parent identity (mapping key in `policydb/sts-users`).
pub fn sts_parent(name: &str) -> Result<(), IamError> {
    if name.is_empty() || name.len() > STS_PARENT_MAX {
        return Err(invalid("STS parent", "must be 1 to 1024 bytes long"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("STS parent", "must not contain control characters"));
    }
    Ok(())
}

/// A service account's display name: empty, or ≤ 32 ASCII letters, digits, `_`, `-`, starting
/// with a letter.
pub fn service_account_name(name: &str) -> Result<(), IamError> {
    if name.is_empty() {
        return Ok(());
    }
    if name.len() > SA_NAME_MAX {
        return Err(invalid("name", "must not be longer than 32 characters"));
    }
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(invalid(
            "name",
            "must contain only ASCII letters, digits, '_' and '-' and start with a letter",
        ));
    }
    Ok(())
}

/// A service account's description: ≤ 256 bytes, no control characters.
pub fn service_account_description(desc: &str) -> Result<(), IamError> {
    if desc.len() > SA_DESCRIPTION_MAX {
        return Err(invalid("description", "must be at most 256 bytes long"));
    }
    if desc.chars().any(char::is_control) {
        return Err(invalid(
            "description",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Longest blob name: room for a prefix plus a 63-character bucket name (`bucket-policy.<bucket>`).
pub const BLOB_NAME_MAX: usize = 128;

/// A blob name: 1..=128 ASCII letters, digits, `-`, `_`, `.`.
pub fn blob_name(name: &str) -> Result<(), IamError> {
    if name.is_empty()
        || name.len() > BLOB_NAME_MAX
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(invalid(
            "blob name",
            "must be 1 to 128 ASCII letters, digits, '-', '_' or '.'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_keys_cannot_take_a_session_parent_name() {
        assert!(access_key("tls:photos").is_err());
        assert!(access_key("TLS:photos").is_err());
        assert!(access_key("custom:alice").is_err());
        assert!(access_key("tls-photos").is_ok());
        assert!(access_key("my-tls:x").is_ok());
    }

    #[test]
    fn access_key_lengths_and_forbidden_characters() {
        assert!(access_key("ab").is_err());
        assert!(access_key("abc").is_ok());
        assert!(access_key(&"a".repeat(20)).is_ok());
        assert!(access_key(&"a".repeat(21)).is_err());
        assert!(access_key("ab=cd").is_err());
        assert!(access_key("ab,cd").is_err());
        assert!(access_key("ab cd").is_err());
        assert!(access_key("ab\ncd").is_err());
        assert!(access_key("AKIAIOSFODNN7EXAMPLE").is_ok());
    }

    #[test]
    fn secret_key_lengths() {
        assert!(secret_key("1234567").is_err());
        assert!(secret_key("12345678").is_ok());
        assert!(secret_key(&"s".repeat(40)).is_ok());
        assert!(secret_key(&"s".repeat(41)).is_err());
        assert!(secret_key("1234\u{0}5678").is_err());
    }

    #[test]
    fn names() {
        assert!(group_name("devs").is_ok());
        assert!(group_name("").is_err());
        assert!(group_name("a,b").is_err());
        assert!(group_name(" a").is_err());
        assert!(group_name(&"g".repeat(257)).is_err());
        assert!(policy_name("readwrite").is_ok());
        assert!(policy_name("read write").is_err());
        assert!(policy_name("a,b").is_err());
        assert!(service_account_name("").is_ok());
        assert!(service_account_name("ci-bot_1").is_ok());
        assert!(service_account_name("1bot").is_err());
        assert!(service_account_name("bot!").is_err());
        assert!(service_account_name(&"b".repeat(33)).is_err());
        assert!(service_account_description(&"d".repeat(256)).is_ok());
        assert!(service_account_description(&"d".repeat(257)).is_err());
        assert!(blob_name("sts-key-ring").is_ok());
        assert!(blob_name("a/b").is_err());
        assert!(blob_name(&format!("bucket-policy.{}", "b".repeat(63))).is_ok());
        assert!(blob_name(&"b".repeat(129)).is_err());
    }
}
