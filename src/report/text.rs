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

/// Human output: one block per finding with the offending line, then a summary.
pub fn render_text(result: &LintResult) -> String {
    // Code frames and fix diffs cost as much as linting on a big run: rendered on all cores,
    // in chunks, joined in order.
    let chunks: Vec<String> = result
        .findings
        .par_chunks(256)
        .map(|chunk| {
            let mut out = String::new();
            for f in chunk {
                render_finding(&mut out, f, result.file(&f.file));
            }
            out
        })
        .collect();
    let mut out = String::with_capacity(chunks.iter().map(String::len).sum::<usize>() + 256);
    for chunk in chunks {
        out.push_str(&chunk);
    }
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
    let _ = writeln!(out, "{}", summary_line(result));
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

fn render_finding(out: &mut String, f: &Finding, file: Option<&ManifestFile>) {
    let _ = writeln!(
        out,
        "{}:{}:{}: {} {}",
        f.file, f.line, f.column, f.rule, f.message
    );
    if let Some(file) = file {
        let src = &file.source;
        let width = (f.line + 1).to_string().len();
        let _ = writeln!(out, "{:width$} |", "");
        if f.line > 1 {
            let _ = writeln!(
                out,
                "{:>width$} | {}",
                f.line - 1,
                src.line_text(f.line - 1)
            );
        }
        let text = src.line_text(f.line);
        let _ = writeln!(out, "{:>width$} | {}", f.line, text);
        let token: usize = text
            .chars()
            .skip(f.column - 1)
            .take_while(|c| !matches!(c, ':' | ' ' | ',' | '}' | ']'))
            .count()
            .max(1);
        let _ = writeln!(
            out,
            "{:width$} | {}{}",
            "",
            " ".repeat(f.column - 1),
            "^".repeat(token)
        );
        let _ = writeln!(out, "{:width$} = object: {}", "", f.object);
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
            render_fix_lines(out, src, &fix.edits, width);
        }
        let _ = writeln!(out, "{:width$} = help: kubenudge explain {}", "", f.rule);
    }
    out.push('\n');
}

/// The suggested change as a small diff of the lines it replaces: ` ` kept, `-` removed,
/// `+` added (added lines carry no number).
fn render_fix_lines(out: &mut String, src: &SourceText, edits: &[Edit], width: usize) {
    let suggestions = crate::fix::suggestions(src, edits);
    if suggestions.is_empty() {
        return;
    }
    // Line numbers can grow past the finding's own line.
    let width = suggestions
        .iter()
        .map(|s| s.end_line.to_string().len())
        .max()
        .unwrap_or(width)
        .max(width);
    let _ = writeln!(out, "{:width$} |", "");
    for s in suggestions {
        let old: String = (s.start_line..=s.end_line)
            .map(|l| format!("{}\n", src.line_text(l)))
            .collect();
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
                    let _ = writeln!(out, "{line:>width$} |   {text}");
                    line += 1;
                }
                similar::ChangeTag::Delete => {
                    let _ = writeln!(out, "{line:>width$} | - {text}");
                    line += 1;
                }
                similar::ChangeTag::Insert => {
                    let _ = writeln!(out, "{:width$} | + {text}", "");
                }
            }
        }
    }
}
