//! How long a temporary credential lives: every rule of spec §3.3, per action, in ONE place.
//!
//! The result is a [`SessionDuration`], which only this module can build, and which
//! `token::issue` requires: nothing can mint a credential without passing through these rules.
//! Configuration (maximum, `MINIO_STS_DURATION`) is passed in; nothing is read from the
//! environment here.

use time::OffsetDateTime;

use crate::error::{StsError, StsErrorCode};

/// Shortest duration a client may request (AWS and MinIO).
pub const MIN_DURATION_SECS: i64 = 900;
/// MinIO's maximum: 365 days.
pub const DEFAULT_MAX_DURATION_SECS: i64 = 31_536_000;
/// Default when the client sends no `DurationSeconds`.
pub const DEFAULT_DURATION_SECS: i64 = 3_600;

/// The client-facing text for every duration error (MinIO's).
pub const INVALID_EXPIRY: &str = "invalid token expiry";

/// Duration configuration (server config; defaults as MinIO).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationConfig {
    /// Upper bound for every action, in seconds. Default 365 days.
    pub max_secs: i64,
    /// `MINIO_STS_DURATION`, already parsed by the config layer (MinIO: an unparsable value
    /// means one hour). When set it *replaces* the requested value for AssumeRole, WebIdentity
    /// and ClientGrants; it must still lie in `MIN_DURATION_SECS..=max_secs`.
    pub sts_duration_override_secs: Option<i64>,
    /// MinIO lets `DurationSeconds` make WebIdentity/ClientGrants credentials outlive the
    /// id_token (spec §17.3). Off by default: credentials end no later than the id_token.
    pub danger_allow_outliving_id_token: bool,
}

impl Default for DurationConfig {
    fn default() -> Self {
        Self {
            max_secs: DEFAULT_MAX_DURATION_SECS,
            sts_duration_override_secs: None,
            danger_allow_outliving_id_token: false,
        }
    }
}

impl DurationConfig {
    /// Check the configuration once at start-up (every problem, not just the first).
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errs = Vec::new();
        if !(MIN_DURATION_SECS..=DEFAULT_MAX_DURATION_SECS).contains(&self.max_secs) {
            errs.push(format!(
                "maximum STS duration {} s is outside {MIN_DURATION_SECS}..={DEFAULT_MAX_DURATION_SECS} s",
                self.max_secs
            ));
        }
        if let Some(o) = self.sts_duration_override_secs
            && !(MIN_DURATION_SECS..=self.max_secs).contains(&o)
        {
            errs.push(format!(
                "MINIO_STS_DURATION ({o} s) is outside {MIN_DURATION_SECS}..={} s",
                self.max_secs
            ));
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }
}

/// A validated credential lifetime in whole seconds (> 0). Built only by this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SessionDuration(i64);

impl SessionDuration {
    pub fn seconds(self) -> i64 {
        self.0
    }
    /// Expiry instant when issued at `now`, whole seconds: `floor(now) + seconds`.
    pub fn expires_at_unix(self, now: OffsetDateTime) -> i64 {
        now.unix_timestamp().saturating_add(self.0)
    }
}

fn invalid(code: StsErrorCode) -> StsError {
    StsError::with_message(code, INVALID_EXPIRY)
}

/// `DurationSeconds` as MinIO parses it: base-10 integer, optional sign (`9s` is invalid).
/// `None` if absent or empty.
fn parse_requested(raw: Option<&str>, code: StsErrorCode) -> Result<Option<i64>, StsError> {
    match raw {
        None | Some("") => Ok(None),
        Some(s) => s.parse::<i64>().map(Some).map_err(|_| invalid(code)),
    }
}

fn in_range(
    cfg: &DurationConfig,
    secs: i64,
    code: StsErrorCode,
) -> Result<SessionDuration, StsError> {
    if (MIN_DURATION_SECS..=cfg.max_secs).contains(&secs) {
        Ok(SessionDuration(secs))
    } else {
        Err(invalid(code))
    }
}

