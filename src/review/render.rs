//! The words: inline comment bodies, the summary comment, the check run's title, summary and
//! annotations. Every comment says the fix first, then one sentence of why, then where to read
//! more.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::enforcement::{Enforcement, Mode};
use super::markers::{self, FIXED_MARKER, PreviousComment, SUMMARY_MARKER};
use super::plan::{
    Annotation, AnnotationLevel, CheckOutcome, Conclusion, Draft, InlineComment, NotInline,
    ReviewConfig, ReviewInput, Shown, Tally,
};
use crate::finding::{Finding, Fix, FixSafety};
use crate::manifest::{ManifestFile, SkipReason};

/// Findings (with their index in the lint result) by file.
type FindingsByFile<'a> = BTreeMap<&'a str, Vec<(usize, &'a Finding)>>;

/// GitHub's limit on annotation titles.
const ANNOTATION_TITLE_MAX: usize = 255;
/// Well under GitHub's 64 KB annotation message limit.
const ANNOTATION_MESSAGE_MAX: usize = 4_000;

pub(crate) fn guidance_page(config: &ReviewConfig, rule: &str) -> String {
    guidance_url(config, rule)
}

/// The words of one inline comment. One finding: its fix (title, suggestion, caveat), why,
/// then rule, object, stage and the guidance link. Several findings sharing a merged
/// suggestion: the suggestion, then one line per finding with its fix, why and guidance link,
/// then the stage.
pub(crate) fn inline_comment(
    draft: &Draft,
    findings: &[&Finding],
    file: Option<&ManifestFile>,
    config: &ReviewConfig,
    enforcement: &Enforcement,
) -> InlineComment {
    let mut body = String::new();
    match findings {
        [finding] if draft.elsewhere.is_empty() => {
            one_finding(&mut body, finding, &draft.shown, file, config, enforcement)
        }
        _ => several_findings(&mut body, draft, findings, file, config, enforcement),
    }
    // The findings this comment explains; those continued from an earlier comment belong to
    // that one. So a comment is marked fixed once what it explains is gone, even if part of a
    // split fix it carried is still needed elsewhere.
    let owned: Vec<String> = findings
        .iter()
        .zip(&draft.findings)
        .filter(|(_, i)| {
            !draft
                .elsewhere
                .iter()
                .any(|(j, _, first)| j == *i && *first)
        })
        .map(|(f, _)| f.fingerprint())
        .collect();
    let fingerprints = if owned.is_empty() {
        findings.iter().map(|f| f.fingerprint()).collect()
    } else {
        owned
    };
    body.push_str(&markers::fingerprint_marker(&fingerprints));
    body.push('\n');
    InlineComment {
        path: findings.first().map(|f| f.file.clone()).unwrap_or_default(),
        line: draft.line,
        start_line: draft.start_line,
        body,
        fingerprints,
    }
}

fn one_finding(
    body: &mut String,
    finding: &Finding,
    shown: &Shown,
    file: Option<&ManifestFile>,
    config: &ReviewConfig,
    enforcement: &Enforcement,
) {
    match &finding.fix {
        Some(fix) => {
            let _ = writeln!(body, "**{}**\n", fix.title);
            show_fix(body, shown, file);
            if let Some(caveat) = caveat(fix) {
                let _ = writeln!(body, "> [!CAUTION]\n> {caveat}\n");
            }
        }
        None => {
            let _ = writeln!(body, "**{}.**\n", capitalize(&finding.message));
        }
    }
    let _ = writeln!(body, "{}", why_sentence(finding));
    match enforcement.comment_context(finding) {
        Some(context) => {
            let _ = writeln!(
                body,
                "\n`{}` · {}\n\n{context}",
                finding.rule, finding.object,
            );
        }
        None => {
            let mode = enforcement.mode_for(finding);
            let _ = writeln!(
                body,
                "\n`{}` · {} · stage `{mode}`: {} — [how to comply or ask for an exception]({})",
                finding.rule,
                finding.object,
                stage_words(mode),
                guidance_url(config, finding.rule)
            );
        }
    }
}

fn several_findings(
    body: &mut String,
    draft: &Draft,
    findings: &[&Finding],
    file: Option<&ManifestFile>,
    config: &ReviewConfig,
    enforcement: &Enforcement,
) {
    let mut objects: Vec<String> = Vec::new();
    for f in findings {
        let name = f.object.to_string();
        if !objects.contains(&name) {
            objects.push(name);
        }
    }
    let n = findings.len();
    let objects = objects.join(", ");
    let shown = &draft.shown;
    let head = match shown {
        Shown::Suggestion(_) => format!(
            "This suggestion fixes {n} {} on {objects}:",
            plural(n, "finding", "findings")
        ),
        _ => format!(
            "{n} {} on {objects}, fixed as follows:",
            plural(n, "finding", "findings")
        ),
    };
    let _ = writeln!(body, "**{head}**\n");
    show_fix(body, shown, file);
    let first_mode = enforcement.mode_for(findings[0]);
    let one_mode = findings
        .iter()
        .all(|f| enforcement.mode_for(f) == first_mode)
        .then_some(first_mode);
    for (f, &index) in findings.iter().zip(&draft.findings) {
        let earlier = draft
            .elsewhere
            .iter()
            .find(|(i, _, first)| *i == index && *first);
        let later: Vec<String> = draft
            .elsewhere
            .iter()
            .filter(|(i, _, first)| *i == index && !*first)
            .map(|(_, line, _)| line.to_string())
            .collect();
        let what = match &f.fix {
            Some(fix) => fix.title.clone(),
            None => capitalize(&f.message),
        };
        let stage = match one_mode {
            Some(_) => String::new(),
            None => format!(" Stage `{}`.", enforcement.mode_for(f)),
        };
        if let Some((_, line, _)) = earlier {
            // Explained once, in the first comment holding part of this fix.
            let _ = writeln!(
                body,
                "- **{}** (continued from the comment on line {line}).",
                what.trim_end_matches('.')
            );
            continue;
        }
        let _ = writeln!(
            body,
            "- **{}.** {}{stage} [`{}`: how to comply or ask for an exception]({})",
            what.trim_end_matches('.'),
            why_sentence(f),
            f.rule,
            guidance_url(config, f.rule)
        );
        if !later.is_empty() {
            let _ = writeln!(
                body,
                "  - The rest of this fix is in the comment on line {}.",
                later.join(" and line ")
            );
        }
        if let Some(caveat) = f.fix.as_deref().and_then(caveat) {
            let _ = writeln!(body, "  - ⚠️ **Check before committing:** {caveat}");
        }
    }
    if let Some(mode) = one_mode {
        match enforcement.comment_context(findings[0]) {
            Some(context) => {
                // The stage line applies to all of them; the rest of the context names one
                // rule, so it is replaced by words that fit every finding listed above.
                let stage = context.lines().next().unwrap_or_default();
                let _ = writeln!(
                    body,
                    "\n{stage}\n\nCannot comply? Each guidance page above explains the options; ask the platform team for an exception, or annotate the object with `ignore.kubenudge.io/<rule-name>: \"<reason>\"`."
                );
            }
            None => {
                let _ = writeln!(body, "\nStage `{mode}`: {}.", stage_words(mode));
            }
        }
    }
}

/// The suggestion, or the diffs of the regions a suggestion cannot cover.
fn show_fix(body: &mut String, shown: &Shown, file: Option<&ManifestFile>) {
    match shown {
        Shown::Suggestion(s) => {
            let fence = fence_for(&s.text);
            let _ = writeln!(body, "{fence}suggestion\n{}\n{fence}\n", s.text);
        }
        Shown::Diff(regions) => {
            let Some(file) = file else {
                return;
            };
            let places: Vec<String> = regions
                .iter()
                .map(|s| {
                    if s.start_line == s.end_line {
                        s.start_line.to_string()
                    } else {
                        format!("{}–{}", s.start_line, s.end_line)
                    }
                })
                .collect();
            let one_line = regions.len() == 1 && regions[0].start_line == regions[0].end_line;
            let _ = writeln!(
                body,
                "{} {} (outside the changed lines, so shown as a diff rather than a suggestion):\n",
                if one_line { "Line" } else { "Lines" },
                places.join(" and ")
            );
            let mut block = String::new();
            // New-file line numbers shift by what earlier regions added.
            let mut shift: isize = 0;
            for s in regions {
                let old_len = s.end_line - s.start_line + 1;
                let new_len = s.text.split('\n').count();
                if regions.len() > 1 {
                    let new_start = s.start_line as isize + shift;
                    let _ = writeln!(
                        block,
                        "@@ -{},{old_len} +{new_start},{new_len} @@",
                        s.start_line
                    );
                }
                shift += new_len as isize - old_len as isize;
                for l in s.start_line..=s.end_line {
                    let _ = writeln!(block, "-{}", file.source.line_text(l));
                }
                for l in s.text.split('\n') {
                    let _ = writeln!(block, "+{l}");
                }
            }
            let fence = fence_for(&block);
            let _ = writeln!(body, "{fence}diff\n{block}{fence}\n");
        }
        Shown::Nothing => {}
    }
}

/// What to check before committing a fix that needs review, as a sentence.
fn caveat(fix: &Fix) -> Option<String> {
    let text = fix.caveat.trim();
    if fix.safety != FixSafety::Review || text.is_empty() {
        return None;
    }
    let mut sentence = capitalize(text);
    if !sentence.ends_with(['.', '!', '?']) {
        sentence.push('.');
    }
    Some(sentence)
}

/// The body of the review that carries the inline comments.
pub(crate) fn review_body(findings: usize, comments: usize) -> String {
    let what = if findings == comments {
        format!("{findings} new {}", plural(findings, "finding", "findings"))
    } else {
        format!(
            "{findings} new {} in {comments} {}",
            plural(findings, "finding", "findings"),
            plural(comments, "comment", "comments")
        )
    };
    format!(
        "kubenudge: {what} on the manifests in this push; the summary comment lists all of them."
    )
}

pub(crate) fn fixed_body(previous: &PreviousComment, head_sha: &str) -> String {
    let original: String = previous
        .body
        .lines()
        .filter(|l| !l.starts_with("<!-- kubenudge:"))
        .map(|l| {
            // Keep the old suggestion readable without offering it for commit again.
            if l.trim_start().starts_with("```") && l.trim_end().ends_with("suggestion") {
                l.replace("suggestion", "yaml")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "✅ Fixed in {}: kubenudge no longer finds {}.\n\n<details><summary>Original comment</summary>\n\n{}\n\n</details>\n{}\n{}\n",
        short_sha(head_sha),
        if previous.fingerprints.len() > 1 {
            "any of these"
        } else {
            "this"
        },
        original.trim_end(),
        markers::fingerprint_marker(&previous.fingerprints),
        FIXED_MARKER
    )
}

pub(crate) fn annotation(finding: &Finding, enforcement: &Enforcement) -> Annotation {
    let level = match enforcement.mode_for(finding) {
        Mode::Enforce => AnnotationLevel::Failure,
        Mode::Warn => AnnotationLevel::Warning,
        Mode::Audit => AnnotationLevel::Notice,
    };
    let mut message = format!("{} ({})", finding.message, finding.object);
    if let Some(fix) = &finding.fix {
        let _ = write!(message, "\nFix: {}", fix.title);
    }
    Annotation {
        path: finding.file.clone(),
        start_line: finding.line.max(1),
        end_line: finding.line.max(1),
        level,
        title: truncate_chars(finding.rule, ANNOTATION_TITLE_MAX),
        message: truncate_chars(&message, ANNOTATION_MESSAGE_MAX),
    }
}

pub(crate) fn check_title(findings: usize, enforced: usize, unreadable: usize) -> String {
    let title = match (findings, enforced) {
        (0, _) if unreadable > 0 => String::new(),
        (0, _) => "No findings".to_string(),
        (n, 0) => format!("{n} {}", plural(n, "finding", "findings")),
        (n, e) => format!("{n} {} ({e} enforced)", plural(n, "finding", "findings")),
    };
    match unreadable {
        0 => title,
        u => {
            let errors = format!("{u} unreadable {}", plural(u, "manifest", "manifests"));
            if title.is_empty() {
                errors
            } else {
                format!("{title}; {errors}")
            }
        }
    }
}

/// A manifest (or one of its documents) kubenudge could not read, at the line it broke on.
pub(crate) fn read_error_annotation(e: &crate::manifest::ReadError) -> Annotation {
    Annotation {
        path: e.file.clone(),
        start_line: e.line.max(1),
        end_line: e.line.max(1),
        level: AnnotationLevel::Warning,
        title: "not checked: the manifest could not be read".to_string(),
        message: truncate_chars(&e.message, ANNOTATION_MESSAGE_MAX),
    }
}

/// The check run a review that could not finish ends with: never left in progress.
pub fn failure_check(what_failed: &str) -> CheckOutcome {
    CheckOutcome {
        conclusion: Conclusion::Neutral,
        title: "Review could not finish".to_string(),
        summary: truncate_body(
            &format!(
                "kubenudge could not finish this review, so it reports nothing about this commit.\n\n**What failed:** {what_failed}\n\nPush again or re-run this check to retry."
            ),
            65_535,
        ),
        annotations: Vec::new(),
    }
}

pub(crate) struct Report<'a, 'b> {
    pub input: &'a ReviewInput<'b>,
    pub tally: &'a Tally,
    pub not_inline: &'a [(usize, NotInline)],
}

impl Report<'_, '_> {
    pub fn summary_comment(&self) -> String {
        // With a rollout policy the developer impact note comes first; the review's own
        // sections (findings not posted inline, files not checked) follow it.
        let note = match &self.input.enforcement.rollout {
            Some(r) if !r.note.trim().is_empty() => format!("{}\n\n", r.note.trim_end()),
            _ => String::new(),
        };
        format!(
            "{SUMMARY_MARKER}\n{}\n{}\n",
            truncate_body(&format!("{note}{}", self.render(note.is_empty())), 65_000),
            markers::head_marker(self.input.head_sha)
        )
    }

    pub fn markdown(&self) -> String {
        self.render(true)
    }

    /// `all_findings` false (the summary comment under a rollout policy): the impact note has
    /// listed what to change, so only findings not posted inline follow, and `audit` ones stay
    /// in the check run.
    fn render(&self, all_findings: bool) -> String {
        let input = self.input;
        let result = input.result;
        let t = self.tally;
        let mut md = String::new();
        let manifests = result.files.iter().filter(|f| f.skipped.is_none()).count();
        let _ = writeln!(
            md,
            "### kubenudge review of {}\n",
            short_sha(input.head_sha)
        );
        let n = result.findings.len();
        if n == 0 && !result.errors.is_empty() {
            let e = result.errors.len();
            let _ = writeln!(
                md,
                "No findings in {manifests} changed {}, but {e} {} could not be read (see *Not checked*).",
                plural(manifests, "manifest", "manifests"),
                plural(e, "manifest", "manifests")
            );
        } else if n == 0 {
            let _ = writeln!(
                md,
                "No findings in {manifests} changed {}.",
                plural(manifests, "manifest", "manifests")
            );
        } else if input.enforcement.rollout.is_some() {
            // Stages differ per namespace: the impact note and each finding say which.
            let _ = writeln!(
                md,
                "**{n} {}** in {manifests} changed {} (Pod Security `{}`).",
                plural(n, "finding", "findings"),
                plural(manifests, "manifest", "manifests"),
                input.enforcement.pss,
            );
        } else {
            let _ = writeln!(
                md,
                "**{n} {}** in {manifests} changed {} (stage `{}` at `{}`: {}).",
                plural(n, "finding", "findings"),
                plural(manifests, "manifest", "manifests"),
                input.enforcement.mode,
                input.enforcement.pss,
                stage_words(input.enforcement.mode)
            );
        }
        let mut lines = Vec::new();
        if t.new_inline > 0 {
            let comments = if t.inline_comments == t.new_inline {
                String::new()
            } else {
                format!(
                    " ({} {})",
                    t.inline_comments,
                    plural(t.inline_comments, "comment", "comments")
                )
            };
            lines.push(format!(
                "{} commented inline in this review{comments}",
                t.new_inline
            ));
        }
        if t.already_commented > 0 {
            lines.push(format!(
                "{} already commented on an earlier push",
                t.already_commented
            ));
        }
        let audit_listed = if all_findings { t.audit_only } else { 0 };
        let not_posted = t.outside_diff + t.over_limit + audit_listed;
        if not_posted > 0 {
            let mut why = Vec::new();
            if t.outside_diff > 0 {
                why.push(format!(
                    "{} on lines this pull request did not change",
                    t.outside_diff
                ));
            }
            if t.over_limit > 0 {
                why.push(format!(
                    "{} above the limit of {} inline comments",
                    t.over_limit, input.config.max_inline_comments
                ));
            }
            if audit_listed > 0 {
                why.push(format!("{audit_listed} in audit stage"));
            }
            lines.push(format!(
                "{not_posted} not posted inline ({}); listed below",
                why.join(", ")
            ));
        }
        if t.fixed > 0 {
            lines.push(format!(
                "{} fixed since the last review (comments updated)",
                t.fixed
            ));
        }
        if !lines.is_empty() {
            md.push('\n');
            for l in lines {
                let _ = writeln!(md, "- {l}");
            }
        }
        let not_inline: BTreeMap<usize, NotInline> = self.not_inline.iter().copied().collect();
        let listed = |i: usize| {
            all_findings
                || matches!(
                    not_inline.get(&i),
                    Some(NotInline::OutsideDiff | NotInline::OverLimit)
                )
        };
        if (0..n).any(listed) {
            let mut by_rule: BTreeMap<&str, FindingsByFile<'_>> = BTreeMap::new();
            for (i, f) in result.findings.iter().enumerate() {
                if !listed(i) {
                    continue;
                }
                by_rule
                    .entry(f.rule)
                    .or_default()
                    .entry(f.file.as_str())
                    .or_default()
                    .push((i, f));
            }
            let _ = writeln!(
                md,
                "\n#### {}",
                if all_findings {
                    "Findings by rule and file"
                } else {
                    "Findings not posted inline"
                }
            );
            for (rule, files) in by_rule {
                let count: usize = files.values().map(Vec::len).sum();
                // The blank line before ends the previous rule's list (else this line would
                // continue its last item).
                let _ = writeln!(
                    md,
                    "\n**[`{rule}`]({})** — {count}\n",
                    guidance_url(input.config, rule)
                );
                // Every file: the comment is cut only where GitHub's 65,536-character limit
                // would refuse it (`truncate_body`).
                for (file, findings) in files {
                    let _ = writeln!(md, "- `{file}`");
                    for (i, f) in findings {
                        let mark = match not_inline.get(&i) {
                            Some(NotInline::OutsideDiff) => " _(not in the diff)_",
                            Some(NotInline::OverLimit) => " _(not posted inline: limit)_",
                            Some(NotInline::AuditOnly) => " _(audit)_",
                            None => "",
                        };
                        let _ = writeln!(
                            md,
                            "  - line {}: {} — {}{mark}",
                            f.line, f.object, f.message
                        );
                    }
                }
            }
        }
        self.not_checked(&mut md);
        if !input.problems.is_empty() {
            let _ = writeln!(md, "\n#### Problems\n");
            for p in input.problems {
                let _ = writeln!(md, "- {p}");
            }
        }
        md
    }

    /// Files that were not linted are named, never skipped silently.
    fn not_checked(&self, md: &mut String) {
        let result = self.input.result;
        let mut templates = Vec::new();
        let mut not_k8s = Vec::new();
        for (path, reason) in &result.skipped {
            match reason {
                SkipReason::Template => templates.push(path.as_str()),
                SkipReason::NotKubernetes => not_k8s.push(path.as_str()),
            }
        }
        let unreadable: Vec<(String, &str)> = result
            .errors
            .iter()
            .filter(|e| result.file(&e.file).is_none())
            .map(|e| {
                let place = match e.line {
                    0 => format!("`{}`", e.file),
                    line => format!("`{}` line {line}", e.file),
                };
                (place, e.message.as_str())
            })
            .collect();
        let broken_docs: Vec<String> = result
            .errors
            .iter()
            .filter(|e| result.file(&e.file).is_some())
            .map(|e| format!("`{}` line {}: {}", e.file, e.line, e.message))
            .collect();
        let others = self.input.other_files;
        if templates.is_empty()
            && not_k8s.is_empty()
            && unreadable.is_empty()
            && broken_docs.is_empty()
            && others.is_empty()
        {
            return;
        }
        let _ = writeln!(md, "\n#### Not checked\n");
        if !templates.is_empty() {
            let _ = writeln!(
                md,
                "- {} template {} not checked (Helm/Go templates only become YAML once rendered): {}",
                templates.len(),
                plural(templates.len(), "file", "files"),
                code_list(&templates)
            );
        }
        if !not_k8s.is_empty() {
            let _ = writeln!(
                md,
                "- {} YAML/JSON {} not checked (no Kubernetes object in {}): {}",
                not_k8s.len(),
                plural(not_k8s.len(), "file", "files"),
                plural(not_k8s.len(), "it", "them"),
                code_list(&not_k8s)
            );
        }
        for (place, message) in unreadable {
            let _ = writeln!(md, "- {place} could not be read: {message}");
        }
        for e in broken_docs {
            let _ = writeln!(md, "- {e}");
        }
        if !others.is_empty() {
            let names: Vec<&str> = others.iter().map(String::as_str).collect();
            let _ = writeln!(
                md,
                "- {} other {} not checked (not `*.yaml`, `*.yml` or `*.json`): {}",
                others.len(),
                plural(others.len(), "file", "files"),
                code_list(&names)
            );
        }
    }
}

/// Cuts `body` to at most `max` characters, saying so.
pub fn truncate_body(body: &str, max: usize) -> String {
    if body.chars().count() <= max {
        return body.to_string();
    }
    const NOTE: &str = "\n\n… (cut here: too long for GitHub; the check run lists every finding)";
    let keep = max.saturating_sub(NOTE.chars().count());
    let mut out: String = body.chars().take(keep).collect();
    out.push_str(NOTE);
    out
}

fn code_list(names: &[&str]) -> String {
    const SHOWN: usize = 20;
    let mut s = names
        .iter()
        .take(SHOWN)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        let _ = write!(s, " and {} more", names.len() - SHOWN);
    }
    s
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn stage_words(mode: Mode) -> &'static str {
    match mode {
        Mode::Audit => "reported in the summary only",
        Mode::Warn => "comments only, the check stays green",
        Mode::Enforce => "the check fails",
    }
}

/// The service's `/rules/<rule-id>` page (naming the repository, whose help text it shows)
/// when a public URL is set, else the Markdown page under `docs_base_url`.
fn guidance_url(config: &ReviewConfig, rule: &str) -> String {
    match &config.rule_pages_url {
        Some(base) => {
            let page = format!("{}/rules/{rule}", base.trim_end_matches('/'));
            match &config.repository {
                Some(repo) => format!("{page}?repo={}", query_value(repo)),
                None => page,
            }
        }
        None => format!(
            "{}/docs/rules/{rule}.md",
            config.docs_base_url.trim_end_matches('/')
        ),
    }
}

/// `owner/name` percent-encoded for a query string (`/` kept: it is legal there).
fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The first sentence of the rule's "Why it matters" section, else the finding's message.
fn why_sentence(finding: &Finding) -> String {
    let doc = crate::rules::doc(finding.rule).unwrap_or("");
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Why"))
        .and_then(|s| s.split_once('\n'))
        .map(|(_, body)| body.split("\n\n").next().unwrap_or("").replace('\n', " "));
    match section {
        Some(text) if !text.trim().is_empty() => {
            let text = text.trim();
            match text.find(". ") {
                Some(end) => text[..=end].to_string(),
                None => text.to_string(),
            }
        }
        _ => format!("{}.", capitalize(&finding.message)),
    }
}

fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat(longest.max(2) + 1)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn short_sha(sha: &str) -> String {
    format!("`{}`", &sha[..sha.len().min(7)])
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}
