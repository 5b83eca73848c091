//! The files under a directory that `check` reads: what `ignore::WalkBuilder` yields with
//! `hidden(true)`, `git_ignore(true)` and `require_git(false)` (ripgrep's rules: hidden
//! entries skipped, `.ignore`, `.gitignore`, `.git/info/exclude` and the global excludes file
//! honoured in every directory and in the directories above the walk), found with one listing
//! per directory.
//!
//! Why not `ignore`'s own walker: its sequential walker looks each of `.ignore`, `.gitignore`
//! and `.git` up by name in every directory, and in a repository of manifests nearly every
//! look-up fails (2,145 of the 2,459 `statx` of a 300-file `check`, most of its 3-4 ms walk).
//! Its parallel walker reads the names from the listing instead, but its idle workers sleep a
//! millisecond at a time: slower on small trees. Here the listing says which of those files
//! exist, and only those are read. The rules themselves are `ignore`'s: each file is compiled
//! by its `GitignoreBuilder` and matched by its `Gitignore`, and this module only decides which
//! matchers a path is held to, in `ignore`'s order (`ignore::dir::Ignore::matched_ignore`,
//! 0.4): the nearest directory's match wins, `.ignore` before `.gitignore` before
//! `.git/info/exclude` (searched the same way), then the global excludes file; a path no rule
//! matches is skipped when its name starts with a dot. `tests::walks_as_ignore_walks` holds
//! the two walks to the same files on generated trees.
//!
//! The listings also answer later questions about the walked directories: [`Listings`] keeps
//! which entries named like a kustomization each listed directory has (ignored or not), so
//! `check` finds the overlays among its files without three failing look-ups per directory.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::render::FileSource;

/// The rules of one directory that has at least one ignore file.
struct DirRules {
    ignore: Gitignore,
    git_ignore: Gitignore,
    git_exclude: Gitignore,
}

/// The rules in force in a directory: its own (if any) and those of the directories above,
/// nearest first. Directories without ignore files add no link.
struct Chain {
    rules: Arc<DirRules>,
    up: Option<Arc<Chain>>,
}

/// What the rules say of a path.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Verdict {
    None,
    Ignore,
    Whitelist,
}

fn verdict<T>(m: ignore::Match<T>) -> Verdict {
    match m {
        ignore::Match::None => Verdict::None,
        ignore::Match::Ignore(_) => Verdict::Ignore,
        ignore::Match::Whitelist(_) => Verdict::Whitelist,
    }
}

impl DirRules {
    /// Compiles the ignore files `dir` has (as its listing says). `None` when it has none.
    fn read(dir: &Path, has_ignore: bool, has_git_ignore: bool, has_git: bool) -> Option<Self> {
        if !has_ignore && !has_git_ignore && !has_git {
            return None;
        }
        let rules = DirRules {
            ignore: if has_ignore {
                compile(dir, &dir.join(".ignore"))
            } else {
                Gitignore::empty()
            },
            git_ignore: if has_git_ignore {
                compile(dir, &dir.join(".gitignore"))
            } else {
                Gitignore::empty()
            },
            git_exclude: match has_git.then(|| git_common_dir(dir)).flatten() {
                Some(git_dir) => compile(dir, &git_dir.join("info/exclude")),
                None => Gitignore::empty(),
            },
        };
        let empty =
            rules.ignore.is_empty() && rules.git_ignore.is_empty() && rules.git_exclude.is_empty();
        (!empty).then_some(rules)
    }

    /// The rules of a directory above the walk, found by looking the names up.
    fn read_by_name(dir: &Path) -> Option<Self> {
        Self::read(
            dir,
            dir.join(".ignore").exists(),
            dir.join(".gitignore").exists(),
            dir.join(".git").exists(),
        )
    }
}

/// One ignore file compiled as `ignore` compiles it: unreadable or broken files (and lines)
/// are left out, as `ignore` leaves them out.
fn compile(dir: &Path, file: &Path) -> Gitignore {
    let mut builder = GitignoreBuilder::new(dir);
    if file.exists() {
        let _ = builder.add(file);
    }
    builder.build().unwrap_or_else(|_| {
        GitignoreBuilder::new(dir)
            .build()
            .unwrap_or(Gitignore::empty())
    })
}

