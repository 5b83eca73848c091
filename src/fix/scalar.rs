//! Writing scalars and keys so that they read back as the value the plan meant, in block or
//! flow context, keeping the author's quoting where the value is a string.

use serde_json::Value;

use crate::manifest::{Limits, NodeKind, SourceText, Style, parse_stream};

/// The value a YAML scalar text stands for (`false` -> false, `"1"` -> "1"), by the same
/// core-schema resolution the manifest reader uses.
pub(crate) fn scalar_value(text: &str) -> Result<Value, String> {
    thread_local! {
        static MEMO: Memo<Result<Value, String>> = Memo::default();
    }
    // A plain word (`true`, `RuntimeDefault`, a name) needs no parser at all.
    if let Some(kind) = crate::manifest::plain_word_kind(text) {
        return Ok(crate::manifest::scalar_json(kind));
    }
    MEMO.with(|m| m.get_or(text, parse_scalar))
}

/// Values read back from text a fix writes, per thread. Fixes write a handful of texts over and
/// over (`RuntimeDefault`, `ALL`, the DNS egress rule as a flow mapping), and reading one back
/// costs a parser run (tens of thousands of instructions for a few bytes); after the first
/// time it costs a lookup. Bounded: cleared when full.
struct Memo<T>(std::cell::RefCell<std::collections::HashMap<String, T>>);

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo(Default::default())
    }
}

impl<T: Clone> Memo<T> {
    const ENTRIES: usize = 1024;

    fn get_or(&self, text: &str, compute: impl FnOnce(&str) -> T) -> T {
        if let Some(hit) = self.0.borrow().get(text) {
            return hit.clone();
        }
        let value = compute(text);
        let mut memo = self.0.borrow_mut();
        if memo.len() >= Self::ENTRIES {
            memo.clear();
        }
        memo.insert(text.to_string(), value.clone());
        value
    }
}

fn parse_scalar(text: &str) -> Result<Value, String> {
    let src = SourceText::new(text);
    let (tree, docs) = parse_stream(&src, &Limits::default())
        .map_err(|e| format!("{text:?} is not a YAML scalar: {e}"))?;
    match docs.as_slice() {
        [doc]
            if !matches!(
                tree.node(doc.root).kind,
                NodeKind::Mapping { .. } | NodeKind::Sequence { .. }
            ) =>
        {
            Ok(tree.to_json(doc.root))
        }
        _ => Err(format!("{text:?} is not a single YAML scalar")),
    }
}

/// The value of a list item a plan adds: a scalar, or one single-line flow collection such as
/// `{to: [{podSelector: {}}], ports: [{port: 53}]}` (a whole NetworkPolicy rule). Collections
/// are written as given, so they stay readable and never need quoting decisions.
pub(crate) fn item_value(text: &str) -> Result<Value, String> {
    match scalar_value(text) {
        Ok(value) => Ok(value),
        Err(e) => flow_collection(text).ok_or(e),
    }
}

/// `Some(value)` when `text` is exactly one flow mapping or sequence on one line.
fn flow_collection(text: &str) -> Option<Value> {
    thread_local! {
        static MEMO: Memo<Option<Value>> = Memo::default();
    }
    let t = text.trim();
    if !(t.starts_with('{') || t.starts_with('[')) || t.contains(['\n', '\r']) {
        return None;
    }
    MEMO.with(|m| m.get_or(t, parse_flow_collection))
}

fn parse_flow_collection(t: &str) -> Option<Value> {
    let src = SourceText::new(t);
    let (tree, docs) = parse_stream(&src, &Limits::default()).ok()?;
    match docs.as_slice() {
        [doc]
            if tree.node(doc.root).flow
                && matches!(
                    tree.node(doc.root).kind,
                    NodeKind::Mapping { .. } | NodeKind::Sequence { .. }
                ) =>
        {
            Some(tree.to_json(doc.root))
        }
        _ => None,
    }
}

