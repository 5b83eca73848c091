//! YAML as Helm reads and writes it. Reading goes the way of `sigs.k8s.io/yaml`: YAML 1.1
//! scalars (`yes` is true, `010` is octal) converted through JSON, so every number becomes a
//! float64 (why `{{ .Values.big }}` prints `1e+06`, as in Helm). Writing (`toYaml`) follows
//! `yaml.v2` through JSON: keys sorted, two-space indent, lists at their key's indent,
//! integral floats as integers, strings quoted when they would read back as something else.
//!
//! Values read from a file keep their origin; `toYaml` records, for each scalar and key it
//! prints, the origin of the value, so a line of rendered output points at its values line.

use std::collections::BTreeMap;

use crate::manifest::{
    Limits, NodeId, NodeKind, SourceText, Style, YamlTree, parse_stream_lenient,
};
use crate::render::origin::{FileId, Origin};

use super::template::value::{Kind, Object, Seg, Text, Value, go_float};
use crate::render::value::double_quoted;

/// Parses a YAML document into a value; origins point into `file` when given.
pub fn parse_value(text: &str, file: Option<FileId>) -> Result<Value, String> {
    let src = SourceText::new(text);
    let (tree, docs) = parse_stream_lenient(&src, &Limits::default()).map_err(|e| e.to_string())?;
    match docs.first() {
        Some(d) => Ok(tree_to_value(&tree, &src, d.root, file)),
        None => Ok(Value::NIL),
    }
}

pub fn tree_to_value(tree: &YamlTree, src: &SourceText, id: NodeId, file: Option<FileId>) -> Value {
    let n = tree.node(id);
    let origin = file.map_or(Origin::Unknown, |file| Origin::Source {
        file,
        span: n.span(),
    });
    let v = match &n.kind {
        NodeKind::Sequence { items, .. } => Value::list(
            items
                .iter()
                .map(|i| tree_to_value(tree, src, *i, file))
                .collect(),
        ),
        NodeKind::Mapping { entries, .. } => {
            let mut m = BTreeMap::new();
            for e in entries {
                m.insert(e.key.to_string(), tree_to_value(tree, src, e.value, file));
            }
            Value::map(m)
        }
        kind => {
            let raw = src.text().get(n.span().start..n.span().end).unwrap_or("");
            if n.style == Style::Plain && !raw.starts_with('!') {
                resolve_plain(raw.trim())
            } else {
                match kind {
                    NodeKind::Str(s) => Value::str(s.as_str()),
                    NodeKind::Null => Value::NIL,
                    NodeKind::Bool(b) => Value::bool(*b),
                    NodeKind::Int(i) => Value::float(*i as f64),
                    NodeKind::Float(f) => Value::float(*f),
                    _ => Value::NIL,
                }
            }
        }
    };
    v.with_origin(origin)
}

/// `yaml.v2`'s resolution of a plain scalar, numbers as float64 (they pass through JSON).
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::NIL,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::float(f64::NAN),
        _ => {}
    }
    if let Some(i) = yaml11_int(s) {
        return Value::float(i as f64);
    }
    if is_yaml_float(s)
        && let Ok(f) = s.replace('_', "").parse::<f64>()
    {
        return Value::float(f);
    }
    Value::str(s)
}

