//! Printers for the command line: text with code frames (like ruff and rustc), JSON, SARIF
//! 2.1.0, GitHub Actions workflow commands, and per-rule statistics. They format; they decide
//! nothing (the rollout stage of each finding comes in with [`ReportContext`]), and they never
//! look at the terminal or the environment: colour is the caller's choice.

mod github;
mod json;
mod sarif;
mod statistics;
mod text;

pub use github::render_github;
pub use json::render_json;
pub use sarif::render_sarif;
pub use statistics::{
    FindingTally, RuleCount, count_by_rule, render_statistics, render_statistics_json,
};
pub use text::{
    TextStyle, render_finding_styled, render_text, render_text_styled, write_text_end,
    write_text_styled,
};

use crate::config::Mode;
use crate::finding::Severity;
use crate::manifest::SourceText;

/// What the machine-readable printers need besides the findings.
#[derive(Debug, Clone)]
pub struct ReportContext<'a> {
    /// The rollout stage in force for each finding, parallel to `LintResult::findings`; a
    /// finding without one is enforced (as `check` treats findings without a configuration).
    pub stages: &'a [Mode],
    /// Where `docs/rules/` is published, e.g. `https://github.com/kubenudge/kubenudge/blob/main`.
    pub docs_base_url: &'a str,
}

impl Default for ReportContext<'_> {
    fn default() -> Self {
        Self {
            stages: &[],
            docs_base_url: DEFAULT_DOCS_BASE_URL,
        }
    }
}

/// The guidance pages of the released kubenudge (the App links the same pages).
pub const DEFAULT_DOCS_BASE_URL: &str = "https://github.com/kubenudge/kubenudge/blob/main";

impl ReportContext<'_> {
    fn stage(&self, finding: usize) -> Mode {
        self.stages.get(finding).copied().unwrap_or(Mode::Enforce)
    }

    /// The rule's guidance page (`docs/rules/<family>/<name>.md`).
    pub fn guidance_url(&self, rule: &str) -> String {
        crate::review::guidance_url(
            &crate::review::ReviewConfig {
                docs_base_url: self.docs_base_url.to_string(),
                ..crate::review::ReviewConfig::default()
            },
            rule,
        )
    }
}

/// SARIF's and GitHub's level for a finding at a rollout stage.
fn stage_level(stage: Mode) -> &'static str {
    match stage {
        Mode::Enforce => "error",
        Mode::Warn => "warning",
        Mode::Audit | Mode::Off => "note",
    }
}

fn severity_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The bytes of the field a finding points at, on its line: the key and, when it is written
/// on the same line, its scalar value (`runAsNonRoot: false`); only the key when the value is
/// a block below it or a flow collection; the scalar for a list item (`- NET_RAW`).
pub(crate) fn field_span(src: &SourceText, byte: usize) -> (usize, usize) {
    let text = src.text();
    let byte = byte.min(text.len());
    let line_end = text[byte..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| byte + i);
    let line = &text[byte..line_end];
    let scalar_end = |s: &str| -> usize {
        if let Some(quote @ ('"' | '\'')) = s.chars().next() {
            return s[1..].find(quote).map_or(s.len(), |i| i + 2);
        }
        let end = [s.find(" #"), s.find([',', '}', ']'])]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(s.len());
        s[..end].trim_end().len()
    };
    let key_end = match line
        .find(": ")
        .or_else(|| line.ends_with(':').then(|| line.len() - 1))
    {
        Some(colon) if !line.starts_with(['"', '\'', '{', '[']) => colon,
        _ => {
            let end = scalar_end(line).max(1).min(line.len());
            return (byte, byte + end);
        }
    };
    let after = &line[key_end + 1..];
    let value_start = after.len() - after.trim_start().len();
    let value = &after[value_start..];
    if value.is_empty() || value.starts_with(['{', '[', '|', '>', '#', '&', '*', '!']) {
        return (byte, byte + key_end);
    }
    (byte, byte + key_end + 1 + value_start + scalar_end(value))
}

#[cfg(test)]
mod tests {
    use super::field_span;
    use crate::manifest::SourceText;

    fn span(line: &str) -> &str {
        let src = SourceText::new(line);
        let (s, e) = field_span(&src, 0);
        &line[s..e]
    }

    #[test]
    fn a_field_is_its_key_and_its_scalar_value_on_the_line() {
        assert_eq!(span("runAsNonRoot: false  # no\n"), "runAsNonRoot: false");
        assert_eq!(span("image: \"nginx: 1\"\n"), "image: \"nginx: 1\"");
        assert_eq!(span("securityContext:\n  a: b\n"), "securityContext");
        assert_eq!(
            span("securityContext: {privileged: true}\n"),
            "securityContext"
        );
        assert_eq!(span("NET_RAW]\n"), "NET_RAW");
        assert_eq!(span("privileged: true, x: y}\n"), "privileged: true");
        assert_eq!(span(""), "");
    }
}