/// AssumeRole: default 3600, `900..=max`, `MINIO_STS_DURATION` replaces the request.
pub fn assume_role(
    cfg: &DurationConfig,
    requested: Option<&str>,
) -> Result<SessionDuration, StsError> {
    let code = StsErrorCode::InvalidParameterValue;
    let requested = parse_requested(requested, code)?;
    let secs = cfg
        .sts_duration_override_secs
        .or(requested)
        .unwrap_or(DEFAULT_DURATION_SECS);
    in_range(cfg, secs, code)
}

/// AssumeRoleWithLDAPIdentity: default 3600, `900..=max`; `MINIO_STS_DURATION` not consulted.
pub fn ldap(cfg: &DurationConfig, requested: Option<&str>) -> Result<SessionDuration, StsError> {
    let code = StsErrorCode::InvalidParameterValue;
    let secs = parse_requested(requested, code)?.unwrap_or(DEFAULT_DURATION_SECS);
    in_range(cfg, secs, code)
}

/// AssumeRoleWithCertificate: default 3600, `900..=max` (errors are `MissingParameter`, as
/// MinIO), then capped to the certificate's `NotAfter`. A certificate already expired at `now`
/// is `InvalidClientCertificate` (MinIO would go negative and fail with 500).
pub fn certificate(
    cfg: &DurationConfig,
    requested: Option<&str>,
    cert_not_after: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<SessionDuration, StsError> {
    let code = StsErrorCode::MissingParameter;
    let secs = parse_requested(requested, code)?.unwrap_or(DEFAULT_DURATION_SECS);
    let d = in_range(cfg, secs, code)?;
    let left = cert_not_after.unix_timestamp() - now.unix_timestamp();
    if left <= 0 {
        return Err(StsError::new(StsErrorCode::InvalidClientCertificate));
    }
    Ok(SessionDuration(d.0.min(left)))
}

/// AssumeRoleWithCustomToken: `min(requested, plugin maxValiditySeconds)`; absent → the
/// plugin's value. Deliberately tighter than MinIO (spec §19): a requested value that is not an
/// integer, `<= 0` or `< 900` is a 400 `InvalidParameterValue`. The plugin's value must lie in
/// `900..=31536000` (else 400 `InvalidParameterValue`, as MinIO).
pub fn custom_token(
    cfg: &DurationConfig,
    requested: Option<&str>,
    plugin_max_validity_secs: i64,
) -> Result<SessionDuration, StsError> {
    let code = StsErrorCode::InvalidParameterValue;
    if !(MIN_DURATION_SECS..=DEFAULT_MAX_DURATION_SECS).contains(&plugin_max_validity_secs) {
        return Err(StsError::invalid_parameter(
            "the identity plugin returned an invalid maxValiditySeconds",
        ));
    }
    let secs = match parse_requested(requested, code)? {
        Some(r) if r < MIN_DURATION_SECS => return Err(invalid(code)),
        Some(r) => r.min(plugin_max_validity_secs),
        None => plugin_max_validity_secs,
    };
    Ok(SessionDuration(secs.min(cfg.max_secs)))
}

/// Which OIDC flow asks (only the expired-token error differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcFlow {
    WebIdentity,
    ClientGrants,
}

