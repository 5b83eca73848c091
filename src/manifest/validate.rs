//! Whether a text reads as YAML the way [`super::parse_stream`] reads it, without building the
//! tree: what fix verification asks of every object with fixes (a whole file's worth of
//! re-parsing on a big run, where the tree was built and thrown away at once).
//!
//! It rejects what `parse_stream` rejects and an edit can cause: the parser's own errors,
//! nesting beyond the limit, too many nodes, a list or mapping used as a mapping key, an alias
//! to an unknown anchor, and a key repeated in one mapping (keys compared as `parse_stream`
//! compares them: `1` and `"1"` are one key). It does not expand aliases or merge keys to
//! count what they expand to, nor check what a merge key points at: a fix never writes an
//! anchor, an alias or a merge key, and the document it edits was read by `parse_stream`
//! already. `validate_agrees_with_parse_stream` (tests) holds the two together.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, Span};

use super::limits::Limits;
use super::yaml::{
    COLLECTION_KEY, NodeKind, Style, YamlError, node_count_error, resolve_scalar, scalar_key_text,
    scan_error,
};

/// What an anchor names, as far as keys care: a scalar's key text, or a collection.
type Anchored = Option<compact_str::CompactString>;

enum Open {
    Seq,
    Map {
        keys: Vec<compact_str::CompactString>,
        /// The key read, waiting for its value (`None` while a key is expected).
        pending: Option<()>,
    },
}

/// `Ok` when `text` is YAML that [`super::parse_stream`] would read.
pub fn validate(text: &str, limits: &Limits) -> Result<(), YamlError> {
    let err = |span: &Span, message: String| YamlError {
        line: span.start.line(),
        column: span.start.col() + 1,
        message,
    };
    let mut stack: Vec<(Open, usize)> = Vec::new();
    let mut anchors: HashMap<usize, Anchored> = HashMap::new();
    let mut nodes: u64 = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| scan_error(&e))?;
        // The node this event finishes: its key text (None for a collection) and whether it
        // is a plain `<<`.
        let finished: Option<(Anchored, bool)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart(_) => {
                anchors.clear();
                None
            }
            Event::Alias(anchor) => match anchors.get(&anchor) {
                Some(named) => Some((named.clone(), false)),
                None => return Err(err(&span, "alias refers to an unknown anchor".into())),
            },
            Event::Scalar(value, style, anchor, tag) => {
                nodes += 1;
                let is_key = matches!(stack.last(), Some((Open::Map { pending: None, .. }, _)));
                if !is_key && anchor == 0 {
                    // A value: nothing about its text can make the YAML invalid.
                    Some((None, false))
                } else {
                    let (kind, style) = resolve_scalar(value, style, tag.as_deref());
                    let merge =
                        style == Style::Plain && matches!(&kind, NodeKind::Str(s) if s == "<<");
                    let key = scalar_key_text(&kind);
                    if anchor != 0 {
                        anchors.insert(anchor, key.clone());
                    }
                    Some((key, merge))
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= limits.max_depth {
                    return Err(err(
                        &span,
                        format!("nesting too deep: more than {} levels", limits.max_depth),
                    ));
                }
                let open = if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq
                } else {
                    Open::Map {
                        keys: Vec::new(),
                        pending: None,
                    }
                };
                stack.push((open, anchor));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((_, anchor)) = stack.pop() else {
                    return Err(err(&span, "unbalanced collection".into()));
                };
                nodes += 1;
                if anchor != 0 {
                    anchors.insert(anchor, None);
                }
                Some((None, false))
            }
        };
        if nodes > limits.max_nodes {
            return Err(node_count_error(&span, limits));
        }
        let Some((key, merge)) = finished else {
            continue;
        };
        let Some((Open::Map { keys, pending }, _)) = stack.last_mut() else {
            continue;
        };
        if pending.take().is_some() {
            continue;
        }
        let Some(key) = key else {
            return Err(err(&span, COLLECTION_KEY.into()));
        };
        *pending = Some(());
        if merge {
            continue;
        }
        if keys.contains(&key) {
            return Err(err(
                &span,
                format!("duplicate key `{key}` in the same mapping"),
            ));
        }
        keys.push(key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{SourceText, parse_stream};

    /// The shapes fix verification meets, and the ways a bad edit could break them: each is
    /// read the same by both (accepted by both, or refused by both at the same place).
    #[test]
    fn validate_agrees_with_parse_stream() {
        let cases = [
            "a: 1\nb: [1, 2]\nc: {d: e}\n",
            "a: 1\na: 2\n",
            "a: 1\n\"a\": 2\n",
            "1: x\n\"1\": y\n",
            "true: x\n'true': y\n",
            "? [a, b]\n: c\n",
            "? {a: b}\n: c\n",
            "a: &x 1\nb: *x\n",
            "a: *nope\n",
            "base: &b {x: 1}\nother:\n  <<: *b\n  x: 2\n",
            "a:\n  - b: 1\n    b: 2\n",
            "a: 1\n---\na: 2\n---\n",
            "spec:\n  containers:\n  - name: a\n    securityContext:\n      runAsNonRoot: true\n      runAsNonRoot: true\n",
            "a:\n  b: 1\n c: 2\n",
            "a: [1, 2\n",
            "a: 'unterminated\n",
            "a:\n\t- b\n",
            "- a\nb: c\n",
            "a: |\n  text\n  more\nb: 2\n",
            "{a: 1, a: 2}\n",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
        ];
        let limits = Limits::default();
        for case in cases {
            let parsed = parse_stream(&SourceText::new(case), &limits).map(|_| ());
            let validated = validate(case, &limits);
            assert_eq!(
                parsed.as_ref().map_err(|e| (e.line, e.column)),
                validated.as_ref().map_err(|e| (e.line, e.column)),
                "{case:?}: parse_stream {parsed:?}, validate {validated:?}"
            );
        }
        // A key repeated through an alias: refused by both (`parse_stream` points at the
        // anchored key, `validate` at the alias; a fix writes no alias).
        let aliased = "&k key: 1\n*k : 2\n";
        assert!(parse_stream(&SourceText::new(aliased), &limits).is_err());
        assert!(validate(aliased, &limits).is_err());
    }

    #[test]
    fn every_fixture_reads_the_same_either_way() {
        let limits = Limits::default();
        let mut seen = 0;
        for (path, text) in crate::manifest::yaml_files_under(&["fixtures"]) {
            seen += 1;
            let parsed = parse_stream(&SourceText::new(&text), &limits).is_ok();
            assert_eq!(
                parsed,
                validate(&text, &limits).is_ok(),
                "{}",
                path.display()
            );
        }
        assert!(seen > 20, "only {seen} fixture files");
    }
}
