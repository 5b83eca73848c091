//! Rules: plain functions from one object to violations. One file per rule, grouped by family
//! (`pod_security/`, `hardening/`, `deprecations/`); the registry and the documentation table are generated
//! by `build.rs` from those files, so a rule joins by adding its file.

pub mod deprecations;
pub mod hardening;
pub mod kubenudge;
pub mod pod;
pub mod pod_security;
pub mod selection;

use crate::finding::{Severity, Violation};
use crate::manifest::{FieldPath, ManifestFile, Object, PodTemplateRef};
use crate::policy::PssPolicy;

include!(concat!(env!("OUT_DIR"), "/registry.rs"));

/// Whether a rule can offer a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixAvailability {
    Always,
    Sometimes,
    Never,
}

/// What a rule sees of one object.
pub struct RuleContext<'a> {
    pub file: &'a ManifestFile,
    pub object: &'a Object,
    /// The Pod Security level and version that apply to this object.
    pub pss: &'a PssPolicy,
}

impl<'a> RuleContext<'a> {
    pub fn pod_template(&self) -> Option<PodTemplateRef<'a>> {
        self.object.typed.pod_template()
    }

    /// True when `path` (relative to the object) is written in the file.
    pub fn exists(&self, path: &FieldPath) -> bool {
        self.file.node_at(self.object, path).is_some()
    }
}

pub trait Rule: Sync {
    /// `family/name`; matches the file the rule lives in.
    fn id(&self) -> &'static str;
    /// One line for `kubenudge rules`.
    fn summary(&self) -> &'static str;
    fn fix_availability(&self) -> FixAvailability {
        FixAvailability::Never
    }
    /// How bad a finding is when the engine does not decide (it makes Pod Security findings
    /// errors): a warning, unless the manifest cannot work as written.
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation>;
}

/// All rules, in id order.
pub fn all() -> Vec<&'static dyn Rule> {
    let mut rules: Vec<&'static dyn Rule> = RULES.to_vec();
    rules.sort_by_key(|r| r.id());
    rules
}

pub fn find(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.id() == id)
}

/// The guidance page of a rule, from its file's `//!` comment.
pub fn doc(id: &str) -> Option<&'static str> {
    RULE_DOCS.iter().find(|(i, _)| *i == id).map(|(_, d)| *d)
}

/// The family part of an id: `pod-security` for `pod-security/privileged`.
pub fn family(id: &str) -> &str {
    id.split_once('/').map_or(id, |(f, _)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_id_matches_its_file_and_has_a_doc() {
        assert!(!RULES.is_empty());
        for rule in RULES {
            let doc = doc(rule.id()).unwrap_or_else(|| panic!("{} has no file doc", rule.id()));
            assert!(doc.len() > 100, "{} doc is too short", rule.id());
        }
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id()).collect();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }
}
