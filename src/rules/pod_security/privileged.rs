//! ## What it does
//! Flags containers (init, regular and ephemeral) that set `securityContext.privileged: true`.
//! Pod Security level: **baseline** (and therefore restricted), every version. PSA reports it as
//! `privileged (container "app" must not set securityContext.privileged=true)`.
//!
//! ## Why it matters
//! A privileged container has every Linux capability, sees all host devices and is not confined
//! by seccomp, AppArmor or SELinux. Anyone who gets a shell in it owns the node: they can mount
//! the host's disk, load kernel modules and read every other pod's secrets. It is the single most
//! dangerous field in a pod spec.
//!
//! ## What to change
//! Before:
//! ```yaml
//! containers:
//!   - name: app
//!     image: registry.example.com/app:1.4
//!     securityContext:
//!       privileged: true
//! ```
//! After:
//! ```yaml
//! containers:
//!   - name: app
//!     image: registry.example.com/app:1.4
//!     securityContext:
//!       privileged: false
//!       capabilities:
//!         add: [NET_BIND_SERVICE]   # only what the program really needs
//! ```
//!
//! ## Edge cases
//! - CNI agents (Calico, Cilium), CSI node plugins, GPU device plugins and kube-proxy genuinely
//!   need privilege. They belong in a system namespace labelled
//!   `pod-security.kubernetes.io/enforce: privileged`, not in application namespaces.
//! - Docker-in-Docker build pods: use rootless BuildKit, Kaniko or a build service instead.
//! - Service-mesh init containers (istio-init) need `NET_ADMIN` and `NET_RAW`, not `privileged`;
//!   the mesh's CNI plugin removes even that need.
//! - There is no Windows or user-namespace exemption for this check.
//!
//! ## Fix safety
//! Needs review: the fix sets `privileged: false`, and a program that needed host access stops
//! working. Test it, and add back only the capabilities it needs (those allowed at your level).
//!
//! ## What if you cannot comply
//! Run the workload in a namespace meant for node agents (enforce level `privileged`), owned by the
//! platform team. If it must live where it is, ask for an exception through the process linked
//! in the review, saying which host access it needs and why.

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::Privileged,
    summary: "containers must not run privileged",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let bad: Vec<_> = pod
        .containers
        .iter()
        .filter(|c| c.security_context().and_then(|s| s.privileged) == Some(true))
        .collect();
    let first = bad.first()?;
    let names: Vec<&str> = bad.iter().map(|c| c.name()).collect();
    let actions = bad
        .iter()
        .map(|c| FixAction::Set {
            path: c.security_context_path().key("privileged"),
            value: "false".into(),
        })
        .collect();
    Some(
        Forbidden::new(
            "privileged",
            format!(
                "{} must not set securityContext.privileged=true",
                containers_phrase(&names)
            ),
            first.security_context_path().key("privileged"),
        )
        .with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: format!("Set `privileged: false` on {}", containers_phrase(&names)),
            caveat: "A privileged container sees every host device and can do anything root on \
                     the node can; agents that manage the node (CNI, storage, monitoring) stop \
                     working without it. Grant only the capabilities the program needs instead."
                .into(),
            actions,
        })),
    )
}
