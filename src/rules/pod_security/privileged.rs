
use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::Privileged,
    summary: "containers must not run privileged",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let bad: Vec<_> = pod
        .containers
        .iter()
        .filter(|c| c.security_context().and_then(|s| s.privileged) == Some(true))
        .collect();
    let first = bad.first()?;
    let names: Vec<&str> = bad.iter().map(|c| c.name()).collect();
    let actions = bad
        .iter()
        .map(|c| FixAction::Set {
            path: c.security_context_path().key("privileged"),
            value: "false".into(),
        })
        .collect();
    Some(
        Forbidden::new(
            "privileged",
            format!(
                "{} must not set securityContext.privileged=true",
                containers_phrase(&names)
            ),
            first.security_context_path().key("privileged"),
        )
        .with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: format!("Set `privileged: false` on {}", containers_phrase(&names)),
            caveat: "A privileged container sees every host device and can do anything root on \
                     the node can; agents that manage the node (CNI, storage, monitoring) stop \
                     working without it. Grant only the capabilities the program needs instead."
                .into(),
            actions,
        })),
    )
}
