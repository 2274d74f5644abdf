//! IAM action names Strongbox knows, as one enum, and action patterns compiled to bit sets.
//!
//! Names follow MinIO's `s3:`, `admin:`, `kms:` and `sts:` actions (spec §12.3). A policy may name an
//! action with `*` / `?` wildcards; matching is ASCII case-insensitive (AWS treats action names that
//! way; MinIO is case-sensitive, so we accept a superset). A pattern that matches no known action is
//! refused, which also catches homoglyph look-alikes (`s3:GetΟbject` with a Greek Omicron).
//!
//! Because the set of actions is closed, a statement's Action list compiles to a bit set and matching
//! a request's action is one bit test.

use crate::glob::wildcard_match;

/// The service an action belongs to. Resource matching applies to S3 actions only (spec §12.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    S3,
    Admin,
    Kms,
    Sts,
}

macro_rules! actions {
    ($($variant:ident => $name:literal,)*) => {
        /// Every IAM action Strongbox can be asked to authorise.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        pub enum Action { $($variant,)* }

        impl Action {
            /// All actions, in declaration order (`ALL[a.index()] == a`).
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The action's name as written in policies, e.g. `s3:GetObject`.
            pub const fn as_str(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }
        }
    };
}

actions! {
    // S3 (pkg:policy/action.go)
    AbortMultipartUpload => "s3:AbortMultipartUpload",
    CreateBucket => "s3:CreateBucket",
    DeleteBucket => "s3:DeleteBucket",
    ForceDeleteBucket => "s3:ForceDeleteBucket",
    DeleteBucketPolicy => "s3:DeleteBucketPolicy",
    DeleteBucketCors => "s3:DeleteBucketCors",
    DeleteObject => "s3:DeleteObject",
    GetBucketLocation => "s3:GetBucketLocation",
    GetBucketNotification => "s3:GetBucketNotification",
    GetBucketPolicy => "s3:GetBucketPolicy",
    GetBucketCors => "s3:GetBucketCors",
    GetObject => "s3:GetObject",
    GetObjectAttributes => "s3:GetObjectAttributes",
    HeadBucket => "s3:HeadBucket",
    ListAllMyBuckets => "s3:ListAllMyBuckets",
    ListBucket => "s3:ListBucket",
    GetBucketPolicyStatus => "s3:GetBucketPolicyStatus",
    ListBucketVersions => "s3:ListBucketVersions",
    ListBucketMultipartUploads => "s3:ListBucketMultipartUploads",
    ListenNotification => "s3:ListenNotification",
    ListenBucketNotification => "s3:ListenBucketNotification",
    ListMultipartUploadParts => "s3:ListMultipartUploadParts",
    PutLifecycleConfiguration => "s3:PutLifecycleConfiguration",
    GetLifecycleConfiguration => "s3:GetLifecycleConfiguration",
    PutBucketNotification => "s3:PutBucketNotification",
    PutBucketPolicy => "s3:PutBucketPolicy",
    PutBucketCors => "s3:PutBucketCors",
    PutBucketQos => "s3:PutBucketQOS",
    GetBucketQos => "s3:GetBucketQOS",
    PutObject => "s3:PutObject",
    DeleteObjectVersion => "s3:DeleteObjectVersion",
    DeleteObjectVersionTagging => "s3:DeleteObjectVersionTagging",
    GetObjectVersion => "s3:GetObjectVersion",
    GetObjectVersionAttributes => "s3:GetObjectVersionAttributes",
    GetObjectVersionTagging => "s3:GetObjectVersionTagging",
    PutObjectVersionTagging => "s3:PutObjectVersionTagging",
    BypassGovernanceRetention => "s3:BypassGovernanceRetention",
    PutObjectRetention => "s3:PutObjectRetention",
    GetObjectRetention => "s3:GetObjectRetention",
    GetObjectLegalHold => "s3:GetObjectLegalHold",
    PutObjectLegalHold => "s3:PutObjectLegalHold",
    GetBucketObjectLockConfiguration => "s3:GetBucketObjectLockConfiguration",
    PutBucketObjectLockConfiguration => "s3:PutBucketObjectLockConfiguration",
    GetBucketTagging => "s3:GetBucketTagging",
    PutBucketTagging => "s3:PutBucketTagging",
    GetObjectTagging => "s3:GetObjectTagging",
    PutObjectTagging => "s3:PutObjectTagging",
    DeleteObjectTagging => "s3:DeleteObjectTagging",
    PutEncryptionConfiguration => "s3:PutEncryptionConfiguration",
    GetEncryptionConfiguration => "s3:GetEncryptionConfiguration",
    PutBucketVersioning => "s3:PutBucketVersioning",
    GetBucketVersioning => "s3:GetBucketVersioning",
    GetReplicationConfiguration => "s3:GetReplicationConfiguration",
    PutReplicationConfiguration => "s3:PutReplicationConfiguration",
    ReplicateObject => "s3:ReplicateObject",
    ReplicateDelete => "s3:ReplicateDelete",
    ReplicateTags => "s3:ReplicateTags",
    GetObjectVersionForReplication => "s3:GetObjectVersionForReplication",
    RestoreObject => "s3:RestoreObject",
    ResetBucketReplicationState => "s3:ResetBucketReplicationState",
    PutObjectFanOut => "s3:PutObjectFanOut",
    // Admin (pkg:policy/admin-action.go)
    AdminHeal => "admin:Heal",
    AdminDecommission => "admin:Decommission",
    AdminRebalance => "admin:Rebalance",
    AdminStorageInfo => "admin:StorageInfo",
    AdminPrometheus => "admin:Prometheus",
    AdminDataUsageInfo => "admin:DataUsageInfo",
    AdminForceUnlock => "admin:ForceUnlock",
    AdminTopLocksInfo => "admin:TopLocksInfo",
    AdminProfiling => "admin:Profiling",
    AdminServerTrace => "admin:ServerTrace",
    AdminConsoleLog => "admin:ConsoleLog",
    AdminKmsCreateKey => "admin:KMSCreateKey",
    AdminKmsKeyStatus => "admin:KMSKeyStatus",
    AdminServerInfo => "admin:ServerInfo",
    AdminObdInfo => "admin:OBDInfo",
    AdminLicenseInfo => "admin:LicenseInfo",
    AdminBandwidthMonitor => "admin:BandwidthMonitor",
    AdminInspectData => "admin:InspectData",
    AdminServerUpdate => "admin:ServerUpdate",
    AdminServiceRestart => "admin:ServiceRestart",
    AdminServiceStop => "admin:ServiceStop",
    AdminServiceFreeze => "admin:ServiceFreeze",
    AdminServiceCordon => "admin:ServiceCordon",
    AdminConfigUpdate => "admin:ConfigUpdate",
    AdminCreateUser => "admin:CreateUser",
    AdminDeleteUser => "admin:DeleteUser",
    AdminListUsers => "admin:ListUsers",
    AdminEnableUser => "admin:EnableUser",
    AdminDisableUser => "admin:DisableUser",
    AdminGetUser => "admin:GetUser",
    AdminSiteReplicationAdd => "admin:SiteReplicationAdd",
    AdminSiteReplicationDisable => "admin:SiteReplicationDisable",
    AdminSiteReplicationRemove => "admin:SiteReplicationRemove",
    AdminSiteReplicationResync => "admin:SiteReplicationResync",
    AdminSiteReplicationInfo => "admin:SiteReplicationInfo",
    AdminSiteReplicationOperation => "admin:SiteReplicationOperation",
    AdminCreateServiceAccount => "admin:CreateServiceAccount",
    AdminUpdateServiceAccount => "admin:UpdateServiceAccount",
    AdminRemoveServiceAccount => "admin:RemoveServiceAccount",
    AdminListServiceAccounts => "admin:ListServiceAccounts",
    AdminListTemporaryAccounts => "admin:ListTemporaryAccounts",
    AdminAddUserToGroup => "admin:AddUserToGroup",
    AdminRemoveUserFromGroup => "admin:RemoveUserFromGroup",
    AdminGetGroup => "admin:GetGroup",
    AdminListGroups => "admin:ListGroups",
    AdminEnableGroup => "admin:EnableGroup",
    AdminDisableGroup => "admin:DisableGroup",
    AdminCreatePolicy => "admin:CreatePolicy",
    AdminDeletePolicy => "admin:DeletePolicy",
    AdminGetPolicy => "admin:GetPolicy",
    AdminAttachUserOrGroupPolicy => "admin:AttachUserOrGroupPolicy",
    AdminUpdatePolicyAssociation => "admin:UpdatePolicyAssociation",
    AdminListUserPolicies => "admin:ListUserPolicies",
    AdminSetBucketQuota => "admin:SetBucketQuota",
    AdminGetBucketQuota => "admin:GetBucketQuota",
    AdminSetBucketTarget => "admin:SetBucketTarget",
    AdminGetBucketTarget => "admin:GetBucketTarget",
    AdminReplicationDiff => "admin:ReplicationDiff",
    AdminImportBucketMetadata => "admin:ImportBucketMetadata",
    AdminExportBucketMetadata => "admin:ExportBucketMetadata",
    AdminSetTier => "admin:SetTier",
    AdminListTier => "admin:ListTier",
    AdminExportIam => "admin:ExportIAM",
    AdminImportIam => "admin:ImportIAM",
    AdminListBatchJobs => "admin:ListBatchJobs",
    AdminDescribeBatchJob => "admin:DescribeBatchJob",
    AdminStartBatchJob => "admin:StartBatchJob",
    AdminCancelBatchJob => "admin:CancelBatchJob",
    AdminGenerateBatchJob => "admin:GenerateBatchJob",
    // KMS (pkg:policy/kms-action.go)
    KmsCreateKey => "kms:CreateKey",
    KmsDeleteKey => "kms:DeleteKey",
    KmsListKeys => "kms:ListKeys",
    KmsImportKey => "kms:ImportKey",
    KmsDescribePolicy => "kms:DescribePolicy",
    KmsAssignPolicy => "kms:AssignPolicy",
    KmsDeletePolicy => "kms:DeletePolicy",
    KmsSetPolicy => "kms:SetPolicy",
    KmsGetPolicy => "kms:GetPolicy",
    KmsListPolicies => "kms:ListPolicies",
    KmsDescribeIdentity => "kms:DescribeIdentity",
    KmsDescribeSelfIdentity => "kms:DescribeSelfIdentity",
    KmsDeleteIdentity => "kms:DeleteIdentity",
    KmsListIdentities => "kms:ListIdentities",
    KmsKeyStatus => "kms:KeyStatus",
    KmsStatus => "kms:Status",
    KmsApi => "kms:API",
    KmsMetrics => "kms:Metrics",
    KmsVersion => "kms:Version",
    KmsAuditLog => "kms:AuditLog",
    KmsErrorLog => "kms:ErrorLog",
    KmsEnable => "kms:Enable",
    KmsKeyRotate => "kms:KeyRotate",
    // STS: the only STS action a policy can name (spec §12.3).
    StsAssumeRoleWithWebIdentity => "sts:AssumeRoleWithWebIdentity",
}

