//! The optional TOML configuration file (`--config FILE`, or `STRONGBOX_CONFIG_FILE`).
//!
//! The file is another source of the same variables the environment gives: each setting is
//! translated to its `MINIO_*` / `STRONGBOX_*` name and the configuration reads both through one
//! [`Env`] ([`Layered`]: the environment first, then the file), so every setting works from the
//! file with no code of its own.
//!
//! Translation (docs/configuration.md has the full table):
//! - a key's path, joined with `_` and upper-cased, is the variable's name without its `MINIO_`
//!   or `STRONGBOX_` prefix: `region` is `MINIO_REGION`, `[root] user` is `MINIO_ROOT_USER`,
//!   `[sts] max_duration` is `STRONGBOX_STS_MAX_DURATION`, `[identity_plugin] url` is
//!   `MINIO_IDENTITY_PLUGIN_URL`;
//! - `[identity_openid.NAME] key` configures the named OpenID provider `NAME`:
//!   `MINIO_IDENTITY_OPENID_<KEY>_<NAME>`;
//! - values: strings as they are, integers in decimal, booleans as `on`/`off` (as MinIO writes
//!   them), arrays of strings as a comma-separated list.
//!
//! A key the configuration does not read is an error naming the key and its line ([`known`] is
//! the one list of settings); so is a duplicate, a float, a date or a nested table. The file is
//! at most [`MAX_FILE_BYTES`]. Values never appear in errors or logs.

mod known;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use zeroize::Zeroizing;

use super::{Config, ConfigError, ConfigErrors, Env, ServerArgs};

/// Names the configuration file when `--config` is not given.
pub const FILE_VAR: &str = "STRONGBOX_CONFIG_FILE";
/// Largest configuration file read.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// One setting from the file: the variable it stands for is its key in [`FileVars`].
pub struct Setting {
    /// The key as written, dotted: `identity_openid.keycloak.client_id`.
    pub key: String,
    /// 1-based line of the key.
    pub line: usize,
    value: Zeroizing<String>,
}

/// The file's settings by variable name. Debug shows names and lines, never values.
#[derive(Default)]
pub struct FileVars {
    vars: BTreeMap<String, Setting>,
}

impl fmt::Debug for FileVars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.vars.iter().map(|(n, s)| (n, (&s.key, s.line))))
            .finish()
    }
}

/// One problem in the file: where, which key (if any), what (never a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub line: Option<usize>,
    pub key: Option<String>,
    pub problem: String,
}

impl FileVars {
    /// Translates a TOML document; `Err` lists every problem found.
    pub fn parse(text: &str) -> Result<Self, Vec<FileProblem>> {
        let root = DeTable::parse(text).map_err(|e| {
            vec![FileProblem {
                line: e.span().map(|s| line_of(text, s.start)),
                key: None,
                // The message only: the rendered error quotes the line, which may hold a secret.
                problem: format!("not valid TOML: {}", e.message().trim()),
            }]
        })?;
        let mut t = Translator {
            text,
            out: FileVars::default(),
            problems: Vec::new(),
        };
        for (k, v) in root.get_ref() {
            let name = k.get_ref().as_ref();
            let line = line_of(text, k.span().start);
            match v.get_ref() {
                DeValue::Table(section) => t.section(name, section),
                value => t.flat(name.to_owned(), &upper(name), line, value),
            }
        }
        if t.problems.is_empty() {
            Ok(t.out)
        } else {
            t.problems.sort_by_key(|p| p.line);
            Err(t.problems)
        }
    }

    /// The setting standing for `name`, if the file has it.
    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.vars.get(name)
    }

    /// Every variable name the file sets.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.vars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }
}

impl Env for FileVars {
    fn var(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .filter(|s| !s.value.is_empty())
            .map(|s| s.value.as_str().to_owned())
    }

    fn names_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.vars
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect()
    }
}

struct Translator<'t> {
    text: &'t str,
    out: FileVars,
    problems: Vec<FileProblem>,
}

