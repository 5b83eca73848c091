use std::io::IsTerminal;

/// jemalloc rather than the system allocator: a run makes millions of small allocations on
/// every core (trees, findings, fix edits) and frees them in bulk. Measured on the benchmark
/// corpora (`bench/compare.sh`): 3,000 files 0.36 s -> 0.27 s, 20,000 Pods in one file
/// 1.15 s -> 1.10 s, memory within 5%. (mimalloc was tried before: slower on the big file,
/// twice the memory on small runs.)
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options (its `malloc_conf`, read at start; `_RJEM_MALLOC_CONF` still overrides
/// them): freed pages go back to the system at once instead of after jemalloc's default 10 s,
/// so what one stage of a run frees is not still counted while the next one allocates. Peak
/// memory on the benchmark corpora: 3,000 files 122 -> 98 MiB at the same speed; 20,000 Pods
/// in one file 470 -> 424 MiB for 0.1 s more (pages freed and used again are faulted in again).
#[unsafe(export_name = "_rjem_malloc_conf")]
#[allow(non_upper_case_globals)]
pub static malloc_conf: &[u8; 34] = b"dirty_decay_ms:0,muzzy_decay_ms:0\0";

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
