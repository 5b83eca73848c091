//! The REST shapes kubenudge reads and writes, matching `openapi-subset.json` (only the fields
//! used; optional where GitHub's schema or API versions allow them to be missing).

use serde::{Deserialize, Serialize};

/// `diff-entry` from `GET /pulls/{n}/files`.
#[derive(Debug, Clone, Deserialize)]
pub struct DiffEntry {
    pub sha: Option<String>,
    pub filename: String,
    /// added, removed, modified, renamed, copied, changed, unchanged.
    pub status: String,
    pub patch: Option<String>,
    pub previous_filename: Option<String>,
    /// Lines added plus lines deleted.
    #[serde(default)]
    pub changes: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Blob {
    pub content: String,
    pub encoding: String,
}

/// `content-file` from `GET /contents/{path}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ContentFile {
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub encoding: String,
}

/// `git-tree` from `GET /git/trees/{tree_sha}?recursive=1`.
#[derive(Debug, Clone, Deserialize)]
pub struct GitTree {
    /// GitHub cut the listing (over 100,000 entries or 7 MB).
    #[serde(default)]
    pub truncated: bool,
    pub tree: Vec<TreeEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TreeEntry {
    pub path: String,
    /// `blob`, `tree` or `commit` (submodule).
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: Option<String>,
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub external_id: Option<String>,
    #[serde(default)]
    pub output: Option<CheckRunOutputCount>,
}

/// The part of a check run's `output` kubenudge reads back.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckRunOutputCount {
    #[serde(default)]
    pub annotations_count: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckRunList {
    pub check_runs: Vec<CheckRun>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReviewComment {
    pub id: u64,
    pub body: String,
    #[serde(default)]
    pub path: Option<String>,
    /// The line in the pull request's current diff; `null` when the comment is outdated.
    #[serde(default)]
    pub line: Option<u64>,
    #[serde(default)]
    pub start_line: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IssueComment {
    pub id: u64,
    pub body: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    pub state: String,
    pub head: CommitRef,
    /// The commit the pull request is compared with (its policy applies).
    #[serde(default)]
    pub base: Option<CommitRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitRef {
    pub sha: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InstallationToken {
    pub token: String,
    pub expires_at: String,
}

/// The id of something GitHub created (a review, a comment).
#[derive(Debug, Clone, Deserialize)]
pub struct Created {
    pub id: u64,
}

/// `pull-request-review` from `GET /pulls/{n}/reviews`.
#[derive(Debug, Clone, Deserialize)]
pub struct Review {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub commit_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HookDelivery {
    pub id: u64,
    /// Shared by a delivery and its redeliveries (the `X-GitHub-Delivery` header).
    #[serde(default)]
    pub guid: String,
    pub status_code: Option<u16>,
    pub event: String,
    pub delivered_at: Option<String>,
    pub redelivery: Option<bool>,
}

/// `POST /check-runs` body (and the `PATCH` body without `name`/`head_sha`).
#[derive(Debug, Clone, Serialize, Default)]
pub struct CheckRunWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<CheckRunOutput>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckRunOutput {
    pub title: String,
    pub summary: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<CheckAnnotation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckAnnotation {
    pub path: String,
    pub start_line: usize,
    pub end_line: usize,
    pub annotation_level: &'static str,
    pub title: String,
    pub message: String,
}

/// `POST /pulls/{n}/reviews` body.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewWrite {
    pub commit_id: String,
    pub body: String,
    pub event: &'static str,
    pub comments: Vec<ReviewCommentWrite>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewCommentWrite {
    pub path: String,
    pub body: String,
    pub line: usize,
    pub side: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_side: Option<&'static str>,
}

/// `body`-only bodies: issue comments, comment edits.
#[derive(Debug, Clone, Serialize)]
pub struct BodyWrite {
    pub body: String,
}
