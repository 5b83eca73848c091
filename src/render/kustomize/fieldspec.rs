//! Field specs: "this path, in objects of this kind", the way kustomize's transformers find the
//! fields they change (labels into selectors and templates, names into references). The default
//! tables are kustomize's own (api/internal/konfig/builtinpluginconsts, kustomize v5), written as
//! data; a kustomization's `configurations` and `crds` files add to them.

use super::resource::Gvk;
use super::{BuildError, Builder, Ctx};
use crate::render::value::{Node, Value};

#[derive(Debug, Clone)]
pub(crate) struct FieldSpec {
    pub gvk: Gvk,
    pub path: Vec<String>,
    pub create: bool,
}

impl FieldSpec {
    fn parse(kind: &str, group: &str, version: &str, path: &str, create: bool) -> FieldSpec {
        FieldSpec {
            gvk: Gvk {
                group: group.into(),
                version: version.into(),
                kind: kind.into(),
            },
            path: split_path(path),
            create,
        }
    }
}

/// `a/b\/c/d[]` → `["a", "b/c", "d[]"]`.
pub(crate) fn split_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                cur.push('/');
                chars.next();
            }
            '/' => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    // A `[]` suffix stays: it marks a list, which a field spec never creates.
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

/// One kind that others refer to by name, and where they do.
#[derive(Debug, Clone)]
pub(crate) struct NameBackRef {
    pub target: Gvk,
    pub referrers: Vec<FieldSpec>,
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub name_reference: Vec<NameBackRef>,
    pub common_labels: Vec<FieldSpec>,
    pub template_labels: Vec<FieldSpec>,
    /// Extra places every `labels` entry writes (a `configurations` file's `labels`).
    pub labels: Vec<FieldSpec>,
    pub common_annotations: Vec<FieldSpec>,
    pub var_reference: Vec<FieldSpec>,
    pub images: Vec<FieldSpec>,
    pub replicas: Vec<FieldSpec>,
}

impl Default for Config {
    fn default() -> Self {
        let mut name_reference: Vec<NameBackRef> = Vec::new();
        for line in NAME_REFERENCE.lines().filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let target = Gvk {
                group: f[0].trim_matches('-').into(),
                version: f[1].trim_matches('-').into(),
                kind: f[2].into(),
            };
            let spec = FieldSpec::parse(
                f[5],
                f[3].trim_matches('-'),
                f[4].trim_matches('-'),
                f[6],
                false,
            );
            match name_reference.iter_mut().find(|n| n.target == target) {
                Some(n) => n.referrers.push(spec),
                None => name_reference.push(NameBackRef {
                    target,
                    referrers: vec![spec],
                }),
            }
        }
        Config {
            name_reference,
            common_labels: table(COMMON_LABELS).chain(table(METADATA_LABELS)).collect(),
            template_labels: table(METADATA_LABELS).collect(),
            labels: Vec::new(),
            common_annotations: table(METADATA_LABELS)
                .filter(|f| !f.path.iter().any(|p| p.starts_with("volumeClaimTemplates")))
                .map(|mut f| {
                    let last = f.path.len() - 1;
                    f.path[last] = "annotations".into();
                    f
                })
                .collect(),
            var_reference: table(VAR_REFERENCE).collect(),
            images: Vec::new(),
            replicas: table(REPLICAS).collect(),
        }
    }
}

impl Config {
    /// No field specs at all: what a `configurations` or `crds` file adds to.
    pub fn empty() -> Config {
        Config {
            name_reference: Vec::new(),
            common_labels: Vec::new(),
            template_labels: Vec::new(),
            labels: Vec::new(),
            common_annotations: Vec::new(),
            var_reference: Vec::new(),
            images: Vec::new(),
            replicas: Vec::new(),
        }
    }

