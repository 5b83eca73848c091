//! Strategic merge patch, by the Kubernetes patch strategies: a list field either merges by a
//! key (`containers` by `name`, container `ports` by `containerPort`, …), merges as a set of
//! values (`finalizers`), or is replaced. The table below is the `x-kubernetes-patch-strategy`
//! / `x-kubernetes-patch-merge-key` metadata of the Kubernetes OpenAPI (k8s-openapi's Rust
//! types do not carry it), written by field name; kinds outside the Kubernetes API groups
//! (custom resources) get kyaml's rule instead: a list of mappings that all carry one of
//! kyaml's associative keys merges by it. Directives: `$patch: delete|replace|merge`,
//! `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`. A keyed list
//! comes out in kustomize's order: the patch's elements first, then the object's others. Merged
//! values keep the patch's nodes, so their origin is the patch line.

use crate::render::value::{Node, Value};

/// How a list field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListStrategy {
    ByKey(&'static str),
    Set,
    Replace,
    /// Unknown schema: merge by an associative key when every element has it.
    Infer,
}

/// kyaml's associative keys, in its order of preference.
const ASSOCIATIVE_KEYS: &[&str] = &[
    "mountPath",
    "devicePath",
    "ip",
    "type",
    "topologyKey",
    "name",
    "containerPort",
];

/// API groups whose kinds have a known schema.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "policy",
    "autoscaling",
    "extensions",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "apiextensions.k8s.io",
    "admissionregistration.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "node.k8s.io",
    "certificates.k8s.io",
    "apiregistration.k8s.io",
    "flowcontrol.apiserver.k8s.io",
];

fn strategy(builtin: bool, kind: &str, path: &[&str]) -> ListStrategy {
    let field = path.last().copied().unwrap_or("");
    let parent = if path.len() >= 2 {
        path[path.len() - 2]
    } else {
        ""
    };
    let by_name = |s| ListStrategy::ByKey(s);
    let known = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates" => Some(by_name("name")),
        "env"
            if matches!(
                parent,
                "containers" | "initContainers" | "ephemeralContainers"
            ) =>
        {
            Some(by_name("name"))
        }
        "ports"
            if matches!(
                parent,
                "containers" | "initContainers" | "ephemeralContainers"
            ) =>
        {
            Some(by_name("containerPort"))
        }
        "ports" if kind == "Service" && parent == "spec" => Some(by_name("port")),
        "volumeMounts" => Some(by_name("mountPath")),
        "volumeDevices" => Some(by_name("devicePath")),
        "hostAliases" => Some(by_name("ip")),
        "topologySpreadConstraints" => Some(by_name("topologyKey")),
        "conditions" if parent == "status" => Some(by_name("type")),
        "ownerReferences" if parent == "metadata" => Some(by_name("uid")),
        "finalizers" if parent == "metadata" => Some(ListStrategy::Set),
        _ => None,
    };
    match known {
        Some(s) => s,
        None if builtin => ListStrategy::Replace,
        None => ListStrategy::Infer,
    }
}

/// Result of patching one object.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Patched,
    /// The patch said `$patch: delete` at its top.
    Deleted,
}

/// Applies a strategic merge patch to a whole object.
pub(crate) fn apply(dest: &mut Node, patch: &Node) -> Result<Outcome, String> {
    let group = dest
        .get_str("apiVersion")
        .map(|a| a.rsplit_once('/').map_or("", |(g, _)| g))
        .unwrap_or("");
    let builtin = BUILTIN_GROUPS.contains(&group);
    let kind = dest.get_str("kind").unwrap_or("").to_string();
    match patch.get_str("$patch") {
        Some("delete") => return Ok(Outcome::Deleted),
        Some("replace") => {
            *dest = clean(patch);
            return Ok(Outcome::Patched);
        }
        _ => {}
    }
    let mut path = Vec::new();
    merge_map(
        dest,
        patch,
        &Ctx {
            builtin,
            kind: &kind,
        },
        &mut path,
    )?;
    Ok(Outcome::Patched)
}

struct Ctx<'a> {
    builtin: bool,
    kind: &'a str,
}

