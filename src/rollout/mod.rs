//! The rollout policy: which findings count, where, and from when.
//!
//! Pure functions over a [`LintResult`], a [`Config`] and today's date (passed in, never read
//! from the clock here, so tests and the GitHub service decide what "today" is). The engine says
//! what is wrong; this layer says, per finding, in which namespace it is, at which rollout
//! stage, and whether an exception or an inline ignore silences it. Reports (the rollout report,
//! the developer impact note, review comments) are built from the resulting [`Review`].

pub mod ignore;
pub mod impact;
pub mod namespace;
pub mod preview;
pub mod report;

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::config::{Config, ConfigError, Exception, Mode};
use crate::engine::LintResult;
use crate::finding::{Finding, FixAction, FixPlan, FixSafety, Severity};
use crate::manifest::{ManifestFile, Object};
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
}

impl Stage {
    /// The first rollout rule matching the namespace and the file path decides; otherwise the
    /// top level. A rule that sets `mode` but no `enforce-from` does not inherit the top-level
    /// date (the rule is the whole stage); a rule that sets only `enforce-from` keeps the
    /// top-level mode until then.
    pub fn resolve(config: &Config, namespace: &str, path: &str, today: NaiveDate) -> Stage {
        match config.rollout.iter().find(|r| r.matches(namespace, path)) {
            Some(rule) => {
                let (mode, enforce_from) = match rule.mode {
                    Some(m) => (m, rule.enforce_from),
                    None => (config.mode, rule.enforce_from),
                };
                Self::at(mode, enforce_from, today, Some(rule.index), rule.describe())
            }
            None => Self::at(
                config.mode,
                config.enforce_from,
                today,
                None,
                "top-level configuration".into(),
            ),
        }
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
    pub namespace: ResolvedNamespace,
    pub stage: Stage,
    pub disposition: Disposition,
    /// Set when an exception matched but has expired: the finding says so.
    pub exception_expired_on: Option<NaiveDate>,
}

impl Decision {
    /// Counts for the check: not silenced, and the stage is not `off`.
    pub fn is_reported(&self) -> bool {
        self.disposition == Disposition::Reported && self.stage.effective != Mode::Off
    }

    /// Gets a pull-request comment (`warn` and `enforce`; `audit` stays in the check run).
    pub fn is_commented(&self) -> bool {
        self.is_reported() && matches!(self.stage.effective, Mode::Warn | Mode::Enforce)
    }

    pub fn blocks_merge(&self) -> bool {
        self.is_reported() && self.stage.blocks_merges()
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
    if reported().any(|d| d.stage.effective == Mode::Enforce) {
        Conclusion::Failure
    } else if reported().any(|d| d.stage.effective == Mode::Warn) {
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
    let config = input.config;
    let today = input.today;
    let mut exceptions: Vec<ExceptionStatus> = config
        .exceptions
        .iter()
        .map(|e| ExceptionStatus::new(e, today))
        .collect();
    let mut decisions = Vec::new();
    let mut namespaces: BTreeMap<String, NamespaceSummary> = BTreeMap::new();

    let mut by_file: std::collections::HashMap<&str, Vec<&Finding>> =
        std::collections::HashMap::new();
    for f in &result.findings {
        by_file.entry(f.file.as_str()).or_default().push(f);
    }
    // Objects of a file have disjoint spans, so with the file's findings in byte order each
    // object's findings are one slice, found by binary search: linear in the file, where a
    // filter over every finding for every object was quadratic.
    for findings in by_file.values_mut() {
        findings.sort_by_key(|f| f.byte);
    }
    for file in &result.files {
        let file_findings = by_file.get(file.path.as_str()).map_or(&[][..], |v| v);
        for object in &file.objects {
            let ns = input.namespaces.resolve(
                object.namespace.as_deref(),
                &object.kind,
                &object.name,
                &file.path,
                config,
            );
            let stage = Stage::resolve(
                config,
                &ns.name,
                input.namespaces.repo_path(&file.path),
                today,
            );
            let summary = namespaces
                .entry(ns.name.clone())
                .or_insert_with(|| NamespaceSummary {
                    name: ns.name.clone(),
                    stage: stage.clone(),
                    workloads: 0,
                    objects: 0,
                });
            summary.objects += 1;
            if object.typed.pod_template().is_some() {
                summary.workloads += 1;
            }

            let span = file.tree.node(object.node).span;
            let reference = object.reference();
            let first = file_findings.partition_point(|f| f.byte < span.start);
            let last = file_findings.partition_point(|f| f.byte <= span.end);
            let mut findings: Vec<Finding> = file_findings[first..last]
                .iter()
                .copied()
                .filter(|f| f.object == reference)
                .cloned()
                .collect();
            let ignores = ignore::ignore_annotations(file, object);
            for ig in ignores.iter().filter(|i| i.is_valid()) {
                // An ignore of a rule that did not run (`select` / `ignore`) is not unused.
                let ran = ig.rules().iter().any(|r| config.rules.enables(r))
                    && config.rules.enables(unused_ignore::ID);
                if ran && !findings.iter().any(|f| ig.covers(f.rule)) {
                    findings.push(unused_ignore_finding(file, object, ig));
                }
            }
            let object_id = format!("{}/{}/{}", ns.name, object.kind, object.name);
            for finding in findings {
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
                    namespace: ns.clone(),
                    stage: stage.clone(),
                    disposition,
                    exception_expired_on,
                });
            }
        }
    }
    decisions.sort_by(|a, b| {
        let (a, b) = (&a.finding, &b.finding);
        (&a.file, a.line, a.column, a.rule).cmp(&(&b.file, b.line, b.column, b.rule))
    });
    Review {
        today,
        decisions,
        exceptions,
        namespaces: namespaces.into_values().collect(),
        config_errors: input.config_errors.to_vec(),
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
        caveat: String::new(),
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
        fix: crate::fix::realize(file, object, &plan).ok(),
    }
}

#[cfg(test)]
mod tests;
