//! The `kubenudge` command line: argument types and the `check`, `rules` and `explain`
//! commands. Reads files from disk (or standard input); everything else is the engine's.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cli_rollout::CheckPolicy;
use crate::engine::{FixRun, LintOptions, fix, lint};
use crate::manifest::{ChartDirs, chart_dir_of};
use crate::overlays::Overlays;
use crate::policy::{Level, PssPolicy, Version};
use crate::render::Disk;
use crate::rules::selection::{SelectionLayer, Selector};

pub use crate::cli_docs::{man_page, reference_markdown};

#[derive(Parser, Debug)]
#[command(
    name = "kubenudge",
    version,
    about = "Reviews Kubernetes manifests the way a platform engineer would"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint manifests (files or directories; default: the current directory).
    Check(CheckArgs),
    /// List every rule.
    Rules,
    /// Report, per namespace and rollout rule, the rollout stage and what it would block.
    Rollout(RolloutArgs),
    /// List who can reach whom under the NetworkPolicies (and admin policies, Ingresses).
    Connectivity(crate::cli_connectivity::ConnectivityArgs),
    /// NetworkPolicy helpers.
    Netpol {
        #[command(subcommand)]
        command: crate::cli_connectivity::NetpolCommand,
    },
    /// Build a kustomization (like `kustomize build DIR`) or render a Helm chart (like
    /// `helm template`) and print the YAML stream.
    Render(crate::cli_render::RenderArgs),
    /// Print a rule's guidance page.
    Explain {
        /// Rule id, e.g. pod-security/run-as-non-root.
        rule: String,
    },
    /// Run as a GitHub App: serve webhooks on KUBENUDGE_LISTEN (see docs/install.md).
    ///
    /// Reads GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH,
    /// GITHUB_WEBHOOK_SECRET, GITHUB_API_URL (default https://api.github.com) and
    /// KUBENUDGE_LISTEN (default 0.0.0.0:3000).
    Serve,
    /// Print a shell completion script, e.g. `kubenudge completions bash > /etc/bash_completion.d/kubenudge`.
    Completions {
        /// bash, elvish, fish, powershell or zsh.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `kubenudge man > ~/.local/share/man/man1/kubenudge.1`.
    Man,
    /// Run as a Language Server over stdin/stdout, for editors (see docs/editors.md).
    Lsp,
}

