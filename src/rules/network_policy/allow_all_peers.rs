//! ## What it does
//! Flags rules that let everything through, and names the narrower policies they make
//! pointless:
//! - a rule with neither peers nor ports (`ingress: [{}]`, `egress: [{}]`): every source or
//!   destination, every port;
//! - a peer `namespaceSelector: {}` with no (or an empty) `podSelector`: every pod of every
//!   namespace;
//! - a peer `ipBlock` of `0.0.0.0/0` or `::/0` without `except`: every address.
//!
//! ## Why it matters
//! Policies only add up: once one policy allows everything for some pods, no other policy can
//! take any of it back, so the careful policies next to it do nothing. `namespaceSelector: {}`
//! is often written to mean "this namespace" and opens the pods to the whole cluster;
//! `podSelector: {}` is misread as "no pods". Reviewers rarely see the breadth from the YAML.
//!
//! ## What to change
//! Before:
//! ```yaml
//! ingress:
//!   - from:
//!       - namespaceSelector: {}
//! ```
//! After:
//! ```yaml
//! ingress:
//!   - from:
//!       - namespaceSelector:
//!           matchLabels: {kubernetes.io/metadata.name: monitoring}
//! ```
//!
//! ## Edge cases
//! - A rule without `from`/`to` but with `ports` (a public port such as 443 on an ingress
//!   controller) is a deliberate pattern and not reported, and neither is egress to
//!   `namespaceSelector: {}` on DNS ports only (53, or 5353 for OpenShift's DNS pods: the usual
//!   way to allow DNS wherever it runs).
//! - Rules of a direction the policy does not isolate are ignored by Kubernetes and not
//!   reported here (`network-policy/policy-types-mismatch` covers them).
//! - "Narrower policies" are the other policies of the namespace, for the same direction, whose
//!   pods are all selected by this one (judged on the repository's workloads, or by their
//!   selectors when the namespace has none here).
//!
//! ## Fix safety
//! No automatic fix: only the author knows which peers were meant.
//!
//! ## What if you cannot comply
//! An allow-all can be deliberate (a public endpoint, a namespace opting out of isolation).
//! Ignore the finding with a reason that says so, so reviewers know it is intended.
//!
//! ## References
//! - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies>
//! - cyclonus `CheckTargetAllIngressAllowed` / `CheckTargetAllEgressAllowed`.

use k8s_openapi::api::networking::v1::NetworkPolicyPort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::finding::Violation;
use crate::manifest::selector;
use crate::rules::repository::RepoPolicy;
use crate::rules::{Rule, RuleContext};

use super::spec::{
    Cidr, Direction, PolicyTypes, PolicyView, pod_selector, policy, protocol, rules,
    selected_workloads,
};

pub(crate) static RULE: AllowAllPeers = AllowAllPeers;

pub struct AllowAllPeers;

impl Rule for AllowAllPeers {
    fn id(&self) -> &'static str {
        "network-policy/allow-all-peers"
    }

    fn summary(&self) -> &'static str {
        "NetworkPolicy rules should not allow every source or destination"
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx) else {
            return Vec::new();
        };
        let types = PolicyTypes::of(policy.spec);
        let mut out = Vec::new();
        for rule in rules(policy.spec) {
            if !types.isolates(rule.direction) {
                continue;
            }
            let (to_from, everyone) = match rule.direction {
                Direction::Ingress => ("from", "every source"),
                Direction::Egress => ("to", "every destination"),
            };
            if rule.peers.is_empty() && rule.ports.is_empty() {
                let shadowed = shadowed(cx, &policy, rule.direction);
                let tail = if shadowed.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; it makes these narrower policies pointless for the same pods (policies only add up): {}",
                        shadowed.join(", ")
                    )
                };
                out.push(Violation::new(
                    format!(
                        "this rule allows all {} of {}: {everyone} (every pod and every IP address), on every port{tail}",
                        rule.direction.field(),
                        policy.describe_selected()
                    ),
                    rule.path(),
                ));
                continue;
            }
            if rule.direction == Direction::Egress && only_dns(rule.ports) {
                // Egress to every namespace on port 53 only: the usual way to allow DNS.
                continue;
            }
            for (j, peer) in rule.peers.iter().enumerate() {
                let what = if let Some(block) = &peer.ip_block {
                    let all = Cidr::parse(&block.cidr).is_ok_and(|c| c.is_everything())
                        && block.except.as_ref().is_none_or(|e| e.is_empty());
                    if !all {
                        continue;
                    }
                    format!("ipBlock {} is every IP address (the whole internet too)", block.cidr)
                } else {
                    match (&peer.namespace_selector, &peer.pod_selector) {
                        (Some(ns), pods)
                            if selector::is_empty(ns)
                                && pods.as_ref().is_none_or(selector::is_empty) =>
                        {
                            "`namespaceSelector: {}` is every pod in every namespace of the cluster (not only this one)".to_string()
                        }
                        _ => continue,
                    }
                };
                let ports = describe_ports(rule.ports);
                let exposure = match rule.direction {
                    Direction::Ingress => format!(
                        "{} accept connections from all of it {ports}",
                        policy.describe_selected()
                    ),
                    Direction::Egress => format!(
                        "{} may connect to all of it {ports}",
                        policy.describe_selected()
                    ),
                };
                out.push(Violation::new(
                    format!(
                        "peer `{to_from}` {what}: {exposure}. Name the namespaces or pods meant"
                    ),
                    rule.peer_path(j),
                ));
            }
        }
        out
    }
}

/// `on TCP 8080, UDP 53`, `on every port`.
fn describe_ports(ports: &[NetworkPolicyPort]) -> String {
    if ports.is_empty() {
        return "on every port".into();
    }
    let each: Vec<String> = ports
        .iter()
        .map(|p| {
            let number = match (&p.port, p.end_port) {
                (None, _) => "every port".to_string(),
                (Some(IntOrString::Int(n)), Some(end)) => format!("{n}-{end}"),
                (Some(IntOrString::Int(n)), None) => n.to_string(),
                (Some(IntOrString::String(name)), _) => name.clone(),
            };
            format!("{} {number}", protocol(p))
        })
        .collect();
    format!("on {}", each.join(", "))
}

/// True when every port entry is a DNS port (53, or 5353 where OpenShift's DNS pods listen),
/// whatever the protocol.
fn only_dns(ports: &[NetworkPolicyPort]) -> bool {
    !ports.is_empty()
        && ports.iter().all(|p| {
            matches!(p.port, Some(IntOrString::Int(53 | 5353))) && p.end_port.is_none()
        })
}

/// Other policies of the namespace, isolating `direction`, whose pods this policy all selects.
fn shadowed(cx: &RuleContext<'_>, policy: &PolicyView<'_>, direction: Direction) -> Vec<String> {
    let repo = policy.repo;
    let own = pod_selector(policy.spec);
    let mine = policy.selected();
    repo.policies_in(policy.namespace)
        .filter(|q| !std::ptr::eq(q.object, cx.object))
        .filter(|q| PolicyTypes::of(q.spec).isolates(direction))
        .filter(|q: &&RepoPolicy<'_>| {
            if selector::is_empty(own) {
                return true;
            }
            match &mine {
                Some(mine) => {
                    let theirs = selected_workloads(repo, q);
                    !theirs.is_empty()
                        && theirs
                            .iter()
                            .all(|w| mine.iter().any(|m| std::ptr::eq(*m, *w)))
                }
                None => pod_selector(q.spec) == own,
            }
        })
        .map(|q| format!("{} ({})", q.object.name, q.location()))
        .collect()
}
