//! The planner: which finding becomes an inline comment, which old comment is now fixed, and
//! what the check run concludes.

use std::collections::{BTreeSet, HashMap};

use super::diff::FileDiff;
use super::enforcement::Enforcement;
use super::markers::PreviousComment;
use super::render;
use crate::engine::LintResult;
use crate::finding::{Finding, Fix};
use crate::fix::{Suggestion, render_suggestion, review_suggestions};
use crate::manifest::ManifestFile;

/// Settings of the review (not of the rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewConfig {
    /// At most this many inline comments per review; the rest go to the summary.
    pub max_inline_comments: usize,
    /// Where `docs/rules/...` pages live, e.g. `https://github.com/kubenudge/kubenudge/blob/main`.
    pub docs_base_url: String,
    /// This service's public URL (`KUBENUDGE_PUBLIC_URL`): when set, guidance links go to its
    /// `/rules/<rule-id>` pages instead of `docs_base_url`.
    pub rule_pages_url: Option<String>,
    /// The repository under review (`owner/name`), so a rule page can show its help text.
    pub repository: Option<String>,
}

impl ReviewConfig {
    /// The same settings for one repository's review.
    pub fn for_repository(&self, repository: &str) -> ReviewConfig {
        ReviewConfig {
            repository: Some(repository.to_string()),
            ..self.clone()
        }
    }
}

