//! `custom-token`: AssumeRoleWithCustomToken requests/s through Strongbox against the identity
//! plugin's own request rate (the floor), both driven by the same load generator at the same
//! concurrency, in alternating rounds.
//!
//! The plugin ([`crate::plugin_server`], `identity`) is a tiny hyper server in its own process.
//! The floor sends it exactly the call Strongbox makes (`POST /auth?token=TOKEN` with the
//! `Authorization` header); the Strongbox side sends the client's call (`POST
//! /?Action=AssumeRoleWithCustomToken&Token=TOKEN&RoleArn=...`), each of which costs Strongbox
//! one plugin call plus issuing. The RoleArn is read from Strongbox's start-up log. The
//! per-parent issuance rate limit is raised for the run, as for `assume-role`.

use std::sync::Arc;

use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use http::Method;

use crate::assume_role::{DURATION_SECS, RATE_LIMIT_ENV};
use crate::get4k::{Side, Target};
use crate::load::{Expect, LoadConfig, RequestTemplate, header_map};
use crate::plugin_server::{self, AUTH, Kind, TOKEN};
use crate::process::ServerProcess;
use crate::report::Report;
use crate::servers::Setup;

const PLUGIN: Side = Side {
    label: "identity plugin alone (hyper, the floor)",
    detail_key: "custom_token_plugin",
    rps_key: "custom_token_plugin_rps",
    cpu_key: "custom_token_plugin_cpu_us_per_req",
};
const STRONGBOX: Side = Side {
    label: "strongbox AssumeRoleWithCustomToken",
    detail_key: "custom_token",
    rps_key: "custom_token_rps",
    cpu_key: "custom_token_cpu_us_per_req",
};
/// Policy every credential gets (a canned policy, always present).
const ROLE_POLICY: &str = "readonly";
/// The plugin's path (the token goes into its query).
const PLUGIN_PATH: &str = "/auth";

/// The plugin's RoleArn from Strongbox's start-up line `identity plugin: RoleArn ARN ...`.
fn role_arn_from_log(log: &str) -> Option<String> {
    log.lines().find_map(|l| {
        let rest = &l[l.find("identity plugin: RoleArn ")? + "identity plugin: RoleArn ".len()..];
        let arn = rest.split_whitespace().next()?;
        arn.starts_with("arn:").then(|| arn.to_owned())
    })
}

fn post(host: &str, path_and_query: String, auth: Option<&str>) -> Result<Arc<RequestTemplate>> {
    let mut headers = vec![("host".to_owned(), host.to_owned())];
    if let Some(a) = auth {
        headers.push(("authorization".into(), a.into()));
    }
    Ok(Arc::new(RequestTemplate {
        method: Method::POST,
        path: path_and_query,
        headers: header_map(&headers)?,
        body: Bytes::new(),
    }))
}

