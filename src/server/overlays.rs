//! Kustomize overlays and Helm charts in a pull request. When the pull request changes a
//! kustomization, a chart's file (`Chart.yaml`, a values file, a template), or a manifest that
//! is only part of an object (a patch: a workload without its containers' images), the entry
//! points that read a changed file are built (charts rendered) at head and at base from the
//! commits' trees (blobs through the SHA cache), linted as built, and only what is new at head
//! is kept, placed on the base or patch line that set the value. Comments then land on the
//! changed lines of those files as for any manifest; the summary says which overlays were
//! built. The building, linting and placing are `crate::overlays`; this file only fetches and
//! decides what is new. The review calls it at three points (`review_run.rs`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::github_files::{self, BlobCache, TreeMemo};
use crate::engine::{LintOptions, LintResult};
use crate::github::{DiffEntry, GitHubApi, RepoRef};
use crate::manifest::{ManifestFile, read_manifest};
use crate::overlays::Overlays;
use crate::render::{FileSource, KUSTOMIZATION_FILE_NAMES};
use crate::review::ReviewPlan;
use crate::rollout;

/// Files read under the kustomizations of one commit, at most: beyond it the overlays are not
/// built (and the summary says so).
const MAX_TREE_FILES: usize = 2_000;

/// A commit's files under its kustomization directories, in memory.
#[derive(Default)]
struct Tree {
    files: HashMap<PathBuf, Arc<Vec<u8>>>,
    dirs: HashSet<PathBuf>,
}

impl Tree {
    fn insert(&mut self, path: &str, bytes: Arc<Vec<u8>>) {
        let path = PathBuf::from(path);
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if !self.dirs.insert(d.to_path_buf()) {
                break;
            }
            dir = d.parent();
        }
        self.files.insert(path, bytes);
    }

    fn paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .files
            .keys()
            .map(|p| crate::render::display_path(p))
            .collect();
        paths.sort();
        paths
    }
}

impl FileSource for Tree {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.files
            .get(path)
            .map(|b| b.as_ref().clone())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
    fn is_dir(&self, path: &Path) -> bool {
        path == Path::new(".") || self.dirs.contains(path)
    }
    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }
    fn list(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        let dir = if dir == Path::new(".") {
            Path::new("")
        } else {
            dir
        };
        let mut names: Vec<String> = self
            .files
            .keys()
            .chain(self.dirs.iter())
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }
}

fn is_kustomization(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    KUSTOMIZATION_FILE_NAMES.contains(&name)
}

/// A file a Helm chart is made of: its `Chart.yaml`, a values file, a template.
fn is_chart_part(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Chart.yaml"
        || (name.starts_with("values") && (name.ends_with(".yaml") || name.ends_with(".yml")))
        || path.starts_with("templates/")
        || path.contains("/templates/")
}

/// A workload whose pod template is missing or has a container without an image: a patch,
/// which only means something applied to its base.
fn is_partial(file: &ManifestFile) -> bool {
    const WORKLOADS: &[&str] = &[
        "Pod",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
        "CronJob",
    ];
    file.objects.iter().any(|o| {
        WORKLOADS.contains(&o.kind.as_str())
            && file.typed(o).pod_template().is_none_or(|t| {
                t.spec.containers.is_empty() || t.spec.containers.iter().any(|c| c.image.is_none())
            })
    })
}

