//! `check`'s text report made in batches: the files are read, then linted, judged by the
//! rollout policy and written out batch of objects by batch of objects, and each batch's
//! findings are dropped once written. A big run (20,000 Pods in one file: 100,000 findings
//! with their fixes and decisions, over 100 MB) then holds its files and one batch, not every
//! finding. The report is the one `write_text_styled` makes of the whole lint result, byte for
//! byte: the same lint per object (`engine::lint_in_order`), the same decisions per object
//! (`rollout::ObjectReviewer`), the same rendering and closing lines (`report::render_finding_styled`,
//! `report::write_text_end`).
//!
//! `check` takes this way when nothing needs every finding at once: files on disk (not
//! standard input), the text format without `--statistics`, and no Kustomize build among
//! them (its findings are placed on the files that set each value only once all are known).

use std::io::Write;

use crate::cli_rollout::{CheckOutcome, CheckPolicy, StageTally};
use crate::engine::{LintOptions, LintResult, ObjectLint, lint_in_order};
use crate::report::{FindingTally, TextStyle, render_finding_styled, write_text_end};
use crate::rollout::{Decision, ObjectReviewer, decision_order};

/// Objects linted, judged and written per batch: enough for every core to have several
/// tasks (`engine::OBJECTS_PER_TASK` objects each), few enough that a batch's findings and
/// text stay a few megabytes. (2,048 held 3.5 MiB more at the peak of a 20,000-Pod run, at
/// the same speed.)
const OBJECTS_PER_BATCH: usize = 1024;

/// Text buffers kept for later tasks: a batch's tasks of a big file (1,024 / 256). Many small
/// files' tasks have small buffers, not worth keeping beyond these.
const POOLED_BUFFERS: usize = 4;

/// One task's part of the run: its objects judged, their reported findings rendered, and
/// what the closing counts and notes need of them.
struct Part<'a> {
    reviewer: ObjectReviewer<'a>,
    stages: StageTally,
    findings: FindingTally,
    text: String,
    /// The object's decisions, reused from object to object.
    decisions: Vec<Decision>,
}

/// Lints `result` (files read, no findings yet) in batches and writes its text report to
/// `out` as it goes; returns what the policy concluded. A failed write stops the writing,
/// not the run (as a whole report written to a closed pipe did).
pub(crate) fn check_in_batches(
    result: &LintResult,
    options: &LintOptions,
    policy: &CheckPolicy<'_>,
    style: TextStyle,
    out: &mut dyn Write,
) -> CheckOutcome {
    check_in_batches_of(result, options, policy, style, out, OBJECTS_PER_BATCH)
}

