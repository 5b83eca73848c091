//! Executes parsed templates as Go's `text/template` does (with Helm's `missingkey=zero`):
//! pipelines, variables and their scopes, `if`/`with`/`range` (lists by index, maps in key
//! order, integers), `break`/`continue`, `template`, and function calls through
//! [`super::funcs`]. Output is [`Text`]: literal template text is recorded as an exact copy
//! of its template span, a printed value carries the value's own origin.
//!
//! Bounded: template/include/tpl nesting, steps (nodes, iterations and calls), output size
//! and wall time all have limits ([`ExecLimits`]); crossing one is an error, never a hang.

use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::funcs::{self, FnError};
use super::parse::{Arg, ArgKind, Branch, Cmd, Node, ParseError, Pipe, parse};
use super::value::{Kind, Object, Text, Value};
use crate::manifest::{ByteSpan, SourceText};
use crate::render::origin::{FileId, Origin};

/// One template file (or a `tpl` string) and where its text lives.
#[derive(Debug)]
pub struct TemplateFile {
    /// Helm's template name: `chart/templates/x.yaml`.
    pub name: String,
    pub text: SourceText,
    pub source: TextSource,
}

#[derive(Debug)]
pub enum TextSource {
    /// A file of the chart: literal text maps to its bytes.
    File(FileId),
    /// A string given to `tpl`: literal text maps through the string's own origins.
    Tpl(Text),
}

/// A named template: a file's body or a `define`.
#[derive(Debug)]
pub struct Def {
    pub name: String,
    pub file: Rc<TemplateFile>,
    pub body: Vec<Node>,
}

/// All templates of a chart and its subcharts (Go's template set: `define` names are global).
#[derive(Debug, Default)]
pub struct TemplateSet {
    defs: HashMap<String, Rc<Def>>,
}

/// A template that does not parse, located in its file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("parse error at ({name}:{line}): {message}")]
pub struct TemplateParseError {
    pub name: String,
    pub line: usize,
    pub message: String,
}

impl TemplateSet {
    /// Parses a file and adds its body (under its name) and its `define`s. A later
    /// definition replaces an earlier one unless it is empty, as in Go.
    pub fn add_file(&mut self, file: TemplateFile) -> Result<(), TemplateParseError> {
        let parsed = parse_file(&file)?;
        add_parsed(&mut self.defs, file, parsed);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Rc<Def>> {
        self.defs.get(name)
    }
}

fn parse_file(file: &TemplateFile) -> Result<super::parse::Parsed, TemplateParseError> {
    parse(file.text.text(), &funcs::exists).map_err(|e: ParseError| TemplateParseError {
        name: file.name.clone(),
        line: file.text.line_col(e.offset).0,
        message: e.message,
    })
}

fn add_parsed(
    defs: &mut HashMap<String, Rc<Def>>,
    file: TemplateFile,
    parsed: super::parse::Parsed,
) {
    let file = Rc::new(file);
    let mut put = |name: String, body: Vec<Node>| {
        let empty = body.iter().all(|n| match n {
            Node::Text(s) => file.text.text()[s.start..s.end].trim().is_empty(),
            _ => false,
        });
        if empty && defs.contains_key(&name) {
            return;
        }
        defs.insert(
            name.clone(),
            Rc::new(Def {
                name,
                file: file.clone(),
                body,
            }),
        );
    };
    for (name, body, _) in parsed.defines {
        put(name, body);
    }
    put(file.name.clone(), parsed.root);
}

/// Bounds on one chart's rendering.
#[derive(Debug, Clone)]
pub struct ExecLimits {
    /// Nesting of `template`, `include` and `tpl` calls.
    pub max_depth: usize,
    /// Nodes executed, loop iterations and function calls, all templates together.
    pub max_steps: u64,
    /// Largest text one template or function may produce, in bytes.
    pub max_output: usize,
    /// Wall time for the whole chart.
    pub max_time: Duration,
}

impl Default for ExecLimits {
    fn default() -> Self {
        Self {
            max_depth: 100,
            max_steps: 20_000_000,
            max_output: 64 * 1024 * 1024,
            max_time: Duration::from_secs(30),
        }
    }
}

/// A template that failed while executing: where, in which template, at which node, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}:{column}\n  executing {template:?} at <{node}>:\n    {message}")]
pub struct ExecError {
    /// The file holding the failing node.
    pub file: String,
    pub line: usize,
    /// Go's column: the 0-based byte offset in the line.
    pub column: usize,
    /// The template being executed (a file or a `define`).
    pub template: String,
    pub node: String,
    pub message: String,
    /// The chart file holding the node, when it is one (not a `tpl` string).
    pub file_id: Option<FileId>,
    pub span: ByteSpan,
}

enum Flow {
    Normal,
    Break,
    Continue,
}

pub struct Exec<'s> {
    set: &'s TemplateSet,
    /// Templates defined by `tpl` strings, visible while that `tpl` runs.
    overlay: Vec<HashMap<String, Rc<Def>>>,
    vars: Vec<(String, Value)>,
    stack: Vec<Rc<Def>>,
    limits: ExecLimits,
    steps: u64,
    started: Instant,
}

