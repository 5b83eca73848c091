//! Webhook payloads: just the fields kubenudge reads, from GitHub's event schemas.

use serde::Deserialize;

use super::ids::RepoRef;

#[derive(Debug, Clone, Deserialize)]
pub struct Installation {
    pub id: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Owner {
    pub login: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    pub name: String,
    pub owner: Owner,
}

impl Repository {
    pub fn to_ref(&self) -> RepoRef {
        RepoRef {
            owner: self.owner.login.clone(),
            name: self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Head {
    pub sha: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PullRequestPayload {
    pub number: u64,
    pub state: String,
    pub head: Head,
    /// The commit compared with; its `.github/kubenudge.yml` is the policy.
    #[serde(default)]
    pub base: Option<Head>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PullRequestEvent {
    pub action: String,
    pub pull_request: PullRequestPayload,
    pub repository: Repository,
    pub installation: Option<Installation>,
}

/// An entry of `check_run.pull_requests` / `check_suite.pull_requests` (empty for forks).
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequestRef {
    pub number: u64,
    pub head: Head,
    #[serde(default)]
    pub base: Option<Head>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckRunPayload {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub external_id: Option<String>,
    #[serde(default)]
    pub pull_requests: Vec<PullRequestRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckRunEvent {
    pub action: String,
    pub check_run: CheckRunPayload,
    pub repository: Repository,
    pub installation: Option<Installation>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckSuitePayload {
    pub head_sha: String,
    #[serde(default)]
    pub pull_requests: Vec<PullRequestRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckSuiteEvent {
    pub action: String,
    pub check_suite: CheckSuitePayload,
    pub repository: Repository,
    pub installation: Option<Installation>,
}
