//! Which namespace an object lands in when it is applied.
//!
//! In order: `metadata.namespace`; the `namespace:` of a `kustomization.yaml` in the object's
//! directory or the nearest parent directory (among the files given, as kustomize would set
//! it); the `namespace:` of the first rollout rule whose `paths` match the file; `default`.
//! A rollout rule can only name a namespace through its own `namespace:` key: a rule that
//! selects by `namespaces` globs cannot say which of them an object belongs to.
//! A `Namespace` object is in its own namespace.

use serde::Serialize;
use std::collections::BTreeMap;

use crate::config::Config;
use crate::engine::LintResult;
use crate::manifest::{Limits, SourceText, parse_stream};

const KUSTOMIZATION_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// How the namespace of an object was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NamespaceSource {
    Metadata,
    /// The object is a `Namespace`.
    Namespace,
    Kustomization {
        file: String,
    },
    RolloutRule {
        index: usize,
    },
    Default,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedNamespace {
    pub name: String,
    pub source: NamespaceSource,
}

/// Namespaces set by kustomizations, and how file paths map to repository paths.
#[derive(Debug, Clone, Default)]
pub struct NamespaceResolver {
    /// Directory (repository path, `""` for the root) → namespace.
    kustomize: BTreeMap<String, (String, String)>,
    /// Stripped from file paths before matching rollout globs and kustomization directories,
    /// e.g. `fixtures/rollout/` when the CLI scans a repository below the working directory.
    prefix: String,
}

impl NamespaceResolver {
    /// From the files of the repository (path, text): every kustomization file among them.
    /// Unreadable kustomizations are skipped; the engine reports them as files.
    pub fn new<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>, prefix: &str) -> Self {
        let mut r = Self {
            kustomize: BTreeMap::new(),
            prefix: prefix.to_string(),
        };
        for (path, text) in files {
            let repo_path = r.repo_path(path).to_string();
            let (dir, name) = split_dir(&repo_path);
            if !KUSTOMIZATION_NAMES.contains(&name) {
                continue;
            }
            if let Some(ns) = kustomization_namespace(text) {
                r.kustomize.insert(dir.to_string(), (ns, path.to_string()));
            }
        }
        r
    }

    /// From the files of a lint run.
    pub fn from_lint(result: &LintResult, prefix: &str) -> Self {
        Self::new(
            result
                .files
                .iter()
                .map(|f| (f.path.as_str(), f.source.text())),
            prefix,
        )
    }

    /// [`Self::from_lint`] plus kustomization files that were not linted (`(path, text)`:
    /// the App and `check --base` fetch the ones above the changed manifests).
    pub fn from_lint_and_kustomizations(
        result: &LintResult,
        kustomizations: &[(String, String)],
    ) -> Self {
        Self::new(
            result
                .files
                .iter()
                .map(|f| (f.path.as_str(), f.source.text()))
                .chain(kustomizations.iter().map(|(p, t)| (p.as_str(), t.as_str()))),
            "",
        )
    }

    /// The path relative to the repository root.
    pub fn repo_path<'p>(&self, path: &'p str) -> &'p str {
        path.strip_prefix(self.prefix.as_str()).unwrap_or(path)
    }

    pub fn resolve(
        &self,
        metadata_namespace: Option<&str>,
        kind: &str,
        name: &str,
        path: &str,
        config: &Config,
    ) -> ResolvedNamespace {
        let found = |name: &str, source| ResolvedNamespace {
            name: name.to_string(),
            source,
        };
        if kind == "Namespace" && !name.is_empty() {
            return found(name, NamespaceSource::Namespace);
        }
        if let Some(ns) = metadata_namespace.filter(|n| !n.is_empty()) {
            return found(ns, NamespaceSource::Metadata);
        }
        let repo_path = self.repo_path(path);
        let mut dir = split_dir(repo_path).0;
        loop {
            if let Some((ns, file)) = self.kustomize.get(dir) {
                return found(ns, NamespaceSource::Kustomization { file: file.clone() });
            }
            if dir.is_empty() {
                break;
            }
            dir = split_dir(dir).0;
        }
        for rule in &config.rollout {
            if let Some(ns) = &rule.namespace
                && rule.matches_path(repo_path)
            {
                return found(ns, NamespaceSource::RolloutRule { index: rule.index });
            }
        }
        found("default", NamespaceSource::Default)
    }
}

/// (`a/b`, `c.yaml`) for `a/b/c.yaml`; (``, `c.yaml`) for `c.yaml`.
fn split_dir(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

fn kustomization_namespace(text: &str) -> Option<String> {
    let source = SourceText::new(text);
    let (tree, docs) = parse_stream(&source, &Limits::default()).ok()?;
    let root = docs.first()?.root;
    let ns = tree.as_str(tree.get(root, "namespace")?)?;
    (!ns.is_empty()).then(|| ns.to_string())
}
