//! `kubenudge lsp`: a Language Server over stdio, so any editor that speaks LSP shows the
//! findings of `check` as the author types — diagnostics at the same field ranges, a code
//! action per fix, one to fix the whole file, and hover with the rule's guidance.
//!
//! Owns: the protocol (on `lsp-server`, synchronous, one thread), the open documents, the
//! debounce, and converting byte offsets to UTF-16 positions. It never decides what a finding
//! or a fix is: that is the engine's (`engine::lint`, `engine::fix`) and the rollout policy's
//! (`.github/kubenudge.yml` of the workspace root). Nothing but protocol messages may be
//! written to stdout.

mod analysis;
mod position;
mod server;

use std::io::Write;

pub use lsp_server::Connection;

/// Serves one client on `connection` until it shuts down: the handshake, then the main loop.
/// Tests run it on [`Connection::memory`].
pub fn serve(connection: Connection) -> anyhow::Result<()> {
    server::serve(connection, || chrono::Utc::now().date_naive())
}

/// `kubenudge lsp`: serves on stdin/stdout; problems go to stderr.
pub fn run_stdio(err: &mut dyn Write) -> i32 {
    let (connection, io_threads) = Connection::stdio();
    let served = serve(connection);
    let joined = io_threads.join();
    match (served, joined) {
        (Ok(()), Ok(())) => crate::cli::EXIT_CLEAN,
        (Err(e), _) => {
            let _ = writeln!(err, "error: kubenudge lsp: {e:#}");
            crate::cli::EXIT_ERROR
        }
        (_, Err(e)) => {
            let _ = writeln!(err, "error: kubenudge lsp: {e}");
            crate::cli::EXIT_ERROR
        }
    }
}
