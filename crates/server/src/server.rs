//! Assembling the server: s3s with our hooks, the listener, and the serve loop.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use s3s::S3;
use s3s::config::{S3Config, StaticConfigProvider};
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

use strongbox_iam::Iam;

use crate::access::Access;
use crate::auth::Auth;
use crate::authz::Authorizer;
use crate::config::Config;
use crate::credentials::RootCredentials;
use crate::fast::DirectReadPath;
use crate::host::Domains;
use crate::http::{self, HttpService};
use crate::identity::Identities;
use crate::routes::Routes;
use crate::s3::Strongbox;
use crate::state::ServerState;
use crate::sts::Sts;
use strongbox_storage::DirectReads;

/// Largest clock difference accepted in a signed request (and how far in the future a presigned
/// URL may start), as AWS and MinIO: 15 minutes.
pub const MAX_CLOCK_SKEW_SECS: u32 = 15 * 60;

/// A bound, not yet serving, server.
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    service: HttpService,
    state: Arc<ServerState>,
    shutdown_timeout: Duration,
    tls: Option<crate::tls::ServerTls>,
    /// What the direct read path needs besides the backend's reads, when the configuration
    /// allows it (see [`Server::with_direct_reads`]).
    direct_parts: Option<(Access, Arc<Identities>)>,
    direct: Option<Arc<DirectReadPath>>,
}

/// How serving ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// Every in-flight request finished within the grace period.
    Completely,
    /// The grace period ran out with requests still running.
    TimedOut,
}

impl Server {
    /// Opens the IAM under the data directory (`DIR/.strongbox/iam.redb`), wires `backend`
    /// behind authentication, access control and our routes, and binds the configured address.
    pub async fn bind(
        config: &Config,
        root: RootCredentials,
        backend: impl S3,
    ) -> io::Result<Self> {
        let dir = config.data_dir.clone();
        let iam_root = root.clone();
        let iam = tokio::task::spawn_blocking(move || crate::authz::open_iam(&dir, &iam_root))
            .await
            .map_err(io::Error::other)?
            .map_err(|e| io::Error::other(format!("cannot open the IAM store: {e}")))?;
        Self::bind_with_iam(config, root, Arc::new(iam), backend).await
    }

    /// As [`Server::bind`], with an IAM opened by the caller (another store, or tests that
    /// prepare identities first).
    pub async fn bind_with_iam(
        config: &Config,
        root: RootCredentials,
        iam: Arc<Iam>,
        backend: impl S3,
    ) -> io::Result<Self> {
        let sts_iam = Arc::clone(&iam);
        let sts_config = config.sts.clone();
        let sts =
            tokio::task::spawn_blocking(move || Sts::open_with_system_clock(sts_iam, sts_config))
                .await
                .map_err(io::Error::other)?
                .map_err(|e| io::Error::other(format!("cannot set up STS: {e}")))?;
        let mut sts = sts.with_region(config.configured_region.clone());
        if !config.openid.providers.is_empty() {
            let openid = connect_openid(config).await?;
            sts = sts.with_openid(Arc::new(openid));
        }
        if let Some(plugin) = identity_plugin(config)? {
            sts = sts.with_plugin(plugin);
        }
        if let Some(idp) = crate::sts::certificate::setup(config)? {
            sts = sts.with_certificate(Arc::new(idp));
        }
        if let Some(cfg) = &config.ldap {
            sts = sts.with_ldap(Arc::new(crate::sts::ldap::connect(cfg).await?));
        }
        Self::bind_with_sts(config, root, iam, Arc::new(sts), backend).await
    }

