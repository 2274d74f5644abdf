//! HTTP serving: listener and accept loop, and the service wrapped around s3s.

mod listener;
mod redact;
mod service;

pub use self::listener::{bind, serve};
pub use self::redact::redact_query;
pub use self::service::{ConnectionInfo, HttpService, REQUEST_ID_HEADER, RequestId};
