//! `replacements`: copy a field of one object into fields of others (selected and rejected by
//! selectors), whole or one delimited part of it. The copied value keeps the origin of the
//! source field, so a finding on it points at where the value is really written.

use super::patches::select;
use super::resource::Resource;
use super::{BuildError, Builder, Ctx};
use crate::render::value::{Node, Value};

pub(crate) fn run(
    b: &mut Builder,
    ctx: &Ctx,
    list: &Node,
    res: &mut [Resource],
) -> Result<(), BuildError> {
    let mut entries: Vec<Node> = Vec::new();
    for e in list.items() {
        if let Some(p) = e.get("path") {
            let path = b.local_file(ctx, p, p.as_str().unwrap_or(""))?;
            let (_, docs) = b.load_docs(&path, true)?;
            for d in docs {
                match &d.value {
                    Value::Seq(items) => entries.extend(items.iter().cloned()),
                    _ => entries.push(d),
                }
            }
        } else {
            entries.push(e.clone());
        }
    }
    for e in &entries {
        one(b, ctx, e, res)?;
    }
    Ok(())
}

fn one(b: &Builder, ctx: &Ctx, e: &Node, res: &mut [Resource]) -> Result<(), BuildError> {
    let Some(source) = e.get("source") else {
        return Err(b.err(ctx, e, "a replacement needs a source".into()));
    };
    let found = select(b, ctx, source, res)?;
    let i = match found.as_slice() {
        [i] => *i,
        [] => {
            return Err(b.err(
                ctx,
                source,
                "nothing selected by the replacement source".into(),
            ));
        }
        _ => {
            return Err(b.err(
                ctx,
                source,
                format!(
                    "multiple matches for the replacement source ({} objects)",
                    found.len()
                ),
            ));
        }
    };
    let field = source.get_str("fieldPath").unwrap_or("metadata.name");
    let segs = split_field_path(field);
    let mut values = Vec::new();
    collect(&res[i].obj, &segs, &mut values);
    let Some(mut value) = values.into_iter().next() else {
        return Err(b.err(
            ctx,
            source,
            format!(
                "fieldPath `{field}` is missing for replacement source {}",
                res[i].cur_id()
            ),
        ));
    };
    if let Some(opts) = source.get("options")
        && let Some(d) = opts.get_str("delimiter")
    {
        let idx: i64 = opts
            .get_str("index")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let text = value.as_str().unwrap_or("").to_string();
        let parts: Vec<&str> = text.split(d).collect();
        let part = usize::try_from(idx)
            .ok()
            .and_then(|i| parts.get(i))
            .copied()
            .ok_or_else(|| {
                b.err(
                    ctx,
                    opts,
                    format!("options.index {idx} is out of bounds for value {text}"),
                )
            })?;
        value = Node::str(part, value.origin);
    }
    for t in e.get("targets").map(Node::items).unwrap_or(&[]) {
        let Some(sel) = t.get("select") else {
            return Err(b.err(ctx, t, "a replacement target needs select".into()));
        };
        let mut chosen = select(b, ctx, sel, res)?;
        for rej in t.get("reject").map(Node::items).unwrap_or(&[]) {
            let out = select(b, ctx, rej, res)?;
            chosen.retain(|i| !out.contains(i));
        }
        let opts = t.get("options");
        let create = opts.and_then(|o| o.get_str("create")) == Some("true");
        for &ri in &chosen {
            for fp in t.get("fieldPaths").map(Node::items).unwrap_or(&[]) {
                let path = fp.as_str().unwrap_or("");
                let segs = split_field_path(path);
                let id = res[ri].cur_id();
                let mut hit = false;
                set(&mut res[ri].obj, &segs, create, &value, opts, &mut hit);
                if !hit && !create {
                    return Err(b.err(
                        ctx,
                        fp,
                        format!("unable to find field \"{path}\" in replacement target {id}"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `a.b.[name=x].c` → `["a", "b", "[name=x]", "c"]` (dots inside brackets kept).
fn split_field_path(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut cur, mut depth) = (String::new(), 0);
    for c in p.chars() {
        match c {
            '[' => {
                depth += 1;
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                cur.push(c);
            }
            ']' => {
                depth -= 1;
                cur.push(c);
            }
            '.' if depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn matches_item(item: &Node, seg: &str) -> bool {
    let inner = &seg[1..seg.len() - 1];
    match inner.split_once('=') {
        Some(("", v)) => item.as_str() == Some(v),
        Some((k, v)) => item.get_str(k) == Some(v),
        None => false,
    }
}

fn collect(n: &Node, segs: &[String], out: &mut Vec<Node>) {
    let Some((seg, rest)) = segs.split_first() else {
        out.push(n.clone());
        return;
    };
    if seg.starts_with('[') {
        for item in n.items().iter().filter(|i| matches_item(i, seg)) {
            collect(item, rest, out);
        }
    } else if seg == "*" {
        match &n.value {
            Value::Seq(items) => items.iter().for_each(|i| collect(i, rest, out)),
            Value::Map(m) => m.iter().for_each(|(_, v)| collect(v, rest, out)),
            _ => {}
        }
    } else if let (Value::Seq(items), Ok(i)) = (&n.value, seg.parse::<usize>()) {
        if let Some(item) = items.get(i) {
            collect(item, rest, out);
        }
    } else if let Some(child) = n.get(seg) {
        collect(child, rest, out);
    }
}

fn set(
    n: &mut Node,
    segs: &[String],
    create: bool,
    value: &Node,
    opts: Option<&Node>,
    hit: &mut bool,
) {
    let Some((seg, rest)) = segs.split_first() else {
        *hit = true;
        *n = with_delimiter(n, value, opts);
        return;
    };
    if seg.starts_with('[') {
        if create && n.is_null() {
            *n = Node::new(Value::Seq(Vec::new()), value.origin);
        }
        if let Value::Seq(items) = &mut n.value {
            let mut matched = false;
            for item in items.iter_mut().filter(|i| matches_item(i, seg)) {
                matched = true;
                set(item, rest, create, value, opts, hit);
            }
            // kyaml's create: a `[key=value]` that matches nothing becomes a new element.
            if !matched
                && create
                && let Some((k, v)) = seg[1..seg.len() - 1].split_once('=')
                && !k.is_empty()
            {
                let mut item = Node::map(value.origin);
                item.set(k, Node::str(v, value.origin));
                set(&mut item, rest, create, value, opts, hit);
                items.push(item);
            }
        }
    } else if seg == "*" {
        match &mut n.value {
            Value::Seq(items) => items
                .iter_mut()
                .for_each(|i| set(i, rest, create, value, opts, hit)),
            Value::Map(m) => m
                .iter_mut()
                .for_each(|(_, v)| set(v, rest, create, value, opts, hit)),
            _ => {}
        }
    } else if let (Value::Seq(items), Ok(i)) = (&mut n.value, seg.parse::<usize>()) {
        if let Some(item) = items.get_mut(i) {
            set(item, rest, create, value, opts, hit);
        }
    } else {
        if n.get(seg).is_none() {
            if !create || !(n.is_map() || n.is_null()) {
                return;
            }
            n.set(seg, Node::plain("", value.origin));
        }
        if let Some(child) = n.get_mut(seg) {
            if child.is_null() && !rest.is_empty() {
                if !create {
                    return;
                }
                *child = if rest[0].starts_with('[') {
                    Node::new(Value::Seq(Vec::new()), value.origin)
                } else {
                    Node::map(value.origin)
                };
            }
            set(child, rest, create, value, opts, hit);
        }
    }
}

/// With `options.delimiter`, only the `index`-th part of the target's value is replaced.
fn with_delimiter(target: &Node, value: &Node, opts: Option<&Node>) -> Node {
    let Some(d) = opts.and_then(|o| o.get_str("delimiter")) else {
        return value.clone();
    };
    let idx: i64 = opts
        .and_then(|o| o.get_str("index"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let text = target.as_str().unwrap_or("").to_string();
    let mut parts: Vec<String> = text.split(d).map(str::to_string).collect();
    let v = value.as_str().unwrap_or("").to_string();
    if idx < 0 {
        parts.insert(0, v);
    } else if (idx as usize) >= parts.len() {
        parts.push(v);
    } else {
        parts[idx as usize] = v;
    }
    Node::str(parts.join(d), value.origin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::origin::Origin;

    fn obj(json: serde_json::Value) -> Node {
        Node::from_json(&json, Origin::Unknown)
    }

    #[test]
    fn field_paths_select_list_items_and_create_what_is_missing() {
        let mut d = obj(
            serde_json::json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b"}]}}),
        );
        let v = Node::str("y", Origin::Unknown);
        let mut hit = false;
        set(
            &mut d,
            &split_field_path("spec.containers.[name=a].image"),
            false,
            &v,
            None,
            &mut hit,
        );
        assert!(hit);
        assert_eq!(
            d.to_json()["spec"]["containers"],
            serde_json::json!([{"name": "a", "image": "y"}, {"name": "b"}])
        );

        let mut hit = false;
        set(
            &mut d,
            &split_field_path("spec.containers.[name=c].image"),
            false,
            &v,
            None,
            &mut hit,
        );
        assert!(!hit, "without create nothing is made");
        set(
            &mut d,
            &split_field_path("spec.initContainers.[name=c].image"),
            true,
            &v,
            None,
            &mut hit,
        );
        assert!(hit);
        assert_eq!(
            d.to_json()["spec"]["initContainers"],
            serde_json::json!([{"name": "c", "image": "y"}])
        );

        let mut values = Vec::new();
        collect(&d, &split_field_path("spec.containers.*.name"), &mut values);
        let names: Vec<&str> = values.iter().filter_map(Node::as_str).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn a_delimiter_replaces_one_part() {
        let target = Node::str("registry/app:1.0", Origin::Unknown);
        let opts = obj(serde_json::json!({"delimiter": ":", "index": 1}));
        let out = with_delimiter(&target, &Node::str("2.0", Origin::Unknown), Some(&opts));
        assert_eq!(out.as_str(), Some("registry/app:2.0"));
    }
}
