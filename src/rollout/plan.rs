//! The proposed rollout plan (`kubenudge rollout plan`): from the repository alone, which
//! level each namespace should reach, in which order and on which dates, the exceptions it
//! will need and the Namespace labels to set at the end — printed as text or Markdown, and
//! written as a commented `.github/kubenudge.yml` that reproduces it.
//!
//! - **Classes.** Namespaces holding node agents (CNI, CSI, log and metric collectors, found
//!   from their workloads' host access and well-known images) are *system*: privileged in the
//!   cluster, held to `baseline` by kubenudge with an exception named for each agent and rule.
//!   Platform and infrastructure namespaces (ingress, cert-manager, monitoring, `*-system`…)
//!   target `baseline` with `restricted` warned; application namespaces target `restricted`.
//! - **Order.** By environment (dev, staging, prod; from Namespace labels, then the name, then
//!   the paths of its files; unknown ones go with production), then by readiness: a namespace
//!   already clean at its target enforces on its environment's date, one that is not is warned
//!   first and blocks two or four weeks later.
//!
//! Pure: lint result, start date and weeks in; the plan out. It never reads the clock or files.

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use super::NamespaceResolver;
use super::TimelineStep;
use super::readiness::{NamespaceReadiness, Tally, failed_rules};
use crate::config::{CONFIG_PATH, Config, LEVEL_MODES, Mode, ModeLevel, ModeLevels};
use crate::engine::LintResult;
use crate::manifest::{ManifestFile, Object, Typed};
use crate::policy::{Level, Version};

/// Days between a namespace's warning step and its blocking step.
pub const WARN_DAYS: i64 = 14;
/// Suggested lifetime of a node agent's exception: reviewed once a year.
pub const AGENT_EXCEPTION_DAYS: i64 = 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Dev,
    Staging,
    Prod,
    /// No environment found: planned with production, the safest date.
    Unknown,
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Dev => "dev",
            Environment::Staging => "staging",
            Environment::Prod => "prod",
            Environment::Unknown => "unknown environment",
        })
    }
}

impl Environment {
    /// Index into `--weeks` (dev, staging, prod).
    fn wave(self) -> usize {
        match self {
            Environment::Dev => 0,
            Environment::Staging => 1,
            Environment::Prod | Environment::Unknown => 2,
        }
    }

    /// The environment a word names (`dev`, `payments-staging`' parts, a path segment).
    fn of_word(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "dev" | "develop" | "development" | "test" | "testing" | "qa" | "sandbox" => {
                Some(Environment::Dev)
            }
            "stage" | "staging" | "stg" | "preprod" | "pre-prod" | "uat" => {
                Some(Environment::Staging)
            }
            "prod" | "production" | "prd" | "live" => Some(Environment::Prod),
            _ => None,
        }
    }

    fn of_text(text: &str) -> Option<Self> {
        if let Some(e) = Self::of_word(text) {
            return Some(e);
        }
        text.split(['-', '_', '.', '/']).find_map(Self::of_word)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NamespaceClass {
    /// Node agents: privileged in the cluster, with named exceptions in kubenudge.
    System,
    /// Platform and infrastructure: baseline.
    Platform,
    /// Applications: restricted.
    Application,
}

impl fmt::Display for NamespaceClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NamespaceClass::System => "system",
            NamespaceClass::Platform => "platform",
            NamespaceClass::Application => "application",
        })
    }
}

/// A workload recognised as a node agent, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeAgent {
    /// `Kind/name`.
    pub object: String,
    /// "CNI", "CSI", "log collector", "metrics collector" or "node agent".
    pub role: String,
    /// The evidence: host access and the image that gave the role away.
    pub evidence: Vec<String>,
}

/// One dated step of a namespace's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStep {
    pub from: NaiveDate,
    pub levels: ModeLevels,
    /// Why the step is there, for the written configuration's comments.
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedNamespace {
    pub name: String,
    pub class: NamespaceClass,
    pub class_reason: String,
    pub environment: Environment,
    pub environment_reason: String,
    pub readiness: NamespaceReadiness,
    /// The level kubenudge holds the namespace to at the end.
    pub target: Level,
    /// Findings at the target that the plan's exceptions cover (node agents).
    pub excepted_findings: usize,
    pub agents: Vec<NodeAgent>,
    pub steps: Vec<PlannedStep>,
    /// `pod-security.kubernetes.io/*` labels to set once the last step is in force.
    pub labels: Vec<(String, String)>,
}

