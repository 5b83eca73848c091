//! The command line's side of the rollout policy: loading `--config`, applying the policy to a
//! `check` run, and the `rollout` command. The policy itself is `crate::rollout`; this file only
//! reads files, reads the clock and prints.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::cli::{EXIT_CLEAN, EXIT_ERROR, RolloutArgs, RolloutFormat, collect_files, display_path};
use crate::config::{CONFIG_PATH, Config, Mode, parse_config};
use crate::engine::{LintOptions, LintResult, lint};
use crate::policy::PssPolicy;
use crate::rollout::impact::{Scope, impact_note, stage_note};
use crate::rollout::report::RolloutReport;
use crate::rollout::{Decision, NamespaceResolver, PolicyInput, Review, review};
use crate::rules::selection::RuleSelection;

/// `kubenudge rollout SUBCOMMAND`.
#[derive(clap::Subcommand, Debug)]
pub enum RolloutCommand {
    /// Propose a sequenced rollout plan from the repository: namespaces classified, ordered
    /// by environment and readiness, with dates, exceptions and the final Namespace labels.
    Plan(PlanArgs),
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    Text,
    Md,
}

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// The repository (or parts of it) to scan; default: the current directory.
    pub paths: Vec<PathBuf>,
    /// The first day of the plan (YYYY-MM-DD); default: today (UTC).
    #[arg(long)]
    pub start: Option<NaiveDate>,
    /// The weeks of the dev, staging and prod waves, counted from the start (week 1).
    #[arg(long, value_delimiter = ',', default_values_t = [1u32, 3, 5])]
    pub weeks: Vec<u32>,
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Also write the plan as `.github/kubenudge.yml` in the scanned directory (never over an
    /// existing file).
    #[arg(long)]
    pub write: bool,
    /// The day the plan is made on (YYYY-MM-DD); default: today (UTC).
    #[arg(long, hide = true)]
    pub today: Option<NaiveDate>,
}

/// A configuration read from disk, with the repository root it belongs to.
pub(crate) struct LoadedPolicy {
    pub config: Config,
    /// The repository root as a path prefix of scanned files (`fixtures/rollout/`), empty for
    /// the working directory. Rollout globs match paths relative to it.
    pub prefix: String,
}

/// Reads a configuration file; `Err` holds the `file:line:column: message` lines to print.
pub(crate) fn load_config(path: &Path) -> Result<LoadedPolicy, String> {
    let shown = display_path(path);
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("error: cannot read config {shown}: {e}\n"))?;
    let config = parse_config(&shown, &text).map_err(|errors| {
        errors.iter().map(|e| format!("{e}\n")).collect::<String>()
            + &format!(
                "error: {shown} has {} error{}; nothing was checked\n",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            )
    })?;
    Ok(LoadedPolicy {
        config,
        prefix: repository_prefix(path),
    })
}

/// `X/.github/kubenudge.yml` belongs to the repository at `X`; any other file to the working
/// directory.
fn repository_prefix(config: &Path) -> String {
    let Some(dir) = config.parent() else {
        return String::new();
    };
    if dir.file_name().is_none_or(|n| n != ".github") {
        return String::new();
    }
    dir_prefix(dir.parent().unwrap_or(Path::new("")))
}

fn dir_prefix(dir: &Path) -> String {
    let s = display_path(dir);
    if s.is_empty() || s == "." {
        String::new()
    } else {
        format!("{}/", s.trim_end_matches('/'))
    }
}

fn today(flag: Option<NaiveDate>) -> NaiveDate {
    flag.unwrap_or_else(|| chrono::Utc::now().date_naive())
}

/// What `check` needs to know after the policy ran.
pub(crate) struct CheckOutcome {
    /// Some reported finding is enforced today.
    pub blocking: bool,
    /// Lines printed after the findings: stages, silenced findings, expiring exceptions.
    pub stage_notes: String,
    /// The stage in force for each reported finding, parallel to `LintResult::findings`.
    pub stages: Vec<Mode>,
}

/// The policy a `check` run applies: the loaded one, or, without a configuration, every
/// finding enforced, as before rollout policies existed (the checks a developer runs locally
/// are meant to fail). `rules` is the run's rule selection for that case; a loaded policy
/// carries it in `config.rules`.
pub(crate) struct CheckPolicy<'p> {
    config: std::borrow::Cow<'p, Config>,
    prefix: &'p str,
    loaded: bool,
    today: NaiveDate,
}

impl<'p> CheckPolicy<'p> {
    pub fn new(
        policy: Option<&'p LoadedPolicy>,
        rules: &RuleSelection,
        today_flag: Option<NaiveDate>,
    ) -> Self {
        let (config, prefix) = match policy {
            Some(p) => (std::borrow::Cow::Borrowed(&p.config), p.prefix.as_str()),
            None => (
                std::borrow::Cow::Owned(Config {
                    mode: Mode::Enforce,
                    rules: rules.clone(),
                    ..Config::default()
                }),
                "",
            ),
        };
        CheckPolicy {
            config,
            prefix,
            loaded: policy.is_some(),
            today: today(today_flag),
        }
    }

