//! The rollout policy through the GitHub App: `.github/kubenudge.yml` read from the base
//! commit, stages and countdowns in comments and the summary, broken and edited
//! configurations, and the Namespace label change preview. Today is fixed at 2026-11-22.

use crate::support::fake_github::{CheckRunRecord, LoggedRequest};
use crate::support::*;

const HEAD: &str = "1111111111111111111111111111111111111111";
const CONFIG: &str = ".github/kubenudge.yml";

/// One finding at `restricted`: `allowPrivilegeEscalation` is not set (line 19).
const API: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
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
          image: registry.example.com/payments/api:1.0
          securityContext:
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
";

fn only_run(h: &Harness) -> CheckRunRecord {
    let m = h.fake.model();
    assert_eq!(m.check_runs.len(), 1, "expected exactly one check run");
    m.check_runs[0].clone()
}

fn summary(h: &Harness) -> String {
    let m = h.fake.model();
    assert_eq!(m.issue_comments.len(), 1, "expected one summary comment");
    m.issue_comments[0].body.clone()
}

fn report(scenario: &str, requests: &[LoggedRequest]) {
    let blobs = requests
        .iter()
        .filter(|r| r.operation.ends_with("{file_sha}"))
        .count();
    eprintln!(
        "{scenario}: {} GitHub requests ({blobs} blobs): {:?}",
        requests.len(),
        requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.operation))
            .collect::<Vec<_>>()
    );
}

/// A pull request adding `deploy/api.yaml`, with `base_files` in the base commit.
async fn review_api(base_files: &[(&str, &str)]) -> (Harness, Vec<LoggedRequest>) {
    let h = Harness::start().await;
    h.set_commit(BASE_SHA, base_files);
    h.set_pull(1, HEAD, &[ChangedFile::added("deploy/api.yaml", API)]);
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    (h, requests)
}

#[tokio::test]
async fn an_enforce_config_fails_the_check_and_says_so_in_comment_and_summary() {
    let (h, requests) = review_api(&[(CONFIG, "mode: enforce\n")]).await;
    report("enforce config", &requests);
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert_eq!(run.annotations.len(), 1);
    assert_eq!(run.annotations[0]["annotation_level"], "failure");
    let comment = h.fake.model().review_comments[0].body.clone();
    assert!(
        comment.contains("**enforce** in `payments` — blocks merges"),
        "{comment}"
    );
    insta::assert_snapshot!("enforce_inline_comment", comment);
    insta::assert_snapshot!("enforce_summary", summary(&h));
    // One request more than without a configuration: the base commit's file.
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.operation.ends_with("/contents/{path}"))
            .count(),
        1
    );
}

#[tokio::test]
async fn warn_with_a_date_counts_down_in_comment_and_summary() {
    let (h, requests) = review_api(&[(
        CONFIG,
        "mode: warn\nenforce-from: 2027-01-15\nhelp:\n  contact: \"#platform-security\"\n",
    )])
    .await;
    report("warn with countdown", &requests);
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("neutral"));
    let comment = h.fake.model().review_comments[0].body.clone();
    assert!(
        comment.contains("will block merges from 2027-01-15, in 54 days"),
        "{comment}"
    );
    let body = summary(&h);
    assert!(
        body.contains("restricted becomes blocking in `payments` on 2027-01-15, in 54 days"),
        "{body}"
    );
    insta::assert_snapshot!("warn_countdown_inline_comment", comment);
    insta::assert_snapshot!("warn_countdown_summary", body);
}

