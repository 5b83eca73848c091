//! ## What it does
//! Flags a rule that allows a connection only one side of which is allowed: an egress rule
//! from this policy's pods to workloads that are ingress-isolated by policies that do not
//! admit these pods (on those ports), or an ingress rule from workloads whose egress is
//! isolated without allowing this policy's pods. It names the workloads and the policies that
//! still block them.
//!
//! ## Why it matters
//! A connection needs both the source's egress and the destination's ingress to allow it. A
//! rule whose other side is missing has no effect: the traffic stays blocked, and the rule
//! makes reviewers believe it flows. It typically happens when a new client is added and only
//! its own policy is written.
//!
//! ## What to change
//! Before:
//! ```yaml
//! # web's policy: egress to app=api on 8080, but api's policy only admits app=gateway
//! egress:
//!   - to: [{podSelector: {matchLabels: {app: api}}}]
//!     ports: [{port: 8080}]
//! ```
//! After (in api's policy):
//! ```yaml
//! ingress:
//!   - from:
//!       - podSelector: {matchLabels: {app: gateway}}
//!       - podSelector: {matchLabels: {app: web}}
//!     ports: [{port: 8080}]
//! ```
//!
//! ## Edge cases
//! - In a pull-request review kubenudge sees only the changed files, so this check, which
//!   concludes from what is *not* there, runs only when the whole repository is checked
//!   (`kubenudge check`).
//! - Judged on the workloads the repository declares, and only for peers that target workloads
//!   (a `podSelector` with labels) in namespaces whose workloads are all here: a broad peer
//!   (`namespaceSelector: {}`, no `podSelector`) also reaches pods kubenudge does not know.
//! - ipBlock peers are not judged (whether they match pods is up to the network plugin).
//! - Ports are compared per protocol, with named ports resolved on the destination.
//! - A pod talking to itself is always allowed and not reported.
//!
//! ## Fix safety
//! No automatic fix: the allow belongs in the other workload's policy, often owned by another
//! team.
//!
//! ## What if you cannot comply
//! If the other side's policy is rolled out separately, ignore the finding with a reason
//! naming that change.
//!
//! ## References
//! - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation>
//!   ("both the egress policy on the source pod and the ingress policy on the destination pod
//!   need to allow the connection").

use std::collections::HashSet;

use crate::finding::Violation;
use crate::manifest::selector;
use crate::rules::repository::{RepoPolicy, Workload};
use crate::rules::{Rule, RuleContext};

use super::spec::{
    Direction, PolicyTypes, cap_list, list_workloads, peer_namespaces, peer_selects,
    peer_workloads, policy, ports_overlap, rules,
};

pub(crate) static RULE: OneSidedAllow = OneSidedAllow;

pub struct OneSidedAllow;

impl Rule for OneSidedAllow {
    fn id(&self) -> &'static str {
        "network-policy/one-sided-allow"
    }

    fn summary(&self) -> &'static str {
        "a connection allowed on one side must be allowed by the other side's policies too"
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx).filter(|p| p.repo.is_complete()) else {
            return Vec::new();
        };
        let types = PolicyTypes::of(policy.spec);
        let Some(mine) = policy.selected().filter(|m| !m.is_empty()) else {
            return Vec::new();
        };
        let repo = policy.repo;
        let mut out = Vec::new();
        for rule in rules(policy.spec) {
            if !types.isolates(rule.direction) || rule.peers.is_empty() {
                continue;
            }
            // Only peers that target workloads (a podSelector with labels) in namespaces whose
            // workloads the repository declares: a broad peer also reaches pods kubenudge does
            // not know, for which the rule may well have an effect.
            let others: Vec<&Workload<'_>> = rule
                .peers
                .iter()
                .filter(|p| {
                    p.pod_selector.as_ref().is_some_and(|s| !selector::is_empty(s))
                        && peer_namespaces(repo, p, policy.namespace)
                            .iter()
                            .all(|ns| repo.has_workloads_in(&ns.name))
                })
                .filter_map(|p| peer_workloads(repo, p, policy.namespace))
                .flatten()
                .collect();
            let mut blocked: Vec<&Workload<'_>> = Vec::new();
            let mut blockers: Vec<String> = Vec::new();
            // Each workload once (peers overlap), never one of this policy's own pods (a pod
            // cannot block itself).
            let mut seen: HashSet<usize> = mine.iter().map(|m| m.index).collect();
            for other in others {
                if !seen.insert(other.index) {
                    continue;
                }
                // The other side's direction is the opposite of this rule's.
                let other_side = match rule.direction {
                    Direction::Egress => Direction::Ingress,
                    Direction::Ingress => Direction::Egress,
                };
                let theirs: Vec<&RepoPolicy<'_>> = repo
                    .policies_selecting(other)
                    .filter(|q| PolicyTypes::of(q.spec).isolates(other_side))
                    .collect();
                if theirs.is_empty() {
                    continue;
                }
                // Does some rule of theirs name one of this policy's pods, on a port in common
                // (ports are those of the connection's destination)?
                let admitted = mine.iter().any(|m| {
                    let destination = match rule.direction {
                        Direction::Egress => other,
                        Direction::Ingress => *m,
                    };
                    theirs.iter().any(|q| {
                        rules(q.spec)
                            .into_iter()
                            .filter(|r| r.direction == other_side)
                            .any(|r| {
                                let peer_ok = r.peers.is_empty()
                                    || r.peers
                                        .iter()
                                        .any(|p| peer_selects(repo, p, q.namespace, m));
                                peer_ok && ports_overlap(rule.ports, r.ports, destination)
                            })
                    })
                });
                if !admitted {
                    blocked.push(other);
                    for q in theirs {
                        let name = format!("{}/{}", q.namespace, q.object.name);
                        if !blockers.contains(&name) {
                            blockers.push(name);
                        }
                    }
                }
            }
            if blocked.is_empty() {
                continue;
            }

            let blockers = cap_list(blockers);
            let message = match rule.direction {
                Direction::Egress => format!(
                    "this egress rule has no effect for {}: their ingress is isolated by {} and no rule there admits {} on these ports, so the connection stays blocked; allow it in that policy too",
                    list_workloads(&blocked),
                    blockers,
                    list_workloads(&mine),
                ),
                Direction::Ingress => format!(
                    "this ingress rule has no effect for {}: their egress is isolated by {} and no rule there allows traffic to {} on these ports, so the connection stays blocked; allow it in that policy too",
                    list_workloads(&blocked),
                    blockers,
                    list_workloads(&mine),
                ),
            };
            out.push(Violation::new(
                message,
                rule.path().key(rule.direction.peers_field()),
            ));
        }
        out
    }
}
