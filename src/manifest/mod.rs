//! Reading manifests: files -> YAML trees with byte spans -> Kubernetes objects, typed where a
//! rule needs it. Owns positions (every field can be located on a file line) and the limits
//! that keep hostile input bounded. It never touches the network or the rules.

mod kinds;
mod labels;
mod limits;
mod locate;
mod path;
mod removed_apis;
pub mod selector;
mod source;
mod template;
mod tree_de;
mod validate;
mod yaml;

pub use kinds::{PodTemplateRef, TemplatePort, TemplateSummary, Typed};
pub use limits::Limits;
pub use locate::Location;
pub use path::{FieldPath, Segment};
pub use removed_apis::{Migration, REMOVED_APIS, RemovedApi, removed_api};
pub use source::SourceText;
pub use template::{ChartDirs, chart_dir_of};
pub use validate::validate;
pub use yaml::{
    ByteSpan, DocumentRoot, Entry, NodeId, NodeKind, Style, YamlError, YamlTree, parse_stream,
    parse_stream_lenient,
};
pub(crate) use yaml::{plain_word_is_string, plain_word_kind, scalar_json};

use serde::Serialize;

/// One Kubernetes object found in a file.
#[derive(Debug)]
pub struct Object {
    /// 0-based index of the YAML document the object came from.
    pub document: usize,
    /// Root node of the object (for a `List` item, the item).
    pub node: NodeId,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The typed view of a Namespace or a NetworkPolicy (or `Untyped`), kept for the whole
    /// run: other objects read them, and they are few and small. A workload's is not kept
    /// (`Untyped` here, `template` set): k8s-openapi's types hold every optional field inline,
    /// 2 to 5 KB a workload whatever its manifest says, and the typed views of a big run were
    /// a third of its memory (20,000 Pods: 110 of 350 MB). [`ManifestFile::typed`] gives every
    /// object's view, decoding a workload's again for the one caller (a rule, a plan).
    pub(crate) kept: Typed,
    /// What other objects and the review read of a workload's pod template, kept when its
    /// typed view is not; `None` for an object without one.
    pub template: Option<Box<TemplateSummary>>,
}

impl Object {
    pub fn reference(&self) -> ObjectRef {
        ObjectRef {
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

/// `kind`, `namespace`, `name` of an object, as findings and reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}/{}/{}", self.kind, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// A problem reading a file or one of its documents. It never aborts the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadError {
    pub file: String,
    /// 1-based; 0 when the problem is the whole file (too large, binary).
    pub line: usize,
    /// 1-based; 0 when only the line is known.
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ReadError {
    /// `file:line:column: error: message`, leaving out what is not known.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        write!(f, ": error: {}", self.message)
    }
}

/// Why a file was not linted although it was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SkipReason {
    /// Holds `{{ … }}`: a Helm or Go template that only becomes YAML once rendered.
    Template,
    /// No document in it is a Kubernetes object.
    NotKubernetes,
}

/// A parsed file and the objects in it.
#[derive(Debug)]
pub struct ManifestFile {
    pub path: String,
    pub source: SourceText,
    pub tree: YamlTree,
    pub objects: Vec<Object>,
    /// Problems with single documents (the rest of the file is still linted).
    pub errors: Vec<ReadError>,
    pub skipped: Option<SkipReason>,
}

impl ManifestFile {
    /// A file that is a Go template, read no further (it only becomes YAML once rendered).
    pub fn template(path: &str) -> ManifestFile {
        ManifestFile {
            path: path.to_string(),
            source: SourceText::new(""),
            tree: YamlTree::default(),
            objects: Vec::new(),
            errors: Vec::new(),
            skipped: Some(SkipReason::Template),
        }
    }

    /// The typed view of `object`, one of this file's: the kept one, or for a workload (whose
    /// view is not kept, see [`Object::kept`]) decoded again from the tree, as it was when the
    /// file was read.
    pub fn typed<'f>(&'f self, object: &'f Object) -> std::borrow::Cow<'f, Typed> {
        if object.template.is_none() {
            return std::borrow::Cow::Borrowed(&object.kept);
        }
        // It decoded when the file was read, and the tree has not changed since.
        let typed = decode_object(&self.tree, object.node, &object.api_version, &object.kind)
            .unwrap_or(Typed::Untyped);
        std::borrow::Cow::Owned(typed)
    }

