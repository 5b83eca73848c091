//! GitHub at the edge: app authentication (JWT -> installation tokens), the small client trait
//! the review needs (over octocrab, with retries and rate-limit waits), the REST types it reads
//! and writes, and the webhook payload types. Nothing here knows about rules or findings.

mod api;
mod auth;
mod client;
mod ids;
mod limits;
mod manifest;
mod retry;
mod types;
pub mod webhook;

pub use api::GitHubApi;
pub use auth::{AppCredentials, TokenCache};
pub use client::{CallerLabels, GitHubApp, InstallationClient, RequestCounters, RouteLabels};
pub use ids::{CommitSha, InstallationId, PullNumber, RepoRef};
pub use limits::{BoxFuture, SharedLimits};
pub use manifest::{ManifestApp, convert_app_manifest, is_manifest_code};
pub use retry::{GitHubError, RetryPolicy, Sleeper, tokio_sleeper};
pub use types::*;
