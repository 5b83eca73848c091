//! The text printer: one block per finding (location, code frame, the fix as a diff, a link
//! to the guidance), then a count by rule and by fix availability and a one-line summary.
//! Colour is decided by the caller (`TextStyle`); this module never looks at the terminal.

use std::fmt::Write as _;

use rayon::prelude::*;

use super::statistics::FindingTally;
use crate::engine::LintResult;
use crate::finding::{Edit, Finding, FixSafety};
use crate::fix::push_spaces;
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

/// Text dressed in one colour, written when it is formatted (the closing counts and summary;
/// findings are written by [`Paint::put`] and its kin, straight into the chunk's text).
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
    /// Opens colour `code` in `out` (nothing when colour is off).
    fn open(self, out: &mut String, code: &str) {
        if self.0 {
            out.push_str("\x1b[");
            out.push_str(code);
            out.push('m');
        }
    }

    /// Closes the colour [`Paint::open`] opened.
    fn close(self, out: &mut String) {
        if self.0 {
            out.push_str("\x1b[0m");
        }
    }

    /// `text` in colour `code`.
    fn put(self, out: &mut String, code: &str, text: &str) {
        self.open(out, code);
        out.push_str(text);
        self.close(out);
    }

    fn wrap<T: std::fmt::Display>(self, code: &'static str, text: T) -> Painted<T> {
        Painted {
            code: self.0.then_some(code),
            text,
        }
    }
    fn bold<T: std::fmt::Display>(self, s: T) -> Painted<T> {
        self.wrap(BOLD, s)
    }
    fn rule<T: std::fmt::Display>(self, s: T) -> Painted<T> {
        self.wrap(RULE, s)
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
    // One buffer per task, kept from batch to batch: a big report's 70 MB are written through
    // the same few megabytes instead of each batch's text being allocated (and its pages
    // faulted in) anew.
    let mut buffers: Vec<String> = Vec::new();
    for batch in result.findings.chunks(FINDINGS_PER_TASK * TASKS_PER_BATCH) {
        let tasks = batch.len().div_ceil(FINDINGS_PER_TASK);
        buffers.resize_with(buffers.len().max(tasks), String::new);
        batch
            .par_chunks(FINDINGS_PER_TASK)
            .zip(buffers[..tasks].par_iter_mut())
            .for_each(|(chunk, out)| {
                out.clear();
                // About what a finding with a fix takes (code frame and diff): the chunk's
                // text is not grown and copied a dozen times.
                out.reserve(chunk.len() * 1024);
                for f in chunk {
                    render_finding(out, f, result.file(&f.file), paint);
                }
            });
        for out in &buffers[..tasks] {
            w.write_all(out.as_bytes())?;
        }
    }
    drop(buffers);
    let mut tally = FindingTally::default();
    for f in &result.findings {
        tally.add(f);
    }
    write_text_end(result, &tally, style, w)
}

/// One finding's block of the text report (location, code frame, fix, guidance), appended
/// to `out`: for a caller that renders a report in parts (`check` in batches), with
/// [`write_text_end`] after the last.
pub fn render_finding_styled(
    out: &mut String,
    f: &Finding,
    file: Option<&ManifestFile>,
    style: TextStyle,
) {
    render_finding(out, f, file, Paint(style.color));
}

/// The end of the text report: read errors, skipped templates, the counts by rule of the
/// findings written (`tally`), and the summary. `result` gives the files, errors and skips;
/// its findings are not read.
pub fn write_text_end(
    result: &LintResult,
    tally: &FindingTally,
    style: TextStyle,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let paint = Paint(style.color);
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
    out.push_str(&rule_counts(tally, paint));
    let _ = writeln!(out, "{}", paint.bold(&summary_line(result, tally)));
    w.write_all(out.as_bytes())
}

