//! ## What it does
//! Flags `ports` entries without `protocol` whose port is a well-known UDP service (DNS 53,
//! DHCP 67/68, TFTP 69, NTP 123, SNMP 161/162, IKE 500, syslog 514, RADIUS 1812/1813, STUN
//! 3478, IPsec NAT-T 4500, VXLAN 4789/8472, mDNS 5353, Jaeger agent 6831/6832, statsd 8125,
//! WireGuard 51820), or whose destination workload declares that container port as UDP only.
//!
//! ## Why it matters
//! `protocol` defaults to `TCP`. An entry `port: 53` allows TCP 53 only, so UDP lookups (almost
//! all DNS traffic), NTP syncs or statsd metrics are silently dropped, while the policy reads as
//! if it allowed them.
//!
//! ## What to change
//! Before:
//! ```yaml
//! ports:
//!   - port: 53
//! ```
//! After:
//! ```yaml
//! ports:
//!   - port: 53
//!     protocol: UDP
//!   - port: 53
//!     protocol: TCP     # DNS falls back to TCP for large answers
//! ```
//!
//! ## Edge cases
//! - DNS needs both: keep (or add) a `TCP` entry for 53 next to the `UDP` one;
//!   `network-policy/egress-blocks-dns` reports a policy that allows only one of them.
//! - When the destination workload declares the port as TCP, the entry is taken as meant
//!   and not reported.
//!
//! ## Fix safety
//! Needs review: the fix sets `protocol: UDP`, so the entry stops allowing TCP on that port.
//! For DNS add a TCP entry as well.
//!
//! ## What if you cannot comply
//! If TCP on that port is really what is meant, write `protocol: TCP` explicitly: it documents
//! the intent and silences the finding.
//!
//! ## References
//! - Kubernetes `SetDefaults_NetworkPolicyPort` (TCP default); cyclonus
//!   `CheckSourcePortMissingProtocol`.
//! - <https://kubernetes.io/docs/reference/kubernetes-api/networking/network-policy-v1/> (NetworkPolicyPort).

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::finding::{FixAction, FixPlan, FixSafety, Violation};
use crate::rules::repository::Workload;
use crate::rules::{FixAvailability, Rule, RuleContext};

use super::spec::{Direction, PolicyView, peer_workloads, policy, rules};

pub(crate) static RULE: MissingUdpProtocol = MissingUdpProtocol;

pub struct MissingUdpProtocol;

/// Ports whose service runs over UDP.
const UDP_SERVICES: [(i32, &str); 20] = [
    (53, "DNS"),
    (67, "DHCP"),
    (68, "DHCP"),
    (69, "TFTP"),
    (123, "NTP"),
    (161, "SNMP"),
    (162, "SNMP traps"),
    (500, "IKE"),
    (514, "syslog"),
    (1812, "RADIUS"),
    (1813, "RADIUS accounting"),
    (3478, "STUN"),
    (4500, "IPsec NAT traversal"),
    (4789, "VXLAN"),
    (5353, "mDNS"),
    (6831, "Jaeger agent"),
    (6832, "Jaeger agent"),
    (8125, "statsd"),
    (8472, "VXLAN (flannel)"),
    (51820, "WireGuard"),
];

impl Rule for MissingUdpProtocol {
    fn id(&self) -> &'static str {
        "network-policy/missing-udp-protocol"
    }

    fn summary(&self) -> &'static str {
        "ports of UDP services need `protocol: UDP` (the default is TCP)"
    }

    fn fix_availability(&self) -> FixAvailability {
        FixAvailability::Always
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for rule in rules(policy.spec) {
            let mut destinations: Option<Vec<&Workload<'_>>> = None;
            for (j, port) in rule.ports.iter().enumerate() {
                let (None, Some(IntOrString::Int(number))) = (&port.protocol, &port.port) else {
                    continue;
                };
                let number = *number;
                let destinations = destinations
                    .get_or_insert_with(|| destination_workloads(&policy, &rule));
                let declared: Vec<&str> = destinations
                    .iter()
                    .flat_map(|w| &w.ports)
                    .filter(|p| p.number == number)
                    .map(|p| p.protocol)
                    .collect();
                let service = UDP_SERVICES
                    .iter()
                    .find(|(n, _)| *n == number)
                    .map(|(_, name)| *name);
                let reason = if declared.contains(&"TCP") {
                    continue;
                } else if !declared.is_empty() && declared.iter().all(|p| *p == "UDP") {
                    format!("the destination declares container port {number} as UDP")
                } else if let Some(service) = service {
                    format!("{number} is {service}, a UDP service")
                } else {
                    continue;
                };
                let dns = if number == 53 {
                    "; DNS needs UDP and TCP 53, so keep a TCP entry too"
                } else {
                    ""
                };
                out.push(
                    Violation::new(
                        format!(
                            "port {number} has no protocol, so it allows TCP only, but {reason}: add `protocol: UDP`{dns}"
                        ),
                        rule.port_path(j),
                    )
                    .with_fix(Some(FixPlan {
                        safety: FixSafety::Review,
                        title: format!("Set `protocol: UDP` on port {number}"),
                        caveat: format!(
                            "the entry stops allowing TCP {number}; add a TCP entry if that is needed too"
                        )
                        .into(),
                        actions: vec![FixAction::Set {
                            path: rule.port_path(j).key("protocol"),
                            value: "UDP".into(),
                        }],
                    })),
                );
            }
        }
        out
    }
}

/// The workloads a rule's ports apply to: the selected pods for ingress, the peers' workloads
/// for egress (those the repository knows).
fn destination_workloads<'a>(
    policy: &PolicyView<'a>,
    rule: &super::spec::PolicyRule<'_>,
) -> Vec<&'a Workload<'a>> {
    match rule.direction {
        Direction::Ingress => policy.selected().unwrap_or_default(),
        Direction::Egress => rule
            .peers
            .iter()
            .filter_map(|p| peer_workloads(policy.repo, p, policy.namespace))
            .flatten()
            .collect(),
    }
}
