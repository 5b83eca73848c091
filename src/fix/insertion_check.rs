//! Fix verification without re-parsing the object, for the shape nearly every fix has: new
//! keys inserted into a block mapping (`securityContext:` at the end of a container, a pod's
//! `securityContext:` at the end of its spec). Re-parsing each object with fixes cost about as
//! much as reading the files in the first place: 22% of the instructions of a 300-file run and
//! 25% of a run on 2,500 Pods went to it.
//!
//! [`insertions_keep_document_valid`] answers `true` only when it can show that the edited
//! document parses as `parse_stream` would parse it; otherwise it answers `false` and the
//! caller re-parses as before. It never rejects a fix by itself. It shows validity like this:
//! - every edit is an insertion of whole lines (at a line start, ending with a line break);
//! - the inserted text `T`, read on its own, is one YAML document whose root is a block
//!   mapping at the column `c` of its first line, and no line of `T` is indented less than `c`
//!   (so nothing in `T` closes a collection that encloses it). What the realiser writes
//!   (`key:`, `key: value` and `- value` lines with plain or unescaped quoted values) is read
//!   line by line, which costs a fraction of a parse; anything else is parsed;
//! - the place it goes is a block mapping `M` of the original document whose keys sit at
//!   column `c`, at one of `M`'s own key lines (written at `c` with only spaces before it) or
//!   on the line just after `M`'s last value. There the parser, which had read the original
//!   document without error, is at a line start where a line at column `c` is a new key of
//!   `M`: it reads `T`'s lines as it read `T` alone, as entries of `M`; the line after `T` was
//!   a line that followed an entry of `M` before, and is read as it was;
//! - `T`'s keys are not keys of `M` (nor of another insertion into `M`), so no key repeats;
//!   the depth and node limits leave room for `T`;
//! - insertions at the same place go deepest first, so each one's first line closes only
//!   what the one before it opened.
//!
//! New items of a block sequence (a NetworkPolicy's DNS egress rule) are shown the same way:
//! a block that reads as a block sequence at its first line's column goes before one of the
//! sequence's items (each written `- item` on its own line, dashes at that column) or on the
//! line after its last item; there a `- ` at that column is a new item.
//!
//! Documents with aliases or merge keys, text with tabs or carriage returns, replacements and
//! deletions are left to the re-parse. The tests try every line start
//! and column of a set of documents against the re-parse, and every debug build (the whole
//! test suite, the fuzz targets) re-parses behind each `true` and panics on a disagreement.

use crate::finding::Edit;
use crate::manifest::{
    Limits, ManifestFile, NodeId, NodeKind, Object, SourceText, YamlTree, parse_stream,
};

/// A block mapping or block sequence of the object's document, where inserted keys or items
/// can go.
struct Target {
    node: NodeId,
    /// A block sequence (new items go in) rather than a block mapping (new keys go in).
    sequence: bool,
    /// Column (0-based, in bytes: the lines before a key are ASCII spaces) of its keys, or of
    /// its items' dashes.
    column: usize,
    /// Collections enclosing it (0 for the document's root mapping).
    depth: usize,
}

/// True when applying `edits` (to the object's document, which parsed) certainly gives a
/// document that parses; false when that is not shown here (the caller re-parses).
pub(super) fn insertions_keep_document_valid(
    file: &ManifestFile,
    object: &Object,
    edits: &[Edit],
) -> bool {
    let text = file.source.text();
    let tree = &file.tree;
    let limits = Limits::default();
    if edits.is_empty() || edits.iter().any(|e| !is_line_insertion(text, e)) {
        return false;
    }
    let Some(targets) = block_collections(text, tree, object.node) else {
        return false;
    };
    // Applied in `apply_edits`' order: sorted, so insertions at one place keep that order.
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort();
    let mut inserted: Vec<(NodeId, String)> = Vec::new();
    let mut added_nodes = 0u64;
    let mut previous: Option<(usize, usize)> = None;
    // The realiser writes what goes at one place as one edit: blocks for several mappings
    // that end there, deepest first, each starting left of the one before.
    let blocks = sorted
        .iter()
        .flat_map(|e| split_blocks(&e.replacement).map(move |b| (e.start, b)));
    for (start, text_of_block) in blocks {
        let Some(block) = InsertedBlock::read(text_of_block, &limits) else {
            return false;
        };
        // Deepest first at one place: a shallower block's first line closes what a deeper
        // one opened, never the other way round.
        if let Some((at, column)) = previous
            && at == start
            && column < block.column
        {
            return false;
        }
        previous = Some((start, block.column));
        let Some(target) = targets.iter().find(|t| {
            t.sequence == block.sequence
                && t.column == block.column
                && is_insertion_point(text, tree, t, start)
        }) else {
            return false;
        };
        if target.depth + block.height + 2 >= limits.max_depth {
            return false;
        }
        let own = tree.entries(target.node);
        for key in &block.keys {
            if own.iter().any(|e| e.key == key)
                || inserted.iter().any(|(n, k)| *n == target.node && k == key)
            {
                return false;
            }
            inserted.push((target.node, key.clone()));
        }
        added_nodes += block.nodes;
    }
    (tree.len() as u64).saturating_add(added_nodes) < limits.max_nodes
        && tree.expanded_size(object.node).saturating_add(added_nodes) < limits.max_expanded_nodes
}

