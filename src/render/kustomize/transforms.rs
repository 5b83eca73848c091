//! The kustomization's built-in transformers, run in kustomize's order: strategic-merge
//! patches, patches, namespace, name prefix, name suffix, labels, annotations, JSON 6902
//! patches, replicas, images, replacements. What a directive writes carries the directive's
//! line as its origin.

use super::fieldspec::{self, FieldSpec};
use super::kustomization::Kustomization;
use super::resource::Resource;
use super::{Acc, BuildError, Builder, Ctx, patches, replacements};
use crate::render::origin::Origin;
use crate::render::value::{Node, Value};

pub(crate) fn run_all(
    b: &mut Builder,
    k: &Kustomization,
    ctx: &Ctx,
    acc: &mut Acc,
) -> Result<(), BuildError> {
    patches::patches_strategic_merge(b, k, ctx, &mut acc.res)?;
    patches::patches(b, k, ctx, &mut acc.res)?;
    if let Some(ns) = k.field("namespace") {
        namespace(b, ns, &mut acc.res);
    }
    if let Some(p) = k.field("namePrefix") {
        prefix_suffix(b, p, true, &mut acc.res);
    }
    if let Some(s) = k.field("nameSuffix") {
        prefix_suffix(b, s, false, &mut acc.res);
    }
    if let Some(labels) = k.field("commonLabels") {
        let specs = acc.config.common_labels.clone();
        set_pairs(b, ctx, labels, &specs, &mut acc.res)?;
    }
    for entry in k.list("labels") {
        let Some(pairs) = entry.get("pairs") else {
            continue;
        };
        let mut specs: Vec<FieldSpec> = if entry.get_str("includeSelectors") == Some("true") {
            acc.config.common_labels.clone()
        } else if entry.get_str("includeTemplates") == Some("true") {
            acc.config.template_labels.clone()
        } else {
            vec![FieldSpec {
                gvk: Default::default(),
                path: vec!["metadata".into(), "labels".into()],
                create: true,
            }]
        };
        specs.extend(acc.config.labels.iter().cloned());
        if let Some(fields) = entry.get("fields") {
            for f in fields.items() {
                specs.push(FieldSpec {
                    gvk: super::resource::Gvk {
                        group: f.get_str("group").unwrap_or("").into(),
                        version: f.get_str("version").unwrap_or("").into(),
                        kind: f.get_str("kind").unwrap_or("").into(),
                    },
                    path: fieldspec::split_path(f.get_str("path").unwrap_or("")),
                    create: f.get_str("create") == Some("true"),
                });
            }
        }
        set_pairs(b, ctx, pairs, &specs, &mut acc.res)?;
    }
    if let Some(annotations) = k.field("commonAnnotations") {
        let specs = acc.config.common_annotations.clone();
        set_pairs(b, ctx, annotations, &specs, &mut acc.res)?;
    }
    patches::patches_json6902(b, k, ctx, &mut acc.res)?;
    for entry in k.list("replicas") {
        replicas(b, ctx, entry, &acc.config.replicas, &mut acc.res)?;
    }
    let images: Vec<&Node> = k.list("images").iter().chain(k.list("imageTags")).collect();
    if !images.is_empty() {
        for r in acc.res.iter_mut() {
            set_images(b, &images, &mut r.obj);
        }
    }
    if let Some(reps) = k.field("replacements") {
        replacements::run(b, ctx, reps, &mut acc.res)?;
    }
    Ok(())
}

fn namespace(b: &Builder, ns_node: &Node, res: &mut [Resource]) {
    let Some(ns) = ns_node.as_str() else { return };
    let origin = b.generated(ns_node);
    for r in res.iter_mut() {
        r.store_previous_id();
        if !r.is_cluster_scoped() {
            r.set_namespace(ns, origin);
        }
        // kustomize's namespace field specs beyond metadata.namespace.
        match (r.kind(), r.gvk().group.as_str()) {
            ("Namespace", _) => r.set_name(ns.to_string(), origin),
            ("APIService", "apiregistration.k8s.io") => {
                let svc = r.obj.map_entry("spec", origin).map_entry("service", origin);
                svc.set("namespace", Node::str(ns, origin));
            }
            ("CustomResourceDefinition", "apiextensions.k8s.io") => {
                let path = ["spec", "conversion", "webhook", "clientConfig", "service"];
                if let Some(svc) = path.iter().try_fold(&mut r.obj, |n, k| n.get_mut(k))
                    && svc.get("namespace").is_some()
                {
                    svc.set("namespace", Node::str(ns, origin));
                }
            }
            _ => {}
        }
        // kustomize's "role binding hack": a subject named `default` follows the namespace.
        if matches!(r.kind(), "RoleBinding" | "ClusterRoleBinding")
            && let Some(subjects) = r.obj.get_mut("subjects")
            && let Value::Seq(items) = &mut subjects.value
        {
            for s in items
                .iter_mut()
                .filter(|s| s.get_str("name") == Some("default"))
            {
                s.set("namespace", Node::str(ns, origin));
            }
        }
    }
}

