//! A stateful fake GitHub on wiremock: one repository with pull requests (head SHA, changed
//! files with patches), blobs, check runs, reviews and their comments, issue comments, and the
//! installation-token endpoint (checking the app JWT). Every request body is validated against
//! the request schema of its operation in `openapi-subset.json`; a request to an operation not
//! in the subset is an error. Failures can be injected per operation: refused outright
//! (`faults`), applied but answered with a 502 (`ambiguous`: the client cannot tell), or
//! applied and answered late (`delays`: a process killed meanwhile never hears back).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const OWNER: &str = "Codertocat";
pub const REPO: &str = "Hello-World";
pub const INSTALLATION_ID: u64 = 4242;
pub const APP_ID: u64 = 777;

#[derive(Debug, Clone)]
pub struct FakeFile {
    pub filename: String,
    pub status: String,
    pub sha: String,
    pub patch: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FakePull {
    pub head_sha: String,
    pub state: String,
    pub files: Vec<FakeFile>,
}

#[derive(Debug, Clone)]
pub struct CheckRunRecord {
    pub id: u64,
    pub head_sha: String,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub external_id: Option<String>,
    pub title: String,
    pub summary: String,
    pub annotations: Vec<Value>,
    /// Annotations per request, as sent.
    pub annotation_batches: Vec<usize>,
    pub details_url: Option<String>,
}

/// A posted review: pull request, event, number of comments, commit, body.
#[derive(Debug, Clone)]
pub struct ReviewRecord {
    pub id: u64,
    pub pr: u64,
    pub event: String,
    pub comments: usize,
    pub commit_id: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct ReviewCommentRecord {
    pub id: u64,
    pub pr: u64,
    pub path: String,
    pub line: u64,
    pub start_line: Option<u64>,
    pub body: String,
    pub commit_id: String,
}

#[derive(Debug, Clone)]
pub struct IssueCommentRecord {
    pub id: u64,
    pub pr: u64,
    pub body: String,
    pub edits: usize,
}

/// A canned failure for the next matching request(s).
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: &'static str,
    /// The operation's path template, e.g. `/repos/{owner}/{repo}/pulls/{pull_number}/files`.
    pub operation: &'static str,
    pub times: usize,
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
}

#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub method: String,
    pub operation: String,
    pub path: String,
}

impl Model {
    /// Posted reviews as (pull request, event, comment count).
    pub fn review_summaries(&self) -> Vec<(u64, String, usize)> {
        self.reviews
            .iter()
            .map(|r| (r.pr, r.event.clone(), r.comments))
            .collect()
    }
}

#[derive(Default)]
pub struct Model {
    pub pulls: HashMap<u64, FakePull>,
    pub blobs: HashMap<String, Vec<u8>>,
    pub check_runs: Vec<CheckRunRecord>,
    pub reviews: Vec<ReviewRecord>,
    pub review_comments: Vec<ReviewCommentRecord>,
    pub issue_comments: Vec<IssueCommentRecord>,
    pub requests: Vec<LoggedRequest>,
    pub errors: Vec<String>,
    pub rejected_reviews: usize,
    pub tokens: Vec<String>,
    pub faults: VecDeque<Fault>,
    /// (method, operation, times): applied, then answered 502.
    pub ambiguous: Vec<(&'static str, &'static str, usize)>,
    /// (method, operation, delay): applied, then answered after the delay.
    pub delays: Vec<(&'static str, &'static str, std::time::Duration)>,
    /// `GET /app/hook/deliveries` answers these; redelivered ids are recorded.
    pub hook_deliveries: Vec<Value>,
    pub redelivered: Vec<u64>,
    /// Files by (commit SHA, path), for `GET /contents/{path}?ref=`.
    pub contents: HashMap<(String, String), Vec<u8>>,
    /// Trees by commit SHA: (path, blob SHA) of every file (blobs go in `blobs`).
    pub trees: HashMap<String, Vec<(String, String)>>,
    /// Base commit of a pull request, by number (`pulls/get` answers it).
    pub base_shas: HashMap<u64, String>,
    /// The fake's own URL (for pagination links).
    pub base_url: String,
    next_id: u64,
}

