//! `--format review-md`: the review the App would post on a pull request of these changes —
//! its summary comment, the review with its inline comments, and the check run's verdict —
//! so a team can see the bot before installing it.
//!
//! The plan comes from the App's own pure planner (`crate::review::plan_review`, with the
//! rollout stages of `crate::review::policy`); this module only gathers its inputs from the
//! working tree and lays the result out. It never words a comment.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::NaiveDate;

use super::ChangedRun;
use crate::config::{CONFIG_PATH, Config, ConfigError, load_or_default};
use crate::engine::LintResult;
use crate::policy::PssPolicy;
use crate::review::connectivity::{ConnectivityInput, connectivity_review, insert_section};
use crate::review::policy::{
    MAX_PREVIEW_FILES, PolicyReport, config_error_comment, rollout_stages,
};
use crate::review::{
    Conclusion, Enforcement, FileDiff, ReviewConfig, ReviewInput, ReviewPlan, guidance_url,
    plan_review,
};
use crate::rollout::preview::{LabelChangePreview, PSA_LABEL_PREFIX, preview_label_changes};
use crate::rollout::{self, NamespaceResolver, PolicyInput};

/// The App's plan for these changes: the same steps as `server::review_run` on a first push
/// (no earlier comments), with the files from the working tree instead of GitHub.
pub(super) fn plan(
    run: &ChangedRun,
    mut result: LintResult,
    config: &Config,
    base_errors: &[ConfigError],
    today: NaiveDate,
) -> ReviewPlan {
    let kustomizations = crate::repo_files::kustomizations_for(
        &run.changes.root,
        run.inputs.iter().map(|(path, _)| path.as_str()),
    );
    let resolver = NamespaceResolver::from_lint_and_kustomizations(&result, &kustomizations);
    let decisions = rollout::review_taking(
        &mut result,
        &PolicyInput {
            config,
            config_errors: base_errors,
            today,
            namespaces: &resolver,
        },
    );
    result.findings = decisions.reported().map(|d| d.finding.clone()).collect();
    let head_errors = run
        .head_config
        .as_ref()
        .map(|bytes| load_or_default(CONFIG_PATH, bytes).1)
        .unwrap_or_default();
    let (previews, preview_unread) = label_previews(run, &result, config);
    let report = PolicyReport {
        base_errors,
        config_changed: run.head_config.is_some(),
        head_errors: &head_errors,
        previews: &previews,
        preview_unread,
        tree_truncated: false,
    };
    let review_config = ReviewConfig::default();
    let enforcement = Enforcement {
        mode: Enforcement::default().mode,
        pss: PssPolicy {
            level: config.level,
            version: config.pss_version,
            origin: None,
        },
        rollout: Some(rollout_stages(
            &decisions,
            config,
            &format!(
                "{}{}",
                report.summary_sections(),
                readiness(run, &result, &resolver, &kustomizations, config, &decisions)
            ),
            |rule| guidance_url(&review_config, rule),
        )),
    };
    let diffs: HashMap<String, FileDiff> = run
        .diffs()
        .iter()
        .map(|(path, diff)| (path.clone(), diff.clone()))
        .collect();
    let mut plan = plan_review(&ReviewInput {
        head_sha: &run.changes.head,
        result: &result,
        diffs: &diffs,
        other_files: &run.other_files,
        problems: &[],
        previous: &[],
        config: &review_config,
        enforcement: &enforcement,
    });
    // What the App's worker adds to the plan after the planner (server::review_run's
    // `apply_policy`, first push): the policy's conclusion and the comments on mistakes in
    // the pull request's own configuration.
    plan.check.conclusion = match decisions.conclusion() {
        rollout::Conclusion::Failure => Conclusion::Failure,
        rollout::Conclusion::Neutral => Conclusion::Neutral,
        rollout::Conclusion::Success
            if !head_errors.is_empty() || report.blocked_workloads() > 0 =>
        {
            Conclusion::Neutral
        }
        rollout::Conclusion::Success => Conclusion::Success,
    };
    if plan.check.title == "No findings" {
        if !head_errors.is_empty() {
            plan.check.title = format!("{CONFIG_PATH} has errors");
        } else if report.blocked_workloads() > 0 {
            let n = report.blocked_workloads();
            plan.check.title = format!(
                "Namespace label change would reject {n} {}",
                if n == 1 { "workload" } else { "workloads" }
            );
        }
    }
    for e in &head_errors {
        if diffs
            .get(&e.file)
            .is_some_and(|d| d.added.contains(&e.line))
        {
            plan.comments.push(config_error_comment(e));
        }
    }
    // And, when the change touches policies or what they select, the Connectivity section.
    if let Some((base, head)) = super::connectivity::repository_sides(run)
        && let Some(found) = connectivity_review(&ConnectivityInput {
            base: &base,
            head: &head,
            diffs: &diffs,
            open_fingerprints: &[],
            unread: 0,
        })
    {
        plan.summary_comment = insert_section(&plan.summary_comment, &found.section, 65_536);
        plan.comments.extend(found.comments);
    }
    plan
}

