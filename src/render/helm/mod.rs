//! Helm charts rendered in-process, as `helm template` renders them, every output node
//! carrying the template span or values line that produced it.
//!
//! `chart.rs` reads a chart and its subcharts; `values.rs` assembles values (files, `--set`,
//! coalescing, globals, conditions, tags, import-values); `template/` is Go's text/template
//! with Helm's functions, written here (its module doc says why); `yaml.rs` reads and writes
//! YAML the way Helm's libraries do. This module runs the templates in Helm's order, splits
//! and sorts the output as `helm template` prints it, and turns each document into
//! [`Node`]s whose origins point at template text (`Source`), at values lines (`Source` in
//! the values file) or at the action that computed them (`Generated`).
//!
//! It never touches the network, reads the clock only for the render-time limit (never for
//! output), and reads files only through a [`FileSource`].
//! Deliberate differences from Helm: random functions, `now` and certificate generators are
//! fixed (deterministic output); `lookup` is empty (as in `helm template`); Chart.yaml's
//! `kubeVersion` is checked only when `--kube-version` is given (the default version is
//! Helm's built-in v1.20.0, older than what many charts require); a `values.schema.json` that
//! does not compile offline (remote `$ref`s) is named in `notes`, not checked; dependencies
//! that are not vendored are named in `notes`, not rendered.

mod chart;
pub mod template;
mod values;
mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::manifest::{ByteSpan, Limits, SourceText, parse_stream_lenient};
use crate::render::files::{FileSource, display};
use crate::render::origin::{FileId, Origin, SourceFiles};
use crate::render::value::{Node, Value as NodeValue, from_tree};

use chart::Chart;
use template::exec::{
    Exec, ExecError, ExecLimits, TemplateFile, TemplateParseError, TemplateSet, TextSource,
};
use template::value::{Kind, Object, Text, Value};
use values::Table;

pub use template::exec::ExecLimits as ChartLimits;

/// `helm template`'s options that change what renders.
#[derive(Debug, Clone)]
pub struct ChartOptions {
    /// `--values` files, merged in order (later wins).
    pub values_files: Vec<PathBuf>,
    /// `--set` arguments, applied in order after the values files.
    pub set: Vec<String>,
    pub namespace: String,
    pub release_name: String,
    /// `--show-only` template paths (globs), relative to the chart: `templates/x.yaml`.
    pub show_only: Vec<String>,
    pub include_crds: bool,
    pub skip_tests: bool,
    /// `--kube-version`; `None` is Helm's default (v1.20.0).
    pub kube_version: Option<String>,
    /// `--api-versions`, added to the built-in ones.
    pub api_versions: Vec<String>,
    pub limits: ExecLimits,
}

impl Default for ChartOptions {
    fn default() -> Self {
        Self {
            values_files: Vec::new(),
            set: Vec::new(),
            namespace: "default".into(),
            release_name: "release-name".into(),
            show_only: Vec::new(),
            include_crds: false,
            skip_tests: false,
            kube_version: None,
            api_versions: Vec::new(),
            limits: ExecLimits::default(),
        }
    }
}

/// One document of the output.
#[derive(Debug, Clone)]
pub struct RenderedDocument {
    /// Helm's `# Source:` path: `chart/templates/x.yaml`, `chart/charts/sub/templates/y.yaml`.
    pub source: String,
    /// The document as `helm template` prints it (trimmed).
    pub text: String,
    /// The parsed document, each node with its origin.
    pub object: Node,
    /// A `helm.sh/hook` document (tests included).
    pub hook: bool,
}

/// A rendered chart.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// In `helm template`'s order: CRDs (with `include_crds`), then manifests by kind, then hooks.
    pub documents: Vec<RenderedDocument>,
    /// Every file the render read: templates, values files, Chart.yaml.
    pub files: SourceFiles,
    /// What could not be checked (dependencies not vendored, packaged subcharts).
    pub notes: Vec<String>,
    /// The values files the render read (the charts' values.yaml, then `--values` files).
    pub values_files: Vec<FileId>,
}