fn yaml11_int(s: &str) -> Option<i64> {
    let clean = s.replace('_', "");
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    if body.is_empty() {
        return None;
    }
    let v = if let Some(h) = body.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(b) = body.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()?
    } else if let Some(o) = body.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        i64::from_str_radix(&body[1..], 8).ok()?
    } else if body.bytes().all(|b| b.is_ascii_digit()) {
        body.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

fn is_yaml_float(s: &str) -> bool {
    // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && (b[*i].is_ascii_digit() || b[*i] == b'_') {
            *i += 1;
        }
        *i > st
    };
    if b.first() == Some(&b'.') {
        i = 1;
        if !digits(&mut i) {
            return false;
        }
    } else {
        if !digits(&mut i) {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Helm's `toYaml`: the document without its final newline, with origins per printed scalar.
pub fn to_yaml(v: &Value) -> Text {
    let mut out = Text::default();
    emit_block(&mut out, v, 0);
    if out.s.ends_with('\n') {
        out.s.pop();
        if let Some(last) = out.segs.last_mut() {
            last.end = last.end.min(out.s.len());
        }
    }
    out
}

fn push_with(out: &mut Text, s: &str, origin: Origin) {
    let start = out.s.len();
    out.s.push_str(s);
    if origin != Origin::Unknown && !s.is_empty() {
        out.segs.push(Seg {
            start,
            end: out.s.len(),
            origin,
            exact: false,
        });
    }
}

/// What a value is once it has gone through JSON (objects become plain data).
fn normalized(v: &Value) -> Value {
    match &v.kind {
        Kind::Object(o) => match &**o {
            Object::Files(_) | Object::ApiVersions(_) | Object::KubeVersion { .. } => {
                Value::from_json(&v.to_json())
            }
        },
        _ => v.clone(),
    }
}

fn emit_block(out: &mut Text, v: &Value, indent: usize) {
    let v = normalized(v);
    match &v.kind {
        Kind::Map(m) if !m.borrow().is_empty() => emit_map(out, &v, indent, false),
        Kind::List(l) if !l.is_empty() => emit_seq(out, l, indent),
        _ => {
            emit_inline(out, &v, indent);
            out.s.push('\n');
        }
    }
}

fn emit_map(out: &mut Text, map: &Value, indent: usize, first_inline: bool) {
    let Kind::Map(m) = &map.kind else { return };
    let entries: Vec<(String, Value)> = m
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), normalized(v)))
        .collect();
    for (i, (k, v)) in entries.iter().enumerate() {
        if !(first_inline && i == 0) {
            out.s.extend(std::iter::repeat_n(' ', indent));
        }
        push_with(out, &scalar_string(k, true), map.origin);
        out.s.push(':');
        match &v.kind {
            Kind::Map(inner) if !inner.borrow().is_empty() => {
                out.s.push('\n');
                emit_map(out, v, indent + 2, false);
            }
            Kind::List(items) if !items.is_empty() => {
                out.s.push('\n');
                emit_seq(out, items, indent);
            }
            _ => {
                out.s.push(' ');
                emit_inline(out, v, indent + 2);
                out.s.push('\n');
            }
        }
    }
}

fn emit_seq(out: &mut Text, items: &[Value], indent: usize) {
    for item in items {
        let item = normalized(item);
        out.s.extend(std::iter::repeat_n(' ', indent));
        out.s.push_str("- ");
        match &item.kind {
            Kind::Map(m) if !m.borrow().is_empty() => emit_map(out, &item, indent + 2, true),
            Kind::List(inner) if !inner.is_empty() => {
                let mut sub = Text::default();
                emit_seq(&mut sub, inner, indent + 2);
                let skip = indent + 2;
                let base = out.s.len();
                out.s.push_str(&sub.s[skip..]);
                out.segs.extend(sub.segs.iter().map(|g| Seg {
                    start: g.start - skip + base,
                    end: g.end - skip + base,
                    ..*g
                }));
            }
            _ => {
                emit_inline(out, &item, indent + 2);
                out.s.push('\n');
            }
        }
    }
}

fn emit_inline(out: &mut Text, v: &Value, indent: usize) {
    let s = match &v.kind {
        Kind::Nil => "null".to_string(),
        Kind::Bool(b) => b.to_string(),
        Kind::Int(i) => i.to_string(),
        Kind::Float(f) => json_number(*f),
        Kind::Str(s, _) => {
            if let Some(block) = literal_block(s, indent) {
                block
            } else {
                scalar_string(s, false)
            }
        }
        Kind::Map(_) => "{}".to_string(),
        Kind::List(_) => "[]".to_string(),
        Kind::Object(_) => "{}".to_string(),
    };
    push_with(out, &s, v.origin);
}

/// A float as `encoding/json` writes it and yaml.v2 then prints it: integral values as
/// integers, others in the shortest form.
pub fn json_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{}", f as i128)
    } else if f.is_finite() {
        let s = go_float(f);
        s.replace("e+0", "e+").replace("e-0", "e-")
    } else if f.is_nan() {
        ".nan".into()
    } else if f > 0.0 {
        ".inf".into()
    } else {
        "-.inf".into()
    }
}

