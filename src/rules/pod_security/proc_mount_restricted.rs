//! ## What it does
//! At the **restricted** level from v1.35, flags containers that set `securityContext.procMount` to
//! anything but `Default`, whether or not the pod uses a user namespace (`hostUsers: false`). It
//! replaces the baseline `proc-mount` check at restricted. PSA reports it as
//! `procMount (container "app" must not set securityContext.procMount to "Unmasked")`.
//!
//! ## Why it matters
//! Restricted pods should need nothing special from the kernel. Even in a user namespace an
//! unmasked /proc exposes kernel interfaces (`/proc/sys`, `/proc/kcore` paths) that ordinary
//! applications never need, and kernel bugs in them can cross the namespace boundary.
//!
//! ## What to change
//! Before:
//! ```yaml
//! spec:
//!   hostUsers: false
//!   containers:
//!     - name: builder
//!       securityContext:
//!         procMount: Unmasked
//! ```
//! After:
//! ```yaml
//! spec:
//!   hostUsers: false
//!   containers:
//!     - name: builder
//!       securityContext:
//!         procMount: Default
//! ```
//!
//! ## Edge cases
//! - Before v1.35 the baseline `proc-mount` check applies at restricted instead, with no
//!   user-namespace relaxation either.
//! - Nested container runtimes need `Unmasked`: run them at baseline in their own namespace.
//!
//! ## Fix safety
//! Needs review: the fix sets `procMount: Default`; nested runtimes fail to start their own
//! containers.
//!
//! ## What if you cannot comply
//! Run build infrastructure in a namespace at baseline (where `hostUsers: false` allows an unmasked
//! /proc from v1.35), or ask for an exception through the process linked in the review.

use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::ProcMountRestricted,
    summary: "containers must use the default (masked) /proc mount, even in a user namespace",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    super::proc_mount_check(pod)
}