impl Model {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

struct Operation {
    method: String,
    template: Vec<String>,
    name: String,
    validator: Option<jsonschema::Validator>,
}

struct Responder {
    model: Arc<Mutex<Model>>,
    operations: Arc<Vec<Operation>>,
    public_key: DecodingKey,
}

pub struct FakeGitHub {
    pub server: MockServer,
    pub model: Arc<Mutex<Model>>,
}

fn load_operations() -> Vec<Operation> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/github/openapi-subset.json"
    ))
    .expect("openapi subset");
    let doc: Value = serde_json::from_str(&text).expect("openapi json");
    let components = doc["components"].clone();
    let mut ops = Vec::new();
    for (path, methods) in doc["paths"].as_object().expect("paths") {
        for (method, op) in methods.as_object().expect("methods") {
            let validator = op
                .pointer("/requestBody/content/application~1json/schema")
                .map(|schema| {
                    let mut root = schema.clone();
                    root["components"] = components.clone();
                    jsonschema::validator_for(&root).expect("request schema compiles")
                });
            ops.push(Operation {
                method: method.to_uppercase(),
                template: path.split('/').map(str::to_string).collect(),
                name: path.clone(),
                validator,
            });
        }
    }
    ops
}

fn match_operation<'a>(
    ops: &'a [Operation],
    method: &str,
    path: &str,
) -> Option<(&'a Operation, HashMap<String, String>)> {
    let all: Vec<&str> = path.split('/').collect();
    for op in ops {
        if op.method != method {
            continue;
        }
        // `{path}` at the end of `contents/{path}` spans the rest of the URL path.
        let n = op.template.len();
        let joined;
        let mut segments = all.clone();
        if op.template.last().is_some_and(|t| t == "{path}") && all.len() > n {
            joined = all[n - 1..].join("/");
            segments.truncate(n - 1);
            segments.push(joined.as_str());
        }
        if segments.len() != n {
            continue;
        }
        if let Some(params) = match_segments(op, &segments) {
            return Some((op, params));
        }
    }
    None
}

fn match_segments(op: &Operation, segments: &[&str]) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    for (t, s) in op.template.iter().zip(segments) {
        if t.starts_with('{') {
            params.insert(
                t.trim_matches(|c| c == '{' || c == '}').to_string(),
                s.to_string(),
            );
        } else if t != s {
            return None;
        }
    }
    Some(params)
}

fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(
        json!({"message": message, "documentation_url": "https://docs.github.com/rest"}),
    )
}

