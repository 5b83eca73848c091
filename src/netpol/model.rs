//! The repository as the connectivity model sees it: workloads (one per owner), namespaces and
//! their labels, NetworkPolicies with the API server's defaults applied, AdminNetworkPolicies
//! and the BaselineAdminNetworkPolicy, Services, Ingresses and Routes. Built from parsed
//! [`ManifestFile`]s; every policy and rule keeps the file and line it came from, so an
//! explanation can point at it. Problems (a policy the API server would reject, an IPv6 block
//! the model does not cover) become warnings, never panics.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::api::networking::v1::{NetworkPolicy as K8sNetworkPolicy, NetworkPolicyPeer};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use crate::manifest::selector::Labels;
use crate::manifest::{FieldPath, ManifestFile, Object, Typed};

use super::ipv4::{self, CidrError, IpRange};
use super::ports::{PortSet, Protocol};

/// The label the API server puts on every Namespace.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// Where objects without `metadata.namespace` land.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A place in the repository: `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub number: u32,
    pub protocol: Protocol,
}

/// Pods that share an owner (a Deployment, a DaemonSet, a Pod's controller), or a bare Pod.
#[derive(Debug, Clone)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    /// `Deployment`, `ReplicaSet` (a Pod's controller), `Pod` for a bare Pod.
    pub kind: String,
    pub labels: Labels,
    /// Every container's ports (initContainers do not serve traffic).
    pub ports: Vec<ContainerPort>,
    /// What its containers say in `command`, `args` and `env` values: where a workload
    /// names the Services it calls (used to suggest policies).
    pub mentions: Vec<String>,
    pub origin: Origin,
}

impl Workload {
    /// `ns/name[Kind]`, as np-guard names workloads.
    pub fn id(&self) -> String {
        format!("{}/{}[{}]", self.namespace, self.name, self.kind)
    }

    /// The container port called `name`: the first one, as the kubelet resolves it.
    pub fn named_port(&self, name: &str) -> Option<&ContainerPort> {
        self.ports.iter().find(|p| p.name.as_deref() == Some(name))
    }
}

/// A rule's `ports` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortMatch {
    /// Numbers (a port, a `port..endPort` range, or every port of the protocol).
    Numbers { protocol: Protocol, ports: PortSet },
    /// A named port, resolved against each destination's containers. `protocol` is `None`
    /// for an AdminNetworkPolicy `namedPort`, which takes the container port's protocol.
    Named {
        protocol: Option<Protocol>,
        name: String,
    },
}

/// One `from`/`to` entry.
#[derive(Debug, Clone)]
pub enum PeerSelector {
    /// Pods matching `pods` in namespaces matching `namespaces`. For a NetworkPolicy a missing
    /// `namespaceSelector` means the policy's own namespace (`None`); a missing `podSelector`
    /// means every pod (`None`).
    Pods {
        namespaces: Option<LabelSelector>,
        pods: Option<LabelSelector>,
    },
    /// Addresses: an ipBlock (CIDR minus excepts) or AdminNetworkPolicy `networks`.
    Addresses(Vec<IpRange>),
    /// Something that selects nothing the model knows (AdminNetworkPolicy `nodes`, an
    /// invalid peer): kept so an explanation can name it.
    Nothing(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Allow,
    Deny,
    Pass,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
        }
    }
}

/// One ingress or egress rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub origin: Origin,
    /// 0-based position in its list.
    pub index: usize,
    /// AdminNetworkPolicy rule name.
    pub name: Option<String>,
    pub action: Action,
    /// `None`: the rule lists no peers and matches every source/destination.
    pub peers: Option<Vec<PeerSelector>>,
    /// `None`: every port of every protocol.
    pub ports: Option<Vec<PortMatch>>,
}

