//! End-to-end tests: the real `strongbox` binary driven by aws-sdk-rust and by hand-signed HTTP.
//! Every test starts its own server on a free 127.0.0.1 port with a fresh data directory.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod buckets;
mod conditional;
mod copy;
mod keys;
mod lifecycle;
mod listing;
mod multipart;
mod objects;
mod streaming;
