//! `check` on Kustomize overlays: the kustomizations among the scanned files that no other one
//! includes (the entry points, `overlays/dev`, `overlays/prod`) are built, and what they build
//! is linted instead of the files they read. A patch is never judged alone; a base is judged as
//! each overlay makes it.
//!
//! Rules stay unaware of rendering: each build is printed to YAML text and linted by the engine
//! like any file (named after the entry point's kustomization file, so the rollout policy's
//! `paths` rules and its namespace resolution see the entry point). Only then, after the
//! rollout policy has judged every finding per overlay, [`Overlays::place`] moves each finding
//! to its origin: the node at the finding's field path in the built object (or, for an absent
//! field, its nearest existing parent) carries an [`Origin`], the base or patch line that wrote
//! it. A finding that several overlays share (same rule, same origin, same field) is reported
//! once and names the overlays it affects. A fix is moved the same way, realised on the origin
//! file, and kept only when rebuilding and re-linting the entry points that read the file shows
//! the finding gone.
//!
//! This layer reads files only through a [`FileSource`]; it never touches the network or the
//! clock. Build failures are errors at the kustomization line that caused them, and the rest
//! of the check goes on.

mod place;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::engine::{FixRun, FixedFile, LintOptions, LintResult, MAX_FIX_PASSES};
use crate::manifest::{Limits, ReadError};
use crate::render::{
    self, Build, BuildLimits, FileSource, KUSTOMIZATION_FILE_NAMES, Origin,
    to_yaml_stream_with_origins,
};

/// What an entry point is: a kustomization that nothing includes, or a Helm chart that is not
/// another chart's subchart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Kustomization,
    Chart,
}

/// The Kubernetes version charts are rendered for in `check` (`.Capabilities.KubeVersion`):
/// a current one, so that charts choose today's API versions rather than those of Helm's
/// offline default (v1.20).
pub const CHART_KUBE_VERSION: &str = "v1.34.0";

/// One entry point, built.
#[derive(Debug)]
pub struct Built {
    pub kind: EntryKind,
    /// For a chart, the values files of this values set, relative to the chart (none: the
    /// chart's defaults).
    pub values: Vec<String>,
    /// The entry point's directory as the user wrote it: `overlays/prod`.
    pub dir: String,
    /// The name the built text is linted under: the entry point's kustomization file, so that
    /// rollout `paths` rules match the entry point.
    pub path: String,
    pub build: Build,
    /// The printed build: what the engine lints.
    pub text: String,
    /// The origin of each printed line (index 0 is line 1), for errors the engine reports on
    /// the built text.
    pub line_origins: Vec<Origin>,
}

impl Built {
    /// The chart's directory (`dir` without the values set's name).
    fn chart_dir(&self) -> &str {
        match self.dir.split_once(" (") {
            Some((d, _)) if !self.values.is_empty() => d,
            _ => &self.dir,
        }
    }

    fn reads(&self, path: &str) -> bool {
        self.build.files.iter().any(|(_, p, _)| p == path)
    }
}

/// The builds of a scan.
#[derive(Debug, Default)]
pub struct Overlays {
    pub built: Vec<Built>,
    /// Builds that failed, at the line that caused it.
    pub errors: Vec<ReadError>,
    /// What a build could not check ("not checked: remote base …"), prefixed by its entry
    /// point.
    pub notes: Vec<String>,
    /// Every file a successful build read (resources, patches, kustomizations): linted only as
    /// part of what the builds produce.
    pub consumed: BTreeSet<String>,
}

impl Overlays {
    /// Finds the kustomizations among `paths` (the scanned files), picks the entry points and
    /// builds each, reading through `fs`.
    pub fn build(fs: &dyn FileSource, paths: &[&str], options: &LintOptions) -> Overlays {
        let dirs = kustomization_dirs(fs, paths);
        let charts = chart_roots(paths);
        let mut overlays = if dirs.is_empty() {
            Overlays::default()
        } else {
            Overlays::build_entries(fs, &render::entry_points(fs, &dirs), &options.limits)
        };
        let sets: Vec<(String, Vec<String>)> = charts
            .iter()
            .flat_map(|dir| {
                values_sets(dir, paths, &options.chart_values)
                    .into_iter()
                    .map(move |set| (dir.clone(), set))
            })
            .collect();
        if !sets.is_empty() {
            overlays.add(
                sets.par_iter()
                    .map(|(dir, values)| render_one(fs, dir, values))
                    .collect(),
            );
        }
        overlays
    }

