//! The job queue: reviews of one pull request run one at a time and a newer job replaces one
//! still waiting; different pull requests run in parallel up to a global limit. Tracks jobs in
//! flight so shutdown and tests can wait until the queue is idle.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, watch};

use super::events::Job;
use crate::github::{PullNumber, RepoRef};

type PrKey = (RepoRef, PullNumber);
pub type Runner =
    Arc<dyn Fn(Job, PullNumber) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

#[derive(Default)]
struct Slot {
    waiting: Option<Job>,
}

pub struct ReviewQueue {
    slots: Mutex<HashMap<PrKey, Slot>>,
    limit: Arc<Semaphore>,
    in_flight: watch::Sender<usize>,
    superseded: std::sync::atomic::AtomicU64,
}

impl ReviewQueue {
    pub fn new(max_concurrent: usize) -> Arc<Self> {
        Arc::new(ReviewQueue {
            slots: Mutex::new(HashMap::new()),
            limit: Arc::new(Semaphore::new(max_concurrent.max(1))),
            in_flight: watch::channel(0).0,
            superseded: Default::default(),
        })
    }

    pub fn superseded(&self) -> u64 {
        self.superseded.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Marks work that will enqueue later (a pull request still being looked up).
    pub fn hold(self: &Arc<Self>) -> Hold {
        self.in_flight.send_modify(|n| *n += 1);
        Hold(Arc::clone(self))
    }

    /// Waits until no job is queued, running or being looked up.
    pub async fn wait_idle(&self) {
        let mut rx = self.in_flight.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    pub fn enqueue(self: &Arc<Self>, job: Job, pr: PullNumber, runner: Runner) {
        let key = (job.repo.clone(), pr);
        {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(slot) = slots.get_mut(&key) {
                // A review of this pull request is running: this job waits, replacing any
                // older waiting one (keeping a forced re-run forced).
                let mut job = job;
                if let Some(old) = slot.waiting.take() {
                    self.superseded
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if old.head_sha == job.head_sha {
                        job.force |= old.force;
                        job.reconcile |= old.reconcile;
                    }
                } else {
                    self.in_flight.send_modify(|n| *n += 1);
                }
                slot.waiting = Some(job);
                return;
            }
            slots.insert(key.clone(), Slot::default());
            self.in_flight.send_modify(|n| *n += 1);
        }
        let queue = Arc::clone(self);
        tokio::spawn(async move {
            let mut next = Some(job);
            while let Some(job) = next.take() {
                {
                    let _permit = queue.limit.acquire().await;
                    // The runner catches its own failures; a panic is contained by its task.
                    let run = tokio::spawn(runner(job, pr));
                    if let Err(e) = run.await {
                        tracing::error!(error = %e, "review task ended abnormally");
                    }
                }
                let mut slots = queue.slots.lock().unwrap_or_else(|p| p.into_inner());
                match slots.get_mut(&key).and_then(|s| s.waiting.take()) {
                    Some(waiting) => next = Some(waiting),
                    None => {
                        slots.remove(&key);
                    }
                }
                drop(slots);
                queue.in_flight.send_modify(|n| *n -= 1);
            }
        });
    }
}

/// Keeps the queue busy until dropped.
pub struct Hold(Arc<ReviewQueue>);

impl Drop for Hold {
    fn drop(&mut self) {
        self.0.in_flight.send_modify(|n| *n -= 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::{CommitSha, InstallationId};
    use crate::server::events::Request;
    use tokio::sync::Notify;

    fn job(pr: u64, sha: &str) -> Job {
        Job {
            delivery: None,
            installation: InstallationId(1),
            repo: RepoRef {
                owner: "o".into(),
                name: "r".into(),
            },
            head_sha: CommitSha(sha.into()),
            base_sha: None,
            request: Request::Pull {
                pr: PullNumber(pr),
                known_open: true,
            },
            force: false,
            reconcile: false,
        }
    }

    #[tokio::test]
    async fn one_pull_request_at_a_time_and_the_newest_waiting_head_wins() {
        let queue = ReviewQueue::new(4);
        let ran = Arc::new(Mutex::new(Vec::new()));
        let started = Arc::new(Notify::new());
        let release = Arc::new(Notify::new());
        let runner: Runner = {
            let (ran, started, release) = (ran.clone(), started.clone(), release.clone());
            Arc::new(move |job: Job, pr: PullNumber| {
                let (ran, started, release) = (ran.clone(), started.clone(), release.clone());
                Box::pin(async move {
                    ran.lock().unwrap().push((pr.0, job.head_sha.0.clone()));
                    if job.head_sha.0 == "a1" {
                        started.notify_one();
                        release.notified().await;
                    }
                })
            })
        };
        queue.enqueue(job(1, "a1"), PullNumber(1), runner.clone());
        started.notified().await;
        // While a1 runs: two newer heads of PR 1 (a3 supersedes a2) and another PR in parallel.
        queue.enqueue(job(1, "a2"), PullNumber(1), runner.clone());
        queue.enqueue(job(1, "a3"), PullNumber(1), runner.clone());
        queue.enqueue(job(2, "b1"), PullNumber(2), runner.clone());
        let other_pr_done = async {
            loop {
                if ran.lock().unwrap().iter().any(|(pr, _)| *pr == 2) {
                    break;
                }
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), other_pr_done)
            .await
            .expect("PR 2 ran while PR 1 was busy");
        release.notify_one();
        tokio::time::timeout(std::time::Duration::from_secs(10), queue.wait_idle())
            .await
            .expect("queue idle");
        let ran = ran.lock().unwrap().clone();
        let pr1: Vec<&str> = ran
            .iter()
            .filter(|(pr, _)| *pr == 1)
            .map(|(_, s)| s.as_str())
            .collect();
        assert_eq!(pr1, vec!["a1", "a3"]);
        assert_eq!(queue.superseded(), 1);
    }
}
