//! `.github/kubenudge.yml`: the rollout policy a platform team writes for a repository.
//!
//! Parsed with the engine's own positioned YAML parser so that every mistake (unknown key,
//! wrong type, bad date, bad glob) is reported at `file:line:column`. Validation is strict on
//! purpose: a typo such as `enforce_from` must not silently leave enforcement off. Callers that
//! must never run without a policy (the GitHub check) use [`load_or_default`], which falls back
//! to [`Config::default`] and hands the errors back to be shown.
//!
//! Levels come in two forms: the single `level` + `mode` (+ `enforce-from`), and levels per
//! mode as Pod Security Admission labels have them (`enforce`/`warn`/`audit`, each a level and
//! an optional version) with dated `schedule:` steps ([`LevelSchedule`]), whose order and
//! tightening the parser checks. This module only reads and validates; what applies on a
//! given day is `crate::rollout`'s to decide.

use chrono::NaiveDate;
use globset::{GlobBuilder, GlobMatcher};
use std::fmt;
use std::str::FromStr;

use crate::manifest::{Limits, NodeId, NodeKind, SourceText, YamlTree, parse_stream};
use crate::policy::{Level, Version};
use crate::rules::selection::{RuleSelection, SelectionLayer, Selector};

/// Where the configuration lives in the reviewed repository.
pub const CONFIG_PATH: &str = ".github/kubenudge.yml";

/// How findings of a namespace or path are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Not checked at all.
    Off,
    /// Findings only in the check run (platform visibility); no pull-request comments.
    Audit,
    /// Comments; the check stays `neutral`.
    Warn,
    /// Comments; the check fails (usable as a required status check).
    Enforce,
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "off" => Ok(Mode::Off),
            "audit" => Ok(Mode::Audit),
            "warn" => Ok(Mode::Warn),
            "enforce" => Ok(Mode::Enforce),
            _ => Err(format!(
                "unknown mode {s:?}: expected off, audit, warn or enforce"
            )),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Off => "off",
            Mode::Audit => "audit",
            Mode::Warn => "warn",
            Mode::Enforce => "enforce",
        })
    }
}

/// A Pod Security level and version for one mode, as a pair of PSA labels names them
/// (`pod-security.kubernetes.io/warn: restricted`, `…/warn-version: v1.30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ModeLevel {
    pub level: Level,
    pub version: Version,
}

impl fmt::Display for ModeLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Version::Latest => write!(f, "{}", self.level),
            v => write!(f, "{} ({v})", self.level),
        }
    }
}

/// The levels a namespace is held to, one per mode, as PSA's `enforce`, `warn` and `audit`
/// labels are: a finding is enforced when it violates the enforce level, warned when it
/// violates only the warn level, audited when only the audit level. `privileged` (or no
/// level) checks nothing in that mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ModeLevels {
    pub enforce: Option<ModeLevel>,
    pub warn: Option<ModeLevel>,
    pub audit: Option<ModeLevel>,
}

/// The modes that carry a level, strongest first: the order a finding is classified in.
pub const LEVEL_MODES: [Mode; 3] = [Mode::Enforce, Mode::Warn, Mode::Audit];

impl ModeLevels {
    /// The single `level` + `mode` form: one mode at one level (`off`: nothing).
    pub fn single(mode: Mode, level: ModeLevel) -> Self {
        let mut m = Self::default();
        m.set(mode, Some(level));
        m
    }

    pub fn set(&mut self, mode: Mode, level: Option<ModeLevel>) {
        match mode {
            Mode::Enforce => self.enforce = level,
            Mode::Warn => self.warn = level,
            Mode::Audit => self.audit = level,
            Mode::Off => {}
        }
    }

    /// The level a mode checks; `None` when it checks nothing (unset or `privileged`).
    pub fn get(&self, mode: Mode) -> Option<ModeLevel> {
        let l = match mode {
            Mode::Enforce => self.enforce,
            Mode::Warn => self.warn,
            Mode::Audit => self.audit,
            Mode::Off => None,
        };
        l.filter(|l| l.level != Level::Privileged)
    }

    /// The strongest mode that checks something; `off` when none does.
    pub fn strongest_mode(&self) -> Mode {
        LEVEL_MODES
            .into_iter()
            .find(|m| self.get(*m).is_some())
            .unwrap_or(Mode::Off)
    }

    /// The strictest level checked at `mode` or a stronger mode: what a finding must violate
    /// to count at least as much as `mode`.
    pub fn reach(&self, mode: Mode) -> Level {
        LEVEL_MODES
            .into_iter()
            .filter(|m| *m >= mode)
            .filter_map(|m| self.get(m).map(|l| l.level))
            .max()
            .unwrap_or(Level::Privileged)
    }

