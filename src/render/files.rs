//! Where a renderer reads files from. The CLI reads the disk; the App will read a commit's tree
//! and blobs. Paths are lexical: `a/b/../c` is `a/c`, nothing follows symlinks.

use std::path::{Component, Path, PathBuf};

/// Read-only access to a tree of files.
pub trait FileSource: Sync {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;
    fn is_dir(&self, path: &Path) -> bool;
    fn is_file(&self, path: &Path) -> bool;
    /// Names of the entries of a directory (files and directories), for renderers that must
    /// find files nobody named (a Helm chart's `templates/`, `charts/`, `crds/`). Sources
    /// that cannot list say so.
    fn list(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        let _ = dir;
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this file source cannot list directories",
        ))
    }
}

/// The local disk.
pub struct Disk;

impl FileSource for Disk {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
    fn list(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }
}

/// `a/./b/../c` → `a/c`; leading `..` are kept; an empty result is `.`.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// True when `path` is `dir` or below it (both normalized).
pub fn is_within(path: &Path, dir: &Path) -> bool {
    dir == Path::new(".") && !path.starts_with("..") && !path.is_absolute() || path.starts_with(dir)
}

/// Shows a path the way users write it (forward slashes).
pub fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
