//! Which connections one party may open to another, per SEMANTICS.md and the Network Policy
//! API's tiers: AdminNetworkPolicies (by priority; Allow, Deny or Pass), then
//! NetworkPolicies (union of the rules of every policy that selects the pod; a selected pod is
//! isolated), then the BaselineAdminNetworkPolicy, then "allow". A connection needs both the
//! source's egress and the destination's ingress.
//!
//! Workloads that agree on namespace, labels and container ports are indistinguishable to
//! every policy, so the engine works on such classes; which rule peers select which class is
//! computed once (bit sets), so a pair costs a few bit tests. Every decision can be traced for
//! `--explain`.

use std::collections::HashMap;

use crate::manifest::selector::{self, Labels};

use super::ipv4::IpRange;
use super::model::{
    Action, AdminPolicy, ContainerPort, Direction, Model, NAMESPACE_NAME_LABEL, Origin,
    PeerSelector, PortMatch, Rule,
};
use super::ports::{ConnSet, PortSet, Protocol};

/// Where the ingress controller is assumed to run (np-guard's choice): a pod with no labels
/// in a namespace of its own.
pub const INGRESS_CONTROLLER_NAMESPACE: &str = "ingress-controller-ns";

/// Pods that every policy treats alike.
#[derive(Debug, Clone)]
pub struct Class {
    pub namespace: String,
    pub namespace_labels: Labels,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
}

impl Class {
    /// The port named `name` (with `protocol`, when the rule gives one).
    fn resolve(&self, name: &str, protocol: Option<Protocol>) -> Option<(Protocol, u32)> {
        let port = self
            .ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name))?;
        match protocol {
            Some(p) if p != port.protocol => None,
            _ => Some((port.protocol, port.number)),
        }
    }
}

/// One end of a connection as the engine sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Class(usize),
    Ip(IpRange),
}

/// Which policies and rules decided a direction, for `--explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub direction: Direction,
    pub origin: Origin,
    pub text: String,
}

struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}

/// Which parties a rule's peer list selects.
struct PeerSet {
    /// No peers listed: every pod and every address.
    everything: bool,
    classes: Bits,
    addresses: Vec<IpRange>,
}

impl PeerSet {
    fn selects(&self, party: Party) -> bool {
        self.everything
            || match party {
                Party::Class(c) => self.classes.get(c),
                Party::Ip(ip) => self.addresses.iter().any(|a| a.contains(&ip)),
            }
    }
}

/// Rule peer sets of one policy: `[ingress, egress]`.
type PolicyPeers = [Vec<PeerSet>; 2];

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

pub struct Engine<'m> {
    pub model: &'m Model,
    pub classes: Vec<Class>,
    /// Class of each workload.
    pub class_of: Vec<usize>,
    /// The ingress controller's class.
    pub ingress_controller: usize,
    /// `[direction][class]` → NetworkPolicies selecting the class in that direction.
    np_selecting: [Vec<Vec<usize>>; 2],
    /// `[direction][class]` → AdminNetworkPolicies (priority order) selecting it.
    anp_selecting: [Vec<Vec<usize>>; 2],
    banp_selecting: [Vec<bool>; 2],
    np_peers: Vec<PolicyPeers>,
    anp_peers: Vec<PolicyPeers>,
    banp_peers: Option<PolicyPeers>,
    /// `[direction][class]`: some policy of some tier selects the class in that direction.
    governed: [Vec<bool>; 2],
    /// `[direction][class]`: the peer sets of every rule that may decide for the class, in
    /// evaluation order. Which of them select the other party (its signature) and the
    /// destination's ports determine the verdict, so verdicts are shared by signature.
    governing: [Vec<Vec<(Tier, usize, usize)>>; 2],
    /// Class → index of its container-port list (named ports resolve against it).
    pub ports_id: Vec<u32>,
}

/// Which policy list a rule belongs to.
#[derive(Debug, Clone, Copy)]
enum Tier {
    Admin,
    Network,
    Baseline,
}

