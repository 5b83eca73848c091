//! Kustomize's built-in plugins configured by hand in `generators:` and `transformers:`
//! (`apiVersion: builtin`, `kind: LabelTransformer` …). Each configuration is translated into
//! the kustomization field that runs the same built-in, so there is one implementation of each.
//! Other plugins are not run (kustomize's default options disable them too): named in the
//! build's notes.

use super::kustomization::Kustomization;
use super::{BuildError, Builder, Ctx};
use crate::render::value::{Node, Value};

/// Marks a generator entry that came from a plugin configuration, with the plugin's name.
pub(crate) const PLUGIN_NAME: &str = "$pluginName";

/// The plugin configurations named by `field` (files or inline YAML), as kustomizations.
pub(crate) fn configured(
    b: &mut Builder,
    k: &Kustomization,
    ctx: &Ctx,
    field: &str,
) -> Result<Vec<Kustomization>, BuildError> {
    let mut out = Vec::new();
    for entry in k.list(field) {
        let text = entry.as_str().unwrap_or("");
        let docs = if text.contains('\n') {
            b.parse_inline(ctx, entry, text)?
        } else {
            let path = crate::render::files::normalize(&ctx.dir.join(text));
            if b.is_dir(&path) {
                // A kustomization whose output is plugin configurations.
                let (sk, sctx) = b.load_kustomization(&path, Some((ctx, entry)))?;
                let sub = b.accumulate(&sk, &sctx, super::Acc::default())?;
                b.pop_kustomization();
                for r in sub.res {
                    let kind = r.kind().to_string();
                    match translate(&r.obj, &kind) {
                        Some(fields) => out.push(Kustomization {
                            root: fields,
                            is_component: false,
                        }),
                        None => b.notes.push(format!(
                            "not checked: plugin {kind} in {} (plugins are not run)",
                            ctx.kpath
                        )),
                    }
                }
                continue;
            }
            if !b.is_file(&path) {
                b.notes.push(format!("not checked: {field} entry {text} in {} (only built-in plugin configuration files are run)", ctx.kpath));
                continue;
            }
            let path = b.local_file(ctx, entry, text)?;
            b.load_docs(&path, true)?.1
        };
        for doc in docs {
            let kind = doc.get_str("kind").unwrap_or("").to_string();
            match translate(&doc, &kind) {
                Some(fields) => out.push(Kustomization {
                    root: fields,
                    is_component: false,
                }),
                None => b.notes.push(format!(
                    "not checked: plugin {kind} in {} (plugins are not run)",
                    ctx.kpath
                )),
            }
        }
    }
    Ok(out)
}

fn translate(doc: &Node, kind: &str) -> Option<Node> {
    let mut k = Node::map(doc.origin);
    let get = |f: &str| doc.get(f).cloned();
    let seq = |items: Vec<Node>| Node::new(Value::Seq(items), doc.origin);
    let entry = |pairs: &[(&str, Option<Node>)]| {
        let mut m = Node::map(doc.origin);
        for (key, v) in pairs {
            if let Some(v) = v {
                m.set(key, v.clone());
            }
        }
        m
    };
    match kind {
        "ReplacementTransformer" => k.set("replacements", get("replacements")?),
        "PrefixSuffixTransformer" | "PrefixTransformer" | "SuffixTransformer" => {
            if let Some(p) = get("prefix") {
                k.set("namePrefix", p);
            }
            if let Some(s) = get("suffix") {
                k.set("nameSuffix", s);
            }
        }
        "LabelTransformer" => {
            let e = entry(&[("pairs", get("labels")), ("fields", get("fieldSpecs"))]);
            k.set("labels", seq(vec![e]));
        }
        "AnnotationsTransformer" => k.set("commonAnnotations", get("annotations")?),
        "NamespaceTransformer" => k.set("namespace", doc.at(&["metadata", "namespace"])?.clone()),
        "ImageTagTransformer" => k.set("images", seq(vec![get("imageTag")?])),
        "ReplicaCountTransformer" => k.set("replicas", seq(vec![get("replica")?])),
        "PatchTransformer" => {
            let e = entry(&[
                ("patch", get("patch")),
                ("path", get("path")),
                ("target", get("target")),
                ("options", get("options")),
            ]);
            k.set("patches", seq(vec![e]));
        }
        "PatchStrategicMergeTransformer" => {
            let mut items: Vec<Node> = get("paths").map(|p| p.items().to_vec()).unwrap_or_default();
            items.extend(get("patches"));
            k.set("patchesStrategicMerge", seq(items));
        }
        "PatchJson6902Transformer" => {
            let e = entry(&[
                ("target", get("target")),
                ("path", get("path")),
                ("patch", get("jsonOp")),
            ]);
            k.set("patchesJson6902", seq(vec![e]));
        }
        "ConfigMapGenerator" | "SecretGenerator" => {
            let mut g = doc.clone();
            g.remove("apiVersion");
            g.remove("kind");
            // The generator's arguments are inline; `metadata` names the plugin itself.
            if let Some(meta) = g.remove("metadata") {
                for f in ["name", "namespace"] {
                    if let (Some(v), None) = (meta.get(f), g.get(f)) {
                        g.set(f, v.clone());
                    }
                }
                if let Some(n) = meta.get("name") {
                    g.set(PLUGIN_NAME, n.clone());
                }
            }
            let field = if kind == "ConfigMapGenerator" {
                "configMapGenerator"
            } else {
                "secretGenerator"
            };
            k.set(field, seq(vec![g]));
        }
        _ => return None,
    }
    Some(k)
}