/// Traffic direction, seen from the pod a policy selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// A `networking.k8s.io/v1` NetworkPolicy after defaulting.
#[derive(Debug, Clone)]
pub struct NetworkPolicy {
    pub namespace: String,
    pub name: String,
    pub origin: Origin,
    pub pod_selector: LabelSelector,
    /// `Some` when `policyTypes` (after defaulting) holds Ingress: the pods it selects are
    /// isolated for ingress and these rules are all they allow.
    pub ingress: Option<Vec<Rule>>,
    pub egress: Option<Vec<Rule>>,
    /// Address ranges named in `[ingress, egress]` rules, including rules of a direction
    /// the policy does not govern: np-guard cuts its external peers at those too.
    pub addresses: [Vec<IpRange>; 2],
}

impl NetworkPolicy {
    pub fn rules(&self, direction: Direction) -> Option<&[Rule]> {
        match direction {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }
}

/// An AdminNetworkPolicy (`priority` set) or the BaselineAdminNetworkPolicy.
#[derive(Debug, Clone)]
pub struct AdminPolicy {
    pub name: String,
    pub priority: Option<i64>,
    pub origin: Origin,
    /// Always [`PeerSelector::Pods`] with `namespaces` set.
    pub subject: PeerSelector,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
}

impl AdminPolicy {
    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// `AdminNetworkPolicy x` or `BaselineAdminNetworkPolicy default`.
    pub fn title(&self) -> String {
        match self.priority {
            Some(p) => format!("AdminNetworkPolicy {} (priority {p})", self.name),
            None => format!("BaselineAdminNetworkPolicy {}", self.name),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: i64,
    pub target: Option<IntOrString>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    /// `None`: no selector (endpoints managed by hand), which selects no workload.
    pub selector: Option<Labels>,
    pub ports: Vec<ServicePort>,
}

/// The port an Ingress backend or a Route asks of its Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendPort {
    Any,
    Number(i64),
    Name(String),
}

/// An Ingress or an OpenShift Route: what it exposes to the ingress controller.
#[derive(Debug, Clone)]
pub struct Exposure {
    pub namespace: String,
    pub name: String,
    pub kind: &'static str,
    pub origin: Origin,
    pub backends: Vec<(String, BackendPort)>,
    /// A Route names the target port of its Service (matched against `targetPort` too).
    pub route: bool,
}

/// Everything the model reads from a repository.
#[derive(Debug, Default)]
pub struct Model {
    pub workloads: Vec<Workload>,
    /// Declared namespaces and the namespaces workloads live in, with their labels
    /// (`kubernetes.io/metadata.name` included).
    pub namespaces: BTreeMap<String, Labels>,
    pub policies: Vec<NetworkPolicy>,
    /// Sorted by priority (lowest number first: it wins).
    pub admin_policies: Vec<AdminPolicy>,
    pub baseline: Option<AdminPolicy>,
    pub services: Vec<Service>,
    pub exposures: Vec<Exposure>,
    /// What the model could not use, as `file:line: message`.
    pub warnings: Vec<String>,
}

impl Model {
    /// Reads every object the model needs from `files`, in file order.
    pub fn from_files(files: &[ManifestFile]) -> Model {
        Model::from_file_refs(&files.iter().collect::<Vec<_>>())
    }

    /// [`Model::from_files`] over borrowed files (a repository plus files made on the fly).
    pub fn from_file_refs(files: &[&ManifestFile]) -> Model {
        let mut model = Model::default();
        let mut owners: BTreeSet<String> = BTreeSet::new();
        for file in files {
            for object in &file.objects {
                model.add_object(file, object, &mut owners);
            }
        }
        for w in &model.workloads {
            model
                .namespaces
                .entry(w.namespace.clone())
                .or_insert_with(|| implicit_labels(&w.namespace));
        }
        model
            .admin_policies
            .sort_by_key(|p| p.priority.unwrap_or(i64::MAX));
        for pair in model.admin_policies.windows(2) {
            if pair[0].priority == pair[1].priority {
                model.warnings.push(format!(
                    "{}: AdminNetworkPolicies {} and {} share priority {}; the API leaves their order undefined ({} is applied first here)",
                    pair[1].origin,
                    pair[0].name,
                    pair[1].name,
                    pair[0].priority.unwrap_or_default(),
                    pair[0].name
                ));
            }
        }
        model
    }

