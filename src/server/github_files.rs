//! What a review reads from GitHub by SHA: blob contents (cached across reviews: a blob
//! never changes) and commit trees (memoised within one review). Shared by the review run,
//! the base configuration and the connectivity section.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;

use crate::github::{GitHubApi, RepoRef};

type BlobMap = HashMap<String, Arc<Vec<u8>>>;

/// File contents by blob SHA: a blob's content never changes, so pushes that leave a file
/// alone cost no request for it.
pub struct BlobCache {
    max_bytes: usize,
    /// Contents by SHA, insertion order (for eviction), total bytes.
    inner: Mutex<(BlobMap, VecDeque<String>, usize)>,
}

impl BlobCache {
    pub fn new(max_bytes: usize) -> Self {
        BlobCache {
            max_bytes,
            inner: Mutex::new((HashMap::new(), VecDeque::new(), 0)),
        }
    }

    pub(crate) fn get(&self, sha: &str) -> Option<Arc<Vec<u8>>> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.0.get(sha).cloned()
    }

    pub(crate) fn put(&self, sha: &str, bytes: Arc<Vec<u8>>) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order, total) = &mut *inner;
        if bytes.len() > self.max_bytes || map.contains_key(sha) {
            return;
        }
        *total += bytes.len();
        map.insert(sha.to_string(), bytes);
        order.push_back(sha.to_string());
        while *total > self.max_bytes {
            let Some(oldest) = order.pop_front() else {
                break;
            };
            if let Some(b) = map.remove(&oldest) {
                *total -= b.len();
            }
        }
    }
}

/// Blob contents, from the cache or GitHub.
pub async fn blob<G: GitHubApi>(
    api: &G,
    repo: &RepoRef,
    cache: &BlobCache,
    sha: &str,
    path: &str,
) -> anyhow::Result<Arc<Vec<u8>>> {
    if let Some(b) = cache.get(sha) {
        return Ok(b);
    }
    let b = Arc::new(
        api.get_blob(repo, sha)
            .await
            .with_context(|| format!("reading {path}"))?,
    );
    cache.put(sha, Arc::clone(&b));
    Ok(b)
}

/// A file of a commit's tree: (path, blob SHA).
pub type TreeFile = (String, String);

/// A commit's files (`git/trees/{sha}?recursive=1`, blobs only).
#[derive(Debug, Default)]
pub struct Tree {
    pub files: Vec<TreeFile>,
    /// Blob sizes by path, as GitHub lists them (never read what the limit refuses).
    pub sizes: HashMap<String, u64>,
    /// GitHub cut the listing short (over 100,000 entries or 7 MB).
    pub truncated: bool,
}

/// The blobs of a commit's tree (files only).
pub async fn tree_files<G: GitHubApi>(api: &G, repo: &RepoRef, sha: &str) -> anyhow::Result<Tree> {
    let tree = api
        .get_tree(repo, sha)
        .await
        .with_context(|| format!("reading the tree of commit {}", &sha[..sha.len().min(7)]))?;
    let mut out = Tree {
        truncated: tree.truncated,
        ..Tree::default()
    };
    for e in tree.tree.into_iter().filter(|e| e.kind == "blob") {
        if let Some(size) = e.size {
            out.sizes.insert(e.path.clone(), size);
        }
        if let Some(sha) = e.sha {
            out.files.push((e.path, sha));
        }
    }
    Ok(out)
}

/// The trees one review reads, by commit: file sizes, the label preview and the connectivity
/// section all need the head commit's, and GitHub is asked once.
#[derive(Default)]
pub struct TreeMemo(Mutex<HashMap<String, Arc<Tree>>>);

impl TreeMemo {
    /// [`tree_files`] of `sha`, read at most once per review.
    pub async fn files<G: GitHubApi>(
        &self,
        api: &G,
        repo: &RepoRef,
        sha: &str,
    ) -> anyhow::Result<Arc<Tree>> {
        if let Some(t) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(sha) {
            return Ok(Arc::clone(t));
        }
        let tree = Arc::new(tree_files(api, repo, sha).await?);
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sha.to_string(), Arc::clone(&tree));
        Ok(tree)
    }
}
