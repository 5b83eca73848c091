//! `kubenudge check --base REF [PATH]`: the pull request's view, locally. Lints the manifests
//! changed since the merge-base of REF and `HEAD` (as GitHub compares a pull request), reports
//! only the findings on changed lines (the others as a count), and with `--format review-md`
//! prints the summary and inline comments the App would post.
//!
//! Owns: asking git what changed (`git.rs`), restricting a run to changed lines, and laying out
//! the App's plan for a terminal (`review_md.rs`). It never words a finding itself: text and
//! JSON come from `crate::report`, the comments from `crate::review::plan_review`.
//!
//! When the change touches policies or what they select, the connectivity diff (text) or the
//! App's Connectivity section (review-md) is computed from the repository at the merge-base
//! ([`ChangedRun::base_file`]) and in the working tree (`connectivity.rs`).

mod connectivity;
mod git;
mod review_md;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{CheckArgs, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Format, lint_options};
use crate::cli_rollout::{CheckPolicy, LoadedPolicy, apply_policy, load_config};
use crate::config::{CONFIG_PATH, Config, ConfigError, load_or_default};
use crate::engine::{LintResult, lint};
use crate::review::FileDiff;

pub use git::Changes;

/// A run over the changed files of a repository.
pub(crate) struct ChangedRun {
    pub changes: Changes,
    pub base_ref: String,
    /// Changed manifests (repository paths and bytes), the configuration file excluded.
    pub inputs: Vec<(String, Vec<u8>)>,
    /// Changed files that are not manifests, as the App lists them.
    pub other_files: Vec<String>,
    /// The pull request's own configuration file, when it changes it.
    pub head_config: Option<Vec<u8>>,
}

impl ChangedRun {
    /// A changed file as it was at the merge-base; `None` when it is new.
    pub fn base_file(&self, path: &str) -> Option<Vec<u8>> {
        git::file_at(&self.changes.root, &self.changes.merge_base, path)
    }

    fn diffs(&self) -> &BTreeMap<String, FileDiff> {
        &self.changes.files
    }
}

