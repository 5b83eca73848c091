//! Workers: claim jobs from the store under a lease, renew it while the review runs, and mark
//! the job done. Reviews of different pull requests run in parallel up to
//! `KUBENUDGE_MAX_CONCURRENT_REVIEWS`; the store keeps one per pull request across replicas.
//! A job whose pull request is unknown (a fork's check suite) is first given its pull
//! request through the open pull-request list, then queued again under it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, watch};

use super::Service;
use super::events::{Job, Request, pr_from_external_id};
use super::ledger::Ledger;
use super::review_run::{self, Outcome};
use crate::github::{GitHubApi, PullNumber};
use crate::store::{ClaimedJob, JobState, Store, now_ms};

/// A job claimed this many times (each claim after its worker died or failed to finish) is
/// given up.
const MAX_ATTEMPTS: i64 = 5;

/// How workers share the store.
#[derive(Debug, Clone)]
pub struct WorkOptions {
    pub max_concurrent_reviews: usize,
    /// A claimed job is another worker's to take when not renewed for this long.
    pub lease: Duration,
    /// How often an idle worker looks for work other replicas stored.
    pub poll: Duration,
    /// How long SIGTERM waits for running reviews before giving them back.
    pub shutdown_grace: Duration,
}

impl Default for WorkOptions {
    fn default() -> Self {
        WorkOptions {
            max_concurrent_reviews: 4,
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            shutdown_grace: Duration::from_secs(25),
        }
    }
}

pub(super) struct Workers {
    options: WorkOptions,
    /// This process's name in leases.
    owner: String,
    wake: Notify,
    stopping: AtomicBool,
    limit: Arc<Semaphore>,
    /// Jobs this process holds, by id (given back on shutdown).
    held: Mutex<HashMap<i64, ClaimedJob>>,
    in_flight: watch::Sender<usize>,
}

impl Workers {
    pub(super) fn new(options: WorkOptions) -> Self {
        let owner = format!(
            "{}-{}-{:x}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "kubenudge".into()),
            std::process::id(),
            now_ms()
        );
        Workers {
            limit: Arc::new(Semaphore::new(options.max_concurrent_reviews.max(1))),
            options,
            owner,
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
            held: Mutex::new(HashMap::new()),
            in_flight: watch::channel(0).0,
        }
    }

    pub(super) fn lease(&self) -> Duration {
        self.options.lease
    }

    pub(super) fn wake(&self) {
        self.wake.notify_one();
    }

    pub(super) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    pub(super) async fn wait_idle(&self, store: &Store) {
        let mut rx = self.in_flight.subscribe();
        loop {
            if *rx.borrow_and_update() == 0 && store.unfinished_jobs().await.unwrap_or(1) == 0 {
                return;
            }
            // A job finishing here signals; one finishing on another replica is polled for.
            let _ = tokio::time::timeout(Duration::from_millis(20), rx.changed()).await;
        }
    }

    pub(super) async fn shutdown(&self, store: &Store) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
        let mut rx = self.in_flight.subscribe();
        let running = *rx.borrow();
        if running > 0 {
            tracing::info!(running, grace = ?self.options.shutdown_grace, "waiting for reviews in flight");
        }
        let drained = tokio::time::timeout(self.options.shutdown_grace, rx.wait_for(|n| *n == 0));
        if drained.await.is_ok() {
            tracing::info!("every review in flight finished");
            return;
        }
        let held: Vec<ClaimedJob> = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        for job in held {
            tracing::warn!(
                job = job.id,
                "shutdown deadline: giving the job back to the store"
            );
            if let Err(e) = store.release(&job, &self.owner, None).await {
                tracing::error!(job = job.id, error = %e, "could not give the job back; its lease will expire");
            }
        }
    }
}

/// Starts the claiming loop.
pub(super) fn start(service: Arc<Service>) {
    tokio::spawn(async move {
        let workers = &service.workers;
        loop {
            if workers.stopping() {
                break;
            }
            let Ok(permit) = Arc::clone(&workers.limit).acquire_owned().await else {
                break;
            };
            let claimed = service
                .store
                .claim(
                    &workers.owner,
                    now_ms(),
                    workers.options.lease.as_millis() as i64,
                )
                .await;
            match claimed {
                Ok(Some(job)) if workers.stopping() => {
                    // Shutdown began while this claim was under way: give the job back
                    // untouched, for another replica or the next start.
                    if let Err(e) = service.store.release(&job, &workers.owner, None).await {
                        tracing::warn!(job = job.id, error = %e, "could not give the job back; its lease will expire");
                    }
                    break;
                }
                Ok(Some(job)) => {
                    service.metrics.job_claimed();
                    workers.in_flight.send_modify(|n| *n += 1);
                    workers
                        .held
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(job.id, job.clone());
                    let service = Arc::clone(&service);
                    tokio::spawn(async move {
                        let id = job.id;
                        // A panic inside is contained by the review's own task.
                        run_claimed(&service, job).await;
                        service
                            .workers
                            .held
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&id);
                        service.workers.in_flight.send_modify(|n| *n -= 1);
                        drop(permit);
                        service.workers.wake();
                    });
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "cannot claim jobs from the store"),
            }
            drop(permit);
            let _ = tokio::time::timeout(workers.options.poll, workers.wake.notified()).await;
        }
    });
}

