//! What the App tells its operator. `/metrics`: GitHub answers by operation and status,
//! rate-limit remaining by installation, review latency. Logs: every line of a review names
//! its delivery, repository, pull request and head commit, and no secret (webhook secret, private key, installation token, JWT,
//! the credentials GitHub hands `/setup`) ever appears — through a clean review, retries,
//! a revoked token, refused deliveries and both ends of the set-up exchange. (Every other
//! App test checks the same secrets as its harness is dropped.)

use std::sync::Arc;

use crate::support::fake_github::Fault;
use crate::support::manifest_flow::{self, CREATED_WEBHOOK_SECRET};
use crate::support::*;
use kubenudge::server::setup_router;

const SHA1: &str = "1111111111111111111111111111111111111111";

const INSECURE: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
";

#[tokio::test]
async fn metrics_count_github_answers_and_logs_carry_the_delivery_and_no_secret() {
    let h = Harness::start().await;
    h.set_pull(1, SHA1, &[ChangedFile::added("deploy/web.yaml", INSECURE)]);
    {
        let mut m = h.fake.model();
        // A retried 502 and a token GitHub no longer accepts: both paths log.
        m.faults.push_back(Fault {
            method: "GET",
            operation: "/repos/{owner}/{repo}/pulls/{pull_number}/files",
            times: 1,
            status: 502,
            headers: vec![("x-ratelimit-remaining", "4321".into())],
            body: serde_json::json!({"message": "Server Error"}),
        });
        m.faults.push_back(Fault {
            method: "GET",
            operation: "/repos/{owner}/{repo}/git/blobs/{file_sha}",
            times: 1,
            status: 401,
            headers: vec![],
            body: serde_json::json!({"message": "Bad credentials"}),
        });
    }
    h.review(
        "pull_request",
        "delivery-7f3a",
        &pull_request_event("opened", 1, SHA1),
    )
    .await;
    // Refused deliveries: a wrong signature, and a payload that does not parse.
    let body = br#"{"action":"opened"}"#;
    let bad = kubenudge::server::signature::sign(&secrecy::SecretString::from("not it"), body);
    h.post_webhook(
        &[
            ("X-GitHub-Event", "pull_request"),
            ("X-GitHub-Delivery", "delivery-bad"),
            ("X-Hub-Signature-256", &bad),
        ],
        body,
    )
    .await;
    let good = kubenudge::server::signature::sign(&secrecy::SecretString::from(SECRET), body);
    h.post_webhook(
        &[
            ("X-GitHub-Event", "pull_request"),
            ("X-GitHub-Delivery", "delivery-unparsed"),
            ("X-Hub-Signature-256", &good),
        ],
        body,
    )
    .await;
    h.assert_no_protocol_errors();
    assert!(
        h.fake.model().tokens.len() >= 2,
        "the revoked token was replaced"
    );

    let (_, metrics) = h.get("/metrics").await;
    for line in [
        "kubenudge_github_responses_total{route=\"GET /repos/{owner}/{repo}/pulls/{pull_number}/files\",status=\"502\"} 1",
        "kubenudge_github_responses_total{route=\"GET /repos/{owner}/{repo}/pulls/{pull_number}/files\",status=\"200\"} 1",
        "kubenudge_github_responses_total{route=\"GET /repos/{owner}/{repo}/git/blobs/{file_sha}\",status=\"401\"} 1",
        "kubenudge_github_rate_limit_remaining{installation=\"4242\"} 4321",
        "kubenudge_webhooks_rejected_total{reason=\"signature\"} 1",
        "kubenudge_webhooks_rejected_total{reason=\"payload\"} 1",
        "kubenudge_reviews_total{outcome=\"neutral\"} 1",
        "kubenudge_review_duration_seconds_count 1",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }

    let logs = logs::text();
    let finished = logs
        .lines()
        .find(|l| l.contains("review finished") && l.contains("delivery-7f3a"))
        .unwrap_or_else(|| panic!("no 'review finished' line for the delivery in:\n{logs}"));
    for field in ["Codertocat/Hello-World", "pr=1", SHA1] {
        assert!(finished.contains(field), "{field} missing from {finished}");
    }
    // The whole test binary logs into one buffer: look for this delivery's retry.
    let retried = logs
        .lines()
        .find(|l| l.contains("retrying") && l.contains("delivery-7f3a"))
        .unwrap_or_else(|| panic!("no retry logged for the delivery in:\n{logs}"));
    assert!(retried.contains(SHA1), "{retried}");
    h.assert_no_secret_in_logs();
}

#[tokio::test]
async fn the_setup_exchange_logs_no_credential() {
    logs::capture();
    let fake = fake_github::FakeGitHub::start().await;
    let pem = std::fs::read_to_string(data("test-app-key.pem")).unwrap();
    manifest_flow::mount(&fake, &pem).await;
    let dir = tempfile::tempdir().unwrap();
    let setup = manifest_flow::service(&fake, Some("http://127.0.0.1:1"), dir.path().join("creds"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, setup_router(Arc::clone(&setup))).into_future());
    // The form hands out a state; GitHub's redirect brings it back with the code.
    let (status, form) = http(addr, "GET", "/setup", &[], b"", None).await;
    assert_eq!(status, 200);
    let state = manifest_flow::form_state(&form);
    // A wrong code first (GitHub refuses it and the failure is logged), then the real one.
    let (status, _) = http(
        addr,
        "GET",
        &format!("/setup/callback?code=0000&state={state}"),
        &[],
        b"",
        None,
    )
    .await;
    assert_eq!(status, 502);
    let (_, form) = http(addr, "GET", "/setup", &[], b"", None).await;
    let state = manifest_flow::form_state(&form);
    let (status, page) = http(
        addr,
        "GET",
        &format!("/setup/callback?code={}&state={state}", manifest_flow::CODE),
        &[],
        b"",
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(setup.configured());
    let logs = logs::text();
    assert!(
        logs.contains("GitHub App created; credentials stored"),
        "{logs}"
    );
    assert!(
        logs.contains("exchanging the App-manifest code failed"),
        "{logs}"
    );
    let mut secrets = vec![("webhook secret from GitHub", CREATED_WEBHOOK_SECRET)];
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        secrets.push(("private key from GitHub", line));
    }
    secrets.push(("client secret", "1726be1638095a19edd134c77bde3aa2ece1e5d8"));
    let leaked = logs::leaked(&secrets);
    assert!(leaked.is_empty(), "secrets in the logs: {leaked:?}");
}
