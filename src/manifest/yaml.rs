//! A YAML stream turned into a tree of nodes that remember where they came from.
//!
//! saphyr-parser gives events with character positions; this module builds an arena of nodes
//! with byte spans, resolves plain scalars with the YAML 1.2 core schema, and enforces the
//! limits that keep hostile input bounded (depth, alias expansion, duplicate keys). It never
//! expands an alias by copying: an alias is another reference to the anchored node, and the
//! expanded size of every node is counted so that "billion laughs" stops early.

use compact_str::CompactString;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;

use super::limits::Limits;
pub use super::source::ByteSpan;
use super::source::SourceText;

/// Index of a node in a [`YamlTree`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(pub u32);

/// How a scalar was written; fixes use it to keep the author's quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string, or a scalar with an explicit non-core tag. Most of a manifest's strings are
    /// short: a `CompactString` keeps up to 24 bytes inline, without an allocation of its own.
    Str(CompactString),
    Sequence {
        items: Box<[NodeId]>,
    },
    /// Entries in source order. Merge keys (`<<`) are already resolved: merged entries come after
    /// the mapping's own keys and point at the nodes they were merged from.
    Mapping {
        entries: Box<[Entry]>,
    },
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: CompactString,
    pub key_node: NodeId,
    pub value: NodeId,
    /// True when the entry came from a `<<` merge rather than being written in this mapping.
    pub merged: bool,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    /// [`Node::span`]'s bounds, in 32 bits: a stream longer than 4 GiB is refused before it
    /// is parsed (files are limited to 16 MiB), and two `usize` took 8 more bytes a node.
    start: u32,
    end: u32,
    pub style: Style,
    /// A flow collection (`[…]`, `{…}`); false for a block one and for a scalar. Kept here,
    /// not in the collection's variant of [`NodeKind`]: there it took a word of its own.
    pub flow: bool,
    /// Height of the node's subtree with aliases expanded ([`YamlTree::height`]): bounds
    /// recursion on the tree. It sits in room the node had spare after `style`.
    height: u32,
}

/// All nodes of one YAML stream (every document), addressed by [`NodeId`].
#[derive(Debug, Default)]
pub struct YamlTree {
    nodes: Vec<Node>,
    /// Per node, [`YamlTree::expanded_size`]: at most the limit on it
    /// (`Limits::max_expanded_nodes`, a million by default), so 32 bits hold it (a count
    /// above 4,294,967,295 is kept as that, still over any limit 32 bits can say).
    expanded: Vec<u32>,
}

/// A document of the stream: its root node and the byte where it starts.
#[derive(Debug, Clone, Copy)]
pub struct DocumentRoot {
    pub root: NodeId,
    pub index: usize,
}

/// A parse failure with the 1-based line it happened on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Node {
    /// Where the node is written in the text it was parsed from.
    pub fn span(&self) -> ByteSpan {
        ByteSpan {
            start: self.start as usize,
            end: self.end as usize,
        }
    }
}

impl YamlTree {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// Number of nodes this node stands for once every alias is expanded.
    pub fn expanded_size(&self, id: NodeId) -> u64 {
        u64::from(self.expanded[id.0 as usize])
    }

    /// Levels of nesting from this node down, itself included, once aliases are expanded (1 for
    /// a scalar).
    pub fn height(&self, id: NodeId) -> u32 {
        self.nodes[id.0 as usize].height
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The value under `key` when `id` is a mapping.
    pub fn get(&self, id: NodeId, key: &str) -> Option<NodeId> {
        self.entry(id, key).map(|e| e.value)
    }

    pub fn entry(&self, id: NodeId, key: &str) -> Option<&Entry> {
        match &self.node(id).kind {
            NodeKind::Mapping { entries, .. } => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn items(&self, id: NodeId) -> &[NodeId] {
        match &self.node(id).kind {
            NodeKind::Sequence { items, .. } => items,
            _ => &[],
        }
    }

    pub fn entries(&self, id: NodeId) -> &[Entry] {
        match &self.node(id).kind {
            NodeKind::Mapping { entries, .. } => entries,
            _ => &[],
        }
    }

    pub fn as_str(&self, id: NodeId) -> Option<&str> {
        match &self.node(id).kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Converts a node to JSON for typed decoding. Depth and size were bounded while parsing.
    pub fn to_json(&self, id: NodeId) -> serde_json::Value {
        use serde_json::Value;
        match &self.node(id).kind {
            scalar @ (NodeKind::Null
            | NodeKind::Bool(_)
            | NodeKind::Int(_)
            | NodeKind::Float(_)
            | NodeKind::Str(_)) => scalar_json(scalar.clone()),
            NodeKind::Sequence { items, .. } => {
                Value::Array(items.iter().map(|i| self.to_json(*i)).collect())
            }
            NodeKind::Mapping { entries, .. } => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), self.to_json(e.value)))
                    .collect(),
            ),
        }
    }

    fn push(&mut self, node: Node, expanded: u64) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(node);
        self.expanded
            .push(u32::try_from(expanded).unwrap_or(u32::MAX));
        id
    }
}

enum Frame {
    Seq {
        start: ByteSpan,
        anchor: usize,
        flow: bool,
        items: Vec<NodeId>,
        size: u64,
        height: u32,
    },
    Map {
        start: ByteSpan,
        anchor: usize,
        flow: bool,
        entries: Vec<Entry>,
        merges: Vec<NodeId>,
        pending_key: Option<(CompactString, NodeId)>,
        size: u64,
        height: u32,
    },
}