#[tokio::test]
async fn a_head_that_switches_checks_off_is_still_reviewed_with_the_base_config() {
    let h = Harness::start().await;
    h.set_commit(BASE_SHA, &[(CONFIG, "mode: enforce\n")]);
    h.set_pull(
        1,
        HEAD,
        &[
            ChangedFile::modified(
                CONFIG,
                "mode: off\n",
                "@@ -1 +1 @@\n-mode: enforce\n+mode: off",
            ),
            ChangedFile::added("deploy/api.yaml", API),
        ],
    );
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    report("head sets mode: off", &requests);
    h.assert_no_protocol_errors();
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    // The base commit's file was read (ref = base), never the head's through contents.
    let m = h.fake.model();
    let paths: Vec<&str> = requests
        .iter()
        .filter(|r| r.operation.ends_with("/contents/{path}"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(paths.len(), 1);
    assert!(
        m.issue_comments[0]
            .body
            .contains("This review applies the base branch's configuration")
    );
}

#[tokio::test]
async fn the_config_comes_from_the_base_commit_not_the_head() {
    // The head commit's file says enforce; the base has none: the service defaults (warn).
    let h = Harness::start().await;
    h.set_commit(
        HEAD,
        &[(CONFIG, "mode: enforce\n"), ("deploy/api.yaml", API)],
    );
    h.set_commit(BASE_SHA, &[]);
    h.set_pull(1, HEAD, &[ChangedFile::added("deploy/api.yaml", API)]);
    h.review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    assert_eq!(only_run(&h).conclusion.as_deref(), Some("neutral"));
}

#[tokio::test]
async fn a_broken_base_config_is_reported_and_the_defaults_apply() {
    let (h, requests) = review_api(&[(CONFIG, "mode: enforc\n")]).await;
    report("broken base config", &requests);
    let run = only_run(&h);
    // The defaults: restricted, latest, warn.
    assert_eq!(run.conclusion.as_deref(), Some("neutral"));
    assert!(run.summary.contains("is broken"), "{}", run.summary);
    assert!(
        run.summary
            .contains(".github/kubenudge.yml:1:7: `mode`: unknown mode \"enforc\""),
        "{}",
        run.summary
    );
    let body = summary(&h);
    assert!(body.contains("configuration is broken"), "{body}");
    assert!(body.contains(".github/kubenudge.yml:1:7"), "{body}");
}

#[tokio::test]
async fn a_config_edited_with_a_mistake_gets_a_comment_on_the_line() {
    let h = Harness::start().await;
    h.set_commit(BASE_SHA, &[(CONFIG, "mode: warn\n")]);
    let head = "mode: warn\nenforce_from: 2027-01-15\n";
    h.set_pull(
        1,
        HEAD,
        &[ChangedFile::modified(
            CONFIG,
            head,
            "@@ -1 +1,2 @@\n mode: warn\n+enforce_from: 2027-01-15",
        )],
    );
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    report("config edited with a mistake", &requests);
    h.assert_no_protocol_errors();
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("neutral"));
    let m = h.fake.model();
    assert_eq!(m.review_comments.len(), 1);
    let c = &m.review_comments[0];
    assert_eq!((c.path.as_str(), c.line), (CONFIG, 2));
    assert!(c.body.contains("enforce_from"), "{}", c.body);
}

const NAMESPACE_BASE: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    pod-security.kubernetes.io/enforce: baseline
";

#[tokio::test]
async fn a_namespace_label_change_lists_workloads_outside_the_diff() {
    let h = Harness::start().await;
    let namespace_head = NAMESPACE_BASE.replace("baseline", "restricted");
    let clean = API.replace(
        "            capabilities: {drop: [ALL]}\n",
        "            capabilities: {drop: [ALL]}\n            allowPrivilegeEscalation: false\n",
    )
    .replace("name: api", "name: web")
    .replace("{app: api}", "{app: web}");
    h.set_commit(
        BASE_SHA,
        &[("clusters/payments/namespace.yaml", NAMESPACE_BASE)],
    );
    h.set_commit(
        HEAD,
        &[
            ("clusters/payments/namespace.yaml", &namespace_head),
            ("apps/payments/api.yaml", API),
            ("apps/payments/web.yaml", &clean),
            ("README.md", "# payments\n"),
        ],
    );
    h.set_pull(
        1,
        HEAD,
        &[ChangedFile::modified(
            "clusters/payments/namespace.yaml",
            &namespace_head,
            "@@ -6 +6 @@\n-    pod-security.kubernetes.io/enforce: baseline\n+    pod-security.kubernetes.io/enforce: restricted",
        )],
    );
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    report("namespace label change", &requests);
    h.assert_no_protocol_errors();
    let body = summary(&h);
    assert!(body.contains("### Namespace label changes"), "{body}");
    assert!(
        body.contains("- `Deployment/api` (apps/payments/api.yaml:1): `pod-security/allow-privilege-escalation`"),
        "{body}"
    );
    assert!(!body.contains("Deployment/web"), "{body}");
    assert!(
        body.contains("1 of the 2 workloads of `payments`"),
        "{body}"
    );
    let run = only_run(&h);
    assert!(run.summary.contains("`Deployment/api`"), "{}", run.summary);
    assert_eq!(run.conclusion.as_deref(), Some("neutral"));
    assert_eq!(run.title, "Namespace label change would reject 1 workload");
    insta::assert_snapshot!("namespace_label_change_summary", body);
    // The head tree once (the preview and the connectivity section share it), the base tree
    // once (connectivity), the two workloads' blobs (README is not read).
    let tree = requests
        .iter()
        .filter(|r| r.operation.ends_with("/git/trees/{tree_sha}"))
        .count();
    assert_eq!(tree, 2);
}

#[tokio::test]
async fn audit_findings_stay_in_the_check_run() {
    let (h, requests) = review_api(&[(CONFIG, "mode: audit\n")]).await;
    report("audit config", &requests);
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("success"));
    assert_eq!(run.annotations.len(), 1);
    assert_eq!(run.annotations[0]["annotation_level"], "notice");
    assert!(run.summary.contains("allow-privilege-escalation"));
    let m = h.fake.model();
    assert!(m.reviews.is_empty(), "no inline comments in audit");
    let body = &m.issue_comments[0].body;
    assert!(
        body.contains("1 finding in audit mode is recorded for the platform team"),
        "{body}"
    );
    assert!(!body.contains("deploy/api.yaml:19"), "{body}");
}

