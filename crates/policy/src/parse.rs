//! Strict parsing of policy JSON into [`Policy`].
//!
//! - Field names are matched ASCII case-insensitively (MinIO decodes with Go's `encoding/json`, which
//!   does the same), but a field given twice in any spelling is refused, as is any unknown field.
//! - `Id` may also be spelled `ID` (MinIO's output); `Version` may be absent or `""` except in
//!   session policies.
//! - `Statement`, `Action`, `Resource`, principal lists and condition values accept a single value or
//!   an array; arrays must not be empty.
//! - Duplicate statements (equal except for `Sid`) are dropped, keeping the first.

use std::collections::{BTreeMap, HashSet};

use crate::action::{self, ActionSet, Service};
use crate::condition::{self, Literal};
use crate::document::*;
use crate::error::PolicyError;
use crate::glob::Pattern;
use crate::json::{self, Json};

const RESOURCE_PREFIX: &str = "arn:aws:s3:::";

/// How to parse: which kind of policy, whether `Version` is required, and the raw size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    pub kind: PolicyKind,
    /// Session policies must carry `Version` (spec §11); other policies may omit it.
    pub require_version: bool,
    /// Raw input limit in bytes; never above [`MAX_POLICY_BYTES`].
    pub max_bytes: usize,
}

impl ParseOptions {
    /// Named IAM policies (users, groups, roles, canned).
    pub const IDENTITY: ParseOptions = ParseOptions {
        kind: PolicyKind::Identity,
        require_version: false,
        max_bytes: MAX_POLICY_BYTES,
    };
    /// STS `Policy` parameter and service-account embedded policies (`Version` required).
    pub const SESSION: ParseOptions = ParseOptions {
        kind: PolicyKind::Identity,
        require_version: true,
        max_bytes: MAX_POLICY_BYTES,
    };
    /// Bucket policies (`Principal` required, S3 actions only).
    pub const BUCKET: ParseOptions = ParseOptions {
        kind: PolicyKind::Bucket,
        require_version: false,
        max_bytes: MAX_POLICY_BYTES,
    };
}

impl Policy {
    /// Parses an identity policy ([`ParseOptions::IDENTITY`]).
    pub fn parse(bytes: &[u8]) -> Result<Policy, PolicyError> {
        Self::parse_with(bytes, &ParseOptions::IDENTITY)
    }

    /// Parses a session policy ([`ParseOptions::SESSION`]). The caller still checks
    /// [`Policy::canonical_len`] against 2048 (STS) or 4096 (service accounts).
    pub fn parse_session(bytes: &[u8]) -> Result<Policy, PolicyError> {
        Self::parse_with(bytes, &ParseOptions::SESSION)
    }

    /// Parses a bucket policy ([`ParseOptions::BUCKET`]).
    pub fn parse_bucket(bytes: &[u8]) -> Result<Policy, PolicyError> {
        Self::parse_with(bytes, &ParseOptions::BUCKET)
    }

    pub fn parse_with(bytes: &[u8], opts: &ParseOptions) -> Result<Policy, PolicyError> {
        let doc = json::parse(bytes, opts.max_bytes.min(MAX_POLICY_BYTES))?;
        document(doc, opts)
    }
}

fn err(location: &str, message: impl Into<String>) -> PolicyError {
    PolicyError::invalid(location, message)
}

/// Splits an object into known fields (by canonical name), refusing unknown and repeated fields.
fn fields(
    obj: Json,
    location: &str,
    known: &[&'static str],
) -> Result<BTreeMap<&'static str, Json>, PolicyError> {
    let Json::Object(entries) = obj else {
        return Err(err(
            location,
            format!("expected an object, found {}", obj_kind(&obj)),
        ));
    };
    let mut out = BTreeMap::new();
    for (k, v) in entries {
        let Some(name) = known.iter().copied().find(|n| n.eq_ignore_ascii_case(&k)) else {
            return Err(err(location, format!("unknown field {k:?}")));
        };
        if out.insert(name, v).is_some() {
            return Err(err(
                location,
                format!("field {name:?} given more than once"),
            ));
        }
    }
    Ok(out)
}

