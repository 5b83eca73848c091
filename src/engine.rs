//! The engine: file contents in, findings out. Pure: no file system, no network, no clock.

use crate::finding::{Finding, Severity};
use crate::manifest::{Limits, ManifestFile, ReadError, SkipReason, read_manifest};
use crate::policy::PssPolicy;
use crate::rules::{self, Rule, RuleContext};

/// What to run and how strictly.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// The Pod Security level and version used when nothing more specific applies.
    pub pss: PssPolicy,
    /// True when `pss` was chosen explicitly (flag or config) and Namespace labels must not
    /// override it.
    pub pss_explicit: bool,
    pub limits: Limits,
}

/// Everything one run produced.
#[derive(Debug, Default)]
pub struct LintResult {
    pub files: Vec<ManifestFile>,
    pub findings: Vec<Finding>,
    pub errors: Vec<ReadError>,
    /// Files that were read but not linted, and why.
    pub skipped: Vec<(String, SkipReason)>,
}

impl LintResult {
    pub fn file(&self, path: &str) -> Option<&ManifestFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// Reads and lints a set of files given as (path, bytes).
pub fn lint(inputs: &[(String, Vec<u8>)], options: &LintOptions) -> LintResult {
    let mut result = LintResult::default();
    for (path, bytes) in inputs {
        match read_manifest(path, bytes, &options.limits) {
            Ok(file) => {
                result.errors.extend(file.errors.iter().cloned());
                if let Some(reason) = &file.skipped {
                    result.skipped.push((path.clone(), reason.clone()));
                }
                result.files.push(file);
            }
            Err(e) => result.errors.push(e),
        }
    }
    let namespaces = crate::rules::pod_security::namespace_policies(&result.files);
    let rules = rules::all();
    for file in &result.files {
        for object in &file.objects {
            let pss = if options.pss_explicit {
                options.pss.clone()
            } else {
                object
                    .namespace
                    .as_deref()
                    .and_then(|ns| namespaces.get(ns).cloned())
                    .unwrap_or_else(|| options.pss.clone())
            };
            let cx = RuleContext {
                file,
                object,
                pss: &pss,
            };
            for rule in &rules {
                result.findings.extend(run_rule(*rule, &cx));
            }
        }
    }
    result.findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.rule).cmp(&(&b.file, b.line, b.column, b.rule))
    });
    result
}

fn run_rule(rule: &dyn Rule, cx: &RuleContext<'_>) -> Vec<Finding> {
    rule.check(cx)
        .into_iter()
        .map(|v| {
            let loc = cx.file.locate(cx.object, &v.path);
            let is_pss = rules::family(rule.id()) == "pod-security";
            Finding {
                rule: rule.id(),
                severity: if is_pss {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                message: v.message,
                file: cx.file.path.clone(),
                byte: loc.byte,
                line: loc.line,
                column: loc.column,
                object: cx.object.reference(),
                field_path: v.path,
                policy: is_pss.then(|| cx.pss.to_string()),
                fix: v
                    .fix
                    .and_then(|plan| crate::fix::realize(cx.file, cx.object, &plan).ok()),
            }
        })
        .collect()
}