#[tokio::test]
async fn the_config_selects_the_rules_the_app_runs() {
    let (h, _) = review_api(&[(
        CONFIG,
        "mode: enforce\nignore: [pod-security/allow-privilege-escalation]\n",
    )])
    .await;
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("success"));
    assert!(run.annotations.is_empty());
    assert!(h.fake.model().reviews.is_empty());

    let (h, _) = review_api(&[(CONFIG, "mode: enforce\nselect: [pod-security]\n")]).await;
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert_eq!(run.annotations.len(), 1);
}

#[tokio::test]
async fn mode_off_means_nothing() {
    let (h, _) = review_api(&[(CONFIG, "mode: off\n")]).await;
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("success"));
    assert!(run.annotations.is_empty());
    assert!(h.fake.model().reviews.is_empty());
}

#[tokio::test]
async fn an_exception_silences_a_finding_until_it_expires() {
    let config = "mode: enforce
exceptions:
  - rule: pod-security/allow-privilege-escalation
    object: payments/Deployment/api
    reason: vendor image, fixed in 2.0
    expires: 2026-12-01
";
    let (h, _) = review_api(&[(CONFIG, config)]).await;
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("success"));
    assert!(run.annotations.is_empty());
    let body = summary(&h);
    assert!(body.contains("excepted until 2026-12-01"), "{body}");
    assert!(
        body.contains("Exceptions expiring within 14 days"),
        "{body}"
    );

    let expired = config.replace("2026-12-01", "2026-11-01");
    let (h, _) = review_api(&[(CONFIG, &expired)]).await;
    assert_eq!(only_run(&h).conclusion.as_deref(), Some("failure"));
    let comment = h.fake.model().review_comments[0].body.clone();
    assert!(
        comment.contains("exception expired on 2026-11-01"),
        "{comment}"
    );
}

#[tokio::test]
async fn the_base_config_is_read_once_per_base_commit() {
    let h = Harness::start().await;
    h.set_commit(BASE_SHA, &[(CONFIG, "mode: enforce\n")]);
    h.set_pull(1, HEAD, &[ChangedFile::added("deploy/api.yaml", API)]);
    h.review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    let second = "2222222222222222222222222222222222222222";
    h.set_pull(1, second, &[ChangedFile::added("deploy/api.yaml", API)]);
    let requests = h
        .review(
            "pull_request",
            "d2",
            &pull_request_event("synchronize", 1, second),
        )
        .await;
    report("second push, same base", &requests);
    h.assert_no_protocol_errors();
    assert!(
        !requests
            .iter()
            .any(|r| r.operation.ends_with("/contents/{path}")),
        "the base commit's configuration is cached"
    );
    assert_eq!(
        h.fake.model().check_runs[1].conclusion.as_deref(),
        Some("failure")
    );
}