/// Characters that make a policy read differently from how it matches: C0/C1 controls (incl. NUL),
/// bidi overrides and isolates, zero-width characters and the BOM.
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

fn obj_kind(j: &Json) -> &'static str {
    j.kind()
}

fn string(j: Json, location: &str) -> Result<String, PolicyError> {
    match j {
        Json::String(s) => {
            if s.len() > MAX_STRING_BYTES {
                return Err(err(
                    location,
                    format!("string longer than {MAX_STRING_BYTES} bytes"),
                ));
            }
            if s.chars().any(invisible) {
                return Err(err(
                    location,
                    "string contains control, bidi or zero-width characters",
                ));
            }
            Ok(s)
        }
        other => Err(err(
            location,
            format!("expected a string, found {}", other.kind()),
        )),
    }
}

/// A string or a non-empty array of strings.
fn string_list(j: Json, location: &str) -> Result<Vec<String>, PolicyError> {
    let items = match j {
        Json::Array(items) => items,
        single => vec![single],
    };
    if items.is_empty() {
        return Err(err(location, "must not be empty"));
    }
    if items.len() > MAX_VALUES {
        return Err(err(location, format!("more than {MAX_VALUES} values")));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        out.push(string(item, &format!("{location}[{i}]"))?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn document(doc: Json, opts: &ParseOptions) -> Result<Policy, PolicyError> {
    let mut f = fields(doc, "policy", &["Version", "Id", "Statement"])?;
    let version = f
        .remove("Version")
        .map(|v| string(v, "Version"))
        .transpose()?
        .filter(|v| !v.is_empty());
    match version.as_deref() {
        Some(POLICY_VERSION) => {}
        None if !opts.require_version => {}
        None => {
            return Err(err(
                "Version",
                format!("Version cannot be empty, expecting '{POLICY_VERSION}'"),
            ));
        }
        Some(v) => {
            return Err(err(
                "Version",
                format!("unsupported Version {v:?}, expecting '{POLICY_VERSION}'"),
            ));
        }
    }
    let id = f
        .remove("Id")
        .map(|v| string(v, "Id"))
        .transpose()?
        .filter(|s| !s.is_empty());
    let Some(stmts) = f.remove("Statement") else {
        return Err(err("policy", "Statement is missing"));
    };
    let stmts = match stmts {
        Json::Array(items) => items,
        single @ Json::Object(_) => vec![single],
        other => {
            return Err(err(
                "Statement",
                format!("expected an object or an array, found {}", other.kind()),
            ));
        }
    };
    if stmts.len() > MAX_STATEMENTS {
        return Err(err(
            "Statement",
            format!("more than {MAX_STATEMENTS} statements"),
        ));
    }
    let mut seen = HashSet::new();
    let mut statements = Vec::with_capacity(stmts.len());
    for (i, s) in stmts.into_iter().enumerate() {
        let st = statement(s, &format!("Statement[{i}]"), opts.kind)?;
        if seen.insert(st.dedup_key.clone()) {
            statements.push(st);
        }
    }
    Ok(Policy {
        id,
        version,
        kind: opts.kind,
        statements,
    })
}

const STATEMENT_FIELDS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn statement(j: Json, loc: &str, kind: PolicyKind) -> Result<Statement, PolicyError> {
    let mut f = fields(j, loc, STATEMENT_FIELDS)?;
    let at = |field: &str| format!("{loc}.{field}");

    let sid = f
        .remove("Sid")
        .map(|v| string(v, &at("Sid")))
        .transpose()?
        .filter(|s| !s.is_empty());
    let effect = match f
        .remove("Effect")
        .map(|v| string(v, &at("Effect")))
        .transpose()?
    {
        Some(e) if e == "Allow" => Effect::Allow,
        Some(e) if e == "Deny" => Effect::Deny,
        Some(e) => {
            return Err(err(
                &at("Effect"),
                format!("invalid Effect {e:?}, expecting \"Allow\" or \"Deny\""),
            ));
        }
        None => return Err(err(loc, "Effect is missing")),
    };

    let principal = match (f.remove("Principal"), f.remove("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(err(
                loc,
                "Principal and NotPrincipal are mutually exclusive",
            ));
        }
        (Some(p), None) => Some(principal(p, &at("Principal"), false)?),
        (None, Some(p)) => Some(principal(p, &at("NotPrincipal"), true)?),
        (None, None) => None,
    };
    match (kind, &principal) {
        (PolicyKind::Identity, Some(_)) => {
            return Err(err(loc, "Principal is not allowed in an identity policy"));
        }
        (PolicyKind::Bucket, None) => {
            return Err(err(
                loc,
                "Principal is missing (required in a bucket policy)",
            ));
        }
        _ => {}
    }

    let (action_negated, action_raw, field) = match (f.remove("Action"), f.remove("NotAction")) {
        (Some(_), Some(_)) => return Err(err(loc, "Action and NotAction are mutually exclusive")),
        (Some(a), None) => (false, string_list(a, &at("Action"))?, "Action"),
        (None, Some(a)) => (true, string_list(a, &at("NotAction"))?, "NotAction"),
        (None, None) => return Err(err(loc, "Action or NotAction is required")),
    };
    let mut named = ActionSet::default();
    for (i, a) in action_raw.iter().enumerate() {
        let set = action::compile_pattern(a).map_err(|m| err(&format!("{loc}.{field}[{i}]"), m))?;
        named = named.union(&set);
    }
    let mut actions = if action_negated {
        named.complement()
    } else {
        named
    };
    if kind == PolicyKind::Bucket {
        if !action_negated && named.iter().any(|a| a.service() != Service::S3) {
            return Err(err(&at(field), "a bucket policy may only name s3: actions"));
        }
        let mut s3_only = ActionSet::default();
        for a in actions.iter().filter(|a| a.service() == Service::S3) {
            s3_only.insert(a);
        }
        actions = s3_only;
    }

    let resource = match (f.remove("Resource"), f.remove("NotResource")) {
        (Some(_), Some(_)) => {
            return Err(err(loc, "Resource and NotResource are mutually exclusive"));
        }
        (Some(r), None) => Some(resource(r, &at("Resource"), false)?),
        (None, Some(r)) => Some(resource(r, &at("NotResource"), true)?),
        (None, None) => None,
    };
    if resource.is_none() && actions.touches(Service::S3) {
        return Err(err(
            loc,
            "Resource or NotResource is required for s3: actions",
        ));
    }

    let (condition_raw, conditions) = match f.remove("Condition") {
        Some(c) => conditions(c, &at("Condition"), &actions)?,
        None => (BTreeMap::new(), Vec::new()),
    };

    let mut st = Statement {
        sid,
        effect,
        principal,
        action_negated,
        action_raw,
        actions,
        resource,
        condition_raw,
        conditions,
        dedup_key: String::new(),
    };
    let mut key = String::new();
    st.write_json(&mut key, false);
    st.dedup_key = key;
    Ok(st)
}

fn principal(j: Json, loc: &str, negated: bool) -> Result<PrincipalBlock, PolicyError> {
    let aws = match j {
        Json::String(s) if s == "*" => vec!["*".to_owned()],
        obj @ Json::Object(_) => {
            let mut f = fields(obj, loc, &["AWS"])?;
            match f.remove("AWS") {
                Some(v) => string_list(v, &format!("{loc}.AWS"))?,
                None => return Err(err(loc, "expected {\"AWS\": ...}")),
            }
        }
        other => {
            return Err(err(
                loc,
                format!("expected \"*\" or {{\"AWS\": ...}}, found {}", other.kind()),
            ));
        }
    };
    let patterns = aws.iter().map(|p| Pattern::compile(p, true)).collect();
    Ok(PrincipalBlock {
        negated,
        aws,
        patterns,
    })
}

fn resource(j: Json, loc: &str, negated: bool) -> Result<ResourceBlock, PolicyError> {
    let raw = string_list(j, loc)?;
    let mut patterns = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let rest = if r == "*" {
            "*"
        } else {
            match r.strip_prefix(RESOURCE_PREFIX) {
                Some(rest) if !rest.is_empty() => rest,
                _ => {
                    return Err(err(
                        &format!("{loc}[{i}]"),
                        format!(
                            "invalid resource {r:?}, expecting \"{RESOURCE_PREFIX}bucket[/key]\""
                        ),
                    ));
                }
            }
        };
        let bucket_alias = rest
            .strip_suffix("/*")
            .filter(|b| !b.is_empty())
            .map(|b| Pattern::compile(b, true));
        patterns.push(ResourcePattern {
            pattern: Pattern::compile(rest, true),
            bucket_alias,
        });
    }
    Ok(ResourceBlock {
        negated,
        raw,
        patterns,
    })
}

