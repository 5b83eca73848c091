//! ## What it does
//! Flags pod- and container-level `securityContext.seLinuxOptions` that choose a custom SELinux
//! domain: `type` must be empty, `container_t`, `container_init_t`, `container_kvm_t` or (from
//! v1.31) `container_engine_t`; `user` and `role` must not be set. `level` is not checked.
//! Pod Security level: **baseline**, every version. PSA reports it as
//! `seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: type "spc_t")`.
//!
//! ## Why it matters
//! On SELinux nodes (RHEL, Fedora, OpenShift) the container type is what keeps a container away
//! from host files. `spc_t` ("super privileged container") and custom users or roles switch that
//! confinement off.
//!
//! ## What to change
//! Before:
//! ```yaml
//! securityContext:
//!   seLinuxOptions:
//!     type: spc_t
//!     user: system_u
//! ```
//! After:
//! ```yaml
//! securityContext:
//!   seLinuxOptions:
//!     level: "s0:c123,c456"   # the MCS level is allowed and often useful
//! ```
//!
//! ## Edge cases
//! - `container_engine_t` (for container engines running in a pod) is allowed only from policy
//!   version v1.31; pin an older version and it fails.
//! - `level` (MCS categories) is never checked: set it freely to separate workloads.
//! - Nodes without SELinux ignore these options, but PSA still checks them.
//! - Log collectors on SELinux nodes often use `spc_t` to read `/var/log`: keep them in a system
//!   namespace.
//!
//! ## Fix safety
//! Needs review: the fix removes the forbidden `type`, `user` and `role`; the runtime then uses
//! `container_t`. A program that relied on the custom domain to reach host files is denied.
//!
//! ## What if you cannot comply
//! Write a dedicated SELinux policy module whose type is one of the allowed ones, or move the
//! workload to a system namespace; otherwise ask for an exception through the process linked in
//! the review.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::SELinuxOptions;

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::manifest::FieldPath;
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase, join_quote, pluralize};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::SeLinuxOptions,
    summary: "pods may set only the standard container SELinux types, and no user or role",
    fix: FixAvailability::Always,
    evaluate,
};

/// The SELinux types a container may run as; `container_engine_t` joined in v1.31.
fn allowed_type(t: &str, minor: u32) -> bool {
    matches!(t, "" | "container_t" | "container_init_t" | "container_kvm_t")
        || (minor >= 31 && t == "container_engine_t")
}

#[derive(Default)]
struct Findings<'a> {
    types: BTreeSet<&'a str>,
    user: bool,
    role: bool,
    fields: Vec<FieldPath>,
}

impl<'a> Findings<'a> {
    /// Records what is wrong with `opts` (at `path`); true when anything is.
    fn visit(&mut self, opts: &'a SELinuxOptions, path: FieldPath, minor: u32) -> bool {
        let mut bad = false;
        let t = opts.type_.as_deref().unwrap_or("");
        if !allowed_type(t, minor) {
            bad = true;
            self.types.insert(t);
            self.fields.push(path.clone().key("type"));
        }
        if opts.user.as_deref().is_some_and(|u| !u.is_empty()) {
            bad = true;
            self.user = true;
            self.fields.push(path.clone().key("user"));
        }
        if opts.role.as_deref().is_some_and(|r| !r.is_empty()) {
            bad = true;
            self.role = true;
            self.fields.push(path.key("role"));
        }
        bad
    }
}

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut found = Findings::default();
    let mut setters = Vec::new();
    if let Some(opts) = pod
        .security_context()
        .and_then(|s| s.se_linux_options.as_ref())
        && found.visit(
            opts,
            pod.security_context_path().key("seLinuxOptions"),
            pod.minor,
        )
    {
        setters.push("pod".to_string());
    }
    let mut names = Vec::new();
    for c in &pod.containers {
        if let Some(opts) = c.security_context().and_then(|s| s.se_linux_options.as_ref())
            && found.visit(opts, c.security_context_path().key("seLinuxOptions"), pod.minor)
        {
            names.push(c.name());
        }
    }
    if !names.is_empty() {
        setters.push(containers_phrase(&names));
    }
    let first = found.fields.first()?.clone();
    let mut data = Vec::new();
    if !found.types.is_empty() {
        let types: Vec<&str> = found.types.iter().copied().collect();
        data.push(format!(
            "{} {}",
            pluralize("type", "types", types.len()),
            join_quote(&types)
        ));
    }
    if found.user {
        data.push("user may not be set".to_string());
    }
    if found.role {
        data.push("role may not be set".to_string());
    }
    // Removing the field lets the runtime pick its default, `container_t`, which is
    // always allowed; a user or role has no allowed value but empty.
    let actions = found
        .fields
        .iter()
        .map(|path| FixAction::Remove { path: path.clone() })
        .collect();
    Some(
        Forbidden::new(
            "seLinuxOptions",
            format!(
                "{} set forbidden securityContext.seLinuxOptions: {}",
                setters.join(" and "),
                data.join("; ")
            ),
            first,
        )
        .with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: "Remove the forbidden SELinux type, user and role".into(),
            caveat: "The container then runs as `container_t` with the runtime's user and role; \
                     a program that relied on a custom SELinux domain (e.g. `spc_t`) to reach \
                     host files is denied."
                .into(),
            actions,
        })),
    )
}
