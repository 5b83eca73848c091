//! The repository as rules see it: the Namespaces (with their labels), the workloads (pod
//! labels, namespace, container ports) and the NetworkPolicies of every file of one lint run.
//!
//! Built once per `engine::lint` run in one pass over the objects, then shared read-only by
//! every rule on every object, so a rule that needs the rest of the repository (does any
//! workload match this peer? does any Namespace carry this label?) asks an index instead of
//! walking all objects. It owns no rule logic, never reads files itself, and never touches the
//! network or the clock.

use std::collections::BTreeMap;
use std::sync::{LazyLock, OnceLock};

use k8s_openapi::api::networking::v1::NetworkPolicySpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
// Its keys are the repository's own names and labels, hashed once per object and per look-up:
// FxHash rather than SipHash, which took about a tenth of the time of indexing 20,000 Pods
// (on one core, before any object is linted).
use rustc_hash::FxHashMap as HashMap;

use crate::manifest::selector::Labels;
use crate::manifest::{ManifestFile, Object, Typed};

/// The label the API server puts on every Namespace: `kubernetes.io/metadata.name=<name>`.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The namespace of an object that does not name one: where `kubectl apply` puts it by default.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Namespaces every cluster has, whether or not the repository declares them.
const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];

/// A namespace the repository declares, refers to, or every cluster has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoNamespace {
    pub name: String,
    /// Its labels, with the implicit `kubernetes.io/metadata.name` always present.
    pub labels: Labels,
    /// True when a `Namespace` manifest in the repository declares it (so its labels are
    /// known); false when it is only named by objects or is a system namespace.
    pub declared: bool,
}

impl RepoNamespace {
    /// `kube-system`, `default`, `kube-public` or `kube-node-lease`, not declared here.
    pub fn is_system(&self) -> bool {
        !self.declared && SYSTEM_NAMESPACES.contains(&self.name.as_str())
    }
}

/// A container port of a workload, as a named port in a policy resolves against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadPort<'a> {
    pub name: Option<&'a str>,
    pub number: i32,
    /// `TCP` when the manifest leaves it out.
    pub protocol: &'a str,
}

/// A workload: any object with a pod template that runs pods.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    /// Position in [`Repository::workloads`].
    pub index: usize,
    pub file: &'a str,
    pub object: &'a Object,
    pub namespace: &'a str,
    /// The pod template's labels (what policies select).
    pub labels: &'a Labels,
    pub ports: Vec<WorkloadPort<'a>>,
    /// `hostNetwork: true`: the pods use the node's network, where policies are undefined.
    pub host_network: bool,
}

impl Workload<'_> {
    /// `ns/name[Kind]`, as np-guard names workloads.
    pub fn display_name(&self) -> String {
        format!(
            "{}/{}[{}]",
            self.namespace, self.object.name, self.object.kind
        )
    }
}

/// A NetworkPolicy of the repository.
#[derive(Debug, Clone)]
pub struct RepoPolicy<'a> {
    /// Position in [`Repository::policies`].
    pub index: usize,
    pub file: &'a ManifestFile,
    pub object: &'a Object,
    pub namespace: &'a str,
    pub spec: &'a NetworkPolicySpec,
}

impl RepoPolicy<'_> {
    /// `file:line` of the policy's `metadata.name` (or its first line).
    pub fn location(&self) -> String {
        let at = self.file.locate(
            self.object,
            &crate::manifest::FieldPath::parse("metadata.name"),
        );
        format!("{}:{}", self.file.path, at.line)
    }
}

/// What rules can ask about the whole repository. Read-only; see the module doc.
#[derive(Debug, Default)]
pub struct Repository<'a> {
    namespaces: BTreeMap<String, RepoNamespace>,
    workloads: Vec<Workload<'a>>,
    workloads_by_namespace: HashMap<&'a str, Vec<usize>>,
    /// Workloads by (namespace, label key, label value): a selector's `matchLabels` narrow the
    /// candidates to one list instead of every workload of the namespace.
    workloads_by_label: HashMap<(&'a str, &'a str, &'a str), Vec<usize>>,
    /// The `hostNetwork: true` workloads.
    host_network: Vec<usize>,
    policies: Vec<RepoPolicy<'a>>,
    policies_by_namespace: HashMap<&'a str, Vec<usize>>,
    /// Policies by (namespace, name): more than one is a duplicate.
    policies_by_name: HashMap<(&'a str, &'a str), Vec<usize>>,
    /// Policies by the address of their `Object`, so a rule finds its own entry at once.
    policy_by_object: HashMap<usize, usize>,
    declares_namespaces: bool,
    /// True when the files are only part of the repository (see [`Repository::is_complete`]).
    partial: bool,
    /// Which policy selects which workload: computed on first use, once per run.
    selection: OnceLock<Selection>,
}

