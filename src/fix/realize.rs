//! Plans -> byte edits. Actions name fields by path; this module finds where each change goes
//! in the author's text and writes it the way the surrounding YAML is written: the indentation
//! of sibling keys, the file's indentation step and list style, flow or block, the file's line
//! ending. All actions on one object are realised together, so that two fixes adding keys to the
//! same `securityContext` become one insertion, never two overlapping ones.
//!
//! It never edits a node that is shared through an anchor or brought in by a `<<` merge:
//! changing it would silently change other parts of the file.
//!
//! This file gathers what the actions change per node (`Changes`); `write` turns that into
//! text.

// Fx hashing: these maps are keyed by node ids and small counts, built once per object with
// fixes (hundreds of thousands in a big run); SipHash's resistance to chosen keys buys nothing.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::finding::{Edit, FixAction};
use crate::manifest::{
    FieldPath, ManifestFile, NodeId, NodeKind, Object, Segment, SourceText, Style, YamlTree,
};

use super::scalar::{item_value, scalar_value};

mod write;

const ALIAS_NEARBY: &str = "the change would land next to a YAML alias, whose place in the \
     file is not known; change it by hand";

/// A value that is not in the file yet.
#[derive(Debug, Clone)]
enum NewValue {
    Scalar(String),
    Map(Vec<(String, NewValue)>),
    List(Vec<String>),
}

/// What ends a chain of new keys: a scalar, or an item of a new list.
enum Leaf<'a> {
    Scalar(&'a str),
    Item(&'a str),
}

/// Where a node sits: in which collection, at which entry or item.
#[derive(Debug, Clone, Copy)]
struct Parent {
    collection: NodeId,
    index: usize,
}

/// Everything the actions change, gathered per node before any text is written.
#[derive(Default)]
struct Changes {
    /// Scalars to overwrite, with the plan's value text.
    replace: Vec<(NodeId, String)>,
    /// Keys to add to existing mappings.
    insert: Vec<(NodeId, Vec<(String, NewValue)>)>,
    /// Empty (`key:` or `key: ~`) values that become a mapping or a list.
    fill: Vec<(NodeId, NewValue)>,
    remove_entries: Vec<(NodeId, Vec<usize>)>,
    remove_items: Vec<(NodeId, Vec<usize>)>,
    append: Vec<(NodeId, Vec<String>)>,
}

/// The changes recorded for `id`, or none.
fn changes_of<T>(v: &[(NodeId, Vec<T>)], id: NodeId) -> &[T] {
    v.iter()
        .find(|(n, _)| *n == id)
        .map_or(&[][..], |(_, v)| v.as_slice())
}

fn slot<T: Default>(v: &mut Vec<(NodeId, T)>, id: NodeId) -> &mut T {
    match v.iter().position(|(n, _)| *n == id) {
        Some(i) => &mut v[i].1,
        None => {
            v.push((id, T::default()));
            let last = v.len() - 1;
            &mut v[last].1
        }
    }
}

impl Default for NewValue {
    fn default() -> Self {
        NewValue::Map(Vec::new())
    }
}

/// How the file indents: the step between a key and its nested keys, and how far a block
/// list's `-` sits right of its key (0 for `key:\n- item`).
#[derive(Debug, Clone, Copy)]
struct Layout {
    step: usize,
    list_offset: usize,
}

struct Context<'a> {
    file: &'a ManifestFile,
    tree: &'a YamlTree,
    src: &'a SourceText,
    text: &'a str,
    root: NodeId,
    shared: HashSet<NodeId>,
    /// Other objects live in the same YAML document (a `List`), so anchors can reach them.
    document_shared: bool,
    /// The file is JSON (it opens with `{` or `[`): what is written must stay JSON.
    json: bool,
    parents: HashMap<NodeId, Parent>,
    depth: HashMap<NodeId, usize>,
    layout: Layout,
    newline: &'static str,
}

/// One pending change of the text, before overlapping positions are combined.
struct Pending {
    start: usize,
    end: usize,
    text: String,
    /// Deeper structures come first when two insertions land on the same byte.
    depth: usize,
}