/// Parses a whole YAML stream. Returns the tree and its documents; the first error ends parsing.
pub fn parse_stream(
    src: &SourceText,
    limits: &Limits,
) -> Result<(YamlTree, Vec<DocumentRoot>), YamlError> {
    parse(src, limits, false)
}

/// Like [`parse_stream`], but a key repeated in one mapping replaces the earlier entry (the last
/// one wins), as kubectl's YAML library reads kustomization and patch files.
pub fn parse_stream_lenient(
    src: &SourceText,
    limits: &Limits,
) -> Result<(YamlTree, Vec<DocumentRoot>), YamlError> {
    parse(src, limits, true)
}

/// Streams at least this big are split at their document markers and parsed on all cores.
const PARALLEL_PARSE_BYTES: usize = 1 << 20;
/// About how much of a big stream one task parses.
const PARSE_CHUNK_BYTES: usize = 256 << 10;

fn parse(
    src: &SourceText,
    limits: &Limits,
    last_key_wins: bool,
) -> Result<(YamlTree, Vec<DocumentRoot>), YamlError> {
    // Nodes keep their offsets in 32 bits. Files are refused long before (16 MiB by default).
    if u32::try_from(src.text().len()).is_err() {
        return Err(YamlError {
            line: 1,
            column: 1,
            message: "too large to parse: 4 GiB or more".to_string(),
        });
    }
    if src.text().len() >= PARALLEL_PARSE_BYTES
        && let Some(parsed) = parse_in_chunks(src, limits, last_key_wins, PARSE_CHUNK_BYTES)
    {
        return Ok(parsed);
    }
    parse_sequentially(src, limits, last_key_wins)
}

/// A big stream parsed as pieces of whole documents, on all cores, then joined: the same tree
/// as [`parse_sequentially`] gives, node for node (ids, spans, document indexes).
///
/// Why it is the same: a `---` line at column 0 always ends the document before it (in a
/// block scalar too; inside a quoted scalar or a flow collection it is an error), anchors are
/// per document, and every limit but the node count is per node or per document. The node
/// count is summed. `None` (the caller parses sequentially, which also gives the exact error)
/// when a piece fails, the count is over the limit, or the stream has a directive (`%YAML`,
/// `%TAG`: it belongs to the document after it, across a split).
fn parse_in_chunks(
    src: &SourceText,
    limits: &Limits,
    last_key_wins: bool,
    chunk_bytes: usize,
) -> Option<(YamlTree, Vec<DocumentRoot>)> {
    use rayon::prelude::*;
    let text = src.text();
    let starts = document_chunk_starts(text, chunk_bytes)?;
    let ends = starts.iter().skip(1).copied().chain([text.len()]);
    let pieces: Vec<(usize, usize)> = starts.iter().copied().zip(ends).collect();
    let parsed: Vec<(usize, YamlTree, Vec<DocumentRoot>)> = pieces
        .par_iter()
        .map(|&(start, end)| {
            let piece = SourceText::new(&text[start..end]);
            parse_sequentially(&piece, limits, last_key_wins)
                .ok()
                .map(|(tree, docs)| (start, tree, docs))
        })
        .collect::<Option<_>>()?;
    let total: usize = parsed.iter().map(|(_, t, _)| t.len()).sum();
    if total as u64 > limits.max_nodes {
        return None;
    }
    // Each piece's nodes move to their place on all cores: joining them on one core left the
    // other idle for 45 of the 785 ms of a 20,000-document run (under perf).
    let mut bases = Vec::with_capacity(parsed.len());
    let mut nodes = Vec::with_capacity(parsed.len());
    let mut expanded = Vec::with_capacity(parsed.len());
    let mut docs = Vec::new();
    let mut base = 0u32;
    for (offset, piece, piece_docs) in parsed {
        // Every document has one root (an empty one a null scalar), so a piece's document
        // indexes follow the documents of the pieces before it.
        let doc_base = docs.len();
        docs.extend(piece_docs.into_iter().map(|d| DocumentRoot {
            root: NodeId(d.root.0 + base),
            index: d.index + doc_base,
        }));
        bases.push((offset, base));
        base += piece.nodes.len() as u32;
        nodes.push(piece.nodes);
        expanded.push(piece.expanded);
    }
    let tree = YamlTree {
        nodes: concat_on_all_cores(nodes, |piece, node| {
            let (offset, base) = bases[piece];
            // The whole stream is under 4 GiB (`parse` says so), so is every offset in it.
            node.start += offset as u32;
            node.end += offset as u32;
            let shift = |id: &mut NodeId| id.0 += base;
            match &mut node.kind {
                NodeKind::Sequence { items, .. } => items.iter_mut().for_each(shift),
                NodeKind::Mapping { entries, .. } => {
                    for e in entries {
                        shift(&mut e.key_node);
                        shift(&mut e.value);
                    }
                }
                _ => {}
            }
        }),
        expanded: concat_on_all_cores(expanded, |_, _| {}),
    };
    Some((tree, docs))
}

