//! The fix-convergence harness (after ruff's): for every input with findings, apply every fix
//! (unsafe ones too), then check that the result parses, that re-linting shows none of the
//! fixed findings, that a second `--fix` changes nothing, and that the decoded objects differ
//! from the originals only in the fields the fixes named.

use crate::common;

use std::collections::{HashMap, HashSet};

use kubenudge::engine::{LintOptions, MAX_FIX_PASSES, fix, lint};
use kubenudge::finding::{Fix, FixAction};
use kubenudge::manifest::{Limits, ManifestFile, ObjectRef, read_manifest};

type Key = (String, ObjectRef, String);

/// Findings as the harness sees them: identity and, when there is one, the realised fix.
type Linter = dyn Fn(&str) -> (ManifestFile, Vec<(Key, Option<Fix>)>);

#[derive(Default, Debug)]
struct Counts {
    files: usize,
    with_fixes: usize,
    fixes_applied: usize,
    converged: usize,
    failures: Vec<String>,
}

fn read(text: &str) -> ManifestFile {
    read_manifest("input.yaml", text.as_bytes(), &Limits::default()).expect("input parses")
}

/// Runs the fix loop on one text; returns the fixed text or why it did not converge.
fn converge(
    name: &str,
    text: &str,
    linter: &Linter,
    counts: &mut Counts,
) -> Result<String, String> {
    let (original, first) = linter(text);
    let fixable: Vec<&Key> = first
        .iter()
        .filter(|(_, f)| f.is_some())
        .map(|(k, _)| k)
        .collect();
    if fixable.is_empty() {
        return Ok(text.to_string());
    }
    counts.with_fixes += 1;
    let mut actions: HashMap<ObjectRef, Vec<FixAction>> = HashMap::new();
    let mut current = text.to_string();
    let mut passes = 0;
    loop {
        let (file, findings) = linter(&current);
        let fixes: Vec<&Fix> = findings.iter().filter_map(|(_, f)| f.as_ref()).collect();
        if fixes.is_empty() {
            break;
        }
        if passes == MAX_FIX_PASSES {
            return Err(format!("{name}: still fixing after {passes} passes"));
        }
        for (key, f) in &findings {
            if let Some(f) = f {
                actions
                    .entry(key.1.clone())
                    .or_default()
                    .extend(f.actions.iter().cloned());
            }
        }
        let out = kubenudge::fix::fix_file(&file, &fixes);
        counts.fixes_applied += out.applied;
        let bom = if file.source.has_bom() {
            "\u{feff}"
        } else {
            ""
        };
        let next = format!("{bom}{}", out.text);
        if next == current {
            return Err(format!(
                "{name}: {} fixes left that change nothing: {:?}",
                fixes.len(),
                findings.iter().map(|(k, _)| k).collect::<Vec<_>>()
            ));
        }
        current = next;
        passes += 1;
    }
    // The result parses, with no new schema errors.
    let fixed =
        read_manifest("input.yaml", current.as_bytes(), &Limits::default()).map_err(|e| {
            format!(
                "{name}: the fixed file does not parse: {}\n{current}",
                e.message
            )
        })?;
    if fixed.errors.len() > original.errors.len() {
        return Err(format!("{name}: new errors {:?}", fixed.errors));
    }
    if name.ends_with(".json") {
        serde_json::from_str::<serde_json::Value>(&current)
            .map_err(|e| format!("{name}: the fixed file is no longer JSON: {e}\n{current}"))?;
    }
    // None of the fixed findings remain.
    let (_, after) = linter(&current);
    let left: HashSet<&Key> = after.iter().map(|(k, _)| k).collect();
    for k in &fixable {
        if left.contains(k) {
            return Err(format!(
                "{name}: {k:?} is still reported after its fix\n{current}"
            ));
        }
    }
    // Objects differ only where the fixes said.
    if fixed.objects.len() != original.objects.len() {
        return Err(format!("{name}: the number of objects changed"));
    }
    for (a, b) in original.objects.iter().zip(&fixed.objects) {
        let named = actions.get(&a.reference()).cloned().unwrap_or_default();
        common::differs_only_under(
            &original.tree.to_json(a.node),
            &fixed.tree.to_json(b.node),
            &named,
        )
        .map_err(|e| format!("{name}: {e}\n{current}"))?;
    }
    Ok(current)
}

