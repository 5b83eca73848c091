//! The service: axum routes (`POST /webhook`, `GET /healthz`, `GET /metrics`, the HTML
//! pages of `crate::web` and set-up mode when no App exists yet), the webhook
//! gate (size limit, signature, event parsing, delivery de-duplication), the job queue and
//! its workers, and start-up reconciliation. Handlers only enqueue and answer; workers talk
//! to GitHub.

mod credentials;
mod events;
mod metrics;
mod pages;
pub mod policy;
mod queue;
mod reconcile;
mod review_run;
mod settings;
mod setup;
pub mod signature;

pub use events::{CHECK_NAME, Job, Parsed, Request, parse as parse_event};
pub use metrics::{Metrics, Rejection};
pub use queue::ReviewQueue;
pub use reconcile::redeliver_failed_deliveries;
pub use review_run::{BlobCache, Outcome, ReviewContext};
pub use settings::{Settings, SetupSettings, needs_setup};
pub use setup::{SetupService, serve_setup, setup_router};

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use secrecy::SecretString;

use crate::github::{GitHubApi, GitHubApp, PullNumber, RepoRef};

/// GitHub's webhook payload cap.
pub const MAX_WEBHOOK_BYTES: usize = 25 * 1024 * 1024;
/// Delivery ids remembered for de-duplication.
const REMEMBERED_DELIVERIES: usize = 10_000;
/// Head commits remembered to find a fork pull request from a check event.
const REMEMBERED_HEADS: usize = 10_000;

/// A bounded set that forgets its oldest entries.
struct RecentSet<K> {
    set: HashSet<K>,
    order: VecDeque<K>,
    cap: usize,
}

impl<K: std::hash::Hash + Eq + Clone> RecentSet<K> {
    fn new(cap: usize) -> Self {
        RecentSet {
            set: HashSet::new(),
            order: VecDeque::new(),
            cap,
        }
    }

    /// False when `key` was already there.
    fn insert(&mut self, key: K) -> bool {
        if !self.set.insert(key.clone()) {
            return false;
        }
        self.order.push_back(key);
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

/// Pull request by (repository, head SHA), with insertion order for eviction.
type HeadIndex = (
    HashMap<(RepoRef, String), PullNumber>,
    VecDeque<(RepoRef, String)>,
);

pub struct Service {
    pub github: Arc<GitHubApp>,
    webhook_secret: SecretString,
    pub queue: Arc<ReviewQueue>,
    pub metrics: Metrics,
    pub review: Arc<ReviewContext>,
    deliveries: Mutex<RecentSet<String>>,
    heads: Mutex<HeadIndex>,
    outcomes: Mutex<Vec<Outcome>>,
}

impl Service {
    pub fn new(
        github: Arc<GitHubApp>,
        webhook_secret: SecretString,
        review: ReviewContext,
        max_concurrent_reviews: usize,
    ) -> Arc<Self> {
        let metrics = Metrics::new(&github.counters);
        Arc::new(Service {
            github,
            webhook_secret,
            queue: ReviewQueue::new(max_concurrent_reviews),
            metrics,
            review: Arc::new(review),
            deliveries: Mutex::new(RecentSet::new(REMEMBERED_DELIVERIES)),
            heads: Mutex::new((HashMap::new(), VecDeque::new())),
            outcomes: Mutex::new(Vec::new()),
        })
    }

    /// Outcomes of the reviews run so far (bounded; for tests and diagnostics).
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits until every accepted delivery has been handled.
    pub async fn wait_idle(&self) {
        self.queue.wait_idle().await;
    }

    fn remember_head(&self, repo: &RepoRef, sha: &str, pr: PullNumber) {
        let mut heads = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        let key = (repo.clone(), sha.to_string());
        if heads.0.insert(key.clone(), pr).is_none() {
            heads.1.push_back(key);
            while heads.1.len() > REMEMBERED_HEADS {
                if let Some(old) = heads.1.pop_front() {
                    heads.0.remove(&old);
                }
            }
        }
    }

    fn known_head(&self, repo: &RepoRef, sha: &str) -> Option<PullNumber> {
        let heads = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        heads.0.get(&(repo.clone(), sha.to_string())).copied()
    }

    /// Accepts a parsed job: queues it, or first finds its pull request.
    pub fn submit(self: &Arc<Self>, job: Job) {
        match &job.request {
            Request::Pull { pr, .. } => {
                let pr = *pr;
                self.remember_head(&job.repo, &job.head_sha.0, pr);
                self.enqueue(job, pr);
            }
            Request::HeadSha { external_id } => {
                if let Some(pr) = external_id
                    .as_deref()
                    .and_then(events::pr_from_external_id)
                    .or_else(|| self.known_head(&job.repo, &job.head_sha.0))
                {
                    self.enqueue(job, pr);
                    return;
                }
                // A fork pull request's check suite: our earlier run on this commit names it.
                let service = Arc::clone(self);
                let hold = self.queue.hold();
                tokio::spawn(async move {
                    let api = service.github.installation(job.installation);
                    match api
                        .list_check_runs(&job.repo, &job.head_sha.0, CHECK_NAME)
                        .await
                    {
                        Ok(runs) => {
                            let pr = runs
                                .iter()
                                .filter_map(|r| r.external_id.as_deref())
                                .find_map(events::pr_from_external_id);
                            match pr {
                                Some(pr) => service.enqueue(job, pr),
                                None => tracing::info!(
                                    repo = %job.repo, sha = %job.head_sha,
                                    "no pull request known for this commit; a pull_request event will start its review"
                                ),
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "looking up the pull request of a commit")
                        }
                    }
                    drop(hold);
                });
            }
        }
    }

    fn enqueue(self: &Arc<Self>, job: Job, pr: PullNumber) {
        let service = Arc::clone(self);
        let runner: queue::Runner = Arc::new(move |job: Job, pr: PullNumber| {
            let service = Arc::clone(&service);
            // Every log line of the review names the delivery, repository, PR and head.
            let span = tracing::info_span!(
                "review",
                delivery = job.delivery.as_deref().unwrap_or("-"),
                repo = %job.repo,
                pr = pr.0,
                sha = %job.head_sha,
            );
            Box::pin(tracing::Instrument::instrument(
                async move {
                    let started = std::time::Instant::now();
                    let api = service.github.installation(job.installation);
                    let outcome = review_run::run(api, job, pr, Arc::clone(&service.review)).await;
                    let label = match &outcome {
                        Outcome::Completed(c) => c,
                        Outcome::AlreadyReviewed => "already_reviewed",
                        Outcome::NotCurrent => "not_current",
                        Outcome::Failed(_) => "failed",
                    };
                    let seconds = started.elapsed().as_secs_f64();
                    tracing::info!(outcome = label, seconds, "review finished");
                    service.metrics.review_finished(label, seconds);
                    let mut outcomes = service.outcomes.lock().unwrap_or_else(|p| p.into_inner());
                    if outcomes.len() >= 1_000 {
                        outcomes.remove(0);
                    }
                    outcomes.push(outcome);
                },
                span,
            ))
        });
        self.queue.enqueue(job, pr, runner);
    }
}

pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/webhook", post(webhook))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics_text))
        .merge(pages::rule_routes(Some(pages::help_of(Arc::clone(
            &service.review,
        )))))
        .merge(pages::setup_closed())
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BYTES))
        .with_state(service)
}

