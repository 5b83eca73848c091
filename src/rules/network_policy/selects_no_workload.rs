//! ## What it does
//! Flags a NetworkPolicy whose `spec.podSelector` selects no workload of its namespace, and a
//! `from`/`to` peer whose selectors select no workload, judged against the workloads the
//! repository declares (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, Pods…). The
//! message lists the workloads that are there, so a label typo is easy to spot.
//!
//! ## Why it matters
//! A policy that selects nothing protects nothing (a dead policy), and a peer that selects
//! nothing blocks the flow it was written to allow. Both come from a label typo, a label
//! renamed in a Deployment but not in the policy, or the wrong namespace, and both look fine in
//! review.
//!
//! ## What to change
//! Before:
//! ```yaml
//! kind: NetworkPolicy
//! spec:
//!   podSelector:
//!     matchLabels: {app: bakend}   # the Deployment's pods are app=backend
//! ```
//! After:
//! ```yaml
//! kind: NetworkPolicy
//! spec:
//!   podSelector:
//!     matchLabels: {app: backend}
//! ```
//!
//! ## Edge cases
//! - In a pull-request review kubenudge sees only the changed files, so this check, which
//!   concludes from what is *not* there, runs only when the whole repository is checked
//!   (`kubenudge check`).
//! - Only checked when the repository declares at least one workload in the namespace
//!   concerned: workloads deployed from another repository (a Helm chart, another team) are
//!   unknown, and "selects nothing" would be a guess. A peer that reaches into namespaces with
//!   no workload here is not checked either.
//! - Workloads without `metadata.namespace` are taken to be in `default`, as are policies.
//! - ipBlock peers are never checked (they select addresses, not workloads).
//!
//! ## Fix safety
//! No automatic fix: which label is the right one is the author's call.
//!
//! ## What if you cannot comply
//! If the pods come from elsewhere (an operator creates them, or another repository), ignore
//! the finding with a reason that says where they come from.
//!
//! ## References
//! - kube-score "NetworkPolicies should target at least one Pod"; KICS "Network Policy Is Not
//!   Targeting Any Pod".
//! - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource>

use crate::finding::Violation;
use crate::manifest::FieldPath;
use crate::rules::{Rule, RuleContext};

use super::spec::{
    cap_unique, describe_peer, peer_namespaces, peer_selects_nothing, policy, rules,
};
use crate::rules::repository::Workload;

pub(crate) static RULE: SelectsNoWorkload = SelectsNoWorkload;

pub struct SelectsNoWorkload;

impl Rule for SelectsNoWorkload {
    fn id(&self) -> &'static str {
        "network-policy/selects-no-workload"
    }

    fn summary(&self) -> &'static str {
        "NetworkPolicy podSelector and peers should select some workload of the repository"
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx).filter(|p| p.repo.is_complete()) else {
            return Vec::new();
        };
        let repo = policy.repo;
        let mut out = Vec::new();
        if policy.selected().is_some_and(|s| s.is_empty()) {
            out.push(Violation::new(
                format!(
                    "this policy selects no workload: no workload of namespace {} has {} (its workloads: {}); it protects nothing",
                    policy.namespace,
                    crate::manifest::selector::describe(super::spec::pod_selector(policy.spec)),
                    present(repo.workloads_in(policy.namespace)),
                ),
                FieldPath::parse("spec.podSelector"),
            ));
        }
        for rule in rules(policy.spec) {
            for (j, peer) in rule.peers.iter().enumerate() {
                if peer_selects_nothing(repo, peer, policy.namespace) {
                    let namespaces = peer_namespaces(repo, peer, policy.namespace);
                    out.push(Violation::new(
                        format!(
                            "peer selects no workload: {} matches nothing in the repository (workloads there: {}); the traffic it was meant to allow is blocked",
                            describe_peer(peer, policy.namespace),
                            present(namespaces.iter().flat_map(|ns| repo.workloads_in(&ns.name))),
                        ),
                        rule.peer_path(j),
                    ));
                }
            }
        }
        out
    }
}

/// The workloads that are there, with their labels: `shop/web[Deployment] (app=web)`, each
/// once.
fn present<'a>(workloads: impl Iterator<Item = &'a Workload<'a>>) -> String {
    cap_unique(
        workloads,
        |w| {
            let labels: Vec<String> = w.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{} ({})", w.display_name(), labels.join(", "))
        },
        |w| {
            (
                w.namespace,
                w.object.name.as_str(),
                w.object.kind.as_str(),
                w.labels,
            )
        },
    )
}
