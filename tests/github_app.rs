//! The GitHub App end to end: the real router and the real octocrab client against a stateful
//! fake GitHub (tests/support/fake_github.rs). Webhooks are GitHub's own example payloads,
//! edited and signed; every request body is checked against GitHub's schema.

mod support;

use kubenudge::review::{Enforcement, Mode};
use kubenudge::server::Outcome;
use support::fake_github::{CheckRunRecord, Fault};
use support::*;

const SHA1: &str = "1111111111111111111111111111111111111111";
const SHA2: &str = "2222222222222222222222222222222222222222";
const SHA3: &str = "3333333333333333333333333333333333333333";

fn insecure() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/insecure-deployment.yaml"
    ))
    .unwrap()
}

fn clean() -> String {
    insecure().replace(
        "          ports:\n            - containerPort: 8080\n",
        "          ports:\n            - containerPort: 8080\n          securityContext:\n            readOnlyRootFilesystem: true\n",
    )
}

fn deployment(name: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/{name}:1.0\n"
    )
}

/// The issue's bound: GitHub requests per review ≤ 6 + ⌈files/100⌉ + new blobs + ⌈annotations/50⌉.
fn assert_request_bound(
    requests: &[support::fake_github::LoggedRequest],
    files: usize,
    annotations: usize,
    scenario: &str,
) {
    let blobs = requests
        .iter()
        .filter(|r| r.operation.ends_with("/git/blobs/{file_sha}"))
        .count();
    let bound = 6 + files.div_ceil(100) + blobs + annotations.div_ceil(50);
    eprintln!(
        "{scenario}: {} GitHub requests (bound {bound}; files {files}, new blobs {blobs}, annotations {annotations})",
        requests.len()
    );
    assert!(
        requests.len() <= bound,
        "{scenario}: {} requests, bound {bound}: {:#?}",
        requests.len(),
        requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
}

fn only_run(h: &Harness) -> CheckRunRecord {
    let m = h.fake.model();
    assert_eq!(m.check_runs.len(), 1, "expected exactly one check run");
    m.check_runs[0].clone()
}

#[tokio::test]
async fn insecure_deployment_gets_a_check_run_a_review_and_a_summary() {
    let h = Harness::start().await;
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    let mut event = pull_request_event("opened", 1, SHA1);
    event["pull_request"]["draft"] = true.into(); // drafts are reviewed too
    let requests = h.review("pull_request", "delivery-1", &event).await;

    let run = only_run(&h);
    assert_eq!(
        (
            run.name.as_str(),
            run.head_sha.as_str(),
            run.status.as_str()
        ),
        ("kubenudge", SHA1, "completed")
    );
    assert_eq!(run.conclusion.as_deref(), Some("neutral"));
    assert_eq!(run.title, "1 finding");
    assert_eq!(run.annotations.len(), 1);
    assert_eq!(run.annotations[0]["path"], "deploy/web.yaml");
    assert_eq!(run.annotations[0]["annotation_level"], "warning");

    {
        let m = h.fake.model();
        assert_eq!(m.reviews, vec![(1, "COMMENT".to_string(), 1)]);
        let comment = &m.review_comments[0];
        assert_eq!(
            (
                comment.path.as_str(),
                comment.line,
                comment.commit_id.as_str()
            ),
            ("deploy/web.yaml", 16, SHA1)
        );
        assert!(comment.body.contains("https://github.com/kubenudge/kubenudge/blob/main/docs/rules/hardening/read-only-root-filesystem.md"));
        assert!(comment.body.contains("<!-- kubenudge:fingerprint="));
        insta::assert_snapshot!("inline_comment_without_fix", comment.body);
        assert_eq!(m.issue_comments.len(), 1);
        assert!(
            m.issue_comments[0]
                .body
                .contains("<!-- kubenudge:summary -->")
        );
        insta::assert_snapshot!("summary_one_finding", m.issue_comments[0].body);
    }
    assert_request_bound(&requests, 1, 1, "insecure Deployment added");
    h.assert_no_protocol_errors();
    assert_eq!(h.service.outcomes(), vec![Outcome::Completed("neutral")]);
}

#[tokio::test]
async fn clean_manifest_passes_without_comments() {
    let h = Harness::start().await;
    h.set_pull(2, SHA1, &[ChangedFile::added("deploy/web.yaml", &clean())]);
    let requests = h
        .review(
            "pull_request",
            "d-clean",
            &pull_request_event("opened", 2, SHA1),
        )
        .await;
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("success"));
    assert_eq!(run.title, "No findings");
    {
        let m = h.fake.model();
        assert!(m.reviews.is_empty());
        assert!(
            m.issue_comments[0]
                .body
                .contains("No findings in 1 changed manifest.")
        );
    }
    assert_request_bound(&requests, 1, 0, "clean manifest");
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn the_same_delivery_or_head_commit_twice_is_reviewed_once() {
    let h = Harness::start().await;
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    let event = pull_request_event("opened", 1, SHA1);
    h.review("pull_request", "delivery-1", &event).await;

    let before = h.fake.request_count();
    assert_eq!(
        h.deliver("pull_request", "delivery-1", &event).await,
        200,
        "a redelivery is answered 2xx"
    );
    h.settle().await;
    assert_eq!(h.fake.request_count(), before, "a redelivery does no work");

    // The same head commit from another delivery (e.g. check_suite.requested): no new run, no new comment.
    let requests = h
        .review(
            "check_suite",
            "delivery-2",
            &check_suite_event("requested", SHA1, &[(1, SHA1)]),
        )
        .await;
    eprintln!("same head SHA again: {} GitHub requests", requests.len());
    let requests = h
        .review(
            "pull_request",
            "delivery-3",
            &pull_request_event("synchronize", 1, SHA1),
        )
        .await;
    eprintln!(
        "same head SHA via pull_request: {} GitHub requests",
        requests.len()
    );
    assert_eq!(requests.len(), 1);
    only_run(&h);
    {
        let m = h.fake.model();
        assert_eq!(m.review_comments.len(), 1);
        assert_eq!(m.issue_comments.len(), 1);
    }
    h.assert_no_protocol_errors();
    let (_, metrics) = h.get("/metrics").await;
    assert!(
        metrics.contains("kubenudge_webhooks_rejected_total{reason=\"duplicate\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_push_that_fixes_the_finding_edits_its_comment_and_the_summary() {
    let h = Harness::start().await;
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    h.review("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
        .await;

    h.set_pull(1, SHA2, &[ChangedFile::added("deploy/web.yaml", &clean())]);
    let requests = h
        .review(
            "pull_request",
            "d2",
            &pull_request_event("synchronize", 1, SHA2),
        )
        .await;

    {
        let m = h.fake.model();
        assert_eq!(m.reviews.len(), 1, "nothing new to comment on");
        assert_eq!(m.review_comments.len(), 1);
        let body = &m.review_comments[0].body;
        assert!(body.starts_with("✅ Fixed in `2222222`"), "{body}");
        assert!(body.contains("<!-- kubenudge:fixed -->"));
        insta::assert_snapshot!("fixed_comment", body);
        assert_eq!(m.issue_comments.len(), 1, "the summary is edited in place");
        assert_eq!(m.issue_comments[0].edits, 1);
        assert!(
            m.issue_comments[0]
                .body
                .contains("1 fixed since the last review")
        );
        let runs: Vec<_> = m
            .check_runs
            .iter()
            .map(|r| (r.head_sha.clone(), r.conclusion.clone()))
            .collect();
        assert_eq!(
            runs,
            vec![
                (SHA1.into(), Some("neutral".into())),
                (SHA2.into(), Some("success".into()))
            ]
        );
    }
    assert_request_bound(&requests, 1, 0, "push that fixes the finding");
    assert_eq!(
        h.fake.model().tokens.len(),
        1,
        "the installation token is reused"
    );

    // The finding comes back on a later push: it is commented again (its old comment says fixed).
    h.set_pull(
        1,
        SHA3,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    let requests = h
        .review(
            "pull_request",
            "d3",
            &pull_request_event("synchronize", 1, SHA3),
        )
        .await;
    assert_request_bound(&requests, 1, 1, "push that brings the finding back");
    assert_eq!(h.fake.model().review_comments.len(), 2);
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn the_webhook_gate_refuses_bad_signatures_and_oversized_bodies() {
    let h = Harness::start().await;
    let body = serde_json::to_vec(&pull_request_event("opened", 1, SHA1)).unwrap();
    let (status, _) = h
        .post_webhook(
            &[
                ("X-GitHub-Event", "pull_request"),
                ("X-GitHub-Delivery", "x1"),
                ("X-Hub-Signature-256", "sha256=0000"),
            ],
            &body,
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = h
        .post_webhook(
            &[
                ("X-GitHub-Event", "pull_request"),
                ("X-GitHub-Delivery", "x2"),
            ],
            &body,
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = http(
        h.addr,
        "POST",
        "/webhook",
        &[("X-GitHub-Event", "pull_request")],
        b"{}",
        Some(25 * 1024 * 1024 + 1),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(
        h.deliver("ping", "p1", &payload("ping/payload.json")).await,
        200
    );
    assert_eq!(
        h.deliver(
            "pull_request",
            "c1",
            &payload("pull_request/closed.payload.json")
        )
        .await,
        202
    );
    h.settle().await;
    assert_eq!(h.fake.request_count(), 0, "nothing reached GitHub");
    assert_eq!(h.get("/healthz").await.0, 200);
    let (status, metrics) = h.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("kubenudge_webhooks_rejected_total{reason=\"signature\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kubenudge_webhooks_total{event=\"ping\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kubenudge_github_requests_total 0"),
        "{metrics}"
    );
}

#[tokio::test]
async fn github_5xx_and_a_secondary_rate_limit_are_waited_out() {
    let h = Harness::start().await;
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    {
        let mut m = h.fake.model();
        m.faults.push_back(Fault {
            method: "GET",
            operation: "/repos/{owner}/{repo}/pulls/{pull_number}/files",
            times: 2,
            status: 502,
            headers: vec![],
            body: serde_json::json!({"message": "Server Error"}),
        });
        m.faults.push_back(Fault {
            method: "POST",
            operation: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
            times: 1,
            status: 403,
            headers: vec![("retry-after", "3".into())],
            body: serde_json::json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}),
        });
    }
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
        .await;
    eprintln!(
        "502s and a secondary rate limit: {} GitHub requests (3 of them refused)",
        requests.len()
    );
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("neutral"));
    assert_eq!(
        h.fake.model().review_comments.len(),
        1,
        "posted once after the wait"
    );
    let sleeps = h.sleeps.lock().unwrap().clone();
    use std::time::Duration;
    assert!(
        sleeps.contains(&Duration::from_secs(3)),
        "retry-after honoured: {sleeps:?}"
    );
    assert!(
        sleeps.contains(&Duration::from_secs(1)) && sleeps.contains(&Duration::from_secs(2)),
        "backoff: {sleeps:?}"
    );
    h.assert_no_protocol_errors();
    let (_, metrics) = h.get("/metrics").await;
    assert!(
        metrics.contains("kubenudge_github_retries_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kubenudge_github_rate_limit_waits_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_review_that_keeps_failing_still_completes_its_check_run() {
    let h = Harness::start().await;
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    h.fake.model().faults.push_back(Fault {
        method: "GET",
        operation: "/repos/{owner}/{repo}/git/blobs/{file_sha}",
        times: 100,
        status: 500,
        headers: vec![],
        body: serde_json::json!({"message": "Server Error"}),
    });
    h.review("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
        .await;
    let run = only_run(&h);
    assert_eq!(
        (run.status.as_str(), run.conclusion.as_deref()),
        ("completed", Some("neutral"))
    );
    assert_eq!(run.title, "Review could not finish");
    assert!(
        run.summary
            .contains("What failed:** reading deploy/web.yaml"),
        "{}",
        run.summary
    );
    assert!(matches!(
        h.service.outcomes().as_slice(),
        [Outcome::Failed(_)]
    ));
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn a_review_failing_before_its_run_exists_still_leaves_a_completed_run() {
    let h = Harness::start_with(Options {
        max_attempts: 2,
        ..Options::default()
    })
    .await;
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    h.fake.model().faults.push_back(Fault {
        method: "GET",
        operation: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        times: 2,
        status: 503,
        headers: vec![],
        body: serde_json::json!({"message": "Service Unavailable"}),
    });
    h.review("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
        .await;
    let run = only_run(&h);
    assert_eq!(
        (run.status.as_str(), run.conclusion.as_deref()),
        ("completed", Some("neutral"))
    );
    assert!(run.summary.contains("listing comments"), "{}", run.summary);
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn readme_helm_templates_and_workflows_are_named_not_linted() {
    let h = Harness::start().await;
    let template =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n";
    let workflow = "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n";
    h.set_pull(
        4,
        SHA1,
        &[
            ChangedFile::modified("README.md", "# hello\n", "@@ -1 +1 @@\n-# hi\n+# hello"),
            ChangedFile::added("charts/web/templates/deployment.yaml", template),
            ChangedFile::added(".github/workflows/ci.yml", workflow),
        ],
    );
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 4, SHA1))
        .await;
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("success"));
    let summary = h.fake.model().issue_comments[0].body.clone();
    assert!(summary.contains("1 template file not checked"), "{summary}");
    assert!(
        summary.contains("`charts/web/templates/deployment.yaml`"),
        "{summary}"
    );
    assert!(summary.contains("`.github/workflows/ci.yml`"), "{summary}");
    assert!(summary.contains("`README.md`"), "{summary}");
    insta::assert_snapshot!("summary_nothing_linted", summary);
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.operation.ends_with("{file_sha}"))
            .count(),
        2,
        "README is not fetched"
    );
    assert_request_bound(&requests, 3, 0, "README/Helm templates/workflows only");
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn a_one_line_change_does_not_comment_on_old_violations() {
    let h = Harness::start().await;
    let patch = "@@ -5,7 +5,7 @@ metadata:\n   name: web\n   namespace: shop\n spec:\n-  replicas: 1\n+  replicas: 2\n   selector:\n     matchLabels: {app: web}\n   template:";
    h.set_pull(
        5,
        SHA1,
        &[ChangedFile::modified("deploy/web.yaml", &insecure(), patch)],
    );
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 5, SHA1))
        .await;
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("neutral"));
    assert_eq!(
        run.annotations.len(),
        1,
        "the old violation is still in the check run"
    );
    {
        let m = h.fake.model();
        assert!(m.reviews.is_empty(), "no inline comment outside the change");
        assert_eq!(m.rejected_reviews, 0);
        assert!(
            m.issue_comments[0]
                .body
                .contains("1 not posted inline (1 on lines this pull request did not change)")
        );
    }
    assert_request_bound(
        &requests,
        1,
        1,
        "one-line change in a file with old violations",
    );
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn many_manifests_are_paginated_and_annotated_in_batches() {
    let h = Harness::start().await;
    let files: Vec<ChangedFile> = (0..120)
        .map(|i| {
            ChangedFile::added(
                &format!("apps/app-{i:03}.yaml"),
                &deployment(&format!("app-{i:03}")),
            )
        })
        .collect();
    h.set_pull(6, SHA1, &files);
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 6, SHA1))
        .await;
    let run = only_run(&h);
    assert_eq!(run.annotations.len(), 120);
    assert_eq!(run.annotation_batches, vec![50, 50, 20]);
    assert_eq!(run.title, "120 findings");
    {
        let m = h.fake.model();
        assert_eq!(
            m.reviews,
            vec![(6, "COMMENT".to_string(), 30)],
            "at most 30 inline comments"
        );
        assert!(
            m.issue_comments[0]
                .body
                .contains("90 not posted inline (90 above the limit of 30 inline comments)")
        );
    }
    let file_pages = requests
        .iter()
        .filter(|r| r.operation.ends_with("/files"))
        .count();
    assert_eq!(file_pages, 2);
    assert_request_bound(&requests, 120, 120, "120 changed manifests");
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn fork_check_suites_and_reruns_find_the_pull_request_by_head_sha() {
    let h = Harness::start().await;
    h.set_pull(
        7,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    h.review("pull_request", "d1", &pull_request_event("opened", 7, SHA1))
        .await;
    // A fork PR's check suite has no pull_requests: the head SHA leads back to PR 7.
    let requests = h
        .review(
            "check_suite",
            "d2",
            &check_suite_event("requested", SHA1, &[]),
        )
        .await;
    eprintln!(
        "fork check_suite for a reviewed head: {} GitHub requests",
        requests.len()
    );
    only_run(&h);
    // "Re-run" on the check: a new run, no duplicate comments.
    let requests = h
        .review("check_run", "d3", &check_run_event(SHA1, "kubenudge:pr=7"))
        .await;
    eprintln!("check_run rerequested: {} GitHub requests", requests.len());
    {
        let m = h.fake.model();
        assert_eq!(m.check_runs.len(), 2);
        assert!(m.check_runs.iter().all(|r| r.status == "completed"));
        assert_eq!(m.review_comments.len(), 1);
        assert_eq!(m.issue_comments.len(), 1);
    }
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn a_run_left_in_progress_by_a_crash_is_completed_on_the_next_check_suite() {
    let h = Harness::start().await;
    h.set_pull(8, SHA1, &[ChangedFile::added("deploy/web.yaml", &clean())]);
    h.fake.model().check_runs.push(CheckRunRecord {
        id: 900,
        head_sha: SHA1.into(),
        name: "kubenudge".into(),
        status: "in_progress".into(),
        conclusion: None,
        external_id: Some("kubenudge:pr=8".into()),
        title: "Reviewing manifests".into(),
        summary: String::new(),
        annotations: vec![],
        annotation_batches: vec![],
    });
    h.review(
        "check_suite",
        "d1",
        &check_suite_event("requested", SHA1, &[(8, SHA1)]),
    )
    .await;
    let run = only_run(&h);
    assert_eq!(
        (run.id, run.status.as_str(), run.conclusion.as_deref()),
        (900, "completed", Some("success"))
    );
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn enforce_mode_fails_the_check() {
    let h = Harness::start_with(Options {
        enforcement: Enforcement {
            mode: Mode::Enforce,
            ..Enforcement::default()
        },
        ..Options::default()
    })
    .await;
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    h.review(
        "pull_request",
        "d1",
        &pull_request_event("reopened", 1, SHA1),
    )
    .await;
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert_eq!(run.title, "1 finding (1 enforced)");
    assert_eq!(run.annotations[0]["annotation_level"], "failure");
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn start_up_reconciliation_redelivers_recent_failed_deliveries() {
    let h = Harness::start().await;
    let now = chrono::Utc::now();
    let at = |hours: i64| (now - chrono::Duration::hours(hours)).to_rfc3339();
    let delivery = |id: u64, event: &str, status_code: u16, hours: i64| {
        serde_json::json!({"id": id, "guid": format!("g{id}"), "delivered_at": at(hours), "redelivery": false,
            "duration": 0.1, "status": "failed", "status_code": status_code, "event": event,
            "action": "opened", "installation_id": 4242, "repository_id": 1})
    };
    h.fake.model().hook_deliveries = vec![
        delivery(1, "pull_request", 502, 1), // failed while down: redeliver
        delivery(2, "pull_request", 202, 1), // delivered fine
        delivery(3, "check_suite", 0, 2),    // no answer: redeliver
        delivery(4, "pull_request", 502, 100), // older than GitHub's 3-day window
        delivery(5, "issues", 502, 1),       // not an event kubenudge handles
    ];
    let n = kubenudge::server::redeliver_failed_deliveries(&h.service.github, now)
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(h.fake.model().redelivered, vec![1, 3]);
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn the_fake_refuses_bodies_that_break_githubs_schema() {
    use kubenudge::github::{CheckRunWrite, GitHubApi, InstallationId, RepoRef};
    let h = Harness::start().await;
    let api = h
        .service
        .github
        .installation(InstallationId(support::fake_github::INSTALLATION_ID));
    let repo = RepoRef {
        owner: support::fake_github::OWNER.into(),
        name: support::fake_github::REPO.into(),
    };
    // `status: completed` without a conclusion: GitHub answers 422.
    let bad = CheckRunWrite {
        name: Some("kubenudge".into()),
        head_sha: Some(SHA1.into()),
        status: Some("completed"),
        ..CheckRunWrite::default()
    };
    let err = api.create_check_run(&repo, &bad).await.unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::UNPROCESSABLE_ENTITY));
    let errors = h.fake.model().errors.clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("does not match the schema"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn renamed_files_are_reviewed_under_their_new_path_and_removed_ones_ignored() {
    let h = Harness::start().await;
    let mut renamed = ChangedFile::modified(
        "deploy/web.yaml",
        &insecure(),
        "@@ -14,4 +14,4 @@ spec:\n     spec:\n       containers:\n-        - name: web\n+        - name: app\n           image: registry.example.com/shop/web:1.4.2",
    );
    renamed.status = "renamed";
    let mut removed = ChangedFile::added("old/gone.yaml", &deployment("gone"));
    removed.status = "removed";
    removed.patch = None;
    h.set_pull(9, SHA1, &[renamed, removed]);
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 9, SHA1))
        .await;
    let m = h.fake.model();
    assert_eq!(m.review_comments.len(), 1);
    assert_eq!(
        (
            m.review_comments[0].path.as_str(),
            m.review_comments[0].line
        ),
        ("deploy/web.yaml", 16)
    );
    assert_eq!(
        m.check_runs[0].annotations.len(),
        1,
        "the removed file is not linted"
    );
    drop(m);
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.operation.ends_with("{file_sha}"))
            .count(),
        1
    );
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn a_check_suite_arriving_before_the_pull_request_event_reviews_once() {
    let h = Harness::start().await;
    h.set_pull(
        3,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    let requests = h
        .review(
            "check_suite",
            "d1",
            &check_suite_event("requested", SHA1, &[(3, SHA1)]),
        )
        .await;
    assert_request_bound(&requests, 1, 1, "review started by check_suite.requested");
    let requests = h
        .review("pull_request", "d2", &pull_request_event("opened", 3, SHA1))
        .await;
    assert_eq!(
        requests.len(),
        1,
        "the pull_request event finds the review done"
    );
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("neutral"));
    assert_eq!(h.fake.model().review_comments.len(), 1);
    h.assert_no_protocol_errors();
}