    pub fn merge(&mut self, other: Config) {
        for nb in other.name_reference {
            match self
                .name_reference
                .iter_mut()
                .find(|n| n.target == nb.target)
            {
                Some(n) => {
                    for r in nb.referrers {
                        if !n
                            .referrers
                            .iter()
                            .any(|x| x.path == r.path && x.gvk == r.gvk)
                        {
                            n.referrers.push(r);
                        }
                    }
                }
                None => self.name_reference.push(nb),
            }
        }
        merge_specs(&mut self.common_labels, other.common_labels);
        merge_specs(&mut self.template_labels, other.template_labels);
        merge_specs(&mut self.labels, other.labels);
        merge_specs(&mut self.common_annotations, other.common_annotations);
        merge_specs(&mut self.var_reference, other.var_reference);
        merge_specs(&mut self.images, other.images);
        merge_specs(&mut self.replicas, other.replicas);
    }
}

fn merge_specs(into: &mut Vec<FieldSpec>, from: Vec<FieldSpec>) {
    for f in from {
        if !into.iter().any(|x| x.path == f.path && x.gvk == f.gvk) {
            into.push(f);
        }
    }
}

/// Rows `group version kind path create` (`-` for empty).
fn table(t: &'static str) -> impl Iterator<Item = FieldSpec> {
    t.lines().filter(|l| !l.trim().is_empty()).map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let e = |s: &str| {
            if s == "-" {
                String::new()
            } else {
                s.to_string()
            }
        };
        FieldSpec {
            gvk: Gvk {
                group: e(f[0]),
                version: e(f[1]),
                kind: e(f[2]),
            },
            path: split_path(f[3]),
            create: f[4] == "true",
        }
    })
}

/// Applies `f` to every node at `path` inside `node`. A sequence on the way applies to each
/// item. With `create`, missing mappings are made (new nodes get `origin`); `f` sees a null for
/// a missing leaf.
pub(crate) fn apply(
    node: &mut Node,
    path: &[String],
    create: bool,
    origin: crate::render::Origin,
    f: &mut dyn FnMut(&mut Node) -> Result<(), String>,
) -> Result<(), String> {
    if let Value::Seq(items) = &mut node.value {
        for item in items {
            apply(item, path, create, origin, f)?;
        }
        return Ok(());
    }
    let Some((first, rest)) = path.split_first() else {
        return f(node);
    };
    let (first, is_list) = match first.strip_suffix("[]") {
        Some(f) => (f, true),
        None => (first.as_str(), false),
    };
    if node.is_null() && create {
        *node = Node::map(origin);
    }
    if !node.is_map() {
        return Ok(());
    }
    if node.get(first).is_none() {
        if !create || is_list {
            return Ok(());
        }
        node.set(first, Node::plain("", origin));
    }
    let child = node.get_mut(first).expect("present or just created");
    if child.is_null() && !rest.is_empty() && !create {
        return Ok(());
    }
    apply(child, rest, create, origin, f)
}

/// Reads a `configurations` file: transformer field specs that add to the defaults.
pub(crate) fn load_configuration(
    b: &mut Builder,
    ctx: &Ctx,
    entry: &Node,
    config: &mut Config,
) -> Result<(), BuildError> {
    let rel = entry.as_str().unwrap_or("");
    let path = b.local_file(ctx, entry, rel)?;
    let (_, docs) = b.load_docs(&path, true)?;
    let mut add = Config::empty();
    for doc in docs {
        for (key, list) in doc.entries() {
            match key.as_str() {
                "nameReference" => {
                    for nb in list.items() {
                        let target = gvk_of(nb);
                        let referrers = nb
                            .get("fieldSpecs")
                            .map(|f| f.items().iter().map(spec_of).collect())
                            .unwrap_or_default();
                        add.name_reference.push(NameBackRef { target, referrers });
                    }
                }
                "commonLabels" => add.common_labels.extend(list.items().iter().map(spec_of)),
                "templateLabels" => add.template_labels.extend(list.items().iter().map(spec_of)),
                "labels" => add.labels.extend(list.items().iter().map(spec_of)),
                "commonAnnotations" => add
                    .common_annotations
                    .extend(list.items().iter().map(spec_of)),
                "varReference" => add.var_reference.extend(list.items().iter().map(spec_of)),
                "images" => add.images.extend(list.items().iter().map(spec_of)),
                "replicas" => add.replicas.extend(list.items().iter().map(spec_of)),
                _ => {}
            }
        }
    }
    config.merge(add);
    Ok(())
}