impl Action {
    /// Position in [`Action::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Which service the action belongs to (a table lookup: evaluation asks for every request).
    pub fn service(self) -> Service {
        SERVICES[self.index()]
    }

    /// Looks an action up by exact name (case-insensitive, like policy matching).
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.as_str().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The service of an action name, by its prefix.
const fn service_of(name: &str) -> Service {
    const fn starts_with(name: &[u8], prefix: &[u8]) -> bool {
        if name.len() < prefix.len() {
            return false;
        }
        let mut i = 0;
        while i < prefix.len() {
            if name[i] != prefix[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    let name = name.as_bytes();
    if starts_with(name, b"s3:") {
        Service::S3
    } else if starts_with(name, b"admin:") {
        Service::Admin
    } else if starts_with(name, b"kms:") {
        Service::Kms
    } else {
        Service::Sts
    }
}

/// [`Action::service`] of every action, by index.
static SERVICES: [Service; Action::ALL.len()] = {
    let mut out = [Service::S3; Action::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = service_of(Action::ALL[i].as_str());
        i += 1;
    }
    out
};

const WORDS: usize = Action::ALL.len().div_ceil(64);

/// A set of actions as bits; `contains` is one shift and one AND.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct ActionSet([u64; WORDS]);

impl ActionSet {
    pub fn all() -> Self {
        let mut s = ActionSet::default();
        for a in Action::ALL {
            s.insert(*a);
        }
        s
    }
    pub fn insert(&mut self, a: Action) {
        self.0[a.index() / 64] |= 1 << (a.index() % 64);
    }
    pub fn contains(&self, a: Action) -> bool {
        self.0[a.index() / 64] & (1 << (a.index() % 64)) != 0
    }
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    pub fn union(&self, other: &ActionSet) -> ActionSet {
        let mut out = *self;
        for (o, x) in out.0.iter_mut().zip(other.0.iter()) {
            *o |= x;
        }
        out
    }
    /// The actions not in this set.
    pub fn complement(&self) -> ActionSet {
        let all = ActionSet::all();
        let mut out = *self;
        for (o, x) in out.0.iter_mut().zip(all.0.iter()) {
            *o = !*o & x;
        }
        out
    }
    pub fn iter(&self) -> impl Iterator<Item = Action> + '_ {
        Action::ALL.iter().copied().filter(|a| self.contains(*a))
    }
    /// Whether any action of `service` is in the set.
    pub fn touches(&self, service: Service) -> bool {
        self.iter().any(|a| a.service() == service)
    }
}

/// Compiles one action pattern from a policy (`s3:Get*`, `*`, `admin:ServerInfo`) to the set of known
/// actions it matches. `Err` carries a human message.
pub(crate) fn compile_pattern(pattern: &str) -> Result<ActionSet, String> {
    if pattern.is_empty() {
        return Err("empty action".into());
    }
    if !pattern
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'*' | b'?' | b'-' | b'_'))
    {
        return Err(format!(
            "action {pattern:?} contains characters no action name has"
        ));
    }
    if pattern != "*" && !pattern.contains(':') {
        return Err(format!(
            "action {pattern:?} must be of the form service:name"
        ));
    }
    let lower = pattern.to_ascii_lowercase();
    let mut set = ActionSet::default();
    for a in Action::ALL {
        if wildcard_match(&lower, &a.as_str().to_ascii_lowercase()) {
            set.insert(*a);
        }
    }
    if set.is_empty() {
        return Err(format!(
            "action {pattern:?} does not match any supported action"
        ));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_indexed_in_order() {
        for (i, a) in Action::ALL.iter().enumerate() {
            assert_eq!(a.index(), i);
            assert_eq!(Action::from_name(a.as_str()), Some(*a));
            let (prefix, _) = a.as_str().split_once(':').unwrap();
            let service = match prefix {
                "s3" => Service::S3,
                "admin" => Service::Admin,
                "kms" => Service::Kms,
                "sts" => Service::Sts,
                other => panic!("unknown service {other}"),
            };
            assert_eq!(a.service(), service, "{a}");
        }
    }

    #[test]
    fn patterns() {
        let s = compile_pattern("s3:Get*").unwrap();
        assert!(s.contains(Action::GetObject));
        assert!(!s.contains(Action::PutObject));
        assert!(!s.touches(Service::Admin));
        assert!(
            compile_pattern("s3:getobject")
                .unwrap()
                .contains(Action::GetObject)
        );
        assert!(
            compile_pattern("*")
                .unwrap()
                .contains(Action::AdminServerInfo)
        );
        assert!(
            compile_pattern("s3:*")
                .unwrap()
                .iter()
                .all(|a| a.service() == Service::S3)
        );
        assert!(compile_pattern("s3:GetObjekt").is_err());
        assert!(compile_pattern("s3:Get\u{039f}bject").is_err());
        assert!(compile_pattern("GetObject").is_err());
        assert!(compile_pattern("sts:AssumeRole").is_err());
        assert!(
            compile_pattern("sts:*")
                .unwrap()
                .contains(Action::StsAssumeRoleWithWebIdentity)
        );
    }

    #[test]
    fn complement() {
        let s = compile_pattern("s3:*").unwrap().complement();
        assert!(!s.contains(Action::GetObject));
        assert!(s.contains(Action::KmsStatus));
    }
}
