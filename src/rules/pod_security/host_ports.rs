
use std::collections::BTreeSet;

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase, pluralize};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::HostPorts,
    summary: "containers must not open ports on the node (hostPort)",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut names = Vec::new();
    // PSA keeps the ports as a set of strings, so "10" sorts before "9".
    let mut ports = BTreeSet::new();
    let mut fields = Vec::new();
    for c in &pod.containers {
        let mut bad = false;
        for (j, p) in c.ports().iter().enumerate() {
            if let Some(hp) = p.host_port.filter(|hp| *hp != 0) {
                bad = true;
                ports.insert(hp.to_string());
                fields.push(c.path.clone().key("ports").index(j).key("hostPort"));
            }
        }
        if bad {
            names.push(c.name());
        }
    }
    let first = fields.first()?.clone();
    let ports: Vec<String> = ports.into_iter().collect();
    let detail = format!(
        "{} {} {} {}",
        containers_phrase(&names),
        pluralize("uses", "use", names.len()),
        pluralize("hostPort", "hostPorts", ports.len()),
        ports.join(", ")
    );
    let actions = fields
        .into_iter()
        .map(|path| FixAction::Remove { path })
        .collect();
    Some(
        Forbidden::new("hostPort", detail, first).with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: format!("Remove `hostPort` from {}", containers_phrase(&names)),
            caveat: "Clients that connect to the node's IP on that port stop reaching the pod; \
                     expose it through a Service (NodePort or LoadBalancer) instead."
                .into(),
            actions,
        })),
    )
}
