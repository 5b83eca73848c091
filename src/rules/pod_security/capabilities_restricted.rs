//! ## What it does
//! Flags containers that do not drop all Linux capabilities (`securityContext.capabilities.drop`
//! must contain `ALL`, upper case) or that add any capability other than `NET_BIND_SERVICE`. Pod
//! Security level: **restricted**, from v1.22 (it replaces `capabilities-baseline` there); Windows
//! pods are exempt from v1.25. PSA reports it as
//! `unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"])`.
//!
//! ## Why it matters
//! Even a non-root container starts with a default set of capabilities (`CHOWN`, `DAC_OVERRIDE`,
//! `NET_RAW`, `SETUID`, ...). An attacker uses them to read files they should not, spoof packets or
//! change users. Almost no application needs any of them.
//!
//! ## What to change
//! Before:
//! ```yaml
//! securityContext:
//!   capabilities:
//!     add: [NET_ADMIN]
//! ```
//! After:
//! ```yaml
//! securityContext:
//!   capabilities:
//!     drop: [ALL]
//!     add: [NET_BIND_SERVICE]   # only to bind ports below 1024 as non-root
//! ```
//!
//! ## Edge cases
//! - `drop: [all]` (lower case) does not count: write `ALL`.
//! - Images that `chown` files or switch users at start (some nginx, PostgreSQL and Redis images)
//!   need `CHOWN`, `SETUID`, `SETGID`: use their non-root variants (`nginxinc/nginx-unprivileged`).
//! - Service-mesh init containers add `NET_ADMIN`/`NET_RAW`: use the mesh CNI plugin.
//! - Windows pods have no Linux capabilities; from v1.25 PSA skips the check for them.
//!
//! ## Fix safety
//! Needs review: the fix adds `ALL` to `drop` and removes forbidden entries from `add`. Run the
//! program once with it.
//!
//! ## What if you cannot comply
//! Run the workload at the baseline level (which allows the default capabilities), or ask for an
//! exception through the process linked in the review, naming each capability needed.

use std::collections::BTreeSet;

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase, join_quote, push_unique};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::CapabilitiesRestricted,
    summary: "containers must drop ALL capabilities and may add back only NET_BIND_SERVICE",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut missing_drop = Vec::new();
    let mut adding = Vec::new();
    let mut forbidden = BTreeSet::new();
    let mut actions = Vec::new();
    let mut paths = Vec::new();
    for c in &pod.containers {
        let caps_path = c.security_context_path().key("capabilities");
        let Some(caps) = c.security_context().and_then(|s| s.capabilities.as_ref()) else {
            // PSA lists a container without capabilities under `drop` only.
            missing_drop.push(c.name());
            paths.push(caps_path.clone().key("drop"));
            actions.push(FixAction::AddToList {
                path: caps_path.key("drop"),
                item: "ALL".into(),
            });
            continue;
        };
        if !caps.drop.iter().flatten().any(|d| d == "ALL") {
            missing_drop.push(c.name());
            paths.push(caps_path.clone().key("drop"));
            actions.push(FixAction::AddToList {
                path: caps_path.clone().key("drop"),
                item: "ALL".into(),
            });
        }
        let mut bad = false;
        for (j, a) in caps.add.iter().flatten().enumerate() {
            if a != "NET_BIND_SERVICE" {
                bad = true;
                forbidden.insert(a.as_str());
                paths.push(caps_path.clone().key("add").index(j));
                push_unique(
                    &mut actions,
                    FixAction::RemoveFromList {
                        path: caps_path.clone().key("add"),
                        item: a.clone(),
                    },
                );
            }
        }
        if bad {
            adding.push(c.name());
        }
    }
    let first = paths.first()?.clone();
    let mut details = Vec::new();
    if !missing_drop.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop)
        ));
    }
    let forbidden: Vec<&str> = forbidden.into_iter().collect();
    if !adding.is_empty() {
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding),
            join_quote(&forbidden)
        ));
    }
    let mut title = Vec::new();
    if !missing_drop.is_empty() {
        title.push(format!("Drop `ALL` capabilities in {}", containers_phrase(&missing_drop)));
    }
    if !adding.is_empty() {
        title.push(format!("stop adding {}", join_quote(&forbidden)));
    }
    let mut title = title.join(" and ");
    if let Some(c) = title.get(..1) {
        let upper = c.to_uppercase();
        title.replace_range(..1, &upper);
    }
    Some(
        Forbidden::new("unrestricted capabilities", details.join("; "), first).with_fix(Some(
            FixPlan {
                safety: FixSafety::Review,
                title,
                caveat: "Most applications need no capabilities at all. A program that binds a \
                         port below 1024 as non-root needs NET_BIND_SERVICE added back (allowed); \
                         one that changes file ownership or switches user at start (some \
                         nginx and database images) fails without CHOWN/SETUID."
                    .into(),
                actions,
            },
        )),
    )
}