    /// As [`Server::bind_with_iam`], with STS state built by the caller (tests inject a
    /// [`strongbox_sts::TestClock`] through [`Sts::open`]).
    pub async fn bind_with_sts(
        config: &Config,
        root: RootCredentials,
        iam: Arc<Iam>,
        sts: Arc<Sts>,
        backend: impl S3,
    ) -> io::Result<Self> {
        let metrics_root = root.clone();
        let identities = Arc::new(Identities::new(
            root,
            Arc::clone(&iam),
            config.configured_region.clone(),
        ));
        let state = Arc::new(ServerState::new(Arc::clone(&iam)));
        let mut authorizer = Authorizer::new();
        if let Some(cfg) = &config.policy_plugin {
            let counters = Arc::clone(state.metrics().authz());
            let external = crate::authz::external::ExternalAuthorizer::new(cfg.clone(), counters)?;
            tracing::info!(url = %cfg.url, "external authoriser decides every signed request");
            authorizer = authorizer.with_external(Arc::new(external));
        }
        let authorizer = Arc::new(authorizer);

        let strongbox = Strongbox::new(backend, iam, Arc::clone(&authorizer));
        state.set_buckets(Arc::new(crate::authz::list_filter::BucketView::new(
            strongbox.bucket_source(),
            Arc::clone(&authorizer),
        )));
        let mut s3 = S3ServiceBuilder::new(strongbox);
        s3.set_auth(Auth::new(Arc::clone(&identities)));
        let access = Access::new(Arc::clone(&identities), authorizer);
        // Virtual-host requests and external authorisers stay with s3s (see [`crate::fast`]).
        let direct_parts =
            (config.direct_reads && config.domains.is_empty() && config.policy_plugin.is_none())
                .then(|| (access.clone(), Arc::clone(&identities)));
        s3.set_access(access);
        s3.set_route(Routes::new(Arc::clone(&state), identities).with_sts(Arc::clone(&sts)));
        if let Some(domains) = Domains::new(&config.domains) {
            s3.set_host(domains);
        }
        let mut s3_config = S3Config::default();
        s3_config.presigned_url_max_skew_time_secs = MAX_CLOCK_SKEW_SECS;
        s3.set_config(Arc::new(StaticConfigProvider::new(Arc::new(s3_config))));

        let tls_config = config.tls.clone();
        let tls = tokio::task::spawn_blocking(move || crate::tls::ServerTls::setup(&tls_config))
            .await
            .map_err(io::Error::other)?
            .map_err(|e| io::Error::other(format!("cannot set up HTTPS: {e}")))?;
        let listener = http::bind(&config.listen).await?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            tls,
            listener,
            local_addr,
            service: HttpService::new(s3.build())
                .with_sts(Arc::clone(&sts))
                .with_metrics(Arc::new(crate::routes::metrics::MetricsEndpoint::new(
                    Arc::clone(state.metrics()),
                    Some(sts),
                    metrics_root,
                    config.prometheus_auth,
                ))),
            state,
            shutdown_timeout: config.shutdown_timeout,
            direct_parts,
            direct: None,
        })
    }

    /// Answers plain GET/HEAD of objects that `reads` holds in memory without s3s (see
    /// [`crate::fast`]); a no-op when the configuration turned that off
    /// (`STRONGBOX_DIRECT_READS=off`, `MINIO_DOMAIN`, an external authoriser).
    #[must_use]
    pub fn with_direct_reads(mut self, reads: Arc<dyn DirectReads>) -> Self {
        if let Some((access, identities)) = self.direct_parts.take() {
            let direct = Arc::new(DirectReadPath::new(access, identities, reads));
            self.service = self.service.with_direct_reads(Arc::clone(&direct));
            self.direct = Some(direct);
        }
        self
    }

    /// Requests the direct read path answered so far (`None` when it is off).
    #[must_use]
    pub fn direct_reads_served(&self) -> Option<u64> {
        self.direct.as_ref().map(|d| d.served())
    }

    /// The node's IAM (the same one the routes reach through `ServerState::iam`).
    #[must_use]
    pub fn iam(&self) -> &Arc<Iam> {
        self.state.iam()
    }

    /// The address actually bound (with the real port when the configured one was 0).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `https` when serving TLS, else `http`.
    #[must_use]
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests for at most the configured
    /// shutdown timeout.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Drained {
        let done = http::serve(
            self.listener,
            self.service,
            self.state,
            self.tls,
            shutdown,
            self.shutdown_timeout,
        )
        .await;
        if done {
            Drained::Completely
        } else {
            Drained::TimedOut
        }
    }
}

/// The identity plugin, if configured; logs its RoleArn (spec §6.2) for clients to send.
pub fn identity_plugin(
    config: &Config,
) -> io::Result<Option<Arc<strongbox_idp::plugin::IdentityPlugin>>> {
    let Some(cfg) = &config.identity_plugin else {
        return Ok(None);
    };
    let plugin = strongbox_idp::plugin::IdentityPlugin::new(
        cfg.clone(),
        config.configured_region.as_deref(),
    )
    .map_err(io::Error::other)?;
    tracing::info!(
        url = %cfg.url,
        role_policy = %cfg.role_policy.join(","),
        comment = cfg.comment.as_deref().unwrap_or(""),
        "identity plugin: RoleArn {}",
        plugin.role_arn()
    );
    Ok(Some(Arc::new(plugin)))
}

/// Reaches every configured OpenID provider (discovery document and keys), reporting every one
/// that fails at once, and logs each role-policy provider's RoleArn (spec §6.2).
async fn connect_openid(config: &Config) -> io::Result<strongbox_idp::openid::OpenId> {
    let openid =
        strongbox_idp::openid::OpenId::connect(&config.openid, config.configured_region.as_deref())
            .await
            .map_err(|errors| io::Error::other(errors.join("; ")))?;
    for p in openid.providers() {
        let cfg = p.config();
        match p.role_arn() {
            Some(arn) => tracing::info!(
                provider = cfg.label(),
                issuer = p.issuer(),
                role_policy = %cfg.role_policy.join(","),
                "OpenID provider with role policy: RoleArn {arn}"
            ),
            None => tracing::info!(
                provider = cfg.label(),
                issuer = p.issuer(),
                claim = %cfg.policy_claim(),
                "OpenID provider with policies from a claim"
            ),
        }
    }
    Ok(openid)
}
