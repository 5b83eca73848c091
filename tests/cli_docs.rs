//! The documentation generated from clap: `docs/cli.md` must match the flags (this test fails
//! when it is stale; run it with `KUBENUDGE_UPDATE_DOCS=1` to rewrite it), and the completion
//! scripts and man page come out of the same definitions.

use clap::Parser;
use kubenudge::cli::{Cli, reference_markdown, run};

const HOW_TO_UPDATE: &str = "KUBENUDGE_UPDATE_DOCS=1 cargo test --test suite cli_docs::";

fn run_cli(args: &[&str]) -> (i32, Vec<u8>) {
    let cli = Cli::try_parse_from(std::iter::once("kubenudge").chain(args.iter().copied()))
        .expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(cli, &mut out, &mut err);
    (code, out)
}

#[test]
fn the_cli_reference_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md");
    let expected = reference_markdown();
    let current = std::fs::read_to_string(&path).ok();
    if current.as_deref() == Some(expected.as_str()) {
        return;
    }
    if std::env::var_os("KUBENUDGE_UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    panic!(
        "docs/cli.md is {}; regenerate it with `{HOW_TO_UPDATE}`",
        if current.is_some() {
            "stale"
        } else {
            "missing"
        }
    );
}

#[test]
fn the_cli_reference_names_every_command_and_flag() {
    let md = reference_markdown();
    for needle in [
        "## kubenudge check",
        "## kubenudge completions",
        "`--format <FORMAT>`",
        "`sarif`",
        "`github`",
        "`--select <RULE>`",
        "`--extend-select <RULE>`",
        "`--ignore <RULE>`",
        "`--stdin-filename <NAME>`",
        "`--statistics`",
    ] {
        assert!(md.contains(needle), "docs/cli.md lacks {needle}");
    }
    assert!(
        !md.contains("--today"),
        "hidden flags stay out of the reference"
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_kubenudge()"),
        ("zsh", "#compdef kubenudge"),
        ("fish", "complete -c kubenudge"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[kubenudge]"),
    ] {
        let (code, out) = run_cli(&["completions", shell]);
        assert_eq!(code, 0);
        let script = String::from_utf8(out).unwrap();
        assert!(script.contains(marker), "{shell}: {marker}");
        assert!(
            script.contains("stdin-filename"),
            "{shell} completes check's flags"
        );
    }
    assert!(Cli::try_parse_from(["kubenudge", "completions", "tcsh"]).is_err());
}

#[test]
fn the_man_page_is_roff_with_every_command() {
    let (code, out) = run_cli(&["man"]);
    assert_eq!(code, 0);
    let page = String::from_utf8(out).unwrap();
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH kubenudge 1"),
        "{}",
        &page[..200]
    );
    assert!(page.contains(".TH kubenudge 1"));
    for command in [
        "kubenudge\\-check",
        "kubenudge\\-rollout",
        "kubenudge\\-explain",
    ] {
        assert!(page.contains(command), "man page has {command}");
    }
    assert!(page.contains("stdin\\-filename"));
}
