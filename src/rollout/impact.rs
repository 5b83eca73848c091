//! The developer impact note: the summary a developer reads in five minutes, in five parts —
//! a two-sentence summary (what is changing and when), *Does this affect you?*, *What to
//! change*, *Edge cases* and *How to get help*. The same text serves as the pull-request summary
//! comment and (`kubenudge rollout --format md`) as the announcement a platform team sends.
//!
//! Also the one-line stage notes that review comments carry. All wording about dates lives
//! here so that comments, summary and report agree.

use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::config::{Config, Mode};

use super::{Decision, Disposition, Review, Stage};

/// Who the note is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The summary of a pull request: `audit` findings stay out (they are for the platform).
    PullRequest,
    /// The whole repository, for the platform team to send to the affected teams.
    Repository,
}

/// Objects listed per rule before "and N more".
const MAX_OBJECTS_PER_RULE: usize = 10;

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// The next step while one is ahead: "restricted becomes blocking in `payments` on
/// 2027-03-01, in 87 days" (a schedule, levels per mode, or `enforce-from`); "will block
/// merges in `payments` from …" only for a pending date the stage has no level for.
pub fn countdown(namespace: &str, stage: &Stage) -> Option<String> {
    if let Some(next) = &stage.next {
        return Some(format!(
            "{} in `{namespace}` on {}, in {}",
            next.change,
            next.date,
            days(next.days_left)
        ));
    }
    let (date, left) = stage.pending_enforcement()?;
    Some(format!(
        "will block merges in `{namespace}` from {date}, in {}",
        days(left)
    ))
}

/// What the stage means for a developer, without the namespace:
/// "will block merges from 2027-01-15, in 54 days".
fn stage_effect(stage: &Stage) -> String {
    if let Some((date, left)) = stage.pending_enforcement() {
        let now = match stage.effective {
            Mode::Audit => "reported to the platform team only; ",
            Mode::Off => "not checked yet; ",
            _ => "",
        };
        return format!("{now}will block merges from {date}, in {}", days(left));
    }
    match stage.effective {
        Mode::Enforce => "blocks merges".into(),
        Mode::Warn => "warns only, does not block merges".into(),
        Mode::Audit => "reported to the platform team only".into(),
        Mode::Off => "not checked".into(),
    }
}

/// "**enforce** `baseline`, **warn** `restricted`": the levels per mode in force.
fn levels_note(levels: &crate::config::ModeLevels) -> String {
    let parts: Vec<String> = crate::config::LEVEL_MODES
        .into_iter()
        .filter_map(|m| levels.get(m).map(|l| format!("**{m}** `{l}`")))
        .collect();
    if parts.is_empty() {
        "**off**".into()
    } else {
        parts.join(", ")
    }
}

/// The one line a review comment carries: "**warn** in `payments` — will block merges from
/// 2027-01-15, in 54 days". With levels per mode: "**enforce** `baseline`, **warn**
/// `restricted` in `payments` — restricted becomes blocking in `payments` on 2027-03-01, in
/// 87 days".
pub fn stage_note(namespace: &str, stage: &Stage) -> String {
    if let Some(levels) = &stage.levels {
        let after = match countdown(namespace, stage) {
            Some(c) => c,
            None => match levels.get(Mode::Enforce) {
                Some(l) => format!("`{}` violations block merges", l.level),
                None => "does not block merges".into(),
            },
        };
        return format!("{} in `{namespace}` — {after}", levels_note(levels));
    }
    format!(
        "**{}** in `{namespace}` — {}",
        stage.effective,
        stage_effect(stage)
    )
}

/// The stage line of one finding. In the single form, the stage's note; with levels per mode,
/// the mode this finding is in and the level it violates, then the next step:
/// "**warn** at `restricted` in `payments` — warns only, does not block merges; restricted
/// becomes blocking in `payments` on 2027-03-01, in 87 days".
pub fn finding_stage_note(decision: &Decision) -> String {
    let ns = &decision.namespace.name;
    let stage = &decision.stage;
    if stage.levels.is_none() {
        return stage_note(ns, stage);
    }
    let effect = match decision.mode {
        Mode::Enforce => "blocks merges",
        Mode::Warn => "warns only, does not block merges",
        Mode::Audit => "reported to the platform team only",
        Mode::Off => "not checked",
    };
    let at = decision
        .level
        .map_or(String::new(), |l| format!(" at `{l}`"));
    let mut note = format!("**{}**{at} in `{ns}` — {effect}", decision.mode);
    if let Some(c) = countdown(ns, stage) {
        let _ = write!(note, "; {c}");
    }
    note
}

