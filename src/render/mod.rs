//! Rendering: directories that describe manifests (a Kustomize overlay, a Helm chart) built
//! into Kubernetes objects, every node carrying its [`Origin`].
//!
//! # The origin model (shared by every renderer)
//! A file read directly has one place per node: a byte span in that file. A built object is
//! assembled from several files, so each [`Node`] carries an [`Origin`] instead:
//! `Source { file, span }` for YAML someone wrote (the base line, or the patch line that
//! overrode it), `Generated { file, span }` for what the build added (a name prefix, a common
//! label, a ConfigMap's hash suffix), pointing at the directive that asked for it. Files are
//! interned in the build's [`SourceFiles`] table. Findings and fixes on built objects speak of
//! origins, never of built text: a wrong value's fix edits its `Source` span; an absent field
//! has no origin and goes to the nearest parent that has one. Helm charts use the same two
//! variants: template text is `Source` in the template, a value printed by `{{ .Values.x }}`
//! (also through `toYaml`, `nindent`, `default`, `with`, `range`) is `Source` in the values
//! file, and text an action computed is `Generated` at that action.
//!
//! This room owns reading kustomizations and charts and building them; it never touches the
//! network, reads the clock only to bound a chart's render time (never for output), and
//! reads files only through a [`FileSource`]. Its one door is this module.

mod files;
mod helm;
mod kustomize;
mod origin;
mod value;

pub use files::{Disk, FileSource, display as display_path, normalize as normalize_path};
pub use helm::{
    ChartLimits, ChartOptions, RenderError, Rendered, RenderedDocument, expand_name_template,
    is_chart_dir, render_chart,
};
pub use kustomize::{
    Build, BuildError, BuildLimits, KUSTOMIZATION_FILE_NAMES, build as build_kustomization,
    entry_points,
};
pub use origin::{FileId, Origin, SourceFiles};
pub use value::{Node, Scalar, Value, from_tree, to_yaml_stream, to_yaml_stream_with_origins};

/// Parses a YAML stream into nodes without origins in any file (for comparing outputs).
pub fn parse_documents(text: &str) -> Result<Vec<Node>, crate::manifest::YamlError> {
    let src = crate::manifest::SourceText::new(text);
    let (tree, docs) =
        crate::manifest::parse_stream_lenient(&src, &crate::manifest::Limits::default())?;
    Ok(docs
        .iter()
        .map(|d| from_tree(&tree, &src, d.root, FileId(u32::MAX)))
        .filter(|n| !n.is_null())
        .collect())
}
