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
    shape: Shape,
}

/// What matching a pattern takes, found when it is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// One literal text (or empty): an equality test.
    Literal,
    /// `*`: everything.
    MatchAll,
    /// A literal text then `*`: a test of the beginning.
    PrefixStar,
    /// A variable, or wildcards elsewhere: the general match.
    General,
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
        Pattern::of(segs)
    }

    fn of(segs: Vec<Seg>) -> Pattern {
        let shape = match segs.as_slice() {
            [] | [Seg::Lit(_)] => Shape::Literal,
            [Seg::Star] => Shape::MatchAll,
            [Seg::Lit(_), Seg::Star] => Shape::PrefixStar,
            _ => Shape::General,
        };
        Pattern { segs, shape }
    }

    /// Whether a variable of the pattern names one of the known keys of `keys` (bits, see
    /// [`crate::Key::bit`]).
    pub(crate) fn reads_any_of(&self, keys: u64) -> bool {
        self.variable_keys()
            .any(|k| matches!(k, KeyId::Known(k) if keys & k.bit() != 0))
    }

    /// The pattern with each variable naming a key of `keys` replaced by the text it resolves
    /// to in `vars` (the first value, or the variable's own text when that key has no value
    /// or an empty one), as a literal: a `*` or `?` in that text stays an ordinary character,
    /// exactly as when it is resolved per request. `None` when no variable names such a key.
    pub(crate) fn bind(&self, keys: u64, vars: &ConditionValues) -> Option<Pattern> {
        if !self.reads_any_of(keys) {
            return None;
        }
        let mut segs: Vec<Seg> = Vec::with_capacity(self.segs.len());
        for seg in &self.segs {
            let text = match seg {
                Seg::Var {
                    key: KeyId::Known(k),
                    ..
                } if keys & k.bit() != 0 => resolve(seg, vars),
                Seg::Lit(l) => l,
                other => {
                    segs.push(other.clone());
                    continue;
                }
            };
            // Adjacent literals are one literal (the pattern's literal beginning grows).
            match segs.last_mut() {
                Some(Seg::Lit(prev)) => prev.push_str(text),
                _ if text.is_empty() => {}
                _ => segs.push(Seg::Lit(text.to_owned())),
            }
        }
        Some(Pattern::of(segs))
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
        self.shape == Shape::Literal
    }

    /// Whether the pattern is exactly `*`.
    pub(crate) fn is_match_all(&self) -> bool {
        self.shape == Shape::MatchAll
    }

    /// Matches `text`, resolving variables from `vars`.
    pub(crate) fn matches(&self, text: &str, vars: &ConditionValues) -> bool {
        self.matches_text(&Text::one(text), vars)
    }

    /// [`Self::matches`] on a text that may be in two parts (`bucket/object`).
    pub(crate) fn matches_text(&self, text: &Text<'_>, vars: &ConditionValues) -> bool {
        match (self.shape, self.segs.as_slice()) {
            (Shape::Literal, []) => text.len() == 0,
            (Shape::Literal, [Seg::Lit(l)]) => text.equals(l.as_bytes()),
            (Shape::MatchAll, _) => true,
            (Shape::PrefixStar, [Seg::Lit(l), Seg::Star]) => text.starts_with_at(0, l.as_bytes()),
            (Shape::General, segs) => glob(segs, text, vars),
            // `Pattern::of` gives each shape its segments.
            _ => false,
        }
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
                    // A star that ends the pattern matches the rest of the text.
                    if i + 1 == segs.len() {
                        return true;
                    }
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

    /// The shortcuts (a literal, `*`, a literal then `*`, a star ending the pattern) match as
    /// the general algorithm does.
    #[test]
    fn shortcuts_match_as_the_general_algorithm() {
        let patterns = [
            "", "*", "a", "ab*", "a*", "a/b/*", "a?*", "*a", "a*b*", "a**", "é*",
        ];
        let texts = ["", "a", "ab", "abc", "a/b/", "a/b/c", "ba", "é", "éx", "a*"];
        let none = ConditionValues::empty();
        for p in patterns {
            let c = Pattern::compile(p, true);
            for t in texts {
                let general = glob(&c.segs, &Text::one(t), none);
                let slow = glob_without_shortcut(&c.segs, t);
                assert_eq!(c.matches(t, none), general, "{p:?} {t:?}");
                assert_eq!(general, slow, "{p:?} {t:?}");
            }
        }
        assert_eq!(Pattern::compile("ab*", true).shape, Shape::PrefixStar);
        assert_eq!(Pattern::compile("*", true).shape, Shape::MatchAll);
        assert_eq!(Pattern::compile("ab*", false).shape, Shape::Literal);
    }

    /// Matching by hand, star by star: the reference the shortcuts are checked against.
    fn glob_without_shortcut(segs: &[Seg], t: &str) -> bool {
        match segs.split_first() {
            None => t.is_empty(),
            Some((Seg::Star, rest)) => t
                .char_indices()
                .map(|(i, _)| i)
                .chain([t.len()])
                .any(|i| glob_without_shortcut(rest, &t[i..])),
            Some((Seg::One, rest)) => t
                .chars()
                .next()
                .is_some_and(|c| glob_without_shortcut(rest, &t[c.len_utf8()..])),
            Some((Seg::Lit(l), rest)) => t
                .strip_prefix(l.as_str())
                .is_some_and(|r| glob_without_shortcut(rest, r)),
            Some((Seg::Var { .. }, _)) => false,
        }
    }

    /// Binding a variable puts its resolved text in as a literal, joined to its neighbours.
    #[test]
    fn a_bound_variable_is_literal_text() {
        let p = Pattern::compile("b/home/${aws:username}/*", true);
        let bits = crate::Key::AwsUsername.bit();
        for (name, text) in [
            ("bob", "b/home/bob/"),
            ("b*?", "b/home/b*?/"),
            ("", "b/home/${aws:username}/"),
        ] {
            let v = ConditionValues::new().with("aws:username", name);
            let bound = p.bind(bits, &v).unwrap();
            assert_eq!(bound.segs, [Seg::Lit(text.into()), Seg::Star], "{name:?}");
            assert_eq!(bound.shape, Shape::PrefixStar);
            assert_eq!(bound.literal_prefix(), text);
        }
        // Bound to no value: the variable's own text, as when resolved per request.
        let bound = p.bind(bits, ConditionValues::empty()).unwrap();
        assert_eq!(bound.literal_prefix(), "b/home/${aws:username}/");
        // Other keys are left alone.
        assert!(
            p.bind(crate::Key::AwsUserId.bit(), ConditionValues::empty())
                .is_none()
        );
        let jwt = Pattern::compile("${jwt:sub}/${aws:username}", true);
        let bound = jwt
            .bind(bits, &ConditionValues::new().with("aws:username", "x"))
            .unwrap();
        assert!(matches!(bound.segs.as_slice(), [Seg::Var { .. }, Seg::Lit(l)] if l == "/x"));
        assert_eq!(bound.shape, Shape::General);
    }
}
