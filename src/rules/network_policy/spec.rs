//! Reading a NetworkPolicy the way the API server does, for every `network-policy/` rule:
//! `policyTypes` after defaulting, the rules of both directions with their field paths, what
//! a peer means in words and which repository workloads it selects, ports and CIDRs.
//!
//! One reading shared by all rules, so two rules never disagree about what a peer means. It
//! decides nothing itself (no findings here) and never looks beyond the repository view.

use std::net::IpAddr;

use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::manifest::FieldPath;
use crate::manifest::selector::{self, describe, is_empty};
use crate::rules::RuleContext;
use crate::rules::repository::{
    DEFAULT_NAMESPACE, NAMESPACE_NAME_LABEL, RepoNamespace, RepoPolicy, Repository, Workload,
};

/// The policy a rule is looking at: its spec and namespace, with the repository's entry for it.
pub struct PolicyView<'a> {
    pub spec: &'a NetworkPolicySpec,
    /// `metadata.namespace`, or `default` where `kubectl apply` would put it.
    pub namespace: &'a str,
    pub repo: &'a Repository<'a>,
    object: &'a crate::manifest::Object,
}

/// The NetworkPolicy the rule context holds, if it holds one.
pub fn policy<'a>(cx: &RuleContext<'a>) -> Option<PolicyView<'a>> {
    let policy = cx.typed.network_policy()?;
    static NO_SPEC: std::sync::LazyLock<NetworkPolicySpec> =
        std::sync::LazyLock::new(NetworkPolicySpec::default);
    Some(PolicyView {
        spec: policy.spec.as_ref().unwrap_or(&NO_SPEC),
        namespace: cx.object.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE),
        repo: cx.repository(),
        object: cx.object,
    })
}

impl<'a> PolicyView<'a> {
    /// The workloads of the policy's namespace its `spec.podSelector` selects, or `None` when
    /// the repository declares no workload in that namespace.
    pub fn selected(&self) -> Option<Vec<&'a Workload<'a>>> {
        if !self.repo.has_workloads_in(self.namespace) {
            return None;
        }
        match self.entry() {
            Some(entry) => Some(self.repo.workloads_selected_by(entry).collect()),
            None => Some(
                self.repo
                    .workloads_matching(self.namespace, pod_selector(self.spec)),
            ),
        }
    }

    /// The repository's entry for this policy (absent when the rule runs without one).
    pub fn entry(&self) -> Option<&'a RepoPolicy<'a>> {
        self.repo.policy_of(self.object)
    }

    /// True when `other` is this policy.
    pub fn is(&self, other: &RepoPolicy<'_>) -> bool {
        std::ptr::eq(other.object, self.object)
    }

    /// The pods the policy applies to, in words: `pods app=web in namespace shop`.
    pub fn describe_selected(&self) -> String {
        format!(
            "{} in namespace {}",
            describe_pods(Some(pod_selector(self.spec))),
            self.namespace
        )
    }
}

/// `spec.podSelector`; a missing one is `{}` (every pod of the namespace).
pub fn pod_selector(spec: &NetworkPolicySpec) -> &LabelSelector {
    static ALL: std::sync::LazyLock<LabelSelector> =
        std::sync::LazyLock::new(LabelSelector::default);
    spec.pod_selector.as_ref().unwrap_or(&ALL)
}

/// A label value as YAML scalar text that reads back as that string (`"true"` quoted, `web`
/// plain), for fix plans.
pub fn yaml_string(value: &str) -> String {
    let plain = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        value.to_string()
    } else {
        serde_json::Value::String(value.to_string()).to_string()
    }
}

