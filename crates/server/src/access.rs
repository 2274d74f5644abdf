//! The s3s access hook: every S3 operation passes here after its signature was verified.
//!
//! `check` authenticates the request ([`crate::identity::authenticate_in`]), finds the operation
//! in [`crate::authz::table`] (an operation not in the table is denied), builds the request's
//! condition values and decides. Operations whose decision needs the typed input (copy source,
//! the keys of a multi-object delete, the key of a POST form upload, the location constraint)
//! are decided in their per-operation hook. Either way an [`Authorized`] proof lands in the
//! request's extensions, and [`crate::s3::Strongbox`] refuses any request that does not carry one.

use std::sync::Arc;

use s3s::access::{S3Access, S3AccessContext};
use s3s::dto::{
    CopyObjectInput, CopySource, CreateBucketInput, DeleteObjectsInput, PostObjectInput,
    UploadPartCopyInput,
};
use s3s::path::S3Path;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Result};
use strongbox_iam::IamSnapshot;
use strongbox_policy::{ConditionValues, Key, Request};
use time::OffsetDateTime;

use crate::authz::context::{AuthStyle, RequestFacts, Who, condition_values_for, query_pairs};
use crate::authz::table::{self, Need, OpKey, Resource, Rule};
use crate::authz::{Authorizer, Subject};
use crate::http::{ConnectionInfo, RequestId};
use crate::identity::{
    Identities, Identity, Principal, Resolution, authenticate_in, authenticate_resolved,
};

/// Proof that a request passed authentication and authorisation. Only this module builds one.
#[derive(Debug, Clone)]
pub struct Authorized {
    principal: Principal,
    op: &'static str,
    /// `DeleteObjects`: the listed objects the principal may not delete (each an `AccessDenied`
    /// entry of the result); they have been removed from the input.
    denied: Arc<Vec<s3s::dto::Error>>,
}

impl Authorized {
    /// The authenticated identity; `None` for an anonymous request a bucket policy allowed.
    #[must_use]
    pub fn identity(&self) -> Option<&Identity> {
        match &self.principal {
            Principal::Authenticated(identity) => Some(identity),
            Principal::Anonymous => None,
        }
    }

    #[must_use]
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The s3s operation the proof was issued for.
    #[must_use]
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// `DeleteObjects`: the objects refused, to report in the result.
    #[must_use]
    pub fn denied_deletes(&self) -> &[s3s::dto::Error] {
        &self.denied
    }
}

/// A request authenticated in `check`, waiting for its typed input to be decided.
#[derive(Clone)]
struct Pending {
    snapshot: Arc<IamSnapshot>,
    principal: Principal,
    subject: Subject,
    values: ConditionValues,
    rule: &'static Rule,
}

/// What the access decision reads of a request (from s3s's context, or from the direct read
/// path's own parse).
pub(crate) struct AccessQuery<'a> {
    /// The verified credentials; `None` for an unsigned request (or one signed by `resolved`).
    pub credentials: Option<&'a s3s::auth::Credentials>,
    /// The signer, resolved and its signature verified by the caller (the direct read path).
    pub resolved: Option<Resolution>,
    pub headers: &'a http::HeaderMap,
    pub uri: &'a http::Uri,
    /// The s3s operation name.
    pub op: &'a str,
    /// The bucket of the path (empty for the service).
    pub bucket: &'a str,
    pub object: Option<&'a str>,
    pub connection: Option<&'a ConnectionInfo>,
    /// The time the decision is made at (`aws:CurrentTime`, signature age).
    pub now: OffsetDateTime,
}

#[expect(
    clippy::large_enum_variant,
    reason = "a pending decision (its condition values inline) is moved once, into the request's \
              extensions, which box it; boxing it here would add an allocation to every such request"
)]
enum Decided {
    /// Needs the typed input ([`Rule::needs_input`]).
    Pending(Pending),
    /// Every need allowed, by this principal for this operation (the proof is made only where
    /// one is kept).
    Allowed(Principal, &'static Rule),
}

/// The `S3Access` implementation installed in the s3s service.
#[derive(Debug, Clone)]
pub struct Access {
    identities: Arc<Identities>,
    authorizer: Arc<Authorizer>,
}

impl Access {
    #[must_use]
    pub fn new(identities: Arc<Identities>, authorizer: Arc<Authorizer>) -> Self {
        Self {
            identities,
            authorizer,
        }
    }

