//! The condition values of one request (spec §12.4), built once per request.
//!
//! - `aws:SourceIp` and `aws:SecureTransport` come from the connection the listener recorded
//!   ([`ConnectionInfo`]); `X-Forwarded-For` and similar headers are never trusted.
//! - `aws:username`, `aws:userid`, `aws:principaltype` and `aws:groups` come from the
//!   authenticated identity and are written last; nothing from the request can set them.
//! - `s3:signatureversion`, `s3:authType`, `s3:signatureAge` describe how the request was signed.
//! - S3 header keys (`s3:x-amz-content-sha256`, encryption, storage class, object lock) are set when
//!   the header is present; the operation's own keys come from its row in [`super::table`].

use std::cell::RefCell;
use std::sync::{Arc, LazyLock};

use http::header::{HeaderName, REFERER, USER_AGENT};
use http::{HeaderMap, Uri};
use strongbox_iam::IamSnapshot;
use strongbox_policy::{Binding, ConditionValues, Key, KeySet};
use time::OffsetDateTime;

use super::table::{OpKey, Rule};
use crate::http::ConnectionInfo;
use crate::identity::{Identity, Principal, percent_decode};

/// Headers whose value becomes an `s3:` condition key of the same meaning.
const HEADER_KEYS: &[(&str, Key)] = &[
    ("x-amz-content-sha256", Key::S3ContentSha256),
    ("x-amz-server-side-encryption", Key::S3ServerSideEncryption),
    (
        "x-amz-server-side-encryption-customer-algorithm",
        Key::S3SseCustomerAlgorithm,
    ),
    (
        "x-amz-server-side-encryption-aws-kms-key-id",
        Key::S3SseKmsKeyId,
    ),
    ("x-amz-storage-class", Key::S3StorageClass),
    ("x-amz-object-lock-mode", Key::S3ObjectLockMode),
    (
        "x-amz-object-lock-retain-until-date",
        Key::S3ObjectLockRetainUntilDate,
    ),
    ("x-amz-object-lock-legal-hold", Key::S3ObjectLockLegalHold),
];

/// The bits ([`Key::bit`]) of the keys of [`HEADER_KEYS`]: no header is looked up for a
/// subject whose policies read none of them.
const HEADER_BITS: u64 = {
    let mut bits = 0;
    let mut i = 0;
    while i < HEADER_KEYS.len() {
        bits |= HEADER_KEYS[i].1.bit();
        i += 1;
    }
    bits
};

/// [`HEADER_KEYS`] with parsed header names (a lookup by `HeaderName` skips parsing the name).
static HEADER_NAMES: LazyLock<Vec<(HeaderName, Key)>> = LazyLock::new(|| {
    HEADER_KEYS
        .iter()
        .map(|(name, key)| (HeaderName::from_static(name), *key))
        .collect()
});

/// Who the policy variables describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// `aws:username` = `aws:userid`: the user whose rights are exercised (a service account's
    /// parent); `None` for anonymous requests, and when neither key is read (the principal's
    /// policies are bound to it, see [`identity_binding`]). Shared, not copied, into both
    /// keys' values.
    pub username: Option<Arc<str>>,
    /// `Account` (root and root's service accounts), `User`, or `Anonymous`.
    pub principal_type: &'static str,
    /// `aws:groups`: the enabled groups of the user (and a service account's own groups).
    pub groups: Vec<String>,
    /// `jwt:<claim>` values of an OpenID credential (a namespace of their own: they never set
    /// an `aws:` key, spec §17.3).
    pub jwt: Vec<(String, Vec<String>)>,
}

impl Who {
    #[must_use]
    pub fn of(principal: &Principal, snapshot: &IamSnapshot) -> Self {
        Self::of_for(principal, snapshot, Wanted::All)
    }

