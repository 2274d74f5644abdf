//! STS settings from the environment, every problem reported at once (STYLE.md #10).
//!
//! | Variable | Meaning | Default |
//! |---|---|---|
//! | `STRONGBOX_STS_MAX_DURATION` | longest credential lifetime a client may ask for (`DurationSeconds` upper bound): seconds, or a number with `s`/`m`/`h`/`d` | `365d` (MinIO's) |
//! | `MINIO_STS_DURATION` | MinIO's override: replaces any requested AssumeRole duration (Go duration, e.g. `2h`, `1h30m`; unparsable means 1 h, as MinIO) | unset |
//! | `STRONGBOX_STS_RATE_LIMIT` | credentials per second each parent may obtain, sustained | `10` |
//! | `STRONGBOX_STS_RATE_BURST` | credentials a parent may obtain at once after being idle | `100` |
//! | `STRONGBOX_AUDIT_FILE` | also append each issuance audit event (one JSON line) to this file | unset (log only) |

use std::path::PathBuf;

use strongbox_sts::DurationConfig;
use strongbox_sts::duration::{DEFAULT_MAX_DURATION_SECS, MIN_DURATION_SECS};
use strongbox_sts::ratelimit::RateLimitConfig;

use crate::config::Env;

pub mod vars {
    pub const MAX_DURATION: &str = "STRONGBOX_STS_MAX_DURATION";
    pub const STS_DURATION: &str = "MINIO_STS_DURATION";
    pub const RATE_LIMIT: &str = "STRONGBOX_STS_RATE_LIMIT";
    pub const RATE_BURST: &str = "STRONGBOX_STS_RATE_BURST";
    pub const AUDIT_FILE: &str = "STRONGBOX_AUDIT_FILE";
}

/// What the STS part of the server is configured with.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StsConfig {
    pub duration: DurationConfig,
    pub rate_limit: RateLimitConfig,
    pub audit_file: Option<PathBuf>,
}

/// One problem: the variable and what is wrong (values are not secret here).
pub type Problem = (&'static str, String);

impl StsConfig {
    /// Reads and checks every STS variable; `Err` lists every problem.
    pub fn from_env(env: &dyn Env) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut cfg = StsConfig::default();
        if let Some(v) = env.var(vars::MAX_DURATION) {
            match parse_seconds(&v) {
                Some(s) if (MIN_DURATION_SECS..=DEFAULT_MAX_DURATION_SECS).contains(&s) => {
                    cfg.duration.max_secs = s;
                }
                _ => problems.push((
                    vars::MAX_DURATION,
                    format!(
                        "{v:?} is not a duration between {MIN_DURATION_SECS} s and {DEFAULT_MAX_DURATION_SECS} s (e.g. 3600, 12h, 7d)"
                    ),
                )),
            }
        }
        if let Some(v) = env.var(vars::STS_DURATION) {
            // MinIO: an unparsable value means one hour.
            cfg.duration.sts_duration_override_secs = Some(parse_go_duration(&v).unwrap_or(3600));
        }
        if let Some(v) = env.var(vars::RATE_LIMIT) {
            match v.trim().parse::<f64>() {
                Ok(r) if r.is_finite() && r > 0.0 => cfg.rate_limit.per_second = r,
                _ => problems.push((vars::RATE_LIMIT, format!("{v:?} is not a positive number"))),
            }
        }
        if let Some(v) = env.var(vars::RATE_BURST) {
            match v.trim().parse::<u32>() {
                Ok(b) if b >= 1 => cfg.rate_limit.burst = b,
                _ => problems.push((
                    vars::RATE_BURST,
                    format!("{v:?} is not a whole number of at least 1"),
                )),
            }
        }
        cfg.audit_file = env.var(vars::AUDIT_FILE).map(PathBuf::from);
        if let Err(errs) = cfg.duration.validate() {
            for e in errs {
                problems.push((vars::STS_DURATION, e));
            }
        }
        if problems.is_empty() {
            Ok(cfg)
        } else {
            Err(problems)
        }
    }
}

/// `3600`, `90s`, `15m`, `12h`, `7d` → seconds.
fn parse_seconds(v: &str) -> Option<i64> {
    let v = v.trim();
    let (num, unit) = match v.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let n: i64 = num.parse().ok()?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Go's `time.ParseDuration` for whole units `h`, `m`, `s` (e.g. `2h`, `1h30m`, `900s`), to
/// seconds. Fractions and smaller units are refused (MinIO then falls back to one hour).
fn parse_go_duration(v: &str) -> Option<i64> {
    let v = v.trim();
    if v.is_empty() || v.len() > 32 {
        return None;
    }
    let mut total: i64 = 0;
    let mut num = String::new();
    for c in v.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: i64 = num.parse().ok()?;
        num.clear();
        let mult = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
    }
    num.is_empty().then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&'static str, &'static str)]) -> HashMap<&'static str, &'static str> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn defaults_as_minio() {
        let c = StsConfig::from_env(&env(&[])).unwrap();
        assert_eq!(c.duration.max_secs, 31_536_000);
        assert_eq!(c.duration.sts_duration_override_secs, None);
        assert_eq!(c.audit_file, None);
    }

    #[test]
    fn every_variable_parsed() {
        let c = StsConfig::from_env(&env(&[
            (vars::MAX_DURATION, "12h"),
            (vars::STS_DURATION, "1h30m"),
            (vars::RATE_LIMIT, "2.5"),
            (vars::RATE_BURST, "3"),
            (vars::AUDIT_FILE, "/tmp/audit.jsonl"),
        ]))
        .unwrap();
        assert_eq!(c.duration.max_secs, 43_200);
        assert_eq!(c.duration.sts_duration_override_secs, Some(5400));
        assert_eq!(c.rate_limit.per_second, 2.5);
        assert_eq!(c.rate_limit.burst, 3);
        assert_eq!(c.audit_file, Some(PathBuf::from("/tmp/audit.jsonl")));
    }

    #[test]
    fn all_problems_at_once() {
        let e = StsConfig::from_env(&env(&[
            (vars::MAX_DURATION, "10"),
            (vars::RATE_LIMIT, "-1"),
            (vars::RATE_BURST, "0"),
        ]))
        .unwrap_err();
        let names: Vec<&str> = e.iter().map(|p| p.0).collect();
        assert_eq!(
            names,
            [vars::MAX_DURATION, vars::RATE_LIMIT, vars::RATE_BURST]
        );
    }

    #[test]
    fn override_must_fit_the_maximum_and_garbage_means_one_hour() {
        let e = StsConfig::from_env(&env(&[
            (vars::MAX_DURATION, "1h"),
            (vars::STS_DURATION, "2h"),
        ]))
        .unwrap_err();
        assert_eq!(e[0].0, vars::STS_DURATION);
        let c = StsConfig::from_env(&env(&[(vars::STS_DURATION, "soon")])).unwrap();
        assert_eq!(c.duration.sts_duration_override_secs, Some(3600));
    }

    #[test]
    fn duration_syntax() {
        assert_eq!(parse_seconds("900"), Some(900));
        assert_eq!(parse_seconds("7d"), Some(604_800));
        assert_eq!(parse_seconds("7w"), None);
        assert_eq!(parse_go_duration("2h"), Some(7200));
        assert_eq!(parse_go_duration("15m0s"), Some(900));
        assert_eq!(parse_go_duration("15"), None);
        assert_eq!(parse_go_duration("1.5h"), None);
    }
}