    pub fn locate(&self, object: &Object, path: &FieldPath) -> Location {
        locate::locate(&self.tree, &self.source, object.node, path)
    }

    /// The node at `path` inside `object`, if every segment exists.
    pub fn node_at(&self, object: &Object, path: &FieldPath) -> Option<NodeId> {
        locate::node_at(&self.tree, object.node, path)
    }
}

/// Reads bytes as a manifest file. Errors that make the whole file unreadable (not UTF-8,
/// binary, too large, broken YAML) come back as `Err`; problems with single objects land in
/// [`ManifestFile::errors`].
pub fn read_manifest(path: &str, bytes: &[u8], limits: &Limits) -> Result<ManifestFile, ReadError> {
    let fail = |line: usize, message: String| ReadError {
        file: path.to_string(),
        line,
        column: 0,
        message,
    };
    if bytes.len() > limits.max_file_bytes {
        return Err(fail(
            0,
            format!(
                "file is {} MiB, above the {} MiB limit; not read",
                bytes.len() / (1024 * 1024),
                limits.max_file_bytes / (1024 * 1024)
            ),
        ));
    }
    if bytes.contains(&0) {
        return Err(fail(0, "binary file (contains NUL bytes); not read".into()));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            return Err(fail(
                line,
                format!(
                    "not valid UTF-8 (invalid byte at offset {}); Kubernetes manifests must be UTF-8",
                    e.valid_up_to()
                ),
            ));
        }
    };
    let source = SourceText::new(text);
    let template = |source: SourceText| ManifestFile {
        source,
        ..ManifestFile::template(path)
    };
    let (tree, docs) = match parse_stream(&source, limits) {
        Ok(parsed) => parsed,
        // `{{ … }}` that breaks the YAML is a template's action, not a typo to report.
        Err(_) if template::has_action_outside_comments(source.text()) => {
            return Ok(template(source));
        }
        Err(e) => {
            return Err(ReadError {
                column: e.column,
                ..fail(e.line, format!("invalid YAML: {}", e.message))
            });
        }
    };
    if template::has_action_in_structure(&tree, source.text()) {
        return Ok(template(source));
    }
    let mut file = ManifestFile {
        path: path.to_string(),
        source,
        tree,
        objects: Vec::new(),
        errors: Vec::new(),
        skipped: None,
    };
    // Documents decode independently: a big file's are decoded on all cores, in chunks, and
    // joined in document order.
    let (objects, errors): (Vec<Vec<Object>>, Vec<Vec<ReadError>>) =
        if docs.len() > DOCUMENTS_PER_TASK {
            use rayon::prelude::*;
            docs.par_chunks(DOCUMENTS_PER_TASK)
                .map(|chunk| collect_documents(&file, chunk))
                .unzip()
        } else {
            let (objects, errors) = collect_documents(&file, &docs);
            (vec![objects], vec![errors])
        };
    file.objects = objects.into_iter().flatten().collect();
    file.errors = errors.into_iter().flatten().collect();
    if file.objects.is_empty() && file.errors.is_empty() {
        file.skipped = Some(SkipReason::NotKubernetes);
    }
    Ok(file)
}

/// Documents decoded as one task (decoding one is a few microseconds: a task each would cost
/// more than it saves).
const DOCUMENTS_PER_TASK: usize = 256;

/// The objects of `docs`, and the errors of those that do not match their schema.
fn collect_documents(file: &ManifestFile, docs: &[DocumentRoot]) -> (Vec<Object>, Vec<ReadError>) {
    let mut objects = Vec::with_capacity(docs.len());
    let mut errors = Vec::new();
    for doc in docs {
        collect_objects(file, doc.root, doc.index, None, &mut objects, &mut errors);
    }
    (objects, errors)
}

