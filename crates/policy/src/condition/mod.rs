//! Condition operators (spec §12.3), compiled once and evaluated per request.
//!
//! Semantics (AWS IAM "Condition operators" and "multivalued context keys"):
//! - A key absent from the request (or with no values): `...IfExists` → true; `ForAllValues:` → true;
//!   `ForAnyValue:` → false; otherwise negated operators (`StringNotEquals`, `StringNotLike`,
//!   `NotIpAddress`, `NumericNotEquals`, `DateNotEquals`, `StringNotEqualsIgnoreCase`) → true and all
//!   other operators → false. `Null` tests presence itself.
//! - A value "matches" when it equals/satisfies **any** of the policy's values. A request value that
//!   cannot be read as the operator's type (an IP, a number, a date, a boolean) matches nothing.
//! - Plain operators: positive → some request value matches; negated → no request value matches.
//!   `ForAnyValue:` → some request value matches (negated: some request value does not match).
//!   `ForAllValues:` → every request value matches (negated: no request value matches any).
//! - Policy variables are substituted in the values of the `String*` operators only.

mod keys;
mod scalar;

use base64::Engine;

use crate::action::ActionSet;
use crate::glob::Pattern;
use crate::key::KeyId;
use crate::values::{ConditionValues, Found};
pub(crate) use keys::validate_key;
use scalar::{Cidr, parse_bool, parse_date, parse_ip, parse_number};

/// A condition value as written in the policy (kept for canonical re-serialisation).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Literal {
    String(String),
    Bool(bool),
    Number(String),
}

impl Literal {
    pub fn text(&self) -> &str {
        match self {
            Literal::String(s) | Literal::Number(s) => s,
            Literal::Bool(true) => "true",
            Literal::Bool(false) => "false",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    None,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Str(Vec<Pattern>),
    StrIgnoreCase(Vec<Pattern>),
    Binary(Vec<Vec<u8>>),
    Ip(Vec<Cidr>),
    Null(bool),
    Bool(Vec<bool>),
    Num(Cmp, Vec<f64>),
    Date(Cmp, Vec<i128>),
}

/// One compiled `operator: { key: values }` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    qualifier: Qualifier,
    if_exists: bool,
    negated: bool,
    key: KeyId,
    test: Test,
}

/// A condition for requests some of whose values are known in advance ([`Condition::bind`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bound {
    /// It reads none of the known values.
    Same,
    /// Its variables naming known keys replaced by their values.
    Changed(Condition),
    /// It reads only known values: it holds for every request, or for none.
    Always(bool),
}

