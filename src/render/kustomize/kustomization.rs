//! A kustomization file read leniently (a repeated key is accepted, the last one wins, as
//! kubectl's YAML library does), with its fields kept as nodes so that every directive knows
//! its line. Field names match case-insensitively, as Go's JSON decoding does.

use super::BuildError;
use crate::render::value::Node;

/// Top-level fields kustomize knows; anything else is an error, as in kustomize.
const KNOWN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "components",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
    "imageTags",
    "replicas",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "replacements",
    "vars",
    "crds",
    "openapi",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "helmCharts",
    "helmGlobals",
    "helmChartInflationGenerator",
    "buildMetadata",
    "sortOptions",
];

#[derive(Debug)]
pub(crate) struct Kustomization {
    pub root: Node,
    pub is_component: bool,
}

impl Kustomization {
    pub fn read(
        root: Node,
        file: &str,
        line_of: impl Fn(&Node) -> usize,
    ) -> Result<Self, BuildError> {
        if !root.is_map() && !root.is_null() {
            return Err(BuildError::at(
                file,
                line_of(&root),
                "a kustomization must be a mapping of fields".into(),
            ));
        }
        // kustomize's CheckEmpty: nothing but the type header is an error.
        let header_only = root
            .entries()
            .iter()
            .all(|(k, _)| k == "apiVersion" || k == "kind");
        if header_only && root.get_str("kind") != Some("Component") {
            return Err(BuildError::at(
                file,
                0,
                "kustomization.yaml is empty".into(),
            ));
        }
        // Canonical field names, so `nameprefix` reads as `namePrefix`.
        let mut canon = Node::map(root.origin);
        for (k, v) in root.entries() {
            match KNOWN_FIELDS.iter().find(|f| f.eq_ignore_ascii_case(k)) {
                Some(f) => {
                    let f = if *f == "bases" { "bases" } else { f };
                    canon.set(f, v.clone());
                }
                None => {
                    return Err(BuildError::at(
                        file,
                        line_of(v),
                        format!("invalid Kustomization: json: unknown field \"{k}\""),
                    ));
                }
            }
        }
        let kind = canon.get_str("kind").unwrap_or("Kustomization");
        let is_component = kind == "Component";
        if kind != "Kustomization" && kind != "Component" {
            let at = canon.get("kind").map_or(0, &line_of);
            return Err(BuildError::at(
                file,
                at,
                format!("kind {kind:?} is neither Kustomization nor Component"),
            ));
        }
        Ok(Kustomization {
            root: canon,
            is_component,
        })
    }

    pub fn field(&self, name: &str) -> Option<&Node> {
        self.root.get(name).filter(|n| !n.is_null())
    }

    /// Items of a list field (an absent or null field is empty).
    pub fn list(&self, name: &str) -> &[Node] {
        self.field(name).map(Node::items).unwrap_or(&[])
    }
}
