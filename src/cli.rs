//! The `kubenudge` command line: argument types and the `check`, `rules` and `explain`
//! commands. Reads files from disk; everything else is the engine's.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::engine::{FixRun, LintOptions, fix, lint};
use crate::policy::{Level, PssPolicy, Version};

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
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to check; directories are walked for *.yaml, *.yml and *.json,
    /// respecting .gitignore.
    pub paths: Vec<PathBuf>,
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
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RolloutFormat {
    Text,
    /// The developer impact note, ready to send to the affected teams.
    Md,
    Json,
}

#[derive(Args, Debug)]
pub struct RolloutArgs {
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

pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match cli.command {
        Command::Check(args) => check(&args, out, err),
        Command::Rollout(args) => crate::cli_rollout::rollout(&args, out, err),
        Command::Rules => {
            for rule in crate::rules::all() {
                let _ = writeln!(out, "{:<48} {}", rule.id(), rule.summary());
            }
            EXIT_CLEAN
        }
        Command::Serve => serve(err),
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

fn check(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let policy = match &args.config {
        Some(path) => match crate::cli_rollout::load_config(path) {
            Ok(p) => Some(p),
            Err(message) => {
                let _ = write!(err, "{message}");
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let files = match collect_files(&paths) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return EXIT_ERROR;
        }
    };
    let inputs = match read_files(&files) {
        Ok(inputs) => inputs,
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            return EXIT_ERROR;
        }
    };
    let config = policy.as_ref().map(|p| &p.config);
    let options = LintOptions {
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
        ..LintOptions::default()
    };
    if args.diff {
        return print_diff(&inputs, &options, args.unsafe_fixes, out, err);
    }
    let mut result = if args.fix {
        let run = fix(&inputs, &options, args.unsafe_fixes);
        for file in &run.changed {
            if let Err(e) = std::fs::write(&file.path, &file.bytes) {
                let _ = writeln!(err, "error: cannot write {}: {e}", file.path);
                return EXIT_ERROR;
            }
        }
        let _ = writeln!(err, "{}", fix_summary(&run, args.unsafe_fixes));
        run.result
    } else {
        lint(&inputs, &options)
    };
    let outcome = crate::cli_rollout::apply_policy(&mut result, policy.as_ref(), args.today);
    let rendered = match args.format {
        Format::Text => crate::report::render_text(&result) + &outcome.stage_notes,
        Format::Json => crate::report::render_json(&result),
    };
    let _ = out.write_all(rendered.as_bytes());
    let code = if !args.exit_zero && (outcome.blocking || !result.errors.is_empty()) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    // The process ends next: freeing every tree and finding one by one would only delay the
    // exit (a tenth of the run on big inputs), as ripgrep and rustc also avoid.
    std::mem::forget(result);
    code
}

/// `--diff`: what `--fix` would change, written nowhere.
fn print_diff(
    inputs: &[(String, Vec<u8>)],
    options: &LintOptions,
    include_unsafe: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let run = fix(inputs, options, include_unsafe);
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

pub(crate) fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

fn is_manifest_name(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Reads files on all cores (a repository is thousands of small files), keeping their order.
fn read_files(files: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>, String> {
    use rayon::prelude::*;
    files
        .par_iter()
        .map(|path| {
            std::fs::read(path)
                .map(|bytes| (display_path(path), bytes))
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        })
        .collect()
}

/// Files named on the command line are taken as they are; directories are walked for
/// manifests, honouring .gitignore (and .ignore) like ripgrep, on all cores. The order is
/// depth first with each directory's entries by name (`Path`'s order, component by
/// component), whatever order the walkers finish in.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_file() {
            out.push(p.clone());
            continue;
        }
        let found = std::sync::Mutex::new(Vec::new());
        let failure = std::sync::Mutex::new(None);
        ignore::WalkBuilder::new(p)
            .hidden(true)
            .git_ignore(true)
            .require_git(false)
            .build_parallel()
            .run(|| {
                Box::new(|entry| match entry {
                    Ok(entry) => {
                        if entry.file_type().is_some_and(|t| t.is_file())
                            && is_manifest_name(entry.path())
                        {
                            found.lock().expect("walk lock").push(entry.into_path());
                        }
                        ignore::WalkState::Continue
                    }
                    Err(e) => {
                        failure
                            .lock()
                            .expect("walk lock")
                            .get_or_insert(e.to_string());
                        ignore::WalkState::Quit
                    }
                })
            });
        if let Some(e) = failure.into_inner().expect("walk lock") {
            return Err(e);
        }
        let mut found = found.into_inner().expect("walk lock");
        found.sort();
        out.extend(found);
    }
    Ok(out)
}
