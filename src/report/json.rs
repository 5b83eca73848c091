use serde::Serialize;

use crate::engine::LintResult;
use crate::manifest::ObjectRef;

#[derive(Serialize)]
struct JsonReport<'a> {
    findings: Vec<JsonFinding<'a>>,
    errors: &'a [crate::manifest::ReadError],
    skipped: Vec<JsonSkipped<'a>>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    object: &'a ObjectRef,
    fix: bool,
    severity: crate::finding::Severity,
    field_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    /// The Kustomize entry points whose build has the finding (absent for plain files).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    overlays: &'a [String],
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    file: &'a str,
    reason: &'static str,
}

/// The stable JSON shape: `{"findings":[…],"errors":[…],"skipped":[…]}`.
pub fn render_json(result: &LintResult) -> String {
    let report = JsonReport {
        findings: result
            .findings
            .iter()
            .map(|f| JsonFinding {
                rule: f.rule,
                file: &f.file,
                line: f.line,
                column: f.column,
                message: &f.message,
                object: &f.object,
                fix: f.fix.is_some(),
                severity: f.severity,
                field_path: f.field_path.to_string(),
                policy: f.policy.as_deref(),
                overlays: &f.overlays,
            })
            .collect(),
        errors: &result.errors,
        skipped: result
            .skipped
            .iter()
            .map(|(file, reason)| JsonSkipped {
                file,
                reason: super::text::skip_reason(reason),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&report).expect("report serializes") + "\n"
}
