//! `GET accountinfo`: who the caller is and their effective policy. Any authenticated caller may
//! ask about itself; nothing beyond a valid signature is checked (MinIO's rule).

use s3s::{Body, S3Response};
use serde_json::Value;
use serde_json::value::RawValue;
use strongbox_iam::{BasePermissions, IamSnapshot};
use strongbox_madmin::types::{AccountInfo, BackendInfo};
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
    let info = AccountInfo {
        account_name: caller.effective_user().to_owned(),
        server: BackendInfo {
            backend_type: BACKEND_FS,
        },
        policy,
        // Per-bucket usage and access need the object backend, which this route does not reach.
        buckets: Vec::new(),
    };
    req.reply(&info).await
}
