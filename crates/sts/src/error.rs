//! STS error codes: ONE table (spec §5.3) mapping each code to its wire code, HTTP status and
//! default message, and the error value every STS step returns.
//!
//! The client sees `code()` and `message()`; nothing else is ever serialised (STYLE.md #5).

use std::fmt;

/// Every error an STS endpoint can answer with. Rows of [`TABLE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StsErrorCode {
    AccessDenied,
    MissingParameter,
    InvalidParameterValue,
    /// `ExpiredToken` for an expired web identity (OIDC id_token).
    WebIdentityExpiredToken,
    /// `ExpiredToken` for an expired client-grants token.
    ClientGrantsExpiredToken,
    InvalidClientGrantsToken,
    MalformedPolicyDocument,
    InsecureConnection,
    InvalidClientCertificate,
    TooManyIntermediateCAs,
    NotInitialized,
    IamNotInitialized,
    UpstreamError,
    InternalError,
    /// Not in MinIO: AWS's answer when a caller exceeds an API rate (issue 4, per-parent limit).
    Throttling,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorRow {
    pub code: StsErrorCode,
    /// The `Code` element on the wire.
    pub wire: &'static str,
    pub status: u16,
    pub default_message: &'static str,
}

/// Spec §5.3 (MinIO `cmd/sts-errors.go`) plus `Throttling`, in the order of [`StsErrorCode`].
pub const TABLE: &[ErrorRow] = &[
    row(
        StsErrorCode::AccessDenied,
        "AccessDenied",
        403,
        "Generating temporary credentials not allowed for this request.",
    ),
    row(
        StsErrorCode::MissingParameter,
        "MissingParameter",
        400,
        "A required parameter for the specified action is not supplied.",
    ),
    row(
        StsErrorCode::InvalidParameterValue,
        "InvalidParameterValue",
        400,
        "An invalid or out-of-range value was supplied for the input parameter.",
    ),
    row(
        StsErrorCode::WebIdentityExpiredToken,
        "ExpiredToken",
        400,
        "The web identity token that was passed is expired or is not valid. Get a new identity token from the identity provider and then retry the request.",
    ),
    row(
        StsErrorCode::ClientGrantsExpiredToken,
        "ExpiredToken",
        400,
        "The client grants that was passed is expired or is not valid. Get a new client grants token from the identity provider and then retry the request.",
    ),
    row(
        StsErrorCode::InvalidClientGrantsToken,
        "InvalidClientGrantsToken",
        400,
        "The client grants token that was passed could not be validated by Strongbox.",
    ),
    row(
        StsErrorCode::MalformedPolicyDocument,
        "MalformedPolicyDocument",
        400,
        "The request was rejected because the policy document was malformed.",
    ),
    row(
        StsErrorCode::InsecureConnection,
        "InsecureConnection",
        400,
        "The request was made over a plain HTTP connection. A TLS connection is required.",
    ),
    row(
        StsErrorCode::InvalidClientCertificate,
        "InvalidClientCertificate",
        400,
        "The provided client certificate is invalid. Retry with a different certificate.",
    ),
    row(
        StsErrorCode::TooManyIntermediateCAs,
        "TooManyIntermediateCAs",
        400,
        "The provided client certificate contains too many intermediate CA certificates",
    ),
    row(
        StsErrorCode::NotInitialized,
        "STSNotInitialized",
        503,
        "STS API not initialized, please try again.",
    ),
    row(
        StsErrorCode::IamNotInitialized,
        "STSIAMNotInitialized",
        503,
        "STS IAM not initialized, please try again.",
    ),
    row(
        StsErrorCode::UpstreamError,
        "InternalError",
        500,
        "An upstream service required for this operation failed - please try again or contact an administrator.",
    ),
    row(
        StsErrorCode::InternalError,
        "InternalError",
        500,
        "We encountered an internal error generating credentials, please try again.",
    ),
    row(StsErrorCode::Throttling, "Throttling", 400, "Rate exceeded"),
];

const fn row(code: StsErrorCode, wire: &'static str, status: u16, msg: &'static str) -> ErrorRow {
    ErrorRow {
        code,
        wire,
        status,
        default_message: msg,
    }
}

