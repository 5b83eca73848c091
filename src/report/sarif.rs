//! SARIF 2.1.0 for code scanning (GitHub's "Security" tab, IDE viewers): one run, the rules
//! that fired with links to their guidance pages, one result per finding with the field's
//! region, and each fix as a SARIF `fix` whose replacements are the fix's byte edits.

use serde_json::{Value, json};

use super::{ReportContext, field_span, severity_level, stage_level};
use crate::engine::LintResult;
use crate::finding::{Finding, FixSafety};
use crate::manifest::SourceText;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/kubenudge/kubenudge";

pub fn render_sarif(result: &LintResult, cx: &ReportContext<'_>) -> String {
    // Rules in the order they first fire; results refer to them by index.
    let mut rule_ids: Vec<&'static str> = Vec::new();
    for f in &result.findings {
        if !rule_ids.contains(&f.rule) {
            rule_ids.push(f.rule);
        }
    }
    rule_ids.sort_unstable();
    let rules: Vec<Value> = rule_ids.iter().map(|id| rule(id, cx)).collect();
    let results: Vec<Value> = result
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let index = rule_ids.binary_search(&f.rule).expect("rule listed");
            finding_result(f, index, cx.stage(i), result)
        })
        .collect();
    let notifications: Vec<Value> = result
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": e.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": artifact(&e.file),
                    "region": {"startLine": e.line.max(1), "startColumn": e.column.max(1)},
                }}],
            })
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubenudge",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).expect("SARIF serializes") + "\n"
}

fn rule(id: &str, cx: &ReportContext<'_>) -> Value {
    let rule = crate::rules::find(id);
    let summary = rule.map_or("", |r| r.summary());
    let url = cx.guidance_url(id);
    let level = rule.map_or("warning", |r| severity_level(r.severity()));
    json!({
        "id": id,
        "name": id.rsplit('/').next().unwrap_or(id),
        "shortDescription": {"text": summary},
        "helpUri": url,
        "help": {
            "text": format!("{summary}. Guidance: {url} (or `kubenudge explain {id}`)."),
            "markdown": format!("{summary}. [Guidance: what to change, edge cases, exceptions]({url})"),
        },
        "defaultConfiguration": {"level": level},
        "properties": {"tags": [crate::rules::family(id)]},
    })
}

fn finding_result(
    f: &Finding,
    rule_index: usize,
    stage: crate::config::Mode,
    result: &LintResult,
) -> Value {
    let file = result.file(&f.file);
    let field_region = match file {
        Some(file) => {
            let (start, end) = field_span(&file.source, f.byte);
            region(&file.source, start, end)
        }
        None => json!({"startLine": f.line, "startColumn": f.column}),
    };
    let mut value = json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": stage_level(stage),
        "message": {"text": f.message},
        "locations": [{
            "physicalLocation": {"artifactLocation": artifact(&f.file), "region": field_region},
            "logicalLocations": [{"fullyQualifiedName": format!("{}#{}", f.object, f.field_path), "kind": "member"}],
        }],
        "partialFingerprints": {"kubenudge/v1": f.fingerprint()},
        "properties": {
            "object": f.object.to_string(),
            "fieldPath": f.field_path.to_string(),
            "stage": stage.to_string(),
        },
    });
    if let (Some(fix), Some(file)) = (&f.fix, file) {
        let replacements: Vec<Value> = fix
            .edits
            .iter()
            .map(|e| {
                json!({
                    "deletedRegion": region(&file.source, e.start, e.end),
                    "insertedContent": {"text": e.replacement},
                })
            })
            .collect();
        let safety = match fix.safety {
            FixSafety::Safe => "safe",
            FixSafety::Review => "needs review",
        };
        let mut description = format!("{} ({safety})", fix.title);
        if !fix.caveat.is_empty() {
            description.push_str(&format!(": {}", fix.caveat));
        }
        value["fixes"] = json!([{
            "description": {"text": description},
            "artifactChanges": [{"artifactLocation": artifact(&f.file), "replacements": replacements}],
        }]);
        value["properties"]["fixSafety"] = json!(safety);
    }
    value
}

/// A region from byte offsets; an empty range is an insertion point.
fn region(src: &SourceText, start: usize, end: usize) -> Value {
    let (start_line, start_column) = src.line_col(start);
    let (end_line, end_column) = src.line_col(end);
    json!({
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    })
}

fn artifact(path: &str) -> Value {
    json!({"uri": uri(path), "uriBaseId": "%SRCROOT%"})
}

/// A relative path as a URI reference: `/` separators, reserved characters escaped.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.replace('\\', "/").chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '~' | '/' => out.push(c),
            c => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_become_relative_uri_references() {
        assert_eq!(
            super::uri("deploy/my app#1.yaml"),
            "deploy/my%20app%231.yaml"
        );
        assert_eq!(super::uri("k8s\\ü.yaml"), "k8s/%C3%BC.yaml");
    }
}