type RawConditions = BTreeMap<String, BTreeMap<String, Vec<Literal>>>;

fn conditions(
    j: Json,
    loc: &str,
    actions: &ActionSet,
) -> Result<(RawConditions, Vec<condition::Condition>), PolicyError> {
    let Json::Object(ops) = j else {
        return Err(err(loc, format!("expected an object, found {}", j.kind())));
    };
    let mut raw = RawConditions::new();
    let mut compiled = Vec::new();
    for (op, keys) in ops {
        let op_loc = format!("{loc}.{op}");
        if raw.contains_key(&op) {
            return Err(err(loc, format!("operator {op:?} given more than once")));
        }
        let Json::Object(keys) = keys else {
            return Err(err(
                &op_loc,
                format!("expected an object, found {}", keys.kind()),
            ));
        };
        if keys.is_empty() {
            return Err(err(&op_loc, "must not be empty"));
        }
        let mut by_key = BTreeMap::new();
        for (key, values) in keys {
            let key_loc = format!("{op_loc}.{key}");
            if by_key.contains_key(&key) {
                return Err(err(&op_loc, format!("key {key:?} given more than once")));
            }
            let values = literals(values, &key_loc)?;
            let c =
                condition::compile(&op, &key, &values, actions).map_err(|m| err(&key_loc, m))?;
            compiled.push(c);
            by_key.insert(key, values);
        }
        raw.insert(op, by_key);
    }
    if compiled.len() > MAX_VALUES {
        return Err(err(loc, format!("more than {MAX_VALUES} conditions")));
    }
    Ok((raw, compiled))
}

