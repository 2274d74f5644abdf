//! Precompiled patterns with `*` / `?` wildcards and `${prefix:name}` policy variables.
//!
//! - `*` matches any run of characters including `/`; `?` matches exactly one character.
//! - A variable is replaced by the first value of that key in the request's [`ConditionValues`] and the
//!   value is matched **literally**: `*` or `?` inside a user name is not a wildcard, and the variable
//!   never matches by prefix (MinIO #7791).
//! - `${*}`, `${?}` and `${$}` are the literal characters (AWS escapes).
//! - A variable whose prefix is not `aws`, `jwt`, `ldap` or `s3`, or a known variable that has no
//!   (or an empty) value in the request, is kept as its literal text `${...}` (MinIO behaviour); since
//!   no bucket or key contains `${`, such a resource pattern matches nothing real.
//!
//! Matching is the classic single-backtrack-point algorithm: O(len(pattern) * len(text)) worst case,
//! never exponential.

use crate::key::KeyId;
use crate::resource::Text;
use crate::values::ConditionValues;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Var { key: KeyId, raw: String },
    One,
    Star,
}

/// A compiled pattern. `wildcards` false means `*` and `?` are ordinary characters (StringEquals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    segs: Vec<Seg>,
    has_vars: bool,
    has_wildcards: bool,
}

const VAR_PREFIXES: [&str; 4] = ["aws:", "jwt:", "ldap:", "s3:"];