/// `check --format`: how findings are printed (docs/output-formats.md describes each).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// For people: code frames, the fix as a diff, counts by rule (colour on a terminal).
    Text,
    /// Stable machine-readable findings.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…`): annotations from any CI log.
    Github,
    /// With `--base`: the summary and inline comments the GitHub App would post.
    ReviewMd,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to check; directories are walked for *.yaml, *.yml and *.json,
    /// respecting .gitignore. Kustomize overlays among them are built and checked as built.
    pub paths: Vec<PathBuf>,
    /// How findings are printed (docs/output-formats.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Configuration file (the format of .github/kubenudge.yml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Pod Security level: baseline or restricted.
    #[arg(long)]
    pub level: Option<Level>,
    /// Pod Security version: latest or v1.N.
    #[arg(long = "pss-version")]
    pub pss_version: Option<Version>,
    /// Exit 0 even when findings exist (like ruff's --exit-zero); errors still exit 2.
    #[arg(long)]
    pub exit_zero: bool,
    /// The day the rollout dates are judged on (YYYY-MM-DD); default: today (UTC).
    #[arg(long, hide = true)]
    pub today: Option<chrono::NaiveDate>,
    /// Apply safe fixes in place, then report what remains.
    #[arg(long)]
    pub fix: bool,
    /// With `--fix` or `--diff`, also apply fixes that need review.
    #[arg(long = "unsafe-fixes")]
    pub unsafe_fixes: bool,
    /// Print the fixes as unified diffs instead of writing them; exit 1 if there are any.
    #[arg(long)]
    pub diff: bool,
    /// Run only these rules: ids or families, comma-separated (replaces `select:` of the
    /// config file), e.g. `--select pod-security,hardening/read-only-root-filesystem`.
    #[arg(long, value_name = "RULE", value_delimiter = ',', value_parser = Selector::parse)]
    pub select: Option<Vec<Selector>>,
    /// Also run these rules (ids or families), on top of the selected ones.
    #[arg(long = "extend-select", value_name = "RULE", value_delimiter = ',', value_parser = Selector::parse)]
    pub extend_select: Vec<Selector>,
    /// Do not run these rules (ids or families); the most specific selector wins.
    #[arg(long, value_name = "RULE", value_delimiter = ',', value_parser = Selector::parse)]
    pub ignore: Vec<Selector>,
    /// With `-` as the path: lint standard input as this file (the name reports show and
    /// rollout `paths` globs match). With `--fix`, the fixed text goes to standard output.
    #[arg(long = "stdin-filename", value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// Print the number of findings per rule, and whether fixes exist, instead of the findings
    /// (as JSON with `--format json`).
    #[arg(long)]
    pub statistics: bool,
    /// Check only the manifests changed since the merge-base of REF and HEAD (as a pull
    /// request compares), and report only findings on changed lines.
    #[arg(long, value_name = "REF", conflicts_with_all = ["fix", "diff"])]
    pub base: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RolloutFormat {
    Text,
    /// The developer impact note, ready to send to the affected teams.
    Md,
    Json,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RolloutArgs {
    #[command(subcommand)]
    pub command: Option<crate::cli_rollout::RolloutCommand>,
    /// The repository (or parts of it) to scan; default: the current directory.
    pub paths: Vec<PathBuf>,
    /// Configuration file; default: `.github/kubenudge.yml` in the scanned directory.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = RolloutFormat::Text)]
    pub format: RolloutFormat,
    /// The day the rollout dates are judged on (YYYY-MM-DD); default: today (UTC).
    #[arg(long, hide = true)]
    pub today: Option<chrono::NaiveDate>,
}

/// Exit codes: 0 nothing enforced found, 1 enforced findings (or unreadable files), 2 usage,
/// configuration or I/O error.
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// What a run may use of the process besides its arguments: standard input, and how the
/// output is shown. `main` fills it from the real terminal; tests pass their own.
pub struct Console<'a> {
    pub stdin: &'a mut dyn Read,
    /// ANSI colour in the text report.
    pub color: bool,
    /// A progress bar on stderr for scans longer than a second.
    pub progress: bool,
}

impl Console<'_> {
    /// Whether to colour stdout: never when `NO_COLOR` is set to anything non-empty (see
    /// no-color.org), always when `FORCE_COLOR` is, otherwise only on a terminal.
    pub fn color_wanted(
        stdout_is_terminal: bool,
        no_color: Option<&std::ffi::OsStr>,
        force_color: Option<&std::ffi::OsStr>,
    ) -> bool {
        if no_color.is_some_and(|v| !v.is_empty()) {
            false
        } else if force_color.is_some_and(|v| !v.is_empty()) {
            true
        } else {
            stdout_is_terminal
        }
    }
}

/// Runs a command without standard input, colour or progress (as tests and scripts want).
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut no_input = std::io::empty();
    let mut console = Console {
        stdin: &mut no_input,
        color: false,
        progress: false,
    };
    run_in(cli, &mut console, out, err)
}

