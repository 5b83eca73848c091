//! Field path -> file position. A missing field is located at its nearest existing parent,
//! which is where a fix would insert it.

use super::path::{FieldPath, Segment};
use super::source::SourceText;
use super::yaml::{NodeId, YamlTree};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Byte offset (into the BOM-less text) of the key, item or node that was found.
    pub byte: usize,
    /// 1-based file line and column.
    pub line: usize,
    pub column: usize,
    /// False when the path does not exist and this is the nearest existing parent.
    pub exact: bool,
    /// The deepest part of the path that exists.
    pub found: FieldPath,
    /// The node at `found`.
    pub node: NodeId,
}

pub(super) fn node_at(tree: &YamlTree, root: NodeId, path: &FieldPath) -> Option<NodeId> {
    let mut node = root;
    for seg in path.segments() {
        node = match seg {
            Segment::Key(k) => tree.get(node, k)?,
            Segment::Index(i) => *tree.items(node).get(*i)?,
        };
    }
    Some(node)
}

pub(super) fn locate(
    tree: &YamlTree,
    src: &SourceText,
    root: NodeId,
    path: &FieldPath,
) -> Location {
    let mut node = root;
    let mut byte = tree.node(root).span().start;
    let mut found = FieldPath::root();
    let mut exact = true;
    for seg in path.segments() {
        let next = match seg {
            Segment::Key(k) => tree
                .entry(node, k)
                .map(|e| (e.value, tree.node(e.key_node).span().start)),
            Segment::Index(i) => tree
                .items(node)
                .get(*i)
                .map(|n| (*n, tree.node(*n).span().start)),
        };
        match next {
            Some((n, b)) => {
                node = n;
                byte = b;
                found = match seg {
                    Segment::Key(k) => found.key(k.clone()),
                    Segment::Index(i) => found.index(*i),
                };
            }
            None => {
                exact = false;
                break;
            }
        }
    }
    let (line, column) = src.line_col(byte);
    Location {
        byte,
        line,
        column,
        exact,
        found,
        node,
    }
}