    /// Labels of namespace `ns`: declared, or only the implicit name label.
    pub fn namespace_labels(&self, ns: &str) -> Labels {
        self.namespaces
            .get(ns)
            .cloned()
            .unwrap_or_else(|| implicit_labels(ns))
    }

    fn warn(&mut self, origin: &Origin, message: impl fmt::Display) {
        self.warnings.push(format!("{origin}: {message}"));
    }

    fn add_object(&mut self, file: &ManifestFile, object: &Object, owners: &mut BTreeSet<String>) {
        let at = |path: &str| Origin {
            file: file.path.clone(),
            line: file.locate(object, &FieldPath::parse(path)).line,
        };
        let namespace = object
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
        let group = object.api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let typed = file.typed(object);
        match (&*typed, object.kind.as_str()) {
            (Typed::Namespace(ns), _) => {
                let mut labels = Labels::from(ns.metadata.labels.clone().unwrap_or_default());
                if !labels.contains_key(NAMESPACE_NAME_LABEL) {
                    labels.insert(NAMESPACE_NAME_LABEL.to_string(), object.name.clone());
                }
                self.namespaces.insert(object.name.clone(), labels);
            }
            (Typed::NetworkPolicy(np), _) => {
                let policy = network_policy(np, namespace, &object.name, &at, self);
                self.policies.push(policy);
            }
            (Typed::PodTemplate(_), _) => {}
            (typed, _) if typed.pod_template().is_some() => {
                let Some(template) = typed.pod_template() else {
                    return;
                };
                let (name, kind) = match typed {
                    Typed::Pod(pod) => pod
                        .metadata
                        .owner_references
                        .iter()
                        .flatten()
                        .find(|o| o.controller == Some(true) && o.kind != "Node")
                        .map(|o| {
                            // np-guard names an owner without kind `[Pod]`.
                            let kind = if o.kind.is_empty() { "Pod" } else { &o.kind };
                            (o.name.clone(), kind.to_string())
                        })
                        .unwrap_or_else(|| (object.name.clone(), "Pod".to_string())),
                    _ => (object.name.clone(), object.kind.clone()),
                };
                let workload = Workload {
                    namespace,
                    name,
                    kind,
                    labels: Labels::from(template.metadata.labels.clone().unwrap_or_default()),
                    ports: template
                        .spec
                        .containers
                        .iter()
                        .flat_map(|c| c.ports.iter().flatten())
                        .filter_map(|p| {
                            Some(ContainerPort {
                                name: p.name.clone().filter(|n| !n.is_empty()),
                                number: u32::try_from(p.container_port).ok()?,
                                protocol: Protocol::parse(p.protocol.as_deref().unwrap_or("TCP"))?,
                            })
                        })
                        .collect(),
                    mentions: template
                        .spec
                        .containers
                        .iter()
                        .chain(template.spec.init_containers.iter().flatten())
                        .flat_map(|c| {
                            c.command
                                .iter()
                                .flatten()
                                .chain(c.args.iter().flatten())
                                .cloned()
                                .chain(c.env.iter().flatten().filter_map(|e| e.value.clone()))
                        })
                        .collect(),
                    origin: at(""),
                };
                // Pods of one owner are one workload (np-guard's grouping); the first
                // pod read stands for them all.
                let id = workload.id();
                if owners.insert(id) {
                    self.workloads.push(workload);
                }
            }
            (_, kind @ ("AdminNetworkPolicy" | "BaselineAdminNetworkPolicy"))
                if group == "policy.networking.k8s.io" =>
            {
                let json = file.tree.to_json(object.node);
                let baseline = kind == "BaselineAdminNetworkPolicy";
                let policy = admin_policy(&json, &object.name, baseline, &at, self);
                if baseline {
                    if let Some(first) = &self.baseline {
                        let message = format!(
                            "a second BaselineAdminNetworkPolicy ({}); the cluster holds one, the first ({}) is used",
                            object.name, first.origin
                        );
                        self.warn(&policy.origin, message);
                    } else {
                        if object.name != "default" {
                            self.warn(
                                &policy.origin,
                                "a BaselineAdminNetworkPolicy must be named `default`; the API server rejects other names",
                            );
                        }
                        self.baseline = Some(policy);
                    }
                } else {
                    self.admin_policies.push(policy);
                }
            }
            (_, "Service") if group.is_empty() => {
                let json = file.tree.to_json(object.node);
                self.services.push(service(&json, namespace, &object.name));
            }
            (_, "Ingress") if group == "networking.k8s.io" => {
                let json = file.tree.to_json(object.node);
                self.exposures
                    .push(ingress(&json, namespace, &object.name, at("")));
            }
            (_, "Route") if group == "route.openshift.io" => {
                let json = file.tree.to_json(object.node);
                self.exposures
                    .push(route(&json, namespace, &object.name, at("")));
            }
            _ => {}
        }
    }
}

pub fn implicit_labels(ns: &str) -> Labels {
    Labels::from([(NAMESPACE_NAME_LABEL.to_string(), ns.to_string())])
}

fn network_policy(
    np: &K8sNetworkPolicy,
    namespace: String,
    name: &str,
    at: &dyn Fn(&str) -> Origin,
    model: &mut Model,
) -> NetworkPolicy {
    // At `spec.podSelector` (or the nearest parent): what the policy selects is what an
    // explanation points at.
    let origin = at("spec.podSelector");
    let spec = np.spec.clone().unwrap_or_default();
    let types: Vec<String> = spec.policy_types.clone().unwrap_or_default();
    let has_egress_rules = spec.egress.as_ref().is_some_and(|e| !e.is_empty());
    // [DEF]: no policyTypes ⇒ Ingress, plus Egress when there are egress rules.
    let (ingress_type, egress_type) = if types.is_empty() {
        (true, has_egress_rules)
    } else {
        (
            types.iter().any(|t| t == "Ingress"),
            types.iter().any(|t| t == "Egress"),
        )
    };
    let mut rules = |direction: Direction| -> Vec<Rule> {
        let (list, peers_key) = match direction {
            Direction::Ingress => ("ingress", "from"),
            Direction::Egress => ("egress", "to"),
        };
        let raw: Vec<(Option<Vec<NetworkPolicyPeer>>, Option<Vec<_>>)> = match direction {
            Direction::Ingress => spec
                .ingress
                .iter()
                .flatten()
                .map(|r| (r.from.clone(), r.ports.clone()))
                .collect(),
            Direction::Egress => spec
                .egress
                .iter()
                .flatten()
                .map(|r| (r.to.clone(), r.ports.clone()))
                .collect(),
        };
        raw.into_iter()
            .enumerate()
            .map(|(index, (peers, ports))| {
                let rule_path = format!("spec.{list}[{index}]");
                let origin = at(&rule_path);
                let peers = peers.filter(|p| !p.is_empty()).map(|peers| {
                    peers
                        .iter()
                        .enumerate()
                        .map(|(i, peer)| {
                            let peer_origin = at(&format!("{rule_path}.{peers_key}[{i}]"));
                            np_peer(peer, &peer_origin, model)
                        })
                        .collect()
                });
                let ports = ports.filter(|p| !p.is_empty()).map(|ports| {
                    ports
                        .iter()
                        .enumerate()
                        .filter_map(|(i, port)| {
                            let port_origin = at(&format!("{rule_path}.ports[{i}]"));
                            np_port(port, &port_origin, model)
                        })
                        .collect()
                });
                Rule {
                    origin,
                    index,
                    name: None,
                    action: Action::Allow,
                    peers,
                    ports,
                }
            })
            .collect()
    };
    let all_ingress = rules(Direction::Ingress);
    let all_egress = rules(Direction::Egress);
    let addresses = [&all_ingress, &all_egress].map(|rules| {
        rules
            .iter()
            .flat_map(|r| r.peers.iter().flatten())
            .filter_map(|p| match p {
                PeerSelector::Addresses(r) => Some(r.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect()
    });
    let ingress = ingress_type.then_some(all_ingress);
    let egress = egress_type.then_some(all_egress);
    NetworkPolicy {
        namespace,
        name: name.to_string(),
        origin,
        pod_selector: spec.pod_selector.unwrap_or_default(),
        ingress,
        egress,
        addresses,
    }
}

fn addresses(cidr: &str, except: &[String], origin: &Origin, model: &mut Model) -> PeerSelector {
    let parse = |c: &str| ipv4::parse_cidr(c);
    match parse(cidr) {
        Ok(range) => {
            let mut holes = Vec::new();
            for e in except {
                match parse(e) {
                    Ok(hole) => holes.push(hole),
                    Err(CidrError::Ipv6) => {}
                    Err(CidrError::Invalid(m)) => {
                        model.warn(origin, format!("except {m}; the API server rejects it"))
                    }
                }
            }
            PeerSelector::Addresses(ipv4::block(range, &holes))
        }
        Err(CidrError::Ipv6) => {
            PeerSelector::Nothing(format!("IPv6 block {cidr} (the model covers IPv4 only)"))
        }
        Err(CidrError::Invalid(m)) => {
            model.warn(origin, format!("ipBlock {m}; the API server rejects it"));
            PeerSelector::Nothing(format!("invalid ipBlock {cidr:?}"))
        }
    }
}

fn np_peer(peer: &NetworkPolicyPeer, origin: &Origin, model: &mut Model) -> PeerSelector {
    match (&peer.ip_block, &peer.namespace_selector, &peer.pod_selector) {
        (Some(block), None, None) => addresses(
            &block.cidr,
            block.except.as_deref().unwrap_or_default(),
            origin,
            model,
        ),
        (Some(_), _, _) => {
            model.warn(
                origin,
                "a peer with ipBlock and a selector; the API server rejects it",
            );
            PeerSelector::Nothing("ipBlock combined with a selector".into())
        }
        (None, None, None) => {
            model.warn(
                origin,
                "an empty peer (`- {}`); the API server rejects it (\"must specify a peer\")",
            );
            PeerSelector::Nothing("empty peer".into())
        }
        (None, namespaces, pods) => PeerSelector::Pods {
            namespaces: namespaces.clone(),
            pods: pods.clone(),
        },
    }
}

fn np_port(
    port: &k8s_openapi::api::networking::v1::NetworkPolicyPort,
    origin: &Origin,
    model: &mut Model,
) -> Option<PortMatch> {
    let protocol_name = port.protocol.as_deref().unwrap_or("TCP");
    let Some(protocol) = Protocol::parse(protocol_name) else {
        model.warn(
            origin,
            format!(
                "protocol {protocol_name:?} is not TCP, UDP or SCTP; the API server rejects it"
            ),
        );
        return None;
    };
    Some(match &port.port {
        None => PortMatch::Numbers {
            protocol,
            ports: PortSet::all(),
        },
        Some(IntOrString::String(name)) => PortMatch::Named {
            protocol: Some(protocol),
            name: name.clone(),
        },
        Some(IntOrString::Int(n)) => {
            let end = port.end_port.unwrap_or(*n);
            if end < *n {
                model.warn(
                    origin,
                    format!("endPort {end} is below port {n}; the API server rejects it"),
                );
            }
            PortMatch::Numbers {
                protocol,
                ports: PortSet::range(
                    u32::try_from(*n).unwrap_or(0),
                    u32::try_from(end).unwrap_or(0),
                ),
            }
        }
    })
}

fn selector(value: Option<&Value>) -> Option<LabelSelector> {
    serde_json::from_value(value?.clone()).ok()
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
}

/// `{namespaces: S}` or `{pods: {namespaceSelector, podSelector}}`: subjects and peers of
/// (Baseline)AdminNetworkPolicies.
fn admin_pods(value: &Value) -> Option<PeerSelector> {
    if let Some(ns) = value.get("namespaces") {
        return Some(PeerSelector::Pods {
            namespaces: Some(selector(Some(ns)).unwrap_or_default()),
            pods: None,
        });
    }
    let pods = value.get("pods")?;
    Some(PeerSelector::Pods {
        namespaces: Some(selector(pods.get("namespaceSelector")).unwrap_or_default()),
        pods: Some(selector(pods.get("podSelector")).unwrap_or_default()),
    })
}

fn admin_policy(
    json: &Value,
    name: &str,
    baseline: bool,
    at: &dyn Fn(&str) -> Origin,
    model: &mut Model,
) -> AdminPolicy {
    let origin = at("");
    let spec = json.get("spec").cloned().unwrap_or(Value::Null);
    let subject = spec.get("subject").and_then(admin_pods).unwrap_or_else(|| {
        model.warn(
            &origin,
            "spec.subject needs exactly one of namespaces or pods; this policy selects nothing",
        );
        PeerSelector::Nothing("no subject".into())
    });
    let mut rules = |list: &str, peers_key: &str| -> Vec<Rule> {
        let items = spec
            .get(list)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        items
            .iter()
            .enumerate()
            .map(|(index, rule)| {
                let path = format!("spec.{list}[{index}]");
                let origin = at(&path);
                let action = match rule.get("action").and_then(Value::as_str) {
                    Some("Allow") => Action::Allow,
                    Some("Pass") if !baseline => Action::Pass,
                    Some("Deny") => Action::Deny,
                    other => {
                        model.warn(
                            &origin,
                            format!(
                                "action {other:?} is not {}; the rule is read as Deny",
                                if baseline {
                                    "Allow or Deny"
                                } else {
                                    "Allow, Deny or Pass"
                                }
                            ),
                        );
                        Action::Deny
                    }
                };
                let peers = rule
                    .get(peers_key)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .map(|(i, peer)| {
                        let peer_origin = at(&format!("{path}.{peers_key}[{i}]"));
                        if let Some(p) = admin_pods(peer) {
                            return p;
                        }
                        if let Some(networks) = peer.get("networks").and_then(Value::as_array) {
                            let mut ranges = Vec::new();
                            for n in networks.iter().filter_map(Value::as_str) {
                                if let PeerSelector::Addresses(r) =
                                    addresses(n, &[], &peer_origin, model)
                                {
                                    ranges.extend(r);
                                }
                            }
                            return PeerSelector::Addresses(ranges);
                        }
                        if peer.get("nodes").is_some() {
                            return PeerSelector::Nothing("nodes (the model has no nodes)".into());
                        }
                        PeerSelector::Nothing("a peer the model does not know".into())
                    })
                    .collect::<Vec<_>>();
                let ports = rule.get("ports").and_then(Value::as_array).map(|ports| {
                    ports
                        .iter()
                        .filter_map(|p| {
                            let proto = |v: &Value| {
                                Protocol::parse(
                                    v.get("protocol").and_then(Value::as_str).unwrap_or("TCP"),
                                )
                            };
                            if let Some(n) = p.get("portNumber") {
                                let port = n.get("port").and_then(Value::as_u64)? as u32;
                                return Some(PortMatch::Numbers {
                                    protocol: proto(n)?,
                                    ports: PortSet::range(port, port),
                                });
                            }
                            if let Some(name) = p.get("namedPort").and_then(Value::as_str) {
                                return Some(PortMatch::Named {
                                    protocol: None,
                                    name: name.to_string(),
                                });
                            }
                            let r = p.get("portRange")?;
                            Some(PortMatch::Numbers {
                                protocol: proto(r)?,
                                ports: PortSet::range(
                                    r.get("start").and_then(Value::as_u64)? as u32,
                                    r.get("end").and_then(Value::as_u64)? as u32,
                                ),
                            })
                        })
                        .collect()
                });
                Rule {
                    origin,
                    index,
                    name: rule.get("name").and_then(Value::as_str).map(str::to_string),
                    action,
                    // An admin rule always lists its peers (the API requires one).
                    peers: Some(peers),
                    ports,
                }
            })
            .collect()
    };
    let ingress = rules("ingress", "from");
    let egress = rules("egress", "to");
    let priority = (!baseline).then(|| spec.get("priority").and_then(Value::as_i64).unwrap_or(0));
    AdminPolicy {
        name: name.to_string(),
        priority,
        origin,
        subject,
        ingress,
        egress,
    }
}

fn int_or_string(value: Option<&Value>) -> Option<IntOrString> {
    match value? {
        Value::Number(n) => Some(IntOrString::Int(n.as_i64()? as i32)),
        Value::String(s) => Some(IntOrString::String(s.clone())),
        _ => None,
    }
}

fn service(json: &Value, namespace: String, name: &str) -> Service {
    let spec = json.get("spec");
    Service {
        namespace,
        name: name.to_string(),
        selector: spec
            .and_then(|s| s.get("selector"))
            .and_then(|s| serde_json::from_value(s.clone()).ok()),
        ports: spec
            .and_then(|s| s.get("ports"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| ServicePort {
                name: p.get("name").and_then(Value::as_str).map(str::to_string),
                port: p.get("port").and_then(Value::as_i64).unwrap_or(0),
                target: int_or_string(p.get("targetPort")),
            })
            .collect(),
    }
}

fn backend(service: &Value) -> (String, BackendPort) {
    let port = service.get("port");
    let port = match (
        port.and_then(|p| p.get("name")).and_then(Value::as_str),
        port.and_then(|p| p.get("number")).and_then(Value::as_i64),
    ) {
        (Some(n), _) if !n.is_empty() => BackendPort::Name(n.to_string()),
        (_, Some(n)) => BackendPort::Number(n),
        _ => BackendPort::Any,
    };
    (
        service
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        port,
    )
}

fn ingress(json: &Value, namespace: String, name: &str, origin: Origin) -> Exposure {
    let spec = json.get("spec");
    let mut backends = Vec::new();
    if let Some(svc) = spec
        .and_then(|s| s.get("defaultBackend"))
        .and_then(|b| b.get("service"))
    {
        backends.push(backend(svc));
    }
    for rule in spec
        .and_then(|s| s.get("rules"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for path in rule
            .get("http")
            .and_then(|h| h.get("paths"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(svc) = path.get("backend").and_then(|b| b.get("service")) {
                backends.push(backend(svc));
            }
        }
    }
    Exposure {
        namespace,
        name: name.to_string(),
        kind: "Ingress",
        origin,
        backends,
        route: false,
    }
}

fn route(json: &Value, namespace: String, name: &str, origin: Origin) -> Exposure {
    let spec = json.get("spec").cloned().unwrap_or(Value::Null);
    let port = match int_or_string(spec.get("port").and_then(|p| p.get("targetPort"))) {
        Some(IntOrString::Int(n)) => BackendPort::Number(i64::from(n)),
        Some(IntOrString::String(s)) => BackendPort::Name(s),
        None => BackendPort::Any,
    };
    let is_service = |v: &Value| text(v, &["kind"]).is_none_or(|k| k == "Service");
    let mut backends = Vec::new();
    if let Some(to) = spec.get("to").filter(|t| is_service(t)) {
        backends.push((text(to, &["name"]).unwrap_or("").to_string(), port.clone()));
    }
    for alt in spec
        .get("alternateBackends")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| is_service(t))
    {
        backends.push((text(alt, &["name"]).unwrap_or("").to_string(), port.clone()));
    }
    Exposure {
        namespace,
        name: name.to_string(),
        kind: "Route",
        origin,
        backends,
        route: true,
    }
}
