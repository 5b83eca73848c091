//! Fixes: byte-range edits on the author's text (never a re-serialisation), how to apply them,
//! and how to show them as a pull-request ```suggestion or a unified diff.
//!
//! Rules describe a fix as a [`FixPlan`] of actions on field paths; [`realize`] turns it into
//! edits that keep the author's indentation, quoting, key order and comments. Several fixes on
//! one object are realised together ([`merge_fixes`]) so that their edits never overlap, which
//! is what both `--fix` and a batch of GitHub suggestions need. Every result is re-parsed before
//! it is offered: a fix that would break the YAML is no fix.

mod insertion_check;
mod realize;
mod scalar;
mod suggestion;

pub use suggestion::{Suggestion, render_suggestion, suggestions};

use crate::finding::{Edit, Fix, FixAction, FixPlan, FixSafety};
use crate::manifest::{Limits, ManifestFile, Object};

pub use realize::action_path;

/// Above this size a fix to a `List` item is not re-parsed on its own (the whole-file fix
/// still is), so that a huge file with many findings stays linear.
const VERIFY_EACH_FIX_UP_TO: usize = 128 * 1024;

/// Turns a rule's plan into byte edits on the file. Fails (and the finding is shown without a
/// fix) when an action cannot be expressed without rewriting the author's YAML, or when the
/// result would not parse.
pub fn realize(file: &ManifestFile, object: &Object, plan: &FixPlan) -> Result<Fix, String> {
    let fix = realize_unverified(file, object, plan)?;
    verify_in_document(file, object, &fix.edits)?;
    Ok(fix)
}

/// [`realize`] without the re-parse: for callers that verify several fixes of one object
/// together ([`realize_object_fixes`]).
fn realize_unverified(file: &ManifestFile, object: &Object, plan: &FixPlan) -> Result<Fix, String> {
    realize_with(&realize::Realizer::new(file, object), object, plan)
}

fn realize_with(
    realizer: &realize::Realizer<'_>,
    object: &Object,
    plan: &FixPlan,
) -> Result<Fix, String> {
    realize_owned(realizer, object, plan.clone())
}

/// [`realize_with`] that moves the plan's text and actions into the fix instead of copying
/// them (a big run realises hundreds of thousands of plans).
fn realize_owned(
    realizer: &realize::Realizer<'_>,
    object: &Object,
    plan: FixPlan,
) -> Result<Fix, String> {
    let actions: Vec<&FixAction> = plan.actions.iter().collect();
    let edits = realizer.realize(&actions)?;
    if edits.is_empty() {
        return Err("the plan changes nothing".into());
    }
    Ok(Fix {
        safety: plan.safety,
        title: plan.title,
        caveat: plan.caveat,
        edits,
        actions: plan.actions,
        object: Some(object.node),
    })
}

/// The fixes of one object's findings, and how many re-parses verifying them took.
#[derive(Debug)]
pub struct ObjectFixes {
    /// One entry per plan given, `None` where the plan has no valid fix.
    pub fixes: Vec<Option<Fix>>,
    pub verification_parses: usize,
}

/// Realises every plan of one object and verifies them with **one** re-parse of the object's
/// document: the plans' actions realised together (as `--fix` and review suggestions apply
/// them) must give valid YAML. The realiser writes each action the same way alone or with
/// others, so a valid joint result vouches for each fix; only when the joint result fails (or
/// the actions cannot be combined) is each fix verified on its own, to find the broken one.
/// This keeps lint at one verification parse per object with fixes, not one per finding.
pub fn realize_object_fixes(
    file: &ManifestFile,
    object: &Object,
    plans: Vec<FixPlan>,
) -> ObjectFixes {
    let realizer = realize::Realizer::new(file, object);
    let mut fixes: Vec<Option<Fix>> = plans
        .into_iter()
        .map(|plan| realize_owned(&realizer, object, plan).ok())
        .collect();
    let actions: Vec<&FixAction> = fixes.iter().flatten().flat_map(|f| &f.actions).collect();
    if actions.is_empty() {
        return ObjectFixes {
            fixes,
            verification_parses: 0,
        };
    }
    let joint_ok = realizer
        .realize(&actions)
        .is_ok_and(|edits| verify_in_document(file, object, &edits).is_ok());
    let mut verification_parses = 1;
    if !joint_ok {
        for slot in &mut fixes {
            if let Some(fix) = slot {
                verification_parses += 1;
                if verify_in_document(file, object, &fix.edits).is_err() {
                    *slot = None;
                }
            }
        }
    }
    ObjectFixes {
        fixes,
        verification_parses,
    }
}

