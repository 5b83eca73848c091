//! Reconciliation, on start and every `KUBENUDGE_RECONCILE_SECONDS`: nothing GitHub sent is
//! lost, and no kubenudge check run stays open.
//!
//! - GitHub does not retry a delivery it could not make (kubenudge down, a 5xx). kubenudge
//!   lists the App's recent deliveries and asks GitHub to redeliver each one whose attempts
//!   all failed, once per delivery guid across replicas (the store remembers the guids).
//! - A check run opened by a process that died is finished by the job that resumes the
//!   review; one whose job is gone (given up, or superseded by a newer head) is completed
//!   `neutral` with a note.
//! - Finished jobs and deliveries older than the retention period are pruned.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Service;
use crate::github::{
    CheckRunOutput, CheckRunWrite, GitHubApi, GitHubApp, GitHubError, InstallationId, RepoRef,
};
use crate::store::{Store, now_ms};

const EVENTS: &[&str] = &["pull_request", "check_suite", "check_run"];
/// GitHub keeps deliveries this long; older ones cannot be redelivered.
const REDELIVERY_WINDOW_DAYS: i64 = 3;
/// Finished work is kept this long (then pruned).
const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Asks GitHub to redeliver recent failed deliveries not delivered since, each guid once;
/// returns how many.
pub async fn redeliver_failed_deliveries(
    app: &GitHubApp,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<usize, GitHubError> {
    let deliveries = app.list_hook_deliveries().await?;
    let since = now - chrono::Duration::days(REDELIVERY_WINDOW_DAYS);
    // A guid's attempts (the first delivery and its redeliveries): any success settles it.
    // In GitHub's order (newest first), so the newest failures are asked for first.
    let mut by_guid: Vec<(&str, Vec<&crate::github::HookDelivery>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for d in &deliveries {
        let guid = d.guid.as_str();
        let i = *index.entry(guid).or_insert_with(|| {
            by_guid.push((guid, Vec::new()));
            by_guid.len() - 1
        });
        by_guid[i].1.push(d);
    }
    let mut redelivered = 0;
    for (guid, attempts) in by_guid {
        let delivered = |d: &&crate::github::HookDelivery| {
            d.status_code.is_some_and(|c| (200..300).contains(&c))
        };
        let candidates: Vec<&&crate::github::HookDelivery> = if guid.is_empty() {
            // Without a guid each delivery stands alone.
            attempts.iter().filter(|d| !delivered(d)).collect()
        } else if attempts.iter().any(delivered) {
            continue;
        } else {
            attempts.iter().max_by_key(|d| d.id).into_iter().collect()
        };
        for d in candidates {
            let recent = d
                .delivered_at
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t.with_timezone(&Utc) >= since);
            if !recent || !EVENTS.contains(&d.event.as_str()) {
                continue;
            }
            let key = if guid.is_empty() {
                format!("id:{}", d.id)
            } else {
                guid.to_string()
            };
            match store
                .claim_redelivery(&key, d.id as i64, now.timestamp_millis())
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot record a redelivery; skipping it this round");
                    continue;
                }
            }
            if let Err(e) = app.redeliver(d.id).await {
                let _ = store.forget_redelivery(&key).await;
                return Err(e);
            }
            tracing::info!(delivery = %key, event = %d.event, "asked GitHub to redeliver");
            redelivered += 1;
        }
    }
    Ok(redelivered)
}

/// Completes check runs whose review will not resume; returns how many.
pub async fn finish_abandoned_runs(
    app: &Arc<GitHubApp>,
    store: &Store,
    older_than: Duration,
) -> Result<usize, anyhow::Error> {
    let before = now_ms() - older_than.as_millis() as i64;
    let runs = store.abandoned_check_runs(before).await?;
    let mut finished = 0;
    for run in runs {
        let Some(repo) = parse_repo(&run.repo) else {
            continue;
        };
        let api = app.installation(InstallationId(run.installation as u64));
        let update = CheckRunWrite {
            status: Some("completed"),
            conclusion: Some("neutral"),
            completed_at: Some(Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            output: Some(CheckRunOutput {
                title: "Review did not finish".to_string(),
                summary: "kubenudge stopped before finishing this review, and a newer push or a later attempt replaced it.\n\nRe-run this check to review this commit again.".to_string(),
                annotations: Vec::new(),
            }),
            ..CheckRunWrite::default()
        };
        match api
            .update_check_run(&repo, run.run_id as u64, &update)
            .await
        {
            Ok(()) => {
                store.record_check_run(&run, true, now_ms()).await?;
                finished += 1;
            }
            Err(e) => {
                tracing::warn!(run = run.run_id, error = %e, "cannot complete an abandoned check run")
            }
        }
    }
    Ok(finished)
}

fn parse_repo(text: &str) -> Option<RepoRef> {
    let (owner, name) = text.split_once('/')?;
    Some(RepoRef {
        owner: owner.to_string(),
        name: name.to_string(),
    })
}

/// One reconciliation round: redeliveries, abandoned runs, pruning.
pub async fn reconcile_once(service: &Arc<Service>) {
    match redeliver_failed_deliveries(&service.github, &service.store, Utc::now()).await {
        Ok(n) => {
            for _ in 0..n {
                service.metrics.redelivered();
            }
            tracing::info!(redelivered = n, "reconciliation: deliveries checked");
        }
        Err(e) => tracing::warn!(error = %e, "reconciliation: cannot list or redeliver deliveries"),
    }
    // A run younger than two leases may still belong to a live worker between claims.
    let grace = service.workers_lease() * 2;
    match finish_abandoned_runs(&service.github, &service.store, grace).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            finished = n,
            "reconciliation: abandoned check runs completed"
        ),
        Err(e) => tracing::warn!(error = %e, "reconciliation: abandoned check runs"),
    }
    let cut = now_ms() - RETENTION.as_millis() as i64;
    match service.store.prune(cut).await {
        Ok(p) => tracing::debug!(jobs = p.jobs, deliveries = p.deliveries, "pruned"),
        Err(e) => tracing::warn!(error = %e, "cannot prune the store"),
    }
}

/// Runs [`reconcile_once`] now and then every `every`.
pub(super) fn start(service: Arc<Service>, every: Duration) {
    tokio::spawn(async move {
        loop {
            reconcile_once(&service).await;
            tokio::time::sleep(every).await;
        }
    });
}
