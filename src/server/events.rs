//! Which webhooks start a review, and of what.

use crate::github::webhook::{CheckRunEvent, CheckSuiteEvent, PullRequestEvent};
use crate::github::{CommitSha, InstallationId, PullNumber, RepoRef};

/// The name of kubenudge's check run.
pub const CHECK_NAME: &str = "kubenudge";

/// What a webhook asks for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Request {
    /// Review the head commit of a known pull request.
    Pull {
        pr: PullNumber,
        /// False when the event does not say the pull request is open (check events).
        known_open: bool,
    },
    /// Review whichever pull request has this head commit (fork PRs in check events).
    HeadSha { external_id: Option<String> },
}

/// A review to run (stored as JSON in the job queue).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Job {
    /// `X-GitHub-Delivery` of the webhook that asked for it, for the logs.
    pub delivery: Option<String>,
    pub installation: InstallationId,
    pub repo: RepoRef,
    pub head_sha: CommitSha,
    /// The pull request's base commit when the event names it (otherwise it is looked up).
    pub base_sha: Option<CommitSha>,
    pub request: Request,
    /// Re-run even if this head commit was reviewed (the user clicked "Re-run").
    pub force: bool,
    /// Check GitHub for an existing kubenudge run on the commit first (check-suite events and
    /// redeliveries): reuse one left in progress by a crash, skip when one is completed.
    pub reconcile: bool,
}

impl Job {
    /// The key jobs are serialised by across replicas: the pull request, or for a check
    /// event that names none (a fork's), the head commit until its pull request is found.
    pub fn pr_key(&self) -> String {
        match &self.request {
            Request::Pull { pr, .. } => format!("{}#{}", self.repo, pr.0),
            Request::HeadSha { .. } => format!("{}@{}", self.repo, self.head_sha),
        }
    }
}

#[derive(Debug)]
pub enum Parsed {
    Job(Job),
    Ignored(&'static str),
}

/// Parses a delivery by its `X-GitHub-Event`.
pub fn parse(event: &str, body: &[u8]) -> Result<Parsed, serde_json::Error> {
    match event {
        "pull_request" => {
            let e: PullRequestEvent = serde_json::from_slice(body)?;
            if !matches!(
                e.action.as_str(),
                "opened" | "synchronize" | "reopened" | "ready_for_review"
            ) {
                return Ok(Parsed::Ignored("pull_request action not reviewed"));
            }
            if e.pull_request.state != "open" {
                return Ok(Parsed::Ignored("pull request is closed"));
            }
            let Some(installation) = e.installation else {
                return Ok(Parsed::Ignored("no installation in payload"));
            };
            Ok(Parsed::Job(Job {
                delivery: None,
                installation: InstallationId(installation.id),
                repo: e.repository.to_ref(),
                head_sha: CommitSha(e.pull_request.head.sha),
                base_sha: e.pull_request.base.map(|b| CommitSha(b.sha)),
                request: Request::Pull {
                    pr: PullNumber(e.pull_request.number),
                    known_open: true,
                },
                force: false,
                reconcile: false,
            }))
        }
        "check_run" => {
            let e: CheckRunEvent = serde_json::from_slice(body)?;
            if e.action != "rerequested" {
                return Ok(Parsed::Ignored("check_run action not handled"));
            }
            if e.check_run.name != CHECK_NAME {
                return Ok(Parsed::Ignored("not kubenudge's check run"));
            }
            let Some(installation) = e.installation else {
                return Ok(Parsed::Ignored("no installation in payload"));
            };
            let head = e.check_run.head_sha.clone();
            Ok(Parsed::Job(Job {
                delivery: None,
                installation: InstallationId(installation.id),
                repo: e.repository.to_ref(),
                request: pull_for(&head, &e.check_run.pull_requests, e.check_run.external_id),
                base_sha: base_for(&head, &e.check_run.pull_requests),
                head_sha: CommitSha(head),
                force: true,
                reconcile: false,
            }))
        }
        "check_suite" => {
            let e: CheckSuiteEvent = serde_json::from_slice(body)?;
            if !matches!(e.action.as_str(), "requested" | "rerequested") {
                return Ok(Parsed::Ignored("check_suite action not handled"));
            }
            let Some(installation) = e.installation else {
                return Ok(Parsed::Ignored("no installation in payload"));
            };
            let head = e.check_suite.head_sha.clone();
            Ok(Parsed::Job(Job {
                delivery: None,
                installation: InstallationId(installation.id),
                repo: e.repository.to_ref(),
                request: pull_for(&head, &e.check_suite.pull_requests, None),
                base_sha: base_for(&head, &e.check_suite.pull_requests),
                head_sha: CommitSha(head),
                force: e.action == "rerequested",
                reconcile: true,
            }))
        }
        _ => Ok(Parsed::Ignored("event not handled")),
    }
}

fn pull_for(
    head: &str,
    prs: &[crate::github::webhook::PullRequestRef],
    external_id: Option<String>,
) -> Request {
    // GitHub lists the open pull requests whose head is this commit; any other entry must be
    // checked before reviewing.
    match prs.iter().find(|p| p.head.sha == head) {
        Some(p) => Request::Pull {
            pr: PullNumber(p.number),
            known_open: true,
        },
        None => match prs.first() {
            Some(p) => Request::Pull {
                pr: PullNumber(p.number),
                known_open: false,
            },
            None => Request::HeadSha { external_id },
        },
    }
}

/// The base commit of the pull request whose head is `head`, when the event lists it.
fn base_for(head: &str, prs: &[crate::github::webhook::PullRequestRef]) -> Option<CommitSha> {
    prs.iter()
        .find(|p| p.head.sha == head)
        .and_then(|p| p.base.as_ref())
        .map(|b| CommitSha(b.sha.clone()))
}

/// The `external_id` kubenudge gives its check runs, so a fork PR's run leads back to it.
pub fn external_id(pr: PullNumber) -> String {
    format!("kubenudge:pr={}", pr.0)
}

pub fn pr_from_external_id(id: &str) -> Option<PullNumber> {
    id.strip_prefix("kubenudge:pr=")?
        .parse()
        .ok()
        .map(PullNumber)
}