/// Workloads as a short list for a message: `shop/web[Deployment], shop/db[StatefulSet]`,
/// and how many more.
/// A workload defined twice (two overlays, two copies) is named once.
pub fn list_workloads(workloads: &[&Workload<'_>]) -> String {
    cap_unique(
        workloads.iter().copied(),
        |w| w.display_name(),
        |w| (w.namespace, w.object.name.as_str(), w.object.kind.as_str()),
    )
}

/// [`cap_list`] of the distinct items of `items` (distinct by `key`, in first-seen order),
/// formatting only the ones shown: a policy whose peer reaches every workload of a big
/// repository lists four of them, not thousands of strings.
pub fn cap_unique<T, K: std::hash::Hash + Eq>(
    items: impl Iterator<Item = T>,
    format: impl Fn(&T) -> String,
    key: impl Fn(&T) -> K,
) -> String {
    // Fx hashing, sized from the start: a policy that reaches every workload of its namespace
    // sees each of them here, and SipHash plus regrowth cost more than the rule around it.
    let mut seen = rustc_hash::FxHashSet::default();
    seen.reserve(items.size_hint().0);
    let mut shown: Vec<String> = Vec::new();
    let mut more = 0usize;
    for item in items {
        if !seen.insert(key(&item)) {
            continue;
        }
        if shown.len() < CAP_SHOWN {
            shown.push(format(&item));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        shown.push(format!("and {more} more"));
    }
    shown.join(", ")
}

/// How many items a list in a message shows before `and N more`.
const CAP_SHOWN: usize = 4;

/// At most four items, then `and N more`, joined by commas.
pub fn cap_list(mut items: Vec<String>) -> String {
    if items.len() > CAP_SHOWN {
        let more = items.len() - CAP_SHOWN;
        items.truncate(CAP_SHOWN);
        items.push(format!("and {more} more"));
    }
    items.join(", ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// `ingress` / `egress`: the field under `spec`.
    pub fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// `from` / `to`: the peer list of a rule.
    pub fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }

    /// `Ingress` / `Egress`, as `policyTypes` spells it.
    pub fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// The directions a policy isolates, after the API server's defaulting: with no
/// `policyTypes`, Ingress always, and Egress when there is at least one egress rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyTypes {
    pub ingress: bool,
    pub egress: bool,
    /// True when the manifest lists `policyTypes` (no defaulting happened).
    pub explicit: bool,
}

impl PolicyTypes {
    pub fn of(spec: &NetworkPolicySpec) -> Self {
        match spec.policy_types.as_deref() {
            Some(types) if !types.is_empty() => PolicyTypes {
                ingress: types.iter().any(|t| t == "Ingress"),
                egress: types.iter().any(|t| t == "Egress"),
                explicit: true,
            },
            _ => PolicyTypes {
                ingress: true,
                egress: spec.egress.as_ref().is_some_and(|e| !e.is_empty()),
                explicit: false,
            },
        }
    }

    pub fn isolates(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }

    /// `[Ingress, Egress]`, as a reader would write the effective list.
    pub fn describe(&self) -> String {
        let mut types = Vec::new();
        if self.ingress {
            types.push("Ingress");
        }
        if self.egress {
            types.push("Egress");
        }
        format!("[{}]", types.join(", "))
    }
}

/// One rule of a policy (an item of `spec.ingress` or `spec.egress`).
#[derive(Debug, Clone, Copy)]
pub struct PolicyRule<'a> {
    pub direction: Direction,
    pub index: usize,
    /// `from` / `to`; empty when missing (any peer).
    pub peers: &'a [NetworkPolicyPeer],
    /// Empty when missing (every port).
    pub ports: &'a [NetworkPolicyPort],
}

impl PolicyRule<'_> {
    /// `spec.ingress[0]`.
    pub fn path(&self) -> FieldPath {
        FieldPath::parse("spec")
            .key(self.direction.field())
            .index(self.index)
    }

    /// `spec.ingress[0].from[1]`.
    pub fn peer_path(&self, peer: usize) -> FieldPath {
        self.path().key(self.direction.peers_field()).index(peer)
    }

    /// `spec.ingress[0].ports[1]`.
    pub fn port_path(&self, port: usize) -> FieldPath {
        self.path().key("ports").index(port)
    }

    /// The rule's peers in words, joined by OR; "any source" when it names none.
    pub fn describe_peers(&self, policy_namespace: &str) -> String {
        if self.peers.is_empty() {
            return match self.direction {
                Direction::Ingress => "any source (every pod and every IP address)".into(),
                Direction::Egress => "any destination (every pod and every IP address)".into(),
            };
        }
        self.peers
            .iter()
            .map(|p| describe_peer(p, policy_namespace))
            .collect::<Vec<_>>()
            .join(" OR ")
    }
}

