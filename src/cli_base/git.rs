//! What changed since a base ref, read from git: the merge-base of the ref and `HEAD` (the
//! commit GitHub compares a pull request against), the changed files and their diffs, and a
//! file's content at the merge-base.
//!
//! Git is run as a program (`std::process::Command`) rather than through a library: the user's
//! own `git` already knows their repository format, worktrees, alternates, filters and config
//! (`diff.renames`, `safe.directory`), which a reimplementation would get subtly wrong, and a
//! C binding (libgit2) would add a native dependency to a crate that has none. Only plumbing
//! flags whose output git keeps stable are used. This module never lints and never prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::review::{FileDiff, Hunk};

/// The changes of the working tree relative to the merge-base of a ref and `HEAD`.
#[derive(Debug, Clone)]
pub struct Changes {
    /// The repository's top-level directory.
    pub root: PathBuf,
    pub merge_base: String,
    pub head: String,
    /// Changed files that still exist, by path relative to `root` (as GitHub names them),
    /// with the RIGHT side of their diff. Untracked files count as added.
    pub files: BTreeMap<String, FileDiff>,
    /// The unified diff of each changed file (`None` for untracked files), as the App gets a
    /// file's `patch`.
    pub patches: BTreeMap<String, Option<String>>,
    /// The working tree differs from `HEAD` (uncommitted or untracked changes are included).
    pub uncommitted: bool,
}

/// Runs `git -C dir args…`; `Err` carries git's own message.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    // Read-only: `--no-optional-locks` keeps `git status` from refreshing the index, which
    // would contend with the user's own git (or their editor's) running at the same time.
    let output = Command::new("git")
        .arg("--no-optional-locks")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let message = String::from_utf8_lossy(&output.stderr).trim().to_string();
        Err(if message.is_empty() {
            format!("git {} failed ({})", args.join(" "), output.status)
        } else {
            message
        })
    }
}

fn git_line(dir: &Path, args: &[&str]) -> Result<String, String> {
    Ok(String::from_utf8_lossy(&git(dir, args)?).trim().to_string())
}

/// The changes since the merge-base of `base` and `HEAD` in the repository holding `dir`:
/// committed, staged, unstaged and untracked (not ignored) alike, so that what is checked is
/// what the pull request shows once the work is committed.
pub fn changes_since(dir: &Path, base: &str) -> Result<Changes, String> {
    let root = PathBuf::from(
        git_line(dir, &["rev-parse", "--show-toplevel"])
            .map_err(|e| format!("--base needs a git repository: {e}"))?,
    );
    let commit = format!("{base}^{{commit}}");
    git_line(&root, &["rev-parse", "--verify", "--quiet", &commit])
        .map_err(|_| format!("{base:?} is not a commit in {}", root.display()))?;
    let merge_base = git_line(&root, &["merge-base", base, "HEAD"])
        .map_err(|e| format!("{base} and HEAD have no common ancestor: {e}"))?;
    let head = git_line(&root, &["rev-parse", "HEAD"])?;
    // Deleted files have nothing left to lint; renames are followed so that a moved file
    // shows only the lines that changed, as on GitHub.
    let patch = git(
        &root,
        &[
            "-c",
            "core.quotepath=off",
            "diff",
            "--no-color",
            "--no-ext-diff",
            // Whatever the user's `diff.noprefix` or `diff.mnemonicPrefix` say.
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "--find-renames",
            "--diff-filter=d",
            "--unified=3",
            &merge_base,
            "--",
        ],
    )?;
    let mut patches: BTreeMap<String, Option<String>> =
        split_patch(&String::from_utf8_lossy(&patch))
            .into_iter()
            .map(|(path, text)| (path, Some(text)))
            .collect();
    let mut files: BTreeMap<String, FileDiff> = patches
        .iter()
        .map(|(path, text)| (path.clone(), FileDiff::parse(text.as_deref().unwrap_or(""))))
        .collect();
    let untracked = git(&root, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    for path in untracked.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(path).into_owned();
        let lines = std::fs::read(root.join(&path))
            .map(|b| line_count(&b))
            .unwrap_or(0);
        files.insert(path.clone(), all_added(lines));
        patches.insert(path, None);
    }
    let uncommitted = !git(
        &root,
        &["status", "--porcelain", "--untracked-files=normal"],
    )?
    .is_empty();
    Ok(Changes {
        root,
        merge_base,
        head,
        files,
        patches,
        uncommitted,
    })
}