/// The line a comment adds about exceptions: "exception expired on 2026-10-31".
pub fn exception_note(decision: &Decision) -> Option<String> {
    match (&decision.disposition, decision.exception_expired_on) {
        (Disposition::Excepted { until, .. }, _) => Some(format!("excepted until {until}")),
        (_, Some(d)) => Some(format!(
            "exception expired on {d}; renew it or fix the finding"
        )),
        _ => None,
    }
}

/// The lines a review comment ends with: by when it matters (stage, exception state) and what
/// to do when the author cannot comply (guidance page, exception process, inline ignore).
pub fn comment_context(decision: &Decision, config: &Config) -> String {
    let rule = decision.finding.rule;
    let mut when = finding_stage_note(decision);
    if let Some(note) = exception_note(decision) {
        let _ = write!(when, " · {note}");
    }
    let exceptions = match &config.help.exceptions {
        Some(url) => format!("[request an exception]({url})"),
        None => "ask the platform team for an exception".to_string(),
    };
    let mut help = format!(
        "Cannot comply? See {}, {exceptions}, or annotate the object with `{}{}: \"<reason>\"`",
        guidance(config, rule),
        super::ignore::IGNORE_PREFIX,
        super::ignore::rule_name(rule)
    );
    if let Some(contact) = &config.help.contact {
        let _ = write!(help, "; questions: {contact}");
    }
    // Separate paragraphs: in Markdown a single line break would run them together.
    format!("{when}\n\n{help}.")
}

/// Where a rule's guidance page is: a link under `docs-base-url`, else the CLI command.
pub fn guidance(config: &Config, rule: &str) -> String {
    match &config.docs_base_url {
        Some(base) => format!("[{rule}]({base}/{rule})"),
        None => format!("`kubenudge explain {rule}`"),
    }
}

