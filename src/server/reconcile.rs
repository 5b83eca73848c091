//! Start-up reconciliation: every pull-request head commit must end with a completed check
//! run, even if kubenudge was down or crashed.
//!
//! - Deliveries GitHub could not make while kubenudge was down are not retried by GitHub; on
//!   start, kubenudge asks GitHub to redeliver the failed `pull_request`, `check_suite` and
//!   `check_run` deliveries of the last three days (the redelivery window).
//! - A review interrupted by a crash leaves its run `in_progress`. `check_suite` events (and
//!   their redeliveries) run in reconcile mode: the job lists kubenudge's runs on the commit,
//!   skips it when one is completed, and otherwise reviews again and completes the run left
//!   in progress instead of adding another.
//! - Inside a running process every run is completed: a failed or panicking review ends its run
//!   `neutral` with what failed.

use chrono::{DateTime, Duration, Utc};

use crate::github::{GitHubApp, GitHubError};

const EVENTS: &[&str] = &["pull_request", "check_suite", "check_run"];

/// Asks GitHub to redeliver recent failed deliveries; returns how many.
pub async fn redeliver_failed_deliveries(
    app: &GitHubApp,
    now: DateTime<Utc>,
) -> Result<usize, GitHubError> {
    let deliveries = app.list_hook_deliveries().await?;
    let since = now - Duration::days(3);
    let mut redelivered = 0;
    for d in deliveries {
        let failed = d.status_code.is_none_or(|c| !(200..300).contains(&c));
        let recent = d
            .delivered_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|t| t.with_timezone(&Utc) >= since);
        if failed && recent && !d.redelivery.unwrap_or(false) && EVENTS.contains(&d.event.as_str())
        {
            app.redeliver(d.id).await?;
            redelivered += 1;
        }
    }
    Ok(redelivered)
}