/// Every rule of the policy, ingress first, in written order.
pub fn rules(spec: &NetworkPolicySpec) -> Vec<PolicyRule<'_>> {
    let ingress = spec
        .ingress
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| PolicyRule {
            direction: Direction::Ingress,
            index: i,
            peers: r.from.as_deref().unwrap_or_default(),
            ports: r.ports.as_deref().unwrap_or_default(),
        });
    let egress = spec
        .egress
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| PolicyRule {
            direction: Direction::Egress,
            index: i,
            peers: r.to.as_deref().unwrap_or_default(),
            ports: r.ports.as_deref().unwrap_or_default(),
        });
    ingress.chain(egress).collect()
}

/// The namespaces a selector names, in words: `namespace prod` for the
/// `kubernetes.io/metadata.name` label, `all namespaces` for `{}`.
pub fn describe_namespaces(selector: &LabelSelector) -> String {
    if is_empty(selector) {
        return "all namespaces".into();
    }
    if selector
        .match_expressions
        .as_ref()
        .is_none_or(|e| e.is_empty())
        && let Some(labels) = &selector.match_labels
        && labels.len() == 1
        && let Some(name) = labels.get(NAMESPACE_NAME_LABEL)
    {
        return format!("namespace {name}");
    }
    format!("namespaces with {}", describe(selector))
}

fn describe_pods(selector: Option<&LabelSelector>) -> String {
    match selector {
        Some(s) if !is_empty(s) => format!("pods {}", describe(s)),
        _ => "all pods".into(),
    }
}

/// One peer in words: `pods app=web in namespace shop`, `all pods in namespaces with
/// env=dev`, `IPs in 10.0.0.0/8 except 10.1.0.0/16`.
pub fn describe_peer(peer: &NetworkPolicyPeer, policy_namespace: &str) -> String {
    if let Some(block) = &peer.ip_block {
        let mut text = format!("IPs in {}", block.cidr);
        if let Some(except) = block.except.as_ref().filter(|e| !e.is_empty()) {
            text.push_str(&format!(" except {}", except.join(", ")));
        }
        return text;
    }
    match &peer.namespace_selector {
        None => format!(
            "{} in namespace {policy_namespace}",
            describe_pods(peer.pod_selector.as_ref())
        ),
        Some(ns) => format!(
            "{} in {}",
            describe_pods(peer.pod_selector.as_ref()),
            describe_namespaces(ns)
        ),
    }
}

/// The known namespaces a peer reaches into: the policy's own without a namespaceSelector.
pub fn peer_namespaces<'r>(
    repo: &'r Repository<'_>,
    peer: &NetworkPolicyPeer,
    policy_namespace: &str,
) -> Vec<&'r RepoNamespace> {
    match &peer.namespace_selector {
        None => repo.namespace(policy_namespace).into_iter().collect(),
        Some(sel) => repo
            .namespaces()
            .filter(|ns| selector::matches(sel, &ns.labels))
            .collect(),
    }
}

/// The workloads a selector peer selects, or `None` when the repository cannot say: an
/// ipBlock peer, or no workload declared in any namespace the peer reaches into (they may live
/// in another repository).
pub fn peer_workloads<'r, 'a>(
    repo: &'r Repository<'a>,
    peer: &NetworkPolicyPeer,
    policy_namespace: &str,
) -> Option<Vec<&'r Workload<'a>>> {
    let (namespaces, pods) = peer_scope(repo, peer, policy_namespace)?;
    Some(
        namespaces
            .iter()
            .flat_map(|ns| repo.workloads_matching(&ns.name, pods))
            .collect(),
    )
}

