//! strongbox-sts: the pure (no I/O, no tokio, no HTTP types) core of Strongbox's
//! MinIO-compatible STS — request parameters and routing, duration rules, credential minting and
//! verification with a dedicated key ring, revocation, XML bodies, audit records and the
//! issuance rate limiter. Identity providers and HTTP wiring live elsewhere.
//!
//! The issuing pipeline, as the server wires it:
//! 1. [`route::match_route`] → [`route::StsRoute`]; [`params::StsParams`] from query (+ body);
//!    [`route::StsRoute::dispatch`] → [`params::Action`] (or an [`error::StsError`]).
//! 2. Authenticate the caller / provider (server), validate `Policy` with `crates/policy` and
//!    wrap its canonical JSON in [`claims::SessionPolicyJson`].
//! 3. [`duration`] rule for the action → [`duration::SessionDuration`].
//! 4. [`ratelimit::IssuanceLimiter::check`] for the parent.
//! 5. [`token::issue`] → [`token::IssuedCredential`]; [`xml`] renders it;
//!    [`audit::IssuanceEvent`] records it.
//!
//! On every S3/admin request with a temporary access key: [`token::resolve`] →
//! [`token::VerifiedSession`] (its `secret_key` goes to SigV4 verification), then
//! [`revocation::RevocationSet::check`] — both done, with the §4.4 token-presence rules, by
//! [`request_auth::check_credentials`].

pub mod audit;
pub mod claims;
pub mod clock;
pub mod credentials;
pub mod ct;
pub mod duration;
pub mod error;
pub mod keyring;
pub mod params;
mod payload;
pub mod ratelimit;
pub mod request_auth;
pub mod revocation;
pub mod route;
pub mod token;
pub mod xml;

pub use claims::{Claims, Provider, SessionPolicyJson};
pub use clock::{Clock, SystemClock, TestClock};
pub use credentials::{SecretKey, SessionToken};
pub use duration::{DurationConfig, SessionDuration};
pub use error::{StsError, StsErrorCode};
pub use keyring::KeyRing;
pub use params::{Action, StsParams};
pub use route::{StsRoute, match_route};
pub use token::{IssuedCredential, TokenError, VerifiedSession, issue, resolve};
