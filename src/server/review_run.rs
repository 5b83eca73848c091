//! One review, from GitHub to GitHub: find the summary (skip a head commit already reviewed),
//! open the check run, read the changed manifests, lint, plan, post, close the check run.
//! Whatever fails, the check run ends `completed`.
//!
//! Every write is made once: what was posted is recorded in the [`Ledger`] as it goes, so a
//! review interrupted by a crash resumes where it stopped, and a create whose answer was lost
//! (timeout, 5xx) looks for what it made — the check run by name and head SHA, the review by
//! commit and marker, the summary by its marker — and adopts it before creating again.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};

use super::connectivity;
use super::events::{CHECK_NAME, Job, external_id};
use super::github_files::{self, BlobCache, TreeMemo};
use super::ledger::{self, Ledger};
use super::overlays::PullOverlays;
use super::policy;
use crate::config::CONFIG_PATH;
use crate::engine::{LintOptions, lint};
use crate::github::{
    CheckAnnotation, CheckRunOutput, CheckRunWrite, GitHubApi, IssueComment, PullNumber,
    ReviewCommentWrite, ReviewWrite,
};
use crate::policy::PssPolicy;
use crate::review::REVIEW_MARKER;
use crate::review::policy::PolicyReport;
use crate::review::{
    self, Annotation, CheckOutcome, Conclusion, Enforcement, FileDiff, ReviewConfig, ReviewInput,
    SUMMARY_MARKER, plan_review,
};
use crate::rollout::preview::preview_label_changes;
use crate::rollout::{self, NamespaceResolver, PolicyInput};

/// GitHub's limit of annotations per check-run request.
const ANNOTATIONS_PER_REQUEST: usize = 50;

/// What a review run ended with (for metrics and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Completed(&'static str),
    /// This head commit already has a completed review.
    AlreadyReviewed,
    /// The pull request is closed or has moved to another head commit.
    NotCurrent,
    Failed(String),
}

/// What every review shares.
pub struct ReviewContext {
    pub config: ReviewConfig,
    pub enforcement: Enforcement,
    pub blobs: BlobCache,
    /// The check run's "Details" link: a URL with `{repo}` (owner/name) and `{pr}` filled
    /// per run, e.g. `https://github.com/{repo}/pull/{pr}`.
    pub details_url: Option<String>,
    /// Today's date for rollout stages and countdowns.
    pub today: super::policy::Clock,
    /// Base-commit configuration files already read.
    pub configs: super::policy::ConfigCache,
}

