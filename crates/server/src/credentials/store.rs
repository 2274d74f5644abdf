//! Generated root credentials kept under `DIR/.strongbox/root-credentials.json` (mode 0600).
//!
//! Written once, on first start, to a temporary file that is fsynced and renamed into place, so a
//! crash never leaves a half-written file that a later start would trust. A later start reads it
//! back and refuses it if other users could read it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rand::Rng;
use s3s::auth::SecretKey;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{CredentialProblem, RootCredentials};
use crate::config::RootCredentialsSource;

/// Path of the credentials file relative to the data directory.
pub const CREDENTIALS_FILE: &str = ".strongbox/root-credentials.json";

/// A credentials file is a few hundred bytes; anything bigger is not ours.
const MAX_FILE_SIZE: u64 = 16 * 1024;
const FORMAT_VERSION: u32 = 1;

/// Where the root credentials in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `MINIO_ROOT_USER`/`MINIO_ROOT_PASSWORD` (or the older pair).
    Environment,
    /// Generated at this start and written to this file: show them to the operator once.
    Created(PathBuf),
    /// Read from this file, generated at an earlier start.
    Loaded(PathBuf),
}

/// The credentials file of a data directory.
#[must_use]
pub fn credentials_path(data_dir: &Path) -> PathBuf {
    data_dir.join(CREDENTIALS_FILE)
}

/// Root credentials for this start: from the environment, or from the file under `data_dir`,
/// generating and writing it on first start.
pub fn resolve(
    source: &RootCredentialsSource,
    data_dir: &Path,
) -> anyhow::Result<(RootCredentials, Origin)> {
    match source {
        RootCredentialsSource::Environment(creds) => Ok((creds.clone(), Origin::Environment)),
        RootCredentialsSource::Generated => {
            let path = credentials_path(data_dir);
            match read(&path) {
                Ok(creds) => Ok((creds, Origin::Loaded(path))),
                Err(e)
                    if e.downcast_ref::<io::Error>()
                        .is_some_and(|e| e.kind() == io::ErrorKind::NotFound) =>
                {
                    let creds = RootCredentials::generate();
                    write_new(&path, &creds).with_context(|| {
                        format!("cannot write the root credentials file {}", path.display())
                    })?;
                    Ok((creds, Origin::Created(path)))
                }
                Err(e) => Err(e),
            }
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileOut<'a> {
    version: u32,
    access_key: &'a str,
    secret_key: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileIn {
    version: u32,
    access_key: String,
    secret_key: SecretKey,
}

fn read(path: &Path) -> anyhow::Result<RootCredentials> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "refusing to use {}: its mode {mode:o} lets other users read the root password; run `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
    if meta.len() > MAX_FILE_SIZE {
        bail!(
            "{} is larger than {MAX_FILE_SIZE} bytes: not a credentials file",
            path.display()
        );
    }
    let mut buf = Zeroizing::new(Vec::new());
    file.take(MAX_FILE_SIZE).read_to_end(&mut buf)?;
    let parsed: FileIn = serde_json::from_slice(&buf).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a valid credentials file (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if parsed.version != FORMAT_VERSION {
        bail!(
            "{} has format version {}, this build reads {FORMAT_VERSION}",
            path.display(),
            parsed.version
        );
    }
    RootCredentials::new(parsed.access_key, parsed.secret_key).map_err(|problems| {
        let what: Vec<String> = problems
            .into_iter()
            .map(|p| match p {
                CredentialProblem::AccessKey(m) => format!("accessKey {m}"),
                CredentialProblem::SecretKey(m) => format!("secretKey {m}"),
            })
            .collect();
        anyhow::anyhow!("{}: {}", path.display(), what.join("; "))
    })
}

fn write_new(path: &Path, creds: &RootCredentials) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("credentials path has no parent"))?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;

    let body = Zeroizing::new(
        serde_json::to_vec_pretty(&FileOut {
            version: FORMAT_VERSION,
            access_key: creds.access_key(),
            secret_key: creds.secret_key().expose(),
        })
        .map_err(io::Error::other)?,
    );

    let tmp = dir.join(format!(
        ".root-credentials.json.tmp-{:016x}",
        rand::thread_rng().r#gen::<u64>()
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(&body)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_creates_a_private_file_later_starts_reuse_it() {
        let dir = tempfile::tempdir().unwrap();
        let (created, origin) = resolve(&RootCredentialsSource::Generated, dir.path()).unwrap();
        let path = credentials_path(dir.path());
        assert_eq!(origin, Origin::Created(path.clone()));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );

        let (loaded, origin) = resolve(&RootCredentialsSource::Generated, dir.path()).unwrap();
        assert_eq!(origin, Origin::Loaded(path.clone()));
        assert_eq!(loaded.access_key(), created.access_key());
        assert_eq!(loaded.secret_key().expose(), created.secret_key().expose());
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn environment_wins_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let env = RootCredentials::new("admin".into(), SecretKey::from("password")).unwrap();
        let (creds, origin) =
            resolve(&RootCredentialsSource::Environment(env), dir.path()).unwrap();
        assert_eq!((creds.access_key(), origin), ("admin", Origin::Environment));
        assert!(!credentials_path(dir.path()).exists());
    }

    #[test]
    fn readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        resolve(&RootCredentialsSource::Generated, dir.path()).unwrap();
        let path = credentials_path(dir.path());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = resolve(&RootCredentialsSource::Generated, dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }

    #[test]
    fn corrupt_file_is_an_error_not_a_silent_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = credentials_path(dir.path());
        fs::DirBuilder::new()
            .recursive(true)
            .create(path.parent().unwrap())
            .unwrap();
        fs::write(&path, b"{\"version\":1,\"accessKey\":\"AB\"").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let err = resolve(&RootCredentialsSource::Generated, dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a valid credentials file"), "{err}");
        // A short password written by hand is refused with the same rule as the environment.
        fs::write(
            &path,
            br#"{"version":1,"accessKey":"admin","secretKey":"short"}"#,
        )
        .unwrap();
        let err = resolve(&RootCredentialsSource::Generated, dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("secretKey must be at least 8"), "{err}");
        assert!(!err.contains("short\""), "{err}");
    }
}
