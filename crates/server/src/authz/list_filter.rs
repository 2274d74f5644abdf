//! Which buckets a caller sees (spec §18, MinIO's `ListBucketsHandler` and `AccountInfoHandler`).
//!
//! - `ListBuckets`: a caller allowed `s3:ListAllMyBuckets` sees every bucket. Otherwise each
//!   bucket is its own decision: it is listed when the caller is allowed `s3:ListBucket` or
//!   `s3:GetBucketLocation` on it (with `s3:prefix` empty and `s3:delimiter` `/`, as MinIO asks).
//!   No bucket left means `AccessDenied`, as MinIO answers. So a session policy naming only
//!   bucket A lists only A; root (the owner) sees all; anonymous callers are refused.
//! - `accountinfo`: each bucket with its access: read = `s3:ListBucket`, write = `s3:PutObject`;
//!   a bucket with neither is left out.
//!
//! Every decision goes through [`Authorizer::decide`], so an external authoriser, when
//! configured, decides these too.

use std::sync::Arc;

use futures::future::BoxFuture;
use s3s::dto::ListBucketsInput;
use s3s::{S3, S3Error, S3ErrorCode, S3Request};
use strongbox_iam::IamSnapshot;
use strongbox_policy::{Action, ConditionValues, Request};
use time::OffsetDateTime;

use super::context::{AuthStyle, RequestFacts, Who, condition_values, query_pairs};
use super::{Authorizer, Subject, table};
use crate::http::ConnectionInfo;
use crate::identity::Principal;

/// One caller's view of the buckets, decided bucket by bucket.
pub struct BucketFilter<'a> {
    authorizer: &'a Authorizer,
    snapshot: Arc<IamSnapshot>,
    subject: Subject,
    values: ConditionValues,
}

impl<'a> BucketFilter<'a> {
    /// The view of `principal`, deciding with `values` (the request's condition values).
    /// Anonymous callers have none: `AccessDenied`.
    pub fn new(
        authorizer: &'a Authorizer,
        snapshot: Arc<IamSnapshot>,
        principal: &Principal,
        mut values: ConditionValues,
    ) -> Result<Self, S3Error> {
        if matches!(principal, Principal::Anonymous) {
            return Err(access_denied());
        }
        let subject = authorizer.subject(&snapshot, principal);
        // MinIO asks as a listing of the bucket's top level would.
        values.insert("s3:prefix", "");
        values.insert("s3:delimiter", "/");
        Ok(Self {
            authorizer,
            snapshot,
            subject,
            values,
        })
    }

    /// The view of the caller of an S3 request (`ListBuckets`), with its condition values.
    pub fn for_request<T>(
        authorizer: &'a Authorizer,
        snapshot: Arc<IamSnapshot>,
        principal: &Principal,
        req: &S3Request<T>,
    ) -> Result<Self, S3Error> {
        let values = match table::rule("ListBuckets") {
            Some(rule) => {
                let query = query_pairs(&req.uri);
                let facts = RequestFacts {
                    headers: &req.headers,
                    query: &query,
                    connection: req.extensions.get::<ConnectionInfo>(),
                    auth: AuthStyle::detect(
                        req.credentials.is_some(),
                        "ListBuckets",
                        &req.headers,
                        &query,
                    ),
                    now: OffsetDateTime::now_utc(),
                };
                condition_values(&facts, rule, &Who::of(principal, &snapshot))
            }
            None => ConditionValues::new(),
        };
        Self::new(authorizer, snapshot, principal, values)
    }

    fn allowed(&self, action: Action, bucket: &str) -> bool {
        let req = Request::new(action, bucket, None, &self.values);
        self.authorizer
            .decide(&self.snapshot, &self.subject, &req)
            .is_allowed()
    }

    /// Whether the caller may list every bucket (`s3:ListAllMyBuckets`).
    #[must_use]
    pub fn lists_all(&self) -> bool {
        self.allowed(Action::ListAllMyBuckets, "")
    }