impl Rendered {
    /// The output as `helm template` prints it.
    pub fn to_stream(&self) -> String {
        let mut out = String::new();
        for d in &self.documents {
            out.push_str("---\n# Source: ");
            out.push_str(&d.source);
            out.push('\n');
            out.push_str(&d.text);
            out.push('\n');
        }
        out
    }

    pub fn objects(&self) -> impl Iterator<Item = &Node> {
        self.documents.iter().map(|d| &d.object)
    }

    /// For a node that came from a values file, that file and the value's path in it
    /// (`securityContext.runAsUser`, `hosts[0].name`): where a values fix goes.
    pub fn values_path(&self, origin: &Origin) -> Option<(FileId, String)> {
        let Origin::Source { file, span } = origin else {
            return None;
        };
        if !self.values_files.contains(file) {
            return None;
        }
        let src = self.files.text(*file);
        let (tree, docs) = parse_stream_lenient(src, &Limits::default()).ok()?;
        let mut path = String::new();
        find_values_path(&tree, docs.first()?.root, *span, &mut path).then_some((*file, path))
    }
}

fn find_values_path(
    tree: &crate::manifest::YamlTree,
    id: crate::manifest::NodeId,
    span: ByteSpan,
    path: &mut String,
) -> bool {
    let n = tree.node(id);
    if n.span() == span {
        return true;
    }
    if n.span().start > span.start || n.span().end < span.end {
        return false;
    }
    let len = path.len();
    match &n.kind {
        crate::manifest::NodeKind::Mapping { entries, .. } => {
            for e in entries.iter().filter(|e| !e.merged) {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&e.key);
                if find_values_path(tree, e.value, span, path) {
                    return true;
                }
                path.truncate(len);
            }
        }
        crate::manifest::NodeKind::Sequence { items, .. } => {
            for (i, item) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                if find_values_path(tree, *item, span, path) {
                    return true;
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
    false
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Chart(String),
    #[error("{0}")]
    Values(String),
    #[error(transparent)]
    Parse(#[from] Box<TemplateParseError>),
    #[error(transparent)]
    Exec(#[from] Box<ExecError>),
    #[error("YAML parse error on {source_path}: {message}")]
    Yaml {
        source_path: String,
        message: String,
    },
    #[error("could not find template {0} in chart")]
    ShowOnly(String),
    #[error("{0}")]
    Limit(String),
}

/// Renders the chart in `dir` as `helm template` would.
pub fn render_chart(
    fs: &dyn FileSource,
    dir: &Path,
    opts: &ChartOptions,
) -> Result<Rendered, RenderError> {
    // Templates recurse; a big stack of its own keeps deep (bounded) nesting from
    // overflowing the caller's.
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("helm-render".into())
            .stack_size(256 * 1024 * 1024)
            .spawn_scoped(s, || render_inner(fs, dir, opts));
        match worker {
            Ok(h) => h.join().unwrap_or_else(|_| {
                Err(RenderError::Limit(format!(
                    "rendering {} failed unexpectedly (internal error)",
                    display(dir)
                )))
            }),
            Err(e) => Err(RenderError::Limit(format!(
                "cannot start the renderer: {e}"
            ))),
        }
    })
}

fn render_inner(
    fs: &dyn FileSource,
    dir: &Path,
    opts: &ChartOptions,
) -> Result<Rendered, RenderError> {
    let mut files = SourceFiles::default();
    let mut notes = Vec::new();
    let mut chart = chart::load(fs, dir, &mut files, &mut notes).map_err(RenderError::Chart)?;
    if chart.is_library {
        return Err(RenderError::Chart(
            "library charts are not installable".into(),
        ));
    }

    // The user's values: files in order, then --set.
    let mut values_files = Vec::new();
    collect_values_files(&chart, &mut values_files);
    let mut user = Table::new();
    for f in &opts.values_files {
        let bytes = fs.read(f).map_err(|e| {
            RenderError::Values(format!("cannot read values file {}: {e}", display(f)))
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| RenderError::Values(format!("{} is not UTF-8 text", display(f))))?;
        let id = files.add(display(f), SourceText::new(&text));
        values_files.push(id);
        let v = yaml::parse_value(&text, Some(id))
            .map_err(|e| RenderError::Values(format!("failed to parse {}: {e}", display(f))))?;
        match &v.kind {
            Kind::Map(m) => user = values::merge_maps(user, m.borrow().clone()),
            Kind::Nil => {}
            _ => {
                return Err(RenderError::Values(format!(
                    "{}: values must be a mapping",
                    display(f)
                )));
            }
        }
    }
    for s in &opts.set {
        values::parse_set(s, &mut user).map_err(RenderError::Values)?;
    }

    let kube = kube_version(opts.kube_version.as_deref()).map_err(RenderError::Values)?;
    if opts.kube_version.is_some() && !chart.kube_version.is_empty() {
        let ok = template::semver::matches(&chart.kube_version, &kube.0)
            .map_err(|e| RenderError::Chart(format!("{}: kubeVersion: {e}", chart.name)))?;
        if !ok {
            return Err(RenderError::Chart(format!(
                "chart requires kubeVersion: {} which is incompatible with Kubernetes {}",
                chart.kube_version, kube.0
            )));
        }
    }

    values::process_enabled(&mut chart, &user, "", None);
    values::process_imports(&mut chart);
    let top = values::coalesce(&chart, values::copy_table(&user), false);
    let mut problems = String::new();
    validate_schemas(
        &chart,
        &Value::map(top.clone()).to_json(),
        &mut problems,
        &mut notes,
    );
    if !problems.is_empty() {
        return Err(RenderError::Values(format!(
            "values don't meet the specifications of the schema(s) in the following chart(s):\n{}",
            problems.trim_end()
        )));
    }

    // The template set, parsed in Helm's order (deepest paths first, so a parent's
    // `define` wins over a subchart's).
    let mut entries: Vec<TemplateEntry> = Vec::new();
    let release = release_value(opts);
    let caps = capabilities(&kube, &opts.api_versions);
    let top_values = Value::map(top);
    collect(
        &chart,
        &chart.name.clone(),
        true,
        top_values,
        &release,
        &caps,
        &mut entries,
    );
    entries.sort_by(|a, b| {
        let (ca, cb) = (a.name.matches('/').count(), b.name.matches('/').count());
        cb.cmp(&ca).then_with(|| b.name.cmp(&a.name))
    });
    let mut set = TemplateSet::default();
    for e in &entries {
        set.add_file(TemplateFile {
            name: e.name.clone(),
            text: SourceText::new(&e.text),
            source: TextSource::File(e.file),
        })
        .map_err(Box::new)?;
    }

    // Execute every template.
    let mut exec = Exec::new(&set, opts.limits.clone());
    let mut outputs: BTreeMap<String, (Text, FileId)> = BTreeMap::new();
    let mut total = 0usize;
    for e in &entries {
        let mut dot = e.dot.clone();
        dot.insert(
            "Template".into(),
            Value::map(BTreeMap::from([
                ("Name".to_string(), Value::str(e.name.as_str())),
                ("BasePath".to_string(), Value::str(e.base_path.as_str())),
            ])),
        );
        let out = match exec.execute(&e.name, Value::map(dot)) {
            Some(r) => r?,
            None => continue,
        };
        total += out.s.len();
        if total > opts.limits.max_output {
            return Err(RenderError::Limit(format!(
                "the rendered chart is larger than {} MiB",
                opts.limits.max_output / (1024 * 1024)
            )));
        }
        let base = e.name.rsplit('/').next().unwrap_or("");
        if base.starts_with('_') || e.name.ends_with("/templates/NOTES.txt") || base == "NOTES.txt"
        {
            continue;
        }
        outputs.insert(e.name.clone(), (out, e.file));
    }

    // Split, sort and convert.
    let mut generic = Vec::new();
    let mut hooks = Vec::new();
    for (name, (out, file)) in &outputs {
        if out.s.trim().is_empty() {
            continue;
        }
        for (start, end) in split_manifests(&out.s) {
            let text = &out.s[start..end];
            let object = to_node(text, start, out, *file).map_err(|message| RenderError::Yaml {
                source_path: name.clone(),
                message,
            })?;
            if !object.is_map() {
                return Err(RenderError::Yaml {
                    source_path: name.clone(),
                    message: "a document must be a mapping (an object), not a list or a scalar"
                        .into(),
                });
            }
            let kind = object.get_str("kind").unwrap_or("").to_string();
            let hook = object
                .at(&["metadata", "annotations", "helm.sh/hook"])
                .and_then(Node::as_str)
                .map(str::to_string);
            let doc = RenderedDocument {
                source: name.clone(),
                text: text.to_string(),
                object,
                hook: hook.is_some(),
            };
            match hook {
                Some(h) => {
                    let is_test = h.split(',').any(|x| {
                        matches!(
                            x.trim().to_ascii_lowercase().as_str(),
                            "test" | "test-success"
                        )
                    });
                    if !(opts.skip_tests && is_test) {
                        hooks.push((kind, doc));
                    }
                }
                None => generic.push((kind, doc)),
            }
        }
    }
    sort_by_kind(&mut generic);
    sort_by_kind(&mut hooks);

    let mut documents = Vec::new();
    if opts.include_crds {
        add_crds(&chart, &chart.name.clone(), &mut documents)?;
    }
    documents.extend(generic.into_iter().map(|(_, d)| d));
    documents.extend(hooks.into_iter().map(|(_, d)| d));

    if !opts.show_only.is_empty() {
        let mut kept = Vec::new();
        for pat in &opts.show_only {
            let pat = pat.replace('\\', "/");
            let glob = globset::GlobBuilder::new(&pat)
                .literal_separator(true)
                .build()
                .map_err(|e| RenderError::ShowOnly(format!("{pat} ({e})")))?
                .compile_matcher();
            let mut found = false;
            for (i, d) in documents.iter().enumerate() {
                let rel = d.source.split_once('/').map_or("", |(_, r)| r);
                if glob.is_match(rel) {
                    found = true;
                    if !kept.contains(&i) {
                        kept.push(i);
                    }
                }
            }
            if !found {
                return Err(RenderError::ShowOnly(pat));
            }
        }
        let mut i = 0;
        documents.retain(|_| {
            let keep = kept.contains(&i);
            i += 1;
            keep
        });
    }

    Ok(Rendered {
        documents,
        files,
        notes,
        values_files,
    })
}

/// Checks each chart's values against its `values.schema.json`, as Helm does before it
/// renders. A schema that does not compile (or refers to other documents) is named in
/// `notes` and not checked.
fn validate_schemas(
    chart: &Chart,
    values: &serde_json::Value,
    problems: &mut String,
    notes: &mut Vec<String>,
) {
    if let Some((path, text)) = &chart.schema {
        let compiled = serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| e.to_string())
            .and_then(|schema| jsonschema::validator_for(&schema).map_err(|e| e.to_string()));
        match compiled {
            Ok(validator) => {
                let mut errors: Vec<String> = validator
                    .iter_errors(values)
                    .map(|e| {
                        let at = e.instance_path.to_string();
                        let at = if at.is_empty() {
                            "(root)".to_string()
                        } else {
                            at
                        };
                        format!("- {at}: {e}")
                    })
                    .collect();
                errors.sort();
                if !errors.is_empty() {
                    problems.push_str(&format!("{}:\n{}\n", chart.name, errors.join("\n")));
                }
            }
            Err(e) => notes.push(format!("{path}: schema not checked ({e})")),
        }
    }
    for sub in &chart.subcharts {
        let sub_values = values
            .get(&sub.name)
            .cloned()
            .unwrap_or_else(|| serde_json::json!({}));
        validate_schemas(sub, &sub_values, problems, notes);
    }
}

fn collect_values_files(chart: &Chart, out: &mut Vec<FileId>) {
    out.extend(chart.values_file);
    for sub in &chart.subcharts {
        collect_values_files(sub, out);
    }
}

struct TemplateEntry {
    name: String,
    base_path: String,
    text: String,
    file: FileId,
    dot: BTreeMap<String, Value>,
}

/// Gathers a chart's templates and its dot (`.Values`, `.Chart`, ...), then its subcharts'.
/// Returns the chart's dot, which the parent shows as `.Subcharts.<name>`.
fn collect(
    chart: &Chart,
    full_path: &str,
    is_root: bool,
    values: Value,
    release: &Value,
    caps: &Value,
    out: &mut Vec<TemplateEntry>,
) -> Value {
    let mut meta = chart.metadata.clone();
    meta.insert("IsRoot".into(), Value::bool(is_root));
    let mut subcharts = BTreeMap::new();
    for sub in &chart.subcharts {
        let sub_values = values
            .as_map()
            .and_then(|m| m.borrow().get(&sub.name).cloned())
            .filter(|v| matches!(v.kind, Kind::Map(_)))
            .unwrap_or_else(|| Value::map(BTreeMap::new()));
        let sub_dot = collect(
            sub,
            &format!("{full_path}/charts/{}", sub.name),
            false,
            sub_values,
            release,
            caps,
            out,
        );
        subcharts.insert(sub.name.clone(), sub_dot);
    }
    let dot: BTreeMap<String, Value> = BTreeMap::from([
        ("Values".to_string(), values),
        ("Chart".to_string(), Value::map(meta)),
        (
            "Files".to_string(),
            Value::new(Kind::Object(Rc::new(Object::Files(chart.files.clone())))),
        ),
        ("Release".to_string(), release.clone()),
        ("Capabilities".to_string(), caps.clone()),
        ("Subcharts".to_string(), Value::map(subcharts)),
    ]);
    for t in &chart.templates {
        let base = t.rel.rsplit('/').next().unwrap_or("");
        // A library chart's templates only provide definitions.
        if chart.is_library && !base.starts_with('_') {
            continue;
        }
        out.push(TemplateEntry {
            name: format!("{full_path}/{}", t.rel),
            base_path: format!("{full_path}/templates"),
            text: t.text.clone(),
            file: t.file,
            dot: dot.clone(),
        });
    }
    Value::map(dot)
}

fn add_crds(
    chart: &Chart,
    full_path: &str,
    out: &mut Vec<RenderedDocument>,
) -> Result<(), RenderError> {
    for c in &chart.crds {
        let source = format!("{full_path}/{}", c.rel);
        let mut text = Text::default();
        text.push_exact(
            &c.text,
            Origin::Source {
                file: c.file,
                span: ByteSpan {
                    start: 0,
                    end: c.text.len(),
                },
            },
        );
        let object = to_node(&c.text, 0, &text, c.file).map_err(|message| RenderError::Yaml {
            source_path: source.clone(),
            message,
        })?;
        out.push(RenderedDocument {
            source,
            text: c.text.trim_end().to_string(),
            object,
            hook: false,
        });
    }
    for sub in &chart.subcharts {
        add_crds(sub, &format!("{full_path}/charts/{}", sub.name), out)?;
    }
    Ok(())
}

/// Helm's `SplitManifests`: documents between `---` lines, trimmed, empty ones dropped.
/// Returns byte ranges into `text`.
fn split_manifests(text: &str) -> Vec<(usize, usize)> {
    let trimmed_start = text.len() - text.trim_start().len();
    let trimmed_end = text.trim_end().len();
    if trimmed_start >= trimmed_end {
        return Vec::new();
    }
    let body = &text[trimmed_start..trimmed_end];
    let sep = separator_regex();
    let mut out = Vec::new();
    let mut last = 0;
    for m in sep.find_iter(body) {
        out.push((last, m.start()));
        last = m.end();
    }
    out.push((last, body.len()));
    out.into_iter()
        .filter_map(|(a, b)| {
            let piece = &body[a..b];
            let s = a + (piece.len() - piece.trim_start().len());
            let e = a + piece.trim_end().len();
            (s < e).then_some((trimmed_start + s, trimmed_start + e))
        })
        .collect()
}

fn separator_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"(?:^|\s*\n)---\s*").expect("a valid regex"))
}