fn prefix_suffix(b: &Builder, node: &Node, prefix: bool, res: &mut [Resource]) {
    let Some(text) = node.as_str() else { return };
    if text.is_empty() {
        return;
    }
    let origin = b.generated(node);
    for r in res.iter_mut() {
        let skip = matches!(r.kind(), "CustomResourceDefinition" | "Namespace")
            || (r.kind() == "APIService" && r.gvk().group == "apiregistration.k8s.io");
        if skip {
            continue;
        }
        r.store_previous_id();
        let name = if prefix {
            r.prefixes.push(text.to_string());
            format!("{text}{}", r.name())
        } else {
            r.suffixes.push(text.to_string());
            format!("{}{text}", r.name())
        };
        r.set_name(name, origin);
    }
}

/// Sets label or annotation pairs at each field spec that selects a resource.
fn set_pairs(
    b: &Builder,
    ctx: &Ctx,
    pairs: &Node,
    specs: &[FieldSpec],
    res: &mut [Resource],
) -> Result<(), BuildError> {
    if !pairs.is_map() {
        return Err(b.err(ctx, pairs, "expected a mapping of keys to values".into()));
    }
    let values: Vec<(String, Node)> = pairs
        .entries()
        .iter()
        .map(|(k, v)| {
            let text = v.as_str().unwrap_or("").to_string();
            (k.clone(), Node::str(text, b.generated(v)))
        })
        .collect();
    let origin = b.generated(pairs);
    for r in res.iter_mut() {
        let gvk = r.gvk();
        for spec in specs.iter().filter(|s| gvk.selected_by(&s.gvk)) {
            fieldspec::apply(&mut r.obj, &spec.path, spec.create, origin, &mut |n| {
                if n.is_null() {
                    *n = Node::map(origin);
                }
                if !n.is_map() {
                    return Ok(());
                }
                for (k, v) in &values {
                    n.set(k, v.clone());
                }
                Ok(())
            })
            .map_err(|m| b.err(ctx, pairs, m))?;
        }
    }
    Ok(())
}

fn replicas(
    b: &Builder,
    ctx: &Ctx,
    entry: &Node,
    specs: &[FieldSpec],
    res: &mut [Resource],
) -> Result<(), BuildError> {
    let name = entry.get_str("name").unwrap_or("");
    let Some(count) = entry.get("count") else {
        return Err(b.err(ctx, entry, format!("replicas entry {name:?} has no count")));
    };
    let origin = b.generated(count);
    let value = Node::plain(count.as_str().unwrap_or("0"), origin);
    let mut found = false;
    for r in res.iter_mut() {
        if !r.any_ids().iter().any(|id| id.name == name) {
            continue;
        }
        let gvk = r.gvk();
        for spec in specs.iter().filter(|s| gvk.selected_by(&s.gvk)) {
            found = true;
            fieldspec::apply(&mut r.obj, &spec.path, spec.create, origin, &mut |n| {
                *n = value.clone();
                Ok(())
            })
            .map_err(|m| b.err(ctx, entry, m))?;
        }
    }
    if !found {
        return Err(b.err(
            ctx,
            entry,
            format!("resource with name {name} does not match a config with the following GVK [Deployment ReplicationController ReplicaSet StatefulSet]"),
        ));
    }
    Ok(())
}

/// kustomize's image filter: every `image` under a `containers` or `initContainers` list,
/// anywhere in the object.
fn set_images(b: &Builder, images: &[&Node], node: &mut Node) {
    match &mut node.value {
        Value::Map(m) => {
            for (k, v) in m.iter_mut() {
                if (k == "containers" || k == "initContainers")
                    && let Value::Seq(items) = &mut v.value
                {
                    for c in items.iter_mut() {
                        update_image(b, images, c);
                    }
                } else {
                    set_images(b, images, v);
                }
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(|i| set_images(b, images, i)),
        Value::Scalar(_) => {}
    }
}

fn update_image(b: &Builder, images: &[&Node], container: &mut Node) {
    let Some(image) = container.get_str("image").map(str::to_string) else {
        return;
    };
    let (name, tag, digest) = split_image(&image);
    for entry in images {
        if entry.get_str("name") != Some(name) {
            continue;
        }
        let mut new_name = name.to_string();
        let (mut new_tag, mut new_digest) = (tag.map(str::to_string), digest.map(str::to_string));
        if let Some(n) = entry.get_str("newName") {
            new_name = n.to_string();
        }
        if let Some(t) = entry.get("newTag").and_then(Node::as_str) {
            new_tag = Some(t.to_string());
            new_digest = None;
        }
        if let Some(d) = entry.get_str("digest") {
            new_digest = Some(d.to_string());
            new_tag = None;
        }
        let mut out = new_name;
        if let Some(t) = new_tag {
            out = format!("{out}:{t}");
        }
        if let Some(d) = new_digest {
            out = format!("{out}@{d}");
        }
        let origin: Origin = b.generated(entry);
        container.set("image", Node::str(out, origin));
        return;
    }
}

/// `registry:5000/app:1.0@sha256:…` → (`registry:5000/app`, `1.0`, `sha256:…`).
pub(crate) fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(&rest[last_slash + i + 1..]),
            digest,
        ),
        None => (rest, None, digest),
    }
}