/// Runs a command with what it may use of the process (`main` passes the real terminal).
pub fn run_in(
    cli: Cli,
    console: &mut Console<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match cli.command {
        Command::Check(args) => check(&args, console, out, err),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "kubenudge",
                out,
            );
            EXIT_CLEAN
        }
        Command::Man => match out.write_all(&man_page()) {
            Ok(()) => EXIT_CLEAN,
            Err(e) => {
                let _ = writeln!(err, "error: cannot write the man page: {e}");
                EXIT_ERROR
            }
        },
        Command::Rollout(args) => crate::cli_rollout::rollout(&args, out, err),
        Command::Connectivity(args) => crate::cli_connectivity::connectivity(&args, out, err),
        Command::Netpol { command } => crate::cli_connectivity::netpol(&command, out, err),
        Command::Render(args) => crate::cli_render::render(&args, out, err),
        Command::Rules => {
            for rule in crate::rules::all() {
                let _ = writeln!(out, "{:<48} {}", rule.id(), rule.summary());
            }
            EXIT_CLEAN
        }
        Command::Serve => serve(err),
        Command::Lsp => crate::lsp::run_stdio(err),
        Command::Explain { rule } => match crate::rules::doc(&rule) {
            Some(doc) => {
                let _ = writeln!(out, "# {rule}\n\n{doc}");
                EXIT_CLEAN
            }
            None => {
                let _ = writeln!(
                    err,
                    "error: unknown rule {rule:?}; `kubenudge rules` lists them"
                );
                EXIT_ERROR
            }
        },
    }
}

fn serve(err: &mut dyn Write) -> i32 {
    let env = |name: &str| std::env::var(name).ok();
    let report = |err: &mut dyn Write, problems: Vec<String>| {
        let _ = writeln!(err, "error: kubenudge serve cannot start:");
        for p in problems {
            let _ = writeln!(err, "  - {p}");
        }
        EXIT_ERROR
    };
    let setup = if crate::server::needs_setup(env) {
        match crate::server::SetupSettings::from_env(env) {
            Ok(s) => Some(s),
            Err(problems) => return report(err, problems),
        }
    } else {
        None
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the async runtime: {e}");
            return EXIT_ERROR;
        }
    };
    // No App yet: serve the set-up pages until one is created, then review with it.
    if let Some(setup) = setup {
        match runtime.block_on(crate::server::serve_setup(setup)) {
            Ok(true) => {}
            Ok(false) => return EXIT_CLEAN,
            Err(e) => {
                let _ = writeln!(err, "error: {e:#}");
                return EXIT_ERROR;
            }
        }
    }
    let settings = match crate::server::Settings::from_env(env) {
        Ok(s) => s,
        Err(problems) => return report(err, problems),
    };
    match runtime.block_on(crate::server::serve(settings)) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => {
            let _ = writeln!(err, "error: {e:#}");
            EXIT_ERROR
        }
    }
}

