//! Lexer and parser of Go's `text/template` language: text and `{{ }}` actions with trim
//! markers (`{{- ` and ` -}}`), comments, pipelines with variable declarations and
//! assignments, `if`/`else if`/`range`/`with`/`else with`/`define`/`template`/`block`/
//! `break`/`continue`. Every node keeps its byte span in the template file, which is how
//! output text finds its template line.

use std::fmt;

use crate::manifest::ByteSpan;

#[derive(Debug, Clone)]
pub enum Node {
    Text(ByteSpan),
    Action(Pipe),
    If(Branch),
    With(Branch),
    Range(Branch),
    Template {
        name: String,
        pipe: Option<Pipe>,
        span: ByteSpan,
    },
    Break(ByteSpan),
    Continue(ByteSpan),
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
    pub span: ByteSpan,
}

#[derive(Debug, Clone)]
pub struct Pipe {
    /// Variables declared (`$x :=`) or assigned (`$x =`), without the `$`... with it: `$x`.
    pub decl: Vec<String>,
    pub is_assign: bool,
    pub cmds: Vec<Cmd>,
    pub span: ByteSpan,
}

#[derive(Debug, Clone)]
pub struct Cmd {
    pub args: Vec<Arg>,
    pub span: ByteSpan,
}

#[derive(Debug, Clone)]
pub struct Arg {
    pub kind: ArgKind,
    pub span: ByteSpan,
}

#[derive(Debug, Clone)]
pub enum ArgKind {
    Dot,
    Nil,
    Bool(bool),
    /// A number literal: its text, and its value as Go types it (int when it parses as one).
    Int(i64, String),
    Float(f64, String),
    Str(String),
    /// `.A.B` on dot.
    Field(Vec<String>),
    /// `$x.A.B` (`$` alone is the root).
    Var(String, Vec<String>),
    /// A function name.
    Ident(String),
    /// `(pipeline).A.B`.
    Pipe(Box<Pipe>, Vec<String>),
}

/// A parsed template file: its body and the templates it defines.
#[derive(Debug, Default)]
pub struct Parsed {
    pub root: Vec<Node>,
    pub defines: Vec<(String, Vec<Node>, ByteSpan)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

type PResult<T> = Result<T, ParseError>;

fn err<T>(offset: usize, message: impl Into<String>) -> PResult<T> {
    Err(ParseError {
        offset,
        message: message.into(),
    })
}

// ---------------------------------------------------------------------------------------------
// Lexing

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Dot,
    Field(String),
    Var(String),
    Ident(String),
    Str(String),
    Char(i64),
    Number(String),
    Pipe,
    LParen,
    RParen,
    Comma,
    Declare,
    Assign,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    span: ByteSpan,
    space_before: bool,
}

