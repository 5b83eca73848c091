//! Test harness for the GitHub App: the real router on a local port, the real octocrab client
//! pointed at a stateful fake GitHub, GitHub's example payloads edited and signed.

#![allow(dead_code)]

pub mod fake_github;
pub mod logs;
pub mod manifest_flow;
pub mod postgres;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use fake_github::{APP_ID, FakeFile, FakeGitHub, FakePull, INSTALLATION_ID, OWNER, REPO};
use kubenudge::github::{AppCredentials, GitHubApp, RetryPolicy, Sleeper};
use kubenudge::review::{Enforcement, ReviewConfig};
use kubenudge::server::{BlobCache, ReviewContext, Service, WorkOptions, router, signature};
use kubenudge::store::Store;

pub const SECRET: &str = "test webhook secret";
/// The base commit of every pull request event.
pub const BASE_SHA: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

pub struct Harness {
    pub fake: FakeGitHub,
    pub service: Arc<Service>,
    pub addr: SocketAddr,
    /// Every wait the client asked for (backoff, rate limits, write spacing).
    pub sleeps: Arc<Mutex<Vec<Duration>>>,
    /// Holds the SQLite store of this harness.
    _dir: Option<tempfile::TempDir>,
}

pub struct Options {
    pub enforcement: Enforcement,
    pub max_inline_comments: usize,
    pub max_attempts: u32,
    /// Today's date for rollout stages (fixed, so countdowns are stable).
    pub today: chrono::NaiveDate,
    /// The store; a fresh SQLite file when `None`.
    pub database_url: Option<String>,
    /// An existing fake GitHub to talk to (two replicas of one service).
    pub fake_uri: Option<String>,
    /// Serve the rule pages as `KUBENUDGE_PUBLIC_URL` does: comments link to this server.
    pub public_url: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            enforcement: Enforcement::default(),
            max_inline_comments: 30,
            max_attempts: 4,
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            database_url: None,
            fake_uri: None,
            public_url: false,
        }
    }
}

pub fn data(path: &str) -> String {
    format!("{}/tests/data/github/{path}", env!("CARGO_MANIFEST_DIR"))
}

pub fn payload(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data(&format!("payloads/{path}"))).unwrap())
        .unwrap()
}

