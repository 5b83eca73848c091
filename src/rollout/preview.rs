//! Namespace label change preview: the pull-request equivalent of
//! `kubectl label --dry-run=server ns/payments pod-security.kubernetes.io/enforce=restricted`.
//!
//! When a pull request changes a Namespace's `pod-security.kubernetes.io/<mode>` or
//! `<mode>-version` label (`enforce`, `warn` or `audit`), every workload of that namespace in
//! the head commit is judged at the new level, whether or not the pull request touches it,
//! and those the cluster would reject (enforce), warn about (warn) or record in its audit log
//! (audit) are listed.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Config, LEVEL_MODES, Mode};
use crate::engine::{LintOptions, lint};
use crate::manifest::{Limits, ObjectRef, Typed, read_manifest};
use crate::policy::{Level, PssPolicy, Version};

use super::namespace::NamespaceResolver;

/// Every Pod Security Admission label starts so.
pub const PSA_LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// The level label of a mode: `pod-security.kubernetes.io/warn`.
pub fn level_label(mode: Mode) -> String {
    format!("{PSA_LABEL_PREFIX}{mode}")
}

/// The labels of one mode of a Namespace, as written (absent labels are `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModeLabels {
    pub level: Option<String>,
    pub version: Option<String>,
}

/// A workload that the new labels would reject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockedWorkload {
    pub object: ObjectRef,
    pub file: String,
    pub line: usize,
    /// Rule ids that fail, sorted.
    pub rules: Vec<&'static str>,
}

/// One Namespace whose labels of one mode the pull request changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelChangePreview {
    pub namespace: String,
    /// `enforce` (pods rejected), `warn` (kubectl warns) or `audit` (audit log entries).
    pub mode: Mode,
    /// The file and line of the Namespace object in the head commit.
    pub file: String,
    pub line: usize,
    pub before: ModeLabels,
    pub after: ModeLabels,
    /// The policy the workloads were judged at; `None` when the new labels enforce nothing
    /// (`privileged`, or the label was removed).
    pub policy: Option<PssPolicy>,
    /// Workloads of the namespace in the head commit.
    pub workloads: usize,
    pub blocked: Vec<BlockedWorkload>,
    /// A label value PSA would not accept (the Namespace itself would be rejected).
    pub invalid_label: Option<String>,
}

/// Previews every label change (each mode) between two file sets (path → bytes), judging workloads
/// with the Pod Security rules.
pub fn preview_label_changes(
    base: &[(String, Vec<u8>)],
    head: &[(String, Vec<u8>)],
    config: &Config,
) -> Vec<LabelChangePreview> {
    preview_label_changes_with(base, head, config, |rule| {
        crate::rules::family(rule) == "pod-security"
    })
}

