//! The Strongbox server: configuration, HTTP serving, s3s wiring (authentication and access
//! hooks), and the non-S3 routes (health now; STS and admin later).
//!
//! A request's path: [`http`] (request id, connection facts, log line) → s3s (routing, signature
//! verification with the secret from [`auth`]) → [`routes`] for non-S3 endpoints, or [`access`]
//! (identity and session token via [`identity`], then the decision of [`authz`]) → [`s3`] (bucket
//! policies; the proof checked) → the object backend.

pub mod access;
pub mod auth;
pub mod authz;
pub mod config;
pub mod credentials;
pub mod fast;
pub mod host;
pub mod http;
pub mod identity;
pub mod logging;
pub mod metrics;
pub mod routes;
pub mod s3;
pub mod scope;
mod server;
pub mod shutdown;
pub mod state;
pub mod sts;
pub mod tls;

pub use self::config::{Config, ConfigErrors, ServerArgs};
pub use self::credentials::RootCredentials;
pub use self::server::{Drained, MAX_CLOCK_SKEW_SECS, Server};
pub use self::state::ServerState;
