//! Legacy `vars`: `$(NAME)` in the fields kustomize's varReference table lists is replaced by
//! a field of a named object, after names are final. Declaring a name twice is an error.

use super::fieldspec;
use super::kustomization::Kustomization;
use super::{Acc, BuildError, Builder, Ctx};
use crate::render::value::{Node, Scalar, Value};

#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub name: String,
    pub kind: String,
    pub obj_name: String,
    pub api_version: Option<String>,
    pub namespace: Option<String>,
    pub field_path: String,
}

pub(crate) fn merge_declared(
    b: &Builder,
    k: &Kustomization,
    ctx: &Ctx,
    acc: &mut Acc,
) -> Result<(), BuildError> {
    let mut new = Vec::new();
    for v in k.list("vars") {
        let name = v.get_str("name").unwrap_or("").to_string();
        let objref = v.get("objref");
        let get = |f: &str| objref.and_then(|o| o.get_str(f)).map(str::to_string);
        let api_version = get("apiVersion").or_else(|| match (get("group"), get("version")) {
            (Some(g), Some(ver)) if !g.is_empty() => Some(format!("{g}/{ver}")),
            (_, Some(ver)) => Some(ver),
            _ => None,
        });
        new.push((
            v.clone(),
            Var {
                name,
                kind: get("kind").unwrap_or_default(),
                obj_name: get("name").unwrap_or_default(),
                api_version,
                namespace: get("namespace"),
                field_path: v
                    .get("fieldref")
                    .and_then(|f| f.get_str("fieldpath").or_else(|| f.get_str("fieldPath")))
                    .unwrap_or("metadata.name")
                    .to_string(),
            },
        ));
    }
    for (node, var) in new {
        if acc.vars.iter().any(|v| v.name == var.name) {
            return Err(b.err(
                ctx,
                &node,
                format!("var '{}' already encountered", var.name),
            ));
        }
        acc.vars.push(var);
    }
    Ok(())
}

pub(crate) fn append_all(
    b: &Builder,
    ctx: &Ctx,
    at: &Node,
    into: &mut Vec<Var>,
    from: Vec<Var>,
) -> Result<(), BuildError> {
    for v in from {
        if into.iter().any(|x| x.name == v.name) {
            return Err(b.err(ctx, at, format!("var '{}' already encountered", v.name)));
        }
        into.push(v);
    }
    Ok(())
}

/// Replaces `$(VAR)` everywhere the varReference table says, once names are final.
pub(crate) fn resolve(acc: &mut Acc, _b: &Builder) -> Result<(), String> {
    if acc.vars.is_empty() {
        return Ok(());
    }
    let mut values: Vec<(String, Node)> = Vec::new();
    for v in &acc.vars {
        let matches: Vec<usize> = acc
            .res
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.kind() == v.kind
                    && r.any_ids().iter().any(|id| id.name == v.obj_name)
                    && v.api_version
                        .as_deref()
                        .is_none_or(|a| r.obj.get_str("apiVersion") == Some(a))
                    && v.namespace
                        .as_deref()
                        .is_none_or(|ns| r.namespace() == ns || r.org_id().namespace == ns)
            })
            .map(|(i, _)| i)
            .collect();
        let i = match matches.as_slice() {
            [i] => *i,
            [] => {
                return Err(format!(
                    "var '{}' cannot be mapped to a field in the set of known resources",
                    v.name
                ));
            }
            _ => {
                return Err(format!(
                    "found {} resId matches for var '{}' (unable to disambiguate)",
                    matches.len(),
                    v.name
                ));
            }
        };
        let node = get_path(&acc.res[i].obj, &v.field_path).ok_or_else(|| {
            format!(
                "field specified in var '{}' not found in corresponding resource",
                v.name
            )
        })?;
        values.push((v.name.clone(), node));
    }
    let specs = acc.config.var_reference.clone();
    for r in acc.res.iter_mut() {
        let gvk = r.gvk();
        for spec in specs.iter().filter(|s| gvk.selected_by(&s.gvk)) {
            fieldspec::apply(
                &mut r.obj,
                &spec.path,
                false,
                Default::default(),
                &mut |n| {
                    expand(n, &values);
                    Ok(())
                },
            )?;
        }
    }
    Ok(())
}

fn expand(n: &mut Node, values: &[(String, Node)]) {
    match &mut n.value {
        Value::Seq(items) => items.iter_mut().for_each(|i| expand(i, values)),
        Value::Map(m) => m.iter_mut().for_each(|(_, v)| expand(v, values)),
        Value::Scalar(Scalar::Str(s)) | Value::Scalar(Scalar::Plain(s)) => {
            if !s.contains("$(") {
                return;
            }
            // The whole value is one var: take the var's value as it is (a number stays one).
            for (name, v) in values {
                if *s == format!("$({name})") {
                    *n = v.clone();
                    return;
                }
            }
            let mut out = s.clone();
            for (name, v) in values {
                out = out.replace(&format!("$({name})"), v.as_str().unwrap_or(""));
            }
            if out != *s {
                *n = Node::str(out, n.origin);
            }
        }
    }
}

/// `spec.template.spec.containers[0].image` (also `a.b[key=value].c`).
pub(crate) fn get_path(obj: &Node, path: &str) -> Option<Node> {
    let mut cur = obj;
    for seg in path.split('.') {
        let (key, index) = match seg.find('[') {
            Some(i) => (&seg[..i], Some(seg[i + 1..].trim_end_matches(']'))),
            None => (seg, None),
        };
        if !key.is_empty() {
            cur = cur.get(key)?;
        }
        if let Some(ix) = index {
            cur = match ix.split_once('=') {
                Some((k, v)) => cur.items().iter().find(|i| i.get_str(k) == Some(v))?,
                None => cur.items().get(ix.parse::<usize>().ok()?)?,
            };
        }
    }
    Some(cur.clone())
}