    /// [`Who::of`], leaving out the groups and claims that `wanted` does not read.
    #[must_use]
    pub fn of_for(principal: &Principal, snapshot: &IamSnapshot, wanted: Wanted<'_>) -> Self {
        let identity = match principal {
            Principal::Anonymous => {
                return Self {
                    username: None,
                    principal_type: "Anonymous",
                    groups: Vec::new(),
                    jwt: Vec::new(),
                };
            }
            Principal::Authenticated(identity) => identity,
        };
        let want_groups = wanted.wants(Key::AwsGroups);
        // Only temporary credentials carry claims: asked there, not on every request.
        let want_claims = || wanted.wants_any_in("jwt:") || wanted.wants_any_in("ldap:");
        let enabled_groups = |user: &str| -> Vec<String> {
            if !want_groups {
                return Vec::new();
            }
            snapshot
                .groups_of(user)
                .into_iter()
                .filter(|g| snapshot.group(g).is_none_or(|g| g.status.is_enabled()))
                .collect()
        };
        let mut jwt = Vec::new();
        let groups = match identity {
            Identity::Root { .. } => Vec::new(),
            Identity::User { access_key } => enabled_groups(access_key),
            Identity::ServiceAccount {
                access_key,
                parent,
                parent_is_root,
            } => {
                let mut groups = if *parent_is_root {
                    Vec::new()
                } else {
                    enabled_groups(parent)
                };
                if want_groups && let Some(sa) = snapshot.service_account(access_key) {
                    for g in &sa.groups {
                        if !groups.contains(g) {
                            groups.push(g.clone());
                        }
                    }
                }
                groups
            }
            Identity::Temporary { session } => {
                let parent = session.parent();
                let mut groups = if parent == snapshot.root_access_key() {
                    Vec::new()
                } else {
                    enabled_groups(parent)
                };
                if want_groups {
                    for g in &session.verified().claims().groups {
                        if !groups.contains(g) {
                            groups.push(g.clone());
                        }
                    }
                }
                if want_claims() {
                    jwt = strongbox_idp::openid::policy::jwt_values(session.verified().claims());
                    // `ldap:user`, `ldap:username`, `ldap:groups` of an LDAP credential.
                    jwt.extend(crate::sts::ldap::condition_values(
                        session.verified().claims(),
                    ));
                }
                groups
            }
        };
        let wants_name = wanted.wants(Key::AwsUsername) || wanted.wants(Key::AwsUserId);
        Self {
            username: wants_name.then(|| shared_name(identity.effective_user())),
            principal_type: principal_type(identity),
            groups,
            jwt,
        }
    }
}

/// `aws:principaltype` of an authenticated identity: `Account` for root and root's service
/// accounts, `AssumedRole` for temporary credentials, `User` otherwise.
#[must_use]
pub fn principal_type(identity: &Identity) -> &'static str {
    match identity {
        Identity::Root { .. } => "Account",
        Identity::User { .. } => "User",
        Identity::ServiceAccount { parent_is_root, .. } => {
            if *parent_is_root {
                "Account"
            } else {
                "User"
            }
        }
        Identity::Temporary { .. } => "AssumedRole",
    }
}

/// The condition keys whose values are the same for every request of one identity: what a
/// principal's policies can be bound to ([`strongbox_policy::PolicySet::bind`]).
pub const IDENTITY_KEYS: [Key; 3] = [Key::AwsUsername, Key::AwsUserId, Key::AwsPrincipalType];

/// The bits ([`Key::bit`]) of [`IDENTITY_KEYS`].
pub const IDENTITY_BITS: u64 =
    Key::AwsUsername.bit() | Key::AwsUserId.bit() | Key::AwsPrincipalType.bit();

/// The values of [`IDENTITY_KEYS`] in every request of an identity whose effective user is
/// `user` and whose [`principal_type`] is `principal_type`, as [`condition_values_for`] writes
/// them.
#[must_use]
pub fn identity_binding(user: &str, principal_type: &'static str) -> Binding {
    let mut values = ConditionValues::new();
    let mut v = Values {
        values: &mut values,
        wanted: Wanted::All,
        bits: u64::MAX,
    };
    write_identity(&mut v, principal_type, Some(&Arc::from(user)));
    Binding::new(&IDENTITY_KEYS, values)
}

thread_local! {
    /// The user name a thread shared last: consecutive requests on a thread mostly come from
    /// one user, whose name is then not copied again.
    static LAST_NAME: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

/// `name` as a shared text, the one this thread made last when it is the same.
fn shared_name(name: &str) -> Arc<str> {
    LAST_NAME.with_borrow_mut(|last| match last {
        Some(shared) if **shared == *name => Arc::clone(shared),
        _ => Arc::clone(last.insert(Arc::from(name))),
    })
}

/// How a request was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStyle {
    Anonymous,
    /// `Authorization` header; `v4` tells SigV4 from SigV2.
    Header {
        v4: bool,
    },
    /// Presigned URL; `signed_at` is SigV4's `X-Amz-Date`.
    Query {
        v4: bool,
        signed_at: Option<OffsetDateTime>,
    },
    /// Browser POST form upload.
    PostForm,
}

