//! The rollout policy: which findings count, where, and from when.
//!
//! Pure functions over a [`LintResult`], a [`Config`] and today's date (passed in, never read
//! from the clock here, so tests and the GitHub service decide what "today" is). The engine says
//! what is wrong; this layer says, per finding, in which namespace it is, at which rollout
//! stage, in which mode (a stage written per mode, `enforce: baseline, warn: restricted`,
//! judges each workload at each mode's level), and whether an exception or an inline ignore
//! silences it. Reports (the rollout report, the developer impact note, review comments,
//! timelines, readiness, the proposed plan) are built from the resulting [`Review`] or, for
//! the plan and readiness, from the lint result directly.

pub mod ignore;
pub mod impact;
pub mod namespace;
pub mod plan;
pub mod preview;
pub mod readiness;
pub mod report;
pub mod timeline;

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::config::{
    Config, ConfigError, Exception, LEVEL_MODES, LevelSchedule, Mode, ModeLevel, ModeLevels,
};
use crate::engine::LintResult;
use crate::finding::{Finding, FixAction, FixPlan, FixSafety, Severity};
use crate::manifest::{ManifestFile, Object};
use crate::policy::{Level, PssPolicy};
use crate::rules::kubenudge::unused_ignore;

pub use namespace::{NamespaceResolver, NamespaceSource, ResolvedNamespace};

/// Exceptions that end within this many days are listed in the summary.
pub const EXPIRING_SOON_DAYS: i64 = 14;

/// Where a namespace or path stands in the rollout on a given day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// The mode configured (top level or rollout rule).
    pub mode: Mode,
    pub enforce_from: Option<NaiveDate>,
    /// The mode in force today: `enforce` once `enforce_from` is reached.
    pub effective: Mode,
    /// Days until `enforce_from`, while it is in the future.
    pub days_left: Option<i64>,
    /// 1-based index of the rollout rule that decided the stage; `None` for the top level.
    pub rule: Option<usize>,
    /// "rollout rule 2 (paths clusters/prod/**)" or "top-level configuration".
    pub source: String,
    /// The levels per mode in force today, when the stage is written per mode (`enforce`,
    /// `warn`, `audit`, `schedule`); `None` for the single `level` + `mode` form, whose
    /// findings keep the level the lint run used (Namespace labels included).
    pub levels: Option<ModeLevels>,
    /// The next dated step of a stage written per mode, while one is ahead.
    pub next: Option<NextStep>,
    /// Every step of the stage (the undated start, then the dated steps), for timelines.
    pub timeline: Vec<TimelineStep>,
}

/// The step of a schedule that comes next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextStep {
    pub date: NaiveDate,
    pub days_left: i64,
    pub levels: ModeLevels,
    /// "restricted becomes blocking", "baseline becomes blocking and restricted becomes
    /// warned": what the step changes for developers.
    pub change: String,
}

/// One step of a stage over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineStep {
    /// `None`: in force from before the first date.
    pub from: Option<NaiveDate>,
    pub levels: ModeLevels,
}

/// What a mode does to a level's violations, as the next-step line says it.
fn mode_word(mode: Mode) -> &'static str {
    match mode {
        Mode::Enforce => "blocking",
        Mode::Warn => "warned",
        Mode::Audit => "audited",
        Mode::Off => "unchecked",
    }
}

/// What moving from `now` to `next` changes: for each mode whose reach tightens, "LEVEL
/// becomes blocking|warned|audited"; a loosening step says what it relaxes to.
fn step_change(now: &ModeLevels, next: &ModeLevels) -> String {
    let mut parts: Vec<String> = Vec::new();
    for mode in LEVEL_MODES {
        let (before, after) = (now.reach(mode), next.reach(mode));
        // A level that becomes blocking is not also announced as warned.
        let stronger_said = LEVEL_MODES
            .iter()
            .any(|m| *m > mode && next.reach(*m) == after && now.reach(*m) < after);
        if after > before && !stronger_said {
            parts.push(format!("{after} becomes {}", mode_word(mode)));
        }
    }
    if parts.is_empty() {
        format!("the levels relax to {}", next.describe())
    } else {
        parts.join(" and ")
    }
}

