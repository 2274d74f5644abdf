//! Distinguished names (RFC 4514): parsing and the normal form used as policy-mapping keys
//! (spec §8.3).
//!
//! Normal form: attribute types lower-cased (`OU=People` → `ou=People`), values unescaped and
//! re-escaped minimally (`\4a` → `J`, `\,` kept as `\,`), no spaces around `,`, `=` or `+`,
//! the values of a multi-valued RDN sorted, `;` as an RDN separator read as `,`. Value case is
//! kept: the directory decides what matches, so mapping keys come from DNs the server returned
//! (its own spelling), then normalised. `#hex` values are kept as lower-case hex.

use super::escape::escape_dn_value;

/// Longest DN accepted, in bytes.
pub const MAX_DN_BYTES: usize = 16 * 1024;

/// One `type=value` of an RDN: the type lower-cased; the value unescaped (or `#hex`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ava {
    pub attr: String,
    pub value: String,
    pub hex: bool,
}

/// A parsed DN: its RDNs, leftmost first.
pub type Rdns = Vec<Vec<Ava>>;

/// Parses a DN string; `Err` says what is wrong.
pub fn parse(dn: &str) -> Result<Rdns, String> {
    if dn.len() > MAX_DN_BYTES {
        return Err(format!("longer than {MAX_DN_BYTES} bytes"));
    }
    let mut rdns: Rdns = Vec::new();
    if dn.trim().is_empty() {
        return Ok(rdns);
    }
    let mut rdn = Vec::new();
    let mut rest = dn;
    loop {
        let (ava, sep, after) = parse_ava(rest)?;
        rdn.push(ava);
        rest = after;
        match sep {
            Some('+') => {}
            Some(_) => {
                rdns.push(std::mem::take(&mut rdn));
            }
            None => {
                rdns.push(rdn);
                return Ok(rdns);
            }
        }
    }
}

/// Parses `type=value` up to the next unescaped `+`, `,` or `;`; returns the separator found
/// (`None` at the end) and the text after it.
fn parse_ava(s: &str) -> Result<(Ava, Option<char>, &str), String> {
    let eq = s.find('=').ok_or("an RDN without '='")?;
    let attr = s[..eq].trim();
    if !valid_attr_type(attr) {
        return Err(format!("{attr:?} is not an attribute type"));
    }
    let attr = attr.to_ascii_lowercase();
    let v = s[eq + 1..].trim_start_matches(' ');
    if let Some(hex) = v.strip_prefix('#') {
        let end = hex.find([',', ';', '+']).unwrap_or(hex.len());
        let digits = hex[..end].trim_end_matches(' ');
        if digits.is_empty()
            || digits.len() % 2 != 0
            || !digits.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(format!("{attr}: bad #hex value"));
        }
        let ava = Ava {
            attr,
            value: format!("#{}", digits.to_ascii_lowercase()),
            hex: true,
        };
        return Ok(split_at_sep(ava, hex, end));
    }
    let mut bytes = Vec::with_capacity(v.len());
    // Length of `bytes` up to the last escaped character: trailing spaces after it are
    // insignificant, escaped ones are kept.
    let mut keep = 0;
    let mut chars = v.char_indices();
    let mut end = v.len();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, n) = chars.next().ok_or("a DN ends in '\\'")?;
                if n.is_ascii_hexdigit() {
                    let (_, m) = chars.next().ok_or("a truncated \\XX escape")?;
                    let pair: String = [n, m].iter().collect();
                    let b = u8::from_str_radix(&pair, 16)
                        .map_err(|_| format!("\\{pair} is not a hex escape"))?;
                    bytes.push(b);
                } else if " \"#+,;<=>\\".contains(n) {
                    let mut buf = [0u8; 4];
                    bytes.extend_from_slice(n.encode_utf8(&mut buf).as_bytes());
                } else {
                    return Err(format!("\\{n} is not a valid escape"));
                }
                keep = bytes.len();
            }
            ',' | ';' | '+' => {
                end = i;
                break;
            }
            '"' | '<' | '>' | '\0' => {
                return Err(format!("unescaped {c:?} in a value"));
            }
            _ => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                if c != ' ' {
                    keep = bytes.len();
                }
            }
        }
    }
    bytes.truncate(keep);
    let value = String::from_utf8(bytes).map_err(|_| "a value is not UTF-8".to_owned())?;
    let ava = Ava {
        attr,
        value,
        hex: false,
    };
    Ok(split_at_sep(ava, v, end))
}

fn split_at_sep(ava: Ava, s: &str, end: usize) -> (Ava, Option<char>, &str) {
    match s[end..].chars().next() {
        Some(c) => (ava, Some(c), &s[end + 1..]),
        None => (ava, None, ""),
    }
}