fn engine_linter(text: &str) -> (ManifestFile, Vec<(Key, Option<Fix>)>) {
    let result = lint(
        &[("input.yaml".into(), text.as_bytes().to_vec())],
        &LintOptions::default(),
    );
    let findings = result
        .findings
        .into_iter()
        .map(|f| {
            (
                (f.rule.to_string(), f.object, f.field_path.to_string()),
                f.fix.map(|fix| *fix),
            )
        })
        .collect();
    let file = result.files.into_iter().next().expect("one file");
    (file, findings)
}

fn synthetic_linter(text: &str) -> (ManifestFile, Vec<(Key, Option<Fix>)>) {
    let file = read(text);
    let findings = common::synthetic_findings(&file)
        .into_iter()
        .map(|p| {
            let object = file
                .objects
                .iter()
                .find(|o| o.reference() == p.object)
                .expect("object exists");
            let fix = kubenudge::fix::realize(&file, object, &p.plan).ok();
            (p.key(), fix)
        })
        .collect();
    (file, findings)
}

fn report(label: &str, counts: &Counts) {
    println!(
        "{label}: {} files, {} with fixes, {} fixes applied, {} converged, {} failed",
        counts.files,
        counts.with_fixes,
        counts.fixes_applied,
        counts.converged,
        counts.failures.len()
    );
    assert!(
        counts.failures.is_empty(),
        "{} of {} inputs did not converge:\n{}",
        counts.failures.len(),
        counts.with_fixes,
        counts
            .failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n---\n")
    );
}

#[test]
fn every_fix_of_the_rules_converges() {
    let mut counts = Counts::default();
    for (name, text) in common::corpus() {
        counts.files += 1;
        match converge(&name, &text, &engine_linter, &mut counts) {
            Ok(fixed) => {
                // `check --fix` does the same, and a second `--fix` changes nothing.
                let inputs = vec![(name.clone(), text.as_bytes().to_vec())];
                let run = fix(&inputs, &LintOptions::default(), true);
                let engine_text = run.changed.first().map_or(text.clone(), |c| {
                    String::from_utf8(c.bytes.clone()).unwrap()
                });
                if engine_text != fixed {
                    counts
                        .failures
                        .push(format!("{name}: the engine's fix loop differs"));
                    continue;
                }
                let again = fix(
                    &[(name.clone(), fixed.into_bytes())],
                    &LintOptions::default(),
                    true,
                );
                if !again.changed.is_empty() {
                    counts
                        .failures
                        .push(format!("{name}: a second --fix changes the file"));
                    continue;
                }
                counts.converged += 1;
            }
            Err(e) => counts.failures.push(e),
        }
    }
    report("rules", &counts);
    assert!(counts.with_fixes > 0, "no input had a fix");
}

#[test]
fn every_kind_of_fix_action_converges_on_every_input() {
    let mut counts = Counts::default();
    for (name, text) in common::corpus() {
        counts.files += 1;
        match converge(&name, &text, &synthetic_linter, &mut counts) {
            Ok(fixed) => {
                let (_, again) = synthetic_linter(&fixed);
                if again.iter().any(|(_, f)| f.is_some()) {
                    counts
                        .failures
                        .push(format!("{name}: fixes left after converging"));
                    continue;
                }
                counts.converged += 1;
            }
            Err(e) => counts.failures.push(e),
        }
    }
    report("synthetic plans", &counts);
    assert!(counts.fixes_applied > 100, "too few fixes exercised");
}