fn is_manifest_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Runs one review of `job` on pull request `pr`, recording what it posts in `ledger`.
pub async fn run<G: GitHubApi + Clone + 'static>(
    api: G,
    job: Job,
    pr: PullNumber,
    cx: Arc<ReviewContext>,
    ledger: Ledger,
) -> Outcome {
    let repo = &job.repo;
    let sha = job.head_sha.0.clone();
    if let Err(e) = ledger.load(job.force).await {
        return fail_before_run(&api, &job, pr, format!("reading the store: {e}")).await;
    }
    if ledger.finished_by_this_job() {
        // This job finished the review and died before marking itself done.
        return Outcome::AlreadyReviewed;
    }
    let ledger = Arc::new(ledger);

    // Check events do not say whether the pull request is still open at this head.
    let mut base_sha = job.base_sha.as_ref().map(|b| b.0.clone());
    if let super::events::Request::Pull {
        known_open: false, ..
    }
    | super::events::Request::HeadSha { .. } = job.request
    {
        match api.get_pull(repo, pr).await {
            Ok(p) if p.state == "open" && p.head.sha == sha => {
                base_sha = p.base.map(|b| b.sha).or(base_sha);
            }
            Ok(_) => return Outcome::NotCurrent,
            Err(e) => {
                return fail_before_run(&api, &job, pr, format!("reading pull request {pr}: {e}"))
                    .await;
            }
        }
    }

    let issue_comments = match api.list_issue_comments(repo, pr).await {
        Ok(c) => c,
        Err(e) => {
            return fail_before_run(&api, &job, pr, format!("listing comments: {e}")).await;
        }
    };
    let summary = issue_comments.into_iter().find(|c| {
        c.body
            .as_deref()
            .is_some_and(|b| b.contains(SUMMARY_MARKER))
    });
    // The summary is written last: naming this commit, it means the review completed.
    if !job.force
        && summary
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .and_then(review::summary_head_sha)
            == Some(sha.as_str())
    {
        return Outcome::AlreadyReviewed;
    }

    // A run this head's review opened before (then crashed) is finished, not duplicated.
    let mut existing_run = ledger.get(ledger::CHECK_RUN).map(|id| id as u64);
    if existing_run.is_none() && (job.reconcile || ledger.resuming()) {
        match api.list_check_runs(repo, &sha, CHECK_NAME).await {
            Ok(runs) => {
                if !job.force && runs.iter().any(|r| r.status == "completed") {
                    return Outcome::AlreadyReviewed;
                }
                // A run left in progress by a crash: finish that one instead of adding another.
                existing_run = runs.iter().find(|r| r.status != "completed").map(|r| r.id);
            }
            Err(e) => {
                return fail_before_run(&api, &job, pr, format!("listing check runs: {e}")).await;
            }
        }
    }

    let run_id = match existing_run {
        Some(id) => id,
        None => {
            let create = CheckRunWrite {
                name: Some(CHECK_NAME.to_string()),
                head_sha: Some(sha.clone()),
                external_id: Some(external_id(pr)),
                details_url: cx.details_url.as_ref().map(|t| {
                    t.replace("{repo}", &repo.to_string())
                        .replace("{pr}", &pr.0.to_string())
                }),
                status: Some("in_progress"),
                started_at: Some(now()),
                output: Some(CheckRunOutput {
                    title: "Reviewing manifests".to_string(),
                    summary: "kubenudge is reviewing the Kubernetes manifests changed in this pull request.".to_string(),
                    annotations: Vec::new(),
                }),
                ..CheckRunWrite::default()
            };
            match create_check_run_once(&api, repo, &sha, &create).await {
                Ok(id) => id,
                Err(e) => return Outcome::Failed(format!("creating the check run: {e}")),
            }
        }
    };
    if let Err(e) = ledger.check_run(run_id, false).await {
        tracing::warn!(error = %e, "cannot record the check run in the store");
    }

    // The review itself runs in its own task so that even a panic ends the check run.
    let completed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut reviewed = job.clone();
    reviewed.base_sha = base_sha.map(crate::github::CommitSha);
    // In the review's span, so its log lines keep the delivery, repository, PR and head.
    let task = tokio::spawn(tracing::Instrument::in_current_span(review_and_post(
        api.clone(),
        reviewed,
        pr,
        run_id,
        summary,
        Arc::clone(&cx),
        Arc::clone(&completed),
        Arc::clone(&ledger),
    )));
    let result = match task.await {
        Ok(r) => r,
        Err(e) => Err(anyhow!("the review stopped unexpectedly ({e})")),
    };
    match result {
        Ok(conclusion) => Outcome::Completed(conclusion),
        Err(e) => {
            let what = format!("{e:#}");
            tracing::error!(repo = %repo, pr = pr.0, error = %what, "review failed");
            if !completed.load(std::sync::atomic::Ordering::SeqCst) {
                let outcome = review::failure_check(&what);
                match api
                    .update_check_run(repo, run_id, &completion(&outcome, Vec::new()))
                    .await
                {
                    Ok(()) => {
                        let _ = ledger.check_run(run_id, true).await;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "could not end the check run of a failed review")
                    }
                }
            }
            Outcome::Failed(what)
        }
    }
}

/// Brings an existing summary comment to `body` (no request when it already says it).
async fn update_summary<G: GitHubApi>(
    api: &G,
    repo: &crate::github::RepoRef,
    comment: &IssueComment,
    body: &str,
) -> anyhow::Result<u64> {
    if comment.body.as_deref() != Some(body) {
        api.update_issue_comment(repo, comment.id, body)
            .await
            .context("updating the summary comment")?;
    }
    Ok(comment.id)
}

/// A diff this large (lines changed) may come from a file above the size limit.
const LARGE_DIFF_LINES: u64 = 20_000;

/// Sizes (from the head tree) of the changed manifests that may be too large to read: GitHub
/// leaves out the patch of a large diff, and the files listing gives no size. Empty — and no
/// request — when every changed manifest has a patch of modest size or is cached.
async fn large_file_sizes<G: GitHubApi>(
    api: &G,
    repo: &crate::github::RepoRef,
    sha: &str,
    files: &[crate::github::DiffEntry],
    cache: &BlobCache,
    trees: &TreeMemo,
) -> anyhow::Result<HashMap<String, u64>> {
    let suspect = files.iter().any(|f| {
        f.status != "removed"
            && is_manifest_path(&f.filename)
            && f.sha.as_deref().is_some_and(|s| cache.get(s).is_none())
            && (f.patch.is_none() || f.changes.unwrap_or(0) > LARGE_DIFF_LINES)
    });
    if !suspect {
        return Ok(HashMap::new());
    }
    let tree = trees
        .files(api, repo, sha)
        .await
        .context("reading the head commit's tree for file sizes")?;
    Ok(tree.sizes.clone())
}