impl Default for ReviewConfig {
    fn default() -> Self {
        ReviewConfig {
            max_inline_comments: 30,
            docs_base_url: "https://github.com/kubenudge/kubenudge/blob/main".to_string(),
            rule_pages_url: None,
            repository: None,
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
    /// The findings the comment is about; its suggestion, if any, fixes all of them.
    pub fingerprints: Vec<String>,
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
    /// Body of the review that carries `comments`.
    pub review_body: String,
    pub fixed: Vec<FixedComment>,
    /// Earlier comments still open whose suggestion changed (the lines it replaces were
    /// edited, or the fix improved), with their new body: an old suggestion applied as it
    /// was would undo the author's edit.
    pub refreshed: Vec<FixedComment>,
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
    /// Findings commented on inline in this review ...
    pub new_inline: usize,
    /// ... in this many comments (one per merged suggestion).
    pub inline_comments: usize,
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
        .flat_map(|p| p.fingerprints.iter().map(String::as_str))
        .collect();
    let findings = &input.result.findings;
    let mut tally = Tally::default();
    let mut not_inline: Vec<(usize, NotInline)> = Vec::new();
    let mut seen = BTreeSet::new();
    // The findings to comment on, by file, files in the order they first appear.
    let mut commentable: Vec<(&str, Vec<usize>)> = Vec::new();
    for (index, finding) in findings.iter().enumerate() {
        let fingerprint = finding.fingerprint();
        if input.enforcement.is_enforced(finding) {
            tally.enforced += 1;
        }
        if !input.enforcement.comments_inline(finding) {
            tally.audit_only += 1;
            not_inline.push((index, NotInline::AuditOnly));
            continue;
        }
        if open_previous.contains(fingerprint.as_str()) || !seen.insert(fingerprint) {
            tally.already_commented += 1;
            continue;
        }
        let in_diff = input
            .diffs
            .get(&finding.file)
            .is_some_and(|diff| diff.added.contains(&finding.line));
        if !in_diff {
            tally.outside_diff += 1;
            not_inline.push((index, NotInline::OutsideDiff));
            continue;
        }
        match commentable
            .iter_mut()
            .find(|(path, _)| *path == finding.file)
        {
            Some((_, indices)) => indices.push(index),
            None => commentable.push((finding.file.as_str(), vec![index])),
        }
    }

    let mut comments = Vec::new();
    let mut posted = BTreeSet::new();
    let mut over_limit = BTreeSet::new();
    for (path, indices) in &commentable {
        let Some(diff) = input.diffs.get(*path) else {
            continue;
        };
        let file = input.result.file(path);
        for draft in drafts(findings, file, indices, diff) {
            if comments.len() >= input.config.max_inline_comments {
                over_limit.extend(draft.findings.iter().copied());
                continue;
            }
            posted.extend(draft.findings.iter().copied());
            let about: Vec<&Finding> = draft.findings.iter().map(|&i| &findings[i]).collect();
            comments.push(render::inline_comment(
                &draft,
                &about,
                file,
                input.config,
                input.enforcement,
            ));
        }
    }
    // A finding whose fix spans two regions may be in a posted comment and a capped one.
    for &index in over_limit.difference(&posted) {
        tally.over_limit += 1;
        not_inline.push((index, NotInline::OverLimit));
    }
    tally.new_inline = posted.len();
    tally.inline_comments = comments.len();

    let current: BTreeSet<String> = input
        .result
        .findings
        .iter()
        .map(Finding::fingerprint)
        .collect();
    // A comment is fixed once none of the findings it is about remains.
    let fixed: Vec<FixedComment> = input
        .previous
        .iter()
        .filter(|p| !p.fixed && p.fingerprints.iter().all(|f| !current.contains(f)))
        .map(|p| FixedComment {
            id: p.id,
            body: render::fixed_body(p, input.head_sha),
        })
        .collect();
    tally.fixed = fixed.len();
    let refreshed = refreshed_comments(input);

    // A manifest that cannot be read was not checked: never call that a success.
    let read_errors = &input.result.errors;
    let conclusion = if input.result.findings.is_empty() && read_errors.is_empty() {
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
        title: render::check_title(
            input.result.findings.len(),
            tally.enforced,
            read_errors.len(),
        ),
        summary: render::truncate_body(&report.markdown(), 65_535),
        annotations: input
            .result
            .findings
            .iter()
            .map(|f| render::annotation(f, input.enforcement))
            .chain(read_errors.iter().map(render::read_error_annotation))
            .collect(),
    };
    ReviewPlan {
        review_body: render::review_body(tally.new_inline, comments.len()),
        comments,
        fixed,
        refreshed,
        summary_comment: report.summary_comment(),
        check,
    }
}

/// Open earlier comments whose findings all remain, still anchored where this review would
/// put them, but whose ```suggestion would now read differently. The comments of a file are
/// drafted again together, as the first review drafted them, so merged regions come out the
/// same.
fn refreshed_comments(input: &ReviewInput<'_>) -> Vec<FixedComment> {
    let findings = &input.result.findings;
    let open: Vec<&PreviousComment> = input
        .previous
        .iter()
        .filter(|p| !p.fixed && p.anchor.is_some())
        .collect();
    let mut paths: Vec<&str> = open
        .iter()
        .filter_map(|p| p.anchor.as_ref().map(|a| a.path.as_str()))
        .collect();
    paths.sort_unstable();
    paths.dedup();
    let mut out = Vec::new();
    for path in paths {
        let (Some(diff), file) = (input.diffs.get(path), input.result.file(path)) else {
            continue;
        };
        let indices: Vec<usize> = findings
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.file == path
                    && input.enforcement.comments_inline(f)
                    && open
                        .iter()
                        .any(|p| p.fingerprints.contains(&f.fingerprint()))
            })
            .map(|(i, _)| i)
            .collect();
        if indices.is_empty() {
            continue;
        }
        let drafted: Vec<InlineComment> = drafts(findings, file, &indices, diff)
            .iter()
            .map(|draft| {
                let about: Vec<&Finding> = draft.findings.iter().map(|&i| &findings[i]).collect();
                render::inline_comment(draft, &about, file, input.config, input.enforcement)
            })
            .collect();
        for previous in open
            .iter()
            .filter(|p| p.anchor.as_ref().is_some_and(|a| a.path == path))
        {
            let Some(anchor) = &previous.anchor else {
                continue;
            };
            let mut wanted = previous.fingerprints.clone();
            wanted.sort();
            let Some(now) = drafted.iter().find(|c| {
                let mut have = c.fingerprints.clone();
                have.sort();
                c.line == anchor.line && c.start_line == anchor.start_line && have == wanted
            }) else {
                continue;
            };
            let old = super::markers::suggestion_block(&previous.body);
            if old.is_some() && old != super::markers::suggestion_block(&now.body) {
                out.push(FixedComment {
                    id: previous.id,
                    body: now.body.clone(),
                });
            }
        }
    }
    out
}

/// What an inline comment shows of its findings' fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shown {
    /// A ```suggestion replacing the comment's lines.
    Suggestion(Suggestion),
    /// Regions outside the diff (or overlapping a suggestion already made), shown as diffs.
    Diff(Vec<Suggestion>),
    Nothing,
}