fn check(
    args: &CheckArgs,
    console: &mut Console<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    if args.base.is_some() || args.format == Format::ReviewMd {
        return crate::cli_base::check_base(args, out, err);
    }
    let mut policy = match &args.config {
        Some(path) => match crate::cli_rollout::load_config(path) {
            Ok(p) => Some(p),
            Err(message) => {
                let _ = write!(err, "{message}");
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    let rules = rule_selection(args, policy.as_ref().map(|p| &p.config));
    if let Some(p) = policy.as_mut() {
        p.config.rules = rules.clone();
    }
    let from_stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    let (mut inputs, mut progress, listings) = match read_inputs(args, console) {
        Ok(read) => read,
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            return EXIT_ERROR;
        }
    };
    let options = LintOptions {
        charts: charts_on_disk(&inputs),
        // `policy` already carries the command line's layer (above).
        rules: rules.clone(),
        ..lint_options(args, policy.as_ref().map(|p| &p.config))
    };
    if args.diff {
        drop(progress);
        return print_diff(&inputs, &options, args.unsafe_fixes, from_stdin, out, err);
    }
    let mut fixed: Option<FixRun> = None;
    if args.fix {
        // Files on disk are fixed where each value lives: through the builds of the overlays
        // among them (a base, a patch), or the file itself.
        let run = if from_stdin {
            fix(&inputs, &options, args.unsafe_fixes)
        } else {
            crate::overlays::fix(&Disk, &inputs, &options, args.unsafe_fixes)
        };
        // The bar is cleared before anything is printed.
        progress = None;
        if from_stdin {
            // Standard input cannot be written back: the fixed text goes to stdout (as ruff
            // and formatters do for editors), the report to stderr.
            let text = run
                .changed
                .first()
                .map_or(inputs[0].1.as_slice(), |f| f.bytes.as_slice());
            if let Err(e) = out.write_all(text) {
                let _ = writeln!(err, "error: cannot write the fixed text: {e}");
                return EXIT_ERROR;
            }
        } else {
            for file in &run.changed {
                if let Err(e) = std::fs::write(&file.path, &file.bytes) {
                    let _ = writeln!(err, "error: cannot write {}: {e}", file.path);
                    return EXIT_ERROR;
                }
            }
        }
        let _ = writeln!(err, "{}", fix_summary(&run, args.unsafe_fixes));
        for file in &run.changed {
            if let Some(slot) = inputs.iter_mut().find(|(p, _)| *p == file.path) {
                slot.1.clone_from(&file.bytes);
            }
        }
        fixed = Some(run);
    }
    let check_policy = CheckPolicy::new(policy.as_ref(), &rules, args.today);
    let (mut result, overlays) = match fixed {
        Some(run) if from_stdin => (run.result, Overlays::default()),
        _ if from_stdin => (lint(&inputs, &options), Overlays::default()),
        // Kustomize overlays are built and linted as built; the files they read are not
        // linted alone (the report is about the files as fixed, when `--fix` ran).
        // Which directories hold a kustomization is answered from the walk's listings.
        _ => {
            let (result, overlays) = crate::overlays::read(&listings.over(&Disk), inputs, &options);
            if !args.statistics
                && args.format == Format::Text
                && overlays.built.is_empty()
                && crate::engine::lints_in_order(&result)
            {
                // Nothing needs every finding at once: linted, judged and written in
                // batches (see `cli_batches`). The bar is cleared before anything is printed.
                drop(progress);
                for note in &overlays.notes {
                    let _ = writeln!(err, "note: {note}");
                }
                let style = crate::report::TextStyle {
                    color: console.color,
                };
                let outcome = crate::cli_batches::check_in_batches(
                    &result,
                    &options,
                    &check_policy,
                    style,
                    out,
                );
                let _ = out.write_all(outcome.stage_notes.as_bytes());
                let code = exit_code(args, &outcome, &result);
                std::mem::forget(result);
                return code;
            }
            (crate::engine::lint_read(result, &options), overlays)
        }
    };
    // The bar is cleared before anything is printed.
    drop(progress);
    let mut outcome = crate::cli_rollout::apply_policy(&mut result, &check_policy);
    overlays.place(&mut result, &mut outcome.stages, &Disk, &options);
    for note in &overlays.notes {
        let _ = writeln!(err, "note: {note}");
    }
    let cx = crate::report::ReportContext {
        stages: &outcome.stages,
        ..crate::report::ReportContext::default()
    };
    let notes_to_stderr = args.statistics || args.format != Format::Text;
    // With --fix on standard input, stdout holds the fixed text.
    let report_out: &mut dyn Write = if args.fix && from_stdin { err } else { out };
    if !args.statistics && matches!(args.format, Format::Text | Format::ReviewMd) {
        // Written as it is rendered: a big run's report is never held whole.
        let style = crate::report::TextStyle {
            color: console.color,
        };
        let _ = crate::report::write_text_styled(&result, style, report_out);
    } else {
        let rendered = render_report(args, &result, &cx, console.color);
        let _ = report_out.write_all(rendered.as_bytes());
    }
    if !notes_to_stderr {
        let _ = report_out.write_all(outcome.stage_notes.as_bytes());
    }
    if notes_to_stderr {
        // Machine formats keep stdout parseable; the rollout notes still reach the log.
        let _ = err.write_all(outcome.stage_notes.as_bytes());
    }
    let code = exit_code(args, &outcome, &result);
    // The process ends next: freeing every tree and finding one by one would only delay the
    // exit (a tenth of the run on big inputs), as ripgrep and rustc also avoid.
    std::mem::forget(result);
    code
}

/// `check`'s exit code: findings enforced today or files that could not be read fail it,
/// unless `--exit-zero`.
fn exit_code(
    args: &CheckArgs,
    outcome: &crate::cli_rollout::CheckOutcome,
    result: &crate::engine::LintResult,
) -> i32 {
    if !args.exit_zero && (outcome.blocking || !result.errors.is_empty()) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// The report in the chosen format (the rollout notes are the caller's).
fn render_report(
    args: &CheckArgs,
    result: &crate::engine::LintResult,
    cx: &crate::report::ReportContext<'_>,
    color: bool,
) -> String {
    use crate::report;
    match (args.statistics, args.format) {
        (true, Format::Json) => report::render_statistics_json(result),
        (true, _) => report::render_statistics(result),
        // `review-md` runs through `cli_base` (`check` returns before this).
        (false, Format::Text | Format::ReviewMd) => {
            report::render_text_styled(result, report::TextStyle { color })
        }
        (false, Format::Json) => report::render_json(result),
        (false, Format::Sarif) => report::render_sarif(result, cx),
        (false, Format::Github) => report::render_github(result, cx),
    }
}

/// The files `check` lints, as (path, bytes), the progress bar of reading them, and what the
/// walk's listings say of the directories it walked.
type CheckInputs = (
    Vec<(String, Vec<u8>)>,
    Option<crate::cli_progress::Progress>,
    crate::cli_walk::Listings,
);

/// What `check` lints: standard input (`-`), or the files under the paths (read with a
/// progress bar that lives until the caller drops it, after linting).
fn read_inputs(args: &CheckArgs, console: &mut Console<'_>) -> Result<CheckInputs, String> {
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        return Ok((
            vec![read_stdin(args, console.stdin)?],
            None,
            crate::cli_walk::Listings::default(),
        ));
    }
    if args.stdin_filename.is_some() {
        return Err(
            "--stdin-filename names standard input; pass `-` as the path to read it".into(),
        );
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let (files, listings) = collect_files_listing(&paths)?;
    let progress = crate::cli_progress::Progress::start(console.progress, files.len());
    let inputs = read_files(&files, &progress)?;
    progress.checking();
    Ok((inputs, Some(progress), listings))
}

/// `check -`: standard input, named by `--stdin-filename` (or `-`).
fn read_stdin(args: &CheckArgs, stdin: &mut dyn Read) -> Result<(String, Vec<u8>), String> {
    if args.paths.len() > 1 {
        return Err("`-` (standard input) cannot be combined with other paths".into());
    }
    let mut bytes = Vec::new();
    stdin
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let name = args
        .stdin_filename
        .as_deref()
        .map_or_else(|| "-".to_string(), |n| display_path(Path::new(n)));
    Ok((name, bytes))
}

/// The engine's options for `check` (with or without `--base`): the Pod Security policy from
/// the flags, then the configuration, then restricted/latest.
pub(crate) fn lint_options(
    args: &CheckArgs,
    config: Option<&crate::config::Config>,
) -> LintOptions {
    LintOptions {
        pss: PssPolicy {
            level: args
                .level
                .or(config.map(|c| c.level))
                .unwrap_or(Level::Restricted),
            version: args
                .pss_version
                .or(config.map(|c| c.pss_version))
                .unwrap_or(Version::Latest),
            origin: None,
        },
        pss_explicit: args.level.is_some()
            || args.pss_version.is_some()
            || config.is_some_and(|c| c.pss_explicit),
        rules: rule_selection(args, config),
        chart_values: config.map(|c| c.helm.clone()).unwrap_or_default(),
        ..LintOptions::default()
    }
}

/// The rules `check` runs: the configuration's `select:` / `ignore:` layer, then the
/// command line's selectors on top.
pub(crate) fn rule_selection(
    args: &CheckArgs,
    config: Option<&crate::config::Config>,
) -> crate::rules::selection::RuleSelection {
    let mut rules = config.map(|c| c.rules.clone()).unwrap_or_default();
    rules.push(SelectionLayer {
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
    });
    rules
}

/// `--diff`: what `--fix` would change, written nowhere.
fn print_diff(
    inputs: &[(String, Vec<u8>)],
    options: &LintOptions,
    include_unsafe: bool,
    from_stdin: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let run = if from_stdin {
        fix(inputs, options, include_unsafe)
    } else {
        crate::overlays::fix(&Disk, inputs, options, include_unsafe)
    };
    for file in &run.changed {
        let _ = write!(
            out,
            "{}",
            crate::fix::unified_diff(&file.path, &file.before, &file.after)
        );
    }
    let n = run.applied;
    let _ = writeln!(
        err,
        "Would fix {n} finding{} in {} file{}.",
        if n == 1 { "" } else { "s" },
        run.changed.len(),
        if run.changed.len() == 1 { "" } else { "s" }
    );
    if run.changed.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    }
}

/// "Fixed 3 findings (2 remaining, 1 fixable with `--fix --unsafe-fixes`)."
fn fix_summary(run: &FixRun, include_unsafe: bool) -> String {
    let remaining = run.result.findings.len();
    let unsafe_left = run
        .result
        .findings
        .iter()
        .filter(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.safety == crate::finding::FixSafety::Review)
        })
        .count();
    let mut s = format!(
        "Fixed {} finding{} ({remaining} remaining",
        run.applied,
        if run.applied == 1 { "" } else { "s" }
    );
    if unsafe_left > 0 && !include_unsafe {
        s.push_str(&format!(
            ", {unsafe_left} fixable with `--fix --unsafe-fixes`"
        ));
    }
    s.push_str(").");
    s
}