const SCRATCH: FileId = FileId(u32::MAX);

/// Parses one output document and gives each node the origin of the output bytes it was
/// printed from. A scalar that contains a value lookup points at the value's line.
fn to_node(doc: &str, base: usize, out: &Text, template: FileId) -> Result<Node, String> {
    let src = SourceText::new(doc);
    let (tree, docs) = parse_stream_lenient(&src, &Limits::default()).map_err(|e| e.to_string())?;
    let Some(d) = docs
        .iter()
        .find(|d| !matches!(tree.node(d.root).kind, crate::manifest::NodeKind::Null))
    else {
        return Ok(Node::map(Origin::Unknown));
    };
    let mut node = from_tree(&tree, &src, d.root, SCRATCH);
    remap(&mut node, base, out, template);
    Ok(node)
}

fn remap(node: &mut Node, base: usize, out: &Text, template: FileId) {
    if let Origin::Source { file, span } = node.origin
        && file == SCRATCH
    {
        let (start, end) = (base + span.start, base + span.end.max(span.start));
        let is_scalar = matches!(node.value, NodeValue::Scalar(_));
        let lookup = is_scalar
            .then(|| {
                out.segs
                    .iter()
                    .filter(|g| g.start < end && g.end > start)
                    .find(|g| !g.exact && matches!(g.origin, Origin::Source { .. }))
                    .map(|g| g.origin)
            })
            .flatten();
        node.origin = lookup
            .or_else(|| out.origin_at(start, end - start))
            .unwrap_or(Origin::Generated {
                file: template,
                span: ByteSpan::default(),
            });
    }
    match &mut node.value {
        NodeValue::Seq(items) => items.iter_mut().for_each(|n| remap(n, base, out, template)),
        NodeValue::Map(m) => m
            .iter_mut()
            .for_each(|(_, n)| remap(n, base, out, template)),
        NodeValue::Scalar(_) => {}
    }
}

