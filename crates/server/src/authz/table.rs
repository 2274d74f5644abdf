//! THE table: every S3 operation Strongbox serves → its IAM action(s), resource and the condition
//! keys the operation adds. An operation that is not in the table is denied (fail closed).
//!
//! Names are s3s operation names (`S3Operation::name()`). Resources are written as policies name
//! them: `arn:aws:s3:::B` for bucket-level actions, `arn:aws:s3:::B/K` for object-level ones; the
//! one service-level action (`s3:ListAllMyBuckets`) carries no bucket.

use strongbox_policy::{Action, Key};

/// What a permission is checked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// No bucket (`ListBuckets`).
    Service,
    /// The bucket of the request path: `arn:aws:s3:::B`.
    Bucket,
    /// The object of the request path: `arn:aws:s3:::B/K`.
    Object,
    /// Every object named in the request body, each its own decision (`DeleteObjects`).
    EachListedObject,
    /// The copy source `x-amz-copy-source`: `arn:aws:s3:::SRC_B/SRC_K`.
    CopySource,
}

/// A condition key an operation sets from its request (beyond the keys every request carries,
/// see [`super::context`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKey {
    /// `s3:prefix` ← query `prefix`.
    Prefix,
    /// `s3:delimiter` ← query `delimiter`.
    Delimiter,
    /// `s3:max-keys` ← query `max-keys`.
    MaxKeys,
    /// `s3:versionid` ← query `versionId`.
    VersionId,
    /// `s3:x-amz-copy-source` ← header.
    CopySource,
    /// `s3:x-amz-metadata-directive` ← header.
    MetadataDirective,
    /// `s3:LocationConstraint` ← the request body's `LocationConstraint`.
    LocationConstraint,
}

impl OpKey {
    /// The key as policies write it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Prefix => "s3:prefix",
            Self::Delimiter => "s3:delimiter",
            Self::MaxKeys => "s3:max-keys",
            Self::VersionId => "s3:versionid",
            Self::CopySource => "s3:x-amz-copy-source",
            Self::MetadataDirective => "s3:x-amz-metadata-directive",
            Self::LocationConstraint => "s3:LocationConstraint",
        }
    }

    /// The key as the policy engine knows it.
    #[must_use]
    pub fn key(self) -> Key {
        match self {
            Self::Prefix => Key::S3Prefix,
            Self::Delimiter => Key::S3Delimiter,
            Self::MaxKeys => Key::S3MaxKeys,
            Self::VersionId => Key::S3VersionId,
            Self::CopySource => Key::S3CopySource,
            Self::MetadataDirective => Key::S3MetadataDirective,
            Self::LocationConstraint => Key::S3LocationConstraint,
        }
    }
}

/// One permission an operation needs: `action` on `resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub action: Action,
    pub resource: Resource,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The s3s operation name.
    pub op: &'static str,
    /// Every one must be allowed.
    pub needs: &'static [Need],
    /// Keys the operation adds to the condition values.
    pub keys: &'static [OpKey],
}

impl Rule {
    /// Whether the decision needs the typed input (copy source, listed keys, POST form key,
    /// request body) and so is made in the per-operation access hook rather than in `check`.
    #[must_use]
    pub fn needs_input(&self) -> bool {
        matches!(self.op, "PostObject" | "CreateBucket")
            || self.needs.iter().any(|n| {
                matches!(
                    n.resource,
                    Resource::EachListedObject | Resource::CopySource
                )
            })
    }
}

const fn need(action: Action, resource: Resource) -> Need {
    Need { action, resource }
}

use Action as A;
use OpKey as K;
use Resource as R;

const LIST_KEYS: &[OpKey] = &[K::Prefix, K::Delimiter, K::MaxKeys];

/// Every operation Strongbox serves (the fs backend's operations and the bucket-policy operations
/// of [`crate::s3::Strongbox`]).
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    // Decided bucket by bucket in the handler (authz::list_filter): s3:ListAllMyBuckets lists all,
    // else each bucket allowed s3:ListBucket or s3:GetBucketLocation; anonymous callers refused.
    Rule { op: "ListBuckets", needs: &[], keys: &[] },
    Rule { op: "ListObjects", needs: &[need(A::ListBucket, R::Bucket)], keys: LIST_KEYS },
    Rule { op: "ListObjectsV2", needs: &[need(A::ListBucket, R::Bucket)], keys: LIST_KEYS },
    Rule { op: "HeadBucket", needs: &[need(A::ListBucket, R::Bucket)], keys: &[] },
    Rule { op: "GetBucketLocation", needs: &[need(A::GetBucketLocation, R::Bucket)], keys: &[] },
    Rule { op: "CreateBucket", needs: &[need(A::CreateBucket, R::Bucket)], keys: &[K::LocationConstraint] },
    Rule { op: "DeleteBucket", needs: &[need(A::DeleteBucket, R::Bucket)], keys: &[] },
    Rule { op: "PutBucketPolicy", needs: &[need(A::PutBucketPolicy, R::Bucket)], keys: &[] },
    Rule { op: "GetBucketPolicy", needs: &[need(A::GetBucketPolicy, R::Bucket)], keys: &[] },
    Rule { op: "DeleteBucketPolicy", needs: &[need(A::DeleteBucketPolicy, R::Bucket)], keys: &[] },
    Rule { op: "GetObject", needs: &[need(A::GetObject, R::Object)], keys: &[K::VersionId] },
    Rule { op: "HeadObject", needs: &[need(A::GetObject, R::Object)], keys: &[K::VersionId] },
    Rule { op: "PutObject", needs: &[need(A::PutObject, R::Object)], keys: &[] },
    // POST form upload: the key is a form field, known only from the typed input.
    Rule { op: "PostObject", needs: &[need(A::PutObject, R::Object)], keys: &[] },
    Rule {
        op: "CopyObject",
        needs: &[need(A::PutObject, R::Object), need(A::GetObject, R::CopySource)],
        keys: &[K::CopySource, K::MetadataDirective],
    },
    Rule { op: "CreateMultipartUpload", needs: &[need(A::PutObject, R::Object)], keys: &[] },
    Rule { op: "UploadPart", needs: &[need(A::PutObject, R::Object)], keys: &[] },
    Rule {
        op: "UploadPartCopy",
        needs: &[need(A::PutObject, R::Object), need(A::GetObject, R::CopySource)],
        keys: &[K::CopySource],
    },
    Rule { op: "CompleteMultipartUpload", needs: &[need(A::PutObject, R::Object)], keys: &[] },
    Rule { op: "AbortMultipartUpload", needs: &[need(A::AbortMultipartUpload, R::Object)], keys: &[] },
    Rule { op: "ListParts", needs: &[need(A::ListMultipartUploadParts, R::Object)], keys: &[] },
    Rule {
        op: "ListMultipartUploads",
        needs: &[need(A::ListBucketMultipartUploads, R::Bucket)],
        keys: &[K::Prefix, K::Delimiter],
    },
    Rule { op: "DeleteObject", needs: &[need(A::DeleteObject, R::Object)], keys: &[K::VersionId] },
    Rule { op: "DeleteObjects", needs: &[need(A::DeleteObject, R::EachListedObject)], keys: &[] },
];