enum Item {
    Text(ByteSpan),
    Action { tokens: Vec<Token>, span: ByteSpan },
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits the text into literal text and actions, applying trim markers to the text spans.
fn lex(text: &str) -> PResult<Vec<Item>> {
    let b = text.as_bytes();
    let mut items = Vec::new();
    let mut pos = 0;
    let mut trim_next = false;
    loop {
        let open = text[pos..].find("{{").map(|i| pos + i);
        let text_end = open.unwrap_or(b.len());
        let mut start = pos;
        let mut end = text_end;
        if trim_next {
            while start < end && is_space(b[start]) {
                start += 1;
            }
        }
        let Some(open) = open else {
            if start < end {
                items.push(Item::Text(ByteSpan { start, end }));
            }
            return Ok(items);
        };
        let mut inner = open + 2;
        let trim_left =
            b.get(inner) == Some(&b'-') && b.get(inner + 1).is_some_and(|c| is_space(*c));
        if trim_left {
            while end > start && is_space(b[end - 1]) {
                end -= 1;
            }
            inner += 2;
        }
        if start < end {
            items.push(Item::Text(ByteSpan { start, end }));
        }
        // A comment: `{{/* ... */}}`, possibly with trim markers.
        let mut c = inner;
        if trim_left {
            while c < b.len() && is_space(b[c]) {
                c += 1;
            }
        }
        if text[c..].starts_with("/*") {
            let Some(close) = text[c + 2..].find("*/").map(|i| c + 2 + i + 2) else {
                return err(open, "unclosed comment");
            };
            if text[close..].starts_with("}}") {
                trim_next = false;
                pos = close + 2;
            } else if b.get(close).is_some_and(|c| is_space(*c))
                && text[close + 1..].starts_with("-}}")
            {
                trim_next = true;
                pos = close + 4;
            } else {
                return err(close, "comment ends before closing delimiter");
            }
            continue;
        }
        let (tokens, close, trim_right) = lex_action(text, inner)?;
        items.push(Item::Action {
            tokens,
            span: ByteSpan {
                start: open,
                end: close,
            },
        });
        trim_next = trim_right;
        pos = close;
    }
}

/// Tokens of one action from `start`; returns them, the byte after `}}`, and whether the
/// action ended with ` -}}`.
fn lex_action(text: &str, start: usize) -> PResult<(Vec<Token>, usize, bool)> {
    let b = text.as_bytes();
    let mut i = start;
    let mut tokens = Vec::new();
    let mut space = true;
    let mut depth = 0usize;
    loop {
        let Some(&c) = b.get(i) else {
            return err(start, "unclosed action");
        };
        if is_space(c) {
            let mut j = i;
            while j < b.len() && is_space(b[j]) {
                j += 1;
            }
            if text[j..].starts_with("-}}") {
                return Ok((tokens, j + 3, true));
            }
            space = true;
            i = j;
            continue;
        }
        if text[i..].starts_with("}}") {
            if depth > 0 {
                return err(i, "unclosed left paren");
            }
            return Ok((tokens, i + 2, false));
        }
        let tstart = i;
        let ch = text[i..].chars().next().unwrap_or('\0');
        let tok = match ch {
            '|' => {
                i += 1;
                Tok::Pipe
            }
            '(' => {
                i += 1;
                depth += 1;
                if depth > MAX_NESTING {
                    return err(
                        tstart,
                        format!("parentheses nested deeper than {MAX_NESTING} levels"),
                    );
                }
                Tok::LParen
            }
            ')' => {
                i += 1;
                if depth == 0 {
                    return err(tstart, "unexpected right paren");
                }
                depth -= 1;
                Tok::RParen
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            ':' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Declare
            }
            '=' => {
                i += 1;
                Tok::Assign
            }
            '"' => {
                let (s, end) = lex_quoted(text, i)?;
                i = end;
                Tok::Str(s)
            }
            '`' => {
                let Some(close) = text[i + 1..].find('`') else {
                    return err(i, "unterminated raw quoted string");
                };
                let s = text[i + 1..i + 1 + close].to_string();
                i = i + 2 + close;
                Tok::Str(s)
            }
            '\'' => {
                let (v, end) = lex_char(text, i)?;
                i = end;
                Tok::Char(v)
            }
            '$' => {
                i += 1;
                while let Some(c) = text[i..].chars().next().filter(|c| is_alnum(*c)) {
                    i += c.len_utf8();
                }
                Tok::Var(text[tstart..i].to_string())
            }
            '.' if b.get(i + 1).is_some_and(|c| c.is_ascii_digit()) => {
                i = lex_number(text, i)?;
                Tok::Number(text[tstart..i].to_string())
            }
            '.' => {
                i += 1;
                let fs = i;
                while let Some(c) = text[i..].chars().next().filter(|c| is_alnum(*c)) {
                    i += c.len_utf8();
                }
                if i == fs {
                    Tok::Dot
                } else {
                    Tok::Field(text[fs..i].to_string())
                }
            }
            '-' | '+' | '0'..='9' => {
                let next_ok = ch.is_ascii_digit()
                    || b.get(i + 1)
                        .is_some_and(|c| c.is_ascii_digit() || *c == b'.');
                if !next_ok {
                    return err(i, format!("unexpected {ch:?} in command"));
                }
                i = lex_number(text, i)?;
                Tok::Number(text[tstart..i].to_string())
            }
            c if is_alnum(c) => {
                while let Some(c) = text[i..].chars().next().filter(|c| is_alnum(*c)) {
                    i += c.len_utf8();
                }
                Tok::Ident(text[tstart..i].to_string())
            }
            c => return err(i, format!("unexpected {c:?} in command")),
        };
        tokens.push(Token {
            tok,
            span: ByteSpan {
                start: tstart,
                end: i,
            },
            space_before: space,
        });
        space = false;
    }
}

fn lex_number(text: &str, mut i: usize) -> PResult<usize> {
    let start = i;
    let b = text.as_bytes();
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    while let Some(&c) = b.get(i) {
        let exp_sign = matches!(c, b'+' | b'-') && matches!(b[i - 1], b'e' | b'E' | b'p' | b'P');
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exp_sign {
            i += 1;
        } else {
            break;
        }
    }
    let t = &text[start..i];
    if parse_number(t).is_none() {
        return err(start, format!("bad number syntax: {t:?}"));
    }
    Ok(i)
}

/// A Go number literal: an int when it parses as one, else a float.
pub fn parse_number(t: &str) -> Option<(Option<i64>, f64)> {
    let clean: String = t.chars().filter(|c| *c != '_').collect();
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b.to_string()),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean).to_string()),
    };
    let lower = body.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(bin) = lower.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|c| c.is_ascii_digit())
    {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else if lower.bytes().all(|c| c.is_ascii_digit()) && !lower.is_empty() {
        lower.parse().ok()
    } else {
        None
    };
    if let Some(i) = int {
        let i = if neg { -i } else { i };
        return Some((Some(i), i as f64));
    }
    let f: f64 = lower.parse().ok()?;
    Some((None, if neg { -f } else { f }))
}

