//! ## What it does
//! Flags `ignore.kubenudge.io/<rule-name>` annotations that silence nothing: the rule they
//! name reports no problem on the object at the level that applies to it.
//!
//! ## Why it matters
//! Ignores outlive the problems they were written for. Once the workload is fixed (or the rule
//! no longer applies at the namespace's level), a leftover ignore would hide the problem if it
//! ever came back, without anyone deciding that again. Reporting unused ignores keeps every
//! ignore in the repository a current, deliberate decision (ruff and clippy do the same with
//! unused `noqa` and `allow`).
//!
//! ## What to change
//! Before:
//! ```yaml
//! metadata:
//!   annotations:
//!     ignore.kubenudge.io/read-only-root-filesystem: "legacy image"
//! spec:
//!   containers:
//!     - name: app
//!       securityContext:
//!         readOnlyRootFilesystem: true
//! ```
//! After:
//! ```yaml
//! spec:
//!   containers:
//!     - name: app
//!       securityContext:
//!         readOnlyRootFilesystem: true
//! ```
//!
//! ## Edge cases
//! - Findings are judged at the level that applies to the object's namespace. An ignore
//!   written for `restricted` is unused while the namespace is at `baseline`; keep it only if
//!   the move to `restricted` is planned, and say so in the reason.
//! - This rule is decided after all other rules have run, by kubenudge's rollout policy; it is
//!   listed here so that it has a guidance page and can be excepted like any other rule.
//!
//! ## Fix safety
//! Removing the annotation is safe: it silences nothing today, so nothing else changes.
//!
//! ## What if you cannot comply
//! Remove the annotation. If you keep it on purpose (a level change is coming), except this
//! finding in `.github/kubenudge.yml` with an expiry date.

use crate::finding::Violation;
use crate::rules::{Rule, RuleContext};

pub(crate) static RULE: UnusedIgnore = UnusedIgnore;

pub struct UnusedIgnore;

/// The id the rollout policy reports unused ignores under.
pub const ID: &str = "kubenudge/unused-ignore";

impl Rule for UnusedIgnore {
    fn id(&self) -> &'static str {
        ID
    }

    fn summary(&self) -> &'static str {
        "annotations `ignore.kubenudge.io/<rule-name>` that silence no finding"
    }

    /// Nothing per object: whether an ignore is used is only known once every other rule has
    /// run, so `crate::rollout` reports these findings.
    fn check(&self, _cx: &RuleContext<'_>) -> Vec<Violation> {
        Vec::new()
    }
}