impl AuthStyle {
    /// Reads the style from the request as s3s verified it.
    #[must_use]
    pub fn detect(signed: bool, op: &str, headers: &HeaderMap, query: &[(String, String)]) -> Self {
        if !signed {
            return Self::Anonymous;
        }
        if op == "PostObject" {
            return Self::PostForm;
        }
        if let Some(auth) = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            return Self::Header {
                v4: auth.starts_with("AWS4-HMAC-SHA256"),
            };
        }
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let v4 = get("X-Amz-Algorithm").is_some();
        let signed_at = get("X-Amz-Date").and_then(crate::scope::parse_amz_date);
        Self::Query { v4, signed_at }
    }
}

/// The decoded query parameters of a request (malformed escapes are dropped: s3s has refused
/// such requests before they reach authorisation).
#[must_use]
pub fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    let Some(query) = uri.query() else {
        return Vec::new();
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

/// The parts of a request the condition values are built from.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub headers: &'a HeaderMap,
    pub query: &'a [(String, String)],
    pub connection: Option<&'a ConnectionInfo>,
    pub auth: AuthStyle,
    pub now: OffsetDateTime,
}

/// Which condition values a decision reads: all of them, or those its policy sets read
/// ([`strongbox_policy::PolicySet::reads`]). Values nobody reads are not built.
#[derive(Debug, Clone, Copy)]
pub enum Wanted<'a> {
    /// An external authoriser or a bucket policy decides: every value.
    All,
    /// What these sets read (a principal's policies and its session or embedded policy).
    Read(Option<&'a KeySet>, Option<&'a KeySet>),
}

impl Wanted<'_> {
    /// Whether the value of the known `key` is read (a bit test per set).
    #[must_use]
    pub fn wants(self, key: Key) -> bool {
        match self {
            Self::All => true,
            Self::Read(a, b) => {
                a.is_some_and(|s| s.reads_key(key)) || b.is_some_and(|s| s.reads_key(key))
            }
        }
    }

    /// The known keys whose values are built, one bit per [`Key`] ([`Key::bit`]).
    #[must_use]
    pub fn known_bits(self) -> u64 {
        match self {
            Self::All => u64::MAX,
            Self::Read(a, b) => a.map_or(0, KeySet::known_bits) | b.map_or(0, KeySet::known_bits),
        }
    }

    /// The most known keys whose values are built (room reserved once, never grown).
    #[must_use]
    pub fn known_capacity(self) -> usize {
        match self {
            Self::All => 16,
            Self::Read(a, b) => a.map_or(0, KeySet::known_len) + b.map_or(0, KeySet::known_len),
        }
    }

    /// Whether the value of `key`, by name (a `jwt:` claim), is read.
    #[must_use]
    pub fn wants_name(self, key: &str) -> bool {
        match self {
            Self::All => true,
            Self::Read(a, b) => a.is_some_and(|s| s.reads(key)) || b.is_some_and(|s| s.reads(key)),
        }
    }

    /// Whether any key of the namespace `prefix` (lower case, e.g. `jwt:`) is read.
    #[must_use]
    pub fn wants_any_in(self, prefix: &str) -> bool {
        match self {
            Self::All => true,
            Self::Read(a, b) => {
                a.is_some_and(|s| s.reads_any_in(prefix))
                    || b.is_some_and(|s| s.reads_any_in(prefix))
            }
        }
    }
}

/// Builds the condition values of one request for operation `rule` by `who`.
#[must_use]
pub fn condition_values(facts: &RequestFacts<'_>, rule: &Rule, who: &Who) -> ConditionValues {
    condition_values_for(facts, rule, who, Wanted::All)
}

/// [`condition_values`] with only the values `wanted` reads.
#[must_use]
pub fn condition_values_for(
    facts: &RequestFacts<'_>,
    rule: &Rule,
    who: &Who,
    wanted: Wanted<'_>,
) -> ConditionValues {
    // Filled where it is returned from: the values are not copied on their way out.
    let mut values = ConditionValues::with_capacity(wanted.known_capacity());
    fill(&mut values, facts, rule, who, wanted);
    values
}

