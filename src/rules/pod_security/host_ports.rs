//! ## What it does
//! Flags containers whose ports set `hostPort` (any value but 0). For a bare Pod with
//! `hostNetwork: true` the API server turns every container port into a host port, and the rule
//! reports those too. Pod Security level: **baseline**, every version. PSA reports it as
//! `hostPort (container "app" uses hostPorts 443, 80)` (ports sorted as text).
//!
//! ## Why it matters
//! A host port opens the port on the node's IP, bypassing Services and NetworkPolicies, and
//! limits the workload to one pod per node per port (a rollout can get stuck). It also lets the
//! pod shadow node services.
//!
//! ## What to change
//! Before:
//! ```yaml
//! ports:
//!   - containerPort: 8080
//!     hostPort: 8080
//! ```
//! After:
//! ```yaml
//! ports:
//!   - containerPort: 8080
//! ---
//! apiVersion: v1
//! kind: Service
//! metadata:
//!   name: app
//! spec:
//!   type: NodePort          # or LoadBalancer
//!   selector: {app: app}
//!   ports:
//!     - port: 8080
//!       targetPort: 8080
//! ```
//!
//! ## Edge cases
//! - Ingress controllers run as DaemonSets with host ports 80/443 in some clusters: they belong in
//!   a system namespace with a privileged or baseline-exempt label.
//! - `hostPort: 0` is the same as no host port and passes.
//! - Ports are checked on init, regular and ephemeral containers.
//!
//! ## Fix safety
//! Needs review: the fix removes `hostPort`. Clients that connect to the node's IP on that port stop
//! reaching the pod; give them a Service instead. With `hostNetwork: true` on a Pod there is no
//! fix here: remove `hostNetwork` (see `host-namespaces`).
//!
//! ## What if you cannot comply
//! Run the workload in a namespace meant for edge components, or ask for an exception through the
//! process linked in the review with the ports and why a Service does not work.

use std::collections::BTreeSet;

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;
use crate::rules::pod::AnyContainer;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase, pluralize};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::HostPorts,
    summary: "containers must not open ports on the node (hostPort)",
    fix: FixAvailability::Sometimes,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    // For a Pod (not a template) with hostNetwork, the API server sets each init and regular
    // container port's missing hostPort to its containerPort (SetDefaults_Pod) before PSA
    // sees it, so those ports are host ports too.
    let defaulted = pod.is_pod && pod.spec.host_network == Some(true);
    let mut names = Vec::new();
    // PSA keeps the ports as a set of strings, so "10" sorts before "9".
    let mut ports = BTreeSet::new();
    let mut explicit = Vec::new();
    let mut first = None;
    for c in &pod.containers {
        let mut bad = false;
        let defaults_here = defaulted && matches!(c.container, AnyContainer::Container(_));
        for (j, p) in c.ports().iter().enumerate() {
            let port_path = c.path.clone().key("ports").index(j);
            let host_port = match p.host_port.filter(|hp| *hp != 0) {
                Some(hp) => {
                    explicit.push(port_path.clone().key("hostPort"));
                    first.get_or_insert(port_path.key("hostPort"));
                    hp
                }
                None if defaults_here && p.container_port != 0 => {
                    first.get_or_insert(port_path.key("containerPort"));
                    p.container_port
                }
                None => continue,
            };
            bad = true;
            ports.insert(host_port.to_string());
        }
        if bad {
            names.push(c.name());
        }
    }
    let first = first?;
    let ports: Vec<String> = ports.into_iter().collect();
    let detail = format!(
        "{} {} {} {}",
        containers_phrase(&names),
        pluralize("uses", "use", names.len()),
        pluralize("hostPort", "hostPorts", ports.len()),
        ports.join(", ")
    );
    // With hostNetwork the ports are on the node whatever the manifest says; the fix for
    // that is the host-namespaces one.
    let fix = (!defaulted && !explicit.is_empty()).then(|| FixPlan {
        safety: FixSafety::Review,
        title: format!("Remove `hostPort` from {}", containers_phrase(&names)),
        caveat: "Clients that connect to the node's IP on that port stop reaching the pod; \
                 expose it through a Service (NodePort or LoadBalancer) instead."
            .into(),
        actions: explicit
            .into_iter()
            .map(|path| FixAction::Remove { path })
            .collect(),
    });
    Some(Forbidden::new("hostPort", detail, first).with_fix(fix))
}