/// Realises several plans on one object together: one insertion per mapping, never two edits
/// that overlap.
pub fn realize_all(
    file: &ManifestFile,
    object: &Object,
    plans: &[&FixPlan],
) -> Result<Vec<Edit>, String> {
    let actions: Vec<&FixAction> = plans.iter().flat_map(|p| p.actions.iter()).collect();
    let edits = realize::realize_actions(file, object, &actions)?;
    verify(file.source.text(), &edits)?;
    Ok(edits)
}

/// Combines fixes (of any objects of one file) into sorted, non-overlapping edits: the fixes
/// of each object are realised jointly from their actions.
pub fn merge_fixes(file: &ManifestFile, fixes: &[&Fix]) -> Result<Vec<Edit>, String> {
    let mut edits = Vec::new();
    // Actions grouped by object in one pass (a filter per object was quadratic in big files).
    let mut by_object: std::collections::HashMap<crate::manifest::NodeId, Vec<&FixAction>> =
        std::collections::HashMap::new();
    for f in fixes {
        if let Some(node) = f.object {
            by_object.entry(node).or_default().extend(f.actions.iter());
        }
    }
    for object in &file.objects {
        if let Some(actions) = by_object.get(&object.node) {
            edits.extend(realize::realize_actions(file, object, actions)?);
        }
    }
    // Fixes built by hand (no actions) keep their own edits.
    for f in fixes.iter().filter(|f| f.object.is_none()) {
        edits.extend(f.edits.iter().cloned());
    }
    edits.sort();
    for pair in edits.windows(2) {
        if pair[1].start < pair[0].end {
            return Err("fixes of different objects overlap".into());
        }
    }
    verify(file.source.text(), &edits)?;
    Ok(edits)
}

/// A suggestion for a pull-request review and the fixes (indices into the slice given) it
/// carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSuggestion {
    pub suggestion: Suggestion,
    pub fixes: Vec<usize>,
}

/// The suggestions a review posts for `fixes` of one file: merged per object, one per
/// contiguous region, never overlapping, each naming the fixes it applies (so the comment can
/// list their findings). A fix belongs to the region its own edits fall in.
pub fn review_suggestions(
    file: &ManifestFile,
    fixes: &[&Fix],
) -> Result<Vec<ReviewSuggestion>, String> {
    let edits = merge_fixes(file, fixes)?;
    let regions = suggestions(&file.source, &edits);
    Ok(regions
        .into_iter()
        .map(|suggestion| {
            let fixes = fixes
                .iter()
                .enumerate()
                .filter(|(_, f)| {
                    // Edit by edit: a fix on two containers touches two regions, not the lines
                    // between them.
                    f.edits.iter().any(|e| {
                        render_suggestion(&file.source, std::slice::from_ref(e)).is_some_and(
                            |own| {
                                own.start_line <= suggestion.end_line
                                    && suggestion.start_line <= own.end_line
                            },
                        )
                    })
                })
                .map(|(i, _)| i)
                .collect();
            ReviewSuggestion { suggestion, fixes }
        })
        .collect())
}

/// The outcome of fixing one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFix {
    /// The new text (BOM excluded, as in [`SourceText::text`]).
    pub text: String,
    /// How many of the given fixes were applied; the rest overlapped and wait for the next pass.
    pub applied: usize,
}

