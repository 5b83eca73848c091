//! Planner tests on hand-made fixes and diffs (the rules' own fixes are tested in `fix`).

use std::collections::{BTreeSet, HashMap};

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

/// Only the read-only-root-filesystem finding, with a hand-made fix: the planner's single-finding layout.
fn only_read_only_root_with(mut result: LintResult, fix: Fix) -> LintResult {
    result
        .findings
        .retain(|f| f.rule == "hardening/read-only-root-filesystem");
    result.findings[0].fix = Some(Box::new(fix));
    result
}

/// The text of every ```suggestion in the comments applied to the lines it replaces, as
/// "Commit suggestion" does.
fn apply_suggestions(text: &str, comments: &[InlineComment]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut by_line: Vec<(usize, usize, Vec<String>)> = comments
        .iter()
        .filter_map(|c| {
            let (_, rest) = c.body.split_once("```suggestion\n")?;
            let (block, _) = rest.split_once("\n```")?;
            let start = c.start_line.unwrap_or(c.line);
            Some((start, c.line, block.lines().map(str::to_string).collect()))
        })
        .collect();
    by_line.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    for (start, end, new) in by_line {
        lines.splice(start - 1..end, new);
    }
    lines.join("\n") + "\n"
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
fn findings_fixed_in_one_region_share_one_suggestion() {
    let result = linted(&[("pod.yaml", POD)]);
    let rules: Vec<&str> = result.findings.iter().map(|f| f.rule).collect();
    assert_eq!(result.findings.len(), 5, "{rules:?}");
    let diffs = HashMap::from([("pod.yaml".to_string(), added(POD))]);
    let p = plan(&result, &diffs, &[], &ReviewConfig::default(), &[]);
    // Pod and container securityContext are both inserted after the last line: one region.
    assert_eq!(p.comments.len(), 1);
    let c = &p.comments[0];
    assert_eq!((c.line, c.start_line), (8, None));
    assert_eq!(c.fingerprints.len(), 5);
    for rule in &rules {
        assert!(
            c.body.contains(&format!("[`{rule}`: how to comply")),
            "{rule}: {}",
            c.body
        );
    }
    assert_eq!(c.body.matches("```suggestion").count(), 1);
    insta::assert_snapshot!(c.body);
    assert_eq!(
        p.review_body,
        "kubenudge: 5 new findings in 1 comment on the manifests in this push; the summary comment lists all of them."
    );
    assert!(
        p.summary_comment
            .contains("- 5 commented inline in this review (1 comment)")
    );

    let fixed = apply_suggestions(POD, &p.comments);
    let again = linted(&[("pod.yaml", &fixed)]);
    assert!(again.findings.is_empty(), "{fixed}\n{:#?}", again.findings);
}

#[test]
fn a_fix_inside_one_hunk_is_a_suggestion_on_the_lines_it_replaces() {
    let end = POD.len();
    let result = only_read_only_root_with(
        linted(&[("pod.yaml", POD)]),
        Fix {
            safety: FixSafety::Review,
            title: "Set `securityContext.readOnlyRootFilesystem: true` on container \"app\"".into(),
            caveat: "the application must not write outside mounted volumes".into(),
            edits: vec![Edit {
                start: end,
                end,
                replacement: "      securityContext:\n        readOnlyRootFilesystem: true\n"
                    .into(),
            }],
            actions: Vec::new(),
            object: None,
        },
    );
    let diffs = HashMap::from([("pod.yaml".to_string(), added(POD))]);
    let p = plan(&result, &diffs, &[], &ReviewConfig::default(), &[]);
    assert_eq!(p.comments.len(), 1);
    let c = &p.comments[0];
    assert_eq!((c.line, c.start_line), (8, None));
    assert!(c.body.starts_with("**Set `securityContext"));
    assert!(
        c.body
            .contains("> The application must not write outside mounted volumes.\n")
    );
    insta::assert_snapshot!(c.body);
}

#[test]
fn a_fix_over_several_lines_is_a_multi_line_suggestion() {
    let start = POD.find("app\n").unwrap();
    let end = POD.find("nginx").unwrap() + "nginx".len();
    let result = only_read_only_root_with(
        linted(&[("pod.yaml", POD)]),
        Fix {
            safety: FixSafety::Safe,
            title: "Rename and pin".into(),
            caveat: "".into(),
            edits: vec![Edit {
                start,
                end,
                replacement: "web\n      image: nginx:1.27".into(),
            }],
            actions: Vec::new(),
            object: None,
        },
    );
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
fn fixes_reaching_outside_the_hunk_are_shown_as_a_diff() {
    let result = linted(&[("pod.yaml", POD)]);
    // Only line 7 changed: the findings on container "app" are commented, but their fix goes
    // after line 8, outside every hunk. The Pod-level findings (line 5) are not commented.
    let patch = "@@ -5,3 +5,3 @@\n spec:\n   containers:\n-    - name: web\n+    - name: app";
    let diffs = HashMap::from([("pod.yaml".to_string(), FileDiff::parse(patch))]);
    let p = plan(&result, &diffs, &[], &ReviewConfig::default(), &[]);
    assert_eq!(p.comments.len(), 1);
    let c = &p.comments[0];
    assert_eq!((c.line, c.start_line), (7, None));
    assert_eq!(c.fingerprints.len(), 3);
    assert!(!c.body.contains("```suggestion"));
    assert!(
        c.body.contains(
            "```diff\n-      image: nginx\n+      image: nginx\n+      securityContext:\n"
        ),
        "{}",
        c.body
    );
    assert!(
        p.summary_comment
            .contains("2 not posted inline (2 on lines this pull request did not change)"),
        "{}",
        p.summary_comment
    );
    insta::assert_snapshot!(c.body);
}

#[test]
fn fixes_that_cannot_be_merged_never_give_overlapping_suggestions() {
    let mut result = linted(&[("pod.yaml", POD)]);
    result.findings.truncate(2);
    let image = POD.find("nginx").unwrap();
    for (f, tag) in result.findings.iter_mut().zip(["1.27", "1.28"]) {
        // Two hand-made fixes of the same bytes: they cannot be combined.
        f.fix = Some(Box::new(Fix {
            safety: FixSafety::Safe,
            title: format!("Pin nginx to {tag}"),
            caveat: "".into(),
            edits: vec![Edit {
                start: image,
                end: image + "nginx".len(),
                replacement: format!("nginx:{tag}"),
            }],
            actions: Vec::new(),
            object: None,
        }));
    }
    let diffs = HashMap::from([("pod.yaml".to_string(), added(POD))]);
    let p = plan(&result, &diffs, &[], &ReviewConfig::default(), &[]);
    assert_eq!(p.comments.len(), 2);
    let suggestions: Vec<&InlineComment> = p
        .comments
        .iter()
        .filter(|c| c.body.contains("```suggestion"))
        .collect();
    assert_eq!(suggestions.len(), 1, "{:#?}", p.comments);
    let other = p
        .comments
        .iter()
        .find(|c| !c.body.contains("```suggestion"))
        .unwrap();
    assert!(
        other
            .body
            .contains("```diff\n-      image: nginx\n+      image: nginx:1.2"),
        "{}",
        other.body
    );
}

#[test]
fn the_inline_limit_counts_comments_not_findings() {
    let files: Vec<(String, String)> = (0..4)
        .map(|i| {
            (
                format!("p{i}.yaml"),
                POD.replace("name: p\n", &format!("name: p{i}\n")),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let result = linted(&refs);
    assert_eq!(result.findings.len(), 20);
    let diffs: HashMap<String, FileDiff> =
        files.iter().map(|(p, t)| (p.clone(), added(t))).collect();
    let config = ReviewConfig {
        max_inline_comments: 3,
        ..ReviewConfig::default()
    };
    let p = plan(&result, &diffs, &[], &config, &[]);
    assert_eq!(p.comments.len(), 3);
    assert_eq!(
        p.comments
            .iter()
            .map(|c| c.fingerprints.len())
            .sum::<usize>(),
        15
    );
    assert!(
        p.summary_comment
            .contains("- 15 commented inline in this review (3 comments)"),
        "{}",
        p.summary_comment
    );
    assert!(
        p.summary_comment
            .contains("5 not posted inline (5 above the limit of 3 inline comments)")
    );
    assert_eq!(p.check.annotations.len(), 20);
}

#[test]
fn a_merged_comment_is_fixed_once_all_its_findings_are_gone() {
    let result = linted(&[("pod.yaml", POD)]);
    let diffs = HashMap::from([("pod.yaml".to_string(), added(POD))]);
    let still = result.findings[0].fingerprint();
    let previous = [
        PreviousComment {
            id: 1,
            fingerprints: vec![still.clone(), "00000000000000aa".into()],
            fixed: false,
            body: "x".into(),
            anchor: None,
        },
        PreviousComment {
            id: 2,
            fingerprints: vec!["00000000000000bb".into(), "00000000000000cc".into()],
            fixed: false,
            body: "y".into(),
            anchor: None,
        },
    ];
    let p = plan(&result, &diffs, &previous, &ReviewConfig::default(), &[]);
    assert_eq!(p.fixed.iter().map(|f| f.id).collect::<Vec<_>>(), vec![2]);
    assert!(
        p.fixed[0]
            .body
            .contains("<!-- kubenudge:fingerprint=00000000000000bb,00000000000000cc -->")
    );
    // The finding still open in comment 1 is not commented again; the other four are.
    assert_eq!(p.comments.len(), 1);
    assert_eq!(p.comments[0].fingerprints.len(), 4);
    assert!(!p.comments[0].fingerprints.contains(&still));
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
    assert_eq!(result.findings.len(), 10);
    let diffs = HashMap::from([
        ("a.yaml".to_string(), added(POD)),
        ("b.yaml".to_string(), added(&other)),
    ]);
    // One merged comment on every finding of a.yaml.
    let already = PreviousComment {
        id: 10,
        fingerprints: result
            .findings
            .iter()
            .filter(|f| f.file == "a.yaml")
            .map(|f| f.fingerprint())
            .collect(),
        fixed: false,
        body: "old".into(),
        anchor: None,
    };
    let gone = PreviousComment {
        id: 11,
        fingerprints: vec!["0123456789abcdef".into()],
        fixed: false,
        body: "**Do this**\n\n```suggestion\nx: 1\n```\n<!-- kubenudge:fingerprint=0123456789abcdef -->".into(),
        anchor: None,
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
    assert_eq!(p.check.annotations.len(), 10);
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

#[test]
fn committing_every_suggestion_on_the_pod_security_fixtures_fixes_what_they_list() {
    let fixtures = [
        (
            "backup-cronjob.yaml",
            include_str!("../../fixtures/pod-security/backup-cronjob.yaml"),
        ),
        (
            "cni-agent-daemonset.yaml",
            include_str!("../../fixtures/pod-security/cni-agent-daemonset.yaml"),
        ),
        (
            "payments-namespace.yaml",
            include_str!("../../fixtures/pod-security/payments-namespace.yaml"),
        ),
        (
            "web-deployment.yaml",
            include_str!("../../fixtures/pod-security/web-deployment.yaml"),
        ),
    ];
    let result = linted(&fixtures);
    assert!(result.findings.len() > 10, "{}", result.findings.len());
    let diffs: HashMap<String, FileDiff> = fixtures
        .iter()
        .map(|(p, t)| (p.to_string(), added(t)))
        .collect();
    let config = ReviewConfig {
        max_inline_comments: 1_000,
        ..ReviewConfig::default()
    };
    let p = plan(&result, &diffs, &[], &config, &[]);
    let with_suggestion = p
        .comments
        .iter()
        .filter(|c| c.body.contains("```suggestion"))
        .count();
    eprintln!(
        "{} findings, {} comments, {with_suggestion} with a suggestion",
        result.findings.len(),
        p.comments.len()
    );
    assert!(with_suggestion >= 4, "{:#?}", p.comments);
    for (path, text) in fixtures {
        let comments: Vec<InlineComment> = p
            .comments
            .iter()
            .filter(|c| c.path == path)
            .cloned()
            .collect();
        let mut suggested: Vec<(usize, usize)> = comments
            .iter()
            .filter(|c| c.body.contains("```suggestion"))
            .map(|c| (c.start_line.unwrap_or(c.line), c.line))
            .collect();
        suggested.sort_unstable();
        for pair in suggested.windows(2) {
            assert!(
                pair[0].1 < pair[1].0,
                "{path}: overlapping suggestions {suggested:?}"
            );
        }
        let fixed_by_suggestions: BTreeSet<&String> = comments
            .iter()
            .filter(|c| c.body.contains("```suggestion"))
            .flat_map(|c| c.fingerprints.iter())
            .collect();
        let committed = apply_suggestions(text, &comments);
        let again = linted(&[(path, &committed)]);
        assert!(
            again.errors.is_empty(),
            "{path}: {:?}\n{committed}",
            again.errors
        );
        let left: Vec<String> = again
            .findings
            .iter()
            .filter(|f| fixed_by_suggestions.contains(&f.fingerprint()))
            .map(|f| format!("{} {}", f.rule, f.message))
            .collect();
        assert!(
            left.is_empty(),
            "{path}: still found {left:#?}\n{committed}"
        );
    }
}

#[test]
fn a_finding_without_a_fix_says_what_is_wrong_then_why() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: app\n      image: nginx\n      securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n  volumes:\n    - name: data\n      nfs: {server: nfs.example.com, path: /exports}\n";
    let result = linted(&[("pod.yaml", text)]);
    let rules: Vec<&str> = result.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec!["pod-security/restricted-volumes"]);
    assert!(result.findings[0].fix.is_none());
    let diffs = HashMap::from([("pod.yaml".to_string(), added(text))]);
    let p = plan(&result, &diffs, &[], &ReviewConfig::default(), &[]);
    assert_eq!(p.comments.len(), 1);
    assert_eq!(p.comments[0].line, result.findings[0].line);
    assert!(!p.comments[0].body.contains("```"));
    insta::assert_snapshot!(p.comments[0].body);
}

#[test]
fn an_unreadable_manifest_is_not_a_success() {
    let result = linted(&[("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: [\n")]);
    assert_eq!(result.errors.len(), 1);
    let diffs = HashMap::from([(
        "broken.yaml".to_string(),
        added("apiVersion: v1\nkind: Pod\nmetadata: [\n"),
    )]);
    let p = plan(&result, &diffs, &[], &ReviewConfig::default(), &[]);
    assert_eq!(p.check.conclusion, Conclusion::Neutral);
    assert_eq!(p.check.title, "1 unreadable manifest");
    let a = &p.check.annotations[0];
    assert_eq!(
        (a.path.as_str(), a.start_line),
        ("broken.yaml", result.errors[0].line)
    );
    assert!(a.message.starts_with("invalid YAML"), "{}", a.message);
    assert!(
        p.summary_comment.contains("`broken.yaml` line"),
        "{}",
        p.summary_comment
    );
}

#[test]
fn guidance_links_go_to_the_service_when_it_has_a_public_url() {
    let default = ReviewConfig::default();
    assert_eq!(
        guidance_url(&default, "pod-security/privileged"),
        "https://github.com/kubenudge/kubenudge/blob/main/docs/rules/pod-security/privileged.md"
    );
    let served = ReviewConfig {
        rule_pages_url: Some("https://kubenudge.example.com/".into()),
        ..ReviewConfig::default()
    };
    assert_eq!(
        guidance_url(&served, "pod-security/privileged"),
        "https://kubenudge.example.com/rules/pod-security/privileged"
    );
    assert_eq!(
        guidance_url(
            &served.for_repository("acme/shop"),
            "pod-security/privileged"
        ),
        "https://kubenudge.example.com/rules/pod-security/privileged?repo=acme/shop"
    );
    // The links in a planned comment use it too.
    let result = linted(&[("pod.yaml", POD)]);
    let diffs: HashMap<String, FileDiff> = [("pod.yaml".to_string(), added(POD))].into();
    let p = plan(
        &result,
        &diffs,
        &[],
        &served.for_repository("acme/shop"),
        &[],
    );
    assert!(
        p.comments.iter().any(|c| c
            .body
            .contains("(https://kubenudge.example.com/rules/hardening/read-only-root-filesystem?repo=acme/shop)")),
        "{:#?}",
        p.comments
    );
}
