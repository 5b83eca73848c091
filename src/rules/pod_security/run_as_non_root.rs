//! ## What it does
//! Requires containers to run as non-root: `spec.securityContext.runAsNonRoot: true` (and no
//! container setting it to `false`), or every container setting `runAsNonRoot: true`. An explicit
//! `false` anywhere fails. Pod Security level: **restricted**, every version. From v1.35 a pod with
//! `hostUsers: false` passes (root in its user namespace is not root on the node). PSA reports it as
//! `runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)`.
//!
//! ## Why it matters
//! Root in a container is root on the node's kernel: every kernel or runtime escape becomes a
//! node compromise. With `runAsNonRoot: true` the kubelet refuses to start a container whose
//! image would run as UID 0.
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
//!     runAsNonRoot: true
//!     runAsUser: 10001        # needed if the image has no numeric non-root USER
//!   containers:
//!     - name: app
//!       image: registry.example.com/app:1.4
//! ```
//!
//! ## Edge cases
//! - The kubelet checks the image's USER at start: a named user (`USER app`) cannot be verified, so
//!   set a numeric `runAsUser` too.
//! - Images that bind port 80 or write to root-owned paths fail as non-root: use their
//!   unprivileged variants, a higher port, or an `emptyDir` for writable paths.
//! - Init containers that `chown` volumes: use `fsGroup` instead.
//! - Pods with `hostUsers: false` pass from v1.35.
//!
//! ## Fix safety
//! Needs review: the fix sets `runAsNonRoot: true` at the pod level (and flips explicit `false`
//! values). An image that runs as root will then not start.
//!
//! ## What if you cannot comply
//! Rebuild the image with a non-root user, run the pod in a user namespace (`hostUsers: false`,
//! v1.35+), or ask for an exception through the process linked in the review.

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase, setters_phrase};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::RunAsNonRoot,
    summary: "pods must set runAsNonRoot: true",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let pod_path = pod.security_context_path().key("runAsNonRoot");
    let pod_value = pod.security_context().and_then(|s| s.run_as_non_root);
    let mut explicit = Vec::new();
    let mut explicit_paths = Vec::new();
    let mut implicit = Vec::new();
    for c in &pod.containers {
        match c.security_context().and_then(|s| s.run_as_non_root) {
            Some(false) => {
                explicit.push(c.name());
                explicit_paths.push(c.security_context_path().key("runAsNonRoot"));
            }
            Some(true) => {}
            None if pod_value != Some(true) => implicit.push(c.name()),
            None => {}
        }
    }
    let pod_bad = pod_value == Some(false);
    let mut actions = Vec::new();
    if pod_bad || !implicit.is_empty() {
        actions.push(FixAction::Set {
            path: pod_path.clone(),
            value: "true".into(),
        });
    }
    actions.extend(explicit_paths.iter().map(|path| FixAction::Set {
        path: path.clone(),
        value: "true".into(),
    }));
    let plan = FixPlan {
        safety: FixSafety::Review,
        title: if pod_bad || !implicit.is_empty() {
            "Set `runAsNonRoot: true` in the pod's securityContext".into()
        } else {
            format!("Set `runAsNonRoot: true` on {}", containers_phrase(&explicit))
        },
        caveat: "The kubelet then refuses to start a container whose image runs as root \
                 (USER 0 or no USER); give the image a non-root USER or set runAsUser."
            .into(),
        actions,
    };
    if pod_bad || !explicit.is_empty() {
        let path = if pod_bad {
            pod_path
        } else {
            explicit_paths[0].clone()
        };
        return Some(
            Forbidden::new(
                "runAsNonRoot != true",
                format!(
                    "{} must not set securityContext.runAsNonRoot=false",
                    setters_phrase(pod_bad, &explicit)
                ),
                path,
            )
            .with_fix(Some(plan)),
        );
    }
    if implicit.is_empty() {
        return None;
    }
    Some(
        Forbidden::new(
            "runAsNonRoot != true",
            format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                containers_phrase(&implicit)
            ),
            pod_path,
        )
        .with_fix(Some(plan)),
    )
}
