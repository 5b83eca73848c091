//! ## What it does
//! Flags a named port (`port: http`) in a rule when no destination workload of the repository
//! defines a container port of that name with that protocol, and a named port in an egress rule
//! whose only destinations are `ipBlock`s. The destination is the policy's own pods for an
//! ingress rule and the peers' workloads for an egress rule. When some destinations define the
//! name and map it to different numbers, the message lists the numbers.
//!
//! ## Why it matters
//! A named port is resolved per destination pod, against `containers[].ports[].name` with the
//! same protocol. If no pod has it, the rule matches nothing and the traffic it was written for
//! is blocked; external addresses have no port names at all. A renamed container port breaks
//! every policy that used the old name, without any error.
//!
//! ## What to change
//! Before:
//! ```yaml
//! # Deployment: ports: [{name: http-web, containerPort: 8080}]
//! ingress:
//!   - ports: [{port: http}]
//! ```
//! After:
//! ```yaml
//! ingress:
//!   - ports: [{port: http-web}]
//! ```
//!
//! ## Edge cases
//! - In a pull-request review kubenudge sees only the changed files, so this check, which
//!   concludes from what is *not* there, runs only when the whole repository is checked
//!   (`kubenudge check`).
//! - Only checked when the repository declares the destination workloads (the policy's
//!   namespace for ingress; every selector peer's namespaces for egress).
//! - A `protocol: UDP` named port needs a container port of that name declared `UDP`.
//!
//! ## Fix safety
//! No automatic fix: whether the policy or the container port has the wrong name is the
//! author's call.
//!
//! ## What if you cannot comply
//! If the pods come from elsewhere and do define the name, ignore the finding with a reason
//! saying where they are defined.
//!
//! ## References
//! - <https://kubernetes.io/docs/reference/kubernetes-api/networking/network-policy-v1/> (NetworkPolicyPort.port).
//! - np-guard warning `port name: "x" has no match in the configuration of the destination peer`.

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::finding::Violation;
use crate::rules::repository::Workload;
use crate::rules::{Rule, RuleContext};

use super::spec::{Direction, list_workloads, peer_workloads, policy, protocol, rules};

pub(crate) static RULE: NamedPortUndefined = NamedPortUndefined;

pub struct NamedPortUndefined;

impl Rule for NamedPortUndefined {
    fn id(&self) -> &'static str {
        "network-policy/named-port-undefined"
    }

    fn summary(&self) -> &'static str {
        "named ports in NetworkPolicy rules must be defined by the destination pods"
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx).filter(|p| p.repo.is_complete()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for rule in rules(policy.spec) {
            let named: Vec<(usize, &str)> = rule
                .ports
                .iter()
                .enumerate()
                .filter_map(|(j, p)| match &p.port {
                    Some(IntOrString::String(name)) => Some((j, name.as_str())),
                    _ => None,
                })
                .collect();
            if named.is_empty() {
                continue;
            }
            let only_ip_blocks =
                !rule.peers.is_empty() && rule.peers.iter().all(|p| p.ip_block.is_some());
            if rule.direction == Direction::Egress && only_ip_blocks {
                for (j, name) in named {
                    out.push(Violation::new(
                        format!(
                            "named port {name:?} never matches: the rule's only destinations are ipBlocks, and addresses outside the cluster have no port names; write the port number"
                        ),
                        rule.port_path(j).key("port"),
                    ));
                }
                continue;
            }
            let destinations: Option<Vec<&Workload<'_>>> = match rule.direction {
                Direction::Ingress => policy.selected(),
                Direction::Egress if rule.peers.is_empty() => None,
                Direction::Egress => rule
                    .peers
                    .iter()
                    .filter(|p| p.ip_block.is_none())
                    .map(|p| peer_workloads(policy.repo, p, policy.namespace))
                    .collect::<Option<Vec<_>>>()
                    .map(|v| v.into_iter().flatten().collect()),
            };
            let Some(destinations) = destinations.filter(|d| !d.is_empty()) else {
                continue;
            };
            for (j, name) in named {
                let proto = protocol(&rule.ports[j]);
                let numbers: BTreeSet<i32> = destinations
                    .iter()
                    .flat_map(|w| &w.ports)
                    .filter(|p| p.name == Some(name) && p.protocol == proto)
                    .map(|p| p.number)
                    .collect();
                let message = if numbers.is_empty() {
                    let other_protocol = destinations
                        .iter()
                        .flat_map(|w| &w.ports)
                        .find(|p| p.name == Some(name))
                        .map(|p| format!(" (it is defined for {}, not {proto})", p.protocol))
                        .unwrap_or_default();
                    format!(
                        "named port {name:?} ({proto}) is defined by no destination pod{other_protocol}, so this port matches nothing; destinations: {}",
                        list_workloads(&destinations)
                    )
                } else if numbers.len() > 1 {
                    format!(
                        "named port {name:?} means different numbers on different destinations ({}); make sure every one is meant",
                        numbers.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
                    )
                } else {
                    continue;
                };
                out.push(Violation::new(message, rule.port_path(j).key("port")));
            }
        }
        out
    }
}