fn merge_map<'p>(
    dest: &mut Node,
    patch: &'p Node,
    ctx: &Ctx,
    path: &mut Vec<&'p str>,
) -> Result<(), String> {
    if !dest.is_map() {
        *dest = clean(patch);
        return Ok(());
    }
    let mut orders: Vec<(&str, &Node)> = Vec::new();
    let mut retain: Option<Vec<String>> = None;
    for (k, v) in patch.entries() {
        if k == "$patch" {
            continue;
        }
        if let Some(field) = k.strip_prefix("$setElementOrder/") {
            orders.push((field, v));
            continue;
        }
        if k == "$retainKeys" {
            retain = Some(
                v.items()
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
            );
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let Some(Node {
                value: Value::Seq(items),
                ..
            }) = dest.get_mut(field)
            {
                let drop: Vec<String> = v
                    .items()
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect();
                items.retain(|i| !i.as_str().is_some_and(|s| drop.iter().any(|d| d == s)));
            }
            continue;
        }
        if v.is_null() {
            dest.remove(k);
            continue;
        }
        path.push(k.as_str());
        match dest.get_mut(k) {
            Some(d) if !d.is_null() => merge_value(d, v, ctx, path)?,
            _ => {
                let c = clean(v);
                dest.set(k, c);
            }
        }
        path.pop();
    }
    for (field, order) in orders {
        path.push(field);
        let key = match strategy(ctx.builtin, ctx.kind, path) {
            ListStrategy::ByKey(k) => Some(k),
            _ => None,
        };
        path.pop();
        if let Some(Node {
            value: Value::Seq(items),
            ..
        }) = dest.get_mut(field)
        {
            let rank = |n: &Node| -> usize {
                let id = match key {
                    Some(k) => n.get_str(k).map(str::to_string),
                    None => n.as_str().map(str::to_string),
                };
                order
                    .items()
                    .iter()
                    .position(|o| match key {
                        Some(k) => o.get_str(k).map(str::to_string) == id,
                        None => o.as_str().map(str::to_string) == id,
                    })
                    .unwrap_or(usize::MAX)
            };
            items.sort_by_key(rank);
        }
    }
    if let (Some(keep), Value::Map(m)) = (retain, &mut dest.value) {
        m.retain(|(k, _)| keep.contains(k));
    }
    Ok(())
}

fn merge_value<'p>(
    dest: &mut Node,
    patch: &'p Node,
    ctx: &Ctx,
    path: &mut Vec<&'p str>,
) -> Result<(), String> {
    match (&mut dest.value, &patch.value) {
        (Value::Map(_), Value::Map(_)) => {
            match patch.get_str("$patch") {
                Some("replace") => *dest = clean(patch),
                Some("delete") => *dest = Node::map(patch.origin),
                _ => merge_map(dest, patch, ctx, path)?,
            }
            Ok(())
        }
        (Value::Seq(_), Value::Seq(_)) => merge_list(dest, patch, ctx, path),
        _ => {
            *dest = clean(patch);
            Ok(())
        }
    }
}

fn merge_list<'p>(
    dest: &mut Node,
    patch: &'p Node,
    ctx: &Ctx,
    path: &mut Vec<&'p str>,
) -> Result<(), String> {
    let patch_items = patch.items();
    if patch_items
        .iter()
        .any(|p| p.get_str("$patch") == Some("replace"))
    {
        *dest = clean(patch);
        return Ok(());
    }
    let mut strategy = strategy(ctx.builtin, ctx.kind, path);
    if strategy == ListStrategy::Infer {
        strategy = infer(dest.items(), patch_items);
    }
    let Value::Seq(items) = &mut dest.value else {
        return Ok(());
    };
    match strategy {
        ListStrategy::Replace | ListStrategy::Infer => {
            *dest = clean(patch);
        }
        ListStrategy::Set => {
            for p in patch_items {
                if !items.iter().any(|i| i.as_str() == p.as_str()) {
                    items.push(clean(p));
                }
            }
        }
        ListStrategy::ByKey(key) => {
            // The order kustomize produces: the patch's elements first, in the patch's order
            // (merged with their match when there is one), then the object's other elements.
            let mut taken = vec![false; items.len()];
            let mut result: Vec<Node> = Vec::new();
            for p in patch_items {
                let Some(pk) = p.get_str(key) else {
                    if p.get_str("$patch") != Some("delete") {
                        result.push(clean(p));
                    }
                    continue;
                };
                let found = items
                    .iter()
                    .enumerate()
                    .position(|(i, x)| !taken[i] && x.get_str(key) == Some(pk));
                if let Some(i) = found {
                    taken[i] = true;
                }
                match (p.get_str("$patch"), found) {
                    (Some("delete"), _) => {}
                    (Some("replace"), _) | (_, None) => result.push(clean(p)),
                    (_, Some(i)) => {
                        let mut merged = items[i].clone();
                        merge_map(&mut merged, p, ctx, path)?;
                        result.push(merged);
                    }
                }
            }
            for (i, x) in items.drain(..).enumerate() {
                if !taken[i] {
                    result.push(x);
                }
            }
            *items = result;
        }
    }
    Ok(())
}

