use super::*;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("k.db").display());
    let store = Store::open(&url).await.unwrap();
    (dir, store)
}

fn job(pr: u64, head: &str, force: bool) -> NewJob {
    NewJob {
        pr_key: format!("o/r#{pr}"),
        head_sha: head.into(),
        force,
        payload: format!("{{\"pr\":{pr},\"head\":\"{head}\"}}"),
    }
}

fn delivery(id: &str) -> NewDelivery<'_> {
    NewDelivery {
        id,
        event: "pull_request",
        digest: "00",
        payload: b"{}",
    }
}

#[tokio::test]
async fn a_delivery_is_stored_once_and_its_job_queued_with_it() {
    let (_dir, s) = store().await;
    assert!(s.ready().await);
    assert!(
        s.record_delivery(&delivery("d1"), Some(&job(1, "a", false)), 10)
            .await
            .unwrap()
    );
    assert!(
        !s.record_delivery(&delivery("d1"), Some(&job(1, "a", false)), 11)
            .await
            .unwrap(),
        "the same delivery id again is a duplicate"
    );
    assert_eq!(s.unfinished_jobs().await.unwrap(), 1);
    assert_eq!(s.delivery_count().await.unwrap(), 1);
}

#[tokio::test]
async fn one_job_per_pull_request_at_a_time_and_the_newest_head_wins() {
    let (_dir, s) = store().await;
    s.enqueue(&job(1, "a1", false), 0).await.unwrap();
    s.enqueue(&job(2, "b1", false), 0).await.unwrap();
    let first = s.claim("w1", 1, 1_000).await.unwrap().unwrap();
    assert_eq!(first.head_sha, "a1");
    // While a1 runs, two newer heads of PR 1 arrive: a3 replaces a2.
    s.enqueue(&job(1, "a2", true), 2).await.unwrap();
    s.enqueue(&job(1, "a3", false), 3).await.unwrap();
    let second = s.claim("w2", 4, 1_000).await.unwrap().unwrap();
    assert_eq!(second.head_sha, "b1", "PR 1 is busy; PR 2 runs in parallel");
    assert!(s.claim("w2", 5, 1_000).await.unwrap().is_none());
    s.finish(&first, "w1", JobState::Done, 6).await.unwrap();
    let third = s.claim("w2", 7, 1_000).await.unwrap().unwrap();
    assert_eq!((third.head_sha.as_str(), third.force), ("a3", false));
    let counts = s.job_counts().await.unwrap();
    assert_eq!(counts.get(JobState::Superseded), 1);
    assert_eq!(counts.get(JobState::Running), 2);
}

#[tokio::test]
async fn a_duplicate_of_a_forced_head_stays_forced() {
    let (_dir, s) = store().await;
    s.enqueue(&job(1, "a", true), 0).await.unwrap();
    s.enqueue(&job(1, "a", false), 1).await.unwrap();
    let j = s.claim("w", 2, 1_000).await.unwrap().unwrap();
    assert!(j.force);
}

#[tokio::test]
async fn a_dead_workers_job_is_taken_over_when_its_lease_expires() {
    let (_dir, s) = store().await;
    s.enqueue(&job(1, "a", false), 0).await.unwrap();
    let dead = s.claim("dead", 1, 1_000).await.unwrap().unwrap();
    assert!(s.claim("alive", 500, 1_000).await.unwrap().is_none());
    let taken = s.claim("alive", 1_001, 1_000).await.unwrap().unwrap();
    assert_eq!((taken.id, taken.attempts), (dead.id, 2));
    // The dead worker's late renewal does not steal it back.
    assert!(!s.renew(&dead, "dead", 1_002, 1_000).await.unwrap());
    assert!(s.renew(&taken, "alive", 1_002, 1_000).await.unwrap());
}

#[tokio::test]
async fn a_released_job_runs_again_under_its_new_key() {
    let (_dir, s) = store().await;
    s.enqueue(&job(0, "f", false), 0).await.unwrap();
    let j = s.claim("w", 1, 1_000).await.unwrap().unwrap();
    s.release(&j, "w", Some(("o/r#9", "{\"pr\":9}")))
        .await
        .unwrap();
    let again = s.claim("w", 2, 1_000).await.unwrap().unwrap();
    assert_eq!(
        (
            again.pr_key.as_str(),
            again.payload.as_str(),
            again.attempts
        ),
        ("o/r#9", "{\"pr\":9}", 1)
    );
}

#[tokio::test]
async fn finished_work_is_pruned_after_the_retention() {
    let (_dir, s) = store().await;
    s.record_delivery(&delivery("old"), Some(&job(1, "a", false)), 0)
        .await
        .unwrap();
    s.record_delivery(&delivery("waiting"), Some(&job(2, "b", false)), 0)
        .await
        .unwrap();
    let j = s.claim("w", 1, 1_000).await.unwrap().unwrap();
    s.finish(&j, "w", JobState::Done, 2).await.unwrap();
    let pruned = s.prune(100).await.unwrap();
    assert_eq!(
        pruned,
        Pruned {
            jobs: 1,
            deliveries: 1
        }
    );
    assert_eq!(s.unfinished_jobs().await.unwrap(), 1, "waiting work stays");
    assert_eq!(s.delivery_count().await.unwrap(), 1);
}

#[tokio::test]
async fn writes_are_spaced_per_installation_and_redeliveries_asked_once() {
    let (_dir, s) = store().await;
    assert_eq!(s.reserve_write(1, 1_000, 10_000).await.unwrap(), 0);
    assert_eq!(s.reserve_write(1, 1_000, 10_000).await.unwrap(), 1_000);
    assert_eq!(s.reserve_write(1, 1_000, 10_500).await.unwrap(), 1_500);
    assert_eq!(s.reserve_write(2, 1_000, 10_500).await.unwrap(), 0);
    s.record_rate_limit(1, 0, 20).await.unwrap();
    assert_eq!(s.rate_limit_wait(1, 10_000).await.unwrap(), (11_000, 0));
    s.block_installation(2, 70_000).await.unwrap();
    assert_eq!(s.rate_limit_wait(2, 10_000).await.unwrap().0, 60_000);
    assert!(s.claim_redelivery("g1", 1, 0).await.unwrap());
    assert!(!s.claim_redelivery("g1", 2, 0).await.unwrap());
    s.forget_redelivery("g1").await.unwrap();
    assert!(s.claim_redelivery("g1", 3, 0).await.unwrap());
}

#[tokio::test]
async fn a_bad_url_says_what_is_accepted_without_echoing_it() {
    let err = Store::open("mysql://root:hunter2@db/k").await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("sqlite://PATH"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    let err = Store::open("sqlite:///nonexistent-dir/k.db")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not an existing directory"),
        "{err}"
    );
}

#[tokio::test]
async fn what_a_head_posted_is_recorded_replaced_and_cleared() {
    let (_dir, s) = store().await;
    s.record_posted("o/r#1@a", "review", 7, 0).await.unwrap();
    s.record_posted("o/r#1@a", "summary", 8, 0).await.unwrap();
    s.record_posted("o/r#1@a", "review", 9, 1).await.unwrap();
    let mut posted = s.posted("o/r#1@a").await.unwrap();
    posted.sort();
    assert_eq!(
        posted,
        vec![("review".to_string(), 9), ("summary".to_string(), 8)]
    );
    s.clear_posted("o/r#1@a").await.unwrap();
    assert!(s.posted("o/r#1@a").await.unwrap().is_empty());
}
