//! The functions a Helm template can call: Go's builtins (`and`, `or`, `not`, `len`,
//! `index`, `slice`, `print*`, comparisons, escapers), the sprig functions charts use, and
//! Helm's own (`include`, `tpl`, `required`, `fail`, `toYaml`, `fromYaml`, `toJson`,
//! `fromJson`, `lookup`). Argument checks follow Go's where charts depend on them: a string
//! parameter given nil is "invalid value; expected string", as Helm says.
//!
//! Deterministic where Helm is not: `randAlphaNum` and friends return a fixed pattern,
//! `uuidv4` a fixed UUID, `now` 1970-01-01T00:00:00Z, and the certificate generators fixed
//! placeholder text. `lookup` returns an empty map, as `helm template` does. Where Go would
//! refuse to compare an int with a float (`eq 1 1.0`), numbers compare by value here.

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;
use sha2::Digest as _;

use super::exec::{Exec, ExecError};
use super::printf::{go_quote, sprintf};
use super::value::{Kind, Object, Seg, Text, Value, go_print};
use crate::render::helm::yaml;

#[derive(Debug)]
pub enum FnError {
    /// An argument of the wrong type (`index` is its position, the piped value last).
    Arg { index: usize, message: String },
    /// The function itself failed ("error calling NAME: ...").
    Call(String),
    /// A template run by `include` or `tpl` failed.
    Exec(Box<ExecError>),
    /// A resource limit was crossed.
    Limit(String),
}

type F = Result<Value, FnError>;

const NAMES: &[&str] = &[
    // Go builtins
    "and",
    "or",
    "not",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "println",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "html",
    "js",
    "urlquery",
    "call",
    // Helm
    "include",
    "tpl",
    "required",
    "fail",
    "lookup",
    "toYaml",
    "toYamlPretty",
    "mustToYaml",
    "fromYaml",
    "fromYamlArray",
    "toJson",
    "mustToJson",
    "fromJson",
    "fromJsonArray",
    "toPrettyJson",
    "mustToPrettyJson",
    "toRawJson",
    "mustToRawJson",
    "toToml",
    // strings
    "trim",
    "trimAll",
    "trimSuffix",
    "trimPrefix",
    "upper",
    "lower",
    "title",
    "untitle",
    "quote",
    "squote",
    "replace",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "trunc",
    "indent",
    "nindent",
    "repeat",
    "substr",
    "split",
    "splitList",
    "splitn",
    "join",
    "b64enc",
    "b64dec",
    "b32enc",
    "b32dec",
    "sha256sum",
    "sha1sum",
    "adler32sum",
    "regexMatch",
    "mustRegexMatch",
    "regexReplaceAll",
    "mustRegexReplaceAll",
    "regexReplaceAllLiteral",
    "regexFind",
    "regexFindAll",
    "regexSplit",
    "regexQuoteMeta",
    "nospace",
    "cat",
    "abbrev",
    "abbrevboth",
    "snakecase",
    "camelcase",
    "kebabcase",
    "swapcase",
    "wrap",
    "wrapWith",
    "plural",
    "initials",
    "toString",
    "toStrings",
    "randAlphaNum",
    "randAlpha",
    "randNumeric",
    "randAscii",
    "shuffle",
    "uuidv4",
    "now",
    "date",
    "dateInZone",
    "dateModify",
    "htmlDate",
    "htmlDateInZone",
    "ago",
    "unixEpoch",
    "toDate",
    "mustToDate",
    "duration",
    "durationRound",
    "genCA",
    "genSelfSignedCert",
    "genSignedCert",
    "genPrivateKey",
    "htpasswd",
    "derivePassword",
    "encryptAES",
    "decryptAES",
    "bcrypt",
    "getHostByName",
    "semver",
    "semverCompare",
    "trimall",
    "sortAlpha",
    // lists
    "list",
    "tuple",
    "first",
    "mustFirst",
    "last",
    "mustLast",
    "rest",
    "mustRest",
    "initial",
    "mustInitial",
    "append",
    "mustAppend",
    "push",
    "mustPush",
    "prepend",
    "mustPrepend",
    "has",
    "mustHas",
    "uniq",
    "mustUniq",
    "without",
    "mustWithout",
    "compact",
    "mustCompact",
    "concat",
    "reverse",
    "mustReverse",
    "until",
    "untilStep",
    "seq",
    "chunk",
    "mustChunk",
    // dicts
    "dict",
    "get",
    "set",
    "unset",
    "hasKey",
    "merge",
    "mustMerge",
    "mergeOverwrite",
    "mustMergeOverwrite",
    "pick",
    "omit",
    "keys",
    "values",
    "pluck",
    "dig",
    "deepCopy",
    "mustDeepCopy",
    // logic and types
    "default",
    "empty",
    "coalesce",
    "ternary",
    "all",
    "any",
    "kindOf",
    "kindIs",
    "typeOf",
    "typeIs",
    "typeIsLike",
    "deepEqual",
    // conversions and math
    "int",
    "int64",
    "float64",
    "atoi",
    "toDecimal",
    "add",
    "add1",
    "sub",
    "mul",
    "div",
    "mod",
    "max",
    "min",
    "floor",
    "ceil",
    "round",
    "addf",
    "add1f",
    "subf",
    "mulf",
    "divf",
    "maxf",
    "minf",
    "biggest",
    // paths, urls, more hashes and aliases
    "base",
    "dir",
    "ext",
    "clean",
    "isAbs",
    "osBase",
    "osDir",
    "osExt",
    "osClean",
    "osIsAbs",
    "urlParse",
    "urlJoin",
    "sha512sum",
    "randInt",
    "mustRegexReplaceAllLiteral",
    "mustRegexFind",
    "mustRegexFindAll",
    "mustRegexSplit",
    "mustDateModify",
    "mustSlice",
    "fromToml",
    "hello",
];

pub fn exists(name: &str) -> bool {
    NAMES.contains(&name)
}

// ---------------------------------------------------------------------------------------------
// Argument helpers

fn arg_err(index: usize, message: String) -> FnError {
    FnError::Arg { index, message }
}

fn want(name: &str, args: &[Value], n: usize) -> Result<(), FnError> {
    if args.len() != n {
        return Err(arg_err(
            args.len().saturating_sub(1),
            format!(
                "wrong number of args for {name}: want {n} got {}",
                args.len()
            ),
        ));
    }
    Ok(())
}

fn at_least(name: &str, args: &[Value], n: usize) -> Result<(), FnError> {
    if args.len() < n {
        return Err(arg_err(
            args.len().saturating_sub(1),
            format!(
                "wrong number of args for {name}: want at least {n} got {}",
                args.len()
            ),
        ));
    }
    Ok(())
}

/// A `string` parameter, as Go checks it.
fn s(args: &[Value], i: usize) -> Result<&str, FnError> {
    match args.get(i).map(|v| &v.kind) {
        Some(Kind::Str(s, _)) => Ok(s),
        Some(Kind::Nil) | None => Err(arg_err(i, "invalid value; expected string".into())),
        Some(_) => Err(arg_err(
            i,
            format!(
                "wrong type for value; expected string; got {}",
                args[i].type_name()
            ),
        )),
    }
}

/// An `int` parameter (floats are accepted and truncated: Helm's values are float64).
fn n(args: &[Value], i: usize) -> Result<i64, FnError> {
    match args.get(i).map(|v| &v.kind) {
        Some(Kind::Int(i)) => Ok(*i),
        Some(Kind::Float(f)) => Ok(*f as i64),
        Some(Kind::Nil) | None => Err(arg_err(i, "invalid value; expected int".into())),
        Some(_) => Err(arg_err(
            i,
            format!(
                "wrong type for value; expected int; got {}",
                args[i].type_name()
            ),
        )),
    }
}

