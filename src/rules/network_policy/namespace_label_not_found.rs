//! ## What it does
//! Flags a peer's `namespaceSelector` that requires a label key no Namespace in the repository
//! has, such as the classic `name: kube-system`. Every Namespace carries
//! `kubernetes.io/metadata.name=<name>` (set by the API server); other labels exist only where
//! someone wrote them. Checked when the repository declares Namespaces, or when the selector's
//! value names a namespace kubenudge knows (one the repository uses, or `kube-system`,
//! `default`, `kube-public`, `kube-node-lease`).
//!
//! ## Why it matters
//! A selector on a missing label matches no namespace, so the allow never applies: DNS,
//! monitoring or the ingress controller is blocked, and the policy reads as if it allowed them.
//! This is one of the most fixed NetworkPolicy mistakes in public charts (prometheus-community,
//! opencost, knative).
//!
//! ## What to change
//! Before:
//! ```yaml
//! - namespaceSelector:
//!     matchLabels:
//!       name: kube-system
//! ```
//! After:
//! ```yaml
//! - namespaceSelector:
//!     matchLabels:
//!       kubernetes.io/metadata.name: kube-system
//! ```
//!
//! ## Edge cases
//! - In a pull-request review kubenudge sees only the changed files: there, only selectors
//!   naming a system namespace (`name: kube-system`) are judged.
//! - Namespaces created outside the repository (by a platform team, Terraform, a chart) may
//!   carry the label; if so, ignore the finding with a reason naming who sets it.
//! - `NotIn` and `DoesNotExist` requirements match namespaces without the key and are not
//!   reported.
//! - `kubernetes.io/metadata.name` needs Kubernetes 1.22 or later (GA since then).
//!
//! ## Fix safety
//! Needs review. Offered when the selector is a single `name`, `namespace` or `ns` label: it is
//! replaced by `kubernetes.io/metadata.name` with the same value, which makes the allow match
//! the namespace of that name — the traffic it describes starts to flow.
//!
//! ## What if you cannot comply
//! If the label is applied to the namespace by other tooling, ignore the finding on the
//! policy with a reason that names that tooling; better, add the Namespace manifest (with its
//! labels) to the repository so reviewers can see it.
//!
//! ## References
//! - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-namespace-by-its-name>
//! - <https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name>

use std::collections::BTreeSet;

use crate::finding::{FixAction, FixPlan, FixSafety, Violation};
use crate::rules::repository::NAMESPACE_NAME_LABEL;
use crate::rules::{FixAvailability, Rule, RuleContext};

use super::spec::{policy, rules, yaml_string};

pub(crate) static RULE: NamespaceLabelNotFound = NamespaceLabelNotFound;

pub struct NamespaceLabelNotFound;

/// Label keys people use for a namespace's name before `kubernetes.io/metadata.name`.
const NAME_LIKE_KEYS: [&str; 3] = ["name", "namespace", "ns"];

impl Rule for NamespaceLabelNotFound {
    fn id(&self) -> &'static str {
        "network-policy/namespace-label-not-found"
    }

    fn summary(&self) -> &'static str {
        "namespaceSelector labels must exist on some Namespace (use kubernetes.io/metadata.name)"
    }

    fn fix_availability(&self) -> FixAvailability {
        FixAvailability::Sometimes
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx) else {
            return Vec::new();
        };
        let repo = policy.repo;
        let mut out = Vec::new();
        for rule in rules(policy.spec) {
            for (j, peer) in rule.peers.iter().enumerate() {
                let Some(selector) = &peer.namespace_selector else {
                    continue;
                };
                let labels = selector.match_labels.iter().flatten();
                let mut keys: BTreeSet<&str> = labels.clone().map(|(k, _)| k.as_str()).collect();
                keys.extend(
                    selector
                        .match_expressions
                        .iter()
                        .flatten()
                        .filter(|e| matches!(e.operator.as_str(), "In" | "Exists"))
                        .map(|e| e.key.as_str()),
                );
                let names_known_namespace = labels
                    .clone()
                    .any(|(_, v)| repo.namespace(v).is_some());
                // With only part of the repository, only system namespaces, which carry no
                // labels but their name unless someone adds them, are judged.
                let names_system_namespace = labels
                    .clone()
                    .any(|(_, v)| repo.namespace(v).is_some_and(|ns| ns.is_system()));
                let judged = match repo.is_complete() {
                    true => repo.declares_namespaces() || names_known_namespace,
                    false => names_system_namespace,
                };
                if !judged {
                    continue;
                }
                let path = rule.peer_path(j).key("namespaceSelector");
                for key in keys {
                    if key == NAMESPACE_NAME_LABEL
                        || repo
                            .namespaces()
                            .any(|ns| ns.declared && ns.labels.contains_key(key))
                    {
                        continue;
                    }
                    let value = selector.match_labels.as_ref().and_then(|m| m.get(key));
                    let suggestion = match value {
                        Some(v) => format!("`{NAMESPACE_NAME_LABEL}: {v}`"),
                        None => format!("`{NAMESPACE_NAME_LABEL}`"),
                    };
                    let message = format!(
                        "namespaceSelector requires label `{key}`, which no Namespace in the repository has, so this peer matches no namespace{}; select namespaces by name with {suggestion} (every Namespace has it)",
                        match value.and_then(|v| repo.namespace(v)) {
                            Some(ns) if !ns.declared => format!(
                                " (namespace {} is not declared here and by default carries only `{NAMESPACE_NAME_LABEL}`)",
                                ns.name
                            ),
                            _ => String::new(),
                        }
                    );
                    let fix = value
                        .filter(|_| {
                            NAME_LIKE_KEYS.contains(&key)
                                && selector.match_labels.as_ref().is_some_and(|m| m.len() == 1)
                                && selector
                                    .match_expressions
                                    .as_ref()
                                    .is_none_or(|e| e.is_empty())
                        })
                        .map(|v| FixPlan {
                            safety: FixSafety::Review,
                            title: format!("Select namespace {v} by `{NAMESPACE_NAME_LABEL}`"),
                            caveat: format!(
                                "the peer starts to match namespace {v}: the traffic this rule describes is allowed from then on"
                            )
                            .into(),
                            actions: vec![
                                FixAction::Remove {
                                    path: path.clone().key("matchLabels").key(key.to_string()),
                                },
                                FixAction::Set {
                                    path: path.clone().key("matchLabels").key(NAMESPACE_NAME_LABEL),
                                    value: yaml_string(v),
                                },
                            ],
                        });
                    out.push(Violation::new(message, path.clone()).with_fix(fix));
                }
            }
        }
        out
    }
}
