//! Findings counted by rule (`--statistics`, and the closing count of the text report).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::engine::LintResult;
use crate::finding::{Finding, FixSafety};

/// How often one rule fired, and how many of its findings a fix removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub rule: &'static str,
    pub count: usize,
    /// Fixes `--fix` applies.
    pub safe_fixes: usize,
    /// Fixes that need `--unsafe-fixes` (a person should review them).
    pub review_fixes: usize,
    /// The rule's one-line summary (as `kubenudge rules` prints it).
    pub summary: &'static str,
}

/// Most frequent first, then by rule id.
pub fn count_by_rule(result: &LintResult) -> Vec<RuleCount> {
    let mut tally = FindingTally::default();
    for f in &result.findings {
        tally.add(f);
    }
    tally.by_rule()
}

/// The counts a report closes with, kept as findings go by: a report written in batches
/// (`check`'s text report of a big run) counts each finding before it is dropped.
#[derive(Debug, Default, Clone)]
pub struct FindingTally {
    by_rule: BTreeMap<&'static str, RuleCount>,
    /// Findings counted.
    pub findings: usize,
    /// Of which with a fix `--fix` applies.
    pub safe_fixes: usize,
    /// Of which with a fix that needs `--unsafe-fixes`.
    pub review_fixes: usize,
}

impl FindingTally {
    pub fn add(&mut self, f: &Finding) {
        let c = self.by_rule.entry(f.rule).or_insert_with(|| RuleCount {
            rule: f.rule,
            count: 0,
            safe_fixes: 0,
            review_fixes: 0,
            summary: crate::rules::find(f.rule).map_or("", |r| r.summary()),
        });
        c.count += 1;
        self.findings += 1;
        match f.fix.as_ref().map(|x| x.safety) {
            Some(FixSafety::Safe) => {
                c.safe_fixes += 1;
                self.safe_fixes += 1;
            }
            Some(FixSafety::Review) => {
                c.review_fixes += 1;
                self.review_fixes += 1;
            }
            None => {}
        }
    }

    /// Adds the counts of `other` (findings counted elsewhere, e.g. by another task).
    pub fn merge(&mut self, other: &FindingTally) {
        for (rule, c) in &other.by_rule {
            let mine = self.by_rule.entry(*rule).or_insert_with(|| RuleCount {
                count: 0,
                safe_fixes: 0,
                review_fixes: 0,
                ..c.clone()
            });
            mine.count += c.count;
            mine.safe_fixes += c.safe_fixes;
            mine.review_fixes += c.review_fixes;
        }
        self.findings += other.findings;
        self.safe_fixes += other.safe_fixes;
        self.review_fixes += other.review_fixes;
    }

    /// Counts per rule, most frequent first, then by rule id.
    pub fn by_rule(&self) -> Vec<RuleCount> {
        let mut counts: Vec<RuleCount> = self.by_rule.values().cloned().collect();
        counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(b.rule)));
        counts
    }
}

/// `--statistics` as text: `COUNT  RULE  FIX  SUMMARY`, where FIX is `[*]` when every finding
/// of the rule has a safe fix, `[!]` when some fix needs `--unsafe-fixes`, `[-]` when only
/// some findings have a fix, and blank when none has.
pub fn render_statistics(result: &LintResult) -> String {
    let counts = count_by_rule(result);
    let count_width = counts.first().map_or(1, |c| c.count.to_string().len());
    let rule_width = counts.iter().map(|c| c.rule.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in &counts {
        let marker = if c.safe_fixes == c.count {
            "[*]"
        } else if c.safe_fixes + c.review_fixes == c.count {
            "[!]"
        } else if c.safe_fixes + c.review_fixes > 0 {
            "[-]"
        } else {
            "   "
        };
        let _ = writeln!(
            out,
            "{:>count_width$}  {:<rule_width$}  {marker} {}",
            c.count, c.rule, c.summary
        );
    }
    if counts.is_empty() {
        out.push_str("No findings.\n");
    } else if counts.iter().any(|c| c.safe_fixes + c.review_fixes > 0) {
        out.push_str(
            "[*] fixable with `--fix`, [!] with `--fix --unsafe-fixes`, [-] some findings fixable\n",
        );
    }
    out
}

/// `--statistics --format json`: `[{"rule", "count", "safe_fixes", "review_fixes", "summary"}]`.
pub fn render_statistics_json(result: &LintResult) -> String {
    serde_json::to_string_pretty(&count_by_rule(result)).expect("counts serialize") + "\n"
}
