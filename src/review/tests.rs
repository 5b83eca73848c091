//! Planner tests on hand-made fixes and diffs (the rules' own fixes are tested in `fix`).

use std::collections::HashMap;

use super::*;
use crate::engine::{LintOptions, LintResult, lint};
use crate::finding::{Edit, Fix, FixSafety};

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: nginx\n";
const SHA: &str = "abcdef0123456789abcdef0123456789abcdef01";

fn linted(files: &[(&str, &str)]) -> LintResult {
    let inputs: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect();
    lint(&inputs, &LintOptions::default())
}

fn with_fix(mut result: LintResult) -> LintResult {
    let end = POD.len();
    for f in &mut result.findings {
        f.fix = Some(Fix {
            safety: FixSafety::Review,
            title: "Set `securityContext.readOnlyRootFilesystem: true` on container \"app\"".into(),
            caveat: "The application must not write outside mounted volumes.".into(),
            edits: vec![Edit {
                start: end,
                end,
                replacement: "      securityContext:\n        readOnlyRootFilesystem: true\n"
                    .into(),
            }],
            actions: Vec::new(),
            object: None,
        });
    }
    result
}

fn added(text: &str) -> FileDiff {
    let n = text.lines().count();
    let mut patch = format!("@@ -0,0 +1,{n} @@\n");
    for l in text.lines() {
        patch.push_str(&format!("+{l}\n"));
    }
    FileDiff::parse(&patch)
}

fn plan(
    result: &LintResult,
    diffs: &HashMap<String, FileDiff>,
    previous: &[PreviousComment],
    config: &ReviewConfig,
    other: &[String],
) -> ReviewPlan {
    plan_review(&ReviewInput {
        head_sha: SHA,
        result,
        diffs,
        other_files: other,
        problems: &[],
        previous,
        config,
        enforcement: &Enforcement::default(),
    })
}

#[test]
fn a_fix_inside_one_hunk_is_a_suggestion_on_the_lines_it_replaces() {
    let result = with_fix(linted(&[("pod.yaml", POD)]));
    let diffs = HashMap::from([("pod.yaml".to_string(), added(POD))]);
    let p = plan(&result, &diffs, &[], &ReviewConfig::default(), &[]);
    assert_eq!(p.comments.len(), 1);
    let c = &p.comments[0];
    assert_eq!((c.line, c.start_line), (8, None));
    assert!(c.body.starts_with("**Set `securityContext"));
    insta::assert_snapshot!(c.body);
}

#[test]
fn a_fix_over_several_lines_is_a_multi_line_suggestion() {
    let mut result = linted(&[("pod.yaml", POD)]);
    let start = POD.find("app\n").unwrap();
    let end = POD.find("nginx").unwrap() + "nginx".len();
    result.findings[0].fix = Some(Fix {
        safety: FixSafety::Safe,
        title: "Rename and pin".into(),
        caveat: String::new(),
        edits: vec![Edit {
            start,
            end,
            replacement: "web\n      image: nginx:1.27".into(),
        }],
        actions: Vec::new(),
        object: None,
    });
    let diffs = HashMap::from([("pod.yaml".to_string(), added(POD))]);
    let p = plan(&result, &diffs, &[], &ReviewConfig::default(), &[]);
    let c = &p.comments[0];
    assert_eq!((c.start_line, c.line), (Some(7), 8));
    assert!(
        c.body
            .contains("```suggestion\n    - name: web\n      image: nginx:1.27\n```"),
        "{}",
        c.body
    );
}

#[test]
fn a_fix_reaching_outside_the_hunk_is_shown_as_a_diff() {
    let result = with_fix(linted(&[("pod.yaml", POD)]));
    // Only line 7 changed: the fix's line 8 is outside every hunk.
    let patch = "@@ -5,3 +5,3 @@\n spec:\n   containers:\n-    - name: web\n+    - name: app";
    let diffs = HashMap::from([("pod.yaml".to_string(), FileDiff::parse(patch))]);
    let p = plan(&result, &diffs, &[], &ReviewConfig::default(), &[]);
    let c = &p.comments[0];
    assert_eq!((c.line, c.start_line), (7, None));
    assert!(!c.body.contains("```suggestion"));
    insta::assert_snapshot!(c.body);
}

#[test]
fn previous_comments_limits_and_unlinted_files_shape_the_summary() {
    let other = POD.replace("name: p\n", "name: q\n");
    let template = "kind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n";
    let result = linted(&[
        ("a.yaml", POD),
        ("b.yaml", &other),
        ("chart/templates/t.yaml", template),
    ]);
    assert_eq!(result.findings.len(), 2);
    let diffs = HashMap::from([
        ("a.yaml".to_string(), added(POD)),
        ("b.yaml".to_string(), added(&other)),
    ]);
    let already = PreviousComment {
        id: 10,
        fingerprint: result.findings[0].fingerprint(),
        fixed: false,
        body: "old".into(),
    };
    let gone = PreviousComment {
        id: 11,
        fingerprint: "0123456789abcdef".into(),
        fixed: false,
        body: "**Do this**\n\n```suggestion\nx: 1\n```\n<!-- kubenudge:fingerprint=0123456789abcdef -->".into(),
    };
    let config = ReviewConfig {
        max_inline_comments: 0,
        ..ReviewConfig::default()
    };
    let p = plan(
        &result,
        &diffs,
        &[already, gone],
        &config,
        &["README.md".to_string()],
    );
    assert!(p.comments.is_empty());
    assert_eq!(p.fixed.len(), 1);
    assert_eq!(p.fixed[0].id, 11);
    assert!(!p.fixed[0].body.contains("```suggestion"));
    assert_eq!(p.check.conclusion, Conclusion::Neutral);
    assert_eq!(p.check.annotations.len(), 2);
    insta::assert_snapshot!("summary", p.summary_comment);
    insta::assert_snapshot!("fixed", p.fixed[0].body);
}

#[test]
fn enforced_findings_fail_the_check_and_clean_runs_succeed() {
    let result = linted(&[("a.yaml", POD)]);
    let enforce = Enforcement {
        mode: Mode::Enforce,
        ..Enforcement::default()
    };
    let p = plan_review(&ReviewInput {
        head_sha: SHA,
        result: &result,
        diffs: &HashMap::new(),
        other_files: &[],
        problems: &[],
        previous: &[],
        config: &ReviewConfig::default(),
        enforcement: &enforce,
    });
    assert_eq!(p.check.conclusion, Conclusion::Failure);
    assert_eq!(p.check.annotations[0].level, AnnotationLevel::Failure);
    let clean = linted(&[(
        "a.yaml",
        "kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: c\n",
    )]);
    let p = plan(&clean, &HashMap::new(), &[], &ReviewConfig::default(), &[]);
    assert_eq!(
        (p.check.conclusion, p.check.title.as_str()),
        (Conclusion::Success, "No findings")
    );
}

#[test]
fn long_bodies_are_cut_to_github_limits() {
    let long = "x".repeat(70_000);
    let cut = truncate_body(&long, 65_536);
    assert_eq!(cut.chars().count(), 65_536);
    assert!(cut.ends_with("the check run lists every finding)"));
}