/// The files under a commit's kustomization directories (kustomize reads nothing outside a
/// kustomization's own directory), or why they were not read.
async fn fetch_tree<G: GitHubApi>(
    api: &G,
    repo: &RepoRef,
    blobs: &BlobCache,
    trees: &TreeMemo,
    sha: &str,
) -> anyhow::Result<Result<Tree, String>> {
    let listed = trees.files(api, repo, sha).await?;
    let (entries, truncated) = (&listed.files, listed.truncated);
    let dirs: BTreeSet<String> = entries
        .iter()
        .filter(|(p, _)| is_kustomization(p) || p == "Chart.yaml" || p.ends_with("/Chart.yaml"))
        .map(|(p, _)| {
            p.rsplit_once('/')
                .map_or(String::new(), |(d, _)| d.to_string())
        })
        .collect();
    let wanted: Vec<&(String, String)> = entries
        .iter()
        .filter(|(p, _)| {
            dirs.iter()
                .any(|d| d.is_empty() || p.starts_with(&format!("{d}/")))
        })
        .collect();
    if wanted.len() > MAX_TREE_FILES {
        return Ok(Err(format!(
            "Kustomize overlays and Helm charts not built: {} files under them, above the limit of {MAX_TREE_FILES}",
            wanted.len()
        )));
    }
    let mut tree = Tree::default();
    for (path, blob_sha) in wanted {
        let bytes = github_files::blob(api, repo, blobs, blob_sha, path).await?;
        tree.insert(path, bytes);
    }
    if truncated {
        tracing::warn!(repo = %repo, sha, "tree truncated; overlays built from what GitHub listed");
    }
    Ok(Ok(tree))
}

/// What the overlays add to one review.
#[derive(Default)]
pub(super) struct PullOverlays {
    /// The head commit's kustomization files and the builds of the entry points the pull
    /// request affects; `None` when it touches no overlay.
    head: Option<(Tree, Overlays)>,
    /// Fingerprints of the findings the same entry points had at base.
    at_base: HashSet<String>,
    /// Entry points built at base too.
    base_dirs: Vec<String>,
    /// Paths the pull request changes (old names too).
    changed: BTreeSet<String>,
    /// Why overlays were not built, for the summary.
    problem: Option<String>,
}

