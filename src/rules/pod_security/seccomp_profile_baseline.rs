//! ## What it does
//! Flags pods that turn seccomp off. From v1.19: `seccompProfile.type` on the pod or on a
//! container, when set, must be `RuntimeDefault` or `Localhost` (so `Unconfined` fails; leaving it
//! unset passes at baseline). Before v1.19: the alpha annotations
//! `seccomp.security.alpha.kubernetes.io/pod` and
//! `container.seccomp.security.alpha.kubernetes.io/<container>` must be `runtime/default`,
//! `docker/default` or `localhost/<profile>`; from v1.19 those annotations are ignored.
//! Pod Security level: **baseline**; at restricted it is replaced from v1.19 by
//! `seccomp-profile-restricted`. PSA reports it as
//! `seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")`.
//!
//! ## Why it matters
//! Seccomp filters the system calls a container may make. The runtime's default profile blocks
//! calls that containers do not need but exploits do (`unshare`, `keyctl`, kernel module loading).
//! `Unconfined` removes that filter and exposes the whole kernel attack surface.
//!
//! ## What to change
//! Before:
//! ```yaml
//! spec:
//!   securityContext:
//!     seccompProfile:
//!       type: Unconfined
//! ```
//! After:
//! ```yaml
//! spec:
//!   securityContext:
//!     seccompProfile:
//!       type: RuntimeDefault
//! ```
//!
//! ## Edge cases
//! - Old manifests that still use the seccomp annotations: they count only for policy versions
//!   before v1.19. Move to the `seccompProfile` field.
//! - A `Localhost` profile must exist on every node (`/var/lib/kubelet/seccomp/...`).
//! - Windows pods ignore seccomp, but the baseline check still applies to them.
//! - Profilers and tracers (perf, bpftrace) may need extra syscalls: use a `Localhost` profile.
//!
//! ## Fix safety
//! Needs review: the fix sets the type to `RuntimeDefault` (or the annotation to
//! `runtime/default`). Programs that make blocked syscalls fail with EPERM; most never notice.
//!
//! ## What if you cannot comply
//! Record the syscalls the program needs (e.g. with the Security Profiles Operator) and ship a
//! `Localhost` profile. If that is not possible, ask for an exception through the process linked
//! in the review.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::SeccompProfile;

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase, go_quote, join_quote, pluralize};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::SeccompProfileBaseline,
    summary: "pods must not turn seccomp off (Unconfined)",
    fix: FixAvailability::Always,
    evaluate,
};

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

pub(crate) fn allowed_type(p: &SeccompProfile) -> bool {
    matches!(p.type_.as_str(), "RuntimeDefault" | "Localhost")
}

fn allowed_annotation(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

fn fix_plan(actions: Vec<FixAction>) -> Option<FixPlan> {
    Some(FixPlan {
        safety: FixSafety::Review,
        title: "Use the container runtime's default seccomp profile".into(),
        caveat: "RuntimeDefault blocks a few dozen rarely used system calls (kernel module \
                 loading, clock setting, `unshare`); a program that makes them fails with \
                 EPERM. Most applications never notice."
            .into(),
        actions,
    })
}

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    if pod.minor < 19 {
        annotations(pod)
    } else {
        fields(pod)
    }
}

/// Before v1.19 seccomp was set through alpha annotations, and only those are checked.
fn annotations(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut forbidden = BTreeSet::new();
    let mut keys = Vec::new();
    let mut check = |key: String| {
        if let Some(v) = pod.metadata_annotations.get(&key)
            && !allowed_annotation(v)
        {
            forbidden.insert(format!("{key}={}", go_quote(v)));
            keys.push(key);
        }
    };
    check(POD_ANNOTATION.to_string());
    for c in &pod.containers {
        check(format!("{CONTAINER_ANNOTATION_PREFIX}{}", c.name()));
    }
    let first = keys.first()?;
    let entries: Vec<String> = forbidden.into_iter().collect();
    let path = pod.annotation_path(first);
    let actions = keys
        .iter()
        .map(|k| FixAction::Set {
            path: pod.annotation_path(k),
            value: "runtime/default".into(),
        })
        .collect();
    Some(
        Forbidden::new(
            "seccompProfile",
            format!(
                "forbidden {} {}",
                pluralize("annotation", "annotations", entries.len()),
                entries.join(", ")
            ),
            path,
        )
        .with_fix(fix_plan(actions)),
    )
}

/// From v1.19: `seccompProfile.type` of the pod and of each container, when set, must be
/// RuntimeDefault or Localhost.
fn fields(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut setters = Vec::new();
    let mut values = BTreeSet::new();
    let mut paths = Vec::new();
    if let Some(p) = pod
        .security_context()
        .and_then(|s| s.seccomp_profile.as_ref())
        .filter(|p| !allowed_type(p))
    {
        setters.push("pod".to_string());
        values.insert(p.type_.as_str());
        paths.push(pod.security_context_path().key("seccompProfile").key("type"));
    }
    let mut names = Vec::new();
    for c in &pod.containers {
        if let Some(p) = c
            .security_context()
            .and_then(|s| s.seccomp_profile.as_ref())
            .filter(|p| !allowed_type(p))
        {
            names.push(c.name());
            values.insert(p.type_.as_str());
            paths.push(c.security_context_path().key("seccompProfile").key("type"));
        }
    }
    if !names.is_empty() {
        setters.push(containers_phrase(&names));
    }
    let first = paths.first()?.clone();
    let values: Vec<&str> = values.into_iter().collect();
    let actions = paths
        .into_iter()
        .map(|path| FixAction::Set {
            path,
            value: "RuntimeDefault".into(),
        })
        .collect();
    Some(
        Forbidden::new(
            "seccompProfile",
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
                join_quote(&values)
            ),
            first,
        )
        .with_fix(fix_plan(actions)),
    )
}