    /// The mode that holds the strictest level (the stronger mode on a tie): where findings of
    /// rules that are not Pod Security checks (hardening, deprecations) go.
    pub fn strictest_mode(&self) -> Mode {
        let mut best: Option<(Level, Mode)> = None;
        for m in LEVEL_MODES {
            if let Some(l) = self.get(m)
                && best.is_none_or(|(b, _)| l.level > b)
            {
                best = Some((l.level, m));
            }
        }
        best.map_or(Mode::Off, |(_, m)| m)
    }

    /// How `self` is looser than `earlier`, mode by mode ("`enforce` from restricted to
    /// baseline"); `None` when nothing loosens. Moving a level to a stronger mode is not
    /// loosening: what counts is the strictest level each mode and those above it check.
    pub fn loosening_from(&self, earlier: &ModeLevels) -> Option<String> {
        let mut said: Vec<(Level, Level)> = Vec::new();
        let mut loosened: Vec<String> = Vec::new();
        for m in LEVEL_MODES {
            let (before, after) = (earlier.reach(m), self.reach(m));
            // A weaker mode that loosens the same way only follows the stronger one.
            if after < before && !said.contains(&(before, after)) {
                said.push((before, after));
                loosened.push(format!("`{m}` from {before} to {after}"));
            }
        }
        (!loosened.is_empty()).then(|| loosened.join(", "))
    }

    /// "enforce baseline, warn restricted"; "nothing checked" when no mode has a level.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = LEVEL_MODES
            .into_iter()
            .filter_map(|m| self.get(m).map(|l| format!("{m} {l}")))
            .collect();
        if parts.is_empty() {
            "nothing checked".into()
        } else {
            parts.join(", ")
        }
    }

    /// Every level named, strictest first (the CLI lints at the strictest).
    pub fn levels(&self) -> impl Iterator<Item = ModeLevel> + '_ {
        LEVEL_MODES.into_iter().filter_map(|m| self.get(m))
    }
}

/// One dated step of a `schedule:`: from `from` on, these levels apply.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScheduleStep {
    pub from: NaiveDate,
    pub levels: ModeLevels,
    /// Why a step that loosens a level does so (`loosen: true` + `reason`).
    pub loosen_reason: Option<String>,
    pub line: usize,
}

/// The levels of a rollout rule (or the top level) over time, when written per mode: the
/// levels before the first step (`None`: whatever applies without this rule), then the steps
/// in date order. `enforce-from` next to `mode` is the two-step shorthand and stays in the
/// single form ([`RolloutRule::mode`], [`RolloutRule::enforce_from`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LevelSchedule {
    pub initial: Option<ModeLevels>,
    pub steps: Vec<ScheduleStep>,
}

impl LevelSchedule {
    pub fn is_empty(&self) -> bool {
        self.initial.is_none() && self.steps.is_empty()
    }

    /// The levels in force on `today` and the index of the step they come from (`None`:
    /// before the first step).
    pub fn in_force(&self, today: NaiveDate) -> (Option<ModeLevels>, Option<usize>) {
        match self.steps.iter().rposition(|s| s.from <= today) {
            Some(i) => (Some(self.steps[i].levels), Some(i)),
            None => (self.initial, None),
        }
    }
}

/// A glob together with the text it was written as (for reports).
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    matcher: GlobMatcher,
}

impl Pattern {
    /// `*` and `?` never cross a `/`; `**` does. Namespaces hold no `/`, so the same rule
    /// serves namespace, path and `namespace/Kind/name` globs.
    pub fn new(text: &str) -> Result<Self, String> {
        let glob = GlobBuilder::new(text)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid glob {text:?}: {}", e.kind()))?;
        Ok(Self {
            text: text.to_string(),
            matcher: glob.compile_matcher(),
        })
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.matcher.is_match(s)
    }

    fn is_literal(&self) -> bool {
        !self.text.contains(['*', '?', '[', '{'])
    }
}

/// One entry of `rollout:`. The first entry that matches an object decides its stage.
#[derive(Debug, Clone)]
pub struct RolloutRule {
    /// 1-based position in the `rollout:` list, for reports ("rollout rule 2").
    pub index: usize,
    /// Line of the entry in the config file.
    pub line: usize,
    pub namespaces: Vec<Pattern>,
    pub paths: Vec<Pattern>,
    /// The namespace of objects under `paths` that name none themselves (and have no
    /// kustomization saying so).
    pub namespace: Option<String>,
    pub mode: Option<Mode>,
    pub enforce_from: Option<NaiveDate>,
    /// Levels per mode and dated steps (`enforce`/`warn`/`audit`, `schedule`); empty for the
    /// single `mode` form.
    pub schedule: LevelSchedule,
}

