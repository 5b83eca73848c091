//! JSON patch (RFC 6902) on built nodes: `add`, `remove`, `replace`, `move`, `copy`, `test`.
//! Values keep the origin of the patch line that wrote them.

use crate::render::value::{Node, Value};

/// Applies the operations in `ops` (a sequence of mappings) to `doc`.
pub(crate) fn apply(doc: &mut Node, ops: &Node) -> Result<(), String> {
    for op in ops.items() {
        let name = op
            .get_str("op")
            .ok_or("a JSON patch operation needs `op`")?;
        let path = pointer(
            op.get_str("path")
                .ok_or("a JSON patch operation needs `path`")?,
        )?;
        match name {
            "add" => add(doc, &path, value(op)?.clone())?,
            "remove" => {
                remove(doc, &path)?;
            }
            "replace" => {
                let v = value(op)?.clone();
                let slot = get_mut(doc, &path).ok_or_else(|| {
                    format!(
                        "replace operation does not apply: doc is missing path: {}",
                        show(&path)
                    )
                })?;
                *slot = v;
            }
            "move" => {
                let from = pointer(op.get_str("from").ok_or("move needs `from`")?)?;
                let v = remove(doc, &from)?;
                add(doc, &path, v)?;
            }
            "copy" => {
                let from = pointer(op.get_str("from").ok_or("copy needs `from`")?)?;
                let v = get_mut(doc, &from)
                    .ok_or_else(|| {
                        format!(
                            "copy operation does not apply: doc is missing from path: {}",
                            show(&from)
                        )
                    })?
                    .clone();
                add(doc, &path, v)?;
            }
            "test" => {
                let want = value(op)?.to_json();
                let have = get_mut(doc, &path).map(|n| n.to_json());
                if have.as_ref() != Some(&want) {
                    return Err(format!("testing value {} failed", show(&path)));
                }
            }
            other => return Err(format!("unexpected JSON patch operation {other:?}")),
        }
    }
    Ok(())
}

fn value(op: &Node) -> Result<&Node, String> {
    op.get("value")
        .ok_or_else(|| "a JSON patch operation needs `value`".to_string())
}

fn pointer(p: &str) -> Result<Vec<String>, String> {
    if p.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = p.strip_prefix('/') else {
        return Err(format!("JSON pointer {p:?} must start with /"));
    };
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn show(path: &[String]) -> String {
    format!("/{}", path.join("/"))
}

fn get_mut<'a>(doc: &'a mut Node, path: &[String]) -> Option<&'a mut Node> {
    let Some((seg, rest)) = path.split_first() else {
        return Some(doc);
    };
    let child = match &mut doc.value {
        Value::Map(m) => m.iter_mut().find(|(k, _)| k == seg).map(|(_, v)| v)?,
        Value::Seq(items) => items.get_mut(seg.parse::<usize>().ok()?)?,
        Value::Scalar(_) => return None,
    };
    get_mut(child, rest)
}

fn add(doc: &mut Node, path: &[String], v: Node) -> Result<(), String> {
    let Some((last, parent)) = path.split_last() else {
        *doc = v;
        return Ok(());
    };
    let target = get_mut(doc, parent).ok_or_else(|| {
        format!(
            "add operation does not apply: doc is missing path: {}",
            show(path)
        )
    })?;
    if target.is_null() {
        *target = Node::map(v.origin);
    }
    match &mut target.value {
        Value::Map(_) => {
            target.set(last, v);
            Ok(())
        }
        Value::Seq(items) => {
            if last == "-" {
                items.push(v);
                return Ok(());
            }
            let i: usize = last
                .parse()
                .map_err(|_| format!("add operation: bad index {last:?} at {}", show(path)))?;
            if i > items.len() {
                return Err(format!(
                    "add operation does not apply: index out of range at {}",
                    show(path)
                ));
            }
            items.insert(i, v);
            Ok(())
        }
        Value::Scalar(_) => Err(format!(
            "add operation does not apply: {} is not a container",
            show(parent)
        )),
    }
}

fn remove(doc: &mut Node, path: &[String]) -> Result<Node, String> {
    let missing = || {
        format!(
            "remove operation does not apply: doc is missing path: {}",
            show(path)
        )
    };
    let (last, parent) = path
        .split_last()
        .ok_or("cannot remove the whole document")?;
    let target = get_mut(doc, parent).ok_or_else(missing)?;
    match &mut target.value {
        Value::Map(_) => target.remove(last).ok_or_else(missing),
        Value::Seq(items) => {
            let i: usize = last.parse().map_err(|_| missing())?;
            if i >= items.len() {
                return Err(missing());
            }
            Ok(items.remove(i))
        }
        Value::Scalar(_) => Err(missing()),
    }
}
