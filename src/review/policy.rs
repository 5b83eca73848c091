//! The words about the repository's rollout policy that are not about one finding: a broken
//! configuration in the base commit, a configuration edited (with mistakes) by the pull
//! request, and the Namespace label change preview. Pure, like the rest of the review.

use std::fmt::Write as _;

use super::enforcement::{Mode, RolloutStages};
use super::markers;
use super::plan::{Annotation, AnnotationLevel, InlineComment};
use crate::config::{CONFIG_PATH, ConfigError};
use crate::rollout::preview::{LabelChangePreview, ModeLabels, level_label};
use crate::rollout::{Review, impact};

/// Manifests of the head commit read at most for one label change preview.
pub const MAX_PREVIEW_FILES: usize = 300;

/// The impact note's last section.
const HELP_HEADING: &str = "### How to get help";

/// What the policy sections of a review are built from.
pub struct PolicyReport<'a> {
    /// Mistakes in the base commit's configuration (the defaults applied instead).
    pub base_errors: &'a [ConfigError],
    /// The pull request changes the configuration file.
    pub config_changed: bool,
    /// Mistakes in the pull request's version of the configuration.
    pub head_errors: &'a [ConfigError],
    pub previews: &'a [LabelChangePreview],
    /// Manifests of the head commit that were not read for the preview (over the limit).
    pub preview_unread: usize,
    /// GitHub listed only part of the head commit's tree.
    pub tree_truncated: bool,
}

/// Per-finding stages and the impact note for the planner.
/// `guidance_url` gives a rule's guidance page; it replaces the `kubenudge explain` hint the
/// policy's texts fall back on when the configuration names no `docs-base-url`.
pub fn rollout_stages(
    review: &Review,
    config: &crate::config::Config,
    extra_note: &str,
    guidance_url: impl Fn(&str) -> String,
) -> RolloutStages {
    let link = |text: String| -> String {
        if config.docs_base_url.is_some() {
            return text;
        }
        let mut rules: Vec<&str> = review.decisions.iter().map(|d| d.finding.rule).collect();
        rules.sort_unstable();
        rules.dedup();
        rules.iter().fold(text, |t, rule| {
            t.replace(
                &format!("`kubenudge explain {rule}`"),
                &format!("[the guidance page]({})", guidance_url(rule)),
            )
        })
    };
    let mut stages = RolloutStages::default();
    for d in review.reported() {
        let mode = match d.mode {
            crate::config::Mode::Enforce => Mode::Enforce,
            crate::config::Mode::Warn => Mode::Warn,
            // `off` is never reported; `audit` stays in the check run.
            crate::config::Mode::Audit | crate::config::Mode::Off => Mode::Audit,
        };
        let f = &d.finding;
        stages.by_finding.insert(
            (f.file.clone(), f.line, f.column, f.rule.to_string()),
            (mode, link(impact::comment_context(d, config))),
        );
    }
    // A pull request that touches no Kubernetes object (README, Helm templates, workflows)
    // gets no impact note: there is nothing for its author to act on.
    let nothing_to_say = review.namespaces.is_empty()
        && review.decisions.is_empty()
        && review.config_errors.is_empty()
        && review.expiring_exceptions().next().is_none()
        && extra_note.is_empty();
    if nothing_to_say {
        return stages;
    }
    let mut note = impact::impact_note(review, config, impact::Scope::PullRequest);
    if !extra_note.is_empty() {
        // Before "How to get help", which stays last.
        match note.find(HELP_HEADING) {
            Some(at) => note.insert_str(at, &format!("{}\n\n", extra_note.trim_end())),
            None => {
                let _ = write!(note, "\n{extra_note}");
            }
        }
    }
    stages.note = link(note);
    stages
}

