
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
