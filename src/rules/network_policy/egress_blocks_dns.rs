//! ## What it does
//! For pods whose egress a policy isolates, checks that some egress rule (of any policy that
//! selects them) allows DNS: UDP **and** TCP port 53 to the cluster DNS (a peer reaching
//! `kube-system` or a namespace named like `*dns*`, an `ipBlock`, or any destination). An
//! error when neither is allowed (or UDP is missing), a warning when only TCP is missing. The
//! finding sits on the first policy that isolates the pods' egress, so one cause gives one
//! finding.
//!
//! ## Why it matters
//! Once egress is isolated, everything not allowed is dropped, and that includes name
//! resolution: the application fails with "could not resolve host" although the connection it
//! wanted is allowed. UDP-only policies work until an answer is too big for UDP and the resolver
//! retries over TCP (large records, DNSSEC, many A records) — an intermittent failure that is
//! hard to trace back. The Kubernetes docs now warn about this.
//!
//! ## What to change
//! Before:
//! ```yaml
//! spec:
//!   podSelector: {app: web}
//!   policyTypes: [Egress]
//!   egress:
//!     - to: [{podSelector: {matchLabels: {app: api}}}]
//! ```
//! After:
//! ```yaml
//! spec:
//!   podSelector: {app: web}
//!   policyTypes: [Egress]
//!   egress:
//!     - to: [{podSelector: {matchLabels: {app: api}}}]
//!     - to:
//!         - namespaceSelector:
//!             matchLabels: {kubernetes.io/metadata.name: kube-system}
//!           podSelector:
//!             matchLabels: {k8s-app: kube-dns}
//!       ports:
//!         - {protocol: UDP, port: 53}
//!         - {protocol: TCP, port: 53}
//! ```
//!
//! ## Edge cases
//! - In a pull-request review kubenudge sees only the changed files, so this check, which
//!   concludes from what is *not* there, runs only when the whole repository is checked
//!   (`kubenudge check`).
//! - Policies see the port of the DNS *pod* (after the Service is translated): on OpenShift the
//!   DNS pods listen on 5353, which is accepted too, as are named ports called `dns…`.
//! - NodeLocal DNSCache (169.254.20.10) needs an `ipBlock`; any `ipBlock` peer is accepted as a
//!   possible resolver, since kubenudge cannot know where the resolver is.
//! - When the repository declares the namespace's workloads, each selected workload is judged
//!   with every policy selecting it; otherwise only policies that surely select the same pods
//!   (same or empty `podSelector`) are combined.
//! - Pods whose egress is denied entirely (no egress rule in any policy selecting them) are
//!   not reported: they connect to nothing, with or without DNS.
//! - Workloads that resolve nothing (they talk to IPs only) can ignore the finding.
//!
//! ## Fix safety
//! Needs review. The fix adds one egress rule to the policy:
//! `{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}],
//! ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}` — port 53 to the pods of
//! `kube-system`, where kube-dns and CoreDNS run (without pod labels, which differ between
//! distributions; add `podSelector: {matchLabels: {k8s-app: kube-dns}}` to narrow it). On
//! OpenShift (namespace `openshift-dns`, port 5353) or with NodeLocal DNSCache, write the rule
//! by hand instead.
//!
//! ## What if you cannot comply
//! If the pods really need no name resolution, ignore the finding with that reason.
//!
//! ## References
//! - <https://kubernetes.io/docs/concepts/services-networking/network-policies/> (DNS caution,
//!   kubernetes/website#55115)
//! - cyclonus `CheckDNSBlockedOnUDP` / `CheckDNSBlockedOnTCP`.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::finding::{FixAction, FixPlan, FixSafety, Severity, Violation};
use crate::manifest::FieldPath;
use crate::manifest::selector;
use crate::rules::repository::{RepoPolicy, Repository, Workload};
use crate::rules::{FixAvailability, Rule, RuleContext};

use super::spec::{
    Direction, PolicyRule, PolicyTypes, list_workloads, peer_namespaces, pod_selector, policy,
    rules,
};

pub(crate) static RULE: EgressBlocksDns = EgressBlocksDns;

pub struct EgressBlocksDns;