/// `crds` files: OpenAPI definitions whose `x-kubernetes-object-ref-kind` properties say that a
/// custom resource names another object, so name references follow its prefix or hash as they
/// do for built-in kinds. Other files (a CustomResourceDefinition object) add nothing.
pub(crate) fn load_crd(
    b: &mut Builder,
    ctx: &Ctx,
    entry: &Node,
    config: &mut Config,
) -> Result<(), BuildError> {
    let rel = entry.as_str().unwrap_or("");
    let path = b.local_file(ctx, entry, rel)?;
    let (_, docs) = b.load_docs(&path, true)?;
    let mut add = Config::empty();
    for doc in &docs {
        for (def, body) in doc.entries() {
            let Some(props) = body.at(&["Schema", "properties"]) else {
                continue;
            };
            if props.get("kind").is_none() || props.get("metadata").is_none() {
                continue;
            }
            let kind = def.rsplit('.').next().unwrap_or(def);
            let mut path = Vec::new();
            crd_refs(doc, props, kind, &mut path, 0, &mut add.name_reference);
        }
    }
    config.merge(add);
    Ok(())
}

/// Walks a definition's properties (following `$ref`, at most 16 deep) for object references.
fn crd_refs(
    defs: &Node,
    props: &Node,
    kind: &str,
    path: &mut Vec<String>,
    depth: usize,
    out: &mut Vec<NameBackRef>,
) {
    if depth > 16 {
        return;
    }
    for (name, schema) in props.entries() {
        path.push(name.clone());
        if let Some(target) = schema.get_str("x-kubernetes-object-ref-kind") {
            let mut spec_path = path.clone();
            spec_path.push("name".into());
            let referrer = FieldSpec {
                gvk: Gvk {
                    kind: kind.into(),
                    ..Gvk::default()
                },
                path: spec_path,
                create: false,
            };
            let target = Gvk {
                version: schema
                    .get_str("x-kubernetes-object-ref-api-version")
                    .unwrap_or("")
                    .into(),
                kind: target.into(),
                ..Gvk::default()
            };
            match out.iter_mut().find(|n| n.target == target) {
                Some(n) => n.referrers.push(referrer),
                None => out.push(NameBackRef {
                    target,
                    referrers: vec![referrer],
                }),
            }
        } else if let Some(inner) = schema
            .get_str("$ref")
            .and_then(|r| defs.get(r))
            .and_then(|d| d.at(&["Schema", "properties"]))
        {
            crd_refs(defs, inner, kind, path, depth + 1, out);
        }
        path.pop();
    }
}

fn gvk_of(n: &Node) -> Gvk {
    Gvk {
        group: n.get_str("group").unwrap_or("").into(),
        version: n.get_str("version").unwrap_or("").into(),
        kind: n.get_str("kind").unwrap_or("").into(),
    }
}

fn spec_of(n: &Node) -> FieldSpec {
    FieldSpec {
        gvk: gvk_of(n),
        path: split_path(n.get_str("path").unwrap_or("")),
        create: n.get_str("create") == Some("true"),
    }
}

pub(crate) const COMMON_LABELS: &str = "
- v1 Service spec/selector true
- v1 ReplicationController spec/selector true
- - Deployment spec/selector/matchLabels true
apps - Deployment spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels false
apps - Deployment spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels false
apps - Deployment spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels false
apps - Deployment spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels false
apps - Deployment spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels false
- - ReplicaSet spec/selector/matchLabels true
- - DaemonSet spec/selector/matchLabels true
apps - StatefulSet spec/selector/matchLabels true
apps - StatefulSet spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels false
apps - StatefulSet spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels false
apps - StatefulSet spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels false
apps - StatefulSet spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels false
apps - StatefulSet spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels false
batch - Job spec/selector/matchLabels false
batch - CronJob spec/jobTemplate/spec/selector/matchLabels false
policy - PodDisruptionBudget spec/selector/matchLabels false
networking.k8s.io - NetworkPolicy spec/podSelector/matchLabels false
networking.k8s.io - NetworkPolicy spec/ingress/from/podSelector/matchLabels false
networking.k8s.io - NetworkPolicy spec/egress/to/podSelector/matchLabels false
";