/// The files deleted since `commit` (committed or not), relative to the root.
pub fn deleted_since(root: &Path, commit: &str) -> Vec<String> {
    git(
        root,
        &[
            "diff",
            "--name-only",
            "--no-renames",
            "--diff-filter=D",
            "-z",
            commit,
        ],
    )
    .map(|out| {
        out.split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect()
    })
    .unwrap_or_default()
}

/// The content of `path` (relative to the root) at `commit`; `None` when it does not exist
/// there.
pub fn file_at(root: &Path, commit: &str, path: &str) -> Option<Vec<u8>> {
    git(root, &["show", &format!("{commit}:{path}")]).ok()
}

/// A new file's diff: one hunk, every line added.
fn all_added(lines: usize) -> FileDiff {
    FileDiff {
        hunks: if lines == 0 {
            Vec::new()
        } else {
            vec![Hunk {
                start: 1,
                end: lines,
            }]
        },
        added: (1..=lines).collect(),
    }
}

fn line_count(bytes: &[u8]) -> usize {
    let breaks = bytes.iter().filter(|b| **b == b'\n').count();
    breaks + usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n"))
}

/// A multi-file `git diff` -> each new-side path's hunks (the `@@` lines on). Binary files and
/// pure renames are kept with no hunks: changed, but with no line to comment on.
pub(crate) fn split_patch(patch: &str) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let mut finish = |current: Option<(String, String)>| {
        if let Some((path, text)) = current {
            files.insert(path, text);
        }
    };
    for line in patch.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            finish(current.take());
            // Until a `+++` line names it, the new path is the header's second half; this is
            // what a pure rename or a binary file leaves us.
            current = header_new_path(rest.trim_end()).map(|p| (p, String::new()));
            continue;
        }
        let Some((path, text)) = current.as_mut() else {
            continue;
        };
        if text.is_empty() {
            if let Some(name) = line.strip_prefix("+++ ") {
                let name = name.trim_end();
                if name.starts_with('"') {
                    *path = unquote(name);
                } else if let Some(p) = name.strip_prefix("b/") {
                    *path = p.to_string();
                }
                continue;
            }
            if let Some(name) = line.strip_prefix("rename to ") {
                *path = unquote(name.trim_end());
                continue;
            }
            if !line.starts_with("@@ ") {
                continue;
            }
        }
        text.push_str(line);
    }
    finish(current);
    files
}

/// `a/x.yaml b/x.yaml` -> `x.yaml` (unquoted paths without spaces; anything else waits for
/// the `+++` or `rename to` line).
fn header_new_path(rest: &str) -> Option<String> {
    let (_, new) = rest.rsplit_once(" b/")?;
    Some(unquote(new))
}

/// Git quotes paths with unusual characters in C style; `core.quotepath=off` leaves UTF-8
/// alone, so only the escapes git still uses are undone.
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return s.to_string();
    };
    let inner = inner.strip_prefix("b/").unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_file_patch_splits_by_new_path() {
        let patch = "diff --git a/app.yaml b/app.yaml\nindex 1..2 100644\n--- a/app.yaml\n+++ b/app.yaml\n@@ -1,3 +1,4 @@\n a\n+b\n c\n d\ndiff --git a/old.yaml b/new.yaml\nsimilarity index 90%\nrename from old.yaml\nrename to new.yaml\n--- a/old.yaml\n+++ b/new.yaml\n@@ -5 +5 @@\n-x\n+y\ndiff --git a/moved.yaml b/there/moved.yaml\nsimilarity index 100%\nrename from moved.yaml\nrename to there/moved.yaml\n";
        let files: BTreeMap<String, FileDiff> = split_patch(patch)
            .into_iter()
            .map(|(path, text)| (path, FileDiff::parse(&text)))
            .collect();
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            vec!["app.yaml", "new.yaml", "there/moved.yaml"]
        );
        assert_eq!(
            files["app.yaml"].added.iter().copied().collect::<Vec<_>>(),
            vec![2]
        );
        assert_eq!(
            files["new.yaml"].added.iter().copied().collect::<Vec<_>>(),
            vec![5]
        );
        assert!(files["there/moved.yaml"].added.is_empty());
    }

    #[test]
    fn quoted_paths_are_unquoted() {
        assert_eq!(unquote("\"b/with\\ttab.yaml\""), "with\ttab.yaml");
        assert_eq!(unquote("plain.yaml"), "plain.yaml");
    }

    #[test]
    fn lines_are_counted_with_or_without_a_final_break() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a\nb\n"), 2);
        assert_eq!(line_count(b"a\nb"), 2);
    }
}
