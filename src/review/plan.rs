//! The planner: which finding becomes an inline comment, which old comment is now fixed, and
//! what the check run concludes.

use std::collections::{BTreeSet, HashMap};

use super::diff::FileDiff;
use super::enforcement::Enforcement;
use super::markers::PreviousComment;
use super::render;
use crate::engine::LintResult;
use crate::finding::Finding;

/// Settings of the review (not of the rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewConfig {
    /// At most this many inline comments per review; the rest go to the summary.
    pub max_inline_comments: usize,
    /// Where `docs/rules/...` pages live, e.g. `https://github.com/kubenudge/kubenudge/blob/main`.
    pub docs_base_url: String,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        ReviewConfig {
            max_inline_comments: 30,
            docs_base_url: "https://github.com/kubenudge/kubenudge/blob/main".to_string(),
        }
    }
}

/// Everything one review is planned from.
pub struct ReviewInput<'a> {
    pub head_sha: &'a str,
    pub result: &'a LintResult,
    /// RIGHT-side diff of every changed file that has a `patch`, by path.
    pub diffs: &'a HashMap<String, FileDiff>,
    /// Changed files that are not `*.yaml|*.yml|*.json` (README, Dockerfile, ...).
    pub other_files: &'a [String],
    /// Problems gathering the files (a blob that could not be fetched, ...), for the summary.
    pub problems: &'a [String],
    /// kubenudge's inline comments from earlier pushes.
    pub previous: &'a [PreviousComment],
    pub config: &'a ReviewConfig,
    pub enforcement: &'a Enforcement,
}

/// A comment on the RIGHT side of `path`, lines `start_line..=line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineComment {
    pub path: String,
    pub line: usize,
    /// Only for multi-line comments (GitHub refuses `start_line == line`).
    pub start_line: Option<usize>,
    pub body: String,
    pub fingerprint: String,
}

/// An earlier comment whose finding is gone, and its new body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedComment {
    pub id: u64,
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conclusion {
    Success,
    Neutral,
    Failure,
}

impl Conclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            Conclusion::Success => "success",
            Conclusion::Neutral => "neutral",
            Conclusion::Failure => "failure",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnotationLevel {
    Notice,
    Warning,
    Failure,
}

impl AnnotationLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AnnotationLevel::Notice => "notice",
            AnnotationLevel::Warning => "warning",
            AnnotationLevel::Failure => "failure",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub path: String,
    pub start_line: usize,
    pub end_line: usize,
    pub level: AnnotationLevel,
    pub title: String,
    pub message: String,
}

/// How the check run ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub conclusion: Conclusion,
    pub title: String,
    pub summary: String,
    pub annotations: Vec<Annotation>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewPlan {
    pub comments: Vec<InlineComment>,
    pub fixed: Vec<FixedComment>,
    /// Body of the summary issue comment (markers included).
    pub summary_comment: String,
    pub check: CheckOutcome,
}

/// Why a finding is not an inline comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotInline {
    OutsideDiff,
    OverLimit,
    AuditOnly,
}

/// Counts the summary reports.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub new_inline: usize,
    pub already_commented: usize,
    pub outside_diff: usize,
    pub over_limit: usize,
    pub audit_only: usize,
    pub fixed: usize,
    pub enforced: usize,
}

pub fn plan_review(input: &ReviewInput<'_>) -> ReviewPlan {
    let open_previous: BTreeSet<&str> = input
        .previous
        .iter()
        .filter(|p| !p.fixed)
        .map(|p| p.fingerprint.as_str())
        .collect();
    let mut tally = Tally::default();
    let mut comments = Vec::new();
    let mut not_inline: Vec<(usize, NotInline)> = Vec::new();
    let mut seen = BTreeSet::new();
    for (index, finding) in input.result.findings.iter().enumerate() {
        let fingerprint = finding.fingerprint();
        if input.enforcement.is_enforced(finding) {
            tally.enforced += 1;
        }
        if !input.enforcement.comments_inline(finding) {
            tally.audit_only += 1;
            not_inline.push((index, NotInline::AuditOnly));
            continue;
        }
        if open_previous.contains(fingerprint.as_str()) || !seen.insert(fingerprint.clone()) {
            tally.already_commented += 1;
            continue;
        }
        let Some(diff) = input.diffs.get(&finding.file) else {
            tally.outside_diff += 1;
            not_inline.push((index, NotInline::OutsideDiff));
            continue;
        };
        if !diff.added.contains(&finding.line) {
            tally.outside_diff += 1;
            not_inline.push((index, NotInline::OutsideDiff));
            continue;
        }
        if comments.len() >= input.config.max_inline_comments {
            tally.over_limit += 1;
            not_inline.push((index, NotInline::OverLimit));
            continue;
        }
        let file = input.result.file(&finding.file);
        comments.push(render::inline_comment(
            finding,
            file,
            diff,
            &fingerprint,
            input.config,
            input.enforcement,
        ));
    }
    tally.new_inline = comments.len();

    let current: BTreeSet<String> = input
        .result
        .findings
        .iter()
        .map(Finding::fingerprint)
        .collect();
    let fixed: Vec<FixedComment> = input
        .previous
        .iter()
        .filter(|p| !p.fixed && !current.contains(&p.fingerprint))
        .map(|p| FixedComment {
            id: p.id,
            body: render::fixed_body(p, input.head_sha),
        })
        .collect();
    tally.fixed = fixed.len();

    let conclusion = if input.result.findings.is_empty() {
        Conclusion::Success
    } else if tally.enforced > 0 {
        Conclusion::Failure
    } else {
        Conclusion::Neutral
    };
    let report = render::Report {
        input,
        tally: &tally,
        not_inline: &not_inline,
    };
    let check = CheckOutcome {
        conclusion,
        title: render::check_title(input.result.findings.len(), tally.enforced),
        summary: render::truncate_body(&report.markdown(), 65_535),
        annotations: input
            .result
            .findings
            .iter()
            .map(|f| render::annotation(f, input.enforcement))
            .collect(),
    };
    ReviewPlan {
        comments,
        fixed,
        summary_comment: report.summary_comment(),
        check,
    }
}