    /// Builds the entry points `entries` (kustomization directories), reading through `fs`.
    pub fn build_entries(fs: &dyn FileSource, entries: &[PathBuf], limits: &Limits) -> Overlays {
        let build_limits = BuildLimits {
            file: limits.clone(),
            ..BuildLimits::default()
        };
        let outcomes: Vec<_> = entries
            .par_iter()
            .map(|dir| build_one(fs, dir, &build_limits))
            .collect();
        let mut overlays = Overlays::default();
        overlays.add(outcomes);
        overlays
    }

    fn add(&mut self, outcomes: Vec<Result<Built, ReadError>>) {
        let overlays = self;
        for outcome in outcomes {
            match outcome {
                Ok(built) => {
                    overlays
                        .consumed
                        .extend(built.build.files.iter().map(|(_, p, _)| p.to_string()));
                    overlays.notes.extend(
                        built
                            .build
                            .notes
                            .iter()
                            .map(|n| format!("{}: {n}", built.dir)),
                    );
                    overlays.built.push(built);
                }
                Err(e) => overlays.errors.push(e),
            }
        }
    }

    /// Keeps the builds that read one of `paths` (and the failures of entry points at or
    /// above one of them): what a change to those files affects.
    pub fn retain_reading(&mut self, paths: &BTreeSet<String>) {
        self.built
            .retain(|b| b.build.files.iter().any(|(_, p, _)| paths.contains(p)));
        self.errors.retain(|e| {
            paths.contains(&e.file)
                || paths.iter().any(|p| {
                    let dir = e.file.rsplit_once('/').map_or("", |(d, _)| d);
                    dir.is_empty() || p.starts_with(&format!("{dir}/"))
                })
        });
        self.consumed = self
            .built
            .iter()
            .flat_map(|b| b.build.files.iter().map(|(_, p, _)| p.to_string()))
            .collect();
        let dirs: Vec<String> = self.built.iter().map(|b| format!("{}: ", b.dir)).collect();
        self.notes
            .retain(|n| dirs.iter().any(|d| n.starts_with(d.as_str())));
    }

    /// Lints `inputs` with these builds: files a build read are replaced by the builds'
    /// output (see [`lint`]).
    pub fn lint_inputs(&self, inputs: Vec<(String, Vec<u8>)>, options: &LintOptions) -> LintResult {
        self.with_inputs(inputs, options, crate::engine::lint)
    }

    /// [`Overlays::lint_inputs`] without the lint: the files read, for a caller that lints
    /// them in batches (`crate::engine::lint_in_order`).
    pub fn read_inputs(&self, inputs: Vec<(String, Vec<u8>)>, options: &LintOptions) -> LintResult {
        self.with_inputs(inputs, options, crate::engine::read)
    }

    fn with_inputs(
        &self,
        inputs: Vec<(String, Vec<u8>)>,
        options: &LintOptions,
        run: fn(&[crate::engine::Input], &LintOptions) -> LintResult,
    ) -> LintResult {
        let mut all: Vec<(String, Vec<u8>)> = inputs
            .into_iter()
            .filter(|(p, _)| !self.consumed.contains(p))
            .collect();
        all.extend(
            self.built
                .iter()
                .map(|b| (b.path.clone(), b.text.as_bytes().to_vec())),
        );
        let mut result = run(&all, options);
        result.errors.extend(self.errors.iter().cloned());
        result
    }

    /// The entry point directories built, in scan order.
    pub fn dirs(&self) -> Vec<&str> {
        self.built.iter().map(|b| b.dir.as_str()).collect()
    }