enum Resolved {
    Found {
        node: NodeId,
        parent: Option<Parent>,
        merged: bool,
    },
    /// `at` exists (a mapping, or an empty value); `rest` are the keys below it to create.
    Missing {
        at: NodeId,
        parent: Option<Parent>,
        rest: Vec<String>,
    },
}

pub(super) fn realize_actions(
    file: &ManifestFile,
    object: &Object,
    actions: &[&FixAction],
) -> Result<Vec<Edit>, String> {
    Realizer::new(file, object).realize(actions)
}

/// What realising fixes needs to know of one object (its layout, parents, shared nodes),
/// built once and used for each of the object's fixes and for their joint result.
pub(super) struct Realizer<'a>(Context<'a>);

impl<'a> Realizer<'a> {
    pub(super) fn new(file: &'a ManifestFile, object: &Object) -> Self {
        Realizer(Context::new(file, object))
    }

    pub(super) fn realize(&self, actions: &[&FixAction]) -> Result<Vec<Edit>, String> {
        realize_with(&self.0, actions)
    }
}

fn realize_with(cx: &Context<'_>, actions: &[&FixAction]) -> Result<Vec<Edit>, String> {
    let file = cx.file;
    let removed: Vec<&FieldPath> = actions
        .iter()
        .filter_map(|a| match a {
            FixAction::Remove { path } if cx.exists(path) => Some(path),
            _ => None,
        })
        .collect();
    let mut ch = Changes::default();
    for action in actions {
        let path = action_path(action);
        // Removing a field wins over any other change at or below it (removing an absent field
        // changes nothing and so wins over nothing).
        let is_remove = matches!(action, FixAction::Remove { .. });
        if !is_remove && removed.iter().any(|r| path.starts_with(r)) {
            continue;
        }
        cx.plan(action, &mut ch)?;
    }
    let pending = cx.emit(&ch)?;
    combine(pending, file.source.text(), cx.newline)
}

/// The field path an action changes.
pub fn action_path(action: &FixAction) -> &FieldPath {
    match action {
        FixAction::Set { path, .. }
        | FixAction::Remove { path }
        | FixAction::AddToList { path, .. }
        | FixAction::RemoveFromList { path, .. } => path,
    }
}

/// Sorts pending changes and joins those that touch, so the result is sorted and disjoint.
fn combine(mut pending: Vec<Pending>, text: &str, newline: &str) -> Result<Vec<Edit>, String> {
    pending.sort_by(|a, b| {
        (a.start, a.end, std::cmp::Reverse(a.depth)).cmp(&(
            b.start,
            b.end,
            std::cmp::Reverse(b.depth),
        ))
    });
    // Lines added at the end of a file that lacks a final line break need one first (once).
    if !text.is_empty()
        && !text.ends_with('\n')
        && let Some(p) = pending
            .iter_mut()
            .find(|p| p.start == text.len() && p.end == p.start && !p.text.is_empty())
    {
        p.text.insert_str(0, newline);
    }
    let mut out: Vec<Edit> = Vec::new();
    for p in pending {
        if let Some(last) = out.last_mut() {
            if p.start < last.end {
                return Err(format!(
                    "two changes overlap at bytes {}..{}; fix this by hand",
                    p.start, last.end
                ));
            }
            if p.start == last.end {
                last.end = p.end;
                last.replacement.push_str(&p.text);
                continue;
            }
        }
        out.push(Edit {
            start: p.start,
            end: p.end,
            replacement: p.text,
        });
    }
    out.retain(|e| !(e.start == e.end && e.replacement.is_empty()));
    Ok(out)
}

/// True when another object comes from the same YAML document (items of a `List`). Objects
/// are in document order, so the neighbours tell: a scan of every object per fix was
/// quadratic in files of many documents.
fn shares_document(file: &ManifestFile, object: &Object) -> bool {
    let first = file
        .objects
        .partition_point(|o| o.document < object.document);
    file.objects[first..]
        .iter()
        .take_while(|o| o.document == object.document)
        .any(|o| o.node != object.node)
}