impl PlannedNamespace {
    /// Clean at the target once the plan's exceptions apply.
    pub fn is_ready(&self) -> bool {
        self.readiness.gap(self.target).findings <= self.excepted_findings
    }

    pub fn last_date(&self) -> NaiveDate {
        self.steps.last().map(|s| s.from).unwrap_or(NaiveDate::MIN)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedException {
    pub rule: String,
    /// `namespace/Kind/name`.
    pub object: String,
    pub reason: String,
    pub expires: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolloutPlan {
    pub start: NaiveDate,
    /// Weeks of the dev, staging and prod waves (1 = the start's week).
    pub weeks: [u32; 3],
    pub version: Version,
    /// By environment, then readiness (ready first), then name.
    pub namespaces: Vec<PlannedNamespace>,
    pub exceptions: Vec<PlannedException>,
}

/// What the plan is made from.
pub struct PlanInput<'a> {
    pub result: &'a LintResult,
    pub resolver: &'a NamespaceResolver,
    /// Resolves namespaces (`paths` rules) and gives the Pod Security version.
    pub config: &'a Config,
    pub start: NaiveDate,
    pub weeks: [u32; 3],
}

/// Well-known node agent images: a fragment of the image reference and the role it plays.
const AGENT_IMAGES: &[(&str, &str)] = &[
    ("calico", "CNI"),
    ("cilium", "CNI"),
    ("flannel", "CNI"),
    ("weave", "CNI"),
    ("kube-router", "CNI"),
    ("antrea", "CNI"),
    ("multus", "CNI"),
    ("amazon-k8s-cni", "CNI"),
    ("azure-cni", "CNI"),
    ("cni", "CNI"),
    ("csi", "CSI"),
    ("fluent-bit", "log collector"),
    ("fluentbit", "log collector"),
    ("fluentd", "log collector"),
    ("promtail", "log collector"),
    ("filebeat", "log collector"),
    ("timberio/vector", "log collector"),
    ("node-exporter", "metrics collector"),
    ("datadog/agent", "metrics collector"),
    ("cadvisor", "metrics collector"),
    ("dcgm-exporter", "metrics collector"),
    ("kube-proxy", "node agent"),
    ("falco", "node agent"),
];

/// Platform and infrastructure namespaces by name.
const PLATFORM_NAMES: &[&str] = &[
    "ingress",
    "cert-manager",
    "monitoring",
    "observability",
    "logging",
    "argocd",
    "argo",
    "flux-system",
    "istio",
    "linkerd",
    "platform",
    "infra",
    "gatekeeper",
    "kyverno",
    "external-dns",
    "external-secrets",
    "vault",
];

/// Builds the plan.
pub fn propose(input: &PlanInput<'_>) -> RolloutPlan {
    let version = input.config.pss_version;
    #[derive(Default)]
    struct Seen {
        paths: BTreeSet<String>,
        labels: BTreeMap<String, String>,
        agents: Vec<NodeAgent>,
        /// Rules each agent fails at baseline: (Kind/name, rule).
        agent_rules: Vec<(String, &'static str)>,
        tally: Tally,
        /// Baseline findings of node agents: the plan's exceptions cover them.
        excepted: usize,
    }
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for file in &input.result.files {
        for object in &file.objects {
            let ns = input.resolver.resolve(
                object.namespace.as_deref(),
                &object.kind,
                &object.name,
                &file.path,
                input.config,
            );
            let entry = seen.entry(ns.name).or_default();
            entry.paths.insert(file.path.clone());
            if let Typed::Namespace(n) = &object.kept
                && let Some(labels) = &n.metadata.labels
            {
                entry
                    .labels
                    .extend(labels.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            if object.template.is_none() {
                continue;
            }
            let baseline = failed_rules(file, object, Level::Baseline, version);
            let restricted = failed_rules(file, object, Level::Restricted, version);
            entry.tally.add(baseline.len(), restricted.len());
            if let Some(agent) = node_agent(file, object) {
                let mut rules: Vec<&'static str> = baseline.clone();
                rules.sort_unstable();
                rules.dedup();
                for r in rules {
                    entry.agent_rules.push((agent.object.clone(), r));
                }
                // Findings, not rules: what readiness counts.
                entry.excepted += baseline.len();
                entry.agents.push(agent);
            }
        }
    }
    let date_of =
        |wave: usize| input.start + Duration::days(7 * (i64::from(input.weeks[wave].max(1)) - 1));
    let mut namespaces = Vec::new();
    let mut exceptions = Vec::new();
    for (name, s) in seen {
        let readiness = s.tally.finish(name.clone());
        if readiness.workloads == 0 {
            continue;
        }
        let excepted = s.excepted;
        let (class, class_reason) = classify(&name, &s.agents);
        let (environment, environment_reason) = environment(&name, &s.labels, &s.paths);
        let target = match class {
            NamespaceClass::Application => Level::Restricted,
            _ => Level::Baseline,
        };
        let mut planned = PlannedNamespace {
            name: name.clone(),
            class,
            class_reason,
            environment,
            environment_reason,
            readiness,
            target,
            excepted_findings: if class == NamespaceClass::System {
                excepted
            } else {
                0
            },
            agents: s.agents.clone(),
            steps: Vec::new(),
            labels: Vec::new(),
        };
        planned.steps = steps(&planned, date_of(environment.wave()), version);
        planned.labels = final_labels(&planned, version);
        if class == NamespaceClass::System {
            let expires = input.start + Duration::days(AGENT_EXCEPTION_DAYS);
            for (object, rule) in &s.agent_rules {
                let agent = s
                    .agents
                    .iter()
                    .find(|a| &a.object == object)
                    .expect("agent of its rules");
                exceptions.push(PlannedException {
                    rule: rule.to_string(),
                    object: format!("{name}/{object}"),
                    reason: format!(
                        "{} node agent ({}): needs host access by design",
                        agent.role,
                        agent.evidence.join(", ")
                    ),
                    expires,
                });
            }
        }
        namespaces.push(planned);
    }
    namespaces.sort_by(|a, b| {
        (a.environment, !a.is_ready(), a.last_date(), &a.name).cmp(&(
            b.environment,
            !b.is_ready(),
            b.last_date(),
            &b.name,
        ))
    });
    RolloutPlan {
        start: input.start,
        weeks: input.weeks,
        version,
        namespaces,
        exceptions,
    }
}

/// A node agent: a DaemonSet with host access, or a workload with host access whose image
/// is a well-known agent's.
pub fn node_agent(file: &ManifestFile, object: &Object) -> Option<NodeAgent> {
    let typed = file.typed(object);
    let template = typed.pod_template()?;
    let spec = template.spec;
    let mut evidence = Vec::new();
    for (on, what) in [
        (spec.host_network, "hostNetwork"),
        (spec.host_pid, "hostPID"),
        (spec.host_ipc, "hostIPC"),
    ] {
        if on == Some(true) {
            evidence.push(what.to_string());
        }
    }
    let containers = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten());
    if containers.clone().any(|c| {
        c.security_context
            .as_ref()
            .is_some_and(|s| s.privileged == Some(true))
    }) {
        evidence.push("privileged".into());
    }
    if spec.volumes.iter().flatten().any(|v| v.host_path.is_some()) {
        evidence.push("hostPath volumes".into());
    }
    if evidence.is_empty() {
        return None;
    }
    let image_role = containers.clone().find_map(|c| {
        let image = c.image.as_deref().unwrap_or("").to_ascii_lowercase();
        AGENT_IMAGES
            .iter()
            .find(|(fragment, _)| image.contains(fragment))
            .map(|(_, role)| (*role, c.image.clone().unwrap_or_default()))
    });
    let role = match (&image_role, object.kind.as_str()) {
        (Some((role, image)), _) => {
            evidence.push(format!("image {image}"));
            role.to_string()
        }
        (None, "DaemonSet") => "node agent".to_string(),
        (None, _) => return None,
    };
    Some(NodeAgent {
        object: format!("{}/{}", object.kind, object.name),
        role,
        evidence,
    })
}

fn classify(name: &str, agents: &[NodeAgent]) -> (NamespaceClass, String) {
    if !agents.is_empty() {
        let list: Vec<String> = agents
            .iter()
            .map(|a| format!("{} ({})", a.object, a.role))
            .collect();
        return (
            NamespaceClass::System,
            format!("runs node agents: {}", list.join(", ")),
        );
    }
    if name == "kube-system" {
        return (NamespaceClass::System, "the cluster's own namespace".into());
    }
    if name.ends_with("-system")
        || PLATFORM_NAMES
            .iter()
            .any(|p| name == *p || name.starts_with(&format!("{p}-")))
    {
        return (
            NamespaceClass::Platform,
            "platform or infrastructure, by its name".into(),
        );
    }
    (
        NamespaceClass::Application,
        "no node agents and not a platform name".into(),
    )
}

fn environment(
    name: &str,
    labels: &BTreeMap<String, String>,
    paths: &BTreeSet<String>,
) -> (Environment, String) {
    for key in ["environment", "env", "stage", "tier"] {
        if let Some(v) = labels.get(key)
            && let Some(e) = Environment::of_text(v)
        {
            return (e, format!("from the label {key}={v}"));
        }
    }
    if let Some(e) = Environment::of_text(name) {
        return (e, "from its name".into());
    }
    for p in paths {
        let dirs = p.rsplit_once('/').map_or("", |(d, _)| d);
        if let Some(e) = dirs.split('/').find_map(Environment::of_text) {
            return (e, format!("from the path {p}"));
        }
    }
    (
        Environment::Unknown,
        "none in its labels, name or paths: planned with production".into(),
    )
}

fn level(level: Level, version: Version) -> Option<ModeLevel> {
    Some(ModeLevel { level, version })
}

/// The dated steps of one namespace from its wave's date: ready namespaces enforce on it,
/// others are warned first and block [`WARN_DAYS`] later (twice that when even `baseline`
/// is not met).
fn steps(ns: &PlannedNamespace, date: NaiveDate, version: Version) -> Vec<PlannedStep> {
    let later = |n: i64| date + Duration::days(WARN_DAYS * n);
    let levels = |enforce: Option<Level>, warn: Option<Level>, audit: Option<Level>| ModeLevels {
        enforce: enforce.and_then(|l| level(l, version)),
        warn: warn.and_then(|l| level(l, version)),
        audit: audit.and_then(|l| level(l, version)),
    };
    let b = Some(Level::Baseline);
    let r = Some(Level::Restricted);
    let baseline_ready = ns.readiness.baseline.findings <= ns.excepted_findings;
    let restricted_ready = ns.readiness.restricted.is_clean();
    let step = |from, levels, why: &str| PlannedStep {
        from,
        levels,
        why: why.to_string(),
    };
    match ns.class {
        NamespaceClass::Application if restricted_ready => vec![step(
            date,
            levels(r, None, None),
            "already clean at restricted: blocks from the first day",
        )],
        NamespaceClass::Application if baseline_ready => vec![
            step(
                date,
                levels(b, r, None),
                "clean at baseline, which blocks at once; restricted findings are warned",
            ),
            step(
                later(1),
                levels(r, None, None),
                "restricted blocks after two weeks of warnings",
            ),
        ],
        NamespaceClass::Application => vec![
            step(
                date,
                levels(None, r, None),
                "not clean even at baseline: warnings first",
            ),
            step(
                later(1),
                levels(b, r, None),
                "baseline blocks after two weeks of warnings",
            ),
            step(
                later(2),
                levels(r, None, None),
                "restricted blocks two weeks after baseline",
            ),
        ],
        NamespaceClass::Platform if baseline_ready => vec![step(
            date,
            levels(b, r, None),
            "clean at baseline: blocks from the first day; restricted stays a warning",
        )],
        NamespaceClass::Platform => vec![
            step(
                date,
                levels(None, r, None),
                "not clean at baseline: warnings first",
            ),
            step(
                later(1),
                levels(b, r, None),
                "baseline blocks after two weeks of warnings",
            ),
        ],
        NamespaceClass::System if baseline_ready => vec![step(
            date,
            levels(b, None, r),
            "node agents are excepted by name; everything else blocks at baseline, restricted is audited",
        )],
        NamespaceClass::System => vec![
            step(
                date,
                levels(None, None, r),
                "workloads besides the node agents fail baseline: audited first",
            ),
            step(
                later(1),
                levels(b, None, r),
                "baseline blocks two weeks later; node agents are excepted by name",
            ),
        ],
    }
}

/// The Namespace labels that match the last step (system namespaces stay `privileged` in the
/// cluster: Pod Security admission cannot except one workload).
fn final_labels(ns: &PlannedNamespace, version: Version) -> Vec<(String, String)> {
    let last = ns.steps.last().map(|s| s.levels).unwrap_or_default();
    let mut out = Vec::new();
    for mode in LEVEL_MODES {
        let l = match (ns.class, mode) {
            (NamespaceClass::System, Mode::Enforce) => Some(Level::Privileged),
            // Warned at baseline, so a new workload that needs no host access hears about it.
            (NamespaceClass::System, Mode::Warn) => Some(Level::Baseline),
            (NamespaceClass::System, _) => last.get(mode).map(|l| l.level),
            _ => LEVEL_MODES
                .into_iter()
                .filter(|m| *m >= mode)
                .filter_map(|m| last.get(m))
                .map(|l| l.level)
                .max(),
        };
        if let Some(l) = l {
            out.push((format!("pod-security.kubernetes.io/{mode}"), l.to_string()));
            // PSA reads a missing version label as `latest`.
            if version != Version::Latest {
                out.push((
                    format!("pod-security.kubernetes.io/{mode}-version"),
                    version.to_string(),
                ));
            }
        }
    }
    out
}

/// The baseline readiness, saying which findings the plan's exceptions cover.
fn baseline_text(ns: &PlannedNamespace) -> String {
    let text = ns.readiness.baseline.describe();
    if ns.excepted_findings > 0 {
        format!("{text} ({} of node agents, excepted)", ns.excepted_findings)
    } else {
        text
    }
}

impl RolloutPlan {
    /// The date of each wave.
    pub fn wave_dates(&self) -> [NaiveDate; 3] {
        self.weeks
            .map(|w| self.start + Duration::days(7 * (i64::from(w.max(1)) - 1)))
    }

    /// The day the plan's last step starts: every namespace is at its target from then on.
    pub fn end(&self) -> NaiveDate {
        self.namespaces
            .iter()
            .map(PlannedNamespace::last_date)
            .max()
            .unwrap_or(self.start)
    }

    /// The exceptions of one object together: (object, expiry, reason, rules).
    fn exceptions_by_object(&self) -> Vec<(&str, NaiveDate, &str, Vec<&str>)> {
        let mut out: Vec<(&str, NaiveDate, &str, Vec<&str>)> = Vec::new();
        for e in &self.exceptions {
            match out.iter_mut().find(|(o, _, _, _)| *o == e.object) {
                Some(entry) => entry.3.push(&e.rule),
                None => out.push((&e.object, e.expires, &e.reason, vec![&e.rule])),
            }
        }
        out
    }

    fn kubectl_label(ns: &PlannedNamespace) -> String {
        let labels: Vec<String> = ns.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(
            "kubectl label --overwrite namespace {} {}",
            ns.name,
            labels.join(" ")
        )
    }

    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let [dev, staging, prod] = self.wave_dates();
        let _ = writeln!(
            out,
            "kubenudge rollout plan from {} (dev {dev}, staging {staging}, prod {prod})",
            self.start
        );
        if self.namespaces.is_empty() {
            let _ = writeln!(out, "\nNo workloads were found: nothing to plan.");
            return out;
        }
        let mut env = None;
        for ns in &self.namespaces {
            if env != Some(ns.environment) {
                env = Some(ns.environment);
                let _ = writeln!(out, "\n{}", ns.environment);
            }
            let _ = writeln!(
                out,
                "  {}: {}, target {} ({}); {} ({})",
                ns.name,
                ns.class,
                ns.target,
                ns.class_reason,
                ns.environment,
                ns.environment_reason
            );
            let _ = writeln!(
                out,
                "    readiness: baseline {}, restricted {}",
                baseline_text(ns),
                ns.readiness.restricted.describe(),
            );
            for s in &ns.steps {
                let _ = writeln!(out, "    {}  {} — {}", s.from, s.levels.describe(), s.why);
            }
        }
        if !self.exceptions.is_empty() {
            let _ = writeln!(out, "\nExceptions to add (suggested expiry)");
            for (object, expires, reason, rules) in self.exceptions_by_object() {
                let _ = writeln!(out, "  {object} until {expires}: {reason}");
                let _ = writeln!(out, "    rules: {}", rules.join(", "));
            }
        }
        let _ = writeln!(
            out,
            "\nNamespace labels, each to set once the namespace's last step is in force"
        );
        for ns in &self.namespaces {
            let _ = writeln!(out, "  {}  {}", ns.last_date(), Self::kubectl_label(ns));
        }
        out
    }

    pub fn render_markdown(&self) -> String {
        let mut out = String::new();
        let [dev, staging, prod] = self.wave_dates();
        let _ = writeln!(out, "## kubenudge: proposed Pod Security rollout plan\n");
        let _ = writeln!(
            out,
            "From {}: dev on {dev}, staging on {staging}, prod on {prod}. Each namespace blocks at once what it already meets; what it does not meet yet is warned for two weeks first.\n",
            self.start
        );
        if self.namespaces.is_empty() {
            let _ = writeln!(out, "No workloads were found: nothing to plan.");
            return out;
        }
        let _ = writeln!(
            out,
            "| Namespace | Class | Environment | Target | baseline | restricted | Steps |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for ns in &self.namespaces {
            let steps: Vec<String> = ns
                .steps
                .iter()
                .map(|s| format!("{}: {}", s.from, s.levels.describe()))
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | `{}` | {} | {} | {} |",
                ns.name,
                ns.class,
                ns.environment,
                ns.target,
                baseline_text(ns),
                ns.readiness.restricted.describe(),
                steps.join("<br>")
            );
        }
        out.push('\n');
        let rows: Vec<super::timeline::TimelineRow> = self
            .namespaces
            .iter()
            .map(|ns| super::timeline::TimelineRow {
                name: ns.name.clone(),
                steps: ns
                    .steps
                    .iter()
                    .map(|s| TimelineStep {
                        from: Some(s.from),
                        levels: s.levels,
                    })
                    .collect(),
            })
            .collect();
        if let Some(g) = super::timeline::gantt(&rows, self.start) {
            let _ = writeln!(out, "### Timeline\n\n{g}");
        }
        let _ = writeln!(out, "### Why\n");
        for ns in &self.namespaces {
            let _ = writeln!(
                out,
                "- `{}`: {} ({}); {} ({}).",
                ns.name, ns.class, ns.class_reason, ns.environment, ns.environment_reason
            );
        }
        out.push('\n');
        if !self.exceptions.is_empty() {
            let _ = writeln!(out, "### Exceptions to add\n");
            for (object, expires, reason, rules) in self.exceptions_by_object() {
                let rules: Vec<String> = rules.iter().map(|r| format!("`{r}`")).collect();
                let _ = writeln!(
                    out,
                    "- `{object}` until {expires} (suggested): {reason}; {}",
                    rules.join(", ")
                );
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "### Namespace labels at the end\n\nEach once the namespace's last step is in force:\n\n```sh"
        );
        for ns in &self.namespaces {
            let _ = writeln!(out, "# {}, from {}", ns.name, ns.last_date());
            let _ = writeln!(out, "{}", Self::kubectl_label(ns));
        }
        let _ = writeln!(out, "```");
        out
    }

    /// The plan as `.github/kubenudge.yml`: namespaces the plan names follow their
    /// schedule; all others are audited at `restricted`; each entry says why it is there.
    pub fn render_config(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).expect("a string serializes");
        let mut out = String::new();
        let [dev, staging, prod] = self.wave_dates();
        let _ = writeln!(
            out,
            "# {CONFIG_PATH}, proposed by `kubenudge rollout plan` from {}:\n# dev on {dev}, staging on {staging}, prod on {prod}. Review it, then commit it:\n# kubenudge reads it from the base branch of every pull request.\n#\n# Namespaces the plan does not name are audited at restricted: their findings are\n# recorded in the check run and nobody is blocked. Each schedule step replaces the\n# levels of the one before it.",
            self.start
        );
        let _ = writeln!(out, "pss-version: {}", self.version);
        let _ = writeln!(out, "audit: restricted");
        if !self.namespaces.is_empty() {
            let _ = writeln!(out, "rollout:");
        }
        for ns in &self.namespaces {
            let _ = writeln!(
                out,
                "  # {}: {} namespace ({}); {} ({}).",
                ns.name, ns.class, ns.class_reason, ns.environment, ns.environment_reason
            );
            let _ = writeln!(
                out,
                "  # Today: baseline {}, restricted {}.",
                baseline_text(ns),
                ns.readiness.restricted.describe()
            );
            let _ = writeln!(out, "  - namespaces: [{}]", q(&ns.name));
            let _ = writeln!(out, "    schedule:");
            for s in &ns.steps {
                let _ = writeln!(out, "      # {}", s.why);
                let _ = writeln!(out, "      - from: {}", s.from);
                for mode in LEVEL_MODES {
                    if let Some(l) = s.levels.get(mode) {
                        let _ = writeln!(out, "        {mode}: {}", l.level);
                    }
                }
            }
        }
        if !self.exceptions.is_empty() {
            let _ = writeln!(
                out,
                "exceptions:\n  # Node agents need host access by design: each is excepted by name, for the\n  # rules it fails, and reviewed yearly."
            );
            for e in &self.exceptions {
                let _ = writeln!(out, "  - rule: {}", e.rule);
                let _ = writeln!(out, "    object: {}", q(&e.object));
                let _ = writeln!(out, "    reason: {}", q(&e.reason));
                let _ = writeln!(out, "    expires: {}", e.expires);
            }
        }
        out
    }
}