/// AssumeRoleWithWebIdentity / AssumeRoleWithClientGrants.
///
/// With `DurationSeconds`: the AssumeRole rule (incl. the `MINIO_STS_DURATION` override, which
/// MinIO applies here only when `DurationSeconds` is sent). Without: until the
/// id_token's `exp` (capped to the maximum). Tighter than MinIO (spec §17.3): unless
/// `danger_allow_outliving_id_token`, the credential never outlives the id_token, so the result
/// can be shorter than 900 s. An id_token already expired at `now` → `ExpiredToken`; one
/// without `exp` → `InvalidParameterValue` (OIDC requires `exp`; MinIO fails with 500).
pub fn oidc(
    cfg: &DurationConfig,
    flow: OidcFlow,
    requested: Option<&str>,
    id_token_exp: Option<i64>,
    now: OffsetDateTime,
) -> Result<SessionDuration, StsError> {
    let code = StsErrorCode::InvalidParameterValue;
    let requested = parse_requested(requested, code)?;
    // MinIO consults `MINIO_STS_DURATION` here only when `DurationSeconds` was sent.
    let chosen = match requested {
        Some(r) => Some(in_range(
            cfg,
            cfg.sts_duration_override_secs.unwrap_or(r),
            code,
        )?),
        None => None,
    };
    let left = match id_token_exp {
        Some(exp) => exp.saturating_sub(now.unix_timestamp()),
        None => {
            return Err(StsError::invalid_parameter(
                "the identity token has no expiry (exp claim)",
            ));
        }
    };
    if left <= 0 {
        return Err(StsError::new(match flow {
            OidcFlow::WebIdentity => StsErrorCode::WebIdentityExpiredToken,
            OidcFlow::ClientGrants => StsErrorCode::ClientGrantsExpiredToken,
        }));
    }
    let secs = match chosen {
        Some(d) if cfg.danger_allow_outliving_id_token => d.0,
        Some(d) => d.0.min(left),
        None => left.min(cfg.max_secs),
    };
    Ok(SessionDuration(secs))
}