/// `check --base`, or `--format review-md` (which needs it).
pub(crate) fn check_base(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(base) = &args.base else {
        let _ = writeln!(
            err,
            "error: --format review-md shows the comments on a pull request's changes; name its base with --base REF (e.g. --base origin/main)"
        );
        return EXIT_ERROR;
    };
    let run = match changed_run(base, &args.paths) {
        Ok(r) => r,
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            return EXIT_ERROR;
        }
    };
    // The App reads the policy from the base commit (a pull request cannot switch its own
    // checks off); `--config` overrides it for trying a policy out.
    let base_config: Option<Result<Config, Vec<ConfigError>>> = match &args.config {
        Some(_) => None,
        None => run.base_file(CONFIG_PATH).map(|bytes| {
            let (config, errors) = load_or_default(CONFIG_PATH, &bytes);
            if errors.is_empty() {
                Ok(config)
            } else {
                Err(errors)
            }
        }),
    };
    let flag_policy = match &args.config {
        Some(path) => match load_config(path) {
            // Paths of a `--base` run are relative to the repository root.
            Ok(p) => Some(LoadedPolicy {
                config: p.config,
                prefix: String::new(),
            }),
            Err(message) => {
                let _ = write!(err, "{message}");
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    if args.format == Format::ReviewMd {
        let (config, base_errors) = match base_config {
            _ if flag_policy.is_some() => (
                flag_policy.map(|p| p.config).unwrap_or_default(),
                Vec::new(),
            ),
            Some(Ok(config)) => (config, Vec::new()),
            // As the App: a broken base configuration means the defaults, and says so.
            Some(Err(errors)) => (Config::default(), errors),
            None => (Config::default(), Vec::new()),
        };
        let result = lint(&run.inputs, &lint_options(args, Some(&config)));
        let today = args
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        let plan = review_md::plan(&run, result, &config, &base_errors, today);
        let _ = out.write_all(review_md::render(&run, &plan).as_bytes());
        // Like the check run: only a failing conclusion fails the command.
        return if plan.check.conclusion == crate::review::Conclusion::Failure && !args.exit_zero {
            EXIT_FINDINGS
        } else {
            EXIT_CLEAN
        };
    }
    let policy = match (flag_policy, base_config) {
        (Some(p), _) => Some(p),
        (None, Some(Ok(config))) => Some(LoadedPolicy {
            config,
            prefix: String::new(),
        }),
        (None, Some(Err(errors))) => {
            for e in &errors {
                let _ = writeln!(
                    err,
                    "{e} (at the merge-base {})",
                    short(&run.changes.merge_base)
                );
            }
            let _ = writeln!(
                err,
                "error: {CONFIG_PATH} of the base has {} error{}; nothing was checked",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            return EXIT_ERROR;
        }
        (None, None) => None,
    };
    let options = lint_options(args, policy.as_ref().map(|p| &p.config));
    let mut result = lint(&run.inputs, &options);
    let unchanged = keep_changed_lines(&mut result, run.diffs());
    let outcome = apply_policy(
        &mut result,
        &CheckPolicy::new(policy.as_ref(), &options.rules, args.today),
    );
    let scope = scope_note(&run, unchanged);
    let rendered = match args.format {
        Format::Json => {
            let _ = writeln!(err, "{scope}");
            crate::report::render_json(&result)
        }
        _ => {
            let connectivity = connectivity::connectivity_diff(&run)
                .map(|d| format!("\n{d}"))
                .unwrap_or_default();
            crate::report::render_text(&result)
                + &outcome.stage_notes
                + &scope
                + "\n"
                + &connectivity
        }
    };
    let _ = out.write_all(rendered.as_bytes());
    if !args.exit_zero && (outcome.blocking || !result.errors.is_empty()) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Drops the findings that are not on a changed line; returns how many.
fn keep_changed_lines(result: &mut LintResult, diffs: &BTreeMap<String, FileDiff>) -> usize {
    let before = result.findings.len();
    result.findings.retain(|f| {
        diffs
            .get(&f.file)
            .is_some_and(|d| d.added.contains(&f.line))
    });
    before - result.findings.len()
}

/// "Checked 2 changed manifests since 1a2b3c4 (merge-base of main and HEAD); 3 findings on
/// unchanged lines not shown."
fn scope_note(run: &ChangedRun, unchanged: usize) -> String {
    let n = run.inputs.len();
    let mut s = format!(
        "note: checked {n} changed manifest{} since {} (merge-base of {} and HEAD{})",
        if n == 1 { "" } else { "s" },
        short(&run.changes.merge_base),
        run.base_ref,
        if run.changes.uncommitted {
            ", uncommitted changes included"
        } else {
            ""
        }
    );
    if unchanged > 0 {
        s.push_str(&format!(
            "; {unchanged} finding{} on unchanged lines not shown (run without --base to see {})",
            if unchanged == 1 { "" } else { "s" },
            if unchanged == 1 { "it" } else { "them" }
        ));
    }
    s
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// Reads what changed since `base` under `paths` (default: the current directory, as
/// `check` without `--base`; at the repository's root that is the whole pull request).
fn changed_run(base: &str, paths: &[PathBuf]) -> Result<ChangedRun, String> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let start = match paths.first() {
        Some(p) if p.is_file() => p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
        Some(p) => p.clone(),
        None => PathBuf::from("."),
    };
    let changes = git::changes_since(&start, base)?;
    let scopes = scopes(&changes.root, paths)?;
    let mut inputs = Vec::new();
    let mut other_files = Vec::new();
    let mut head_config = None;
    for path in changes.files.keys() {
        if !scopes.is_empty() && !scopes.iter().any(|s| within(path, s)) {
            continue;
        }
        let on_disk = changes.root.join(path);
        if path == CONFIG_PATH {
            head_config = std::fs::read(&on_disk).ok();
            continue;
        }
        if !crate::cli::is_manifest_name(Path::new(path)) {
            other_files.push(path.clone());
            continue;
        }
        let bytes = std::fs::read(&on_disk)
            .map_err(|e| format!("cannot read {}: {e}", on_disk.display()))?;
        inputs.push((path.clone(), bytes));
    }
    Ok(ChangedRun {
        changes,
        base_ref: base.to_string(),
        inputs,
        other_files,
        head_config,
    })
}

/// The repository paths the run is limited to; empty for the whole repository.
fn scopes(root: &Path, paths: &[PathBuf]) -> Result<Vec<String>, String> {
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let mut out = Vec::new();
    for p in paths {
        let full = p
            .canonicalize()
            .map_err(|e| format!("{}: {e}", p.display()))?;
        let relative = full.strip_prefix(&root).map_err(|_| {
            format!(
                "{} is outside the repository {}",
                p.display(),
                root.display()
            )
        })?;
        let s = relative.to_string_lossy().replace('\\', "/");
        if s.is_empty() {
            return Ok(Vec::new());
        }
        out.push(s);
    }
    Ok(out)
}

/// True when repository path `path` is `scope` or lies below it.
fn within(path: &str, scope: &str) -> bool {
    path == scope
        || path
            .strip_prefix(scope)
            .is_some_and(|rest| rest.starts_with('/'))
}
