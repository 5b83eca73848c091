//! ## What it does
//! Flags label selectors in a NetworkPolicy (`spec.podSelector` and the `podSelector` and
//! `namespaceSelector` of every peer) whose `matchExpressions` the API server rejects: an
//! unknown operator, `In`/`NotIn` without values, `Exists`/`DoesNotExist` with values.
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
        "NetworkPolicy label selectors must use valid matchExpressions"
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