/// The `spec.podSelector` matches of every policy against the workloads of its namespace.
#[derive(Debug, Default)]
struct Selection {
    /// Per workload, the policies selecting it, in file order.
    by_workload: Vec<Vec<usize>>,
    /// Per policy, the workloads it selects, in file order.
    by_policy: Vec<Vec<usize>>,
}

static EMPTY: LazyLock<Repository<'static>> = LazyLock::new(Repository::default);
static NO_SPEC: LazyLock<NetworkPolicySpec> = LazyLock::new(NetworkPolicySpec::default);

impl<'a> Repository<'a> {
    /// A repository with nothing in it: for callers that lint one object on its own.
    pub fn empty() -> &'static Repository<'static> {
        &EMPTY
    }

    /// Indexes the objects of `files`, in one pass.
    pub fn build(files: &'a [ManifestFile]) -> Self {
        Self::build_from(files)
    }

    /// [`Repository::build`] over any set of files (the linted ones plus the rest of the
    /// repository read for context).
    pub fn build_from(files: impl IntoIterator<Item = &'a ManifestFile>) -> Self {
        let mut repo = Repository::default();
        for file in files {
            for object in &file.objects {
                repo.add(file, object);
            }
        }
        for name in SYSTEM_NAMESPACES {
            repo.note_namespace(name);
        }
        repo
    }

    /// Marks the view as built from part of the repository only (a pull request's changed
    /// files).
    pub fn partial(mut self, partial: bool) -> Self {
        self.partial = partial;
        self
    }

    /// True when the files are the whole repository, so that "no object here does X" means
    /// "no object does X". Rules that conclude from absence check this first.
    pub fn is_complete(&self) -> bool {
        !self.partial
    }