/// The pieces one after the other, each item passed to `adjust` with its piece's index as it
/// moves. Each piece is moved into its own part of the result's room by one task, on all
/// cores (no core waits for another's copy), and freed as soon as it is moved.
///
/// The room is written only by the moves, not laid out with blank items first: a blank
/// layout wrote every page of the result while every piece was still held, so the join of
/// a 20,000-Pod file held its tree twice (its peak: 95 MB of heap, the tree 39 of them).
/// Written piece by piece, the pages of the result come in as those of the pieces go.
fn concat_on_all_cores<T: Send>(
    pieces: Vec<Vec<T>>,
    adjust: impl Fn(usize, &mut T) + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    let total = pieces.iter().map(Vec::len).sum();
    let mut joined: Vec<T> = Vec::with_capacity(total);
    let mut places = Vec::with_capacity(pieces.len());
    let mut rest = &mut joined.spare_capacity_mut()[..total];
    for piece in &pieces {
        let (place, after) = std::mem::take(&mut rest).split_at_mut(piece.len());
        places.push(place);
        rest = after;
    }
    places
        .into_par_iter()
        .zip(pieces.into_par_iter().enumerate())
        .for_each(|(place, (index, piece))| {
            for (slot, mut item) in place.iter_mut().zip(piece) {
                adjust(index, &mut item);
                slot.write(item);
            }
        });
    // SAFETY: the places are consecutive and cover the first `total` slots of the room (their
    // lengths are the pieces' and sum to `total`), and each task wrote every slot of its
    // place, one per item of its piece. A panic in a task comes out of `for_each` before this
    // line: the items already written are then leaked, never read.
    unsafe { joined.set_len(total) };
    joined
}

/// Where the pieces of a big stream start: byte 0, then the first `---` line after each
/// `chunk_bytes`. `None` when there is nothing to split or the stream has a directive.
fn document_chunk_starts(text: &str, chunk_bytes: usize) -> Option<Vec<usize>> {
    if text.starts_with('%') || text.contains("\n%") {
        return None;
    }
    let mut starts = vec![0];
    let mut from = chunk_bytes;
    while from < text.len() {
        let Some(at) = next_document_marker(text, from) else {
            break;
        };
        starts.push(at);
        from = at + chunk_bytes;
    }
    (starts.len() > 1).then_some(starts)
}

/// The byte where the first `---` line at or after `from` starts (a line that is `---` alone
/// or followed by a blank: `---x` is a plain scalar), after a document with content on a line
/// of its own. A document that is only its marker line (`---`, `--- |`, `--- {}`, then blank
/// or comment lines) is not split from the one after it: the parser gives an empty value a
/// span that depends on what follows.
fn next_document_marker(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = text.get(at..)?.find("\n---") {
        let start = at + i + 1;
        if is_marker_line(&text[start..]) && !ends_empty_document(&text[..start]) {
            return Some(start);
        }
        at = start;
    }
    None
}

/// True when `rest` opens with a document marker: `---` alone or followed by a blank.
fn is_marker_line(rest: &str) -> bool {
    rest.starts_with("---")
        && matches!(
            rest.as_bytes().get(3),
            None | Some(b' ' | b'\t' | b'\r' | b'\n')
        )
}

/// True when the last line of `before` with content is a document marker line, or there is
/// none: the document before the split would be only its marker line.
fn ends_empty_document(before: &str) -> bool {
    before
        .lines()
        .rev()
        .map(str::trim_end)
        .find(|line| !line.is_empty() && !line.trim_start().starts_with('#'))
        .is_none_or(is_marker_line)
}

