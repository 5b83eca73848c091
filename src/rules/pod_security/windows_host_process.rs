//! ## What it does
//! Flags Windows pods or containers that set `securityContext.windowsOptions.hostProcess: true`.
//! Pod Security level: **baseline**, every version. PSA reports it as
//! `hostProcess (pod and container "agent" must not set securityContext.windowsOptions.hostProcess=true)`.
//!
//! ## Why it matters
//! A HostProcess container runs directly on the Windows node, as a node user, with access to the
//! host's file system, network and processes: the Windows counterpart of a privileged container.
//!
//! ## What to change
//! Before:
//! ```yaml
//! spec:
//!   hostNetwork: true
//!   securityContext:
//!     windowsOptions:
//!       hostProcess: true
//!       runAsUserName: "NT AUTHORITY\\SYSTEM"
//! ```
//! After:
//! ```yaml
//! spec:
//!   securityContext:
//!     windowsOptions:
//!       runAsUserName: "ContainerUser"
//! ```
//!
//! ## Edge cases
//! - HostProcess pods must also set `hostNetwork: true`, which `host-namespaces` flags.
//! - Windows CNI, CSI proxies and log shippers are built as HostProcess containers: keep them in a
//!   privileged system namespace.
//! - `windowsOptions` other than `hostProcess` (gMSA, `runAsUserName`) are not checked.
//!
//! ## Fix safety
//! Needs review: the fix removes `hostProcess`; a node agent will not work as an ordinary
//! container. Remove `hostNetwork` as well.
//!
//! ## What if you cannot comply
//! Run node agents in a namespace labelled `pod-security.kubernetes.io/enforce: privileged`, or ask
//! for an exception through the process linked in the review.

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, setters_phrase};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::WindowsHostProcess,
    summary: "Windows pods must not run as HostProcess containers",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut paths = Vec::new();
    let pod_bad = pod
        .security_context()
        .and_then(|s| s.windows_options.as_ref())
        .and_then(|w| w.host_process)
        == Some(true);
    if pod_bad {
        paths.push(
            pod.security_context_path()
                .key("windowsOptions")
                .key("hostProcess"),
        );
    }
    let mut names = Vec::new();
    for c in &pod.containers {
        let bad = c
            .security_context()
            .and_then(|s| s.windows_options.as_ref())
            .and_then(|w| w.host_process)
            == Some(true);
        if bad {
            names.push(c.name());
            paths.push(c.security_context_path().key("windowsOptions").key("hostProcess"));
        }
    }
    let first = paths.first()?.clone();
    let actions = paths
        .into_iter()
        .map(|path| FixAction::Remove { path })
        .collect();
    Some(
        Forbidden::new(
            "hostProcess",
            format!(
                "{} must not set securityContext.windowsOptions.hostProcess=true",
                setters_phrase(pod_bad, &names)
            ),
            first,
        )
        .with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: "Remove `hostProcess: true`".into(),
            caveat: "A HostProcess container runs directly on the Windows node with its \
                     privileges; node agents built for that (CNI, CSI, log shippers) will not \
                     work as ordinary containers. Also remove `hostNetwork: true`, which \
                     HostProcess pods require."
                .into(),
            actions,
        })),
    )
}
