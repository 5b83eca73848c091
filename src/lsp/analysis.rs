//! One document through the engine and the workspace's rollout policy: the findings an editor
//! shows (exceptions and ignore annotations applied, as `check` does), each with the stage
//! that decides its severity, and the fixes for code actions. Pure: text and policy in.

use std::cell::OnceCell;

use chrono::NaiveDate;
use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticSeverity, NumberOrString, Range, TextEdit, Uri,
};

use super::position::LineIndex;
use crate::config::{Config, Mode};
use crate::engine::{LintOptions, LintResult, lint};
use crate::finding::{Edit, Finding, FixSafety, Severity};
use crate::policy::{Level, PssPolicy, Version};
use crate::rollout::{self, NamespaceResolver, PolicyInput};

/// Where diagnostics say they come from.
pub(crate) const SOURCE: &str = "kubenudge";

/// A document's findings, as shown.
pub(crate) struct Analysis {
    /// The lint of the document; `findings` holds only those the policy reports.
    pub result: LintResult,
    /// The rollout stage of each finding (same order), when the workspace has a policy.
    pub stages: Vec<Option<Mode>>,
    /// The file-wide fixes, computed on the first code-action request: editors ask for code
    /// actions at every cursor move, and a fix run re-lints the file.
    fix_all: OnceCell<Vec<(bool, Edit)>>,
}

/// The engine's options under a workspace policy (restricted, latest without one).
pub(crate) fn lint_options(config: Option<&Config>) -> LintOptions {
    LintOptions {
        pss: PssPolicy {
            level: config.map_or(Level::Restricted, |c| c.level),
            version: config.map_or(Version::Latest, |c| c.pss_version),
            origin: None,
        },
        pss_explicit: config.is_some_and(|c| c.pss_explicit),
        ..LintOptions::default()
    }
}

/// Lints `text` as the file `path` (relative to the workspace root, so the policy's path
/// globs match) and applies the policy as of `today`; `kustomizations` (path, text) name the
/// namespace of objects that do not.
pub(crate) fn analyse(
    path: &str,
    text: &str,
    config: Option<&Config>,
    today: NaiveDate,
    kustomizations: &[(String, String)],
) -> Analysis {
    let mut result = lint(
        &[(path.to_string(), text.as_bytes().to_vec())],
        &lint_options(config),
    );
    let Some(config) = config else {
        let stages = vec![None; result.findings.len()];
        return Analysis {
            result,
            stages,
            fix_all: OnceCell::new(),
        };
    };
    let resolver = NamespaceResolver::from_lint_and_kustomizations(&result, kustomizations);
    let review = rollout::review_taking(
        &mut result,
        &PolicyInput {
            config,
            config_errors: &[],
            today,
            namespaces: &resolver,
        },
    );
    let (findings, stages) = review
        .decisions
        .into_iter()
        .filter(|d| d.is_reported())
        .map(|d| (d.finding, Some(d.stage.effective)))
        .unzip();
    result.findings = findings;
    Analysis {
        result,
        stages,
        fix_all: OnceCell::new(),
    }
}

/// The bytes a finding underlines: the key or token at its position, ended by what ends a
/// YAML plain key or flow item — the same token the text report's caret line marks.
pub(crate) fn finding_span(text: &str, finding: &Finding) -> (usize, usize) {
    let start = finding.byte.min(text.len());
    let token: usize = text[start..]
        .char_indices()
        .find(|(_, c)| matches!(c, ':' | ' ' | ',' | '}' | ']' | '\n' | '\r'))
        .map_or(text.len() - start, |(i, _)| i);
    let end = start + token.max(text[start..].chars().next().map_or(0, char::len_utf8));
    (start, end)
}

/// A rule's guidance page: under the policy's `docs-base-url`, else kubenudge's own docs.
pub(crate) fn guidance_link(config: Option<&Config>, rule: &str) -> String {
    match config.and_then(|c| c.docs_base_url.as_deref()) {
        Some(base) => format!("{}/{rule}", base.trim_end_matches('/')),
        None => crate::review::guidance_url(&crate::review::ReviewConfig::default(), rule),
    }
}

impl Analysis {
    /// Which "fix all" actions may apply, without running them: `false` when some finding has
    /// a safe fix, `true` when some has one that needs review.
    pub fn fix_all_kinds(&self) -> Vec<bool> {
        let has = |safety: FixSafety| {
            self.result
                .findings
                .iter()
                .any(|f| f.fix.as_ref().is_some_and(|x| x.safety == safety))
        };
        [
            (false, has(FixSafety::Safe)),
            (true, has(FixSafety::Review)),
        ]
        .into_iter()
        .filter(|(_, any)| *any)
        .map(|(include_review, _)| include_review)
        .collect()
    }