    fn by_path(&self, path: &str) -> Option<usize> {
        self.built.iter().position(|b| b.path == path)
    }
}

/// Builds the entry point `dir` and prints it, or says why it could not.
fn build_one(fs: &dyn FileSource, dir: &Path, limits: &BuildLimits) -> Result<Built, ReadError> {
    let shown = render::display_path(dir);
    let build = render::build_kustomization(fs, dir, limits).map_err(|e| ReadError {
        file: if e.file.is_empty() {
            shown.clone()
        } else {
            e.file
        },
        line: e.line,
        column: 0,
        message: format!("cannot build {shown}: {}", e.message),
    })?;
    let (text, line_origins) = to_yaml_stream_with_origins(&build.objects);
    let path = build
        .kustomizations
        .first()
        .cloned()
        .unwrap_or_else(|| format!("{shown}/kustomization.yaml"));
    if text.len() > limits.max_output_bytes {
        return Err(ReadError {
            file: path,
            line: 0,
            column: 0,
            message: format!(
                "cannot build {shown}: the build is {} MiB, above the {} MiB output limit",
                text.len() / (1024 * 1024),
                limits.max_output_bytes / (1024 * 1024)
            ),
        });
    }
    Ok(Built {
        kind: EntryKind::Kustomization,
        values: Vec::new(),
        dir: shown,
        path,
        build,
        text,
        line_origins,
    })
}

/// The folders of the `Chart.yaml` files among `paths` that are not a subchart (under another
/// of them, in its `charts/` folder): what `helm template` would be run on.
fn chart_roots(paths: &[&str]) -> Vec<String> {
    let dirs: Vec<&str> = paths
        .iter()
        .filter_map(|p| {
            let dir = p.strip_suffix("Chart.yaml")?;
            (dir.is_empty() || dir.ends_with('/')).then(|| dir.trim_end_matches('/'))
        })
        .collect();
    dirs.iter()
        .filter(|d| {
            !dirs.iter().any(|other| {
                other != *d
                    && d.starts_with(&format!(
                        "{}{}charts/",
                        other,
                        if other.is_empty() { "" } else { "/" }
                    ))
            })
        })
        .map(|d| {
            if d.is_empty() {
                ".".to_string()
            } else {
                d.to_string()
            }
        })
        .collect()
}

/// The values sets a chart is rendered with: its defaults, each file the configuration
/// names for it (`helm: { charts/web: { values: [values-prod.yaml] } }`, matched against the
/// chart's directory or its end), and each of chart-testing's `ci/*-values.yaml` among the
/// scanned files. Values files are relative to the chart.
fn values_sets(
    dir: &str,
    paths: &[&str],
    configured: &std::collections::BTreeMap<String, Vec<String>>,
) -> Vec<Vec<String>> {
    let mut sets: Vec<Vec<String>> = vec![Vec::new()];
    for (chart, files) in configured {
        let matches = dir == chart || dir.ends_with(&format!("/{chart}"));
        if matches {
            sets.extend(files.iter().map(|f| vec![f.clone()]));
        }
    }
    let ci = if dir == "." {
        "ci/".to_string()
    } else {
        format!("{dir}/ci/")
    };
    for p in paths {
        if let Some(name) = p.strip_prefix(&ci)
            && !name.contains('/')
            && name.ends_with("-values.yaml")
        {
            let rel = format!("ci/{name}");
            if !sets.iter().any(|s| s.first() == Some(&rel)) {
                sets.push(vec![rel]);
            }
        }
    }
    sets
}

/// Renders the chart in `dir` with `values` (files relative to the chart) over its defaults,
/// as `helm template` does, for a current Kubernetes version; a template that fails is an
/// error naming its line.
fn render_chart(fs: &dyn FileSource, dir: &Path, values: &[String]) -> Result<Build, String> {
    let options = render::ChartOptions {
        kube_version: Some(CHART_KUBE_VERSION.to_string()),
        values_files: values.iter().map(|v| dir.join(v)).collect(),
        ..render::ChartOptions::default()
    };
    let rendered = render::render_chart(fs, dir, &options).map_err(|e| e.to_string())?;
    let shown = render::display_path(dir);
    Ok(Build {
        objects: rendered.documents.into_iter().map(|d| d.object).collect(),
        files: rendered.files,
        notes: rendered.notes,
        kustomizations: vec![chart_file(&shown)],
        patch_files: Vec::new(),
    })
}