/// For tests of other modules: a duration without going through a flow's rules.
#[cfg(test)]
pub(crate) fn for_tests(secs: i64) -> SessionDuration {
    SessionDuration(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }
    fn secs(r: Result<SessionDuration, StsError>) -> i64 {
        r.unwrap().seconds()
    }
    fn err(r: Result<SessionDuration, StsError>) -> (StsErrorCode, String) {
        let e = r.unwrap_err();
        (e.code(), e.message().to_string())
    }
    const IPV: StsErrorCode = StsErrorCode::InvalidParameterValue;

    #[test]
    fn assume_role_bounds_and_default() {
        let c = DurationConfig::default();
        assert_eq!(secs(assume_role(&c, None)), 3600);
        assert_eq!(secs(assume_role(&c, Some(""))), 3600);
        assert_eq!(secs(assume_role(&c, Some("900"))), 900);
        assert_eq!(secs(assume_role(&c, Some("+901"))), 901);
        assert_eq!(secs(assume_role(&c, Some("31536000"))), 31_536_000);
        for bad in [
            "899",
            "800",
            "31536001",
            "9s",
            "-900",
            " 900",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(
                err(assume_role(&c, Some(bad))),
                (IPV, INVALID_EXPIRY.into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn configurable_max_and_override() {
        let c = DurationConfig {
            max_secs: 7200,
            ..DurationConfig::default()
        };
        assert_eq!(secs(assume_role(&c, Some("7200"))), 7200);
        assert!(assume_role(&c, Some("7201")).is_err());
        let c = DurationConfig {
            sts_duration_override_secs: Some(7200),
            ..DurationConfig::default()
        };
        // The override replaces the requested value entirely, even a valid one.
        assert_eq!(secs(assume_role(&c, Some("900"))), 7200);
        assert_eq!(secs(assume_role(&c, None)), 7200);
        // ... but an override outside the range is still an error.
        let c = DurationConfig {
            sts_duration_override_secs: Some(60),
            ..DurationConfig::default()
        };
        assert!(assume_role(&c, None).is_err());
    }

    #[test]
    fn config_validation_reports_every_problem() {
        assert!(DurationConfig::default().validate().is_ok());
        let bad = DurationConfig {
            max_secs: 100,
            sts_duration_override_secs: Some(50),
            ..DurationConfig::default()
        };
        assert_eq!(bad.validate().unwrap_err().len(), 2);
    }

    #[test]
    fn ldap_ignores_override() {
        let c = DurationConfig {
            sts_duration_override_secs: Some(7200),
            ..DurationConfig::default()
        };
        assert_eq!(secs(ldap(&c, None)), 3600);
        assert_eq!(secs(ldap(&c, Some("1000"))), 1000);
        assert_eq!(err(ldap(&c, Some("899"))).0, IPV);
    }

    #[test]
    fn certificate_errors_are_missing_parameter_and_cap_to_not_after() {
        let c = DurationConfig::default();
        let now = t(1_000_000);
        let far = t(1_000_000 + 10 * 86_400);
        assert_eq!(secs(certificate(&c, None, far, now)), 3600);
        assert_eq!(
            err(certificate(&c, Some("899"), far, now)),
            (StsErrorCode::MissingParameter, INVALID_EXPIRY.into())
        );
        assert_eq!(
            err(certificate(&c, Some("abc"), far, now)).0,
            StsErrorCode::MissingParameter
        );
        let soon = t(1_000_000 + 1_000);
        assert_eq!(secs(certificate(&c, Some("3600"), soon, now)), 1_000);
        assert_eq!(
            err(certificate(&c, None, now, now)).0,
            StsErrorCode::InvalidClientCertificate
        );
    }

    #[test]
    fn custom_token_tighter_than_minio() {
        let c = DurationConfig::default();
        assert_eq!(secs(custom_token(&c, None, 7200)), 7200);
        assert_eq!(secs(custom_token(&c, Some("3600"), 7200)), 3600);
        assert_eq!(secs(custom_token(&c, Some("99999"), 7200)), 7200);
        for bad in ["0", "-5", "899", "x"] {
            assert_eq!(err(custom_token(&c, Some(bad), 7200)).0, IPV, "{bad}");
        }
        assert_eq!(err(custom_token(&c, None, 899)).0, IPV);
        assert_eq!(err(custom_token(&c, None, 31_536_001)).0, IPV);
    }

    #[test]
    fn oidc_never_outlives_id_token_unless_danger() {
        let c = DurationConfig::default();
        let now = t(10_000);
        let exp = Some(10_000 + 600);
        let wi = OidcFlow::WebIdentity;
        // No DurationSeconds: until the id_token's exp, even below 900 s.
        assert_eq!(secs(oidc(&c, wi, None, exp, now)), 600);
        // DurationSeconds is validated as AssumeRole, then capped to the id_token.
        assert_eq!(secs(oidc(&c, wi, Some("3600"), exp, now)), 600);
        assert_eq!(secs(oidc(&c, wi, Some("900"), Some(20_000), now)), 900);
        assert_eq!(err(oidc(&c, wi, Some("800"), exp, now)).0, IPV);
        let danger = DurationConfig {
            danger_allow_outliving_id_token: true,
            ..DurationConfig::default()
        };
        assert_eq!(secs(oidc(&danger, wi, Some("3600"), exp, now)), 3600);
        // Absent DurationSeconds: still capped by the maximum.
        let small = DurationConfig {
            max_secs: 1000,
            ..DurationConfig::default()
        };
        assert_eq!(secs(oidc(&small, wi, None, Some(10_000 + 5000), now)), 1000);
        // The override applies only when DurationSeconds is sent (as MinIO).
        let ov = DurationConfig {
            sts_duration_override_secs: Some(1200),
            ..DurationConfig::default()
        };
        assert_eq!(secs(oidc(&ov, wi, Some("900"), Some(20_000), now)), 1200);
        assert_eq!(secs(oidc(&ov, wi, None, Some(20_000), now)), 10_000);
    }

    #[test]
    fn oidc_expired_and_missing_exp() {
        let c = DurationConfig::default();
        let now = t(10_000);
        let (code, msg) = err(oidc(&c, OidcFlow::WebIdentity, None, Some(10_000), now));
        assert_eq!(code, StsErrorCode::WebIdentityExpiredToken);
        assert!(msg.starts_with("The web identity token that was passed is expired"));
        assert_eq!(
            err(oidc(&c, OidcFlow::ClientGrants, None, Some(9_000), now)).0,
            StsErrorCode::ClientGrantsExpiredToken
        );
        assert_eq!(err(oidc(&c, OidcFlow::WebIdentity, None, None, now)).0, IPV);
    }

    #[test]
    fn expires_at_is_floor_now_plus_seconds() {
        let now = OffsetDateTime::from_unix_timestamp_nanos(1_000_500_000_000).unwrap();
        assert_eq!(SessionDuration(900).expires_at_unix(now), 1_900);
    }
}