/// Creates the check run; after an answer that leaves open whether GitHub made it, adopts the
/// open `kubenudge` run of this head if there is one.
async fn create_check_run_once<G: GitHubApi>(
    api: &G,
    repo: &crate::github::RepoRef,
    sha: &str,
    create: &CheckRunWrite,
) -> Result<u64, crate::github::GitHubError> {
    match api.create_check_run(repo, create).await {
        Ok(run) => Ok(run.id),
        Err(e) if e.is_ambiguous() => {
            let runs = api.list_check_runs(repo, sha, CHECK_NAME).await?;
            match runs
                .iter()
                .filter(|r| r.status != "completed")
                .max_by_key(|r| r.id)
            {
                Some(run) => {
                    tracing::info!(
                        run = run.id,
                        "adopting the check run an unanswered request made"
                    );
                    Ok(run.id)
                }
                None => api.create_check_run(repo, create).await.map(|r| r.id),
            }
        }
        Err(e) => Err(e),
    }
}

/// The review of this commit kubenudge already posted, if any.
async fn posted_review<G: GitHubApi>(
    api: &G,
    repo: &crate::github::RepoRef,
    pr: PullNumber,
    sha: &str,
) -> Result<Option<u64>, crate::github::GitHubError> {
    Ok(api
        .list_reviews(repo, pr)
        .await?
        .iter()
        .find(|r| {
            r.commit_id.as_deref() == Some(sha)
                && r.body.as_deref().is_some_and(|b| b.contains(REVIEW_MARKER))
        })
        .map(|r| r.id))
}

/// A review that failed before its check run existed still leaves a completed run, if
/// GitHub takes it.
async fn fail_before_run<G: GitHubApi>(
    api: &G,
    job: &Job,
    pr: PullNumber,
    what: String,
) -> Outcome {
    tracing::error!(repo = %job.repo, pr = pr.0, error = %what, "review failed before it started");
    let outcome = review::failure_check(&what);
    let run = CheckRunWrite {
        name: Some(CHECK_NAME.to_string()),
        head_sha: Some(job.head_sha.0.clone()),
        external_id: Some(external_id(pr)),
        ..completion(&outcome, Vec::new())
    };
    if let Err(e) = api.create_check_run(&job.repo, &run).await {
        tracing::error!(error = %e, "could not record the failed review as a check run");
    }
    Outcome::Failed(what)
}

fn completion(outcome: &CheckOutcome, annotations: Vec<CheckAnnotation>) -> CheckRunWrite {
    CheckRunWrite {
        status: Some("completed"),
        conclusion: Some(outcome.conclusion.as_str()),
        completed_at: Some(now()),
        output: Some(CheckRunOutput {
            title: outcome.title.clone(),
            summary: outcome.summary.clone(),
            annotations,
        }),
        ..CheckRunWrite::default()
    }
}

fn to_annotation(a: &Annotation) -> CheckAnnotation {
    CheckAnnotation {
        path: a.path.clone(),
        start_line: a.start_line,
        end_line: a.end_line,
        annotation_level: a.level.as_str(),
        title: a.title.clone(),
        message: a.message.clone(),
    }
}