/// True when [`peer_workloads`] would be `Some` and empty: the peer reaches into namespaces
/// with workloads and selects none of them. Stops at the first match instead of listing
/// every workload a broad selector (`namespaceSelector: {}`) reaches.
pub fn peer_selects_nothing(
    repo: &Repository<'_>,
    peer: &NetworkPolicyPeer,
    policy_namespace: &str,
) -> bool {
    peer_scope(repo, peer, policy_namespace).is_some_and(|(namespaces, pods)| {
        !namespaces
            .iter()
            .any(|ns| repo.any_workload_matching(&ns.name, pods))
    })
}

/// Where a selector peer looks: the namespaces it reaches into and its pod selector, or
/// `None` when the repository cannot say (see [`peer_workloads`]).
fn peer_scope<'r, 'p>(
    repo: &'r Repository<'_>,
    peer: &'p NetworkPolicyPeer,
    policy_namespace: &str,
) -> Option<(Vec<&'r RepoNamespace>, &'p LabelSelector)> {
    if peer.ip_block.is_some() {
        return None;
    }
    let namespaces = peer_namespaces(repo, peer, policy_namespace);
    if !namespaces.iter().any(|ns| repo.has_workloads_in(&ns.name)) {
        return None;
    }
    static ALL: std::sync::LazyLock<LabelSelector> =
        std::sync::LazyLock::new(LabelSelector::default);
    Some((namespaces, peer.pod_selector.as_ref().unwrap_or(&ALL)))
}

/// True when a selector peer selects the workload (ipBlock peers never do: whether they match
/// pod IPs is up to the network plugin).
pub fn peer_selects(
    repo: &Repository<'_>,
    peer: &NetworkPolicyPeer,
    policy_namespace: &str,
    workload: &Workload<'_>,
) -> bool {
    if peer.ip_block.is_some() {
        return false;
    }
    let in_namespace = match &peer.namespace_selector {
        None => workload.namespace == policy_namespace,
        Some(sel) => repo
            .namespace(workload.namespace)
            .is_some_and(|ns| selector::matches(sel, &ns.labels)),
    };
    in_namespace
        && peer
            .pod_selector
            .as_ref()
            .is_none_or(|s| selector::matches(s, workload.labels))
}

/// The workloads of the policy's namespace its `spec.podSelector` selects.
pub fn selected_workloads<'r, 'a>(
    repo: &'r Repository<'a>,
    policy: &RepoPolicy<'_>,
) -> Vec<&'r Workload<'a>> {
    repo.workloads_selected_by(policy).collect()
}

/// The protocol of a port entry: `TCP` when left out.
pub fn protocol(port: &NetworkPolicyPort) -> &str {
    port.protocol.as_deref().unwrap_or("TCP")
}

/// The port numbers one port entry allows on one destination workload, per protocol: `None`
/// for "every port", an empty list when a named port is not defined there.
fn port_ranges(port: &NetworkPolicyPort, destination: &Workload<'_>) -> Option<Vec<(i32, i32)>> {
    match &port.port {
        None => None,
        Some(IntOrString::Int(n)) => Some(vec![(*n, port.end_port.unwrap_or(*n))]),
        Some(IntOrString::String(name)) => Some(
            destination
                .ports
                .iter()
                .filter(|p| p.name == Some(name.as_str()) && p.protocol == protocol(port))
                .map(|p| (p.number, p.number))
                .collect(),
        ),
    }
}

/// True when two port lists (an empty list = every port) share a protocol and port on the
/// destination workload: named ports are resolved against its containers.
pub fn ports_overlap(
    a: &[NetworkPolicyPort],
    b: &[NetworkPolicyPort],
    destination: &Workload<'_>,
) -> bool {
    if a.is_empty() || b.is_empty() {
        let (rest, other) = if a.is_empty() { (b, a) } else { (a, b) };
        // Every port on one side: the other side's ports must resolve to something.
        return other.is_empty()
            || rest
                .iter()
                .any(|p| port_ranges(p, destination).is_none_or(|r| !r.is_empty()));
    }
    a.iter().any(|pa| {
        b.iter().any(|pb| {
            if protocol(pa) != protocol(pb) {
                return false;
            }
            match (port_ranges(pa, destination), port_ranges(pb, destination)) {
                (None, None) => true,
                (None, Some(r)) | (Some(r), None) => !r.is_empty(),
                (Some(ra), Some(rb)) => ra
                    .iter()
                    .any(|(a0, a1)| rb.iter().any(|(b0, b1)| a0 <= b1 && b0 <= a1)),
            }
        })
    })
}

