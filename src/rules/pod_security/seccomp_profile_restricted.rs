//! ## What it does
//! Requires a seccomp profile: every container must have `seccompProfile.type` `RuntimeDefault` or
//! `Localhost`, either its own or inherited from `spec.securityContext.seccompProfile`; an explicit
//! other value (`Unconfined`) on the pod or any container fails. Pod Security level:
//! **restricted**, from v1.19 (it replaces `seccomp-profile-baseline` there); Windows pods are exempt
//! from v1.25. PSA reports it as
//! `seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`.
//!
//! ## Why it matters
//! Without a profile many runtimes run containers unconfined, so the whole kernel system-call
//! surface is reachable from the container. The runtime default profile blocks the calls exploits
//! rely on and that applications do not use.
//!
//! ## What to change
//! Before:
//! ```yaml
//! spec:
//!   containers:
//!     - name: app
//!       image: registry.example.com/app:1.4
//! ```
//! After:
//! ```yaml
//! spec:
//!   securityContext:
//!     seccompProfile:
//!       type: RuntimeDefault
//!   containers:
//!     - name: app
//!       image: registry.example.com/app:1.4
//! ```
//!
//! ## Edge cases
//! - Setting it once at the pod level covers every container, including init and ephemeral ones.
//! - A container-level `Unconfined` fails even when the pod level is `RuntimeDefault`.
//! - `Localhost` profiles must exist on every node.
//! - Windows pods ignore seccomp; from v1.25 PSA skips the check for them.
//!
//! ## Fix safety
//! Needs review: the fix sets `RuntimeDefault` at the pod level (and replaces explicit bad values).
//! Programs that make blocked syscalls fail with EPERM; most never notice.
//!
//! ## What if you cannot comply
//! Ship a `Localhost` profile recorded from the program (Security Profiles Operator), or ask for an
//! exception through the process linked in the review.

use std::collections::BTreeSet;

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::seccomp_profile_baseline::allowed_type;
use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase, join_quote};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::SeccompProfileRestricted,
    summary: "pods must set a RuntimeDefault or Localhost seccomp profile",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut setters = Vec::new();
    let mut values = BTreeSet::new();
    let mut explicit_paths = Vec::new();
    let pod_type_path = pod.security_context_path().key("seccompProfile").key("type");
    let mut pod_set = false;
    let mut pod_bad = false;
    if let Some(p) = pod.security_context().and_then(|s| s.seccomp_profile.as_ref()) {
        if allowed_type(p) {
            pod_set = true;
        } else {
            pod_bad = true;
            setters.push("pod".to_string());
            values.insert(p.type_.as_str());
            explicit_paths.push(pod_type_path.clone());
        }
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    for c in &pod.containers {
        match c.security_context().and_then(|s| s.seccomp_profile.as_ref()) {
            Some(p) if !allowed_type(p) => {
                explicit.push(c.name());
                values.insert(p.type_.as_str());
                explicit_paths.push(c.security_context_path().key("seccompProfile").key("type"));
            }
            Some(_) => {}
            None if !pod_set => implicit.push(c.name()),
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    // Fix every explicit bad value and, when some container relies on the pod, set the pod's.
    let mut actions: Vec<FixAction> = explicit_paths
        .iter()
        .map(|path| FixAction::Set {
            path: path.clone(),
            value: "RuntimeDefault".into(),
        })
        .collect();
    if !implicit.is_empty() && !pod_bad {
        actions.insert(
            0,
            FixAction::Set {
                path: pod_type_path.clone(),
                value: "RuntimeDefault".into(),
            },
        );
    }
    let plan = FixPlan {
        safety: FixSafety::Review,
        title: "Use the container runtime's default seccomp profile (RuntimeDefault)".into(),
        caveat: "RuntimeDefault blocks a few dozen rarely used system calls (kernel module \
                 loading, clock setting, `unshare`); a program that makes them fails with EPERM. \
                 Most applications never notice."
            .into(),
        actions,
    };
    if !setters.is_empty() {
        let values: Vec<&str> = values.into_iter().collect();
        return Some(
            Forbidden::new(
                "seccompProfile",
                format!(
                    "{} must not set securityContext.seccompProfile.type to {}",
                    setters.join(" and "),
                    join_quote(&values)
                ),
                explicit_paths[0].clone(),
            )
            .with_fix(Some(plan)),
        );
    }
    if implicit.is_empty() {
        return None;
    }
    Some(
        Forbidden::new(
            "seccompProfile",
            format!(
                "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                containers_phrase(&implicit)
            ),
            pod_type_path,
        )
        .with_fix(Some(plan)),
    )
}
