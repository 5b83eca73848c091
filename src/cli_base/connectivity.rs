//! `check --base`: what the change does to who can reach whom. When the changed manifests (or
//! the ones the change deletes) hold NetworkPolicies, admin policies, Namespaces, workloads,
//! Services or Ingresses, the whole repository is read twice — at the merge-base (changed and
//! deleted files as they were there) and in the working tree — and `netpol::diff` says which
//! connections the change adds, removes or changes, in np-guard's line format.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::manifest::{Limits, ManifestFile, read_manifest};
use crate::netpol;
use crate::netpol::bears_on_connectivity;

use super::ChangedRun;
use super::git;

fn read(path: &str, bytes: &[u8]) -> Option<ManifestFile> {
    read_manifest(path, bytes, &Limits::default()).ok()
}

/// The repository at the merge-base and in the working tree (every manifest; changed and
/// deleted files as they were at the merge-base), or `None` when the change touches nothing
/// connectivity depends on.
pub(super) fn repository_sides(run: &ChangedRun) -> Option<(Vec<ManifestFile>, Vec<ManifestFile>)> {
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
    if !(head_touches() || base_touches()) {
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
    Some((base, head))
}

/// The connectivity diff as text (`Connectivity diff:` and one line per change), or `None`
/// when the change does not touch what connectivity depends on, or changes nothing.
pub(super) fn connectivity_diff(run: &ChangedRun) -> Option<String> {
    let (base, head) = repository_sides(run)?;
    let diff = netpol::diff(&base, &head);
    (!diff.is_empty()).then(|| netpol::render_diff(&diff, netpol::Format::Txt))
}