fn lex_quoted(text: &str, start: usize) -> PResult<(String, usize)> {
    let mut out = String::new();
    let mut it = text[start + 1..].char_indices();
    while let Some((off, c)) = it.next() {
        match c {
            '"' => return Ok((out, start + 1 + off + 1)),
            '\n' => return err(start, "unterminated quoted string"),
            '\\' => {
                let Some((_, e)) = it.next() else {
                    return err(start, "unterminated quoted string");
                };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '\'' => out.push('\''),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String =
                            (0..n).filter_map(|_| it.next().map(|(_, c)| c)).collect();
                        let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        else {
                            return err(start, "invalid escape in quoted string");
                        };
                        out.push(ch);
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            if let Some((_, d)) = it.next() {
                                v = v * 8 + d.to_digit(8).unwrap_or(0);
                            }
                        }
                        out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                    }
                    _ => return err(start, "invalid escape in quoted string"),
                }
            }
            c => out.push(c),
        }
    }
    err(start, "unterminated quoted string")
}

fn lex_char(text: &str, start: usize) -> PResult<(i64, usize)> {
    let rest = &text[start + 1..];
    let Some(close) = rest.find('\'') else {
        return err(start, "unterminated character constant");
    };
    let body = &rest[..close];
    let v = if let Some(esc) = body.strip_prefix('\\') {
        match esc {
            "n" => 10,
            "t" => 9,
            "r" => 13,
            "\\" => 92,
            "'" => 39,
            "0" => 0,
            _ => return err(start, "invalid character constant"),
        }
    } else {
        let mut cs = body.chars();
        match (cs.next(), cs.next()) {
            (Some(c), None) => c as i64,
            _ => return err(start, "invalid character constant"),
        }
    };
    Ok((v, start + 1 + close + 1))
}

// ---------------------------------------------------------------------------------------------
// Parsing

const MAX_NESTING: usize = 100;

struct Parser<'a> {
    items: Vec<Item>,
    pos: usize,
    is_func: &'a dyn Fn(&str) -> bool,
    defines: Vec<(String, Vec<Node>, ByteSpan)>,
    loop_depth: usize,
    nesting: usize,
}

enum End {
    Eof,
    Close(ByteSpan),
    /// `{{else}}`, or `{{else if ...}}` / `{{else with ...}}` (the tokens after `else`).
    Else(ByteSpan, Vec<Token>),
}