/// [`condition_values_for`] into `values` (empty).
fn fill(
    values: &mut ConditionValues,
    facts: &RequestFacts<'_>,
    rule: &Rule,
    who: &Who,
    wanted: Wanted<'_>,
) {
    let mut v = Values {
        values,
        wanted,
        bits: wanted.known_bits(),
    };
    let header = |name: &HeaderName| facts.headers.get(name).and_then(|h| h.to_str().ok());
    let query = |name: &str| {
        facts
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };

    // Typed: shown as text only if a condition compares the text.
    if v.wants(Key::AwsCurrentTime) {
        v.values.set_current_time(facts.now);
    }
    if v.wants(Key::AwsEpochTime) {
        v.values.set_epoch_time(facts.now);
    }
    if let Some(conn) = facts.connection {
        if v.wants(Key::AwsSourceIp) {
            v.values.set_source_ip(conn.peer.ip());
        }
        v.one(
            Key::AwsSecureTransport,
            if conn.tls { "true" } else { "false" },
        );
    }
    if v.wants(Key::AwsUserAgent)
        && let Some(ua) = header(&USER_AGENT)
    {
        v.insert(Key::AwsUserAgent, ua);
    }
    if v.wants(Key::AwsReferer)
        && let Some(referer) = header(&REFERER)
    {
        v.insert(Key::AwsReferer, referer);
    }

    match facts.auth {
        AuthStyle::Anonymous => {}
        AuthStyle::Header { v4 } => {
            v.one(Key::S3SignatureVersion, signature_version(v4));
            v.one(Key::S3AuthType, "REST-HEADER");
        }
        AuthStyle::Query { v4, signed_at } => {
            v.one(Key::S3SignatureVersion, signature_version(v4));
            v.one(Key::S3AuthType, "REST-QUERY-STRING");
            if let Some(at) = signed_at
                && v.wants(Key::S3SignatureAge)
            {
                let age = (facts.now - at).whole_milliseconds().max(0);
                v.insert(Key::S3SignatureAge, age.to_string());
            }
        }
        AuthStyle::PostForm => {
            v.one(Key::S3AuthType, "POST");
        }
    }

    let headers_read = v.bits & HEADER_BITS != 0;
    for (name, key) in HEADER_NAMES.iter().filter(|_| headers_read) {
        if v.wants(*key)
            && let Some(value) = header(name)
        {
            v.insert(*key, value);
        }
    }
    for op_key in rule.keys {
        let key = op_key.key();
        if !v.wants(key) {
            continue;
        }
        let value = match op_key {
            OpKey::Prefix => query("prefix"),
            OpKey::Delimiter => query("delimiter"),
            OpKey::MaxKeys => query("max-keys"),
            OpKey::VersionId => query("versionId"),
            OpKey::CopySource => facts
                .headers
                .get("x-amz-copy-source")
                .and_then(|h| h.to_str().ok()),
            OpKey::MetadataDirective => facts
                .headers
                .get("x-amz-metadata-directive")
                .and_then(|h| h.to_str().ok()),
            // From the typed input: set by the per-operation hook.
            OpKey::LocationConstraint => None,
        };
        if let Some(value) = value {
            v.insert(key, value);
        }
    }

    for (key, values) in &who.jwt {
        if v.wanted.wants_name(key) {
            v.values.set(key, values.iter().map(String::as_str));
        }
    }
    // Identity keys last, replacing anything: the request cannot speak for the principal.
    write_identity(&mut v, who.principal_type, who.username.as_ref());
    v.set(Key::AwsGroups, who.groups.iter().map(String::as_str));
}

/// Writes the keys of [`IDENTITY_KEYS`]: the one place both a request's values and a
/// principal's [`identity_binding`] are made.
fn write_identity(v: &mut Values<'_, '_>, principal_type: &'static str, user: Option<&Arc<str>>) {
    v.one(Key::AwsPrincipalType, principal_type);
    for key in [Key::AwsUsername, Key::AwsUserId] {
        if !v.wants(key) {
            continue;
        }
        match user {
            Some(user) => v.values.set_shared(key, Arc::clone(user)),
            None => v.values.remove_key(key),
        };
    }
}

/// The values being built: `insert` and `set` skip keys nobody reads.
struct Values<'v, 'a> {
    values: &'v mut ConditionValues,
    wanted: Wanted<'a>,
    /// [`Wanted::known_bits`] of `wanted`, united once: each known key is one bit test.
    bits: u64,
}

impl Values<'_, '_> {
    fn wants(&self, key: Key) -> bool {
        self.bits & key.bit() != 0
    }

    fn insert(&mut self, key: Key, value: impl Into<String>) {
        if self.wants(key) {
            self.values.insert_key(key, value);
        }
    }

