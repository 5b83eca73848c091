//! The pages people open, in a real browser: headless Chromium driven through chromedriver
//! (WebDriver, `fantoccini`) against the real server. The set-up flow runs against the fake
//! GitHub's side of the App-manifest flow; the rule pages are reached from a review comment's
//! link. Screenshots of every page land in `target/tmp/browser-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::manifest_flow::{self, CREATED_APP_ID, CREATED_WEBHOOK_SECRET};
use crate::support::*;
use fantoccini::{Client, ClientBuilder, Locator};
use kubenudge::server::setup_router;
use serde_json::json;

/// One browser at a time: the machine has few cores and each test drives a whole Chromium.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const CHROMEDRIVER: &str = "chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free loopback port, stopped on drop.
struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser() -> (Driver, Client) {
    // octocrab and fantoccini bring different rustls crypto back ends; pick one for the process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} not found: install Debian's chromium and chromium-driver \
         (apt-get install -y chromium chromium-driver; .ci/run does it)"
    );
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {CHROMEDRIVER} ({e}): install Debian's chromium-driver (.ci/run does it)")
        });
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver {
        child,
        port,
        _profile: profile,
    };
    let user_data_dir = format!("--user-data-dir={}", driver._profile.path().display());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1200,1000",
                user_data_dir,
            ],
        }),
    );
    // chromedriver needs a moment to listen; poll its port until it answers or 20 s pass.
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = loop {
        match ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
        {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("chromedriver did not start a browser session: {e}"),
        }
    };
    (driver, client)
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn snap(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    match c.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap(),
        Err(e) => panic!("no {css} on {:?}: {e}", c.current_url().await),
    }
}

/// The page's `h1` once it reads `want` (a navigation the last click started), or whatever it
/// reads after 15 s.
/// Clicks the element `at` finds (which must exist).
async fn click(c: &Client, at: Locator<'_>) {
    c.find(at).await.unwrap().click().await.unwrap();
}

async fn heading_becomes(c: &Client, want: &str) -> String {
    text_becomes(c, "h1", |now| now == want).await
}

