//! ## What it does
//! Flags `spec.securityContext.sysctls` entries outside the safe, namespaced set. Allowed at every
//! version: `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`, `net.ipv4.tcp_syncookies`,
//! `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start`; from v1.27
//! `net.ipv4.ip_local_reserved_ports`; from v1.29 `net.ipv4.tcp_keepalive_time`,
//! `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`, `net.ipv4.tcp_keepalive_probes`;
//! from v1.32 `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem`; from v1.37
//! `net.ipv4.tcp_slow_start_after_idle`, `net.ipv4.tcp_notsent_lowat`. Names match exactly (a
//! `/` separator is not converted). Pod Security level: **baseline**. PSA reports it as
//! `forbidden sysctls (net.core.somaxconn, kernel.msgmax)`.
//!
//! ## Why it matters
//! Most sysctls are not namespaced: setting them from a pod changes the kernel for every pod on
//! the node, and some (memory, IPC limits) let one tenant starve the others. The allowed ones are
//! isolated per pod.
//!
//! ## What to change
//! Before:
//! ```yaml
//! securityContext:
//!   sysctls:
//!     - name: net.core.somaxconn
//!       value: "1024"
//!     - name: net.ipv4.ip_local_port_range
//!       value: "1024 65000"
//! ```
//! After:
//! ```yaml
//! securityContext:
//!   sysctls:
//!     - name: net.ipv4.ip_local_port_range
//!       value: "1024 65000"
//! ```
//!
//! ## Edge cases
//! - Newer allowed sysctls fail at older pinned versions (e.g. `net.ipv4.tcp_rmem` before v1.32).
//! - `net.core.somaxconn` is namespaced but not on the safe list; kubelets must also allow it with
//!   `--allowed-unsafe-sysctls`, so a pod using it only runs on prepared nodes anyway.
//! - Databases and high-traffic proxies often want kernel tuning: do it on a dedicated node pool.
//!
//! ## Fix safety
//! Needs review: the fix removes the forbidden entries; the kernel keeps its defaults for them.
//!
//! ## What if you cannot comply
//! Tune the nodes (a node pool with the settings applied by the node image or a DaemonSet in a
//! system namespace) and schedule the workload there. Otherwise ask for an exception through the
//! process linked in the review.

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::Sysctls,
    summary: "pods may set only the namespaced, safe sysctls",
    fix: FixAvailability::Always,
    evaluate,
};

/// The safe sysctls, with the version each joined the list. Names match exactly: PSA does not
/// turn `/` into `.`.
const ALLOWED: [(&str, u32); 14] = [
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
    ("net.ipv4.tcp_notsent_lowat", 37),
];

pub(crate) fn allowed(name: &str, minor: u32) -> bool {
    ALLOWED
        .iter()
        .any(|(n, since)| *n == name && minor >= *since)
}

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let sysctls = pod
        .security_context()
        .and_then(|s| s.sysctls.as_deref())
        .unwrap_or_default();
    let base = pod.security_context_path().key("sysctls");
    let bad: Vec<(usize, &str)> = sysctls
        .iter()
        .enumerate()
        .filter(|(_, s)| !allowed(&s.name, pod.minor))
        .map(|(i, s)| (i, s.name.as_str()))
        .collect();
    let (first, _) = bad.first()?;
    let names: Vec<&str> = bad.iter().map(|(_, n)| *n).collect();
    // Items are removed from the last to the first so earlier indexes stay valid whichever
    // way the edits are applied.
    let actions = bad
        .iter()
        .rev()
        .map(|(i, _)| FixAction::Remove {
            path: base.clone().index(*i),
        })
        .collect();
    Some(
        Forbidden::new(
            "forbidden sysctls",
            names.join(", "),
            base.clone().index(*first).key("name"),
        )
        .with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: format!("Remove the sysctl{} {}", if names.len() == 1 { "" } else { "s" }, names.join(", ")),
            caveat: "The kernel keeps its default for these settings; tune them on the nodes \
                     (or in a dedicated node pool) if the workload depends on them."
                .into(),
            actions,
        })),
    )
}
