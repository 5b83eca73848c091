//! ## What it does
//! Flags containers that set `securityContext.procMount` to anything but `Default` (in practice
//! `Unmasked`). Pod Security level: **baseline**. From v1.35 a pod with `hostUsers: false` (its own
//! user namespace) may use any procMount at baseline; at restricted, `proc-mount-restricted`
//! replaces this check from v1.35 and does not relax it. PSA reports it as
//! `procMount (container "app" must not set securityContext.procMount to "Unmasked")`.
//!
//! ## Why it matters
//! The default /proc mount hides and makes read-only the paths that expose the host kernel
//! (`/proc/sys`, `/proc/sysrq-trigger`, `/proc/kcore`). An unmasked /proc lets a container change
//! kernel settings or read kernel memory.
//!
//! ## What to change
//! Before:
//! ```yaml
//! securityContext:
//!   procMount: Unmasked
//! ```
//! After:
//! ```yaml
//! securityContext:
//!   procMount: Default     # or remove the field
//! ```
//!
//! ## Edge cases
//! - Nested container runtimes (BuildKit rootless, Sysbox, Kubernetes-in-Kubernetes) need
//!   `Unmasked`. From v1.35, run them with `hostUsers: false`: baseline then allows it, because
//!   the unmasked /proc belongs to the pod's user namespace.
//! - The field requires the `ProcMountType` feature on older clusters; without it the API server
//!   drops it silently, but PSA still judges what you wrote.
//!
//! ## Fix safety
//! Needs review: the fix sets `procMount: Default`; nested runtimes fail to start their own
//! containers.
//!
//! ## What if you cannot comply
//! Use a user namespace (`hostUsers: false`, policy v1.35+) at baseline, or a dedicated namespace
//! for build infrastructure; otherwise ask for an exception through the process linked in the
//! review.

use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::ProcMount,
    summary: "containers must use the default (masked) /proc mount",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    super::proc_mount_check(pod)
}
