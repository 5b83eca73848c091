//! Go's `fmt.Sprintf` for template values: the verbs charts use (`%s %v %d %q %x %X %f %e %g
//! %t %T %c %o %b %%`), flags (`-+# 0`), width and precision, and Go's wording for mistakes
//! (`%!d(float64=80)`, `%!s(MISSING)`, `%!(EXTRA string=x)`), since a chart that gets them
//! wrong prints exactly that.

use super::value::{Kind, Value, go_float, go_print};

/// `strconv.Quote`: Go's double-quoted string with escapes.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut argi = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }
        let num = |chars: &mut std::iter::Peekable<std::str::Chars>| {
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(
                    n.unwrap_or(0)
                        .saturating_mul(10)
                        .saturating_add(d as usize)
                        .min(10_000),
                );
                chars.next();
            }
            n
        };
        spec.width = num(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(num(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argi += 1;
        out.push_str(&format_one(verb, spec, arg));
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[argi..]
            .iter()
            .map(|a| format!("{}={}", a.type_name(), go_print(a)))
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

fn bad(verb: char, v: &Value) -> String {
    match v.kind {
        Kind::Nil => format!("%!{verb}(<nil>)"),
        _ => format!("%!{verb}({}={})", v.type_name(), go_print(v)),
    }
}

fn pad(s: String, spec: Spec, numeric: bool) -> String {
    let Some(w) = spec.width else { return s };
    let len = s.chars().count();
    if len >= w {
        return s;
    }
    let fill = w - len;
    if spec.minus {
        return s + &" ".repeat(fill);
    }
    if spec.zero && numeric {
        let (sign, digits) = match s.strip_prefix(['-', '+']) {
            Some(rest) => (&s[..1], rest),
            None => ("", s.as_str()),
        };
        return format!("{sign}{}{digits}", "0".repeat(fill));
    }
    " ".repeat(fill) + &s
}

fn sign(s: String, spec: Spec, negative: bool) -> String {
    if negative {
        s
    } else if spec.plus {
        format!("+{s}")
    } else if spec.space {
        format!(" {s}")
    } else {
        s
    }
}

fn format_one(verb: char, spec: Spec, v: &Value) -> String {
    // Lists format element by element, as Go does for slices.
    if let Kind::List(items) = &v.kind
        && verb != 'T'
        && !(verb == 'v' && spec.sharp)
    {
        let parts: Vec<String> = items
            .iter()
            .map(|x| {
                format_one(
                    verb,
                    Spec {
                        width: None,
                        ..spec
                    },
                    x,
                )
            })
            .collect();
        return pad(format!("[{}]", parts.join(" ")), spec, false);
    }
    match verb {
        'v' => match &v.kind {
            Kind::Float(f) => pad(sign(go_float(*f), spec, *f < 0.0), spec, true),
            Kind::Int(i) => pad(sign(i.to_string(), spec, *i < 0), spec, true),
            Kind::Str(s, _) if spec.sharp => pad(go_quote(s), spec, false),
            _ => pad(go_print(v), spec, false),
        },
        's' => match &v.kind {
            Kind::Str(s, _) => {
                let s: String = match spec.prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s.to_string(),
                };
                pad(s, spec, false)
            }
            Kind::Map(_) | Kind::Object(_) => pad(go_print(v), spec, false),
            _ => bad(verb, v),
        },
        'q' => match &v.kind {
            Kind::Str(s, _) => pad(go_quote(s), spec, false),
            Kind::Int(i) => pad(
                format!("'{}'", char::from_u32(*i as u32).unwrap_or('\u{fffd}')),
                spec,
                false,
            ),
            _ => bad(verb, v),
        },
        't' => match &v.kind {
            Kind::Bool(b) => pad(b.to_string(), spec, false),
            _ => bad(verb, v),
        },
        'T' => pad(v.type_name().to_string(), spec, false),
        'd' => match &v.kind {
            Kind::Int(i) => pad(sign(i.to_string(), spec, *i < 0), spec, true),
            _ => bad(verb, v),
        },
        'c' => match &v.kind {
            Kind::Int(i) => pad(
                char::from_u32(*i as u32).unwrap_or('\u{fffd}').to_string(),
                spec,
                false,
            ),
            _ => bad(verb, v),
        },
        'o' | 'b' | 'x' | 'X' => match &v.kind {
            Kind::Int(i) => {
                let (neg, u) = (*i < 0, i.unsigned_abs());
                let mut s = match verb {
                    'o' => format!("{u:o}"),
                    'b' => format!("{u:b}"),
                    'x' => format!("{u:x}"),
                    _ => format!("{u:X}"),
                };
                if spec.sharp {
                    s = match verb {
                        'o' => format!("0{s}"),
                        'x' => format!("0x{s}"),
                        'X' => format!("0X{s}"),
                        _ => s,
                    };
                }
                if neg {
                    s = format!("-{s}");
                }
                pad(sign(s, spec, neg), spec, true)
            }
            Kind::Str(s, _) if matches!(verb, 'x' | 'X') => {
                let h: String = s.bytes().map(|b| format!("{b:02x}")).collect();
                pad(if verb == 'X' { h.to_uppercase() } else { h }, spec, false)
            }
            _ => bad(verb, v),
        },
        'f' | 'F' | 'e' | 'E' | 'g' | 'G' => match &v.kind {
            Kind::Float(f) => {
                let f = *f;
                let s = match verb {
                    'f' | 'F' => format!("{:.*}", spec.prec.unwrap_or(6), f),
                    'e' | 'E' => {
                        let s = go_exp(f, spec.prec.unwrap_or(6));
                        if verb == 'E' { s.to_uppercase() } else { s }
                    }
                    _ => match spec.prec {
                        None => go_float(f),
                        Some(p) => go_g(f, p.max(1)),
                    },
                };
                pad(sign(s, spec, f < 0.0), spec, true)
            }
            _ => bad(verb, v),
        },
        _ => format!("%!{verb}({}={})", v.type_name(), go_print(v)),
    }
}

/// `%.{prec}e` with Go's two-digit exponent.
fn go_exp(f: f64, prec: usize) -> String {
    let s = format!("{f:.prec$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!(
        "{m}e{}{:02}",
        if e < 0 { '-' } else { '+' },
        e.unsigned_abs()
    )
}

/// `%.{prec}g`.
fn go_g(f: f64, prec: usize) -> String {
    if f == 0.0 {
        return "0".into();
    }
    let e = format!("{f:.*e}", prec - 1);
    let exp: i32 = e
        .split_once('e')
        .and_then(|(_, x)| x.parse().ok())
        .unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let s = go_exp(f, prec - 1);
        let (m, x) = s.split_once('e').unwrap_or((&s, ""));
        let m = if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.')
        } else {
            m
        };
        format!("{m}e{x}")
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        let s = format!("{f:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn verbs_format_as_go_formats_them() {
        let s = |f: &str, a: Vec<Value>| sprintf(f, &a);
        assert_eq!(s("%s-%s", vec![Value::str("a"), Value::str("b")]), "a-b");
        assert_eq!(s("%d", vec![Value::int(42)]), "42");
        assert_eq!(
            s(
                "%05d|%-4d|%4d",
                vec![Value::int(42), Value::int(7), Value::int(-3)]
            ),
            "00042|7   |  -3"
        );
        assert_eq!(s("%d", vec![Value::float(80.0)]), "%!d(float64=80)");
        assert_eq!(s("%s", vec![Value::int(5)]), "%!s(int=5)");
        assert_eq!(s("%s", vec![Value::NIL]), "%!s(<nil>)");
        assert_eq!(s("%v", vec![Value::NIL]), "<nil>");
        assert_eq!(s("%q", vec![Value::str("a\"b\n")]), "\"a\\\"b\\n\"");
        assert_eq!(s("%.2f", vec![Value::float(3.25159)]), "3.25");
        assert_eq!(s("%f", vec![Value::float(1.0)]), "1.000000");
        assert_eq!(s("%e", vec![Value::float(1234.5)]), "1.234500e+03");
        assert_eq!(s("%g", vec![Value::float(1e6)]), "1e+06");
        assert_eq!(s("%x", vec![Value::int(255)]), "ff");
        assert_eq!(s("%x", vec![Value::str("hi")]), "6869");
        assert_eq!(s("%t", vec![Value::bool(true)]), "true");
        assert_eq!(s("%T", vec![Value::float(1.0)]), "float64");
        assert_eq!(s("100%%", vec![]), "100%");
        assert_eq!(s("%s %s", vec![Value::str("a")]), "a %!s(MISSING)");
        assert_eq!(
            s("%s", vec![Value::str("a"), Value::int(1)]),
            "a%!(EXTRA int=1)"
        );
        let m = Value::map(BTreeMap::from([("k".into(), Value::float(1.5))]));
        assert_eq!(s("%v", vec![m]), "map[k:1.5]");
        let l = Value::list(vec![Value::str("x"), Value::str("y")]);
        assert_eq!(s("%s", vec![l]), "[x y]");
    }
}