/// A `## Heading` section of a rule's guidance page, without the heading.
pub(crate) fn doc_section(rule: &str, heading: &str) -> Option<String> {
    let doc = crate::rules::doc(rule)?;
    let marker = format!("## {heading}\n");
    let start = doc.find(&marker)? + marker.len();
    let rest = &doc[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    let s = rest[..end].trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The impact note as Markdown.
pub fn impact_note(review: &Review, config: &Config, scope: Scope) -> String {
    let shown: Vec<&Decision> = review
        .decisions
        .iter()
        .filter(|d| match scope {
            Scope::PullRequest => d.is_commented(),
            Scope::Repository => d.is_reported(),
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## kubenudge: Pod Security rollout — developer impact note\n"
    );
    if !review.config_errors.is_empty() {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> The kubenudge configuration is broken, so the defaults (restricted, latest, warn) apply until it is fixed:"
        );
        for e in &review.config_errors {
            let _ = writeln!(out, "> - `{e}`");
        }
        out.push('\n');
    }
    summary(&mut out, review, config, scope, &shown);
    affected(&mut out, review, &shown);
    timeline(&mut out, review);
    what_to_change(&mut out, config, &shown);
    edge_cases(&mut out, review, config, scope, &shown);
    help(&mut out, config);
    out
}

fn summary(out: &mut String, review: &Review, config: &Config, scope: Scope, shown: &[&Decision]) {
    let subject = match scope {
        Scope::PullRequest => "this pull request",
        Scope::Repository => "this repository",
    };
    let namespaces: BTreeMap<&str, ()> = shown
        .iter()
        .map(|d| (d.namespace.name.as_str(), ()))
        .collect();
    let audited = review.reported().filter(|d| d.mode == Mode::Audit).count();
    // With levels per mode the namespaces name their own levels (the second sentence).
    let standard = if review.namespaces.iter().any(|ns| ns.stage.levels.is_some()) {
        "the Pod Security Standards at the levels of each namespace".to_string()
    } else {
        format!(
            "the Pod Security Standard `{}` (version {})",
            config.level, config.pss_version
        )
    };
    let first = if shown.is_empty() {
        let audit_note = if scope == Scope::PullRequest && audited > 0 {
            format!(
                " ({} in audit mode {} recorded for the platform team)",
                plural(audited, "finding", "findings"),
                if audited == 1 { "is" } else { "are" }
            )
        } else {
            String::new()
        };
        format!(
            "Kubernetes manifests in {subject} are checked against {standard}, and nothing in them needs to change now{audit_note}."
        )
    } else {
        format!(
            "Kubernetes manifests in {subject} are checked against {standard}, and {} in {} {} a change.",
            plural(shown.len(), "finding", "findings"),
            plural(namespaces.len(), "namespace", "namespaces"),
            if shown.len() == 1 { "needs" } else { "need" },
        )
    };
    // The second sentence: when, per namespace, in the order of urgency.
    let mut blocking = Vec::new();
    let mut pending = Vec::new();
    let mut warning = Vec::new();
    let mut auditing = Vec::new();
    let mut per_mode = Vec::new();
    for ns in &review.namespaces {
        let name = format!("`{}`", ns.name);
        if let Some(levels) = &ns.stage.levels {
            per_mode.push(format!(
                "{name} is at {}",
                levels_note(levels).replace("**", "")
            ));
            if let Some(c) = countdown(&ns.name, &ns.stage) {
                pending.push((ns.stage.next_change().map(|(d, _)| d), c));
            }
            continue;
        }
        if let Some(c) = countdown(&ns.name, &ns.stage) {
            let c = match ns.stage.effective {
                Mode::Audit => format!("{name} is audited for now, then {c}"),
                Mode::Off => format!("{name} is not checked yet, then {c}"),
                _ => c,
            };
            pending.push((ns.stage.enforce_from, c));
        } else {
            match ns.stage.effective {
                Mode::Enforce => blocking.push(name),
                Mode::Warn => warning.push(name),
                Mode::Audit => auditing.push(name),
                Mode::Off => {}
            }
        }
    }
    pending.sort();
    let mut parts = per_mode;
    if !blocking.is_empty() {
        parts.push(format!("merges are blocked now in {}", list(&blocking)));
    }
    for (_, c) in pending {
        parts.push(c);
    }
    if !warning.is_empty() {
        parts.push(format!(
            "kubenudge only warns in {} (no date set to block merges)",
            list(&warning)
        ));
    }
    if !auditing.is_empty() {
        parts.push(format!(
            "{} {} audited by the platform team without comments",
            list(&auditing),
            if auditing.len() == 1 { "is" } else { "are" }
        ));
    }
    let second = if parts.is_empty() {
        "**When:** no namespace is checked yet.".to_string()
    } else {
        format!("**When:** {}.", parts.join("; "))
    };
    let _ = writeln!(out, "{first} {second}\n");
}

fn affected(out: &mut String, review: &Review, shown: &[&Decision]) {
    let _ = writeln!(out, "### Does this affect you?\n");
    if review.namespaces.is_empty() {
        let _ = writeln!(out, "No Kubernetes objects were checked.\n");
        return;
    }
    let _ = writeln!(out, "| Namespace | Stage | Rollout rule | Findings |");
    let _ = writeln!(out, "|---|---|---|---:|");
    for ns in &review.namespaces {
        let n = shown.iter().filter(|d| d.namespace.name == ns.name).count();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {n} |",
            ns.name,
            stage_note(&ns.name, &ns.stage),
            ns.stage.source
        );
    }
    out.push('\n');
}

/// True when some namespace's steps have a date: a dated rollout is under way, and a pull
/// request's summary shows its timeline and readiness.
pub fn has_dated_steps(review: &Review) -> bool {
    super::timeline::gantt(&timeline_rows(review), review.today).is_some()
}

fn timeline_rows(review: &Review) -> Vec<super::timeline::TimelineRow> {
    review
        .namespaces
        .iter()
        .map(|ns| super::timeline::TimelineRow {
            name: ns.name.clone(),
            steps: ns.stage.timeline.clone(),
        })
        .collect()
}

/// The steps of every namespace as a gantt chart, when some step has a date.
fn timeline(out: &mut String, review: &Review) {
    if let Some(chart) = super::timeline::gantt(&timeline_rows(review), review.today) {
        let _ = writeln!(
            out,
            "### Timeline

{chart}"
        );
    }
}

fn what_to_change(out: &mut String, config: &Config, shown: &[&Decision]) {
    let _ = writeln!(out, "### What to change\n");
    if shown.is_empty() {
        let _ = writeln!(out, "Nothing: every manifest checked passes.\n");
        return;
    }
    let mut by_rule: BTreeMap<&str, Vec<&Decision>> = BTreeMap::new();
    for d in shown {
        by_rule.entry(d.finding.rule).or_default().push(d);
    }
    let mut rules: Vec<(&str, Vec<&Decision>)> = by_rule.into_iter().collect();
    rules.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    for (rule, decisions) in rules {
        let summary = crate::rules::find(rule).map_or("", |r| r.summary());
        let _ = writeln!(
            out,
            "#### `{rule}` — {}\n",
            plural(decisions.len(), "finding", "findings")
        );
        if !summary.is_empty() {
            let _ = writeln!(out, "{}.\n", capitalise(summary));
        }
        for d in decisions.iter().take(MAX_OBJECTS_PER_RULE) {
            let f = &d.finding;
            let mut line = format!(
                "- `{}/{}` in `{}` ({}:{})",
                f.object.kind, f.object.name, d.namespace.name, f.file, f.line
            );
            if let Some(note) = exception_note(d) {
                let _ = write!(line, " — {note}");
            }
            let _ = writeln!(out, "{line}");
        }
        if decisions.len() > MAX_OBJECTS_PER_RULE {
            let _ = writeln!(out, "- and {} more", decisions.len() - MAX_OBJECTS_PER_RULE);
        }
        out.push('\n');
        if let Some(section) = doc_section(rule, "What to change") {
            let _ = writeln!(out, "{section}\n");
        }
        let _ = writeln!(out, "Guidance: {}\n", guidance(config, rule));
    }
}

fn edge_cases(
    out: &mut String,
    review: &Review,
    config: &Config,
    scope: Scope,
    shown: &[&Decision],
) {
    let _ = writeln!(out, "### Edge cases\n");
    let mut rules: Vec<&str> = shown.iter().map(|d| d.finding.rule).collect();
    rules.sort();
    rules.dedup();
    let mut any = false;
    for rule in rules {
        if let Some(section) = doc_section(rule, "Edge cases") {
            let _ = writeln!(
                out,
                "**`{rule}`** ({}):\n\n{section}\n",
                guidance(config, rule)
            );
            any = true;
        }
    }
    let silenced: Vec<&Decision> = review
        .decisions
        .iter()
        .filter(|d| d.disposition != Disposition::Reported && d.mode != Mode::Off)
        .collect();
    if !silenced.is_empty() {
        let _ = writeln!(out, "Silenced on purpose:\n");
        for d in silenced {
            let why = match &d.disposition {
                Disposition::Excepted { until, reason } => {
                    format!("excepted until {until} ({reason})")
                }
                Disposition::Ignored { reason } => format!("ignored by annotation ({reason})"),
                Disposition::Reported => continue,
            };
            let _ = writeln!(out, "- `{}` on `{}`: {why}", d.finding.rule, object_id(d));
        }
        out.push('\n');
        any = true;
    }
    // A pull request hears about the exceptions of its own namespaces; the repository note
    // about all of them.
    let expiring: Vec<_> = review
        .expiring_exceptions()
        .filter(|e| {
            scope == Scope::Repository
                || crate::config::Pattern::new(e.namespace_glob())
                    .is_ok_and(|p| review.namespaces.iter().any(|ns| p.is_match(&ns.name)))
        })
        .collect();
    if !expiring.is_empty() {
        let _ = writeln!(
            out,
            "Exceptions expiring within {} days:\n",
            super::EXPIRING_SOON_DAYS
        );
        for e in expiring {
            let _ = writeln!(
                out,
                "- `{}` on `{}` expires on {} ({} left): {}",
                e.rule,
                e.object,
                e.expires,
                days(e.days_left),
                e.reason
            );
        }
        out.push('\n');
        any = true;
    }
    if !any {
        let _ = writeln!(out, "None.\n");
    }
}

fn help(out: &mut String, config: &Config) {
    let _ = writeln!(out, "### How to get help\n");
    match &config.help.contact {
        Some(c) => {
            let _ = writeln!(out, "- Questions: ask the platform team in {c}.");
        }
        None => {
            let _ = writeln!(out, "- Questions: ask your platform team.");
        }
    }
    match &config.help.exceptions {
        Some(url) => {
            let _ = writeln!(
                out,
                "- Cannot comply? Request an exception: {url}. Every exception needs a reason and an expiry date."
            );
        }
        None => {
            let _ = writeln!(
                out,
                "- Cannot comply? Ask the platform team for an exception in `.github/kubenudge.yml`; every exception needs a reason and an expiry date."
            );
        }
    }
    let _ = writeln!(
        out,
        "- One object, a reason you can state: annotate it (or its pod template) with `ignore.kubenudge.io/<rule-name>: \"<reason>\"`."
    );
}

/// `namespace/Kind/name`, as exceptions name objects.
pub fn object_id(d: &Decision) -> String {
    format!(
        "{}/{}/{}",
        d.namespace.name, d.finding.object.kind, d.finding.object.name
    )
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The date a note is written for, as the report headers show it.
pub fn as_of(today: NaiveDate) -> String {
    format!("as of {today}")
}