fn parse_sequentially(
    src: &SourceText,
    limits: &Limits,
    last_key_wins: bool,
) -> Result<(YamlTree, Vec<DocumentRoot>), YamlError> {
    let mut tree = YamlTree::default();
    // Room for one node per 4 bytes of manifest, reserved once rather than doubled from empty;
    // the slack is given back at the end, and room never written costs address space, not
    // memory. Manifests have one node per 5 to 9 bytes (the benchmark's Pods 7.8, its mixed
    // files 7.2): room for one per 8 was just short, so nearly every file's vectors were
    // doubled once near their end, copied, and their pages faulted in twice (a fifth of the
    // page faults of a 20,000-Pod run).
    let estimate = (src.text().len() / 4 + 8).min(limits.max_nodes as usize + 1);
    tree.nodes.reserve(estimate);
    tree.expanded.reserve(estimate);
    let mut docs = Vec::new();
    let mut anchors: HashMap<usize, NodeId> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    // The tree is kept for the whole run, so a collection's items and entries (most mappings
    // have one to three) are gathered in a buffer used again and again, then moved once into
    // a boxed slice of their exact length: no room to grow is kept (nor a capacity word), and
    // no vector is grown from empty per collection.
    let mut spare_items: Vec<Vec<NodeId>> = Vec::new();
    let mut spare_entries: Vec<Vec<Entry>> = Vec::new();
    let mut doc_index = 0usize;
    let mut total_nodes: u64 = 0;

    let err = |span: &Span, message: String| YamlError {
        line: span.start.line(),
        column: span.start.col() + 1,
        message,
    };

    for event in Parser::new_from_str(src.text()) {
        let (event, span) = event.map_err(|e| scan_error(&e))?;
        let bspan = src.byte_span(&span);
        // The node finished by this event, with its anchor id.
        let finished: Option<(NodeId, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                anchors.clear();
                None
            }
            Event::DocumentEnd => {
                doc_index += 1;
                None
            }
            Event::Alias(anchor) => match anchors.get(&anchor) {
                // An alias's node is shared: `usize::MAX` marks it so that a key is copied
                // out of it, never moved.
                Some(id) => Some((*id, usize::MAX)),
                None => return Err(err(&span, "alias refers to an unknown anchor".into())),
            },
            Event::Scalar(value, style, anchor, tag) => {
                let (kind, style) = resolve_scalar(value, style, tag.as_deref());
                total_nodes += 1;
                Some((
                    tree.push(
                        Node {
                            kind,
                            start: bspan.start as u32,
                            end: bspan.end as u32,
                            style,
                            flow: false,
                            height: 1,
                        },
                        1,
                    ),
                    anchor,
                ))
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= limits.max_depth {
                    return Err(err(
                        &span,
                        format!("nesting too deep: more than {} levels", limits.max_depth),
                    ));
                }
                let flow = src
                    .byte_at_char_span_start(&span)
                    .is_some_and(|b| b == b'[');
                stack.push(Frame::Seq {
                    start: bspan,
                    anchor,
                    flow,
                    items: spare_items.pop().unwrap_or_default(),
                    size: 1,
                    height: 0,
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= limits.max_depth {
                    return Err(err(
                        &span,
                        format!("nesting too deep: more than {} levels", limits.max_depth),
                    ));
                }
                let flow = src
                    .byte_at_char_span_start(&span)
                    .is_some_and(|b| b == b'{');
                stack.push(Frame::Map {
                    start: bspan,
                    anchor,
                    flow,
                    entries: spare_entries.pop().unwrap_or_default(),
                    merges: Vec::new(),
                    pending_key: None,
                    size: 1,
                    height: 0,
                });
                None
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq {
                    start,
                    anchor,
                    flow,
                    mut items,
                    size,
                    height,
                }) = stack.pop()
                else {
                    return Err(err(&span, "unbalanced sequence".into()));
                };
                let end = if flow {
                    bspan.end
                } else {
                    items
                        .last()
                        .map_or(start.end, |i| tree.node(*i).span().end)
                        .max(start.end)
                };
                total_nodes += 1;
                let exact: Box<[NodeId]> = items.drain(..).collect();
                spare_items.push(items);
                Some((
                    tree.push(
                        Node {
                            kind: NodeKind::Sequence { items: exact },
                            start: start.start as u32,
                            end: end as u32,
                            style: Style::Plain,
                            flow,
                            height: height + 1,
                        },
                        size,
                    ),
                    anchor,
                ))
            }
            Event::MappingEnd => {
                let Some(Frame::Map {
                    start,
                    anchor,
                    flow,
                    mut entries,
                    merges,
                    size,
                    height,
                    ..
                }) = stack.pop()
                else {
                    return Err(err(&span, "unbalanced mapping".into()));
                };
                let end = if flow {
                    bspan.end
                } else {
                    entries
                        .last()
                        .map_or(start.end, |e| tree.node(e.value).span().end)
                        .max(start.end)
                };
                // Merge keys: explicit keys win, then earlier merge sources win over later ones.
                for source in &merges {
                    let sources: Vec<NodeId> = match &tree.node(*source).kind {
                        NodeKind::Mapping { .. } => vec![*source],
                        NodeKind::Sequence { items, .. } => items.to_vec(),
                        _ => {
                            return Err(err(
                                &span,
                                "merge key `<<` needs a mapping or a list of mappings".into(),
                            ));
                        }
                    };
                    for s in sources {
                        let NodeKind::Mapping {
                            entries: merged, ..
                        } = &tree.node(s).kind
                        else {
                            return Err(err(
                                &span,
                                "merge key `<<` needs a mapping or a list of mappings".into(),
                            ));
                        };
                        for e in merged.clone() {
                            if !entries.iter().any(|x| x.key == e.key) {
                                entries.push(Entry { merged: true, ..e });
                            }
                        }
                    }
                }
                total_nodes += 1;
                let exact: Box<[Entry]> = entries.drain(..).collect();
                spare_entries.push(entries);
                Some((
                    tree.push(
                        Node {
                            kind: NodeKind::Mapping { entries: exact },
                            start: start.start as u32,
                            end: end as u32,
                            style: Style::Plain,
                            flow,
                            height: height + 1,
                        },
                        size,
                    ),
                    anchor,
                ))
            }
        };

        if total_nodes > limits.max_nodes {
            return Err(node_count_error(&span, limits));
        }

        let Some((id, anchor)) = finished else {
            continue;
        };
        let shared = anchor != 0;
        if shared && anchor != usize::MAX {
            anchors.insert(anchor, id);
        }
        let child_size = tree.expanded_size(id);
        let child_height = tree.height(id);
        if stack.len() + child_height as usize > limits.max_depth + 1 {
            return Err(err(
                &span,
                format!(
                    "nesting too deep: more than {} levels once aliases are expanded",
                    limits.max_depth
                ),
            ));
        }
        match stack.last_mut() {
            None => docs.push(DocumentRoot {
                root: id,
                index: doc_index,
            }),
            Some(Frame::Seq {
                items,
                size,
                height,
                ..
            }) => {
                *height = (*height).max(child_height);
                items.push(id);
                *size = size.saturating_add(child_size);
                if *size > limits.max_expanded_nodes {
                    return Err(alias_error(&span, limits));
                }
            }
            Some(Frame::Map {
                entries,
                merges,
                pending_key,
                size,
                height,
                ..
            }) => {
                *height = (*height).max(child_height);
                *size = size.saturating_add(child_size);
                if *size > limits.max_expanded_nodes {
                    return Err(alias_error(&span, limits));
                }
                match pending_key.take() {
                    None => {
                        let key = match &mut tree.nodes[id.0 as usize].kind {
                            // The entry owns the key's text; a key node that no alias can
                            // reach gives its string up rather than keeping a second copy
                            // (half of a manifest's scalars are keys). Nothing reads a key
                            // node's value: its span and style are what is used.
                            NodeKind::Str(s) if !shared => std::mem::take(s),
                            kind => match scalar_key_text(kind) {
                                Some(key) => key,
                                None => return Err(err(&span, COLLECTION_KEY.into())),
                            },
                        };
                        *pending_key = Some((key, id));
                    }
                    Some((key, key_node)) => {
                        let key_is_merge = key == "<<" && tree.node(key_node).style == Style::Plain;
                        if key_is_merge {
                            merges.push(id);
                        } else if last_key_wins
                            && let Some(e) = entries.iter_mut().find(|e| e.key == key)
                        {
                            e.key_node = key_node;
                            e.value = id;
                        } else if entries.iter().any(|e| e.key == key) {
                            let k = tree.node(key_node).span();
                            let (line, column) = src.line_col(k.start);
                            return Err(YamlError {
                                line,
                                column,
                                message: format!("duplicate key `{key}` in the same mapping"),
                            });
                        } else {
                            entries.push(Entry {
                                key,
                                key_node,
                                value: id,
                                merged: false,
                            });
                        }
                    }
                }
            }
        }
    }
    // The tree lives as long as its file: the slack of the vectors' last doubling (up to half
    // of them) is given back.
    tree.nodes.shrink_to_fit();
    tree.expanded.shrink_to_fit();
    Ok((tree, docs))
}