/// Chart folders above files named one by one (`check chart/templates/deploy.yaml`): a walk
/// of the chart brings its `Chart.yaml` along, a file named alone does not.
fn charts_on_disk(inputs: &[(String, Vec<u8>)]) -> ChartDirs {
    let mut charts = ChartDirs::default();
    for (path, _) in inputs {
        if let Some(dir) = chart_dir_of(path)
            && Path::new(if dir.is_empty() { "." } else { dir })
                .join("Chart.yaml")
                .is_file()
        {
            charts.insert(dir);
        }
    }
    charts
}

pub(crate) fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

pub(crate) fn is_manifest_name(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Reads files on all cores (a repository is thousands of small files), keeping their order.
fn read_files(
    files: &[PathBuf],
    progress: &crate::cli_progress::Progress,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    use rayon::prelude::*;
    files
        .par_iter()
        .map(|path| {
            let read = std::fs::read(path)
                .map(|bytes| (display_path(path), bytes))
                .map_err(|e| format!("cannot read {}: {e}", path.display()));
            progress.file_read();
            read
        })
        .collect()
}

/// Files named on the command line are taken as they are; directories are walked for
/// manifests, honouring .gitignore (and .ignore) like ripgrep (`cli_walk` says how and why not
/// with `ignore`'s own walker). The result is sorted: depth first with each directory's
/// entries by name (`Path`'s order, component by component).
///
/// The walk is sequential: listing is cheap next to reading and linting (which run on all
/// cores). Measured on 2 cores, `ignore`'s parallel walker made `check` of an empty directory
/// 2.4-2.9 -> 3.2-3.4 ms and of 300 files no faster (its idle workers sleep a millisecond at a
/// time).
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    collect_files_listing(paths).map(|(files, _)| files)
}

/// [`collect_files`], with what the walk's listings say of kustomization files in the walked
/// directories: `check` asks that of every directory of its files (three names each, nearly
/// always absent; 910 of the 1,217 `statx` of a 300-file run before).
fn collect_files_listing(
    paths: &[PathBuf],
) -> Result<(Vec<PathBuf>, crate::cli_walk::Listings), String> {
    let mut out = Vec::new();
    let mut listings = crate::cli_walk::Listings::noting(crate::render::KUSTOMIZATION_FILE_NAMES);
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_file() {
            out.push(p.clone());
            continue;
        }
        let mut found = crate::cli_walk::files_under(p, is_manifest_name, &mut listings)?;
        found.sort();
        out.extend(found);
    }
    Ok((out, listings))
}