/// Parses one template file. `is_func` says which function names exist (Go rejects unknown
/// functions at parse time).
pub fn parse(text: &str, is_func: &dyn Fn(&str) -> bool) -> PResult<Parsed> {
    let items = lex(text)?;
    let mut p = Parser {
        items,
        pos: 0,
        is_func,
        defines: Vec::new(),
        loop_depth: 0,
        nesting: 0,
    };
    let (root, end) = p.list()?;
    match end {
        End::Eof => {}
        End::Close(s) => return err(s.start, "unexpected {{end}}"),
        End::Else(s, _) => return err(s.start, "unexpected {{else}}"),
    }
    Ok(Parsed {
        root,
        defines: p.defines,
    })
}

impl Parser<'_> {
    fn list(&mut self) -> PResult<(Vec<Node>, End)> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            let at = self.items.get(self.pos).map_or(0, item_start);
            return err(at, format!("nesting deeper than {MAX_NESTING} levels"));
        }
        let mut out = Vec::new();
        loop {
            let Some(item) = self.items.get(self.pos) else {
                self.nesting -= 1;
                return Ok((out, End::Eof));
            };
            self.pos += 1;
            let (tokens, span) = match item {
                Item::Text(s) => {
                    out.push(Node::Text(*s));
                    continue;
                }
                Item::Action { tokens, span } => (tokens.clone(), *span),
            };
            let Some(first) = tokens.first() else {
                return err(span.start, "missing value for command");
            };
            let kw = match &first.tok {
                Tok::Ident(k) => k.as_str(),
                _ => "",
            };
            let rest = &tokens[1..];
            match kw {
                "end" => {
                    self.nesting -= 1;
                    return Ok((out, End::Close(span)));
                }
                "else" => {
                    self.nesting -= 1;
                    return Ok((out, End::Else(span, rest.to_vec())));
                }
                "if" | "with" => out.push(self.branch(kw, rest, span)?),
                "range" => {
                    self.loop_depth += 1;
                    let r = self.branch(kw, rest, span);
                    self.loop_depth -= 1;
                    out.push(r?);
                }
                "break" | "continue" => {
                    if self.loop_depth == 0 {
                        return err(span.start, format!("{{{{{kw}}}}} outside {{{{range}}}}"));
                    }
                    out.push(if kw == "break" {
                        Node::Break(span)
                    } else {
                        Node::Continue(span)
                    });
                }
                "define" => {
                    let name = match rest {
                        [
                            Token {
                                tok: Tok::Str(n), ..
                            },
                        ] => n.clone(),
                        _ => return err(span.start, "define: expected a quoted template name"),
                    };
                    let saved = self.loop_depth;
                    self.loop_depth = 0;
                    let (body, end) = self.list()?;
                    self.loop_depth = saved;
                    if !matches!(end, End::Close(_)) {
                        return err(span.start, format!("unexpected EOF in define {name:?}"));
                    }
                    self.defines.push((name, body, span));
                }
                "template" | "block" => {
                    let (name, pipe_toks) = match rest.split_first() {
                        Some((
                            Token {
                                tok: Tok::Str(n), ..
                            },
                            more,
                        )) => (n.clone(), more),
                        _ => {
                            return err(
                                span.start,
                                format!("{kw}: expected a quoted template name"),
                            );
                        }
                    };
                    let pipe = if pipe_toks.is_empty() {
                        None
                    } else {
                        Some(self.pipeline(pipe_toks, span, false)?)
                    };
                    if kw == "block" {
                        let (body, end) = self.list()?;
                        if !matches!(end, End::Close(_)) {
                            return err(span.start, format!("unexpected EOF in block {name:?}"));
                        }
                        self.defines.push((name.clone(), body, span));
                    }
                    out.push(Node::Template { name, pipe, span });
                }
                _ => {
                    let pipe = self.pipeline(&tokens, span, true)?;
                    out.push(Node::Action(pipe));
                }
            }
        }
    }

    /// `if`/`with`/`range` from the tokens after the keyword, through its `end`.
    fn branch(&mut self, kw: &str, toks: &[Token], span: ByteSpan) -> PResult<Node> {
        if toks.is_empty() {
            return err(span.start, format!("missing value for {kw}"));
        }
        let pipe = self.pipeline(toks, span, kw == "range")?;
        let (list, end) = self.list()?;
        let (else_list, end_span) = match end {
            End::Eof => return err(span.start, format!("unexpected EOF in {kw}")),
            End::Close(s) => (None, s),
            End::Else(else_span, more) => {
                if more.is_empty() {
                    let saved = self.loop_depth;
                    if kw == "range" {
                        self.loop_depth -= 1;
                    }
                    let r = self.list();
                    self.loop_depth = saved;
                    let (else_body, end) = r?;
                    match end {
                        End::Close(s) => (Some(else_body), s),
                        _ => return err(else_span.start, format!("expected end; found {kw} else")),
                    }
                } else {
                    // `{{else if x}}`: a nested branch sharing our `{{end}}`.
                    let inner_kw = match &more[0].tok {
                        Tok::Ident(k) if (k == "if" || k == "with") && kw != "range" => k.clone(),
                        _ => return err(else_span.start, "unexpected tokens after else"),
                    };
                    let nested = self.branch(&inner_kw, &more[1..], else_span)?;
                    let s = match &nested {
                        Node::If(b) | Node::With(b) | Node::Range(b) => b.span,
                        _ => else_span,
                    };
                    (Some(vec![nested]), s)
                }
            }
        };
        let b = Branch {
            pipe,
            list,
            else_list,
            span: ByteSpan {
                start: span.start,
                end: end_span.end,
            },
        };
        Ok(match kw {
            "if" => Node::If(b),
            "with" => Node::With(b),
            _ => Node::Range(b),
        })
    }

    fn pipeline(&self, toks: &[Token], span: ByteSpan, allow_decl: bool) -> PResult<Pipe> {
        let mut decl = Vec::new();
        let mut is_assign = false;
        let mut i = 0;
        // `$x :=`, `$x =`, or in range `$i, $e :=`.
        let decl_end = toks
            .iter()
            .position(|t| matches!(t.tok, Tok::Declare | Tok::Assign));
        if let Some(d) = decl_end {
            let vars: Vec<&Token> = toks[..d].iter().collect();
            let ok = match vars.as_slice() {
                [
                    Token {
                        tok: Tok::Var(_), ..
                    },
                ] => true,
                [
                    Token {
                        tok: Tok::Var(_), ..
                    },
                    Token {
                        tok: Tok::Comma, ..
                    },
                    Token {
                        tok: Tok::Var(_), ..
                    },
                ] => allow_decl,
                _ => false,
            };
            if ok && toks.iter().take(d).all(|t| !matches!(t.tok, Tok::LParen)) {
                for t in vars {
                    if let Tok::Var(v) = &t.tok {
                        decl.push(v.clone());
                    }
                }
                is_assign = matches!(toks[d].tok, Tok::Assign);
                i = d + 1;
            }
        }
        let body = &toks[i..];
        if body.is_empty() {
            return err(span.start, "missing value for command");
        }
        let mut cmds = Vec::new();
        let mut j = 0;
        while j < body.len() {
            let (cmd, next) = self.command(body, j)?;
            cmds.push(cmd);
            j = next;
            if j < body.len() {
                match body[j].tok {
                    Tok::Pipe => {
                        j += 1;
                        if j >= body.len() {
                            return err(body[j - 1].span.start, "missing command after |");
                        }
                    }
                    _ => return err(body[j].span.start, "unexpected token in pipeline"),
                }
            }
        }
        for c in cmds.iter().skip(1) {
            if let Some(
                ArgKind::Dot
                | ArgKind::Nil
                | ArgKind::Bool(_)
                | ArgKind::Int(..)
                | ArgKind::Float(..)
                | ArgKind::Str(_),
            ) = c.args.first().map(|a| &a.kind)
                && c.args.len() == 1
            {
                return err(
                    c.span.start,
                    format!("non executable command in pipeline stage {}", 2),
                );
            }
        }
        let start = toks.first().map_or(span.start, |t| t.span.start);
        let end = toks.last().map_or(span.end, |t| t.span.end);
        Ok(Pipe {
            decl,
            is_assign,
            cmds,
            span: ByteSpan { start, end },
        })
    }

    /// One command from `toks[i]` up to a `|` (or `)` at depth 0, or the end).
    fn command(&self, toks: &[Token], mut i: usize) -> PResult<(Cmd, usize)> {
        let start = toks[i].span.start;
        let mut args = Vec::new();
        while i < toks.len() && !matches!(toks[i].tok, Tok::Pipe | Tok::RParen) {
            if !args.is_empty() && !toks[i].space_before {
                return err(toks[i].span.start, "missing space between arguments");
            }
            let (arg, next) = self.operand(toks, i)?;
            args.push(arg);
            i = next;
        }
        if args.is_empty() {
            return err(start, "empty command");
        }
        let end = args.last().map_or(start, |a| a.span.end);
        Ok((
            Cmd {
                args,
                span: ByteSpan { start, end },
            },
            i,
        ))
    }

    fn operand(&self, toks: &[Token], i: usize) -> PResult<(Arg, usize)> {
        let t = &toks[i];
        let mut next = i + 1;
        let mut kind = match &t.tok {
            Tok::Dot => ArgKind::Dot,
            Tok::Field(f) => {
                let mut fields = vec![f.clone()];
                while let Some(Token {
                    tok: Tok::Field(f),
                    space_before: false,
                    ..
                }) = toks.get(next)
                {
                    fields.push(f.clone());
                    next += 1;
                }
                ArgKind::Field(fields)
            }
            Tok::Var(v) => ArgKind::Var(v.clone(), Vec::new()),
            Tok::Str(s) => ArgKind::Str(s.clone()),
            Tok::Char(c) => ArgKind::Int(*c, c.to_string()),
            Tok::Number(n) => match parse_number(n) {
                Some((Some(i), _)) => ArgKind::Int(i, n.clone()),
                Some((None, f)) => ArgKind::Float(f, n.clone()),
                None => return err(t.span.start, format!("bad number syntax: {n:?}")),
            },
            Tok::Ident(id) => match id.as_str() {
                "true" => ArgKind::Bool(true),
                "false" => ArgKind::Bool(false),
                "nil" => ArgKind::Nil,
                _ if (self.is_func)(id) => ArgKind::Ident(id.clone()),
                _ => return err(t.span.start, format!("function {id:?} not defined")),
            },
            Tok::LParen => {
                // Find the matching paren.
                let mut depth = 0;
                let mut j = i;
                loop {
                    match toks.get(j).map(|t| &t.tok) {
                        Some(Tok::LParen) => depth += 1,
                        Some(Tok::RParen) => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        None => return err(t.span.start, "unclosed left paren"),
                        _ => {}
                    }
                    j += 1;
                }
                if j == i + 1 {
                    return err(t.span.start, "missing value for parenthesized pipeline");
                }
                let inner = self.pipeline(&toks[i + 1..j], t.span, false)?;
                next = j + 1;
                ArgKind::Pipe(Box::new(inner), Vec::new())
            }
            Tok::Pipe | Tok::RParen | Tok::Comma | Tok::Declare | Tok::Assign => {
                return err(t.span.start, "unexpected token in operand");
            }
        };
        // A field chain right after a variable or a parenthesized pipeline.
        if let ArgKind::Var(_, fields) | ArgKind::Pipe(_, fields) = &mut kind {
            while let Some(Token {
                tok: Tok::Field(f),
                space_before: false,
                ..
            }) = toks.get(next)
            {
                fields.push(f.clone());
                next += 1;
            }
        }
        let end = toks[next - 1].span.end;
        Ok((
            Arg {
                kind,
                span: ByteSpan {
                    start: t.span.start,
                    end,
                },
            },
            next,
        ))
    }
}

