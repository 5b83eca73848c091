//! Files of a repository on disk that the rollout policy needs besides the manifests being
//! checked: the kustomizations whose `namespace:` applies to them. Read by the command line
//! (`check --base`) and the language server; the engine itself never reads the disk.

use std::path::Path;

/// Kustomization file names, in the order kustomize looks for them.
const KUSTOMIZATION_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The kustomization files (repository path, text) in the directories of `paths` (relative to
/// `root`) and their parents up to the root: an object without a namespace is deployed to
/// the nearest one's `namespace:`.
pub(crate) fn kustomizations_for<'a>(
    root: &Path,
    paths: impl IntoIterator<Item = &'a str>,
) -> Vec<(String, String)> {
    let mut dirs: Vec<String> = Vec::new();
    for path in paths {
        let mut dir = path;
        while let Some((parent, _)) = dir.rsplit_once('/') {
            dirs.push(parent.to_string());
            dir = parent;
        }
        dirs.push(String::new());
    }
    dirs.sort();
    dirs.dedup();
    let mut found = Vec::new();
    for dir in dirs {
        for name in KUSTOMIZATION_NAMES {
            let path = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            if let Ok(text) = std::fs::read_to_string(root.join(&path)) {
                found.push((path, text));
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kustomizations_of_a_file_and_its_parents_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("apps/shop")).unwrap();
        std::fs::write(root.join("kustomization.yaml"), "namespace: top\n").unwrap();
        std::fs::write(root.join("apps/shop/Kustomization"), "namespace: shop\n").unwrap();
        std::fs::write(root.join("other.yaml"), "").unwrap();
        let found = kustomizations_for(root, ["apps/shop/web.yaml"]);
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["kustomization.yaml", "apps/shop/Kustomization"]);
    }
}
