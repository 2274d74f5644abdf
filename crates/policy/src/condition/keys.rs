//! Which condition keys a statement may use (spec §12.3).
//!
//! - `aws:` global keys, `ldap:user|username|groups`, and `jwt:` claims are allowed in every statement.
//!   `jwt:` accepts any claim name (IdPs carry custom claims; the spec's list is what MinIO fills by
//!   default), restricted to a conservative character set.
//! - `s3:` keys only in statements whose actions are all S3 actions. In general a key is allowed when
//!   it is allowed for **every** service the statement's actions touch, so a condition never silently
//!   refers to a key that some of its actions never carry.
//! - `sts:DurationSeconds` for `sts:` actions, `svc:DurationSeconds` for admin actions.

use crate::action::{ActionSet, Service};

const AWS_KEYS: &[&str] = &[
    "referer",
    "sourceip",
    "useragent",
    "securetransport",
    "currenttime",
    "epochtime",
    "principaltype",
    "userid",
    "username",
    "groups",
];

const S3_KEYS: &[&str] = &[
    "x-amz-copy-source",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-metadata-directive",
    "x-amz-content-sha256",
    "x-amz-storage-class",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "locationconstraint",
    "prefix",
    "delimiter",
    "versionid",
    "max-keys",
    "object-lock-remaining-retention-days",
    "object-lock-mode",
    "object-lock-retain-until-date",
    "object-lock-legal-hold",
    "signatureversion",
    "signatureage",
    "authtype",
    "requestobjecttagkeys",
];

const S3_TAG_KEYS: &[&str] = &["existingobjecttag/", "requestobjecttag/"];

const LDAP_KEYS: &[&str] = &["user", "username", "groups"];

fn claim_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'/'))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Global,
    S3,
    Sts,
    Svc,
}

fn family(key: &str) -> Result<Family, String> {
    let lower = key.to_ascii_lowercase();
    let Some((prefix, name)) = lower.split_once(':') else {
        return Err(format!(
            "condition key {key:?} has no prefix (aws:, s3:, jwt:, ldap:, sts:, svc:)"
        ));
    };
    let known = match prefix {
        "aws" => AWS_KEYS.contains(&name).then_some(Family::Global),
        "ldap" => LDAP_KEYS.contains(&name).then_some(Family::Global),
        "jwt" => claim_name_ok(name).then_some(Family::Global),
        "s3" => {
            let tagged = S3_TAG_KEYS.iter().any(|t| {
                name.starts_with(t) && {
                    let tag = &key[3 + t.len()..];
                    !tag.is_empty() && tag.len() <= 128 && !tag.chars().any(char::is_control)
                }
            });
            (S3_KEYS.contains(&name) || tagged).then_some(Family::S3)
        }
        "sts" => (name == "durationseconds").then_some(Family::Sts),
        "svc" => (name == "durationseconds").then_some(Family::Svc),
        _ => None,
    };
    known.ok_or_else(|| format!("condition key {key:?} is not supported"))
}

/// Checks `key` against the services the statement's actions cover.
pub(crate) fn validate_key(key: &str, actions: &ActionSet) -> Result<(), String> {
    let fam = family(key)?;
    let allowed_for = |s: Service| {
        matches!(
            (fam, s),
            (Family::Global, _)
                | (Family::S3, Service::S3)
                | (Family::Sts, Service::Sts)
                | (Family::Svc, Service::Admin)
        )
    };
    for service in [Service::S3, Service::Admin, Service::Kms, Service::Sts] {
        if actions.touches(service) && !allowed_for(service) {
            return Err(format!(
                "condition key {key:?} cannot be used with {service:?} actions in the same statement"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::compile_pattern;

    #[test]
    fn keys_per_service() {
        let s3 = compile_pattern("s3:*").unwrap();
        let admin = compile_pattern("admin:*").unwrap();
        let sts = compile_pattern("sts:*").unwrap();
        assert!(validate_key("s3:prefix", &s3).is_ok());
        assert!(validate_key("S3:Prefix", &s3).is_ok());
        assert!(validate_key("aws:SourceIp", &admin).is_ok());
        assert!(validate_key("s3:prefix", &admin).is_err());
        assert!(validate_key("sts:DurationSeconds", &sts).is_ok());
        assert!(validate_key("sts:DurationSeconds", &s3).is_err());
        assert!(validate_key("svc:DurationSeconds", &admin).is_ok());
        assert!(validate_key("jwt:custom_claim", &s3).is_ok());
        assert!(validate_key("s3:ExistingObjectTag/Security", &s3).is_ok());
        assert!(validate_key("s3:ExistingObjectTag/", &s3).is_err());
        assert!(validate_key("aws:nonsense", &s3).is_err());
        assert!(validate_key("sourceip", &s3).is_err());
        assert!(validate_key("s3:prefix", &compile_pattern("*").unwrap()).is_err());
    }
}
