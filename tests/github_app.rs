//! The GitHub App end to end: the real router and the real octocrab client against a stateful
//! fake GitHub (tests/support/fake_github.rs). Webhooks are GitHub's own example payloads,
//! edited and signed; every request body is checked against GitHub's schema.

use crate::support;

use crate::support::fake_github::{CheckRunRecord, Fault};
use crate::support::*;
use kubenudge::review::{Enforcement, Mode};
use kubenudge::server::Outcome;

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

/// The insecure Deployment made to pass `restricted` (and the hardening rule) by hand, written
/// the way a person would, not as kubenudge's suggestions would write it.
fn clean() -> String {
    let hardened = "          securityContext:\n            readOnlyRootFilesystem: true\n            allowPrivilegeEscalation: false\n            capabilities: {drop: [ALL]}\n";
    // The sidecar's securityContext first: the app's new one would match the pattern too.
    let clean = insecure()
        .replace(
            "          securityContext:\n            readOnlyRootFilesystem: true\n",
            hardened,
        )
        .replace(
            "            - containerPort: 8080\n",
            &format!("            - containerPort: 8080\n{hardened}"),
        )
        .replace(
            "    spec:\n      containers:\n",
            "    spec:\n      securityContext:\n        runAsNonRoot: true\n        seccompProfile: {type: RuntimeDefault}\n      containers:\n",
        );
    assert!(
        lint_at_restricted("deploy/web.yaml", &clean).is_empty(),
        "{clean}"
    );
    clean
}

/// Findings of `text` as the service lints it (restricted, latest); the file must parse.
fn lint_at_restricted(path: &str, text: &str) -> Vec<kubenudge::finding::Finding> {
    let inputs = vec![(path.to_string(), text.as_bytes().to_vec())];
    let result = kubenudge::engine::lint(&inputs, &kubenudge::engine::LintOptions::default());
    assert!(result.errors.is_empty(), "{text}\n{:?}", result.errors);
    assert_eq!(result.files.len(), 1, "{text}");
    result.findings
}

/// The ```suggestion blocks of the comments committed, as GitHub's "Commit suggestion" does:
/// each replaces lines `start_line..=line` of the file.
fn commit_suggestions(
    text: &str,
    comments: &[support::fake_github::ReviewCommentRecord],
) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut blocks: Vec<(usize, usize, Vec<String>)> = comments
        .iter()
        .filter_map(|c| {
            let (_, rest) = c.body.split_once("```suggestion\n")?;
            let (block, _) = rest.split_once("\n```")?;
            let line = c.line as usize;
            let start = c.start_line.map_or(line, |s| s as usize);
            Some((start, line, block.lines().map(str::to_string).collect()))
        })
        .collect();
    // Bottom up, so earlier line numbers stay valid.
    blocks.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    for (start, end, new) in blocks {
        lines.splice(start - 1..end, new);
    }
    lines.join("\n") + "\n"
}

fn deployment(name: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/{name}:1.0\n"
    )
}

