//! The Pod Security Standards, check for check as Pod Security Admission implements them.
//!
//! Each rule file holds one PSA check (its evaluation, its fix plan and its guidance page);
//! this module holds what they share: which check runs at which level and version
//! ([`checks`]), PSA's message helpers ([`text`]) and the policy `Namespace` labels set
//! ([`namespace`]).
include!(concat!(env!("OUT_DIR"), "/rules_pod_security.rs"));

mod checks;
mod namespace;
mod text;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{PodSecurityContext, PodSpec};

use crate::finding::{FixAction, FixPlan, Violation};
use crate::manifest::{FieldPath, ManifestFile, PodTemplateRef};
use crate::policy::PssPolicy;
use crate::rules::pod::{ContainerRef, containers};
use crate::rules::{FixAvailability, Rule, RuleContext};

pub use checks::CheckId;
pub(crate) use text::{go_quote, join_quote, pluralize};

/// The Pod Security policy that `Namespace` objects in the scanned files set for their
/// namespace through `pod-security.kubernetes.io/*` labels.
pub fn namespace_policies(files: &[ManifestFile]) -> HashMap<String, PssPolicy> {
    namespace::policies(files)
}

/// The position of a rule in PSA's aggregated message (baseline checks by PSA id, then
/// restricted checks by PSA id), so findings can be joined into the exact text the API
/// server returns. `None` for rules of other families.
pub fn check_order(rule_id: &str) -> Option<usize> {
    CheckId::ALL.iter().position(|c| c.rule_id() == rule_id)
}

/// A failed check: PSA's reason and detail, where to point, and how to fix it.
#[derive(Debug, Clone)]
pub(crate) struct Forbidden {
    pub reason: String,
    pub detail: String,
    pub path: FieldPath,
    pub fix: Option<FixPlan>,
}

impl Forbidden {
    pub fn new(reason: impl Into<String>, detail: impl Into<String>, path: FieldPath) -> Self {
        Self {
            reason: reason.into(),
            detail: detail.into(),
            path,
            fix: None,
        }
    }

    pub fn with_fix(mut self, fix: Option<FixPlan>) -> Self {
        self.fix = fix;
        self
    }

    /// The finding, its message `reason (detail)` the way PSA prints one check (the detail
    /// left out when empty). The message grows from the reason's own string: one finding per
    /// check that fails, and a big run has hundreds of thousands.
    fn into_violation(self) -> Violation {
        let mut message = self.reason;
        if !self.detail.is_empty() {
            message.reserve_exact(self.detail.len() + 3);
            message.push_str(" (");
            message.push_str(&self.detail);
            message.push(')');
        }
        Violation::new(message, self.path).with_fix(self.fix)
    }
}

/// What a check sees: the pod (or a workload's pod template) and the policy version.
pub(crate) struct PodView<'a> {
    pub metadata_annotations: &'a BTreeMap<String, String>,
    pub spec: &'a PodSpec,
    /// Init, regular and ephemeral containers, in PSA's order.
    pub containers: Vec<ContainerRef<'a>>,
    /// Path of the pod spec from the object root.
    pub spec_path: FieldPath,
    /// Path of the pod (template) metadata from the object root.
    pub metadata_path: FieldPath,
    /// The PSA minor version whose rules apply.
    pub minor: u32,
    /// True for a Pod, false for a workload's pod template: the API server defaults some
    /// fields of Pods only (see `host_ports`).
    pub is_pod: bool,
}

static NO_ANNOTATIONS: BTreeMap<String, String> = BTreeMap::new();

impl<'a> PodView<'a> {
    pub fn new(template: &PodTemplateRef<'a>, minor: u32) -> Self {
        Self {
            metadata_annotations: template
                .metadata
                .annotations
                .as_ref()
                .unwrap_or(&NO_ANNOTATIONS),
            spec: template.spec,
            containers: containers(template),
            spec_path: template.spec_path(),
            metadata_path: template.metadata_path(),
            minor,
            is_pod: template.prefix.is_empty(),
        }
    }