impl<'a> Context<'a> {
    fn new(file: &'a ManifestFile, object: &Object) -> Self {
        let tree = &file.tree;
        // The sets and maps below hold a few entries per node of the object: sized once from
        // the object's node count (aliases expanded, so an upper bound; capped), they never
        // grow and rehash, which cost more than the walks themselves.
        let nodes = tree.expanded_size(object.node).min(1 << 14) as usize;
        // Nodes reachable twice from the object are shared through aliases. Only the object is
        // walked (fixes are realised per finding, and a `List` can hold thousands of objects);
        // sharing with other objects of the same document is caught by `check_owned`.
        let mut seen = HashSet::with_capacity_and_hasher(nodes, Default::default());
        let mut shared = HashSet::default();
        let mut stack: Vec<NodeId> = vec![object.node];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                shared.insert(n);
                continue;
            }
            match &tree.node(n).kind {
                NodeKind::Mapping { entries, .. } => stack.extend(entries.iter().map(|e| e.value)),
                NodeKind::Sequence { items, .. } => stack.extend(items.iter().copied()),
                _ => {}
            }
        }
        let mut parents = HashMap::with_capacity_and_hasher(nodes, Default::default());
        let mut depth = HashMap::with_capacity_and_hasher(nodes, Default::default());
        let mut steps: HashMap<usize, usize> = HashMap::default();
        let mut offsets: HashMap<usize, usize> = HashMap::default();
        let src = &file.source;
        let col = |b: usize| src.line_col(b).1 - 1;
        let mut stack = vec![(object.node, 0usize)];
        let mut visited = HashSet::with_capacity_and_hasher(nodes, Default::default());
        while let Some((n, d)) = stack.pop() {
            if !visited.insert(n) {
                continue;
            }
            depth.insert(n, d);
            let flow = &tree.node(n).flow;
            match &tree.node(n).kind {
                NodeKind::Mapping { entries } => {
                    for (i, e) in entries.iter().enumerate() {
                        if e.merged {
                            continue;
                        }
                        parents.entry(e.value).or_insert(Parent {
                            collection: n,
                            index: i,
                        });
                        stack.push((e.value, d + 1));
                        if *flow {
                            continue;
                        }
                        let key_col = col(tree.node(e.key_node).span().start);
                        let value = tree.node(e.value);
                        match (&value.kind, value.flow) {
                            (NodeKind::Mapping { entries: inner }, false) => {
                                if let Some(first) = inner.iter().find(|x| !x.merged) {
                                    let c = col(tree.node(first.key_node).span().start);
                                    if c > key_col {
                                        *steps.entry(c - key_col).or_default() += 1;
                                    }
                                }
                            }
                            (NodeKind::Sequence { items }, false) => {
                                if let Some(dash) =
                                    items.first().and_then(|i| dash_before(file, *i))
                                {
                                    let c = col(dash);
                                    if c >= key_col {
                                        *offsets.entry(c - key_col).or_default() += 1;
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                NodeKind::Sequence { items, .. } => {
                    for (i, item) in items.iter().enumerate() {
                        parents.entry(*item).or_insert(Parent {
                            collection: n,
                            index: i,
                        });
                        stack.push((*item, d + 1));
                    }
                }
                _ => {}
            }
        }
        let mode = |m: &HashMap<usize, usize>| {
            m.iter()
                .max_by_key(|(k, c)| (**c, std::cmp::Reverse(**k)))
                .map(|(k, _)| *k)
        };
        let step = mode(&steps).unwrap_or(2);
        let list_offset = mode(&offsets).unwrap_or(step);
        Context {
            file,
            tree,
            src,
            text: src.text(),
            root: object.node,
            shared,
            json: src.text().trim_start().starts_with(['{', '[']),
            document_shared: shares_document(file, object),
            parents,
            depth,
            layout: Layout { step, list_offset },
            newline: src.newline(),
        }
    }

    /// True for `{}` with nothing but spaces inside (no comments, no merges).
    fn is_empty_flow(&self, n: NodeId) -> bool {
        let span = self.tree.node(n).span();
        let inner = self.text[span.start..span.end].trim();
        inner.starts_with('{')
            && inner.ends_with('}')
            && inner[1..inner.len() - 1].trim().is_empty()
    }

    fn col(&self, byte: usize) -> usize {
        self.src.line_col(byte).1 - 1
    }

    fn depth(&self, n: NodeId) -> usize {
        self.depth.get(&n).copied().unwrap_or(0)
    }

    /// True when an anchor (`&name`) is written right before or at the start of the node.
    fn has_anchor(&self, n: NodeId) -> bool {
        let start = self.tree.node(n).span().start;
        if self.text[start..].starts_with('&') {
            return true;
        }
        let before = self.text[..start].trim_end();
        let token = before
            .rfind(char::is_whitespace)
            .map_or(before, |i| &before[i + 1..]);
        token.starts_with('&')
    }

    fn check_owned(&self, n: NodeId, path: &FieldPath) -> Result<(), String> {
        let span = self.tree.node(n).span();
        let root = self.tree.node(self.root).span();
        let outside = span.start < root.start || span.end > root.end;
        // In a document with several objects, an anchored node may be aliased by another one.
        let maybe_aliased = self.document_shared && self.has_anchor(n);
        if self.shared.contains(&n) || outside || maybe_aliased {
            return Err(format!(
                "`{path}` is shared with other parts of the file through a YAML anchor; \
                 change it by hand"
            ));
        }
        Ok(())
    }

    fn resolve(&self, path: &FieldPath) -> Result<Resolved, String> {
        let mut node = self.root;
        let mut parent = None;
        let segs = path.segments();
        for (i, seg) in segs.iter().enumerate() {
            let last = i + 1 == segs.len();
            match seg {
                Segment::Key(k) => match &self.tree.node(node).kind {
                    NodeKind::Mapping { entries, .. } => {
                        match entries.iter().position(|e| e.key == k) {
                            Some(idx) if entries[idx].merged => {
                                if last {
                                    return Ok(Resolved::Found {
                                        node: entries[idx].value,
                                        parent: Some(Parent {
                                            collection: node,
                                            index: idx,
                                        }),
                                        merged: true,
                                    });
                                }
                                return Err(format!(
                                    "`{path}` comes from a `<<` merge; change it where it is \
                                     defined, or override it by hand"
                                ));
                            }
                            Some(idx) => {
                                parent = Some(Parent {
                                    collection: node,
                                    index: idx,
                                });
                                node = entries[idx].value;
                            }
                            None => return self.missing(node, parent, &segs[i..], path),
                        }
                    }
                    NodeKind::Null => return self.missing(node, parent, &segs[i..], path),
                    _ => return Err(format!("a parent of `{path}` is not a mapping")),
                },
                Segment::Index(idx) => match self.tree.items(node).get(*idx) {
                    Some(item) => {
                        parent = Some(Parent {
                            collection: node,
                            index: *idx,
                        });
                        node = *item;
                    }
                    None => return Err(format!("`{path}` does not exist")),
                },
            }
            self.check_owned(node, path)?;
        }
        Ok(Resolved::Found {
            node,
            parent,
            merged: false,
        })
    }

    fn exists(&self, path: &FieldPath) -> bool {
        let mut node = self.root;
        for seg in path.segments() {
            let next = match seg {
                Segment::Key(k) => self.tree.get(node, k),
                Segment::Index(i) => self.tree.items(node).get(*i).copied(),
            };
            match next {
                Some(n) => node = n,
                None => return false,
            }
        }
        true
    }

    fn missing(
        &self,
        at: NodeId,
        parent: Option<Parent>,
        rest: &[Segment],
        path: &FieldPath,
    ) -> Result<Resolved, String> {
        let rest = rest
            .iter()
            .map(|s| match s {
                Segment::Key(k) => Ok(k.to_string()),
                Segment::Index(_) => Err(format!("`{path}` names a list item that does not exist")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Resolved::Missing { at, parent, rest })
    }

    /// Records one action in `ch`.
    fn plan(&self, action: &FixAction, ch: &mut Changes) -> Result<(), String> {
        if let FixAction::Remove { path } | FixAction::RemoveFromList { path, .. } = action
            && !self.exists(path)
        {
            // Already absent: nothing to remove.
            return Ok(());
        }
        match action {
            FixAction::Set { path, value } => {
                scalar_value(value)?;
                match self.resolve(path)? {
                    Resolved::Found {
                        parent: Some(p),
                        merged: true,
                        ..
                    } => {
                        // Override the merged key in the mapping itself; the anchor stays.
                        let key = path.last_key().unwrap_or_default().to_string();
                        put(
                            slot(&mut ch.insert, p.collection),
                            std::slice::from_ref(&key),
                            Leaf::Scalar(value),
                        );
                    }
                    Resolved::Found { node, .. } => {
                        let n = self.tree.node(node);
                        match n.kind {
                            NodeKind::Mapping { .. } | NodeKind::Sequence { .. } => {
                                return Err(format!("`{path}` is not a single value"));
                            }
                            _ if matches!(n.style, Style::Literal | Style::Folded) => {
                                return Err(format!("`{path}` is a block scalar"));
                            }
                            _ => {}
                        }
                        if self.tree.to_json(node) != scalar_value(value)? {
                            ch.replace.retain(|(x, _)| *x != node);
                            ch.replace.push((node, value.clone()));
                        }
                    }
                    Resolved::Missing { at, parent, rest } => {
                        self.create(at, parent, &rest, Leaf::Scalar(value), ch, path)?
                    }
                }
            }
            FixAction::AddToList { path, item } => {
                let want = item_value(item)?;
                match self.resolve(path)? {
                    Resolved::Found { merged: true, .. } => {
                        return Err(format!("`{path}` comes from a `<<` merge"));
                    }
                    Resolved::Found { node, parent, .. } => match &self.tree.node(node).kind {
                        NodeKind::Sequence { items, .. } => {
                            let present = items.iter().any(|i| self.tree.to_json(*i) == want);
                            let list = slot(&mut ch.append, node);
                            let queued =
                                list.iter().any(|x| item_value(x).is_ok_and(|v| v == want));
                            if !present && !queued {
                                list.push(item.clone());
                            }
                        }
                        NodeKind::Null => {
                            self.create(node, parent, &[], Leaf::Item(item), ch, path)?
                        }
                        _ => return Err(format!("`{path}` is not a list")),
                    },
                    Resolved::Missing { at, parent, rest } => {
                        self.create(at, parent, &rest, Leaf::Item(item), ch, path)?
                    }
                }
            }
            FixAction::RemoveFromList { path, item } => {
                let want = scalar_value(item)?;
                match self.resolve(path)? {
                    Resolved::Found { merged: true, .. } => {
                        return Err(format!("`{path}` comes from a `<<` merge"));
                    }
                    Resolved::Found { node, .. } => match &self.tree.node(node).kind {
                        NodeKind::Sequence { items, .. } => {
                            let hits: Vec<usize> = items
                                .iter()
                                .enumerate()
                                .filter(|(_, i)| self.tree.to_json(**i) == want)
                                .map(|(n, _)| n)
                                .collect();
                            for h in hits {
                                self.check_owned(items[h], path)?;
                                let set = slot(&mut ch.remove_items, node);
                                if !set.contains(&h) {
                                    set.push(h);
                                }
                            }
                        }
                        NodeKind::Null => {}
                        _ => return Err(format!("`{path}` is not a list")),
                    },
                    Resolved::Missing { .. } => {}
                }
            }
            FixAction::Remove { path } => match self.resolve(path)? {
                Resolved::Found { merged: true, .. } => {
                    return Err(format!(
                        "`{path}` comes from a `<<` merge; remove it where it is defined"
                    ));
                }
                Resolved::Found {
                    parent: Some(p), ..
                } => {
                    let target = match self.tree.node(p.collection).kind {
                        NodeKind::Mapping { .. } => &mut ch.remove_entries,
                        _ => &mut ch.remove_items,
                    };
                    let set = slot(target, p.collection);
                    if !set.contains(&p.index) {
                        set.push(p.index);
                    }
                }
                Resolved::Found { parent: None, .. } => {
                    return Err("cannot remove a whole object".into());
                }
                Resolved::Missing { .. } => {}
            },
        }
        Ok(())
    }

    /// Creates `rest` below the existing node `at` (a mapping or an empty value).
    fn create(
        &self,
        at: NodeId,
        parent: Option<Parent>,
        rest: &[String],
        leaf: Leaf<'_>,
        ch: &mut Changes,
        path: &FieldPath,
    ) -> Result<(), String> {
        let kind = &self.tree.node(at).kind;
        // `key: {}` under a block mapping grows into a block, like an empty `key:`.
        let empty_flow_in_block = self.tree.node(at).flow
            && matches!(kind, NodeKind::Mapping { entries } if entries.is_empty())
            && self.is_empty_flow(at)
            && parent.is_some_and(|p| {
                let collection = self.tree.node(p.collection);
                !collection.flow && matches!(collection.kind, NodeKind::Mapping { .. })
            });
        match kind {
            NodeKind::Mapping { .. } if !empty_flow_in_block => {
                put(slot(&mut ch.insert, at), rest, leaf);
                Ok(())
            }
            NodeKind::Null | NodeKind::Mapping { .. } => {
                let in_mapping = parent.is_some_and(|p| {
                    matches!(self.tree.node(p.collection).kind, NodeKind::Mapping { .. })
                });
                if !in_mapping {
                    return Err(format!("a parent of `{path}` is an empty list item"));
                }
                let value = slot(&mut ch.fill, at);
                match (rest.is_empty(), leaf) {
                    (true, Leaf::Item(item)) => {
                        if !matches!(value, NewValue::List(_)) {
                            *value = NewValue::List(Vec::new());
                        }
                        if let NewValue::List(list) = value {
                            push_unique(list, item);
                        }
                    }
                    (true, Leaf::Scalar(_)) => {
                        return Err(format!("`{path}` is an empty value"));
                    }
                    (false, leaf) => {
                        if !matches!(value, NewValue::Map(_)) {
                            *value = NewValue::Map(Vec::new());
                        }
                        if let NewValue::Map(m) = value {
                            put(m, rest, leaf);
                        }
                    }
                }
                Ok(())
            }
            _ => Err(format!("a parent of `{path}` is not a mapping")),
        }
    }
}

/// The byte of the `-` before a block list item.
fn dash_before(file: &ManifestFile, item: NodeId) -> Option<usize> {
    let text = file.source.text();
    let start = file.tree.node(item).span().start;
    let before = &text[..start];
    let trimmed = before.trim_end_matches([' ', '\t']);
    // An anchor or tag can sit between the dash and the item.
    if trimmed.ends_with('-') {
        return Some(trimmed.len() - 1);
    }
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..start];
    let dash = line.find("- ").or_else(|| {
        line.trim_end()
            .ends_with('-')
            .then(|| line.trim_end().len() - 1)
    })?;
    Some(line_start + dash)
}

fn dedup_ids(v: &mut Vec<NodeId>) {
    let mut seen = HashSet::default();
    v.retain(|n| seen.insert(*n));
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    let want = item_value(item).ok();
    if !list.iter().any(|x| item_value(x).ok() == want) {
        list.push(item.to_string());
    }
}

/// Adds `keys` (and below them, `leaf`) to a new mapping.
fn put(map: &mut Vec<(String, NewValue)>, keys: &[String], leaf: Leaf<'_>) {
    let Some((key, rest)) = keys.split_first() else {
        return;
    };
    let pos = match map.iter().position(|(k, _)| k == key) {
        Some(p) => p,
        None => {
            map.push((key.clone(), NewValue::Map(Vec::new())));
            map.len() - 1
        }
    };
    let slot = &mut map[pos].1;
    if rest.is_empty() {
        match leaf {
            Leaf::Scalar(v) => *slot = NewValue::Scalar(v.to_string()),
            Leaf::Item(item) => {
                if !matches!(slot, NewValue::List(_)) {
                    *slot = NewValue::List(Vec::new());
                }
                if let NewValue::List(l) = slot {
                    push_unique(l, item);
                }
            }
        }
        return;
    }
    if !matches!(slot, NewValue::Map(_)) {
        *slot = NewValue::Map(Vec::new());
    }
    if let NewValue::Map(m) = slot {
        put(m, rest, leaf);
    }
}
