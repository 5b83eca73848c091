//! Reads what the "Connectivity" section of a review needs: every manifest of the repository
//! at the base and at the head commit (git trees, then blobs by SHA through the review's blob
//! cache, so a file the pull request leaves alone is fetched once for both sides and once per
//! pull request). Only when the pull request touches something connectivity depends on:
//! a changed or removed manifest holding a policy, a Namespace, a workload, a Service or an
//! Ingress. The section itself is `review::connectivity` (pure).

use anyhow::Context as _;

use super::github_files::{self, BlobCache, TreeMemo};
use crate::config::CONFIG_PATH;
use crate::github::{DiffEntry, GitHubApi, RepoRef};
use crate::manifest::{ChartDirs, Limits, ManifestFile, read_manifest};
use crate::netpol::bears_on_connectivity;

/// Manifests read per side; a larger repository is read in part and the section says so.
pub const MAX_CONNECTIVITY_FILES: usize = 1_000;

/// The repository at both commits, and how many manifests were left unread.
pub struct BothSides {
    pub base: Vec<ManifestFile>,
    /// Shared with the lint, whose rules see the rest of the repository through it.
    pub head: std::sync::Arc<Vec<ManifestFile>>,
    pub unread: usize,
    /// Every manifest of the head commit was read (the tree listing was whole, nothing
    /// over the limit): rules may conclude from what the repository lacks.
    pub head_complete: bool,
}

/// Files that may hold Kubernetes objects: YAML and JSON, but not kubenudge's configuration
/// nor kustomizations (build instructions, no objects).
fn is_manifest_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = path.rsplit('/').next().unwrap_or(path);
    (lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json"))
        && path != CONFIG_PATH
        && !crate::render::KUSTOMIZATION_FILE_NAMES.contains(&name)
}

