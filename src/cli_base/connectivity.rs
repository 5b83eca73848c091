//! `check --base`: what the change does to who can reach whom. When the changed manifests (or
//! the ones the change deletes) hold NetworkPolicies, admin policies, Namespaces, workloads,
//! Services or Ingresses, the whole repository is read twice — at the merge-base (changed and
//! deleted files as they were there) and in the working tree — and `netpol::diff` says which
//! connections the change adds, removes or changes, in np-guard's line format.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::manifest::{Limits, ManifestFile, read_manifest};
use crate::netpol;

use super::ChangedRun;
use super::git;

/// Kinds whose change can change connectivity (workloads through their labels and ports).
const CONNECTIVITY_KINDS: &[&str] = &[
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

fn read(path: &str, bytes: &[u8]) -> Option<ManifestFile> {
    read_manifest(path, bytes, &Limits::default()).ok()
}

fn bears_on_connectivity(file: &ManifestFile) -> bool {
    file.objects
        .iter()
        .any(|o| CONNECTIVITY_KINDS.contains(&o.kind.as_str()))
}

/// The connectivity diff as text (`Connectivity diff:` and one line per change), or `None`
/// when the change does not touch what connectivity depends on, or changes nothing.
pub(super) fn connectivity_diff(run: &ChangedRun) -> Option<String> {
    let root = &run.changes.root;
    let deleted = git::deleted_since(root, &run.changes.merge_base);
    let changed: BTreeSet<&str> = run.inputs.iter().map(|(p, _)| p.as_str()).collect();
    let head_touches = || {
        run.inputs
            .iter()
            .filter_map(|(p, b)| read(p, b))
            .any(|f| bears_on_connectivity(&f))
    };
    let base_touches = || {
        changed
            .iter()
            .copied()
            .chain(deleted.iter().map(String::as_str))
            .filter_map(|p| run.base_file(p).and_then(|b| read(p, &b)))
            .any(|f| bears_on_connectivity(&f))
    };
    let touches = head_touches() || base_touches();
    if !touches {
        return None;
    }
    let (mut base, mut head) = (Vec::new(), Vec::new());
    let files = crate::cli::collect_files(&[PathBuf::from(root)]).ok()?;
    for path in files {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let before = if changed.contains(rel.as_str()) {
            run.base_file(&rel)
        } else {
            Some(bytes.clone())
        };
        head.extend(read(&rel, &bytes));
        base.extend(before.and_then(|b| read(&rel, &b)));
    }
    for rel in &deleted {
        base.extend(run.base_file(rel).and_then(|b| read(rel, &b)));
    }
    let diff = netpol::diff(&base, &head);
    (!diff.is_empty()).then(|| netpol::render_diff(&diff, netpol::Format::Txt))
}
