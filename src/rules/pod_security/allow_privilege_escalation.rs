
use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::AllowPrivilegeEscalation,
    summary: "containers must set allowPrivilegeEscalation: false",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let bad: Vec<_> = pod
        .containers
        .iter()
        .filter(|c| {
            c.security_context()
                .and_then(|s| s.allow_privilege_escalation)
                != Some(false)
        })
        .collect();
    let first = bad.first()?;
    let names: Vec<&str> = bad.iter().map(|c| c.name()).collect();
    // The API server rejects allowPrivilegeEscalation=false next to privileged=true or an
    // added CAP_SYS_ADMIN, so the fix is safe only for containers that have neither.
    let needs_review: Vec<&str> = bad
        .iter()
        .filter(|c| {
            c.security_context().is_some_and(|s| {
                s.privileged == Some(true)
                    || s.capabilities
                        .as_ref()
                        .and_then(|caps| caps.add.as_ref())
                        .is_some_and(|add| {
                            add.iter()
                                .any(|a| a == "SYS_ADMIN" || a == "CAP_SYS_ADMIN")
                        })
            })
        })
        .map(|c| c.name())
        .collect();
    let actions = bad
        .iter()
        .map(|c| FixAction::Set {
            path: c.security_context_path().key("allowPrivilegeEscalation"),
            value: "false".into(),
        })
        .collect();
    let (safety, caveat) = if needs_review.is_empty() {
        (FixSafety::Safe, String::new())
    } else {
        (
            FixSafety::Review,
            format!(
                "{} also {} privileged or {} SYS_ADMIN; the API server rejects \
                 allowPrivilegeEscalation=false with those, so remove them as well.",
                containers_phrase(&needs_review),
                if needs_review.len() == 1 { "runs" } else { "run" },
                if needs_review.len() == 1 { "adds" } else { "add" },
            ),
        )
    };
    Some(
        Forbidden::new(
            "allowPrivilegeEscalation != false",
            format!(
                "{} must set securityContext.allowPrivilegeEscalation=false",
                containers_phrase(&names)
            ),
            first.security_context_path().key("allowPrivilegeEscalation"),
        )
        .with_fix(Some(FixPlan {
            safety,
            title: format!(
                "Set `allowPrivilegeEscalation: false` on {}",
                containers_phrase(&names)
            ),
            caveat,
            actions,
        })),
    )
}