    fn add(&mut self, file: &'a ManifestFile, object: &'a Object) {
        let namespace = object.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE);
        match &object.kept {
            Typed::Namespace(ns) => {
                let mut labels = Labels::from(ns.metadata.labels.clone().unwrap_or_default());
                labels.insert(NAMESPACE_NAME_LABEL.into(), object.name.clone());
                self.declares_namespaces = true;
                self.namespaces.insert(
                    object.name.clone(),
                    RepoNamespace {
                        name: object.name.clone(),
                        labels,
                        declared: true,
                    },
                );
                return;
            }
            Typed::NetworkPolicy(policy) => {
                let index = self.policies.len();
                self.policies_by_namespace
                    .entry(namespace)
                    .or_default()
                    .push(index);
                self.policies_by_name
                    .entry((namespace, object.name.as_str()))
                    .or_default()
                    .push(index);
                self.policy_by_object.insert(address(object), index);
                self.policies.push(RepoPolicy {
                    index,
                    file,
                    object,
                    namespace,
                    spec: policy.spec.as_ref().unwrap_or(&NO_SPEC),
                });
            }
            // A workload's typed view is not kept: what is read of it is its template's summary.
            // A PodTemplate is a template for others to use; it runs nothing itself.
            _ => {
                if let Some(template) = object.template.as_deref().filter(|t| t.runs_pods) {
                    let ports = template
                        .ports
                        .iter()
                        .map(|p| WorkloadPort {
                            name: p.name.as_deref(),
                            number: p.number,
                            protocol: p.protocol.as_deref().unwrap_or("TCP"),
                        })
                        .collect();
                    let index = self.workloads.len();
                    self.workloads_by_namespace
                        .entry(namespace)
                        .or_default()
                        .push(index);
                    for (key, value) in &template.labels {
                        self.workloads_by_label
                            .entry((namespace, key.as_str(), value.as_str()))
                            .or_default()
                            .push(index);
                    }
                    let host_network = template.host_network;
                    if host_network {
                        self.host_network.push(index);
                    }
                    self.workloads.push(Workload {
                        index,
                        file: &file.path,
                        object,
                        namespace,
                        labels: &template.labels,
                        ports,
                        host_network,
                    });
                }
            }
        }
        self.note_namespace(namespace);
    }

    /// Records that `name` exists (objects live in it), keeping a declaration's labels.
    fn note_namespace(&mut self, name: &str) {
        if !self.namespaces.contains_key(name) {
            self.namespaces.insert(
                name.to_string(),
                RepoNamespace {
                    name: name.to_string(),
                    labels: Labels::from([(NAMESPACE_NAME_LABEL.to_string(), name.to_string())]),
                    declared: false,
                },
            );
        }
    }

    /// Every namespace known: declared, named by an object, or a system namespace. By name.
    pub fn namespaces(&self) -> impl Iterator<Item = &RepoNamespace> {
        self.namespaces.values()
    }

    pub fn namespace(&self, name: &str) -> Option<&RepoNamespace> {
        self.namespaces.get(name)
    }

    /// True when at least one `Namespace` manifest is in the repository.
    pub fn declares_namespaces(&self) -> bool {
        self.declares_namespaces
    }

    pub fn workloads(&self) -> &[Workload<'a>] {
        &self.workloads
    }

    /// The workloads of one namespace, in file order.
    pub fn workloads_in<'s>(&'s self, namespace: &str) -> impl Iterator<Item = &'s Workload<'a>> {
        self.workloads_by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|&i| &self.workloads[i])
    }

    /// The workloads of `namespace` that `selector` selects, in file order. Uses the label
    /// index when the selector has `matchLabels`, so it costs the matches, not the namespace.
    pub fn workloads_matching<'s>(
        &'s self,
        namespace: &str,
        selector: &LabelSelector,
    ) -> Vec<&'s Workload<'a>> {
        self.candidates(namespace, selector)
            .iter()
            .map(|&i| &self.workloads[i])
            .filter(|w| crate::manifest::selector::matches(selector, w.labels))
            .collect()
    }

    /// True when some workload of `namespace` is selected by `selector`: stops at the first,
    /// where [`Repository::workloads_matching`] would list a whole namespace for `{}`.
    pub fn any_workload_matching(&self, namespace: &str, selector: &LabelSelector) -> bool {
        self.candidates(namespace, selector)
            .iter()
            .any(|&i| crate::manifest::selector::matches(selector, self.workloads[i].labels))
    }

    /// The workloads `selector` may select in `namespace`: the shortest label-index list of
    /// its `matchLabels`, or the whole namespace.
    fn candidates<'s>(&'s self, namespace: &'s str, selector: &'s LabelSelector) -> &'s [usize] {
        let narrowest = selector.match_labels.iter().flatten().map(|(k, v)| {
            self.workloads_by_label
                .get(&(namespace, k.as_str(), v.as_str()))
                .map_or(&[][..], Vec::as_slice)
        });
        match narrowest.min_by_key(|list| list.len()) {
            Some(list) => list,
            None => self
                .workloads_by_namespace
                .get(namespace)
                .map_or(&[][..], Vec::as_slice),
        }
    }

    /// The workloads that run in the node's network namespace (`hostNetwork: true`), in file
    /// order: few in any repository, so a rule about them looks at these instead of at every
    /// workload a broad selector reaches.
    pub fn host_network_workloads(&self) -> impl Iterator<Item = &Workload<'a>> {
        self.host_network.iter().map(|&i| &self.workloads[i])
    }

    /// True when the repository declares at least one workload in `namespace`: only then can
    /// "selects no workload" be told apart from "the workloads live in another repository".
    pub fn has_workloads_in(&self, namespace: &str) -> bool {
        self.workloads_by_namespace.contains_key(namespace)
    }

    pub fn policies(&self) -> &[RepoPolicy<'a>] {
        &self.policies
    }

    /// The NetworkPolicies of one namespace, in file order.
    pub fn policies_in<'s>(&'s self, namespace: &str) -> impl Iterator<Item = &'s RepoPolicy<'a>> {
        self.policies_by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|&i| &self.policies[i])
    }

    /// The repository's entry for `object` when it is a NetworkPolicy.
    pub fn policy_of(&self, object: &Object) -> Option<&RepoPolicy<'a>> {
        self.policy_by_object
            .get(&address(object))
            .map(|&i| &self.policies[i])
    }

    /// The NetworkPolicies named `name` in `namespace`, in file order.
    pub fn policies_named(&self, namespace: &str, name: &str) -> Vec<&RepoPolicy<'a>> {
        self.policies_by_name
            .get(&(namespace, name))
            .into_iter()
            .flatten()
            .map(|&i| &self.policies[i])
            .collect()
    }
}

impl<'a> Repository<'a> {
    fn selection(&self) -> &Selection {
        self.selection.get_or_init(|| {
            let mut selection = Selection {
                by_workload: vec![Vec::new(); self.workloads.len()],
                by_policy: vec![Vec::new(); self.policies.len()],
            };
            let all = LabelSelector::default();
            for policy in &self.policies {
                let selector = policy.spec.pod_selector.as_ref().unwrap_or(&all);
                for w in self.workloads_matching(policy.namespace, selector) {
                    selection.by_workload[w.index].push(policy.index);
                    selection.by_policy[policy.index].push(w.index);
                }
            }
            selection
        })
    }

