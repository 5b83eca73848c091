//! ## What it does
//! Flags pods that set `hostNetwork: true`, `hostPID: true` or `hostIPC: true`.
//! Pod Security level: **baseline**, every version. PSA reports it as
//! `host namespaces (hostNetwork=true, hostPID=true)`.
//!
//! ## Why it matters
//! Sharing the node's network namespace lets the pod sniff and bind any node interface and reach
//! services that listen only on the node's localhost (the kubelet, cloud metadata proxies). The
//! host PID namespace shows, and lets the pod signal, every process on the node; the host IPC
//! namespace exposes shared memory of other workloads. Each one breaks the isolation between the
//! pod and the node.
//!
//! ## What to change
//! Before:
//! ```yaml
//! spec:
//!   hostNetwork: true
//!   containers:
//!     - name: app
//!       image: registry.example.com/app:1.4
//!       ports:
//!         - containerPort: 8080
//! ```
//! After:
//! ```yaml
//! spec:
//!   containers:
//!     - name: app
//!       image: registry.example.com/app:1.4
//!       ports:
//!         - containerPort: 8080
//! # and expose the port with a Service (type NodePort or LoadBalancer) if clients outside the
//! # cluster need it.
//! ```
//!
//! ## Edge cases
//! - CNI agents, kube-proxy, node exporters and some ingress controllers run with `hostNetwork`
//!   by design: keep them in a privileged system namespace.
//! - A Pod (not a template) with `hostNetwork: true` also gets a `hostPort` for each container
//!   port from the API server, so the `host-ports` rule flags it too.
//! - Windows HostProcess pods require `hostNetwork: true`; see `windows-host-process`.
//! - `hostPID` for debugging: use `kubectl debug node/<name>` instead of a permanent pod.
//!
//! ## Fix safety
//! Needs review: the fix removes the fields. The pod then gets its own network, process and IPC
//! namespaces, and anything that relied on the node's (binding node ports, seeing node
//! processes) stops working.
//!
//! ## What if you cannot comply
//! Node-level agents belong in a namespace with `pod-security.kubernetes.io/enforce: privileged`
//! run by the platform team. Otherwise ask for an exception through the process linked in the
//! review, naming the namespace and why host access is needed.

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::HostNamespaces,
    summary: "pods must not share the node's network, PID or IPC namespace",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let spec = pod.spec;
    let set: Vec<&str> = [
        ("hostNetwork", spec.host_network),
        ("hostPID", spec.host_pid),
        ("hostIPC", spec.host_ipc),
    ]
    .into_iter()
    .filter(|(_, v)| *v == Some(true))
    .map(|(k, _)| k)
    .collect();
    let first = set.first()?;
    let detail = set
        .iter()
        .map(|k| format!("{k}=true"))
        .collect::<Vec<_>>()
        .join(", ");
    let actions = set
        .iter()
        .map(|k| FixAction::Remove {
            path: pod.spec_path.clone().key(*k),
        })
        .collect();
    Some(
        Forbidden::new(
            "host namespaces",
            detail,
            pod.spec_path.clone().key(*first),
        )
        .with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: format!("Remove `{}: true`", set.join("`, `")),
            caveat: "The pod then gets its own network, process and IPC namespaces: it can no \
                     longer bind node ports, see node processes or reach services on the \
                     node's localhost. Node agents (CNI, kube-proxy, node exporters) need them."
                .into(),
            actions,
        })),
    )
}
