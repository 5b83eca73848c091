//! What a review of one head commit has posted so far, recorded in the store as it goes: the
//! check run, the review, the annotation batches, the completion, the summary. A review interrupted by a crash
//! resumes where it stopped instead of posting again.

use std::sync::{Arc, Mutex};

use super::events::Job;
use crate::github::PullNumber;
use crate::store::{ClaimedJob, OpenCheckRun, Store, StoreError, now_ms};

pub const CHECK_RUN: &str = "check_run";
pub const REVIEW: &str = "review";
pub const ANNOTATION_BATCHES: &str = "annotation_batches";
pub const SUMMARY: &str = "summary";
/// The check run the review completed.
pub const COMPLETED_RUN: &str = "completed_run";
/// The job that finished the head's review.
pub const FINISHED_BY: &str = "finished_by";

pub struct Ledger {
    store: Arc<Store>,
    key: String,
    job_id: i64,
    installation: i64,
    repo: String,
    head_sha: String,
    /// Claimed before: a worker may have posted without recording it.
    retried: bool,
    /// Something was recorded for this head before this job loaded the ledger.
    had_entries: std::sync::atomic::AtomicBool,
    entries: Mutex<Vec<(String, i64)>>,
}

impl Ledger {
    pub fn new(store: Arc<Store>, job: &Job, pr: PullNumber, claimed: &ClaimedJob) -> Ledger {
        Ledger {
            store,
            key: format!("{}#{}@{}", job.repo, pr.0, job.head_sha),
            job_id: claimed.id,
            installation: job.installation.0 as i64,
            repo: job.repo.to_string(),
            head_sha: job.head_sha.0.clone(),
            retried: claimed.attempts > 1,
            had_entries: std::sync::atomic::AtomicBool::new(false),
            entries: Mutex::new(Vec::new()),
        }
    }

    /// Reads what was recorded for this head. A forced re-run of a head another job finished
    /// starts a new record.
    pub async fn load(&self, force: bool) -> Result<(), StoreError> {
        let mut entries = self.store.posted(&self.key).await?;
        let finished_by = entries
            .iter()
            .find(|(k, _)| k == FINISHED_BY)
            .map(|(_, v)| *v);
        if force && finished_by.is_some_and(|j| j != self.job_id) {
            // Cleared in the store too, so this run, if it is interrupted in turn, resumes
            // its own record rather than starting a third.
            self.store.clear_posted(&self.key).await?;
            entries.clear();
        }
        self.had_entries
            .store(!entries.is_empty(), std::sync::atomic::Ordering::SeqCst);
        *self.entries.lock().unwrap_or_else(|p| p.into_inner()) = entries;
        Ok(())
    }

    pub fn get(&self, kind: &str) -> Option<i64> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, v)| *v)
    }

    /// True when this job already finished the head (it died before marking the job done).
    pub fn finished_by_this_job(&self) -> bool {
        self.get(FINISHED_BY) == Some(self.job_id)
    }

    /// This head's review started before this attempt: something may have been posted,
    /// recorded or (the answer lost in a crash) not.
    pub fn resuming(&self) -> bool {
        self.retried || self.had_entries.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub async fn put(&self, kind: &str, value: i64) -> Result<(), StoreError> {
        self.store
            .record_posted(&self.key, kind, value, now_ms())
            .await?;
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|(k, _)| k != kind);
        entries.push((kind.to_string(), value));
        Ok(())
    }

    /// Records the check run (and whether it is completed) for reconciliation.
    pub async fn check_run(&self, run_id: u64, completed: bool) -> Result<(), StoreError> {
        if !completed {
            self.put(CHECK_RUN, run_id as i64).await?;
        }
        self.store
            .record_check_run(
                &OpenCheckRun {
                    run_id: run_id as i64,
                    installation: self.installation,
                    repo: self.repo.clone(),
                    head_sha: self.head_sha.clone(),
                },
                completed,
                now_ms(),
            )
            .await
    }

    pub async fn finished(&self) -> Result<(), StoreError> {
        self.put(FINISHED_BY, self.job_id).await
    }
}