async fn metrics_text(State(service): State<Arc<Service>>) -> (HeaderMap, String) {
    let mut headers = HeaderMap::new();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(metrics::CONTENT_TYPE),
    );
    (headers, service.metrics.render())
}

async fn webhook(
    State(service): State<Arc<Service>>,
    request: axum::extract::Request,
) -> (StatusCode, &'static str) {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    // Refuse a declared oversize body before reading it; a body that grows past the limit
    // while streaming is cut off the same way.
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_WEBHOOK_BYTES) {
        service.metrics.rejected(Rejection::too_large);
        return (StatusCode::PAYLOAD_TOO_LARGE, "payload above 25 MiB\n");
    }
    let body: Bytes = match axum::body::to_bytes(body, MAX_WEBHOOK_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            service.metrics.rejected(Rejection::too_large);
            return (StatusCode::PAYLOAD_TOO_LARGE, "payload above 25 MiB\n");
        }
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if !signature::verify(
        &service.webhook_secret,
        &body,
        header("x-hub-signature-256"),
    ) {
        service.metrics.rejected(Rejection::signature);
        return (StatusCode::UNAUTHORIZED, "bad or missing signature\n");
    }
    let event = header("x-github-event").unwrap_or("").to_string();
    service.metrics.webhook(&event);
    if event == "ping" {
        return (StatusCode::OK, "pong\n");
    }
    let delivery = header("x-github-delivery").map(str::to_string);
    let parsed = match events::parse(&event, &body) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(event, error = %e, "webhook payload not understood");
            service.metrics.rejected(Rejection::payload);
            return (StatusCode::BAD_REQUEST, "payload not understood\n");
        }
    };
    if let Some(id) = &delivery {
        let mut seen = service.deliveries.lock().unwrap_or_else(|p| p.into_inner());
        if !seen.insert(id.clone()) {
            service.metrics.rejected(Rejection::duplicate);
            return (StatusCode::OK, "delivery already accepted\n");
        }
    }
    match parsed {
        Parsed::Ignored(why) => {
            tracing::debug!(event, why, "webhook ignored");
            (StatusCode::ACCEPTED, "ignored\n")
        }
        Parsed::Job(mut job) => {
            job.delivery = delivery;
            tracing::info!(
                delivery = job.delivery.as_deref().unwrap_or("-"),
                event,
                repo = %job.repo,
                sha = %job.head_sha,
                pr = match &job.request {
                    Request::Pull { pr, .. } => pr.0,
                    Request::HeadSha { .. } => 0,
                },
                "delivery accepted"
            );
            service.submit(job);
            (StatusCode::ACCEPTED, "queued\n")
        }
    }
}

/// Ctrl-C, or SIGTERM (what Kubernetes sends before stopping a pod).
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `kubenudge serve`: checks the settings, reconciles, then serves until stopped.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let credentials = crate::github::AppCredentials::new(settings.app_id, &settings.private_key)
        .map_err(|e| anyhow::anyhow!("GITHUB_APP_PRIVATE_KEY: {e}"))?;
    let github = GitHubApp::new(
        &settings.api_url,
        credentials,
        crate::github::RetryPolicy::default(),
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let service = Service::new(
        github,
        settings.webhook_secret,
        ReviewContext {
            config: settings.review,
            enforcement: crate::review::Enforcement::default(),
            blobs: BlobCache::new(64 * 1024 * 1024),
            details_url: None,
            today: policy::utc_clock(),
            configs: policy::ConfigCache::default(),
        },
        settings.max_concurrent_reviews,
    );
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    tracing::info!(listen = %settings.listen, "kubenudge serving webhooks on /webhook");
    let reconciling = Arc::clone(&service.github);
    tokio::spawn(async move {
        match redeliver_failed_deliveries(&reconciling, chrono::Utc::now()).await {
            Ok(n) => tracing::info!(redelivered = n, "start-up reconciliation done"),
            Err(e) => tracing::warn!(error = %e, "start-up reconciliation failed"),
        }
    });
    axum::serve(listener, router(Arc::clone(&service)))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    service.wait_idle().await;
    Ok(())
}
