//! `/metrics`: the service's Prometheus registry (prometheus-client, OpenMetrics text).
//! Webhooks by event, refusals by reason, deliveries stored, jobs claimed, deliveries
//! redelivered, reviews by outcome and their latency; jobs by state and the deliveries kept,
//! read from the store at each scrape (every replica reports the same); plus the
//! GitHub client's own metrics (requests by route and status, retries, rate-limit waits and
//! remaining), registered from `crate::github::RequestCounters`. Label values are typed or
//! bounded here; nothing else builds metric text.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::github::RequestCounters;

/// Why a delivery was refused.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)] // the label values as Prometheus shows them
pub enum Rejection {
    too_large,
    signature,
    payload,
    duplicate,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectionLabels {
    reason: Rejection,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

/// Review durations from 50 ms to about 7 minutes.
fn review_buckets() -> impl Iterator<Item = f64> {
    prometheus_client::metrics::histogram::exponential_buckets(0.05, 2.0, 14)
}

pub struct Metrics {
    registry: Registry,
    webhooks: Family<EventLabels, Counter>,
    rejected: Family<RejectionLabels, Counter>,
    reviews: Family<OutcomeLabels, Counter>,
    review_seconds: Histogram,
    deliveries_recorded: Counter,
    jobs_claimed: Counter,
    redelivered: Counter,
    jobs: Family<StateLabels, Gauge>,
    deliveries_kept: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The service's registry, including the GitHub client's `github` counters.
    pub fn new(github: &RequestCounters) -> Metrics {
        let mut registry = Registry::with_prefix("kubenudge");
        let webhooks = Family::<EventLabels, Counter>::default();
        let rejected = Family::<RejectionLabels, Counter>::default();
        let reviews = Family::<OutcomeLabels, Counter>::default();
        let review_seconds = Histogram::new(review_buckets());
        let deliveries_recorded = Counter::default();
        let jobs_claimed = Counter::default();
        let redelivered = Counter::default();
        let jobs = Family::<StateLabels, Gauge>::default();
        let deliveries_kept = Gauge::default();
        registry.register(
            "webhooks",
            "Webhook deliveries received, by event",
            webhooks.clone(),
        );
        registry.register(
            "webhooks_rejected",
            "Webhook deliveries refused, by reason",
            rejected.clone(),
        );
        registry.register(
            "deliveries_recorded",
            "Webhook deliveries stored before the answer (duplicates not counted)",
            deliveries_recorded.clone(),
        );
        registry.register(
            "jobs_claimed",
            "Review jobs claimed from the store by this replica",
            jobs_claimed.clone(),
        );
        registry.register(
            "deliveries_redelivered",
            "Failed deliveries GitHub was asked to redeliver",
            redelivered.clone(),
        );
        registry.register("jobs", "Review jobs in the store, by state", jobs.clone());
        registry.register(
            "deliveries_stored",
            "Webhook deliveries kept in the store",
            deliveries_kept.clone(),
        );
        registry.register("reviews", "Reviews finished, by outcome", reviews.clone());
        registry.register(
            "review_duration_seconds",
            "Time from a review's start to its last write to GitHub",
            review_seconds.clone(),
        );
        registry.register(
            "github_requests",
            "Requests sent to GitHub, retries included",
            github.requests.clone(),
        );
        registry.register(
            "github_responses",
            "GitHub answers by operation and HTTP status (timeout or transport when none came)",
            github.by_route.clone(),
        );
        registry.register(
            "github_retries",
            "Requests retried after a 5xx or timeout",
            github.retries.clone(),
        );
        registry.register(
            "github_rate_limit_waits",
            "Waits for a GitHub rate limit",
            github.rate_limit_waits.clone(),
        );
        registry.register(
            "github_rate_limit_remaining",
            "x-ratelimit-remaining of GitHub's latest answer, by installation (app: the App's JWT)",
            github.rate_limit_remaining.clone(),
        );
        registry.register(
            "github_errors",
            "GitHub requests that finally failed",
            github.failures.clone(),
        );
        registry.register(
            "github_token_exchanges",
            "Installation tokens obtained",
            github.token_exchanges.clone(),
        );
        Metrics {
            registry,
            webhooks,
            rejected,
            reviews,
            review_seconds,
            deliveries_recorded,
            jobs_claimed,
            redelivered,
            jobs,
            deliveries_kept,
        }
    }

    /// A delivery (and its job, if any) was stored before the answer.
    pub fn delivery_recorded(&self) {
        self.deliveries_recorded.inc();
    }

    /// This replica claimed a job from the store.
    pub fn job_claimed(&self) {
        self.jobs_claimed.inc();
    }

    /// Reconciliation asked GitHub to redeliver a failed delivery.
    pub fn redelivered(&self) {
        self.redelivered.inc();
    }

    /// A delivery arrived with `X-GitHub-Event: event` (kept to 40 name characters).
    pub fn webhook(&self, event: &str) {
        let event: String = event
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        self.webhooks.get_or_create(&EventLabels { event }).inc();
    }

    pub fn rejected(&self, reason: Rejection) {
        self.rejected
            .get_or_create(&RejectionLabels { reason })
            .inc();
    }

    /// A review ended with `outcome` after `seconds`.
    pub fn review_finished(&self, outcome: &'static str, seconds: f64) {
        self.reviews
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_string(),
            })
            .inc();
        self.review_seconds.observe(seconds);
    }

    /// The OpenMetrics text with the store's current jobs by state and deliveries kept.
    pub fn render_with_store<S: AsRef<str>>(
        &self,
        jobs_by_state: &[(S, i64)],
        deliveries: i64,
    ) -> String {
        // States without jobs now drop out rather than keep an old count.
        self.jobs.clear();
        for (state, n) in jobs_by_state {
            self.jobs
                .get_or_create(&StateLabels {
                    state: state.as_ref().to_string(),
                })
                .set(*n);
        }
        self.deliveries_kept.set(deliveries);
        self.render()
    }

    /// The OpenMetrics text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// The `Content-Type` of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_has_every_family_with_typed_labels() {
        let github = RequestCounters::default();
        let m = Metrics::new(&github);
        m.webhook("pull_request");
        m.webhook("bad\"event\nname");
        m.rejected(Rejection::too_large);
        m.review_finished("success", 0.3);
        m.delivery_recorded();
        m.job_claimed();
        m.redelivered();
        github.requests.inc();
        github
            .rate_limit_remaining
            .get_or_create(&crate::github::CallerLabels {
                installation: "4242".into(),
            })
            .set(4999);
        let text = m.render_with_store(&[("done", 2), ("queued", 0)], 3);
        for line in [
            "kubenudge_webhooks_total{event=\"pull_request\"} 1",
            "kubenudge_webhooks_total{event=\"badeventname\"} 1",
            "kubenudge_webhooks_rejected_total{reason=\"too_large\"} 1",
            "kubenudge_reviews_total{outcome=\"success\"} 1",
            "kubenudge_review_duration_seconds_count 1",
            "kubenudge_review_duration_seconds_bucket{le=\"0.4\"} 1",
            "kubenudge_github_requests_total 1",
            "kubenudge_github_rate_limit_remaining{installation=\"4242\"} 4999",
            "kubenudge_deliveries_recorded_total 1",
            "kubenudge_jobs_claimed_total 1",
            "kubenudge_deliveries_redelivered_total 1",
            "kubenudge_jobs{state=\"done\"} 2",
            "kubenudge_jobs{state=\"queued\"} 0",
            "kubenudge_deliveries_stored 3",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
