//! DeleteObject and DeleteObjects. Deleting a missing key succeeds (204), as S3 does.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::Backend;
use super::error::{blocking, err};
use super::names::{check_bucket, check_key};

/// Most keys in one DeleteObjects request (S3 limit).
const MAX_DELETE_KEYS: usize = 1000;

pub(crate) async fn delete_object(
    fs: &Backend,
    req: S3Request<DeleteObjectInput>,
) -> S3Result<S3Response<DeleteObjectOutput>> {
    let S3Request { input, .. } = req;
    check_bucket(&input.bucket)?;
    check_key(&input.key)?;
    let fs = fs.clone();
    blocking(move || {
        let dead = fs
            .index
            .delete_objects(&input.bucket, &[input.key.as_str()])?;
        fs.layout.remove_data_files(dead.iter().map(String::as_str));
        Ok(())
    })
    .await?;
    Ok(S3Response::new(DeleteObjectOutput::default()))
}

pub(crate) async fn delete_objects(
    fs: &Backend,
    req: S3Request<DeleteObjectsInput>,
) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let input = req.input;
    check_bucket(&input.bucket)?;
    let objects = input.delete.objects;
    if objects.len() > MAX_DELETE_KEYS {
        return Err(err(
            s3s::S3ErrorCode::MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema.",
        ));
    }
    let quiet = input.delete.quiet.unwrap_or(false);
    let mut errors = Vec::new();
    let mut valid = Vec::new();
    for o in objects {
        match check_key(&o.key) {
            Ok(()) => valid.push(o.key),
            Err(e) => errors.push(Error {
                code: Some(e.code().as_str().to_owned()),
                key: Some(o.key),
                message: e.message().map(str::to_owned),
                version_id: None,
            }),
        }
    }
    let fs = fs.clone();
    let bucket = input.bucket;
    let keys = valid.clone();
    blocking(move || {
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let dead = fs.index.delete_objects(&bucket, &refs)?;
        fs.layout.remove_data_files(dead.iter().map(String::as_str));
        Ok(())
    })
    .await?;
    let deleted = if quiet {
        Vec::new()
    } else {
        valid
            .into_iter()
            .map(|k| DeletedObject {
                key: Some(k),
                ..Default::default()
            })
            .collect()
    };
    Ok(S3Response::new(DeleteObjectsOutput {
        deleted: Some(deleted),
        errors: (!errors.is_empty()).then_some(errors),
        ..Default::default()
    }))
}