impl<'m> Engine<'m> {
    pub fn new(model: &'m Model) -> Engine<'m> {
        let mut classes: Vec<Class> = Vec::new();
        let mut index: HashMap<(&str, &Labels, &[ContainerPort]), usize> = HashMap::new();
        let mut class_of = Vec::with_capacity(model.workloads.len());
        let mut ns_labels: HashMap<&str, Labels> = HashMap::new();
        for w in &model.workloads {
            let key = (w.namespace.as_str(), &w.labels, w.ports.as_slice());
            let c = *index.entry(key).or_insert_with(|| {
                let labels = ns_labels
                    .entry(w.namespace.as_str())
                    .or_insert_with(|| model.namespace_labels(&w.namespace))
                    .clone();
                classes.push(Class {
                    namespace: w.namespace.clone(),
                    namespace_labels: labels,
                    labels: w.labels.clone(),
                    ports: w.ports.clone(),
                });
                classes.len() - 1
            });
            class_of.push(c);
        }
        classes.push(Class {
            namespace: INGRESS_CONTROLLER_NAMESPACE.to_string(),
            namespace_labels: Labels::from([(
                NAMESPACE_NAME_LABEL.to_string(),
                INGRESS_CONTROLLER_NAMESPACE.to_string(),
            )]),
            labels: Labels::new(),
            ports: Vec::new(),
        });
        let ingress_controller = classes.len() - 1;
        let n = classes.len();

        let mut np_selecting = [vec![Vec::new(); n], vec![Vec::new(); n]];
        for (pi, p) in model.policies.iter().enumerate() {
            for (c, class) in classes.iter().enumerate() {
                if class.namespace == p.namespace
                    && selector::matches(&p.pod_selector, &class.labels)
                {
                    for d in [Direction::Ingress, Direction::Egress] {
                        if p.rules(d).is_some() {
                            np_selecting[dir_index(d)][c].push(pi);
                        }
                    }
                }
            }
        }
        let mut anp_selecting = [vec![Vec::new(); n], vec![Vec::new(); n]];
        for (ai, p) in model.admin_policies.iter().enumerate() {
            for (c, class) in classes.iter().enumerate() {
                if admin_selects(&p.subject, class) {
                    for d in [Direction::Ingress, Direction::Egress] {
                        if !p.rules(d).is_empty() {
                            anp_selecting[dir_index(d)][c].push(ai);
                        }
                    }
                }
            }
        }
        let mut banp_selecting = [vec![false; n], vec![false; n]];
        if let Some(b) = &model.baseline {
            for (c, class) in classes.iter().enumerate() {
                if admin_selects(&b.subject, class) {
                    for d in [Direction::Ingress, Direction::Egress] {
                        banp_selecting[dir_index(d)][c] = !b.rules(d).is_empty();
                    }
                }
            }
        }
        let peers_of = |rules: Option<&[Rule]>, own_ns: Option<&str>| -> Vec<PeerSet> {
            rules
                .unwrap_or_default()
                .iter()
                .map(|rule| peer_set(rule, own_ns, &classes))
                .collect()
        };
        let np_peers = model
            .policies
            .iter()
            .map(|p| {
                [
                    peers_of(p.rules(Direction::Ingress), Some(&p.namespace)),
                    peers_of(p.rules(Direction::Egress), Some(&p.namespace)),
                ]
            })
            .collect();
        let admin_peers = |p: &AdminPolicy| {
            [
                peers_of(Some(p.rules(Direction::Ingress)), None),
                peers_of(Some(p.rules(Direction::Egress)), None),
            ]
        };
        let anp_peers = model.admin_policies.iter().map(admin_peers).collect();
        let banp_peers = model.baseline.as_ref().map(admin_peers);
        let governed = [0, 1].map(|d| {
            (0..n)
                .map(|c| {
                    !np_selecting[d][c].is_empty()
                        || !anp_selecting[d][c].is_empty()
                        || banp_selecting[d][c]
                })
                .collect()
        });
        let governing = [Direction::Ingress, Direction::Egress].map(|direction| {
            let d = dir_index(direction);
            (0..n)
                .map(|c| {
                    let mut rules = Vec::new();
                    for &ai in &anp_selecting[d][c] {
                        let count = model.admin_policies[ai].rules(direction).len();
                        rules.extend((0..count).map(|ri| (Tier::Admin, ai, ri)));
                    }
                    for &pi in &np_selecting[d][c] {
                        let count = model.policies[pi].rules(direction).map_or(0, <[Rule]>::len);
                        rules.extend((0..count).map(|ri| (Tier::Network, pi, ri)));
                    }
                    if banp_selecting[d][c]
                        && let Some(b) = &model.baseline
                    {
                        rules.extend(
                            (0..b.rules(direction).len()).map(|ri| (Tier::Baseline, 0, ri)),
                        );
                    }
                    rules
                })
                .collect()
        });
        let mut port_lists: HashMap<&[ContainerPort], u32> = HashMap::new();
        let ports_id = classes
            .iter()
            .map(|c| {
                let next = port_lists.len() as u32;
                *port_lists.entry(c.ports.as_slice()).or_insert(next)
            })
            .collect();
        Engine {
            governing,
            ports_id,
            governed,
            model,
            classes,
            class_of,
            ingress_controller,
            np_selecting,
            anp_selecting,
            banp_selecting,
            np_peers,
            anp_peers,
            banp_peers,
        }
    }

    /// Connections `src` may open to `dst`: egress of the source, ingress of the
    /// destination, intersected.
    pub fn allowed(&self, src: Party, dst: Party, mut trace: Option<&mut Vec<Step>>) -> ConnSet {
        // Most pairs have a side no policy governs: skip its (allow-all) evaluation.
        let free = |p: Party, d: Direction| match p {
            Party::Class(c) => !self.governed[dir_index(d)][c],
            Party::Ip(_) => true,
        };
        if trace.is_none() {
            match (free(src, Direction::Egress), free(dst, Direction::Ingress)) {
                (true, true) => return ConnSet::all(),
                (true, false) => return self.direction(src, dst, Direction::Ingress, None),
                (false, true) => return self.direction(src, dst, Direction::Egress, None),
                (false, false) => {}
            }
        }
        let egress = self.direction(src, dst, Direction::Egress, trace.as_deref_mut());
        if egress.is_empty() && trace.is_none() {
            return egress;
        }
        let ingress = self.direction(src, dst, Direction::Ingress, trace);
        egress.intersect(&ingress)
    }

    /// True when no policy of any tier selects `party` in `direction` (it allows all).
    pub fn is_free(&self, party: Party, direction: Direction) -> bool {
        match party {
            Party::Class(c) => !self.governed[dir_index(direction)][c],
            Party::Ip(_) => true,
        }
    }

    /// Which of the rules that may decide for class `c` in `direction` select `other`, as
    /// bits in `out` (cleared first). Two parties with the same signature (and, for egress,
    /// destinations with the same ports) get the same verdict from `c`'s side.
    pub fn signature(&self, c: usize, direction: Direction, other: Party, out: &mut Vec<u64>) {
        let d = dir_index(direction);
        let rules = &self.governing[d][c];
        out.clear();
        out.resize(rules.len().div_ceil(64).max(1), 0);
        for (i, &(tier, pi, ri)) in rules.iter().enumerate() {
            let peers = match tier {
                Tier::Admin => &self.anp_peers[pi][d][ri],
                Tier::Network => &self.np_peers[pi][d][ri],
                Tier::Baseline => match &self.banp_peers {
                    Some(p) => &p[d][ri],
                    None => continue,
                },
            };
            if peers.selects(other) {
                out[i / 64] |= 1 << (i % 64);
            }
        }
    }

    /// What the policies of one side allow: the destination's for ingress, the source's for
    /// egress. Addresses are never selected by a policy, so their side allows everything.
    pub fn direction(
        &self,
        src: Party,
        dst: Party,
        direction: Direction,
        mut trace: Option<&mut Vec<Step>>,
    ) -> ConnSet {
        let d = dir_index(direction);
        let (subject, other) = match direction {
            Direction::Ingress => (dst, src),
            Direction::Egress => (src, dst),
        };
        let Party::Class(c) = subject else {
            return ConnSet::all();
        };
        let mut note = |origin: &Origin, text: String| {
            if let Some(t) = trace.as_deref_mut() {
                t.push(Step {
                    direction,
                    origin: origin.clone(),
                    text,
                });
            }
        };

        // Tier 1: AdminNetworkPolicies, by priority; within one, rules in order. The first
        // rule that matches a port decides it.
        let (mut allowed, mut denied, mut passed) =
            (ConnSet::none(), ConnSet::none(), ConnSet::none());
        for &ai in &self.anp_selecting[d][c] {
            let policy = &self.model.admin_policies[ai];
            for (ri, rule) in policy.rules(direction).iter().enumerate() {
                if !self.anp_peers[ai][d][ri].selects(other) {
                    continue;
                }
                let decided = allowed.union(&denied).union(&passed);
                let conns = self.rule_ports(rule, dst).subtract(&decided);
                note(&rule.origin, admin_rule_note(policy, rule, &conns));
                match rule.action {
                    Action::Allow => allowed = allowed.union(&conns),
                    Action::Deny => denied = denied.union(&conns),
                    Action::Pass => passed = passed.union(&conns),
                }
            }
        }

        // Tier 2: NetworkPolicies. A selected pod is isolated: only what some rule allows.
        let selecting = &self.np_selecting[d][c];
        if !selecting.is_empty() {
            let mut np = ConnSet::none();
            for &pi in selecting {
                let policy = &self.model.policies[pi];
                let rules = policy.rules(direction).unwrap_or_default();
                let mut any = false;
                for (ri, rule) in rules.iter().enumerate() {
                    if !self.np_peers[pi][d][ri].selects(other) {
                        continue;
                    }
                    any = true;
                    let conns = self.rule_ports(rule, dst);
                    note(
                        &rule.origin,
                        format!(
                            "NetworkPolicy {}/{} {} rule #{}: allows {}",
                            policy.namespace,
                            policy.name,
                            direction.as_str(),
                            ri + 1,
                            conns
                        ),
                    );
                    np = np.union(&conns);
                }
                if !any {
                    note(
                        &policy.origin,
                        format!(
                            "NetworkPolicy {}/{} selects {} for {} (isolating it); none of its rules matches {}",
                            policy.namespace,
                            policy.name,
                            match direction {
                                Direction::Ingress => "the destination",
                                Direction::Egress => "the source",
                            },
                            direction.as_str(),
                            match direction {
                                Direction::Ingress => "the source",
                                Direction::Egress => "the destination",
                            },
                        ),
                    );
                }
            }
            return allowed.union(&np.subtract(&denied));
        }

        // Tier 3: the BaselineAdminNetworkPolicy on what is still undecided, then allow.
        let rest = ConnSet::all().subtract(&allowed.union(&denied));
        let mut baseline_denied = ConnSet::none();
        if self.banp_selecting[d][c]
            && let (Some(policy), Some(peers)) = (&self.model.baseline, &self.banp_peers)
        {
            let mut decided = ConnSet::none();
            for (ri, rule) in policy.rules(direction).iter().enumerate() {
                if !peers[d][ri].selects(other) {
                    continue;
                }
                let conns = self.rule_ports(rule, dst).subtract(&decided);
                decided = decided.union(&conns);
                note(&rule.origin, admin_rule_note(policy, rule, &conns));
                if rule.action == Action::Deny {
                    baseline_denied = baseline_denied.union(&conns);
                }
            }
        }
        allowed.union(&rest.subtract(&baseline_denied))
    }

    /// The connections a rule's `ports` name toward `dst` (named ports resolved against the
    /// destination's containers; an address has no names).
    fn rule_ports(&self, rule: &Rule, dst: Party) -> ConnSet {
        let Some(ports) = &rule.ports else {
            return ConnSet::all();
        };
        let mut out = ConnSet::none();
        for p in ports {
            match p {
                PortMatch::Numbers { protocol, ports } => out.add(*protocol, ports),
                PortMatch::Named { protocol, name } => {
                    if let Party::Class(c) = dst
                        && let Some((proto, number)) = self.classes[c].resolve(name, *protocol)
                    {
                        out.add(proto, &PortSet::range(number, number));
                    }
                }
            }
        }
        out
    }
}

/// `AdminNetworkPolicy x (priority 5) rule "deny-web": Deny TCP 80`.
fn admin_rule_note(policy: &AdminPolicy, rule: &Rule, conns: &ConnSet) -> String {
    let decided = if conns.is_empty() {
        "(nothing left to decide)".to_string()
    } else {
        conns.to_string()
    };
    format!(
        "{} rule {}: {} {decided}",
        policy.title(),
        rule_label(rule),
        rule.action.as_str()
    )
}

fn rule_label(rule: &Rule) -> String {
    match &rule.name {
        Some(n) => format!("{n:?}"),
        None => format!("#{}", rule.index + 1),
    }
}

fn admin_selects(subject: &PeerSelector, class: &Class) -> bool {
    match subject {
        PeerSelector::Pods { namespaces, pods } => {
            namespaces
                .as_ref()
                .is_none_or(|s| selector::matches(s, &class.namespace_labels))
                && pods
                    .as_ref()
                    .is_none_or(|s| selector::matches(s, &class.labels))
        }
        PeerSelector::Addresses(_) | PeerSelector::Nothing(_) => false,
    }
}

/// The classes and addresses a rule's peers select. `own_ns` is the NetworkPolicy's
/// namespace (a peer without namespaceSelector stays in it); `None` for admin policies.
fn peer_set(rule: &Rule, own_ns: Option<&str>, classes: &[Class]) -> PeerSet {
    let mut set = PeerSet {
        everything: rule.peers.is_none(),
        classes: Bits::new(classes.len()),
        addresses: Vec::new(),
    };
    for peer in rule.peers.iter().flatten() {
        match peer {
            PeerSelector::Pods { namespaces, pods } => {
                for (c, class) in classes.iter().enumerate() {
                    let ns_ok = match (namespaces, own_ns) {
                        (Some(s), _) => selector::matches(s, &class.namespace_labels),
                        (None, Some(own)) => class.namespace == own,
                        (None, None) => true,
                    };
                    if ns_ok
                        && pods
                            .as_ref()
                            .is_none_or(|s| selector::matches(s, &class.labels))
                    {
                        set.classes.set(c);
                    }
                }
            }
            PeerSelector::Addresses(ranges) => set.addresses.extend(ranges.iter().copied()),
            PeerSelector::Nothing(_) => {}
        }
    }
    set
}

/// Address ranges named by rules, `[ingress, egress]`: sources come from ingress rules,
/// destinations from egress rules (np-guard's external peers).
pub fn referenced_addresses(model: &Model) -> [Vec<IpRange>; 2] {
    let mut out: [Vec<IpRange>; 2] = [
        model
            .policies
            .iter()
            .flat_map(|p| p.addresses[0].iter().copied())
            .collect(),
        model
            .policies
            .iter()
            .flat_map(|p| p.addresses[1].iter().copied())
            .collect(),
    ];
    let mut collect = |rules: &[Rule], d: usize| {
        for rule in rules {
            for peer in rule.peers.iter().flatten() {
                if let PeerSelector::Addresses(r) = peer {
                    out[d].extend(r.iter().copied());
                }
            }
        }
    };
    for p in model.admin_policies.iter().chain(&model.baseline) {
        collect(&p.ingress, 0);
        collect(&p.egress, 1);
    }
    out
}