    /// The Namespaces of the files read (their labels and kustomizations).
    pub fn resolver(&self, result: &LintResult) -> NamespaceResolver {
        NamespaceResolver::from_lint(result, self.prefix)
    }

    pub fn input<'a>(&'a self, namespaces: &'a NamespaceResolver) -> PolicyInput<'a> {
        PolicyInput {
            config: &self.config,
            config_errors: &[],
            today: self.today,
            namespaces,
        }
    }
}

/// What the stage notes and the exit code of `check` count, decision by decision (a run
/// reviewed in batches never holds all its decisions).
#[derive(Default)]
pub(crate) struct StageTally {
    reported_by_namespace: std::collections::HashMap<String, usize>,
    decisions: usize,
    reported: usize,
    /// "exception expired" notes of reported findings, in report order.
    expired: String,
    blocking: bool,
}

impl StageTally {
    /// Counts `d`; decisions come in report order.
    pub fn add(&mut self, d: &Decision) {
        self.decisions += 1;
        if !d.is_reported() {
            return;
        }
        self.reported += 1;
        *self
            .reported_by_namespace
            .entry(d.namespace.name.clone())
            .or_default() += 1;
        // What `rollout::conclusion` calls a failure.
        self.blocking |= d.mode == Mode::Enforce;
        if let Some(date) = d.exception_expired_on {
            let _ = writeln!(
                self.expired,
                "note: {}:{}: {}: exception expired on {date}",
                d.finding.file, d.finding.line, d.finding.rule
            );
        }
    }

    /// Adds what `later` counted; tallies of consecutive parts of a run, merged in order,
    /// count what one tally of the whole run would.
    pub fn merge(&mut self, later: StageTally) {
        for (ns, n) in later.reported_by_namespace {
            *self.reported_by_namespace.entry(ns).or_default() += n;
        }
        self.decisions += later.decisions;
        self.reported += later.reported;
        self.expired.push_str(&later.expired);
        self.blocking |= later.blocking;
    }

    /// The outcome of the run: `review` gives the namespaces seen and the exceptions' use
    /// (its decisions are not read: they were counted by [`StageTally::add`]).
    pub fn outcome(
        self,
        policy: &CheckPolicy<'_>,
        review: &Review,
        stages: Vec<Mode>,
    ) -> CheckOutcome {
        let mut notes = String::new();
        if policy.loaded {
            for ns in &review.namespaces {
                let n = self
                    .reported_by_namespace
                    .get(&ns.name)
                    .copied()
                    .unwrap_or(0);
                if n > 0 {
                    let _ = writeln!(
                        notes,
                        "stage: {} ({n} finding{})",
                        stage_note(&ns.name, &ns.stage).replace("**", ""),
                        if n == 1 { "" } else { "s" }
                    );
                }
            }
            let silenced = self.decisions - self.reported;
            if silenced > 0 {
                let _ = writeln!(
                    notes,
                    "note: {silenced} finding{} silenced by exceptions, ignore annotations or `mode: off`",
                    if silenced == 1 { "" } else { "s" }
                );
            }
            notes.push_str(&self.expired);
            for e in review.expiring_exceptions() {
                let _ = writeln!(
                    notes,
                    "note: exception for {} on {} expires on {} ({} days left)",
                    e.rule, e.object, e.expires, e.days_left
                );
            }
        }
        CheckOutcome {
            blocking: self.blocking,
            stage_notes: notes,
            stages,
        }
    }
}

/// Applies the policy to a `check` run: keeps only the findings that are reported and says at
/// which stage they are (see [`CheckPolicy`]).
pub(crate) fn apply_policy(result: &mut LintResult, policy: &CheckPolicy<'_>) -> CheckOutcome {
    let resolver = policy.resolver(result);
    let mut review = crate::rollout::review_taking(result, &policy.input(&resolver));
    let mut tally = StageTally::default();
    for d in &review.decisions {
        tally.add(d);
    }
    // Moved, not cloned: a big run has a finding per decision. The findings are collected
    // into the decisions' own buffer (std's in-place `collect` of a `Vec`'s `into_iter`)
    // rather than a second buffer as big as all of them, whose fresh pages cost page faults
    // (20,000 Pods: 144,000 -> 138,500 faults with the join in `engine::lint`).
    let stages: Vec<Mode> = review.reported().map(|d| d.stage.effective).collect();
    result.findings = std::mem::take(&mut review.decisions)
        .into_iter()
        .filter(|d| d.is_reported())
        .map(|d| d.finding)
        .collect();
    tally.outcome(policy, &review, stages)
}