fn literals(j: Json, loc: &str) -> Result<Vec<Literal>, PolicyError> {
    let items = match j {
        Json::Array(items) => items,
        single => vec![single],
    };
    if items.is_empty() {
        return Err(err(loc, "must not be empty"));
    }
    if items.len() > MAX_VALUES {
        return Err(err(loc, format!("more than {MAX_VALUES} values")));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Json::String(_) => string(v, &format!("{loc}[{i}]")).map(Literal::String),
            Json::Bool(b) => Ok(Literal::Bool(b)),
            Json::Number(n) => Ok(Literal::Number(n.to_string())),
            other => Err(err(
                &format!("{loc}[{i}]"),
                format!(
                    "expected a string, number or boolean, found {}",
                    other.kind()
                ),
            )),
        })
        .collect()
}

impl Policy {
    /// For a bucket policy attached to `bucket`: every resource must be inside that bucket (the part
    /// before the first `/` must match `bucket`, wildcards allowed), as MinIO requires.
    pub fn check_bucket(&self, bucket: &str) -> Result<(), PolicyError> {
        for (i, st) in self.statements.iter().enumerate() {
            let Some(r) = &st.resource else { continue };
            let field = if r.negated { "NotResource" } else { "Resource" };
            for (j, raw) in r.raw.iter().enumerate() {
                let rest = raw.strip_prefix(RESOURCE_PREFIX).unwrap_or(raw);
                let bucket_part = rest.split('/').next().unwrap_or(rest);
                if !crate::glob::wildcard_match(bucket_part, bucket) {
                    return Err(err(
                        &format!("Statement[{i}].{field}[{j}]"),
                        format!("resource {raw:?} is outside bucket {bucket:?}"),
                    ));
                }
            }
        }
        Ok(())
    }
}