impl RolloutRule {
    /// True when every selector the rule has matches: `namespaces` (any glob) and `paths`
    /// (any glob). A rule with both selects objects that satisfy both.
    pub fn matches(&self, namespace: &str, path: &str) -> bool {
        let ns =
            self.namespaces.is_empty() || self.namespaces.iter().any(|p| p.is_match(namespace));
        let p = self.paths.is_empty() || self.paths.iter().any(|p| p.is_match(path));
        ns && p
    }

    pub fn matches_path(&self, path: &str) -> bool {
        !self.paths.is_empty() && self.paths.iter().any(|p| p.is_match(path))
    }

    /// `namespaces dev-*` / `paths clusters/prod/**`, as reports name the rule.
    pub fn describe(&self) -> String {
        let list = |ps: &[Pattern]| {
            ps.iter()
                .map(|p| p.text.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !self.namespaces.is_empty() {
            parts.push(format!("namespaces {}", list(&self.namespaces)));
        }
        if !self.paths.is_empty() {
            parts.push(format!("paths {}", list(&self.paths)));
        }
        format!("rollout rule {} ({})", self.index, parts.join("; "))
    }
}

/// One entry of `exceptions:`.
#[derive(Debug, Clone)]
pub struct Exception {
    pub rule: Pattern,
    /// `namespace/Kind/name`, globs allowed.
    pub object: Pattern,
    pub reason: String,
    /// Last day the exception applies (inclusive).
    pub expires: NaiveDate,
    pub line: usize,
}

impl Exception {
    pub fn matches(&self, rule: &str, object: &str) -> bool {
        self.rule.is_match(rule) && self.object.is_match(object)
    }
}

/// `help:`: where developers go when they cannot comply.
#[derive(Debug, Clone, Default)]
pub struct Help {
    pub contact: Option<String>,
    /// Link to the exception process.
    pub exceptions: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub level: Level,
    pub pss_version: Version,
    /// True when the file writes `level` or `pss-version`: the configuration then "says
    /// otherwise", and Namespace `pod-security.kubernetes.io/*` labels no longer choose the
    /// policy of their namespace.
    pub pss_explicit: bool,
    pub mode: Mode,
    pub enforce_from: Option<NaiveDate>,
    /// Top-level levels per mode and dated steps; empty for the single `level` + `mode` form.
    pub schedule: LevelSchedule,
    pub rollout: Vec<RolloutRule>,
    pub exceptions: Vec<Exception>,
    pub help: Help,
    /// Base URL of the rule guidance pages; `<docs-base-url>/<family>/<name>` is linked.
    pub docs_base_url: Option<String>,
    /// `select:`, `extend-select:` and `ignore:`; the command line adds its own layer on top.
    pub rules: RuleSelection,
    /// `helm:`: per chart directory (relative to the repository root), the values files
    /// (relative to the chart) each rendered as a values set of its own, besides the chart's
    /// defaults and its `ci/*-values.yaml`.
    pub helm: std::collections::BTreeMap<String, Vec<String>>,
}

impl Default for Config {
    /// What applies when a repository has no configuration: restricted, latest, warn.
    fn default() -> Self {
        Self {
            level: Level::Restricted,
            pss_version: Version::Latest,
            pss_explicit: false,
            mode: Mode::Warn,
            enforce_from: None,
            schedule: LevelSchedule::default(),
            rollout: Vec::new(),
            exceptions: Vec::new(),
            help: Help::default(),
            docs_base_url: None,
            rules: RuleSelection::default(),
            helm: std::collections::BTreeMap::new(),
        }
    }
}

/// A mistake in the configuration file, at the position it was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses and validates a configuration file. All mistakes are reported, not just the first.
pub fn parse_config(file: &str, text: &str) -> Result<Config, Vec<ConfigError>> {
    let source = SourceText::new(text);
    let limits = Limits {
        max_file_bytes: 1024 * 1024,
        ..Limits::default()
    };
    if text.len() > limits.max_file_bytes {
        return Err(vec![ConfigError {
            file: file.to_string(),
            line: 1,
            column: 1,
            message: "configuration file is larger than 1 MiB".into(),
        }]);
    }
    let (tree, docs) = parse_stream(&source, &limits).map_err(|e| {
        vec![ConfigError {
            file: file.to_string(),
            line: e.line,
            column: e.column,
            message: format!("invalid YAML: {}", e.message),
        }]
    })?;
    let mut p = ConfigParser {
        file,
        source: &source,
        tree: &tree,
        errors: Vec::new(),
        default_level: ModeLevel {
            level: Level::Restricted,
            version: Version::Latest,
        },
    };
    let config = match docs.as_slice() {
        [] => Config::default(),
        [doc] => p.config(doc.root),
        [_, second, ..] => {
            p.error(
                second.root,
                "expected one YAML document, found several".into(),
            );
            Config::default()
        }
    };
    if p.errors.is_empty() {
        Ok(config)
    } else {
        p.errors.sort_by_key(|e| (e.line, e.column));
        Err(p.errors)
    }
}

/// Parses a configuration, or falls back to the defaults and returns why. A broken
/// configuration must never switch checks off: the caller shows the errors and checks anyway.
pub fn load_or_default(file: &str, bytes: &[u8]) -> (Config, Vec<ConfigError>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return (
                Config::default(),
                vec![ConfigError {
                    file: file.to_string(),
                    line: 1,
                    column: 1,
                    message: format!(
                        "not valid UTF-8 (invalid byte at offset {})",
                        e.valid_up_to()
                    ),
                }],
            );
        }
    };
    match parse_config(file, text) {
        Ok(c) => (c, Vec::new()),
        Err(errors) => (Config::default(), errors),
    }
}

