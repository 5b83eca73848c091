//! Review defects found by driving the App as GitHub would: a summary that stopped listing
//! findings long before GitHub's comment limit, a file too large to lint downloaded anyway, an
//! old suggestion left stale after the lines it replaces were edited, and a rate limit one
//! replica hit ignored by the others.

use std::time::Duration;

use crate::support::fake_github::Fault;
use crate::support::*;

const SHA1: &str = "1111111111111111111111111111111111111111";
const SHA2: &str = "2222222222222222222222222222222222222222";

fn insecure() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/insecure-deployment.yaml"
    ))
    .unwrap()
}

#[tokio::test]
async fn the_summary_lists_every_file_while_it_fits_in_a_comment() {
    let h = Harness::start_with(Options {
        max_inline_comments: 1,
        ..Options::default()
    })
    .await;
    let files: Vec<ChangedFile> = (1..=25)
        .map(|i| {
            ChangedFile::added(
                &format!("deploy/app-{i:02}.yaml"),
                &insecure().replace("name: web", &format!("name: web{i}")),
            )
        })
        .collect();
    h.set_pull(1, SHA1, &files);
    h.review("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
        .await;
    let summary = h.fake.model().issue_comments[0].body.clone();
    // The old summary stopped at 20 files per rule ("and 5 more files"). The one inline
    // comment took app-01's first findings; every other file is listed under all five rules.
    for i in 2..=25 {
        let line = format!("- `deploy/app-{i:02}.yaml`");
        assert_eq!(
            summary.matches(&line).count(),
            5,
            "{line} under every rule:\n{summary}"
        );
    }
    assert!(!summary.contains("more files"), "{summary}");
    assert!(!summary.contains("cut here"), "{summary}");
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn a_file_above_the_size_limit_is_named_not_downloaded() {
    let h = Harness::start().await;
    let huge = format!("# {}\n", "x".repeat(17 * 1024 * 1024));
    let big_blob = blob_sha(&huge);
    h.set_pull(
        1,
        SHA1,
        &[
            ChangedFile::added("deploy/web.yaml", &insecure()),
            // GitHub sends no patch for a diff this large.
            ChangedFile {
                path: "deploy/huge.yaml".into(),
                content: huge.clone(),
                status: "added",
                patch: None,
            },
        ],
    );
    h.set_commit(
        SHA1,
        &[
            ("deploy/web.yaml", &insecure()),
            ("deploy/huge.yaml", &huge),
        ],
    );
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
        .await;
    assert!(
        !requests.iter().any(|r| r.path.ends_with(&big_blob)),
        "the 17 MiB blob was downloaded"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.operation.ends_with("/git/trees/{tree_sha}")),
        "sizes come from the tree"
    );
    let summary = h.fake.model().issue_comments[0].body.clone();
    assert!(
        summary.contains("`deploy/huge.yaml` is 17 MiB, above the 16 MiB limit; not read"),
        "{summary}"
    );
    assert_eq!(
        h.fake.model().review_comments.len(),
        2,
        "the rest is reviewed"
    );
    h.assert_no_protocol_errors();
}

#[tokio::test]
async fn a_rate_limit_one_replica_hit_holds_the_other_too() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    let a = Harness::start_with(Options {
        database_url: Some(url.clone()),
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
    let reset = chrono::Utc::now().timestamp() + 600;
    a.fake.model().faults.push_back(Fault {
        method: "GET",
        operation: "/repos/{owner}/{repo}/pulls/{pull_number}/files",
        times: 1,
        status: 403,
        headers: vec![
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", reset.to_string()),
        ],
        body: serde_json::json!({"message": "API rate limit exceeded for installation ID 4242."}),
    });
    a.review("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
        .await;
    assert!(
        a.sleeps
            .lock()
            .unwrap()
            .iter()
            .any(|d| *d >= Duration::from_secs(590)),
        "replica A waits for the reset"
    );
    // B starts once A has met the limit: started before, its workers could claim A's job from
    // the shared store and meet the 403 themselves.
    let b = Harness::start_with(Options {
        database_url: Some(url),
        fake_uri: Some(a.fake.uri()),
        ..Options::default()
    })
    .await;
    // Replica A stops (as on SIGTERM). B has not seen the 403; the store tells it to wait for
    // the same reset.
    a.service.shutdown().await;
    assert_eq!(
        a.get("/readyz").await.0,
        503,
        "a stopping replica is not ready"
    );
    assert_eq!(b.get("/readyz").await.0, 200);
    let status = b
        .deliver("pull_request", "d2", &pull_request_event("opened", 2, SHA2))
        .await;
    assert_eq!(status, 202);
    b.settle().await;
    let waits = b.sleeps.lock().unwrap().clone();
    assert!(
        waits.iter().any(|d| *d >= Duration::from_secs(590)),
        "replica B waits too: {waits:?}"
    );
    assert_eq!(a.fake.model().issue_comments.len(), 2);
    a.assert_no_protocol_errors();
}

#[tokio::test]
async fn an_old_suggestion_whose_fix_changed_is_refreshed_not_duplicated() {
    let h = Harness::start().await;
    let first = insecure();
    h.set_pull(1, SHA1, &[ChangedFile::added("deploy/web.yaml", &first)]);
    h.review("pull_request", "d1", &pull_request_event("opened", 1, SHA1))
        .await;
    let before: Vec<(u64, String)> = h
        .fake
        .model()
        .review_comments
        .iter()
        .map(|c| (c.id, c.body.clone()))
        .collect();
    assert!(
        before
            .iter()
            .any(|(_, b)| b.contains("containerPort: 8080")),
        "{before:?}"
    );
    // The author changes the port on a line a suggestion replaces: applying the old
    // suggestion would undo it.
    let second = first.replace("containerPort: 8080", "containerPort: 9090");
    h.set_pull(1, SHA2, &[ChangedFile::added("deploy/web.yaml", &second)]);
    h.review(
        "pull_request",
        "d2",
        &pull_request_event("synchronize", 1, SHA2),
    )
    .await;
    let m = h.fake.model();
    assert_eq!(m.reviews.len(), 1, "no new review for the same findings");
    assert_eq!(
        m.review_comments.len(),
        before.len(),
        "no duplicate comment"
    );
    let stale: Vec<&str> = m
        .review_comments
        .iter()
        .filter(|c| c.body.contains("containerPort: 8080"))
        .map(|c| c.body.as_str())
        .collect();
    assert!(stale.is_empty(), "stale suggestions: {stale:?}");
    let refreshed = m
        .review_comments
        .iter()
        .filter(|c| c.body.contains("containerPort: 9090") && c.body.contains("```suggestion"))
        .count();
    assert!(refreshed >= 1);
    // A comment whose suggestion did not change is left alone.
    let untouched = before
        .iter()
        .filter(|(id, body)| {
            m.review_comments
                .iter()
                .any(|c| c.id == *id && c.body == *body)
        })
        .count();
    assert_eq!(untouched + refreshed, before.len());
    drop(m);
    h.assert_no_protocol_errors();
}