    /// Sets the one constant value of `key`.
    fn one(&mut self, key: Key, value: &'static str) {
        if self.wants(key) {
            self.values.set_one(key, value);
        }
    }

    fn set<'v>(&mut self, key: Key, values: impl IntoIterator<Item = &'v str>) {
        if self.wants(key) {
            self.values.set_key(key, values);
        }
    }
}

fn signature_version(v4: bool) -> &'static str {
    if v4 { "AWS4-HMAC-SHA256" } else { "AWS" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::table::rule;
    use std::net::SocketAddr;

    fn who_bob() -> Who {
        Who {
            username: Some("bob".into()),
            principal_type: "User",
            groups: vec!["devs".into()],
            jwt: Vec::new(),
        }
    }

    #[test]
    fn connection_identity_and_list_keys() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=x".parse().unwrap(),
        );
        headers.insert("user-agent", "curl/8".parse().unwrap());
        headers.insert("x-forwarded-for", "10.9.9.9".parse().unwrap());
        headers.insert("x-amz-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
        let uri: Uri =
            "/b?list-type=2&prefix=home%2Fbob%2F&delimiter=%2F&max-keys=10&aws%3Ausername=root"
                .parse()
                .unwrap();
        let query = query_pairs(&uri);
        // A dual-stack listener reports IPv4 peers as IPv4-mapped IPv6.
        let conn = ConnectionInfo {
            peer: "[::ffff:127.0.0.1]:5000".parse::<SocketAddr>().unwrap(),
            tls: false,
            peer_certificates: None,
        };
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let facts = RequestFacts {
            headers: &headers,
            query: &query,
            connection: Some(&conn),
            auth: AuthStyle::detect(true, "ListObjectsV2", &headers, &query),
            now,
        };
        let v = condition_values(&facts, rule("ListObjectsV2").unwrap(), &who_bob());
        let one = |k: &str| v.get(k).map(|x| x.join(","));
        assert_eq!(one("aws:SourceIp").as_deref(), Some("127.0.0.1"));
        assert_eq!(one("aws:SecureTransport").as_deref(), Some("false"));
        assert_eq!(one("aws:UserAgent").as_deref(), Some("curl/8"));
        assert_eq!(one("aws:EpochTime").as_deref(), Some("1700000000"));
        assert_eq!(
            one("aws:CurrentTime").as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(one("aws:username").as_deref(), Some("bob"));
        assert_eq!(one("aws:userid").as_deref(), Some("bob"));
        assert_eq!(one("aws:principaltype").as_deref(), Some("User"));
        assert_eq!(one("aws:groups").as_deref(), Some("devs"));
        assert_eq!(one("s3:prefix").as_deref(), Some("home/bob/"));
        assert_eq!(one("s3:delimiter").as_deref(), Some("/"));
        assert_eq!(one("s3:max-keys").as_deref(), Some("10"));
        assert_eq!(
            one("s3:signatureversion").as_deref(),
            Some("AWS4-HMAC-SHA256")
        );
        assert_eq!(one("s3:authType").as_deref(), Some("REST-HEADER"));
        assert_eq!(
            one("s3:x-amz-content-sha256").as_deref(),
            Some("UNSIGNED-PAYLOAD")
        );
        assert_eq!(one("aws:Referer"), None);
    }

    #[test]
    fn presigned_anonymous_and_op_keys_only_where_the_table_says() {
        let headers = HeaderMap::new();
        let uri: Uri = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20231114T221310Z&prefix=p&versionId=v1"
            .parse()
            .unwrap();
        let query = query_pairs(&uri);
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let facts = RequestFacts {
            headers: &headers,
            query: &query,
            connection: None,
            auth: AuthStyle::detect(true, "GetObject", &headers, &query),
            now,
        };
        let v = condition_values(&facts, rule("GetObject").unwrap(), &who_bob());
        assert_eq!(v.get("s3:authType").unwrap(), ["REST-QUERY-STRING"]);
        assert_eq!(v.get("s3:signatureAge").unwrap(), ["10000"]);
        assert_eq!(v.get("s3:versionid").unwrap(), ["v1"]);
        assert!(v.get("s3:prefix").is_none(), "GetObject has no s3:prefix");
        assert!(v.get("aws:SourceIp").is_none());

        let anonymous = Who::of(&Principal::Anonymous, &empty_snapshot());
        let facts = RequestFacts {
            auth: AuthStyle::detect(false, "GetObject", &headers, &query),
            ..facts
        };
        let v = condition_values(&facts, rule("GetObject").unwrap(), &anonymous);
        assert_eq!(v.get("aws:principaltype").unwrap(), ["Anonymous"]);
        assert!(v.get("aws:username").is_none());
        assert!(v.get("s3:authType").is_none());
    }

    fn empty_snapshot() -> std::sync::Arc<IamSnapshot> {
        let root = crate::RootCredentials::new("rootuser".into(), "rootpassword".into()).unwrap();
        strongbox_iam::Iam::with_store(
            std::sync::Arc::new(strongbox_iam::MemoryStore::new()),
            crate::authz::iam_config(&root),
        )
        .unwrap()
        .snapshot()
    }

    /// Values built for what some policies read are exactly the full values of those keys, for
    /// sets reading nothing, a few keys, header keys only, or everything known.
    #[test]
    fn wanted_values_are_the_full_values_of_the_keys_read() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("authorization", "AWS4-HMAC-SHA256 Credential=x"),
            ("user-agent", "curl/8"),
            ("referer", "https://example.com/"),
            ("x-amz-server-side-encryption", "AES256"),
            ("x-amz-storage-class", "STANDARD"),
            ("x-amz-copy-source", "/src/key"),
            ("x-amz-metadata-directive", "REPLACE"),
        ] {
            headers.insert(name, value.parse().unwrap());
        }
        let query = query_pairs(&"/b?prefix=p&delimiter=%2F&max-keys=3".parse().unwrap());
        let conn = ConnectionInfo {
            peer: "10.1.2.3:5000".parse::<SocketAddr>().unwrap(),
            tls: true,
            peer_certificates: None,
        };
        let facts = RequestFacts {
            headers: &headers,
            query: &query,
            connection: Some(&conn),
            auth: AuthStyle::detect(true, "CopyObject", &headers, &query),
            now: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
        };
        let reading = |keys: &[Key]| -> KeySet {
            let conditions: Vec<String> = keys
                .iter()
                .map(|k| format!(r#""{}":"x""#, k.name()))
                .collect();
            let doc = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{{"StringEquals":{{{}}}}}}}]}}"#,
                conditions.join(",")
            );
            let mut set = strongbox_policy::PolicySet::new();
            set.add(
                "p",
                Arc::new(strongbox_policy::Policy::parse(doc.as_bytes()).unwrap()),
            );
            set.reads().clone()
        };
        let sets = [
            KeySet::new(),
            reading(&[Key::AwsSourceIp, Key::S3SignatureVersion, Key::AwsUsername]),
            reading(&[Key::S3ServerSideEncryption, Key::S3StorageClass]),
            reading(&[Key::S3CopySource, Key::AwsGroups, Key::AwsReferer]),
            // Every known key an S3 statement may read.
            reading(
                &Key::ALL
                    .iter()
                    .copied()
                    .filter(|k| !k.name().starts_with("sts:") && !k.name().starts_with("svc:"))
                    .collect::<Vec<_>>(),
            ),
        ];
        for op in ["CopyObject", "ListObjectsV2", "GetObject"] {
            let rule = rule(op).unwrap();
            let all = condition_values(&facts, rule, &who_bob());
            for (i, set) in sets.iter().enumerate() {
                let other = reading(&[Key::AwsCurrentTime]);
                for wanted in [
                    Wanted::Read(Some(set), None),
                    Wanted::Read(None, Some(set)),
                    Wanted::Read(Some(set), Some(&other)),
                ] {
                    let some = condition_values_for(&facts, rule, &who_bob(), wanted);
                    let mut built = 0;
                    for key in Key::ALL {
                        let read = wanted.wants(*key);
                        assert_eq!(wanted.known_bits() & key.bit() != 0, read);
                        let expected = if read { all.get(key.name()) } else { None };
                        assert_eq!(some.get(key.name()), expected, "{op} set {i} {key:?}");
                        built += usize::from(expected.is_some());
                    }
                    assert_eq!(some.len(), built, "{op} set {i}");
                }
            }
        }
        // The full values of this request hold keys of every kind the sets read.
        let all = condition_values(&facts, rule("CopyObject").unwrap(), &who_bob());
        for key in [
            Key::AwsSourceIp,
            Key::S3ServerSideEncryption,
            Key::S3CopySource,
            Key::AwsGroups,
            Key::AwsReferer,
        ] {
            assert!(all.get(key.name()).is_some(), "{key:?}");
        }
    }
}
