//! The operations a review needs, as a small trait (so the review runner can be tested with
//! a fake) and its implementation over the installation client. Each method is one REST
//! operation of `openapi-subset.json` (lists follow pagination).

use std::future::Future;

use base64::Engine as _;
use http::Method;
use serde::Serialize;

use super::client::{InstallationClient, decode};
use super::ids::{PullNumber, RepoRef, encode};
use super::retry::GitHubError;
use super::types::*;

/// GitHub's cap on `pulls/{n}/files`: 3,000 files, 100 per page.
const MAX_FILE_PAGES: u32 = 30;
/// Comments pages read at most (100 each); a pull request with more is unusual.
const MAX_COMMENT_PAGES: u32 = 20;
/// Open pull-request pages read to find a fork's head commit (100 each).
const MAX_PULL_PAGES: u32 = 10;

pub trait GitHubApi: Send + Sync {
    fn get_pull(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
    ) -> impl Future<Output = Result<PullRequest, GitHubError>> + Send;
    fn list_pull_files(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
    ) -> impl Future<Output = Result<Vec<DiffEntry>, GitHubError>> + Send;
    fn get_blob(
        &self,
        repo: &RepoRef,
        sha: &str,
    ) -> impl Future<Output = Result<Vec<u8>, GitHubError>> + Send;
    /// A file at a commit; `None` when the commit has no such file.
    fn get_file_at(
        &self,
        repo: &RepoRef,
        path: &str,
        reference: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, GitHubError>> + Send;
    /// Every entry of a commit's tree.
    fn get_tree(
        &self,
        repo: &RepoRef,
        sha: &str,
    ) -> impl Future<Output = Result<GitTree, GitHubError>> + Send;
    fn list_check_runs(
        &self,
        repo: &RepoRef,
        sha: &str,
        name: &str,
    ) -> impl Future<Output = Result<Vec<CheckRun>, GitHubError>> + Send;
    fn create_check_run(
        &self,
        repo: &RepoRef,
        run: &CheckRunWrite,
    ) -> impl Future<Output = Result<CheckRun, GitHubError>> + Send;
    fn update_check_run(
        &self,
        repo: &RepoRef,
        id: u64,
        run: &CheckRunWrite,
    ) -> impl Future<Output = Result<(), GitHubError>> + Send;
    /// Posts a review; returns its id.
    fn create_review(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
        review: &ReviewWrite,
    ) -> impl Future<Output = Result<u64, GitHubError>> + Send;
    fn list_reviews(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
    ) -> impl Future<Output = Result<Vec<Review>, GitHubError>> + Send;
    /// The repository's open pull requests (a fork PR's check suite names none).
    fn list_open_pulls(
        &self,
        repo: &RepoRef,
    ) -> impl Future<Output = Result<Vec<PullRequest>, GitHubError>> + Send;
    fn list_review_comments(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
    ) -> impl Future<Output = Result<Vec<ReviewComment>, GitHubError>> + Send;
    fn update_review_comment(
        &self,
        repo: &RepoRef,
        id: u64,
        body: &str,
    ) -> impl Future<Output = Result<(), GitHubError>> + Send;
    fn list_issue_comments(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
    ) -> impl Future<Output = Result<Vec<IssueComment>, GitHubError>> + Send;
    /// Posts a comment; returns its id.
    fn create_issue_comment(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
        body: &str,
    ) -> impl Future<Output = Result<u64, GitHubError>> + Send;
    fn update_issue_comment(
        &self,
        repo: &RepoRef,
        id: u64,
        body: &str,
    ) -> impl Future<Output = Result<(), GitHubError>> + Send;
}

fn to_json<T: Serialize>(value: &T) -> serde_json::Value {
    // Our own request types always serialise.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Blob and file contents: base64 (GitHub wraps it in lines) or plain UTF-8.
fn decode_content(content: String, encoding: &str, what: &str) -> Result<Vec<u8>, GitHubError> {
    match encoding {
        "base64" => {
            let compact: String = content.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|e| GitHubError::Decode {
                    what: what.to_string(),
                    message: format!("base64 content: {e}"),
                })
        }
        "utf-8" | "utf8" => Ok(content.into_bytes()),
        other => Err(GitHubError::Decode {
            what: what.to_string(),
            message: format!("unknown encoding {other:?}"),
        }),
    }
}

fn has_next_page(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::LINK)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("rel=\"next\""))
}