const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Helm's install order: known kinds in `INSTALL_ORDER`, unknown kinds after them
/// alphabetically, the same kind in output order (a stable sort).
fn sort_by_kind(docs: &mut [(String, RenderedDocument)]) {
    let rank = |k: &str| INSTALL_ORDER.iter().position(|x| *x == k);
    docs.sort_by(|(a, _), (b, _)| match (rank(a), rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    });
}

/// `(version "v1.20.0", major, minor)`.
fn kube_version(given: Option<&str>) -> Result<(String, String, String), String> {
    let v = given.unwrap_or("v1.20.0");
    let parsed =
        template::semver::Version::parse(v).map_err(|_| format!("invalid kube version {v:?}"))?;
    Ok((
        format!("v{}.{}.{}", parsed.major, parsed.minor, parsed.patch),
        parsed.major.to_string(),
        parsed.minor.to_string(),
    ))
}

fn release_value(opts: &ChartOptions) -> Value {
    Value::map(BTreeMap::from([
        ("Name".to_string(), Value::str(opts.release_name.as_str())),
        ("Namespace".to_string(), Value::str(opts.namespace.as_str())),
        ("Service".to_string(), Value::str("Helm")),
        ("IsInstall".to_string(), Value::bool(true)),
        ("IsUpgrade".to_string(), Value::bool(false)),
        ("Revision".to_string(), Value::int(1)),
    ]))
}