type R<T> = Result<T, Box<ExecError>>;

impl<'s> Exec<'s> {
    pub fn new(set: &'s TemplateSet, limits: ExecLimits) -> Self {
        Self {
            set,
            overlay: Vec::new(),
            vars: Vec::new(),
            stack: Vec::new(),
            limits,
            steps: 0,
            started: Instant::now(),
        }
    }

    fn lookup(&self, name: &str) -> Option<Rc<Def>> {
        self.overlay
            .iter()
            .rev()
            .find_map(|m| m.get(name))
            .or_else(|| self.set.get(name))
            .cloned()
    }

    /// Executes the named template with `dot`; `None` when no such template exists.
    pub fn execute(&mut self, name: &str, dot: Value) -> Option<R<Text>> {
        let def = self.lookup(name)?;
        Some(self.run_def(def, dot))
    }

    fn run_def(&mut self, def: Rc<Def>, dot: Value) -> R<Text> {
        if self.stack.len() >= self.limits.max_depth {
            let msg = format!(
                "template nesting deeper than {} levels (a template that includes itself?): {:?}",
                self.limits.max_depth, def.name
            );
            return Err(self.error_at(
                def.body.first().map_or(ByteSpan::default(), node_span),
                "",
                msg,
            ));
        }
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$".to_string(), dot.clone())]);
        self.stack.push(def.clone());
        let mut out = Text::default();
        let r = self.walk_list(&def.body, &dot, &mut out);
        self.stack.pop();
        self.vars = saved_vars;
        match r? {
            Flow::Normal => Ok(out),
            // The parser only allows break/continue inside range.
            Flow::Break | Flow::Continue => Ok(out),
        }
    }

    /// `tpl`: parses `text` as a template named like the calling one and runs it with `dot`.
    pub fn run_tpl(&mut self, text: &Text, dot: Value) -> Result<Text, FnError> {
        let name = self
            .stack
            .last()
            .map_or_else(|| "gotpl".to_string(), |d| d.file.name.clone());
        let file = TemplateFile {
            name: name.clone(),
            text: SourceText::new(&text.s),
            source: TextSource::Tpl(text.clone()),
        };
        let parsed = parse_file(&file).map_err(|e| FnError::Call(e.to_string()))?;
        let mut defs = HashMap::new();
        add_parsed(&mut defs, file, parsed);
        let Some(main) = defs.get(&name).cloned() else {
            return Ok(Text::default());
        };
        self.overlay.push(defs);
        let r = self.run_def(main, dot);
        self.overlay.pop();
        r.map_err(FnError::Exec)
    }

    /// `include`: runs a named template into text.
    pub fn include(&mut self, name: &str, dot: Value) -> Result<Text, FnError> {
        match self.lookup(name) {
            Some(def) => self.run_def(def, dot).map_err(FnError::Exec),
            None => Err(FnError::Call(format!(
                "template: no template {name:?} associated with template \"gotpl\""
            ))),
        }
    }