impl Translator<'_> {
    fn problem(&mut self, line: usize, key: &str, problem: String) {
        self.problems.push(FileProblem {
            line: Some(line),
            key: Some(key.to_owned()),
            problem,
        });
    }

    /// `[section]`: plain keys, or (for a family such as `identity_openid`) named providers.
    fn section(&mut self, section: &str, table: &DeTable<'_>) {
        let family = known::FAMILIES.iter().find(|f| f.section == section);
        for (k, v) in table {
            let key = k.get_ref().as_ref();
            let line = line_of(self.text, k.span().start);
            let path = format!("{section}.{key}");
            match (v.get_ref(), family) {
                (DeValue::Table(provider), Some(family)) => {
                    self.provider(family, key, line, provider);
                }
                (DeValue::Table(_), None) => self.problem(
                    line,
                    &path,
                    format!(
                        "[{section}] takes no sub-tables (only [identity_openid.NAME] names a provider)"
                    ),
                ),
                (value, _) => {
                    self.flat(path, &format!("{}_{}", upper(section), upper(key)), line, value);
                }
            }
        }
    }

    /// `[SECTION.NAME]`: `PREFIX KEY _NAME`.
    fn provider(
        &mut self,
        family: &known::Family,
        name: &str,
        name_line: usize,
        table: &DeTable<'_>,
    ) {
        let section = family.section;
        if name.is_empty()
            || name.len() > 64
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.problem(
                name_line,
                &format!("{section}.{name}"),
                "a provider name is 1 to 64 letters, digits or '_'".to_owned(),
            );
            return;
        }
        let suffix = upper(name);
        for (k, v) in table {
            let key = k.get_ref().as_ref();
            let line = line_of(self.text, k.span().start);
            let path = format!("{section}.{name}.{key}");
            let key_up = upper(key);
            if !family.keys.contains(&key_up.as_str()) {
                self.problem(
                    line,
                    &path,
                    format!(
                        "unknown setting: a provider takes {}",
                        family.keys.join(", ").to_ascii_lowercase()
                    ),
                );
                continue;
            }
            let rest = format!("{key_up}_{suffix}");
            if known::split_named(family, &rest) != Some((key_up.as_str(), suffix.as_str())) {
                self.problem(
                    line,
                    &path,
                    format!(
                        "{}{rest} would be read as another setting of the default provider: choose another provider name",
                        family.prefix
                    ),
                );
                continue;
            }
            let var = format!("{}{rest}", family.prefix);
            match v.get_ref() {
                DeValue::Table(_) => self.problem(line, &path, "a table is not a value".to_owned()),
                value => self.insert(var, path, line, value),
            }
        }
    }

    /// A key whose variable is `MINIO_<NAME>` or `STRONGBOX_<NAME>`.
    fn flat(&mut self, path: String, name: &str, line: usize, value: &DeValue<'_>) {
        let var = ["MINIO_", "STRONGBOX_"]
            .iter()
            .map(|p| format!("{p}{name}"))
            .find(|v| known::is_known(v));
        match var {
            Some(var) => self.insert(var, path, line, value),
            None => {
                let problem = format!(
                    "unknown setting (it would be MINIO_{name} or STRONGBOX_{name}, which Strongbox does not read)"
                );
                self.problem(line, &path, problem);
            }
        }
    }

    fn insert(&mut self, var: String, key: String, line: usize, value: &DeValue<'_>) {
        let value = match to_env_value(value) {
            Ok(v) => v,
            Err(p) => return self.problem(line, &key, p),
        };
        if let Some(earlier) = self.out.vars.get(&var) {
            let problem = format!(
                "sets {var}, which `{}` (line {}) sets already",
                earlier.key, earlier.line
            );
            return self.problem(line, &key, problem);
        }
        self.out.vars.insert(
            var,
            Setting {
                key,
                line,
                value: Zeroizing::new(value),
            },
        );
    }
}

/// A TOML value as MinIO's environment spells it.
fn to_env_value(v: &DeValue<'_>) -> Result<String, String> {
    match v {
        DeValue::String(s) => Ok(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(|n| n.to_string())
            .map_err(|_| "the integer is out of range".to_owned()),
        DeValue::Boolean(b) => Ok(if *b { "on" } else { "off" }.to_owned()),
        DeValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                match item.get_ref() {
                    DeValue::String(s) if s.contains(',') => {
                        return Err(
                            "an array element contains ',' (arrays become comma-separated lists)"
                                .to_owned(),
                        );
                    }
                    DeValue::String(s) => out.push(s.to_string()),
                    other => {
                        return Err(format!(
                            "an array holds strings only, not a {}",
                            other.type_str()
                        ));
                    }
                }
            }
            Ok(out.join(","))
        }
        other => Err(format!(
            "a {} is not accepted: write a string, an integer, a boolean or an array of strings",
            other.type_str()
        )),
    }
}

fn upper(key: &str) -> String {
    key.to_ascii_uppercase()
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The environment first, then the file.
pub struct Layered<'a> {
    env: &'a dyn Env,
    file: Option<&'a FileVars>,
}

impl<'a> Layered<'a> {
    pub fn new(env: &'a dyn Env, file: Option<&'a FileVars>) -> Self {
        Self { env, file }
    }
}

impl Env for Layered<'_> {
    fn var(&self, name: &str) -> Option<String> {
        self.env
            .var(name)
            .or_else(|| self.file.and_then(|f| f.var(name)))
    }

    fn names_with_prefix(&self, prefix: &str) -> Vec<String> {
        let mut names = self.env.names_with_prefix(prefix);
        if let Some(f) = self.file {
            names.extend(f.names_with_prefix(prefix));
        }
        names.sort();
        names.dedup();
        names
    }
}

/// A configuration file, read and translated.
#[derive(Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub vars: FileVars,
    /// Unix permission bits, where known.
    mode: Option<u32>,
}

