//! ## What it does
//! Flags a `from` or `to` list where one peer has only a `namespaceSelector` and another has
//! only a `podSelector`. Written as two items (a `-` before each), the selectors are ORed:
//! "these pods of the policy's namespace, OR every pod of those namespaces". The finding always
//! spells out the peers the rule really admits.
//!
//! ## Why it matters
//! The difference between "pods `app=api` in namespace `team-a`" (one item, AND) and
//! "pods `app=api` here, or anything in `team-a`" (two items, OR) is one `-`. The OR form
//! silently opens the pods to every workload of the matched namespaces. The Kubernetes docs warn
//! about exactly this ("Be careful to use correct YAML syntax"), and it keeps showing up in
//! fixes to real charts.
//!
//! ## What to change
//! Before:
//! ```yaml
//! ingress:
//!   - from:
//!       - namespaceSelector:
//!           matchLabels: {kubernetes.io/metadata.name: team-a}
//!       - podSelector:
//!           matchLabels: {app: api}
//! ```
//! After (pods `app=api` in `team-a`):
//! ```yaml
//! ingress:
//!   - from:
//!       - namespaceSelector:
//!           matchLabels: {kubernetes.io/metadata.name: team-a}
//!         podSelector:
//!           matchLabels: {app: api}
//! ```
//!
//! ## Edge cases
//! - If you really mean the OR, keep the two items and add the ignore annotation with your
//!   reason; the message shows the effective peers so reviewers see the breadth.
//! - A bare `podSelector` peer only ever selects pods in the policy's own namespace, never in
//!   others; the message says which namespace that is.
//! - Peers that have both selectors, or an `ipBlock`, are not part of the check.
//!
//! ## Fix safety
//! Needs review. The fix (offered when the list holds exactly these two peers and the pod
//! selector uses `matchLabels` only) merges them into one AND peer, which narrows access: pods of
//! the policy's namespace that matched the `podSelector` are no longer admitted unless they are
//! in a matched namespace too.
//!
//! ## What if you cannot comply
//! When the OR is intended, say so with `ignore.kubenudge.io/peer-and-or-confusion` and a reason;
//! better, split it into two rules so the intent reads from the YAML.
//!
//! ## References
//! - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors>
//! - cyclonus and np-guard show the same peer sets.

use crate::finding::{FixAction, FixPlan, FixSafety, Violation};
use crate::manifest::selector::describe;
use crate::rules::{FixAvailability, Rule, RuleContext};

use super::spec::{Direction, PolicyRule, describe_namespaces, policy, rules, yaml_string};

pub(crate) static RULE: PeerAndOrConfusion = PeerAndOrConfusion;

pub struct PeerAndOrConfusion;

impl Rule for PeerAndOrConfusion {
    fn id(&self) -> &'static str {
        "network-policy/peer-and-or-confusion"
    }

    fn summary(&self) -> &'static str {
        "a namespaceSelector and a podSelector written as two peers are ORed, not ANDed"
    }

    fn fix_availability(&self) -> FixAvailability {
        FixAvailability::Sometimes
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for rule in rules(policy.spec) {
            let only_ns: Vec<usize> = (0..rule.peers.len())
                .filter(|&j| {
                    let p = &rule.peers[j];
                    p.namespace_selector.is_some() && p.pod_selector.is_none() && p.ip_block.is_none()
                })
                .collect();
            let only_pods: Vec<usize> = (0..rule.peers.len())
                .filter(|&j| {
                    let p = &rule.peers[j];
                    p.pod_selector.is_some() && p.namespace_selector.is_none() && p.ip_block.is_none()
                })
                .collect();
            let (Some(&ns_at), Some(&pods_at)) = (only_ns.first(), only_pods.first()) else {
                continue;
            };
            let ns_sel = rule.peers[ns_at].namespace_selector.as_ref().unwrap();
            let pod_sel = rule.peers[pods_at].pod_selector.as_ref().unwrap();
            let message = format!(
                "`{field}` lists a namespaceSelector and a podSelector as separate peers, which are ORed: this rule {verb} {effective}. For only pods {pods} in {namespaces}, write both selectors in one peer (no `-` before `podSelector`)",
                field = rule.direction.peers_field(),
                verb = match rule.direction {
                    Direction::Ingress => "admits",
                    Direction::Egress => "allows traffic to",
                },
                effective = rule.describe_peers(policy.namespace),
                pods = describe(pod_sel),
                namespaces = describe_namespaces(ns_sel),
            );
            out.push(
                Violation::new(message, rule.peer_path(ns_at))
                    .with_fix(merge_fix(&rule, ns_at, pods_at)),
            );
        }
        out
    }
}

/// Moves the pod selector into the namespace peer and removes its own item: only for a list
/// of exactly these two peers, with `matchLabels` only, so the result is the AND peer and
/// nothing else moves.
fn merge_fix(rule: &PolicyRule<'_>, ns_at: usize, pods_at: usize) -> Option<FixPlan> {
    if rule.peers.len() != 2 {
        return None;
    }
    let pods = rule.peers[pods_at].pod_selector.as_ref()?;
    if pods.match_expressions.as_ref().is_some_and(|e| !e.is_empty()) {
        return None;
    }
    let labels = pods.match_labels.as_ref().filter(|l| !l.is_empty())?;
    let target = rule.peer_path(ns_at).key("podSelector").key("matchLabels");
    let mut actions: Vec<FixAction> = labels
        .iter()
        .map(|(k, v)| FixAction::Set {
            path: target.clone().key(k.clone()),
            value: yaml_string(v),
        })
        .collect();
    actions.push(FixAction::Remove {
        path: rule.peer_path(pods_at),
    });
    Some(FixPlan {
        safety: FixSafety::Review,
        title: format!(
            "Merge the two peers into one: pods {} in {}",
            describe(pods),
            describe_namespaces(rule.peers[ns_at].namespace_selector.as_ref()?)
        ),
        caveat: "narrows access: pods of the policy's own namespace that matched the podSelector \
                 are no longer admitted unless their namespace matches too; apply only if AND was \
                 meant"
            .into(),
        actions,
    })
}
