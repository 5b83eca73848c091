//! What a rule reports, and the edits that fix it.

use serde::Serialize;

use crate::manifest::{FieldPath, NodeId, ObjectRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// Whether a fix can be applied without a human looking at it (ruff's model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixSafety {
    /// Cannot change what the workload does.
    Safe,
    /// May break the application (e.g. an image that needs root); a person must check.
    Review,
}

/// A replacement of the bytes `start..end` of the file's text (BOM excluded) by `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub safety: FixSafety,
    /// Imperative one-liner: "Set `allowPrivilegeEscalation: false` on container \"app\"".
    pub title: String,
    /// Why a review is needed (empty for safe fixes). Most are a rule's fixed text: borrowed,
    /// not copied into each of a big run's findings.
    pub caveat: std::borrow::Cow<'static, str>,
    /// Non-overlapping, sorted by `start`.
    pub edits: Vec<Edit>,
    /// The plan's actions and the object they apply to, kept so that several fixes on one
    /// object can be realised together into non-overlapping edits (`crate::fix::merge_fixes`).
    #[serde(skip)]
    pub actions: Vec<FixAction>,
    #[serde(skip)]
    pub object: Option<NodeId>,
}

/// One change a fix makes, described by field paths (relative to the object root). Rules say
/// *what* must change; `crate::fix::realize` turns it into edits that keep the author's
/// formatting (indentation, quoting, comments, flow or block style).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixAction {
    /// Set the scalar at `path` to `value` (YAML scalar text such as `false`, `RuntimeDefault`,
    /// `1000`), creating missing parent mappings.
    Set { path: FieldPath, value: String },
    /// Remove the mapping key or sequence item at `path`.
    Remove { path: FieldPath },
    /// Make the list at `path` contain `item` (a scalar, or one single-line flow collection such
    /// as a whole NetworkPolicy rule), creating the list if needed.
    AddToList { path: FieldPath, item: String },
    /// Remove every occurrence of the scalar `item` from the list at `path`.
    RemoveFromList { path: FieldPath, item: String },
}

/// What a rule proposes; realised into a [`Fix`] with byte edits by `crate::fix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixPlan {
    pub safety: FixSafety,
    pub title: String,
    pub caveat: std::borrow::Cow<'static, str>,
    pub actions: Vec<FixAction>,
}

/// A rule's verdict on one object, before it is placed in a file.
#[derive(Debug, Clone)]
pub struct Violation {
    pub message: String,
    /// Where the problem is; a missing field is reported at its nearest existing parent.
    pub path: FieldPath,
    pub fix: Option<FixPlan>,
    /// Overrides the rule's severity for this one finding (a rule whose findings differ in
    /// how bad they are: no DNS at all is an error, DNS over UDP only a warning).
    pub severity: Option<Severity>,
}

impl Violation {
    pub fn new(message: impl Into<String>, path: FieldPath) -> Self {
        Self {
            message: message.into(),
            path,
            fix: None,
            severity: None,
        }
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    pub fn with_fix(mut self, fix: Option<FixPlan>) -> Self {
        self.fix = fix;
        self
    }
}

/// One problem, placed in a file.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// `FAMILY/NAME`, e.g. `pod-security/run-as-non-root`.
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    /// Byte offset into the file's text (BOM excluded); line and column are derived from it.
    #[serde(skip)]
    pub byte: usize,
    pub line: usize,
    pub column: usize,
    pub object: ObjectRef,
    pub field_path: FieldPath,
    /// Where the policy that made this finding apply came from, e.g.
    /// `restricted:latest (label pod-security.kubernetes.io/enforce on Namespace payments)`.
    pub policy: Option<String>,
    /// Boxed: a finding is moved several times on its way to a report (sorted, reviewed,
    /// filtered), and a big run has hundreds of thousands.
    #[serde(skip)]
    pub fix: Option<Box<Fix>>,
    /// The Kustomize entry points (`overlays/dev`, `overlays/prod`) whose build has this
    /// finding, when it was found in built output; empty for a file linted as it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overlays: Vec<String>,
}

impl Finding {
    /// A stable identity across pushes: the same problem on the same field of the same object
    /// in the same file, whatever line it moved to.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [
            self.rule,
            &self.object.to_string(),
            &self.field_path.to_string(),
            &self.file,
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(&h.finalize()[..8])
    }
}