#[tokio::test]
async fn a_config_mistake_outside_the_diff_is_an_annotation() {
    let h = Harness::start().await;
    h.set_commit(BASE_SHA, &[(CONFIG, "mode: warn\n")]);
    // Line 1 is wrong; the pull request only adds line 2.
    let head = "mode: strict\nlevel: restricted\n";
    h.set_pull(
        1,
        HEAD,
        &[ChangedFile::modified(
            CONFIG,
            head,
            "@@ -1 +1,2 @@\n mode: strict\n+level: restricted",
        )],
    );
    h.review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("neutral"));
    assert_eq!(run.annotations.len(), 1);
    assert_eq!(run.annotations[0]["path"], CONFIG);
    assert_eq!(run.annotations[0]["start_line"], 1);
    assert!(h.fake.model().reviews.is_empty());
}

#[tokio::test]
async fn a_kustomization_outside_the_diff_names_the_namespace() {
    let h = Harness::start().await;
    let config = "mode: warn\nrollout:\n  - namespaces: [\"payments\"]\n    mode: enforce\n";
    let unnamed = API.replace("  namespace: payments\n", "");
    let kustomization = "namespace: payments\nresources: [api.yaml]\n";
    h.set_commit(BASE_SHA, &[(CONFIG, config)]);
    h.set_commit(
        HEAD,
        &[
            (CONFIG, config),
            ("apps/payments/kustomization.yaml", kustomization),
            ("apps/payments/api.yaml", &unnamed),
            ("apps/shop/kustomization.yaml", "namespace: shop\n"),
        ],
    );
    h.set_pull(
        1,
        HEAD,
        &[ChangedFile::added("apps/payments/api.yaml", &unnamed)],
    );
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    report("namespace from a kustomization", &requests);
    h.assert_no_protocol_errors();
    assert_eq!(only_run(&h).conclusion.as_deref(), Some("failure"));
    let comment = h.fake.model().review_comments[0].body.clone();
    assert!(comment.contains("**enforce** in `payments`"), "{comment}");
    // The tree and the one kustomization above the changed file, not the other.
    let blobs = requests
        .iter()
        .filter(|r| r.operation.ends_with("{file_sha}"))
        .count();
    assert_eq!(blobs, 2, "the manifest and its kustomization");
}

/// A pull request that edits `clusters/payments/namespace.yaml` (from `NAMESPACE_BASE`) into
/// `head` with `patch`; returns the harness and how many trees the review read.
async fn review_namespace_edit(head: &str, patch: &str) -> (Harness, usize) {
    let h = Harness::start().await;
    h.set_commit(
        BASE_SHA,
        &[("clusters/payments/namespace.yaml", NAMESPACE_BASE)],
    );
    h.set_pull(
        1,
        HEAD,
        &[ChangedFile::modified(
            "clusters/payments/namespace.yaml",
            head,
            patch,
        )],
    );
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    report("namespace edit", &requests);
    h.assert_no_protocol_errors();
    let trees = requests
        .iter()
        .filter(|r| r.operation.ends_with("/git/trees/{tree_sha}"))
        .count();
    (h, trees)
}

#[tokio::test]
async fn a_namespace_change_that_keeps_its_labels_reads_nothing_more() {
    // No Pod Security label changed: no preview. A label did change, which a
    // namespaceSelector could match: the connectivity section reads each commit's tree once.
    let head = NAMESPACE_BASE.replace("  labels:\n", "  labels:\n    team: payments\n");
    let (h, trees) = review_namespace_edit(&head, "@@ -5,0 +6 @@\n+    team: payments").await;
    assert_eq!(trees, 2);
    assert!(!summary(&h).contains("Namespace label changes"));

    // An annotation leaves every label alone: nothing more is read at all.
    let annotated = NAMESPACE_BASE.replace(
        "  labels:\n",
        "  annotations:\n    owner: payments\n  labels:\n",
    );
    let (_, trees) = review_namespace_edit(
        &annotated,
        "@@ -4,0 +5,2 @@\n+  annotations:\n+    owner: payments",
    )
    .await;
    assert_eq!(trees, 0, "no tree read");
}

