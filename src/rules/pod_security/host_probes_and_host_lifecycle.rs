//! ## What it does
//! From v1.34, flags probes (`livenessProbe`, `readinessProbe`, `startupProbe`) and lifecycle hooks
//! (`postStart`, `preStop`) whose `httpGet.host` or `tcpSocket.host` is set. Even `localhost` or
//! `127.0.0.1` fails; `exec`, `grpc` and `sleep` handlers are not affected. Pod Security level:
//! **baseline**. PSA reports it as
//! `probe or lifecycle host (container "app" uses probe or lifecycle host "10.0.0.1")`.
//!
//! ## Why it matters
//! A probe or hook `host` turns the kubelet into a proxy for the pod: the kubelet makes these
//! requests from the node, so a pod can make the node connect to cloud metadata endpoints,
//! node-local services or other tenants' pods, bypassing NetworkPolicies.
//!
//! ## What to change
//! Before:
//! ```yaml
//! readinessProbe:
//!   httpGet:
//!     host: 127.0.0.1
//!     path: /healthz
//!     port: 8080
//! ```
//! After:
//! ```yaml
//! readinessProbe:
//!   httpGet:
//!     path: /healthz
//!     port: 8080
//! ```
//!
//! ## Edge cases
//! - Without `host` the kubelet targets the pod IP, which is what almost every probe wants.
//! - A probe that checked a dependency (a database) should not: readiness must reflect the pod.
//! - To send a `Host` header (virtual hosts), use `httpGet.httpHeaders` with `name: Host`.
//! - Pinned versions before v1.34 do not run this check.
//!
//! ## Fix safety
//! Needs review: the fix removes `host`; the request goes to the pod itself.
//!
//! ## What if you cannot comply
//! Use an `exec` probe that runs the check inside the container, or ask for an exception through the
//! process linked in the review.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{HTTPGetAction, TCPSocketAction};

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::manifest::FieldPath;
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, join_quote, pluralize};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::HostProbesAndHostLifecycle,
    summary: "probes and lifecycle hooks must not target another host",
    fix: FixAvailability::Always,
    evaluate,
};

/// Records a set `host` of an httpGet or tcpSocket handler at `path`.
fn visit<'a>(
    http: Option<&'a HTTPGetAction>,
    tcp: Option<&'a TCPSocketAction>,
    path: FieldPath,
    hosts: &mut BTreeSet<&'a str>,
    paths: &mut Vec<FieldPath>,
) -> bool {
    let mut bad = false;
    if let Some(h) = http.and_then(|h| h.host.as_deref()).filter(|h| !h.is_empty()) {
        bad = true;
        hosts.insert(h);
        paths.push(path.clone().key("httpGet").key("host"));
    }
    if let Some(h) = tcp.and_then(|t| t.host.as_deref()).filter(|h| !h.is_empty()) {
        bad = true;
        hosts.insert(h);
        paths.push(path.key("tcpSocket").key("host"));
    }
    bad
}

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut names = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut paths = Vec::new();
    for c in &pod.containers {
        let mut bad = false;
        for (field, probe) in c.probes() {
            if let Some(p) = probe {
                bad |= visit(
                    p.http_get.as_ref(),
                    p.tcp_socket.as_ref(),
                    c.path.clone().key(field),
                    &mut hosts,
                    &mut paths,
                );
            }
        }
        if let Some(l) = c.lifecycle() {
            for (field, handler) in [("postStart", &l.post_start), ("preStop", &l.pre_stop)] {
                if let Some(h) = handler {
                    bad |= visit(
                        h.http_get.as_ref(),
                        h.tcp_socket.as_ref(),
                        c.path.clone().key("lifecycle").key(field),
                        &mut hosts,
                        &mut paths,
                    );
                }
            }
        }
        if bad {
            names.insert(c.name());
        }
    }
    let first = paths.first()?.clone();
    // Unlike the other checks, PSA reports both the containers and the hosts as sorted sets.
    let names: Vec<&str> = names.into_iter().collect();
    let hosts: Vec<&str> = hosts.into_iter().collect();
    let actions = paths
        .into_iter()
        .map(|path| FixAction::Remove { path })
        .collect();
    Some(
        Forbidden::new(
            "probe or lifecycle host",
            format!(
                "{} {} {} {} {}",
                pluralize("container", "containers", names.len()),
                join_quote(&names),
                pluralize("uses", "use", names.len()),
                pluralize(
                    "probe or lifecycle host",
                    "probe or lifecycle hosts",
                    hosts.len()
                ),
                join_quote(&hosts)
            ),
            first,
        )
        .with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: "Remove `host` so probes and hooks target the pod itself".into(),
            caveat: "Without `host` the kubelet connects to the pod's IP. A probe that checked \
                     another service (a database, the node) now checks the pod; probe the pod's \
                     own health endpoint instead."
                .into(),
            actions,
        })),
    )
}