impl InstallationClient {
    /// Sends a `{"body": ...}` write (comments and comment edits).
    async fn write_body(
        &self,
        method: Method,
        path: &str,
        body: &str,
        what: &str,
    ) -> Result<(), GitHubError> {
        let body = BodyWrite {
            body: body.to_string(),
        };
        self.request(method, path, Some(&to_json(&body)), what)
            .await
            .map(|_| ())
    }

    async fn get_pages<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        max_pages: u32,
        what: &str,
    ) -> Result<Vec<T>, GitHubError> {
        let mut all = Vec::new();
        for page in 1..=max_pages {
            let raw = self
                .request(
                    Method::GET,
                    &format!("{path}?per_page=100&page={page}"),
                    None,
                    what,
                )
                .await?;
            let items: Vec<T> = decode(&raw.body, what)?;
            all.extend(items);
            if !has_next_page(&raw.headers) {
                break;
            }
        }
        Ok(all)
    }
}

impl GitHubApi for InstallationClient {
    async fn get_pull(&self, repo: &RepoRef, pr: PullNumber) -> Result<PullRequest, GitHubError> {
        let what = "GET /repos/{owner}/{repo}/pulls/{pull_number}";
        let raw = self
            .request(
                Method::GET,
                &format!("{}/pulls/{}", repo.api_path(), pr.0),
                None,
                what,
            )
            .await?;
        decode(&raw.body, what)
    }

    async fn list_pull_files(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
    ) -> Result<Vec<DiffEntry>, GitHubError> {
        self.get_pages(
            &format!("{}/pulls/{}/files", repo.api_path(), pr.0),
            MAX_FILE_PAGES,
            "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
        )
        .await
    }

    async fn get_blob(&self, repo: &RepoRef, sha: &str) -> Result<Vec<u8>, GitHubError> {
        let what = "GET /repos/{owner}/{repo}/git/blobs/{file_sha}";
        let raw = self
            .request(
                Method::GET,
                &format!("{}/git/blobs/{}", repo.api_path(), encode(sha)),
                None,
                what,
            )
            .await?;
        let blob: Blob = decode(&raw.body, what)?;
        decode_content(blob.content, &blob.encoding, what)
    }

    async fn get_file_at(
        &self,
        repo: &RepoRef,
        path: &str,
        reference: &str,
    ) -> Result<Option<Vec<u8>>, GitHubError> {
        let what = "GET /repos/{owner}/{repo}/contents/{path}";
        let segments: Vec<String> = path.split('/').map(encode).collect();
        let result = self
            .request(
                Method::GET,
                &format!(
                    "{}/contents/{}?ref={}",
                    repo.api_path(),
                    segments.join("/"),
                    encode(reference)
                ),
                None,
                what,
            )
            .await;
        let raw = match result {
            Ok(raw) => raw,
            Err(e) if e.status() == Some(http::StatusCode::NOT_FOUND) => return Ok(None),
            Err(e) => return Err(e),
        };
        let file: ContentFile = decode(&raw.body, what)?;
        decode_content(file.content, &file.encoding, what).map(Some)
    }

    async fn get_tree(&self, repo: &RepoRef, sha: &str) -> Result<GitTree, GitHubError> {
        let what = "GET /repos/{owner}/{repo}/git/trees/{tree_sha}";
        let raw = self
            .request(
                Method::GET,
                &format!("{}/git/trees/{}?recursive=1", repo.api_path(), encode(sha)),
                None,
                what,
            )
            .await?;
        decode(&raw.body, what)
    }