    /// Whether `bucket` appears in the caller's `ListBuckets`, short of `s3:ListAllMyBuckets`.
    #[must_use]
    pub fn sees(&self, bucket: &str) -> bool {
        self.allowed(Action::ListBucket, bucket) || self.allowed(Action::GetBucketLocation, bucket)
    }

    /// `accountinfo`'s (read, write) access to `bucket`.
    #[must_use]
    pub fn access(&self, bucket: &str) -> (bool, bool) {
        (
            self.allowed(Action::ListBucket, bucket),
            self.allowed(Action::PutObject, bucket),
        )
    }

    /// The `ListBuckets` answer: `buckets` as the caller may see them, in order.
    pub fn list<B>(&self, buckets: Vec<B>, name: impl Fn(&B) -> &str) -> Result<Vec<B>, S3Error> {
        if self.lists_all() {
            return Ok(buckets);
        }
        let visible: Vec<B> = buckets.into_iter().filter(|b| self.sees(name(b))).collect();
        if visible.is_empty() {
            return Err(access_denied());
        }
        Ok(visible)
    }
}

fn access_denied() -> S3Error {
    S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied.")
}

/// The buckets that exist (name, creation time), as the object backend lists them.
pub trait BucketSource: Send + Sync {
    fn buckets(&self) -> BoxFuture<'_, Result<Vec<(String, OffsetDateTime)>, S3Error>>;
}

/// A [`BucketSource`] asking the object backend `B` (the backend the S3 handlers use).
pub struct BackendBuckets<B>(pub Arc<B>);

impl<B: S3> BucketSource for BackendBuckets<B> {
    fn buckets(&self) -> BoxFuture<'_, Result<Vec<(String, OffsetDateTime)>, S3Error>> {
        Box::pin(async move {
            let req = S3Request {
                input: ListBucketsInput::default(),
                method: http::Method::GET,
                uri: http::Uri::from_static("/"),
                headers: http::HeaderMap::new(),
                extensions: http::Extensions::new(),
                credentials: None,
                region: None,
                service: None,
                trailing_headers: None,
            };
            let out = self.0.list_buckets(req).await?;
            Ok(out
                .output
                .buckets
                .unwrap_or_default()
                .into_iter()
                .filter_map(|b| {
                    let created = b
                        .creation_date
                        .map_or(OffsetDateTime::UNIX_EPOCH, OffsetDateTime::from);
                    b.name.map(|n| (n, created))
                })
                .collect())
        })
    }
}

/// One bucket of `accountinfo`: name, creation time, (read, write).
pub type AccountBucket = (String, OffsetDateTime, (bool, bool));

/// What the admin API needs to show a caller's buckets: the buckets and the authoriser.
pub struct BucketView {
    source: Arc<dyn BucketSource>,
    authorizer: Arc<Authorizer>,
}

impl std::fmt::Debug for BucketView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BucketView")
    }
}

impl BucketView {
    #[must_use]
    pub fn new(source: Arc<dyn BucketSource>, authorizer: Arc<Authorizer>) -> Self {
        Self { source, authorizer }
    }

    /// `accountinfo`'s buckets for `principal`: those it may read (`s3:ListBucket`) or write
    /// (`s3:PutObject`), with both flags.
    pub async fn account(
        &self,
        snapshot: Arc<IamSnapshot>,
        principal: &Principal,
        values: ConditionValues,
    ) -> Result<Vec<AccountBucket>, S3Error> {
        let buckets = self.source.buckets().await?;
        let filter = BucketFilter::new(&self.authorizer, snapshot, principal, values)?;
        Ok(buckets
            .into_iter()
            .filter_map(|(name, created)| {
                let access = filter.access(&name);
                (access.0 || access.1).then_some((name, created, access))
            })
            .collect())
    }
}
