//! ## What it does
//! Flags containers that add Linux capabilities beyond the container runtime's defaults in
//! `securityContext.capabilities.add`. Allowed: AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID,
//! KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT, spelled exactly
//! so (`CAP_CHOWN` or `chown` fail). Pod Security level: **baseline**, every version; at
//! restricted it is replaced from v1.22 by `capabilities-restricted`. PSA reports it as
//! `non-default capabilities (container "app" must not include "NET_ADMIN" in securityContext.capabilities.add)`.
//!
//! ## Why it matters
//! Capabilities split root's power into pieces. `SYS_ADMIN` is almost root; `NET_ADMIN` can
//! rewrite the node's network if combined with host networking; `SYS_PTRACE` reads other
//! processes' memory; `NET_RAW` allows spoofing. Adding them widens what an attacker inside the
//! container can do.
//!
//! ## What to change
//! Before:
//! ```yaml
//! securityContext:
//!   capabilities:
//!     add: [NET_ADMIN, SYS_TIME]
//! ```
//! After:
//! ```yaml
//! securityContext:
//!   capabilities:
//!     drop: [ALL]
//!     add: [NET_BIND_SERVICE]   # only if the program binds a port below 1024
//! ```
//!
//! ## Edge cases
//! - Service-mesh init containers (istio-init, linkerd-init) add `NET_ADMIN` and `NET_RAW` to set
//!   up iptables. Use the mesh's CNI plugin so pods need no capabilities.
//! - VPN sidecars and network agents need `NET_ADMIN`: run them in a dedicated namespace.
//! - Debug containers (`kubectl debug --profile=sysadmin`) add `SYS_PTRACE`; they are ephemeral
//!   containers and are checked too.
//! - The names are case-sensitive and take no `CAP_` prefix: write `CHOWN`, not `CAP_CHOWN`.
//!
//! ## Fix safety
//! Needs review: the fix removes the forbidden capabilities from `add`. The program may have
//! needed them; run it once without them.
//!
//! ## What if you cannot comply
//! Move network agents and mesh components to a namespace for them, or ask for an exception
//! through the process linked in the review, naming each capability and the syscall or feature
//! that needs it.

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
