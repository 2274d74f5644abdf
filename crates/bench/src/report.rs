//! Collects measurements and ratios, prints them as a table and writes them as JSON.

use anyhow::Result;
use serde_json::{Value, json};
use std::path::Path;

pub struct Measurement {
    pub key: &'static str,
    pub label: String,
    pub value: f64,
    pub unit: &'static str,
}

/// A derived figure without a target, printed as `info NAME VALUE`.
pub struct Info {
    pub key: &'static str,
    pub value: f64,
    pub meaning: &'static str,
}

pub struct Ratio {
    pub key: &'static str,
    pub value: f64,
    /// `None`: a ratio reported without a target.
    pub target: Option<f64>,
}

/// A pass/fail check, printed as `check NAME PASS|FAIL (what)`.
pub struct Check {
    pub key: &'static str,
    pub pass: bool,
    pub what: String,
}

#[derive(Default)]
pub struct Report {
    pub measurements: Vec<Measurement>,
    pub ratios: Vec<Ratio>,
    pub infos: Vec<Info>,
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
    pub details: serde_json::Map<String, Value>,
}

impl Report {
    pub fn measure(
        &mut self,
        key: &'static str,
        label: impl Into<String>,
        value: f64,
        unit: &'static str,
    ) {
        self.measurements.push(Measurement {
            key,
            label: label.into(),
            value,
            unit,
        });
    }

    pub fn ratio(&mut self, key: &'static str, value: f64, target: f64) {
        self.ratios.push(Ratio {
            key,
            value,
            target: Some(target),
        });
    }

    /// A ratio without a target.
    pub fn ratio_untargeted(&mut self, key: &'static str, value: f64) {
        self.ratios.push(Ratio {
            key,
            value,
            target: None,
        });
    }

    pub fn check(&mut self, key: &'static str, pass: bool, what: impl Into<String>) {
        self.checks.push(Check {
            key,
            pass,
            what: what.into(),
        });
    }

    pub fn info(&mut self, key: &'static str, value: f64, meaning: &'static str) {
        self.infos.push(Info {
            key,
            value,
            meaning,
        });
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub fn detail(&mut self, key: &str, value: Value) {
        self.details.insert(key.to_owned(), value);
    }

    pub fn value(&self, key: &str) -> Option<f64> {
        self.measurements
            .iter()
            .find(|m| m.key == key)
            .map(|m| m.value)
    }

    pub fn print(&self) {
        println!();
        println!("{:<60} {:>12}  unit", "measurement", "value");
        println!("{}", "-".repeat(80));
        for m in &self.measurements {
            println!("{:<60} {:>12.1}  {}", m.label, m.value, m.unit);
        }
        println!();
        for r in &self.ratios {
            match r.target {
                Some(target) => {
                    let verdict = if r.value >= target { "meets" } else { "BELOW" };
                    println!(
                        "ratio {} {:.2}   (target >= {target:.2}: {verdict})",
                        r.key, r.value
                    );
                }
                None => println!("ratio {} {:.2}   (no target)", r.key, r.value),
            }
        }
        for c in &self.checks {
            let verdict = if c.pass { "PASS" } else { "FAIL" };
            println!("check {} {verdict}   ({})", c.key, c.what);
        }
        for i in &self.infos {
            println!("info {} {:.2}   ({})", i.key, i.value, i.meaning);
        }
        for n in &self.notes {
            println!("note: {n}");
        }
    }

    pub fn to_json(&self) -> Value {
        let measurements: serde_json::Map<String, Value> = self
            .measurements
            .iter()
            .map(|m| {
                (
                    m.key.to_owned(),
                    json!({ "label": m.label, "value": m.value, "unit": m.unit }),
                )
            })
            .collect();
        let ratios: serde_json::Map<String, Value> = self
            .ratios
            .iter()
            .map(|r| (r.key.to_owned(), json!({ "value": r.value, "target": r.target, "meets_target": r.target.map(|t| r.value >= t) })))
            .collect();
        let checks: serde_json::Map<String, Value> = self
            .checks
            .iter()
            .map(|c| (c.key.to_owned(), json!({ "pass": c.pass, "what": c.what })))
            .collect();
        let infos: serde_json::Map<String, Value> = self
            .infos
            .iter()
            .map(|i| {
                (
                    i.key.to_owned(),
                    json!({ "value": i.value, "meaning": i.meaning }),
                )
            })
            .collect();
        json!({
            "measurements": measurements,
            "ratios": ratios,
            "info": infos,
            "checks": checks,
            "notes": self.notes,
            "details": self.details,
        })
    }

    pub fn write_json(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&self.to_json())? + "\n")?;
        Ok(())
    }
}

/// The 1-minute load average and the number of CPUs, to tell whether others were busy.
pub fn machine_load() -> (f64, usize) {
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN);
    let cpus = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1);
    (load, cpus)
}