/// Group/versions (and group/version/kinds) of the built-in API, as Helm's default
/// capabilities list them.
const BUILTIN_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
    "apiextensions.k8s.io/v1beta1",
    "apiregistration.k8s.io/v1",
    "apiregistration.k8s.io/v1beta1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "coordination.k8s.io/v1beta1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "scheduling.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "v1/ConfigMap",
    "v1/Namespace",
    "v1/Pod",
    "v1/Secret",
    "v1/Service",
    "v1/ServiceAccount",
    "v1/PersistentVolumeClaim",
    "apps/v1/Deployment",
    "apps/v1/StatefulSet",
    "apps/v1/DaemonSet",
    "batch/v1/Job",
    "batch/v1/CronJob",
    "networking.k8s.io/v1/Ingress",
    "networking.k8s.io/v1/NetworkPolicy",
    "policy/v1/PodDisruptionBudget",
    "autoscaling/v2/HorizontalPodAutoscaler",
    "rbac.authorization.k8s.io/v1/Role",
    "rbac.authorization.k8s.io/v1/RoleBinding",
    "rbac.authorization.k8s.io/v1/ClusterRole",
    "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
    "v1/Endpoints",
    "v1/LimitRange",
    "v1/PersistentVolume",
    "v1/ReplicationController",
    "v1/ResourceQuota",
    "apps/v1/ReplicaSet",
    "autoscaling/v1/HorizontalPodAutoscaler",
    "networking.k8s.io/v1/IngressClass",
    "storage.k8s.io/v1/StorageClass",
    "storage.k8s.io/v1/CSIDriver",
    "scheduling.k8s.io/v1/PriorityClass",
    "coordination.k8s.io/v1/Lease",
    "discovery.k8s.io/v1/EndpointSlice",
    "apiextensions.k8s.io/v1/CustomResourceDefinition",
    "apiregistration.k8s.io/v1/APIService",
    "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration",
    "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration",
    "certificates.k8s.io/v1/CertificateSigningRequest",
];

