//! ## What it does
//! Flags `ignore.kubenudge.io/<rule-name>` annotations that cannot work: the reason is empty,
//! or `<rule-name>` is not the name of any kubenudge rule.
//!
//! ## Why it matters
//! An ignore that silently does nothing is worse than none: the author believes a problem was
//! discussed and accepted, reviewers see the annotation and move on, and the finding comes
//! back later as a surprise (or, with a misspelt name, the real problem stays hidden behind a
//! comment that looks like a decision). The reason is what the next person reads when they
//! wonder whether the ignore is still needed, so it is required.
//!
//! ## What to change
//! Before:
//! ```yaml
//! metadata:
//!   annotations:
//!     ignore.kubenudge.io/read-only-root-fs: ""
//! ```
//! After:
//! ```yaml
//! metadata:
//!   annotations:
//!     ignore.kubenudge.io/read-only-root-filesystem: "nginx writes its cache under /var/cache; tracked in OPS-123"
//! ```
//!
//! ## Edge cases
//! - The annotation takes the rule's NAME, without its family: `host-namespaces`, not
//!   `pod-security/host-namespaces`. `kubenudge rules` lists every rule.
//! - On a workload, put the annotation on the workload's `metadata` or on its pod template's
//!   `metadata`; both work.
//! - An invalid ignore silences nothing: the finding it meant to silence is still reported.
//!
//! ## Fix safety
//! No automatic fix: only the author knows the reason or the rule that was meant.
//!
//! ## What if you cannot comply
//! Write a reason, or remove the annotation. For an ignore that must outlive a quick decision,
//! ask the platform team for an exception in `.github/kubenudge.yml` instead: those carry an
//! expiry date and show up in the rollout report.

use crate::finding::Violation;
use crate::rollout::ignore::ignore_annotations;
use crate::rules::{Rule, RuleContext};

pub(crate) static RULE: InvalidIgnore = InvalidIgnore;

pub struct InvalidIgnore;

impl Rule for InvalidIgnore {
    fn id(&self) -> &'static str {
        "kubenudge/invalid-ignore"
    }

    fn summary(&self) -> &'static str {
        "annotations `ignore.kubenudge.io/<rule-name>` need a reason and an existing rule name"
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        ignore_annotations(cx.file, cx.object)
            .into_iter()
            .filter_map(|ignore| {
                let message = if ignore.rules().is_empty() {
                    format!(
                        "ignore annotation names no rule: {:?} is not a kubenudge rule name (`kubenudge rules` lists them); it silences nothing",
                        ignore.rule_name
                    )
                } else if ignore.reason.is_empty() {
                    format!(
                        "ignore of {:?} has no reason; write why the rule does not apply here (it silences nothing until then)",
                        ignore.rule_name
                    )
                } else {
                    return None;
                };
                Some(Violation::new(message, ignore.path))
            })
            .collect()
    }
}
