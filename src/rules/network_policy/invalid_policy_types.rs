//! ## What it does
//! Flags `policyTypes` the API server rejects: an entry other than `Ingress` or `Egress`
//! (such as `ingress` in lower case) or more than two entries.
//!
//! ## Why it matters
//! `kubectl apply` fails with `Unsupported value` or `Too many`, so the policy never reaches the
//! cluster and the pods it was meant to isolate stay open.
//!
//! ## What to change
//! Before:
//! ```yaml
//! spec:
//!   podSelector: {}
//!   policyTypes: [ingress, egress]
//! ```
//! After:
//! ```yaml
//! spec:
//!   podSelector: {}
//!   policyTypes: [Ingress, Egress]
//! ```
//!
//! ## Edge cases
//! - Leaving `policyTypes` out is valid: it defaults to `[Ingress]`, plus `Egress` when the
//!   policy has egress rules (`network-policy/policy-types-mismatch` explains when that
//!   surprises).
//!
//! ## Fix safety
//! Safe for a value that only differs in case (`ingress` → `Ingress`): the author's meaning is
//! clear and the rejected manifest cannot have worked. Other values get no fix.
//!
//! ## What if you cannot comply
//! A rejected policy cannot be applied: correct the entry.
//!
//! ## References
//! - Kubernetes `ValidateNetworkPolicySpec` (`pkg/apis/networking/validation/validation.go`).
//! - <https://kubernetes.io/docs/reference/kubernetes-api/networking/network-policy-v1/>

use crate::finding::{FixAction, FixPlan, FixSafety, Severity, Violation};
use crate::manifest::FieldPath;
use crate::rules::{FixAvailability, Rule, RuleContext};

use super::spec::policy;

pub(crate) static RULE: InvalidPolicyTypes = InvalidPolicyTypes;

pub struct InvalidPolicyTypes;

impl Rule for InvalidPolicyTypes {
    fn id(&self) -> &'static str {
        "network-policy/invalid-policy-types"
    }

    fn summary(&self) -> &'static str {
        "NetworkPolicy policyTypes may only list Ingress and Egress"
    }

    fn fix_availability(&self) -> FixAvailability {
        FixAvailability::Sometimes
    }

    /// The API server rejects the policy.
    fn severity(&self) -> Severity {
        Severity::Error
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx) else {
            return Vec::new();
        };
        let types = policy.spec.policy_types.as_deref().unwrap_or_default();
        let mut out = Vec::new();
        for (i, t) in types.iter().enumerate() {
            if matches!(t.as_str(), "Ingress" | "Egress") {
                continue;
            }
            let path = FieldPath::parse("spec.policyTypes").index(i);
            let meant = ["Ingress", "Egress"]
                .into_iter()
                .find(|m| m.eq_ignore_ascii_case(t));
            let message = match meant {
                Some(m) => format!(
                    "policyTypes entry {t:?} is not supported (write `{m}`, with a capital letter): the API server rejects the policy"
                ),
                None => format!(
                    "policyTypes entry {t:?} is not supported (only `Ingress` and `Egress`): the API server rejects the policy"
                ),
            };
            let fix = meant.map(|m| FixPlan {
                safety: FixSafety::Safe,
                title: format!("Write policyTypes `{m}`"),
                caveat: "".into(),
                actions: vec![FixAction::Set {
                    path: path.clone(),
                    value: m.to_string(),
                }],
            });
            out.push(Violation::new(message, path).with_fix(fix));
        }
        if types.len() > 2 {
            out.push(Violation::new(
                format!(
                    "policyTypes lists {} entries; at most two (Ingress and Egress) are allowed: the API server rejects the policy",
                    types.len()
                ),
                FieldPath::parse("spec.policyTypes"),
            ));
        }
        out
    }
}
