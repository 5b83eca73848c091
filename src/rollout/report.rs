//! The rollout report for the platform team (`kubenudge rollout`): per rollout rule and
//! namespace, the stage, the workloads that would be blocked at that level grouped by rule,
//! and the exceptions that apply. `--format md` is the developer impact note instead
//! (see [`super::impact`]).

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::config::{Config, Mode};

use super::impact::stage_note;
use super::{ExceptionStatus, Review, Stage};

#[derive(Debug, Clone, Serialize)]
pub struct RolloutReport {
    pub today: NaiveDate,
    pub level: String,
    pub pss_version: String,
    pub mode: Mode,
    pub enforce_from: Option<NaiveDate>,
    /// One group per rollout rule that matched something, then the top level, in config order.
    pub groups: Vec<StageGroup>,
    pub exceptions: Vec<ExceptionStatus>,
    pub config_errors: Vec<crate::config::ConfigError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageGroup {
    /// 1-based rollout rule index; `None` for the top-level configuration.
    pub rule: Option<usize>,
    pub source: String,
    pub namespaces: Vec<NamespaceReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NamespaceReport {
    pub name: String,
    pub stage: Stage,
    pub workloads: usize,
    /// Workloads with at least one reported finding: blocked once the stage enforces.
    pub blocked_workloads: usize,
    /// Most findings first.
    pub rules: Vec<RuleCount>,
    /// Exceptions whose object glob names this namespace.
    pub exceptions: Vec<ExceptionStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    pub rule: String,
    /// The strongest mode its findings are in today.
    pub mode: Mode,
    pub findings: usize,
    /// `Kind/name` of the workloads concerned, sorted.
    pub objects: Vec<String>,
}

impl RolloutReport {
    pub fn build(review: &Review, config: &Config) -> Self {
        let mut groups: BTreeMap<Option<usize>, StageGroup> = BTreeMap::new();
        for ns in &review.namespaces {
            let mut rules: BTreeMap<&str, (usize, BTreeSet<String>, Mode)> = BTreeMap::new();
            let mut blocked: BTreeSet<String> = BTreeSet::new();
            for d in review.decisions.iter().filter(|d| {
                d.namespace.name == ns.name && d.disposition == super::Disposition::Reported
            }) {
                let object = format!("{}/{}", d.finding.object.kind, d.finding.object.name);
                let entry = rules
                    .entry(d.finding.rule)
                    .or_insert((0, BTreeSet::new(), Mode::Off));
                entry.0 += 1;
                entry.1.insert(object.clone());
                entry.2 = entry.2.max(d.mode);
                blocked.insert(object);
            }
            let mut rules: Vec<RuleCount> = rules
                .into_iter()
                .map(|(rule, (findings, objects, mode))| RuleCount {
                    rule: rule.to_string(),
                    mode,
                    findings,
                    objects: objects.into_iter().collect(),
                })
                .collect();
            rules.sort_by(|a, b| b.findings.cmp(&a.findings).then(a.rule.cmp(&b.rule)));
            let exceptions = config
                .exceptions
                .iter()
                .zip(&review.exceptions)
                .filter(|(e, _)| {
                    let ns_glob = e.object.text.split('/').next().unwrap_or("");
                    crate::config::Pattern::new(ns_glob).is_ok_and(|p| p.is_match(&ns.name))
                })
                .map(|(_, s)| s.clone())
                .collect();
            // Sorting by rule index puts the top level (None) first; it goes last below.
            groups
                .entry(ns.stage.rule)
                .or_insert_with(|| StageGroup {
                    rule: ns.stage.rule,
                    source: ns.stage.source.clone(),
                    namespaces: Vec::new(),
                })
                .namespaces
                .push(NamespaceReport {
                    name: ns.name.clone(),
                    stage: ns.stage.clone(),
                    workloads: ns.workloads,
                    blocked_workloads: blocked.len(),
                    rules,
                    exceptions,
                });
        }
        let mut groups: Vec<StageGroup> = groups.into_values().collect();
        if groups.first().is_some_and(|g| g.rule.is_none()) {
            let top = groups.remove(0);
            groups.push(top);
        }
        Self {
            today: review.today,
            level: config.level.to_string(),
            pss_version: config.pss_version.to_string(),
            mode: config.mode,
            enforce_from: config.enforce_from,
            groups,
            exceptions: review.exceptions.clone(),
            config_errors: review.config_errors.clone(),
        }
    }

    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serializes") + "\n"
    }

    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "kubenudge rollout report, as of {}", self.today);
        let _ = write!(
            out,
            "Policy: Pod Security {} ({}); default mode {}",
            self.level, self.pss_version, self.mode
        );
        if let Some(d) = self.enforce_from {
            let _ = write!(out, ", enforced from {d}");
        }
        out.push('\n');
        for e in &self.config_errors {
            let _ = writeln!(out, "config error (defaults used): {e}");
        }
        for group in &self.groups {
            let _ = writeln!(out, "\n{}", group.source);
            for ns in &group.namespaces {
                let note = stage_note(&ns.name, &ns.stage).replace("**", "");
                let _ = writeln!(out, "  {note}");
                let _ = writeln!(
                    out,
                    "    workloads: {}, would be blocked: {}",
                    ns.workloads, ns.blocked_workloads
                );
                let width = ns.rules.iter().map(|r| r.rule.len()).max().unwrap_or(0);
                // With levels per mode, rules of one namespace sit in different modes.
                let per_mode = ns.stage.levels.is_some();
                for r in &ns.rules {
                    let mode = if per_mode {
                        format!("{:<8} ", r.mode.to_string())
                    } else {
                        String::new()
                    };
                    let _ = writeln!(
                        out,
                        "      {mode}{:<width$}  {:>3}  {}",
                        r.rule,
                        r.findings,
                        r.objects.join(", ")
                    );
                }
                for e in &ns.exceptions {
                    let _ = writeln!(out, "    exception: {}", exception_line(e));
                }
            }
        }
        if !self.exceptions.is_empty() {
            let _ = writeln!(out, "\nExceptions");
            for e in &self.exceptions {
                let _ = writeln!(
                    out,
                    "  {}  (matched {} finding{})",
                    exception_line(e),
                    e.matched,
                    if e.matched == 1 { "" } else { "s" }
                );
            }
        }
        out
    }
}

fn exception_line(e: &ExceptionStatus) -> String {
    let status = if !e.active {
        format!("expired on {}", e.expires)
    } else if e.expiring_soon {
        format!("EXPIRING on {} ({} days left)", e.expires, e.days_left)
    } else {
        format!("active until {}", e.expires)
    };
    format!("{} on {}: {status} — {}", e.rule, e.object, e.reason)
}
