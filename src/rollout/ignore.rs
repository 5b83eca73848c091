//! Inline ignores: the annotation `ignore.kubenudge.io/<rule-name>: "<reason>"` on an object or
//! on its pod template silences that rule for that object.
//!
//! Read from the YAML tree rather than the typed object so that ignores on any kind are seen,
//! and so that each one can be located on its line.

use crate::manifest::{FieldPath, ManifestFile, NodeKind, Object};

pub const IGNORE_PREFIX: &str = "ignore.kubenudge.io/";

/// One `ignore.kubenudge.io/…` annotation as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreAnnotation {
    /// The NAME part of a `family/name` rule id, e.g. `host-namespaces`.
    pub rule_name: String,
    /// Trimmed; empty when the value is empty, blank or not a string.
    pub reason: String,
    /// Path of the annotation from the object root.
    pub path: FieldPath,
}

impl IgnoreAnnotation {
    /// The registered rules it names (one name may exist in several families).
    pub fn rules(&self) -> Vec<&'static str> {
        crate::rules::all()
            .iter()
            .map(|r| r.id())
            .filter(|id| rule_name(id) == self.rule_name)
            .collect()
    }

    /// Has a reason and names a rule: only such an ignore silences anything.
    pub fn is_valid(&self) -> bool {
        !self.reason.is_empty() && !self.rules().is_empty()
    }

    /// True when it silences findings of `rule` (an id).
    pub fn covers(&self, rule: &str) -> bool {
        self.is_valid() && rule_name(rule) == self.rule_name
    }
}

/// The NAME part of `family/name`.
pub fn rule_name(id: &str) -> &str {
    id.split_once('/').map_or(id, |(_, n)| n)
}

/// Every ignore annotation of `object`: its own metadata first, then its pod template's.
pub fn ignore_annotations(file: &ManifestFile, object: &Object) -> Vec<IgnoreAnnotation> {
    let mut metadata_paths = vec![FieldPath::root().key("metadata")];
    if let Some(t) = object.template.as_deref()
        && !t.prefix.is_empty()
    {
        metadata_paths.push(FieldPath::parse(t.prefix).key("metadata"));
    }
    let tree = &file.tree;
    let mut out = Vec::new();
    for meta in metadata_paths {
        let annotations = meta.key("annotations");
        let Some(node) = file.node_at(object, &annotations) else {
            continue;
        };
        for e in tree.entries(node) {
            let Some(name) = e.key.strip_prefix(IGNORE_PREFIX) else {
                continue;
            };
            let reason = match &tree.node(e.value).kind {
                NodeKind::Str(s) => s.trim().to_string(),
                _ => String::new(),
            };
            out.push(IgnoreAnnotation {
                rule_name: name.to_string(),
                reason,
                path: annotations.clone().key(e.key.clone()),
            });
        }
    }
    out
}
