//! The text printer: one block per finding (location, code frame, the fix as a diff, a link
//! to the guidance), then a count by rule and by fix availability and a one-line summary.
//! Colour is decided by the caller (`TextStyle`); this module never looks at the terminal.

use std::fmt::Write as _;

use rayon::prelude::*;

use crate::engine::LintResult;
use crate::finding::{Edit, Finding, FixSafety};
use crate::manifest::{ManifestFile, SkipReason, SourceText};

pub(crate) fn skip_reason(reason: &SkipReason) -> &'static str {
    match reason {
        SkipReason::Template => "template (render it, e.g. `helm template`, to check it)",
        SkipReason::NotKubernetes => "no Kubernetes objects",
    }
}

/// How the text is dressed: ANSI colour or plain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextStyle {
    pub color: bool,
}

/// ANSI SGR sequences, or nothing when colour is off.
#[derive(Clone, Copy)]
struct Paint(bool);

/// Text dressed in one colour, written when it is formatted: a big report renders millions of
/// these, and a `String` for each cost a fifth of its time.
struct Painted<T> {
    code: Option<&'static str>,
    text: T,
}

impl<T: std::fmt::Display> std::fmt::Display for Painted<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "\x1b[{code}m{}\x1b[0m", self.text),
            None => write!(f, "{}", self.text),
        }
    }
}

impl Paint {
    fn wrap<T: std::fmt::Display>(self, code: &'static str, text: T) -> Painted<T> {
        Painted {
            code: self.0.then_some(code),
            text,
        }
    }
    fn bold<T: std::fmt::Display>(self, s: T) -> Painted<T> {
        self.wrap("1", s)
    }
    fn rule<T: std::fmt::Display>(self, s: T) -> Painted<T> {
        self.wrap("1;31", s)
    }
    fn position<T: std::fmt::Display>(self, s: T) -> Painted<T> {
        self.wrap("36", s)
    }
    fn gutter<T: std::fmt::Display>(self, s: T) -> Painted<T> {
        self.wrap("1;34", s)
    }
    fn caret<T: std::fmt::Display>(self, s: T) -> Painted<T> {
        self.wrap("1;31", s)
    }
    fn added<T: std::fmt::Display>(self, s: T) -> Painted<T> {
        self.wrap("32", s)
    }
    fn removed<T: std::fmt::Display>(self, s: T) -> Painted<T> {
        self.wrap("31", s)
    }
}

/// Human output without colour: one block per finding with the offending line, then the
/// counts and a summary.
pub fn render_text(result: &LintResult) -> String {
    render_text_styled(result, TextStyle::default())
}