/// `API` with the host network: a baseline violation (line 13) besides the restricted one.
fn api_on_the_host_network() -> String {
    API.replace(
        "    spec:\n      securityContext:",
        "    spec:\n      hostNetwork: true\n      securityContext:",
    )
}

#[tokio::test]
async fn a_level_per_mode_fails_the_check_only_for_the_baseline_violation() {
    let config = "mode: audit\nrollout:\n  - namespaces: [payments]\n    enforce: baseline\n    warn: restricted\n    schedule:\n      - from: 2027-03-01\n        enforce: restricted\n";
    let h = Harness::start().await;
    h.set_commit(BASE_SHA, &[(CONFIG, config)]);
    let api = api_on_the_host_network();
    h.set_pull(1, HEAD, &[ChangedFile::added("deploy/api.yaml", &api)]);
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    report("enforce baseline, warn restricted", &requests);
    let run = only_run(&h);
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    let levels: Vec<(String, String)> = run
        .annotations
        .iter()
        .map(|a| {
            (
                a["title"].as_str().unwrap_or_default().to_string(),
                a["annotation_level"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let failing: Vec<&(String, String)> = levels.iter().filter(|(_, l)| l == "failure").collect();
    assert_eq!(failing.len(), 1, "{levels:?}");
    assert!(failing[0].0.contains("host-namespaces"), "{levels:?}");
    assert_eq!(levels.len(), 2, "{levels:?}");

    let comments: Vec<String> = h
        .fake
        .model()
        .review_comments
        .iter()
        .map(|c| c.body.clone())
        .collect();
    let host = comments
        .iter()
        .find(|c| c.contains("hostNetwork"))
        .expect("a comment on hostNetwork");
    assert!(
        host.contains("**enforce** at `baseline` in `payments` — blocks merges; restricted becomes blocking in `payments` on 2027-03-01, in 99 days"),
        "{host}"
    );
    let escalation = comments
        .iter()
        .find(|c| c.contains("allowPrivilegeEscalation"))
        .expect("a comment on allowPrivilegeEscalation");
    assert!(
        escalation.contains("**warn** at `restricted` in `payments` — warns only, does not block merges; restricted becomes blocking in `payments` on 2027-03-01, in 99 days"),
        "{escalation}"
    );
    let body = summary(&h);
    assert!(
        body.contains("restricted becomes blocking in `payments` on 2027-03-01, in 99 days"),
        "{body}"
    );
    assert!(body.contains("```mermaid\ngantt"), "{body}");
    insta::assert_snapshot!("levels_per_mode_summary", body);
}

/// The summary of a pull request that adds the host network to `deploy/api.yaml` (`API` at
/// the base, one restricted finding), under `config`.
async fn summary_of_host_network_edit(config: &str) -> String {
    let h = Harness::start().await;
    h.set_commit(BASE_SHA, &[(CONFIG, config), ("deploy/api.yaml", API)]);
    h.set_pull(
        1,
        HEAD,
        &[ChangedFile::modified(
            "deploy/api.yaml",
            &api_on_the_host_network(),
            "@@ -12,0 +13 @@\n+      hostNetwork: true",
        )],
    );
    h.review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    summary(&h)
}

#[tokio::test]
async fn a_dated_rollout_shows_how_the_pull_request_moves_readiness() {
    let body = summary_of_host_network_edit("mode: warn\nenforce-from: 2027-01-15\n").await;
    assert!(body.contains("### Readiness"), "{body}");
    assert!(
        body.contains("| `payments` | 1 | 1 finding in 1 workload (+1 since the base commit) | 2 findings in 1 workload (+1 since the base commit) |"),
        "{body}"
    );
    // Without a date there is no timeline, and no readiness table either.
    let body = summary_of_host_network_edit("mode: warn\n").await;
    assert!(!body.contains("### Readiness"), "{body}");
}
