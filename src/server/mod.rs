//! The service: axum routes (`POST /webhook`, `GET /healthz`, `GET /readyz`, `GET /metrics`,
//! the HTML pages of `crate::web`, and set-up mode when no App exists yet), the webhook gate
//! (size limit, signature, event parsing, storing the delivery and its job before answering),
//! the workers that claim jobs from the store, reconciliation and graceful shutdown. Handlers
//! only store and answer; workers talk to GitHub.

mod connectivity;
mod credentials;
mod events;
mod github_files;
mod ledger;
mod limits;
mod metrics;
mod overlays;
mod pages;
pub mod policy;
mod reconcile;
mod review_run;
mod settings;
mod setup;
pub mod signature;
mod worker;

pub use events::{CHECK_NAME, Job, Parsed, Request, parse as parse_event};
pub use github_files::BlobCache;
pub use metrics::{Metrics, Rejection};
pub use reconcile::{finish_abandoned_runs, redeliver_failed_deliveries};
pub use review_run::{Outcome, ReviewContext};
pub use settings::{Settings, SetupSettings, needs_setup};
pub use setup::{SetupService, serve_setup, setup_router};
pub use worker::WorkOptions;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};

use crate::github::GitHubApp;
use crate::store::{NewDelivery, NewJob, Store, now_ms};
use limits::StoreLimits;

/// GitHub's webhook payload cap.
pub const MAX_WEBHOOK_BYTES: usize = 25 * 1024 * 1024;

pub struct Service {
    pub github: Arc<GitHubApp>,
    webhook_secret: SecretString,
    pub store: Arc<Store>,
    pub metrics: Metrics,
    pub review: Arc<ReviewContext>,
    workers: worker::Workers,
    outcomes: Mutex<Vec<Outcome>>,
}

impl Service {
    /// A service over `store`; call [`Service::start`] to run its workers.
    pub fn new(
        github: Arc<GitHubApp>,
        webhook_secret: SecretString,
        review: ReviewContext,
        store: Arc<Store>,
        work: WorkOptions,
    ) -> Arc<Self> {
        github.share_limits(Arc::new(StoreLimits::new(Arc::clone(&store))));
        let metrics = Metrics::new(&github.counters);
        Arc::new(Service {
            github,
            webhook_secret,
            store,
            metrics,
            review: Arc::new(review),
            workers: worker::Workers::new(work),
            outcomes: Mutex::new(Vec::new()),
        })
    }

    /// Starts claiming jobs from the store (stored work a previous process left included).
    pub fn start(self: &Arc<Self>) {
        worker::start(Arc::clone(self));
    }

    /// Outcomes of the reviews this process ran (bounded; for tests and diagnostics).
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A review ended after `seconds`: counted, timed and kept for [`Service::outcomes`].
    fn record_outcome(&self, outcome: Outcome, seconds: f64) {
        self.metrics
            .review_finished(worker::outcome_label(&outcome), seconds);
        let mut outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        if outcomes.len() >= 1_000 {
            outcomes.remove(0);
        }
        outcomes.push(outcome);
    }

    /// How long a claimed job is held without renewal.
    pub(crate) fn workers_lease(&self) -> std::time::Duration {
        self.workers.lease()
    }

    /// Waits until the store holds no unfinished job and this process runs none.
    pub async fn wait_idle(&self) {
        self.workers.wait_idle(&self.store).await;
    }

    /// Stops claiming, waits for running reviews up to the shutdown deadline, and gives the
    /// rest back to the store for another replica (or the next start).
    pub async fn shutdown(&self) {
        self.workers.shutdown(&self.store).await;
    }
}

/// The store's view of a job: its pull-request key (a fork PR's check suite knows only the
/// head commit until a worker finds its pull request), head and payload.
fn new_job(job: &Job) -> NewJob {
    NewJob {
        pr_key: job.pr_key(),
        head_sha: job.head_sha.0.clone(),
        force: job.force,
        // Our own type always serialises.
        payload: serde_json::to_string(job).unwrap_or_default(),
    }
}

pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/webhook", post(webhook))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .merge(pages::rule_routes(Some(pages::help_of(Arc::clone(
            &service.review,
        )))))
        .merge(pages::setup_closed())
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BYTES))
        .with_state(service)
}

/// 200 when the store answers and is migrated: a replica that cannot store deliveries must
/// not get them.
async fn readyz(State(service): State<Arc<Service>>) -> (StatusCode, &'static str) {
    if service.workers.stopping() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
    } else if service.store.ready().await {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "store not available\n")
    }
}

async fn metrics_text(State(service): State<Arc<Service>>) -> (HeaderMap, String) {
    let mut headers = HeaderMap::new();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(metrics::CONTENT_TYPE),
    );
    let text = match (
        service.store.job_counts().await,
        service.store.delivery_count().await,
    ) {
        // Jobs by state and stored deliveries come from the store: every replica reports the
        // same.
        (Ok(jobs), Ok(deliveries)) => service
            .metrics
            .render_with_store(&jobs.by_state, deliveries),
        _ => service.metrics.render(),
    };
    (headers, text)
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
    let mut parsed = match events::parse(&event, &body) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(event, error = %e, "webhook payload not understood");
            service.metrics.rejected(Rejection::payload);
            return (StatusCode::BAD_REQUEST, "payload not understood\n");
        }
    };
    let digest = hex::encode(Sha256::digest(&body));
    // GitHub always names the delivery; without a name, identical bodies are one delivery.
    let delivery = delivery.unwrap_or_else(|| format!("sha256:{digest}"));
    let job = match &mut parsed {
        Parsed::Job(job) => {
            // The stored job names its delivery: the worker's `review` span carries it.
            job.delivery = Some(delivery.clone());
            Some(new_job(job))
        }
        Parsed::Ignored(_) => None,
    };
    let stored = service
        .store
        .record_delivery(
            &NewDelivery {
                id: &delivery,
                event: &event,
                digest: &digest,
                payload: &body,
            },
            job.as_ref(),
            now_ms(),
        )
        .await;
    match stored {
        Ok(true) => service.metrics.delivery_recorded(),
        Ok(false) => {
            service.metrics.rejected(Rejection::duplicate);
            return (StatusCode::OK, "delivery already accepted\n");
        }
        Err(e) => {
            // GitHub records the failure; reconciliation asks for the delivery again.
            tracing::error!(delivery, error = %e, "cannot store the delivery");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot store the delivery\n",
            );
        }
    }
    match parsed {
        Parsed::Ignored(why) => {
            tracing::debug!(event, delivery, why, "webhook ignored");
            (StatusCode::ACCEPTED, "ignored\n")
        }
        Parsed::Job(job) => {
            tracing::info!(
                delivery,
                event,
                repo = %job.repo,
                sha = %job.head_sha,
                pr = match &job.request {
                    Request::Pull { pr, .. } => pr.0,
                    Request::HeadSha { .. } => 0,
                },
                "delivery stored"
            );
            service.workers.wake();
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

/// `kubenudge serve`: checks the settings, opens the store, reconciles, then serves until
/// SIGTERM.
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
    let store = Store::open(&settings.database_url)
        .await
        .context("opening the store")?;
    tracing::info!(backend = ?store.backend(), "store open and migrated");
    let service = Service::new(
        github,
        settings.webhook_secret,
        ReviewContext {
            config: settings.review,
            enforcement: crate::review::Enforcement::default(),
            blobs: BlobCache::new(64 * 1024 * 1024),
            details_url: settings.details_url,
            today: policy::utc_clock(),
            configs: policy::ConfigCache::default(),
        },
        Arc::new(store),
        settings.work,
    );
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    tracing::info!(listen = %settings.listen, "kubenudge serving webhooks on /webhook");
    service.start();
    reconcile::start(Arc::clone(&service), settings.reconcile_every);
    axum::serve(listener, router(Arc::clone(&service)))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("stopping: finishing reviews in flight");
    service.shutdown().await;
    Ok(())
}