/// An IP range as `ipBlock` writes it: `10.0.0.0/8`, `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: u128,
    pub prefix: u8,
    pub v6: bool,
}

impl Cidr {
    /// Parses as the API server does (Go's `net.ParseCIDR`: an address, `/`, a prefix length
    /// within the family's bits).
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let Some((ip, prefix)) = text.split_once('/') else {
            return Err(format!(
                "{text:?} is not a CIDR: it needs a prefix length, such as {text}/32"
            ));
        };
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| format!("{text:?} is not a CIDR: {ip:?} is not an IP address"))?;
        let (addr, bits, v6) = match ip {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32, false),
            IpAddr::V6(v6) => (u128::from(v6), 128, true),
        };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= bits && !prefix.starts_with('+'))
            .ok_or_else(|| {
                format!("{text:?} is not a CIDR: the prefix length must be 0 to {bits}")
            })?;
        Ok(Cidr { addr, prefix, v6 })
    }

    fn bits(&self) -> u8 {
        if self.v6 { 128 } else { 32 }
    }

    fn network(&self, prefix: u8) -> u128 {
        let host_bits = u32::from(self.bits() - prefix);
        if host_bits >= 128 {
            0
        } else {
            self.addr >> host_bits
        }
    }

    /// True when every address of `other` is in `self`.
    pub fn contains(&self, other: &Cidr) -> bool {
        self.v6 == other.v6
            && other.prefix >= self.prefix
            && self.network(self.prefix) == other.network(self.prefix)
    }

    /// `0.0.0.0/0` or `::/0`.
    pub fn is_everything(&self) -> bool {
        self.prefix == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capped_list_counts_every_distinct_item_and_formats_only_the_shown_ones() {
        let formatted = std::cell::Cell::new(0);
        let items = ["a", "b", "a", "c", "d", "e", "f", "b"];
        let list = cap_unique(
            items.iter(),
            |s| {
                formatted.set(formatted.get() + 1);
                s.to_string()
            },
            |s| **s,
        );
        assert_eq!(list, "a, b, c, d, and 2 more");
        assert_eq!(formatted.get(), CAP_SHOWN);
        assert_eq!(
            list,
            cap_list(
                vec!["a", "b", "c", "d", "e", "f"]
                    .into_iter()
                    .map(String::from)
                    .collect()
            )
        );
    }

    #[test]
    fn cidrs_parse_and_contain_as_go_does() {
        let ten = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(ten.contains(&Cidr::parse("10.1.0.0/16").unwrap()));
        assert!(ten.contains(&ten));
        assert!(!ten.contains(&Cidr::parse("11.0.0.0/16").unwrap()));
        assert!(!ten.contains(&Cidr::parse("0.0.0.0/0").unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().is_everything());
        assert!(
            Cidr::parse("::/0")
                .unwrap()
                .contains(&Cidr::parse("2001:db8::/32").unwrap())
        );
        assert!(
            !Cidr::parse("::/0").unwrap().contains(&ten),
            "families differ"
        );
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0/8",
            "x/8",
            "::/129",
            "10.0.0.0/-1",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn policy_types_default_as_the_api_server_does() {
        let spec = |json: &str| serde_json::from_str::<NetworkPolicySpec>(json).unwrap();
        let ingress_only = PolicyTypes::of(&spec(r#"{"podSelector": {}, "egress": []}"#));
        assert_eq!((ingress_only.ingress, ingress_only.egress), (true, false));
        let both = PolicyTypes::of(&spec(r#"{"podSelector": {}, "egress": [{}]}"#));
        assert_eq!(both.describe(), "[Ingress, Egress]");
        let egress = PolicyTypes::of(&spec(r#"{"podSelector": {}, "policyTypes": ["Egress"]}"#));
        assert_eq!(
            (egress.ingress, egress.egress, egress.explicit),
            (false, true, true)
        );
    }
}
