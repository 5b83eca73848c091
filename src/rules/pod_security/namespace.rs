//! The Pod Security policy a `Namespace` sets through its `pod-security.kubernetes.io/*`
//! labels.
//!
//! A namespace can carry three modes at once (`enforce`, `warn`, `audit`), each with a level
//! and a version. kubenudge judges a workload by one of them, chosen in this order:
//! `enforce` first, because kubenudge predicts what the cluster will block; then `warn`
//! (what `kubectl apply` prints); then `audit` (what lands in the audit log). A mode whose
//! level label is missing is skipped; its version label alone changes nothing.
//!
//! Invalid values behave as in PSA: an invalid `enforce` level means `restricted` (PSA fails
//! closed), an invalid `warn` or `audit` level means `privileged`, and a version that is not
//! `latest` or `v1.N` means `latest`.

use std::collections::{BTreeMap, HashMap};

use crate::manifest::ManifestFile;
use crate::policy::{Level, PssPolicy, Version};

const PREFIX: &str = "pod-security.kubernetes.io/";
const MODES: [&str; 3] = ["enforce", "warn", "audit"];

/// The policy of every labelled `Namespace` in `files`, by namespace name. When the same
/// namespace is declared twice, the first declaration wins.
pub(super) fn policies(files: &[ManifestFile]) -> HashMap<String, PssPolicy> {
    let mut out = HashMap::new();
    for file in files {
        for object in &file.objects {
            let Some(ns) = object.kept.namespace() else {
                continue;
            };
            let Some(name) = ns.metadata.name.as_deref() else {
                continue;
            };
            let Some(labels) = ns.metadata.labels.as_ref() else {
                continue;
            };
            if let Some(policy) = policy_from_labels(name, labels) {
                out.entry(name.to_string()).or_insert(policy);
            }
        }
    }
    out
}

/// The policy the labels of Namespace `namespace` set, if any mode has a level label.
pub(super) fn policy_from_labels(
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Option<PssPolicy> {
    for mode in MODES {
        let level_key = format!("{PREFIX}{mode}");
        let Some(level_value) = labels.get(&level_key) else {
            continue;
        };
        let mut notes = Vec::new();
        let level = level_value.parse::<Level>().unwrap_or_else(|_| {
            let fallback = if mode == "enforce" {
                Level::Restricted
            } else {
                Level::Privileged
            };
            notes.push(format!(
                "{level_value:?} is not a level, so PSA uses {fallback}"
            ));
            fallback
        });
        let version_key = format!("{level_key}-version");
        let version_value = labels.get(&version_key);
        let version = match version_value {
            None => Version::Latest,
            Some(v) => v.parse::<Version>().unwrap_or_else(|_| {
                notes.push(format!("{v:?} is not a version, so PSA uses latest"));
                Version::Latest
            }),
        };
        let mut origin = match version_value {
            Some(v) => format!(
                "labels {level_key}={level_value}, {version_key}={v} on Namespace {namespace}"
            ),
            None => format!("label {level_key}={level_value} on Namespace {namespace}"),
        };
        if !notes.is_empty() {
            origin.push_str("; ");
            origin.push_str(&notes.join("; "));
        }
        return Some(PssPolicy {
            level,
            version,
            origin: Some(origin),
        });
    }
    None
}