/// Human output, coloured when `style.color` is set.
pub fn render_text_styled(result: &LintResult, style: TextStyle) -> String {
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = write_text_styled(result, style, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Findings rendered per parallel task, and tasks rendered before their text is written out.
const FINDINGS_PER_TASK: usize = 256;
const TASKS_PER_BATCH: usize = 32;

/// [`render_text_styled`] written to `w` as it is rendered: code frames and fix diffs cost as
/// much as linting on a big run, so they are rendered on all cores in chunks, and each batch
/// of chunks is written, in order, before the next is rendered. The report of 20,000 Pods is
/// over 70 MB of text; it is never held whole.
pub fn write_text_styled(
    result: &LintResult,
    style: TextStyle,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let paint = Paint(style.color);
    for batch in result.findings.chunks(FINDINGS_PER_TASK * TASKS_PER_BATCH) {
        let chunks: Vec<String> = batch
            .par_chunks(FINDINGS_PER_TASK)
            .map(|chunk| {
                // About what a finding with a fix takes (code frame and diff): the chunk's
                // text is not grown and copied a dozen times.
                let mut out = String::with_capacity(chunk.len() * 1024);
                for f in chunk {
                    render_finding(&mut out, f, result.file(&f.file), paint);
                }
                out
            })
            .collect();
        for chunk in chunks {
            w.write_all(chunk.as_bytes())?;
        }
    }
    let mut out = String::new();
    for e in &result.errors {
        let _ = writeln!(out, "{e}");
    }
    let templates: Vec<&str> = result
        .skipped
        .iter()
        .filter(|(_, r)| *r == SkipReason::Template)
        .map(|(f, _)| f.as_str())
        .collect();
    if !templates.is_empty() {
        let _ = writeln!(
            out,
            "note: {} template file{} not checked (render {} first, e.g. with `helm template`): {}",
            templates.len(),
            plural(templates.len()),
            if templates.len() == 1 { "it" } else { "them" },
            templates.join(", ")
        );
    }
    out.push_str(&rule_counts(result, paint));
    let _ = writeln!(out, "{}", paint.bold(&summary_line(result)));
    w.write_all(out.as_bytes())
}

/// The closing count, ruff's `--statistics` table folded into the report: findings per rule,
/// most first, and how many of them a fix can remove.
fn rule_counts(result: &LintResult, paint: Paint) -> String {
    let counts = super::statistics::count_by_rule(result);
    if counts.is_empty() {
        return String::new();
    }
    let count_width = counts[0].count.to_string().len();
    let rule_width = counts.iter().map(|c| c.rule.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in &counts {
        let fixes = match (c.safe_fixes, c.review_fixes) {
            (0, 0) => "    no fix".to_string(),
            (s, 0) => format!("[*] {s} fixable with `--fix`"),
            (0, r) => format!("[!] {r} fixable with `--unsafe-fixes`"),
            (s, r) => format!("[*] {s} fixable with `--fix`, {r} more with `--unsafe-fixes`"),
        };
        let _ = writeln!(
            out,
            "{:>count_width$}  {}  {fixes}",
            c.count,
            paint.rule(&format!("{:<rule_width$}", c.rule))
        );
    }
    out
}

fn summary_line(result: &LintResult) -> String {
    let checked = result.files.iter().filter(|f| f.skipped.is_none()).count();
    let objects: usize = result.files.iter().map(|f| f.objects.len()).sum();
    if result.findings.is_empty() && result.errors.is_empty() {
        return format!(
            "All checks passed ({objects} object{} in {checked} file{}).",
            plural(objects),
            plural(checked)
        );
    }
    let safe = result
        .findings
        .iter()
        .filter(|f| f.fix.as_ref().is_some_and(|x| x.safety == FixSafety::Safe))
        .count();
    let review = result
        .findings
        .iter()
        .filter(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.safety == FixSafety::Review)
        })
        .count();
    let mut s = format!(
        "Found {} finding{} in {objects} object{} ({checked} file{} checked)",
        result.findings.len(),
        plural(result.findings.len()),
        plural(objects),
        plural(checked)
    );
    match (safe, review) {
        (0, 0) => {}
        (0, r) => {
            let _ = write!(s, "; {r} fixable with `--fix --unsafe-fixes`");
        }
        (n, 0) => {
            let _ = write!(s, "; {n} fixable with `--fix`");
        }
        (n, r) => {
            let _ = write!(
                s,
                "; {n} fixable with `--fix` ({r} more with `--unsafe-fixes`)"
            );
        }
    }
    if !result.errors.is_empty() {
        let _ = write!(
            s,
            "; {} file error{}",
            result.errors.len(),
            plural(result.errors.len())
        );
    }
    s.push('.');
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn render_finding(out: &mut String, f: &Finding, file: Option<&ManifestFile>, paint: Paint) {
    let _ = writeln!(
        out,
        "{}{} {} {}",
        paint.bold(&f.file),
        paint.position(format_args!(":{}:{}:", f.line, f.column)),
        paint.rule(f.rule),
        f.message
    );
    if let Some(file) = file {
        let src = &file.source;
        let width = digits(f.line + 1);
        let bar = paint.gutter(Gutter { line: None, width });
        let _ = writeln!(out, "{bar}");
        if f.line > 1 {
            let _ = writeln!(
                out,
                "{} {}",
                paint.gutter(format_args!("{:>width$} |", f.line - 1)),
                src.line_text(f.line - 1)
            );
        }
        let text = src.line_text(f.line);
        let _ = writeln!(
            out,
            "{} {}",
            paint.gutter(format_args!("{:>width$} |", f.line)),
            text
        );
        let token: usize = text
            .chars()
            .skip(f.column - 1)
            .take_while(|c| !matches!(c, ':' | ' ' | ',' | '}' | ']'))
            .count()
            .max(1);
        let _ = writeln!(
            out,
            "{bar} {:pad$}{}",
            "",
            paint.caret(format_args!("{:^<token$}", "")),
            pad = f.column - 1
        );
        let _ = writeln!(out, "{:width$} = object: {}", "", f.object);
        if !f.overlays.is_empty() {
            let _ = writeln!(out, "{:width$} = overlays: {}", "", f.overlays.join(", "));
        }
        if let Some(p) = &f.policy {
            let _ = writeln!(out, "{:width$} = policy: {p}", "");
        }
        if let Some(fix) = &f.fix {
            let safety = match fix.safety {
                FixSafety::Safe => "fix",
                FixSafety::Review => "fix (needs review)",
            };
            let _ = writeln!(out, "{:width$} = {safety}: {}", "", fix.title);
            if !fix.caveat.is_empty() {
                let _ = writeln!(out, "{:width$}   {}", "", fix.caveat);
            }
            render_fix_lines(out, src, &fix.edits, width, paint);
        }
        let _ = writeln!(out, "{:width$} = help: kubenudge explain {}", "", f.rule);
    }
    out.push('\n');
}

/// The code frame's left column: a line number (or blanks) and a bar.
struct Gutter {
    line: Option<usize>,
    width: usize,
}

impl std::fmt::Display for Gutter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let width = self.width;
        match self.line {
            Some(line) => write!(f, "{line:>width$} |"),
            None => write!(f, "{:width$} |", ""),
        }
    }
}