/// What the rollout policy changes in the plan: the conclusion, the check run's policy
/// sections, and the comments or annotations on mistakes in the pull request's configuration.
fn apply_policy(
    plan: &mut review::ReviewPlan,
    decisions: &rollout::Review,
    report: &PolicyReport<'_>,
    diffs: &HashMap<String, FileDiff>,
    previous: &[review::PreviousComment],
) {
    plan.check.conclusion = match decisions.conclusion() {
        rollout::Conclusion::Failure => Conclusion::Failure,
        rollout::Conclusion::Neutral => Conclusion::Neutral,
        // A configuration the pull request breaks, or a label change that would get pods
        // rejected, is worth a look before merging.
        rollout::Conclusion::Success
            if !report.head_errors.is_empty() || report.blocked_workloads() > 0 =>
        {
            Conclusion::Neutral
        }
        rollout::Conclusion::Success => Conclusion::Success,
    };
    let sections = report.check_sections();
    if !sections.is_empty() {
        plan.check.summary =
            review::truncate_body(&format!("{sections}\n{}", plan.check.summary), 65_535);
    }
    if plan.check.title == "No findings" {
        if !report.head_errors.is_empty() {
            plan.check.title = format!("{} has errors", crate::config::CONFIG_PATH);
        } else if report.blocked_workloads() > 0 {
            let n = report.blocked_workloads();
            plan.check.title = format!(
                "Namespace label change would reject {n} {}",
                if n == 1 { "workload" } else { "workloads" }
            );
        }
    }
    let open: Vec<&str> = previous
        .iter()
        .filter(|p| !p.fixed)
        .flat_map(|p| p.fingerprints.iter().map(String::as_str))
        .collect();
    let mut current = Vec::new();
    for e in report.head_errors {
        let fingerprint = review::policy::config_error_fingerprint(e);
        current.push(fingerprint.clone());
        let in_diff = diffs
            .get(&e.file)
            .is_some_and(|d| d.added.contains(&e.line));
        if !in_diff {
            plan.check
                .annotations
                .push(review::policy::config_error_annotation(e));
        } else if !open.contains(&fingerprint.as_str())
            && !plan
                .comments
                .iter()
                .any(|c| c.fingerprints.contains(&fingerprint))
        {
            plan.comments.push(review::policy::config_error_comment(e));
        }
    }
    // A configuration mistake still present is not "fixed" just because no finding has it.
    plan.fixed.retain(|f| {
        previous
            .iter()
            .find(|p| p.id == f.id)
            .is_none_or(|p| !p.fingerprints.iter().any(|f| current.contains(f)))
    });
}

/// Changed manifests whose base version is read for the readiness trend; above it the
/// table shows the head alone.
const MAX_READINESS_BASE_FILES: usize = 50;

/// The readiness table of the workloads the pull request changes, with the trend since the
/// base commit (their files there, read by path). Empty when nothing can be said; a failure
/// to read the base leaves the table without its trend.
#[allow(clippy::too_many_arguments)]
async fn readiness_since_base<G: GitHubApi>(
    api: &G,
    repo: &crate::github::RepoRef,
    files: &[crate::github::DiffEntry],
    base_sha: Option<&str>,
    head: &crate::engine::LintResult,
    resolver: &NamespaceResolver,
    kustomizations: &[(String, String)],
    config: &crate::config::Config,
) -> String {
    use crate::rollout::readiness;
    let now = readiness::measure(head, resolver, config);
    if now.is_empty() {
        return String::new();
    }
    let existing: Vec<&crate::github::DiffEntry> = files
        .iter()
        .filter(|f| {
            f.status != "added" && is_manifest_path(&f.filename) && f.filename != CONFIG_PATH
        })
        .collect();
    let Some(base_sha) = base_sha.filter(|_| existing.len() <= MAX_READINESS_BASE_FILES) else {
        return readiness::render_table(&now, None);
    };
    let mut inputs = Vec::new();
    for f in existing {
        let old = f.previous_filename.as_deref().unwrap_or(&f.filename);
        match api.get_file_at(repo, old, base_sha).await {
            Ok(Some(bytes)) => inputs.push((f.filename.clone(), bytes)),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "readiness trend not computed");
                return readiness::render_table(&now, None);
            }
        }
    }
    let base = lint(&inputs, &LintOptions::default());
    let base_resolver = NamespaceResolver::from_lint_and_kustomizations(&base, kustomizations);
    let before = readiness::measure(&base, &base_resolver, config);
    readiness::render_pull_request_table(&now, &before)
}

/// Adds the "Connectivity" section to the summary and the check run, and its comments on the
/// policy lines that newly block or open a connection. Earlier connectivity comments are
/// never marked "fixed": no finding carries them.
fn add_connectivity(
    plan: &mut review::ReviewPlan,
    sides: &connectivity::BothSides,
    diffs: &HashMap<String, FileDiff>,
    previous: &[review::PreviousComment],
) {
    let is_connectivity = |f: &String| f.starts_with(review::connectivity::FINGERPRINT_PREFIX);
    plan.fixed.retain(|f| {
        previous
            .iter()
            .find(|p| p.id == f.id)
            .is_none_or(|p| !p.fingerprints.iter().any(is_connectivity))
    });
    let open: Vec<String> = previous
        .iter()
        .flat_map(|p| {
            p.fingerprints
                .iter()
                .filter(|f| is_connectivity(f))
                .cloned()
        })
        .collect();
    let Some(found) =
        review::connectivity::connectivity_review(&review::connectivity::ConnectivityInput {
            base: &sides.base,
            head: &sides.head,
            diffs,
            open_fingerprints: &open,
            unread: sides.unread,
        })
    else {
        return;
    };
    plan.summary_comment =
        review::connectivity::insert_section(&plan.summary_comment, &found.section, 65_536);
    plan.check.summary = review::truncate_body(
        &format!("{}\n\n{}", plan.check.summary.trim_end(), found.section),
        65_535,
    );
    plan.comments.extend(found.comments);
}

