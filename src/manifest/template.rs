//! Which files are Go templates (Helm charts and the like) rather than manifests.
//!
//! `{{ … }}` alone does not make a template: Prometheus rules (`{{ $labels.instance }}` in an
//! alert annotation), Grafana dashboards in ConfigMaps, Argo CD ApplicationSets and
//! OpenTelemetry configs carry it inside string values, and kubectl applies them as they are.
//! A file is a template when an action stands in the YAML *structure* — where it decides what
//! the YAML is, so the file only has a meaning once rendered:
//! - a node that starts with `{{` outside quotes (`name: {{ .Values.name }}` parses as a flow
//!   mapping; a plain scalar cannot start with `{`), or a plain key holding `{{`;
//! - a line that is an action of its own (`{{- if .Values.x }}`), which breaks the parse;
//! - any file under the `templates/` folder of a chart (a `Chart.yaml` beside that folder).
//!
//! Inside quoted scalars, block scalars and the middle of plain scalars it is text, and the
//! file is linted like any other.

use std::collections::HashSet;

use super::yaml::{NodeId, NodeKind, Style, YamlTree};

/// True when some line holds `{{ … }}` outside a comment: for a file that does not parse,
/// that is the template's doing, not a typo to report.
pub(super) fn has_action_outside_comments(text: &str) -> bool {
    text.lines().any(|line| {
        let code = line.trim_start();
        if code.starts_with('#') {
            return false;
        }
        code.find("{{").is_some_and(|i| code[i..].contains("}}"))
    })
}

/// True when a parsed file has a template action in its structure (see the module doc).
pub(super) fn has_action_in_structure(tree: &YamlTree, text: &str) -> bool {
    if !text.contains("{{") {
        return false;
    }
    (0..tree.len()).any(|i| {
        let node = tree.node(NodeId(i as u32));
        let written = text.get(node.span().start..).unwrap_or_default();
        match &node.kind {
            NodeKind::Mapping { entries } => {
                (node.flow && written.starts_with("{{"))
                    || entries.iter().any(|e| {
                        !e.merged
                            && tree.node(e.key_node).style == Style::Plain
                            && e.key.contains("{{")
                    })
            }
            NodeKind::Sequence { .. } => false,
            _ => node.style == Style::Plain && written.starts_with("{{"),
        }
    })
}

/// The chart directories of a run: the folders that hold a `Chart.yaml`. A file below
/// `<chart>/templates/` is a template whatever its text.
#[derive(Debug, Clone, Default)]
pub struct ChartDirs(HashSet<String>);

impl ChartDirs {
    /// The folders of every `Chart.yaml` among `paths` ('/'-separated, as reported).
    pub fn from_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Self {
        let mut dirs = ChartDirs::default();
        for path in paths {
            if let Some(dir) = path.strip_suffix("Chart.yaml")
                && (dir.is_empty() || dir.ends_with('/'))
            {
                dirs.insert(dir.trim_end_matches('/'));
            }
        }
        dirs
    }

    /// Adds a chart folder (`""` for the current one).
    pub fn insert(&mut self, dir: &str) {
        self.0.insert(dir.to_string());
    }

    pub fn extend(&mut self, other: &ChartDirs) {
        self.0.extend(other.0.iter().cloned());
    }

    /// True when `path` lies under the `templates/` folder of one of these charts.
    pub fn holds_template(&self, path: &str) -> bool {
        !self.0.is_empty() && template_dirs_above(path).any(|chart| self.0.contains(chart))
    }
}

/// The chart folder `path` would belong to if it is a chart template: the folder above its
/// nearest `templates` component (`charts/web` for `charts/web/templates/a/deploy.yaml`).
/// The caller checks that a `Chart.yaml` is there.
pub fn chart_dir_of(path: &str) -> Option<&str> {
    template_dirs_above(path).next()
}

/// Every folder that has a `templates` child on the way to `path`, nearest first.
fn template_dirs_above(path: &str) -> impl Iterator<Item = &str> {
    let bytes = path.as_bytes();
    path.match_indices("templates/")
        .filter(move |(i, _)| *i == 0 || bytes[i - 1] == b'/')
        .map(move |(i, _)| path[..i].trim_end_matches('/'))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_templates_are_found_by_their_chart_yaml() {
        let dirs =
            ChartDirs::from_paths(["charts/web/Chart.yaml", "Chart.yaml", "x/NotChart.yaml"]);
        assert!(dirs.holds_template("charts/web/templates/deploy.yaml"));
        assert!(dirs.holds_template("charts/web/templates/sub/deploy.yaml"));
        assert!(dirs.holds_template("templates/cm.yaml"));
        assert!(!dirs.holds_template("charts/api/templates/deploy.yaml"));
        assert!(!dirs.holds_template("charts/web/values.yaml"));
        assert!(!dirs.holds_template("charts/web/mytemplates/deploy.yaml"));
        assert_eq!(
            chart_dir_of("a/templates/b/templates/c.yaml"),
            Some("a/templates/b")
        );
        assert_eq!(chart_dir_of("templates/c.yaml"), Some(""));
        assert_eq!(chart_dir_of("a/b.yaml"), None);
    }
}