    /// The policies whose `spec.podSelector` selects `workload`, in file order.
    pub fn policies_selecting<'s>(
        &'s self,
        workload: &Workload<'_>,
    ) -> impl Iterator<Item = &'s RepoPolicy<'a>> {
        self.selection()
            .by_workload
            .get(workload.index)
            .into_iter()
            .flatten()
            .map(|&i| &self.policies[i])
    }

    /// The workloads of its namespace that `policy`'s `spec.podSelector` selects.
    pub fn workloads_selected_by<'s>(
        &'s self,
        policy: &RepoPolicy<'_>,
    ) -> impl Iterator<Item = &'s Workload<'a>> {
        self.selection()
            .by_policy
            .get(policy.index)
            .into_iter()
            .flatten()
            .map(|&i| &self.workloads[i])
    }
}

/// An object's identity within one run: its address (objects do not move while linted).
fn address(object: &Object) -> usize {
    std::ptr::from_ref(object) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Limits, read_manifest};

    #[test]
    fn indexes_namespaces_workloads_and_policies_in_one_pass() {
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: a\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: c\n          ports:\n            - name: http\n              containerPort: 8080\n            - containerPort: 53\n              protocol: UDP\n---\n\
apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  podSelector: {}\n---\n\
apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\nspec:\n  containers: []\n";
        let files = vec![read_manifest("a.yaml", yaml.as_bytes(), &Limits::default()).unwrap()];
        let repo = Repository::build(&files);
        let shop = repo.namespace("shop").unwrap();
        assert!(shop.declared);
        assert_eq!(shop.labels.get("team").map(String::as_str), Some("a"));
        assert_eq!(
            shop.labels.get(NAMESPACE_NAME_LABEL).map(String::as_str),
            Some("shop")
        );
        assert!(repo.declares_namespaces());
        let kube_system = repo.namespace("kube-system").unwrap();
        assert!(!kube_system.declared);
        let web: Vec<_> = repo.workloads_in("shop").collect();
        assert_eq!(web.len(), 1);
        assert_eq!(web[0].display_name(), "shop/web[Deployment]");
        assert_eq!(
            web[0].ports,
            [
                WorkloadPort {
                    name: Some("http"),
                    number: 8080,
                    protocol: "TCP"
                },
                WorkloadPort {
                    name: None,
                    number: 53,
                    protocol: "UDP"
                }
            ]
        );
        assert!(repo.has_workloads_in("default"), "the bare Pod");
        let selector = |json: &str| serde_json::from_str::<LabelSelector>(json).unwrap();
        let names = |sel: &LabelSelector, ns: &str| -> Vec<String> {
            repo.workloads_matching(ns, sel)
                .iter()
                .map(|w| w.display_name())
                .collect()
        };
        assert_eq!(
            names(&selector(r#"{"matchLabels": {"app": "web"}}"#), "shop"),
            ["shop/web[Deployment]"]
        );
        assert!(names(&selector(r#"{"matchLabels": {"app": "web"}}"#), "default").is_empty());
        assert!(names(&selector(r#"{"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}"#), "shop").is_empty());
        assert_eq!(
            names(&LabelSelector::default(), "default"),
            ["default/bare[Pod]"]
        );
        assert_eq!(repo.policies_in("shop").count(), 1);
        assert!(repo.policy_of(&files[0].objects[2]).is_some());
        assert!(repo.policy_of(&files[0].objects[1]).is_none());
        // "Any?" agrees with the list, and only the hostNetwork workloads are listed as such.
        for (sel, ns) in [
            (r#"{"matchLabels": {"app": "web"}}"#, "shop"),
            (r#"{"matchLabels": {"app": "web"}}"#, "default"),
            ("{}", "default"),
            ("{}", "elsewhere"),
        ] {
            let sel = selector(sel);
            assert_eq!(
                repo.any_workload_matching(ns, &sel),
                !repo.workloads_matching(ns, &sel).is_empty(),
                "{sel:?} in {ns}"
            );
        }
        assert_eq!(repo.host_network_workloads().count(), 0);
    }

    #[test]
    fn host_network_workloads_are_indexed_in_file_order() {
        let pod = |name: &str, host: bool| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  hostNetwork: {host}\n  containers: []\n"
            )
        };
        let yaml = [pod("a", true), pod("b", false), pod("c", true)].join("---\n");
        let files = vec![read_manifest("a.yaml", yaml.as_bytes(), &Limits::default()).unwrap()];
        let repo = Repository::build(&files);
        let names: Vec<String> = repo
            .host_network_workloads()
            .map(|w| w.display_name())
            .collect();
        assert_eq!(names, ["default/a[Pod]", "default/c[Pod]"]);
    }
}