impl PolicyReport<'_> {
    /// Workloads that a label change of this pull request would get rejected.
    pub fn blocked_workloads(&self) -> usize {
        self.previews.iter().map(|p| p.blocked.len()).sum()
    }

    /// Sections for the summary comment (after the impact note, which already says when the
    /// base configuration is broken).
    pub fn summary_sections(&self) -> String {
        let mut md = String::new();
        self.config_change(&mut md);
        self.label_changes(&mut md);
        md
    }

    /// Sections for the check run: everything above, and the broken base configuration first.
    pub fn check_sections(&self) -> String {
        let mut md = String::new();
        if !self.base_errors.is_empty() {
            let _ = writeln!(
                md,
                "> [!WARNING]\n> `{CONFIG_PATH}` in the base commit is broken, so the defaults (restricted, latest, warn) apply until it is fixed:"
            );
            for e in self.base_errors {
                let _ = writeln!(md, "> - {e}");
            }
            md.push('\n');
        }
        md.push_str(&self.summary_sections());
        md
    }

    fn config_change(&self, md: &mut String) {
        if !self.config_changed {
            return;
        }
        let _ = writeln!(md, "### `{CONFIG_PATH}` in this pull request\n");
        let _ = writeln!(
            md,
            "This review applies the base branch's configuration: a pull request's own version takes effect once merged."
        );
        if !self.head_errors.is_empty() {
            let n = self.head_errors.len();
            let _ = writeln!(
                md,
                "The new version has {n} {} and would make kubenudge fall back to the defaults:\n",
                if n == 1 { "error" } else { "errors" }
            );
            for e in self.head_errors {
                let _ = writeln!(md, "- {e}");
            }
        }
        md.push('\n');
    }

    fn label_changes(&self, md: &mut String) {
        if self.previews.is_empty() {
            return;
        }
        let _ = writeln!(md, "### Namespace label changes\n");
        for p in self.previews {
            let _ = writeln!(
                md,
                "**`{}`**: `{}` {} → {} ({}:{}).\n",
                p.namespace,
                level_label(p.mode),
                labels(&p.before),
                labels(&p.after),
                p.file,
                p.line
            );
            if let Some(invalid) = &p.invalid_label {
                let _ = writeln!(
                    md,
                    "The new label is invalid ({invalid}): the API server would reject the Namespace itself.\n"
                );
                continue;
            }
            if p.policy.is_none() || p.after.level.as_deref() == Some("privileged") {
                let nothing = match p.mode {
                    crate::config::Mode::Enforce => {
                        "The new labels enforce nothing: no pod is rejected."
                    }
                    crate::config::Mode::Warn => "The new labels warn about nothing.",
                    _ => "The new labels audit nothing.",
                };
                let _ = writeln!(md, "{nothing}\n");
                continue;
            }
            if p.blocked.is_empty() {
                let _ = writeln!(
                    md,
                    "All {} {} of `{}` in this commit pass the new level.\n",
                    p.workloads,
                    if p.workloads == 1 {
                        "workload"
                    } else {
                        "workloads"
                    },
                    p.namespace
                );
                continue;
            }
            let effect = match p.mode {
                crate::config::Mode::Enforce => "Pod Security admission would reject the pods of",
                crate::config::Mode::Warn => {
                    "the API server would return a warning (shown by kubectl) for the pods of"
                }
                _ => "the API server would record an audit annotation for the pods of",
            };
            let _ = writeln!(
                md,
                "Once applied, {effect} {} of the {} {} of `{}` in this commit, including workloads this pull request does not change:\n",
                p.blocked.len(),
                p.workloads,
                if p.workloads == 1 {
                    "workload"
                } else {
                    "workloads"
                },
                p.namespace
            );
            for b in &p.blocked {
                let rules: Vec<String> = b.rules.iter().map(|r| format!("`{r}`")).collect();
                let _ = writeln!(
                    md,
                    "- `{}/{}` ({}:{}): {}",
                    b.object.kind,
                    b.object.name,
                    b.file,
                    b.line,
                    rules.join(", ")
                );
            }
            md.push('\n');
        }
        if self.preview_unread > 0 {
            let _ = writeln!(
                md,
                "Only the first {} manifests of the head commit were read: {} more {} not checked, so the lists above may be incomplete.\n",
                crate::review::policy::MAX_PREVIEW_FILES,
                self.preview_unread,
                if self.preview_unread == 1 {
                    "was"
                } else {
                    "were"
                }
            );
        }
        if self.tree_truncated {
            let _ = writeln!(
                md,
                "GitHub listed only part of the head commit's files (a very large repository), so the lists above may be incomplete.\n"
            );
        }
    }
}

fn labels(l: &ModeLabels) -> String {
    match (&l.level, &l.version) {
        (None, _) => "(not set)".to_string(),
        (Some(level), None) => format!("`{level}`"),
        (Some(level), Some(v)) => format!("`{level}` (version `{v}`)"),
    }
}

/// A stable id for a configuration mistake, so its comment is posted once and marked fixed
/// when the mistake is gone.
pub fn config_error_fingerprint(e: &ConfigError) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{}:{}", e.file, e.message).as_bytes());
    format!("config-{}", &hex::encode(digest)[..16])
}

/// An inline comment on the line of a configuration mistake.
pub fn config_error_comment(e: &ConfigError) -> InlineComment {
    let fingerprint = config_error_fingerprint(e);
    let body = format!(
        "**{}** (column {})\n\nkubenudge would not accept this version of `{CONFIG_PATH}`: once merged, a broken configuration makes every check fall back to the defaults (restricted, latest, warn).\n{}\n",
        e.message,
        e.column,
        markers::fingerprint_marker(std::slice::from_ref(&fingerprint))
    );
    InlineComment {
        path: e.file.clone(),
        line: e.line,
        start_line: None,
        body,
        fingerprints: vec![fingerprint],
    }
}

/// The check-run annotation of a configuration mistake outside the diff.
pub fn config_error_annotation(e: &ConfigError) -> Annotation {
    Annotation {
        path: e.file.clone(),
        start_line: e.line.max(1),
        end_line: e.line.max(1),
        level: AnnotationLevel::Failure,
        title: "kubenudge configuration".to_string(),
        message: format!("{}:{}: {}", e.line, e.column, e.message),
    }
}
