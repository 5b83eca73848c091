//! The data a template sees, as Go's `interface{}` values look to `text/template`: nil, bool,
//! int, float64, string, `[]interface{}`, `map[string]interface{}` (iterated in key order, a
//! reference: `set` on a map changes it for everyone holding it) and Helm's few objects with
//! methods (`.Files`, `.Capabilities.APIVersions`, `.Capabilities.KubeVersion`).
//!
//! Every value carries an [`Origin`]: where the value was written (a values file line) when it
//! is a plain lookup, [`Origin::Unknown`] when a function made it. A string built from several
//! places (an `include`, a `toYaml`, an `indent`) carries [`Seg`]s instead: which of its byte
//! ranges came from where. That is how output text knows its template or values line.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use crate::manifest::ByteSpan;
use crate::render::origin::Origin;

/// A byte range `[start, end)` of a string and where it came from. `exact` means the bytes
/// are a verbatim copy of the origin's text (template literal text), so an offset inside the
/// range maps to the same offset inside the origin span; otherwise the whole range stands for
/// the origin (a value printed, a lookup's text).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seg {
    pub start: usize,
    pub end: usize,
    pub origin: Origin,
    pub exact: bool,
}

impl Seg {
    /// The origin of the byte at `pos` (inside this segment).
    pub fn origin_at(&self, pos: usize, len: usize) -> Origin {
        match (self.exact, self.origin) {
            (true, Origin::Source { file, span }) => {
                let start = span.start + (pos - self.start);
                let end = (start + len).min(span.end).max(start);
                Origin::Source {
                    file,
                    span: ByteSpan { start, end },
                }
            }
            (_, o) => o,
        }
    }
}

pub type Map = Rc<RefCell<BTreeMap<String, Value>>>;

#[derive(Debug, Clone)]
pub enum Kind {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text, and for composed text the origin of each part.
    Str(Rc<str>, Option<Rc<Vec<Seg>>>),
    List(Rc<Vec<Value>>),
    Map(Map),
    Object(Rc<Object>),
}

/// Helm's built-in objects that have methods, not just fields.
#[derive(Debug)]
pub enum Object {
    /// `.Files`, or the result of `.Files.Glob`: path (relative to the chart) → content.
    Files(BTreeMap<String, Vec<u8>>),
    /// `.Capabilities.APIVersions`: `group/version` and `group/version/Kind` strings.
    ApiVersions(Vec<String>),
    /// `.Capabilities.KubeVersion`: prints as its `Version`.
    KubeVersion {
        version: String,
        major: String,
        minor: String,
    },
}

#[derive(Debug, Clone)]
pub struct Value {
    pub kind: Kind,
    pub origin: Origin,
}

impl Value {
    pub const NIL: Value = Value {
        kind: Kind::Nil,
        origin: Origin::Unknown,
    };

