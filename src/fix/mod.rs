//! Fixes: byte-range edits on the author's text (never a re-serialisation), how to apply them,
//! and how to show them as a pull-request ```suggestion.

mod suggestion;

pub use suggestion::{Suggestion, render_suggestion};

use crate::finding::{Edit, Fix, FixAction, FixPlan};
use crate::manifest::{ManifestFile, NodeKind, Object};

/// Turns a rule's plan into byte edits on the file. Fails (and the finding is shown without a
/// fix) when an action cannot be expressed without rewriting the author's YAML.
pub fn realize(file: &ManifestFile, object: &Object, plan: &FixPlan) -> Result<Fix, String> {
    let mut edits = Vec::new();
    for action in &plan.actions {
        match action {
            FixAction::Set { path, value } => {
                let node = file
                    .node_at(object, path)
                    .ok_or_else(|| format!("{path} is not in the file"))?;
                let n = file.tree.node(node);
                if matches!(n.kind, NodeKind::Mapping { .. } | NodeKind::Sequence { .. }) {
                    return Err(format!("{path} is not a scalar"));
                }
                edits.push(Edit {
                    start: n.span.start,
                    end: n.span.end,
                    replacement: value.clone(),
                });
            }
            other => return Err(format!("cannot express {other:?} as an edit yet")),
        }
    }
    edits.sort();
    Ok(Fix {
        safety: plan.safety,
        title: plan.title.clone(),
        caveat: plan.caveat.clone(),
        edits,
    })
}

/// Applies non-overlapping edits to `text`. Edits are sorted here; overlapping edits are a
/// bug in the caller and are rejected.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort();
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in sorted {
        if e.start < at || e.end < e.start || e.end > text.len() {
            return Err(format!(
                "edit {}..{} overlaps another edit or lies outside the file",
                e.start, e.end
            ));
        }
        if !text.is_char_boundary(e.start) || !text.is_char_boundary(e.end) {
            return Err(format!("edit {}..{} splits a character", e.start, e.end));
        }
        out.push_str(&text[at..e.start]);
        out.push_str(&e.replacement);
        at = e.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}