/// Applies fixes to a file's text. All of them together when they combine; otherwise, as ruff
/// does, as many as do not overlap, in file order (the caller re-lints and runs again).
pub fn fix_file(file: &ManifestFile, fixes: &[&Fix]) -> FileFix {
    let text = file.source.text();
    if let Ok(edits) = merge_fixes(file, fixes)
        && let Ok(new) = apply_edits(text, &edits)
    {
        return FileFix {
            text: new,
            applied: fixes.len(),
        };
    }
    let mut order: Vec<&Fix> = fixes.to_vec();
    order.sort_by_key(|f| f.edits.first().map(|e| (e.start, e.end)));
    let mut taken: Vec<Edit> = Vec::new();
    let mut applied = 0;
    for fix in order {
        let clash = fix.edits.iter().any(|e| {
            taken
                .iter()
                .any(|t| e.start < t.end.max(t.start + 1) && t.start < e.end.max(e.start + 1))
        });
        if clash || fix.edits.is_empty() {
            continue;
        }
        let mut trial = taken.clone();
        trial.extend(fix.edits.iter().cloned());
        if verify(text, &trial).is_ok() {
            taken = trial;
            applied += 1;
        }
    }
    match apply_edits(text, &taken) {
        Ok(new) => FileFix { text: new, applied },
        Err(_) => FileFix {
            text: text.to_string(),
            applied: 0,
        },
    }
}

/// The fixes of `findings` that a run with (or without) `--unsafe-fixes` applies.
pub fn applicable(fix: &Fix, include_unsafe: bool) -> bool {
    fix.safety == FixSafety::Safe || include_unsafe
}

/// Fails when `edits` make the object's document invalid YAML. Only that document is
/// re-parsed (a document stands alone in YAML: anchors do not cross `---`), so a file with many
/// objects and findings stays linear. An object that is not a document of its own (an item of
/// a `List`) re-parses the whole file while the file is small, and is left to the whole-file
/// check of `--fix` and of review suggestions when it is large.
fn verify_in_document(file: &ManifestFile, object: &Object, edits: &[Edit]) -> Result<(), String> {
    let text = file.source.text();
    let span = file.tree.node(object.node).span();
    let (_, column) = file.source.line_col(span.start);
    if column != 1 {
        return if text.len() <= VERIFY_EACH_FIX_UP_TO {
            verify(text, edits)
        } else {
            Ok(())
        };
    }
    // New keys at the end of a mapping or between its keys (nearly every fix) are shown
    // valid without re-parsing the document; anything else is re-parsed.
    if insertion_check::insertions_keep_document_valid(file, object, edits) {
        // Every debug run (the tests lint thousands of objects) holds the shortcut to the
        // re-parse it saves.
        debug_assert!(
            reparse_document(file, object, edits).is_ok(),
            "the insertion check passed edits the re-parse rejects: {edits:?}"
        );
        return Ok(());
    }
    reparse_document(file, object, edits)
}

/// [`verify_in_document`] by re-parsing the object's document (which starts at column 1).
fn reparse_document(file: &ManifestFile, object: &Object, edits: &[Edit]) -> Result<(), String> {
    let text = file.source.text();
    let span = file.tree.node(object.node).span();
    let start = span.start;
    let last = edits
        .iter()
        .map(|e| e.end)
        .max()
        .unwrap_or(span.end)
        .max(span.end);
    let (end_line, _) = file.source.line_col(last);
    let end = file
        .source
        .line_start(end_line + 1)
        .max(last)
        .min(text.len());
    if edits.iter().any(|e| e.start < start) {
        return verify(text, edits);
    }
    let local: Vec<Edit> = edits
        .iter()
        .map(|e| Edit {
            start: e.start - start,
            end: e.end - start,
            replacement: e.replacement.clone(),
        })
        .collect();
    verify(&text[start..end], &local)
}

/// Fails when `edits` applied to `text` do not give valid YAML.
fn verify(text: &str, edits: &[Edit]) -> Result<(), String> {
    let new = apply_edits(text, edits)?;
    // Read as `parse_stream` reads, without building the tree only to drop it.
    crate::manifest::validate(&new, &Limits::default())
        .map_err(|e| format!("the fix would make the YAML invalid ({e}); fix this by hand"))
}

/// `n` spaces, copied at once (indentation and padding are written hundreds of thousands of
/// times in a big run; a character at a time cost more than the text around them).
pub(crate) fn push_spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let now = left.min(SPACES.len());
        out.push_str(&SPACES[..now]);
        left -= now;
    }
}

/// A unified diff of a file's old and new text, as `--diff` prints it.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a/{}", path.trim_start_matches('/')),
            &format!("b/{}", path.trim_start_matches('/')),
        )
        .to_string()
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

#[cfg(test)]
mod tests;
