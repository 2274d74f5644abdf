//! `GET accountinfo`: who the caller is, their effective policy and the buckets they may read
//! (`s3:ListBucket`) or write (`s3:PutObject`), as MinIO's `AccountInfoHandler`. Any
//! authenticated caller may ask about itself; nothing beyond a valid signature is checked
//! (MinIO's rule). Usage figures (size, objects, versions) are not kept: they read 0.

use s3s::{Body, S3Response};
use serde_json::Value;
use serde_json::value::RawValue;
use strongbox_iam::{BasePermissions, IamSnapshot};
use strongbox_madmin::types::{AccountAccess, AccountInfo, BackendInfo, BucketAccessInfo};
use time::OffsetDateTime;

use super::caller::permissions;
use super::error::AdminError;
use super::{AdminRequest, Caller};

/// madmin `BackendType` of a single-node filesystem server.
const BACKEND_FS: u8 = 1;

/// The statements of the named policies (those that still exist) merged into one document, as
/// MinIO presents a combined policy. Identical statements appear once.
pub fn combined_policy(snap: &IamSnapshot, names: &[String]) -> Option<Box<RawValue>> {
    let mut statements: Vec<Value> = Vec::new();
    for name in names {
        let Some(doc) = snap.policy(name) else {
            continue;
        };
        let Ok(Value::Object(mut doc)) = serde_json::from_str::<Value>(&doc.document) else {
            continue;
        };
        let found = doc.remove("Statement").or_else(|| doc.remove("statement"));
        let list = match found {
            Some(Value::Array(list)) => list,
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        for st in list {
            if !statements.contains(&st) {
                statements.push(st);
            }
        }
    }
    let doc = serde_json::json!({ "Version": "2012-10-17", "Statement": statements });
    serde_json::value::to_raw_value(&doc).ok()
}

/// The caller's effective policy document.
fn effective_policy(snap: &IamSnapshot, caller: &Caller) -> Option<Box<RawValue>> {
    let perms = permissions(snap, caller, OffsetDateTime::now_utc())?;
    if let Some(restricting) = perms.restrict {
        return RawValue::from_string(restricting.to_owned()).ok();
    }
    match perms.base {
        BasePermissions::Owner => combined_policy(snap, &["consoleAdmin".to_owned()]),
        BasePermissions::Named(names) => combined_policy(snap, &names),
    }
}

/// `GET accountinfo[?prefix-usage=true]` (plain JSON).
pub async fn info(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    let snap = req.snapshot();
    let caller = req.caller();
    let policy = effective_policy(&snap, caller).ok_or_else(AdminError::access_denied)?;
    let buckets = match req.buckets() {
        Some(view) => {
            let values = caller.condition_values(&snap);
            view.account(snap.clone(), &caller.principal(), values)
                .await
                .map_err(|e| {
                    tracing::warn!(code = %e.code().as_str(), "accountinfo: cannot list buckets");
                    AdminError::internal()
                })?
        }
        None => Vec::new(),
    };
    let info = AccountInfo {
        account_name: caller.effective_user().to_owned(),
        server: BackendInfo {
            backend_type: BACKEND_FS,
        },
        policy,
        buckets: buckets
            .into_iter()
            .map(|(name, created, (read, write))| BucketAccessInfo {
                name,
                size: 0,
                objects: 0,
                versions: 0,
                delete_markers: 0,
                object_sizes_histogram: None,
                object_versions_histogram: None,
                details: None,
                prefix_usage: None,
                created,
                access: AccountAccess { read, write },
            })
            .collect(),
    };
    req.reply(&info).await
}