    async fn list_check_runs(
        &self,
        repo: &RepoRef,
        sha: &str,
        name: &str,
    ) -> Result<Vec<CheckRun>, GitHubError> {
        let what = "GET /repos/{owner}/{repo}/commits/{ref}/check-runs";
        let raw = self
            .request(
                Method::GET,
                &format!(
                    "{}/commits/{}/check-runs?check_name={}&filter=all&per_page=100",
                    repo.api_path(),
                    encode(sha),
                    encode(name)
                ),
                None,
                what,
            )
            .await?;
        let list: CheckRunList = decode(&raw.body, what)?;
        Ok(list.check_runs)
    }

    async fn create_check_run(
        &self,
        repo: &RepoRef,
        run: &CheckRunWrite,
    ) -> Result<CheckRun, GitHubError> {
        let what = "POST /repos/{owner}/{repo}/check-runs";
        let raw = self
            .request(
                Method::POST,
                &format!("{}/check-runs", repo.api_path()),
                Some(&to_json(run)),
                what,
            )
            .await?;
        decode(&raw.body, what)
    }

    async fn update_check_run(
        &self,
        repo: &RepoRef,
        id: u64,
        run: &CheckRunWrite,
    ) -> Result<(), GitHubError> {
        self.request(
            Method::PATCH,
            &format!("{}/check-runs/{id}", repo.api_path()),
            Some(&to_json(run)),
            "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
        )
        .await
        .map(|_| ())
    }

    async fn create_review(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
        review: &ReviewWrite,
    ) -> Result<u64, GitHubError> {
        let what = "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews";
        let raw = self
            .request(
                Method::POST,
                &format!("{}/pulls/{}/reviews", repo.api_path(), pr.0),
                Some(&to_json(review)),
                what,
            )
            .await?;
        decode::<Created>(&raw.body, what).map(|c| c.id)
    }

    async fn list_reviews(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
    ) -> Result<Vec<Review>, GitHubError> {
        self.get_pages(
            &format!("{}/pulls/{}/reviews", repo.api_path(), pr.0),
            MAX_COMMENT_PAGES,
            "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        )
        .await
    }

    async fn list_open_pulls(&self, repo: &RepoRef) -> Result<Vec<PullRequest>, GitHubError> {
        self.get_pages(
            &format!("{}/pulls", repo.api_path()),
            MAX_PULL_PAGES,
            "GET /repos/{owner}/{repo}/pulls",
        )
        .await
    }

    async fn list_review_comments(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
    ) -> Result<Vec<ReviewComment>, GitHubError> {
        self.get_pages(
            &format!("{}/pulls/{}/comments", repo.api_path(), pr.0),
            MAX_COMMENT_PAGES,
            "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments",
        )
        .await
    }

    async fn update_review_comment(
        &self,
        repo: &RepoRef,
        id: u64,
        body: &str,
    ) -> Result<(), GitHubError> {
        self.write_body(
            Method::PATCH,
            &format!("{}/pulls/comments/{id}", repo.api_path()),
            body,
            "PATCH /repos/{owner}/{repo}/pulls/comments/{comment_id}",
        )
        .await
    }

    async fn list_issue_comments(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
    ) -> Result<Vec<IssueComment>, GitHubError> {
        self.get_pages(
            &format!("{}/issues/{}/comments", repo.api_path(), pr.0),
            MAX_COMMENT_PAGES,
            "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
        )
        .await
    }

    async fn create_issue_comment(
        &self,
        repo: &RepoRef,
        pr: PullNumber,
        body: &str,
    ) -> Result<u64, GitHubError> {
        let what = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments";
        let raw = self
            .request(
                Method::POST,
                &format!("{}/issues/{}/comments", repo.api_path(), pr.0),
                Some(&to_json(&BodyWrite {
                    body: body.to_string(),
                })),
                what,
            )
            .await?;
        decode::<Created>(&raw.body, what).map(|c| c.id)
    }

    async fn update_issue_comment(
        &self,
        repo: &RepoRef,
        id: u64,
        body: &str,
    ) -> Result<(), GitHubError> {
        self.write_body(
            Method::PATCH,
            &format!("{}/issues/comments/{id}", repo.api_path()),
            body,
            "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
        )
        .await
    }
}
