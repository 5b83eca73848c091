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
                    rule.severity()
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

/// How many times `--fix` lints and fixes before it stops (ruff uses the same idea): a fix can
/// reveal another finding, and overlapping fixes wait for the next pass.
pub const MAX_FIX_PASSES: usize = 10;

/// A file `--fix` changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedFile {
    pub path: String,
    /// Text before and after (BOM excluded), for diffs.
    pub before: String,
    pub after: String,
    /// The bytes to write: `after`, with the BOM again if the file had one.
    pub bytes: Vec<u8>,
}

/// What a fix run did.
#[derive(Debug, Default)]
pub struct FixRun {
    /// The lint of the files as fixed: what remains.
    pub result: LintResult,
    pub changed: Vec<FixedFile>,
    /// Fixes applied over all passes.
    pub applied: usize,
    pub passes: usize,
}

/// Lints, applies the fixes allowed (safe ones, and with `include_unsafe` the others too),
/// and repeats until nothing changes or [`MAX_FIX_PASSES`] is reached. Pure: the caller
/// writes the files.
pub fn fix(inputs: &[(String, Vec<u8>)], options: &LintOptions, include_unsafe: bool) -> FixRun {
    let mut current: Vec<(String, Vec<u8>)> = inputs.to_vec();
    let mut applied = 0;
    let mut passes = 0;
    let result = loop {
        let result = lint(&current, options);
        if passes == MAX_FIX_PASSES {
            break result;
        }
        let mut changed = false;
        for file in &result.files {
            let fixes: Vec<&crate::finding::Fix> = result
                .findings
                .iter()
                .filter(|f| f.file == file.path)
                .filter_map(|f| f.fix.as_ref())
                .filter(|f| crate::fix::applicable(f, include_unsafe))
                .collect();
            if fixes.is_empty() {
                continue;
            }
            let out = crate::fix::fix_file(file, &fixes);
            if out.applied == 0 || out.text == file.source.text() {
                continue;
            }
            applied += out.applied;
            let mut bytes = Vec::with_capacity(out.text.len() + 3);
            if file.source.has_bom() {
                bytes.extend_from_slice("\u{feff}".as_bytes());
            }
            bytes.extend_from_slice(out.text.as_bytes());
            if let Some(slot) = current.iter_mut().find(|(p, _)| *p == file.path) {
                slot.1 = bytes;
                changed = true;
            }
        }
        passes += 1;
        if !changed {
            break result;
        }
    };
    let changed = inputs
        .iter()
        .zip(&current)
        .filter(|((_, a), (_, b))| a != b)
        .map(|((path, a), (_, b))| {
            let text = |bytes: &[u8]| {
                let s = String::from_utf8_lossy(bytes).into_owned();
                s.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(s)
            };
            FixedFile {
                path: path.clone(),
                before: text(a),
                after: text(b),
                bytes: b.clone(),
            }
        })
        .collect();
    FixRun {
        result,
        changed,
        applied,
        passes,
    }
}