fn chart_file(shown: &str) -> String {
    if shown.is_empty() || shown == "." {
        "Chart.yaml".to_string()
    } else {
        format!("{shown}/Chart.yaml")
    }
}

/// Renders the chart in `dir` with one values set and prints it, or says why it could not.
/// A values set other than the defaults is named `dir (values-prod.yaml)` and linted under
/// its values file's path (each build needs a name of its own).
fn render_one(fs: &dyn FileSource, dir: &str, values: &[String]) -> Result<Built, ReadError> {
    let (label, path) = match values.first() {
        None => (dir.to_string(), chart_file(dir)),
        Some(first) => (
            format!("{dir} ({})", values.join(", ")),
            if dir == "." {
                first.clone()
            } else {
                format!("{dir}/{first}")
            },
        ),
    };
    let build = render_chart(fs, Path::new(dir), values).map_err(|message| {
        // At the template line Helm's message names, when it names one of this chart's files.
        let (file, line, column) = template_position(&message)
            .map(|(rel, line, column)| {
                let file = if dir == "." {
                    rel.to_string()
                } else {
                    format!("{dir}/{rel}")
                };
                (file, line, column)
            })
            .filter(|(file, _, _)| fs.is_file(Path::new(file)))
            .unwrap_or_else(|| (path.clone(), 0, 0));
        ReadError {
            file,
            line,
            column,
            message: format!("cannot render the chart {label}: {message}"),
        }
    })?;
    let (text, line_origins) = to_yaml_stream_with_origins(&build.objects);
    Ok(Built {
        kind: EntryKind::Chart,
        values: values.to_vec(),
        dir: label,
        path,
        build,
        text,
        line_origins,
    })
}

/// The first `chart/templates/x.yaml:LINE[:COL]` in a Helm error message, as (the path relative
/// to the chart, line, column): `broken/templates/pod.yaml:8:16` → (`templates/pod.yaml`, 8, 16).
fn template_position(message: &str) -> Option<(&str, usize, usize)> {
    message
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '"')
        .find_map(|token| {
            let (name, rest) = token.split_once('/')?;
            if name.is_empty() || !rest.contains("templates/") {
                return None;
            }
            let mut parts = rest.split(':');
            let rel = parts.next()?;
            let line: usize = parts.next()?.parse().ok()?;
            let column: usize = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
            Some((rel, line, column))
        })
}

/// Builds `built`'s entry point again through `fs` (a fix being verified): the objects.
fn rebuild(
    fs: &dyn FileSource,
    built: &Built,
    limits: &crate::render::BuildLimits,
) -> Option<Vec<render::Node>> {
    match built.kind {
        EntryKind::Kustomization => {
            render::build_kustomization(fs, &PathBuf::from(&built.dir), limits)
                .ok()
                .map(|b| b.objects)
        }
        EntryKind::Chart => render_chart(fs, Path::new(built.chart_dir()), &built.values)
            .ok()
            .map(|b| b.objects),
    }
}

/// Directories of the scanned files that hold a kustomization (including a `Kustomization`
/// file, which a walk for `*.yaml` does not list).
fn kustomization_dirs(fs: &dyn FileSource, paths: &[&str]) -> Vec<PathBuf> {
    let dirs: BTreeSet<PathBuf> = paths
        .iter()
        .map(|p| match Path::new(p).parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        })
        .collect();
    // Three failed look-ups per directory of a repository without kustomizations (9,000 for
    // the 3,000-file benchmark corpus): made on all cores. The order stays the set's.
    dirs.into_par_iter()
        .filter(|d| {
            KUSTOMIZATION_FILE_NAMES
                .iter()
                .any(|n| fs.is_file(&render::normalize_path(&d.join(n))))
        })
        .collect()
}

