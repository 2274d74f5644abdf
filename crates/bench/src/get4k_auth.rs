//! `get4k-iam` and `get4k-sts`: 4 KiB GetObject on one Strongbox server, signed by root, by the
//! IAM user holding the 50-statement policy ([`crate::policy50`], allowed by its last statement),
//! and by temporary credentials from AssumeRole (sent with `X-Amz-Security-Token`), in alternating
//! rounds (root, IAM, the user's STS, root's STS, root, ...). Same object, same connections, same
//! load generator: only the credential differs.
//!
//! What issue #4's target (≥ 0.9) measures is what a temporary credential itself costs: its token
//! travels, is hashed into the signature and verified, and its session is resolved. So each
//! temporary credential is compared with static keys holding the same rights:
//! - root's temporary credentials (AssumeRole signed by root, no session policy) against root:
//!   `ratio get4k_sts_root_vs_root`;
//! - the IAM user's temporary credentials against the user's own keys: `ratio get4k_sts_vs_iam`.
//!
//! The user's temporary credentials against root (`info get4k_sts_vs_root`) pays both for the
//! credential and for the 50-statement policy, which `get4k-iam` measures against its own target
//! (issue #3). With each at its target it would be 0.9 × 0.9 = 0.81, so it carries no target.

use crate::get4k::{OBJECT_LEN, Side, Target, signed_get};
use crate::iam_fixture::IamFixture;
use crate::load::{Expect, LoadConfig};
use crate::policy50;
use crate::report::Report;
use crate::servers::Setup;
use crate::sts_client;
use anyhow::{Context, Result, ensure};
use std::sync::Arc;

const ROOT: Side = Side {
    label: "GetObject 4 KiB, root (IAM/STS run)",
    detail_key: "get4k_auth_root",
    rps_key: "auth_root_get4k_rps",
    cpu_key: "auth_root_cpu_us_per_req",
};
const IAM: Side = Side {
    label: "GetObject 4 KiB, IAM user (50-stmt policy)",
    detail_key: "get4k_iam",
    rps_key: "iam_get4k_rps",
    cpu_key: "iam_cpu_us_per_req",
};
const STS: Side = Side {
    label: "GetObject 4 KiB, AssumeRole creds of that user",
    detail_key: "get4k_sts",
    rps_key: "sts_get4k_rps",
    cpu_key: "sts_cpu_us_per_req",
};

const STS_ROOT: Side = Side {
    label: "GetObject 4 KiB, AssumeRole creds of root",
    detail_key: "get4k_sts_root",
    rps_key: "sts_root_get4k_rps",
    cpu_key: "sts_root_cpu_us_per_req",
};

/// Lifetime of the temporary credentials (longer than any bounded run).
const STS_DURATION_SECS: u32 = 3600;

pub async fn run(
    setup: &Setup,
    cfg: LoadConfig,
    rounds: u32,
    iam: bool,
    sts: bool,
    report: &mut Report,
) -> Result<()> {
    let fx = IamFixture::start(setup, "iam-data", &[]).await?;
    let path = policy50::object_path();
    let expect = Expect::Len(OBJECT_LEN as u64);
    let mut targets = vec![Target::new(
        ROOT,
        Arc::clone(&fx.server),
        Arc::new(signed_get(&fx.root, &path)?),
        expect,
    )];
    if iam {
        targets.push(Target::new(
            IAM,
            Arc::clone(&fx.server),
            Arc::new(signed_get(&fx.user, &path)?),
            expect,
        ));
    }
    if sts {
        for (side, parent, name) in [
            (STS, &fx.user, policy50::USER),
            (STS_ROOT, &fx.root, "root"),
        ] {
            let client = temporary_client(&fx, parent, name, &path).await?;
            targets.push(Target::new(
                side,
                Arc::clone(&fx.server),
                Arc::new(signed_get(&client, &path)?),
                expect,
            ));
        }
    }
    for round in 1..=rounds {
        println!(
            "4 KiB GET by credential, round {round}/{rounds}: {} connections, {:?} warm-up + {:?} measured",
            cfg.connections, cfg.warmup, cfg.duration
        );
        for target in &mut targets {
            target.measure(cfg).await?;
        }
    }
    let rps: Vec<f64> = targets.iter().map(|t| t.record(cfg, report)).collect();
    let root_cpu = report.value(ROOT.cpu_key);
    let mut i = 1;
    if iam {
        report.ratio("get4k_iam_vs_root", rps[i] / rps[0], 0.9);
        if let (Some(r), Some(u)) = (root_cpu, report.value(IAM.cpu_key)) {
            report.info(
                "get4k_iam_cpu_root_vs_iam",
                r / u,
                "server CPU per request, root / IAM user: hardly moved by other load",
            );
        }
        i += 1;
    }
    if sts {
        report.ratio("get4k_sts_root_vs_root", rps[i + 1] / rps[0], 0.9);
        if iam {
            report.ratio("get4k_sts_vs_iam", rps[i] / rps[1], 0.9);
        }
        report.info(
            "get4k_sts_vs_root",
            rps[i] / rps[0],
            "the user's temporary credentials / root: the credential's cost and the 50-statement policy's (get4k_iam_vs_root) together",
        );
        if let (Some(r), Some(s), Some(sr)) = (
            root_cpu,
            report.value(STS.cpu_key),
            report.value(STS_ROOT.cpu_key),
        ) {
            report.info(
                "get4k_sts_cpu_root_vs_sts",
                r / s,
                "server CPU per request, root / the user's temporary credentials: hardly moved by other load",
            );
            report.info(
                "get4k_sts_root_cpu_root_vs_sts",
                r / sr,
                "server CPU per request, root / root's temporary credentials",
            );
        }
        if let (Some(u), Some(s)) = (report.value(IAM.cpu_key), report.value(STS.cpu_key)) {
            report.info(
                "get4k_sts_cpu_iam_vs_sts",
                u / s,
                "server CPU per request, the user's own keys / the user's temporary credentials",
            );
        }
    }
    Ok(())
}

/// `parent`'s temporary credentials (AssumeRole), checked with one GET of `path`.
async fn temporary_client(
    fx: &IamFixture,
    parent: &crate::s3client::S3Client,
    name: &str,
    path: &str,
) -> Result<crate::s3client::S3Client> {
    let (temp, _) = sts_client::assume_role(parent, STS_DURATION_SECS)
        .await
        .with_context(|| format!("AssumeRole; server output:\n{}", fx.server.log_tail()))?;
    println!(
        "  temporary credentials of {name}: {} (expire {}, session token {} bytes)",
        temp.creds.access_key(),
        temp.expiration,
        temp.session_token.len()
    );
    let client = parent.with_session(temp.creds.clone(), temp.session_token.to_string());
    let n = client.get_with(path, |_, _| Ok(())).await?;
    ensure!(
        n == OBJECT_LEN as u64,
        "GET with {name}'s temporary credentials returned {n} bytes"
    );
    Ok(client)
}
