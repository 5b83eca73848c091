//! ## What it does
//! Flags a pod or container that sets `runAsUser: 0` (a pod-level 0 fails even when containers
//! override it). Pod Security level: **restricted**, from v1.23. From v1.35 a pod with
//! `hostUsers: false` passes. PSA reports it as
//! `runAsUser=0 (pod must not set runAsUser=0)`.
//!
//! ## Why it matters
//! `runAsUser: 0` forces root whatever the image says, defeating `runAsNonRoot` and every
//! protection that relies on an unprivileged UID.
//!
//! ## What to change
//! Before:
//! ```yaml
//! securityContext:
//!   runAsUser: 0
//! ```
//! After:
//! ```yaml
//! securityContext:
//!   runAsUser: 10001
//!   runAsNonRoot: true
//! ```
//!
//! ## Edge cases
//! - Leaving `runAsUser` unset is allowed here; `run-as-non-root` then decides.
//! - Pods with `hostUsers: false` map UID 0 to an unprivileged host UID and pass from v1.35.
//! - Before v1.23 this check does not run.
//!
//! ## Fix safety
//! Needs review: the fix removes `runAsUser: 0`, so the image's USER applies. If that is root too,
//! set a non-zero UID that owns the files the program writes.
//!
//! ## What if you cannot comply
//! Run the pod in a user namespace (`hostUsers: false`, v1.35+) or ask for an exception through the
//! process linked in the review.

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, setters_phrase};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::RunAsUser,
    summary: "pods and containers must not set runAsUser: 0",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut paths = Vec::new();
    let pod_bad = pod.security_context().and_then(|s| s.run_as_user) == Some(0);
    if pod_bad {
        paths.push(pod.security_context_path().key("runAsUser"));
    }
    let mut names = Vec::new();
    for c in &pod.containers {
        if c.security_context().and_then(|s| s.run_as_user) == Some(0) {
            names.push(c.name());
            paths.push(c.security_context_path().key("runAsUser"));
        }
    }
    let first = paths.first()?.clone();
    // Removing the field lets the image's USER apply; together with runAsNonRoot the kubelet
    // then refuses an image that still runs as root, instead of guessing a UID here.
    let actions = paths
        .into_iter()
        .map(|path| FixAction::Remove { path })
        .collect();
    Some(
        Forbidden::new(
            "runAsUser=0",
            format!(
                "{} must not set runAsUser=0",
                setters_phrase(pod_bad, &names)
            ),
            first,
        )
        .with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: "Remove `runAsUser: 0`".into(),
            caveat: "The container then runs as the image's USER. If that is root too, build \
                     the image with a non-root USER or set runAsUser to a non-zero UID that \
                     owns the files the program writes."
                .into(),
            actions,
        })),
    )
}