    fn check_request(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let connection = cx.extensions_mut().get::<ConnectionInfo>().cloned();
        let (bucket, object) = match cx.s3_path() {
            S3Path::Root => ("", None),
            S3Path::Bucket { bucket } => (&**bucket, None),
            S3Path::Object { bucket, key } => (&**bucket, Some(&**key)),
        };
        let decided = self.decide_request(AccessQuery {
            credentials: cx.credentials(),
            resolved: None,
            headers: cx.headers(),
            uri: cx.uri(),
            op: cx.s3_op().name(),
            bucket,
            object,
            connection: connection.as_ref(),
            now: OffsetDateTime::now_utc(),
        })?;
        match decided {
            Decided::Pending(pending) => drop(cx.extensions_mut().insert(pending)),
            Decided::Allowed(principal, rule) => {
                let proof = Authorized {
                    principal,
                    op: rule.op,
                    denied: Arc::new(Vec::new()),
                };
                drop(cx.extensions_mut().insert(proof));
            }
        }
        Ok(())
    }

    /// Whether the request `q` describes is allowed, for the server's direct read path
    /// ([`crate::fast`]): the same authentication and decision as [`S3Access::check`], for an
    /// operation decided without its typed input. `Err` is what `check` would answer.
    pub(crate) fn allows(&self, q: AccessQuery<'_>) -> S3Result<()> {
        match self.decide_request(q)? {
            Decided::Allowed(..) => Ok(()),
            Decided::Pending(_) => Err(access_denied()),
        }
    }

    /// Authenticates the request and decides every need of its operation that the path names;
    /// an operation that needs its typed input comes back pending.
    fn decide_request(&self, q: AccessQuery<'_>) -> S3Result<Decided> {
        let signed = q.credentials.is_some() || q.resolved.is_some();
        let (snapshot, principal) = match q.resolved {
            Some(resolution) => {
                authenticate_resolved(&self.identities, resolution, q.headers, q.uri)?
            }
            None => {
                let snapshot = self.identities.iam().snapshot();
                let principal =
                    authenticate_in(&self.identities, &snapshot, q.credentials, q.headers, q.uri)?;
                (snapshot, principal)
            }
        };
        let op = q.op;
        let Some(rule) = table::rule(op) else {
            tracing::info!(op, "operation not in the authorization table: denied");
            return Err(access_denied());
        };
        let query = query_pairs(q.uri);
        let facts = RequestFacts {
            headers: q.headers,
            query: &query,
            connection: q.connection,
            auth: AuthStyle::detect(signed, op, q.headers, &query),
            now: q.now,
        };
        // Borrowed from a temporary credential's session or this thread's memo of the last
        // IAM user (see `Authorizer::subject_of`).
        let subject = self.authorizer.subject_of(&snapshot, &principal);
        // Only the values the subject's policies read are built; root (the owner) reads none
        // unless an external authoriser decides.
        let values = match subject.wanted() {
            Some(wanted) => {
                let who = Who::of_for(&principal, &snapshot, wanted);
                condition_values_for(&facts, rule, &who, wanted)
            }
            None => ConditionValues::new(),
        };
        if rule.needs_input() {
            let subject = subject.into_owned();
            return Ok(Decided::Pending(Pending {
                snapshot,
                principal,
                subject,
                values,
                rule,
            }));
        }
        for need in rule.needs {
            let (b, o) = match need.resource {
                Resource::Service => ("", None),
                Resource::Bucket => (q.bucket, None),
                Resource::Object if q.object.is_some() => (q.bucket, q.object),
                _ => {
                    tracing::warn!(op, ?need, "request path does not fit the table row: denied");
                    return Err(access_denied());
                }
            };
            self.require((&snapshot, &subject), need, b, o, &values)?;
        }
        drop(subject);
        Ok(Decided::Allowed(principal, rule))
    }

    fn require(
        &self,
        (snapshot, subject): (&IamSnapshot, &Subject),
        need: &Need,
        bucket: &str,
        object: Option<&str>,
        values: &ConditionValues,
    ) -> S3Result<()> {
        let req = Request::new(need.action, bucket, object, values);
        if self.authorizer.decide(snapshot, subject, &req).is_allowed() {
            Ok(())
        } else {
            Err(access_denied())
        }
    }

    /// Decides an operation whose object and copy source come from its typed input.
    fn decide_typed<T>(
        &self,
        req: &mut S3Request<T>,
        op: &str,
        target: (&str, Option<&str>),
        source: Option<&CopySource>,
        extra: &[(OpKey, Option<&str>)],
    ) -> S3Result<()> {
        let mut pending = take_pending(req, op)?;
        for (key, value) in extra {
            if let Some(value) = value {
                pending.values.insert_key(key.key(), *value);
            }
        }
        let rule = pending.rule;
        for need in rule.needs {
            match need.resource {
                Resource::Bucket => {
                    self.require(pending.decider(), need, target.0, None, &pending.values)?
                }
                Resource::Object => {
                    self.require(pending.decider(), need, target.0, target.1, &pending.values)?;
                }
                Resource::CopySource => match source {
                    Some(CopySource::Bucket { bucket, key, .. }) => {
                        self.require(pending.decider(), need, bucket, Some(key), &pending.values)?;
                    }
                    _ => return Err(access_denied()),
                },
                Resource::Service | Resource::EachListedObject => return Err(access_denied()),
            }
        }
        req.extensions.insert(pending.authorized(Vec::new()));
        Ok(())
    }
}

impl Pending {
    /// What [`Access::require`] decides with.
    fn decider(&self) -> (&IamSnapshot, &Subject) {
        (&self.snapshot, &self.subject)
    }