/// The text of one insertion cut before each line indented less than the block it is in.
fn split_blocks(replacement: &str) -> impl Iterator<Item = &str> {
    let mut rest = replacement;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let column = indentation(rest);
        let mut end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        while end < rest.len() {
            let line = &rest[end..];
            let line_end = line.find('\n').map_or(line.len(), |i| i + 1);
            let blank = line[..line_end]
                .trim_start_matches(' ')
                .trim_end()
                .is_empty();
            if !blank && indentation(line) < column {
                break;
            }
            end += line_end;
        }
        let (block, after) = rest.split_at(end);
        rest = after;
        Some(block)
    })
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// An insertion of whole lines: at a line start, ending with a line break, without tabs or
/// carriage returns.
fn is_line_insertion(text: &str, edit: &Edit) -> bool {
    edit.start == edit.end
        && edit.start <= text.len()
        && (edit.start == 0 || text.as_bytes()[edit.start - 1] == b'\n')
        && edit.replacement.ends_with('\n')
        && !edit.replacement.contains(['\t', '\r'])
}

/// The text of one insertion, read on its own.
struct InsertedBlock {
    /// Items of a block sequence (`- …` lines), not keys of a mapping.
    sequence: bool,
    column: usize,
    keys: Vec<String>,
    height: usize,
    nodes: u64,
}

impl InsertedBlock {
    fn read(replacement: &str, limits: &Limits) -> Option<InsertedBlock> {
        let column = indentation(replacement);
        for line in replacement.lines() {
            let content = line.trim_start_matches(' ');
            if content.is_empty() {
                continue;
            }
            // A document marker would end the document; a line left of the first would close
            // collections around the insertion.
            if line.len() - content.len() < column
                || line.starts_with("---")
                || line.starts_with("...")
            {
                return None;
            }
        }
        if let Some(block) = Self::read_simple(replacement, column) {
            return Some(block);
        }
        let (tree, docs) = parse_stream(&SourceText::new(replacement), limits).ok()?;
        let [doc] = docs.as_slice() else {
            return None;
        };
        if tree.expanded_size(doc.root) != tree.len() as u64 {
            return None;
        }
        let root = tree.node(doc.root);
        if let (NodeKind::Sequence { .. }, false) = (&root.kind, root.flow) {
            // Items at the first line's column: the line starts with its dash.
            return replacement[column..]
                .starts_with("- ")
                .then(|| InsertedBlock {
                    sequence: true,
                    column,
                    keys: Vec::new(),
                    height: tree.height(doc.root) as usize,
                    nodes: tree.len() as u64,
                });
        }
        let (NodeKind::Mapping { entries }, false) = (&root.kind, root.flow) else {
            return None;
        };
        let first = entries.first()?;
        if entries.iter().any(|e| e.merged)
            || tree.node(first.key_node).span().start != column
            || tree.expanded_size(doc.root) != tree.len() as u64
        {
            // Not a block mapping at the first line's column, or it holds aliases.
            return None;
        }
        Some(InsertedBlock {
            sequence: false,
            column,
            keys: entries.iter().map(|e| e.key.to_string()).collect(),
            height: tree.height(doc.root) as usize,
            nodes: tree.len() as u64,
        })
    }
}

