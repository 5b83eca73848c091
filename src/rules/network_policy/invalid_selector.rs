//! ## What it does
//! Flags label selectors in a NetworkPolicy (`spec.podSelector` and the `podSelector` and
//! `namespaceSelector` of every peer) the API server rejects: an unknown operator, `In`/`NotIn`
//! without values, `Exists`/`DoesNotExist` with values, and label keys or values that are not
//! valid label syntax (63 characters at most, letters, digits, `-`, `_`, `.`; a key's prefix a
//! lowercase DNS subdomain).
//!
//! ## Why it matters
//! The policy is rejected at `kubectl apply`. Tools that skip the check silently treat the
//! selector as matching nothing, which hides the mistake until deploy time.
//!
//! ## What to change
//! Before:
//! ```yaml
//! podSelector:
//!   matchExpressions:
//!     - {key: tier, operator: in, values: [web]}
//!     - {key: legacy, operator: DoesNotExist, values: ["true"]}
//! ```
//! After:
//! ```yaml
//! podSelector:
//!   matchExpressions:
//!     - {key: tier, operator: In, values: [web]}
//!     - {key: legacy, operator: DoesNotExist}
//! ```
//!
//! ## Edge cases
//! - Operators are case-sensitive: `in` is not `In`.
//! - An empty selector (`{}`) is valid and selects everything; see `network-policy/allow-all-peers`.
//!
//! ## Fix safety
//! No automatic fix: the values meant are the author's.
//!
//! ## What if you cannot comply
//! A rejected policy cannot be applied: correct the expression.
//!
//! ## References
//! - Kubernetes `ValidateLabelSelector` (`staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation`).
//! - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements>

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::finding::{Severity, Violation};
use crate::manifest::FieldPath;
use crate::manifest::selector::validate;
use crate::rules::{Rule, RuleContext};

use super::spec::{pod_selector, policy, rules};

pub(crate) static RULE: InvalidSelector = InvalidSelector;

pub struct InvalidSelector;

impl Rule for InvalidSelector {
    fn id(&self) -> &'static str {
        "network-policy/invalid-selector"
    }

    fn summary(&self) -> &'static str {
        "NetworkPolicy label selectors must use valid operators, label keys and values"
    }

    /// The API server rejects the policy.
    fn severity(&self) -> Severity {
        Severity::Error
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut check = |selector: &LabelSelector, path: FieldPath| {
            for (key, value) in selector.match_labels.iter().flatten() {
                if let Some(problem) = label_key_problem(key).or_else(|| label_value_problem(value))
                {
                    out.push(Violation::new(
                        format!("label `{key}: {value}`: {problem}; the API server rejects the policy"),
                        path.clone().key("matchLabels").key(key.clone()),
                    ));
                }
            }
            for (i, req) in selector.match_expressions.iter().flatten().enumerate() {
                let problem = label_key_problem(&req.key).or_else(|| {
                    req.values
                        .iter()
                        .flatten()
                        .find_map(|v| label_value_problem(v))
                });
                if let Some(problem) = problem {
                    out.push(Violation::new(
                        format!(
                            "{}: {problem}; the API server rejects the policy",
                            path.clone().key("matchExpressions").index(i)
                        ),
                        path.clone().key("matchExpressions").index(i),
                    ));
                }
            }
            for problem in validate(selector) {
                out.push(Violation::new(
                    format!(
                        "{}: {}; the API server rejects the policy",
                        path.clone().key("matchExpressions").index(problem.index),
                        problem.message
                    ),
                    path.clone().key("matchExpressions").index(problem.index),
                ));
            }
        };
        check(pod_selector(policy.spec), FieldPath::parse("spec.podSelector"));
        for rule in rules(policy.spec) {
            for (j, peer) in rule.peers.iter().enumerate() {
                if let Some(s) = &peer.pod_selector {
                    check(s, rule.peer_path(j).key("podSelector"));
                }
                if let Some(s) = &peer.namespace_selector {
                    check(s, rule.peer_path(j).key("namespaceSelector"));
                }
            }
        }
        out
    }
}

/// Why a label name part or value is invalid: at most 63 characters, alphanumerics, `-`, `_`
/// and `.`, starting and ending with an alphanumeric.
fn name_part_problem(text: &str, what: &str) -> Option<String> {
    if text.len() > 63 {
        return Some(format!("{what} {text:?} is longer than 63 characters"));
    }
    let ok = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text.ends_with(|c: char| c.is_ascii_alphanumeric());
    (!ok).then(|| {
        format!(
            "{what} {text:?} must be letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"
        )
    })
}

/// Why a label key is invalid: an optional DNS-subdomain prefix and `/`, then a name part.
fn label_key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        let ok = !prefix.is_empty()
            && prefix.len() <= 253
            && prefix.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            });
        if !ok {
            return Some(format!(
                "label key prefix {prefix:?} must be a lowercase DNS subdomain"
            ));
        }
    }
    if name.is_empty() {
        return Some(format!("label key {key:?} has no name"));
    }
    name_part_problem(name, "label key")
}

/// Why a label value is invalid (an empty value is valid).
fn label_value_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    name_part_problem(value, "label value")
}