impl Stage {
    /// The first rollout rule matching the namespace and the file path decides; otherwise the
    /// top level. A rule that sets `mode` but no `enforce-from` does not inherit the top-level
    /// date (the rule is the whole stage); a rule that sets only `enforce-from` keeps the
    /// top-level mode until then. A rule with a `schedule` and no levels of its own is at the
    /// top level's levels until its first step.
    pub fn resolve(config: &Config, namespace: &str, path: &str, today: NaiveDate) -> Stage {
        let default = ModeLevel {
            level: config.level,
            version: config.pss_version,
        };
        let top_single = |today| {
            Self::at(config.mode, config.enforce_from, today, None, String::new()).effective
        };
        match config.rollout.iter().find(|r| r.matches(namespace, path)) {
            Some(rule) if !rule.schedule.is_empty() => {
                let top = if config.schedule.is_empty() {
                    ModeLevels::single(top_single(today), default)
                } else {
                    config
                        .schedule
                        .in_force(today)
                        .0
                        .unwrap_or_else(|| ModeLevels::single(top_single(today), default))
                };
                Self::scheduled(
                    &rule.schedule,
                    top,
                    today,
                    Some(rule.index),
                    rule.describe(),
                )
            }
            Some(rule) => {
                let (mode, enforce_from) = match rule.mode {
                    Some(m) => (m, rule.enforce_from),
                    None => (config.mode, rule.enforce_from),
                };
                Self::at(mode, enforce_from, today, Some(rule.index), rule.describe())
                    .with_single_timeline(default)
            }
            None if !config.schedule.is_empty() => {
                let fallback = ModeLevels::single(config.mode, default);
                Self::scheduled(
                    &config.schedule,
                    fallback,
                    today,
                    None,
                    "top-level configuration".into(),
                )
            }
            None => Self::at(
                config.mode,
                config.enforce_from,
                today,
                None,
                "top-level configuration".into(),
            )
            .with_single_timeline(default),
        }
    }

    /// A stage written per mode: the step in force on `today` (`before_first` until the
    /// first step, when the schedule has no levels of its own) and the next step.
    pub fn scheduled(
        schedule: &LevelSchedule,
        before_first: ModeLevels,
        today: NaiveDate,
        rule: Option<usize>,
        source: String,
    ) -> Stage {
        let start = schedule.initial.unwrap_or(before_first);
        let levels = schedule.in_force(today).0.unwrap_or(start);
        let next = schedule
            .steps
            .iter()
            .find(|s| s.from > today)
            .map(|s| NextStep {
                date: s.from,
                days_left: (s.from - today).num_days(),
                levels: s.levels,
                change: step_change(&levels, &s.levels),
            });
        let mut timeline = vec![TimelineStep {
            from: None,
            levels: start,
        }];
        timeline.extend(schedule.steps.iter().map(|s| TimelineStep {
            from: Some(s.from),
            levels: s.levels,
        }));
        let effective = levels.strongest_mode();
        Stage {
            mode: effective,
            enforce_from: None,
            effective,
            days_left: None,
            rule,
            source,
            levels: Some(levels),
            next,
            timeline,
        }
    }

    /// The single form's steps: its mode, then `enforce` from `enforce-from`.
    fn with_single_timeline(mut self, level: ModeLevel) -> Stage {
        self.timeline = vec![TimelineStep {
            from: None,
            levels: ModeLevels::single(self.mode, level),
        }];
        if let Some(d) = self.enforce_from {
            self.timeline.push(TimelineStep {
                from: Some(d),
                levels: ModeLevels::single(Mode::Enforce, level),
            });
        }
        // `enforce-from` is a two-step schedule: while its date is ahead, it is the next step,
        // announced as schedules announce theirs ("restricted becomes blocking … on …").
        if let (Some(date), Some(days_left)) = (self.enforce_from, self.days_left)
            && self.mode != Mode::Enforce
        {
            let now = ModeLevels::single(self.mode, level);
            let then = ModeLevels::single(Mode::Enforce, level);
            self.next = Some(NextStep {
                date,
                days_left,
                levels: then,
                change: step_change(&now, &then),
            });
        }
        self
    }

    /// The date of the next change and the days until it, in either form.
    pub fn next_change(&self) -> Option<(NaiveDate, i64)> {
        self.next
            .as_ref()
            .map(|n| (n.date, n.days_left))
            .or_else(|| self.pending_enforcement())
    }