impl Harness {
    pub async fn start() -> Harness {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Harness {
        logs::capture();
        let fake = FakeGitHub::start().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sleeps = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&sleeps);
        // Waits are recorded, not slept: tests stay fast and can check them.
        let sleeper: Sleeper = Arc::new(move |d| {
            recorded.lock().unwrap().push(d);
            Box::pin(tokio::task::yield_now())
        });
        let pem = SecretString::from(std::fs::read_to_string(data("test-app-key.pem")).unwrap());
        let policy = RetryPolicy {
            max_attempts: options.max_attempts,
            request_timeout: Duration::from_secs(10),
            sleeper,
            ..RetryPolicy::default()
        };
        let github = GitHubApp::new(
            options.fake_uri.as_deref().unwrap_or(&fake.uri()),
            AppCredentials::new(APP_ID, &pem).unwrap(),
            policy,
        )
        .unwrap();
        let (dir, url) = match options.database_url {
            Some(url) => (None, url),
            None => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("kubenudge.db").display());
                (Some(dir), url)
            }
        };
        let store = Arc::new(Store::open(&url).await.expect("store opens"));
        let service = Service::new(
            github,
            SecretString::from(SECRET),
            ReviewContext {
                config: ReviewConfig {
                    max_inline_comments: options.max_inline_comments,
                    docs_base_url: "https://github.com/kubenudge/kubenudge/blob/main".into(),
                    rule_pages_url: options.public_url.then(|| format!("http://{addr}")),
                    ..ReviewConfig::default()
                },
                enforcement: options.enforcement,
                blobs: BlobCache::new(16 * 1024 * 1024),
                details_url: Some("https://github.com/{repo}/pull/{pr}".into()),
                today: Arc::new(move || options.today),
                configs: kubenudge::server::policy::ConfigCache::default(),
            },
            store,
            WorkOptions {
                max_concurrent_reviews: 4,
                poll: Duration::from_millis(50),
                ..WorkOptions::default()
            },
        );
        service.start();
        let app = router(Arc::clone(&service));
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        // The base commit exists, as on GitHub; tests put files in it with `set_commit`.
        fake.model().trees.insert(BASE_SHA.to_string(), Vec::new());
        Harness {
            fake,
            service,
            addr,
            sleeps,
            _dir: dir,
        }
    }

    /// Sends a signed webhook and returns the HTTP status.
    pub async fn deliver(&self, event: &str, delivery: &str, payload: &Value) -> u16 {
        let body = serde_json::to_vec(payload).unwrap();
        let sig = signature::sign(&SecretString::from(SECRET), &body);
        self.post_webhook(
            &[
                ("X-GitHub-Event", event),
                ("X-GitHub-Delivery", delivery),
                ("X-Hub-Signature-256", &sig),
            ],
            &body,
        )
        .await
        .0
    }

    pub async fn post_webhook(&self, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
        http(self.addr, "POST", "/webhook", headers, body, None).await
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        http(self.addr, "GET", path, &[], b"", None).await
    }

    /// Waits (with a deadline) until every accepted delivery is handled.
    pub async fn settle(&self) {
        tokio::time::timeout(Duration::from_secs(30), self.service.wait_idle())
            .await
            .expect("the queue did not become idle within 30 s");
    }

    /// Delivers and waits; returns the GitHub requests the delivery caused.
    pub async fn review(
        &self,
        event: &str,
        delivery: &str,
        payload: &Value,
    ) -> Vec<fake_github::LoggedRequest> {
        let before = self.fake.request_count();
        let status = self.deliver(event, delivery, payload).await;
        assert_eq!(status, 202, "webhook not accepted");
        self.settle().await;
        self.fake.requests_since(before)
    }

    /// Defines (or replaces) pull request `number` in the fake.
    pub fn set_pull(&self, number: u64, head_sha: &str, files: &[ChangedFile]) {
        let mut model = self.fake.model();
        let mut fake_files = Vec::new();
        for f in files {
            let sha = blob_sha(&f.content);
            model
                .blobs
                .insert(sha.clone(), f.content.as_bytes().to_vec());
            fake_files.push(FakeFile {
                filename: f.path.clone(),
                status: f.status.to_string(),
                sha,
                patch: f.patch.clone(),
            });
        }
        // Unless a test gives the head commit its own tree, it is the base commit's tree with
        // the pull request's changes applied, as on GitHub.
        if !model.trees.contains_key(head_sha) {
            let mut tree = model.trees.get(BASE_SHA).cloned().unwrap_or_default();
            for (f, fake) in files.iter().zip(&fake_files) {
                tree.retain(|(path, _)| *path != f.path);
                if f.status != "removed" {
                    tree.push((f.path.clone(), fake.sha.clone()));
                }
            }
            model.trees.insert(head_sha.to_string(), tree);
        }
        model.pulls.insert(
            number,
            FakePull {
                head_sha: head_sha.to_string(),
                state: "open".into(),
                files: fake_files,
            },
        );
    }

    /// Puts `files` (path, content) at commit `sha`: readable by path (`contents?ref=`) and as
    /// the commit's tree (blobs included).
    pub fn set_commit(&self, sha: &str, files: &[(&str, &str)]) {
        let mut model = self.fake.model();
        let mut tree = Vec::new();
        for (path, content) in files {
            let blob = blob_sha(content);
            model
                .blobs
                .insert(blob.clone(), content.as_bytes().to_vec());
            model.contents.insert(
                (sha.to_string(), path.to_string()),
                content.as_bytes().to_vec(),
            );
            tree.push((path.to_string(), blob));
        }
        model.trees.insert(sha.to_string(), tree);
    }

    /// Pull request 1 at `head_sha`: the base commit holds `base`, the head commit `head`, and
    /// the pull request lists `changed`.
    pub fn set_pull_between(
        &self,
        head_sha: &str,
        base: &[(&str, String)],
        head: &[(&str, String)],
        changed: &[ChangedFile],
    ) {
        for (sha, files) in [(BASE_SHA, base), (head_sha, head)] {
            let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
            self.set_commit(sha, &files);
        }
        self.set_pull(1, head_sha, changed);
    }

    /// The secrets this harness's service holds or was handed, by name.
    pub fn secrets(&self) -> Vec<(String, String)> {
        let pem = std::fs::read_to_string(data("test-app-key.pem")).unwrap();
        let mut secrets = vec![("webhook secret".to_string(), SECRET.to_string())];
        // Every line of the key's body: a log that printed any part of it is a leak.
        for line in pem.lines().filter(|l| !l.starts_with("-----")) {
            secrets.push(("private key".to_string(), line.to_string()));
        }
        for token in &self.fake.model().tokens {
            secrets.push(("installation token".to_string(), token.clone()));
        }
        // A JWT's header, base64url of `{"alg":` or `{"typ":`.
        secrets.push(("app JWT".to_string(), "eyJhbGciOi".to_string()));
        secrets.push(("app JWT".to_string(), "eyJ0eXAiOi".to_string()));
        secrets
    }

    /// Fails when any secret of [`Harness::secrets`] is in the captured logs.
    pub fn assert_no_secret_in_logs(&self) {
        let secrets = self.secrets();
        let pairs: Vec<(&str, &str)> = secrets
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let leaked = logs::leaked(&pairs);
        assert!(leaked.is_empty(), "secrets in the logs: {leaked:?}");
    }

    /// Schema violations, unknown operations and authentication errors seen by the fake.
    pub fn assert_no_protocol_errors(&self) {
        let errors = self.fake.model().errors.clone();
        assert_eq!(
            self.fake.model().rejected_reviews,
            0,
            "GitHub refused a review: {errors:?}"
        );
        assert!(
            errors.is_empty(),
            "requests GitHub would refuse:\n{}",
            errors.join("\n")
        );
    }
}

