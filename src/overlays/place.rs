//! Findings on built text → findings at their origins (see the module above): the move, the
//! merge of what several overlays share, and fixes realised and verified where the value lives.

use std::collections::{HashMap, HashSet};

use super::{Built, Edited, Overlays};
use crate::config::Mode;
use crate::engine::{LintOptions, LintResult};
use crate::finding::{Finding, Fix, FixAction, FixPlan};
use crate::manifest::{
    FieldPath, ManifestFile, NodeId, ObjectRef, ReadError, Segment, SourceText, YamlTree,
    read_manifest,
};
use crate::render::{self, FileSource, Node, Origin, SourceFiles};

/// A file a build read, parsed again as a manifest so that origins (byte spans) can be named
/// as an object and a field path, and fixes realised on it.
struct OriginFile {
    manifest: ManifestFile,
    /// Span of every node under an object → (object index, path from the object's root).
    spans: HashMap<(usize, usize), (usize, FieldPath)>,
}

/// The kind of the pseudo-object a values file is read as.
const VALUES_KIND: &str = "Values";

/// A chart's values file (`values.yaml`, `values-prod.yaml`) read as one pseudo-object per
/// document, so that a value a template rendered can be named by its path in the file and a
/// fix realised there (verified, like every fix, by rendering again). `None` for other files.
fn values_file(
    path: &str,
    text: &SourceText,
    limits: &crate::manifest::Limits,
) -> Option<ManifestFile> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    if !name.starts_with("values") || !yaml {
        return None;
    }
    let (tree, docs) = crate::manifest::parse_stream(text, limits).ok()?;
    let objects = docs
        .iter()
        .filter(|d| !tree.entries(d.root).is_empty())
        .map(|d| crate::manifest::Object {
            document: d.index,
            node: d.root,
            api_version: String::new(),
            kind: VALUES_KIND.to_string(),
            name: name.to_string(),
            namespace: None,
            kept: crate::manifest::Typed::Untyped,
            template: None,
        })
        .collect();
    Some(ManifestFile {
        path: path.to_string(),
        source: text.clone(),
        tree,
        objects,
        errors: Vec::new(),
        skipped: None,
    })
}

impl OriginFile {
    fn read(path: &str, text: &SourceText, limits: &crate::manifest::Limits) -> OriginFile {
        if let Some(manifest) = values_file(path, text, limits) {
            let mut spans = HashMap::new();
            for (i, object) in manifest.objects.iter().enumerate() {
                index_spans(
                    &manifest.tree,
                    object.node,
                    FieldPath::root(),
                    i,
                    &mut spans,
                    0,
                );
            }
            return OriginFile { manifest, spans };
        }
        let mut bytes = Vec::with_capacity(text.text().len() + 3);
        if text.has_bom() {
            bytes.extend_from_slice("\u{feff}".as_bytes());
        }
        bytes.extend_from_slice(text.text().as_bytes());
        let manifest = read_manifest(path, &bytes, limits).unwrap_or_else(|_| ManifestFile {
            // Read leniently by the build (a repeated key) but not as a manifest: shown, never
            // edited.
            source: text.clone(),
            ..ManifestFile::template(path)
        });
        let mut spans = HashMap::new();
        // A kustomization is not where a built value lives: an inline patch's nodes all
        // carry the span of its text, which no fix may overwrite.
        let mut manifest = manifest;
        if is_kustomization(&manifest) {
            manifest.objects.clear();
        }
        for (i, object) in manifest.objects.iter().enumerate() {
            index_spans(
                &manifest.tree,
                object.node,
                FieldPath::root(),
                i,
                &mut spans,
                0,
            );
        }
        OriginFile { manifest, spans }
    }
}

fn is_kustomization(file: &ManifestFile) -> bool {
    let name = file.path.rsplit('/').next().unwrap_or(&file.path);
    render::KUSTOMIZATION_FILE_NAMES.contains(&name)
        || file
            .objects
            .iter()
            .any(|o| o.api_version.starts_with("kustomize.config.k8s.io/"))
}

/// Fixes of one file verified one by one after the joint verification failed them, at most.
const MAX_RETRIES_ALONE: usize = 16;

/// Deeper than any manifest the limits let through; stops a walk through aliases early.
const MAX_WALK_DEPTH: usize = 256;