/// The issue's bound: GitHub requests per review ≤ 6 + ⌈files/100⌉ + new blobs + ⌈annotations/50⌉,
/// plus one per earlier comment marked fixed beyond the first: GitHub's REST API edits review
/// comments one at a time. (The constant 6 already holds one edit when no new review is
/// posted; merging suggestions keeps the number of comments, and so of edits, small.)
fn assert_request_bound(
    requests: &[support::fake_github::LoggedRequest],
    files: usize,
    annotations: usize,
    scenario: &str,
) {
    // "New blobs": every file content read, by blob SHA or (the rollout configuration at the
    // base commit) by path; both are cached, so a later review reads only what changed.
    let blobs = requests
        .iter()
        .filter(|r| {
            r.operation.ends_with("/git/blobs/{file_sha}")
                || r.operation.ends_with("/contents/{path}")
        })
        .count();
    let fixed_edits = requests
        .iter()
        .filter(|r| r.method == "PATCH" && r.operation.ends_with("/pulls/comments/{comment_id}"))
        .count();
    // A change to what connectivity depends on reads the base and head trees, once each.
    let trees = requests
        .iter()
        .filter(|r| r.operation.ends_with("/git/trees/{tree_sha}"))
        .count();
    assert!(trees <= 2, "{scenario}: {trees} tree reads");
    let bound = 6
        + files.div_ceil(100)
        + blobs
        + trees
        + annotations.div_ceil(50)
        + fixed_edits.saturating_sub(1);
    eprintln!(
        "{scenario}: {} GitHub requests (bound {bound}; files {files}, new blobs {blobs}, annotations {annotations}, comments marked fixed {fixed_edits})",
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
    let rules = [
        "hardening/read-only-root-filesystem",
        "pod-security/allow-privilege-escalation",
        "pod-security/capabilities-restricted",
        "pod-security/run-as-non-root",
        "pod-security/seccomp-profile-restricted",
    ];
    assert_eq!(run.title, "5 findings");
    let mut annotated: Vec<&str> = run
        .annotations
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    annotated.sort_unstable();
    assert_eq!(annotated, rules);
    assert!(
        run.annotations
            .iter()
            .all(|a| a["path"] == "deploy/web.yaml" && a["annotation_level"] == "warning")
    );

    {
        let m = h.fake.model();
        // One comment per region the fixes touch: container "app" (after line 19), and
        // container "sidecar" plus the pod's securityContext (after line 23).
        assert_eq!(m.review_summaries(), vec![(1, "COMMENT".to_string(), 2)]);
        let places: Vec<(&str, u64, Option<u64>, &str)> = m
            .review_comments
            .iter()
            .map(|c| (c.path.as_str(), c.line, c.start_line, c.commit_id.as_str()))
            .collect();
        assert_eq!(
            places,
            vec![
                ("deploy/web.yaml", 19, None, SHA1),
                ("deploy/web.yaml", 23, None, SHA1)
            ]
        );
        let (app, rest) = (&m.review_comments[0].body, &m.review_comments[1].body);
        assert!(
            app.contains(
                "```suggestion
            - containerPort: 8080
          securityContext:
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities:
              drop:
                - ALL
```"
            ),
            "{app}"
        );
        assert!(
            rest.contains(
                "```suggestion
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities:
              drop:
                - ALL
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
```"
            ),
            "{rest}"
        );
        // Every finding is listed, with its guidance page, in a comment whose suggestion fixes it.
        for rule in rules {
            let link =
                format!("(https://github.com/kubenudge/kubenudge/blob/main/docs/rules/{rule}.md)");
            assert!(app.contains(&link) || rest.contains(&link), "{rule}");
        }
        for body in [app, rest] {
            assert_eq!(body.matches("```suggestion").count(), 1);
            assert!(body.trim_end().ends_with(" -->"));
            assert_eq!(body.matches("<!-- kubenudge:fingerprint=").count(), 1);
        }
        insta::assert_snapshot!("inline_comment_container_app", app);
        insta::assert_snapshot!("inline_comment_sidecar_and_pod", rest);

        // Committing both suggestions fixes every finding.
        let committed = commit_suggestions(&insecure(), &m.review_comments);
        let left = lint_at_restricted("deploy/web.yaml", &committed);
        assert!(left.is_empty(), "{committed}\n{left:#?}");

        assert_eq!(m.issue_comments.len(), 1);
        assert!(
            m.issue_comments[0]
                .body
                .contains("<!-- kubenudge:summary -->")
        );
        assert!(
            m.issue_comments[0]
                .body
                .contains("- 5 commented inline in this review (2 comments)")
        );
        insta::assert_snapshot!("summary_insecure_deployment", m.issue_comments[0].body);
    }
    assert_request_bound(&requests, 1, 5, "insecure Deployment added");
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
        let summary = &m.issue_comments[0].body;
        assert!(
            summary.contains("No findings in 1 changed manifest."),
            "{summary}"
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
        assert_eq!(m.review_comments.len(), 2);
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
        assert_eq!(m.review_comments.len(), 2);
        for c in &m.review_comments {
            assert!(c.body.starts_with("✅ Fixed in `2222222`"), "{}", c.body);
            assert!(c.body.contains("<!-- kubenudge:fixed -->"));
            assert!(!c.body.contains("```suggestion"), "no stale one-click fix");
        }
        insta::assert_snapshot!("fixed_comment", m.review_comments[0].body);
        assert_eq!(m.issue_comments.len(), 1, "the summary is edited in place");
        assert_eq!(m.issue_comments[0].edits, 1);
        assert!(
            m.issue_comments[0]
                .body
                .contains("2 fixed since the last review")
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
    assert_request_bound(&requests, 1, 0, "push that fixes the findings");
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
    assert_request_bound(&requests, 1, 5, "push that brings the findings back");
    assert_eq!(h.fake.model().review_comments.len(), 4);
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
        h.fake.model().reviews.len(),
        1,
        "posted once after the wait"
    );
    assert_eq!(h.fake.model().review_comments.len(), 2);
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
        5,
        "the old violations are still in the check run"
    );
    {
        let m = h.fake.model();
        assert!(m.reviews.is_empty(), "no inline comment outside the change");
        assert_eq!(m.rejected_reviews, 0);
        assert!(
            m.issue_comments[0]
                .body
                .contains("5 not posted inline (5 on lines this pull request did not change)")
        );
    }
    assert_request_bound(
        &requests,
        1,
        5,
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
    // Five findings per Deployment (no securityContext at all).
    assert_eq!(run.annotations.len(), 600);
    assert_eq!(run.annotation_batches, vec![50; 12]);
    assert_eq!(run.title, "600 findings");
    {
        let m = h.fake.model();
        assert_eq!(
            m.review_summaries(),
            vec![(6, "COMMENT".to_string(), 30)],
            "at most 30 inline comments"
        );
        // One merged suggestion per file: its five findings all go after the last line.
        assert!(
            m.review_comments
                .iter()
                .all(|c| c.body.contains("This suggestion fixes 5 findings"))
        );
        let summary = &m.issue_comments[0].body;
        assert!(
            summary.contains("- 150 commented inline in this review (30 comments)"),
            "{summary}"
        );
        assert!(
            summary.contains("450 not posted inline (450 above the limit of 30 inline comments)"),
            "{summary}"
        );
        // Every rule is named; files are listed until GitHub's 65,536-character limit and
        // only what lies beyond it is cut.
        for rule in [
            "hardening/read-only-root-filesystem",
            "pod-security/allow-privilege-escalation",
        ] {
            assert!(summary.contains(&format!("[`{rule}`]")), "{rule}");
        }
        assert!(!summary.contains("more files"), "{summary}");
        let chars = summary.chars().count();
        assert!(chars <= 65_536, "{chars}");
        assert!(
            !summary.contains("cut here") || chars > 65_000,
            "cut although it fitted: {chars} characters"
        );
    }
    let file_pages = requests
        .iter()
        .filter(|r| r.operation.ends_with("/files"))
        .count();
    assert_eq!(file_pages, 2);
    assert_request_bound(&requests, 120, 600, "120 changed manifests");
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
        assert_eq!(m.review_comments.len(), 2);
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
        details_url: None,
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
    assert_eq!(run.title, "5 findings (5 enforced)");
    assert!(
        run.annotations
            .iter()
            .all(|a| a["annotation_level"] == "failure")
    );
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
    let n =
        kubenudge::server::redeliver_failed_deliveries(&h.service.github, &h.service.store, now)
            .await
            .unwrap();
    assert_eq!(n, 2);
    assert_eq!(h.fake.model().redelivered, vec![1, 3]);
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn the_fake_refuses_bodies_that_break_githubs_schema() {
    use kubenudge::github::{
        CheckRunWrite, GitHubApi, InstallationId, PullNumber, RepoRef, ReviewCommentWrite,
        ReviewWrite,
    };
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

    // Two suggestions on overlapping lines in one review: GitHub refuses the batch.
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    let suggestion = |start_line: Option<usize>, line: usize| ReviewCommentWrite {
        path: "deploy/web.yaml".into(),
        body: "```suggestion\nx: 1\n```".into(),
        line,
        side: "RIGHT",
        start_line,
        start_side: start_line.map(|_| "RIGHT"),
    };
    let review = ReviewWrite {
        commit_id: SHA1.into(),
        body: "two fixes".into(),
        event: "COMMENT",
        comments: vec![suggestion(Some(18), 19), suggestion(None, 19)],
    };
    let err = api
        .create_review(&repo, PullNumber(1), &review)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::UNPROCESSABLE_ENTITY));
    assert_eq!(h.fake.model().rejected_reviews, 1);
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
    // The three findings on the renamed container, in one comment on the changed line; their
    // fix lies outside the hunk, so it is shown as diffs, not as suggestions.
    assert_eq!(m.review_comments.len(), 1);
    let c = &m.review_comments[0];
    assert_eq!((c.path.as_str(), c.line), ("deploy/web.yaml", 16));
    assert!(
        c.body.starts_with("**3 findings on shop/Deployment/web"),
        "{}",
        c.body
    );
    assert!(!c.body.contains("```suggestion"), "{}", c.body);
    assert_eq!(c.body.matches("```diff").count(), 1, "{}", c.body);
    assert!(
        c.body
            .contains("Lines 19 and 23 (outside the changed lines"),
        "{}",
        c.body
    );
    insta::assert_snapshot!("inline_comment_fix_outside_the_diff", c.body);
    assert_eq!(
        m.check_runs[0].annotations.len(),
        5,
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
    assert_request_bound(&requests, 1, 5, "review started by check_suite.requested");
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
    assert_eq!(h.fake.model().review_comments.len(), 2);
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn committing_one_of_two_suggestions_marks_it_fixed_and_keeps_the_other() {
    let h = Harness::start().await;
    h.set_pull(
        1,
        SHA1,
        &[ChangedFile::added("deploy/web.yaml", &insecure())],
    );
    h.review("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
        .await;
    let (first, second) = {
        let m = h.fake.model();
        assert_eq!(m.review_comments.len(), 2);
        (m.review_comments[0].clone(), m.review_comments[1].clone())
    };

    // The author commits the suggestion for the sidecar and the pod only.
    let pushed = commit_suggestions(&insecure(), std::slice::from_ref(&second));
    let left: Vec<&str> = lint_at_restricted("deploy/web.yaml", &pushed)
        .iter()
        .map(|f| f.rule)
        .collect();
    assert_eq!(
        left,
        vec![
            "hardening/read-only-root-filesystem",
            "pod-security/allow-privilege-escalation",
            "pod-security/capabilities-restricted"
        ],
        "container \"app\" is still to fix"
    );
    h.set_pull(1, SHA2, &[ChangedFile::added("deploy/web.yaml", &pushed)]);
    let requests = h
        .review(
            "pull_request",
            "d2",
            &pull_request_event("synchronize", 1, SHA2),
        )
        .await;
    {
        let m = h.fake.model();
        assert_eq!(
            m.reviews.len(),
            1,
            "the remaining findings are already commented"
        );
        // The first comment explains what is left (container "app") and keeps its
        // suggestion. The second is done: it also listed allowPrivilegeEscalation and
        // capabilities, but as continued from the first comment, which owns them.
        assert_eq!(m.review_comments[0].body, first.body);
        let done = &m.review_comments[1].body;
        assert!(done.starts_with("✅ Fixed in `2222222`"), "{done}");
        assert!(!done.contains("```suggestion"));
        let summary = &m.issue_comments[0].body;
        assert!(summary.contains("**3 findings**"), "{summary}");
        assert!(
            summary.contains("- 3 already commented on an earlier push"),
            "{summary}"
        );
        assert!(
            summary.contains("- 1 fixed since the last review"),
            "{summary}"
        );
    }
    assert_request_bound(&requests, 1, 3, "push that commits one of two suggestions");
    h.assert_no_protocol_errors();
}
