//! Reads what the "Connectivity" section of a review needs: every manifest of the repository
//! at the base and at the head commit (git trees, then blobs by SHA through the review's blob
//! cache, so a file the pull request leaves alone is fetched once for both sides and once per
//! pull request). Only when the pull request touches something connectivity depends on:
//! a changed or removed manifest holding a policy, a Namespace, a workload, a Service or an
//! Ingress. The section itself is `review::connectivity` (pure).

use anyhow::Context as _;

use super::policy;
use super::review_run::BlobCache;
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

fn is_manifest_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    (lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json"))
        && path != CONFIG_PATH
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
    if head.iter().any(bears_on_connectivity) {
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

/// Every manifest of the repository at `sha` (chart templates and the configuration file
/// left out), at most [`MAX_CONNECTIVITY_FILES`].
async fn manifests_at<G: GitHubApi>(
    api: &G,
    repo: &RepoRef,
    blobs: &BlobCache,
    trees: &policy::TreeMemo,
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
        let bytes = policy::blob(api, repo, blobs, blob_sha, path).await?;
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
    trees: &policy::TreeMemo,
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
