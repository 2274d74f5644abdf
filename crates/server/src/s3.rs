//! [`Strongbox`]: the `s3s::S3` the server installs. It serves the bucket-policy operations itself
//! (the policy is authorisation state, kept in the IAM store) and hands every other operation of
//! the authorisation table to the object backend, but only with the [`Authorized`] proof the
//! access hook left in the request: a request without one never reaches the backend.

use std::sync::Arc;

use http::StatusCode;
use s3s::dto::{
    DeleteBucketPolicyInput, DeleteBucketPolicyOutput, GetBucketPolicyInput, GetBucketPolicyOutput,
    HeadBucketInput, PutBucketPolicyInput, PutBucketPolicyOutput,
};
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use strongbox_iam::Iam;

use crate::access::Authorized;
use crate::authz::list_filter::BucketFilter;
use crate::authz::{Authorizer, bucket_policy};
use crate::http::RequestId;

/// The object backend `B` behind authorisation, plus bucket policies.
pub struct Strongbox<B> {
    backend: Arc<B>,
    iam: Arc<Iam>,
    /// `ListBuckets` decides bucket by bucket ([`crate::authz::list_filter`]).
    authorizer: Arc<Authorizer>,
}

impl<B: S3> Strongbox<B> {
    #[must_use]
    pub fn new(backend: B, iam: Arc<Iam>, authorizer: Arc<Authorizer>) -> Self {
        Self {
            backend: Arc::new(backend),
            iam,
            authorizer,
        }
    }

    /// The backend's buckets, for the admin API (`accountinfo`).
    #[must_use]
    pub fn bucket_source(&self) -> Arc<dyn crate::authz::list_filter::BucketSource> {
        Arc::new(crate::authz::list_filter::BackendBuckets(Arc::clone(
            &self.backend,
        )))
    }

    /// `NoSuchBucket` unless `bucket` exists (asked of the backend, with the caller's request
    /// context).
    async fn bucket_exists<T>(&self, req: &S3Request<T>, bucket: &str) -> S3Result<()> {
        let head = S3Request {
            input: HeadBucketInput {
                bucket: bucket.to_owned(),
                ..Default::default()
            },
            method: http::Method::HEAD,
            uri: req.uri.clone(),
            headers: req.headers.clone(),
            extensions: req.extensions.clone(),
            credentials: req.credentials.clone(),
            region: req.region.clone(),
            service: req.service.clone(),
            trailing_headers: None,
        };
        self.backend.head_bucket(head).await.map(drop)
    }
}

/// The proof for `op`, or `AccessDenied`.
fn proof<T>(req: &S3Request<T>, op: &str) -> S3Result<Authorized> {
    match req.extensions.get::<Authorized>() {
        Some(a) if a.op() == op => Ok(a.clone()),
        _ => {
            tracing::error!(
                op,
                "request reached the backend without authorisation: denied"
            );
            Err(S3Error::with_message(
                S3ErrorCode::AccessDenied,
                "Access Denied.",
            ))
        }
    }
}