/// Lints `inputs` (the scanned files) with the overlays among them built: files a build read
/// are replaced by the builds' output. The findings are still on the built text (so the
/// rollout policy can judge them per entry point); [`Overlays::place`] moves them to their
/// origins.
pub fn lint(
    fs: &dyn FileSource,
    inputs: Vec<(String, Vec<u8>)>,
    options: &LintOptions,
) -> (LintResult, Overlays) {
    let (result, overlays) = read(fs, inputs, options);
    (crate::engine::lint_read(result, options), overlays)
}

/// [`lint`] without the lint: the files read with the overlays among them built, for a
/// caller that lints them itself (in batches: `crate::engine::lint_in_order`, or whole:
/// `crate::engine::lint_read`).
pub fn read(
    fs: &dyn FileSource,
    inputs: Vec<(String, Vec<u8>)>,
    options: &LintOptions,
) -> (LintResult, Overlays) {
    let paths: Vec<&str> = inputs.iter().map(|(p, _)| p.as_str()).collect();
    let overlays = Overlays::build(fs, &paths, options);
    let result = overlays.read_inputs(inputs, options);
    (result, overlays)
}

/// A file source with some files replaced in memory: what `--fix` and fix verification
/// rebuild from.
pub struct Edited<'a> {
    base: &'a dyn FileSource,
    files: HashMap<PathBuf, Vec<u8>>,
}

impl<'a> Edited<'a> {
    pub fn new(base: &'a dyn FileSource) -> Self {
        Self {
            base,
            files: HashMap::new(),
        }
    }

    pub fn set(&mut self, path: &str, bytes: Vec<u8>) {
        self.files.insert(PathBuf::from(path), bytes);
    }
}

impl FileSource for Edited<'_> {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        match self.files.get(path) {
            Some(b) => Ok(b.clone()),
            None => self.base.read(path),
        }
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.base.is_dir(path)
    }
    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(path) || self.base.is_file(path)
    }
    fn list(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        // Edits replace files, never add any: the listing is the base's.
        self.base.list(dir)
    }
}

/// `--fix` with overlays: lint, place, apply the fixes allowed to the files they edit (direct
/// files, bases, patches), rebuild, and repeat until nothing changes or [`MAX_FIX_PASSES`].
/// Pure apart from reading `fs`: the caller writes [`FixRun::changed`].
pub fn fix(
    fs: &dyn FileSource,
    inputs: &[(String, Vec<u8>)],
    options: &LintOptions,
    include_unsafe: bool,
) -> FixRun {
    let mut edited = Edited::new(fs);
    let mut current: Vec<(String, Vec<u8>)> = inputs.to_vec();
    let slot_of: HashMap<String, usize> = inputs
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (p.clone(), i))
        .collect();
    let mut applied = 0;
    let mut passes = 0;
    let result = loop {
        let (mut result, overlays) = lint(&edited, current.clone(), options);
        overlays.place(&mut result, &mut Vec::new(), &edited, options);
        if passes == MAX_FIX_PASSES {
            break result;
        }
        let (writes, n) = crate::engine::apply_fixes(&result, include_unsafe);
        applied += n;
        passes += 1;
        if writes.is_empty() {
            break result;
        }
        for (path, bytes) in writes {
            if let Some(&slot) = slot_of.get(&path) {
                current[slot].1 = bytes.clone();
            }
            edited.set(&path, bytes);
        }
    };
    let mut changed: Vec<FixedFile> = edited
        .files
        .iter()
        .filter_map(|(path, after)| {
            let before = fs.read(path).ok()?;
            (before != *after).then(|| FixedFile::new(&render::display_path(path), &before, after))
        })
        .collect();
    changed.sort_by(|a, b| a.path.cmp(&b.path));
    FixRun {
        result,
        changed,
        applied,
        passes,
    }
}

#[cfg(test)]
mod tests;
