//! Nothing lost, nothing posted twice: the real `kubenudge serve` binary killed with SIGKILL
//! and restarted on the same SQLite store, replicas sharing one PostgreSQL database,
//! ambiguous GitHub answers, redeliveries and fork pull requests — all through the fake
//! GitHub (tests/support/fake_github.rs).

use crate::support;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::fake_github::FakeGitHub;
use crate::support::postgres::TempPostgres;
use crate::support::*;
use secrecy::SecretString;

const SHA1: &str = "1111111111111111111111111111111111111111";
const SHA2: &str = "2222222222222222222222222222222222222222";

fn insecure() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/insecure-deployment.yaml"
    ))
    .unwrap()
}

/// `kubenudge serve` as a child process on a free port.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: std::path::PathBuf,
}

impl Server {
    fn start(fake: &FakeGitHub, database_url: &str, dir: &std::path::Path, name: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_kubenudge"))
            .arg("serve")
            .env_clear()
            .env("GITHUB_APP_ID", fake_github::APP_ID.to_string())
            .env(
                "GITHUB_APP_PRIVATE_KEY_PATH",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/data/github/test-app-key.pem"
                ),
            )
            .env("GITHUB_WEBHOOK_SECRET", SECRET)
            .env("GITHUB_API_URL", fake.uri())
            .env("KUBENUDGE_LISTEN", addr.to_string())
            .env("KUBENUDGE_DATABASE_URL", database_url)
            // A dead worker's job is taken over after two seconds.
            .env("KUBENUDGE_LEASE_SECONDS", "2")
            .env("RUST_LOG", "kubenudge=debug")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("kubenudge binary starts");
        Server { child, addr, log }
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok()
                && http(self.addr, "GET", "/readyz", &[], b"", None).await.0 == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server not ready: {}", self.log_text());
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn deliver(&self, event: &str, delivery: &str, payload: &serde_json::Value) -> u16 {
        let body = serde_json::to_vec(payload).unwrap();
        let sig = signature::sign(&SecretString::from(SECRET), &body);
        http(
            self.addr,
            "POST",
            "/webhook",
            &[
                ("X-GitHub-Event", event),
                ("X-GitHub-Delivery", delivery),
                ("X-Hub-Signature-256", &sig),
            ],
            &body,
            None,
        )
        .await
        .0
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

use crate::support::fake_github;
use kubenudge::server::signature;

/// Waits (up to 60 s) until `done` holds of the fake's model.
async fn until(fake: &FakeGitHub, what: &str, done: impl Fn(&fake_github::Model) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if done(&fake.model()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let m = fake.model();
    panic!(
        "timed out waiting for {what}: {} check runs, {} reviews, {} issue comments",
        m.check_runs.len(),
        m.reviews.len(),
        m.issue_comments.len()
    );
}

fn reviewed_once(m: &fake_github::Model) {
    assert_eq!(m.check_runs.len(), 1, "one check run: {:?}", m.check_runs);
    assert_eq!(m.check_runs[0].status, "completed");
    assert_eq!(m.check_runs[0].conclusion.as_deref(), Some("neutral"));
    assert_eq!(m.reviews.len(), 1, "one review");
    assert_eq!(m.review_comments.len(), 2, "no duplicate comment");
    assert_eq!(m.issue_comments.len(), 1, "one summary");
    assert!(m.issue_comments[0].body.contains(SHA1));
    assert!(m.errors.is_empty(), "{:?}", m.errors);
}

fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}", dir.join("kubenudge.db").display())
}

/// The review's request that reaches GitHub but whose answer is held back.
const POST_REVIEW: (&str, &str) = ("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews");
const PATCH_RUN: (&str, &str) = ("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}");

/// A binary reviewing PR 1, held where `held` reached GitHub (until `reached` holds of the
/// fake), its answer coming only after `answer_after`.
async fn review_in_flight(
    h: &Harness,
    dir: &std::path::Path,
    held: (&'static str, &'static str),
    reached: impl Fn(&fake_github::Model) -> bool,
    answer_after: Duration,
) -> (Server, String) {
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    let url = sqlite_url(dir);
    h.fake.model().delays.push((held.0, held.1, answer_after));
    let server = Server::start(&h.fake, &url, dir, "first");
    server.wait_ready().await;
    assert_eq!(
        server
            .deliver("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
            .await,
        202
    );
    until(&h.fake, "the held request to reach GitHub", reached).await;
    (server, url)
}

#[tokio::test]
async fn killed_while_posting_the_review_then_restarted_the_review_completes_once() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    // GitHub takes the review but the answer never arrives before the kill.
    let (mut first, url) = review_in_flight(
        &h,
        dir.path(),
        POST_REVIEW,
        |m| m.reviews.len() == 1,
        Duration::from_secs(120),
    )
    .await;
    first.kill();
    h.fake.model().delays.clear();
    {
        let m = h.fake.model();
        assert_eq!(m.check_runs[0].status, "in_progress", "killed mid-review");
        assert!(m.issue_comments.is_empty());
    }

    let second = Server::start(&h.fake, &url, dir.path(), "second");
    second.wait_ready().await;
    until(&h.fake, "the summary", |m| !m.issue_comments.is_empty()).await;
    reviewed_once(&h.fake.model());
    // The logs name the work but never a secret.
    for log in [first.log_text(), second.log_text()] {
        assert!(log.contains("d1"), "{log}");
        assert!(!log.contains(SECRET) && !log.contains("ghs_"), "{log}");
    }
}

#[tokio::test]
async fn killed_right_after_the_202_the_review_still_happens_once() {
    let h = Harness::start().await;
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let mut first = Server::start(&h.fake, &url, dir.path(), "first");
    first.wait_ready().await;
    let status = first
        .deliver("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
        .await;
    first.kill();
    assert_eq!(status, 202);

    let second = Server::start(&h.fake, &url, dir.path(), "second");
    second.wait_ready().await;
    until(&h.fake, "the summary", |m| !m.issue_comments.is_empty()).await;
    // GitHub retrying the same delivery changes nothing.
    assert_eq!(
        second
            .deliver("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
            .await,
        200
    );
    reviewed_once(&h.fake.model());
    let (_, metrics) = http(second.addr, "GET", "/metrics", &[], b"", None).await;
    assert!(
        metrics.contains("kubenudge_jobs{state=\"done\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kubenudge_deliveries_stored 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_adopted_not_repeated() {
    let h = Harness::start().await;
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    {
        let mut m = h.fake.model();
        for op in [
            "/repos/{owner}/{repo}/check-runs",
            "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
            "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        ] {
            m.ambiguous.push(("POST", op, 1));
        }
    }
    h.review("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
        .await;
    reviewed_once(&h.fake.model());
    assert!(
        h.fake.model().ambiguous.is_empty(),
        "every create hit a 502"
    );
}

#[tokio::test]
async fn failed_deliveries_are_redelivered_once_each_and_successful_ones_never() {
    let h = Harness::start().await;
    let now = chrono::Utc::now();
    let at = (now - chrono::Duration::hours(1)).to_rfc3339();
    let delivery = |id: u64, guid: &str, status_code: u16| {
        serde_json::json!({"id": id, "guid": guid, "delivered_at": at, "redelivery": false,
            "duration": 0.1, "status": if status_code == 202 { "OK" } else { "failed" },
            "status_code": status_code, "event": "pull_request",
            "action": "opened", "installation_id": 4242, "repository_id": 1})
    };
    // 250 deliveries (three pages): g-ok succeeded, g-fixed failed then succeeded on a
    // redelivery, g-down failed twice, 247 others succeeded.
    let mut list = vec![
        delivery(1000, "g-down", 502),
        delivery(999, "g-fixed", 202),
        delivery(998, "g-ok", 202),
    ];
    for i in 0..247 {
        list.push(delivery(900 - i, &format!("g{i}"), 202));
    }
    list.push(delivery(10, "g-fixed", 502));
    list.push(delivery(9, "g-down", 0));
    h.fake.model().hook_deliveries = list;
    let first =
        kubenudge::server::redeliver_failed_deliveries(&h.service.github, &h.service.store, now)
            .await
            .unwrap();
    assert_eq!(first, 1);
    assert_eq!(
        h.fake.model().redelivered,
        vec![1000],
        "the latest attempt of g-down"
    );
    let pages = h
        .fake
        .model()
        .requests
        .iter()
        .filter(|r| r.operation == "/app/hook/deliveries")
        .count();
    assert_eq!(pages, 3);
    // The next round (this replica or another) does not ask again.
    let again =
        kubenudge::server::redeliver_failed_deliveries(&h.service.github, &h.service.store, now)
            .await
            .unwrap();
    assert_eq!(again, 0);
    assert_eq!(h.fake.model().redelivered, vec![1000]);
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn a_fork_pull_requests_rerequested_check_suite_is_reviewed() {
    let h = Harness::start().await;
    h.set_pull(
        3,
        SHA2,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    h.set_pull(
        5,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    // A fork's check suite names no pull request, and kubenudge never saw this head before.
    h.review(
        "check_suite",
        "d1",
        &check_suite_event("rerequested", SHA1, &[]),
    )
    .await;
    {
        let m = h.fake.model();
        assert_eq!(m.check_runs.len(), 1);
        assert_eq!(m.check_runs[0].head_sha, SHA1);
        assert_eq!(
            m.check_runs[0].external_id.as_deref(),
            Some("kubenudge:pr=5")
        );
        assert_eq!(
            m.check_runs[0].details_url.as_deref(),
            Some("https://github.com/Codertocat/Hello-World/pull/5")
        );
        assert_eq!(m.review_summaries(), vec![(5, "COMMENT".to_string(), 2)]);
        assert_eq!(m.issue_comments.len(), 1);
        assert!(
            m.requests
                .iter()
                .any(|r| r.operation == "/repos/{owner}/{repo}/pulls"),
            "found through the open pull requests"
        );
    }
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn two_replicas_sharing_postgresql_post_one_check_run_and_one_set_of_comments() {
    let pg = TempPostgres::start();
    let a = Harness::start_with(Options {
        database_url: Some(pg.url()),
        ..Options::default()
    })
    .await;
    let b = Harness::start_with(Options {
        database_url: Some(pg.url()),
        fake_uri: Some(a.fake.uri()),
        ..Options::default()
    })
    .await;
    a.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    a.set_pull(
        2,
        SHA2,
        &[ChangedFile::added("deploy/api.yaml", &insecure())],
    );
    // GitHub delivers each event once, but a load balancer retrying, or both replicas
    // receiving it, must not double the review.
    let deliveries = [
        ("pull_request", "d1", pull_request_event("opened", 1, SHA1)),
        (
            "check_suite",
            "d2",
            check_suite_event("requested", SHA1, &[(1, SHA1)]),
        ),
        ("pull_request", "d3", pull_request_event("opened", 2, SHA2)),
    ];
    let mut accepted = 0;
    for (event, id, payload) in &deliveries {
        let (x, y) = tokio::join!(a.deliver(event, id, payload), b.deliver(event, id, payload));
        let mut codes = [x, y];
        codes.sort();
        assert_eq!(
            codes,
            [200, 202],
            "one replica stores it, the other sees it stored"
        );
        accepted += 1;
    }
    assert_eq!(accepted, 3);
    a.settle().await;
    b.settle().await;
    let m = a.fake.model();
    for sha in [SHA1, SHA2] {
        let runs: Vec<_> = m.check_runs.iter().filter(|r| r.head_sha == sha).collect();
        assert_eq!(runs.len(), 1, "one check run for {sha}");
        assert_eq!(runs[0].status, "completed");
    }
    assert_eq!(m.reviews.len(), 2, "one review per pull request");
    assert_eq!(m.review_comments.len(), 4);
    assert_eq!(m.issue_comments.len(), 2, "one summary per pull request");
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    // Each job ran at most once, on one replica or the other. The two jobs of pull request 1
    // (its pull_request and check_suite events, same head) run twice only when the first was
    // claimed before the second arrived; claimed together, the newer one runs and the older
    // is superseded. Either way nothing above was posted twice.
    let ran = a.service.outcomes().len() + b.service.outcomes().len();
    assert!(
        (2..=3).contains(&ran),
        "{ran} reviews ran for 3 jobs of 2 heads"
    );
}

#[tokio::test]
async fn sigterm_lets_the_review_in_flight_finish_then_exits() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut server, _) = review_in_flight(
        &h,
        dir.path(),
        POST_REVIEW,
        |m| m.reviews.len() == 1,
        Duration::from_secs(2),
    )
    .await;
    let term = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running: {}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}: {}", server.log_text());
    reviewed_once(&h.fake.model());
    assert!(
        server
            .log_text()
            .contains("every review in flight finished")
    );
}

#[tokio::test]
async fn claimers_racing_on_postgresql_never_hold_one_pull_request_twice() {
    use kubenudge::store::{JobState, NewJob, Store};
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};
    let pg = TempPostgres::start();
    let first = Arc::new(Store::open(&pg.url()).await.unwrap());
    let enqueued = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Pushes keep arriving while the workers claim: newer heads supersede waiting ones.
    let enqueuer = {
        let (store, enqueued) = (Arc::clone(&first), Arc::clone(&enqueued));
        tokio::spawn(async move {
            for i in 0..40 {
                store
                    .enqueue(
                        &NewJob {
                            pr_key: format!("o/r#{}", i % 5),
                            head_sha: format!("{i}"),
                            force: false,
                            payload: "{}".into(),
                        },
                        0,
                    )
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            enqueued.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let held: Arc<Mutex<HashSet<String>>> = Arc::default();
    let ran: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut tasks = Vec::new();
    for worker in 0..6 {
        // Separate pools: as separate replicas would connect.
        let store = Store::open(&pg.url()).await.unwrap();
        let (held, ran, enqueued) = (Arc::clone(&held), Arc::clone(&ran), Arc::clone(&enqueued));
        tasks.push(tokio::spawn(async move {
            let owner = format!("w{worker}");
            let mut idle = 0;
            while !enqueued.load(std::sync::atomic::Ordering::SeqCst) || idle < 20 {
                let Some(job) = store.claim(&owner, 1, 60_000).await.unwrap() else {
                    idle += 1;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                };
                idle = 0;
                assert!(
                    held.lock().unwrap().insert(job.pr_key.clone()),
                    "{} claimed while another worker held it",
                    job.pr_key
                );
                ran.lock().unwrap().push(job.head_sha.clone());
                tokio::time::sleep(Duration::from_millis(5)).await;
                held.lock().unwrap().remove(&job.pr_key);
                store.finish(&job, &owner, JobState::Done, 2).await.unwrap();
            }
        }));
    }
    enqueuer.await.unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let counts = first.job_counts().await.unwrap();
    let ran = ran.lock().unwrap().clone();
    assert_eq!(
        counts.get(JobState::Queued) + counts.get(JobState::Running),
        0
    );
    assert_eq!(counts.get(JobState::Done) as usize, ran.len());
    assert_eq!(
        counts.get(JobState::Done) + counts.get(JobState::Superseded),
        40
    );
    // Every pull request's newest head ran.
    for newest in 35..40 {
        assert!(ran.contains(&newest.to_string()), "{newest} in {ran:?}");
    }
}

#[tokio::test]
async fn a_check_run_whose_review_will_not_resume_is_completed_by_reconciliation() {
    use kubenudge::store::{NewJob, OpenCheckRun};
    let h = Harness::start().await;
    let open_run = |id: u64, sha: &str| support::fake_github::CheckRunRecord {
        id,
        head_sha: sha.into(),
        name: "kubenudge".into(),
        status: "in_progress".into(),
        conclusion: None,
        external_id: Some("kubenudge:pr=1".into()),
        title: "Reviewing manifests".into(),
        summary: String::new(),
        annotations: vec![],
        annotation_batches: vec![],
        details_url: None,
    };
    h.fake.model().check_runs.push(open_run(901, SHA1));
    h.fake.model().check_runs.push(open_run(902, SHA2));
    let store = &h.service.store;
    for (id, sha) in [(901, SHA1), (902, SHA2)] {
        store
            .record_check_run(
                &OpenCheckRun {
                    run_id: id,
                    installation: fake_github::INSTALLATION_ID as i64,
                    repo: format!("{}/{}", fake_github::OWNER, fake_github::REPO),
                    head_sha: sha.into(),
                },
                false,
                0,
            )
            .await
            .unwrap();
    }
    // SHA2's review is still to come (its job waits): its run is left to it.
    h.service.shutdown().await;
    store
        .enqueue(
            &NewJob {
                pr_key: "Codertocat/Hello-World#2".into(),
                head_sha: SHA2.into(),
                force: false,
                payload: "{}".into(),
            },
            0,
        )
        .await
        .unwrap();
    let n = kubenudge::server::finish_abandoned_runs(&h.service.github, store, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(n, 1);
    {
        let m = h.fake.model();
        let run = |id| m.check_runs.iter().find(|r| r.id == id).unwrap();
        assert_eq!(
            (run(901).status.as_str(), run(901).conclusion.as_deref()),
            ("completed", Some("neutral"))
        );
        assert_eq!(run(901).title, "Review did not finish");
        assert_eq!(run(902).status, "in_progress");
    }
    // Once completed, it is not touched again.
    let again = kubenudge::server::finish_abandoned_runs(&h.service.github, store, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(again, 0);
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn killed_between_completing_the_check_run_and_the_summary_resumes_at_the_summary() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut first, url) = review_in_flight(
        &h,
        dir.path(),
        PATCH_RUN,
        |m| m.check_runs.iter().any(|r| r.status == "completed"),
        Duration::from_secs(120),
    )
    .await;
    first.kill();
    h.fake.model().delays.clear();
    let annotations = h.fake.model().check_runs[0].annotations.len();
    assert!(annotations > 0);
    let second = Server::start(&h.fake, &url, dir.path(), "second");
    second.wait_ready().await;
    until(&h.fake, "the summary", |m| !m.issue_comments.is_empty()).await;
    let m = h.fake.model();
    reviewed_once(&m);
    assert_eq!(
        m.check_runs[0].annotations.len(),
        annotations,
        "no annotation added twice"
    );
}