/// With a dated rollout, the readiness of the changed workloads and its trend since the
/// merge-base, as the App's summary shows it.
fn readiness(
    run: &ChangedRun,
    head: &LintResult,
    resolver: &NamespaceResolver,
    kustomizations: &[(String, String)],
    config: &Config,
    decisions: &rollout::Review,
) -> String {
    use crate::rollout::readiness;
    if !rollout::impact::has_dated_steps(decisions) {
        return String::new();
    }
    let now = readiness::measure(head, resolver, config);
    if now.is_empty() {
        return String::new();
    }
    let inputs: Vec<(String, Vec<u8>)> = run
        .inputs
        .iter()
        .filter_map(|(path, _)| Some((path.clone(), run.base_file(path)?)))
        .collect();
    let base = crate::engine::lint(&inputs, &crate::engine::LintOptions::default());
    let base_resolver = NamespaceResolver::from_lint_and_kustomizations(&base, kustomizations);
    readiness::render_pull_request_table(&now, &readiness::measure(&base, &base_resolver, config))
}

/// What a change of Namespace `enforce` labels would reject, as the App previews it: the
/// changed Namespace files (as at the merge-base and as now) decide whether labels change;
/// only then is every manifest of the working tree read (at most `MAX_PREVIEW_FILES`) and
/// judged under the new labels. Returns the previews and how many manifests were not read.
fn label_previews(
    run: &ChangedRun,
    result: &LintResult,
    config: &Config,
) -> (Vec<LabelChangePreview>, usize) {
    let mut head_namespaces: Vec<(String, Vec<u8>)> = Vec::new();
    let mut base_namespaces: Vec<(String, Vec<u8>)> = Vec::new();
    for file in &result.files {
        if !file.objects.iter().any(|o| o.kind == "Namespace") {
            continue;
        }
        // A diff that touches no Pod Security label leaves the labels as they were.
        let touches_labels = run
            .changes
            .patches
            .get(&file.path)
            .and_then(|p| p.as_deref())
            .is_none_or(|patch| {
                patch.lines().any(|l| {
                    (l.starts_with('+') || l.starts_with('-')) && l.contains(PSA_LABEL_PREFIX)
                })
            });
        if !touches_labels {
            continue;
        }
        if let Some((_, bytes)) = run.inputs.iter().find(|(p, _)| *p == file.path) {
            head_namespaces.push((file.path.clone(), bytes.clone()));
        }
        if let Some(bytes) = run.base_file(&file.path) {
            base_namespaces.push((file.path.clone(), bytes));
        }
    }
    if head_namespaces.is_empty()
        || preview_label_changes(&base_namespaces, &head_namespaces, config).is_empty()
    {
        return (Vec::new(), 0);
    }
    // Every manifest of the working tree, the changed ones as read.
    let mut head_all: Vec<(String, Vec<u8>)> = run.inputs.clone();
    let mut unread = 0;
    let root = &run.changes.root;
    for path in crate::cli::collect_files(std::slice::from_ref(root)).unwrap_or_default() {
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        if relative == CONFIG_PATH || head_all.iter().any(|(p, _)| *p == relative) {
            continue;
        }
        if head_all.len() >= MAX_PREVIEW_FILES {
            unread += 1;
            continue;
        }
        if let Ok(bytes) = std::fs::read(&path) {
            head_all.push((relative, bytes));
        }
    }
    // The base is the working tree with the changed Namespace files as they were.
    let mut base_all: Vec<(String, Vec<u8>)> = head_all
        .iter()
        .filter(|(p, _)| !head_namespaces.iter().any(|(h, _)| h == p))
        .cloned()
        .collect();
    base_all.extend(base_namespaces);
    (preview_label_changes(&base_all, &head_all, config), unread)
}

/// The plan as one Markdown document: the check run's verdict, the summary comment, then the
/// review and each inline comment under the line it is posted on. Bodies are printed exactly
/// as posted (their hidden markers included).
pub(super) fn render(run: &ChangedRun, plan: &ReviewPlan) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# kubenudge on HEAD ({}{}) against {} (merge-base {})\n",
        super::short(&run.changes.head),
        if run.changes.uncommitted {
            " with uncommitted changes"
        } else {
            ""
        },
        run.base_ref,
        super::short(&run.changes.merge_base)
    );
    let _ = writeln!(
        md,
        "Check run `kubenudge`: **{}** — {}\n",
        plan.check.conclusion.as_str(),
        plan.check.title
    );
    let _ = writeln!(
        md,
        "## Summary comment\n\n{}",
        plan.summary_comment.trim_end()
    );
    let n = plan.comments.len();
    if n == 0 {
        let _ = writeln!(
            md,
            "\n## Review\n\nNo inline comments: no review is posted."
        );
        return md;
    }
    let _ = writeln!(
        md,
        "\n## Review with {n} inline comment{}\n\n{}",
        if n == 1 { "" } else { "s" },
        plan.review_body
    );
    for c in &plan.comments {
        let lines = match c.start_line {
            Some(start) => format!("lines {start}–{}", c.line),
            None => format!("line {}", c.line),
        };
        let _ = writeln!(md, "\n### `{}` {lines}\n\n{}", c.path, c.body.trim_end());
    }
    md
}