/// The text of `css` once `done` accepts it, or whatever it is after 15 s. A click on a
/// submit button returns before the next page has loaded, so a read right after it can
/// still see the old page.
async fn text_becomes(c: &Client, css: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let now = match c.find(Locator::Css(css)).await {
            // The element can go stale while the next page loads.
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if done(&now) || std::time::Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_creates_the_app_on_github_stores_its_credentials_and_closes() {
    let _one = BROWSER.lock().await;
    let fake = fake_github::FakeGitHub::start().await;
    let pem = std::fs::read_to_string(data("test-app-key.pem")).unwrap();
    let flow = manifest_flow::mount(&fake, &pem).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("kubenudge-app");
    let setup = manifest_flow::service(&fake, None, creds.clone());
    let base = serve(setup_router(Arc::clone(&setup))).await;
    let (_driver, c) = browser().await;

    // The person opens /setup: what it is for, where webhooks will go, one button.
    c.goto(&format!("{base}/setup")).await.unwrap();
    snap(&c, "setup-form").await;
    assert_eq!(text(&c, "h1").await, "Set up kubenudge");
    let page = text(&c, "main").await;
    assert!(page.contains(&format!("{base}/webhook")), "{page}");
    assert!(page.contains("your personal account"), "{page}");

    // They choose an organization, then create the App there.
    c.find(Locator::Id("org"))
        .await
        .unwrap()
        .send_keys("acme-corp")
        .await
        .unwrap();
    click(&c, Locator::Id("use-org")).await;
    let create = text_becomes(&c, "#create-app", |now| {
        now.contains("the organization acme-corp")
    })
    .await;
    assert!(
        create.contains("the organization acme-corp"),
        "{create}\n{}",
        text(&c, "main").await
    );
    snap(&c, "setup-form-organization").await;
    click(&c, Locator::Id("create")).await;

    // GitHub created the App and sent the browser back; the code was exchanged. The click
    // does not wait for that round trip (two redirects), so wait for the page.
    assert_eq!(
        heading_becomes(&c, "kubenudge is set up").await,
        "kubenudge is set up"
    );
    snap(&c, "setup-done").await;
    let page = text(&c, "main").await;
    assert!(page.contains(&format!("App ID {CREATED_APP_ID}")), "{page}");
    let shown = std::fs::canonicalize(&creds).unwrap().display().to_string();
    assert!(page.contains(&shown), "{page}");
    let install = c.find(Locator::Id("install")).await.unwrap();
    assert_eq!(
        install.attr("href").await.unwrap().as_deref(),
        Some(format!("{}/apps/kubenudge-test/installations/new", fake.uri()).as_str())
    );
    {
        let flow = flow.lock().unwrap();
        assert!(flow.errors.is_empty(), "{:?}", flow.errors);
        assert_eq!(flow.created.len(), 1);
        let (org, manifest) = &flow.created[0];
        assert_eq!(org.as_deref(), Some("acme-corp"));
        assert_eq!(
            manifest["hook_attributes"]["url"],
            format!("{base}/webhook")
        );
        assert_eq!(manifest["redirect_url"], format!("{base}/setup/callback"));
        assert_eq!(flow.exchanged, [manifest_flow::CODE]);
    }

    // The credentials are where `kubenudge serve` reads them, readable by this user only.
    let read = |f: &str| std::fs::read_to_string(creds.join(f)).unwrap();
    assert_eq!(read("app-id").trim(), CREATED_APP_ID.to_string());
    assert_eq!(read("webhook-secret"), CREATED_WEBHOOK_SECRET);
    assert_eq!(read("private-key.pem"), pem);
    #[cfg(unix)]
    for f in ["app-id", "private-key.pem", "webhook-secret"] {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(creds.join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }
    let settings = kubenudge::server::Settings::from_env(|name| match name {
        "KUBENUDGE_APP_CREDENTIALS_DIR" => Some(creds.display().to_string()),
        _ => None,
    })
    .expect("serve reads the stored credentials");
    assert_eq!(settings.app_id, CREATED_APP_ID);
    assert!(setup.configured());

    // The install link leads to GitHub's install page for the new App.
    install.click().await.unwrap();
    assert_eq!(
        heading_becomes(&c, "Install kubenudge-test").await,
        "Install kubenudge-test"
    );

    // Set-up is closed now, and a replayed callback does nothing.
    c.goto(&format!("{base}/setup")).await.unwrap();
    assert_eq!(text(&c, "h1").await, "kubenudge is already set up");
    snap(&c, "setup-refused").await;
    c.goto(&format!(
        "{base}/setup/callback?code={}&state=x",
        manifest_flow::CODE
    ))
    .await
    .unwrap();
    assert_eq!(
        heading_becomes(&c, "kubenudge is already set up").await,
        "kubenudge is already set up"
    );
    assert_eq!(flow.lock().unwrap().exchanged.len(), 1);
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_or_replayed_callback_is_refused_with_a_way_back() {
    let _one = BROWSER.lock().await;
    let fake = fake_github::FakeGitHub::start().await;
    let flow = manifest_flow::mount(&fake, "pem").await;
    let dir = tempfile::tempdir().unwrap();
    let setup = manifest_flow::service(
        &fake,
        Some("https://kubenudge.example.com"),
        dir.path().join("creds"),
    );
    let base = serve(setup_router(Arc::clone(&setup))).await;
    let (_driver, c) = browser().await;
    // A callback this service did not start (no matching state): no exchange happens.
    c.goto(&format!(
        "{base}/setup/callback?code={}&state=forged",
        manifest_flow::CODE
    ))
    .await
    .unwrap();
    assert_eq!(
        heading_becomes(&c, "Set-up did not finish").await,
        "Set-up did not finish"
    );
    assert!(
        text(&c, "#problem")
            .await
            .contains("does not belong to a set-up started here")
    );
    snap(&c, "setup-forged-callback").await;
    assert!(flow.lock().unwrap().exchanged.is_empty());
    // "Start again" leads back to the form, which uses the public URL.
    click(&c, Locator::LinkText("Start again")).await;
    assert_eq!(
        heading_becomes(&c, "Set up kubenudge").await,
        "Set up kubenudge"
    );
    assert!(
        text(&c, "main")
            .await
            .contains("https://kubenudge.example.com/webhook")
    );
    assert!(!setup.configured());
    assert!(!dir.path().join("creds").exists());
    c.close().await.unwrap();
}

const HEAD: &str = "1111111111111111111111111111111111111111";

/// Missing `allowPrivilegeEscalation: false` at restricted.
const API: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: api
          image: registry.example.com/api:1.0
          securityContext:
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_comment_links_to_the_rule_page_with_the_repository_help() {
    let _one = BROWSER.lock().await;
    let h = Harness::start_with(Options {
        public_url: true,
        ..Options::default()
    })
    .await;
    h.set_commit(
        BASE_SHA,
        &[(
            ".github/kubenudge.yml",
            "help:\n  contact: \"#platform-security on Slack\"\n  exceptions: https://wiki.example.com/psa-exceptions\n",
        )],
    );
    h.set_pull(1, HEAD, &[ChangedFile::added("deploy/api.yaml", API)]);
    h.review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    let comment = h.fake.model().review_comments[0].body.clone();
    let base = format!("http://{}", h.addr);
    let link = comment
        .split(['(', ')'])
        .find(|part| part.starts_with(&format!("{base}/rules/")))
        .unwrap_or_else(|| panic!("no link to this service's rule pages in\n{comment}"))
        .to_string();
    assert_eq!(
        link,
        format!("{base}/rules/pod-security/allow-privilege-escalation?repo=Codertocat/Hello-World")
    );

    // The summary links to the same pages; nothing points to a GitHub repository the
    // self-hosting team does not have.
    let summary = h.fake.model().issue_comments[0].body.clone();
    assert!(
        summary.contains(&format!(
            "({base}/rules/pod-security/allow-privilege-escalation?repo=Codertocat/Hello-World)"
        )),
        "{summary}"
    );
    assert!(
        !summary.contains("github.com/kubenudge") && !comment.contains("github.com/kubenudge"),
        "{summary}\n{comment}"
    );

    let (_driver, c) = browser().await;
    c.goto(&link).await.unwrap();
    snap(&c, "rule-page-with-repository-help").await;
    assert_eq!(
        text(&c, "h1").await,
        "pod-security/allow-privilege-escalation"
    );
    let help = text(&c, "#repository-help").await;
    assert!(help.contains("Help in Codertocat/Hello-World"), "{help}");
    assert!(
        help.contains("Questions: #platform-security on Slack"),
        "{help}"
    );
    let exceptions = c
        .find(Locator::Css("#repository-help a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert_eq!(
        exceptions.as_deref(),
        Some("https://wiki.example.com/psa-exceptions")
    );
    // The same sections as `kubenudge explain`, as headings, with the YAML as code blocks.
    let headings = c.find_all(Locator::Css("main h2")).await.unwrap();
    let mut names = Vec::new();
    for h2 in headings {
        names.push(h2.text().await.unwrap());
    }
    for section in ["What it does", "Why it matters", "Fix safety", "Edge cases"] {
        assert!(
            names.iter().any(|n| n == section),
            "{section} not in {names:?}"
        );
    }
    assert!(
        !c.find_all(Locator::Css("pre code"))
            .await
            .unwrap()
            .is_empty()
    );

    // From the page to the index, and on to another rule.
    click(&c, Locator::LinkText("← All rules")).await;
    assert_eq!(heading_becomes(&c, "Rules").await, "Rules");
    snap(&c, "rules-index").await;
    let links = c.find_all(Locator::Css("main table a")).await.unwrap();
    assert_eq!(links.len(), kubenudge::rules::all().len());
    click(&c, Locator::LinkText("pod-security/privileged")).await;
    assert_eq!(
        heading_becomes(&c, "pod-security/privileged").await,
        "pod-security/privileged"
    );
    assert!(c.find(Locator::Id("repository-help")).await.is_err());

    // A mistyped rule gets a page that says so, and a way on.
    c.goto(&format!("{base}/rules/pod-security/privilegd"))
        .await
        .unwrap();
    assert_eq!(heading_becomes(&c, "Not found").await, "Not found");
    assert!(
        text(&c, "main")
            .await
            .contains("There is no rule \"pod-security/privilegd\"")
    );
    snap(&c, "rule-not-found").await;
    // Set-up is closed on a service that has an App.
    c.goto(&format!("{base}/setup")).await.unwrap();
    assert_eq!(text(&c, "h1").await, "kubenudge is already set up");
    c.close().await.unwrap();
}
