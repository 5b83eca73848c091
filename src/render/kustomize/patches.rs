//! `patchesStrategicMerge`, `patches` and `patchesJson6902`: patch files or inline patches,
//! matched to resources by their id or by a `target` selector (regular expressions anchored at
//! both ends, as kustomize compiles them). A patch is only ever applied to an object; it is
//! never an object of the build.

use super::kustomization::Kustomization;
use super::resource::{Resource, effective_ns};
use super::{BuildError, Builder, Ctx, jsonpatch, smp};
use crate::render::value::{Node, Value};

/// A patch's content: strategic-merge documents or JSON 6902 operations.
enum PatchContent {
    Strategic(Vec<Node>),
    Json(Node),
}

pub(crate) fn patches_strategic_merge(
    b: &mut Builder,
    k: &Kustomization,
    ctx: &Ctx,
    res: &mut Vec<Resource>,
) -> Result<(), BuildError> {
    for entry in k.list("patchesStrategicMerge") {
        let docs = match load(b, ctx, entry, entry.as_str().unwrap_or(""))? {
            PatchContent::Strategic(d) => d,
            PatchContent::Json(_) => {
                return Err(b.err(
                    ctx,
                    entry,
                    "patchesStrategicMerge holds a JSON patch; use patches with a target".into(),
                ));
            }
        };
        for doc in docs {
            apply_by_id(b, ctx, entry, res, &doc)?;
        }
    }
    Ok(())
}