/// One inline comment before it is worded: the findings it is about (indices into the lint
/// result, in file order), where it goes and what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Draft {
    pub findings: Vec<usize>,
    pub line: usize,
    pub start_line: Option<usize>,
    pub shown: Shown,
    /// Findings whose fix is split over several comments (one edit per container, say):
    /// (finding, line of another comment holding part of it, whether that comment comes
    /// first). The first comment explains the finding; the others point back to it.
    pub elsewhere: Vec<(usize, usize, bool)>,
}

/// The comments for one file's commentable findings. The fixes of all of them are merged
/// (`crate::fix::review_suggestions`) so that each region of the file gets one suggestion
/// listing every finding it fixes: GitHub refuses a review whose suggestions overlap, and a
/// reviewer wants one click per region. A region that does not lie inside one hunk, or that
/// overlaps a suggestion already made, is shown as a diff on its first finding's line; such
/// diffs on the same line share a comment. Findings without a fix get a comment each.
fn drafts(
    findings: &[Finding],
    file: Option<&ManifestFile>,
    indices: &[usize],
    diff: &FileDiff,
) -> Vec<Draft> {
    let with_fix: Vec<(usize, &Fix)> = indices
        .iter()
        .filter_map(|&i| findings[i].fix.as_deref().map(|fix| (i, fix)))
        .collect();
    let mut regions: Vec<(Suggestion, Vec<usize>)> = Vec::new();
    let mut alone: Vec<usize> = indices
        .iter()
        .copied()
        .filter(|&i| findings[i].fix.is_none())
        .collect();
    match file {
        Some(file) if !with_fix.is_empty() => {
            let fixes: Vec<&Fix> = with_fix.iter().map(|(_, fix)| *fix).collect();
            match review_suggestions(file, &fixes) {
                Ok(merged) => {
                    for r in merged {
                        let about: Vec<usize> = r.fixes.iter().map(|&k| with_fix[k].0).collect();
                        if !about.is_empty() {
                            regions.push((r.suggestion, about));
                        }
                    }
                }
                // Fixes that cannot be combined are offered one by one; the overlap check
                // below keeps their suggestions apart.
                Err(_) => {
                    for &(i, fix) in &with_fix {
                        if let Some(s) = render_suggestion(&file.source, &fix.edits) {
                            regions.push((s, vec![i]));
                        }
                    }
                }
            }
            alone.extend(
                with_fix
                    .iter()
                    .map(|&(i, _)| i)
                    .filter(|i| !regions.iter().any(|(_, about)| about.contains(i))),
            );
        }
        _ => alone.extend(with_fix.iter().map(|&(i, _)| i)),
    }

    regions.sort_by_key(|(s, _)| (s.start_line, s.end_line));
    let mut suggested: Vec<(usize, usize)> = Vec::new();
    let mut out: Vec<Draft> = Vec::new();
    for (s, about) in regions {
        let free = !suggested
            .iter()
            .any(|&(a, b)| a <= s.end_line && s.start_line <= b);
        if free && diff.range_in_one_hunk(s.start_line, s.end_line) {
            suggested.push((s.start_line, s.end_line));
            out.push(Draft {
                findings: about,
                line: s.end_line,
                start_line: (s.start_line < s.end_line).then_some(s.start_line),
                shown: Shown::Suggestion(s),
                elsewhere: Vec::new(),
            });
            continue;
        }
        let anchor = findings[about[0]].line;
        let shared = out
            .iter_mut()
            .find(|d| d.line == anchor && matches!(d.shown, Shown::Diff(_)));
        match shared {
            Some(d) => {
                if let Shown::Diff(blocks) = &mut d.shown {
                    blocks.push(s);
                }
                for i in about {
                    if !d.findings.contains(&i) {
                        d.findings.push(i);
                    }
                }
                d.findings.sort_unstable();
            }
            None => out.push(Draft {
                findings: about,
                line: anchor,
                start_line: None,
                shown: Shown::Diff(vec![s]),
                elsewhere: Vec::new(),
            }),
        }
    }
    for i in alone {
        out.push(Draft {
            findings: vec![i],
            line: findings[i].line,
            start_line: None,
            shown: Shown::Nothing,
            elsewhere: Vec::new(),
        });
    }
    out.sort_by_key(|d| (d.start_line.unwrap_or(d.line), d.line));
    for at in 0..out.len() {
        let mut elsewhere = Vec::new();
        for &finding in &out[at].findings {
            for (other, d) in out.iter().enumerate() {
                if other != at && d.findings.contains(&finding) {
                    elsewhere.push((finding, d.line, other < at));
                }
            }
        }
        out[at].elsewhere = elsewhere;
    }
    out
}