/// The closing count, ruff's `--statistics` table folded into the report: findings per rule,
/// most first, and how many of them a fix can remove.
fn rule_counts(tally: &FindingTally, paint: Paint) -> String {
    let counts = tally.by_rule();
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

/// The summary of a report whose findings `tally` counted (the files and errors are
/// `result`'s).
fn summary_line(result: &LintResult, tally: &FindingTally) -> String {
    let checked = result.files.iter().filter(|f| f.skipped.is_none()).count();
    let objects: usize = result.files.iter().map(|f| f.objects.len()).sum();
    if tally.findings == 0 && result.errors.is_empty() {
        return format!(
            "All checks passed ({objects} object{} in {checked} file{}).",
            plural(objects),
            plural(checked)
        );
    }
    let (safe, review) = (tally.safe_fixes, tally.review_fixes);
    let mut s = format!(
        "Found {} finding{} in {objects} object{} ({checked} file{} checked)",
        tally.findings,
        plural(tally.findings),
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
    // Written piece by piece rather than through `write!`: a big report has millions of these
    // pieces, and the formatting machinery cost more than the text itself.
    paint.put(out, BOLD, &f.file);
    paint.open(out, POSITION);
    out.push(':');
    push_number(out, f.line, 0);
    out.push(':');
    push_number(out, f.column, 0);
    out.push(':');
    paint.close(out);
    out.push(' ');
    paint.put(out, RULE, f.rule);
    out.push(' ');
    out.push_str(&f.message);
    out.push('\n');
    if let Some(file) = file {
        let src = &file.source;
        let width = digits(f.line + 1);
        push_gutter(out, paint, None, width);
        out.push('\n');
        if f.line > 1 {
            push_gutter(out, paint, Some(f.line - 1), width);
            out.push(' ');
            out.push_str(src.line_text(f.line - 1));
            out.push('\n');
        }
        let text = src.line_text(f.line);
        push_gutter(out, paint, Some(f.line), width);
        out.push(' ');
        out.push_str(text);
        out.push('\n');
        let token: usize = text
            .chars()
            .skip(f.column - 1)
            .take_while(|c| !matches!(c, ':' | ' ' | ',' | '}' | ']'))
            .count()
            .max(1);
        push_gutter(out, paint, None, width);
        out.push(' ');
        push_spaces(out, f.column - 1);
        paint.open(out, CARET);
        push_repeated(out, '^', token);
        paint.close(out);
        out.push('\n');
        push_note(out, width, " = object: ");
        push_object(out, &f.object);
        out.push('\n');
        if !f.overlays.is_empty() {
            push_note(out, width, " = overlays: ");
            for (i, overlay) in f.overlays.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(overlay);
            }
            out.push('\n');
        }
        if let Some(p) = &f.policy {
            push_note(out, width, " = policy: ");
            out.push_str(p);
            out.push('\n');
        }
        if let Some(fix) = &f.fix {
            let safety = match fix.safety {
                FixSafety::Safe => " = fix: ",
                FixSafety::Review => " = fix (needs review): ",
            };
            push_note(out, width, safety);
            out.push_str(&fix.title);
            out.push('\n');
            if !fix.caveat.is_empty() {
                push_note(out, width, "   ");
                out.push_str(&fix.caveat);
                out.push('\n');
            }
            render_fix_lines(out, src, &fix.edits, width, paint);
        }
        push_note(out, width, " = help: kubenudge explain ");
        out.push_str(f.rule);
        out.push('\n');
    }
    out.push('\n');
}

/// SGR codes of the report's colours.
const BOLD: &str = "1";
const RULE: &str = "1;31";
const POSITION: &str = "36";
const GUTTER: &str = "1;34";
const CARET: &str = "1;31";
const ADDED: &str = "32";
const REMOVED: &str = "31";

/// `width` blanks, then `label`: a note line under the code frame (`   = help: ...`).
fn push_note(out: &mut String, width: usize, label: &str) {
    push_spaces(out, width);
    out.push_str(label);
}

fn push_repeated(out: &mut String, c: char, n: usize) {
    out.extend(std::iter::repeat_n(c, n));
}

/// `n` in decimal, right-aligned in `width` columns.
fn push_number(out: &mut String, n: usize, width: usize) {
    let mut buffer = itoa::Buffer::new();
    let text = buffer.format(n);
    push_spaces(out, width.saturating_sub(text.len()));
    out.push_str(text);
}

/// The code frame's left column, coloured: a line number (or blanks) and a bar.
fn push_gutter(out: &mut String, paint: Paint, line: Option<usize>, width: usize) {
    paint.open(out, GUTTER);
    match line {
        Some(line) => push_number(out, line, width),
        None => push_spaces(out, width),
    }
    out.push_str(" |");
    paint.close(out);
}

/// An object as `ObjectRef`'s `Display` writes it: `namespace/Kind/name` or `Kind/name`.
fn push_object(out: &mut String, object: &crate::manifest::ObjectRef) {
    if let Some(ns) = &object.namespace {
        out.push_str(ns);
        out.push('/');
    }
    out.push_str(&object.kind);
    out.push('/');
    out.push_str(&object.name);
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
    push_gutter(out, paint, None, width);
    out.push('\n');
    for s in suggestions {
        let mut old = String::new();
        for l in s.start_line..=s.end_line {
            old.push_str(src.line_text(l));
            old.push('\n');
        }
        let new = if s.text.is_empty() && s.start_line <= s.end_line {
            String::new()
        } else {
            let mut new = String::with_capacity(s.text.len() + 1);
            new.push_str(&s.text);
            new.push('\n');
            new
        };
        let diff = similar::TextDiff::from_lines(&old, &new);
        let mut line = s.start_line;
        for change in diff.iter_all_changes() {
            let text = change.value().trim_end_matches(['\n', '\r']);
            match change.tag() {
                similar::ChangeTag::Equal => {
                    push_gutter(out, paint, Some(line), width);
                    out.push_str("   ");
                    out.push_str(text);
                    line += 1;
                }
                similar::ChangeTag::Delete => {
                    push_gutter(out, paint, Some(line), width);
                    out.push(' ');
                    paint.open(out, REMOVED);
                    out.push_str("- ");
                    out.push_str(text);
                    paint.close(out);
                    line += 1;
                }
                similar::ChangeTag::Insert => {
                    push_gutter(out, paint, None, width);
                    out.push(' ');
                    paint.open(out, ADDED);
                    out.push_str("+ ");
                    out.push_str(text);
                    paint.close(out);
                }
            }
            out.push('\n');
        }
    }
}
