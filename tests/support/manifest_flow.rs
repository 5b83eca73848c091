//! GitHub's side of the App-manifest flow on the fake GitHub's server: the web form endpoint
//! (`POST /settings/apps/new`, or `/organizations/{org}/settings/apps/new`) that "creates" the
//! App and redirects to the manifest's `redirect_url` with a one-time code and the caller's
//! `state`; `POST /app-manifests/{code}/conversions` that answers once per code with the
//! App's credentials (the shape of GitHub's 201 response, per the REST docs of "Create a
//! GitHub App from a manifest"); and the App's install page. Mounted before the stateful fake,
//! so its routes win.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use super::fake_github::FakeGitHub;
use kubenudge::server::{SetupService, SetupSettings};

pub const CREATED_APP_ID: u64 = 90210;
pub const CREATED_WEBHOOK_SECRET: &str = "whsec-made-by-the-fake-github";
pub const CODE: &str = "a180b1a3d263c81bc6441d7b990bae27d4c10679";

#[derive(Debug, Default)]
pub struct ManifestFlow {
    /// Manifests received by the form endpoint, with the owner they were posted for.
    pub created: Vec<(Option<String>, Value)>,
    /// Codes exchanged (each works once).
    pub exchanged: Vec<String>,
    pub errors: Vec<String>,
}

struct NewApp {
    flow: Arc<Mutex<ManifestFlow>>,
}

struct Conversion {
    flow: Arc<Mutex<ManifestFlow>>,
    base: String,
    pem: String,
}

fn form_value(body: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| form_decode(v))
    })
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Respond for NewApp {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut flow = self.flow.lock().unwrap();
        let org = request
            .url
            .path()
            .strip_prefix("/organizations/")
            .and_then(|rest| rest.split('/').next())
            .map(str::to_string);
        let state = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned());
        let Some(manifest) = form_value(&request.body, "manifest") else {
            flow.errors.push("no manifest field in the form".into());
            return ResponseTemplate::new(422).set_body_string("manifest missing");
        };
        let manifest: Value = match serde_json::from_str(&manifest) {
            Ok(v) => v,
            Err(e) => {
                flow.errors.push(format!("manifest is not JSON: {e}"));
                return ResponseTemplate::new(422).set_body_string("manifest is not JSON");
            }
        };
        let Some(redirect) = manifest["redirect_url"].as_str().map(str::to_string) else {
            flow.errors.push("manifest has no redirect_url".into());
            return ResponseTemplate::new(422).set_body_string("redirect_url missing");
        };
        flow.created.push((org, manifest));
        let mut location = format!("{redirect}?code={CODE}");
        if let Some(state) = state {
            location.push_str(&format!("&state={state}"));
        }
        ResponseTemplate::new(302).insert_header("location", location.as_str())
    }
}

impl Respond for Conversion {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut flow = self.flow.lock().unwrap();
        let code = request
            .url
            .path()
            .trim_start_matches("/app-manifests/")
            .trim_end_matches("/conversions")
            .to_string();
        if code != CODE || flow.exchanged.contains(&code) {
            flow.exchanged.push(code);
            return ResponseTemplate::new(404).set_body_json(json!({
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest"
            }));
        }
        flow.exchanged.push(code);
        let name = flow
            .created
            .last()
            .and_then(|(_, m)| m["name"].as_str().map(str::to_string))
            .unwrap_or_else(|| "kubenudge".into());
        ResponseTemplate::new(201).set_body_json(json!({
            "id": CREATED_APP_ID,
            "slug": "kubenudge-test",
            "node_id": "MDM6QXBwNTk=",
            "owner": {"login": "octocat", "id": 1, "type": "User"},
            "name": name,
            "description": "",
            "external_url": "https://kubenudge.example.com",
            "html_url": format!("{}/apps/kubenudge-test", self.base),
            "created_at": "2026-12-06T16:00:00Z",
            "updated_at": "2026-12-06T16:00:00Z",
            "permissions": {"checks": "write", "contents": "read", "metadata": "read", "pull_requests": "write"},
            "events": ["pull_request", "check_run", "check_suite"],
            "client_id": "Iv1.8a61f9b3a7aba766",
            "client_secret": "1726be1638095a19edd134c77bde3aa2ece1e5d8",
            "webhook_secret": CREATED_WEBHOOK_SECRET,
            "pem": self.pem,
        }))
    }
}

/// Mounts the flow on `fake`; `pem` is the private key the conversion hands out.
pub async fn mount(fake: &FakeGitHub, pem: &str) -> Arc<Mutex<ManifestFlow>> {
    let flow = Arc::new(Mutex::new(ManifestFlow::default()));
    Mock::given(method("POST"))
        .and(path_regex(
            r"^(/organizations/[A-Za-z0-9-]+)?/settings/apps/new$",
        ))
        .respond_with(NewApp {
            flow: Arc::clone(&flow),
        })
        .with_priority(1)
        .mount(&fake.server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/app-manifests/[^/]+/conversions$"))
        .respond_with(Conversion {
            flow: Arc::clone(&flow),
            base: fake.uri(),
            pem: pem.to_string(),
        })
        .with_priority(1)
        .mount(&fake.server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/apps/kubenudge-test/installations/new$"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<!DOCTYPE html><title>Install kubenudge-test</title><h1>Install kubenudge-test</h1>",
            "text/html; charset=utf-8",
        ))
        .with_priority(1)
        .mount(&fake.server)
        .await;
    flow
}

/// Set-up settings against `fake` (API and web), storing into `credentials_dir`.
pub fn settings(
    fake: &FakeGitHub,
    listen: std::net::SocketAddr,
    public_url: Option<&str>,
    credentials_dir: std::path::PathBuf,
) -> SetupSettings {
    SetupSettings {
        listen,
        api_url: fake.uri(),
        web_url: fake.uri(),
        public_url: public_url.map(str::to_string),
        credentials_dir,
    }
}

/// A set-up service against `fake` (its listen address unused: tests serve its router).
pub fn service(
    fake: &FakeGitHub,
    public_url: Option<&str>,
    credentials_dir: std::path::PathBuf,
) -> Arc<SetupService> {
    SetupService::new(
        settings(
            fake,
            ([127, 0, 0, 1], 0).into(),
            public_url,
            credentials_dir,
        ),
        kubenudge::github::RetryPolicy::default(),
    )
}

/// The `state` a set-up form carries in its action URL (GitHub sends it back).
pub fn form_state(form: &str) -> String {
    form.split("state=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form carries a state")
        .to_string()
}
