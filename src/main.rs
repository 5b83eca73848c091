use clap::Parser;

// The engine allocates many small nodes, strings and findings and frees them in bulk: glibc's
// malloc spent a quarter of a big run in malloc/free/consolidate; mimalloc's per-thread free
// lists make that a few percent.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = kubenudge::cli::Cli::parse();
    let code = kubenudge::cli::run(cli, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