    pub fn new(kind: Kind) -> Self {
        Value {
            kind,
            origin: Origin::Unknown,
        }
    }
    pub fn bool(b: bool) -> Self {
        Self::new(Kind::Bool(b))
    }
    pub fn int(i: i64) -> Self {
        Self::new(Kind::Int(i))
    }
    pub fn float(f: f64) -> Self {
        Self::new(Kind::Float(f))
    }
    pub fn str(s: impl Into<Rc<str>>) -> Self {
        Self::new(Kind::Str(s.into(), None))
    }
    /// A string whose parts carry origins.
    pub fn text(t: Text) -> Self {
        Self::new(Kind::Str(t.s.into(), Some(Rc::new(t.segs))))
    }
    pub fn list(items: Vec<Value>) -> Self {
        Self::new(Kind::List(Rc::new(items)))
    }
    pub fn map(m: BTreeMap<String, Value>) -> Self {
        Self::new(Kind::Map(Rc::new(RefCell::new(m))))
    }
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    pub fn is_nil(&self) -> bool {
        matches!(self.kind, Kind::Nil)
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Go's truth: false, 0, nil and empty strings, lists and maps are false.
    pub fn truthy(&self) -> bool {
        match &self.kind {
            Kind::Nil => false,
            Kind::Bool(b) => *b,
            Kind::Int(i) => *i != 0,
            Kind::Float(f) => *f != 0.0,
            Kind::Str(s, _) => !s.is_empty(),
            Kind::List(l) => !l.is_empty(),
            Kind::Map(m) => !m.borrow().is_empty(),
            Kind::Object(_) => true,
        }
    }

    /// The Go type name error messages use.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Nil => "<nil>",
            Kind::Bool(_) => "bool",
            Kind::Int(_) => "int",
            Kind::Float(_) => "float64",
            Kind::Str(..) => "string",
            Kind::List(_) => "[]interface {}",
            Kind::Map(_) => "map[string]interface {}",
            Kind::Object(o) => match **o {
                Object::Files(_) => "files.Files",
                Object::ApiVersions(_) => "common.VersionSet",
                Object::KubeVersion { .. } => "*common.KubeVersion",
            },
        }
    }

    /// The segments of this value's text when printed: its own parts for composed text, the
    /// whole text at the value's origin for a plain lookup, none for computed values.
    pub fn segs_for(&self, len: usize) -> Vec<Seg> {
        match &self.kind {
            Kind::Str(_, Some(segs)) => segs.to_vec(),
            _ if self.origin != Origin::Unknown && len > 0 => vec![Seg {
                start: 0,
                end: len,
                origin: self.origin,
                exact: false,
            }],
            _ => Vec::new(),
        }
    }

    /// This value as text with origins (what `{{ . }}` writes).
    pub fn to_text(&self) -> Text {
        let s = match &self.kind {
            Kind::Nil => "<no value>".to_string(),
            _ => go_print(self),
        };
        let segs = self.segs_for(s.len());
        Text { s, segs }
    }

    /// Deep copy: new maps and lists (sprig's `deepCopy`, and values handed to a subchart).
    pub fn deep_copy(&self) -> Value {
        let kind = match &self.kind {
            Kind::List(l) => Kind::List(Rc::new(l.iter().map(Value::deep_copy).collect())),
            Kind::Map(m) => Kind::Map(Rc::new(RefCell::new(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.deep_copy()))
                    .collect(),
            ))),
            k => k.clone(),
        };
        Value {
            kind,
            origin: self.origin,
        }
    }

    /// JSON data view (for `toJson`, comparisons in tests).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            Kind::Nil => J::Null,
            Kind::Bool(b) => J::Bool(*b),
            Kind::Int(i) => J::from(*i),
            Kind::Float(f) => {
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    J::from(*f as i64)
                } else {
                    serde_json::Number::from_f64(*f).map_or(J::Null, J::Number)
                }
            }
            Kind::Str(s, _) => J::String(s.to_string()),
            Kind::List(l) => J::Array(l.iter().map(Value::to_json).collect()),
            Kind::Map(m) => J::Object(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Kind::Object(o) => match &**o {
                Object::Files(f) => J::Object(
                    f.iter()
                        .map(|(k, v)| (k.clone(), J::String(String::from_utf8_lossy(v).into())))
                        .collect(),
                ),
                Object::ApiVersions(v) => {
                    J::Array(v.iter().map(|s| J::String(s.clone())).collect())
                }
                Object::KubeVersion {
                    version,
                    major,
                    minor,
                } => serde_json::json!({"Version": version, "Major": major, "Minor": minor}),
            },
        }
    }

    /// A value from JSON data (`fromJson`), without origins.
    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::NIL,
            J::Bool(b) => Value::bool(*b),
            J::Number(n) => Value::float(n.as_f64().unwrap_or(0.0)),
            J::String(s) => Value::str(s.as_str()),
            J::Array(a) => Value::list(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// Text with the origin of each of its parts.
#[derive(Debug, Clone, Default)]
pub struct Text {
    pub s: String,
    pub segs: Vec<Seg>,
}

impl Text {
    pub fn plain(s: impl Into<String>) -> Self {
        Text {
            s: s.into(),
            segs: Vec::new(),
        }
    }

    /// Appends `other`, shifting its segments.
    pub fn push(&mut self, other: &Text) {
        let base = self.s.len();
        self.s.push_str(&other.s);
        self.segs.extend(other.segs.iter().map(|g| Seg {
            start: g.start + base,
            end: g.end + base,
            ..*g
        }));
    }

    pub fn push_str(&mut self, s: &str) {
        self.s.push_str(s);
    }

    /// Appends `s` copied verbatim from `origin` (template literal text).
    pub fn push_exact(&mut self, s: &str, origin: Origin) {
        let start = self.s.len();
        self.s.push_str(s);
        if !s.is_empty() {
            self.segs.push(Seg {
                start,
                end: self.s.len(),
                origin,
                exact: true,
            });
        }
    }

    /// Appends the part `range` of `src` (its bytes and the segments over them).
    pub fn push_slice(&mut self, src: &Text, range: std::ops::Range<usize>) {
        let base = self.s.len();
        self.s.push_str(&src.s[range.clone()]);
        for g in &src.segs {
            let (a, b) = (g.start.max(range.start), g.end.min(range.end));
            if a < b {
                let origin = if g.exact {
                    g.origin_at(a, b - a)
                } else {
                    g.origin
                };
                self.segs.push(Seg {
                    start: base + a - range.start,
                    end: base + b - range.start,
                    origin,
                    exact: g.exact,
                });
            }
        }
    }

    /// The origin of the byte at `pos`, if a segment covers it.
    pub fn origin_at(&self, pos: usize, len: usize) -> Option<Origin> {
        let i = self.segs.partition_point(|g| g.end <= pos);
        let g = self.segs.get(i)?;
        (g.start <= pos).then(|| g.origin_at(pos, len))
    }
}

/// Formats a float as Go's `%v` (strconv 'g' with the shortest precision): `1`, `3.14`,
/// `1e+06`, `1.23456789e+08`.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let e = format!("{f:e}"); // shortest round-trip digits: "-1.2345e6"
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        exp_form(&mut out, &digits, exp);
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(&digits);
    }
    out
}