    /// `mode` as it stands on `today`: `enforce-from` turns any mode into `enforce` on that day.
    pub fn at(
        mode: Mode,
        enforce_from: Option<NaiveDate>,
        today: NaiveDate,
        rule: Option<usize>,
        source: String,
    ) -> Stage {
        // A date on a stage that already enforces changes nothing; keeping it would announce a
        // countdown to something that is already true.
        let enforce_from = enforce_from.filter(|_| mode != Mode::Enforce);
        let reached = enforce_from.is_some_and(|d| today >= d);
        Stage {
            mode,
            enforce_from,
            effective: if reached { Mode::Enforce } else { mode },
            days_left: enforce_from
                .filter(|_| !reached)
                .map(|d| (d - today).num_days()),
            rule,
            source,
            levels: None,
            next: None,
            timeline: Vec::new(),
        }
    }

    pub fn blocks_merges(&self) -> bool {
        self.effective == Mode::Enforce
    }

    /// Enforcement is scheduled but not yet in force.
    pub fn pending_enforcement(&self) -> Option<(NaiveDate, i64)> {
        Some((self.enforce_from?, self.days_left?))
    }
}

/// What the policy did with a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Disposition {
    /// Shown according to the stage.
    Reported,
    /// Silenced by an active exception in the configuration.
    Excepted { until: NaiveDate, reason: String },
    /// Silenced by an `ignore.kubenudge.io/<rule-name>` annotation.
    Ignored { reason: String },
}

/// One finding with everything the reports need to say about it.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub finding: Finding,
    /// Shared by the findings of one object, as `stage` is.
    pub namespace: std::sync::Arc<ResolvedNamespace>,
    /// Shared by the findings of one object (a big file has hundreds of thousands).
    pub stage: std::sync::Arc<Stage>,
    /// The mode this finding is in today: the stage's mode in the single form; with levels
    /// per mode, the strongest mode whose level it violates.
    pub mode: Mode,
    /// With levels per mode, the level whose violation put the finding in `mode`.
    pub level: Option<Level>,
    pub disposition: Disposition,
    /// Set when an exception matched but has expired: the finding says so.
    pub exception_expired_on: Option<NaiveDate>,
}

impl Decision {
    /// Counts for the check: not silenced, and its mode is not `off`.
    pub fn is_reported(&self) -> bool {
        self.disposition == Disposition::Reported && self.mode != Mode::Off
    }

    /// Gets a pull-request comment (`warn` and `enforce`; `audit` stays in the check run).
    pub fn is_commented(&self) -> bool {
        self.is_reported() && matches!(self.mode, Mode::Warn | Mode::Enforce)
    }

    pub fn blocks_merge(&self) -> bool {
        self.is_reported() && self.mode == Mode::Enforce
    }
}

/// The check run's conclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Conclusion {
    Success,
    Neutral,
    Failure,
}

/// `failure` when a reported finding is enforced today, `neutral` when one is in `warn`,
/// otherwise `success` (`audit` findings are visible in the check run but never fail it).
pub fn conclusion(decisions: &[Decision]) -> Conclusion {
    let reported = || decisions.iter().filter(|d| d.is_reported());
    if reported().any(|d| d.mode == Mode::Enforce) {
        Conclusion::Failure
    } else if reported().any(|d| d.mode == Mode::Warn) {
        Conclusion::Neutral
    } else {
        Conclusion::Success
    }
}

/// An exception of the configuration and where it stands today.
#[derive(Debug, Clone, Serialize)]
pub struct ExceptionStatus {
    pub rule: String,
    pub object: String,
    pub reason: String,
    pub expires: NaiveDate,
    /// Days left including today; negative once expired.
    pub days_left: i64,
    pub active: bool,
    /// Active and ends within [`EXPIRING_SOON_DAYS`].
    pub expiring_soon: bool,
    /// Findings it silenced (active) or would have silenced (expired) in this run.
    pub matched: usize,
}

impl ExceptionStatus {
    fn new(e: &Exception, today: NaiveDate) -> Self {
        let days_left = (e.expires - today).num_days();
        Self {
            rule: e.rule.text.clone(),
            object: e.object.text.clone(),
            reason: e.reason.clone(),
            expires: e.expires,
            days_left,
            active: days_left >= 0,
            expiring_soon: (0..=EXPIRING_SOON_DAYS).contains(&days_left),
            matched: 0,
        }
    }

    /// The namespace part of the `object` glob, as written.
    pub fn namespace_glob(&self) -> &str {
        self.object.split('/').next().unwrap_or("")
    }
}

