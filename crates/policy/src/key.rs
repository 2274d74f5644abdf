//! Condition keys the engine knows by name (spec §12.3): looked up once, when a policy is compiled
//! or a value inserted, and from then on a small number, so that building a request's values and
//! finding them again costs no string comparison and no allocation.
//!
//! Any other key (`jwt:` claims, object tags) is kept by its normalised name
//! ([`crate::values::normalize_key`]).

use crate::values::normalize_key;

macro_rules! keys {
    ($($variant:ident => $name:literal,)*) => {
        /// A known condition key. [`Key::name`] is its normalised (lower-case) name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Key { $($variant,)* }

        impl Key {
            /// All known keys (`ALL[k as usize] == k`).
            pub const ALL: &'static [Key] = &[$(Key::$variant,)*];

            /// The normalised name, e.g. `aws:sourceip`.
            pub const fn name(self) -> &'static str {
                match self { $(Key::$variant => $name,)* }
            }
        }
    };
}

keys! {
    AwsReferer => "aws:referer",
    AwsSourceIp => "aws:sourceip",
    AwsUserAgent => "aws:useragent",
    AwsSecureTransport => "aws:securetransport",
    AwsCurrentTime => "aws:currenttime",
    AwsEpochTime => "aws:epochtime",
    AwsPrincipalType => "aws:principaltype",
    AwsUserId => "aws:userid",
    AwsUsername => "aws:username",
    AwsGroups => "aws:groups",
    S3CopySource => "s3:x-amz-copy-source",
    S3ServerSideEncryption => "s3:x-amz-server-side-encryption",
    S3SseCustomerAlgorithm => "s3:x-amz-server-side-encryption-customer-algorithm",
    S3MetadataDirective => "s3:x-amz-metadata-directive",
    S3ContentSha256 => "s3:x-amz-content-sha256",
    S3StorageClass => "s3:x-amz-storage-class",
    S3SseKmsKeyId => "s3:x-amz-server-side-encryption-aws-kms-key-id",
    S3LocationConstraint => "s3:locationconstraint",
    S3Prefix => "s3:prefix",
    S3Delimiter => "s3:delimiter",
    S3VersionId => "s3:versionid",
    S3MaxKeys => "s3:max-keys",
    S3ObjectLockRemainingRetentionDays => "s3:object-lock-remaining-retention-days",
    S3ObjectLockMode => "s3:object-lock-mode",
    S3ObjectLockRetainUntilDate => "s3:object-lock-retain-until-date",
    S3ObjectLockLegalHold => "s3:object-lock-legal-hold",
    S3SignatureVersion => "s3:signatureversion",
    S3SignatureAge => "s3:signatureage",
    S3AuthType => "s3:authtype",
    S3RequestObjectTagKeys => "s3:requestobjecttagkeys",
    LdapUser => "ldap:user",
    LdapUsername => "ldap:username",
    LdapGroups => "ldap:groups",
    StsDurationSeconds => "sts:durationseconds",
    SvcDurationSeconds => "svc:durationseconds",
}

// A `KeySet` keeps the known keys it reads as bits of one u64.
const _: () = assert!(Key::ALL.len() <= 64);

impl Key {
    /// The known key named `key` (any ASCII case), if any.
    pub fn lookup(key: &str) -> Option<Key> {
        Key::ALL
            .iter()
            .copied()
            .find(|k| k.name().eq_ignore_ascii_case(key))
    }

    /// This key's bit in [`crate::KeySet::known_bits`].
    pub const fn bit(self) -> u64 {
        1 << (self as u8)
    }
}

/// A condition key as compiled: known, or by its normalised name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum KeyId {
    Known(Key),
    Named(Box<str>),
}

impl KeyId {
    pub(crate) fn of(key: &str) -> KeyId {
        match Key::lookup(key) {
            Some(k) => KeyId::Known(k),
            None => KeyId::Named(normalize_key(key).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_are_normalised_and_distinct() {
        for (i, k) in Key::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
            assert_eq!(normalize_key(k.name()), k.name());
            assert_eq!(Key::lookup(k.name()), Some(*k));
            assert_eq!(Key::lookup(&k.name().to_ascii_uppercase()), Some(*k));
        }
        assert_eq!(Key::lookup("aws:SourceIp"), Some(Key::AwsSourceIp));
        assert_eq!(Key::lookup("aws:sourceip2"), None);
        assert_eq!(KeyId::of("JWT:Sub"), KeyId::Named("jwt:sub".into()));
        assert_eq!(
            KeyId::of("s3:ExistingObjectTag/Team"),
            KeyId::Named("s3:existingobjecttag/Team".into())
        );
    }

    /// Every key the validator accepts by name (not `jwt:` claims or tags) is known.
    #[test]
    fn every_fixed_key_the_validator_accepts_is_known() {
        let all = crate::action::ActionSet::all();
        let s3 = crate::action::compile_pattern("s3:*").unwrap();
        let sts = crate::action::compile_pattern("sts:*").unwrap();
        let admin = crate::action::compile_pattern("admin:*").unwrap();
        for k in Key::ALL {
            let ok = [all, s3, sts, admin]
                .iter()
                .any(|a| crate::condition::validate_key(k.name(), a).is_ok());
            assert!(ok, "{} is not a valid condition key", k.name());
        }
    }
}
