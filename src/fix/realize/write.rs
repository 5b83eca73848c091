//! Changes -> text: where each change goes in the author's text and how it is written (block
//! or flow, the file's indentation, list style and line ending).

use super::{
    ALIAS_NEARBY, Changes, Context, NewValue, Pending, changes_of, dash_before, dedup_ids,
};
use crate::fix::push_spaces;
use crate::manifest::{ByteSpan, NodeId, NodeKind, Style};

use crate::fix::scalar::{
    double_quoted, flow_collection_json, item_value, render_item, render_key, render_replacement,
    render_value, scalar_value,
};

impl Context<'_> {
    pub(super) fn emit(&self, ch: &Changes) -> Result<Vec<Pending>, String> {
        let mut out = Vec::new();
        for (node, value) in &ch.replace {
            self.emit_replace(*node, value, &mut out)?;
        }
        for (node, value) in &ch.fill {
            self.emit_fill(*node, value, &mut out)?;
        }
        let mut maps: Vec<NodeId> = ch.insert.iter().map(|(n, _)| *n).collect();
        maps.extend(ch.remove_entries.iter().map(|(n, _)| *n));
        dedup_ids(&mut maps);
        for m in maps {
            let (inserts, removed) = (changes_of(&ch.insert, m), changes_of(&ch.remove_entries, m));
            self.emit_mapping(m, inserts, removed, &mut out)?;
        }
        let mut seqs: Vec<NodeId> = ch.append.iter().map(|(n, _)| *n).collect();
        seqs.extend(ch.remove_items.iter().map(|(n, _)| *n));
        dedup_ids(&mut seqs);
        for s in seqs {
            let (appends, removed) = (changes_of(&ch.append, s), changes_of(&ch.remove_items, s));
            self.emit_sequence(s, appends, removed, &mut out)?;
        }
        Ok(out)
    }

    fn in_flow(&self, n: NodeId) -> bool {
        self.parents.get(&n).is_some_and(|p| {
            let collection = self.tree.node(p.collection);
            collection.flow
                && matches!(
                    collection.kind,
                    NodeKind::Mapping { .. } | NodeKind::Sequence { .. }
                )
        })
    }

    fn emit_replace(
        &self,
        node: NodeId,
        value: &str,
        out: &mut Vec<Pending>,
    ) -> Result<(), String> {
        let n = self.tree.node(node);
        let flow = self.in_flow(node);
        if n.span().start == n.span().end {
            // `key:` with nothing after it: the empty value sits on the colon.
            let colon = self.colon_after(n.span().start)?;
            out.push(Pending {
                start: colon + 1,
                end: colon + 1,
                text: format!(" {}", render_value(value, flow)?),
                depth: self.depth(node),
            });
            return Ok(());
        }
        let text = if self.json {
            flow_value(value, true)?
        } else {
            render_replacement(value, n.style, flow)?
        };
        out.push(Pending {
            start: n.span().start,
            end: n.span().end,
            text,
            depth: self.depth(node),
        });
        Ok(())
    }

    fn emit_fill(
        &self,
        node: NodeId,
        value: &NewValue,
        out: &mut Vec<Pending>,
    ) -> Result<(), String> {
        let n = self.tree.node(node);
        let parent = *self
            .parents
            .get(&node)
            .ok_or("an empty value outside the object")?;
        let collection = self.tree.node(parent.collection);
        let (NodeKind::Mapping { entries }, flow) = (&collection.kind, &collection.flow) else {
            return Err("an empty value outside a mapping".into());
        };
        let key = self.tree.node(entries[parent.index].key_node);
        let depth = self.depth(node);
        if *flow {
            let text = render_flow(value, self.json)?;
            if n.span().start == n.span().end {
                let colon = self.colon_after(n.span().start)?;
                out.push(Pending {
                    start: colon + 1,
                    end: colon + 1,
                    text: format!(" {text}"),
                    depth,
                });
            } else {
                out.push(Pending {
                    start: n.span().start,
                    end: n.span().end,
                    text,
                    depth,
                });
            }
            return Ok(());
        }
        let key_col = self.col(key.span().start);
        if n.span().start != n.span().end {
            // `key: ~` -> `key:`, then the block below it.
            let colon = self.colon_after(key.span().end)?;
            out.push(Pending {
                start: colon + 1,
                end: n.span().end,
                text: String::new(),
                depth,
            });
        }
        let at = self.line_after(n.span().end.max(key.span().end));
        let text = written(|text| match value {
            NewValue::Map(m) => {
                for (k, v) in m {
                    self.render_block(text, key_col + self.layout.step, k, v)?;
                }
                Ok(())
            }
            NewValue::List(items) => self.render_items(text, key_col, items),
            NewValue::Scalar(_) => Err("an empty value cannot take a scalar here".into()),
        })?;
        out.push(Pending {
            start: at,
            end: at,
            text,
            depth,
        });
        Ok(())
    }

    fn emit_mapping(
        &self,
        m: NodeId,
        inserts: &[(String, NewValue)],
        removed: &[usize],
        out: &mut Vec<Pending>,
    ) -> Result<(), String> {
        let node = self.tree.node(m);
        let (NodeKind::Mapping { entries }, flow) = (&node.kind, &node.flow) else {
            return Err("not a mapping".into());
        };
        let depth = self.depth(m);
        let has_merge = entries.iter().any(|e| e.merged);
        let own: Vec<usize> = (0..entries.len()).filter(|i| !entries[*i].merged).collect();
        let removed_own: Vec<bool> = own.iter().map(|i| removed.contains(i)).collect();
        // Ends are needed for removed entries, their neighbours and the last entry; an alias
        // elsewhere in the mapping does not matter.
        let needed: Vec<bool> = (0..own.len())
            .map(|i| {
                *flow
                    || removed_own[i]
                    || i + 1 == own.len()
                    || removed_own.get(i + 1).copied().unwrap_or(false)
            })
            .collect();
        let elements: Vec<(usize, usize)> = own
            .iter()
            .enumerate()
            .map(|(j, i)| {
                let e = &entries[*i];
                let key = self.tree.node(e.key_node).span();
                let end = match self.value_end(e.key_node, e.value) {
                    Ok(end) => end.max(key.end),
                    Err(err) if needed[j] => return Err(err),
                    Err(_) => key.end,
                };
                Ok((key.start, end))
            })
            .collect::<Result<_, String>>()?;
        if *flow {
            let added = inserts
                .iter()
                .map(|(k, v)| {
                    Ok(format!(
                        "{}: {}",
                        flow_key(k, self.json),
                        render_flow(v, self.json)?
                    ))
                })
                .collect::<Result<Vec<_>, String>>()?;
            if has_merge && removed_own.iter().all(|r| *r) && !own.is_empty() {
                return Err("the mapping would keep only its `<<` merge; edit it by hand".into());
            }
            return self.emit_flow(node.span(), &elements, &removed_own, &added, depth, out);
        }
        if own.is_empty() {
            return Err("the mapping has no keys of its own (only `<<` merges)".into());
        }
        let all_removed = removed_own.iter().all(|r| *r);
        // Removals: whole lines, or, for the first key of a `- ` item, up to the next key.
        let first_key = self.tree.node(entries[own[0]].key_node).span().start;
        let on_dash = !self.line_prefix(first_key).trim().is_empty();
        if all_removed && inserts.is_empty() && !has_merge {
            // Leave an empty mapping rather than an empty value. The comments written inside
            // the mapping explain it to the next reader: they move above the line that holds
            // it, at that line's indentation, rather than go with the keys.
            let last = elements.last().map_or(0, |e| e.1);
            let (start, text, holder) = if on_dash {
                (first_key, "{}", first_key)
            } else {
                let key = self.parent_key(m)?;
                (self.colon_after(key)? + 1, " {}", key)
            };
            let holder_line = self.src.line_start(self.src.line_col(holder).0);
            let indent = self.text[holder_line..holder]
                .chars()
                .take_while(|c| *c == ' ')
                .count();
            let comments = self.comments_between(start, self.line_after(last), indent);
            if !comments.is_empty() {
                out.push(Pending {
                    start: holder_line,
                    end: holder_line,
                    text: comments,
                    depth,
                });
            }
            out.push(Pending {
                start,
                end: last,
                text: text.into(),
                depth,
            });
            return Ok(());
        }
        let mut i = 0;
        while i < own.len() {
            if !removed_own[i] {
                i += 1;
                continue;
            }
            let (start, _) = elements[i];
            if i == 0 && on_dash {
                // `- a: 1\n  b: 2` minus `a` -> `- b: 2`: delete up to the next kept key.
                let mut j = i;
                while j < own.len() && removed_own[j] {
                    j += 1;
                }
                if j == own.len() {
                    return Err(
                        "removing every key of a list item while adding others; edit by hand"
                            .into(),
                    );
                }
                out.push(Pending {
                    start,
                    end: elements[j].0,
                    text: String::new(),
                    depth,
                });
                i = j;
                continue;
            }
            let line_start = self.src.line_start(self.src.line_col(start).0);
            let end = self.line_after(elements[i].1);
            // Full-line comments inside the removed value stay, at the key's indentation.
            let comments = self.comments_between(
                self.line_after(start),
                end,
                self.col(self.tree.node(entries[own[i]].key_node).span().start),
            );
            out.push(Pending {
                start: line_start,
                end,
                text: comments,
                depth,
            });
            i += 1;
        }
        if !inserts.is_empty() {
            let indent = self.col(first_key);
            let at = self.line_after(elements.last().map_or(0, |e| e.1));
            let text = written(|text| {
                for (k, v) in inserts {
                    self.render_block(text, indent, k, v)?;
                }
                Ok(())
            })?;
            out.push(Pending {
                start: at,
                end: at,
                text,
                depth,
            });
        }
        Ok(())
    }

    fn emit_sequence(
        &self,
        s: NodeId,
        appends: &[String],
        removed: &[usize],
        out: &mut Vec<Pending>,
    ) -> Result<(), String> {
        let node = self.tree.node(s);
        let (NodeKind::Sequence { items }, flow) = (&node.kind, &node.flow) else {
            return Err("not a list".into());
        };
        let depth = self.depth(s);
        let elements: Vec<(usize, usize)> = items
            .iter()
            .map(|i| Ok((self.tree.node(*i).span().start, self.item_end(*i)?)))
            .collect::<Result<_, String>>()?;
        let removed_flags: Vec<bool> = (0..items.len()).map(|i| removed.contains(&i)).collect();
        if *flow {
            let added = appends
                .iter()
                .map(|a| flow_value(a, self.json))
                .collect::<Result<Vec<_>, _>>()?;
            return self.emit_flow(node.span(), &elements, &removed_flags, &added, depth, out);
        }
        let dashes = items
            .iter()
            .map(|i| dash_before(self.file, *i).ok_or("a list item without its `-`"))
            .collect::<Result<Vec<_>, _>>()?;
        for d in &dashes {
            if !self.line_prefix(*d).trim().is_empty() {
                return Err("a list nested on the line of another list; edit by hand".into());
            }
        }
        let Some(first_dash) = dashes.first() else {
            return Err("an empty block list".into());
        };
        if removed_flags.iter().all(|r| *r) && appends.is_empty() {
            let key = self.parent_key(s)?;
            let colon = self.colon_after(key)?;
            out.push(Pending {
                start: colon + 1,
                end: elements.last().map_or(0, |e| e.1),
                text: " []".into(),
                depth,
            });
            return Ok(());
        }
        for (i, r) in removed_flags.iter().enumerate() {
            if *r {
                let line_start = self.src.line_start(self.src.line_col(dashes[i]).0);
                let end = self.line_after(elements[i].1);
                out.push(Pending {
                    start: line_start,
                    end,
                    text: String::new(),
                    depth,
                });
            }
        }
        if !appends.is_empty() {
            let dash_col = self.col(*first_dash);
            let at = self.line_after(elements.last().map_or(0, |e| e.1));
            let mut text = String::new();
            let pad = " ".repeat(dash_col);
            for a in appends {
                text.push_str(&format!(
                    "{pad}- {}{}",
                    render_item(a, false)?,
                    self.newline
                ));
            }
            out.push(Pending {
                start: at,
                end: at,
                text,
                depth,
            });
        }
        Ok(())
    }

    /// Removes and appends elements of a flow collection (`{…}` or `[…]`) without touching the
    /// rest of it.
    fn emit_flow(
        &self,
        span: ByteSpan,
        elements: &[(usize, usize)],
        removed: &[bool],
        added: &[String],
        depth: usize,
        out: &mut Vec<Pending>,
    ) -> Result<(), String> {
        let bytes = self.text.as_bytes();
        if span.end == 0 || !matches!(bytes.get(span.end - 1), Some(b'}' | b']')) {
            return Err("a flow collection without its closing bracket".into());
        }
        let open = (span.start..span.end)
            .find(|i| matches!(bytes[*i], b'{' | b'['))
            .ok_or("a flow collection without its opening bracket")?;
        let close = span.end - 1;
        let kept: Vec<usize> = (0..elements.len()).filter(|i| !removed[*i]).collect();
        if kept.is_empty() {
            if elements.is_empty() {
                // `{}` or `[]`, or one holding only comments: add right after the bracket.
                if !added.is_empty() {
                    out.push(Pending {
                        start: open + 1,
                        end: open + 1,
                        text: added.join(", "),
                        depth,
                    });
                }
            } else {
                out.push(Pending {
                    start: open + 1,
                    end: close,
                    text: added.join(", "),
                    depth,
                });
            }
            return Ok(());
        }
        let mut i = 0;
        while i < elements.len() {
            if !removed[i] {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < elements.len() && removed[j] {
                j += 1;
            }
            if i == 0 {
                // A leading run: delete up to the first kept element.
                out.push(Pending {
                    start: elements[0].0,
                    end: elements[j].0,
                    text: String::new(),
                    depth,
                });
            } else {
                out.push(Pending {
                    start: elements[i - 1].1,
                    end: elements[j - 1].1,
                    text: String::new(),
                    depth,
                });
            }
            i = j;
        }
        if !added.is_empty() {
            let last = kept.last().map_or(close, |k| elements[*k].1);
            out.push(Pending {
                start: last,
                end: last,
                text: format!(", {}", added.join(", ")),
                depth,
            });
        }
        Ok(())
    }

    fn render_block(
        &self,
        out: &mut String,
        indent: usize,
        key: &str,
        value: &NewValue,
    ) -> Result<(), String> {
        // Written straight into `out`: a big run renders hundreds of thousands of these.
        let nl = self.newline;
        push_spaces(out, indent);
        out.push_str(&render_key(key, false));
        match value {
            NewValue::Scalar(v) => {
                out.push_str(": ");
                out.push_str(&render_value(v, false)?);
                out.push_str(nl);
            }
            NewValue::Map(m) if m.is_empty() => {
                out.push_str(": {}");
                out.push_str(nl);
            }
            NewValue::Map(m) => {
                out.push(':');
                out.push_str(nl);
                for (k, v) in m {
                    self.render_block(out, indent + self.layout.step, k, v)?;
                }
            }
            NewValue::List(items) => {
                out.push(':');
                out.push_str(nl);
                self.render_items(out, indent, items)?;
            }
        }
        Ok(())
    }

    /// List items under a key written at column `key_col`, in the file's list style.
    fn render_items(
        &self,
        out: &mut String,
        key_col: usize,
        items: &[String],
    ) -> Result<(), String> {
        for item in items {
            push_spaces(out, key_col + self.layout.list_offset);
            out.push_str("- ");
            out.push_str(&render_item(item, false)?);
            out.push_str(self.newline);
        }
        Ok(())
    }

    // ---- positions -------------------------------------------------------------------------

    /// Where the written content of a node ends: block collections end with their last
    /// child; a block scalar's span runs over the blank lines after it, which stay its own.
    /// Fails when that end is an alias: the alias node's span is where its anchor is written,
    /// not where the alias is.
    fn content_end(&self, n: NodeId) -> Result<usize, String> {
        let node = self.tree.node(n);
        Ok(match (&node.kind, node.flow) {
            (NodeKind::Mapping { entries }, false) => {
                match entries.iter().rev().find(|e| !e.merged) {
                    Some(e) => self.value_end(e.key_node, e.value)?,
                    None => node.span().end,
                }
                .max(node.span().start)
            }
            (NodeKind::Sequence { items }, false) => match items.last() {
                Some(i) => self.item_end(*i)?,
                None => node.span().end,
            }
            .max(node.span().start),
            _ if matches!(node.style, Style::Literal | Style::Folded) => {
                // Without the keep indicator (`|+`), blank lines after the text are not part of
                // the value: the content ends on its last non-blank line.
                let (first_line, _) = self.src.line_col(node.span().start);
                let header = if first_line > 1 {
                    self.src.line_text(first_line - 1)
                } else {
                    ""
                };
                let indicators = header
                    .rfind(['|', '>'])
                    .map_or("+", |i| header[i + 1..].split('#').next().unwrap_or(""));
                if !indicators.contains('+') {
                    let body = &self.text[node.span().start..node.span().end.min(self.text.len())];
                    return Ok(node.span().start + body.trim_end().len());
                }
                // Back up to the start of the line the span ends on (the next token's line).
                let end = node.span().end;
                if end >= self.text.len() {
                    // At the end of the file: stop before its final line break.
                    let t = self.text;
                    let cut = t
                        .strip_suffix("\r\n")
                        .or_else(|| t.strip_suffix('\n'))
                        .map_or(t.len(), str::len);
                    return Ok(cut.max(node.span().start));
                }
                let line_start = self.src.line_start(self.src.line_col(end).0);
                if line_start > node.span().start {
                    // Stop before the final line break (`\n` or `\r\n`): `line_after` then
                    // lands on line_start, and a replacement up to here keeps the break.
                    let lf = line_start - 1;
                    if lf > node.span().start && self.text.as_bytes()[lf - 1] == b'\r' {
                        lf - 1
                    } else {
                        lf
                    }
                } else {
                    end
                }
            }
            _ => node.span().end,
        })
    }

    /// Where the value of a mapping entry ends in the text. A `*alias` value is found after
    /// the key (the node's own span is at its anchor); an anchored value is in place.
    fn value_end(&self, key: NodeId, value: NodeId) -> Result<usize, String> {
        if !self.shared.contains(&value) {
            return self.content_end(value);
        }
        let colon = self.colon_after(self.tree.node(key).span().end)?;
        let rest = &self.text[colon + 1..];
        let mut i = 0;
        let bytes = rest.as_bytes();
        while i < bytes.len() {
            match bytes[i] {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'#' => i += rest[i..].find('\n').unwrap_or(rest.len() - i),
                _ => break,
            }
        }
        match bytes.get(i) {
            Some(b'*') => {
                let len = rest[i..]
                    .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}'))
                    .unwrap_or(rest.len() - i);
                Ok(colon + 1 + i + len)
            }
            Some(b'&') => self.content_end(value),
            _ => Err(ALIAS_NEARBY.into()),
        }
    }

    /// Where a list item ends; an alias item's place is not known.
    fn item_end(&self, item: NodeId) -> Result<usize, String> {
        if self.shared.contains(&item) {
            return Err(ALIAS_NEARBY.into());
        }
        self.content_end(item)
    }

    /// The start of the line after the one holding `byte` (the end of the file when it is the
    /// last line; `combine` then adds the missing line break once).
    /// The full-line comments of `text[from..to]` (outside block scalars), re-indented to
    /// `indent` columns, one per line with the file's line break. Lexical, as comments are:
    /// a `#` line is a comment unless it is the content of a `|` or `>` block scalar, which
    /// lasts while lines are indented deeper than the line that opened it.
    fn comments_between(&self, from: usize, to: usize, indent: usize) -> String {
        let newline = self.src.newline();
        let mut kept = String::new();
        let mut block_scalar_of: Option<usize> = None;
        let region = &self.text[from.min(to)..to.min(self.text.len())];
        for line in region.split_inclusive('\n') {
            let body = line.trim_end_matches(['\n', '\r']);
            let trimmed = body.trim_start();
            let depth = body.len() - trimmed.len();
            if let Some(opener) = block_scalar_of {
                if trimmed.is_empty() || depth > opener {
                    continue;
                }
                block_scalar_of = None;
            }
            if trimmed.starts_with('#') {
                kept.push_str(&" ".repeat(indent));
                kept.push_str(trimmed);
                kept.push_str(newline);
            } else if opens_block_scalar(trimmed) {
                block_scalar_of = Some(depth);
            }
        }
        kept
    }

    fn line_after(&self, byte: usize) -> usize {
        match self.text[byte.min(self.text.len())..].find('\n') {
            Some(i) => byte + i + 1,
            None => self.text.len(),
        }
    }

    fn line_prefix(&self, byte: usize) -> &str {
        let start = self.src.line_start(self.src.line_col(byte).0);
        &self.text[start..byte]
    }

    /// The `:` after a key ending at `from`.
    fn colon_after(&self, from: usize) -> Result<usize, String> {
        let rest = &self.text[from.min(self.text.len())..];
        let mut quote = false;
        for (i, c) in rest.char_indices() {
            match c {
                ':' if !quote => return Ok(from + i),
                '"' | '\'' if i == 0 => quote = true,
                c if quote && (c == '"' || c == '\'') => quote = false,
                '\n' => break,
                _ => {}
            }
        }
        Err("cannot find the `:` after a key".into())
    }

    /// The end of the key whose value is `n`.
    fn parent_key(&self, n: NodeId) -> Result<usize, String> {
        let p = self.parents.get(&n).ok_or("a value without a key")?;
        match &self.tree.node(p.collection).kind {
            NodeKind::Mapping { entries, .. } => {
                Ok(self.tree.node(entries[p.index].key_node).span().end)
            }
            _ => Err("a list item cannot be emptied in place; edit by hand".into()),
        }
    }
}
/// A scalar in a flow collection; in a JSON file, strings are always double-quoted.
fn flow_value(text: &str, json: bool) -> Result<String, String> {
    if json && let Some(value) = flow_collection_json(text) {
        return Ok(value);
    }
    if item_value(text).is_ok_and(|v| v.is_object() || v.is_array()) {
        return render_item(text, true);
    }
    match scalar_value(text)? {
        serde_json::Value::String(s) if json => Ok(double_quoted(&s)),
        _ if json => Ok(text.trim().to_string()),
        _ => render_value(text, true),
    }
}