macro_rules! strongbox_s3 {
    ($($method:ident($op:literal, $input:ident, $output:ident);)*) => {
        #[async_trait::async_trait]
        impl<B: S3> S3 for Strongbox<B> {
            $(
                async fn $method(
                    &self,
                    req: S3Request<s3s::dto::$input>,
                ) -> S3Result<S3Response<s3s::dto::$output>> {
                    proof(&req, $op)?;
                    self.backend.$method(req).await
                }
            )*

            /// Every bucket for a caller allowed `s3:ListAllMyBuckets`, else those it may list or
            /// locate ([`crate::authz::list_filter`]).
            async fn list_buckets(
                &self,
                req: S3Request<s3s::dto::ListBucketsInput>,
            ) -> S3Result<S3Response<s3s::dto::ListBucketsOutput>> {
                let proof = proof(&req, "ListBuckets")?;
                let request_id = req.extensions.get::<RequestId>().cloned();
                let with_id = |mut e: S3Error| {
                    if let Some(id) = &request_id {
                        e.set_request_id(id.as_str());
                    }
                    e
                };
                let filter = BucketFilter::for_request(
                    &self.authorizer,
                    self.iam.snapshot(),
                    proof.principal(),
                    &req,
                )
                .map_err(with_id)?;
                let mut out = self.backend.list_buckets(req).await?;
                let buckets = out.output.buckets.take().unwrap_or_default();
                let visible = filter
                    .list(buckets, |b| b.name.as_deref().unwrap_or(""))
                    .map_err(with_id)?;
                out.output.buckets = Some(visible);
                Ok(out)
            }

            async fn create_bucket(
                &self,
                req: S3Request<s3s::dto::CreateBucketInput>,
            ) -> S3Result<S3Response<s3s::dto::CreateBucketOutput>> {
                proof(&req, "CreateBucket")?;
                let bucket = req.input.bucket.clone();
                let out = self.backend.create_bucket(req).await?;
                // A policy left behind by an earlier bucket of this name must not apply.
                if let Err(e) = bucket_policy::remove(&self.iam, &bucket).await {
                    tracing::error!(bucket, code = %e.code().as_str(), "cannot clear a stale bucket policy");
                }
                Ok(out)
            }

            async fn delete_bucket(
                &self,
                req: S3Request<s3s::dto::DeleteBucketInput>,
            ) -> S3Result<S3Response<s3s::dto::DeleteBucketOutput>> {
                proof(&req, "DeleteBucket")?;
                let bucket = req.input.bucket.clone();
                let out = self.backend.delete_bucket(req).await?;
                if let Err(e) = bucket_policy::remove(&self.iam, &bucket).await {
                    tracing::error!(bucket, code = %e.code().as_str(), "cannot delete the policy of a deleted bucket");
                }
                Ok(out)
            }

            async fn delete_objects(
                &self,
                req: S3Request<s3s::dto::DeleteObjectsInput>,
            ) -> S3Result<S3Response<s3s::dto::DeleteObjectsOutput>> {
                let proof = proof(&req, "DeleteObjects")?;
                let denied = proof.denied_deletes();
                if req.input.delete.objects.is_empty() && !denied.is_empty() {
                    return Ok(S3Response::new(s3s::dto::DeleteObjectsOutput {
                        errors: Some(denied.to_vec()),
                        ..Default::default()
                    }));
                }
                let mut out = self.backend.delete_objects(req).await?;
                if !denied.is_empty() {
                    out.output
                        .errors
                        .get_or_insert_with(Vec::new)
                        .extend(denied.iter().cloned());
                }
                Ok(out)
            }

            async fn put_bucket_policy(
                &self,
                req: S3Request<PutBucketPolicyInput>,
            ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
                proof(&req, "PutBucketPolicy")?;
                let bucket = &req.input.bucket;
                self.bucket_exists(&req, bucket).await?;
                bucket_policy::validate(bucket, &req.input.policy)?;
                bucket_policy::store(&self.iam, bucket, &req.input.policy).await?;
                Ok(S3Response::with_status(
                    PutBucketPolicyOutput::default(),
                    StatusCode::NO_CONTENT,
                ))
            }

            async fn get_bucket_policy(
                &self,
                req: S3Request<GetBucketPolicyInput>,
            ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
                proof(&req, "GetBucketPolicy")?;
                let bucket = &req.input.bucket;
                self.bucket_exists(&req, bucket).await?;
                let snapshot = self.iam.snapshot();
                match bucket_policy::load(&snapshot, bucket) {
                    Some(policy) => Ok(S3Response::new(GetBucketPolicyOutput {
                        policy: Some(policy.to_owned()),
                    })),
                    None => Err(S3Error::with_message(
                        S3ErrorCode::NoSuchBucketPolicy,
                        "The bucket policy does not exist",
                    )),
                }
            }

            async fn delete_bucket_policy(
                &self,
                req: S3Request<DeleteBucketPolicyInput>,
            ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
                proof(&req, "DeleteBucketPolicy")?;
                let bucket = &req.input.bucket;
                self.bucket_exists(&req, bucket).await?;
                bucket_policy::remove(&self.iam, bucket).await?;
                Ok(S3Response::with_status(
                    DeleteBucketPolicyOutput::default(),
                    StatusCode::NO_CONTENT,
                ))
            }
        }
    };
}

// Every delegated operation with the table row its proof must name.
strongbox_s3! {
    list_objects("ListObjects", ListObjectsInput, ListObjectsOutput);
    list_objects_v2("ListObjectsV2", ListObjectsV2Input, ListObjectsV2Output);
    head_bucket("HeadBucket", HeadBucketInput, HeadBucketOutput);
    get_bucket_location("GetBucketLocation", GetBucketLocationInput, GetBucketLocationOutput);
    get_object("GetObject", GetObjectInput, GetObjectOutput);
    head_object("HeadObject", HeadObjectInput, HeadObjectOutput);
    put_object("PutObject", PutObjectInput, PutObjectOutput);
    post_object("PostObject", PostObjectInput, PostObjectOutput);
    copy_object("CopyObject", CopyObjectInput, CopyObjectOutput);
    create_multipart_upload("CreateMultipartUpload", CreateMultipartUploadInput, CreateMultipartUploadOutput);
    upload_part("UploadPart", UploadPartInput, UploadPartOutput);
    upload_part_copy("UploadPartCopy", UploadPartCopyInput, UploadPartCopyOutput);
    complete_multipart_upload("CompleteMultipartUpload", CompleteMultipartUploadInput, CompleteMultipartUploadOutput);
    abort_multipart_upload("AbortMultipartUpload", AbortMultipartUploadInput, AbortMultipartUploadOutput);
    list_parts("ListParts", ListPartsInput, ListPartsOutput);
    list_multipart_uploads("ListMultipartUploads", ListMultipartUploadsInput, ListMultipartUploadsOutput);
    delete_object("DeleteObject", DeleteObjectInput, DeleteObjectOutput);
}