/// A namespace seen in the scanned files.
#[derive(Debug, Clone, Serialize)]
pub struct NamespaceSummary {
    pub name: String,
    pub stage: Stage,
    /// Objects with a pod template.
    pub workloads: usize,
    pub objects: usize,
}

/// The policy applied to one lint run.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub today: NaiveDate,
    pub decisions: Vec<Decision>,
    pub exceptions: Vec<ExceptionStatus>,
    /// Namespaces of every object scanned, by name. A namespace that spans rollout rules
    /// (objects under several `paths`) takes the stage of its first object.
    pub namespaces: Vec<NamespaceSummary>,
    /// Mistakes in the configuration; when present, the defaults were used instead.
    pub config_errors: Vec<ConfigError>,
}

impl Review {
    pub fn conclusion(&self) -> Conclusion {
        conclusion(&self.decisions)
    }

    pub fn reported(&self) -> impl Iterator<Item = &Decision> {
        self.decisions.iter().filter(|d| d.is_reported())
    }

    pub fn expiring_exceptions(&self) -> impl Iterator<Item = &ExceptionStatus> {
        self.exceptions.iter().filter(|e| e.expiring_soon)
    }
}

/// Everything [`review`] needs besides the lint result.
pub struct PolicyInput<'a> {
    pub config: &'a Config,
    pub config_errors: &'a [ConfigError],
    pub today: NaiveDate,
    pub namespaces: &'a NamespaceResolver,
}

/// Applies the rollout policy to a lint result.
pub fn review(result: &LintResult, input: &PolicyInput<'_>) -> Review {
    review_findings(&result.files, result.findings.clone(), input)
}

/// [`review`] that takes the findings out of `result` instead of copying them: for callers
/// that replace them with the reported ones anyway (a big run has hundreds of thousands).
pub fn review_taking(result: &mut LintResult, input: &PolicyInput<'_>) -> Review {
    let findings = std::mem::take(&mut result.findings);
    review_findings(&result.files, findings, input)
}

fn review_findings(
    files: &[ManifestFile],
    findings: Vec<Finding>,
    input: &PolicyInput<'_>,
) -> Review {
    let mut reviewer = ObjectReviewer::new(input);
    // Each finding is moved into its decision once: slots are emptied as they are taken.
    let mut slots: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
    // One decision per finding, besides the few unused-ignore findings: sized once, not
    // doubled (a decision is a few hundred bytes, and a big run has a finding per field).
    let mut decisions = Vec::with_capacity(slots.len());
    let mut by_file: rustc_hash::FxHashMap<String, Vec<(usize, usize)>> =
        rustc_hash::FxHashMap::default();
    for (i, f) in slots.iter().enumerate() {
        let Some(f) = f else { continue };
        match by_file.get_mut(f.file.as_str()) {
            Some(list) => list.push((f.byte, i)),
            // A file's path is copied once, not once per finding.
            None => {
                by_file.insert(f.file.clone(), vec![(f.byte, i)]);
            }
        }
    }
    // Objects of a file have disjoint spans, so with the file's findings in byte order each
    // object's findings are one slice, found by binary search: linear in the file, where a
    // filter over every finding for every object was quadratic.
    for findings in by_file.values_mut() {
        findings.sort_by_key(|&(byte, _)| byte);
    }
    for file in files {
        let file_findings = by_file.get(file.path.as_str()).map_or(&[][..], |v| v);
        for object in &file.objects {
            let span = file.tree.node(object.node).span();
            let reference = object.reference();
            let first = file_findings.partition_point(|&(byte, _)| byte < span.start);
            let last = file_findings.partition_point(|&(byte, _)| byte <= span.end);
            let mut linted: Vec<Finding> = Vec::new();
            for &(_, i) in &file_findings[first..last] {
                if slots[i].as_ref().is_some_and(|f| f.object == reference) {
                    linted.extend(slots[i].take());
                }
            }
            reviewer.review_object(file, object, linted, &mut decisions);
        }
    }
    drop(slots);
    // A stable sort of the decisions themselves would need a scratch copy of half of them
    // (hundreds of bytes each, hundreds of thousands in a big file): the order is found on
    // indices, then applied in place.
    let mut order: Vec<usize> = (0..decisions.len()).collect();
    order.sort_by(|&a, &b| decision_order(&decisions[a], &decisions[b]));
    permute(&mut decisions, order);
    reviewer.finish(decisions)
}

