//! Readiness: how far each namespace is from each Pod Security level — the findings and the
//! workloads that `baseline` and `restricted` would reject — judged on the repository's own
//! manifests, before exceptions and ignores. It feeds the rollout report's readiness table and
//! the proposed plan (namespaces already clean enforce first). Pure: lint result in, counts out.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::NamespaceResolver;
use crate::config::Config;
use crate::engine::{LintResult, pod_security_findings};
use crate::manifest::{ManifestFile, Object};
use crate::policy::{Level, PssPolicy, Version};

/// What one level would reject in one namespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LevelGap {
    pub findings: usize,
    /// Workloads with at least one finding.
    pub workloads: usize,
}

impl LevelGap {
    pub fn is_clean(&self) -> bool {
        self.findings == 0
    }

    /// "clean" or "3 findings in 2 workloads".
    pub fn describe(&self) -> String {
        if self.is_clean() {
            return "clean".into();
        }
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "{} in {}",
            plural(self.findings, "finding", "findings"),
            plural(self.workloads, "workload", "workloads")
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamespaceReadiness {
    pub name: String,
    /// Objects with a pod template.
    pub workloads: usize,
    pub baseline: LevelGap,
    pub restricted: LevelGap,
}

impl NamespaceReadiness {
    pub fn gap(&self, level: Level) -> LevelGap {
        match level {
            Level::Privileged => LevelGap::default(),
            Level::Baseline => self.baseline,
            Level::Restricted => self.restricted,
        }
    }
}

/// The Pod Security rules an object fails at `level` (one entry per finding).
pub fn failed_rules(
    file: &ManifestFile,
    object: &Object,
    level: Level,
    version: Version,
) -> Vec<&'static str> {
    let pss = PssPolicy {
        level,
        version,
        origin: None,
    };
    // Counts only: no fixes to realise.
    pod_security_findings(file, object, &[pss], false)
        .into_iter()
        .map(|(_, f)| f.rule)
        .collect()
}

/// A namespace's readiness, counted one workload at a time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    workloads: usize,
    baseline: LevelGap,
    restricted: LevelGap,
}

impl Tally {
    /// One workload and how many findings it has at each level.
    pub fn add(&mut self, baseline_findings: usize, restricted_findings: usize) {
        self.workloads += 1;
        for (gap, n) in [
            (&mut self.baseline, baseline_findings),
            (&mut self.restricted, restricted_findings),
        ] {
            if n > 0 {
                gap.findings += n;
                gap.workloads += 1;
            }
        }
    }

    pub fn finish(self, name: String) -> NamespaceReadiness {
        NamespaceReadiness {
            name,
            workloads: self.workloads,
            baseline: self.baseline,
            restricted: self.restricted,
        }
    }
}

/// Every namespace with workloads, by name, judged at both levels at the configured version.
pub fn measure(
    result: &LintResult,
    resolver: &NamespaceResolver,
    config: &Config,
) -> Vec<NamespaceReadiness> {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for file in &result.files {
        for object in &file.objects {
            if object.template.is_none() {
                continue;
            }
            let ns = resolver.resolve(
                object.namespace.as_deref(),
                &object.kind,
                &object.name,
                &file.path,
                config,
            );
            let fails = |level| failed_rules(file, object, level, config.pss_version).len();
            tallies
                .entry(ns.name)
                .or_default()
                .add(fails(Level::Baseline), fails(Level::Restricted));
        }
    }
    tallies
        .into_iter()
        .map(|(name, tally)| tally.finish(name))
        .collect()
}

/// The readiness table in Markdown. With `base` (the base commit of a pull request), each
/// cell also says how the findings moved since.
pub fn render_table(now: &[NamespaceReadiness], base: Option<&[NamespaceReadiness]>) -> String {
    table(
        now,
        base,
        "Findings each Pod Security level would report, per namespace, before exceptions and ignores.",
    )
}

/// The readiness table of a pull request: the workloads it changes, at head, and how their
/// findings moved since the base commit (a workload the pull request adds was at zero).
pub fn render_pull_request_table(
    now: &[NamespaceReadiness],
    base: &[NamespaceReadiness],
) -> String {
    table(
        now,
        Some(base),
        "Findings each Pod Security level would report on the workloads this pull request changes, per namespace, before exceptions and ignores, and how they moved since the base commit.",
    )
}

fn table(now: &[NamespaceReadiness], base: Option<&[NamespaceReadiness]>, intro: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### Readiness\n");
    if now.is_empty() {
        let _ = writeln!(out, "No workloads were found.\n");
        return out;
    }
    let _ = writeln!(out, "{intro}\n");
    let _ = writeln!(out, "| Namespace | Workloads | `baseline` | `restricted` |");
    let _ = writeln!(out, "|---|---:|---|---|");
    for ns in now {
        let before = base.map(|b| b.iter().find(|o| o.name == ns.name));
        let cell = |level: Level| {
            let gap = ns.gap(level);
            let mut s = gap.describe();
            if let Some(before) = before {
                let was = before.map_or(0, |b| b.gap(level).findings) as i64;
                let delta = gap.findings as i64 - was;
                let _ = write!(
                    s,
                    " ({} since the base commit)",
                    match delta {
                        0 => "unchanged".to_string(),
                        d if d > 0 => format!("+{d}"),
                        d => format!("−{}", -d),
                    }
                );
            }
            s
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            ns.name,
            ns.workloads,
            cell(Level::Baseline),
            cell(Level::Restricted)
        );
    }
    out.push('\n');
    out
}
