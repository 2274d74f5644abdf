//! Reading PEM files from the certificate directory, bounded in size and count.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Largest PEM file read (a chain of a few certificates is a few KiB).
const MAX_PEM_BYTES: u64 = 1024 * 1024;
/// Most certificates taken from one chain file.
const MAX_CHAIN_LEN: usize = 16;
/// Most files read from `CAs/`.
const MAX_CA_FILES: usize = 1000;
/// Most certificates taken from `CAs/` altogether.
const MAX_CA_CERTS: usize = 10_000;

/// A certificate file that cannot be used: which file, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError {
    pub path: PathBuf,
    pub problem: String,
}

impl TlsError {
    pub(crate) fn new(path: &Path, problem: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem)
    }
}

impl std::error::Error for TlsError {}

fn read_bounded(path: &Path) -> Result<Vec<u8>, TlsError> {
    let file = std::fs::File::open(path).map_err(|e| TlsError::new(path, e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| TlsError::new(path, e.to_string()))?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(TlsError::new(
            path,
            format!("larger than {MAX_PEM_BYTES} bytes"),
        ));
    }
    Ok(bytes)
}

/// The certificates of a PEM file, in file order (for `public.crt`: leaf first). At least one.
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read_bounded(path)?;
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(&bytes) {
        let cert = item.map_err(|e| TlsError::new(path, format!("not valid PEM: {e}")))?;
        if certs.len() == MAX_CHAIN_LEN {
            return Err(TlsError::new(
                path,
                format!("more than {MAX_CHAIN_LEN} certificates"),
            ));
        }
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(TlsError::new(path, "no PEM CERTIFICATE block"));
    }
    Ok(certs)
}

/// The private key of a PEM file (PKCS#8, PKCS#1 RSA or SEC1 EC). Encrypted keys are refused.
pub fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read_bounded(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        let why = match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "no PEM private key block (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY; \
                 encrypted keys are not supported)"
                    .to_owned()
            }
            other => format!("not a valid PEM private key: {other}"),
        };
        TlsError::new(path, why)
    })
}

/// Every certificate in the PEM files directly under `dir` (MinIO's `CERTS_DIR/CAs`), in file
/// name order. A missing directory holds no certificates; a file that is not PEM certificates is
/// an error naming it. Subdirectories and dot files are skipped.
pub fn load_cas(dir: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(TlsError::new(dir, e.to_string())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| TlsError::new(dir, e.to_string()))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') || !path.is_file() {
            continue;
        }
        if files.len() == MAX_CA_FILES {
            return Err(TlsError::new(
                dir,
                format!("more than {MAX_CA_FILES} files"),
            ));
        }
        files.push(path);
    }
    files.sort();
    let mut certs = Vec::new();
    for file in files {
        certs.extend(read_certificates(&file)?);
        if certs.len() > MAX_CA_CERTS {
            return Err(TlsError::new(
                dir,
                format!("more than {MAX_CA_CERTS} certificates"),
            ));
        }
    }
    Ok(certs)
}