impl InsertedBlock {
    /// What the realiser writes (`key:`, `key: value`, `- value` lines, values plain words or
    /// quoted without escapes), read line by line: parsing such a block cost more than the
    /// re-parse it saves. `None` for any other line (then it is parsed).
    fn read_simple(replacement: &str, column: usize) -> Option<InsertedBlock> {
        let mut stack: Vec<Open> = Vec::new();
        // The column of a `key:` line with nothing after it: what follows deeper is its value.
        let mut pending: Option<usize> = None;
        let (mut height, mut nodes) = (0usize, 0u64);
        let mut top_keys = Vec::new();
        for line in replacement.lines() {
            let content = line.trim_start_matches(' ');
            let at = line.len() - content.len();
            if let Some(item) = content.strip_prefix("- ") {
                if !is_simple_value(item) {
                    return None;
                }
                let opens = pending.is_some_and(|key| at >= key);
                if !opens {
                    while stack.last().is_some_and(|o| open_column(o) > at) {
                        stack.pop();
                    }
                    if !matches!(stack.last(), Some(Open::Seq { column }) if *column == at) {
                        return None;
                    }
                } else {
                    // A sequence nested deeper than a sibling sequence would be refused.
                    stack.push(Open::Seq { column: at });
                }
                pending = None;
                nodes += 1;
            } else {
                let (key, value) = match content.split_once(':') {
                    Some((key, "")) => (key, None),
                    Some((key, rest)) => (key, Some(rest.strip_prefix(' ')?)),
                    None => return None,
                };
                if crate::manifest::plain_word_is_string(key) != Some(true)
                    || value.is_some_and(|v| !is_simple_value(v))
                {
                    return None;
                }
                if pending.is_some_and(|key| at > key) {
                    stack.push(Open::Map {
                        column: at,
                        keys: Vec::new(),
                    });
                } else if stack.is_empty() {
                    if at != column {
                        return None;
                    }
                    stack.push(Open::Map {
                        column: at,
                        keys: Vec::new(),
                    });
                } else {
                    while stack.last().is_some_and(|o| open_column(o) > at) {
                        stack.pop();
                    }
                }
                let Some(Open::Map { column: c, keys }) = stack.last_mut() else {
                    return None;
                };
                if *c != at || keys.iter().any(|k| k == key) {
                    return None;
                }
                keys.push(key.to_string());
                if stack.len() == 1 {
                    top_keys.push(key.to_string());
                }
                pending = value.is_none().then_some(at);
                nodes += 2;
            }
            height = height.max(stack.len() + 1);
        }
        (!top_keys.is_empty()).then_some(InsertedBlock {
            sequence: false,
            column,
            keys: top_keys,
            height,
            nodes: nodes + stack.len() as u64,
        })
    }
}

/// A collection [`InsertedBlock::read_simple`] has open, at its column.
enum Open {
    Map { column: usize, keys: Vec<String> },
    Seq { column: usize },
}

fn open_column(open: &Open) -> usize {
    match open {
        Open::Map { column, .. } | Open::Seq { column } => *column,
    }
}

/// A value the realiser writes: a plain word (`true`, `RuntimeDefault`, `256Mi`) or a string
/// in quotes with nothing to escape.
fn is_simple_value(value: &str) -> bool {
    if crate::manifest::plain_word_is_string(value).is_some() {
        return true;
    }
    let inner = |q: char| {
        value
            .strip_prefix(q)
            .and_then(|v| v.strip_suffix(q))
            .is_some_and(|v| !v.contains([q, '\\']) && !v.chars().any(char::is_control))
    };
    value.len() >= 2 && (inner('"') || inner('\''))
}

/// The block mappings and block sequences of the document under `root` (where new keys and
/// new items can go), or `None` when the document has aliases or merge keys (a node reached
/// twice, or from somewhere else in the text).
fn block_collections(text: &str, tree: &YamlTree, root: NodeId) -> Option<Vec<Target>> {
    let mut targets = Vec::new();
    let mut stack = vec![(root, 0usize)];
    while let Some((id, depth)) = stack.pop() {
        let node = tree.node(id);
        // Written children come in text order inside their parent: a child that starts before
        // the end of what came before it is an alias (its node is where its anchor is).
        let mut cursor = node.span().start;
        let next = |child: NodeId, cursor: &mut usize| -> Option<()> {
            let span = tree.node(child).span();
            if span.start < *cursor {
                return None;
            }
            *cursor = span.end.max(span.start);
            Some(())
        };
        match &node.kind {
            NodeKind::Mapping { entries } => {
                let flow = node.flow;
                if entries.iter().any(|e| e.merged) {
                    return None;
                }
                for e in entries {
                    next(e.key_node, &mut cursor)?;
                    next(e.value, &mut cursor)?;
                    stack.push((e.value, depth + 1));
                }
                if !flow && let Some(column) = key_column(text, tree, entries) {
                    targets.push(Target {
                        node: id,
                        sequence: false,
                        column,
                        depth,
                    });
                }
            }
            NodeKind::Sequence { items } => {
                let flow = node.flow;
                for &item in items {
                    next(item, &mut cursor)?;
                    stack.push((item, depth + 1));
                }
                if !flow && let Some(column) = dash_column(text, tree, items) {
                    targets.push(Target {
                        node: id,
                        sequence: true,
                        column,
                        depth,
                    });
                }
            }
            _ => {}
        }
    }
    Some(targets)
}

