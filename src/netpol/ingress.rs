//! What Ingresses and Routes expose: the ingress controller reaches the workloads their
//! backend Services select, on the TCP container port the Service port leads to (np-guard's
//! `{ingress-controller}` source). Policies then decide which of that is allowed.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::manifest::selector::Labels;

use super::model::{BackendPort, Exposure, Model, Origin, Service, ServicePort, Workload};
use super::ports::{ConnSet, PortSet, Protocol};

/// Per workload (index into `model.workloads`): the TCP ports exposed to the ingress
/// controller, and the Ingresses/Routes that expose them.
pub fn exposed_workloads(model: &Model) -> BTreeMap<usize, (ConnSet, Vec<Origin>)> {
    let mut out: BTreeMap<usize, (ConnSet, Vec<Origin>)> = BTreeMap::new();
    for exposure in &model.exposures {
        for (service_name, port) in &exposure.backends {
            let Some(service) = model
                .services
                .iter()
                .find(|s| s.namespace == exposure.namespace && &s.name == service_name)
            else {
                continue;
            };
            let Some(selector) = &service.selector else {
                continue;
            };
            let targets = target_ports(service, port, exposure);
            for (wi, w) in model.workloads.iter().enumerate() {
                if w.namespace != service.namespace || !selects(selector, &w.labels) {
                    continue;
                }
                let conns = reachable(w, &targets);
                let entry = out.entry(wi).or_default();
                entry.0 = entry.0.union(&conns);
                if !entry.1.contains(&exposure.origin) {
                    entry.1.push(exposure.origin.clone());
                }
            }
        }
    }
    out.retain(|_, (conns, _)| !conns.is_empty());
    out
}

/// A Service selector is equality-only (`matchLabels`).
fn selects(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The pod-side ports the backend's Service port leads to (`targetPort`, defaulting to
/// `port`); every Service port when the backend names none.
fn target_ports(service: &Service, wanted: &BackendPort, exposure: &Exposure) -> Vec<IntOrString> {
    let target = |p: &ServicePort| p.target.clone().unwrap_or(IntOrString::Int(p.port as i32));
    match wanted {
        BackendPort::Any => service.ports.iter().map(target).collect(),
        BackendPort::Number(n) => service
            .ports
            .iter()
            .find(|p| p.port == *n || p.target == Some(IntOrString::Int(*n as i32)))
            .map(target)
            .into_iter()
            .collect(),
        BackendPort::Name(name) => service
            .ports
            .iter()
            .find(|p| {
                p.name.as_deref() == Some(name.as_str())
                    || (exposure.route && p.target == Some(IntOrString::String(name.clone())))
            })
            .map(target)
            .into_iter()
            .collect(),
    }
}

/// The TCP ports among `targets` that the workload's containers declare.
fn reachable(w: &Workload, targets: &[IntOrString]) -> ConnSet {
    let mut conns = ConnSet::none();
    for t in targets {
        let number = match t {
            IntOrString::Int(n) => u32::try_from(*n).ok(),
            IntOrString::String(name) => w
                .named_port(name)
                .filter(|p| p.protocol == Protocol::Tcp)
                .map(|p| p.number),
        };
        // Only ports a container declares are served (np-guard counts every declared
        // container port here, whatever its protocol).
        if let Some(n) = number
            && w.ports.iter().any(|p| p.number == n)
        {
            conns.add(Protocol::Tcp, &PortSet::range(n, n));
        }
    }
    conns
}