#[allow(clippy::too_many_arguments)]
async fn review_and_post<G: GitHubApi>(
    api: G,
    job: Job,
    pr: PullNumber,
    run_id: u64,
    summary: Option<IssueComment>,
    cx: Arc<ReviewContext>,
    completed: Arc<std::sync::atomic::AtomicBool>,
    ledger: Arc<Ledger>,
) -> anyhow::Result<&'static str> {
    let repo = &job.repo;
    let sha = &job.head_sha.0;
    let files = api
        .list_pull_files(repo, pr)
        .await
        .context("listing the pull request's files")?;
    let mut inputs = Vec::new();
    let mut diffs = HashMap::new();
    let mut other_files = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    // The pull request's own version of the configuration: validated, never applied.
    let mut head_config: Option<Arc<Vec<u8>>> = None;
    let trees = TreeMemo::default();
    let sizes = large_file_sizes(&api, repo, sha, &files, &cx.blobs, &trees).await?;
    let max_bytes = crate::manifest::Limits::default().max_file_bytes as u64;
    for f in &files {
        if f.status == "removed" {
            continue;
        }
        if !is_manifest_path(&f.filename) {
            other_files.push(f.filename.clone());
            continue;
        }
        let Some(blob_sha) = &f.sha else {
            other_files.push(f.filename.clone());
            continue;
        };
        if let Some(&size) = sizes.get(&f.filename)
            && size > max_bytes
        {
            // Never read into memory what would be refused anyway.
            problems.push(format!(
                "`{}` is {} MiB, above the {} MiB limit; not read",
                f.filename,
                size / (1024 * 1024),
                max_bytes / (1024 * 1024)
            ));
            continue;
        }
        let bytes = github_files::blob(&api, repo, &cx.blobs, blob_sha, &f.filename).await?;
        if let Some(patch) = &f.patch {
            diffs.insert(f.filename.clone(), FileDiff::parse(patch));
        }
        if f.filename == CONFIG_PATH {
            head_config = Some(bytes);
            continue;
        }
        inputs.push((f.filename.clone(), bytes.as_ref().clone()));
    }

    // The policy of the base commit.
    let base_sha = match job.base_sha.as_ref().map(|b| b.0.clone()) {
        Some(b) => Some(b),
        None => api
            .get_pull(repo, pr)
            .await
            .context("reading the pull request's base commit")?
            .base
            .map(|b| b.sha),
    };
    let base = match &base_sha {
        Some(b) => policy::base_config(&api, repo, b, &cx.configs, &cx.enforcement).await?,
        None => {
            tracing::warn!(repo = %repo, pr = pr.0, "no base commit known; the service defaults apply");
            policy::BaseConfig {
                config: policy::service_defaults(&cx.enforcement),
                errors: Vec::new(),
            }
        }
    };
    let config = &base.config;
    let head_errors = match &head_config {
        Some(bytes) => crate::config::load_or_default(CONFIG_PATH, bytes).1,
        None => Vec::new(),
    };
    let today = (cx.today)();

    let pss = PssPolicy {
        level: config.level,
        version: config.pss_version,
        origin: None,
    };
    // When the pull request touches what connectivity depends on, the whole repository is
    // read at both commits: for the Connectivity section, and so that the rules see the
    // rest of the repository (the workloads a policy selects, the policy that allows DNS).
    // Connectivity is extra: when the trees cannot be read the review still completes.
    let connectivity_sides = match &base_sha {
        Some(base_sha) => {
            let head_files: Vec<crate::manifest::ManifestFile> = inputs
                .iter()
                .filter_map(|(p, b)| {
                    crate::manifest::read_manifest(p, b, &crate::manifest::Limits::default()).ok()
                })
                .collect();
            let read = async {
                if !connectivity::touches_connectivity(
                    &api,
                    repo,
                    &files,
                    &head_files,
                    Some(base_sha),
                )
                .await?
                {
                    return Ok(None);
                }
                connectivity::both_sides(&api, repo, &cx.blobs, &trees, base_sha, sha)
                    .await
                    .map(Some)
            };
            read.await.inspect_err(|e: &anyhow::Error| {
                tracing::warn!(error = %format!("{e:#}"), "connectivity not computed");
            })
        }
        None => Ok(None),
    };
    let (context, partial_repository) = match &connectivity_sides {
        Ok(Some(sides)) => (Arc::clone(&sides.head), !sides.head_complete),
        // Only the pull request's files are known: the rest of the repository is not.
        _ => (Arc::default(), true),
    };
    let options = LintOptions {
        pss: pss.clone(),
        pss_explicit: config.pss_explicit,
        rules: config.rules.clone(),
        partial_repository,
        context,
        chart_values: config.helm.clone(),
        ..LintOptions::default()
    };
    // Kustomize overlays the pull request touches are built at head and base (`overlays.rs`).
    let overlays = PullOverlays::prepare(
        &api,
        repo,
        &cx.blobs,
        &trees,
        sha,
        base_sha.as_deref(),
        &files,
        &inputs,
        &options,
    )
    .await?;
    let mut result = overlays.lint(&inputs, &options);

    // The head tree is read only when the policy needs files the pull request did not change.
    let changed: Vec<&str> = inputs.iter().map(|(p, _)| p.as_str()).collect();
    let namespace_matters = !config.rollout.is_empty() || !config.exceptions.is_empty();
    let unnamed_objects = result.files.iter().any(|f| {
        f.objects
            .iter()
            .any(|o| o.kind != "Namespace" && o.namespace.as_deref().is_none_or(str::is_empty))
    });
    // Namespaces whose Pod Security labels may change: their base version is compared first.
    let mut base_namespace_files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut head_namespace_files: Vec<(String, Vec<u8>)> = Vec::new();
    for file in &result.files {
        if !file.objects.iter().any(|o| o.kind == "Namespace") {
            continue;
        }
        let Some(entry) = files.iter().find(|f| f.filename == file.path) else {
            continue;
        };
        // A diff that touches no Pod Security label leaves the labels as they were in the base.
        let touches_labels = entry.patch.as_deref().is_none_or(|patch| {
            patch.lines().any(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && l.contains(crate::rollout::preview::PSA_LABEL_PREFIX)
            })
        });
        if !touches_labels {
            continue;
        }
        if let Some((_, bytes)) = inputs.iter().find(|(p, _)| *p == file.path) {
            head_namespace_files.push((file.path.clone(), bytes.clone()));
        }
        if entry.status != "added"
            && let Some(base_sha) = &base_sha
        {
            let old_path = entry.previous_filename.as_deref().unwrap_or(&file.path);
            if let Some(bytes) = api
                .get_file_at(repo, old_path, base_sha)
                .await
                .with_context(|| format!("reading {old_path} of the base commit"))?
            {
                base_namespace_files.push((file.path.clone(), bytes));
            }
        }
    }
    let labels_change = !head_namespace_files.is_empty()
        && !preview_label_changes(&base_namespace_files, &head_namespace_files, config).is_empty();

    let mut kustomizations: Vec<(String, String)> = Vec::new();
    let mut previews = Vec::new();
    let mut preview_unread = 0;
    let mut tree_truncated = false;
    if labels_change || (namespace_matters && unnamed_objects) {
        let read = trees.files(&api, repo, sha).await?;
        let (tree, truncated) = (&read.files, read.truncated);
        for (path, blob_sha) in tree {
            if !changed.contains(&path.as_str())
                && policy::is_kustomization_for(path, changed.iter().copied())
            {
                let bytes = github_files::blob(&api, repo, &cx.blobs, blob_sha, path).await?;
                kustomizations.push((path.clone(), String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
        if labels_change {
            // Every manifest of the head commit, the changed ones from memory.
            let mut head_all: Vec<(String, Vec<u8>)> = inputs.clone();
            let mut unread = 0;
            for (path, blob_sha) in tree {
                if !is_manifest_path(path)
                    || path == CONFIG_PATH
                    || changed.contains(&path.as_str())
                {
                    continue;
                }
                if head_all.len() >= policy::MAX_PREVIEW_FILES {
                    unread += 1;
                    continue;
                }
                let bytes = github_files::blob(&api, repo, &cx.blobs, blob_sha, path).await?;
                head_all.push((path.clone(), bytes.as_ref().clone()));
            }
            // The base commit is the head commit with the changed Namespace files as they were.
            let mut base_all: Vec<(String, Vec<u8>)> = head_all
                .iter()
                .filter(|(p, _)| !head_namespace_files.iter().any(|(h, _)| h == p))
                .cloned()
                .collect();
            base_all.extend(base_namespace_files.iter().cloned());
            previews = preview_label_changes(&base_all, &head_all, config);
            preview_unread = unread;
            tree_truncated = truncated;
        }
    }
    let resolver = NamespaceResolver::from_lint_and_kustomizations(&result, &kustomizations);
    let mut decisions = rollout::review(
        &result,
        &PolicyInput {
            config,
            config_errors: &base.errors,
            today,
            namespaces: &resolver,
        },
    );
    // With a dated rollout under way, the summary says how this pull request moves the
    // namespaces it touches toward their next step.
    let readiness = if rollout::impact::has_dated_steps(&decisions) {
        readiness_since_base(
            &api,
            repo,
            &files,
            base_sha.as_deref(),
            &result,
            &resolver,
            &kustomizations,
            config,
        )
        .await
    } else {
        String::new()
    };
    overlays.place(&mut result, &mut decisions, &options);
    // The planner sees the findings the policy reports (audit ones too: the check run shows
    // them); excepted, ignored and `off` findings are only named in the impact note.
    result.findings = decisions.reported().map(|d| d.finding.clone()).collect();
    let policy_report = PolicyReport {
        base_errors: &base.errors,
        config_changed: head_config.is_some(),
        head_errors: &head_errors,
        previews: &previews,
        preview_unread,
        tree_truncated,
    };
    // Links name the repository so its guidance page can show the repository's help text.
    let review_config = cx.config.for_repository(&repo.to_string());
    let enforcement = Enforcement {
        mode: cx.enforcement.mode,
        pss,
        rollout: Some(review::policy::rollout_stages(
            &decisions,
            config,
            &format!("{}{readiness}", policy_report.summary_sections()),
            |rule| review::guidance_url(&review_config, rule),
        )),
    };

    // Only a pull request kubenudge summarised before can hold its inline comments.
    let previous: Vec<review::PreviousComment> = if summary.is_some() {
        api.list_review_comments(repo, pr)
            .await
            .context("listing review comments")?
            .iter()
            .filter_map(|c| {
                let mut previous = review::parse_previous_comment(c.id, &c.body)?;
                previous.anchor = match (&c.path, c.line) {
                    (Some(path), Some(line)) => Some(review::CommentAnchor {
                        path: path.clone(),
                        line: line as usize,
                        start_line: c.start_line.map(|l| l as usize),
                    }),
                    _ => None,
                };
                Some(previous)
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut plan = plan_review(&ReviewInput {
        head_sha: sha,
        result: &result,
        diffs: &diffs,
        other_files: &other_files,
        problems: &problems,
        previous: &previous,
        config: &review_config,
        enforcement: &enforcement,
    });
    apply_policy(&mut plan, &decisions, &policy_report, &diffs, &previous);
    match &connectivity_sides {
        Ok(Some(sides)) => add_connectivity(&mut plan, sides, &diffs, &previous),
        Ok(None) => {}
        Err(e) => {
            let note = format!(
                "{}\n\nkubenudge could not read the repository at both commits ({e}), so what this pull request changes about who can reach whom is not shown.\n",
                review::connectivity::HEADING
            );
            plan.summary_comment =
                review::connectivity::insert_section(&plan.summary_comment, &note, 65_536);
        }
    }
    overlays.note_summary(&mut plan);

    let mut summary_body = plan.summary_comment.clone();
    // A review posted before a crash (recorded, or found by its commit and marker) is not
    // posted again: its comments are those this plan would post.
    let mut posted = ledger.get(ledger::REVIEW).map(|id| id as u64);
    if posted.is_none() && !plan.comments.is_empty() && ledger.resuming() {
        posted = posted_review(&api, repo, pr, sha)
            .await
            .context("looking for a review posted before")?;
    }
    if posted.is_none() && !plan.comments.is_empty() {
        let review = ReviewWrite {
            commit_id: sha.clone(),
            body: format!("{}\n\n{REVIEW_MARKER}", plan.review_body),
            event: "COMMENT",
            comments: plan
                .comments
                .iter()
                .map(|c| ReviewCommentWrite {
                    path: c.path.clone(),
                    body: c.body.clone(),
                    line: c.line,
                    side: "RIGHT",
                    start_line: c.start_line,
                    start_side: c.start_line.map(|_| "RIGHT"),
                })
                .collect(),
        };
        let created = match api.create_review(repo, pr, &review).await {
            Err(e) if e.is_ambiguous() => {
                match posted_review(&api, repo, pr, sha)
                    .await
                    .context("looking for the review an unanswered request made")?
                {
                    Some(id) => Ok(id),
                    None => api.create_review(repo, pr, &review).await,
                }
            }
            other => other,
        };
        match created {
            Ok(id) => {
                ledger
                    .put(ledger::REVIEW, id as i64)
                    .await
                    .context("recording the review in the store")?;
            }
            Err(e) if e.status() == Some(http::StatusCode::UNPROCESSABLE_ENTITY) => {
                // The diff moved under us; the findings stay in the summary and the check run.
                tracing::warn!(error = %e, "GitHub refused the inline comments");
                summary_body = summary_body.replace(
                    SUMMARY_MARKER,
                    &format!("{SUMMARY_MARKER}\n> [!NOTE]\n> GitHub refused the inline comments ({e}); every finding is listed below.\n"),
                );
            }
            Err(e) => return Err(anyhow!(e).context("posting the review")),
        }
    }
    for fixed in &plan.fixed {
        api.update_review_comment(repo, fixed.id, &fixed.body)
            .await
            .context("marking a fixed finding's comment")?;
    }
    for refreshed in &plan.refreshed {
        api.update_review_comment(repo, refreshed.id, &refreshed.body)
            .await
            .context("refreshing a comment whose suggestion changed")?;
    }

    let mut batches: Vec<Vec<CheckAnnotation>> = plan
        .check
        .annotations
        .chunks(ANNOTATIONS_PER_REQUEST)
        .map(|c| c.iter().map(to_annotation).collect())
        .collect();
    let last_batch = batches.pop().unwrap_or_default();
    // Batches sent before a crash are not appended twice: what the store recorded, or what
    // GitHub already holds (a crash can come between GitHub applying a request and the store
    // recording it).
    let mut sent = ledger.get(ledger::ANNOTATION_BATCHES).unwrap_or(0).max(0) as usize;
    if ledger.resuming() && ledger.get(ledger::COMPLETED_RUN) != Some(run_id as i64) {
        let runs = api
            .list_check_runs(repo, sha, CHECK_NAME)
            .await
            .context("reading the check run's state")?;
        if let Some(run) = runs.iter().find(|r| r.id == run_id) {
            if run.status == "completed" {
                ledger
                    .put(ledger::COMPLETED_RUN, run_id as i64)
                    .await
                    .context("recording the completed check run")?;
            }
            let held = run.output.as_ref().map_or(0, |o| o.annotations_count);
            sent = sent.max(held as usize / ANNOTATIONS_PER_REQUEST);
        }
    }
    for (i, batch) in batches.into_iter().enumerate() {
        if i < sent {
            continue;
        }
        // Annotations are appended on each update; the last batch goes with the completion.
        let update = CheckRunWrite {
            output: Some(CheckRunOutput {
                title: plan.check.title.clone(),
                summary: plan.check.summary.clone(),
                annotations: batch,
            }),
            ..CheckRunWrite::default()
        };
        api.update_check_run(repo, run_id, &update)
            .await
            .context("adding annotations to the check run")?;
        ledger
            .put(ledger::ANNOTATION_BATCHES, i as i64 + 1)
            .await
            .context("recording annotations in the store")?;
    }
    // Completed before a crash: completing again would append the last batch twice.
    if ledger.get(ledger::COMPLETED_RUN) != Some(run_id as i64) {
        api.update_check_run(repo, run_id, &completion(&plan.check, last_batch))
            .await
            .context("completing the check run")?;
        ledger
            .put(ledger::COMPLETED_RUN, run_id as i64)
            .await
            .context("recording the completed check run")?;
    }
    completed.store(true, std::sync::atomic::Ordering::SeqCst);
    if let Err(e) = ledger.check_run(run_id, true).await {
        tracing::warn!(error = %e, "cannot record the completed check run");
    }

    // Last, so its head marker means "this commit was fully reviewed".
    let summary_id = match &summary {
        Some(c) => update_summary(&api, repo, c, &summary_body).await?,
        None => match api.create_issue_comment(repo, pr, &summary_body).await {
            Ok(id) => id,
            Err(e) if e.is_ambiguous() => {
                let made = api
                    .list_issue_comments(repo, pr)
                    .await
                    .context("looking for the summary an unanswered request made")?
                    .into_iter()
                    .find(|c| {
                        c.body
                            .as_deref()
                            .is_some_and(|b| b.contains(SUMMARY_MARKER))
                    });
                match made {
                    Some(c) => update_summary(&api, repo, &c, &summary_body).await?,
                    None => api
                        .create_issue_comment(repo, pr, &summary_body)
                        .await
                        .context("posting the summary comment")?,
                }
            }
            Err(e) => return Err(anyhow!(e).context("posting the summary comment")),
        },
    };
    ledger
        .put(ledger::SUMMARY, summary_id as i64)
        .await
        .context("recording the summary in the store")?;
    ledger
        .finished()
        .await
        .context("recording the finished review in the store")?;
    Ok(plan.check.conclusion.as_str())
}
