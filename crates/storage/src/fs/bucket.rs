//! Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::Backend;
use super::error::{blocking, invalid_argument};
use super::meta::{BucketMeta, ms_to_timestamp, now_ms};
use super::names::{check_bucket, is_valid_bucket_name};

/// Fixed owner shown in listings (single-tenant server; IAM users share the root's namespace).
pub(crate) fn owner() -> Owner {
    Owner {
        display_name: Some("strongbox".to_owned()),
        id: Some("02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4".to_owned()),
    }
}

pub(crate) async fn list_buckets(
    fs: &Backend,
    req: S3Request<ListBucketsInput>,
) -> S3Result<S3Response<ListBucketsOutput>> {
    let input = req.input;
    let max = match input.max_buckets {
        Some(n) if !(1..=10_000).contains(&n) => {
            return Err(invalid_argument("max-buckets must be between 1 and 10000."));
        }
        Some(n) => usize::try_from(n).unwrap_or(10_000),
        None => usize::MAX,
    };
    let after = match &input.continuation_token {
        Some(t) => Some(super::list::decode_token(t)?),
        None => None,
    };
    let fs2 = fs.clone();
    let all = blocking(move || fs2.index.list_buckets()).await?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let mut buckets = Vec::new();
    let mut next = None;
    for (name, meta) in all {
        if !name.starts_with(&prefix) || after.as_ref().is_some_and(|a| name.as_str() <= a.as_str())
        {
            continue;
        }
        if buckets.len() == max {
            next = buckets
                .last()
                .and_then(|b: &Bucket| b.name.as_deref())
                .map(super::list::encode_token);
            break;
        }
        buckets.push(Bucket {
            name: Some(name),
            creation_date: Some(ms_to_timestamp(meta.created_ms)),
            bucket_region: Some(region_of(fs, &meta)),
        });
    }
    Ok(S3Response::new(ListBucketsOutput {
        buckets: Some(buckets),
        owner: Some(owner()),
        prefix: input.prefix,
        continuation_token: next,
    }))
}

fn region_of(fs: &Backend, meta: &BucketMeta) -> String {
    meta.location.clone().unwrap_or_else(|| fs.region.clone())
}

pub(crate) async fn create_bucket(
    fs: &Backend,
    req: S3Request<CreateBucketInput>,
) -> S3Result<S3Response<CreateBucketOutput>> {
    let name = req.input.bucket;
    if !is_valid_bucket_name(&name) {
        return Err(s3s::S3Error::with_message(
            s3s::S3ErrorCode::InvalidBucketName,
            "The specified bucket is not valid.",
        ));
    }
    let location = req
        .input
        .create_bucket_configuration
        .and_then(|c| c.location_constraint)
        .map(|l| l.as_str().to_owned())
        .filter(|l| !l.is_empty());
    if let Some(l) = &location
        && (l.len() > 64 || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(s3s::S3Error::with_message(
            s3s::S3ErrorCode::InvalidLocationConstraint,
            "The specified location-constraint is not valid.",
        ));
    }
    let meta = BucketMeta {
        created_ms: now_ms(),
        location,
    };
    let fs2 = fs.clone();
    let n = name.clone();
    blocking(move || fs2.index.create_bucket(&n, &meta)).await?;
    Ok(S3Response::new(CreateBucketOutput {
        location: Some(format!("/{name}")),
    }))
}

pub(crate) async fn head_bucket(
    fs: &Backend,
    req: S3Request<HeadBucketInput>,
) -> S3Result<S3Response<HeadBucketOutput>> {
    let name = req.input.bucket;
    check_bucket(&name)?;
    let fs2 = fs.clone();
    let meta = blocking(move || fs2.index.require_bucket(&name)).await?;
    Ok(S3Response::new(HeadBucketOutput {
        bucket_region: Some(region_of(fs, &meta)),
        ..Default::default()
    }))
}

pub(crate) async fn delete_bucket(
    fs: &Backend,
    req: S3Request<DeleteBucketInput>,
) -> S3Result<S3Response<DeleteBucketOutput>> {
    let name = req.input.bucket;
    check_bucket(&name)?;
    let fs2 = fs.clone();
    blocking(move || {
        let dead = fs2.index.delete_bucket(&name)?;
        fs2.layout
            .remove_data_files(dead.iter().map(String::as_str));
        Ok(())
    })
    .await?;
    Ok(S3Response::new(DeleteBucketOutput {}))
}

pub(crate) async fn get_bucket_location(
    fs: &Backend,
    req: S3Request<GetBucketLocationInput>,
) -> S3Result<S3Response<GetBucketLocationOutput>> {
    let name = req.input.bucket;
    check_bucket(&name)?;
    let fs2 = fs.clone();
    let meta = blocking(move || fs2.index.require_bucket(&name)).await?;
    // us-east-1 is reported as an empty constraint, as AWS does.
    let region = region_of(fs, &meta);
    let constraint = (region != "us-east-1").then(|| BucketLocationConstraint::from(region));
    Ok(S3Response::new(GetBucketLocationOutput {
        location_constraint: constraint,
    }))
}
