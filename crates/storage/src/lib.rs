//! Object backends. `fs` is the embedded local-disk backend served by `strongbox server DIR`.
//! The gateway backend (an upstream S3 service) will live beside it behind the same `s3s::S3` trait.

pub mod fs;

pub use fs::{DirectRead, DirectReads, FsBackend};