/// The column of a block mapping's keys when each is written plainly at the start of its
/// line: after spaces only, the first one also after the dashes of the sequence items it
/// opens (`- name: app`). `None` for anything else (an explicit `? key`, an anchor or a tag
/// before a key), which is left to the re-parse.
fn key_column(text: &str, tree: &YamlTree, entries: &[crate::manifest::Entry]) -> Option<usize> {
    let mut column = None;
    for (i, e) in entries.iter().enumerate() {
        let start = tree.node(e.key_node).span().start;
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let prefix = &text.as_bytes()[line_start..start];
        let plain = if i == 0 {
            prefix
                .iter()
                .enumerate()
                .all(|(j, &b)| b == b' ' || (b == b'-' && prefix.get(j + 1) == Some(&b' ')))
        } else {
            prefix.iter().all(|&b| b == b' ')
        };
        if !plain || column.is_some_and(|c| c != start - line_start) {
            return None;
        }
        column = Some(start - line_start);
    }
    column
}

/// The column of a block sequence's dashes when each item starts its own line as `- item`
/// (spaces, one dash, spaces). `None` for anything else (`- - a`, an empty item, an anchor or
/// tag before an item), which is left to the re-parse.
fn dash_column(text: &str, tree: &YamlTree, items: &[NodeId]) -> Option<usize> {
    let mut column = None;
    for &item in items {
        let start = tree.node(item).span().start;
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let prefix = &text[line_start..start];
        let dash = prefix.len() - prefix.trim_start_matches(' ').len();
        let after = &prefix[dash..];
        let plain =
            after.len() >= 2 && after.starts_with("- ") && after[1..].bytes().all(|b| b == b' ');
        if !plain || column.is_some_and(|c| c != dash) {
            return None;
        }
        column = Some(dash);
    }
    column
}

/// Whether a line inserted at `at` (a line start) with its first key at `target.column`
/// becomes a new entry of `target`: `at` is the start of one of its key lines written at that
/// column with only spaces before it, or the start of the line after its last value.
fn is_insertion_point(text: &str, tree: &YamlTree, target: &Target, at: usize) -> bool {
    let bytes = text.as_bytes();
    let last = if target.sequence {
        // Every item starts its own line (`dash_column`): before any of them, or after the last.
        let items = tree.items(target.node);
        let item_line = items.iter().any(|&i| {
            let start = tree.node(i).span().start;
            at <= start && !text[at..start].contains('\n')
        });
        if item_line {
            return true;
        }
        items.last().copied()
    } else {
        let entries = tree.entries(target.node);
        let key_line = entries.iter().any(|e| {
            let start = tree.node(e.key_node).span().start;
            start == at + target.column && bytes[at..start].iter().all(|&b| b == b' ')
        });
        if key_line {
            return true;
        }
        entries.last().map(|e| e.value)
    };
    let Some(last) = last else {
        return false;
    };
    let value = tree.node(last).span();
    // The value must end inside its line, after something written on it (an empty value's
    // span may lie on a later line, a block scalar's may end at the next line's start), with
    // only spaces or a comment after it.
    if value.end <= value.start || value.end > text.len() {
        return false;
    }
    let line_start = text[..value.end].rfind('\n').map_or(0, |i| i + 1);
    if bytes[line_start..value.end].iter().all(|&b| b == b' ') {
        return false;
    }
    let line_end = text[value.end..]
        .find('\n')
        .map_or(text.len(), |i| value.end + i);
    let rest = text[value.end..line_end].trim_start_matches(' ');
    if !(rest.is_empty() || rest.starts_with('#')) {
        return false;
    }
    line_end < text.len() && at == line_end + 1
}

#[cfg(test)]
mod tests;