/// Compiles one condition. `Err` is a message for the caller to prefix with the location.
pub(crate) fn compile(
    operator: &str,
    key: &str,
    values: &[Literal],
    actions: &ActionSet,
) -> Result<Condition, String> {
    let (qualifier, op) = if let Some(rest) = operator.strip_prefix("ForAnyValue:") {
        (Qualifier::ForAnyValue, rest)
    } else if let Some(rest) = operator.strip_prefix("ForAllValues:") {
        (Qualifier::ForAllValues, rest)
    } else {
        (Qualifier::None, operator)
    };
    let (if_exists, base) = match op.strip_suffix("IfExists") {
        Some(b) => (true, b),
        None => (false, op),
    };
    validate_key(key, actions)?;
    if values.is_empty() {
        return Err(format!("condition {operator} {key:?} has no values"));
    }
    let texts: Vec<&str> = values.iter().map(Literal::text).collect();
    let typed = |what: &str| format!("condition {operator} {key:?}: every value must be {what}");
    let numbers = || -> Result<Vec<f64>, String> {
        texts
            .iter()
            .map(|t| parse_number(t).ok_or_else(|| typed("a number")))
            .collect()
    };
    let dates = || -> Result<Vec<i128>, String> {
        texts
            .iter()
            .map(|t| parse_date(t).ok_or_else(|| typed("a date (RFC 3339 or epoch seconds)")))
            .collect()
    };
    let strings = |wildcards: bool| {
        texts
            .iter()
            .map(|t| Pattern::compile(t, wildcards))
            .collect::<Vec<_>>()
    };
    let (negated, test) = match base {
        "StringEquals" => (false, Test::Str(strings(false))),
        "StringNotEquals" => (true, Test::Str(strings(false))),
        "StringEqualsIgnoreCase" => (false, Test::StrIgnoreCase(strings(false))),
        "StringNotEqualsIgnoreCase" => (true, Test::StrIgnoreCase(strings(false))),
        "StringLike" => (false, Test::Str(strings(true))),
        "StringNotLike" => (true, Test::Str(strings(true))),
        "BinaryEquals" => {
            let decoded = texts
                .iter()
                .map(|t| {
                    base64::engine::general_purpose::STANDARD
                        .decode(t)
                        .map_err(|_| typed("base64"))
                })
                .collect::<Result<_, _>>()?;
            (false, Test::Binary(decoded))
        }
        "IpAddress" | "NotIpAddress" => {
            let nets = texts
                .iter()
                .map(|t| Cidr::parse(t).ok_or_else(|| typed("an IP address or CIDR block")))
                .collect::<Result<_, _>>()?;
            (base == "NotIpAddress", Test::Ip(nets))
        }
        "Null" => {
            if if_exists || qualifier != Qualifier::None {
                return Err(format!("condition operator {operator} is not valid"));
            }
            let bools = texts
                .iter()
                .map(|t| parse_bool(t).ok_or_else(|| typed("true or false")))
                .collect::<Result<Vec<_>, _>>()?;
            if bools.len() != 1 {
                return Err(format!(
                    "condition {operator} {key:?} takes exactly one value"
                ));
            }
            (false, Test::Null(bools[0]))
        }
        "Bool" => {
            let bools = texts
                .iter()
                .map(|t| parse_bool(t).ok_or_else(|| typed("true or false")))
                .collect::<Result<_, _>>()?;
            (false, Test::Bool(bools))
        }
        "NumericEquals" => (false, Test::Num(Cmp::Eq, numbers()?)),
        "NumericNotEquals" => (true, Test::Num(Cmp::Eq, numbers()?)),
        "NumericLessThan" => (false, Test::Num(Cmp::Lt, numbers()?)),
        "NumericLessThanEquals" => (false, Test::Num(Cmp::Le, numbers()?)),
        "NumericGreaterThan" => (false, Test::Num(Cmp::Gt, numbers()?)),
        "NumericGreaterThanEquals" => (false, Test::Num(Cmp::Ge, numbers()?)),
        "DateEquals" => (false, Test::Date(Cmp::Eq, dates()?)),
        "DateNotEquals" => (true, Test::Date(Cmp::Eq, dates()?)),
        "DateLessThan" => (false, Test::Date(Cmp::Lt, dates()?)),
        "DateLessThanEquals" => (false, Test::Date(Cmp::Le, dates()?)),
        "DateGreaterThan" => (false, Test::Date(Cmp::Gt, dates()?)),
        "DateGreaterThanEquals" => (false, Test::Date(Cmp::Ge, dates()?)),
        _ => return Err(format!("condition operator {operator:?} is not supported")),
    };
    Ok(Condition {
        qualifier,
        if_exists,
        negated,
        key: KeyId::of(key),
        test,
    })
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

impl Condition {
    /// Whether one request value satisfies the (non-negated) test against any policy value.
    fn value_matches(&self, v: &str, ctx: &ConditionValues) -> bool {
        match &self.test {
            Test::Str(ps) => ps.iter().any(|p| p.matches(v, ctx)),
            Test::StrIgnoreCase(ps) => ps.iter().any(|p| eq_ignore_case(&p.resolve(ctx), v)),
            Test::Binary(bs) => bs.iter().any(|b| b.as_slice() == v.as_bytes()),
            Test::Ip(nets) => parse_ip(v).is_some_and(|ip| nets.iter().any(|n| n.contains(ip))),
            Test::Bool(bs) => parse_bool(v).is_some_and(|x| bs.contains(&x)),
            Test::Num(cmp, ns) => {
                parse_number(v).is_some_and(|x| ns.iter().any(|n| cmp.holds(x, *n)))
            }
            Test::Date(cmp, ds) => {
                parse_date(v).is_some_and(|x| ds.iter().any(|d| cmp.holds(x, *d)))
            }
            Test::Null(_) => false,
        }
    }

    /// The keys evaluation reads: the condition's key and the variables of its string values.
    pub(crate) fn read_keys(&self) -> impl Iterator<Item = &KeyId> {
        let patterns = match &self.test {
            Test::Str(ps) | Test::StrIgnoreCase(ps) => ps.as_slice(),
            _ => &[],
        };
        std::iter::once(&self.key).chain(patterns.iter().flat_map(Pattern::variable_keys))
    }

    /// The condition for requests whose known keys of `keys` (bits, see [`crate::Key::bit`])
    /// have the values they have in `bound` (see [`crate::Binding`]).
    pub(crate) fn bind(&self, keys: u64, bound: &ConditionValues) -> Bound {
        let patterns = match &self.test {
            Test::Str(ps) | Test::StrIgnoreCase(ps) => ps.as_slice(),
            _ => &[],
        };
        let mut changed = None;
        if patterns.iter().any(|p| p.reads_any_of(keys)) {
            let bind = |ps: &[Pattern]| -> Vec<Pattern> {
                ps.iter()
                    .map(|p| p.bind(keys, bound).unwrap_or_else(|| p.clone()))
                    .collect()
            };
            let test = match &self.test {
                Test::Str(ps) => Test::Str(bind(ps)),
                Test::StrIgnoreCase(ps) => Test::StrIgnoreCase(bind(ps)),
                other => other.clone(),
            };
            changed = Some(Condition {
                test,
                key: self.key.clone(),
                ..*self
            });
        }
        let c = changed.as_ref().unwrap_or(self);
        // Reading nothing but bound keys, it says the same for every such request.
        let reads_only_bound = c
            .read_keys()
            .all(|k| matches!(k, KeyId::Known(k) if keys & k.bit() != 0));
        if reads_only_bound {
            return Bound::Always(c.evaluate(bound));
        }
        changed.map_or(Bound::Same, Bound::Changed)
    }

    pub(crate) fn evaluate(&self, ctx: &ConditionValues) -> bool {
        let found = ctx.find(&self.key);
        if let Test::Null(want_absent) = self.test {
            return found.is_none() == want_absent;
        }
        let Some(found) = found else {
            return self.if_exists
                || match self.qualifier {
                    Qualifier::ForAllValues => true,
                    Qualifier::ForAnyValue => false,
                    Qualifier::None => self.negated,
                };
        };
        // A typed value is one value: every qualifier reduces to "it matches" (negated: not).
        match (&self.test, found) {
            (Test::Ip(nets), Found::Ip(ip, _)) => {
                return nets.iter().any(|n| n.contains(*ip)) != self.negated;
            }
            (Test::Date(cmp, ds), Found::Date(at, _)) => {
                return ds.iter().any(|d| cmp.holds(at, *d)) != self.negated;
            }
            (_, Found::One(v, _)) => return self.value_matches(v, ctx) != self.negated,
            _ => {}
        }
        let values = found.texts();
        let m = |v: &String| self.value_matches(v, ctx);
        match (self.qualifier, self.negated) {
            (Qualifier::None | Qualifier::ForAnyValue, false) => values.iter().any(m),
            (Qualifier::None, true) => !values.iter().any(m),
            (Qualifier::ForAnyValue, true) => !values.iter().all(m),
            (Qualifier::ForAllValues, false) => values.iter().all(m),
            (Qualifier::ForAllValues, true) => !values.iter().any(m),
        }
    }
}

#[cfg(test)]
mod tests;
