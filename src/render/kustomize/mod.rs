//! Kustomize built in-process, with kustomize v5's semantics and default options (load
//! restrictor "root only", no plugins, no network): a directory's kustomization is read, its
//! resources, components and generators accumulated, its transformers run in kustomize's order,
//! and at the end hash suffixes, name references and vars are settled. Every built node keeps
//! its [`Origin`](crate::render::Origin): the base line it was read from, the patch line that set
//! it, or the kustomization directive that added it.
//!
//! Remote bases and Helm charts are never fetched: the build goes on without them and says so
//! in [`Build::notes`]. Bounded by [`BuildLimits`]; a cycle or a missing file is an error at the
//! kustomization line that named it. This module reads files only through a
//! [`FileSource`](crate::render::FileSource) and never touches the network or the clock.

mod fieldspec;
mod generators;
mod jsonpatch;
mod kustomization;
mod nameref;
mod order;
mod patches;
mod plugins;
mod replacements;
mod resource;
mod smp;
mod transforms;
mod vars;

use std::path::{Path, PathBuf};

use crate::manifest::{Limits, SourceText, parse_stream, parse_stream_lenient};
use crate::render::files::{FileSource, display, is_within, normalize};
use crate::render::origin::{FileId, Origin, SourceFiles};
use crate::render::value::{Node, from_tree};
use kustomization::Kustomization;
use resource::Resource;

/// The file names kustomize recognises, in its order.
pub const KUSTOMIZATION_FILE_NAMES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Bounds on one build; far above real overlays.
#[derive(Debug, Clone)]
pub struct BuildLimits {
    /// Kustomizations nested inside each other (resources and components).
    pub max_depth: usize,
    /// Resources held at any point of a build.
    pub max_resources: usize,
    /// Bytes of the printed output.
    pub max_output_bytes: usize,
    /// Limits on each file read.
    pub file: Limits,
}

impl Default for BuildLimits {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_resources: 20_000,
            max_output_bytes: 64 * 1024 * 1024,
            file: Limits::default(),
        }
    }
}

/// A failed build: the file and 1-based line (0 when unknown) that caused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct BuildError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl BuildError {
    pub(crate) fn at(file: &str, line: usize, message: String) -> Self {
        BuildError {
            file: file.to_string(),
            line,
            message,
        }
    }

    fn render(&self) -> String {
        match (self.file.is_empty(), self.line) {
            (true, _) => format!("error: {}", self.message),
            (false, 0) => format!("{}: error: {}", self.file, self.message),
            (false, l) => format!("{}:{l}: error: {}", self.file, self.message),
        }
    }
}

/// A built kustomization: its objects in output order, the files they came from, and what the
/// build could not check.
#[derive(Debug)]
pub struct Build {
    pub objects: Vec<Node>,
    pub files: SourceFiles,
    /// "not checked: remote base …" and similar.
    pub notes: Vec<String>,
    /// Every kustomization file the build read (entry point first).
    pub kustomizations: Vec<String>,
    /// Files read as patches: never objects of their own, never to be linted as whole objects.
    pub patch_files: Vec<String>,
}

/// The kustomization directories among `dirs` that no other one in `dirs` includes (through
/// `resources`, `bases` or `components`): what a user builds, as `overlays/dev` and
/// `overlays/prod` are and a shared base is not. A directory whose kustomization cannot be
/// read counts as an entry point, so that building it reports the problem.
pub fn entry_points(fs: &dyn FileSource, dirs: &[PathBuf]) -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = dirs.iter().map(|d| normalize(d)).collect();
    let mut referenced: Vec<PathBuf> = Vec::new();
    let limits = BuildLimits::default();
    for dir in &dirs {
        let Some(kfile) = KUSTOMIZATION_FILE_NAMES
            .iter()
            .map(|n| dir.join(n))
            .find(|p| fs.is_file(p))
        else {
            continue;
        };
        let Ok(bytes) = fs.read(&kfile) else { continue };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let src = SourceText::new(&text);
        let Ok((tree, docs)) = parse_stream_lenient(&src, &limits.file) else {
            continue;
        };
        let Some(doc) = docs.first() else { continue };
        let root = from_tree(&tree, &src, doc.root, FileId(u32::MAX));
        for field in ["resources", "bases", "components"] {
            for entry in root.get(field).map(Node::items).unwrap_or(&[]) {
                if let Some(rel) = entry.as_str().filter(|r| !is_remote(r)) {
                    let target = normalize(&dir.join(rel));
                    if fs.is_dir(&target) {
                        referenced.push(target);
                    }
                }
            }
        }
    }
    dirs.into_iter()
        .filter(|d| !referenced.contains(d))
        .collect()
}