impl Rule for EgressBlocksDns {
    fn id(&self) -> &'static str {
        "network-policy/egress-blocks-dns"
    }

    fn summary(&self) -> &'static str {
        "pods whose egress is isolated must still be allowed DNS (UDP and TCP 53)"
    }

    fn fix_availability(&self) -> FixAvailability {
        FixAvailability::Always
    }

    /// Missing UDP breaks every lookup; the per-finding severity lowers TCP-only gaps to a
    /// warning.
    fn severity(&self) -> Severity {
        Severity::Error
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx).filter(|p| p.repo.is_complete()) else {
            return Vec::new();
        };
        if !PolicyTypes::of(policy.spec).egress {
            return Vec::new();
        }
        let repo = policy.repo;
        let is_this = |p: &RepoPolicy<'_>| policy.is(p);
        // (workloads judged, UDP allowed, TCP allowed) per group of pods.
        let mut gaps: Vec<(Vec<&Workload<'_>>, bool, bool)> = Vec::new();
        match policy.selected() {
            Some(selected) => {
                for w in selected {
                    let mine: Vec<&RepoPolicy<'_>> = repo
                        .policies_selecting(w)
                        .filter(|p| PolicyTypes::of(p.spec).egress)
                        .collect();
                    if !mine.first().is_some_and(|p| is_this(p)) {
                        continue;
                    }
                    let (udp, tcp) = dns_allowed(repo, &mine);
                    match gaps.iter_mut().find(|g| (g.1, g.2) == (udp, tcp)) {
                        Some(g) => g.0.push(w),
                        None => gaps.push((vec![w], udp, tcp)),
                    }
                }
            }
            None => {
                let own = pod_selector(policy.spec);
                let same: Vec<&RepoPolicy<'_>> = repo
                    .policies_in(policy.namespace)
                    .filter(|p| PolicyTypes::of(p.spec).egress)
                    .filter(|p| {
                        let s = pod_selector(p.spec);
                        selector::is_empty(s) || s == own
                    })
                    .collect();
                if same.first().is_some_and(|p| is_this(p)) {
                    let (udp, tcp) = dns_allowed(repo, &same);
                    gaps.push((Vec::new(), udp, tcp));
                }
            }
        }
        let path = if cx.exists(&FieldPath::parse("spec.policyTypes")) {
            FieldPath::parse("spec.policyTypes")
        } else {
            FieldPath::parse("spec.egress")
        };
        let who = |ws: &[&Workload<'_>]| {
            if ws.is_empty() {
                policy.describe_selected()
            } else {
                list_workloads(ws)
            }
        };
        gaps.into_iter()
            .filter_map(|(ws, udp, tcp)| match (udp, tcp) {
                (true, true) => None,
                (true, false) => Some(
                    Violation::new(
                        format!(
                            "egress of {} is isolated and DNS is allowed over UDP but not TCP: lookups whose answers do not fit in UDP fail; allow TCP on the same DNS port too",
                            who(&ws)
                        ),
                        path.clone(),
                    )
                    .with_severity(Severity::Warning)
                    .with_fix(Some(dns_fix())),
                ),
                (false, tcp) => Some(Violation::new(
                    format!(
                        "egress of {} is isolated and no egress rule allows DNS{}: name lookups fail; allow UDP and TCP 53 to the cluster DNS (namespace kube-system, k8s-app=kube-dns)",
                        who(&ws),
                        if tcp { " over UDP (only over TCP)" } else { " (UDP and TCP 53)" }
                    ),
                    path.clone(),
                )
                .with_fix(Some(dns_fix()))),
            })
            .collect()
    }
}

/// The egress rule the fix adds: UDP and TCP 53 to every pod of kube-system, where kube-dns
/// and CoreDNS run (no pod labels: they differ between distributions).
const DNS_RULE: &str = "{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}";

fn dns_fix() -> FixPlan {
    FixPlan {
        safety: FixSafety::Review,
        title: "Add an egress rule allowing DNS (UDP and TCP 53) to kube-system".into(),
        caveat: "assumes the cluster DNS runs in kube-system on port 53 (kube-dns, CoreDNS); \
                 on OpenShift it is namespace openshift-dns, port 5353, and NodeLocal DNSCache \
                 needs an ipBlock for 169.254.20.10"
            .into(),
        actions: vec![FixAction::AddToList {
            path: FieldPath::parse("spec.egress"),
            item: DNS_RULE.into(),
        }],
    }
}

/// Whether the egress rules of `policies` allow DNS over UDP and over TCP. Pods allowed no
/// egress at all count as (true, true): they connect to nothing, so DNS changes nothing.
fn dns_allowed(repo: &Repository<'_>, policies: &[&RepoPolicy<'_>]) -> (bool, bool) {
    let no_egress = policies
        .iter()
        .all(|p| p.spec.egress.as_ref().is_none_or(|e| e.is_empty()));
    if no_egress {
        return (true, true);
    }
    let (mut udp, mut tcp) = (false, false);
    for p in policies {
        for rule in rules(p.spec)
            .into_iter()
            .filter(|r| r.direction == Direction::Egress)
        {
            if !reaches_dns(repo, &rule, p.namespace) {
                continue;
            }
            let (u, t) = dns_ports(&rule);
            udp |= u;
            tcp |= t;
        }
    }
    (udp, tcp)
}

/// True when a rule's destinations can include the cluster DNS.
fn reaches_dns(repo: &Repository<'_>, rule: &PolicyRule<'_>, namespace: &str) -> bool {
    rule.peers.is_empty()
        || rule.peers.iter().any(|peer| {
            peer.ip_block.is_some()
                || peer_namespaces(repo, peer, namespace)
                    .iter()
                    .any(|ns| ns.name == "kube-system" || ns.name.contains("dns"))
        })
}

/// Whether a rule's ports admit DNS over (UDP, TCP): port 53 (5353 for OpenShift's DNS pods)
/// or a named port `dns…`.
fn dns_ports(rule: &PolicyRule<'_>) -> (bool, bool) {
    if rule.ports.is_empty() {
        return (true, true);
    }
    let (mut udp, mut tcp) = (false, false);
    for port in rule.ports {
        let dns = match &port.port {
            None => true,
            Some(IntOrString::Int(n)) => {
                let end = port.end_port.unwrap_or(*n);
                [53, 5353].iter().any(|d| (*n..=end).contains(d))
            }
            Some(IntOrString::String(name)) => name.starts_with("dns"),
        };
        match port.protocol.as_deref().unwrap_or("TCP") {
            "UDP" => udp |= dns,
            "TCP" => tcp |= dns,
            _ => {}
        }
    }
    (udp, tcp)
}