fn read_inputs(paths: &[PathBuf], prefix: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut inputs = Vec::new();
    for path in collect_files(paths)? {
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let shown = display_path(&path);
        let repo_path = shown.strip_prefix(prefix).unwrap_or(&shown).to_string();
        inputs.push((repo_path, bytes));
    }
    Ok(inputs)
}

/// `kubenudge rollout plan`: the plan proposed from the repository.
fn plan(args: &PlanArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let weeks: [u32; 3] = match args.weeks.as_slice() {
        [a, b, c] if *a >= 1 && a <= b && b <= c => [*a, *b, *c],
        _ => {
            let _ = writeln!(
                err,
                "error: --weeks takes three week numbers for dev, staging and prod, from 1 and in order, e.g. --weeks 1,3,5"
            );
            return EXIT_ERROR;
        }
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let root = match paths.as_slice() {
        [dir] if dir.is_dir() => dir.clone(),
        _ => PathBuf::from("."),
    };
    let prefix = dir_prefix(&root);
    let inputs = match read_inputs(&paths, &prefix) {
        Ok(i) => i,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return EXIT_ERROR;
        }
    };
    let result = lint(&inputs, &LintOptions::default());
    let resolver = NamespaceResolver::from_lint(&result, "");
    // Namespaces come from the manifests alone (metadata, kustomizations, `default`), so the
    // written configuration resolves them the same way.
    let config = Config::default();
    let proposed = crate::rollout::plan::propose(&crate::rollout::plan::PlanInput {
        result: &result,
        resolver: &resolver,
        config: &config,
        start: args.start.unwrap_or_else(|| today(args.today)),
        weeks,
    });
    let rendered = match args.format {
        PlanFormat::Text => proposed.render_text(),
        PlanFormat::Md => proposed.render_markdown(),
    };
    let _ = out.write_all(rendered.as_bytes());
    for e in &result.errors {
        let _ = writeln!(err, "{e}");
    }
    if args.write {
        let target = root.join(CONFIG_PATH);
        if target.exists() {
            let _ = writeln!(
                err,
                "error: {} exists; move it away to write the plan there (nothing was written)",
                display_path(&target)
            );
            return EXIT_ERROR;
        }
        let written = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&target, proposed.render_config()));
        if let Err(e) = written {
            let _ = writeln!(err, "error: cannot write {}: {e}", display_path(&target));
            return EXIT_ERROR;
        }
        let _ = writeln!(err, "wrote {}", display_path(&target));
    }
    EXIT_CLEAN
}

/// `kubenudge rollout`: the whole repository against the rollout policy.
pub(crate) fn rollout(args: &RolloutArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if let Some(RolloutCommand::Plan(plan_args)) = &args.command {
        return plan(plan_args, out, err);
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let scanned_root = match paths.as_slice() {
        [dir] if dir.is_dir() => dir.clone(),
        _ => PathBuf::from("."),
    };
    let config_path = args.config.clone().or_else(|| {
        let candidate = scanned_root.join(CONFIG_PATH);
        candidate.is_file().then_some(candidate)
    });
    let policy = match config_path {
        Some(path) => match load_config(&path) {
            Ok(p) => p,
            Err(message) => {
                let _ = write!(err, "{message}");
                return EXIT_ERROR;
            }
        },
        None => LoadedPolicy {
            config: Config::default(),
            prefix: dir_prefix(&scanned_root),
        },
    };
    let inputs = match read_inputs(&paths, &policy.prefix) {
        Ok(i) => i,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return EXIT_ERROR;
        }
    };
    let config = &policy.config;
    let options = LintOptions {
        pss: PssPolicy {
            level: config.level,
            version: config.pss_version,
            origin: None,
        },
        pss_explicit: config.pss_explicit,
        ..LintOptions::default()
    };
    let result = lint(&inputs, &options);
    let resolver = NamespaceResolver::from_lint(&result, "");
    let review = review(
        &result,
        &PolicyInput {
            config,
            config_errors: &[],
            today: today(args.today),
            namespaces: &resolver,
        },
    );
    let rendered = match args.format {
        RolloutFormat::Text => RolloutReport::build(&review, config).render_text(),
        RolloutFormat::Json => RolloutReport::build(&review, config).render_json(),
        RolloutFormat::Md => {
            impact_note(&review, config, Scope::Repository)
                + "\n"
                + &crate::rollout::readiness::render_table(
                    &crate::rollout::readiness::measure(&result, &resolver, config),
                    None,
                )
        }
    };
    let _ = out.write_all(rendered.as_bytes());
    for e in &result.errors {
        let _ = writeln!(err, "{e}");
    }
    // A report, not a gate: it succeeds whatever it finds.
    EXIT_CLEAN
}