/// `descr` (a letter, then letters, digits, `-`) or a numeric OID.
fn valid_attr_type(t: &str) -> bool {
    let b = t.as_bytes();
    if b.is_empty() || b.len() > 256 {
        return false;
    }
    if b[0].is_ascii_alphabetic() {
        return b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-');
    }
    t.split('.')
        .all(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

/// Serialises parsed RDNs in the normal form.
pub fn to_string(rdns: &Rdns) -> String {
    let mut out = String::new();
    for (i, rdn) in rdns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let mut avas: Vec<&Ava> = rdn.iter().collect();
        avas.sort();
        for (j, a) in avas.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            out.push_str(&a.attr);
            out.push('=');
            if a.hex {
                out.push_str(&a.value);
            } else {
                out.push_str(&escape_dn_value(&a.value));
            }
        }
    }
    out
}

/// The normal form of `dn` (see the module docs).
pub fn normalize(dn: &str) -> Result<String, String> {
    parse(dn).map(|r| to_string(&r))
}

/// Whether the DN `dn` equals `base` or lies below it (both parsed; values compared without
/// regard to case, as directories compare the usual naming attributes).
pub fn is_within(dn: &Rdns, base: &Rdns) -> bool {
    if base.len() > dn.len() {
        return false;
    }
    let tail = &dn[dn.len() - base.len()..];
    tail.iter().zip(base).all(|(a, b)| rdn_eq(a, b))
}

fn rdn_eq(a: &[Ava], b: &[Ava]) -> bool {
    let key = |r: &[Ava]| {
        let mut v: Vec<(String, String)> = r
            .iter()
            .map(|x| (x.attr.clone(), x.value.to_lowercase()))
            .collect();
        v.sort();
        v
    };
    key(a) == key(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_form() {
        for (input, want) in [
            (
                "uid=bob,ou=people,dc=example,dc=org",
                "uid=bob,ou=people,dc=example,dc=org",
            ),
            (
                "UID=bob, OU=People , DC=Example,DC=org",
                "uid=bob,ou=People,dc=Example,dc=org",
            ),
            ("cn=a\\2c b,dc=x", "cn=a\\, b,dc=x"),
            ("cn=\\4a\\c3\\a9r\\c3\\b4me,dc=x", "cn=Jérôme,dc=x"),
            ("cn=slash/user,dc=x", "cn=slash/user,dc=x"),
            (
                "cn=svc\u{fe52}algorithm,dc=x",
                "cn=svc\u{fe52}algorithm,dc=x",
            ),
            ("cn=b+sn=a;dc=x", "cn=b+sn=a,dc=x"),
            ("sn=a+cn=b,dc=x", "cn=b+sn=a,dc=x"),
            ("cn=\\ lead\\ ,dc=x", "cn=\\ lead\\ ,dc=x"),
            ("cn=trail   ,dc=x", "cn=trail,dc=x"),
            ("cn=\\#hash,dc=x", "cn=\\#hash,dc=x"),
            (
                "1.3.6.1.4.1.1466.0=#04024869,dc=x",
                "1.3.6.1.4.1.1466.0=#04024869,dc=x",
            ),
            ("cn=a=b,dc=x", "cn=a=b,dc=x"),
            ("cn=,dc=x", "cn=,dc=x"),
            ("", ""),
        ] {
            assert_eq!(normalize(input).as_deref(), Ok(want), "{input}");
            // Normalising twice changes nothing.
            assert_eq!(normalize(want).as_deref(), Ok(want), "{want}");
        }
    }

    #[test]
    fn bad_dns() {
        for bad in [
            "bob",
            "uid=bob,",
            ",dc=x",
            "=x",
            "c n=x",
            "cn=a\"b",
            "cn=a<b",
            "cn=x\\",
            "cn=x\\zz",
            "cn=x\\4",
            "cn=#abc",
            "cn=#zz",
            "cn=\\ff\\fe",
            "cn=a\0",
        ] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
        assert!(normalize(&"cn=x,".repeat(5000)).is_err());
    }

    #[test]
    fn within() {
        let p = |s: &str| parse(s).unwrap();
        let base = p("ou=People,dc=example,dc=org");
        assert!(is_within(&p("uid=a,ou=people,dc=EXAMPLE,dc=org"), &base));
        assert!(is_within(&p("ou=people,dc=example,dc=org"), &base));
        assert!(!is_within(&p("uid=a,ou=groups,dc=example,dc=org"), &base));
        assert!(!is_within(&p("dc=example,dc=org"), &base));
        assert!(!is_within(&p("uid=a,ou=people,dc=example,dc=com"), &base));
    }
}
