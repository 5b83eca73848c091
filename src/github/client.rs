//! The client: octocrab as the HTTP transport (base URL from `GITHUB_API_URL`), app and
//! installation authentication, and every request through one path that counts, retries,
//! waits out rate limits and spaces writes.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use super::auth::{AppCredentials, CachedToken, TokenCache};
use super::ids::InstallationId;
use super::limits::SharedLimits;
use super::retry::{GitHubError, RetryPolicy, rate_limit_wait};
use super::types::{HookDelivery, InstallationToken};

/// What the client counts, as Prometheus metrics `server::Metrics` registers (the handles are
/// shared: registering clones them, counting goes to the same atomics).
#[derive(Debug, Default)]
pub struct RequestCounters {
    pub requests: Counter,
    pub retries: Counter,
    pub rate_limit_waits: Counter,
    pub failures: Counter,
    pub token_exchanges: Counter,
    /// Answers by operation (`POST /repos/{owner}/{repo}/check-runs`) and status (`201`, or
    /// `timeout` / `transport` when none came).
    pub by_route: Family<RouteLabels, Counter>,
    /// `x-ratelimit-remaining` of the latest answer, by who asked (`app` or the installation id).
    pub rate_limit_remaining: Family<CallerLabels, Gauge>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallerLabels {
    pub installation: String,
}

impl RequestCounters {
    fn answered(&self, route: &str, status: &str) {
        self.by_route
            .get_or_create(&RouteLabels {
                route: route.to_string(),
                status: status.to_string(),
            })
            .inc();
    }

    fn rate_limit(&self, caller: &str, headers: &HeaderMap) {
        if let Some(remaining) = headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok())
        {
            self.rate_limit_remaining
                .get_or_create(&CallerLabels {
                    installation: caller.to_string(),
                })
                .set(remaining);
        }
    }
}

/// The app: credentials, the API base URL and the state shared by all installations.
pub struct GitHubApp {
    base_url: String,
    credentials: AppCredentials,
    policy: RetryPolicy,
    tokens: TokenCache<Octocrab>,
    token_exchange: Mutex<()>,
    last_write: Mutex<Option<Instant>>,
    /// Rate-limit state shared with other replicas (when the service has a store).
    shared: std::sync::OnceLock<Arc<dyn SharedLimits>>,
    pub counters: RequestCounters,
}

/// Pages of `GET /app/hook/deliveries` read per reconciliation (100 each).
const MAX_DELIVERY_PAGES: usize = 10;

/// One answer: status, headers, body text.
pub(crate) struct RawResponse {
    pub headers: HeaderMap,
    pub body: String,
}

impl GitHubApp {
    pub fn new(
        base_url: &str,
        credentials: AppCredentials,
        policy: RetryPolicy,
    ) -> Result<Arc<Self>, String> {
        // Check the URL now so a typo fails at start.
        build_client(base_url, None, &policy)?;
        Ok(Arc::new(GitHubApp {
            base_url: base_url.trim_end_matches('/').to_string(),
            credentials,
            policy,
            tokens: TokenCache::default(),
            token_exchange: Mutex::new(()),
            last_write: Mutex::new(None),
            shared: std::sync::OnceLock::new(),
            counters: RequestCounters::default(),
        }))
    }

    /// Shares rate-limit waits and write spacing per installation with other replicas;
    /// set once, before the first request.
    pub fn share_limits(&self, limits: Arc<dyn SharedLimits>) {
        let _ = self.shared.set(limits);
    }

