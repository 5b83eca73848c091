
use std::collections::BTreeSet;

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase, join_quote, push_unique};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::CapabilitiesBaseline,
    summary: "containers may add only the default container capabilities",
    fix: FixAvailability::Always,
    evaluate,
};

/// The capabilities a container runtime grants by default; adding them back is allowed.
/// Exact and case-sensitive, as in PSA: `CAP_CHOWN` or `chown` are not these.
pub(crate) const ALLOWED: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut names = Vec::new();
    let mut caps = BTreeSet::new();
    let mut actions = Vec::new();
    let mut first = None;
    for c in &pod.containers {
        let Some(add) = c
            .security_context()
            .and_then(|s| s.capabilities.as_ref())
            .and_then(|caps| caps.add.as_ref())
        else {
            continue;
        };
        let add_path = c.security_context_path().key("capabilities").key("add");
        let mut bad = false;
        for (j, cap) in add.iter().enumerate() {
            if !ALLOWED.contains(&cap.as_str()) {
                bad = true;
                first.get_or_insert_with(|| add_path.clone().index(j));
                caps.insert(cap.as_str());
                push_unique(
                    &mut actions,
                    FixAction::RemoveFromList {
                        path: add_path.clone(),
                        item: cap.clone(),
                    },
                );
            }
        }
        if bad {
            names.push(c.name());
        }
    }
    let first = first?;
    let caps: Vec<&str> = caps.into_iter().collect();
    Some(
        Forbidden::new(
            "non-default capabilities",
            format!(
                "{} must not include {} in securityContext.capabilities.add",
                containers_phrase(&names),
                join_quote(&caps)
            ),
            first,
        )
        .with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: format!("Stop adding {} to {}", join_quote(&caps), containers_phrase(&names)),
            caveat: "The program may need the capability (NET_ADMIN for a network agent, \
                     SYS_PTRACE for a debugger); check it still works without it."
                .into(),
            actions,
        })),
    )
}
