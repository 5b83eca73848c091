//! `semverCompare` as Masterminds/semver v3 reads constraints: `||` between alternatives,
//! `,` or spaces between conditions that must all hold, operators `= != > < >= <= ~ ~> ^`,
//! wildcards (`1.2.x`, `*`), hyphen ranges (`1.2 - 1.4`), and its prerelease rule: a
//! version with a prerelease only matches a condition that has one (hence `>=1.19-0`).

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
}

impl Version {
    pub fn parse(s: &str) -> Result<Version, String> {
        let (v, wild) = parse_loose(s)?;
        if wild > 0 {
            return Err(format!("invalid semantic version: {s:?}"));
        }
        Ok(v)
    }
}

/// Parses `v1.2.3-pre+meta` (minor and patch optional); returns how many trailing parts
/// were wildcards or missing (3 for `*`).
fn parse_loose(s: &str) -> Result<(Version, u8), String> {
    let t = s.trim();
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    let t = t.split('+').next().unwrap_or(t);
    let (core, pre) = match t.split_once('-') {
        Some((c, p)) => (c, p.to_string()),
        None => (t, String::new()),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || parts[0].is_empty() {
        return Err(format!("invalid semantic version: {s:?}"));
    }
    let mut nums = [0u64; 3];
    let mut wild = 3 - parts.len() as u8;
    for (i, p) in parts.iter().enumerate() {
        if matches!(*p, "x" | "X" | "*") {
            wild = 3 - i as u8;
            break;
        }
        nums[i] = p
            .parse()
            .map_err(|_| format!("invalid semantic version: {s:?}"))?;
    }
    Ok((
        Version {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            pre,
        },
        wild,
    ))
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (xs, ys): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for (x, y) in xs.iter().zip(&ys) {
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(p), Ok(q)) => p.cmp(&q),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            _ => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    xs.len().cmp(&ys.len())
}

fn cmp(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| cmp_pre(&a.pre, &b.pre))
}

fn bump(v: &Version, part: u8) -> Version {
    match part {
        0 => Version {
            major: v.major + 1,
            minor: 0,
            patch: 0,
            pre: String::new(),
        },
        1 => Version {
            major: v.major,
            minor: v.minor + 1,
            patch: 0,
            pre: String::new(),
        },
        _ => Version {
            major: v.major,
            minor: v.minor,
            patch: v.patch + 1,
            pre: String::new(),
        },
    }
}

/// One condition: `op version`.
fn check(op: &str, cv: &Version, wild: u8, v: &Version) -> bool {
    if !v.pre.is_empty() && cv.pre.is_empty() && op != "!=" {
        return false;
    }
    let ge = |x: &Version| cmp(v, x) != Ordering::Less;
    let lt = |x: &Version| cmp(v, x) == Ordering::Less;
    // The first wildcard part: 0 major, 1 minor, 2 patch, 3 none.
    let first_wild = 3 - wild;
    match op {
        "" | "=" => {
            if wild == 3 {
                true
            } else if wild > 0 {
                ge(cv) && lt(&bump(cv, first_wild - 1))
            } else {
                cmp(v, cv) == Ordering::Equal
            }
        }
        "!=" => {
            if wild == 3 {
                false
            } else if wild > 0 {
                !(ge(cv) && lt(&bump(cv, first_wild - 1)))
            } else {
                cmp(v, cv) != Ordering::Equal
            }
        }
        ">" => {
            if wild > 0 && wild < 3 {
                ge(&bump(cv, first_wild - 1))
            } else {
                cmp(v, cv) == Ordering::Greater
            }
        }
        ">=" | "=>" => ge(cv),
        "<" => lt(cv),
        "<=" | "=<" => {
            if wild > 0 && wild < 3 {
                lt(&bump(cv, first_wild - 1))
            } else {
                cmp(v, cv) != Ordering::Greater
            }
        }
        "~" | "~>" => {
            let upper = if wild >= 2 { bump(cv, 0) } else { bump(cv, 1) };
            ge(cv) && lt(&upper)
        }
        "^" => {
            let upper = if cv.major > 0 || wild >= 2 {
                bump(cv, 0)
            } else if cv.minor > 0 || wild == 1 {
                bump(cv, 1)
            } else {
                bump(cv, 2)
            };
            ge(cv) && lt(&upper)
        }
        _ => false,
    }
}

/// True when `version` satisfies `constraint`.
pub fn matches(constraint: &str, version: &str) -> Result<bool, String> {
    let v = Version::parse(version)?;
    for alt in constraint.split("||") {
        let alt = alt.trim();
        // Hyphen range: `a - b`.
        if let Some((lo, hi)) = alt.split_once(" - ") {
            let (l, _) = parse_loose(lo)?;
            let (h, hw) = parse_loose(hi)?;
            if check(">=", &l, 0, &v) && check("<=", &h, hw, &v) {
                return Ok(true);
            }
            continue;
        }
        let mut all = true;
        let mut any = false;
        let normalized = alt.replace(',', " ");
        let mut toks = normalized.split_whitespace().peekable();
        while let Some(tok) = toks.next() {
            let split = tok
                .find(|c: char| c.is_ascii_alphanumeric() || c == '*')
                .unwrap_or(tok.len());
            let (op, rest) = tok.split_at(split);
            // `>= 1.2`: operator and version apart.
            let ver = if rest.is_empty() {
                toks.next().unwrap_or("")
            } else {
                rest
            };
            let (cv, wild) =
                parse_loose(ver).map_err(|_| format!("improper constraint: {constraint}"))?;
            any = true;
            if !check(op, &cv, wild, &v) {
                all = false;
            }
        }
        if any && all {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_read_as_masterminds_reads_them() {
        let m = |c: &str, v: &str| matches(c, v).unwrap();
        assert!(m(">=1.19-0", "v1.20.0"));
        assert!(m(">=1.19-0", "1.19.0-gke.1"));
        assert!(!m(">=1.19", "1.19.0-gke.1"));
        assert!(m("<1.22", "v1.20.0"));
        assert!(!m(">=1.21.0-0", "v1.20.0"));
        assert!(m("~1.2.3", "1.2.9") && !m("~1.2.3", "1.3.0"));
        assert!(m("^1.2", "1.9.0") && !m("^1.2", "2.0.0"));
        assert!(m("1.2.x", "1.2.7") && !m("1.2.x", "1.3.0"));
        assert!(m(">=1.0, <2.0 || >=3", "3.1.0"));
        assert!(m("1.0 - 1.4", "1.4.0"));
        assert!(m("*", "5.0.0"));
        assert!(matches("foo", "1.0.0").is_err());
    }
}