fn flow_key(key: &str, json: bool) -> String {
    if json {
        double_quoted(key)
    } else {
        render_key(key, true)
    }
}

fn render_flow(value: &NewValue, json: bool) -> Result<String, String> {
    Ok(match value {
        NewValue::Scalar(v) => flow_value(v, json)?,
        NewValue::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| flow_value(i, json))
                .collect::<Result<Vec<_>, _>>()?
                .join(", ")
        ),
        NewValue::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| Ok(format!("{}: {}", flow_key(k, json), render_flow(v, json)?)))
                .collect::<Result<Vec<_>, String>>()?
                .join(", ")
        ),
    })
}

/// True when a line ends by opening a block scalar: `key: |`, `- >-`, `key: |2 # note`.
fn opens_block_scalar(line: &str) -> bool {
    let code = match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    }
    .trim_end();
    let Some(i) = code.rfind(['|', '>']) else {
        return false;
    };
    let (before, after) = (&code[..i], &code[i + 1..]);
    after.chars().all(|c| matches!(c, '-' | '+' | '0'..='9'))
        && (before.ends_with(": ") || before.ends_with("- ") || before == "-" || before.is_empty())
}

/// The text `write` writes, returned at its exact size. It is written into a buffer each thread
/// reuses: a block grown from empty was reallocated three or four times, and the text is kept
/// (it becomes a fix's edit). A nested call (none today) writes into a buffer of its own.
fn written(write: impl FnOnce(&mut String) -> Result<(), String>) -> Result<String, String> {
    thread_local! {
        static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            write(&mut buffer)?;
            Ok(buffer.as_str().to_owned())
        }
        Err(_) => {
            let mut own = String::new();
            write(&mut own)?;
            Ok(own)
        }
    })
}
