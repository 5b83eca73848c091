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