fn check_in_batches_of(
    result: &LintResult,
    options: &LintOptions,
    policy: &CheckPolicy<'_>,
    style: TextStyle,
    out: &mut dyn Write,
    objects_per_batch: usize,
) -> CheckOutcome {
    let resolver = policy.resolver(result);
    let input = policy.input(&resolver);
    // Text buffers go back to this pool once written, and tasks take theirs from it: a run
    // renders through as many buffers as a batch has tasks, kept at their size. A fresh
    // buffer per task was grown and its pages faulted in anew each time (jemalloc gives
    // freed pages back at once): half the page faults of the 20,000-Pod run.
    // A run of one batch has no later task to give a buffer to: its buffers are freed.
    let buffers: std::sync::Mutex<Vec<String>> = std::sync::Mutex::default();
    let objects: usize = result.files.iter().map(|f| f.objects.len()).sum();
    let pooled = objects > objects_per_batch;
    let start = || Part {
        reviewer: ObjectReviewer::new(&input),
        stages: StageTally::default(),
        findings: FindingTally::default(),
        text: buffers
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_default(),
        decisions: Vec::new(),
    };
    // Each task judges and renders its own objects, on its own core: only the writing and
    // the merging of counts are done in turn.
    let object = |part: &mut Part<'_>, linted: ObjectLint<'_>| {
        let ObjectLint {
            file,
            object,
            findings,
        } = linted;
        part.reviewer
            .review_object(file, object, findings, &mut part.decisions);
        // Stable, as the sort of a whole review: an object's decisions in report order are
        // the run's, objects coming in order.
        part.decisions.sort_by(decision_order);
        for d in part.decisions.drain(..) {
            part.stages.add(&d);
            if d.is_reported() {
                part.findings.add(&d.finding);
                render_finding_styled(&mut part.text, &d.finding, Some(file), style);
            }
        }
    };
    let mut whole = start();
    let mut written = Ok(());
    lint_in_order(
        result,
        options,
        objects_per_batch,
        start,
        object,
        |mut part| {
            if written.is_ok() {
                written = out.write_all(part.text.as_bytes());
            }
            if pooled
                && let Ok(mut pool) = buffers.lock()
                && pool.len() < POOLED_BUFFERS
            {
                part.text.clear();
                pool.push(part.text);
            }
            whole.reviewer.merge(part.reviewer);
            whole.stages.merge(part.stages);
            whole.findings.merge(&part.findings);
        },
    );
    if written.is_ok() {
        let _ = write_text_end(result, &whole.findings, style, out);
    }
    whole
        .stages
        .outcome(policy, &whole.reviewer.finish(Vec::new()), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli_rollout::{apply_policy, load_config};
    use crate::engine::{lint_read, lints_in_order, read};
    use crate::report::write_text_styled;
    use crate::rules::selection::RuleSelection;

    /// The rollout fixture (stages per namespace and path, active and expired exceptions) in
    /// reverse path order, a file of Pods with ignore annotations, one used and one not, and
    /// two files that cannot be read.
    fn inputs() -> Vec<(String, Vec<u8>)> {
        let mut inputs: Vec<(String, Vec<u8>)> = [
            "apps/dev/legacy.yaml",
            "apps/dev/web.yaml",
            "apps/payments/namespace.yaml",
            "apps/payments/workloads.yaml",
            "clusters/prod/checkout.yaml",
        ]
        .iter()
        .rev()
        .map(|p| {
            let path = format!("fixtures/rollout/{p}");
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
        let pods: Vec<String> = (0..7)
            .map(|i| {
                let ignore = match i {
                    1 => "  annotations:\n    ignore.kubenudge.io/read-only-root-filesystem: scratch space\n",
                    2 => "  annotations:\n    ignore.kubenudge.io/host-path-volumes: not used\n",
                    _ => "",
                };
                format!(
                    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  namespace: dev-{i}\n{ignore}spec:\n  containers:\n    - name: app\n      image: registry.example.com/app:{i}\n"
                )
            })
            .collect();
        inputs.push((
            "fixtures/rollout/apps/dev/pods.yaml".to_string(),
            pods.join("---\n").into_bytes(),
        ));
        // Bad input goes through the batches too: malformed YAML, and bytes that are no text.
        inputs.push((
            "fixtures/rollout/apps/dev/broken.yaml".to_string(),
            b"apiVersion: v1\nkind: Pod\nmetadata: [\n".to_vec(),
        ));
        inputs.push((
            "fixtures/rollout/apps/blob.yaml".to_string(),
            vec![0, 159, 146, 150, 0, 1, 2],
        ));
        inputs
    }

    #[test]
    fn a_report_made_in_batches_is_the_report_made_whole() {
        let loaded = load_config(std::path::Path::new(
            "fixtures/rollout/.github/kubenudge.yml",
        ))
        .unwrap();
        let inputs = inputs();
        let options = LintOptions::default();
        let style = TextStyle { color: true };
        // Every report and its notes, to say below what the comparison covered.
        let mut seen_notes = String::new();
        for (policy, today) in [
            (Some(&loaded), "2026-12-06"),
            (Some(&loaded), "2027-02-10"),
            (None, "2026-12-06"),
        ] {
            let policy = CheckPolicy::new(policy, &RuleSelection::default(), today.parse().ok());
            let mut whole = lint_read(read(&inputs, &options), &options);
            let outcome = apply_policy(&mut whole, &policy);
            let mut expected = Vec::new();
            write_text_styled(&whole, style, &mut expected).unwrap();
            expected.extend_from_slice(outcome.stage_notes.as_bytes());
            let expected = String::from_utf8(expected).unwrap();
            seen_notes.push_str(&expected);

            let files = read(&inputs, &options);
            assert!(lints_in_order(&files));
            // One object per batch, a few, and all of them in one.
            for batch in [1, 3, OBJECTS_PER_BATCH] {
                let mut got = Vec::new();
                let batched =
                    check_in_batches_of(&files, &options, &policy, style, &mut got, batch);
                got.extend_from_slice(batched.stage_notes.as_bytes());
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    expected,
                    "{today}, batches of {batch}"
                );
                assert_eq!(batched.blocking, outcome.blocking);
            }
        }
        // What the comparison covered: stages, silenced findings, expired and used exceptions,
        // an unused ignore annotation.
        for note in ["stage: ", "silenced by", "exception expired on"] {
            assert!(seen_notes.contains(note), "{note}: {seen_notes}");
        }
        assert!(seen_notes.contains("unused-ignore"), "{seen_notes}");
        assert!(
            seen_notes.contains("broken.yaml:4:1: error: invalid YAML"),
            "{seen_notes}"
        );
        assert!(
            seen_notes.contains("blob.yaml: error: binary file"),
            "{seen_notes}"
        );
    }
}