    pub fn app_id(&self) -> u64 {
        self.credentials.app_id
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// A client acting as one installation.
    pub fn installation(self: &Arc<Self>, id: InstallationId) -> InstallationClient {
        InstallationClient {
            app: Arc::clone(self),
            installation: id,
        }
    }

    fn app_client(&self) -> Result<Octocrab, GitHubError> {
        let jwt = self
            .credentials
            .jwt(Utc::now())
            .map_err(|e| GitHubError::Auth(e.to_string()))?;
        build_client(&self.base_url, Some(jwt), &self.policy).map_err(GitHubError::Auth)
    }

    async fn installation_client(&self, id: InstallationId) -> Result<Octocrab, GitHubError> {
        if let Some(cached) = self.tokens.get(id, Utc::now()) {
            return Ok(cached.client);
        }
        // One exchange at a time, so concurrent reviews share the new token.
        let _guard = self.token_exchange.lock().await;
        if let Some(cached) = self.tokens.get(id, Utc::now()) {
            return Ok(cached.client);
        }
        let app_client = self.app_client()?;
        let what = "POST /app/installations/{id}/access_tokens";
        let raw = self
            .send(
                &app_client,
                Method::POST,
                &format!("/app/installations/{}/access_tokens", id.0),
                None,
                what,
                None,
            )
            .await?;
        self.counters.token_exchanges.inc();
        let token: InstallationToken = decode(&raw.body, what)?;
        let expires_at = DateTime::parse_from_rfc3339(&token.expires_at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| GitHubError::Decode {
                what: what.to_string(),
                message: format!("expires_at: {e}"),
            })?;
        let client = build_client(
            &self.base_url,
            Some(SecretString::from(token.token)),
            &self.policy,
        )
        .map_err(GitHubError::Auth)?;
        self.tokens.put(
            id,
            CachedToken {
                client: client.clone(),
                expires_at,
            },
        );
        Ok(client)
    }

    /// Recent webhook deliveries (JWT-authenticated), newest first, following GitHub's
    /// cursor pagination for up to 1,000 deliveries.
    pub async fn list_hook_deliveries(&self) -> Result<Vec<HookDelivery>, GitHubError> {
        let client = self.app_client()?;
        let what = "GET /app/hook/deliveries";
        let mut path = "/app/hook/deliveries?per_page=100".to_string();
        let mut all = Vec::new();
        for _ in 0..MAX_DELIVERY_PAGES {
            let raw = self
                .send(&client, Method::GET, &path, None, what, None)
                .await?;
            all.extend(decode::<Vec<HookDelivery>>(&raw.body, what)?);
            match next_page(&raw.headers, &self.base_url) {
                Some(next) => path = next,
                None => break,
            }
        }
        Ok(all)
    }

    /// Asks GitHub to deliver a webhook again.
    pub async fn redeliver(&self, delivery_id: u64) -> Result<(), GitHubError> {
        let client = self.app_client()?;
        self.send(
            &client,
            Method::POST,
            &format!("/app/hook/deliveries/{delivery_id}/attempts"),
            None,
            "POST /app/hook/deliveries/{id}/attempts",
            None,
        )
        .await
        .map(|_| ())
    }

    async fn space_writes(&self) {
        let spacing = self.policy.write_spacing;
        if spacing.is_zero() {
            return;
        }
        let wait = {
            let mut last = self.last_write.lock().await;
            let now = Instant::now();
            let next = last.map_or(now, |l| (l + spacing).max(now));
            *last = Some(next);
            next - now
        };
        self.policy.sleep(wait).await;
    }

    /// Waits as the replicas' shared state asks: a rate limit one of them hit, and the next
    /// write slot of the installation.
    async fn shared_wait(&self, limits: &Arc<dyn SharedLimits>, id: InstallationId, write: bool) {
        let wait = limits
            .before_request(id, write, self.policy.write_spacing)
            .await
            .min(self.policy.max_rate_limit_wait);
        self.policy.sleep(wait).await;
    }

    /// Sends one request with retries, rate-limit waits and write spacing. A request that
    /// creates something (a POST) is not repeated after an answer that leaves open whether it
    /// was applied (5xx, timeout): the caller looks for what it made first.
    pub(crate) async fn send(
        &self,
        client: &Octocrab,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        what: &str,
        installation: Option<InstallationId>,
    ) -> Result<RawResponse, GitHubError> {
        // The rate-limit gauge's label: the installation, or `app` for the App's own JWT.
        let caller = installation.map_or_else(|| "app".to_string(), |id| id.0.to_string());
        let policy = &self.policy;
        let is_write = method != Method::GET;
        let creates = method == Method::POST
            && !path.ends_with("/access_tokens")
            && !path.ends_with("/attempts");
        let shared = installation.and_then(|id| Some((id, self.shared.get()?)));
        let mut attempt = 0;
        let mut rate_limit_waits = 0;
        loop {
            attempt += 1;
            match shared {
                Some((id, limits)) => self.shared_wait(limits, id, is_write).await,
                None if is_write => self.space_writes().await,
                None => {}
            }
            self.counters.requests.inc();
            let sent = tokio::time::timeout(
                policy.request_timeout,
                execute(client, method.clone(), path, body),
            )
            .await;
            let failure = match sent {
                Err(_) => {
                    self.counters.answered(what, "timeout");
                    format!("no answer within {:?}", policy.request_timeout)
                }
                Ok(Err(e)) => {
                    self.counters.answered(what, "transport");
                    e
                }
                Ok(Ok((status, headers, text))) => {
                    if let Some((id, limits)) = shared {
                        let header = |name: &str| {
                            headers
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.trim().parse::<i64>().ok())
                        };
                        if let (Some(remaining), Some(reset)) =
                            (header("x-ratelimit-remaining"), header("x-ratelimit-reset"))
                        {
                            limits.record(id, remaining, reset).await;
                        }
                    }
                    self.counters.answered(what, status.as_str());
                    self.counters.rate_limit(&caller, &headers);
                    if status.is_success() {
                        return Ok(RawResponse {
                            headers,
                            body: text,
                        });
                    }
                    if let Some(wait) = rate_limit_wait(
                        status,
                        &headers,
                        &text,
                        Utc::now().timestamp(),
                        policy,
                        rate_limit_waits,
                    ) {
                        if wait > policy.max_rate_limit_wait || attempt >= policy.max_attempts {
                            self.counters.failures.inc();
                            return Err(GitHubError::RateLimited {
                                what: what.to_string(),
                                wait,
                            });
                        }
                        tracing::warn!(what, ?wait, %status, "GitHub rate limit; waiting");
                        if let Some((id, limits)) = shared {
                            // The other replicas hold their requests for this installation too.
                            limits.block(id, wait).await;
                        }
                        self.counters.rate_limit_waits.inc();
                        rate_limit_waits += 1;
                        policy.sleep(wait).await;
                        continue;
                    }
                    if !status.is_server_error() {
                        self.counters.failures.inc();
                        return Err(GitHubError::Status {
                            status,
                            what: what.to_string(),
                            message: error_message(&text),
                        });
                    }
                    format!("{status}: {}", error_message(&text))
                }
            };
            if attempt >= policy.max_attempts || creates {
                self.counters.failures.inc();
                return Err(GitHubError::Transport {
                    what: what.to_string(),
                    attempts: attempt,
                    message: failure,
                });
            }
            let wait = policy.backoff(attempt);
            tracing::warn!(
                what,
                attempt,
                ?wait,
                failure,
                "GitHub request failed; retrying"
            );
            self.counters.retries.inc();
            policy.sleep(wait).await;
        }
    }
}