/// A flow collection item for a JSON file: the same value in JSON syntax.
pub(crate) fn flow_collection_json(text: &str) -> Option<String> {
    flow_collection(text).map(|v| v.to_string())
}

fn is_quoted(text: &str) -> bool {
    text.starts_with('"') || text.starts_with('\'')
}

/// True when `s`, written plain, reads back as the string `s` in the given context.
fn plain_string_ok(s: &str, flow: bool) -> bool {
    // A plain word has no whitespace, indicator or flow character: only its resolution can
    // make it something else than a string (`true`, `1e3`).
    if let Some(is_string) = crate::manifest::plain_word_is_string(s) {
        return is_string;
    }
    if s.is_empty() || s.trim() != s || s.contains(['\n', '\r', '\t']) {
        return false;
    }
    if flow && s.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-1`, `-x` are fine plain; a lone indicator or `- x` is not.
        let second = s.chars().nth(1);
        if !(matches!(first, '-' | '?' | ':') && second.is_some_and(|c| c != ' ')) {
            return false;
        }
    }
    matches!(scalar_value(s), Ok(Value::String(v)) if v == s)
}

pub(crate) fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A plan's scalar text, made safe for where it is written. Quoted text is kept as given.
pub(crate) fn render_value(text: &str, flow: bool) -> Result<String, String> {
    let value = scalar_value(text)?;
    if is_quoted(text) {
        return Ok(text.to_string());
    }
    match &value {
        Value::String(s) if !plain_string_ok(s, flow) => Ok(double_quoted(s)),
        Value::String(s) if s != text.trim() => Ok(double_quoted(s)),
        _ => Ok(text.trim().to_string()),
    }
}

/// A list item's text: a flow collection as given (see [`item_value`]), a scalar as
/// [`render_value`] writes it.
pub(crate) fn render_item(text: &str, flow: bool) -> Result<String, String> {
    if flow_collection(text).is_some() {
        return Ok(text.trim().to_string());
    }
    render_value(text, flow)
}

/// The text replacing an existing scalar written in `style`: a string keeps the author's quotes.
pub(crate) fn render_replacement(text: &str, style: Style, flow: bool) -> Result<String, String> {
    let value = scalar_value(text)?;
    if is_quoted(text) {
        return Ok(text.to_string());
    }
    match (&value, style) {
        (Value::String(s), Style::SingleQuoted) => Ok(single_quoted(s)),
        (Value::String(s), Style::DoubleQuoted) => Ok(double_quoted(s)),
        _ => render_value(text, flow),
    }
}

/// A mapping key from a field path.
pub(crate) fn render_key(key: &str, flow: bool) -> String {
    if plain_string_ok(key, flow) {
        key.to_string()
    } else {
        double_quoted(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_only_when_needed() {
        assert_eq!(render_value("false", false).unwrap(), "false");
        assert_eq!(
            render_value("RuntimeDefault", true).unwrap(),
            "RuntimeDefault"
        );
        assert_eq!(render_value("a,b", true).unwrap(), "\"a,b\"");
        assert_eq!(render_value("a,b", false).unwrap(), "a,b");
        assert_eq!(render_value("'1000'", false).unwrap(), "'1000'");
        assert!(render_value("[a]", false).is_err());
        assert_eq!(
            render_key("net.ipv4.ip_forward", true),
            "net.ipv4.ip_forward"
        );
        assert_eq!(render_key("a: b", false), "\"a: b\"");
        assert_eq!(render_key("true", false), "\"true\"");
    }

    #[test]
    fn replacements_keep_string_quotes_but_not_for_booleans() {
        assert_eq!(
            render_replacement("RuntimeDefault", Style::DoubleQuoted, false).unwrap(),
            "\"RuntimeDefault\""
        );
        assert_eq!(
            render_replacement("RuntimeDefault", Style::SingleQuoted, false).unwrap(),
            "'RuntimeDefault'"
        );
        assert_eq!(
            render_replacement("false", Style::DoubleQuoted, false).unwrap(),
            "false"
        );
    }
}