async fn run_claimed(service: &Arc<Service>, claimed: ClaimedJob) {
    let workers = &service.workers;
    let owner = workers.owner.clone();
    let mut job: Job = match serde_json::from_str(&claimed.payload) {
        Ok(job) => job,
        Err(e) => {
            tracing::error!(job = claimed.id, error = %e, "stored job not understood; dropped");
            finish(service, &claimed, JobState::Failed).await;
            return;
        }
    };
    job.force = claimed.force;
    // The delivery that stored the job (the first, when later ones joined it).
    let delivery = claimed
        .delivery_id
        .clone()
        .or_else(|| job.delivery.clone())
        .unwrap_or_else(|| "-".to_string());
    job.delivery = Some(delivery.clone());
    tracing::info!(
        job = claimed.id,
        delivery = delivery.as_str(),
        attempt = claimed.attempts,
        repo = %job.repo,
        pr = %claimed.pr_key,
        sha = %job.head_sha,
        "review claimed"
    );
    if claimed.attempts > MAX_ATTEMPTS {
        tracing::error!(job = claimed.id, repo = %job.repo, sha = %job.head_sha,
            attempts = claimed.attempts, "giving up on a job that never finished");
        finish(service, &claimed, JobState::Failed).await;
        return;
    }
    // Renew the lease while the review runs, so no other replica takes it over.
    let renewing = {
        let store = Arc::clone(&service.store);
        let claimed = claimed.clone();
        let owner = owner.clone();
        let lease = workers.options.lease;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                match store
                    .renew(&claimed, &owner, now_ms(), lease.as_millis() as i64)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(
                            job = claimed.id,
                            "lease lost: another worker took the job over"
                        );
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(job = claimed.id, error = %e, "cannot renew the lease")
                    }
                }
            }
        })
    };
    let api = service.github.installation(job.installation);
    let state = match job.request.clone() {
        Request::Pull { pr, .. } => {
            // Every log line of the review names the delivery, repository, PR and head.
            let span = tracing::info_span!(
                "review",
                delivery = delivery.as_str(),
                repo = %job.repo,
                pr = pr.0,
                sha = %job.head_sha,
            );
            let ledger = Ledger::new(Arc::clone(&service.store), &job, pr, &claimed);
            let review = Arc::clone(&service.review);
            let (outcome, seconds) = tracing::Instrument::instrument(
                async move {
                    let started = std::time::Instant::now();
                    let outcome = review_run::run(api, job, pr, review, ledger).await;
                    let seconds = started.elapsed().as_secs_f64();
                    tracing::info!(
                        outcome = outcome_label(&outcome),
                        seconds,
                        "review finished"
                    );
                    (outcome, seconds)
                },
                span,
            )
            .await;
            let state = match outcome {
                Outcome::Failed(_) => JobState::Failed,
                _ => JobState::Done,
            };
            service.record_outcome(outcome, seconds);
            Some(state)
        }
        Request::HeadSha { external_id } => {
            match find_pull(&api, &job, external_id.as_deref()).await {
                Ok(Some(pr)) => {
                    job.request = Request::Pull {
                        pr,
                        known_open: false,
                    };
                    let payload = serde_json::to_string(&job).unwrap_or_default();
                    let key = job.pr_key();
                    if let Err(e) = service
                        .store
                        .release(&claimed, &owner, Some((&key, &payload)))
                        .await
                    {
                        tracing::error!(job = claimed.id, error = %e, "cannot queue the job under its pull request");
                    }
                    None
                }
                Ok(None) => {
                    tracing::info!(repo = %job.repo, sha = %job.head_sha,
                        "no open pull request has this head commit; nothing to review");
                    Some(JobState::Done)
                }
                Err(e) => {
                    tracing::error!(repo = %job.repo, sha = %job.head_sha, error = %e,
                        "looking up the pull request of a commit");
                    Some(JobState::Failed)
                }
            }
        }
    };
    renewing.abort();
    if let Some(state) = state {
        finish(service, &claimed, state).await;
    }
}

async fn finish(service: &Service, claimed: &ClaimedJob, state: JobState) {
    if let Err(e) = service
        .store
        .finish(claimed, &service.workers.owner, state, now_ms())
        .await
    {
        tracing::error!(job = claimed.id, error = %e, "cannot mark the job finished; it will run again");
    }
}

/// The open pull request whose head is the job's commit: named by our check run's
/// `external_id`, else found in the repository's open pull requests (the commit's own pulls
/// endpoint knows nothing of a fork's commit).
async fn find_pull<G: GitHubApi>(
    api: &G,
    job: &Job,
    external_id: Option<&str>,
) -> Result<Option<PullNumber>, crate::github::GitHubError> {
    if let Some(pr) = external_id.and_then(pr_from_external_id) {
        return Ok(Some(pr));
    }
    let pulls = api.list_open_pulls(&job.repo).await?;
    Ok(pulls
        .iter()
        .find(|p| p.head.sha == job.head_sha.0)
        .map(|p| PullNumber(p.number)))
}

/// The `outcome` label of a finished review.
pub(super) fn outcome_label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Completed(c) => c,
        Outcome::AlreadyReviewed => "already_reviewed",
        Outcome::NotCurrent => "not_current",
        Outcome::Failed(_) => "failed",
    }
}