/// The report order of decisions: their findings' file, line, column and rule.
pub fn decision_order(a: &Decision, b: &Decision) -> std::cmp::Ordering {
    crate::engine::finding_order(&a.finding, &b.finding)
}

/// The policy applied one object at a time: what [`review`] does for each object, for callers
/// that lint, review and report a big run in batches and never hold all its findings
/// (`check`'s text report). The exceptions' use and the namespaces seen are counted across
/// objects; [`ObjectReviewer::finish`] gives them back in a [`Review`].
pub struct ObjectReviewer<'a> {
    input: &'a PolicyInput<'a>,
    exceptions: Vec<ExceptionStatus>,
    namespaces: BTreeMap<String, NamespaceSummary>,
}

impl<'a> ObjectReviewer<'a> {
    pub fn new(input: &'a PolicyInput<'a>) -> Self {
        let exceptions = input
            .config
            .exceptions
            .iter()
            .map(|e| ExceptionStatus::new(e, input.today))
            .collect();
        ObjectReviewer {
            input,
            exceptions,
            namespaces: BTreeMap::new(),
        }
    }

    /// Decides on the findings the lint made on `object` (`linted`), adding the unused-ignore
    /// findings its annotations call for, and appends the decisions to `decisions` in the
    /// order they were made (not report order: see [`decision_order`]).
    pub fn review_object(
        &mut self,
        file: &ManifestFile,
        object: &Object,
        linted: Vec<Finding>,
        decisions: &mut Vec<Decision>,
    ) {
        let config = self.input.config;
        let namespaces = self.input.namespaces;
        let exceptions = &mut self.exceptions;
        let ns = namespaces.resolve(
            object.namespace.as_deref(),
            &object.kind,
            &object.name,
            &file.path,
            config,
        );
        let stage = std::sync::Arc::new(Stage::resolve(
            config,
            &ns.name,
            namespaces.repo_path(&file.path),
            self.input.today,
        ));
        let summary = self
            .namespaces
            .entry(ns.name.clone())
            .or_insert_with(|| NamespaceSummary {
                name: ns.name.clone(),
                stage: (*stage).clone(),
                workloads: 0,
                objects: 0,
            });
        summary.objects += 1;
        if object.template.is_some() {
            summary.workloads += 1;
        }
        let linted = linted.into_iter();
        let mut findings: Vec<(Finding, Mode, Option<Level>)> = match &stage.levels {
            None => linted.map(|f| (f, stage.effective, None)).collect(),
            Some(levels) => per_mode_findings(file, object, linted, levels, &stage.source),
        };
        let other_mode = stage.levels.map_or(stage.effective, |l| l.strictest_mode());
        let ignores = ignore::ignore_annotations(file, object);
        for ig in ignores.iter().filter(|i| i.is_valid()) {
            // An ignore of a rule that did not run (`select` / `ignore`) is not unused.
            let ran = ig.rules().iter().any(|r| config.rules.enables(r))
                && config.rules.enables(unused_ignore::ID);
            if ran && !findings.iter().any(|(f, _, _)| ig.covers(f.rule)) {
                findings.push((unused_ignore_finding(file, object, ig), other_mode, None));
            }
        }
        // Only exceptions name objects this way: without any, the text is not built (once
        // per object of a big run).
        let object_id = if config.exceptions.is_empty() {
            String::new()
        } else {
            format!("{}/{}/{}", ns.name, object.kind, object.name)
        };
        let shared_ns = std::sync::Arc::new(ns);
        for (finding, mode, level) in findings {
            let matching: Vec<usize> = config
                .exceptions
                .iter()
                .enumerate()
                .filter(|(_, e)| e.matches(finding.rule, &object_id))
                .map(|(i, _)| i)
                .collect();
            let active = matching.iter().copied().find(|i| exceptions[*i].active);
            let expired = matching
                .iter()
                .copied()
                .filter(|i| !exceptions[*i].active)
                .max_by_key(|i| exceptions[*i].expires);
            let ignored = ignores.iter().find(|i| i.covers(finding.rule));
            let disposition = if let Some(i) = active {
                exceptions[i].matched += 1;
                Disposition::Excepted {
                    until: exceptions[i].expires,
                    reason: exceptions[i].reason.clone(),
                }
            } else if let Some(ig) = ignored {
                Disposition::Ignored {
                    reason: ig.reason.clone(),
                }
            } else {
                Disposition::Reported
            };
            let exception_expired_on = match (active, expired) {
                (None, Some(i)) => {
                    exceptions[i].matched += 1;
                    Some(exceptions[i].expires)
                }
                _ => None,
            };
            decisions.push(Decision {
                finding,
                namespace: std::sync::Arc::clone(&shared_ns),
                stage: std::sync::Arc::clone(&stage),
                mode,
                level,
                disposition,
                exception_expired_on,
            });
        }
    }

