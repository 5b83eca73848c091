//! GitHub Actions workflow commands: one `::error|warning|notice file=…,line=…,col=…,title=…::`
//! line per finding, so findings show on the pull request's diff from any CI log. The level
//! follows the finding's rollout stage (enforce → error, warn → warning, audit → notice).

use std::fmt::Write as _;

use super::{ReportContext, stage_level};
use crate::engine::LintResult;

pub fn render_github(result: &LintResult, cx: &ReportContext<'_>) -> String {
    let mut out = String::new();
    for (i, f) in result.findings.iter().enumerate() {
        let command = match stage_level(cx.stage(i)) {
            "error" => "error",
            "warning" => "warning",
            _ => "notice",
        };
        let mut message = f.message.clone();
        if let Some(fix) = &f.fix {
            let _ = write!(message, "\nFix: {}", fix.title);
        }
        let _ = write!(
            message,
            "\nObject: {} · guidance: {}",
            f.object,
            cx.guidance_url(f.rule)
        );
        if !f.overlays.is_empty() {
            let _ = write!(message, "\nOverlays: {}", f.overlays.join(", "));
        }
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},title={}::{}",
            property(&f.file),
            f.line,
            f.column,
            property(&format!("kubenudge ({})", f.rule)),
            data(&message)
        );
    }
    for e in &result.errors {
        let _ = writeln!(
            out,
            "::error file={},line={},col={},title={}::{}",
            property(&e.file),
            e.line.max(1),
            e.column.max(1),
            property("kubenudge (unreadable manifest)"),
            data(&e.message)
        );
    }
    out
}

/// Escapes a command's message (GitHub's `escapeData`).
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value (GitHub's `escapeProperty`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_escaped_as_the_runner_expects() {
        assert_eq!(super::data("50%\nnext"), "50%25%0Anext");
        assert_eq!(super::property("a:b,c"), "a%3Ab%2Cc");
    }
}
