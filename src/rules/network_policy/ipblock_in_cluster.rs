//! ## What it does
//! Flags `ipBlock` peers whose range lies inside a default pod or Service range of common
//! clusters: kubeadm Services `10.96.0.0/12` and pods `10.244.0.0/16` (flannel), k3s pods
//! `10.42.0.0/16` and Services `10.43.0.0/16`, EKS Services `10.100.0.0/16` and
//! `172.20.0.0/16`, GKE Services `34.118.224.0/20`.
//!
//! ## Why it matters
//! Whether `ipBlock` matches pod IPs is up to the network plugin (Cilium never does), and a
//! Service's ClusterIP is translated to a pod IP *before* policy is applied, so an `ipBlock`
//! for the kube-dns Service IP (`10.96.0.10/32`) allows nothing. The policy looks right and
//! blocks the traffic; selectors are what works.
//!
//! ## What to change
//! Before:
//! ```yaml
//! egress:
//!   - to:
//!       - ipBlock: {cidr: 10.96.0.10/32}   # the kube-dns Service IP
//!     ports: [{protocol: UDP, port: 53}]
//! ```
//! After:
//! ```yaml
//! egress:
//!   - to:
//!       - namespaceSelector:
//!           matchLabels: {kubernetes.io/metadata.name: kube-system}
//!         podSelector:
//!           matchLabels: {k8s-app: kube-dns}
//!     ports: [{protocol: UDP, port: 53}]
//! ```
//!
//! ## Edge cases
//! - kubenudge does not know your cluster's ranges: a range that only overlaps partly (such
//!   as `10.0.0.0/8`, often a corporate network) is not reported, and a cluster whose ranges
//!   differ from the defaults may get a finding for an address that is really external.
//! - NodeLocal DNSCache (`169.254.20.10`) is a node-local address and is not reported.
//!
//! ## Fix safety
//! No automatic fix: the pods behind the address are not known from the YAML.
//!
//! ## What if you cannot comply
//! If the address really is outside the cluster (your cluster uses other ranges), ignore the
//! finding with a reason giving the cluster's pod and Service ranges.
//!
//! ## References
//! - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors>
//!   (ipBlock paragraph); cilium/cilium#19601, #9209.

use crate::finding::Violation;
use crate::rules::{Rule, RuleContext};

use super::spec::{Cidr, policy, rules};

pub(crate) static RULE: IpblockInCluster = IpblockInCluster;

pub struct IpblockInCluster;

/// Default in-cluster ranges and what uses them.
const CLUSTER_RANGES: [(&str, &str); 7] = [
    ("10.96.0.0/12", "kubeadm's default Service range"),
    ("10.244.0.0/16", "the default pod range of kubeadm with flannel"),
    ("10.42.0.0/16", "k3s's default pod range"),
    ("10.43.0.0/16", "k3s's default Service range"),
    ("10.100.0.0/16", "an EKS default Service range"),
    ("172.20.0.0/16", "an EKS default Service range"),
    ("34.118.224.0/20", "GKE's default Service range"),
];

impl Rule for IpblockInCluster {
    fn id(&self) -> &'static str {
        "network-policy/ipblock-in-cluster"
    }

    fn summary(&self) -> &'static str {
        "ipBlock should not target in-cluster pod or Service addresses (use selectors)"
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx) else {
            return Vec::new();
        };
        let ranges: Vec<(Cidr, &str)> = CLUSTER_RANGES
            .iter()
            .filter_map(|(c, what)| Cidr::parse(c).ok().map(|c| (c, *what)))
            .collect();
        let mut out = Vec::new();
        for rule in rules(policy.spec) {
            for (j, peer) in rule.peers.iter().enumerate() {
                let Some(block) = &peer.ip_block else {
                    continue;
                };
                let Ok(cidr) = Cidr::parse(&block.cidr) else {
                    continue;
                };
                if let Some((_, what)) = ranges.iter().find(|(r, _)| r.contains(&cidr)) {
                    out.push(Violation::new(
                        format!(
                            "ipBlock {} is inside {what}: Service IPs are translated to pod IPs before policy applies, and many network plugins never match pod IPs with ipBlock, so this peer likely allows nothing; select the pods with namespaceSelector/podSelector instead",
                            block.cidr
                        ),
                        rule.peer_path(j).key("ipBlock").key("cidr"),
                    ));
                }
            }
        }
        out
    }
}
