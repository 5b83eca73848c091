//! The CLI as the tests drive it: `kubenudge ARGS…` run in-process, its exit code, stdout and
//! stderr. Shared by the CLI tests (`use crate::cli_run;`).

use clap::Parser;
use kubenudge::cli::{Cli, run};

/// Runs `kubenudge` with `args`; returns (exit code, stdout, stderr).
pub fn run_cli(args: &[&str]) -> (i32, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("kubenudge").chain(args.iter().copied()))
        .expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(cli, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}
