//! Documentation generated from the clap definitions, so it cannot drift from the flags: the
//! man page (`kubenudge man`) and the CLI reference `docs/cli.md` (kept current by
//! `tests/cli_docs.rs`). Only formats what clap knows; never runs a command.

use std::fmt::Write as _;

use clap::CommandFactory;

use crate::cli::Cli;

/// `kubenudge.1` in roff, with a section per subcommand.
pub fn man_page() -> Vec<u8> {
    let command = Cli::command();
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render(&mut out).expect("render to memory");
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("kubenudge {}", sub.get_name());
        let section_name = name.clone();
        let sub = sub.clone().bin_name(name);
        let section = clap_mangen::Man::new(sub);
        // Each subcommand as its own titled part of the one page (no second NAME section).
        out.extend_from_slice(format!(".SH \"{}\"\n", sub_title(&section_name)).as_bytes());
        let _ = section.render_synopsis_section(&mut out);
        let _ = section.render_description_section(&mut out);
        let _ = section.render_options_section(&mut out);
    }
    out
}

/// `KUBENUDGE CHECK`: man section titles are upper case.
fn sub_title(name: &str) -> String {
    name.to_uppercase()
}

/// The CLI reference in Markdown: usage, description, arguments and options of every command.
pub fn reference_markdown() -> String {
    let mut root = Cli::command();
    root.build();
    let mut out = String::from(
        "<!-- Generated from the clap definitions in src/cli.rs by \
         `KUBENUDGE_UPDATE_DOCS=1 cargo test --test suite cli_docs::`; do not edit. -->\n\
         # kubenudge command-line reference\n\n",
    );
    if let Some(about) = root.get_about() {
        let _ = writeln!(out, "{about}.\n");
    }
    let _ = writeln!(
        out,
        "Run `kubenudge help COMMAND` for the same text in a terminal; `kubenudge man` prints \
         it as a man page.\n"
    );
    let _ = writeln!(out, "| Command | What it does |\n|---|---|");
    for sub in root.get_subcommands().filter(|s| shown(s)) {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "| [`kubenudge {}`](#kubenudge-{}) | {} |",
            sub.get_name(),
            sub.get_name(),
            about.trim_end_matches('.')
        );
    }
    for sub in root.get_subcommands_mut().filter(|s| shown(s)) {
        let usage = sub.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ");
        let _ = writeln!(out, "\n## kubenudge {}\n", sub.get_name());
        let _ = writeln!(out, "```text\n{usage}\n```\n");
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            let _ = writeln!(out, "{}", sentence(about.to_string().trim_end()));
        }
        let args: Vec<&clap::Arg> = sub
            .get_arguments()
            .filter(|a| !a.is_hide_set() && a.get_id() != "help")
            .collect();
        if args.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n| Argument | Description |\n|---|---|");
        for arg in args {
            let _ = writeln!(out, "| {} | {} |", arg_name(arg), arg_help(arg));
        }
    }
    out
}

/// Commands worth a section: not hidden, and not clap's own `help`.
fn shown(command: &clap::Command) -> bool {
    !command.is_hide_set() && command.get_name() != "help"
}

/// Ends a help text with a full stop (clap drops it from one-line doc comments).
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() || text.ends_with(['.', ':', '!', '?']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

fn arg_name(arg: &clap::Arg) -> String {
    let value = arg
        .get_value_names()
        .and_then(|v| v.first())
        .map_or_else(|| arg.get_id().as_str().to_uppercase(), |v| v.to_string());
    let takes_value = arg.get_action().takes_values();
    match (arg.get_long(), arg.get_short()) {
        (Some(long), _) if takes_value => format!("`--{long} <{value}>`"),
        (Some(long), _) => format!("`--{long}`"),
        (None, Some(short)) => format!("`-{short}`"),
        (None, None) => format!("`{value}`"),
    }
}

fn arg_help(arg: &clap::Arg) -> String {
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default()
        .replace('\n', " ");
    let mut help = sentence(&help);
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| match v.get_help() {
            Some(h) => format!(
                "`{}`: {}",
                v.get_name(),
                h.to_string().trim_end_matches('.')
            ),
            None => format!("`{}`", v.get_name()),
        })
        .collect();
    if !values.is_empty() && arg.get_long().is_some() {
        let _ = write!(help, " One of {}.", values.join("; "));
    }
    let is_switch = matches!(
        arg.get_action(),
        clap::ArgAction::SetTrue | clap::ArgAction::SetFalse
    );
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && !is_switch {
        let _ = write!(help, " Default: `{}`.", defaults.join(","));
    }
    help.trim().replace('|', "\\|")
}