/// The directory holding `info/exclude` for the repository whose `.git` is in `dir`: `.git`
/// itself, or for a worktree (a `.git` file: `gitdir: PATH`) the common directory its
/// `commondir` file names. `None` when `.git` is neither.
fn git_common_dir(dir: &Path) -> Option<PathBuf> {
    let dot_git = dir.join(".git");
    let meta = std::fs::metadata(&dot_git).ok()?;
    if !meta.is_file() {
        return Some(dot_git);
    }
    let text = std::fs::read_to_string(&dot_git).ok()?;
    let real = PathBuf::from(text.lines().next()?.strip_prefix("gitdir: ")?);
    let common = std::fs::read_to_string(real.join("commondir")).ok()?;
    let line = common.lines().next()?;
    Some(if line.starts_with('.') {
        real.join(line)
    } else {
        PathBuf::from(line)
    })
}

/// The rules that hold for every path of one walk besides its own directories'.
struct Outer {
    /// The canonical walk root and the rules of the directories above it, nearest first
    /// (empty when none has any).
    root: Option<PathBuf>,
    parents: Vec<DirRules>,
    global: Gitignore,
    /// The walk root as given, which paths in the walk start with.
    given: PathBuf,
}

impl Outer {
    fn new(root: &Path) -> Outer {
        let canonical = root.canonicalize().ok();
        let parents: Vec<DirRules> = canonical
            .as_deref()
            .map(|c| {
                c.ancestors()
                    .skip(1)
                    .filter_map(DirRules::read_by_name)
                    .collect()
            })
            .unwrap_or_default();
        // The global excludes file (`core.excludesFile`, else `$XDG_CONFIG_HOME/git/ignore`),
        // relative to the working directory, as `ignore` reads it.
        let global = match std::env::current_dir() {
            Ok(cwd) => GitignoreBuilder::new(cwd).build_global().0,
            Err(_) => Gitignore::empty(),
        };
        Outer {
            root: canonical,
            parents,
            global,
            given: root.to_path_buf(),
        }
    }

    /// `ignore`'s verdict on `path` (a path of this walk) under `chain`.
    fn verdict(&self, chain: Option<&Arc<Chain>>, path: &Path, is_dir: bool) -> Verdict {
        let path = path.strip_prefix("./").unwrap_or(path);
        let (mut ignore, mut git_ignore, mut git_exclude) =
            (Verdict::None, Verdict::None, Verdict::None);
        let mut take = |rules: &DirRules, path: &Path| {
            if ignore == Verdict::None {
                ignore = verdict(rules.ignore.matched(path, is_dir));
            }
            if git_ignore == Verdict::None {
                git_ignore = verdict(rules.git_ignore.matched(path, is_dir));
            }
            if git_exclude == Verdict::None {
                git_exclude = verdict(rules.git_exclude.matched(path, is_dir));
            }
        };
        let mut link = chain;
        while let Some(c) = link {
            take(&c.rules, path);
            link = c.up.as_ref();
        }
        if let (Some(root), false) = (&self.root, self.parents.is_empty()) {
            // Matched as an absolute path under the canonical root, as `ignore` does.
            let given = self.given.strip_prefix("./").unwrap_or(&self.given);
            let relative = if given == Path::new(".") {
                path
            } else {
                let rest = path.strip_prefix(given).unwrap_or(path);
                rest.strip_prefix("/").unwrap_or(rest)
            };
            let absolute = root.join(relative);
            for rules in &self.parents {
                take(rules, &absolute);
            }
        }
        [
            ignore,
            git_ignore,
            git_exclude,
            verdict(self.global.matched(path, is_dir)),
        ]
        .into_iter()
        .find(|v| *v != Verdict::None)
        .unwrap_or(Verdict::None)
    }
}

/// What walks saw of the directories they listed, beyond the files they yield: for each
/// listed directory, its entries with one of the names the walk was asked to note (whatever
/// the ignore rules say of them). A file source over the disk answers `is_file` of such
/// names from here ([`Listings::over`]).
#[derive(Debug, Default)]
pub(crate) struct Listings {
    /// The names to note (none by default).
    names: &'static [&'static str],
    /// Listed directories (lexically normalised, see [`Listings::key`]) and their noted
    /// entries' names (the names asked for in any case), each with true when it is a regular
    /// file (false: a directory, a symbolic link or anything else, asked of the disk again).
    dirs: HashMap<PathBuf, Vec<(String, bool)>>,
}