/// RIGHT-side hunks of a patch: (start, end) inclusive.
fn hunks(patch: &str) -> Vec<(u64, u64)> {
    patch
        .lines()
        .filter_map(|l| l.strip_prefix("@@ "))
        .filter_map(|h| {
            let plus = h.split(' ').find(|p| p.starts_with('+'))?;
            let (s, n) = match plus[1..].split_once(',') {
                Some((s, n)) => (s.parse::<u64>().ok()?, n.parse::<u64>().ok()?),
                None => (plus[1..].parse().ok()?, 1),
            };
            (n > 0).then_some((s, s + n - 1))
        })
        .collect()
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let method = request.method.to_string();
        let path = request.url.path().to_string();
        let mut model = self.model.lock().unwrap();
        let Some((op, params)) = match_operation(&self.operations, &method, &path) else {
            model.errors.push(format!(
                "{method} {path}: not an operation of openapi-subset.json"
            ));
            return error(404, "Not Found");
        };
        model.requests.push(LoggedRequest {
            method: method.clone(),
            operation: op.name.clone(),
            path: path.clone(),
        });
        let body: Option<Value> = if request.body.is_empty() {
            None
        } else {
            match serde_json::from_slice(&request.body) {
                Ok(v) => Some(v),
                Err(e) => {
                    model
                        .errors
                        .push(format!("{method} {path}: body is not JSON: {e}"));
                    return error(400, "Problems parsing JSON");
                }
            }
        };
        match (&op.validator, &body) {
            (Some(v), Some(b)) => {
                let problems: Vec<String> = v
                    .iter_errors(b)
                    .map(|e| format!("{e} at {}", e.instance_path))
                    .collect();
                if !problems.is_empty() {
                    model.errors.push(format!(
                        "{method} {}: body does not match the schema: {problems:?}\n{b}",
                        op.name
                    ));
                    return error(422, "Invalid request");
                }
            }
            (None, Some(b)) => model
                .errors
                .push(format!("{method} {}: unexpected body {b}", op.name)),
            _ => {}
        }

        // Authentication: JWT for /app, an issued installation token for the rest.
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
            .to_string();
        if path.starts_with("/app/") {
            if let Err(e) = self.check_jwt(&auth) {
                model
                    .errors
                    .push(format!("{method} {path}: bad app JWT: {e}"));
                return error(401, "A JSON web token could not be decoded");
            }
        } else if !model.tokens.contains(&auth) {
            model.errors.push(format!(
                "{method} {path}: not authenticated by an installation token"
            ));
            return error(401, "Bad credentials");
        }

        // Injected faults.
        if let Some(i) = model
            .faults
            .iter()
            .position(|f| f.method == method && f.operation == op.name)
        {
            let fault = &mut model.faults[i];
            fault.times -= 1;
            let mut response =
                ResponseTemplate::new(fault.status).set_body_json(fault.body.clone());
            for (k, v) in &fault.headers {
                response = response.insert_header(*k, v.as_str());
            }
            if fault.times == 0 {
                model.faults.remove(i);
            }
            return response;
        }

        let number = |name: &str| {
            params
                .get(name)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let query: HashMap<String, String> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let page = query
            .get("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1);
        let per_page = query
            .get("per_page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(30)
            .min(100);
        let paged = |items: Vec<Value>| -> ResponseTemplate {
            let start = (page - 1) * per_page;
            let slice: Vec<Value> = items.iter().skip(start).take(per_page).cloned().collect();
            let mut r = ResponseTemplate::new(200).set_body_json(Value::Array(slice));
            if start + per_page < items.len() {
                r = r.insert_header(
                    "link",
                    format!(
                        "<{}?per_page={per_page}&page={}>; rel=\"next\"",
                        path,
                        page + 1
                    )
                    .as_str(),
                );
            }
            r
        };
        let b = body.unwrap_or(Value::Null);
        let response = self.dispatch(
            &mut model, &method, op, &params, &query, &b, paged, number, page, per_page, request,
        );
        if let Some(i) = model
            .ambiguous
            .iter()
            .position(|(m, o, _)| *m == method && *o == op.name)
        {
            model.ambiguous[i].2 -= 1;
            if model.ambiguous[i].2 == 0 {
                model.ambiguous.remove(i);
            }
            return error(502, "Server Error");
        }
        if let Some((_, _, delay)) = model
            .delays
            .iter()
            .find(|(m, o, _)| *m == method && *o == op.name)
        {
            return response.set_delay(*delay);
        }
        response
    }
}

impl Responder {
    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        model: &mut Model,
        method: &str,
        op: &Operation,
        params: &HashMap<String, String>,
        query: &HashMap<String, String>,
        b: &Value,
        paged: impl Fn(Vec<Value>) -> ResponseTemplate,
        number: impl Fn(&str) -> u64,
        page: usize,
        per_page: usize,
        request: &Request,
    ) -> ResponseTemplate {
        let _ = (page, request);
        match (method, op.name.as_str()) {
            ("POST", "/app/installations/{installation_id}/access_tokens") => {
                if number("installation_id") != INSTALLATION_ID {
                    return error(404, "Not Found");
                }
                let token = format!("ghs_test{}", model.tokens.len() + 1);
                model.tokens.push(token.clone());
                let expires = chrono::Utc::now() + chrono::Duration::hours(1);
                ResponseTemplate::new(201).set_body_json(json!({
                    "token": token,
                    "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    "permissions": {"checks": "write", "pull_requests": "write", "contents": "read", "metadata": "read"},
                    "repository_selection": "all"
                }))
            }
            ("GET", "/app/hook/deliveries") => {
                // GitHub's cursor pagination: the `next` link carries an opaque cursor.
                let start = query.get("cursor").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
                let items: Vec<Value> = model.hook_deliveries.iter().skip(start).take(per_page).cloned().collect();
                let mut r = ResponseTemplate::new(200).set_body_json(Value::Array(items));
                if start + per_page < model.hook_deliveries.len() {
                    r = r.insert_header("link", format!(
                        "<{}/app/hook/deliveries?per_page={per_page}&cursor={}>; rel=\"next\"",
                        model.base_url, start + per_page
                    ).as_str());
                }
                r
            }
            ("GET", "/repos/{owner}/{repo}/pulls") => {
                if query.get("state").is_some_and(|s| s != "open") {
                    model.errors.push("pulls listed with a state other than open".into());
                }
                let mut numbers: Vec<&u64> = model.pulls.keys().collect();
                numbers.sort();
                let items = numbers.into_iter().filter(|n| model.pulls[n].state == "open").map(|n| {
                    let p = &model.pulls[n];
                    json!({"number": n, "state": p.state, "head": {"sha": p.head_sha, "ref": "b"},
                           "base": {"sha": model.base_shas.get(n).cloned().unwrap_or_default(), "ref": "main"}})
                }).collect();
                paged(items)
            }
            ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews") => {
                let pr = number("pull_number");
                let items = model.reviews.iter().filter(|r| r.pr == pr)
                    .map(|r| json!({"id": r.id, "body": r.body, "commit_id": r.commit_id, "state": "COMMENTED"}))
                    .collect();
                paged(items)
            }
            ("POST", "/app/hook/deliveries/{delivery_id}/attempts") => {
                let id = number("delivery_id");
                model.redelivered.push(id);
                ResponseTemplate::new(202).set_body_json(json!({}))
            }
            ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}") => match model.pulls.get(&number("pull_number")) {
                Some(p) => {
                    let mut v = json!({
                        "number": number("pull_number"), "state": p.state, "head": {"sha": p.head_sha}
                    });
                    if let Some(base) = model.base_shas.get(&number("pull_number")) {
                        v["base"] = json!({"sha": base});
                    }
                    ResponseTemplate::new(200).set_body_json(v)
                }
                None => error(404, "Not Found"),
            },
            ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files") => {
                let Some(p) = model.pulls.get(&number("pull_number")) else { return error(404, "Not Found") };
                let files: Vec<Value> = p.files.iter().take(3000).map(|f| {
                    let mut v = json!({"sha": f.sha, "filename": f.filename, "status": f.status,
                        "additions": 1, "deletions": 0, "changes": 1,
                        "blob_url": "https://github.com/x", "raw_url": "https://github.com/x", "contents_url": "https://api.github.com/x"});
                    if let Some(patch) = &f.patch { v["patch"] = json!(patch); }
                    v
                }).collect();
                paged(files)
            }
            ("GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}") => match model.blobs.get(&params["file_sha"]) {
                Some(bytes) => ResponseTemplate::new(200).set_body_json(json!({
                    "sha": params["file_sha"], "node_id": "x", "url": "https://api.github.com/x", "size": bytes.len(),
                    "encoding": "base64",
                    "content": base64::engine::general_purpose::STANDARD.encode(bytes)
                })),
                None => error(404, "Not Found"),
            },
            ("GET", "/repos/{owner}/{repo}/contents/{path}") => {
                let path = percent_decode(&params["path"]);
                let Some(reference) = query.get("ref") else {
                    model.errors.push(format!("GET contents/{path} without ref: kubenudge reads a commit"));
                    return error(400, "ref required");
                };
                match model.contents.get(&(reference.clone(), path.clone())) {
                    Some(bytes) => ResponseTemplate::new(200).set_body_json(json!({
                        "type": "file", "encoding": "base64", "size": bytes.len(),
                        "name": path.rsplit('/').next().unwrap_or(""), "path": path,
                        "content": base64::engine::general_purpose::STANDARD.encode(bytes),
                        "sha": "0", "url": "x", "git_url": null, "html_url": null, "download_url": null,
                        "_links": {"git": null, "html": null, "self": "x"}
                    })),
                    None => error(404, "Not Found"),
                }
            }
            ("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}") => {
                if query.get("recursive").map(String::as_str) != Some("1") {
                    model.errors.push("GET git/trees without recursive=1".to_string());
                }
                match model.trees.get(&params["tree_sha"]) {
                    Some(entries) => {
                        let tree: Vec<Value> = entries.iter().map(|(path, sha)| json!({
                            "path": path, "mode": "100644", "type": "blob", "sha": sha,
                            "size": model.blobs.get(sha).map_or(0, Vec::len), "url": "x"
                        })).collect();
                        ResponseTemplate::new(200).set_body_json(json!({
                            "sha": params["tree_sha"], "url": "x", "truncated": false, "tree": tree
                        }))
                    }
                    None => error(404, "Not Found"),
                }
            }
            ("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs") => {
                let name = query.get("check_name").cloned();
                let runs: Vec<Value> = model.check_runs.iter()
                    .filter(|r| r.head_sha == params["ref"] && name.as_ref().is_none_or(|n| *n == r.name))
                    .map(run_json).collect();
                ResponseTemplate::new(200).set_body_json(json!({"total_count": runs.len(), "check_runs": runs}))
            }
            ("POST", "/repos/{owner}/{repo}/check-runs") => {
                let id = model.id();
                let mut run = CheckRunRecord {
                    id,
                    head_sha: b["head_sha"].as_str().unwrap_or("").to_string(),
                    name: b["name"].as_str().unwrap_or("").to_string(),
                    status: b["status"].as_str().unwrap_or("queued").to_string(),
                    conclusion: None,
                    external_id: b["external_id"].as_str().map(str::to_string),
                    title: String::new(),
                    summary: String::new(),
                    annotations: Vec::new(),
                    annotation_batches: Vec::new(),
                    details_url: b["details_url"].as_str().map(str::to_string),
                };
                apply_run_update(&mut run, b);
                let v = run_json(&run);
                model.check_runs.push(run);
                ResponseTemplate::new(201).set_body_json(v)
            }
            ("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}") => {
                let id = number("check_run_id");
                let Some(run) = model.check_runs.iter_mut().find(|r| r.id == id) else { return error(404, "Not Found") };
                apply_run_update(run, b);
                let v = run_json(run);
                ResponseTemplate::new(200).set_body_json(v)
            }
            ("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews") => {
                let pr = number("pull_number");
                let Some(pull) = model.pulls.get(&pr).cloned() else { return error(404, "Not Found") };
                let comments = b["comments"].as_array().cloned().unwrap_or_default();
                for c in &comments {
                    let path = c["path"].as_str().unwrap_or("");
                    let Some(file) = pull.files.iter().find(|f| f.filename == path) else {
                        model.rejected_reviews += 1;
                        return error(422, "Pull request review thread path is invalid");
                    };
                    let hunks = file.patch.as_deref().map(hunks).unwrap_or_default();
                    let line = c["line"].as_u64().unwrap_or(0);
                    let Some(hunk) = hunks.iter().find(|(s, e)| *s <= line && line <= *e) else {
                        model.rejected_reviews += 1;
                        return error(422, "Pull request review thread line must be part of the diff");
                    };
                    if c["side"].as_str() != Some("RIGHT") {
                        model.errors.push(format!("review comment not on the RIGHT side: {c}"));
                    }
                    if let Some(start) = c["start_line"].as_u64() {
                        if start >= line {
                            model.rejected_reviews += 1;
                            return error(422, "Pull request review thread start line must precede the end line.");
                        }
                        if start < hunk.0 {
                            model.rejected_reviews += 1;
                            return error(422, "Pull request review thread start line must be part of the same hunk as the line.");
                        }
                    }
                }
                // GitHub refuses a batch whose suggestions overlap (one could not be applied
                // after the other).
                let mut suggested: Vec<(&str, u64, u64)> = Vec::new();
                for c in &comments {
                    if !c["body"].as_str().unwrap_or("").contains("```suggestion") {
                        continue;
                    }
                    let path = c["path"].as_str().unwrap_or("");
                    let line = c["line"].as_u64().unwrap_or(0);
                    let start = c["start_line"].as_u64().unwrap_or(line);
                    if suggested.iter().any(|(p, s, e)| *p == path && *s <= line && start <= *e) {
                        model.rejected_reviews += 1;
                        model.errors.push(format!("overlapping suggestions on {path} lines {start}-{line}"));
                        return error(422, "Pull request review thread suggestions overlap");
                    }
                    suggested.push((path, start, line));
                }
                let commit = b["commit_id"].as_str().unwrap_or(&pull.head_sha).to_string();
                let review_id = model.id();
                model.reviews.push(ReviewRecord {
                    id: review_id,
                    pr,
                    event: b["event"].as_str().unwrap_or("").to_string(),
                    comments: comments.len(),
                    commit_id: commit.clone(),
                    body: b["body"].as_str().unwrap_or("").to_string(),
                });
                for c in comments {
                    let id = model.id();
                    model.review_comments.push(ReviewCommentRecord {
                        id,
                        pr,
                        path: c["path"].as_str().unwrap_or("").to_string(),
                        line: c["line"].as_u64().unwrap_or(0),
                        start_line: c["start_line"].as_u64(),
                        body: c["body"].as_str().unwrap_or("").to_string(),
                        commit_id: commit.clone(),
                    });
                }
                ResponseTemplate::new(200).set_body_json(json!({"id": review_id, "state": "COMMENTED"}))
            }
            ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/comments") => {
                let pr = number("pull_number");
                let items = model.review_comments.iter().filter(|c| c.pr == pr)
                    .map(|c| json!({"id": c.id, "body": c.body, "path": c.path, "line": c.line, "start_line": c.start_line, "commit_id": c.commit_id}))
                    .collect();
                paged(items)
            }
            ("PATCH", "/repos/{owner}/{repo}/pulls/comments/{comment_id}") => {
                let id = number("comment_id");
                match model.review_comments.iter_mut().find(|c| c.id == id) {
                    Some(c) => {
                        c.body = b["body"].as_str().unwrap_or("").to_string();
                        ResponseTemplate::new(200).set_body_json(json!({"id": id, "body": c.body}))
                    }
                    None => error(404, "Not Found"),
                }
            }
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments") => {
                let pr = number("issue_number");
                let items = model.issue_comments.iter().filter(|c| c.pr == pr)
                    .map(|c| json!({"id": c.id, "body": c.body})).collect();
                paged(items)
            }
            ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments") => {
                let id = model.id();
                let body = b["body"].as_str().unwrap_or("").to_string();
                model.issue_comments.push(IssueCommentRecord { id, pr: number("issue_number"), body: body.clone(), edits: 0 });
                ResponseTemplate::new(201).set_body_json(json!({"id": id, "body": body}))
            }
            ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}") => {
                let id = number("comment_id");
                match model.issue_comments.iter_mut().find(|c| c.id == id) {
                    Some(c) => {
                        c.body = b["body"].as_str().unwrap_or("").to_string();
                        c.edits += 1;
                        ResponseTemplate::new(200).set_body_json(json!({"id": id, "body": c.body}))
                    }
                    None => error(404, "Not Found"),
                }
            }
            _ => {
                model.errors.push(format!("{method} {}: operation not modelled by the fake", op.name));
                error(404, "Not Found")
            }
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn apply_run_update(run: &mut CheckRunRecord, b: &Value) {
    if let Some(s) = b["status"].as_str() {
        run.status = s.to_string();
    }
    if let Some(c) = b["conclusion"].as_str() {
        run.conclusion = Some(c.to_string());
        run.status = "completed".to_string();
    }
    if let Some(o) = b.get("output") {
        if let Some(t) = o["title"].as_str() {
            run.title = t.to_string();
        }
        if let Some(s) = o["summary"].as_str() {
            run.summary = s.to_string();
        }
        if let Some(a) = o["annotations"].as_array() {
            run.annotation_batches.push(a.len());
            run.annotations.extend(a.iter().cloned());
        }
    }
}