fn exp_form(out: &mut String, digits: &str, exp: i32) {
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    let _ = write!(
        out,
        "e{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.unsigned_abs()
    );
}

/// Go's `fmt.Sprint` of a value (`%v`): maps as `map[a:1 b:2]`, lists as `[a b]`, nil as
/// `<nil>` inside containers.
pub fn go_print(v: &Value) -> String {
    let mut s = String::new();
    go_print_into(&mut s, v);
    s
}

/// Printing stops growing past this: a value that shares one map at every level prints to
/// an astronomical size, and the output limit would refuse it anyway.
const PRINT_LIMIT: usize = 64 * 1024 * 1024;

fn go_print_into(out: &mut String, v: &Value) {
    if out.len() > PRINT_LIMIT {
        return;
    }
    match &v.kind {
        Kind::Nil => out.push_str("<nil>"),
        Kind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Kind::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Kind::Float(f) => out.push_str(&go_float(*f)),
        Kind::Str(s, _) => out.push_str(s),
        Kind::List(l) => {
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                go_print_into(out, x);
            }
            out.push(']');
        }
        Kind::Map(m) => {
            out.push_str("map[");
            for (i, (k, x)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                go_print_into(out, x);
            }
            out.push(']');
        }
        Kind::Object(o) => match &**o {
            Object::Files(f) => {
                out.push_str("map[");
                for (i, k) in f.keys().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    let _ = write!(out, "{k}:[...]");
                }
                out.push(']');
            }
            Object::ApiVersions(v) => {
                let _ = write!(out, "[{}]", v.join(" "));
            }
            Object::KubeVersion { version, .. } => out.push_str(version),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_prints_them() {
        for (f, s) in [
            (1.0, "1"),
            (3.25, "3.25"),
            (100000.0, "100000"),
            (1_000_000.0, "1e+06"),
            (123_456_789.0, "1.23456789e+08"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
        ] {
            assert_eq!(go_float(f), s, "{f}");
        }
    }

    #[test]
    fn maps_and_lists_print_as_go_prints_them() {
        let m = Value::map(BTreeMap::from([
            ("b".to_string(), Value::float(2.0)),
            (
                "a".to_string(),
                Value::list(vec![Value::str("x"), Value::NIL]),
            ),
        ]));
        assert_eq!(go_print(&m), "map[a:[x <nil>] b:2]");
    }
}