impl Listings {
    /// Listings that note the entries with these names (in any case).
    pub(crate) fn noting(names: &'static [&'static str]) -> Self {
        Listings {
            names,
            dirs: HashMap::new(),
        }
    }

    /// The key of a walked directory: its path with `.` components left out, as
    /// `render::normalize_path` leaves them out of the paths asked about later. `None` for a
    /// path with `..`, where lexical and real paths can part (a symbolic link before the
    /// `..`): such directories are not recorded and the disk is asked.
    fn key(dir: &Path) -> Option<PathBuf> {
        if dir.components().any(|c| c == Component::ParentDir) {
            return None;
        }
        Some(crate::render::normalize_path(dir))
    }

    fn record(&mut self, dir: &Path, noted: Vec<(String, bool)>) {
        if let Some(key) = Self::key(dir) {
            self.dirs.insert(key, noted);
        }
    }

    /// Whether the walks listed `path`'s directory and `path`'s name was one to note: then
    /// whether it is a regular file there (`None` when the listing cannot tell).
    fn is_file(&self, path: &Path) -> Option<bool> {
        let name = path.file_name()?.to_str()?;
        if !self.names.contains(&name) {
            return None;
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let noted = self.dirs.get(&Self::key(dir)?)?;
        match noted.iter().find(|(n, _)| n == name) {
            // Not a regular file in the listing: a link is followed by asking the disk.
            Some((_, false)) => None,
            Some((_, true)) => Some(true),
            // A name that differs only in case is the same file on a case-insensitive file
            // system (macOS, Windows): the disk knows which kind this one is.
            None if noted.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) => None,
            None => Some(false),
        }
    }

    /// `base` with `is_file` of noted names in listed directories answered from the
    /// listings; every other question goes to `base`.
    pub(crate) fn over<'a>(&'a self, base: &'a dyn FileSource) -> Listed<'a> {
        Listed {
            listings: self,
            base,
        }
    }
}

/// A file source that asks [`Listings`] before the disk (see [`Listings::over`]).
pub(crate) struct Listed<'a> {
    listings: &'a Listings,
    base: &'a dyn FileSource,
}

impl FileSource for Listed<'_> {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.base.read(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.base.is_dir(path)
    }
    fn is_file(&self, path: &Path) -> bool {
        self.listings
            .is_file(path)
            .unwrap_or_else(|| self.base.is_file(path))
    }
    fn list(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        self.base.list(dir)
    }
}

/// The files under the directory `root` whose names `wanted` accepts, as `ignore`'s walker
/// with ripgrep's rules finds them, in no particular order. Fails on a directory that cannot
/// be listed. Each listed directory's entries with the names `listings` notes go into it.
pub(crate) fn files_under(
    root: &Path,
    wanted: impl Fn(&Path) -> bool,
    listings: &mut Listings,
) -> Result<Vec<PathBuf>, String> {
    let outer = Outer::new(root);
    let mut found = Vec::new();
    let mut pending: Vec<(PathBuf, Option<Arc<Chain>>)> = vec![(root.to_path_buf(), None)];
    while let Some((dir, chain)) = pending.pop() {
        let listing = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut entries: Vec<(PathBuf, std::fs::FileType)> = Vec::new();
        let (mut has_ignore, mut has_git_ignore, mut has_git) = (false, false, false);
        let mut noted_here: Vec<(String, bool)> = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let name = entry.file_name();
            match name.to_str() {
                Some(".ignore") => has_ignore = true,
                Some(".gitignore") => has_git_ignore = true,
                Some(".git") => has_git = true,
                _ => {}
            }
            let file_type = entry
                .file_type()
                .map_err(|e| format!("{}: {e}", entry.path().display()))?;
            if let Some(n) = name
                .to_str()
                .filter(|n| listings.names.iter().any(|m| m.eq_ignore_ascii_case(n)))
            {
                noted_here.push((n.to_string(), file_type.is_file()));
            }
            entries.push((entry.path(), file_type));
        }
        listings.record(&dir, noted_here);
        let chain = match DirRules::read(&dir, has_ignore, has_git_ignore, has_git) {
            Some(rules) => Some(Arc::new(Chain {
                rules: Arc::new(rules),
                up: chain,
            })),
            None => chain,
        };
        for (path, file_type) in entries {
            // Symbolic links are not followed, as `ignore` does by default.
            let is_dir = file_type.is_dir();
            let wanted_file = file_type.is_file() && wanted(&path);
            if !is_dir && !wanted_file {
                continue;
            }
            let skip = match outer.verdict(chain.as_ref(), &path, is_dir) {
                Verdict::Ignore => true,
                Verdict::Whitelist => false,
                Verdict::None => path
                    .file_name()
                    .is_some_and(|n| n.as_encoded_bytes().starts_with(b".")),
            };
            if skip {
                continue;
            }
            if is_dir {
                pending.push((path, chain.clone()));
            } else {
                found.push(path);
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
