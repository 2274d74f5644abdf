//! A Strongbox server set up as an administrator would: the benchmark object PUT by root, then
//! through the MinIO admin API (`/minio/admin/v3/`, SigV4 service `s3`) the 50-statement policy
//! (`add-canned-policy`), the IAM user (`add-user`, its body sealed with madmin's encryption under
//! root's secret) and the mapping (`set-user-or-group-policy`). Finally the user's own GET of the
//! object must return it.

use crate::get4k::put_and_check;
use crate::policy50::{self, BUCKET, POLICY_NAME, USER};
use crate::process::ServerProcess;
use crate::s3client::S3Client;
use crate::servers::Setup;
use crate::sigv4::Credentials;
use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use http::Method;
use rand::Rng;
use rand::distributions::Alphanumeric;
use std::sync::Arc;
use zeroize::Zeroizing;

const ADMIN: &str = "/minio/admin/v3/";

pub struct IamFixture {
    pub server: Arc<ServerProcess>,
    pub root: S3Client,
    pub user: S3Client,
    /// The IAM store and the whole data directory.
    pub data_dir: std::path::PathBuf,
}

impl IamFixture {
    /// Starts Strongbox on a fresh data directory `name` under the work dir, with `env` added.
    pub async fn start(setup: &Setup, name: &str, env: &[(&str, &str)]) -> Result<Self> {
        let data_dir = setup.work_dir.join(name);
        let server = setup.start_strongbox(&data_dir, env)?;
        println!("  strongbox pid {} at {}", server.pid(), server.addr);
        let root = S3Client::new(server.addr, &setup.region, setup.creds.clone());
        let secret: String = rand::thread_rng()
            .sample_iter(Alphanumeric)
            .take(40)
            .map(char::from)
            .collect();
        let user_creds = Credentials::new(USER, secret);
        let user = S3Client::new(server.addr, &setup.region, user_creds.clone());
        let prepare = async {
            put_and_check(&root, BUCKET, &policy50::object_path()).await?;
            create_user(&root, &user_creds).await?;
            let n = user
                .get_with(&policy50::object_path(), |_, _| Ok(()))
                .await
                .context("the IAM user's own GET of the benchmark object")?;
            ensure!(
                n == crate::get4k::OBJECT_LEN as u64,
                "IAM user's GET returned {n} bytes"
            );
            anyhow::Ok(())
        };
        prepare
            .await
            .with_context(|| format!("IAM set-up; server output:\n{}", server.log_tail()))?;
        Ok(Self {
            server: Arc::new(server),
            root,
            user,
            data_dir,
        })
    }
}

/// One admin call that must answer 200.
async fn admin(
    root: &S3Client,
    method: Method,
    what: &str,
    query: &[(&str, &str)],
    body: Bytes,
) -> Result<()> {
    let answer = root
        .call("s3", method, &format!("{ADMIN}{what}"), query, body, &[])
        .await?;
    ensure!(
        answer.status == http::StatusCode::OK,
        "admin {what}: {}: {}",
        answer.status,
        answer.text()
    );
    Ok(())
}

/// The policy, the user and the mapping, as `mc admin` would create them.
async fn create_user(root: &S3Client, user: &Credentials) -> Result<()> {
    admin(
        root,
        Method::PUT,
        "add-canned-policy",
        &[("name", POLICY_NAME)],
        Bytes::from(policy50::document()),
    )
    .await?;
    let plain = Zeroizing::new(
        serde_json::json!({ "secretKey": user.expose_secret(), "status": "enabled" }).to_string(),
    );
    let password = Zeroizing::new(root.creds().expose_secret().as_bytes().to_vec());
    // Argon2id (64 MiB): off the async threads.
    let sealed = tokio::task::spawn_blocking(move || {
        strongbox_madmin::encrypt_data(&password, plain.as_bytes())
    })
    .await?;
    admin(
        root,
        Method::PUT,
        "add-user",
        &[("accessKey", user.access_key())],
        Bytes::from(sealed),
    )
    .await?;
    admin(
        root,
        Method::PUT,
        "set-user-or-group-policy",
        &[
            ("policyName", POLICY_NAME),
            ("userOrGroup", user.access_key()),
            ("isGroup", "false"),
        ],
        Bytes::new(),
    )
    .await
}
