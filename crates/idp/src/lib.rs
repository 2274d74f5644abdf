//! strongbox-idp: identity providers that need I/O (network calls to the provider), kept out of
//! the pure STS core. Each provider authenticates a request's credential and returns an identity
//! with its policy names; the server then runs the one issuing pipeline of `strongbox-sts`.
//!
//! - [`openid`]: OpenID Connect (AssumeRoleWithWebIdentity, AssumeRoleWithClientGrants).
//! - [`ldap`]: LDAP / Active Directory (AssumeRoleWithLDAPIdentity).
//! - [`plugin`]: the identity management plugin (AssumeRoleWithCustomToken).
//! - [`http`]: the bounded HTTP(S) client (rustls + ring) the providers share.

pub mod http;
pub mod ldap;
pub mod openid;
pub mod plugin;
