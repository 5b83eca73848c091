//! ## What it does
//! Compares a NetworkPolicy's rules with its `policyTypes` after the API server's defaulting
//! (no `policyTypes` means `[Ingress]`, plus `Egress` when there are egress rules) and flags:
//! - egress (or ingress) rules in a policy whose `policyTypes` leaves that direction out: the
//!   rules are ignored;
//! - `egress: []` without `policyTypes`, meant as "deny all egress": it defaults to
//!   `[Ingress]` and denies all *ingress* instead;
//! - egress rules without `policyTypes` and no `ingress`: the policy also isolates ingress, so
//!   the selected pods accept no connection at all.
//!
//! The message states the effective `policyTypes`.
//!
//! ## Why it matters
//! Each of these does the opposite of what it reads like, and the API server accepts all of
//! them silently. Network plugins even disagree on whether ignored sections are enforced
//! (cilium/cilium#48703), so the same manifest behaves differently per cluster.
//!
//! ## What to change
//! Before (meant: deny all egress):
//! ```yaml
//! spec:
//!   podSelector: {}
//!   egress: []
//! ```
//! After:
//! ```yaml
//! spec:
//!   podSelector: {}
//!   policyTypes: [Egress]
//! ```
//!
//! ## Edge cases
//! - `ingress: []` written next to egress rules says "deny all ingress" on purpose and is not
//!   reported.
//! - Unknown `policyTypes` values are `network-policy/invalid-policy-types`.
//!
//! ## Fix safety
//! Needs review: the fix adds the missing direction to `policyTypes` (or writes
//! `policyTypes: [Egress]`), which changes what the policy isolates. That is the point, but
//! traffic that flowed before may stop.
//!
//! ## What if you cannot comply
//! If the rules of an ignored direction are kept on purpose (for a later rollout), remove them
//! instead, or ignore the finding with a reason saying when they are meant to apply.
//!
//! ## References
//! - Kubernetes `SetDefaults_NetworkPolicy` (`pkg/apis/networking/v1/defaults.go`).
//! - <https://kubernetes.io/docs/reference/kubernetes-api/networking/network-policy-v1/> (policyTypes).
//! - cyclonus `CheckSourceMissingPolicyTypes`.

use crate::finding::{FixAction, FixPlan, FixSafety, Violation};
use crate::manifest::FieldPath;
use crate::rules::{FixAvailability, Rule, RuleContext};

use super::spec::{Direction, PolicyTypes, policy};

pub(crate) static RULE: PolicyTypesMismatch = PolicyTypesMismatch;

pub struct PolicyTypesMismatch;

impl Rule for PolicyTypesMismatch {
    fn id(&self) -> &'static str {
        "network-policy/policy-types-mismatch"
    }

    fn summary(&self) -> &'static str {
        "NetworkPolicy policyTypes (after defaulting) must match the rules written"
    }

    fn fix_availability(&self) -> FixAvailability {
        FixAvailability::Always
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx) else {
            return Vec::new();
        };
        let spec = policy.spec;
        let types = PolicyTypes::of(spec);
        let effective = types.describe();
        let add = |ty: &str, title: String| FixPlan {
            safety: FixSafety::Review,
            title,
            caveat: format!(
                "makes the policy isolate {}: traffic its rules do not allow stops",
                ty.to_lowercase()
            )
            .into(),
            actions: vec![FixAction::AddToList {
                path: FieldPath::parse("spec.policyTypes"),
                item: ty.to_string(),
            }],
        };
        let count = |d: Direction| match d {
            Direction::Ingress => spec.ingress.as_ref().map_or(0, Vec::len),
            Direction::Egress => spec.egress.as_ref().map_or(0, Vec::len),
        };
        let mut out = Vec::new();
        if types.explicit {
            for d in [Direction::Ingress, Direction::Egress] {
                let n = count(d);
                if n > 0 && !types.isolates(d) {
                    out.push(
                        Violation::new(
                            format!(
                                "{n} {} rule{} ignored: policyTypes is {effective} and leaves out {}; add `{}` to policyTypes or remove the rules",
                                d.field(),
                                if n == 1 { " is" } else { "s are" },
                                d.policy_type(),
                                d.policy_type(),
                            ),
                            FieldPath::parse("spec").key(d.field()),
                        )
                        .with_fix(Some(add(
                            d.policy_type(),
                            format!("Add `{}` to policyTypes", d.policy_type()),
                        ))),
                    );
                }
            }
            return out;
        }
        let ingress_written = cx.exists(&FieldPath::parse("spec.ingress"));
        let egress_written = cx.exists(&FieldPath::parse("spec.egress"));
        if egress_written && count(Direction::Egress) == 0 && count(Direction::Ingress) == 0 {
            out.push(
                Violation::new(
                    format!(
                        "`egress: []` without policyTypes does not deny egress: policyTypes defaults to {effective}, so this policy denies all ingress to {} and leaves egress open; write `policyTypes: [Egress]` to deny egress",
                        policy.describe_selected()
                    ),
                    FieldPath::parse("spec.egress"),
                )
                .with_fix(Some(add("Egress", "Write `policyTypes: [Egress]`".into()))),
            );
        } else if count(Direction::Egress) > 0 && !ingress_written {
            out.push(
                Violation::new(
                    format!(
                        "egress-only policy without policyTypes: it defaults to {effective}, so it also denies all ingress to {}; write `policyTypes: [Egress]` if only egress is meant",
                        policy.describe_selected()
                    ),
                    FieldPath::parse("spec.egress"),
                )
                .with_fix(Some(add("Egress", "Write `policyTypes: [Egress]`".into()))),
            );
        }
        out
    }
}
