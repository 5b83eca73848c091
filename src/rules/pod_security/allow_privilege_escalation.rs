//! ## What it does
//! Flags containers that do not set `securityContext.allowPrivilegeEscalation: false` explicitly
//! (unset counts as allowed). Pod Security level: **restricted**, from v1.8. Windows pods
//! (`spec.os.name: windows`) are exempt from v1.25. PSA reports it as
//! `allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)`.
//!
//! ## Why it matters
//! With `allowPrivilegeEscalation: false` the kernel's `no_new_privs` flag is set: setuid binaries
//! (`sudo`, `su`, `ping` on old images) and file capabilities cannot raise a process's privileges.
//! It stops a whole class of "compromised app becomes root" escalations and costs nothing for
//! programs that do not use setuid tools.
//!
//! ## What to change
//! Before:
//! ```yaml
//! containers:
//!   - name: app
//!     image: registry.example.com/app:1.4
//! ```
//! After:
//! ```yaml
//! containers:
//!   - name: app
//!     image: registry.example.com/app:1.4
//!     securityContext:
//!       allowPrivilegeEscalation: false
//! ```
//!
//! ## Edge cases
//! - Init containers and ephemeral (debug) containers need it too.
//! - The API server rejects `allowPrivilegeEscalation: false` together with `privileged: true` or an
//!   added `SYS_ADMIN` capability: remove those first.
//! - Images whose entrypoint uses `sudo` or `gosu` to switch user: run as that user directly with
//!   `runAsUser`.
//! - Windows pods ignore the field; from v1.25 PSA does not require it for them.
//!
//! ## Fix safety
//! Safe when the container is neither privileged nor adds SYS_ADMIN: the fix sets the field to
//! `false` on each container. Otherwise it needs review (see the caveat in the finding).
//!
//! ## What if you cannot comply
//! If a tool in the image really needs setuid, use a namespace at the baseline level, or ask for an
//! exception through the process linked in the review.

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
        (FixSafety::Safe, std::borrow::Cow::Borrowed(""))
    } else {
        (
            FixSafety::Review,
            format!(
                "{} also {} privileged or {} SYS_ADMIN; the API server rejects \
                 allowPrivilegeEscalation=false with those, so remove them as well.",
                containers_phrase(&needs_review),
                if needs_review.len() == 1 { "runs" } else { "run" },
                if needs_review.len() == 1 { "adds" } else { "add" },
            )
            .into(),
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
