//! Findings counted by rule (`--statistics`, and the closing count of the text report).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::engine::LintResult;
use crate::finding::FixSafety;

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
    let mut by_rule: BTreeMap<&'static str, RuleCount> = BTreeMap::new();
    for f in &result.findings {
        let c = by_rule.entry(f.rule).or_insert_with(|| RuleCount {
            rule: f.rule,
            count: 0,
            safe_fixes: 0,
            review_fixes: 0,
            summary: crate::rules::find(f.rule).map_or("", |r| r.summary()),
        });
        c.count += 1;
        match f.fix.as_ref().map(|x| x.safety) {
            Some(FixSafety::Safe) => c.safe_fixes += 1,
            Some(FixSafety::Review) => c.review_fixes += 1,
            None => {}
        }
    }
    let mut counts: Vec<RuleCount> = by_rule.into_values().collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(b.rule)));
    counts
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
