use std::io::IsTerminal;

use clap::Parser;
use kubenudge::cli::Console;

// The engine allocates many small nodes, strings and findings and frees them in bulk: glibc's
// malloc spent a quarter of a big run in malloc/free/consolidate; mimalloc's per-thread free
// lists make that a few percent.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = kubenudge::cli::Cli::parse();
    // Not locked for the whole run: `kubenudge lsp` reads stdin on lsp-server's own thread,
    // which would wait for this lock forever.
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