struct ConfigParser<'a> {
    file: &'a str,
    source: &'a SourceText,
    tree: &'a YamlTree,
    errors: Vec<ConfigError>,
    /// The top level's `level` and `pss-version`: the level of `mode` forms and the version
    /// of levels per mode that name none.
    default_level: ModeLevel,
}

/// The keys of one mapping that say which levels apply when.
#[derive(Default)]
struct PerModeKeys {
    mode: Option<NodeId>,
    enforce_from: Option<NodeId>,
    enforce: Option<NodeId>,
    warn: Option<NodeId>,
    audit: Option<NodeId>,
    schedule: Option<NodeId>,
}

impl PerModeKeys {
    fn push(&mut self, key: &str, node: NodeId) {
        match key {
            "enforce" => self.enforce = Some(node),
            "warn" => self.warn = Some(node),
            "audit" => self.audit = Some(node),
            "schedule" => self.schedule = Some(node),
            _ => {}
        }
    }

    /// Levels per mode or a schedule are written (the `mode` form alone is not).
    fn is_empty(&self) -> bool {
        self.enforce.is_none()
            && self.warn.is_none()
            && self.audit.is_none()
            && self.schedule.is_none()
    }
}

impl ConfigParser<'_> {
    fn error(&mut self, node: NodeId, message: String) {
        let (line, column) = self.source.line_col(self.tree.node(node).span().start);
        self.errors.push(ConfigError {
            file: self.file.to_string(),
            line,
            column,
            message,
        });
    }

    fn line(&self, node: NodeId) -> usize {
        self.source.line_col(self.tree.node(node).span().start).0
    }

    /// The entries of a mapping, reporting keys outside `allowed`.
    fn mapping(&mut self, node: NodeId, what: &str, allowed: &[&str]) -> Vec<(String, NodeId)> {
        let tree = self.tree;
        match &tree.node(node).kind {
            NodeKind::Mapping { entries, .. } => {
                let mut out = Vec::new();
                for e in entries {
                    if allowed.contains(&e.key.as_str()) {
                        out.push((e.key.to_string(), e.value));
                    } else {
                        self.error(
                            e.key_node,
                            format!(
                                "unknown key {:?} in {what}; expected one of: {}",
                                e.key,
                                allowed.join(", ")
                            ),
                        );
                    }
                }
                out
            }
            NodeKind::Null => Vec::new(),
            _ => {
                self.error(node, format!("{what} must be a mapping"));
                Vec::new()
            }
        }
    }

    fn string(&mut self, node: NodeId, key: &str) -> Option<String> {
        let n = self.tree.node(node);
        match &n.kind {
            NodeKind::Str(s) => Some(s.to_string()),
            // Kubernetes' YAML 1.1 rules read a plain `off` or `on` as a boolean; in this file
            // they are words (`mode: off`), so take the text as written.
            NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_) => self
                .source
                .text()
                .get(n.span().start..n.span().end)
                .map(str::to_string),
            _ => {
                self.error(node, format!("`{key}` must be a string"));
                None
            }
        }
    }

    fn non_empty_string(&mut self, node: NodeId, key: &str) -> Option<String> {
        let s = self.string(node, key)?;
        if s.trim().is_empty() {
            self.error(node, format!("`{key}` must not be empty"));
            return None;
        }
        Some(s)
    }

    fn parsed<T: FromStr<Err = String>>(&mut self, node: NodeId, key: &str) -> Option<T> {
        let s = self.string(node, key)?;
        match s.parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(node, format!("`{key}`: {e}"));
                None
            }
        }
    }

    fn date(&mut self, node: NodeId, key: &str) -> Option<NaiveDate> {
        // The YAML 1.2 core schema has no timestamp type: 2027-01-15 arrives as a string.
        let s = self.string(node, key)?;
        match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            Ok(d) if s.len() == 10 => Some(d),
            _ => {
                self.error(
                    node,
                    format!("`{key}`: {s:?} is not a date; write YYYY-MM-DD, e.g. 2027-01-15"),
                );
                None
            }
        }
    }

    fn pattern(&mut self, node: NodeId, key: &str) -> Option<Pattern> {
        let s = self.non_empty_string(node, key)?;
        match Pattern::new(&s) {
            Ok(p) => Some(p),
            Err(e) => {
                self.error(node, format!("`{key}`: {e}"));
                None
            }
        }
    }

    fn patterns(&mut self, node: NodeId, key: &str) -> Vec<Pattern> {
        let tree = self.tree;
        match &tree.node(node).kind {
            NodeKind::Sequence { items, .. } => {
                if items.is_empty() {
                    self.error(node, format!("`{key}` must list at least one glob"));
                }
                items.iter().filter_map(|i| self.pattern(*i, key)).collect()
            }
            _ => {
                self.error(
                    node,
                    format!("`{key}` must be a list of globs, e.g. [\"dev-*\"]"),
                );
                Vec::new()
            }
        }
    }

    fn sequence(&mut self, node: NodeId, key: &str) -> Vec<NodeId> {
        match &self.tree.node(node).kind {
            NodeKind::Sequence { items, .. } => items.to_vec(),
            NodeKind::Null => Vec::new(),
            _ => {
                self.error(node, format!("`{key}` must be a list"));
                Vec::new()
            }
        }
    }

    fn config(&mut self, root: NodeId) -> Config {
        let mut c = Config::default();
        let entries = self.mapping(
            root,
            "the configuration",
            &[
                "level",
                "pss-version",
                "mode",
                "enforce-from",
                "enforce",
                "warn",
                "audit",
                "schedule",
                "rollout",
                "exceptions",
                "help",
                "docs-base-url",
                "select",
                "extend-select",
                "ignore",
                "helm",
            ],
        );
        let mut selection = SelectionLayer::default();
        // The single form's level and version are the defaults of everything per mode, so
        // they are read first wherever they are written (their mistakes are reported below).
        for (key, value) in &entries {
            let text = self.tree.as_str(*value).map(str::to_string);
            match (key.as_str(), text) {
                ("level", Some(t)) => {
                    if let Ok(l) = t.parse::<Level>() {
                        self.default_level.level = l;
                    }
                }
                ("pss-version", Some(t)) => {
                    if let Ok(v) = t.parse::<Version>() {
                        self.default_level.version = v;
                    }
                }
                _ => {}
            }
        }
        let mut per_mode = PerModeKeys::default();
        for (key, value) in entries {
            match key.as_str() {
                "level" => {
                    if let Some(l) = self.parsed::<Level>(value, "level") {
                        if l == Level::Privileged {
                            self.error(
                                value,
                                "`level`: privileged checks nothing; expected baseline or restricted (use `mode: off` to turn checks off)".into(),
                            );
                        } else {
                            c.level = l;
                            c.pss_explicit = true;
                        }
                    }
                }
                "pss-version" => {
                    if let Some(v) = self.parsed(value, "pss-version") {
                        c.pss_version = v;
                        c.pss_explicit = true;
                    }
                }
                "mode" => {
                    per_mode.mode = Some(value);
                    if let Some(m) = self.parsed(value, "mode") {
                        c.mode = m;
                    }
                }
                "enforce-from" => {
                    per_mode.enforce_from = Some(value);
                    c.enforce_from = self.date(value, "enforce-from");
                }
                "enforce" | "warn" | "audit" | "schedule" => per_mode.push(&key, value),
                "rollout" => {
                    for (i, item) in self.sequence(value, "rollout").into_iter().enumerate() {
                        if let Some(r) = self.rollout_rule(item, i + 1) {
                            c.rollout.push(r);
                        }
                    }
                }
                "exceptions" => {
                    for item in self.sequence(value, "exceptions") {
                        if let Some(e) = self.exception(item) {
                            c.exceptions.push(e);
                        }
                    }
                }
                "select" => selection.select = Some(self.selectors(value, "select")),
                "extend-select" => selection.extend_select = self.selectors(value, "extend-select"),
                "ignore" => selection.ignore = self.selectors(value, "ignore"),
                "helm" => c.helm = self.helm(value),
                "help" => {
                    for (k, v) in self.mapping(value, "`help`", &["contact", "exceptions"]) {
                        let s = self.non_empty_string(v, &format!("help.{k}"));
                        match k.as_str() {
                            "contact" => c.help.contact = s,
                            _ => c.help.exceptions = s,
                        }
                    }
                }
                _ => {
                    c.docs_base_url = self
                        .non_empty_string(value, "docs-base-url")
                        .map(|s| s.trim_end_matches('/').to_string());
                }
            }
        }
        c.rules.push(selection);
        if !per_mode.is_empty() {
            let single = ModeLevels::single(c.mode, self.default_level);
            c.schedule = self.level_schedule(root, &per_mode, Some(single), "the configuration");
        }
        c
    }

    /// `helm: { charts/web: { values: [values-prod.yaml] } }`: chart directory → values files.
    fn helm(&mut self, node: NodeId) -> std::collections::BTreeMap<String, Vec<String>> {
        let tree = self.tree;
        let mut out = std::collections::BTreeMap::new();
        let charts: Vec<(String, NodeId)> = match &tree.node(node).kind {
            NodeKind::Mapping { entries, .. } => entries
                .iter()
                .map(|e| (e.key.to_string(), e.value))
                .collect(),
            NodeKind::Null => Vec::new(),
            _ => {
                self.error(
                    node,
                    "`helm` must be a mapping of chart directories, e.g. `charts/web: {values: [values-prod.yaml]}`".into(),
                );
                Vec::new()
            }
        };
        for (chart, value) in charts {
            let mut files = Vec::new();
            for (_, list) in self.mapping(value, &format!("`helm.{chart}`"), &["values"]) {
                for item in self.sequence(list, &format!("helm.{chart}.values")) {
                    if let Some(f) = self.non_empty_string(item, &format!("helm.{chart}.values")) {
                        files.push(f);
                    }
                }
            }
            let dir = chart.trim_end_matches('/');
            out.insert(
                if dir.is_empty() {
                    ".".to_string()
                } else {
                    dir.to_string()
                },
                files,
            );
        }
        out
    }

    /// A list of rule ids or families, each checked where it is written.
    fn selectors(&mut self, node: NodeId, key: &str) -> Vec<Selector> {
        let tree = self.tree;
        match &tree.node(node).kind {
            NodeKind::Sequence { items, .. } => items
                .iter()
                .filter_map(|&item| {
                    let text = self.string(item, key)?;
                    Selector::parse(&text)
                        .map_err(|e| self.error(item, format!("`{key}`: {e}")))
                        .ok()
                })
                .collect(),
            NodeKind::Null => Vec::new(),
            _ => {
                self.error(
                    node,
                    format!("`{key}` must be a list of rule ids or families, e.g. [pod-security]"),
                );
                Vec::new()
            }
        }
    }

    /// `enforce: baseline` or `enforce: {level: baseline, version: v1.30}`.
    fn mode_level(&mut self, node: NodeId, key: &str) -> Option<ModeLevel> {
        let tree = self.tree;
        if matches!(tree.node(node).kind, NodeKind::Mapping { .. }) {
            let mut out = ModeLevel {
                level: Level::Restricted,
                version: self.default_level.version,
            };
            let entries = self.mapping(node, &format!("`{key}`"), &["level", "version"]);
            if !entries.iter().any(|(k, _)| k == "level") {
                self.error(node, format!("`{key}` is missing `level`"));
                return None;
            }
            let before = self.errors.len();
            for (k, v) in entries {
                if k == "level" {
                    out.level = self.parsed(v, &format!("{key}.level"))?;
                } else {
                    out.version = self.parsed(v, &format!("{key}.version"))?;
                }
            }
            return (self.errors.len() == before).then_some(out);
        }
        Some(ModeLevel {
            level: self.parsed(node, key)?,
            version: self.default_level.version,
        })
    }

    /// The `enforce`/`warn`/`audit` keys of one mapping.
    fn mode_levels(&mut self, keys: &PerModeKeys) -> Option<ModeLevels> {
        let mut levels = ModeLevels::default();
        let mut any = false;
        for (mode, node) in [
            (Mode::Enforce, keys.enforce),
            (Mode::Warn, keys.warn),
            (Mode::Audit, keys.audit),
        ] {
            if let Some(node) = node {
                any = true;
                let l = self.mode_level(node, &mode.to_string());
                levels.set(mode, l);
            }
        }
        any.then_some(levels)
    }

    /// The levels per mode of a rule or the top level and its `schedule:`, validated: no
    /// `mode`/`enforce-from` next to levels per mode, steps in date order, and no step that
    /// loosens a level without `loosen: true` and a reason. `single` is the `mode` form's
    /// levels, when the mapping writes `mode`.
    fn level_schedule(
        &mut self,
        node: NodeId,
        keys: &PerModeKeys,
        single: Option<ModeLevels>,
        what: &str,
    ) -> LevelSchedule {
        let has_levels = keys.enforce.is_some() || keys.warn.is_some() || keys.audit.is_some();
        if has_levels && keys.mode.is_some() {
            self.error(
                keys.mode.unwrap_or(node),
                format!("{what}: give either `mode` or levels per mode (`enforce`, `warn`, `audit`), not both"),
            );
        }
        if let Some(ef) = keys.enforce_from
            && (has_levels || keys.schedule.is_some())
        {
            self.error(
                ef,
                format!("{what}: `enforce-from` is shorthand for `mode` with one dated step; with levels per mode or a `schedule`, write the step in `schedule`"),
            );
        }
        let initial = self.mode_levels(keys).or(single);
        let mut schedule = LevelSchedule {
            initial,
            steps: Vec::new(),
        };
        let Some(list) = keys.schedule else {
            return schedule;
        };
        let items = self.sequence(list, "schedule");
        if items.is_empty() {
            self.error(list, "`schedule` must list at least one step".into());
        }
        let mut previous: Option<(NaiveDate, ModeLevels)> = None;
        for (i, item) in items.into_iter().enumerate() {
            let n = i + 1;
            let entries = self.mapping(
                item,
                "a schedule step",
                &["from", "enforce", "warn", "audit", "loosen", "reason"],
            );
            let mut step_keys = PerModeKeys::default();
            let (mut from, mut loosen, mut reason) = (None, None, None);
            for (k, v) in &entries {
                match k.as_str() {
                    "from" => from = self.date(*v, "from").map(|d| (d, *v)),
                    "loosen" => match &self.tree.node(*v).kind {
                        NodeKind::Bool(b) => loosen = Some((*b, *v)),
                        _ => self.error(*v, "`loosen` must be true or false".into()),
                    },
                    "reason" => reason = self.non_empty_string(*v, "reason"),
                    _ => step_keys.push(k, *v),
                }
            }
            if !entries.iter().any(|(k, _)| k == "from") {
                self.error(
                    item,
                    format!("schedule step {n} is missing `from` (the date it starts)"),
                );
            }
            let Some(levels) = self.mode_levels(&step_keys) else {
                self.error(
                    item,
                    format!("schedule step {n} changes nothing: give `enforce`, `warn` or `audit`"),
                );
                continue;
            };
            let Some((date, date_node)) = from else {
                continue;
            };
            if let Some((l, node)) = loosen
                && l
                && reason.is_none()
            {
                self.error(
                    node,
                    format!("schedule step {n}: `loosen: true` needs a `reason`"),
                );
            }
            let earlier = previous.map(|(_, l)| l).or(schedule.initial);
            if let Some((prev_date, _)) = previous
                && date <= prev_date
            {
                self.error(
                    date_node,
                    format!("schedule step {n} ({date}) is not after step {} ({prev_date}): list the steps in date order", n - 1),
                );
            }
            if let Some(earlier) = earlier
                && let Some(how) = levels.loosening_from(&earlier)
                && loosen.is_none_or(|(l, _)| !l)
            {
                self.error(
                    item,
                    format!("schedule step {n} ({date}) loosens {how}; if that is intended, add `loosen: true` and a `reason`"),
                );
            }
            let loosen_reason = loosen.filter(|(l, _)| *l).and(reason);
            schedule.steps.push(ScheduleStep {
                from: date,
                levels,
                loosen_reason,
                line: self.line(item),
            });
            previous = Some((date, levels));
        }
        schedule
    }

    fn rollout_rule(&mut self, node: NodeId, index: usize) -> Option<RolloutRule> {
        let mut r = RolloutRule {
            index,
            line: self.line(node),
            namespaces: Vec::new(),
            paths: Vec::new(),
            namespace: None,
            mode: None,
            enforce_from: None,
            schedule: LevelSchedule::default(),
        };
        let entries = self.mapping(
            node,
            "a rollout rule",
            &[
                "namespaces",
                "paths",
                "namespace",
                "mode",
                "enforce-from",
                "enforce",
                "warn",
                "audit",
                "schedule",
            ],
        );
        let before = self.errors.len();
        let mut per_mode = PerModeKeys::default();
        for (key, value) in &entries {
            match key.as_str() {
                "namespaces" => r.namespaces = self.patterns(*value, "namespaces"),
                "paths" => r.paths = self.patterns(*value, "paths"),
                "namespace" => r.namespace = self.non_empty_string(*value, "namespace"),
                "mode" => {
                    per_mode.mode = Some(*value);
                    r.mode = self.parsed(*value, "mode");
                }
                "enforce-from" => {
                    per_mode.enforce_from = Some(*value);
                    r.enforce_from = self.date(*value, "enforce-from");
                }
                _ => per_mode.push(key, *value),
            }
        }
        if !per_mode.is_empty() {
            let single = r.mode.map(|m| ModeLevels::single(m, self.default_level));
            r.schedule =
                self.level_schedule(node, &per_mode, single, &format!("rollout rule {index}"));
        }
        let has = |k: &str| entries.iter().any(|(key, _)| key == k);
        if !has("namespaces") && !has("paths") {
            self.error(
                node,
                format!("rollout rule {index} selects nothing: give `namespaces` or `paths`"),
            );
        }
        let levels_given = [
            "mode",
            "enforce-from",
            "enforce",
            "warn",
            "audit",
            "schedule",
        ]
        .iter()
        .any(|k| has(k));
        if !levels_given {
            self.error(
                node,
                format!("rollout rule {index} changes nothing: give `mode`, `enforce-from`, levels per mode (`enforce`, `warn`, `audit`) or a `schedule`"),
            );
        }
        if has("namespace") && !has("paths") {
            self.error(
                node,
                format!(
                    "rollout rule {index}: `namespace` names the namespace of files under `paths`; add `paths`"
                ),
            );
        }
        (self.errors.len() == before).then_some(r)
    }

    fn exception(&mut self, node: NodeId) -> Option<Exception> {
        let line = self.line(node);
        let entries = self.mapping(
            node,
            "an exception",
            &["rule", "object", "reason", "expires"],
        );
        let before = self.errors.len();
        let (mut rule, mut object, mut reason, mut expires) = (None, None, None, None);
        for (key, value) in &entries {
            match key.as_str() {
                "rule" => rule = self.exception_rule(*value),
                "object" => {
                    object = self.pattern(*value, "object");
                    if let Some(o) = &object
                        && o.text.split('/').count() != 3
                    {
                        self.error(
                            *value,
                            format!(
                                "`object` {:?} must be namespace/Kind/name, e.g. kube-system/DaemonSet/node-exporter",
                                o.text
                            ),
                        );
                    }
                }
                "reason" => reason = self.non_empty_string(*value, "reason"),
                _ => expires = self.date(*value, "expires"),
            }
        }
        for k in ["rule", "object", "reason", "expires"] {
            if !entries.iter().any(|(key, _)| key == k) {
                self.error(node, format!("exception is missing `{k}`"));
            }
        }
        if self.errors.len() != before {
            return None;
        }
        Some(Exception {
            rule: rule?,
            object: object?,
            reason: reason?,
            expires: expires?,
            line,
        })
    }

    /// A rule id or glob. A literal id of a family kubenudge has rules for must name one of
    /// them: an exception for a misspelt rule would silently except nothing.
    fn exception_rule(&mut self, node: NodeId) -> Option<Pattern> {
        let p = self.pattern(node, "rule")?;
        let Some((family, _)) = p.text.split_once('/') else {
            self.error(
                node,
                format!(
                    "`rule` {:?} must be a rule id such as pod-security/host-namespaces",
                    p.text
                ),
            );
            return None;
        };
        let family_known = crate::rules::all()
            .iter()
            .any(|r| crate::rules::family(r.id()) == family);
        if p.is_literal() && family_known && crate::rules::find(&p.text).is_none() {
            self.error(
                node,
                format!("unknown rule {:?}; `kubenudge rules` lists them", p.text),
            );
            return None;
        }
        Some(p)
    }
}

#[cfg(test)]
mod tests;