impl PullOverlays {
    /// Reads and builds what the pull request's `files` affect. Cheap when it affects no
    /// overlay: no request unless a kustomization or a partial manifest changed.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn prepare<G: GitHubApi>(
        api: &G,
        repo: &RepoRef,
        blobs: &BlobCache,
        trees: &TreeMemo,
        head_sha: &str,
        base_sha: Option<&str>,
        files: &[DiffEntry],
        inputs: &[(String, Vec<u8>)],
        options: &LintOptions,
    ) -> anyhow::Result<PullOverlays> {
        let mut out = PullOverlays {
            changed: files
                .iter()
                .flat_map(|f| std::iter::once(&f.filename).chain(f.previous_filename.as_ref()))
                .cloned()
                .collect(),
            ..PullOverlays::default()
        };
        let touches = out
            .changed
            .iter()
            .any(|p| is_kustomization(p) || is_chart_part(p))
            || inputs.iter().any(|(path, bytes)| {
                read_manifest(path, bytes, &options.limits).is_ok_and(|f| is_partial(&f))
            });
        if !touches {
            return Ok(out);
        }
        let head = match fetch_tree(api, repo, blobs, trees, head_sha).await? {
            Ok(tree) => tree,
            Err(problem) => {
                out.problem = Some(problem);
                return Ok(out);
            }
        };
        let paths = head.paths();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let mut built = Overlays::build(&head, &refs, options);
        built.retain_reading(&out.changed);
        if built.built.is_empty() && built.errors.is_empty() {
            return Ok(out);
        }
        if let Some(base_sha) = base_sha {
            match fetch_tree(api, repo, blobs, trees, base_sha).await? {
                Ok(base) => {
                    // The same entry points at base: those that read a changed file there.
                    let head_dirs: HashSet<&str> =
                        built.built.iter().map(|b| b.dir.as_str()).collect();
                    let base_paths = base.paths();
                    let base_refs: Vec<&str> = base_paths.iter().map(String::as_str).collect();
                    let mut before = Overlays::build(&base, &base_refs, options);
                    before.retain_reading(&out.changed);
                    before.built.retain(|b| head_dirs.contains(b.dir.as_str()));
                    before.errors.clear();
                    let mut result = before.lint_inputs(Vec::new(), options);
                    // Only which findings exist matters at base: no fix is realised there.
                    let items: Vec<_> = std::mem::take(&mut result.findings)
                        .into_iter()
                        .map(|mut f| {
                            f.fix = None;
                            (f, ())
                        })
                        .collect();
                    out.at_base = before
                        .place_items(&mut result, items, |_, _| {}, &base, options)
                        .iter()
                        .map(|(f, _)| f.fingerprint())
                        .collect();
                    out.base_dirs = before.built.iter().map(|b| b.dir.clone()).collect();
                }
                Err(problem) => out.problem = Some(problem),
            }
        }
        out.head = Some((head, built));
        Ok(out)
    }

    /// The head lint: `inputs` with the affected overlays built in place of the files they
    /// read.
    pub(super) fn lint(&self, inputs: &[(String, Vec<u8>)], options: &LintOptions) -> LintResult {
        match &self.head {
            Some((_, built)) => built.lint_inputs(inputs.to_vec(), options),
            None => crate::engine::lint(inputs, options),
        }
    }

    /// After the rollout policy judged the built objects: each decision's finding moved to
    /// its origin (merged across overlays, in the strongest mode), and those the entry points
    /// already had at base dropped. `result` then holds the changed files and the files with
    /// findings, as a review of plain files does.
    pub(super) fn place(
        &self,
        result: &mut LintResult,
        review: &mut rollout::Review,
        options: &LintOptions,
    ) {
        let Some((tree, built)) = &self.head else {
            return;
        };
        let items: Vec<(crate::finding::Finding, rollout::Decision)> =
            std::mem::take(&mut review.decisions)
                .into_iter()
                .map(|d| (d.finding.clone(), d))
                .collect();
        let placed = built.place_items(
            result,
            items,
            |kept, other| {
                if other.mode > kept.mode {
                    *kept = other;
                }
            },
            tree,
            options,
        );
        review.decisions = placed
            .into_iter()
            .filter(|(f, _)| f.overlays.is_empty() || !self.at_base.contains(&f.fingerprint()))
            .map(|(f, mut d)| {
                d.finding = f;
                d
            })
            .collect();
        let with_findings: HashSet<&str> = review
            .decisions
            .iter()
            .map(|d| d.finding.file.as_str())
            .collect();
        let files = std::mem::take(&mut result.files);
        result.files = files
            .into_iter()
            .filter(|f| self.changed.contains(&f.path) || with_findings.contains(f.path.as_str()))
            .collect();
    }

    /// The summary says which overlays were built (or why none were).
    pub(super) fn note_summary(&self, plan: &mut ReviewPlan) {
        let line = match (&self.head, &self.problem) {
            (Some((_, built)), _) if !built.built.is_empty() => {
                let dirs: Vec<String> = built.dirs().iter().map(|d| format!("`{d}`")).collect();
                let at_base = if self.base_dirs.is_empty() {
                    "at head (none existed at base)".to_string()
                } else if self.base_dirs.len() == dirs.len() {
                    "at base and head".to_string()
                } else {
                    format!("at head, and {} of them at base", self.base_dirs.len())
                };
                let charts = built
                    .built
                    .iter()
                    .filter(|b| b.kind == crate::overlays::EntryKind::Chart)
                    .count();
                let what = match (charts, dirs.len() - charts) {
                    (0, _) => "Kustomize overlays built",
                    (_, 0) => "Helm charts rendered (default values)",
                    _ => "Kustomize overlays and Helm charts built",
                };
                let mut line = format!(
                    "{what} {at_base}: {}; findings sit on the line that sets the value (a base, a patch, a values file or a template), and only those new at head are reported.",
                    dirs.join(", ")
                );
                for note in &built.notes {
                    line.push_str(&format!("\n- {note}"));
                }
                line
            }
            (_, Some(problem)) => format!("{problem}."),
            _ => return,
        };
        const HEAD_MARKER: &str = "\n<!-- kubenudge:head=";
        let body = &mut plan.summary_comment;
        match body.rfind(HEAD_MARKER) {
            Some(at) => body.insert_str(at, &format!("\n{line}\n")),
            None => {
                body.push_str("\n\n");
                body.push_str(&line);
            }
        }
    }
}
