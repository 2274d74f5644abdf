//! The policy document model: what was parsed, compiled for evaluation, and canonical re-serialisation.

use std::collections::BTreeMap;

use crate::action::ActionSet;
use crate::condition::{Condition, Literal};
use crate::glob::Pattern;

/// The only policy language version accepted.
pub const POLICY_VERSION: &str = "2012-10-17";

/// Hard cap on any policy document's raw size. Callers enforce smaller limits on the canonical form
/// (session policy 2048, service-account policy 4096 bytes; see [`Policy::canonical_len`]).
pub const MAX_POLICY_BYTES: usize = 1 << 20;
/// Most statements a document may hold.
pub const MAX_STATEMENTS: usize = 1000;
/// Most values in one Action/Resource/Principal list or one condition.
pub const MAX_VALUES: usize = 1000;
/// Longest single string (an action, an ARN, a condition value, a Sid).
pub const MAX_STRING_BYTES: usize = 4096;

/// Identity policies (attached to users, groups, roles; also session policies) and bucket policies
/// differ in one respect: bucket policies name a `Principal`, identity policies must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Identity,
    Bucket,
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// `Principal` / `NotPrincipal` of a bucket-policy statement. Only the `AWS` form exists in MinIO;
/// `"*"` is stored as `AWS: ["*"]`.
#[derive(Debug, Clone)]
pub(crate) struct PrincipalBlock {
    pub(crate) negated: bool,
    pub(crate) aws: Vec<String>,
    pub(crate) patterns: Vec<Pattern>,
}

/// A compiled resource pattern (the part after `arn:aws:s3:::`).
#[derive(Debug, Clone)]
pub(crate) struct ResourcePattern {
    pub(crate) pattern: Pattern,
    /// For a pattern ending in `/*`: the pattern without it, which also matches the bucket itself
    /// (`arn:aws:s3:::bucket/*` grants bucket-level actions on `bucket`, as MinIO does).
    pub(crate) bucket_alias: Option<Pattern>,
}

#[derive(Debug, Clone)]
pub(crate) struct ResourceBlock {
    pub(crate) negated: bool,
    pub(crate) raw: Vec<String>,
    pub(crate) patterns: Vec<ResourcePattern>,
}

/// One statement, as parsed (for re-serialisation) and compiled (for evaluation).
#[derive(Debug, Clone)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalBlock>,
    pub(crate) action_negated: bool,
    pub(crate) action_raw: Vec<String>,
    /// The actions this statement applies to (already complemented for `NotAction`).
    pub(crate) actions: ActionSet,
    pub(crate) resource: Option<ResourceBlock>,
    pub(crate) condition_raw: BTreeMap<String, BTreeMap<String, Vec<Literal>>>,
    pub(crate) conditions: Vec<Condition>,
    /// Canonical JSON without the Sid: two statements with the same key are duplicates.
    pub(crate) dedup_key: String,
}

impl Statement {
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }
    pub fn effect(&self) -> Effect {
        self.effect
    }
    /// The action patterns as written, sorted and de-duplicated.
    pub fn action_patterns(&self) -> &[String] {
        &self.action_raw
    }
    /// Whether the statement uses `NotAction`.
    pub fn is_not_action(&self) -> bool {
        self.action_negated
    }
    /// The actions the statement applies to.
    pub fn actions(&self) -> &ActionSet {
        &self.actions
    }
    /// The resource ARNs as written (`Resource` or `NotResource`), sorted.
    pub fn resource_patterns(&self) -> &[String] {
        self.resource.as_ref().map_or(&[], |r| r.raw.as_slice())
    }

    pub(crate) fn write_json(&self, out: &mut String, with_sid: bool) {
        out.push('{');
        if with_sid && let Some(sid) = &self.sid {
            out.push_str("\"Sid\":");
            push_str(out, sid);
            out.push(',');
        }
        out.push_str("\"Effect\":");
        push_str(out, self.effect.as_str());
        if let Some(p) = &self.principal {
            out.push_str(if p.negated {
                ",\"NotPrincipal\":{\"AWS\":"
            } else {
                ",\"Principal\":{\"AWS\":"
            });
            push_list(out, &p.aws);
            out.push('}');
        }
        out.push_str(if self.action_negated {
            ",\"NotAction\":"
        } else {
            ",\"Action\":"
        });
        push_list(out, &self.action_raw);
        if let Some(r) = &self.resource {
            out.push_str(if r.negated {
                ",\"NotResource\":"
            } else {
                ",\"Resource\":"
            });
            push_list(out, &r.raw);
        }
        if !self.condition_raw.is_empty() {
            out.push_str(",\"Condition\":{");
            for (i, (op, keys)) in self.condition_raw.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_str(out, op);
                out.push_str(":{");
                for (j, (key, values)) in keys.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    push_str(out, key);
                    out.push(':');
                    if values.len() == 1 {
                        push_literal(out, &values[0]);
                    } else {
                        out.push('[');
                        for (k, v) in values.iter().enumerate() {
                            if k > 0 {
                                out.push(',');
                            }
                            push_literal(out, v);
                        }
                        out.push(']');
                    }
                }
                out.push('}');
            }
            out.push('}');
        }
        out.push('}');
    }
}

/// A parsed, validated and compiled policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) id: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) kind: PolicyKind,
    pub(crate) statements: Vec<Statement>,
}

impl Policy {
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    /// `Some("2012-10-17")`, or `None` when the document had no `Version`.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }
    /// Statements in document order, duplicates dropped.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Canonical compact JSON, field order `ID`, `Version`, `Statement` [`Sid`, `Effect`, `Principal`,
    /// `NotPrincipal`, `Action`, `NotAction`, `Resource`, `NotResource`, `Condition`] (spec §11);
    /// Action/Resource lists sorted and de-duplicated, condition operators and keys sorted, a single
    /// condition value written as a scalar. Parsing this text yields an equivalent policy.
    pub fn to_canonical_json(&self) -> String {
        let mut out = String::new();
        out.push('{');
        if let Some(id) = &self.id {
            out.push_str("\"ID\":");
            push_str(&mut out, id);
            out.push(',');
        }
        if let Some(v) = &self.version {
            out.push_str("\"Version\":");
            push_str(&mut out, v);
            out.push(',');
        }
        out.push_str("\"Statement\":[");
        for (i, s) in self.statements.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            s.write_json(&mut out, true);
        }
        out.push_str("]}");
        out
    }

    /// Length in bytes of [`to_canonical_json`](Self::to_canonical_json): the number MinIO compares
    /// with 2048 for session policies and 4096 for service-account policies.
    pub fn canonical_len(&self) -> usize {
        self.to_canonical_json().len()
    }
}

fn push_str(out: &mut String, s: &str) {
    // serde_json escaping of a &str cannot fail.
    out.push_str(&serde_json::Value::String(s.to_owned()).to_string());
}

fn push_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, s);
    }
    out.push(']');
}

fn push_literal(out: &mut String, l: &Literal) {
    match l {
        Literal::String(s) => push_str(out, s),
        Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Literal::Number(n) => out.push_str(n),
    }
}