/// How many decimal digits `n` is written with.
fn digits(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// The suggested change as a small diff of the lines it replaces: ` ` kept, `-` removed,
/// `+` added (added lines carry no number).
fn render_fix_lines(
    out: &mut String,
    src: &SourceText,
    edits: &[Edit],
    width: usize,
    paint: Paint,
) {
    let suggestions = crate::fix::suggestions(src, edits);
    if suggestions.is_empty() {
        return;
    }
    // Line numbers can grow past the finding's own line.
    let width = suggestions
        .iter()
        .map(|s| digits(s.end_line))
        .max()
        .unwrap_or(width)
        .max(width);
    let _ = writeln!(out, "{}", paint.gutter(format_args!("{:width$} |", "")));
    for s in suggestions {
        let mut old = String::new();
        for l in s.start_line..=s.end_line {
            old.push_str(src.line_text(l));
            old.push('\n');
        }
        let new = if s.text.is_empty() && s.start_line <= s.end_line {
            String::new()
        } else {
            format!("{}\n", s.text)
        };
        let diff = similar::TextDiff::from_lines(&old, &new);
        let mut line = s.start_line;
        for change in diff.iter_all_changes() {
            let text = change.value().trim_end_matches(['\n', '\r']);
            match change.tag() {
                similar::ChangeTag::Equal => {
                    let gutter = paint.gutter(Gutter {
                        line: Some(line),
                        width,
                    });
                    let _ = writeln!(out, "{gutter}   {text}");
                    line += 1;
                }
                similar::ChangeTag::Delete => {
                    let gutter = paint.gutter(Gutter {
                        line: Some(line),
                        width,
                    });
                    let _ = writeln!(out, "{gutter} {}", paint.removed(format_args!("- {text}")));
                    line += 1;
                }
                similar::ChangeTag::Insert => {
                    let gutter = paint.gutter(Gutter { line: None, width });
                    let _ = writeln!(out, "{gutter} {}", paint.added(format_args!("+ {text}")));
                }
            }
        }
    }
}