    pub fn security_context(&self) -> Option<&'a PodSecurityContext> {
        self.spec.security_context.as_ref()
    }

    /// `spec.securityContext` (under the template for workloads).
    pub fn security_context_path(&self) -> FieldPath {
        self.spec_path.clone().key("securityContext")
    }

    /// Path of one annotation of the pod (template).
    pub fn annotation_path(&self, key: &str) -> FieldPath {
        self.metadata_path
            .clone()
            .key("annotations")
            .key(key.to_string())
    }
}

/// `container "a"` or `containers "a", "b"`.
pub(crate) fn containers_phrase(names: &[&str]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

/// `pod`, `container[s] N` or `pod and container[s] N`: who set a forbidden value.
pub(crate) fn setters_phrase(pod: bool, names: &[&str]) -> String {
    let mut parts = Vec::new();
    if pod {
        parts.push("pod".to_string());
    }
    if !names.is_empty() {
        parts.push(containers_phrase(names));
    }
    parts.join(" and ")
}

/// One Pod Security check as a rule. Every rule file in this family defines one.
pub struct PssRule {
    pub check: CheckId,
    pub summary: &'static str,
    pub fix: FixAvailability,
    pub(crate) evaluate: fn(&PodView<'_>) -> Option<Forbidden>,
}

impl Rule for PssRule {
    fn id(&self) -> &'static str {
        self.check.rule_id()
    }

    fn summary(&self) -> &'static str {
        self.summary
    }

    fn fix_availability(&self) -> FixAvailability {
        self.fix
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(template) = cx.pod_template() else {
            return Vec::new();
        };
        let minor = cx.pss.version.effective_minor();
        if !self.check.applies(cx.pss.level, minor) || self.check.exempt(template.spec, minor) {
            return Vec::new();
        }
        let Some(pod) = cx.pod_view() else {
            return Vec::new();
        };
        (self.evaluate)(pod)
            .map(Forbidden::into_violation)
            .into_iter()
            .collect()
    }
}

/// Adds `action` to a fix plan unless an equal action is already there (a list that holds
/// the same forbidden item twice needs one removal).
pub(crate) fn push_unique(actions: &mut Vec<FixAction>, action: FixAction) {
    if !actions.contains(&action) {
        actions.push(action);
    }
}

/// The procMount test shared by the baseline and the restricted check (they differ only in
/// when they apply, see [`CheckId::exempt`]): a container that sets `procMount` must set
/// `Default`.
pub(crate) fn proc_mount_check(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut names = Vec::new();
    let mut types = std::collections::BTreeSet::new();
    let mut paths = Vec::new();
    for c in &pod.containers {
        if let Some(t) = c
            .security_context()
            .and_then(|s| s.proc_mount.as_deref())
            .filter(|t| *t != "Default")
        {
            names.push(c.name());
            types.insert(t);
            paths.push(c.security_context_path().key("procMount"));
        }
    }
    let first = paths.first()?.clone();
    let types: Vec<&str> = types.into_iter().collect();
    let actions = paths
        .into_iter()
        .map(|path| FixAction::Set {
            path,
            value: "Default".into(),
        })
        .collect();
    Some(
        Forbidden::new(
            "procMount",
            format!(
                "{} must not set securityContext.procMount to {}",
                containers_phrase(&names),
                join_quote(&types)
            ),
            first,
        )
        .with_fix(Some(FixPlan {
            safety: crate::finding::FixSafety::Review,
            title: format!("Set `procMount: Default` on {}", containers_phrase(&names)),
            caveat: "An unmasked /proc is what nested container runtimes (BuildKit, Sysbox, \
                     Kubernetes-in-Kubernetes) need; they will fail to start their own \
                     containers with the default mount."
                .into(),
            actions,
        })),
    )
}