fn b(args: &[Value], i: usize) -> Result<bool, FnError> {
    match args.get(i).map(|v| &v.kind) {
        Some(Kind::Bool(b)) => Ok(*b),
        Some(Kind::Nil) | None => Err(arg_err(i, "invalid value; expected bool".into())),
        Some(_) => Err(arg_err(
            i,
            format!(
                "wrong type for value; expected bool; got {}",
                args[i].type_name()
            ),
        )),
    }
}

/// sprig's `strval`: strings as they are, anything else as `%v` prints it.
pub fn strval(v: &Value) -> String {
    match &v.kind {
        Kind::Str(s, _) => s.to_string(),
        _ => go_print(v),
    }
}

/// A value as text with its origins (strings keep theirs, other values get their own).
fn text_of(v: &Value) -> Text {
    let s = strval(v);
    let segs = v.segs_for(s.len());
    Text { s, segs }
}

/// A list parameter (`[]interface{}`); nil is an empty list.
fn list_of(v: &Value, i: usize, name: &str) -> Result<Vec<Value>, FnError> {
    match &v.kind {
        Kind::List(l) => Ok(l.to_vec()),
        Kind::Nil => Ok(Vec::new()),
        _ => Err(FnError::Call(format!(
            "Cannot {name} on type {}",
            v.type_name()
        )))
        .map_err(|e| match e {
            FnError::Call(m) if i == usize::MAX => FnError::Call(m),
            e => e,
        }),
    }
}

fn map_of(v: &Value, i: usize) -> Result<&super::value::Map, FnError> {
    match &v.kind {
        Kind::Map(m) => Ok(m),
        Kind::Nil => Err(arg_err(
            i,
            "invalid value; expected map[string]interface {}".into(),
        )),
        _ => Err(arg_err(
            i,
            format!(
                "wrong type for value; expected map[string]interface {{}}; got {}",
                v.type_name()
            ),
        )),
    }
}

fn to_i64(v: &Value) -> i64 {
    match &v.kind {
        Kind::Int(i) => *i,
        Kind::Float(f) => *f as i64,
        Kind::Bool(b) => *b as i64,
        Kind::Str(s, _) => {
            let t = s.trim();
            crate::render::helm::template::parse::parse_number(t)
                .map(|(i, f)| i.unwrap_or(f as i64))
                .unwrap_or(0)
        }
        _ => 0,
    }
}

fn to_f64(v: &Value) -> f64 {
    match &v.kind {
        Kind::Int(i) => *i as f64,
        Kind::Float(f) => *f,
        Kind::Bool(b) => *b as i64 as f64,
        Kind::Str(s, _) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// sprig's `empty`.
pub fn empty(v: &Value) -> bool {
    !v.truthy()
}

fn num(v: &Value) -> Option<f64> {
    match v.kind {
        Kind::Int(i) => Some(i as f64),
        Kind::Float(f) => Some(f),
        _ => None,
    }
}

/// Go's `eq` on two values (numbers by value, whatever their Go type).
fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(match (&a.kind, &b.kind) {
        (Kind::Nil, Kind::Nil) => true,
        (Kind::Nil, _) | (_, Kind::Nil) => false,
        (Kind::Bool(x), Kind::Bool(y)) => x == y,
        (Kind::Str(x, _), Kind::Str(y, _)) => x == y,
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x == y,
            _ => match (&a.kind, &b.kind) {
                (Kind::List(_) | Kind::Map(_), _) | (_, Kind::List(_) | Kind::Map(_)) => {
                    return Err(format!("non-comparable type {}: {}", a.type_name(), "eq"));
                }
                _ => return Err("incompatible types for comparison".into()),
            },
        },
    })
}

fn less(a: &Value, b: &Value) -> Result<bool, String> {
    match (&a.kind, &b.kind) {
        (Kind::Str(x, _), Kind::Str(y, _)) => Ok(x < y),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => Ok(x < y),
            _ if matches!(a.kind, Kind::Nil) || matches!(b.kind, Kind::Nil) => {
                Err("incompatible types for comparison".into())
            }
            _ => Err("invalid type for comparison".into()),
        },
    }
}

fn rewrap(v: &Value, prefix: &str, body: &str, suffix: &str) -> Value {
    // Keeps the body's origins when the body is the value's text unchanged.
    let t = text_of(v);
    let mut out = Text::plain(prefix);
    if t.s == body {
        out.push(&t);
    } else {
        let base = out.s.len();
        out.s.push_str(body);
        if v.origin != crate::render::Origin::Unknown {
            out.segs.push(Seg {
                start: base,
                end: out.s.len(),
                origin: v.origin,
                exact: false,
            });
        }
    }
    out.push_str(suffix);
    Value::text(out)
}

/// Rebuilds `src` with `pad` inserted after every newline (and before the start when
/// `lead`), keeping the origins of the copied bytes.
fn indent_text(src: &Text, pad: &str, lead: &str) -> Text {
    let mut out = Text::plain(lead);
    out.push_str(pad);
    let mut start = 0;
    for (i, c) in src.s.char_indices() {
        if c == '\n' {
            out.push_slice(src, start..i + 1);
            out.push_str(pad);
            start = i + 1;
        }
    }
    out.push_slice(src, start..src.s.len());
    out
}

fn slice_text(src: &Text, range: std::ops::Range<usize>) -> Text {
    let mut out = Text::default();
    out.push_slice(src, range);
    out
}

fn regex(pat: &str) -> Result<regex::Regex, FnError> {
    regex::RegexBuilder::new(pat)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| FnError::Call(format!("error parsing regexp: {e}")))
}