/// The parser's own error, at its position.
pub(super) fn scan_error(e: &saphyr_parser::ScanError) -> YamlError {
    YamlError {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: if e.info() == "recursion limit exceeded" {
            "nesting too deep: flow collections nested beyond the parser's limit".to_string()
        } else {
            e.info().to_string()
        },
    }
}

/// What a collection used as a mapping key is told.
pub(super) const COLLECTION_KEY: &str =
    "a mapping key must be a plain value, not a list or mapping";

/// The text a scalar key is known by in its mapping (`1` and `"1"` are the same key), or
/// `None` for a collection.
pub(super) fn scalar_key_text(kind: &NodeKind) -> Option<CompactString> {
    use compact_str::ToCompactString;
    Some(match kind {
        NodeKind::Str(s) => s.clone(),
        NodeKind::Int(i) => i.to_compact_string(),
        NodeKind::Bool(b) => b.to_compact_string(),
        NodeKind::Float(f) => f.to_compact_string(),
        NodeKind::Null => CompactString::const_new("null"),
        NodeKind::Sequence { .. } | NodeKind::Mapping { .. } => return None,
    })
}

/// A file with more nodes than the limit, at the node that went over it.
pub(super) fn node_count_error(span: &Span, limits: &Limits) -> YamlError {
    YamlError {
        line: span.start.line(),
        column: span.start.col() + 1,
        message: format!("more than {} YAML nodes in one file", limits.max_nodes),
    }
}

pub(super) fn alias_error(span: &Span, limits: &Limits) -> YamlError {
    YamlError {
        line: span.start.line(),
        column: span.start.col() + 1,
        message: format!(
            "aliases expand to more than {} nodes (a \"billion laughs\" document?)",
            limits.max_expanded_nodes
        ),
    }
}

/// Plain-scalar resolution as Kubernetes tooling does it (sigs.k8s.io/yaml, i.e. go-yaml v2's
/// YAML 1.1 rules): `yes`/`on`/`y` are booleans and `0644` is octal (a `defaultMode` of 0644
/// is 420). Quoted and block scalars are strings; `!!str`-style core tags are honoured.
pub(super) fn resolve_scalar(
    value: std::borrow::Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&saphyr_parser::Tag>,
) -> (NodeKind, Style) {
    let style = match style {
        ScalarStyle::Plain => Style::Plain,
        ScalarStyle::SingleQuoted => Style::SingleQuoted,
        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
        ScalarStyle::Literal => Style::Literal,
        ScalarStyle::Folded => Style::Folded,
    };
    if let Some(tag) = tag {
        if tag.is_yaml_core_schema() {
            let parsed = match tag.suffix.as_str() {
                "str" => return (NodeKind::Str(CompactString::from(value)), style),
                "int" => parse_int(&value).map(NodeKind::Int),
                "float" => value.parse().ok().map(NodeKind::Float),
                "bool" => parse_bool(&value).map(NodeKind::Bool),
                "null" => Some(NodeKind::Null),
                _ => None,
            };
            return (
                parsed.unwrap_or_else(|| NodeKind::Str(CompactString::from(value))),
                style,
            );
        }
        return (NodeKind::Str(CompactString::from(value)), style);
    }
    if style != Style::Plain {
        return (NodeKind::Str(CompactString::from(value)), style);
    }
    // A string takes the scanner's own text, moved rather than copied.
    let kind =
        plain_non_string(&value).unwrap_or_else(|| NodeKind::Str(CompactString::from(value)));
    (kind, style)
}

/// The JSON value of a scalar's kind (`null` for a collection, which has no scalar value; a
/// float JSON cannot hold, NaN or infinity, is `null` too).
pub(crate) fn scalar_json(kind: NodeKind) -> serde_json::Value {
    use serde_json::Value;
    match kind {
        NodeKind::Bool(b) => Value::Bool(b),
        NodeKind::Int(i) => Value::from(i),
        NodeKind::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        NodeKind::Str(s) => Value::String(s.into_string()),
        NodeKind::Null | NodeKind::Sequence { .. } | NodeKind::Mapping { .. } => Value::Null,
    }
}