/// The row of `op`, or `None`: the operation is denied.
#[must_use]
pub fn rule(op: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.op == op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_keys_name_their_engine_keys() {
        for k in [
            K::Prefix,
            K::Delimiter,
            K::MaxKeys,
            K::VersionId,
            K::CopySource,
            K::MetadataDirective,
            K::LocationConstraint,
        ] {
            assert_eq!(Key::lookup(k.name()), Some(k.key()), "{k:?}");
        }
    }

    /// One row per operation, as Garage's `test_cases!`: operation, then the permissions in
    /// order, then the condition keys.
    macro_rules! test_cases {
        ($($op:literal => [$($action:ident on $res:ident),*] keys [$($key:ident),*];)*) => {
            #[test]
            fn every_row() {
                let mut seen = Vec::new();
                $(
                    let r = rule($op).unwrap_or_else(|| panic!("{} is not in the table", $op));
                    let needs: Vec<(Action, Resource)> =
                        r.needs.iter().map(|n| (n.action, n.resource)).collect();
                    let expected: Vec<(Action, Resource)> = vec![$((Action::$action, Resource::$res)),*];
                    assert_eq!(needs, expected, "{}", $op);
                    assert_eq!(r.keys, &[$(OpKey::$key),*], "{}", $op);
                    seen.push($op);
                )*
                // The table has no row this test does not pin.
                for r in RULES {
                    assert!(seen.contains(&r.op), "untested row {}", r.op);
                }
                assert_eq!(seen.len(), RULES.len(), "duplicate rows");
            }
        };
    }

    test_cases! {
        "ListBuckets" => [] keys [];
        "ListObjects" => [ListBucket on Bucket] keys [Prefix, Delimiter, MaxKeys];
        "ListObjectsV2" => [ListBucket on Bucket] keys [Prefix, Delimiter, MaxKeys];
        "HeadBucket" => [ListBucket on Bucket] keys [];
        "GetBucketLocation" => [GetBucketLocation on Bucket] keys [];
        "CreateBucket" => [CreateBucket on Bucket] keys [LocationConstraint];
        "DeleteBucket" => [DeleteBucket on Bucket] keys [];
        "PutBucketPolicy" => [PutBucketPolicy on Bucket] keys [];
        "GetBucketPolicy" => [GetBucketPolicy on Bucket] keys [];
        "DeleteBucketPolicy" => [DeleteBucketPolicy on Bucket] keys [];
        "GetObject" => [GetObject on Object] keys [VersionId];
        "HeadObject" => [GetObject on Object] keys [VersionId];
        "PutObject" => [PutObject on Object] keys [];
        "PostObject" => [PutObject on Object] keys [];
        "CopyObject" => [PutObject on Object, GetObject on CopySource] keys [CopySource, MetadataDirective];
        "CreateMultipartUpload" => [PutObject on Object] keys [];
        "UploadPart" => [PutObject on Object] keys [];
        "UploadPartCopy" => [PutObject on Object, GetObject on CopySource] keys [CopySource];
        "CompleteMultipartUpload" => [PutObject on Object] keys [];
        "AbortMultipartUpload" => [AbortMultipartUpload on Object] keys [];
        "ListParts" => [ListMultipartUploadParts on Object] keys [];
        "ListMultipartUploads" => [ListBucketMultipartUploads on Bucket] keys [Prefix, Delimiter];
        "DeleteObject" => [DeleteObject on Object] keys [VersionId];
        "DeleteObjects" => [DeleteObject on EachListedObject] keys [];
    }

    #[test]
    fn operations_not_served_are_not_in_the_table() {
        for op in [
            "PutBucketAcl",
            "GetObjectAcl",
            "PutObjectTagging",
            "SelectObjectContent",
            "ListObjectVersions",
            "",
        ] {
            assert!(rule(op).is_none(), "{op}");
        }
    }

    #[test]
    fn decisions_that_need_the_typed_input() {
        let typed: Vec<&str> = RULES
            .iter()
            .filter(|r| r.needs_input())
            .map(|r| r.op)
            .collect();
        assert_eq!(
            typed,
            [
                "CreateBucket",
                "PostObject",
                "CopyObject",
                "UploadPartCopy",
                "DeleteObjects"
            ]
        );
    }
}