/// An installation's view of the API; implements [`super::GitHubApi`].
#[derive(Clone)]
pub struct InstallationClient {
    pub(crate) app: Arc<GitHubApp>,
    pub(crate) installation: InstallationId,
}

impl InstallationClient {
    pub fn installation(&self) -> InstallationId {
        self.installation
    }

    pub(crate) async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<RawResponse, GitHubError> {
        let client = self.app.installation_client(self.installation).await?;
        let id = Some(self.installation);
        let result = self
            .app
            .send(&client, method.clone(), path, body, what, id)
            .await;
        if let Err(GitHubError::Status { status, .. }) = &result
            && *status == StatusCode::UNAUTHORIZED
        {
            // Revoked or expired early: get a fresh token once.
            self.app.tokens.forget(self.installation);
            let client = self.app.installation_client(self.installation).await?;
            return self.app.send(&client, method, path, body, what, id).await;
        }
        result
    }
}

pub(crate) fn build_client(
    base_url: &str,
    token: Option<SecretString>,
    policy: &RetryPolicy,
) -> Result<Octocrab, String> {
    let mut builder = Octocrab::builder()
        .base_uri(base_url)
        .map_err(|e| format!("GITHUB_API_URL {base_url:?} is not a valid URL ({e})"))?
        .set_connect_timeout(Some(policy.request_timeout))
        .set_read_timeout(Some(policy.request_timeout));
    if let Some(token) = token {
        builder = builder.personal_token(token.expose_secret().to_string());
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the GitHub client ({e})"))
}

pub(crate) async fn execute(
    client: &Octocrab,
    method: Method,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<(StatusCode, HeaderMap, String), String> {
    let response = match method {
        Method::GET => client._get(path).await,
        Method::POST => client._post(path, body).await,
        Method::PATCH => client._patch(path, body).await,
        other => return Err(format!("method {other} is not used by kubenudge")),
    }
    .map_err(|e| e.to_string())?;
    let status = response.status();
    let headers = response.headers().clone();
    let text = client
        .body_to_string(response)
        .await
        .map_err(|e| e.to_string())?;
    Ok((status, headers, text))
}

/// The path and query of the `rel="next"` link, relative to the API base URL.
fn next_page(headers: &HeaderMap, base_url: &str) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    let url = link
        .split(',')
        .find(|part| part.contains("rel=\"next\""))?
        .split(';')
        .next()?
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    if let Some(rest) = url.strip_prefix(base_url) {
        return Some(rest.to_string());
    }
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    after_scheme
        .find('/')
        .map(|i| after_scheme[i..].to_string())
}

pub(crate) fn decode<T: DeserializeOwned>(body: &str, what: &str) -> Result<T, GitHubError> {
    serde_json::from_str(body).map_err(|e| GitHubError::Decode {
        what: what.to_string(),
        message: e.to_string(),
    })
}

/// GitHub's `message` field (and the first error), else a bounded prefix of the body.
pub(crate) fn error_message(body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Error {
        message: Option<String>,
        errors: Option<serde_json::Value>,
    }
    match serde_json::from_str::<Error>(body) {
        Ok(Error {
            message: Some(m),
            errors,
        }) => match errors {
            Some(e) => format!("{m} ({e})"),
            None => m,
        },
        _ => body.chars().take(200).collect(),
    }
}
