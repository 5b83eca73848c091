//! The progress bar of `check` on stderr: shown only when stderr is a terminal and only once a
//! scan has taken longer than a second, so quick runs, pipes and CI logs stay clean.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a scan runs before the bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);

pub(crate) struct Progress {
    bar: ProgressBar,
    /// Dropped (or sent to) when the scan ends; wakes the thread that would show the bar.
    done: Option<mpsc::Sender<()>>,
    shower: Option<JoinHandle<()>>,
}

impl Progress {
    /// A bar over `files` files; `enabled` is false when stderr is not a terminal.
    pub(crate) fn start(enabled: bool, files: usize) -> Self {
        let bar = ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} reading {pos}/{len} files [{elapsed}]")
                .expect("progress template is valid"),
        );
        if !enabled {
            return Self {
                bar,
                done: None,
                shower: None,
            };
        }
        let (done, wait) = mpsc::channel::<()>();
        let shown = bar.clone();
        let shower = std::thread::spawn(move || {
            if wait.recv_timeout(SHOW_AFTER) == Err(mpsc::RecvTimeoutError::Timeout) {
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.enable_steady_tick(Duration::from_millis(120));
            }
        });
        Self {
            bar,
            done: Some(done),
            shower: Some(shower),
        }
    }

    pub(crate) fn file_read(&self) {
        self.bar.inc(1);
    }

    /// Reading is over; the bar stays (as a spinner) while the files are checked, and is
    /// cleared when `self` is dropped.
    pub(crate) fn checking(&self) {
        self.bar.set_style(
            ProgressStyle::with_template("{spinner} checking {len} files [{elapsed}]")
                .expect("progress template is valid"),
        );
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(shower) = self.shower.take() {
            let _ = shower.join();
        }
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Progress;

    #[test]
    fn a_bar_off_the_terminal_has_no_thread_and_still_counts() {
        let p = Progress::start(false, 3);
        assert!(p.shower.is_none() && p.done.is_none());
        p.file_read();
        p.file_read();
        assert_eq!(p.bar.position(), 2);
        assert!(p.bar.is_hidden());
    }

    #[test]
    fn a_scan_that_ends_first_wakes_the_waiting_thread() {
        let p = Progress::start(true, 1);
        assert!(p.shower.is_some());
        p.file_read();
        p.checking();
        // Dropping sends `done`; the join below returns as soon as the thread reads it.
        drop(p);
    }
}
