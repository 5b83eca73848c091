//! The NetworkPolicy connectivity model: who can reach whom, on which protocols and ports,
//! given a repository's workloads, Namespaces, NetworkPolicies, AdminNetworkPolicies, the
//! BaselineAdminNetworkPolicy, Services and Ingresses/Routes — and what a change adds, removes
//! and changes, and why a connection is allowed or denied.
//!
//! Semantics follow `SEMANTICS.md` (the API's defaults and combination rules); naming and
//! output follow np-guard (`ns/name[Kind]`, `a.b.c.d-e.f.g.h[External]`,
//! `{ingress-controller}`, `src => dst : TCP 8080`), against whose cases it is tested
//! (`tests/netpol_conformance.rs`).
//!
//! This room is pure: parsed [`ManifestFile`]s in, values out. It never reads files, the
//! network or the clock, and it never depends on `rules` (the `network-policy/` rules may
//! depend on it). Its one door is this file.

mod connectivity;
mod diff;
mod eval;
mod explain;
mod ingress;
mod ipv4;
mod model;
mod ports;
mod render;
mod suggest;

pub use connectivity::{Connection, Connectivity, INGRESS_CONTROLLER, Peer, PeerKind};
pub use diff::{ChangeKind, ConnectionChange, ConnectivityDiff};
pub use explain::{Explanation, Verdict};
pub use ipv4::IpRange;
pub use model::{
    Action, AdminPolicy, ContainerPort, Direction, Model, NetworkPolicy, Origin, PeerSelector,
    PortMatch, Rule, Workload,
};
pub use ports::{ConnSet, PortSet, Protocol};
pub use render::{Format, render_connectivity, render_diff, render_explanation};
pub use suggest::Suggestion;

use crate::manifest::ManifestFile;

/// Reads the model's objects from parsed files.
pub fn model(files: &[ManifestFile]) -> Model {
    Model::from_files(files)
}

/// Every allowed connection between distinct peers of the repository in `files`.
pub fn connectivity(files: &[ManifestFile]) -> Connectivity {
    connectivity::compute(&Model::from_files(files))
}

/// Connectivity of a model already read.
pub fn connectivity_of(model: &Model) -> Connectivity {
    connectivity::compute(model)
}

/// What changes between the repository at `base` and at `head`.
pub fn diff(base: &[ManifestFile], head: &[ManifestFile]) -> ConnectivityDiff {
    diff::compare(&connectivity(base), &connectivity(head))
}

/// Base and head connectivity already computed → their difference.
pub fn diff_of(base: &Connectivity, head: &Connectivity) -> ConnectivityDiff {
    diff::compare(base, head)
}

/// Least-privilege NetworkPolicies for the workloads no policy selects.
pub fn suggest(files: &[ManifestFile]) -> Vec<Suggestion> {
    suggest::suggest(files)
}

/// Suggestions for those of `workloads` (`ns/name[Kind]`) that no policy selects although
/// other workloads of their namespace are isolated: what a pull request adding a workload
/// next to protected ones should be offered.
pub fn suggest_where_isolated(
    files: &[ManifestFile],
    workloads: &std::collections::BTreeSet<String>,
) -> Vec<Suggestion> {
    suggest::suggest_where_isolated(files, workloads)
}

/// Kinds whose objects can change who reaches whom (workloads through their labels and
/// ports): a change touching none of them leaves connectivity as it was.
pub const CONNECTIVITY_KINDS: &[&str] = &[
    "NetworkPolicy",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
    "Namespace",
    "Service",
    "Ingress",
    "Route",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// Does `file` hold an object of one of the [`CONNECTIVITY_KINDS`]?
pub fn bears_on_connectivity(file: &ManifestFile) -> bool {
    file.objects
        .iter()
        .any(|o| CONNECTIVITY_KINDS.contains(&o.kind.as_str()))
}

/// Why `src` can or cannot reach `dst` (names as printed: `ns/name[Kind]`, an address or
/// range, `{ingress-controller}`); `Err` says which name is unknown.
pub fn explain(model: &Model, src: &str, dst: &str) -> Result<Explanation, String> {
    explain::explain(model, src, dst)
}

#[cfg(test)]
mod tests;