impl ConfigFile {
    /// Reads and translates `path`; every problem at once, each naming its line and key.
    pub fn read(path: &Path) -> Result<Self, ConfigErrors> {
        let shown = path.display().to_string();
        let fail = |problem: String| {
            ConfigErrors(vec![ConfigError {
                setting: shown.clone(),
                problem,
            }])
        };
        let file = std::fs::File::open(path).map_err(|e| fail(format!("cannot open: {e}")))?;
        let meta = file
            .metadata()
            .map_err(|e| fail(format!("cannot read: {e}")))?;
        if !meta.is_file() {
            return Err(fail("is not a regular file".to_owned()));
        }
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| fail(format!("cannot read: {e}")))?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(fail(format!(
                "is larger than {} KiB",
                MAX_FILE_BYTES / 1024
            )));
        }
        let text = Zeroizing::new(
            String::from_utf8(bytes).map_err(|_| fail("is not UTF-8 text".to_owned()))?,
        );
        let vars = FileVars::parse(&text).map_err(|problems| {
            ConfigErrors(
                problems
                    .into_iter()
                    .map(|p| ConfigError {
                        setting: match (p.line, p.key) {
                            (Some(l), Some(k)) => format!("{shown} line {l}: {k}"),
                            (Some(l), None) => format!("{shown} line {l}"),
                            (None, Some(k)) => format!("{shown}: {k}"),
                            (None, None) => shown.clone(),
                        },
                        problem: p.problem,
                    })
                    .collect(),
            )
        })?;
        Ok(Self {
            path: path.to_owned(),
            vars,
            mode: mode_of(&meta),
        })
    }

    /// The names of settings that hold secrets.
    fn secret_keys(&self) -> Vec<&str> {
        self.vars
            .vars
            .iter()
            .filter(|(n, _)| {
                ["PASSWORD", "SECRET", "AUTH_TOKEN", "AUTHTOKEN"]
                    .iter()
                    .any(|s| n.contains(s))
            })
            .map(|(_, s)| s.key.as_str())
            .collect()
    }

    /// A warning when the file holds secrets and others may read it.
    #[must_use]
    pub fn permission_warning(&self) -> Option<String> {
        let mode = self.mode?;
        let secrets = self.secret_keys();
        (mode & 0o044 != 0 && !secrets.is_empty()).then(|| {
            format!(
                "{} holds secrets ({}) and is readable by its group or by others (mode {:o}): chmod 600 it",
                self.path.display(),
                secrets.join(", "),
                mode & 0o777
            )
        })
    }

    /// What to tell the operator once logging is up: the file, which settings the environment
    /// overrides (debug, names only), and the permission warning.
    pub fn log_startup(&self, env: &dyn Env) {
        let file = self.path.display();
        tracing::info!(settings = self.vars.len(), "configuration file {file}");
        for (name, s) in &self.vars.vars {
            if env.var(name).is_some() {
                tracing::debug!(
                    variable = %name,
                    key = %s.key,
                    line = s.line,
                    "the environment overrides the configuration file {file}"
                );
            }
        }
        if let Some(w) = self.permission_warning() {
            tracing::warn!("{w}");
        }
    }

    /// Says where a failing setting came from when the file gave it.
    #[must_use]
    pub fn annotate(&self, errors: ConfigErrors, env: &dyn Env) -> ConfigErrors {
        ConfigErrors(
            errors
                .0
                .into_iter()
                .map(|mut e| {
                    if let Some(s) = self.vars.get(&e.setting)
                        && env.var(&e.setting).is_none()
                    {
                        e.setting = format!(
                            "{} ({} line {}: {})",
                            e.setting,
                            self.path.display(),
                            s.line,
                            s.key
                        );
                    }
                    e
                })
                .collect(),
        )
    }
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(meta.permissions().mode())
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> Option<u32> {
    None
}

/// The configuration file named by `--config`, else by `STRONGBOX_CONFIG_FILE`.
#[must_use]
pub fn path(args: &ServerArgs, env: &dyn Env) -> Option<PathBuf> {
    args.config
        .clone()
        .or_else(|| env.var(FILE_VAR).map(PathBuf::from))
}

/// The whole configuration: the file (if named), then [`Config::from_sources`] over the
/// environment layered on it. Errors from settings the file gave name the file's line.
pub fn load(
    args: &ServerArgs,
    env: &dyn Env,
) -> Result<(Config, Option<ConfigFile>), ConfigErrors> {
    let file = path(args, env).map(|p| ConfigFile::read(&p)).transpose()?;
    let layered = Layered::new(env, file.as_ref().map(|f| &f.vars));
    match Config::from_sources(args, &layered) {
        Ok(config) => Ok((config, file)),
        Err(errors) => Err(match &file {
            Some(f) => f.annotate(errors, env),
            None => errors,
        }),
    }
}

#[cfg(test)]
mod tests;