pub(crate) const METADATA_LABELS: &str = "
- - - metadata/labels true
- v1 ReplicationController spec/template/metadata/labels true
- - Deployment spec/template/metadata/labels true
- - ReplicaSet spec/template/metadata/labels true
- - DaemonSet spec/template/metadata/labels true
apps - StatefulSet spec/template/metadata/labels true
apps - StatefulSet spec/volumeClaimTemplates[]/metadata/labels true
batch - Job spec/template/metadata/labels true
batch - CronJob spec/jobTemplate/metadata/labels true
batch - CronJob spec/jobTemplate/spec/template/metadata/labels true
";

const REPLICAS: &str = "
- - Deployment spec/replicas true
- - ReplicationController spec/replicas true
- - ReplicaSet spec/replicas true
- - StatefulSet spec/replicas true
";

/// Where `$(VAR)` is expanded (kustomize's varreference.go).
const VAR_REFERENCE: &str = "
- - CronJob spec/jobTemplate/spec/template/spec/containers/args false
- - CronJob spec/jobTemplate/spec/template/spec/containers/command false
- - CronJob spec/jobTemplate/spec/template/spec/containers/env/value false
- - CronJob spec/jobTemplate/spec/template/spec/containers/volumeMounts/mountPath false
- - CronJob spec/jobTemplate/spec/template/spec/initContainers/args false
- - CronJob spec/jobTemplate/spec/template/spec/initContainers/command false
- - CronJob spec/jobTemplate/spec/template/spec/initContainers/env/value false
- - CronJob spec/jobTemplate/spec/template/spec/initContainers/volumeMounts/mountPath false
- - CronJob spec/jobTemplate/spec/template/spec/volumes/nfs/server false
- - DaemonSet spec/template/spec/containers/args false
- - DaemonSet spec/template/spec/containers/command false
- - DaemonSet spec/template/spec/containers/env/value false
- - DaemonSet spec/template/spec/containers/volumeMounts/mountPath false
- - DaemonSet spec/template/spec/initContainers/args false
- - DaemonSet spec/template/spec/initContainers/command false
- - DaemonSet spec/template/spec/initContainers/env/value false
- - DaemonSet spec/template/spec/initContainers/volumeMounts/mountPath false
- - DaemonSet spec/template/spec/volumes/nfs/server false
- - Deployment spec/template/spec/containers/args false
- - Deployment spec/template/spec/containers/command false
- - Deployment spec/template/spec/containers/env/value false
- - Deployment spec/template/spec/containers/volumeMounts/mountPath false
- - Deployment spec/template/spec/initContainers/args false
- - Deployment spec/template/spec/initContainers/command false
- - Deployment spec/template/spec/initContainers/env/value false
- - Deployment spec/template/spec/initContainers/volumeMounts/mountPath false
- - Deployment spec/template/spec/volumes/nfs/server false
- - Job spec/template/spec/containers/args false
- - Job spec/template/spec/containers/command false
- - Job spec/template/spec/containers/env/value false
- - Job spec/template/spec/containers/volumeMounts/mountPath false
- - Job spec/template/spec/initContainers/args false
- - Job spec/template/spec/initContainers/command false
- - Job spec/template/spec/initContainers/env/value false
- - Job spec/template/spec/initContainers/volumeMounts/mountPath false
- - Job spec/template/spec/volumes/nfs/server false
- - Pod spec/containers/args false
- - Pod spec/containers/command false
- - Pod spec/containers/env/value false
- - Pod spec/containers/volumeMounts/mountPath false
- - Pod spec/initContainers/args false
- - Pod spec/initContainers/command false
- - Pod spec/initContainers/env/value false
- - Pod spec/initContainers/volumeMounts/mountPath false
- - Pod spec/volumes/nfs/server false
- - ReplicaSet spec/template/spec/containers/args false
- - ReplicaSet spec/template/spec/containers/command false
- - ReplicaSet spec/template/spec/containers/env/value false
- - ReplicaSet spec/template/spec/containers/volumeMounts/mountPath false
- - ReplicaSet spec/template/spec/initContainers/args false
- - ReplicaSet spec/template/spec/initContainers/command false
- - ReplicaSet spec/template/spec/initContainers/env/value false
- - ReplicaSet spec/template/spec/initContainers/volumeMounts/mountPath false
- - ReplicaSet spec/template/spec/volumes/nfs/server false
- - StatefulSet spec/template/spec/containers/args false
- - StatefulSet spec/template/spec/containers/command false
- - StatefulSet spec/template/spec/containers/env/value false
- - StatefulSet spec/template/spec/containers/volumeMounts/mountPath false
- - StatefulSet spec/template/spec/initContainers/args false
- - StatefulSet spec/template/spec/initContainers/command false
- - StatefulSet spec/template/spec/initContainers/env/value false
- - StatefulSet spec/template/spec/initContainers/volumeMounts/mountPath false
- - StatefulSet spec/template/spec/volumes/nfs/server false
- - Ingress spec/rules/host false
- - Ingress spec/tls/hosts false
- - Ingress spec/tls/secretName false
- - Service spec/ports/port false
- - Service spec/ports/targetPort false
- - StatefulSet spec/volumeClaimTemplates/spec/nfs/server false
- - PersistentVolume spec/nfs/server false
- - CronJob spec/jobTemplate/spec/template/volumes/nfs/server false
- - - metadata/labels false
";