/// Every App test checks, as it ends, that nothing it logged holds a secret.
impl Drop for Harness {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.assert_no_secret_in_logs();
        }
    }
}

/// One changed file of a pull request.
pub struct ChangedFile {
    pub path: String,
    pub content: String,
    pub status: &'static str,
    pub patch: Option<String>,
}

impl ChangedFile {
    /// A new file: the whole content is one added hunk.
    pub fn added(path: &str, content: &str) -> ChangedFile {
        let lines: Vec<&str> = content.lines().collect();
        let mut patch = format!("@@ -0,0 +1,{} @@\n", lines.len());
        for l in &lines {
            patch.push('+');
            patch.push_str(l);
            patch.push('\n');
        }
        ChangedFile {
            path: path.into(),
            content: content.into(),
            status: "added",
            patch: Some(patch.trim_end().to_string()),
        }
    }

    /// A modified file whose diff is `patch`.
    pub fn modified(path: &str, content: &str, patch: &str) -> ChangedFile {
        ChangedFile {
            path: path.into(),
            content: content.into(),
            status: "modified",
            patch: Some(patch.into()),
        }
    }
}

pub fn blob_sha(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))[..40].to_string()
}

/// GitHub's `pull_request` example, edited: action, number, head, installation, draft.
pub fn pull_request_event(action: &str, number: u64, head_sha: &str) -> Value {
    let mut p = payload("pull_request/opened.payload.json");
    p["pull_request"]["base"]["sha"] = BASE_SHA.into();
    p["action"] = action.into();
    p["number"] = number.into();
    p["pull_request"]["number"] = number.into();
    p["pull_request"]["head"]["sha"] = head_sha.into();
    p["installation"]["id"] = INSTALLATION_ID.into();
    p
}

/// GitHub's `check_suite.requested` example for `head_sha` (a fork PR: no pull_requests).
pub fn check_suite_event(action: &str, head_sha: &str, prs: &[(u64, &str)]) -> Value {
    let mut p = payload("check_suite/requested.payload.json");
    p["action"] = action.into();
    p["check_suite"]["head_sha"] = head_sha.into();
    p["check_suite"]["after"] = head_sha.into();
    p["check_suite"]["pull_requests"] = prs
        .iter()
        .map(|(n, sha)| serde_json::json!({"number": n, "head": {"sha": sha, "ref": "b"}, "base": {"sha": "0", "ref": "main"}}))
        .collect();
    p["installation"]["id"] = INSTALLATION_ID.into();
    p
}

/// GitHub's `check_run.rerequested` example, for kubenudge's run on `head_sha`.
pub fn check_run_event(head_sha: &str, external_id: &str) -> Value {
    let mut p = payload("check_run/rerequested.payload.json");
    p["check_run"]["name"] = "kubenudge".into();
    p["check_run"]["head_sha"] = head_sha.into();
    p["check_run"]["external_id"] = external_id.into();
    p["check_run"]["pull_requests"] = serde_json::json!([]);
    p["repository"]["owner"]["login"] = OWNER.into();
    p["repository"]["name"] = REPO.into();
    p["installation"]["id"] = INSTALLATION_ID.into();
    p
}

/// A tiny HTTP/1.1 client, enough to talk to the router over a real socket.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    content_length: Option<usize>,
) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: kubenudge.test\r\nConnection: close\r\nContent-Type: application/json\r\nUser-Agent: GitHub-Hookshot/test\r\nContent-Length: {}\r\n",
        content_length.unwrap_or(body.len())
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    // Read the head, then exactly Content-Length bytes: a server that answers before reading
    // the whole request (413) may keep the connection open.
    let mut response = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let text = String::from_utf8_lossy(&response).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
            });
            if length.is_some_and(|n| body.len() >= n) {
                break;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => response.extend_from_slice(&chunk[..n]),
        }
    }
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}
