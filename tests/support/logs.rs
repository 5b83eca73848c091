//! Every log line the App writes during the test binary's run (all of `tests/suite.rs`),
//! captured in memory (debug level, trace for kubenudge and octocrab), so tests can read what
//! an operator would see and check that no secret ever reaches it. Installed once per process
//! by the harness; a test that reads a line looks for its own delivery's.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing (once per process; later calls do nothing).
pub fn capture() {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Captured(Arc::clone(&buffer));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,kubenudge=trace,octocrab=trace,hyper=info,hyper_util=info,h2=info,rustls=info,wiremock=info",
            ))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init();
        buffer
    });
}

/// Everything logged so far in this process.
pub fn text() -> String {
    match LOGS.get() {
        Some(b) => {
            String::from_utf8_lossy(&b.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
        }
        None => String::new(),
    }
}

/// The secrets found in the logs, by name (empty when none is there).
pub fn leaked(secrets: &[(&str, &str)]) -> Vec<String> {
    let logs = text();
    secrets
        .iter()
        .filter(|(_, value)| value.len() >= 8 && logs.contains(value))
        .map(|(name, _)| name.to_string())
        .collect()
}
