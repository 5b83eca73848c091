//! The tree a renderer builds: YAML data where every node carries its [`Origin`]. Scalars keep
//! the text the author wrote (`yes`, `0644`, `1.0` stay as written, as kustomize's kyaml keeps
//! them), so a build changes only what it means to change. Printing and the typed view
//! (YAML 1.2 core schema) live here too; nothing here knows about Kustomize.

use std::fmt::Write as _;

use super::origin::{FileId, Origin};
use crate::manifest::{NodeId, NodeKind, SourceText, Style, YamlTree};

/// A scalar as the build sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// Written plain in a file (or a number/bool from a JSON patch): its meaning is whatever the
    /// reader's schema makes of the text, so it is printed back exactly.
    Plain(String),
    /// A string value (quoted in the source, or made by the build); printed quoted when plain
    /// text would read as something else.
    Str(String),
}

impl Scalar {
    pub fn text(&self) -> &str {
        match self {
            Scalar::Plain(s) | Scalar::Str(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Entries in order; keys are unique.
    Map(Vec<(String, Node)>),
}

/// One node of built YAML and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
}

impl Node {
    pub fn new(value: Value, origin: Origin) -> Self {
        Self { value, origin }
    }

    pub fn str(s: impl Into<String>, origin: Origin) -> Self {
        Self::new(Value::Scalar(Scalar::Str(s.into())), origin)
    }

    pub fn plain(s: impl Into<String>, origin: Origin) -> Self {
        Self::new(Value::Scalar(Scalar::Plain(s.into())), origin)
    }

    pub fn map(origin: Origin) -> Self {
        Self::new(Value::Map(Vec::new()), origin)
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(Scalar::Plain(s)) if is_null_text(s))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if !self.is_null() => Some(s.text()),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.value {
            Value::Map(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    /// The value at `keys`, following mappings only.
    pub fn at(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(m) => m,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(s) => s,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// Sets `key` in a mapping (turning a null into a mapping first); keeps the key's place.
    pub fn set(&mut self, key: &str, value: Node) {
        if self.is_null() {
            self.value = Value::Map(Vec::new());
        }
        if let Value::Map(m) = &mut self.value {
            match m.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => m.push((key.to_string(), value)),
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Node> {
        match &mut self.value {
            Value::Map(m) => {
                let i = m.iter().position(|(k, _)| k == key)?;
                Some(m.remove(i).1)
            }
            _ => None,
        }
    }

    /// The mapping under `key`, created (with `origin`) when absent or null. A node that is not
    /// a mapping becomes one: builds check object shapes when they read them, so this only
    /// meets data a directive is about to overwrite anyway.
    pub fn map_entry(&mut self, key: &str, origin: Origin) -> &mut Node {
        if !self.is_map() {
            self.value = Value::Map(Vec::new());
        }
        let Value::Map(m) = &mut self.value else {
            unreachable!("made a mapping just above");
        };
        let i = match m.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                m.push((key.to_string(), Node::map(origin)));
                m.len() - 1
            }
        };
        let node = &mut m[i].1;
        if !node.is_map() {
            *node = Node::map(origin);
        }
        node
    }

    /// Data view under the YAML 1.2 core schema (what the conformance comparison uses).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar(Scalar::Str(s)) => J::String(s.clone()),
            Value::Scalar(Scalar::Plain(s)) => plain_to_json(s),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// A node from JSON data (JSON patch values, generated content), all with one origin.
    pub fn from_json(v: &serde_json::Value, origin: Origin) -> Node {
        use serde_json::Value as J;
        let value = match v {
            J::Null => Value::Scalar(Scalar::Plain("null".into())),
            J::Bool(b) => Value::Scalar(Scalar::Plain(b.to_string())),
            J::Number(n) => Value::Scalar(Scalar::Plain(n.to_string())),
            J::String(s) => Value::Scalar(Scalar::Str(s.clone())),
            J::Array(a) => Value::Seq(a.iter().map(|x| Node::from_json(x, origin)).collect()),
            J::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, x)| (k.clone(), Node::from_json(x, origin)))
                    .collect(),
            ),
        };
        Node { value, origin }
    }

    /// Gives every node of this subtree the same origin (a value copied by a directive).
    pub fn set_origin_deep(&mut self, origin: Origin) {
        self.origin = origin;
        match &mut self.value {
            Value::Seq(items) => items.iter_mut().for_each(|n| n.set_origin_deep(origin)),
            Value::Map(m) => m.iter_mut().for_each(|(_, n)| n.set_origin_deep(origin)),
            Value::Scalar(_) => {}
        }
    }
}

fn is_null_text(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// YAML 1.2 core schema resolution of a plain scalar.
pub fn plain_to_json(s: &str) -> serde_json::Value {
    use serde_json::Value as J;
    if is_null_text(s) {
        return J::Null;
    }
    match s {
        "true" | "True" | "TRUE" => return J::Bool(true),
        "false" | "False" | "FALSE" => return J::Bool(false),
        _ => {}
    }
    if let Some(i) = core_int(s) {
        return J::from(i);
    }
    if let Some(f) = core_float(s) {
        return serde_json::Number::from_f64(f).map_or(J::String(s.to_string()), J::Number);
    }
    J::String(s.to_string())
}

fn core_int(s: &str) -> Option<i64> {
    if let Some(h) = s.strip_prefix("0x") {
        return i64::from_str_radix(h, 16).ok();
    }
    if let Some(o) = s.strip_prefix("0o") {
        return i64::from_str_radix(o, 8).ok();
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn core_float(s: &str) -> Option<f64> {
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let ok = !body.is_empty()
        && body.bytes().any(|b| b.is_ascii_digit())
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && (body.starts_with(|c: char| c.is_ascii_digit()) || body.starts_with('.'));
    if ok { s.parse().ok() } else { None }
}

/// Converts a parsed document into a [`Node`] tree with source origins in `file`.
pub fn from_tree(tree: &YamlTree, src: &SourceText, id: NodeId, file: FileId) -> Node {
    let n = tree.node(id);
    let origin = Origin::Source {
        file,
        span: n.span(),
    };
    let value = match &n.kind {
        NodeKind::Sequence { items, .. } => Value::Seq(
            items
                .iter()
                .map(|i| from_tree(tree, src, *i, file))
                .collect(),
        ),
        NodeKind::Mapping { entries, .. } => Value::Map(
            entries
                .iter()
                .map(|e| (e.key.to_string(), from_tree(tree, src, e.value, file)))
                .collect(),
        ),
        NodeKind::Str(s) if n.style != Style::Plain => Value::Scalar(Scalar::Str(s.to_string())),
        kind => {
            // Plain scalars keep the author's text; a folded multi-line plain scalar or one with
            // an explicit tag uses the parsed value.
            let raw = src.text().get(n.span().start..n.span().end).unwrap_or("");
            let text = if n.style == Style::Plain && !raw.contains('\n') && !raw.starts_with('!') {
                raw.trim().to_string()
            } else {
                String::new()
            };
            match kind {
                NodeKind::Str(s) if text != *s => Value::Scalar(Scalar::Str(s.to_string())),
                _ if !text.is_empty() || matches!(kind, NodeKind::Null) => {
                    Value::Scalar(Scalar::Plain(text))
                }
                NodeKind::Bool(b) => Value::Scalar(Scalar::Plain(b.to_string())),
                NodeKind::Int(i) => Value::Scalar(Scalar::Plain(i.to_string())),
                NodeKind::Float(f) => Value::Scalar(Scalar::Plain(f.to_string())),
                NodeKind::Str(s) => Value::Scalar(Scalar::Str(s.to_string())),
                _ => Value::Scalar(Scalar::Plain(String::new())),
            }
        }
    };
    Node { value, origin }
}

/// Prints documents as a YAML stream in kustomize's layout (keys sorted, two-space indent,
/// sequences at their key's indent), separated by `---`.
pub fn to_yaml_stream<'a>(docs: impl IntoIterator<Item = &'a Node>) -> String {
    to_yaml_stream_with_origins(docs).0
}

/// Like [`to_yaml_stream`], plus the origin of each printed line (index 0 is line 1): what a
/// finding on the built text maps back to. `---` lines have [`Origin::Unknown`].
pub fn to_yaml_stream_with_origins<'a>(
    docs: impl IntoIterator<Item = &'a Node>,
) -> (String, Vec<Origin>) {
    let mut p = Printer::default();
    for (i, doc) in docs.into_iter().enumerate() {
        if i > 0 {
            p.line_origin = Origin::Unknown;
            p.text("---");
            p.newline();
        }
        p.line_origin = doc.origin;
        p.block(doc, 0);
    }
    (p.out, p.origins)
}

#[derive(Default)]
struct Printer {
    out: String,
    origins: Vec<Origin>,
    line_origin: Origin,
}

impl Printer {
    fn text(&mut self, t: &str) {
        for (i, part) in t.split('\n').enumerate() {
            if i > 0 {
                self.newline();
            }
            self.out.push_str(part);
        }
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.origins.push(self.line_origin);
    }

    fn pad(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    fn block(&mut self, node: &Node, indent: usize) {
        match &node.value {
            Value::Map(m) if !m.is_empty() => self.map(m, indent, false),
            Value::Seq(s) if !s.is_empty() => self.seq(s, indent),
            _ => {
                self.inline(node, indent);
                self.newline();
            }
        }
    }

    /// `first_inline`: the first key continues a `- ` already printed.
    fn map(&mut self, m: &[(String, Node)], indent: usize, first_inline: bool) {
        let mut sorted: Vec<&(String, Node)> = m.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (i, (k, v)) in sorted.into_iter().enumerate() {
            if !(first_inline && i == 0) {
                self.pad(indent);
            }
            self.line_origin = v.origin;
            self.text(&scalar_text(&Scalar::Str(k.clone()), indent, true));
            self.out.push(':');
            match &v.value {
                Value::Map(inner) if !inner.is_empty() => {
                    self.newline();
                    self.map(inner, indent + 2, false);
                }
                Value::Seq(items) if !items.is_empty() => {
                    self.newline();
                    self.seq(items, indent);
                }
                _ => {
                    self.out.push(' ');
                    self.inline(v, indent + 2);
                    self.newline();
                }
            }
        }
    }

    fn seq(&mut self, items: &[Node], indent: usize) {
        for item in items {
            self.pad(indent);
            self.line_origin = item.origin;
            self.out.push_str("- ");
            match &item.value {
                Value::Map(m) if !m.is_empty() => self.map(m, indent + 2, true),
                Value::Seq(s) if !s.is_empty() => {
                    // A list in a list: the first item on the dash line.
                    let mut inner = Printer {
                        line_origin: item.origin,
                        ..Printer::default()
                    };
                    inner.seq(s, indent + 2);
                    self.out.push_str(&inner.out[indent + 2..]);
                    self.origins.extend(inner.origins);
                }
                _ => {
                    self.inline(item, indent + 2);
                    self.newline();
                }
            }
        }
    }

    fn inline(&mut self, node: &Node, indent: usize) {
        match &node.value {
            Value::Map(_) => self.out.push_str("{}"),
            Value::Seq(_) => self.out.push_str("[]"),
            Value::Scalar(s) => self.text(&scalar_text(s, indent, false)),
        }
    }
}

/// How a scalar prints: plain when that reads back as the same value under both YAML 1.1 and
/// 1.2, a literal block for multi-line text, double-quoted otherwise.
fn scalar_text(s: &Scalar, indent: usize, key: bool) -> String {
    match s {
        Scalar::Plain(t) if t.is_empty() => "null".to_string(),
        Scalar::Plain(t) => t.clone(),
        Scalar::Str(t) => {
            if plain_safe(t) {
                t.clone()
            } else if !key && literal_safe(t) {
                let chomp = if !t.ends_with('\n') {
                    "-"
                } else if t.ends_with("\n\n") {
                    "+"
                } else {
                    ""
                };
                let mut b = format!("|{chomp}");
                let body = t.strip_suffix('\n').unwrap_or(t);
                for line in body.split('\n') {
                    b.push('\n');
                    if !line.is_empty() {
                        b.push_str(&" ".repeat(indent.max(2)));
                        b.push_str(line);
                    }
                }
                b
            } else {
                double_quoted(t)
            }
        }
    }
}

fn literal_safe(t: &str) -> bool {
    t.contains('\n')
        && !t.starts_with([' ', '\n'])
        && t.chars().all(|c| c == '\n' || !c.is_control())
        && t.split('\n').all(|l| !l.ends_with([' ', '\t']))
}

fn plain_safe(t: &str) -> bool {
    if t.is_empty() || t.trim() != t || t.contains(['\n', '\t', '\r']) {
        return false;
    }
    if t.starts_with([
        '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@',
        '`', '.', '+', '~',
    ]) {
        return false;
    }
    if t.contains(": ") || t.contains(" #") || t.ends_with(':') || t.chars().any(char::is_control) {
        return false;
    }
    // Anything that YAML 1.1 or 1.2 would read as a bool, null or number stays quoted.
    let lower = t.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
    ) {
        return false;
    }
    let numeric_ish = t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'e' | b'E' | b'x' | b'o' | b':'))
        && t.bytes().next().is_some_and(|b| b.is_ascii_digit());
    !numeric_ish
}

/// A string in YAML's double-quoted style (also what the Helm renderer's `toYaml` writes).
pub(crate) fn double_quoted(t: &str) -> String {
    let mut s = String::with_capacity(t.len() + 2);
    s.push('"');
    for c in t.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Node> {
        let src = SourceText::new(text);
        let (tree, docs) =
            crate::manifest::parse_stream(&src, &crate::manifest::Limits::default()).unwrap();
        docs.iter()
            .map(|d| from_tree(&tree, &src, d.root, FileId(0)))
            .collect()
    }

    #[test]
    fn plain_scalars_keep_their_text_and_strings_print_back_as_strings() {
        let docs = parse(
            "a: yes\nb: 0644\nc: \"yes\"\nd: \"12\"\ne: |\n  x\n  y\nf:\n- l: [1, 2]\n  k: 1\n",
        );
        let printed = to_yaml_stream(&docs);
        assert_eq!(
            printed,
            "a: yes\nb: 0644\nc: \"yes\"\nd: \"12\"\ne: |\n  x\n  y\nf:\n- k: 1\n  l:\n  - 1\n  - 2\n"
        );
        assert_eq!(parse(&printed)[0].to_json(), docs[0].to_json());
        assert_eq!(docs[0].to_json()["b"], serde_json::json!(644));
        assert_eq!(docs[0].to_json()["a"], serde_json::json!("yes"));
    }

    #[test]
    fn every_printed_line_knows_its_origin() {
        let docs = parse(
            "kind: A\nspec:\n  items:\n  - name: x\n    v: |\n      two\n      lines\n  - [1, 2]\n",
        );
        let (text, origins) = to_yaml_stream_with_origins(docs.iter().chain(docs.iter()));
        assert_eq!(text.lines().count(), origins.len());
        let src =
            "kind: A\nspec:\n  items:\n  - name: x\n    v: |\n      two\n      lines\n  - [1, 2]\n";
        let source = SourceText::new(src);
        let line_of = |o: &Origin| match o {
            Origin::Source { span, .. } => source.line_col(span.start).0,
            _ => 0,
        };
        let printed: Vec<(usize, &str)> = text
            .lines()
            .zip(&origins)
            .map(|(l, o)| (line_of(o), l))
            .collect();
        // Each printed line points at the line that wrote its value.
        assert_eq!(printed[0], (1, "kind: A"));
        assert_eq!(printed[3], (4, "  - name: x"));
        // A block scalar's span starts at its first content line.
        assert_eq!(printed[4], (6, "    v: |"));
        assert_eq!(printed[5], (6, "      two"));
        assert_eq!(printed[7], (8, "  - - 1"));
        assert_eq!(printed[9], (0, "---"));
    }

    #[test]
    fn awkward_strings_round_trip() {
        for s in [
            "",
            " lead",
            "a: b",
            "- x",
            "1.5",
            "on",
            "#c",
            "multi\n line\n",
            "tab\there",
        ] {
            let node = Node::str(s, Origin::Unknown);
            let doc = Node::new(Value::Map(vec![("k".into(), node)]), Origin::Unknown);
            let back = parse(&to_yaml_stream([&doc]));
            assert_eq!(back[0].get_str("k"), Some(s), "{s:?}");
        }
    }
}
