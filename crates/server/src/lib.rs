//! The Strongbox server: configuration, HTTP serving, s3s wiring, STS and admin routes.