fn go_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_letter = false;
    for c in s.chars() {
        if !prev_letter && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_uppercase()
            && !cur.is_empty()
            && (chars[i - 1].is_lowercase()
                || chars.get(i + 1).is_some_and(|n| n.is_lowercase())
                    && chars[i - 1].is_uppercase());
        if boundary {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn fixed_random(n: i64, alphabet: &str) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    (0..n.clamp(0, 1 << 20) as usize)
        .map(|i| chars[(i * 7 + 3) % chars.len()])
        .collect()
}

fn json_text(v: &Value, pretty: bool, escape_html: bool) -> String {
    let j = v.to_json();
    let s = if pretty {
        serde_json::to_string_pretty(&j).unwrap_or_default()
    } else {
        serde_json::to_string(&j).unwrap_or_default()
    };
    if escape_html {
        s.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
    } else {
        s
    }
}

/// mergo's deep merge: `dst` keeps what it has (unless `overwrite` and the source value is
/// not empty), nested maps merge.
fn merge_into(dst: &super::value::Map, src: &super::value::Map, overwrite: bool) {
    if Rc::ptr_eq(dst, src) {
        return;
    }
    let src = src.borrow().clone();
    let mut d = dst.borrow_mut();
    for (k, sv) in src {
        if reaches(&sv, dst, 0) {
            continue;
        }
        match d.get(&k).map(|dv| dv.kind.clone()) {
            Some(Kind::Map(dm)) => {
                if let Kind::Map(sm) = &sv.kind {
                    merge_into(&dm, sm, overwrite);
                } else if overwrite && !empty(&sv) {
                    d.insert(k, sv);
                }
            }
            Some(_) => {
                let dv = &d[&k];
                if empty(dv) || overwrite && !empty(&sv) {
                    d.insert(k, sv);
                }
            }
            None => {
                d.insert(k, sv);
            }
        }
    }
}

/// True when `v` holds the map `target` (a `set` or `merge` that would make a map contain
/// itself, which Go allows and which would never end printing).
fn reaches(v: &Value, target: &super::value::Map, depth: usize) -> bool {
    if depth > 200 {
        return true;
    }
    match &v.kind {
        Kind::Map(m) => {
            Rc::ptr_eq(m, target)
                || m.try_borrow()
                    .map_or(true, |b| b.values().any(|x| reaches(x, target, depth + 1)))
        }
        Kind::List(l) => l.iter().any(|x| reaches(x, target, depth + 1)),
        _ => false,
    }
}

/// Nodes of a value counted with sharing expanded, up to `budget`: a value built by nesting
/// the same map twice at every level is small in memory and astronomically large in print.
fn expanded_within(v: &Value, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match &v.kind {
        Kind::Map(m) => m.borrow().values().all(|x| expanded_within(x, budget)),
        Kind::List(l) => l.iter().all(|x| expanded_within(x, budget)),
        _ => true,
    }
}

fn check_expanded(v: &Value) -> Result<(), FnError> {
    let mut budget = 2_000_000;
    if expanded_within(v, &mut budget) {
        Ok(())
    } else {
        Err(FnError::Limit(
            "a value with more than 2000000 nodes (once shared parts are expanded)".into(),
        ))
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v.kind {
        Kind::Nil => "invalid",
        Kind::Bool(_) => "bool",
        Kind::Int(_) => "int",
        Kind::Float(_) => "float64",
        Kind::Str(..) => "string",
        Kind::List(_) => "slice",
        Kind::Map(_) | Kind::Object(_) => "map",
    }
}

// ---------------------------------------------------------------------------------------------

/// Calls the function `name` (known to exist) with evaluated arguments.
pub fn call(ex: &mut Exec, name: &str, mut args: Vec<Value>) -> F {
    let a = &args;
    let v = match name {
        // ---- Go builtins
        "not" => {
            want(name, a, 1)?;
            Value::bool(!a[0].truthy())
        }
        "len" => {
            want(name, a, 1)?;
            Value::int(match &a[0].kind {
                Kind::Str(s, _) => s.len(),
                Kind::List(l) => l.len(),
                Kind::Map(m) => m.borrow().len(),
                Kind::Object(o) => match &**o {
                    Object::Files(f) => f.len(),
                    Object::ApiVersions(v) => v.len(),
                    Object::KubeVersion { .. } => {
                        return Err(FnError::Call("len of type *common.KubeVersion".into()));
                    }
                },
                Kind::Nil => return Err(FnError::Call("len of nil pointer".into())),
                _ => return Err(FnError::Call(format!("len of type {}", a[0].type_name()))),
            } as i64)
        }
        "index" => {
            at_least(name, a, 1)?;
            let mut v = a[0].clone();
            for k in &a[1..] {
                v = match (&v.kind, &k.kind) {
                    (Kind::Nil, _) => return Err(FnError::Call("index of untyped nil".into())),
                    (Kind::Map(m), _) => m.borrow().get(&strval(k)).cloned().unwrap_or(Value::NIL),
                    (Kind::List(l), Kind::Int(_) | Kind::Float(_)) => {
                        let i = to_i64(k);
                        if i < 0 || i as usize >= l.len() {
                            return Err(FnError::Call(format!("index out of range: {i}")));
                        }
                        l[i as usize].clone()
                    }
                    (Kind::Str(s, _), Kind::Int(_)) => {
                        let i = to_i64(k);
                        match s.as_bytes().get(i as usize) {
                            Some(b) if i >= 0 => Value::int(*b as i64),
                            _ => return Err(FnError::Call(format!("index out of range: {i}"))),
                        }
                    }
                    (Kind::Object(o), _) => object_index(o, &strval(k)),
                    _ => {
                        return Err(FnError::Call(format!(
                            "can't index item of type {}",
                            v.type_name()
                        )));
                    }
                };
            }
            v
        }
        "slice" => {
            at_least(name, a, 1)?;
            let idx: Vec<i64> = a[1..].iter().map(to_i64).collect();
            match &a[0].kind {
                Kind::Str(st, _) => {
                    let (i, j) = (
                        idx.first().copied().unwrap_or(0),
                        idx.get(1).copied().unwrap_or(st.len() as i64),
                    );
                    if i < 0
                        || j < i
                        || j as usize > st.len()
                        || !st.is_char_boundary(i as usize)
                        || !st.is_char_boundary(j as usize)
                    {
                        return Err(FnError::Call(format!("index out of range: {j}")));
                    }
                    Value::str(&st[i as usize..j as usize])
                }
                Kind::List(l) => {
                    let (i, j) = (
                        idx.first().copied().unwrap_or(0),
                        idx.get(1).copied().unwrap_or(l.len() as i64),
                    );
                    if i < 0 || j < i || j as usize > l.len() {
                        return Err(FnError::Call(format!("index out of range: {j}")));
                    }
                    Value::list(l[i as usize..j as usize].to_vec())
                }
                Kind::Nil => return Err(FnError::Call("slice of untyped nil".into())),
                _ => {
                    return Err(FnError::Call(format!(
                        "can't slice item of type {}",
                        a[0].type_name()
                    )));
                }
            }
        }
        "print" => {
            let mut out = String::new();
            for (i, v) in a.iter().enumerate() {
                let is_str = |v: &Value| matches!(v.kind, Kind::Str(..));
                if i > 0 && !is_str(v) && !is_str(&a[i - 1]) {
                    out.push(' ');
                }
                out.push_str(&go_print(v));
            }
            if a.len() == 1 {
                return Ok(rewrap(&a[0], "", &out, ""));
            }
            Value::str(out)
        }
        "println" => Value::str(a.iter().map(go_print).collect::<Vec<_>>().join(" ") + "\n"),
        "printf" => {
            let f = s(a, 0)?;
            let out = sprintf(f, &a[1..]);
            if (f == "%s" || f == "%v")
                && let Some(v) = a.get(1)
                && a.len() == 2
            {
                return Ok(rewrap(v, "", &out, ""));
            }
            Value::str(out)
        }
        "eq" => {
            at_least(name, a, 2)?;
            let mut r = false;
            for x in &a[1..] {
                if equal(&a[0], x).map_err(FnError::Call)? {
                    r = true;
                    break;
                }
            }
            Value::bool(r)
        }
        "ne" => {
            want(name, a, 2)?;
            Value::bool(!equal(&a[0], &a[1]).map_err(FnError::Call)?)
        }
        "lt" | "le" | "gt" | "ge" => {
            want(name, a, 2)?;
            let (x, y) = (&a[0], &a[1]);
            let r = match name {
                "lt" => less(x, y),
                "le" => less(y, x).map(|r| !r),
                "gt" => less(y, x),
                _ => less(x, y).map(|r| !r),
            }
            .map_err(FnError::Call)?;
            Value::bool(r)
        }
        "html" => Value::str(
            a.iter()
                .map(strval)
                .collect::<String>()
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&#34;")
                .replace('\'', "&#39;"),
        ),
        "js" => Value::str(
            a.iter()
                .map(strval)
                .collect::<String>()
                .replace('\\', "\\\\")
                .replace('\'', "\\'")
                .replace('"', "\\\"")
                .replace('<', "\\u003C")
                .replace('>', "\\u003E"),
        ),
        "urlquery" => {
            let t: String = a.iter().map(strval).collect();
            let mut o = String::new();
            for byte in t.bytes() {
                match byte {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        o.push(byte as char)
                    }
                    b' ' => o.push('+'),
                    _ => o.push_str(&format!("%{byte:02X}")),
                }
            }
            Value::str(o)
        }
        "call" => return Err(FnError::Call("call of a non-function".into())),

        // ---- Helm
        "include" => {
            want(name, a, 2)?;
            let tname = s(a, 0)?.to_string();
            let t = ex.include(&tname, args.pop().unwrap_or(Value::NIL))?;
            Value::text(t)
        }
        "tpl" => {
            want(name, a, 2)?;
            s(a, 0)?;
            let src = text_of(&a[0]);
            let mut t = ex.run_tpl(&src, args.pop().unwrap_or(Value::NIL))?;
            if t.s.contains("<no value>") {
                t = Text::plain(t.s.replace("<no value>", ""));
            }
            Value::text(t)
        }
        "required" => {
            want(name, a, 2)?;
            let v = &a[1];
            let missing = match &v.kind {
                Kind::Nil => true,
                Kind::Str(s, _) => s.is_empty(),
                _ => false,
            };
            if missing {
                return Err(FnError::Call(s(a, 0)?.to_string()));
            }
            v.clone()
        }
        "fail" => {
            want(name, a, 1)?;
            return Err(FnError::Call(s(a, 0)?.to_string()));
        }
        "lookup" => Value::map(BTreeMap::new()),
        "toYaml" | "mustToYaml" | "toYamlPretty" => {
            want(name, a, 1)?;
            check_expanded(&a[0])?;
            Value::text(yaml::to_yaml(&a[0]))
        }
        "fromYaml" => {
            want(name, a, 1)?;
            match yaml::parse_value(s(a, 0)?, None) {
                Ok(v) if matches!(v.kind, Kind::Map(_)) => v,
                Ok(v) if v.is_nil() => Value::map(BTreeMap::new()),
                Ok(_) => Value::map(BTreeMap::from([(
                    "Error".to_string(),
                    Value::str(
                        "error unmarshaling JSON: json: cannot unmarshal into Go value of type map[string]interface {}",
                    ),
                )])),
                Err(e) => Value::map(BTreeMap::from([("Error".to_string(), Value::str(e))])),
            }
        }
        "fromYamlArray" => {
            want(name, a, 1)?;
            match yaml::parse_value(s(a, 0)?, None) {
                Ok(v) if matches!(v.kind, Kind::List(_)) => v,
                Ok(_) => Value::list(vec![Value::str(
                    "error unmarshaling JSON: cannot unmarshal into []interface {}",
                )]),
                Err(e) => Value::list(vec![Value::str(e)]),
            }
        }
        "toJson" | "mustToJson" => {
            want(name, a, 1)?;
            check_expanded(&a[0])?;
            Value::str(json_text(&a[0], false, true))
        }
        "toRawJson" | "mustToRawJson" => {
            want(name, a, 1)?;
            check_expanded(&a[0])?;
            Value::str(json_text(&a[0], false, false))
        }
        "toPrettyJson" | "mustToPrettyJson" => {
            want(name, a, 1)?;
            check_expanded(&a[0])?;
            Value::str(json_text(&a[0], true, true))
        }
        "fromJson" | "fromJsonArray" => {
            want(name, a, 1)?;
            match serde_json::from_str::<serde_json::Value>(s(a, 0)?) {
                Ok(j) => Value::from_json(&j),
                Err(e) if name == "fromJson" => Value::map(BTreeMap::from([(
                    "Error".to_string(),
                    Value::str(e.to_string()),
                )])),
                Err(e) => Value::list(vec![Value::str(e.to_string())]),
            }
        }
        "toToml" => {
            want(name, a, 1)?;
            Value::str(toml_text(&a[0]))
        }

        // ---- strings
        "trim" | "trimSuffix" | "trimPrefix" | "trimAll" | "trimall" => {
            let (i_s, cut) = match name {
                "trim" => {
                    want(name, a, 1)?;
                    (0, String::new())
                }
                _ => {
                    want(name, a, 2)?;
                    (1, s(a, 0)?.to_string())
                }
            };
            let t = text_of(&a[i_s]);
            s(a, i_s)?;
            let st = t.s.as_str();
            let range = match name {
                "trim" => {
                    let l = st.len() - st.trim_start().len();
                    l..(l + st.trim().len())
                }
                "trimSuffix" if !cut.is_empty() && st.ends_with(cut.as_str()) => {
                    0..st.len() - cut.len()
                }
                "trimPrefix" if !cut.is_empty() && st.starts_with(cut.as_str()) => {
                    cut.len()..st.len()
                }
                "trimAll" | "trimall" => {
                    let chars: Vec<char> = cut.chars().collect();
                    let l = st.len() - st.trim_start_matches(chars.as_slice()).len();
                    let r = st.trim_end_matches(chars.as_slice()).len();
                    l..r.max(l)
                }
                _ => 0..st.len(),
            };
            Value::text(slice_text(&t, range))
        }
        "upper" | "lower" => {
            want(name, a, 1)?;
            let st = s(a, 0)?;
            let out = if name == "upper" {
                st.to_uppercase()
            } else {
                st.to_lowercase()
            };
            if out.len() == st.len() {
                let mut t = text_of(&a[0]);
                t.s = out;
                Value::text(t)
            } else {
                Value::str(out)
            }
        }
        "title" => {
            want(name, a, 1)?;
            Value::str(go_title(s(a, 0)?))
        }
        "untitle" => {
            want(name, a, 1)?;
            Value::str(
                s(a, 0)?
                    .split(' ')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next().map_or(String::new(), |f| {
                            f.to_lowercase().collect::<String>() + c.as_str()
                        })
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        }
        "quote" | "squote" => {
            let q = if name == "quote" { "\"" } else { "'" };
            let parts: Vec<&Value> = a.iter().filter(|v| !v.is_nil()).collect();
            if parts.len() == 1 {
                let body = strval(parts[0]);
                if name == "quote" {
                    let quoted = go_quote(&body);
                    let inner = &quoted[1..quoted.len() - 1];
                    return Ok(rewrap(parts[0], q, inner, q));
                }
                return Ok(rewrap(parts[0], q, &body, q));
            }
            Value::str(
                parts
                    .iter()
                    .map(|v| {
                        if name == "quote" {
                            go_quote(&strval(v))
                        } else {
                            format!("'{}'", strval(v))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        }
        "replace" => {
            want(name, a, 3)?;
            Value::str(s(a, 2)?.replace(s(a, 0)?, s(a, 1)?))
        }
        "contains" => {
            want(name, a, 2)?;
            Value::bool(s(a, 1)?.contains(s(a, 0)?))
        }
        "hasPrefix" => {
            want(name, a, 2)?;
            Value::bool(s(a, 1)?.starts_with(s(a, 0)?))
        }
        "hasSuffix" => {
            want(name, a, 2)?;
            Value::bool(s(a, 1)?.ends_with(s(a, 0)?))
        }
        "trunc" => {
            want(name, a, 2)?;
            let c = n(a, 0)?;
            let t = text_of(&a[1]);
            s(a, 1)?;
            let len = t.s.len() as i64;
            let mut range = if c < 0 && len + c > 0 {
                (len + c) as usize..len as usize
            } else if c >= 0 && len > c {
                0..c as usize
            } else {
                0..len as usize
            };
            while !t.s.is_char_boundary(range.start) {
                range.start += 1;
            }
            while !t.s.is_char_boundary(range.end) {
                range.end -= 1;
            }
            Value::text(slice_text(&t, range))
        }
        "indent" | "nindent" => {
            want(name, a, 2)?;
            let k = n(a, 0)?.clamp(0, 10_000) as usize;
            s(a, 1)?;
            let t = text_of(&a[1]);
            let lines = t.s.matches('\n').count() + 1;
            ex.check_size(t.s.len() + lines * k)
                .map_err(FnError::Limit)?;
            let pad = " ".repeat(k);
            Value::text(indent_text(
                &t,
                &pad,
                if name == "nindent" { "\n" } else { "" },
            ))
        }
        "repeat" => {
            want(name, a, 2)?;
            let c = n(a, 0)?.max(0) as usize;
            let st = s(a, 1)?;
            ex.check_size(st.len().saturating_mul(c))
                .map_err(FnError::Limit)?;
            Value::str(st.repeat(c))
        }
        "substr" => {
            want(name, a, 3)?;
            let (st, en) = (n(a, 0)?, n(a, 1)?);
            let t = s(a, 2)?;
            let len = t.len() as i64;
            let r = if st < 0 {
                0..en.clamp(0, len)
            } else if en < 0 || en > len {
                st.min(len)..len
            } else {
                st.min(en)..en
            };
            Value::str(t.get(r.start as usize..r.end as usize).unwrap_or(""))
        }
        "split" | "splitList" => {
            want(name, a, 2)?;
            let (sep, st) = (s(a, 0)?, s(a, 1)?);
            let parts: Vec<&str> = if sep.is_empty() {
                st.split("").filter(|p| !p.is_empty()).collect()
            } else {
                st.split(sep).collect()
            };
            if name == "splitList" {
                Value::list(parts.into_iter().map(Value::str).collect())
            } else {
                Value::map(
                    parts
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| (format!("_{i}"), Value::str(p)))
                        .collect(),
                )
            }
        }
        "splitn" => {
            want(name, a, 3)?;
            let (sep, k, st) = (s(a, 0)?, n(a, 1)?, s(a, 2)?);
            Value::map(
                st.splitn(k.max(0) as usize, sep)
                    .enumerate()
                    .map(|(i, p)| (format!("_{i}"), Value::str(p)))
                    .collect(),
            )
        }
        "join" => {
            want(name, a, 2)?;
            let sep = s(a, 0)?;
            let parts: Vec<String> = match &a[1].kind {
                Kind::List(l) => l.iter().filter(|v| !v.is_nil()).map(strval).collect(),
                Kind::Str(st, _) => vec![st.to_string()],
                Kind::Nil => Vec::new(),
                _ => vec![strval(&a[1])],
            };
            Value::str(parts.join(sep))
        }
        "b64enc" => {
            want(name, a, 1)?;
            Value::str(base64::engine::general_purpose::STANDARD.encode(s(a, 0)?))
        }
        "b64dec" => {
            want(name, a, 1)?;
            match base64::engine::general_purpose::STANDARD.decode(s(a, 0)?) {
                Ok(bytes) => Value::str(String::from_utf8_lossy(&bytes).as_ref()),
                Err(e) => Value::str(e.to_string()),
            }
        }
        "b32enc" | "b32dec" => {
            want(name, a, 1)?;
            return Err(FnError::Call(format!(
                "{name} is not supported by kubenudge"
            )));
        }
        "sha256sum" => {
            want(name, a, 1)?;
            Value::str(hex::encode(sha2::Sha256::digest(s(a, 0)?.as_bytes())))
        }
        "sha1sum" => {
            want(name, a, 1)?;
            Value::str(sha1_hex(s(a, 0)?.as_bytes()))
        }
        "adler32sum" => {
            want(name, a, 1)?;
            let (mut x, mut y) = (1u32, 0u32);
            for byte in s(a, 0)?.bytes() {
                x = (x + byte as u32) % 65521;
                y = (y + x) % 65521;
            }
            Value::str(((y << 16) | x).to_string())
        }
        "regexMatch" | "mustRegexMatch" => {
            want(name, a, 2)?;
            Value::bool(regex(s(a, 0)?)?.is_match(s(a, 1)?))
        }
        "regexReplaceAll" | "mustRegexReplaceAll" => {
            want(name, a, 3)?;
            Value::str(
                regex(s(a, 0)?)?
                    .replace_all(s(a, 1)?, s(a, 2)?)
                    .into_owned(),
            )
        }
        "base" | "osBase" | "dir" | "osDir" | "ext" | "osExt" | "clean" | "osClean" | "isAbs"
        | "osIsAbs" => {
            want(name, a, 1)?;
            let p = s(a, 0)?;
            let op = name.trim_start_matches("os").to_ascii_lowercase();
            match op.as_str() {
                "base" => Value::str(go_path_base(p)),
                "dir" => Value::str(go_path_clean(match p.rfind('/') {
                    Some(i) => &p[..i + 1],
                    None => "",
                })),
                "ext" => {
                    let b = p.rsplit('/').next().unwrap_or(p);
                    Value::str(b.rfind('.').map_or("", |i| &b[i..]))
                }
                "clean" => Value::str(go_path_clean(p)),
                _ => Value::bool(p.starts_with('/')),
            }
        }
        "urlParse" => {
            want(name, a, 1)?;
            let u = s(a, 0)?;
            let (scheme, rest) = u.split_once("://").unwrap_or(("", u));
            let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
            let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
            let (host, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            let (userinfo, host) = host.rsplit_once('@').unwrap_or(("", host));
            Value::map(BTreeMap::from([
                ("scheme".to_string(), Value::str(scheme)),
                ("host".to_string(), Value::str(host)),
                (
                    "hostname".to_string(),
                    Value::str(host.split(':').next().unwrap_or(host)),
                ),
                ("path".to_string(), Value::str(path)),
                ("query".to_string(), Value::str(query)),
                ("opaque".to_string(), Value::str("")),
                ("fragment".to_string(), Value::str(fragment)),
                ("userinfo".to_string(), Value::str(userinfo)),
            ]))
        }
        "urlJoin" => {
            want(name, a, 1)?;
            let m = map_of(&a[0], 0)?.borrow().clone();
            let g = |k: &str| m.get(k).map(strval).unwrap_or_default();
            let mut out = String::new();
            if !g("scheme").is_empty() {
                out.push_str(&g("scheme"));
                out.push_str("://");
            }
            if !g("userinfo").is_empty() {
                out.push_str(&g("userinfo"));
                out.push('@');
            }
            out.push_str(&g("host"));
            out.push_str(&g("path"));
            if !g("query").is_empty() {
                out.push('?');
                out.push_str(&g("query"));
            }
            if !g("fragment").is_empty() {
                out.push('#');
                out.push_str(&g("fragment"));
            }
            Value::str(out)
        }
        "sha512sum" => {
            want(name, a, 1)?;
            Value::str(hex::encode(sha2::Sha512::digest(s(a, 0)?.as_bytes())))
        }
        "randInt" => {
            want(name, a, 2)?;
            Value::int(n(a, 0)?)
        }
        "hello" => Value::str("Hello!"),
        "randBytes" => {
            want(name, a, 1)?;
            let bytes: Vec<u8> = (0..n(a, 0)?.clamp(0, 1 << 20))
                .map(|i| (i * 7 + 3) as u8)
                .collect();
            Value::str(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        "date_in_zone" => return call(ex, "dateInZone", args),
        "date_modify" | "must_date_modify" => Value::str("1970-01-01 00:00:00 +0000 UTC"),
        "fromToml" => {
            return Err(FnError::Call(
                "fromToml is not supported by kubenudge".into(),
            ));
        }
        "mustSlice" => return call(ex, "slice", args),
        "mustDateModify" => Value::str("1970-01-01 00:00:00 +0000 UTC"),
        "mustRegexFind" | "mustRegexFindAll" | "mustRegexSplit" | "mustRegexReplaceAllLiteral" => {
            let plain = name.trim_start_matches("must");
            let plain = format!("{}{}", plain[..1].to_lowercase(), &plain[1..]);
            return call(ex, &plain, args);
        }
        "regexReplaceAllLiteral" => {
            want(name, a, 3)?;
            Value::str(
                regex(s(a, 0)?)?
                    .replace_all(s(a, 1)?, regex::NoExpand(s(a, 2)?))
                    .into_owned(),
            )
        }
        "regexFind" => {
            want(name, a, 2)?;
            Value::str(regex(s(a, 0)?)?.find(s(a, 1)?).map_or("", |m| m.as_str()))
        }
        "regexFindAll" => {
            want(name, a, 3)?;
            let k = n(a, 2)?;
            let re = regex(s(a, 0)?)?;
            let all: Vec<Value> = re
                .find_iter(s(a, 1)?)
                .take(if k < 0 { usize::MAX } else { k as usize })
                .map(|m| Value::str(m.as_str()))
                .collect();
            Value::list(all)
        }
        "regexSplit" => {
            want(name, a, 3)?;
            let k = n(a, 2)?;
            let re = regex(s(a, 0)?)?;
            let st = s(a, 1)?;
            let parts: Vec<Value> = if k < 0 {
                re.split(st).map(Value::str).collect()
            } else {
                re.splitn(st, k as usize).map(Value::str).collect()
            };
            Value::list(parts)
        }
        "regexQuoteMeta" => {
            want(name, a, 1)?;
            Value::str(regex::escape(s(a, 0)?))
        }
        "nospace" => {
            want(name, a, 1)?;
            Value::str(
                s(a, 0)?
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>(),
            )
        }
        "cat" => Value::str(
            a.iter()
                .filter(|v| !v.is_nil())
                .map(strval)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "abbrev" => {
            want(name, a, 2)?;
            let w = n(a, 0)?;
            let st = s(a, 1)?;
            if w < 4 || st.chars().count() as i64 <= w {
                Value::str(st)
            } else {
                Value::str(st.chars().take((w - 3) as usize).collect::<String>() + "...")
            }
        }
        "abbrevboth" => {
            want(name, a, 3)?;
            Value::str(s(a, 2)?)
        }
        "snakecase" | "kebabcase" | "camelcase" => {
            want(name, a, 1)?;
            let w = words(s(a, 0)?);
            Value::str(match name {
                "snakecase" => w
                    .iter()
                    .map(|x| x.to_lowercase())
                    .collect::<Vec<_>>()
                    .join("_"),
                "kebabcase" => w
                    .iter()
                    .map(|x| x.to_lowercase())
                    .collect::<Vec<_>>()
                    .join("-"),
                _ => w
                    .iter()
                    .map(|x| go_title(&x.to_lowercase()))
                    .collect::<String>(),
            })
        }
        "swapcase" => {
            want(name, a, 1)?;
            Value::str(
                s(a, 0)?
                    .chars()
                    .map(|c| {
                        if c.is_uppercase() {
                            c.to_lowercase().collect::<String>()
                        } else {
                            c.to_uppercase().collect()
                        }
                    })
                    .collect::<String>(),
            )
        }
        "wrap" | "wrapWith" => {
            at_least(name, a, 2)?;
            Value::str(s(a, a.len() - 1)?)
        }
        "plural" => {
            want(name, a, 3)?;
            Value::str(if n(a, 2)? == 1 { s(a, 0)? } else { s(a, 1)? })
        }
        "initials" => {
            want(name, a, 1)?;
            Value::str(
                s(a, 0)?
                    .split_whitespace()
                    .filter_map(|w| w.chars().next())
                    .collect::<String>(),
            )
        }
        "toString" => {
            want(name, a, 1)?;
            match &a[0].kind {
                Kind::Str(..) => a[0].clone(),
                _ => rewrap(&a[0], "", &strval(&a[0]), ""),
            }
        }
        "toStrings" => {
            want(name, a, 1)?;
            Value::list(
                list_of(&a[0], 0, name)?
                    .iter()
                    .map(|v| Value::str(strval(v)))
                    .collect(),
            )
        }
        "randAlphaNum" | "randAlpha" | "randNumeric" | "randAscii" => {
            want(name, a, 1)?;
            let alphabet = match name {
                "randAlphaNum" => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                "randAlpha" => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                "randNumeric" => "0123456789",
                _ => {
                    "!#$%()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~"
                }
            };
            Value::str(fixed_random(n(a, 0)?, alphabet))
        }
        "shuffle" => {
            want(name, a, 1)?;
            Value::str(s(a, 0)?)
        }
        "uuidv4" => Value::str("00000000-0000-4000-8000-000000000000"),
        "now" => Value::str("1970-01-01 00:00:00 +0000 UTC"),
        "date" | "dateInZone" | "htmlDate" | "htmlDateInZone" => {
            let layout = match name {
                "htmlDate" | "htmlDateInZone" => "2006-01-02",
                _ => s(a, 0)?,
            };
            Value::str(go_date_epoch(layout))
        }
        "dateModify" | "toDate" | "mustToDate" => Value::str("1970-01-01 00:00:00 +0000 UTC"),
        "ago" | "duration" | "durationRound" => Value::str("0s"),
        "unixEpoch" => Value::str("0"),
        "genCA" | "genSelfSignedCert" | "genSignedCert" => Value::map(BTreeMap::from([
            (
                "Cert".to_string(),
                Value::str(placeholder_pem("CERTIFICATE")),
            ),
            (
                "Key".to_string(),
                Value::str(placeholder_pem(PLACEHOLDER_KEY_KIND)),
            ),
        ])),
        "genPrivateKey" => Value::str(placeholder_pem(PLACEHOLDER_KEY_KIND)),
        "htpasswd" => {
            want(name, a, 2)?;
            Value::str(format!("{}:$2a$10$kubenudgeplaceholder", s(a, 0)?))
        }
        "derivePassword" | "encryptAES" | "decryptAES" | "bcrypt" => {
            Value::str("kubenudge-placeholder")
        }
        "getHostByName" => Value::str(""),
        "semverCompare" => {
            want(name, a, 2)?;
            let ok = super::semver::matches(s(a, 0)?, s(a, 1)?).map_err(FnError::Call)?;
            Value::bool(ok)
        }
        "semver" => {
            want(name, a, 1)?;
            let v = super::semver::Version::parse(s(a, 0)?).map_err(FnError::Call)?;
            Value::map(BTreeMap::from([
                ("Major".to_string(), Value::int(v.major as i64)),
                ("Minor".to_string(), Value::int(v.minor as i64)),
                ("Patch".to_string(), Value::int(v.patch as i64)),
                ("Prerelease".to_string(), Value::str(v.pre.as_str())),
            ]))
        }
        "sortAlpha" => {
            want(name, a, 1)?;
            let mut v: Vec<String> = match &a[0].kind {
                Kind::List(l) => l.iter().map(strval).collect(),
                _ => vec![strval(&a[0])],
            };
            v.sort();
            Value::list(v.into_iter().map(Value::str).collect())
        }

        // ---- lists
        "list" | "tuple" => Value::list(args.clone()),
        "first" | "mustFirst" | "last" | "mustLast" => {
            want(name, a, 1)?;
            match &a[0].kind {
                Kind::List(l) => {
                    let x = if name.contains("irst") {
                        l.first()
                    } else {
                        l.last()
                    };
                    x.cloned().unwrap_or(Value::NIL)
                }
                Kind::Nil => Value::NIL,
                _ => {
                    return Err(FnError::Call(format!(
                        "Cannot find {name} on type {}",
                        a[0].type_name()
                    )));
                }
            }
        }
        "rest" | "mustRest" | "initial" | "mustInitial" => {
            want(name, a, 1)?;
            let l = list_of(&a[0], 0, name)?;
            if l.is_empty() {
                Value::NIL
            } else if name.contains("est") {
                Value::list(l[1..].to_vec())
            } else {
                Value::list(l[..l.len() - 1].to_vec())
            }
        }
        "append" | "mustAppend" | "push" | "mustPush" => {
            want(name, a, 2)?;
            let mut l = list_of(&a[0], 0, "append")?;
            l.push(a[1].clone());
            Value::list(l)
        }
        "prepend" | "mustPrepend" => {
            want(name, a, 2)?;
            let mut l = list_of(&a[0], 0, "prepend")?;
            l.insert(0, a[1].clone());
            Value::list(l)
        }
        "concat" => {
            let mut out = Vec::new();
            for (i, x) in a.iter().enumerate() {
                out.extend(list_of(x, i, "concat")?);
            }
            Value::list(out)
        }
        "has" | "mustHas" => {
            want(name, a, 2)?;
            let l = list_of(&a[1], 1, "has")?;
            Value::bool(
                l.iter()
                    .any(|x| equal(x, &a[0]).unwrap_or(false) || x.to_json() == a[0].to_json()),
            )
        }
        "uniq" | "mustUniq" => {
            want(name, a, 1)?;
            let mut out: Vec<Value> = Vec::new();
            for x in list_of(&a[0], 0, "uniq")? {
                if !out.iter().any(|y| y.to_json() == x.to_json()) {
                    out.push(x);
                }
            }
            Value::list(out)
        }
        "without" | "mustWithout" => {
            at_least(name, a, 1)?;
            let drop: Vec<serde_json::Value> = a[1..].iter().map(Value::to_json).collect();
            Value::list(
                list_of(&a[0], 0, "without")?
                    .into_iter()
                    .filter(|x| !drop.contains(&x.to_json()))
                    .collect(),
            )
        }
        "compact" | "mustCompact" => {
            want(name, a, 1)?;
            Value::list(
                list_of(&a[0], 0, "compact")?
                    .into_iter()
                    .filter(|x| !empty(x))
                    .collect(),
            )
        }
        "reverse" | "mustReverse" => {
            want(name, a, 1)?;
            let mut l = list_of(&a[0], 0, "reverse")?;
            l.reverse();
            Value::list(l)
        }
        "until" | "untilStep" | "seq" => {
            let (start, stop, step) = match (name, a.len()) {
                ("until", 1) => (0, n(a, 0)?, 1),
                ("untilStep", 3) => (n(a, 0)?, n(a, 1)?, n(a, 2)?),
                ("seq", 1) => (1, n(a, 0)? + 1, 1),
                ("seq", 2) => (n(a, 0)?, n(a, 1)? + 1, 1),
                ("seq", 3) => (n(a, 0)?, n(a, 2)? + 1, n(a, 1)?),
                _ => return Err(arg_err(0, format!("wrong number of args for {name}"))),
            };
            let step = if step == 0 { 1 } else { step };
            let count = ((stop - start) / step).max(0);
            if count > 1_000_000 {
                return Err(FnError::Limit(format!(
                    "{name}: a list of {count} items is above the limit of 1000000"
                )));
            }
            let v: Vec<Value> = (0..count).map(|i| Value::int(start + i * step)).collect();
            if name == "seq" {
                return Ok(Value::str(
                    v.iter().map(go_print).collect::<Vec<_>>().join(" "),
                ));
            }
            Value::list(v)
        }
        "chunk" | "mustChunk" => {
            want(name, a, 2)?;
            let size = n(a, 0)?.max(1) as usize;
            let l = list_of(&a[1], 1, "chunk")?;
            Value::list(l.chunks(size).map(|c| Value::list(c.to_vec())).collect())
        }

        // ---- dicts
        "dict" => {
            let mut m = BTreeMap::new();
            for pair in a.chunks(2) {
                let v = pair.get(1).cloned().unwrap_or(Value::str(""));
                m.insert(strval(&pair[0]), v);
            }
            Value::map(m)
        }
        "get" => {
            want(name, a, 2)?;
            let m = map_of(&a[0], 0)?;
            m.borrow().get(s(a, 1)?).cloned().unwrap_or(Value::str(""))
        }
        "set" => {
            want(name, a, 3)?;
            let m = map_of(&a[0], 0)?;
            if reaches(&a[2], m, 0) {
                return Err(FnError::Call("a map cannot contain itself".into()));
            }
            m.borrow_mut().insert(s(a, 1)?.to_string(), a[2].clone());
            a[0].clone()
        }
        "unset" => {
            want(name, a, 2)?;
            let m = map_of(&a[0], 0)?;
            m.borrow_mut().remove(s(a, 1)?);
            a[0].clone()
        }
        "hasKey" => {
            want(name, a, 2)?;
            let m = map_of(&a[0], 0)?;
            Value::bool(m.borrow().contains_key(s(a, 1)?))
        }
        "merge" | "mustMerge" | "mergeOverwrite" | "mustMergeOverwrite" => {
            at_least(name, a, 1)?;
            let dst = map_of(&a[0], 0)?.clone();
            for (i, src) in a[1..].iter().enumerate() {
                if src.is_nil() {
                    continue;
                }
                let src = map_of(src, i + 1)?;
                merge_into(&dst, src, name.contains("Overwrite"));
            }
            a[0].clone()
        }
        "pick" | "omit" => {
            at_least(name, a, 1)?;
            let m = map_of(&a[0], 0)?;
            let keys: Vec<String> = a[1..].iter().map(strval).collect();
            let keep = name == "pick";
            Value::map(
                m.borrow()
                    .iter()
                    .filter(|(k, _)| keys.contains(k) == keep)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        }
        "keys" => {
            let mut out = Vec::new();
            for (i, x) in a.iter().enumerate() {
                out.extend(
                    map_of(x, i)?
                        .borrow()
                        .keys()
                        .map(|k| Value::str(k.as_str())),
                );
            }
            Value::list(out)
        }
        "values" => {
            want(name, a, 1)?;
            Value::list(map_of(&a[0], 0)?.borrow().values().cloned().collect())
        }
        "pluck" => {
            at_least(name, a, 1)?;
            let key = s(a, 0)?;
            let mut out = Vec::new();
            for (i, x) in a[1..].iter().enumerate() {
                if let Some(v) = map_of(x, i + 1)?.borrow().get(key) {
                    out.push(v.clone());
                }
            }
            Value::list(out)
        }
        "dig" => {
            at_least(name, a, 3)?;
            let m = &a[a.len() - 1];
            let default = &a[a.len() - 2];
            let mut cur = m.clone();
            for (i, k) in a[..a.len() - 2].iter().enumerate() {
                let key = s(a, i)?.to_string();
                let _ = k;
                let next = match &cur.kind {
                    Kind::Map(mm) => mm.borrow().get(&key).cloned(),
                    _ => None,
                };
                match next {
                    Some(v) => cur = v,
                    None => return Ok(default.clone()),
                }
            }
            cur
        }
        "deepCopy" | "mustDeepCopy" => {
            want(name, a, 1)?;
            check_expanded(&a[0])?;
            a[0].deep_copy()
        }

        // ---- logic
        "default" => {
            at_least(name, a, 1)?;
            match a.get(1) {
                Some(given) if !empty(given) => given.clone(),
                _ => a[0].clone(),
            }
        }
        "empty" => {
            want(name, a, 1)?;
            Value::bool(empty(&a[0]))
        }
        "coalesce" => a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::NIL),
        "all" => Value::bool(a.iter().all(|v| !empty(v))),
        "any" => Value::bool(a.iter().any(|v| !empty(v))),
        "ternary" => {
            want(name, a, 3)?;
            if b(a, 2)? { a[0].clone() } else { a[1].clone() }
        }
        "kindOf" => {
            want(name, a, 1)?;
            Value::str(kind_of(&a[0]))
        }
        "kindIs" => {
            want(name, a, 2)?;
            Value::bool(kind_of(&a[1]) == s(a, 0)?)
        }
        "typeOf" => {
            want(name, a, 1)?;
            Value::str(a[0].type_name())
        }
        "typeIs" | "typeIsLike" => {
            want(name, a, 2)?;
            let t = s(a, 0)?;
            let actual = a[1].type_name();
            Value::bool(actual == t || name == "typeIsLike" && t.trim_start_matches('*') == actual)
        }
        "deepEqual" => {
            want(name, a, 2)?;
            Value::bool(a[0].to_json() == a[1].to_json())
        }

        // ---- conversions and math
        "int" | "int64" | "atoi" => {
            want(name, a, 1)?;
            if name == "atoi" {
                Value::int(s(a, 0)?.trim().parse().unwrap_or(0))
            } else {
                Value::int(to_i64(&a[0]))
            }
        }
        "float64" | "toDecimal" => {
            want(name, a, 1)?;
            Value::float(to_f64(&a[0]))
        }
        "add" => Value::int(a.iter().map(to_i64).fold(0i64, i64::wrapping_add)),
        "add1" => {
            want(name, a, 1)?;
            Value::int(to_i64(&a[0]).wrapping_add(1))
        }
        "sub" | "mul" | "div" | "mod" => {
            if name == "mul" {
                at_least(name, a, 1)?;
                return Ok(Value::int(
                    a.iter().map(to_i64).fold(1i64, i64::wrapping_mul),
                ));
            }
            want(name, a, 2)?;
            let (x, y) = (to_i64(&a[0]), to_i64(&a[1]));
            Value::int(match name {
                "sub" => x.wrapping_sub(y),
                _ if y == 0 => {
                    return Err(FnError::Call(
                        "runtime error: integer divide by zero".into(),
                    ));
                }
                "div" => x.wrapping_div(y),
                _ => x.wrapping_rem(y),
            })
        }
        "max" | "min" | "biggest" => {
            at_least(name, a, 1)?;
            let it = a.iter().map(to_i64);
            Value::int(if name == "min" {
                it.min().unwrap_or(0)
            } else {
                it.max().unwrap_or(0)
            })
        }
        "addf" | "subf" | "mulf" | "divf" | "maxf" | "minf" | "add1f" => {
            at_least(name, a, 1)?;
            let mut it = a.iter().map(to_f64);
            let first = it.next().unwrap_or(0.0);
            Value::float(match name {
                "addf" => it.fold(first, |x, y| x + y),
                "add1f" => first + 1.0,
                "subf" => it.fold(first, |x, y| x - y),
                "mulf" => it.fold(first, |x, y| x * y),
                "divf" => it.fold(first, |x, y| x / y),
                "maxf" => it.fold(first, f64::max),
                _ => it.fold(first, f64::min),
            })
        }
        "floor" | "ceil" => {
            want(name, a, 1)?;
            let f = to_f64(&a[0]);
            Value::float(if name == "floor" { f.floor() } else { f.ceil() })
        }
        "round" => {
            at_least(name, a, 2)?;
            let p = 10f64.powi(n(a, 1)? as i32);
            Value::float((to_f64(&a[0]) * p).round() / p)
        }
        "and" | "or" => {
            return Err(FnError::Call(format!(
                "{name} takes its arguments unevaluated"
            )));
        }
        _ => return Err(FnError::Call(format!("function {name:?} not defined"))),
    };
    Ok(v)
}

/// Go's `path.Clean`.
fn go_path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let abs = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (abs, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `path.Base`.
fn go_path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Formats the fixed "now" (1970-01-01T00:00:00Z) with a Go time layout.
fn go_date_epoch(layout: &str) -> String {
    const TOKENS: &[(&str, &str)] = &[
        ("2006", "1970"),
        ("January", "January"),
        ("Jan", "Jan"),
        ("Monday", "Thursday"),
        ("Mon", "Thu"),
        ("MST", "UTC"),
        ("Z07:00", "Z"),
        ("-07:00", "+00:00"),
        ("-0700", "+0000"),
        ("01", "01"),
        ("02", "01"),
        ("15", "00"),
        ("03", "12"),
        ("04", "00"),
        ("05", "00"),
        ("06", "70"),
        ("PM", "AM"),
        (".000", ".000"),
    ];
    let mut out = String::new();
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        for (t, r) in TOKENS {
            if let Some(x) = rest.strip_prefix(t) {
                out.push_str(r);
                rest = x;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn toml_text(v: &Value) -> String {
    let mut out = String::new();
    if let Kind::Map(m) = &v.kind {
        let m = m.borrow();
        for (k, x) in m.iter() {
            if !matches!(x.kind, Kind::Map(_)) {
                out.push_str(&format!("{k} = {}\n", x.to_json()));
            }
        }
        for (k, x) in m.iter() {
            if let Kind::Map(_) = x.kind {
                out.push_str(&format!("\n[{k}]\n"));
                out.push_str(&toml_text(x));
            }
        }
    }
    out
}

/// SHA-1 (sprig's `sha1sum`; no crate for one function).
fn sha1_hex(data: &[u8]) -> String {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                chunk[4 * i],
                chunk[4 * i + 1],
                chunk[4 * i + 2],
                chunk[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// Objects: fields and methods

pub fn object_field(o: &Rc<Object>, name: &str) -> Option<Value> {
    match &**o {
        Object::KubeVersion {
            version,
            major,
            minor,
        } => match name {
            "Version" | "GitVersion" => Some(Value::str(version.as_str())),
            "Major" => Some(Value::str(major.as_str())),
            "Minor" => Some(Value::str(minor.as_str())),
            _ => None,
        },
        Object::Files(_) => Some(object_index(o, name)),
        Object::ApiVersions(_) => None,
    }
}

fn object_index(o: &Rc<Object>, key: &str) -> Value {
    match &**o {
        Object::Files(f) => f.get(key).map_or(Value::NIL, |b| {
            Value::str(String::from_utf8_lossy(b).as_ref())
        }),
        _ => Value::NIL,
    }
}

pub fn is_method(o: &Object, name: &str) -> bool {
    match o {
        Object::Files(_) => matches!(
            name,
            "Get" | "GetBytes" | "Glob" | "AsConfig" | "AsSecrets" | "Lines"
        ),
        Object::ApiVersions(_) => name == "Has",
        Object::KubeVersion { .. } => name == "String",
    }
}

pub fn call_method(ex: &mut Exec, o: &Rc<Object>, name: &str, args: Vec<Value>) -> F {
    let _ = ex.step();
    let a = &args;
    match (&**o, name) {
        (Object::ApiVersions(v), "Has") => {
            want(name, a, 1)?;
            let want_gv = s(a, 0)?;
            Ok(Value::bool(v.iter().any(|x| x == want_gv)))
        }
        (Object::KubeVersion { version, .. }, "String") => Ok(Value::str(version.as_str())),
        (Object::Files(files), _) => match name {
            "Get" | "GetBytes" => {
                want(name, a, 1)?;
                Ok(files.get(s(a, 0)?).map_or(Value::str(""), |b| {
                    Value::str(String::from_utf8_lossy(b).as_ref())
                }))
            }
            "Lines" => {
                want(name, a, 1)?;
                let Some(b) = files.get(s(a, 0)?) else {
                    return Ok(Value::list(Vec::new()));
                };
                let t = String::from_utf8_lossy(b);
                let t = t.strip_suffix('\n').unwrap_or(&t);
                Ok(Value::list(t.split('\n').map(Value::str).collect()))
            }
            "Glob" => {
                want(name, a, 1)?;
                let pat = s(a, 0)?;
                let glob = globset::GlobBuilder::new(pat)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| FnError::Call(e.to_string()))?
                    .compile_matcher();
                let picked: BTreeMap<String, Vec<u8>> = files
                    .iter()
                    .filter(|(k, _)| glob.is_match(k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Ok(Value::new(Kind::Object(Rc::new(Object::Files(picked)))))
            }
            "AsConfig" | "AsSecrets" => {
                let m: BTreeMap<String, Value> = files
                    .iter()
                    .map(|(k, v)| {
                        let base = k.rsplit('/').next().unwrap_or(k).to_string();
                        let val = if name == "AsSecrets" {
                            base64::engine::general_purpose::STANDARD.encode(v)
                        } else {
                            String::from_utf8_lossy(v).into_owned()
                        };
                        (base, Value::str(val))
                    })
                    .collect();
                if m.is_empty() {
                    return Ok(Value::str(""));
                }
                Ok(Value::text(yaml::to_yaml(&Value::map(m))))
            }
            _ => Err(FnError::Call(format!("no method {name}"))),
        },
        _ => Err(FnError::Call(format!("no method {name}"))),
    }
}

/// The PEM label of the placeholder key the generator functions return.
const PLACEHOLDER_KEY_KIND: &str = "RSA PRIVATE KEY";

/// A PEM-armoured placeholder (no key material): what `genCA`, `genPrivateKey` and friends
/// return, so charts that embed a generated certificate render deterministically.
fn placeholder_pem(kind: &str) -> String {
    format!("-----BEGIN {kind}-----\nkubenudge-placeholder\n-----END {kind}-----\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_matches_known_digests() {
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }

    #[test]
    fn words_split_like_xstrings() {
        assert_eq!(words("FirstName"), ["First", "Name"]);
        assert_eq!(words("http_server-port"), ["http", "server", "port"]);
    }

    #[test]
    fn dates_use_the_fixed_epoch() {
        assert_eq!(
            go_date_epoch("2006-01-02T15:04:05Z07:00"),
            "1970-01-01T00:00:00Z"
        );
    }
}
