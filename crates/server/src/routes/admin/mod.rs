//! The MinIO admin API (`/minio/admin/v3/...`) for identities and policies, so that minio-py's
//! `MinioAdmin` and madmin clients work unmodified. `strongbox_madmin::endpoints` is the table
//! (method, path, which bodies are encrypted, success status); this module dispatches on it.
//!
//! Order for every request: authenticate (signature already verified by s3s; transport rule,
//! region and session token here) → authorise the `admin:` action → read and, where the table
//! says so, decrypt the body → act on the IAM → answer (encrypted where the table says so).
//! Every failure is a MinIO admin JSON error ([`error::AdminError`]).
//!
//! One file per area: [`users`], [`groups`], [`policies`], [`service_accounts`], [`account`].

mod account;
mod body;
mod caller;
pub mod error;
mod groups;
mod ldap;
mod policies;
mod query;
mod revoke_tokens;
mod service_accounts;
mod users;

use std::sync::Arc;

use http::{HeaderMap, StatusCode};
use s3s::auth::SecretKey;
use s3s::{Body, S3Request, S3Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use strongbox_iam::authz::PermissionCheck;
use strongbox_iam::{Iam, IamError, IamSnapshot};
use strongbox_madmin::endpoints::{self, Body as BodyKind, Endpoint, Operation};
use strongbox_policy::Action;
use time::OffsetDateTime;

use crate::http::{ConnectionInfo, RequestId};
use crate::identity::{Identities, Principal, authenticate};

pub use self::caller::{Caller, CallerKind};
use self::error::AdminError;
use self::query::Query;

/// The path prefix every admin endpoint lives under.
pub const ADMIN_PREFIX: &str = endpoints::ADMIN_PREFIX;
/// Any MinIO admin API version (unknown versions get a JSON error, not an S3 answer).
pub const ANY_ADMIN_PREFIX: &str = "/minio/admin/";

/// What an admin handler works with: the IAM, the authenticated caller, and the request.
pub struct AdminRequest {
    iam: Arc<Iam>,
    caller: Caller,
    endpoint: &'static Endpoint,
    query: Query,
    headers: HeaderMap,
    body: Body,
    /// The LDAP directory, when configured (the `idp/ldap/*` endpoints).
    ldap: Option<Arc<crate::sts::ldap::LdapLogin>>,
    /// The buckets and the authoriser (`accountinfo`).
    buckets: Option<Arc<crate::authz::list_filter::BucketView>>,
}

impl AdminRequest {
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    pub fn ldap(&self) -> Option<&Arc<crate::sts::ldap::LdapLogin>> {
        self.ldap.as_ref()
    }

    pub fn buckets(&self) -> Option<&Arc<crate::authz::list_filter::BucketView>> {
        self.buckets.as_ref()
    }

    /// The current IAM snapshot.
    pub fn snapshot(&self) -> Arc<IamSnapshot> {
        self.iam.snapshot()
    }

    /// Passes if ANY of `actions` is allowed under `check` (MinIO's `validateAdminReq`).
    pub fn require(&self, actions: &[Action], check: PermissionCheck) -> Result<(), AdminError> {
        let snap = self.iam.snapshot();
        if actions
            .iter()
            .any(|a| caller::is_allowed(&snap, &self.caller, *a, check))
        {
            Ok(())
        } else {
            Err(AdminError::access_denied())
        }
    }

    /// Whether `action` is allowed under `check` (for handlers that branch on it).
    pub fn allows(&self, action: Action, check: PermissionCheck) -> bool {
        caller::is_allowed(&self.iam.snapshot(), &self.caller, action, check)
    }

    /// Runs a (blocking) IAM operation off the async executor.
    pub async fn iam<T, F>(&self, f: F) -> Result<T, AdminError>
    where
        T: Send + 'static,
        F: FnOnce(&Iam) -> Result<T, IamError> + Send + 'static,
    {
        let iam = Arc::clone(&self.iam);
        match tokio::task::spawn_blocking(move || f(&iam)).await {
            Ok(result) => result.map_err(AdminError::from),
            Err(e) => {
                tracing::error!(error = %e, "admin: IAM task failed");
                Err(AdminError::internal())
            }
        }
    }

    /// The request body as the endpoint's JSON type, decrypted when the table says it is
    /// encrypted. Call only after the action was authorised (or, where the check depends on the
    /// body, after authentication, which the dispatcher did).
    pub async fn json<T: DeserializeOwned>(&mut self) -> Result<T, AdminError> {
        match self.endpoint.request {
            BodyKind::Encrypted => {
                let sealed = body::read_bounded(
                    &self.headers,
                    &mut self.body,
                    body::MAX_ENCRYPTED_BODY,
                    AdminError::too_large(),
                )
                .await?;
                let plain = body::decrypt(self.caller.secret(), sealed).await?;
                body::parse(&plain)
            }
            BodyKind::Plain => {
                let raw = body::read_bounded(
                    &self.headers,
                    &mut self.body,
                    body::MAX_PLAIN_BODY,
                    AdminError::too_large(),
                )
                .await?;
                body::parse(&raw)
            }
            BodyKind::None => Err(AdminError::bad_json()),
        }
    }

    /// The raw body, at most `limit` bytes (`too_large` otherwise).
    pub async fn raw_body(
        &mut self,
        limit: usize,
        too_large: AdminError,
    ) -> Result<bytes::Bytes, AdminError> {
        body::read_bounded(&self.headers, &mut self.body, limit, too_large).await
    }

    /// The success answer with a JSON body, sealed for the caller when the table says so.
    pub async fn reply<T: Serialize>(&self, value: &T) -> Result<S3Response<Body>, AdminError> {
        match self.endpoint.response {
            BodyKind::Encrypted => body::encrypted_json(self.caller.secret(), value).await,
            BodyKind::Plain | BodyKind::None => body::plain_json(value),
        }
    }

    /// The success answer without a body (the table's status: 200 or 204).
    pub fn done(&self) -> S3Response<Body> {
        body::empty(StatusCode::from_u16(self.endpoint.success_status).unwrap_or(StatusCode::OK))
    }
}

/// Serves one admin request; every failure becomes a JSON error response.
pub async fn handle(
    iam: &Arc<Iam>,
    identities: &Identities,
    ldap: Option<&Arc<crate::sts::ldap::LdapLogin>>,
    buckets: Option<Arc<crate::authz::list_filter::BucketView>>,
    mut req: S3Request<Body>,
) -> S3Response<Body> {
    let path = req.uri.path().to_owned();
    let request_id = req
        .extensions
        .get::<RequestId>()
        .map(|id| id.as_str().to_owned())
        .unwrap_or_default();
    let result = async {
        let query = Query::parse(req.uri.query())
            .ok_or_else(|| AdminError::invalid_argument("malformed query string"))?;
        let caller = authenticate_admin(iam, identities, &req, &query)?;
        let endpoint =
            endpoints::lookup(req.method.as_str(), &path).ok_or_else(AdminError::unknown_api)?;
        let admin = AdminRequest {
            iam: Arc::clone(iam),
            caller,
            endpoint,
            query,
            headers: std::mem::take(&mut req.headers),
            body: std::mem::take(&mut req.input),
            ldap: ldap.cloned(),
            buckets,
        };
        let caller = admin.caller.access_key().to_owned();
        let resp = dispatch(admin).await?;
        if endpoint.method != endpoints::Method::Get {
            // One line per IAM change: who did what (names only, never a body).
            tracing::info!(
                request_id = %request_id,
                caller = %caller,
                operation = ?endpoint.operation,
                "admin change"
            );
        }
        Ok::<_, AdminError>(resp)
    }
    .await;
    match result {
        Ok(resp) => resp,
        Err(e) => {
            tracing::debug!(
                path = %path,
                code = e.code(),
                status = e.status().as_u16(),
                "admin request refused"
            );
            e.into_response(&path, &request_id)
        }
    }
}

/// Authentication: a verified SigV4 header signature of service `s3` with a real payload hash
/// ([`caller::check_transport`]), then the one authentication place of the server
/// ([`crate::identity::authenticate`]: region, session token), then the IAM status of the key.
fn authenticate_admin(
    iam: &Iam,
    identities: &Identities,
    req: &S3Request<Body>,
    query: &Query,
) -> Result<Caller, AdminError> {
    let Some(credentials) = req.credentials.as_ref() else {
        return Err(AdminError::access_denied());
    };
    caller::check_transport(&req.headers, req.service.as_deref())?;
    let identity = match authenticate(identities, Some(credentials), &req.headers, &req.uri) {
        Ok(Principal::Authenticated(identity)) => identity,
        Ok(Principal::Anonymous) => return Err(AdminError::access_denied()),
        Err(e) => {
            tracing::debug!(code = %e.code().as_str(), "admin: authentication failed");
            return Err(AdminError::access_denied());
        }
    };
    let parts = caller::RequestParts {
        connection: req.extensions.get::<ConnectionInfo>().cloned(),
        headers: req.headers.clone(),
        query: query
            .pairs()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    };
    let secret = SecretKey::from(credentials.secret_key.expose());
    caller::resolve(
        &iam.snapshot(),
        identity,
        secret,
        parts,
        OffsetDateTime::now_utc(),
    )
}

async fn dispatch(req: AdminRequest) -> Result<S3Response<Body>, AdminError> {
    use Operation as Op;
    match req.endpoint.operation {
        Op::AddUser => users::add_user(req).await,
        Op::SetUserStatus => users::set_user_status(req).await,
        Op::RemoveUser => users::remove_user(req).await,
        Op::UserInfo => users::user_info(req).await,
        Op::ListUsers => users::list_users(req).await,
        Op::ChangeMyPassword => users::change_my_password(req).await,
        Op::UpdateGroupMembers => groups::update_members(req).await,
        Op::SetGroupStatus => groups::set_status(req).await,
        Op::GroupInfo => groups::info(req).await,
        Op::ListGroups => groups::list(req).await,
        Op::AddCannedPolicy => policies::add(req).await,
        Op::RemoveCannedPolicy => policies::remove(req).await,
        Op::InfoCannedPolicy => policies::info(req).await,
        Op::ListCannedPolicies => policies::list(req).await,
        Op::SetUserOrGroupPolicy => policies::set_user_or_group(req).await,
        Op::AttachPolicy => policies::attach(req).await,
        Op::DetachPolicy => policies::detach(req).await,
        Op::PolicyEntities => policies::entities(req).await,
        Op::AddServiceAccount => service_accounts::add(req).await,
        Op::UpdateServiceAccount => service_accounts::update(req).await,
        Op::InfoServiceAccount => service_accounts::info(req).await,
        Op::ListServiceAccounts => service_accounts::list(req).await,
        Op::DeleteServiceAccount => service_accounts::delete(req).await,
        Op::AccountInfo => account::info(req).await,
        Op::RevokeTokensBuiltin => revoke_tokens::revoke(req).await,
        Op::LdapAttachPolicy => ldap::attach(req).await,
        Op::LdapDetachPolicy => ldap::detach(req).await,
        Op::LdapPolicyEntities => ldap::entities(req).await,
        // Temporary credentials arrive with STS (issue 4).
        Op::TemporaryAccountInfo => Err(AdminError::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
        )),
    }
}