    /// Counts work; fails past the step or time limit.
    pub fn step(&mut self) -> Result<(), String> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(format!(
                "rendering took more than {} steps (an endless or huge loop?)",
                self.limits.max_steps
            ));
        }
        if self.steps.is_multiple_of(4096) && self.started.elapsed() > self.limits.max_time {
            return Err(format!(
                "rendering took longer than {} s",
                self.limits.max_time.as_secs()
            ));
        }
        Ok(())
    }

    pub fn check_size(&self, len: usize) -> Result<(), String> {
        if len > self.limits.max_output {
            return Err(format!(
                "output larger than {} MiB",
                self.limits.max_output / (1024 * 1024)
            ));
        }
        Ok(())
    }

    fn error_at(&self, span: ByteSpan, node: &str, message: String) -> Box<ExecError> {
        let (file, template, file_id, line, col) = match self.stack.last() {
            Some(def) => {
                let text = def.file.text.text();
                let start = span.start.min(text.len());
                let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
                let line = text[..start].matches('\n').count() + 1;
                let id = match def.file.source {
                    TextSource::File(id) => Some(id),
                    TextSource::Tpl(_) => None,
                };
                (
                    def.file.name.clone(),
                    def.name.clone(),
                    id,
                    line,
                    start - line_start,
                )
            }
            None => (String::new(), String::new(), None, 0, 0),
        };
        Box::new(ExecError {
            file,
            line,
            column: col,
            template,
            node: node.to_string(),
            message,
            file_id,
            span,
        })
    }

    fn limit_err(&self, span: ByteSpan, node: &str) -> impl Fn(String) -> Box<ExecError> + '_ {
        let node = node.to_string();
        move |m| self.error_at(span, &node, m)
    }

    // -----------------------------------------------------------------------------------------

    fn walk_list(&mut self, list: &[Node], dot: &Value, out: &mut Text) -> R<Flow> {
        for node in list {
            match self.walk(node, dot, out)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, node: &Node, dot: &Value, out: &mut Text) -> R<Flow> {
        self.step().map_err(self.limit_err(node_span(node), ""))?;
        match node {
            Node::Text(span) => {
                let def = self.stack.last().cloned();
                if let Some(def) = def {
                    let s = &def.file.text.text()[span.start..span.end];
                    match &def.file.source {
                        TextSource::File(id) => out.push_exact(
                            s,
                            Origin::Source {
                                file: *id,
                                span: *span,
                            },
                        ),
                        TextSource::Tpl(src) => out.push_slice(src, span.start..span.end),
                    }
                }
                self.check_size(out.s.len())
                    .map_err(self.limit_err(*span, ""))?;
                Ok(Flow::Normal)
            }
            Node::Action(pipe) => {
                let v = self.eval_pipe(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.print(&v, pipe.span, out)?;
                }
                Ok(Flow::Normal)
            }
            Node::If(b) => {
                let mark = self.vars.len();
                let v = self.eval_pipe(dot, &b.pipe)?;
                let r = if v.truthy() {
                    self.walk_list(&b.list, dot, out)
                } else if let Some(e) = &b.else_list {
                    self.walk_list(e, dot, out)
                } else {
                    Ok(Flow::Normal)
                };
                self.vars.truncate(mark);
                r
            }
            Node::With(b) => {
                let mark = self.vars.len();
                let v = self.eval_pipe(dot, &b.pipe)?;
                let r = if v.truthy() {
                    self.walk_list(&b.list, &v, out)
                } else if let Some(e) = &b.else_list {
                    self.walk_list(e, dot, out)
                } else {
                    Ok(Flow::Normal)
                };
                self.vars.truncate(mark);
                r
            }
            Node::Range(b) => self.walk_range(b, dot, out),
            Node::Break(_) => Ok(Flow::Break),
            Node::Continue(_) => Ok(Flow::Continue),
            Node::Template { name, pipe, span } => {
                let data = match pipe {
                    Some(p) => self.eval_pipe(dot, p)?,
                    None => Value::NIL,
                };
                let Some(def) = self.lookup(name) else {
                    let node = match pipe {
                        Some(p) => {
                            format!("{{{{template {} {p}}}}}", super::printf::go_quote(name))
                        }
                        None => format!("{{{{template {}}}}}", super::printf::go_quote(name)),
                    };
                    return Err(self.error_at(
                        *span,
                        &node,
                        format!("template {name:?} not defined"),
                    ));
                };
                let text = self.run_def(def, data)?;
                out.push(&text);
                self.check_size(out.s.len())
                    .map_err(self.limit_err(*span, ""))?;
                Ok(Flow::Normal)
            }
        }
    }

    fn print(&mut self, v: &Value, span: ByteSpan, out: &mut Text) -> R<()> {
        let text = match &v.kind {
            // Helm prints a missing value as nothing (Go prints "<no value>", Helm removes it).
            Kind::Nil => return Ok(()),
            _ => v.to_text(),
        };
        let base = out.s.len();
        out.push(&text);
        // What the value did not place itself was produced by this action.
        if let Some(TextSource::File(file)) = self.stack.last().map(|d| &d.file.source) {
            fill_gaps(out, base, Origin::Generated { file: *file, span });
        }
        self.check_size(out.s.len())
            .map_err(self.limit_err(span, ""))?;
        Ok(())
    }

    fn walk_range(&mut self, b: &Branch, dot: &Value, out: &mut Text) -> R<Flow> {
        let mark = self.vars.len();
        let mut pipe = b.pipe.clone();
        let decl = std::mem::take(&mut pipe.decl);
        let v = self.eval_pipe(dot, &pipe)?;
        let items: Vec<(Value, Value)> = match &v.kind {
            Kind::Nil => Vec::new(),
            Kind::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, x)| (Value::int(i as i64), x.clone()))
                .collect(),
            Kind::Map(m) => m
                .borrow()
                .iter()
                .map(|(k, x)| (Value::str(k.as_str()), x.clone()))
                .collect(),
            Kind::Int(n) => {
                let n = *n;
                if n > self.limits.max_steps as i64 {
                    return Err(self.error_at(
                        b.pipe.span,
                        &b.pipe.to_string(),
                        format!("range over {n}: more iterations than the step limit"),
                    ));
                }
                (0..n.max(0))
                    .map(|i| (Value::int(i), Value::int(i)))
                    .collect()
            }
            Kind::Object(o) => match &**o {
                Object::Files(f) => f
                    .iter()
                    .map(|(k, x)| {
                        (
                            Value::str(k.as_str()),
                            Value::str(String::from_utf8_lossy(x).as_ref()),
                        )
                    })
                    .collect(),
                Object::ApiVersions(v) => v
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (Value::int(i as i64), Value::str(s.as_str())))
                    .collect(),
                Object::KubeVersion { .. } => {
                    return Err(self.error_at(
                        b.pipe.span,
                        &b.pipe.to_string(),
                        format!("range can't iterate over {}", super::value::go_print(&v)),
                    ));
                }
            },
            _ => {
                return Err(self.error_at(
                    b.pipe.span,
                    &b.pipe.to_string(),
                    format!("range can't iterate over {}", super::value::go_print(&v)),
                ));
            }
        };
        if items.is_empty() {
            let r = match &b.else_list {
                Some(e) => self.walk_list(e, dot, out),
                None => Ok(Flow::Normal),
            };
            self.vars.truncate(mark);
            return r.map(|_| Flow::Normal);
        }
        for (key, item) in items {
            self.step().map_err(self.limit_err(b.pipe.span, ""))?;
            let inner = self.vars.len();
            match decl.as_slice() {
                [one] => self.vars.push((one.clone(), item.clone())),
                [k, e] => {
                    self.vars.push((k.clone(), key));
                    self.vars.push((e.clone(), item.clone()));
                }
                _ => {}
            }
            let flow = self.walk_list(&b.list, &item, out);
            self.vars.truncate(inner);
            match flow? {
                Flow::Break => break,
                Flow::Continue | Flow::Normal => {}
            }
        }
        self.vars.truncate(mark);
        Ok(Flow::Normal)
    }

    // -----------------------------------------------------------------------------------------

    pub(super) fn eval_pipe(&mut self, dot: &Value, pipe: &Pipe) -> R<Value> {
        let mut val: Option<Value> = None;
        for cmd in &pipe.cmds {
            val = Some(self.eval_cmd(dot, cmd, val)?);
        }
        let v = val.unwrap_or(Value::NIL);
        if !pipe.decl.is_empty() {
            if pipe.is_assign {
                let name = &pipe.decl[0];
                match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = v.clone(),
                    None => {
                        return Err(self.error_at(
                            pipe.span,
                            &pipe.to_string(),
                            format!("undefined variable: {name}"),
                        ));
                    }
                }
            } else {
                for name in &pipe.decl {
                    self.vars.push((name.clone(), v.clone()));
                }
            }
        }
        Ok(v)
    }

    fn eval_cmd(&mut self, dot: &Value, cmd: &Cmd, final_: Option<Value>) -> R<Value> {
        let first = &cmd.args[0];
        let rest = &cmd.args[1..];
        match &first.kind {
            ArgKind::Ident(name) => self.call(dot, name, first, cmd, rest, final_),
            ArgKind::Field(fields) => {
                self.eval_fields(dot, dot.clone(), fields, first, cmd, rest, final_)
            }
            ArgKind::Var(name, fields) => {
                let v = self.var(name, first)?;
                if fields.is_empty() {
                    self.no_args(first, rest, &final_)?;
                    return Ok(v);
                }
                self.eval_fields(dot, v, fields, first, cmd, rest, final_)
            }
            ArgKind::Pipe(p, fields) => {
                let v = self.eval_pipe(dot, p)?;
                if fields.is_empty() {
                    self.no_args(first, rest, &final_)?;
                    return Ok(v);
                }
                self.eval_fields(dot, v, fields, first, cmd, rest, final_)
            }
            ArgKind::Nil => Err(self.error_at(first.span, "nil", "nil is not a command".into())),
            _ => {
                self.no_args(first, rest, &final_)?;
                self.eval_arg(dot, first)
            }
        }
    }

    fn no_args(&self, first: &Arg, rest: &[Arg], final_: &Option<Value>) -> R<()> {
        if !rest.is_empty() || final_.is_some() {
            return Err(self.error_at(
                first.span,
                &first.to_string(),
                format!("can't give argument to non-function {first}"),
            ));
        }
        Ok(())
    }

    fn var(&self, name: &str, at: &Arg) -> R<Value> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.error_at(
                at.span,
                &at.to_string(),
                format!("undefined variable: {name}"),
            )),
        }
    }

    pub(super) fn eval_arg(&mut self, dot: &Value, arg: &Arg) -> R<Value> {
        Ok(match &arg.kind {
            ArgKind::Dot => dot.clone(),
            ArgKind::Nil => Value::NIL,
            ArgKind::Bool(b) => Value::bool(*b),
            ArgKind::Int(i, _) => Value::int(*i),
            ArgKind::Float(f, _) => Value::float(*f),
            ArgKind::Str(s) => Value::str(s.as_str()),
            ArgKind::Field(fields) => self.chain(dot.clone(), fields, arg)?,
            ArgKind::Var(name, fields) => {
                let v = self.var(name, arg)?;
                self.chain(v, fields, arg)?
            }
            ArgKind::Pipe(p, fields) => {
                let v = self.eval_pipe(dot, p)?;
                self.chain(v, fields, arg)?
            }
            ArgKind::Ident(name) => {
                // A function used as an argument is called with no arguments.
                let cmd = Cmd {
                    args: vec![arg.clone()],
                    span: arg.span,
                };
                return self.call(dot, name, arg, &cmd, &[], None);
            }
        })
    }

    /// A chain of fields; the last may be a method taking the command's other arguments.
    #[allow(clippy::too_many_arguments)]
    fn eval_fields(
        &mut self,
        dot: &Value,
        mut v: Value,
        fields: &[String],
        at: &Arg,
        cmd: &Cmd,
        rest: &[Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let (last, init) = fields.split_last().expect("a field chain has a field");
        if v.is_nil() {
            // Go: a field of a nil pipeline result, variable or dot is nil, not an error.
            return Ok(Value::NIL);
        }
        for f in init {
            v = self.field(v, f, at)?;
        }
        let has_args = !rest.is_empty() || final_.is_some();
        if let Kind::Object(o) = &v.kind.clone()
            && funcs::is_method(o, last)
        {
            let mut args = Vec::with_capacity(rest.len() + 1);
            for a in rest {
                args.push(self.eval_arg(dot, a)?);
            }
            args.extend(final_);
            let o = o.clone();
            return funcs::call_method(self, &o, last, args)
                .map_err(|e| self.fn_error(e, at, cmd, last));
        }
        if has_args {
            return Err(self.error_at(
                at.span,
                &at.to_string(),
                format!("{last} is not a method but has arguments"),
            ));
        }
        self.field(v, last, at)
    }

    /// Follows `fields` from `start`. As in Go, a chain that starts at nil (a pipeline's,
    /// a variable's or dot's nil: `(.Values.global).x`) is nil, while a nil met inside the
    /// chain (`.Values.missing.x`) is "nil pointer evaluating interface {}.x".
    fn chain(&self, start: Value, fields: &[String], at: &Arg) -> R<Value> {
        if start.is_nil() {
            return Ok(Value::NIL);
        }
        let mut v = start;
        for f in fields {
            v = self.field(v, f, at)?;
        }
        Ok(v)
    }

    fn field(&self, v: Value, name: &str, at: &Arg) -> R<Value> {
        match &v.kind {
            Kind::Map(m) => Ok(m.borrow().get(name).cloned().unwrap_or(Value::NIL)),
            Kind::Nil => Err(self.error_at(
                at.span,
                &at.to_string(),
                format!("nil pointer evaluating interface {{}}.{name}"),
            )),
            Kind::Object(o) => match funcs::object_field(o, name) {
                Some(v) => Ok(v),
                None => Err(self.error_at(
                    at.span,
                    &at.to_string(),
                    format!("can't evaluate field {name} in type {}", v.type_name()),
                )),
            },
            _ => Err(self.error_at(
                at.span,
                &at.to_string(),
                format!("can't evaluate field {name} in type {}", v.type_name()),
            )),
        }
    }

    fn call(
        &mut self,
        dot: &Value,
        name: &str,
        at: &Arg,
        cmd: &Cmd,
        rest: &[Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        self.step().map_err(self.limit_err(at.span, name))?;
        // `and` and `or` stop at the first argument that decides.
        if name == "and" || name == "or" {
            if rest.is_empty() && final_.is_none() {
                return Err(self.error_at(
                    at.span,
                    name,
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let want = name == "or";
            let mut last = Value::NIL;
            for a in rest {
                last = self.eval_arg(dot, a)?;
                if last.truthy() == want {
                    return Ok(last);
                }
            }
            if let Some(f) = final_ {
                last = f;
            }
            return Ok(last);
        }
        let mut args = Vec::with_capacity(rest.len() + 1);
        for a in rest {
            args.push(self.eval_arg(dot, a)?);
        }
        let piped = final_.is_some();
        args.extend(final_);
        let n = args.len();
        let result = funcs::call(self, name, args).and_then(|v| match &v.kind {
            Kind::Str(s, _) if s.len() > self.limits.max_output => Err(FnError::Limit(format!(
                "{name}: output larger than {} MiB",
                self.limits.max_output / (1024 * 1024)
            ))),
            Kind::List(l) if l.len() > 1_000_000 => Err(FnError::Limit(format!(
                "{name}: a list of {} items is above the limit of 1000000",
                l.len()
            ))),
            _ => Ok(v),
        });
        result.map_err(|e| match e {
            FnError::Arg { index, message } => {
                let node = if piped && index + 1 >= n {
                    name.to_string()
                } else {
                    rest.get(index)
                        .map_or_else(|| name.to_string(), |a| a.to_string())
                };
                let span = if piped && index + 1 >= n {
                    at.span
                } else {
                    rest.get(index).map_or(at.span, |a| a.span)
                };
                self.error_at(span, &node, message)
            }
            e => self.fn_error(e, at, cmd, name),
        })
    }

    fn fn_error(&self, e: FnError, at: &Arg, cmd: &Cmd, name: &str) -> Box<ExecError> {
        match e {
            FnError::Exec(inner) => inner,
            FnError::Arg { message, .. } => self.error_at(at.span, name, message),
            FnError::Call(m) => self.error_at(
                cmd.span,
                &cmd.to_string(),
                format!("error calling {name}: {m}"),
            ),
            FnError::Limit(m) => self.error_at(cmd.span, &cmd.to_string(), m),
        }
    }
}

/// Gives the bytes of `out` from `base` that no segment covers the origin `fill`.
fn fill_gaps(out: &mut Text, base: usize, fill: Origin) {
    let end = out.s.len();
    if base >= end {
        return;
    }
    let first = out.segs.partition_point(|g| g.end <= base);
    let mut new = Vec::new();
    let mut pos = base;
    for g in &out.segs[first..] {
        if g.start > pos {
            new.push(super::value::Seg {
                start: pos,
                end: g.start,
                origin: fill,
                exact: false,
            });
        }
        pos = pos.max(g.end);
    }
    if pos < end {
        new.push(super::value::Seg {
            start: pos,
            end,
            origin: fill,
            exact: false,
        });
    }
    if !new.is_empty() {
        out.segs.extend(new);
        out.segs.sort_by_key(|g| g.start);
    }
}

fn node_span(n: &Node) -> ByteSpan {
    match n {
        Node::Text(s) | Node::Break(s) | Node::Continue(s) => *s,
        Node::Action(p) => p.span,
        Node::If(b) | Node::With(b) | Node::Range(b) => b.span,
        Node::Template { span, .. } => *span,
    }
}