    /// The edits of "fix all": the same passes as `check --fix` (safe fixes until nothing
    /// changes), then, when some fixes need review, the same with them (`--unsafe-fixes`) as
    /// a second action the author picks knowingly. Each entry says whether it includes fixes
    /// that need review; an entry that changes nothing, or nothing more, is left out.
    pub fn fix_all(&self, path: &str, text: &str, config: Option<&Config>) -> &[(bool, Edit)] {
        self.fix_all.get_or_init(|| {
            let mut out: Vec<(bool, Edit)> = Vec::new();
            let mut seen: Vec<String> = Vec::new();
            for include_review in self.fix_all_kinds() {
                let run = crate::engine::fix(
                    &[(path.to_string(), text.as_bytes().to_vec())],
                    &lint_options(config),
                    include_review,
                );
                let Some(changed) = run.changed.first() else {
                    continue;
                };
                if seen.contains(&changed.after) {
                    continue;
                }
                if let Some(edit) = whole_change(&changed.before, &changed.after) {
                    seen.push(changed.after.clone());
                    out.push((include_review, edit));
                }
            }
            out
        })
    }

    /// The range each finding underlines, in the editor's text.
    pub fn ranges(&self, index: &LineIndex<'_>) -> Vec<Range> {
        let text = self.result.files.first().map_or("", |f| f.source.text());
        self.result
            .findings
            .iter()
            .map(|f| {
                let (start, end) = finding_span(text, f);
                index.range(start, end)
            })
            .collect()
    }

    /// The diagnostics to publish: findings (severity by rollout stage when a policy
    /// applies), then documents or files that could not be read.
    pub fn diagnostics(&self, index: &LineIndex<'_>, config: Option<&Config>) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .result
            .findings
            .iter()
            .zip(&self.stages)
            .zip(self.ranges(index))
            .map(|((f, stage), range)| {
                let severity = match stage {
                    Some(Mode::Enforce) => DiagnosticSeverity::ERROR,
                    Some(Mode::Warn) => DiagnosticSeverity::WARNING,
                    Some(Mode::Audit | Mode::Off) => DiagnosticSeverity::INFORMATION,
                    None => match f.severity {
                        Severity::Error => DiagnosticSeverity::ERROR,
                        Severity::Warning => DiagnosticSeverity::WARNING,
                        Severity::Info => DiagnosticSeverity::INFORMATION,
                    },
                };
                Diagnostic {
                    range,
                    severity: Some(severity),
                    code: Some(NumberOrString::String(f.rule.to_string())),
                    code_description: guidance_link(config, f.rule)
                        .parse::<Uri>()
                        .ok()
                        .map(|href| CodeDescription { href }),
                    source: Some(SOURCE.to_string()),
                    message: f.message.clone(),
                    ..Diagnostic::default()
                }
            })
            .collect();
        for e in &self.result.errors {
            // Line and column are 1-based, 0 when unknown: the whole file is at its start.
            let position = lsp_types::Position::new(
                e.line.saturating_sub(1) as u32,
                e.column.saturating_sub(1) as u32,
            );
            let start = index.engine_byte(position);
            let text = self.result.files.first().map_or("", |f| f.source.text());
            let line_end = text[start.min(text.len())..]
                .find('\n')
                .map_or(text.len(), |i| start + i);
            out.push(Diagnostic {
                range: index.range(start, line_end.max(start)),
                severity: Some(DiagnosticSeverity::ERROR),
                source: Some(SOURCE.to_string()),
                message: e.message.clone(),
                ..Diagnostic::default()
            });
        }
        out
    }
}

/// Engine edits as LSP text edits on the editor's text.
pub(crate) fn text_edits(index: &LineIndex<'_>, edits: &[Edit]) -> Vec<TextEdit> {
    edits
        .iter()
        .map(|e| TextEdit {
            range: index.range(e.start, e.end),
            new_text: e.replacement.clone(),
        })
        .collect()
}

/// One edit turning `old` into `new` (BOM-less texts): the span between their common prefix
/// and suffix, cut at character boundaries.
pub(crate) fn whole_change(old: &str, new: &str) -> Option<Edit> {
    if old == new {
        return None;
    }
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    Some(Edit {
        start: prefix,
        end: old.len() - suffix,
        replacement: new[prefix..new.len() - suffix].to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_change_is_the_span_between_common_ends() {
        let e = whole_change("a: 1\nb: 2\n", "a: 1\nc: 3\nb: 2\n").unwrap();
        assert_eq!(
            crate::fix::apply_edits("a: 1\nb: 2\n", std::slice::from_ref(&e)).unwrap(),
            "a: 1\nc: 3\nb: 2\n"
        );
        assert!(e.end - e.start <= 1, "{e:?}");
        assert!(whole_change("x", "x").is_none());
        // Never inside a character.
        let e = whole_change("é", "è").unwrap();
        assert_eq!((e.start, e.end, e.replacement.as_str()), (0, 2, "è"));
    }
}