fn index_spans(
    tree: &YamlTree,
    node: NodeId,
    path: FieldPath,
    object: usize,
    out: &mut HashMap<(usize, usize), (usize, FieldPath)>,
    depth: usize,
) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    let span = tree.node(node).span();
    let first = !out.contains_key(&(span.start, span.end));
    for entry in tree.entries(node) {
        index_spans(
            tree,
            entry.value,
            path.clone().key(entry.key.clone()),
            object,
            out,
            depth + 1,
        );
    }
    for (i, item) in tree.items(node).iter().enumerate() {
        index_spans(tree, *item, path.clone().index(i), object, out, depth + 1);
    }
    if first {
        out.insert((span.start, span.end), (object, path));
    }
}

/// The origin files of a placement, read once each.
#[derive(Default)]
struct OriginFiles {
    files: HashMap<String, OriginFile>,
    order: Vec<String>,
}

impl OriginFiles {
    fn get(
        &mut self,
        path: &str,
        text: &SourceText,
        limits: &crate::manifest::Limits,
    ) -> &OriginFile {
        if !self.files.contains_key(path) {
            self.order.push(path.to_string());
            self.files
                .insert(path.to_string(), OriginFile::read(path, text, limits));
        }
        &self.files[path]
    }
}

/// The deepest node on `path` in `root` that has an origin, and how many segments of the path
/// lead to it.
fn anchor(root: &Node, path: &FieldPath) -> Option<(usize, Origin)> {
    let mut chain: Vec<&Node> = vec![root];
    for seg in path.segments() {
        let cur = chain[chain.len() - 1];
        let next = match seg {
            Segment::Key(k) => cur.get(k),
            Segment::Index(i) => cur.items().get(*i),
        };
        match next {
            Some(n) => chain.push(n),
            None => break,
        }
    }
    chain
        .iter()
        .enumerate()
        .rev()
        .find(|(_, n)| n.origin != Origin::Unknown)
        .map(|(k, n)| (k, n.origin))
}

fn suffix(path: &FieldPath, from: usize) -> FieldPath {
    path.segments()[from..]
        .iter()
        .fold(FieldPath::root(), |p, s| match s {
            Segment::Key(k) => p.key(k.clone()),
            Segment::Index(i) => p.index(*i),
        })
}

/// Where a built field lives: the origin file, the object and field path in it (when the
/// origin is a node of an object in that file), and the position.
struct Placed {
    file: String,
    at: Option<(usize, FieldPath)>,
    byte: usize,
    line: usize,
    column: usize,
}

fn locate(
    root: &Node,
    path: &FieldPath,
    files: &SourceFiles,
    origins: &mut OriginFiles,
    limits: &crate::manifest::Limits,
) -> Option<Placed> {
    let (k, origin) = anchor(root, path)?;
    let (file, span) = match origin {
        Origin::Source { file, span } | Origin::Generated { file, span } => (file, span),
        Origin::Unknown => return None,
    };
    let fpath = files.path(file);
    let of = origins.get(fpath, files.text(file), limits);
    if matches!(origin, Origin::Source { .. })
        && let Some((oi, opath)) = of.spans.get(&(span.start, span.end))
    {
        let full = opath.clone().join(&suffix(path, k));
        let loc = of.manifest.locate(&of.manifest.objects[*oi], &full);
        return Some(Placed {
            file: fpath.to_string(),
            at: Some((*oi, full)),
            byte: loc.byte,
            line: loc.line,
            column: loc.column,
        });
    }
    let (line, column) = of.manifest.source.line_col(span.start);
    Some(Placed {
        file: fpath.to_string(),
        at: None,
        byte: span.start,
        line,
        column,
    })
}

fn with_path(action: &FixAction, path: FieldPath) -> FixAction {
    match action {
        FixAction::Set { value, .. } => FixAction::Set {
            path,
            value: value.clone(),
        },
        FixAction::Remove { .. } => FixAction::Remove { path },
        FixAction::AddToList { item, .. } => FixAction::AddToList {
            path,
            item: item.clone(),
        },
        FixAction::RemoveFromList { item, .. } => FixAction::RemoveFromList {
            path,
            item: item.clone(),
        },
    }
}

