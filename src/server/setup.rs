//! Set-up mode: what `kubenudge serve` runs when no App credentials exist. It serves
//! `/setup` (GitHub's App-manifest flow), `/setup/callback` (exchanges GitHub's code for the
//! App's id, private key and webhook secret and stores them with `credentials`), the rule
//! pages and `/healthz`; `/webhook` answers 503 until then. Once the credentials are stored,
//! set-up closes for good and the caller starts the reviewing service with them.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};
use tokio::sync::Notify;

use super::settings::SetupSettings;
use super::{credentials, pages};
use crate::github::{RetryPolicy, convert_app_manifest};
use crate::web;

/// Set-up forms handed out and not yet come back (each GitHub round trip uses one).
const REMEMBERED_STATES: usize = 256;

pub struct SetupService {
    settings: SetupSettings,
    policy: RetryPolicy,
    states: Mutex<VecDeque<String>>,
    configured: AtomicBool,
    finished: Notify,
}

impl SetupService {
    pub fn new(settings: SetupSettings, policy: RetryPolicy) -> Arc<SetupService> {
        let configured = credentials::stored(&settings.credentials_dir);
        Arc::new(SetupService {
            settings,
            policy,
            states: Mutex::new(VecDeque::new()),
            configured: AtomicBool::new(configured),
            finished: Notify::new(),
        })
    }

    /// True once credentials are stored (by this process or before it started).
    pub fn configured(&self) -> bool {
        self.configured.load(Ordering::SeqCst)
    }

    /// Resolves when a set-up has stored the App's credentials.
    pub async fn finished(&self) {
        if self.configured() {
            return;
        }
        self.finished.notified().await;
    }

    fn new_state(&self) -> String {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system's random source");
        let state = hex::encode(bytes);
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        states.push_back(state.clone());
        while states.len() > REMEMBERED_STATES {
            states.pop_front();
        }
        state
    }

    /// True (once) for a state this service handed out.
    fn take_state(&self, state: &str) -> bool {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        match states.iter().position(|s| s == state) {
            Some(i) => {
                states.remove(i);
                true
            }
            None => false,
        }
    }

    /// This service's URL as GitHub and the browser reach it: `KUBENUDGE_PUBLIC_URL`, else
    /// the address the browser used.
    fn public_url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.settings.public_url {
            return url.clone();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
            .map_or_else(|| self.settings.listen.to_string(), str::to_string);
        format!("http://{host}")
    }
}

pub fn setup_router(service: Arc<SetupService>) -> Router {
    Router::new()
        .route("/setup", get(setup_page))
        .route("/setup/callback", get(callback))
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/webhook",
            any(|| async {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "kubenudge is not set up yet: open /setup\n",
                )
            }),
        )
        .merge(pages::rule_routes(None))
        .with_state(service)
}

async fn setup_page(
    State(service): State<Arc<SetupService>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if service.configured() {
        return (StatusCode::FORBIDDEN, Html(web::setup_refused())).into_response();
    }
    let organization = query.get("org").map(|o| o.trim()).filter(|o| !o.is_empty());
    if let Some(org) = organization
        && !web::is_login(org)
    {
        return (
            StatusCode::BAD_REQUEST,
            Html(web::setup_failed(&format!(
                "{org:?} is not a GitHub organization login (letters, digits and hyphens)."
            ))),
        )
            .into_response();
    }
    let public_url = service.public_url(&headers);
    let state = service.new_state();
    Html(web::setup_form(&web::SetupForm {
        public_url: &public_url,
        github_url: &service.settings.web_url,
        organization,
        state: &state,
    }))
    .into_response()
}

async fn callback(
    State(service): State<Arc<SetupService>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if service.configured() {
        return (StatusCode::FORBIDDEN, Html(web::setup_refused())).into_response();
    }
    let failed = |status: StatusCode, message: &str| {
        (status, Html(web::setup_failed(message))).into_response()
    };
    let Some(code) = query.get("code") else {
        return failed(
            StatusCode::BAD_REQUEST,
            "GitHub did not send a code. Start again and confirm the App on GitHub.",
        );
    };
    if !query.get("state").is_some_and(|s| service.take_state(s)) {
        return failed(
            StatusCode::BAD_REQUEST,
            "This answer does not belong to a set-up started here (or was already used). Start again.",
        );
    }
    let app = match convert_app_manifest(&service.settings.api_url, code, &service.policy).await {
        Ok(app) => app,
        Err(e) => {
            tracing::warn!(error = %e, "exchanging the App-manifest code failed");
            return failed(
                StatusCode::BAD_GATEWAY,
                &format!(
                    "GitHub did not hand over the App's credentials: {e}. A code works once and for one hour; start again."
                ),
            );
        }
    };
    let dir = &service.settings.credentials_dir;
    if let Err(e) = credentials::write(dir, app.id, &app.pem, &app.webhook_secret) {
        tracing::error!(error = %e, dir = %dir.display(), "storing the App credentials failed");
        return failed(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!(
                "The App {} (id {}) was created, but its credentials could not be written to {}: {e}. \
                 Generate a new private key on the App's settings page and configure kubenudge by hand (docs/install.md).",
                app.name,
                app.id,
                dir.display()
            ),
        );
    }
    service.configured.store(true, Ordering::SeqCst);
    service.finished.notify_one();
    tracing::info!(app_id = app.id, slug = %app.slug, dir = %dir.display(), "GitHub App created; credentials stored");
    // The absolute path: the person reading the page may not know the working directory.
    let stored_in = std::fs::canonicalize(dir)
        .unwrap_or_else(|_| dir.clone())
        .display()
        .to_string();
    Html(web::setup_done(&web::CreatedApp {
        id: app.id,
        name: &app.name,
        html_url: &app.html_url,
        stored_in: &stored_in,
    }))
    .into_response()
}

/// Serves set-up mode until the App is created (`Ok(true)`) or the process is asked to stop
/// (`Ok(false)`).
pub async fn serve_setup(settings: SetupSettings) -> anyhow::Result<bool> {
    let listen = settings.listen;
    let service = SetupService::new(settings, RetryPolicy::default());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let page = match &service.settings.public_url {
        Some(url) => format!("{url}/setup"),
        None if listen.ip().is_unspecified() => format!("http://localhost:{}/setup", listen.port()),
        None => format!("http://{listen}/setup"),
    };
    tracing::info!(
        %listen,
        "no GitHub App credentials yet: open {page} in a browser to create the App"
    );
    let done = Arc::clone(&service);
    let stop = async move {
        tokio::select! {
            _ = super::shutdown_signal() => {}
            _ = done.finished() => {}
        }
    };
    axum::serve(listener, setup_router(Arc::clone(&service)))
        .with_graceful_shutdown(stop)
        .await
        .context("serving set-up")?;
    Ok(service.configured())
}