/// Does the pull request touch connectivity? `head` are its changed manifests as linted;
/// removed manifests are judged by their base version.
pub async fn touches_connectivity<G: GitHubApi>(
    api: &G,
    repo: &RepoRef,
    files: &[DiffEntry],
    head: &[ManifestFile],
    base_sha: Option<&str>,
) -> anyhow::Result<bool> {
    let patch_of = |path: &str| {
        files.iter().find(|f| f.filename == path).and_then(|f| {
            (f.status == "modified")
                .then_some(f.patch.as_deref())
                .flatten()
        })
    };
    if head.iter().any(|file| {
        bears_on_connectivity(file)
            && match patch_of(&file.path) {
                // A Namespace matters to connectivity through its labels only: an edit that
                // leaves them alone (annotations, a comment) changes nobody's reach.
                Some(patch) if only_namespaces(file) => touches_labels(file, patch),
                _ => true,
            }
    }) {
        return Ok(true);
    }
    let Some(base_sha) = base_sha else {
        return Ok(false);
    };
    // A removed file is judged by what it held. (A modified file that held a policy and now
    // holds none is not looked for: one request per changed file is too much for so rare a
    // case.)
    for f in files {
        if f.status != "removed" || !is_manifest_path(&f.filename) {
            continue;
        }
        let old = f.previous_filename.as_deref().unwrap_or(&f.filename);
        let bytes = api
            .get_file_at(repo, old, base_sha)
            .await
            .with_context(|| format!("reading {old} of the base commit"))?;
        let Some(bytes) = bytes else { continue };
        if read_manifest(old, &bytes, &Limits::default())
            .ok()
            .is_some_and(|m| bears_on_connectivity(&m))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn only_namespaces(file: &ManifestFile) -> bool {
    file.objects
        .iter()
        .filter(|o| crate::netpol::CONNECTIVITY_KINDS.contains(&o.kind.as_str()))
        .all(|o| o.kind == "Namespace")
}

/// Does `patch` add or remove a line inside (or right at) a Namespace's `metadata.labels` or
/// `metadata.name` of the new file? A removed line is placed before the new-file line that follows it.
fn touches_labels(file: &ManifestFile, patch: &str) -> bool {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for o in file.objects.iter().filter(|o| o.kind == "Namespace") {
        let Some(metadata) = file.tree.entry(o.node, "metadata") else {
            continue;
        };
        // The name is a label too (`kubernetes.io/metadata.name`).
        for key in ["labels", "name"] {
            let Some(entry) = file.tree.entry(metadata.value, key) else {
                continue;
            };
            let start = file.tree.node(entry.key_node).span().start;
            let end = file.tree.node(entry.value).span().end;
            let (first, _) = file.source.line_col(start);
            let (last, _) = file.source.line_col(end.saturating_sub(1).max(start));
            ranges.push((first, last));
        }
    }
    let within = |line: usize| ranges.iter().any(|&(a, b)| a <= line && line <= b);
    // A removed line sits before the new line that follows it: after a block's last line.
    let removed_within = |line: usize| ranges.iter().any(|&(a, b)| a <= line && line <= b + 1);
    let mut next_line = 0usize;
    for raw in patch.lines() {
        if let Some(header) = raw.strip_prefix("@@ ") {
            // `@@ -a,b +c,d @@`: the new file's lines start at c.
            next_line = header
                .split_whitespace()
                .find_map(|p| p.strip_prefix('+'))
                .and_then(|p| p.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            continue;
        }
        match raw.as_bytes().first() {
            Some(b'+') => {
                if within(next_line) {
                    return true;
                }
                next_line += 1;
            }
            Some(b'-') => {
                if removed_within(next_line) {
                    return true;
                }
            }
            Some(b'\\') => {}
            _ => next_line += 1,
        }
    }
    false
}

/// Every manifest of the repository at `sha` (chart templates and the configuration file
/// left out), at most [`MAX_CONNECTIVITY_FILES`].
async fn manifests_at<G: GitHubApi>(
    api: &G,
    repo: &RepoRef,
    blobs: &BlobCache,
    trees: &TreeMemo,
    sha: &str,
) -> anyhow::Result<(Vec<ManifestFile>, usize, bool)> {
    let read = trees.files(api, repo, sha).await?;
    let (tree, truncated) = (&read.files, read.truncated);
    let max_bytes = Limits::default().max_file_bytes as u64;
    let charts = ChartDirs::from_paths(tree.iter().map(|(p, _)| p.as_str()));
    let mut files = Vec::new();
    let mut unread = 0;
    for (path, blob_sha) in tree {
        if !is_manifest_path(path) || charts.holds_template(path) {
            continue;
        }
        // Never read what the size limit refuses anyway.
        let oversized = read.sizes.get(path).is_some_and(|&n| n > max_bytes);
        if files.len() >= MAX_CONNECTIVITY_FILES || oversized {
            unread += 1;
            continue;
        }
        let bytes = github_files::blob(api, repo, blobs, blob_sha, path).await?;
        if let Ok(file) = read_manifest(path, &bytes, &Limits::default()) {
            files.push(file);
        }
    }
    Ok((files, unread, truncated))
}

pub async fn both_sides<G: GitHubApi>(
    api: &G,
    repo: &RepoRef,
    blobs: &BlobCache,
    trees: &TreeMemo,
    base_sha: &str,
    head_sha: &str,
) -> anyhow::Result<BothSides> {
    let (base, base_unread, _) = manifests_at(api, repo, blobs, trees, base_sha)
        .await
        .context("reading the base commit for connectivity")?;
    let (head, head_unread, head_truncated) = manifests_at(api, repo, blobs, trees, head_sha)
        .await
        .context("reading the head commit for connectivity")?;
    Ok(BothSides {
        base,
        head: std::sync::Arc::new(head),
        unread: base_unread.max(head_unread),
        head_complete: head_unread == 0 && !head_truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations:\n    owner: me\n  labels:\n    team: shop\n    tier: web\n";

    fn file() -> ManifestFile {
        read_manifest("ns.yaml", NS.as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn only_a_label_edit_of_a_namespace_counts() {
        let f = file();
        // A label added (line 9), changed (line 8), removed (before line 9, after line 8).
        assert!(touches_labels(&f, "@@ -8,0 +9 @@\n+    tier: web"));
        assert!(touches_labels(
            &f,
            "@@ -8 +8 @@\n-    team: old\n+    team: shop"
        ));
        assert!(touches_labels(
            &f,
            "@@ -8,2 +8,1 @@\n     team: shop\n-    tier: api"
        ));
        // A new name is a new `kubernetes.io/metadata.name`.
        assert!(touches_labels(
            &f,
            "@@ -4 +4 @@\n-  name: old\n+  name: shop"
        ));
        // The annotation (line 6) leaves every label alone.
        assert!(!touches_labels(
            &f,
            "@@ -6 +6 @@\n-    owner: you\n+    owner: me"
        ));
        assert!(only_namespaces(&f));
    }
}