/// What an untagged plain scalar resolves to when it is not a string (null, a boolean, a
/// number), by the core schema as kubectl reads it; `None` for a string.
fn plain_non_string(value: &str) -> Option<NodeKind> {
    Some(match value {
        "" | "~" | "null" | "Null" | "NULL" => NodeKind::Null,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => NodeKind::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => NodeKind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => NodeKind::Float(f64::NAN),
        _ => {
            if let Some(b) = parse_bool(value) {
                NodeKind::Bool(b)
            } else if let Some(i) = parse_int(value) {
                NodeKind::Int(i)
            } else {
                NodeKind::Float(parse_float(value)?)
            }
        }
    })
}

/// The value of `text` written as a plain scalar, without running the parser, when the text
/// is a plain word: ASCII letters, digits, `-`, `_`, `.` and `/`, opening with a letter or a
/// digit. Such text cannot hold an indicator, a comment, a document marker or whitespace, so
/// the scanner reads it back verbatim and only its resolution remains. `None` for any other
/// text (the caller parses it). What fixes write is almost always such a word (`true`,
/// `RuntimeDefault`, `securityContext`, a container name).
pub(crate) fn plain_word_kind(text: &str) -> Option<NodeKind> {
    is_plain_word(text)
        .then(|| plain_non_string(text).unwrap_or_else(|| NodeKind::Str(CompactString::from(text))))
}

/// [`plain_word_kind`] reduced to "is it a string?", without copying the text.
pub(crate) fn plain_word_is_string(text: &str) -> Option<bool> {
    is_plain_word(text).then(|| plain_non_string(text).is_none())
}

