use std::io::IsTerminal;

use clap::Parser;
use kubenudge::cli::Console;

fn main() {
    let cli = kubenudge::cli::Cli::parse();
    // Not locked here: `kubenudge lsp` reads standard input from a thread of its own, which
    // would wait forever for a lock held by this one. `Stdin` locks per read.
    let mut stdin = std::io::stdin();
    let mut console = Console {
        stdin: &mut stdin,
        color: Console::color_wanted(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("FORCE_COLOR").as_deref(),
        ),
        progress: std::io::stderr().is_terminal(),
    };
    let code = kubenudge::cli::run_in(
        cli,
        &mut console,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    std::process::exit(code);
}