fn item_start(i: &Item) -> usize {
    match i {
        Item::Text(s) => s.start,
        Item::Action { span, .. } => span.start,
    }
}

// ---------------------------------------------------------------------------------------------
// Go's String() of nodes, for "at <...>" in error messages.

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            write!(
                f,
                "{} {} ",
                self.decl.join(", "),
                if self.is_assign { "=" } else { ":=" }
            )?;
        }
        write_joined(f, &self.cmds, " | ")
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_joined(f, &self.args, " ")
    }
}

fn write_joined<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    sep: &str,
) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = |f: &mut fmt::Formatter<'_>, fs: &[String]| -> fmt::Result {
            for x in fs {
                write!(f, ".{x}")?;
            }
            Ok(())
        };
        match &self.kind {
            ArgKind::Dot => f.write_str("."),
            ArgKind::Nil => f.write_str("nil"),
            ArgKind::Bool(b) => write!(f, "{b}"),
            ArgKind::Int(_, t) | ArgKind::Float(_, t) => f.write_str(t),
            ArgKind::Str(s) => write!(f, "{}", crate::render::helm::template::printf::go_quote(s)),
            ArgKind::Field(fs) => fields(f, fs),
            ArgKind::Var(v, fs) => {
                f.write_str(v)?;
                fields(f, fs)
            }
            ArgKind::Ident(i) => f.write_str(i),
            ArgKind::Pipe(p, fs) => {
                write!(f, "({p})")?;
                fields(f, fs)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str) -> Parsed {
        parse(t, &|n| n != "nosuch").unwrap()
    }

    #[test]
    fn trim_markers_cut_whitespace_next_to_the_action() {
        let t = "a  \n{{- 1 -}}\n  b";
        let parsed = p(t);
        let texts: Vec<&str> = parsed
            .root
            .iter()
            .filter_map(|n| match n {
                Node::Text(s) => Some(&t[s.start..s.end]),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["a", "b"]);
    }

    #[test]
    fn a_minus_without_space_is_a_number() {
        let parsed = p("{{-3}}");
        match &parsed.root[0] {
            Node::Action(pipe) => assert!(matches!(pipe.cmds[0].args[0].kind, ArgKind::Int(-3, _))),
            n => panic!("{n:?}"),
        }
    }

    #[test]
    fn else_if_chains_share_one_end_and_defines_are_collected() {
        let parsed = p(r#"{{define "x"}}X{{end}}{{if .a}}1{{else if .b}}2{{else}}3{{end}}"#);
        assert_eq!(parsed.defines.len(), 1);
        assert_eq!(parsed.root.len(), 1);
        let Node::If(b) = &parsed.root[0] else {
            panic!()
        };
        let Some(els) = &b.else_list else { panic!() };
        assert!(matches!(&els[0], Node::If(inner) if inner.else_list.is_some()));
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let e = parse("a\n{{ nosuch 1 }}", &|n| n != "nosuch").unwrap_err();
        assert_eq!(e.message, "function \"nosuch\" not defined");
        assert_eq!(e.offset, 5);
        assert!(
            parse("{{ if .x }}", &|_| true)
                .unwrap_err()
                .message
                .contains("EOF")
        );
        assert!(
            parse("{{ break }}", &|_| true)
                .unwrap_err()
                .message
                .contains("outside")
        );
        assert!(parse("{{/* x */ }}", &|_| true).is_err());
        let deep = "{{if 1}}".repeat(200) + &"{{end}}".repeat(200);
        assert!(
            parse(&deep, &|_| true)
                .unwrap_err()
                .message
                .contains("nesting")
        );
    }

    #[test]
    fn comments_with_trim_markers_vanish() {
        let t = "a \n{{- /* c */ -}}\n b";
        let parsed = p(t);
        assert_eq!(parsed.root.len(), 2);
    }

    #[test]
    fn node_strings_read_like_go() {
        let parsed = p(r#"{{ $x := .Values.a | default "b" | quote }}{{ (index $ "k").y }}"#);
        let Node::Action(pipe) = &parsed.root[0] else {
            panic!()
        };
        assert_eq!(pipe.to_string(), r#"$x := .Values.a | default "b" | quote"#);
        let Node::Action(pipe) = &parsed.root[1] else {
            panic!()
        };
        assert_eq!(pipe.to_string(), r#"(index $ "k").y"#);
    }
}
