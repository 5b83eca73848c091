//! Connectivity in the pull request, through the fake GitHub: the repository is read at the
//! base and at the head commit, the summary gains a "Connectivity" section (np-guard's diff
//! table and a mermaid graph), the policy lines that block or open connections get inline
//! comments, and a new workload left unprotected next to isolated ones gets a suggested
//! NetworkPolicy.
//!
//! The manifests are in `tests/data/connectivity/`: `shop.yaml` (Namespaces `shop` and
//! `other`; `shop/backend` listening on 8080, `shop/frontend`, `other/client`),
//! `backend-policy.yaml` (only `shop/frontend` may reach `shop/backend`, on TCP 8080),
//! `new-worker.yaml` (a Service for the backend and a new `shop/worker` that calls it).

use crate::support;

use crate::support::*;

const HEAD: &str = "1111111111111111111111111111111111111111";
const HEAD2: &str = "2222222222222222222222222222222222222222";

fn manifest(name: &str) -> String {
    let path = format!(
        "{}/tests/data/connectivity/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

fn summary(h: &Harness) -> String {
    let m = h.fake.model();
    assert_eq!(m.issue_comments.len(), 1, "expected one summary comment");
    m.issue_comments[0].body.clone()
}

/// The part of the summary from the Connectivity heading to the next `###` heading or marker.
fn section(body: &str) -> String {
    let start = body
        .find("### Connectivity")
        .unwrap_or_else(|| panic!("no Connectivity section in:\n{body}"));
    let rest = &body[start..];
    let end = rest[3..]
        .find("\n### ")
        .map(|e| e + 3)
        .or_else(|| rest.find("<!-- kubenudge:head="))
        .unwrap_or(rest.len());
    rest[..end].trim_end().to_string()
}

fn trees_read(requests: &[support::fake_github::LoggedRequest]) -> usize {
    requests
        .iter()
        .filter(|r| r.operation.ends_with("/git/trees/{tree_sha}"))
        .count()
}

#[tokio::test]
async fn a_new_policy_shows_the_connections_it_removes_and_comments_on_its_lines() {
    let h = Harness::start().await;
    let shop = manifest("shop.yaml");
    let policy = manifest("backend-policy.yaml");
    h.set_commit(BASE_SHA, &[("apps/shop.yaml", &shop)]);
    h.set_commit(
        HEAD,
        &[
            ("apps/shop.yaml", &shop),
            ("policies/backend.yaml", &policy),
        ],
    );
    h.set_pull(
        1,
        HEAD,
        &[ChangedFile::added("policies/backend.yaml", &policy)],
    );
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    // Both commits' trees; the unchanged file's blob is read once for both sides.
    assert_eq!(trees_read(&requests), 2);
    let shop_blob = blob_sha(&shop);
    let shop_reads = requests
        .iter()
        .filter(|r| r.operation.ends_with("{file_sha}") && r.path.contains(&shop_blob))
        .count();
    assert_eq!(shop_reads, 1);

    let body = summary(&h);
    let s = section(&body);
    assert!(
        s.contains("| removed | other/client[Deployment] | shop/backend[Deployment] | All Connections | No Connections |"),
        "{s}"
    );
    assert!(
        s.contains("| changed | shop/frontend[Deployment] | shop/backend[Deployment] | All Connections | TCP 8080 |"),
        "{s}"
    );
    assert!(s.contains("```mermaid\ngraph LR\n"), "{s}");
    assert!(s.contains("-.->|\"removed: All Connections\"|"), "{s}");
    assert!(
        s.contains("**2 connections removed**, **1 connection changed**"),
        "{s}"
    );
    insta::assert_snapshot!("connectivity_new_policy_section", s);

    // The check run carries the same section.
    let run = h.fake.model().check_runs[0].clone();
    assert!(run.summary.contains("### Connectivity"), "{}", run.summary);

    // The podSelector line isolates the backend: it blocks the client and the outside world.
    let comments = h.fake.model().review_comments.clone();
    let on = |line: u64| {
        comments
            .iter()
            .find(|c| c.path == "policies/backend.yaml" && c.line == line)
            .unwrap_or_else(|| panic!("no comment on line {line}: {comments:#?}"))
            .body
            .clone()
    };
    let blocks = on(7);
    assert!(
        blocks.contains("this line newly **blocks** 2 connections"),
        "{blocks}"
    );
    assert!(
        blocks.contains(
            "`other/client[Deployment] => shop/backend[Deployment]` (was All Connections)"
        ),
        "{blocks}"
    );
    insta::assert_snapshot!("connectivity_blocks_comment", blocks);
    // The rule narrows the frontend's access to the port it allows.
    let narrows = on(11);
    assert!(
        narrows.contains("this line **changes** 1 connection"),
        "{narrows}"
    );
    assert!(narrows.contains("All Connections → TCP 8080"), "{narrows}");

    // The next push changes nothing about connectivity: no comment is posted twice.
    let posted = comments.len();
    h.set_commit(
        HEAD2,
        &[
            ("apps/shop.yaml", &shop),
            ("policies/backend.yaml", &policy),
        ],
    );
    h.set_pull(
        1,
        HEAD2,
        &[ChangedFile::added("policies/backend.yaml", &policy)],
    );
    h.review(
        "pull_request",
        "d2",
        &pull_request_event("synchronize", 1, HEAD2),
    )
    .await;
    h.assert_no_protocol_errors();
    let m = h.fake.model();
    assert_eq!(m.review_comments.len(), posted);
    assert!(
        m.review_comments
            .iter()
            .all(|c| !c.body.contains("kubenudge:fixed")),
        "a connectivity comment was marked fixed"
    );
    assert!(m.issue_comments[0].body.contains("### Connectivity"));
}

#[tokio::test]
async fn a_new_workload_next_to_isolated_ones_gets_a_suggested_policy() {
    let h = Harness::start().await;
    let shop = manifest("shop.yaml");
    let policy = manifest("backend-policy.yaml");
    let worker = manifest("new-worker.yaml");
    h.set_commit(
        BASE_SHA,
        &[
            ("apps/shop.yaml", &shop),
            ("policies/backend.yaml", &policy),
        ],
    );
    h.set_commit(
        HEAD,
        &[
            ("apps/shop.yaml", &shop),
            ("policies/backend.yaml", &policy),
            ("apps/worker.yaml", &worker),
        ],
    );
    h.set_pull(1, HEAD, &[ChangedFile::added("apps/worker.yaml", &worker)]);
    h.review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    let s = section(&summary(&h));
    assert!(
        s.contains("#### Suggested NetworkPolicy for `shop/worker[Deployment]`"),
        "{s}"
    );
    assert!(s.contains("```yaml\n"), "{s}");
    assert!(s.contains("kind: NetworkPolicy"), "{s}");
    // The suggestion allows DNS and the backend Service it names, nothing else out.
    assert!(s.contains("port: 53"), "{s}");
    assert!(s.contains("app: backend"), "{s}");
    // The worker is new: its connections are added, named as such.
    assert!(s.contains("workload shop/worker[Deployment] added"), "{s}");
    // The suggestion's YAML is a valid NetworkPolicy kubenudge itself accepts.
    let yaml_start = s.find("```yaml\n").unwrap() + 8;
    let yaml = &s[yaml_start..yaml_start + s[yaml_start..].find("```").unwrap()];
    let checked =
        kubenudge::manifest::read_manifest("s.yaml", yaml.as_bytes(), &Default::default())
            .expect("the suggestion parses");
    assert_eq!(checked.objects[0].kind, "NetworkPolicy");
    insta::assert_snapshot!("connectivity_suggestion_section", s);
}

#[tokio::test]
async fn a_change_that_touches_no_network_object_reads_no_tree() {
    let h = Harness::start().await;
    let config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  a: b\n";
    h.set_commit(BASE_SHA, &[("apps/shop.yaml", &manifest("shop.yaml"))]);
    h.set_pull(1, HEAD, &[ChangedFile::added("apps/settings.yaml", config)]);
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    assert_eq!(trees_read(&requests), 0);
    assert!(!summary(&h).contains("### Connectivity"));
}

/// An egress policy that forgets DNS, in a pull request whose base configuration enforces:
/// network-policy findings go through the same rollout policy as Pod Security ones. (The
/// finding needs the whole repository — another policy could allow DNS — which the App has
/// read because the pull request touches connectivity.)
const EGRESS_WITHOUT_DNS: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: backend-egress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: backend
  policyTypes: [Egress]
  egress:
    - to:
        - podSelector:
            matchLabels:
              app: frontend
";

async fn review_egress_policy(config: &str) -> Harness {
    let h = Harness::start().await;
    let shop = manifest("shop.yaml");
    h.set_commit(
        BASE_SHA,
        &[("apps/shop.yaml", &shop), (".github/kubenudge.yml", config)],
    );
    h.set_pull(
        1,
        HEAD,
        &[ChangedFile::added(
            "policies/egress.yaml",
            EGRESS_WITHOUT_DNS,
        )],
    );
    h.review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    h
}

#[tokio::test]
async fn network_policy_findings_follow_the_rollout_policy() {
    let h = review_egress_policy("mode: enforce\n").await;
    {
        let m = h.fake.model();
        let run = m.check_runs[0].clone();
        assert_eq!(
            run.conclusion.as_deref(),
            Some("failure"),
            "{}",
            run.summary
        );
        let dns = m
            .review_comments
            .iter()
            .find(|c| c.body.contains("network-policy/egress-blocks-dns"))
            .unwrap_or_else(|| panic!("{:#?}", m.review_comments));
        assert!(dns.body.contains("**enforce**"), "{}", dns.body);
    }

    let excepted = "mode: enforce
exceptions:
  - rule: network-policy/egress-blocks-dns
    object: shop/NetworkPolicy/backend-egress
    reason: the backend resolves nothing, it calls IPs from its config
    expires: 2027-06-01
";
    let h = review_egress_policy(excepted).await;
    let m = h.fake.model();
    assert!(
        m.review_comments
            .iter()
            .all(|c| !c.body.contains("network-policy/egress-blocks-dns")),
        "{:#?}",
        m.review_comments
    );
    assert_ne!(m.check_runs[0].conclusion.as_deref(), Some("failure"));
}

#[tokio::test]
async fn a_tree_github_refuses_leaves_a_note_and_the_review_completes() {
    let h = Harness::start().await;
    let shop = manifest("shop.yaml");
    let policy = manifest("backend-policy.yaml");
    h.set_commit(BASE_SHA, &[("apps/shop.yaml", &shop)]);
    h.set_pull(
        1,
        HEAD,
        &[ChangedFile::added("policies/backend.yaml", &policy)],
    );
    // 403 is not retried: the tree stays unreadable for this review.
    h.fake
        .model()
        .faults
        .push_back(support::fake_github::Fault {
            method: "GET",
            operation: "/repos/{owner}/{repo}/git/trees/{tree_sha}",
            times: 10,
            status: 403,
            headers: Vec::new(),
            body: serde_json::json!({"message": "Resource not accessible by integration"}),
        });
    h.review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    let m = h.fake.model();
    assert_eq!(m.check_runs[0].status, "completed");
    let body = &m.issue_comments[0].body;
    assert!(body.contains("### Connectivity"), "{body}");
    assert!(
        body.contains("could not read the repository at both commits"),
        "{body}"
    );
    assert!(!body.contains("```mermaid"), "{body}");
}
