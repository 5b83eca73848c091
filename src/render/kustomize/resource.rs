//! A resource being built and its identity as kustomize tracks it: the current id, the ids it
//! had before names and namespaces changed (name references are repaired through those), and
//! the prefixes and suffixes applied on the way.

use crate::render::origin::Origin;
use crate::render::value::{Node, Value};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    pub fn from_api_version(api_version: &str, kind: &str) -> Gvk {
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        Gvk {
            group,
            version,
            kind: kind.to_string(),
        }
    }

    /// A selector with empty fields matches anything in them.
    pub fn selected_by(&self, sel: &Gvk) -> bool {
        (sel.group.is_empty() || sel.group == self.group)
            && (sel.version.is_empty() || sel.version == self.version)
            && (sel.kind.is_empty() || sel.kind == self.kind)
    }

    pub fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED.contains(&self.kind.as_str())
    }
}

impl std::fmt::Display for Gvk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.group.is_empty() {
            write!(f, "{}.{}", self.kind, self.version)
        } else {
            write!(f, "{}.{}.{}", self.kind, self.version, self.group)
        }
    }
}

/// Kinds the API server keeps outside namespaces (Kubernetes built-ins; kustomize asks its
/// OpenAPI copy the same question). Unknown kinds (CRDs) are namespaced, as in kustomize.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "StorageClass",
    "SubjectAccessReview",
    "TokenReview",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResId {
    pub gvk: Gvk,
    pub name: String,
    pub namespace: String,
}

impl ResId {
    /// Namespaces compare with "" meaning `default`, as kustomize does.
    pub fn same_namespace(&self, other: &ResId) -> bool {
        effective_ns(&self.namespace) == effective_ns(&other.namespace)
    }

    pub fn equals(&self, other: &ResId) -> bool {
        self.gvk == other.gvk && self.name == other.name && self.same_namespace(other)
    }
}

pub(crate) fn effective_ns(ns: &str) -> &str {
    if ns.is_empty() { "default" } else { ns }
}

impl std::fmt::Display for ResId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ns = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        write!(f, "{}|{}|{}", self.gvk, ns, self.name)
    }
}

/// Generator settings that follow a generated resource to the end of the build.
#[derive(Debug, Clone, Default)]
pub(crate) struct GeneratedBy {
    /// Add the content hash to the name at the end of the build.
    pub hash: bool,
    /// The generator entry, for origins of the hash suffix.
    pub origin: Origin,
    /// `ConfigMapGenerator` or `SecretGenerator`, and the plugin's name when a plugin
    /// configuration asked for it (for kustomize's origin annotation).
    pub generator_kind: &'static str,
    pub plugin_name: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Resource {
    pub obj: Node,
    /// Ids this resource had before renames, oldest first (kustomize's "previous ids").
    pub prev: Vec<ResId>,
    pub prefixes: Vec<String>,
    pub suffixes: Vec<String>,
    pub generated: Option<GeneratedBy>,
}

impl Resource {
    pub fn new(obj: Node) -> Resource {
        Resource {
            obj,
            prev: Vec::new(),
            prefixes: Vec::new(),
            suffixes: Vec::new(),
            generated: None,
        }
    }

    pub fn gvk(&self) -> Gvk {
        Gvk::from_api_version(
            self.obj.get_str("apiVersion").unwrap_or(""),
            self.obj.get_str("kind").unwrap_or(""),
        )
    }

    pub fn kind(&self) -> &str {
        self.obj.get_str("kind").unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.obj
            .at(&["metadata", "name"])
            .and_then(Node::as_str)
            .unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        self.obj
            .at(&["metadata", "namespace"])
            .and_then(Node::as_str)
            .unwrap_or("")
    }

    pub fn cur_id(&self) -> ResId {
        ResId {
            gvk: self.gvk(),
            name: self.name().to_string(),
            namespace: self.namespace().to_string(),
        }
    }

    pub fn org_id(&self) -> ResId {
        self.prev.first().cloned().unwrap_or_else(|| self.cur_id())
    }

    /// The current id and every previous one.
    pub fn any_ids(&self) -> Vec<ResId> {
        let mut ids = vec![self.cur_id()];
        ids.extend(self.prev.iter().cloned());
        ids
    }

    pub fn store_previous_id(&mut self) {
        let id = self.cur_id();
        self.prev.push(id);
    }

    pub fn set_name(&mut self, name: String, origin: Origin) {
        self.obj
            .map_entry("metadata", origin)
            .set("name", Node::str(name, origin));
    }

    pub fn set_namespace(&mut self, ns: &str, origin: Origin) {
        self.obj
            .map_entry("metadata", origin)
            .set("namespace", Node::str(ns, origin));
    }

    /// `metadata.labels` (or annotations) as string pairs.
    pub fn string_map(&self, field: &str) -> Vec<(String, String)> {
        self.obj
            .at(&["metadata", field])
            .map(|m| {
                m.entries()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn is_cluster_scoped(&self) -> bool {
        self.gvk().is_cluster_scoped()
    }
}

/// True when the shorter list is the tail of the longer one (kustomize's `SameEndingSubSlice`).
pub(crate) fn same_ending(a: &[String], b: &[String]) -> bool {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    long[long.len() - short.len()..] == *short
}

/// Splits `List` kinds into their items, as kustomize reads resource files.
pub(crate) fn split_lists(doc: Node, out: &mut Vec<Node>) {
    let is_list = doc.get_str("kind").is_some_and(|k| k.ends_with("List"))
        && matches!(doc.get("items").map(|i| &i.value), Some(Value::Seq(_)));
    if is_list {
        if let Value::Map(m) = doc.value {
            for (k, v) in m {
                if k == "items"
                    && let Value::Seq(items) = v.value
                {
                    out.extend(items);
                }
            }
        }
    } else {
        out.push(doc);
    }
}