fn is_plain_word(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

/// Integers as go-yaml v2 reads them: optional sign, `_` separators, `0x`/`0o`/`0b` prefixes,
/// and a leading `0` meaning octal.
fn parse_int(v: &str) -> Option<i64> {
    let (neg, digits) = match v.as_bytes().first()? {
        b'-' => (true, &v[1..]),
        b'+' => (false, &v[1..]),
        // go-yaml looks at the first character before it tries a number; so do we, before
        // allocating (most plain scalars are words, and this runs for each of them).
        b'0'..=b'9' => (false, v),
        _ => return None,
    };
    let digits = digits.replace('_', "");
    if digits.is_empty() {
        return None;
    }
    let (radix, body) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else if let Some(b) = digits.strip_prefix("0b") {
        (2, b)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits.as_str())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = i64::from_str_radix(body, radix).ok()?;
    Some(if neg { -n } else { n })
}

fn parse_float(v: &str) -> Option<f64> {
    let ok = v
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E' | b'_'))
        && v.bytes().any(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    v.replace('_', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: &str) -> NodeKind {
        resolve_scalar(v.into(), ScalarStyle::Plain, None).0
    }

    #[test]
    fn resolves_scalars_like_kubectl() {
        assert!(matches!(plain("yes"), NodeKind::Bool(true)));
        assert!(matches!(plain("Off"), NodeKind::Bool(false)));
        assert!(matches!(plain("0644"), NodeKind::Int(420)));
        assert!(matches!(plain("0x1F"), NodeKind::Int(31)));
        assert!(matches!(plain("-12"), NodeKind::Int(-12)));
        assert!(matches!(plain("1_000"), NodeKind::Int(1000)));
        assert!(matches!(plain("0.5"), NodeKind::Float(f) if f == 0.5));
        assert!(matches!(plain("1e3"), NodeKind::Float(f) if f == 1000.0));
        assert!(matches!(plain("~"), NodeKind::Null));
        assert!(matches!(plain("089"), NodeKind::Float(f) if f == 89.0));
        assert!(matches!(plain("500m"), NodeKind::Str(_)));
        assert!(matches!(plain("1.2.3"), NodeKind::Str(_)));
        let (quoted, _) = resolve_scalar("yes".into(), ScalarStyle::DoubleQuoted, None);
        assert!(matches!(quoted, NodeKind::Str(s) if s == "yes"));
    }

    /// The documents of many shapes a big stream can hold, in one stream.
    fn varied_stream(copies: usize) -> String {
        let shapes = [
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {app: web}\n",
            "--- |\nliteral\n  text\n",
            "--- >\n folded\n",
            "---\n",
            "---\nbase: &b {cpu: 1}\nuse:\n  <<: *b\n  mem: 2\nlist: [1, 2,\n  3]\n",
            "--- plain scalar\n",
            "---\n# only a comment\n",
            "---\nkey: 'quoted # not a comment'\n...\n",
            "---\nunicode: \"é ü 🚀\"\nnested:\n  - a: 1\n    b: [x, {y: z}]\n",
            "---x: not a marker\n",
            "---\r\ncrlf: yes\r\n",
            "---\t\nafter_tab: 1\n",
            "--- |\n",
            "--- # a comment on the marker\n",
            "--- {}\n",
            "--- []\n",
            "---\nended: 1\n...\n# after the end\n",
            "--- >-\n  folded\n\n\n",
            "---\nseq:\n- a\n- b\n",
            "--- |\n  # content, not a comment\n",
            "---\n...\n",
            "key: after an end marker\n",
        ];
        let mut out = String::new();
        for i in 0..copies {
            for shape in shapes {
                out.push_str(&shape.replace('p', &format!("p{i}")));
            }
        }
        out
    }

    fn same_parse(
        a: &(YamlTree, Vec<DocumentRoot>),
        b: &(YamlTree, Vec<DocumentRoot>),
    ) -> Result<(), String> {
        if a.0.len() != b.0.len() {
            return Err(format!("{} nodes against {}", a.0.len(), b.0.len()));
        }
        for i in 0..a.0.len() {
            let id = NodeId(i as u32);
            let (x, y) = (a.0.node(id), b.0.node(id));
            if format!("{x:?}") != format!("{y:?}")
                || a.0.expanded_size(id) != b.0.expanded_size(id)
                || a.0.height(id) != b.0.height(id)
            {
                return Err(format!("node {i}: {x:?} against {y:?}"));
            }
        }
        let docs = |d: &[DocumentRoot]| d.iter().map(|d| (d.root, d.index)).collect::<Vec<_>>();
        if docs(&a.1) != docs(&b.1) {
            return Err("documents differ".into());
        }
        Ok(())
    }

    /// A big stream is parsed in pieces on all cores: the tree is the one a sequential parse
    /// builds, node for node, whatever the pieces' size.
    #[test]
    fn a_stream_parsed_in_pieces_is_the_stream_parsed_whole() {
        let text = varied_stream(40);
        let src = SourceText::new(&text);
        let limits = Limits::default();
        let whole = parse_sequentially(&src, &limits, false).unwrap();
        assert!(whole.1.len() > 400, "{} documents", whole.1.len());
        for chunk in [1, 64, 1000, 10_000] {
            let starts = document_chunk_starts(&text, chunk).unwrap();
            assert!(starts.len() > 1, "{chunk}: one piece");
            for &s in &starts[1..] {
                assert!(text[s..].starts_with("---") && text[..s].ends_with('\n'));
                assert!(!text[s..].starts_with("---x"));
            }
            let pieces = parse_in_chunks(&src, &limits, false, chunk).expect("parsed in pieces");
            same_parse(&pieces, &whole).unwrap_or_else(|e| panic!("pieces of {chunk}: {e}"));
        }
    }

    /// Every multi-document file of the fixtures (and of the PSA corpus) reads the same in
    /// pieces as whole, split at every marker there is.
    #[test]
    fn every_fixture_stream_reads_the_same_in_pieces() {
        let limits = Limits::default();
        let (mut split, mut seen) = (0, 0);
        for (path, text) in crate::manifest::yaml_files_under(&["fixtures", "tests/data"]) {
            seen += 1;
            let src = SourceText::new(&text);
            let Ok(whole) = parse_sequentially(&src, &limits, false) else {
                continue;
            };
            if let Some(pieces) = parse_in_chunks(&src, &limits, false, 1) {
                split += 1;
                same_parse(&pieces, &whole).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
        assert!(seen > 100 && split > 20, "{split} of {seen} files split");
    }

    /// A tree holds every node of every file for the whole run: a node and its counts take
    /// 44 bytes (a collection's items are a boxed slice, its span is two 32-bit offsets, its
    /// flow flag and the subtree's height sit in the node's spare room, its expanded size is in
    /// 32 bits; 68 before), and an expanded size too big for 32 bits is kept as the largest,
    /// over any limit.
    #[test]
    fn a_node_and_its_counts_take_44_bytes() {
        assert_eq!(std::mem::size_of::<Node>(), 40);
        let text = "a: &x [1, 2, {b: c}]\nd: *x\n";
        let (tree, docs) = parse_stream(&SourceText::new(text), &Limits::default()).unwrap();
        assert_eq!(
            tree.expanded.capacity() * std::mem::size_of_val(&tree.expanded[0]),
            tree.len() * 4
        );
        // The root stands for its 2 keys and 2 values, each value a list of 4 nodes once `*x`
        // is expanded, and 3 levels: mapping, list, mapping.
        assert_eq!(tree.expanded_size(docs[0].root), 1 + 2 + 2 * 6);
        assert_eq!(tree.height(docs[0].root), 4);
        let mut big = YamlTree::default();
        let leaf = |height| Node {
            kind: NodeKind::Null,
            start: 0,
            end: 0,
            style: Style::Plain,
            flow: false,
            height,
        };
        let id = big.push(leaf(1), u64::from(u32::MAX) + 5);
        assert_eq!(big.expanded_size(id), u64::from(u32::MAX));
        assert!(big.expanded_size(id) > Limits::default().max_expanded_nodes);
    }

    /// Pieces are joined in order, each item adjusted with its own piece's index; empty pieces
    /// take no place.
    #[test]
    fn pieces_are_joined_in_order_on_all_cores() {
        let pieces = vec![vec![1, 2], vec![], vec![3], vec![4, 5, 6]];
        let joined = concat_on_all_cores(pieces, |piece, item| *item += 100 * piece);
        assert_eq!(joined, [1, 2, 203, 304, 305, 306]);
        // Items that own memory are moved, not copied: each is in the result once.
        let pieces: Vec<Vec<String>> = (0..40)
            .map(|p| (0..p % 7).map(|i| format!("{p}.{i}")).collect())
            .collect();
        let expected: Vec<String> = pieces.iter().flatten().map(|s| format!("{s}!")).collect();
        let joined = concat_on_all_cores(pieces, |_, item| item.push('!'));
        assert_eq!(joined, expected);
        assert!(concat_on_all_cores(Vec::<Vec<u8>>::new(), |_, _| {}).is_empty());
    }

    /// A stream that cannot be split safely, or a piece that fails, goes back to the
    /// sequential parse, which gives the error a user sees, at the line of the whole file.
    #[test]
    fn a_stream_is_parsed_whole_when_pieces_cannot_stand_alone() {
        let limits = Limits::default();
        let directive = format!("%YAML 1.2\n{}", varied_stream(3));
        assert!(document_chunk_starts(&directive, 1).is_none());
        let broken = format!("{}---\na: [1,\n{}", varied_stream(3), varied_stream(3));
        let src = SourceText::new(&broken);
        assert!(parse_in_chunks(&src, &limits, false, 64).is_none());
        let whole = parse_sequentially(&src, &limits, false).unwrap_err();
        assert_eq!(parse(&src, &limits, false).unwrap_err(), whole);
        assert!(whole.line > 50, "{whole}");
        // The node limit counts the whole stream, not each piece.
        let few = Limits {
            max_nodes: 300,
            ..Limits::default()
        };
        let text = varied_stream(10);
        let src = SourceText::new(&text);
        assert!(parse_in_chunks(&src, &few, false, 64).is_none());
        assert!(parse_sequentially(&src, &few, false).is_err());
    }

    /// Every event (and error) of `text` with its span, as the parser gives them.
    fn events_of<'a, I: saphyr_parser::Input>(parser: Parser<'a, I>) -> Vec<String> {
        let mut out = Vec::new();
        for next in parser {
            let stop = next.is_err();
            out.push(format!("{next:?}"));
            // The parser repeats its error forever.
            if stop || out.len() > 10_000 {
                break;
            }
        }
        out
    }

    /// The vendored parser's `&str` input takes a plain scalar's characters as one run (the
    /// fork's speed change); the generic input takes them one at a time, as upstream's scanner
    /// does. Both read the same events at the same places, errors included, on every fixture
    /// and on the characters that end (or do not end) a plain scalar.
    #[test]
    fn a_plain_scalar_taken_as_one_run_reads_as_taken_a_character_at_a_time() {
        let mut texts: Vec<String> = [
            "a: b\n",
            "url: http://example.com:8080/path#frag\n",
            "k: a:b\nl: a: b\n",
            "flow: [a:b, c: d, e:, f:[g], h:{i}, j,k]\n",
            "flow: {a:b: c, 'q': x:y}\n",
            "e: caf\u{e9} \u{2603} \u{1F600}x\n",
            "bom: a\u{FEFF}b\n",
            "tab: a\tb\n",
            "nul: a\u{0}b\n",
            "multi: one\n  two\n\n  three # c\n",
            "cr: a\r\nb: c\r\n",
            "- -a\n- a-\n- a#b\n- a #b\n",
            "[-a, a-]\n",
            "[a, -]\n",
            "key:\n  - x:\ty\n",
            "end: a:",
            "end: a",
            "k: \u{e9}:\u{e9}\n",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        texts.push(format!("long: {}\n", "x".repeat(1000)));
        texts.push(format!(
            "long: {}:{}\n",
            "\u{e9}".repeat(300),
            "y".repeat(300)
        ));
        texts.extend(
            crate::manifest::yaml_files_under(&["fixtures", "tests/data"])
                .into_iter()
                .map(|(_, text)| text),
        );
        assert!(texts.len() > 100, "{} texts", texts.len());
        for text in &texts {
            let run = events_of(Parser::new_from_str(text));
            let by_char = events_of(Parser::new(saphyr_parser::BufferedInput::new(text.chars())));
            assert_eq!(run, by_char, "{text:?}");
        }
    }

    /// The parser-free reading of a plain word is what the parser reads, and anything that
    /// is not a plain word is left to the parser.
    #[test]
    fn a_plain_word_reads_as_the_parser_reads_it() {
        let same = |a: &NodeKind, b: &NodeKind| match (a, b) {
            (NodeKind::Float(x), NodeKind::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
            (NodeKind::Null, NodeKind::Null) => true,
            (NodeKind::Bool(x), NodeKind::Bool(y)) => x == y,
            (NodeKind::Int(x), NodeKind::Int(y)) => x == y,
            (NodeKind::Str(x), NodeKind::Str(y)) => x == y,
            _ => false,
        };
        for word in [
            "true",
            "y",
            "Off",
            "null",
            "NULL",
            "RuntimeDefault",
            "ALL",
            "0644",
            "0x1F",
            "1e3",
            "089",
            "500m",
            "1.2.3",
            "app",
            "pod-12",
            "net.ipv4.ip_forward",
            "a/b",
            "k8s_io",
            "1_000",
            "0.5",
            "6e",
            "0b101",
            "infinity",
            "nan",
            "0o17",
        ] {
            let src = SourceText::new(word);
            let (tree, docs) = parse_stream(&src, &Limits::default()).unwrap();
            let parsed = &tree.node(docs[0].root).kind;
            let fast = plain_word_kind(word).unwrap_or_else(|| panic!("{word} is a plain word"));
            assert!(
                same(&fast, parsed),
                "{word}: {fast:?} but the parser reads {parsed:?}"
            );
            let is_string = matches!(parsed, NodeKind::Str(_));
            assert_eq!(plain_word_is_string(word), Some(is_string), "{word}");
        }
        for other in [
            "", "-1", ".inf", "- a", "a b", "a: b", "a#b", "#a", "'a'", "\"a\"", "a,b", "[a]",
            "{a}", "*a", "&a", "!a", "...", "---", "a:", "é", "~", "+1", "a\tb",
        ] {
            assert!(
                plain_word_kind(other).is_none(),
                "{other:?} is not a plain word"
            );
        }
    }
}
