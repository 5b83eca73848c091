//! What to do when GitHub says no: retry 5xx and timeouts with exponential backoff, wait out
//! rate limits as GitHub's best practices ask (`retry-after`, then `x-ratelimit-reset`, else at
//! least a minute), and space writes. Sleeping is injectable so tests run fast and can check
//! the waits.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, StatusCode};

/// Sleeps for a duration; `tokio_sleeper()` in production, a recorder in tests.
pub type Sleeper = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

pub fn tokio_sleeper() -> Sleeper {
    Arc::new(|d| Box::pin(tokio::time::sleep(d)))
}

#[derive(Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff after a 5xx or timeout; doubles each time.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Wait on a secondary rate limit without `retry-after` (GitHub: at least one minute).
    pub secondary_rate_limit_wait: Duration,
    /// Longest wait kubenudge accepts for a rate limit before giving up on the request.
    pub max_rate_limit_wait: Duration,
    /// Pause between writes (GitHub: at least one second between POST/PATCH requests).
    pub write_spacing: Duration,
    pub request_timeout: Duration,
    pub sleeper: Sleeper,
}

impl std::fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("base_delay", &self.base_delay)
            .field("write_spacing", &self.write_spacing)
            .finish_non_exhaustive()
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            secondary_rate_limit_wait: Duration::from_secs(60),
            max_rate_limit_wait: Duration::from_secs(15 * 60),
            write_spacing: Duration::from_secs(1),
            request_timeout: Duration::from_secs(30),
            sleeper: tokio_sleeper(),
        }
    }
}

impl RetryPolicy {
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    pub(crate) async fn sleep(&self, d: Duration) {
        if !d.is_zero() {
            (self.sleeper)(d).await;
        }
    }
}

/// A request that finally failed. Callers branch on `Status` (e.g. 422 for a comment GitHub
/// would not place).
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error("GitHub answered {status} to {what}: {message}")]
    Status {
        status: StatusCode,
        what: String,
        message: String,
    },
    #[error("GitHub rate limit on {what}: would have to wait {wait:?}, longer than allowed")]
    RateLimited { what: String, wait: Duration },
    #[error("could not reach GitHub for {what} after {attempts} attempts: {message}")]
    Transport {
        what: String,
        attempts: u32,
        message: String,
    },
    #[error("unexpected answer from GitHub to {what}: {message}")]
    Decode { what: String, message: String },
    #[error("cannot authenticate as the app: {0}")]
    Auth(String),
}

impl GitHubError {
    /// The request may or may not have been applied (no answer, or a 5xx): look before
    /// creating again.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, GitHubError::Transport { .. })
    }

    pub fn status(&self) -> Option<StatusCode> {
        match self {
            GitHubError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// How long a 403/429 asks us to wait; `None` when it is not a rate limit (a plain 403 is a
/// missing permission and retrying will not help).
pub(crate) fn rate_limit_wait(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    now_epoch: i64,
    policy: &RetryPolicy,
    previous_waits: u32,
) -> Option<Duration> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(secs) = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    if header("x-ratelimit-remaining") == Some("0")
        && let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.trim().parse::<i64>().ok())
    {
        return Some(Duration::from_secs((reset - now_epoch).max(0) as u64 + 1));
    }
    let lower = body.to_ascii_lowercase();
    if status == StatusCode::TOO_MANY_REQUESTS || lower.contains("rate limit") {
        let factor = 1u32 << previous_waits.min(4);
        return Some(policy.secondary_rate_limit_wait.saturating_mul(factor));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn rate_limit_waits_follow_github_guidance() {
        let p = RetryPolicy::default();
        let w = |s, h: &HeaderMap, b| rate_limit_wait(s, h, b, 1_000, &p, 0);
        assert_eq!(
            w(StatusCode::FORBIDDEN, &headers(&[("retry-after", "7")]), ""),
            Some(Duration::from_secs(7))
        );
        let reset = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1030"),
        ]);
        assert_eq!(
            w(StatusCode::FORBIDDEN, &reset, ""),
            Some(Duration::from_secs(31))
        );
        assert_eq!(
            w(
                StatusCode::FORBIDDEN,
                &HeaderMap::new(),
                "You have exceeded a secondary rate limit"
            ),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            w(
                StatusCode::FORBIDDEN,
                &HeaderMap::new(),
                "Resource not accessible"
            ),
            None
        );
        assert_eq!(
            w(StatusCode::NOT_FOUND, &headers(&[("retry-after", "7")]), ""),
            None
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_secs(1));
        assert_eq!(p.backoff(3), Duration::from_secs(4));
        assert_eq!(p.backoff(30), Duration::from_secs(60));
    }
}