fn literal_block(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n')
        || s.starts_with([' ', '\t', '\n'])
        || s.chars().any(|c| c != '\n' && c.is_control() && c != '\t')
        || s.split('\n').any(|l| l.ends_with([' ', '\t']))
    {
        return None;
    }
    let chomp = if !s.ends_with('\n') {
        "-"
    } else if s.ends_with("\n\n") {
        "+"
    } else {
        ""
    };
    let mut b = format!("|{chomp}");
    let body = s.strip_suffix('\n').unwrap_or(s);
    let pad = " ".repeat(indent.max(2));
    for line in body.split('\n') {
        b.push('\n');
        if !line.is_empty() {
            b.push_str(&pad);
            b.push_str(line);
        }
    }
    Some(b)
}

/// A string as yaml.v2 writes it: plain when it reads back as the same string, else
/// single-quoted, or double-quoted when it holds characters single quotes cannot.
pub fn scalar_string(s: &str, key: bool) -> String {
    let reads_as_other = !matches!(resolve_plain(s).kind, Kind::Str(..)) || s.is_empty();
    if reads_as_other {
        return double_quoted(s);
    }
    if s.chars().any(|c| c.is_control() || c == '\u{feff}') || (key && s.contains('\n')) {
        return double_quoted(s);
    }
    if plain_ok(s) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "''"))
}

fn plain_ok(s: &str) -> bool {
    if s.trim() != s || s.contains(['\n']) {
        return false;
    }
    if s.starts_with([
        '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@',
        '`',
    ]) {
        // `-x` and `:x` are plain-safe when followed by a non-space, as in yaml.v2.
        let second = s.chars().nth(1);
        let dash_ok = matches!(s.chars().next(), Some('-' | '?' | ':'))
            && second.is_some_and(|c| !c.is_whitespace())
            && s != "-"
            && !s.starts_with("---");
        if !dash_ok {
            return false;
        }
    }
    !(s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.contains('\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_helm_reads_them() {
        let v = parse_value(
            "a: yes\nb: 010\nc: 1_000\nd: \"1\"\ne: 1.5\nf: ~\ng: on\n",
            None,
        )
        .unwrap();
        let m = v.as_map().unwrap().borrow().clone();
        assert!(matches!(m["a"].kind, Kind::Bool(true)));
        assert!(matches!(m["b"].kind, Kind::Float(f) if f == 8.0));
        assert!(matches!(m["c"].kind, Kind::Float(f) if f == 1000.0));
        assert!(matches!(&m["d"].kind, Kind::Str(s, _) if &**s == "1"));
        assert!(matches!(m["e"].kind, Kind::Float(f) if f == 1.5));
        assert!(m["f"].is_nil());
        assert!(matches!(m["g"].kind, Kind::Bool(true)));
    }

    #[test]
    fn to_yaml_prints_as_helm_does() {
        let v = parse_value(
            "b: [1, x]\na: {runAsUser: 1000, flag: true, s: 'yes', e: '', m: \"l1\\nl2\"}\nc: []\nd: {}\nf: 2.5\n",
            None,
        )
        .unwrap();
        assert_eq!(
            to_yaml(&v).s,
            "a:\n  e: \"\"\n  flag: true\n  m: |-\n    l1\n    l2\n  runAsUser: 1000\n  s: \"yes\"\nb:\n- 1\n- x\nc: []\nd: {}\nf: 2.5"
        );
        assert_eq!(to_yaml(&Value::map(BTreeMap::new())).s, "{}");
        assert_eq!(to_yaml(&Value::NIL).s, "null");
        assert_eq!(scalar_string("a: b", false), "'a: b'");
        assert_eq!(scalar_string("*", false), "'*'");
        assert_eq!(scalar_string("-Xmx1g", false), "-Xmx1g");
    }

    #[test]
    fn to_yaml_records_where_each_scalar_came_from() {
        let text = "securityContext:\n  runAsUser: 0\n  readOnlyRootFilesystem: false\n";
        let v = parse_value(text, Some(FileId(3))).unwrap();
        let sc = v.as_map().unwrap().borrow()["securityContext"].clone();
        let out = to_yaml(&sc);
        let pos = out.s.find("0").unwrap();
        match out.origin_at(pos, 1) {
            Some(Origin::Source { file, span }) => {
                assert_eq!(file, FileId(3));
                assert_eq!(&text[span.start..span.end], "0");
            }
            o => panic!("{o:?}"),
        }
    }
}
