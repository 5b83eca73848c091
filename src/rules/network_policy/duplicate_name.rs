//! ## What it does
//! Flags NetworkPolicies that share a name within one namespace in the repository, and says
//! where the others are.
//!
//! ## Why it matters
//! A name identifies the object: applying the files makes the last policy replace the earlier
//! ones, so only one of them is ever in force, and which one depends on the order the files are
//! applied in. It usually comes from copying a policy and forgetting to rename it.
//!
//! ## What to change
//! Before:
//! ```yaml
//! metadata: {name: allow-web, namespace: shop}    # in web.yaml
//! ---
//! metadata: {name: allow-web, namespace: shop}    # in api.yaml, copied
//! ```
//! After:
//! ```yaml
//! metadata: {name: allow-web, namespace: shop}
//! ---
//! metadata: {name: allow-api, namespace: shop}
//! ```
//!
//! ## Edge cases
//! - Policies without `metadata.namespace` are taken to be in `default`.
//! - Two overlays of one kustomization that each define the policy for a different cluster
//!   are not applied together; ignore the finding there with that reason.
//!
//! ## Fix safety
//! No automatic fix: the right name is the author's.
//!
//! ## What if you cannot comply
//! Merge the two policies into one, or rename one of them.
//!
//! ## References
//! - cyclonus `CheckSourceDuplicatePolicyName`; np-guard reports it as an error.

use crate::finding::{Severity, Violation};
use crate::manifest::FieldPath;
use crate::rules::{Rule, RuleContext};

pub(crate) static RULE: DuplicateName = DuplicateName;

pub struct DuplicateName;

impl Rule for DuplicateName {
    fn id(&self) -> &'static str {
        "network-policy/duplicate-name"
    }

    fn summary(&self) -> &'static str {
        "NetworkPolicy names must be unique within a namespace"
    }

    /// Only one of the policies can exist in the cluster.
    fn severity(&self) -> Severity {
        Severity::Error
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let repo = cx.repository();
        let Some(me) = repo.policy_of(cx.object) else {
            return Vec::new();
        };
        let others: Vec<String> = repo
            .policies_named(me.namespace, &cx.object.name)
            .into_iter()
            .filter(|p| !std::ptr::eq(p.object, cx.object))
            .map(|p| p.location())
            .collect();
        if others.is_empty() {
            return Vec::new();
        }
        vec![Violation::new(
            format!(
                "NetworkPolicy {:?} in namespace {} is also defined at {}: applying both leaves only the one applied last",
                cx.object.name,
                me.namespace,
                others.join(", ")
            ),
            FieldPath::parse("metadata.name"),
        )]
    }
}
