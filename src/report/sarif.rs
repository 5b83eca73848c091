//! SARIF 2.1.0 for code scanning (GitHub's "Security" tab, IDE viewers): one run, the rules
//! that fired with links to their guidance pages, one result per finding with the field's
//! region, and each fix as a SARIF `fix` whose replacements are the fix's byte edits.

use serde::Serialize;

use super::{ReportContext, field_span, severity_level, stage_level};
use crate::engine::LintResult;
use crate::finding::{Finding, FixSafety};
use crate::manifest::SourceText;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/kubenudge/kubenudge";

// The log is serialized from borrowed, typed parts rather than a `serde_json::Value` tree: a
// big repository has tens of thousands of results, and a tree of maps costs several times
// the output's size.

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    invocations: [Invocation<'a>; 1],
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<RuleDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    help_uri: String,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text<T = String> {
    text: T,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: [&'static str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    message: Text<&'a str>,
    locations: [Location<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    logical_locations: Option<[LogicalLocation<'a>; 1]>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: String,
    kind: &'a str,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text<&'a str>,
    locations: [Location<'a>; 1],
    partial_fingerprints: Fingerprints,
    properties: ResultProperties,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "kubenudge/v1")]
    v1: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties {
    object: String,
    field_path: String,
    stage: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix_safety: Option<&'static str>,
    /// The Kustomize entry points whose build has the finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    overlays: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    description: Text,
    artifact_changes: [ArtifactChange<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange<'a> {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement<'a> {
    deleted_region: Region,
    inserted_content: Text<&'a str>,
}

pub fn render_sarif(result: &LintResult, cx: &ReportContext<'_>) -> String {
    // The rules that fired, by id; results refer to them by index.
    let mut rule_ids: Vec<&'static str> = result.findings.iter().map(|f| f.rule).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules = rule_ids.iter().map(|id| rule(id, cx)).collect();
    let results = result
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let index = rule_ids.binary_search(&f.rule).expect("rule listed");
            finding_result(f, index, cx.stage(i), result)
        })
        .collect();
    let notifications = result
        .errors
        .iter()
        .map(|e| Notification {
            level: "error",
            message: Text { text: &e.message },
            locations: [Location {
                physical_location: PhysicalLocation {
                    artifact_location: artifact(&e.file),
                    region: Region {
                        start_line: e.line.max(1),
                        start_column: e.column.max(1),
                        end_line: None,
                        end_column: None,
                    },
                },
                logical_locations: None,
            }],
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "kubenudge",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules,
                },
            },
            invocations: [Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications,
            }],
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_string_pretty(&log).expect("SARIF serializes") + "\n"
}

fn rule(id: &'static str, cx: &ReportContext<'_>) -> RuleDescriptor {
    let rule = crate::rules::find(id);
    let summary = rule.map_or("", |r| r.summary());
    let url = cx.guidance_url(id);
    RuleDescriptor {
        id,
        name: id.rsplit('/').next().unwrap_or(id),
        short_description: Text {
            text: summary.to_string(),
        },
        help: Help {
            text: format!("{summary}. Guidance: {url} (or `kubenudge explain {id}`)."),
            markdown: format!(
                "{summary}. [Guidance: what to change, edge cases, exceptions]({url})"
            ),
        },
        help_uri: url,
        default_configuration: Configuration {
            level: rule.map_or("warning", |r| severity_level(r.severity())),
        },
        properties: RuleProperties {
            tags: [crate::rules::family(id)],
        },
    }
}

fn finding_result<'a>(
    f: &'a Finding,
    rule_index: usize,
    stage: crate::config::Mode,
    result: &LintResult,
) -> SarifResult<'a> {
    let file = result.file(&f.file);
    let field_region = match file {
        Some(file) => {
            let (start, end) = field_span(&file.source, f.byte);
            region(&file.source, start, end)
        }
        None => Region {
            start_line: f.line,
            start_column: f.column,
            end_line: None,
            end_column: None,
        },
    };
    let location = artifact(&f.file);
    let fix = f.fix.as_ref().zip(file);
    let fix_safety = fix.map(|(fix, _)| match fix.safety {
        FixSafety::Safe => "safe",
        FixSafety::Review => "needs review",
    });
    let fixes = match (fix, fix_safety) {
        (Some((fix, file)), Some(safety)) => {
            let mut description = format!("{} ({safety})", fix.title);
            if !fix.caveat.is_empty() {
                description.push_str(&format!(": {}", fix.caveat));
            }
            vec![SarifFix {
                description: Text { text: description },
                artifact_changes: [ArtifactChange {
                    artifact_location: location.clone(),
                    replacements: fix
                        .edits
                        .iter()
                        .map(|e| Replacement {
                            deleted_region: region(&file.source, e.start, e.end),
                            inserted_content: Text {
                                text: &e.replacement,
                            },
                        })
                        .collect(),
                }],
            }]
        }
        _ => Vec::new(),
    };
    SarifResult {
        rule_id: f.rule,
        rule_index,
        level: stage_level(stage),
        message: Text { text: &f.message },
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location: location,
                region: field_region,
            },
            logical_locations: Some([LogicalLocation {
                fully_qualified_name: format!("{}#{}", f.object, f.field_path),
                kind: "member",
            }]),
        }],
        partial_fingerprints: Fingerprints {
            v1: f.fingerprint(),
        },
        properties: ResultProperties {
            object: f.object.to_string(),
            field_path: f.field_path.to_string(),
            stage: stage.to_string(),
            fix_safety,
            overlays: f.overlays.clone(),
        },
        fixes,
    }
}

/// A region from byte offsets; an empty range is an insertion point.
fn region(src: &SourceText, start: usize, end: usize) -> Region {
    let (start_line, start_column) = src.line_col(start);
    let (end_line, end_column) = src.line_col(end);
    Region {
        start_line,
        start_column,
        end_line: Some(end_line),
        end_column: Some(end_column),
    }
}

fn artifact(path: &str) -> ArtifactLocation {
    ArtifactLocation {
        uri: uri(path),
        uri_base_id: "%SRCROOT%",
    }
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
