//! ## What it does
//! Flags a NetworkPolicy whose `spec.podSelector`, or one of whose peers, selects workloads of
//! the repository that run with `hostNetwork: true`.
//!
//! ## Why it matters
//! What a NetworkPolicy does to host-network pods is undefined. The most common
//! implementations ignore them when matching `podSelector` and `namespaceSelector`: a policy
//! meant to isolate them does not, and a peer meant to admit them does not either (their
//! traffic comes from the node's address, which only an `ipBlock` can match). The YAML reads
//! as if it worked.
//!
//! ## What to change
//! Before:
//! ```yaml
//! # DaemonSet node-agent: hostNetwork: true, labels app=node-agent
//! ingress:
//!   - from:
//!       - podSelector: {matchLabels: {app: node-agent}}
//! ```
//! After:
//! ```yaml
//! ingress:
//!   - from:
//!       - ipBlock: {cidr: 10.0.0.0/24}   # the nodes' addresses
//! ```
//!
//! ## Edge cases
//! - Judged on the workloads the repository declares.
//! - Some plugins (Cilium with host firewall, Calico host endpoints) have their own host
//!   policies; NetworkPolicy is still not the tool for them.
//!
//! ## Fix safety
//! No automatic fix: the nodes' addresses are not in the manifests.
//!
//! ## What if you cannot comply
//! If your network plugin documents how it treats host-network pods and that is what you rely
//! on, ignore the finding with a reason naming the plugin and its setting.
//!
//! ## References
//! - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods>

use crate::finding::Violation;
use crate::manifest::FieldPath;
use crate::rules::repository::Workload;
use crate::rules::{Rule, RuleContext};

use super::spec::{Direction, list_workloads, peer_selects, policy, rules};

pub(crate) static RULE: HostNetworkSelected = HostNetworkSelected;

pub struct HostNetworkSelected;

impl Rule for HostNetworkSelected {
    fn id(&self) -> &'static str {
        "network-policy/host-network-selected"
    }

    fn summary(&self) -> &'static str {
        "NetworkPolicies do not reliably apply to hostNetwork pods"
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let selected: Vec<&Workload<'_>> = policy
            .selected()
            .unwrap_or_default()
            .into_iter()
            .filter(|w| w.host_network)
            .collect();
        if !selected.is_empty() {
            out.push(Violation::new(
                format!(
                    "this policy selects hostNetwork workloads ({}): what a NetworkPolicy does to them is undefined, and most network plugins do not isolate them at all",
                    list_workloads(&selected)
                ),
                FieldPath::parse("spec.podSelector"),
            ));
        }
        for rule in rules(policy.spec) {
            for (j, peer) in rule.peers.iter().enumerate() {
                // Few workloads use the host's network: those are checked against the peer,
                // not every workload a broad peer reaches.
                let mut hosts: Vec<&Workload<'_>> = policy
                    .repo
                    .host_network_workloads()
                    .filter(|w| peer_selects(policy.repo, peer, policy.namespace, w))
                    .collect();
                // In the order the peer lists them: by namespace, then file order.
                hosts.sort_by_key(|w| (w.namespace, w.index));
                if hosts.is_empty() {
                    continue;
                }
                let side = match rule.direction {
                    Direction::Ingress => "their connections come from the node's address",
                    Direction::Egress => "they are reached at the node's address",
                };
                out.push(Violation::new(
                    format!(
                        "peer selects hostNetwork workloads ({}), which most network plugins never match by selector: {side}, which only an ipBlock matches",
                        list_workloads(&hosts)
                    ),
                    rule.peer_path(j),
                ));
            }
        }
        out
    }
}