/// Builds the kustomization in `dir` as `kustomize build dir` does.
pub fn build(fs: &dyn FileSource, dir: &Path, limits: &BuildLimits) -> Result<Build, BuildError> {
    let mut b = Builder {
        fs,
        limits,
        files: SourceFiles::default(),
        notes: Vec::new(),
        stack: Vec::new(),
        kustomizations: Vec::new(),
        patch_files: Vec::new(),
    };
    let dir = normalize(dir);
    let (k, ctx) = b.load_kustomization(&dir, None)?;
    let mut acc = b.accumulate(&k, &ctx, Acc::default())?;
    b.stack.pop();
    let sort = order::SortOptions::read(&k, &b, &ctx)?;
    generators::add_hash_suffixes(&mut acc.res);
    nameref::fix_back_references(&mut acc.res, &acc.config)
        .map_err(|m| BuildError::at(&ctx.kpath, 0, m))?;
    vars::resolve(&mut acc, &b).map_err(|m| BuildError::at(&ctx.kpath, 0, m))?;
    acc.res.retain(|r| {
        r.obj
            .at(&[
                "metadata",
                "annotations",
                "config.kubernetes.io/local-config",
            ])
            .and_then(Node::as_str)
            != Some("true")
    });
    if k.list("buildMetadata")
        .iter()
        .any(|n| n.as_str() == Some("originAnnotations"))
    {
        add_origin_annotations(&b, &dir, &mut acc.res);
    }
    let mut objects: Vec<Node> = acc.res.into_iter().map(|r| r.obj).collect();
    sort.apply(&mut objects);
    Ok(Build {
        objects,
        files: b.files,
        notes: b.notes,
        kustomizations: b.kustomizations,
        patch_files: b.patch_files,
    })
}

/// `buildMetadata: [originAnnotations]`: kustomize's `config.kubernetes.io/origin` annotation,
/// read off each object's origin (paths relative to the built directory).
fn add_origin_annotations(b: &Builder, root: &Path, res: &mut [Resource]) {
    for r in res.iter_mut() {
        let note = match (&r.generated, r.obj.origin) {
            (Some(g), Origin::Generated { file, .. } | Origin::Source { file, .. }) => {
                let mut s = format!(
                    "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {}\n",
                    relative(root, Path::new(b.files.path(file))),
                    g.generator_kind
                );
                if let Some(n) = &g.plugin_name {
                    s.push_str(&format!("  name: {n}\n"));
                }
                s
            }
            (None, Origin::Source { file, .. }) => {
                format!("path: {}\n", relative(root, Path::new(b.files.path(file))))
            }
            _ => continue,
        };
        let origin = r.obj.origin;
        r.obj
            .map_entry("metadata", origin)
            .map_entry("annotations", origin)
            .set("config.kubernetes.io/origin", Node::str(note, origin));
    }
}

/// `to` as seen from directory `from` (both lexical, relative to the same place).
fn relative(from: &Path, to: &Path) -> String {
    let f: Vec<_> = from.components().filter(|c| c.as_os_str() != ".").collect();
    let t: Vec<_> = to.components().filter(|c| c.as_os_str() != ".").collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// What a kustomization (and the ones it includes) has accumulated.
#[derive(Debug, Default)]
pub(crate) struct Acc {
    pub res: Vec<Resource>,
    pub vars: Vec<vars::Var>,
    pub config: fieldspec::Config,
}

/// The kustomization being built: its directory and file.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub dir: PathBuf,
    pub kpath: String,
}