/// `targetGroup targetVersion targetKind referrerGroup referrerVersion referrerKind path`
/// (kustomize's namereference.go, `-` for empty).
const NAME_REFERENCE: &str = "
- - Deployment - - HorizontalPodAutoscaler spec/scaleTargetRef/name
- - ReplicationController - - HorizontalPodAutoscaler spec/scaleTargetRef/name
- - ReplicaSet - - HorizontalPodAutoscaler spec/scaleTargetRef/name
- - StatefulSet - - HorizontalPodAutoscaler spec/scaleTargetRef/name
- v1 ConfigMap - v1 Pod spec/volumes/configMap/name
- v1 ConfigMap - v1 Pod spec/containers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - v1 Pod spec/initContainers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - v1 Pod spec/containers/envFrom/configMapRef/name
- v1 ConfigMap - v1 Pod spec/initContainers/envFrom/configMapRef/name
- v1 ConfigMap - v1 Pod spec/volumes/projected/sources/configMap/name
- v1 ConfigMap - - PodTemplate template/spec/volumes/configMap/name
- v1 ConfigMap - - PodTemplate template/spec/containers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - PodTemplate template/spec/initContainers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - PodTemplate template/spec/containers/envFrom/configMapRef/name
- v1 ConfigMap - - PodTemplate template/spec/initContainers/envFrom/configMapRef/name
- v1 ConfigMap - - PodTemplate template/spec/volumes/projected/sources/configMap/name
- v1 ConfigMap - - Deployment spec/template/spec/volumes/configMap/name
- v1 ConfigMap - - Deployment spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - Deployment spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - Deployment spec/template/spec/containers/envFrom/configMapRef/name
- v1 ConfigMap - - Deployment spec/template/spec/initContainers/envFrom/configMapRef/name
- v1 ConfigMap - - Deployment spec/template/spec/volumes/projected/sources/configMap/name
- v1 ConfigMap - - ReplicaSet spec/template/spec/volumes/configMap/name
- v1 ConfigMap - - ReplicaSet spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - ReplicaSet spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - ReplicaSet spec/template/spec/containers/envFrom/configMapRef/name
- v1 ConfigMap - - ReplicaSet spec/template/spec/initContainers/envFrom/configMapRef/name
- v1 ConfigMap - - ReplicaSet spec/template/spec/volumes/projected/sources/configMap/name
- v1 ConfigMap - - DaemonSet spec/template/spec/volumes/configMap/name
- v1 ConfigMap - - DaemonSet spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - DaemonSet spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - DaemonSet spec/template/spec/containers/envFrom/configMapRef/name
- v1 ConfigMap - - DaemonSet spec/template/spec/initContainers/envFrom/configMapRef/name
- v1 ConfigMap - - DaemonSet spec/template/spec/volumes/projected/sources/configMap/name
- v1 ConfigMap - - StatefulSet spec/template/spec/volumes/configMap/name
- v1 ConfigMap - - StatefulSet spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - StatefulSet spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - StatefulSet spec/template/spec/containers/envFrom/configMapRef/name
- v1 ConfigMap - - StatefulSet spec/template/spec/initContainers/envFrom/configMapRef/name
- v1 ConfigMap - - StatefulSet spec/template/spec/volumes/projected/sources/configMap/name
- v1 ConfigMap - - Job spec/template/spec/volumes/configMap/name
- v1 ConfigMap - - Job spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - Job spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - Job spec/template/spec/containers/envFrom/configMapRef/name
- v1 ConfigMap - - Job spec/template/spec/initContainers/envFrom/configMapRef/name
- v1 ConfigMap - - Job spec/template/spec/volumes/projected/sources/configMap/name
- v1 ConfigMap - - CronJob spec/jobTemplate/spec/template/spec/volumes/configMap/name
- v1 ConfigMap - - CronJob spec/jobTemplate/spec/template/spec/volumes/projected/sources/configMap/name
- v1 ConfigMap - - CronJob spec/jobTemplate/spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - CronJob spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name
- v1 ConfigMap - - CronJob spec/jobTemplate/spec/template/spec/containers/envFrom/configMapRef/name
- v1 ConfigMap - - CronJob spec/jobTemplate/spec/template/spec/initContainers/envFrom/configMapRef/name
- v1 ConfigMap - - Node spec/configSource/configMap
- v1 ConfigMap - - Role rules/resourceNames
- v1 ConfigMap - - ClusterRole rules/resourceNames
- v1 ConfigMap - - Ingress metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap
- v1 Secret - v1 Pod spec/volumes/secret/secretName
- v1 Secret - v1 Pod spec/containers/env/valueFrom/secretKeyRef/name
- v1 Secret - v1 Pod spec/initContainers/env/valueFrom/secretKeyRef/name
- v1 Secret - v1 Pod spec/containers/envFrom/secretRef/name
- v1 Secret - v1 Pod spec/initContainers/envFrom/secretRef/name
- v1 Secret - v1 Pod spec/imagePullSecrets/name
- v1 Secret - v1 Pod spec/volumes/projected/sources/secret/name
- v1 Secret - - PodTemplate template/spec/volumes/secret/secretName
- v1 Secret - - PodTemplate template/spec/containers/env/valueFrom/secretKeyRef/name
- v1 Secret - - PodTemplate template/spec/initContainers/env/valueFrom/secretKeyRef/name
- v1 Secret - - PodTemplate template/spec/containers/envFrom/secretRef/name
- v1 Secret - - PodTemplate template/spec/initContainers/envFrom/secretRef/name
- v1 Secret - - PodTemplate template/spec/imagePullSecrets/name
- v1 Secret - - PodTemplate template/spec/volumes/projected/sources/secret/name
- v1 Secret - - Deployment spec/template/spec/volumes/secret/secretName
- v1 Secret - - Deployment spec/template/spec/containers/env/valueFrom/secretKeyRef/name
- v1 Secret - - Deployment spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
- v1 Secret - - Deployment spec/template/spec/containers/envFrom/secretRef/name
- v1 Secret - - Deployment spec/template/spec/initContainers/envFrom/secretRef/name
- v1 Secret - - Deployment spec/template/spec/imagePullSecrets/name
- v1 Secret - - Deployment spec/template/spec/volumes/projected/sources/secret/name
- v1 Secret - - ReplicaSet spec/template/spec/volumes/secret/secretName
- v1 Secret - - ReplicaSet spec/template/spec/containers/env/valueFrom/secretKeyRef/name
- v1 Secret - - ReplicaSet spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
- v1 Secret - - ReplicaSet spec/template/spec/containers/envFrom/secretRef/name
- v1 Secret - - ReplicaSet spec/template/spec/initContainers/envFrom/secretRef/name
- v1 Secret - - ReplicaSet spec/template/spec/imagePullSecrets/name
- v1 Secret - - ReplicaSet spec/template/spec/volumes/projected/sources/secret/name
- v1 Secret - - DaemonSet spec/template/spec/volumes/secret/secretName
- v1 Secret - - DaemonSet spec/template/spec/containers/env/valueFrom/secretKeyRef/name
- v1 Secret - - DaemonSet spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
- v1 Secret - - DaemonSet spec/template/spec/containers/envFrom/secretRef/name
- v1 Secret - - DaemonSet spec/template/spec/initContainers/envFrom/secretRef/name
- v1 Secret - - DaemonSet spec/template/spec/imagePullSecrets/name
- v1 Secret - - DaemonSet spec/template/spec/volumes/projected/sources/secret/name
- v1 Secret - - StatefulSet spec/template/spec/volumes/secret/secretName
- v1 Secret - - StatefulSet spec/template/spec/containers/env/valueFrom/secretKeyRef/name
- v1 Secret - - StatefulSet spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
- v1 Secret - - StatefulSet spec/template/spec/containers/envFrom/secretRef/name
- v1 Secret - - StatefulSet spec/template/spec/initContainers/envFrom/secretRef/name
- v1 Secret - - StatefulSet spec/template/spec/imagePullSecrets/name
- v1 Secret - - StatefulSet spec/template/spec/volumes/projected/sources/secret/name
- v1 Secret - - Job spec/template/spec/volumes/secret/secretName
- v1 Secret - - Job spec/template/spec/containers/env/valueFrom/secretKeyRef/name
- v1 Secret - - Job spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
- v1 Secret - - Job spec/template/spec/containers/envFrom/secretRef/name
- v1 Secret - - Job spec/template/spec/initContainers/envFrom/secretRef/name
- v1 Secret - - Job spec/template/spec/imagePullSecrets/name
- v1 Secret - - Job spec/template/spec/volumes/projected/sources/secret/name
- v1 Secret - - CronJob spec/jobTemplate/spec/template/spec/volumes/secret/secretName
- v1 Secret - - CronJob spec/jobTemplate/spec/template/spec/volumes/projected/sources/secret/name
- v1 Secret - - CronJob spec/jobTemplate/spec/template/spec/containers/env/valueFrom/secretKeyRef/name
- v1 Secret - - CronJob spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name
- v1 Secret - - CronJob spec/jobTemplate/spec/template/spec/containers/envFrom/secretRef/name
- v1 Secret - - CronJob spec/jobTemplate/spec/template/spec/initContainers/envFrom/secretRef/name
- v1 Secret - - CronJob spec/jobTemplate/spec/template/spec/imagePullSecrets/name
- v1 Secret - - Ingress spec/tls/secretName
- v1 Secret - - Ingress metadata/annotations/ingress.kubernetes.io\\/auth-secret
- v1 Secret - - Ingress metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret
- v1 Secret - - Ingress metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret
- v1 Secret - - ServiceAccount imagePullSecrets/name
- v1 Secret - - StorageClass parameters/secretName
- v1 Secret - - StorageClass parameters/adminSecretName
- v1 Secret - - StorageClass parameters/userSecretName
- v1 Secret - - StorageClass parameters/secretRef
- v1 Secret - - Role rules/resourceNames
- v1 Secret - - ClusterRole rules/resourceNames
- v1 Secret serving.knative.dev v1 Service spec/template/spec/containers/env/valueFrom/secretKeyRef/name
- v1 Secret - - PersistentVolume spec/azureFile/secretName
- v1 Service apps - StatefulSet spec/serviceName
- v1 Service - - Ingress spec/rules/http/paths/backend/serviceName
- v1 Service - - Ingress spec/backend/serviceName
- v1 Service - - Ingress spec/rules/http/paths/backend/service/name
- v1 Service - - Ingress spec/defaultBackend/service/name
- v1 Service apiregistration.k8s.io - APIService spec/service/name
- v1 Service admissionregistration.k8s.io - ValidatingWebhookConfiguration webhooks/clientConfig/service
- v1 Service admissionregistration.k8s.io - MutatingWebhookConfiguration webhooks/clientConfig/service
- v1 Service - - HTTPRoute spec/rules/backendRefs/name
rbac.authorization.k8s.io - Role rbac.authorization.k8s.io - RoleBinding roleRef/name
rbac.authorization.k8s.io - ClusterRole rbac.authorization.k8s.io - RoleBinding roleRef/name
rbac.authorization.k8s.io - ClusterRole rbac.authorization.k8s.io - ClusterRoleBinding roleRef/name
- v1 ServiceAccount rbac.authorization.k8s.io - RoleBinding subjects
- v1 ServiceAccount rbac.authorization.k8s.io - ClusterRoleBinding subjects
- v1 ServiceAccount - - Pod spec/serviceAccountName
- v1 ServiceAccount - - StatefulSet spec/template/spec/serviceAccountName
- v1 ServiceAccount - - Deployment spec/template/spec/serviceAccountName
- v1 ServiceAccount - - ReplicationController spec/template/spec/serviceAccountName
- v1 ServiceAccount - - CronJob spec/jobTemplate/spec/template/spec/serviceAccountName
- v1 ServiceAccount - - Job spec/template/spec/serviceAccountName
- v1 ServiceAccount - - DaemonSet spec/template/spec/serviceAccountName
- v1 PersistentVolumeClaim - - Pod spec/volumes/persistentVolumeClaim/claimName
- v1 PersistentVolumeClaim - - StatefulSet spec/template/spec/volumes/persistentVolumeClaim/claimName
- v1 PersistentVolumeClaim - - Deployment spec/template/spec/volumes/persistentVolumeClaim/claimName
- v1 PersistentVolumeClaim - - ReplicationController spec/template/spec/volumes/persistentVolumeClaim/claimName
- v1 PersistentVolumeClaim - - CronJob spec/jobTemplate/spec/template/spec/volumes/persistentVolumeClaim/claimName
- v1 PersistentVolumeClaim - - Job spec/template/spec/volumes/persistentVolumeClaim/claimName
- v1 PersistentVolumeClaim - - DaemonSet spec/template/spec/volumes/persistentVolumeClaim/claimName
- v1 PersistentVolume - - PersistentVolumeClaim spec/volumeName
- v1 PersistentVolume - - ClusterRole rules/resourceNames
storage.k8s.io v1 StorageClass - - PersistentVolume spec/storageClassName
storage.k8s.io v1 StorageClass - - PersistentVolumeClaim spec/storageClassName
storage.k8s.io v1 StorageClass - - StatefulSet spec/volumeClaimTemplates/spec/storageClassName
scheduling.k8s.io v1 PriorityClass - - Pod spec/priorityClassName
scheduling.k8s.io v1 PriorityClass - - StatefulSet spec/template/spec/priorityClassName
scheduling.k8s.io v1 PriorityClass - - Deployment spec/template/spec/priorityClassName
scheduling.k8s.io v1 PriorityClass - - ReplicationController spec/template/spec/priorityClassName
scheduling.k8s.io v1 PriorityClass - - CronJob spec/jobTemplate/spec/template/spec/priorityClassName
scheduling.k8s.io v1 PriorityClass - - Job spec/template/spec/priorityClassName
scheduling.k8s.io v1 PriorityClass - - DaemonSet spec/template/spec/priorityClassName
networking.k8s.io/v1 v1 IngressClass - - Ingress spec/ingressClassName
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tables_parse() {
        let c = Config::default();
        let cm = c
            .name_reference
            .iter()
            .find(|n| n.target.kind == "ConfigMap")
            .unwrap();
        assert!(cm.referrers.iter().any(|f| f.gvk.kind == "Deployment"
            && f.path == ["spec", "template", "spec", "volumes", "configMap", "name"]));
        let ing = &c
            .name_reference
            .iter()
            .find(|n| n.target.kind == "Secret")
            .unwrap();
        assert!(ing.referrers.iter().any(|f| f.path
            == [
                "metadata",
                "annotations",
                "nginx.ingress.kubernetes.io/auth-secret"
            ]));
        assert!(
            c.common_annotations
                .iter()
                .all(|f| f.path.last().unwrap() == "annotations")
        );
    }
}