fn infer(dest: &[Node], patch: &[Node]) -> ListStrategy {
    let all: Vec<&Node> = dest.iter().chain(patch).collect();
    if all.is_empty() || !all.iter().all(|n| n.is_map()) {
        return ListStrategy::Replace;
    }
    for key in ASSOCIATIVE_KEYS {
        if all.iter().all(|n| n.get(key).is_some()) {
            return ListStrategy::ByKey(key);
        }
    }
    ListStrategy::Replace
}

/// A patch value without its directives (what lands in the object when nothing merges).
pub(crate) fn clean(n: &Node) -> Node {
    match &n.value {
        Value::Map(m) => Node::new(
            Value::Map(
                m.iter()
                    .filter(|(k, _)| !k.starts_with('$'))
                    .map(|(k, v)| (k.clone(), clean(v)))
                    .collect(),
            ),
            n.origin,
        ),
        Value::Seq(items) => Node::new(
            Value::Seq(
                items
                    .iter()
                    .filter(|i| i.get_str("$patch") != Some("delete"))
                    .filter(|i| {
                        !(i.is_map()
                            && !i.entries().is_empty()
                            && i.entries().iter().all(|(k, _)| k.starts_with('$')))
                    })
                    .map(clean)
                    .collect(),
            ),
            n.origin,
        ),
        Value::Scalar(_) => n.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::origin::FileId;

    fn parse(text: &str) -> Node {
        let src = crate::manifest::SourceText::new(text);
        let (tree, docs) =
            crate::manifest::parse_stream(&src, &crate::manifest::Limits::default()).unwrap();
        crate::render::value::from_tree(&tree, &src, docs[0].root, FileId(0))
    }

    const BASE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app:1\n        args: [a, b]\n        ports:\n        - containerPort: 80\n      - name: side\n        image: side:1\n";

    #[test]
    fn containers_merge_by_name_and_args_are_replaced() {
        // kustomize's order: the patch's elements first, then the object's others.
        let mut d = parse(BASE);
        let p = parse(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        args: [c]\n        ports:\n        - containerPort: 90\n      - name: new\n        image: new:1\n      - name: side\n        $patch: delete\n",
        );
        apply(&mut d, &p).unwrap();
        let c = d
            .at(&["spec", "template", "spec", "containers"])
            .unwrap()
            .to_json();
        assert_eq!(
            c,
            serde_json::json!([
                {"name": "app", "image": "app:1", "args": ["c"], "ports": [{"containerPort": 90}, {"containerPort": 80}]},
                {"name": "new", "image": "new:1"}
            ])
        );
    }

    #[test]
    fn null_deletes_and_replace_directive_replaces() {
        let mut d = parse(BASE);
        let p = parse(
            "kind: Deployment\nspec:\n  template:\n    spec:\n      $patch: replace\n      containers:\n      - name: only\n",
        );
        apply(&mut d, &p).unwrap();
        assert_eq!(
            d.at(&["spec", "template", "spec"]).unwrap().to_json(),
            serde_json::json!({"containers": [{"name": "only"}]})
        );
        let p = parse("metadata:\n  name: null\n");
        apply(&mut d, &p).unwrap();
        assert!(d.at(&["metadata", "name"]).is_none());
    }

    #[test]
    fn custom_resources_infer_the_merge_key() {
        let mut d = parse(
            "apiVersion: x.io/v1\nkind: Thing\nspec:\n  items:\n  - name: a\n    v: 1\n  - name: b\n",
        );
        let p = parse("spec:\n  items:\n  - name: a\n    v: 2\n");
        apply(&mut d, &p).unwrap();
        assert_eq!(
            d.at(&["spec", "items"]).unwrap().to_json(),
            serde_json::json!([{"name": "a", "v": 2}, {"name": "b"}])
        );
    }
}