fn capabilities(kube: &(String, String, String), extra: &[String]) -> Value {
    let mut versions: Vec<String> = BUILTIN_API_VERSIONS.iter().map(|s| s.to_string()).collect();
    for e in extra {
        for part in e.split(',') {
            let p = part.trim();
            if !p.is_empty() && !versions.iter().any(|v| v == p) {
                versions.push(p.to_string());
            }
        }
    }
    Value::map(BTreeMap::from([
        (
            "KubeVersion".to_string(),
            Value::new(Kind::Object(Rc::new(Object::KubeVersion {
                version: kube.0.clone(),
                major: kube.1.clone(),
                minor: kube.2.clone(),
            }))),
        ),
        (
            "APIVersions".to_string(),
            Value::new(Kind::Object(Rc::new(Object::ApiVersions(versions)))),
        ),
        (
            "HelmVersion".to_string(),
            Value::map(BTreeMap::from([
                ("Version".to_string(), Value::str("v3.18.0")),
                ("GitCommit".to_string(), Value::str("")),
                ("GitTreeState".to_string(), Value::str("")),
                ("GoVersion".to_string(), Value::str("go1.24")),
            ])),
        ),
    ]))
}

/// `helm template --name-template`: the release name a template makes (sprig functions,
/// no data), e.g. `app-{{ "x" | upper }}`.
pub fn expand_name_template(text: &str) -> Result<String, RenderError> {
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .stack_size(64 * 1024 * 1024)
            .spawn_scoped(s, || {
                let mut set = TemplateSet::default();
                set.add_file(TemplateFile {
                    name: "name-template".into(),
                    text: SourceText::new(text),
                    source: TextSource::File(FileId(u32::MAX)),
                })
                .map_err(Box::new)?;
                let mut exec = Exec::new(&set, ExecLimits::default());
                match exec.execute("name-template", Value::NIL) {
                    Some(r) => Ok(r?.s),
                    None => Ok(String::new()),
                }
            });
        match worker {
            Ok(h) => h
                .join()
                .unwrap_or_else(|_| Err(RenderError::Limit("the name template failed".into()))),
            Err(e) => Err(RenderError::Limit(format!(
                "cannot start the renderer: {e}"
            ))),
        }
    })
}

/// True when `dir` holds a chart (`Chart.yaml`).
pub fn is_chart_dir(fs: &dyn FileSource, dir: &Path) -> bool {
    fs.is_file(&dir.join("Chart.yaml"))
}

#[cfg(test)]
mod tests;