    /// Adds what `later` counted (the exceptions' use, the namespaces seen) to this
    /// reviewer's counts: reviewers of consecutive parts of a run, merged in order, count
    /// what one reviewer of the whole run would (a namespace keeps the stage of its first
    /// object).
    pub fn merge(&mut self, later: ObjectReviewer<'a>) {
        for (mine, theirs) in self.exceptions.iter_mut().zip(later.exceptions) {
            mine.matched += theirs.matched;
        }
        for (name, theirs) in later.namespaces {
            match self.namespaces.get_mut(&name) {
                Some(mine) => {
                    mine.objects += theirs.objects;
                    mine.workloads += theirs.workloads;
                }
                None => {
                    self.namespaces.insert(name, theirs);
                }
            }
        }
    }

    /// The review of every object seen, with `decisions` (already in report order).
    pub fn finish(self, decisions: Vec<Decision>) -> Review {
        Review {
            today: self.input.today,
            decisions,
            exceptions: self.exceptions,
            namespaces: self.namespaces.into_values().collect(),
            config_errors: self.input.config_errors.to_vec(),
        }
    }
}

/// Reorders `items` in place so that position `k` holds what was at `order[k]` (a
/// permutation), following each cycle once.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = order[at];
            order[at] = DONE;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// An object's findings under levels per mode: each Pod Security finding in the strongest
/// mode whose level it violates (the object is judged at each mode's level, as PSA evaluates
/// each label), other rules' findings in the mode of the strictest level.
fn per_mode_findings(
    file: &ManifestFile,
    object: &Object,
    linted: impl Iterator<Item = Finding>,
    levels: &ModeLevels,
    source: &str,
) -> Vec<(Finding, Mode, Option<Level>)> {
    let judged = object.template.is_some();
    let mut out: Vec<(Finding, Mode, Option<Level>)> = linted
        .filter(|f| !(judged && crate::rules::family(f.rule) == "pod-security"))
        .map(|f| (f, levels.strictest_mode(), None))
        .collect();
    if !judged {
        return out;
    }
    // Strongest mode first: a finding keeps the first mode whose level reports it.
    let judged_at: Vec<(Mode, ModeLevel)> = LEVEL_MODES
        .into_iter()
        .filter_map(|m| levels.get(m).map(|l| (m, l)))
        .collect();
    let policies: Vec<PssPolicy> = judged_at
        .iter()
        .map(|(mode, level)| PssPolicy {
            level: level.level,
            version: level.version,
            origin: Some(format!("{mode} level of {}", source_name(source))),
        })
        .collect();
    for (i, f) in crate::engine::pod_security_findings(file, object, &policies, true) {
        let (mode, level) = judged_at[i];
        out.push((f, mode, Some(level.level)));
    }
    out
}

/// "rollout rule 2 (…)" as it is, "top-level configuration" with its article.
fn source_name(source: &str) -> String {
    if source.starts_with("rollout rule") {
        source.to_string()
    } else {
        format!("the {source}")
    }
}

fn unused_ignore_finding(
    file: &ManifestFile,
    object: &Object,
    ig: &ignore::IgnoreAnnotation,
) -> Finding {
    let loc = file.locate(object, &ig.path);
    let plan = FixPlan {
        safety: FixSafety::Safe,
        title: format!(
            "Remove the annotation `{}{}`",
            ignore::IGNORE_PREFIX,
            ig.rule_name
        ),
        caveat: "".into(),
        actions: vec![FixAction::Remove {
            path: ig.path.clone(),
        }],
    };
    Finding {
        rule: unused_ignore::ID,
        severity: Severity::Warning,
        message: format!(
            "ignore of {:?} silences nothing: the rule reports no problem on this object; remove the annotation",
            ig.rule_name
        ),
        file: file.path.clone(),
        byte: loc.byte,
        line: loc.line,
        column: loc.column,
        object: object.reference(),
        field_path: ig.path.clone(),
        policy: None,
        fix: crate::fix::realize(file, object, &plan).ok().map(Box::new),
        overlays: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