impl Pattern {
    /// Compiles `raw`. With `wildcards`, `*`/`?` are wildcards; variables are always recognised.
    pub(crate) fn compile(raw: &str, wildcards: bool) -> Pattern {
        let mut segs: Vec<Seg> = Vec::new();
        let mut lit = String::new();
        let mut rest = raw;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("${")
                && let Some(end) = rest.find('}')
            {
                let inner = &rest[2..end];
                let var_raw = &rest[..=end];
                rest = &rest[end + 1..];
                match inner {
                    "*" | "?" | "$" => lit.push_str(inner),
                    _ if is_variable(inner) => {
                        if !lit.is_empty() {
                            segs.push(Seg::Lit(std::mem::take(&mut lit)));
                        }
                        segs.push(Seg::Var {
                            key: KeyId::of(inner),
                            raw: var_raw.to_owned(),
                        });
                    }
                    _ => lit.push_str(var_raw),
                }
                continue;
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if wildcards => {
                    if !lit.is_empty() {
                        segs.push(Seg::Lit(std::mem::take(&mut lit)));
                    }
                    // Consecutive stars are one star.
                    if segs.last() != Some(&Seg::Star) {
                        segs.push(Seg::Star);
                    }
                }
                '?' if wildcards => {
                    if !lit.is_empty() {
                        segs.push(Seg::Lit(std::mem::take(&mut lit)));
                    }
                    segs.push(Seg::One);
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            segs.push(Seg::Lit(lit));
        }
        let has_vars = segs.iter().any(|s| matches!(s, Seg::Var { .. }));
        let has_wildcards = segs.iter().any(|s| matches!(s, Seg::Star | Seg::One));
        Pattern {
            segs,
            has_vars,
            has_wildcards,
        }
    }

    /// The normalised condition keys of the pattern's variables.
    pub(crate) fn variable_keys(&self) -> impl Iterator<Item = &KeyId> {
        self.segs.iter().filter_map(|s| match s {
            Seg::Var { key, .. } => Some(key),
            _ => None,
        })
    }

    /// The literal text every match starts with (empty when the pattern starts with a wildcard
    /// or a variable).
    pub(crate) fn literal_prefix(&self) -> &str {
        match self.segs.first() {
            Some(Seg::Lit(l)) => l,
            _ => "",
        }
    }

    /// Whether the pattern is one literal text (or empty): no wildcard, no variable.
    pub(crate) fn is_literal(&self) -> bool {
        !self.has_vars && !self.has_wildcards
    }

    /// Whether the pattern is exactly `*`.
    pub(crate) fn is_match_all(&self) -> bool {
        matches!(self.segs.as_slice(), [Seg::Star])
    }

    /// Matches `text`, resolving variables from `vars`.
    pub(crate) fn matches(&self, text: &str, vars: &ConditionValues) -> bool {
        self.matches_text(&Text::one(text), vars)
    }

    /// [`Self::matches`] on a text that may be in two parts (`bucket/object`).
    pub(crate) fn matches_text(&self, text: &Text<'_>, vars: &ConditionValues) -> bool {
        if !self.has_vars && !self.has_wildcards {
            return match self.segs.as_slice() {
                [] => text.len() == 0,
                [Seg::Lit(l)] => text.equals(l.as_bytes()),
                _ => false,
            };
        }
        if self.is_match_all() {
            return true;
        }
        glob(&self.segs, text, vars)
    }

    /// The pattern with variables resolved, as one string (used for case-insensitive comparison).
    pub(crate) fn resolve(&self, vars: &ConditionValues) -> String {
        let mut out = String::new();
        for s in &self.segs {
            match s {
                Seg::Lit(l) => out.push_str(l),
                Seg::Var { .. } => out.push_str(resolve(s, vars)),
                Seg::One => out.push('?'),
                Seg::Star => out.push('*'),
            }
        }
        out
    }
}

fn is_variable(inner: &str) -> bool {
    let lower = inner.to_ascii_lowercase();
    VAR_PREFIXES
        .iter()
        .any(|p| lower.starts_with(p) && lower.len() > p.len())
        && !inner.contains(['$', '{'])
}

fn resolve<'a>(seg: &'a Seg, vars: &'a ConditionValues) -> &'a str {
    match seg {
        Seg::Lit(l) => l,
        Seg::Var { key, raw } => match vars.first(key) {
            Some(v) if !v.is_empty() => v,
            _ => raw,
        },
        Seg::One | Seg::Star => "",
    }
}

fn char_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0x80..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

fn glob(segs: &[Seg], t: &Text<'_>, vars: &ConditionValues) -> bool {
    let (mut i, mut p) = (0usize, 0usize);
    // (segment index after the last star, text position that star currently extends to)
    let mut star: Option<(usize, usize)> = None;
    loop {
        if i < segs.len() {
            match &segs[i] {
                Seg::Star => {
                    star = Some((i + 1, p));
                    i += 1;
                    continue;
                }
                Seg::One => {
                    if p < t.len() {
                        p += char_len(t.byte(p));
                        i += 1;
                        continue;
                    }
                }
                s => {
                    let l = resolve(s, vars).as_bytes();
                    if t.starts_with_at(p, l) {
                        p += l.len();
                        i += 1;
                        continue;
                    }
                }
            }
        } else if p == t.len() {
            return true;
        }
        match star {
            Some((si, sp)) if sp < t.len() => {
                let np = sp + char_len(t.byte(sp));
                star = Some((si, np));
                i = si;
                p = np;
            }
            _ => return false,
        }
    }
}

/// Plain wildcard match without variables (action names, principals).
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    Pattern::compile(pattern, true).matches(text, ConditionValues::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        wildcard_match(p, t)
    }

    #[test]
    fn wildcards() {
        assert!(m("*", ""));
        assert!(m("a*", "a/b/c"));
        assert!(m("a?c", "abc"));
        assert!(m("a?c", "aéc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*/*", "b/"));
        assert!(!m("bucket", "bucket2"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("", ""));
        assert!(!m("", "x"));
    }

    #[test]
    fn no_exponential_backtracking() {
        let p = "a*".repeat(200) + "b";
        let t = "a".repeat(5000);
        let start = std::time::Instant::now();
        assert!(!m(&p, &t));
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn variables_are_literal() {
        let mut v = ConditionValues::new();
        v.insert("aws:username", "b*");
        let p = Pattern::compile("${aws:username}/x", true);
        assert!(p.matches("b*/x", &v));
        assert!(!p.matches("bob/x", &v));
        let esc = Pattern::compile("a${*}b", true);
        assert!(esc.matches("a*b", &v));
        assert!(!esc.matches("axb", &v));
        // Unknown variable or missing value: kept literally.
        let unknown = Pattern::compile("${foo:bar}*", true);
        assert!(unknown.matches("${foo:bar}x", &v));
        let missing = Pattern::compile("${aws:userid}", true);
        assert!(missing.matches("${aws:userid}", &v));
        assert!(!missing.matches("", &v));
    }
}