impl StsErrorCode {
    /// This code's row. Every variant has exactly one (tested).
    pub fn row(self) -> &'static ErrorRow {
        // TABLE is written in declaration order, so the discriminant indexes it (tested).
        &TABLE[self as usize]
    }
    pub fn wire(self) -> &'static str {
        self.row().wire
    }
    pub fn status(self) -> u16 {
        self.row().status
    }
    pub fn default_message(self) -> &'static str {
        self.row().default_message
    }
}

/// An STS error: a code and the message the client will read.
///
/// Internal causes never go in here; log them where they happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsError {
    code: StsErrorCode,
    message: Option<String>,
}

impl StsError {
    /// An error with the code's default message.
    pub fn new(code: StsErrorCode) -> Self {
        Self {
            code,
            message: None,
        }
    }
    /// An error with a specific client-facing message (MinIO almost always sends one).
    pub fn with_message(code: StsErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: Some(message.into()),
        }
    }
    pub fn code(&self) -> StsErrorCode {
        self.code
    }
    pub fn status(&self) -> u16 {
        self.code.status()
    }
    /// The `Message` element: the specific text, else the default of the code.
    pub fn message(&self) -> &str {
        self.message
            .as_deref()
            .unwrap_or(self.code.default_message())
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::with_message(StsErrorCode::AccessDenied, message)
    }
    pub fn missing_parameter(message: impl Into<String>) -> Self {
        Self::with_message(StsErrorCode::MissingParameter, message)
    }
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::with_message(StsErrorCode::InvalidParameterValue, message)
    }
    pub fn internal() -> Self {
        Self::new(StsErrorCode::InternalError)
    }
}

impl fmt::Display for StsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.wire(), self.message())
    }
}

impl std::error::Error for StsError {}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[StsErrorCode] = &[
        StsErrorCode::AccessDenied,
        StsErrorCode::MissingParameter,
        StsErrorCode::InvalidParameterValue,
        StsErrorCode::WebIdentityExpiredToken,
        StsErrorCode::ClientGrantsExpiredToken,
        StsErrorCode::InvalidClientGrantsToken,
        StsErrorCode::MalformedPolicyDocument,
        StsErrorCode::InsecureConnection,
        StsErrorCode::InvalidClientCertificate,
        StsErrorCode::TooManyIntermediateCAs,
        StsErrorCode::NotInitialized,
        StsErrorCode::IamNotInitialized,
        StsErrorCode::UpstreamError,
        StsErrorCode::InternalError,
        StsErrorCode::Throttling,
    ];

    #[test]
    fn every_code_has_exactly_one_row() {
        assert_eq!(ALL.len(), TABLE.len());
        for (i, c) in ALL.iter().enumerate() {
            assert_eq!(*c as usize, i);
            assert_eq!(TABLE[i].code, *c, "row {i} out of order");
            assert_eq!(c.row().code, *c);
        }
    }

    #[test]
    fn spec_5_3_rows() {
        let rows = [
            (StsErrorCode::AccessDenied, "AccessDenied", 403),
            (StsErrorCode::MissingParameter, "MissingParameter", 400),
            (
                StsErrorCode::InvalidParameterValue,
                "InvalidParameterValue",
                400,
            ),
            (StsErrorCode::WebIdentityExpiredToken, "ExpiredToken", 400),
            (StsErrorCode::ClientGrantsExpiredToken, "ExpiredToken", 400),
            (StsErrorCode::NotInitialized, "STSNotInitialized", 503),
            (StsErrorCode::IamNotInitialized, "STSIAMNotInitialized", 503),
            (StsErrorCode::UpstreamError, "InternalError", 500),
            (StsErrorCode::InternalError, "InternalError", 500),
            (StsErrorCode::Throttling, "Throttling", 400),
        ];
        for (c, wire, status) in rows {
            assert_eq!((c.wire(), c.status()), (wire, status), "{c:?}");
        }
    }

    #[test]
    fn message_prefers_specific_text() {
        let e = StsError::new(StsErrorCode::MissingParameter);
        assert_eq!(
            e.message(),
            "A required parameter for the specified action is not supplied."
        );
        let e = StsError::invalid_parameter("invalid token expiry");
        assert_eq!(e.message(), "invalid token expiry");
        assert_eq!(e.to_string(), "InvalidParameterValue: invalid token expiry");
    }
}