/// As [`preview_label_changes`], with the rules that make PSA reject a pod given by `rejects`.
pub fn preview_label_changes_with(
    base: &[(String, Vec<u8>)],
    head: &[(String, Vec<u8>)],
    config: &Config,
    rejects: impl Fn(&str) -> bool,
) -> Vec<LabelChangePreview> {
    let before = namespace_labels(base);
    let after = namespace_labels(head);
    type Change = (String, Mode, ModeLabels, (ModeLabels, String, usize));
    let mut changed: Vec<Change> = Vec::new();
    for (ns, (labels, file, line)) in &after {
        for (i, mode) in LEVEL_MODES.into_iter().enumerate() {
            let old = before
                .get(ns)
                .map(|(l, _, _)| l[i].clone())
                .unwrap_or_default();
            if old != labels[i] {
                changed.push((
                    ns.clone(),
                    mode,
                    old,
                    (labels[i].clone(), file.clone(), *line),
                ));
            }
        }
    }
    if changed.is_empty() {
        return Vec::new();
    }
    let head_files = lint(head, &LintOptions::default());
    let resolver = NamespaceResolver::from_lint(&head_files, "");
    let mut out = Vec::new();
    for (namespace, mode, old, (labels, file, line)) in changed {
        let (policy, invalid_label) = policy_of(mode, &labels);
        let mut preview = LabelChangePreview {
            namespace: namespace.clone(),
            mode,
            file,
            line,
            before: old,
            after: labels,
            policy: policy.clone(),
            workloads: 0,
            blocked: Vec::new(),
            invalid_label,
        };
        // Only the files holding workloads of this namespace are judged again.
        let mut members: BTreeSet<(String, ObjectRef)> = BTreeSet::new();
        for f in &head_files.files {
            for o in &f.objects {
                let ns =
                    resolver.resolve(o.namespace.as_deref(), &o.kind, &o.name, &f.path, config);
                if ns.name == namespace && o.template.is_some() {
                    members.insert((f.path.clone(), o.reference()));
                }
            }
        }
        preview.workloads = members.len();
        if let Some(pss) = policy.filter(|p| p.level != Level::Privileged) {
            let paths: BTreeSet<&str> = members.iter().map(|(p, _)| p.as_str()).collect();
            let inputs: Vec<(String, Vec<u8>)> = head
                .iter()
                .filter(|(p, _)| paths.contains(p.as_str()))
                .cloned()
                .collect();
            let options = LintOptions {
                pss,
                pss_explicit: true,
                // What the cluster will reject does not depend on the rules a team selected:
                // every rule runs (the default selection).
                ..LintOptions::default()
            };
            let result = lint(&inputs, &options);
            let mut blocked: BTreeMap<(String, ObjectRef), BlockedWorkload> = BTreeMap::new();
            for finding in result.findings.iter().filter(|f| rejects(f.rule)) {
                let key = (finding.file.clone(), finding.object.clone());
                if !members.contains(&key) {
                    continue;
                }
                let entry = blocked.entry(key).or_insert_with(|| BlockedWorkload {
                    object: finding.object.clone(),
                    file: finding.file.clone(),
                    line: object_line(&result, &finding.file, &finding.object),
                    rules: Vec::new(),
                });
                if !entry.rules.contains(&finding.rule) {
                    entry.rules.push(finding.rule);
                    entry.rules.sort();
                }
            }
            preview.blocked = blocked.into_values().collect();
        }
        out.push(preview);
    }
    out
}

/// The policy the labels of `mode` apply, and the complaint about a label PSA would reject.
fn policy_of(mode: Mode, labels: &ModeLabels) -> (Option<PssPolicy>, Option<String>) {
    let Some(level) = &labels.level else {
        return (None, None);
    };
    let label = level_label(mode);
    let level = match level.parse::<Level>() {
        Ok(l) => l,
        Err(e) => return (None, Some(format!("{label}: {e}"))),
    };
    let version = match labels.version.as_deref().map(str::parse::<Version>) {
        None => Version::Latest,
        Some(Ok(v)) => v,
        Some(Err(e)) => return (None, Some(format!("{label}-version: {e}"))),
    };
    (
        Some(PssPolicy {
            level,
            version,
            origin: Some(format!("proposed label {label}={level}")),
        }),
        None,
    )
}

fn object_line(result: &crate::engine::LintResult, file: &str, object: &ObjectRef) -> usize {
    result
        .file(file)
        .and_then(|f| {
            let o = f.objects.iter().find(|o| &o.reference() == object)?;
            Some(f.source.line_col(f.tree.node(o.node).span().start).0)
        })
        .unwrap_or(1)
}

/// Namespace name → (labels of enforce, warn and audit, file, line) for every Namespace
/// object in the set.
fn namespace_labels(
    files: &[(String, Vec<u8>)],
) -> BTreeMap<String, ([ModeLabels; 3], String, usize)> {
    let limits = Limits::default();
    let mut out = BTreeMap::new();
    for (path, bytes) in files {
        let Ok(file) = read_manifest(path, bytes, &limits) else {
            continue;
        };
        for o in &file.objects {
            let Typed::Namespace(ns) = &o.kept else {
                continue;
            };
            let labels = ns.metadata.labels.as_ref();
            let get = |k: &str| labels.and_then(|l| l.get(k)).cloned();
            let line = file.source.line_col(file.tree.node(o.node).span().start).0;
            let of = |mode: Mode| ModeLabels {
                level: get(&level_label(mode)),
                version: get(&format!("{}-version", level_label(mode))),
            };
            out.insert(o.name.clone(), (LEVEL_MODES.map(of), path.clone(), line));
        }
    }
    out
}