    fn authorized(self, denied: Vec<s3s::dto::Error>) -> Authorized {
        Authorized {
            principal: self.principal,
            op: self.rule.op,
            denied: Arc::new(denied),
        }
    }
}

fn take_pending<T>(req: &mut S3Request<T>, op: &str) -> S3Result<Pending> {
    match req.extensions.remove::<Pending>() {
        Some(p) if p.rule.op == op => Ok(p),
        _ => {
            tracing::warn!(op, "typed access hook without a pending check: denied");
            Err(access_denied())
        }
    }
}

/// Sets the request id on errors of the per-operation hooks (as `check` does).
fn with_id<T>(req: &S3Request<T>, result: S3Result<()>) -> S3Result<()> {
    result.map_err(|mut e| {
        if let Some(id) = req.extensions.get::<RequestId>() {
            e.set_request_id(id.as_str());
        }
        e
    })
}

#[async_trait::async_trait]
impl S3Access for Access {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let request_id = cx.extensions_mut().get::<RequestId>().cloned();
        self.check_request(cx).map_err(|mut e| {
            if let Some(id) = request_id {
                e.set_request_id(id.as_str());
            }
            e
        })
    }

    async fn post_object(&self, req: &mut S3Request<PostObjectInput>) -> S3Result<()> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let r = self.decide_typed(req, "PostObject", (&bucket, Some(&key)), None, &[]);
        with_id(req, r)
    }

    async fn create_bucket(&self, req: &mut S3Request<CreateBucketInput>) -> S3Result<()> {
        let bucket = req.input.bucket.clone();
        let location = req
            .input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|l| l.as_str().to_owned());
        let extra = [(OpKey::LocationConstraint, location.as_deref())];
        let r = self.decide_typed(req, "CreateBucket", (&bucket, None), None, &extra);
        with_id(req, r)
    }

    async fn copy_object(&self, req: &mut S3Request<CopyObjectInput>) -> S3Result<()> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let source = req.input.copy_source.clone();
        let r = self.decide_typed(req, "CopyObject", (&bucket, Some(&key)), Some(&source), &[]);
        with_id(req, r)
    }

    async fn upload_part_copy(&self, req: &mut S3Request<UploadPartCopyInput>) -> S3Result<()> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let source = req.input.copy_source.clone();
        let r = self.decide_typed(
            req,
            "UploadPartCopy",
            (&bucket, Some(&key)),
            Some(&source),
            &[],
        );
        with_id(req, r)
    }

    /// Each listed object is its own decision: refused ones leave the input and are reported as
    /// `AccessDenied` entries of the result; the rest go to the backend.
    async fn delete_objects(&self, req: &mut S3Request<DeleteObjectsInput>) -> S3Result<()> {
        let pending = match take_pending(req, "DeleteObjects") {
            Ok(p) => p,
            Err(e) => return with_id(req, Err(e)),
        };
        let bucket = req.input.bucket.clone();
        let need = pending.rule.needs.first().copied();
        let objects = std::mem::take(&mut req.input.delete.objects);
        let mut allowed = Vec::with_capacity(objects.len());
        let mut denied = Vec::new();
        for object in objects {
            let ok = need.is_some_and(|need| {
                let versioned;
                let values = match &object.version_id {
                    Some(v) => {
                        versioned = {
                            let mut with_version = pending.values.clone();
                            with_version.insert_key(Key::S3VersionId, v.as_str());
                            with_version
                        };
                        &versioned
                    }
                    None => &pending.values,
                };
                self.require(pending.decider(), &need, &bucket, Some(&object.key), values)
                    .is_ok()
            });
            if ok {
                allowed.push(object);
            } else {
                denied.push(s3s::dto::Error {
                    code: Some("AccessDenied".into()),
                    key: Some(object.key),
                    message: Some("Access Denied.".into()),
                    version_id: object.version_id,
                });
            }
        }
        req.input.delete.objects = allowed;
        req.extensions.insert(pending.authorized(denied));
        Ok(())
    }
}

fn access_denied() -> S3Error {
    S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied.")
}
