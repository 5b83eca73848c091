//! ## What it does
//! Flags `from`/`to` peers the API server rejects: an empty peer (`- {}`), an `ipBlock`
//! written in the same item as a `podSelector` or `namespaceSelector`, a `cidr` or `except`
//! that is not a valid CIDR, and an `except` range that is not strictly inside its `cidr`.
//!
//! ## Why it matters
//! `kubectl apply` fails with `must specify a peer`, `may not specify both ipBlock and another
//! peer`, `must be a valid CIDR` or `must be a strict subset of cidr`. The policy never reaches
//! the cluster, and a deploy that applies files in order may stop half-way, leaving the
//! workloads running without the policy meant to protect them.
//!
//! ## What to change
//! Before:
//! ```yaml
//! egress:
//!   - to:
//!       - ipBlock:
//!           cidr: 10.0.0.0/16
//!           except: [10.1.0.0/24]      # not inside 10.0.0.0/16
//!         podSelector:                 # ipBlock and a selector in one peer
//!           matchLabels: {app: proxy}
//! ```
//! After:
//! ```yaml
//! egress:
//!   - to:
//!       - ipBlock:
//!           cidr: 10.0.0.0/16
//!           except: [10.0.1.0/24]
//!       - podSelector:
//!           matchLabels: {app: proxy}
//! ```
//!
//! ## Edge cases
//! - An empty peer is not "any peer": to allow every source, leave `from` out of the rule.
//! - `except` must be strictly smaller than `cidr`: an `except` equal to `cidr` is rejected.
//! - An IPv6 `except` inside an IPv4 `cidr` (or the reverse) is never inside it.
//!
//! ## Fix safety
//! No automatic fix: whether the author meant two peers, a different range or no peer at all
//! is theirs to say.
//!
//! ## What if you cannot comply
//! There is no way to apply a rejected policy. Remove the peer if you cannot tell what it was
//! meant to be, and say so in the pull request.
//!
//! ## References
//! - Kubernetes `ValidateNetworkPolicyPeer` and `ValidateIPBlock`
//!   (`pkg/apis/networking/validation/validation.go`).
//! - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors>

use crate::finding::{Severity, Violation};
use crate::rules::{Rule, RuleContext};

use super::spec::{Cidr, Direction, policy, rules};

pub(crate) static RULE: InvalidPeer = InvalidPeer;

pub struct InvalidPeer;

impl Rule for InvalidPeer {
    fn id(&self) -> &'static str {
        "network-policy/invalid-peer"
    }

    fn summary(&self) -> &'static str {
        "NetworkPolicy peers must be ones the API server accepts (no empty peer, no ipBlock with a selector, valid CIDRs)"
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
        for rule in rules(policy.spec) {
            for (j, peer) in rule.peers.iter().enumerate() {
                let path = rule.peer_path(j);
                let selectors = peer.pod_selector.is_some() || peer.namespace_selector.is_some();
                let Some(block) = &peer.ip_block else {
                    if !selectors {
                        out.push(Violation::new(
                            format!(
                                "empty peer in `{}`: the API server rejects it (\"must specify a peer\"); to allow any {}, leave `{}` out of the rule, otherwise name the pods, namespaces or IPs",
                                rule.direction.peers_field(),
                                match rule.direction {
                                    Direction::Ingress => "source",
                                    Direction::Egress => "destination",
                                },
                                rule.direction.peers_field(),
                            ),
                            path,
                        ));
                    }
                    continue;
                };
                if selectors {
                    out.push(Violation::new(
                        "`ipBlock` and a `podSelector`/`namespaceSelector` in one peer: the API server rejects it; write them as two peers, each with its own `-`",
                        path.clone(),
                    ));
                }
                let cidr = match Cidr::parse(&block.cidr) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        out.push(Violation::new(
                            format!("ipBlock.cidr {e}; the API server rejects it"),
                            path.clone().key("ipBlock").key("cidr"),
                        ));
                        None
                    }
                };
                for (k, except) in block.except.iter().flatten().enumerate() {
                    let at = path.clone().key("ipBlock").key("except").index(k);
                    match (Cidr::parse(except), cidr) {
                        (Err(e), _) => out.push(Violation::new(
                            format!("ipBlock.except {e}; the API server rejects it"),
                            at,
                        )),
                        (Ok(ex), Some(c)) if !(c.contains(&ex) && ex.prefix > c.prefix) => {
                            out.push(Violation::new(
                                format!(
                                    "ipBlock.except {except} is not strictly inside cidr {}: the API server rejects it (\"must be a strict subset of cidr\")",
                                    block.cidr
                                ),
                                at,
                            ))
                        }
                        _ => {}
                    }
                }
            }
        }
        out
    }
}