/// A fix made on built text, as a plan on the origin file: every action moved to where its
/// field lives. `None` when the actions do not all land in one object of one file.
fn origin_plan(
    fix: &Fix,
    root: &Node,
    files: &SourceFiles,
    origins: &mut OriginFiles,
    limits: &crate::manifest::Limits,
) -> Option<(String, usize, FixPlan)> {
    let mut target: Option<(String, usize)> = None;
    let mut actions = Vec::new();
    for action in &fix.actions {
        let placed = locate(
            root,
            crate::fix::action_path(action),
            files,
            origins,
            limits,
        )?;
        let (oi, path) = placed.at?;
        match &target {
            None => target = Some((placed.file, oi)),
            Some((f, o)) if *f == placed.file && *o == oi => {}
            Some(_) => return None,
        }
        actions.push(with_path(action, path));
    }
    let (file, oi) = target?;
    Some((
        file,
        oi,
        FixPlan {
            safety: fix.safety,
            title: fix.title.clone(),
            caveat: fix.caveat.clone(),
            actions,
        },
    ))
}

/// (rule, object, field path) of a finding on built text: what must be gone after a fix.
type BuiltKey = (&'static str, ObjectRef, String);

struct Entry<T> {
    finding: Finding,
    payload: T,
    plan: Option<(String, usize, FixPlan)>,
    /// The built findings it stands for: (entry point, key).
    sources: Vec<(usize, BuiltKey)>,
}

impl Overlays {
    /// Moves the findings and errors the engine made on built text to their origins (see the
    /// module comment), merging those several overlays share; `stages` (the rollout stage of
    /// each finding, when a policy ran) follows, the strongest of a merged finding's.
    /// `result.files` then holds the origin files (for code frames and fixes) in place of the
    /// built texts. Fixes are verified by rebuilding through `fs`.
    pub fn place(
        &self,
        result: &mut LintResult,
        stages: &mut Vec<Mode>,
        fs: &dyn FileSource,
        options: &LintOptions,
    ) {
        if self.built.is_empty() {
            return;
        }
        let findings = std::mem::take(&mut result.findings);
        let aligned = stages.len() == findings.len();
        let items: Vec<(Finding, Option<Mode>)> = findings
            .into_iter()
            .enumerate()
            .map(|(i, f)| (f, aligned.then(|| stages[i])))
            .collect();
        let placed = self.place_items(result, items, |a, b| *a = (*a).max(b), fs, options);
        stages.clear();
        if aligned {
            stages.extend(placed.iter().map(|(_, s)| s.unwrap_or(Mode::Enforce)));
        }
        result.findings = placed.into_iter().map(|(f, _)| f).collect();
    }

    /// [`Overlays::place`] for findings that carry something of their own (a rollout stage, a
    /// rollout decision): `merge` folds the payload of a finding into the one it merges with.
    /// Returns the placed findings in report order (file, line, column, rule); `result` gets
    /// the origin files and placed errors, and no findings.
    pub fn place_items<T>(
        &self,
        result: &mut LintResult,
        items: Vec<(Finding, T)>,
        merge: impl Fn(&mut T, T),
        fs: &dyn FileSource,
        options: &LintOptions,
    ) -> Vec<(Finding, T)> {
        if self.built.is_empty() {
            return items;
        }
        let limits = &options.limits;
        let mut origins = OriginFiles::default();
        let mut entries: Vec<Entry<T>> = Vec::with_capacity(items.len());
        let mut merged: HashMap<(&'static str, String, usize, String, String), usize> =
            HashMap::new();
        for (mut f, payload) in items {
            let Some(bi) = self.by_path(&f.file) else {
                entries.push(Entry {
                    finding: f,
                    payload,
                    plan: None,
                    sources: Vec::new(),
                });
                continue;
            };
            let built = &self.built[bi];
            let root = result.file(&built.path).and_then(|file| {
                let object = file.objects.iter().find(|o| {
                    let span = file.tree.node(o.node).span();
                    span.start <= f.byte && f.byte <= span.end && o.reference() == f.object
                })?;
                built.build.objects.get(object.document)
            });
            let key: BuiltKey = (f.rule, f.object.clone(), f.field_path.to_string());
            let fix = f.fix.take();
            let mut plan = None;
            if let Some(root) = root
                && let Some(placed) = locate(
                    root,
                    &f.field_path,
                    &built.build.files,
                    &mut origins,
                    limits,
                )
            {
                f.file = placed.file;
                f.byte = placed.byte;
                f.line = placed.line;
                f.column = placed.column;
                if let Some((oi, path)) = placed.at {
                    let origin_object = &origins.files[&f.file].manifest.objects[oi];
                    // A value from a chart's values file stays a finding of the rendered
                    // object; its field path becomes the value's path in the file.
                    if origin_object.kind != VALUES_KIND {
                        f.object = origin_object.reference();
                    }
                    f.field_path = path;
                }
                plan = fix.and_then(|fix| {
                    origin_plan(&fix, root, &built.build.files, &mut origins, limits)
                });
            } else {
                // No place in a file (a value only the build made): at the entry point's
                // kustomization, its first line.
                f.byte = 0;
                f.line = 1;
                f.column = 1;
            }
            let merge_key = (
                f.rule,
                f.file.clone(),
                f.byte,
                f.field_path.to_string(),
                f.message.clone(),
            );
            match merged.get(&merge_key) {
                Some(&at) => {
                    let e = &mut entries[at];
                    if !e.finding.overlays.contains(&built.dir) {
                        e.finding.overlays.push(built.dir.clone());
                    }
                    merge(&mut e.payload, payload);
                    e.sources.push((bi, key));
                }
                None => {
                    f.overlays = vec![built.dir.clone()];
                    merged.insert(merge_key, entries.len());
                    entries.push(Entry {
                        finding: f,
                        payload,
                        plan,
                        sources: vec![(bi, key)],
                    });
                }
            }
        }
        self.realize_fixes(&mut entries, &mut origins);
        self.verify_fixes(&mut entries, &origins, fs, options);

        entries.sort_by(|a, b| {
            let (a, b) = (&a.finding, &b.finding);
            (&a.file, a.line, a.column, a.rule).cmp(&(&b.file, b.line, b.column, b.rule))
        });
        let placed: Vec<(Finding, T)> = entries
            .into_iter()
            .map(|e| (e.finding, e.payload))
            .collect();
        let errors = self.place_errors(std::mem::take(&mut result.errors));

        // The origin files replace the built texts: every file a build read is shown as
        // checked, once.
        for built in &self.built {
            for (_, path, text) in built.build.files.iter() {
                origins.get(path, text, limits);
            }
        }
        let old = std::mem::take(result);
        let built_paths: HashSet<&str> = self.built.iter().map(|b| b.path.as_str()).collect();
        let mut files: Vec<ManifestFile> = old
            .files
            .into_iter()
            .filter(|f| !built_paths.contains(f.path.as_str()))
            .collect();
        for path in &origins.order {
            if let Some(of) = origins.files.remove(path) {
                files.push(of.manifest);
            }
        }
        result.files = files;
        result.errors = errors;
        result.skipped = old
            .skipped
            .into_iter()
            .filter(|(p, _)| !built_paths.contains(p.as_str()))
            .collect();
        result.stats = old.stats;
        placed
    }

    /// Each origin object's plans realised together (one verification parse), as the engine
    /// does for a file's objects.
    fn realize_fixes<T>(&self, entries: &mut [Entry<T>], origins: &mut OriginFiles) {
        let mut by_object: HashMap<(String, usize), Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if let Some((file, oi, _)) = &e.plan {
                by_object.entry((file.clone(), *oi)).or_default().push(i);
            }
        }
        for ((file, oi), at) in by_object {
            let Some(of) = origins.files.get(&file) else {
                continue;
            };
            let plans: Vec<FixPlan> = at
                .iter()
                .filter_map(|i| entries[*i].plan.as_ref().map(|(_, _, p)| p.clone()))
                .collect();
            let realized =
                crate::fix::realize_object_fixes(&of.manifest, &of.manifest.objects[oi], plans);
            for (i, fix) in at.into_iter().zip(realized.fixes) {
                entries[i].finding.fix = fix.map(Box::new);
            }
        }
    }

    /// Keeps a fix only when, applied to its file, every entry point that reads the file
    /// rebuilds without the finding. The fixes of a file are tried together first, then one by
    /// one for those the joint run did not clear.
    fn verify_fixes<T>(
        &self,
        entries: &mut [Entry<T>],
        origins: &OriginFiles,
        fs: &dyn FileSource,
        options: &LintOptions,
    ) {
        let mut by_file: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if e.finding.fix.is_some() && !e.sources.is_empty() {
                by_file.entry(e.finding.file.as_str()).or_default().push(i);
            }
        }
        let mut drop: Vec<usize> = Vec::new();
        for (file, at) in by_file {
            let Some(of) = origins.files.get(file) else {
                drop.extend(at);
                continue;
            };
            let fixes: Vec<&Fix> = at
                .iter()
                .filter_map(|i| entries[*i].finding.fix.as_deref())
                .collect();
            let joint = self.converges(of, &fixes, &at, entries, fs, options);
            let mut retries = 0;
            for (k, ok) in joint.iter().enumerate() {
                if *ok {
                    continue;
                }
                // Each retry rebuilds every entry point that reads the file: bounded, so a
                // file with many fixes that do not converge costs a fixed number of builds.
                retries += 1;
                if retries > MAX_RETRIES_ALONE
                    || !self.converges(of, &fixes[k..=k], &at[k..=k], entries, fs, options)[0]
                {
                    drop.push(at[k]);
                }
            }
        }
        for i in drop {
            entries[i].finding.fix = None;
        }
    }

    /// Applies `fixes` to the origin file, rebuilds the entry points that read it and says,
    /// for each of `entries[at]`, whether none of its built findings is left.
    fn converges<T>(
        &self,
        of: &OriginFile,
        fixes: &[&Fix],
        at: &[usize],
        entries: &[Entry<T>],
        fs: &dyn FileSource,
        options: &LintOptions,
    ) -> Vec<bool> {
        let file = &of.manifest;
        let out = crate::fix::fix_file(file, fixes);
        if out.applied < fixes.len() {
            return vec![false; at.len()];
        }
        let mut bytes = Vec::new();
        if file.source.has_bom() {
            bytes.extend_from_slice("\u{feff}".as_bytes());
        }
        bytes.extend_from_slice(out.text.as_bytes());
        let mut edited = Edited::new(fs);
        edited.set(&file.path, bytes);
        let limits = crate::render::BuildLimits {
            file: options.limits.clone(),
            ..Default::default()
        };
        let mut remaining: HashMap<usize, HashSet<BuiltKey>> = HashMap::new();
        for (bi, built) in self.built.iter().enumerate() {
            if !built.reads(&file.path) {
                continue;
            }
            let Some(objects) = super::rebuild(&edited, built, &limits) else {
                return vec![false; at.len()];
            };
            let text = render::to_yaml_stream(&objects);
            let lint = crate::engine::lint(&[(built.path.clone(), text.into_bytes())], options);
            if !lint.errors.is_empty() {
                return vec![false; at.len()];
            }
            remaining.insert(
                bi,
                lint.findings
                    .into_iter()
                    .map(|f| (f.rule, f.object, f.field_path.to_string()))
                    .collect(),
            );
        }
        at.iter()
            .map(|i| {
                entries[*i]
                    .sources
                    .iter()
                    .all(|(bi, key)| remaining.get(bi).is_none_or(|left| !left.contains(key)))
            })
            .collect()
    }

    /// Errors the engine found in built text (a schema error in a base object), at the line
    /// that wrote the value, once, naming the overlays.
    fn place_errors(&self, errors: Vec<ReadError>) -> Vec<ReadError> {
        let mut out: Vec<ReadError> = Vec::with_capacity(errors.len());
        let mut seen: HashMap<(String, usize, String), usize> = HashMap::new();
        let mut dirs: Vec<Vec<String>> = Vec::new();
        for e in errors {
            let Some(bi) = self.by_path(&e.file) else {
                out.push(e);
                dirs.push(Vec::new());
                continue;
            };
            let built: &Built = &self.built[bi];
            let origin = e
                .line
                .checked_sub(1)
                .and_then(|l| built.line_origins.get(l))
                .copied()
                .unwrap_or_default();
            let (file, line) = match origin {
                Origin::Source { file, span } | Origin::Generated { file, span } => (
                    built.build.files.path(file).to_string(),
                    built.build.files.text(file).line_col(span.start).0,
                ),
                Origin::Unknown => (built.path.clone(), 0),
            };
            let key = (file.clone(), line, e.message.clone());
            match seen.get(&key) {
                Some(&at) => {
                    if !dirs[at].contains(&built.dir) {
                        dirs[at].push(built.dir.clone());
                    }
                }
                None => {
                    seen.insert(key, out.len());
                    out.push(ReadError {
                        file,
                        line,
                        column: 0,
                        message: e.message,
                    });
                    dirs.push(vec![built.dir.clone()]);
                }
            }
        }
        for (e, d) in out.iter_mut().zip(dirs) {
            if !d.is_empty() {
                e.message = format!("{} (as built in {})", e.message, d.join(", "));
            }
        }
        out
    }
}