pub(crate) struct Builder<'a> {
    fs: &'a dyn FileSource,
    limits: &'a BuildLimits,
    pub files: SourceFiles,
    pub notes: Vec<String>,
    stack: Vec<PathBuf>,
    kustomizations: Vec<String>,
    pub patch_files: Vec<String>,
}

impl Builder<'_> {
    /// 1-based line where a node starts (0 when it has no place in a file).
    pub fn line_of(&self, node: &Node) -> usize {
        match node.origin {
            Origin::Source { file, span } | Origin::Generated { file, span } => {
                self.files.text(file).line_col(span.start).0
            }
            Origin::Unknown => 0,
        }
    }

    /// An error at the line of `node` in the kustomization.
    pub fn err(&self, ctx: &Ctx, node: &Node, message: String) -> BuildError {
        BuildError::at(&ctx.kpath, self.line_of(node), message)
    }

    /// The origin of something a directive adds: the directive's place, as "generated".
    pub fn generated(&self, node: &Node) -> Origin {
        match node.origin {
            Origin::Source { file, span } | Origin::Generated { file, span } => {
                Origin::Generated { file, span }
            }
            Origin::Unknown => Origin::Unknown,
        }
    }

    fn load_kustomization(
        &mut self,
        dir: &Path,
        named_by: Option<(&Ctx, &Node)>,
    ) -> Result<(Kustomization, Ctx), BuildError> {
        let fail = |b: &Self, message: String| match named_by {
            Some((ctx, node)) => b.err(ctx, node, message),
            None => BuildError::at(&display(dir), 0, message),
        };
        let found: Vec<PathBuf> = KUSTOMIZATION_FILE_NAMES
            .iter()
            .map(|n| normalize(&dir.join(n)))
            .filter(|p| self.fs.is_file(p))
            .collect();
        let kfile = match found.as_slice() {
            [] => {
                return Err(fail(
                    self,
                    format!(
                        "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
                        display(dir)
                    ),
                ));
            }
            [one] => one.clone(),
            _ => {
                return Err(fail(
                    self,
                    format!("found multiple kustomization files under: {}", display(dir)),
                ));
            }
        };
        if let Some(i) = self.stack.iter().position(|d| d == dir) {
            let cycle: Vec<String> = self.stack[i..]
                .iter()
                .chain(std::iter::once(&dir.to_path_buf()))
                .map(|d| display(d))
                .collect();
            return Err(fail(
                self,
                format!("kustomization cycle: {}", cycle.join(" -> ")),
            ));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(fail(
                self,
                format!(
                    "kustomizations nest more than {} levels deep",
                    self.limits.max_depth
                ),
            ));
        }
        let (_, docs) = self.load_docs(&kfile, true)?;
        let kpath = display(&kfile);
        self.kustomizations.push(kpath.clone());
        let root = docs
            .into_iter()
            .next()
            .unwrap_or_else(|| Node::map(Origin::Unknown));
        let k = Kustomization::read(root, &kpath, |n| self.line_of(n))?;
        self.stack.push(dir.to_path_buf());
        Ok((
            k,
            Ctx {
                dir: dir.to_path_buf(),
                kpath,
            },
        ))
    }

    /// Reads a YAML file into its non-empty documents. `lenient` accepts repeated keys.
    pub fn load_docs(
        &mut self,
        path: &Path,
        lenient: bool,
    ) -> Result<(FileId, Vec<Node>), BuildError> {
        let shown = display(path);
        let bytes = self
            .fs
            .read(path)
            .map_err(|e| BuildError::at(&shown, 0, format!("cannot read: {e}")))?;
        if bytes.len() > self.limits.file.max_file_bytes {
            return Err(BuildError::at(
                &shown,
                0,
                "file is above the size limit".into(),
            ));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| BuildError::at(&shown, 0, "not valid UTF-8".into()))?;
        let src = SourceText::new(&text);
        let parsed = if lenient {
            parse_stream_lenient(&src, &self.limits.file)
        } else {
            parse_stream(&src, &self.limits.file)
        };
        let (tree, roots) = parsed.map_err(|e| {
            BuildError::at(&shown, e.line, format!("MalformedYAMLError: {}", e.message))
        })?;
        let file = self.files.add(shown, src);
        let src = self.files.text(file).clone();
        let docs = roots
            .iter()
            .map(|d| from_tree(&tree, &src, d.root, file))
            .filter(|n| !n.is_null())
            .collect();
        Ok((file, docs))
    }

    /// Parses YAML written inside the kustomization (an inline patch); its nodes point at the
    /// string that holds it.
    pub fn parse_inline(&self, ctx: &Ctx, at: &Node, text: &str) -> Result<Vec<Node>, BuildError> {
        let src = SourceText::new(text);
        let (tree, roots) = parse_stream_lenient(&src, &self.limits.file).map_err(|e| {
            self.err(
                ctx,
                at,
                format!("MalformedYAMLError: inline YAML: {}", e.message),
            )
        })?;
        Ok(roots
            .iter()
            .map(|d| {
                let mut n = from_tree(&tree, &src, d.root, FileId(u32::MAX));
                n.set_origin_deep(at.origin);
                n
            })
            .filter(|n| !n.is_null())
            .collect())
    }

    /// Resolves a path named in a kustomization to a file inside its root (load restrictor
    /// "root only").
    pub fn local_file(&self, ctx: &Ctx, at: &Node, rel: &str) -> Result<PathBuf, BuildError> {
        let path = normalize(&ctx.dir.join(rel));
        if !is_within(&path, &ctx.dir) {
            return Err(self.err(
                ctx,
                at,
                format!(
                    "security; file '{}' is not in or below '{}'",
                    display(&path),
                    display(&ctx.dir)
                ),
            ));
        }
        if !self.fs.is_file(&path) {
            return Err(self.err(
                ctx,
                at,
                format!("'{}': no such file or directory", display(&path)),
            ));
        }
        Ok(path)
    }

    pub fn is_dir(&self, path: &Path) -> bool {
        self.fs.is_dir(path)
    }

    pub fn pop_kustomization(&mut self) {
        self.stack.pop();
    }

    pub fn is_file(&self, path: &Path) -> bool {
        self.fs.is_file(path)
    }

    pub fn read_bytes(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.fs.read(path)
    }

    fn accumulate(
        &mut self,
        k: &Kustomization,
        ctx: &Ctx,
        mut acc: Acc,
    ) -> Result<Acc, BuildError> {
        let paths: Vec<Node> = k
            .list("resources")
            .iter()
            .chain(k.list("bases"))
            .cloned()
            .collect();
        for entry in &paths {
            self.accumulate_resource(ctx, entry, &mut acc)?;
        }
        if let Some(c) = k.field("configurations") {
            for entry in c.items() {
                fieldspec::load_configuration(self, ctx, entry, &mut acc.config)?;
            }
        }
        if !k.list("crds").is_empty() {
            for entry in k.list("crds") {
                fieldspec::load_crd(self, ctx, entry, &mut acc.config)?;
            }
        }
        for r in generators::generate(self, k, ctx)? {
            generators::absorb(self, ctx, &mut acc.res, r)?;
        }
        for g in plugins::configured(self, k, ctx, "generators")? {
            for r in generators::generate(self, &g, ctx)? {
                generators::absorb(self, ctx, &mut acc.res, r)?;
            }
        }
        if k.field("helmCharts").is_some() {
            self.notes.push(format!(
                "not checked: helmCharts in {} (charts are not fetched or rendered)",
                ctx.kpath
            ));
        }
        for entry in k.list("components") {
            let Some(rel) = entry.as_str() else {
                return Err(self.err(ctx, entry, "a component must be a path".into()));
            };
            if is_remote(rel) {
                self.notes
                    .push(format!("not checked: remote component {rel}"));
                continue;
            }
            let dir = normalize(&ctx.dir.join(rel));
            if !self.fs.is_dir(&dir) {
                return Err(self.err(
                    ctx,
                    entry,
                    format!("component '{}': no such directory", display(&dir)),
                ));
            }
            let (ck, cctx) = self.load_kustomization(&dir, Some((ctx, entry)))?;
            if !ck.is_component {
                return Err(self.err(
                    ctx,
                    entry,
                    format!(
                        "expected kind 'Component' for path '{}' but got 'Kustomization'",
                        display(&dir)
                    ),
                ));
            }
            acc = self.accumulate(&ck, &cctx, acc)?;
            self.stack.pop();
        }
        transforms::run_all(self, k, ctx, &mut acc)?;
        for t in plugins::configured(self, k, ctx, "transformers")? {
            transforms::run_all(self, &t, ctx, &mut acc)?;
        }
        vars::merge_declared(self, k, ctx, &mut acc)?;
        if acc.res.len() > self.limits.max_resources {
            return Err(BuildError::at(
                &ctx.kpath,
                0,
                format!(
                    "more than {} resources in one build",
                    self.limits.max_resources
                ),
            ));
        }
        Ok(acc)
    }

    fn accumulate_resource(
        &mut self,
        ctx: &Ctx,
        entry: &Node,
        acc: &mut Acc,
    ) -> Result<(), BuildError> {
        let Some(rel) = entry.as_str() else {
            return Err(self.err(ctx, entry, "a resource must be a path".into()));
        };
        if is_remote(rel) {
            self.notes.push(format!("not checked: remote base {rel}"));
            return Ok(());
        }
        let path = normalize(&ctx.dir.join(rel));
        if self.fs.is_file(&path) {
            if !is_within(&path, &ctx.dir) {
                return Err(self.err(
                    ctx,
                    entry,
                    format!(
                        "security; file '{}' is not in or below '{}'",
                        display(&path),
                        display(&ctx.dir)
                    ),
                ));
            }
            let (_, docs) = self.load_docs(&path, false)?;
            let mut objs = Vec::new();
            for d in docs {
                resource::split_lists(d, &mut objs);
            }
            for obj in objs {
                let bad_metadata = obj.get("metadata").is_some_and(|m| !m.is_map());
                if !obj.is_map() || obj.get_str("kind").is_none() || bad_metadata {
                    // At the object in its own file: that is where the author must look.
                    return Err(BuildError::at(
                        &display(&path),
                        self.line_of(&obj),
                        "not a Kubernetes object: it needs `apiVersion`, `kind` and a `metadata` mapping".into(),
                    ));
                }
                append(self, ctx, entry, &mut acc.res, Resource::new(obj))?;
            }
            return Ok(());
        }
        if self.fs.is_dir(&path) {
            let (k, sctx) = self.load_kustomization(&path, Some((ctx, entry)))?;
            if k.is_component {
                return Err(self.err(
                    ctx,
                    entry,
                    format!("expected kind != 'Component' for path '{}'", display(&path)),
                ));
            }
            let sub = self.accumulate(&k, &sctx, Acc::default())?;
            self.stack.pop();
            for r in sub.res {
                append(self, ctx, entry, &mut acc.res, r)?;
            }
            vars::append_all(self, ctx, entry, &mut acc.vars, sub.vars)?;
            acc.config.merge(sub.config);
            return Ok(());
        }
        Err(self.err(
            ctx,
            entry,
            format!(
                "accumulating resources: '{}': no such file or directory",
                display(&path)
            ),
        ))
    }
}

/// Adds a resource, refusing a second one with the same current id (kustomize's rule).
pub(crate) fn append(
    b: &Builder,
    ctx: &Ctx,
    at: &Node,
    res: &mut Vec<Resource>,
    r: Resource,
) -> Result<(), BuildError> {
    let id = r.cur_id();
    // Names first: comparing borrowed names is cheap, building ids is not.
    if res
        .iter()
        .any(|x| x.name() == id.name && x.cur_id().equals(&id))
    {
        return Err(b.err(
            ctx,
            at,
            format!("may not add resource with an already registered id: {id}"),
        ));
    }
    if res.len() >= b.limits.max_resources {
        return Err(b.err(
            ctx,
            at,
            format!(
                "more than {} resources in one build",
                b.limits.max_resources
            ),
        ));
    }
    res.push(r);
    Ok(())
}

/// URLs and `github.com/…`-style specs that kustomize would fetch.
pub(crate) fn is_remote(spec: &str) -> bool {
    spec.contains("://")
        || spec.starts_with("git@")
        || spec.starts_with("github.com/")
        || spec.starts_with("gitlab.com/")
        || spec.starts_with("bitbucket.org/")
        || spec.contains("?ref=")
}