fn run_json(r: &CheckRunRecord) -> Value {
    json!({"id": r.id, "name": r.name, "head_sha": r.head_sha, "status": r.status,
           "conclusion": r.conclusion, "external_id": r.external_id,
           "output": {"title": r.title, "summary": r.summary, "annotations_count": r.annotations.len()}})
}

impl Responder {
    fn check_jwt(&self, token: &str) -> Result<(), String> {
        #[derive(serde::Deserialize)]
        struct Claims {
            iat: i64,
            exp: i64,
            iss: String,
        }
        let mut v = Validation::new(Algorithm::RS256);
        v.set_required_spec_claims(&["exp", "iat", "iss"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.public_key, &v)
            .map_err(|e| e.to_string())?;
        let now = chrono::Utc::now().timestamp();
        let c = data.claims;
        if c.iss != APP_ID.to_string() {
            return Err(format!("iss {} is not the app id", c.iss));
        }
        if !(now - 70..=now - 50).contains(&c.iat) {
            return Err(format!("iat {} is not about 60 s in the past", c.iat));
        }
        if c.exp > now + 600 || c.exp <= now {
            return Err(format!("exp {} is not within 10 minutes", c.exp));
        }
        Ok(())
    }
}

impl FakeGitHub {
    pub async fn start() -> FakeGitHub {
        let server = MockServer::start().await;
        let model = Arc::new(Mutex::new(Model {
            base_url: server.uri(),
            ..Model::default()
        }));
        let public_key = DecodingKey::from_rsa_pem(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/github/test-app-key.pub.pem"
            ))
            .unwrap(),
        )
        .unwrap();
        Mock::given(any())
            .respond_with(Responder {
                model: Arc::clone(&model),
                operations: Arc::new(load_operations()),
                public_key,
            })
            .mount(&server)
            .await;
        FakeGitHub { server, model }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn model(&self) -> std::sync::MutexGuard<'_, Model> {
        self.model.lock().unwrap()
    }

    /// Requests logged so far.
    pub fn request_count(&self) -> usize {
        self.model().requests.len()
    }

    pub fn requests_since(&self, from: usize) -> Vec<LoggedRequest> {
        self.model().requests[from..].to_vec()
    }
}