/// One AssumeRoleWithCustomToken, checked: 200 with credentials and `AssumedUser`.
async fn probe(server: &ServerProcess, req: &RequestTemplate) -> Result<()> {
    use crate::load::MakeRequest as _;
    use http_body_util::BodyExt as _;
    let stream = tokio::net::TcpStream::connect(server.addr).await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let resp = sender.send_request(req.make()?).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    let want_user = format!("custom:{}", plugin_server::USER);
    ensure!(
        status == 200
            && crate::load::access_key_of(&body).is_some()
            && crate::load::element(&body, b"AssumedUser") == Some(want_user.as_bytes()),
        "AssumeRoleWithCustomToken answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(())
}

pub async fn run(setup: &Setup, cfg: LoadConfig, rounds: u32, report: &mut Report) -> Result<()> {
    println!("  {}", crate::assume_role::announce_rate_limit());
    let plugin = Arc::new(plugin_server::start(Kind::Identity)?);
    let plugin_url = format!("http://{}{PLUGIN_PATH}", plugin.addr);
    let mut env: Vec<(&str, &str)> = RATE_LIMIT_ENV.to_vec();
    env.extend([
        ("MINIO_IDENTITY_PLUGIN_URL", plugin_url.as_str()),
        ("MINIO_IDENTITY_PLUGIN_AUTH_TOKEN", AUTH),
        ("MINIO_IDENTITY_PLUGIN_ROLE_POLICY", ROLE_POLICY),
    ]);
    let server = Arc::new(
        setup
            .start_strongbox(&setup.work_dir.join("custom-token-data"), &env)
            .context("starting strongbox with an identity plugin")?,
    );
    let role_arn = role_arn_from_log(&server.log_tail()).with_context(|| {
        format!(
            "no `identity plugin: RoleArn` line in Strongbox's start-up log:\n{}",
            server.log_tail()
        )
    })?;
    println!("  plugin at {plugin_url}, RoleArn {role_arn} (from the start-up log)");
    let sts_path = format!(
        "/?Action=AssumeRoleWithCustomToken&Version=2011-06-15&DurationSeconds={DURATION_SECS}&Token={TOKEN}&RoleArn={role_arn}"
    );
    let sts_req = post(&server.addr.to_string(), sts_path, None)?;
    probe(&server, &sts_req).await.with_context(|| {
        format!(
            "AssumeRoleWithCustomToken; server output:\n{}",
            server.log_tail()
        )
    })?;
    let plugin_req = post(
        &plugin.addr.to_string(),
        format!("{PLUGIN_PATH}?token={TOKEN}"),
        Some(AUTH),
    )?;
    let answer_len = plugin_server::identity_answer().len() as u64;
    let mut targets = [
        Target::new(
            PLUGIN,
            Arc::clone(&plugin),
            plugin_req,
            Expect::Len(answer_len),
        ),
        Target::new(STRONGBOX, Arc::clone(&server), sts_req, Expect::Credentials),
    ];
    let mut sockets = (0, 0);
    for round in 1..=rounds {
        println!(
            "AssumeRoleWithCustomToken round {round}/{rounds}: {} connections, {:?} warm-up + {:?} measured",
            cfg.connections, cfg.warmup, cfg.duration
        );
        for target in &mut targets {
            target.measure(cfg).await?;
        }
        // Right after Strongbox's load: its connections to the plugin, kept or thrown away.
        sockets = plugin_server::sockets_on_port(plugin.addr.port());
    }
    let (distinct, good) = (targets[1].distinct_keys(), targets[1].good_responses());
    ensure!(
        distinct == good,
        "CustomToken: {good} good answers but {distinct} distinct access keys"
    );
    let rps: Vec<f64> = targets.iter().map(|t| t.record(cfg, report)).collect();
    report.ratio_untargeted("custom_token_vs_plugin", rps[1] / rps[0]);
    if let (Some(p), Some(s)) = (
        report.value(PLUGIN.cpu_key),
        report.value(STRONGBOX.cpu_key),
    ) {
        report.info(
            "custom_token_cpu_plugin_vs_strongbox",
            p / s,
            "plugin CPU per request / Strongbox's per AssumeRoleWithCustomToken",
        );
    }
    println!(
        "  connections to the plugin after Strongbox's last round: {} established, {} in TIME_WAIT",
        sockets.0, sockets.1
    );
    report.info(
        "custom_token_plugin_conns_established",
        sockets.0 as f64,
        "TCP connections to the plugin open after the last round (pooled: about --connections)",
    );
    report.info(
        "custom_token_plugin_conns_time_wait",
        sockets.1 as f64,
        "TCP connections to the plugin in TIME_WAIT (a connection per call: thousands)",
    );
    report.note(format!(
        "custom_token_vs_plugin = AssumeRoleWithCustomToken requests/s / the identity plugin's own requests/s, \
         both at {} connections; every Strongbox request makes one plugin call",
        cfg.connections
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arn_is_read_from_the_start_up_line() {
        let log = "2026-11-25T04:00:00Z INFO strongbox: listening\n\
                   2026-11-25T04:00:00Z  INFO identity plugin: RoleArn arn:minio:iam:::role/idmp-abc_-1 url=http://x role_policy=readonly";
        assert_eq!(
            role_arn_from_log(log).as_deref(),
            Some("arn:minio:iam:::role/idmp-abc_-1")
        );
        assert_eq!(role_arn_from_log("identity plugin: RoleArn nope"), None);
        assert_eq!(role_arn_from_log(""), None);
    }
}