pub(crate) fn patches(
    b: &mut Builder,
    k: &Kustomization,
    ctx: &Ctx,
    res: &mut Vec<Resource>,
) -> Result<(), BuildError> {
    for entry in k.list("patches") {
        let content = match (entry.get("path"), entry.get("patch")) {
            (Some(p), None) => {
                let rel = p.as_str().unwrap_or("");
                let path = b.local_file(ctx, p, rel)?;
                load_file(b, &path)?
            }
            (None, Some(inline)) => {
                parse_content(b.parse_inline(ctx, inline, inline.as_str().unwrap_or(""))?)
            }
            (Some(_), Some(_)) => {
                return Err(b.err(
                    ctx,
                    entry,
                    "patch and path can't be set at the same time".into(),
                ));
            }
            (None, None) => {
                return Err(b.err(
                    ctx,
                    entry,
                    "must specify one of patch and path in a patches entry".into(),
                ));
            }
        };
        let options = entry.get("options");
        let allow = |o: &str| options.and_then(|x| x.get_str(o)) == Some("true");
        let (name_change, kind_change) = (allow("allowNameChange"), allow("allowKindChange"));
        match (content, entry.get("target")) {
            (PatchContent::Json(ops), Some(target)) => {
                let selected = select(b, ctx, target, res)?;
                for i in selected {
                    // kustomize records the id first: a JSON patch may rename the object.
                    res[i].store_previous_id();
                    jsonpatch::apply(&mut res[i].obj, &ops).map_err(|m| b.err(ctx, entry, m))?;
                }
            }
            (PatchContent::Json(_), None) => {
                return Err(b.err(ctx, entry, "must specify a target for JSON patch".into()));
            }
            (PatchContent::Strategic(docs), None) => {
                for doc in docs {
                    apply_by_id(b, ctx, entry, res, &doc)?;
                }
            }
            (PatchContent::Strategic(docs), Some(target)) => {
                let selected = select(b, ctx, target, res)?;
                let mut deleted = Vec::new();
                for i in selected {
                    for doc in &docs {
                        let mut patch = doc.clone();
                        let r = &mut res[i];
                        let (old_name, old_kind) = (r.name().to_string(), r.kind().to_string());
                        let new_name = patch
                            .at(&["metadata", "name"])
                            .and_then(Node::as_str)
                            .map(str::to_string);
                        let new_kind = patch.get_str("kind").map(str::to_string);
                        // The target is chosen by the selector: the patch's own name and kind only
                        // change the object when the entry allows it.
                        if let Some(meta) = patch.get_mut("metadata") {
                            meta.remove("name");
                            meta.remove("namespace");
                        }
                        patch.remove("kind");
                        patch.remove("apiVersion");
                        if smp::apply(&mut r.obj, &patch).map_err(|m| b.err(ctx, entry, m))?
                            == smp::Outcome::Deleted
                        {
                            deleted.push(i);
                            continue;
                        }
                        let rename =
                            name_change && new_name.as_deref().is_some_and(|n| n != old_name);
                        let rekind =
                            kind_change && new_kind.as_deref().is_some_and(|k| k != old_kind);
                        if rename || rekind {
                            r.store_previous_id();
                        }
                        if rename && let Some(n) = new_name {
                            let o = doc
                                .at(&["metadata", "name"])
                                .map(|n| n.origin)
                                .unwrap_or_default();
                            r.set_name(n, o);
                        }
                        if rekind && let Some(kd) = new_kind {
                            let o = doc.get("kind").map(|n| n.origin).unwrap_or_default();
                            r.obj.set("kind", Node::str(kd, o));
                            if let Some(av) = doc.get("apiVersion") {
                                r.obj.set("apiVersion", av.clone());
                            }
                        }
                    }
                }
                deleted.sort_unstable();
                deleted.dedup();
                for i in deleted.into_iter().rev() {
                    res.remove(i);
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn patches_json6902(
    b: &mut Builder,
    k: &Kustomization,
    ctx: &Ctx,
    res: &mut [Resource],
) -> Result<(), BuildError> {
    for entry in k.list("patchesJson6902") {
        let Some(target) = entry.get("target") else {
            return Err(b.err(ctx, entry, "patchesJson6902 entry needs a target".into()));
        };
        let ops = match (entry.get("path"), entry.get("patch")) {
            (Some(p), _) => {
                let rel = p.as_str().unwrap_or("");
                let path = b.local_file(ctx, p, rel)?;
                load_file(b, &path)?
            }
            (None, Some(inline)) => {
                parse_content(b.parse_inline(ctx, inline, inline.as_str().unwrap_or(""))?)
            }
            (None, None) => {
                return Err(b.err(ctx, entry, "must specify one of patch and path".into()));
            }
        };
        let PatchContent::Json(ops) = ops else {
            return Err(b.err(
                ctx,
                entry,
                "patchesJson6902 needs a list of JSON patch operations".into(),
            ));
        };
        for i in select(b, ctx, target, res)? {
            res[i].store_previous_id();
            jsonpatch::apply(&mut res[i].obj, &ops).map_err(|m| b.err(ctx, entry, m))?;
        }
    }
    Ok(())
}

/// A `patchesStrategicMerge` entry: a file name or inline YAML.
fn load(b: &mut Builder, ctx: &Ctx, entry: &Node, text: &str) -> Result<PatchContent, BuildError> {
    let looks_inline = text.contains('\n') || text.contains(": ");
    if !looks_inline {
        let path = b.local_file(ctx, entry, text)?;
        return load_file(b, &path);
    }
    Ok(parse_content(b.parse_inline(ctx, entry, text)?))
}

fn load_file(b: &mut Builder, path: &std::path::Path) -> Result<PatchContent, BuildError> {
    let shown = crate::render::files::display(path);
    if !b.patch_files.contains(&shown) {
        b.patch_files.push(shown);
    }
    let (_, docs) = b.load_docs(path, true)?;
    Ok(parse_content(docs))
}

fn parse_content(docs: Vec<Node>) -> PatchContent {
    match docs.first() {
        Some(Node {
            value: Value::Seq(_),
            ..
        }) => PatchContent::Json(docs.into_iter().next().expect("first exists")),
        _ => PatchContent::Strategic(docs),
    }
}

/// Applies a strategic-merge patch to the one resource its own id names.
fn apply_by_id(
    b: &Builder,
    ctx: &Ctx,
    entry: &Node,
    res: &mut Vec<Resource>,
    patch: &Node,
) -> Result<(), BuildError> {
    let pr = Resource::new(patch.clone());
    let id = pr.cur_id();
    let matches: Vec<usize> = res
        .iter()
        .enumerate()
        .filter(|(_, r)| r.any_ids().iter().any(|x| x.equals(&id)))
        .map(|(i, _)| i)
        .collect();
    let i = match matches.as_slice() {
        [i] => *i,
        [] => {
            return Err(b.err(
                ctx,
                entry,
                format!("no matches for Id {id}; failed to find unique target for patch {id}"),
            ));
        }
        _ => {
            return Err(b.err(
                ctx,
                entry,
                format!(
                    "multiple matches for Id {id}; failed to find unique target for patch {id}"
                ),
            ));
        }
    };
    let mut patch = patch.clone();
    // The id matched (possibly a previous one): the object keeps its current name.
    if let Some(meta) = patch.get_mut("metadata") {
        meta.remove("name");
        meta.remove("namespace");
    }
    if smp::apply(&mut res[i].obj, &patch).map_err(|m| b.err(ctx, entry, m))?
        == smp::Outcome::Deleted
    {
        res.remove(i);
    }
    Ok(())
}

/// Indices of the resources a `target` selector picks.
pub(crate) fn select(
    b: &Builder,
    ctx: &Ctx,
    target: &Node,
    res: &[Resource],
) -> Result<Vec<usize>, BuildError> {
    let re = |field: &str| -> Result<Option<regex::Regex>, BuildError> {
        match target.get_str(field) {
            None | Some("") => Ok(None),
            Some(p) => regex::Regex::new(&format!("^(?:{p})$"))
                .map(Some)
                .map_err(|e| b.err(ctx, target, format!("target {field}: {e}"))),
        }
    };
    let (group, version, kind, name, ns) = (
        re("group")?,
        re("version")?,
        re("kind")?,
        re("name")?,
        re("namespace")?,
    );
    let labels = target
        .get_str("labelSelector")
        .map(parse_selector)
        .transpose()
        .map_err(|m| b.err(ctx, target, m))?;
    let annotations = target
        .get_str("annotationSelector")
        .map(parse_selector)
        .transpose()
        .map_err(|m| b.err(ctx, target, m))?;
    let ok = |r: &Option<regex::Regex>, s: &str| r.as_ref().is_none_or(|r| r.is_match(s));
    let mut out = Vec::new();
    for (i, r) in res.iter().enumerate() {
        let (cur, org) = (r.cur_id(), r.org_id());
        if !ok(&ns, effective_ns(&org.namespace)) && !ok(&ns, effective_ns(&cur.namespace)) {
            continue;
        }
        if !ok(&name, &org.name) && !ok(&name, &cur.name) {
            continue;
        }
        let gvk = r.gvk();
        if !ok(&group, &gvk.group) || !ok(&version, &gvk.version) || !ok(&kind, &gvk.kind) {
            continue;
        }
        if let Some(sel) = &labels
            && !selector_matches(sel, &r.string_map("labels"))
        {
            continue;
        }
        if let Some(sel) = &annotations
            && !selector_matches(sel, &r.string_map("annotations"))
        {
            continue;
        }
        out.push(i);
    }
    Ok(out)
}

#[derive(Debug)]
enum Requirement {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A label selector in its string form (`app=a,tier in (x,y),!legacy`).
fn parse_selector(s: &str) -> Result<Vec<Requirement>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut cur) = (0, String::new());
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    let mut out = Vec::new();
    for p in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let set = |rest: &str| -> Vec<String> {
            rest.trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .split(',')
                .map(|v| v.trim().to_string())
                .collect()
        };
        let words: Vec<&str> = p.splitn(2, char::is_whitespace).collect();
        if words.len() == 2 && words[1].trim_start().starts_with("notin") {
            out.push(Requirement::NotIn(
                words[0].into(),
                set(&words[1].trim_start()[5..]),
            ));
        } else if words.len() == 2 && words[1].trim_start().starts_with("in") {
            out.push(Requirement::In(
                words[0].into(),
                set(&words[1].trim_start()[2..]),
            ));
        } else if let Some((k, v)) = p.split_once("!=") {
            out.push(Requirement::NotEq(k.trim().into(), v.trim().into()));
        } else if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
            out.push(Requirement::Eq(k.trim().into(), v.trim().into()));
        } else if let Some(k) = p.strip_prefix('!') {
            out.push(Requirement::NotExists(k.trim().into()));
        } else if p.chars().all(|c| c.is_alphanumeric() || "-_./".contains(c)) {
            out.push(Requirement::Exists(p.into()));
        } else {
            return Err(format!(
                "unable to parse requirement {p:?} in selector {s:?}"
            ));
        }
    }
    Ok(out)
}

fn selector_matches(sel: &[Requirement], labels: &[(String, String)]) -> bool {
    let get = |k: &str| labels.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
    sel.iter().all(|r| match r {
        Requirement::Eq(k, v) => get(k) == Some(v),
        Requirement::NotEq(k, v) => get(k) != Some(v),
        Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        Requirement::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
        Requirement::Exists(k) => get(k).is_some(),
        Requirement::NotExists(k) => get(k).is_none(),
    })
}