/// `list` is the `(apiVersion, kind)` of the typed list (`PodList`, `NamespaceList`) an item
/// sits in: `kubectl get -o yaml` leaves `apiVersion` and `kind` out of such items, and the
/// API server reads them as the list's item kind.
fn collect_objects(
    file: &ManifestFile,
    node: NodeId,
    document: usize,
    list: Option<(&str, &str)>,
    objects: &mut Vec<Object>,
    errors: &mut Vec<ReadError>,
) {
    let tree = &file.tree;
    let own = (
        tree.get(node, "apiVersion").and_then(|n| tree.as_str(n)),
        tree.get(node, "kind").and_then(|n| tree.as_str(n)),
    );
    let (api_version, kind, inherited) = match (own, list) {
        ((Some(a), Some(k)), _) => (a.to_string(), k.to_string(), false),
        ((a, None), Some((list_api, list_kind))) if !list_kind.is_empty() => (
            a.unwrap_or(list_api).to_string(),
            list_kind.to_string(),
            true,
        ),
        // Not a Kubernetes object (a values file, a config): skipped quietly.
        _ => return,
    };
    if kind.ends_with("List")
        && list.is_none()
        && let Some(items) = tree.get(node, "items")
    {
        let items = tree.items(items).to_vec();
        let item_kind = kind.strip_suffix("List").unwrap_or("").to_string();
        for item in items {
            collect_objects(
                file,
                item,
                document,
                Some((&api_version, &item_kind)),
                objects,
                errors,
            );
        }
        return;
    }
    let meta = tree.get(node, "metadata");
    let name = meta
        .and_then(|m| tree.get(m, "name").or_else(|| tree.get(m, "generateName")))
        .and_then(|n| tree.as_str(n))
        .unwrap_or("")
        .to_string();
    let namespace = meta
        .and_then(|m| tree.get(m, "namespace"))
        .and_then(|n| tree.as_str(n))
        .map(str::to_string);
    debug_assert_eq!(inherited, inherits_kind(tree, node));
    let typed = match decode_object(tree, node, &api_version, &kind) {
        Ok(t) => t,
        Err(error) => {
            // At the field serde stopped at, so the author sees which value is wrong.
            let at = locate::locate(tree, &file.source, node, &error.path);
            let field = match error.path.is_empty() {
                true => String::new(),
                false => format!("{}: ", error.path),
            };
            errors.push(ReadError {
                file: file.path.clone(),
                line: at.line,
                column: at.column,
                message: format!(
                    "{field}{}; {kind} {name:?} does not match the Kubernetes schema and is not checked",
                    error.message
                ),
            });
            Typed::Untyped
        }
    };
    // A workload keeps what others read of its template, not its typed view (see
    // `Object::kept`).
    let template = typed
        .pod_template()
        .map(|t| Box::new(t.summary(!matches!(typed, Typed::PodTemplate(_)))));
    let kept = match template {
        Some(_) => Typed::Untyped,
        None => typed,
    };
    objects.push(Object {
        document,
        node,
        api_version,
        kind,
        name,
        namespace,
        kept,
        template,
    });
}

/// True when the object at `node` takes its `kind` (and `apiVersion`) from the `List` it is an
/// item of: it has no `kind` of its own.
fn inherits_kind(tree: &YamlTree, node: NodeId) -> bool {
    tree.get(node, "kind")
        .and_then(|n| tree.as_str(n))
        .is_none()
}

/// Decodes the object at `node` as `kind` of `api_version` (a `List` item with the list's,
/// which it does not spell out).
fn decode_object(
    tree: &YamlTree,
    node: NodeId,
    api_version: &str,
    kind: &str,
) -> Result<Typed, kinds::SchemaError> {
    let inherited_fields = [("apiVersion", api_version), ("kind", kind)];
    let object = tree_de::NodeDeserializer::new(tree, node);
    let object = match inherits_kind(tree, node) {
        true => object.with_root_fields(&inherited_fields),
        false => object,
    };
    kinds::decode(api_version, kind, object)
}

#[cfg(test)]
mod tests;

/// Every YAML file under the crate's folders `dirs` (e.g. `fixtures`, `tests/data`), with its
/// text: what the reader's tests read through each of its paths.
#[cfg(test)]
pub(crate) fn yaml_files_under(dirs: &[&str]) -> Vec<(std::path::PathBuf, String)> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut stack: Vec<std::path::PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    let mut out = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push((path, text));
            }
        }
    }
    out
}
