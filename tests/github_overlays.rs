//! Kustomize overlays through the GitHub App: a pull request that changes a prod patch gets
//! the prod overlay built at base and head, a comment on the patch line that sets the value,
//! nothing about what the overlay already had at base, and a summary naming the overlays.

use crate::support::*;

const HEAD: &str = "2222222222222222222222222222222222222222";

const BASE_KUSTOMIZATION: &str = include_str!("data/overlays/shop/base/kustomization.yaml");

/// Clean under `restricted` except for its writable root filesystem (already so at base).
const BASE_DEPLOYMENT: &str = include_str!("data/overlays/shop/base/deployment.yaml");

const DEV: &str = include_str!("data/overlays/shop/overlays/dev/kustomization.yaml");

const PROD: &str = include_str!("data/overlays/shop/overlays/prod/kustomization.yaml");

const PATCH_BEFORE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
";

/// Line 12 sets `privileged: true`.
const PATCH_AFTER: &str = include_str!("data/overlays/shop/overlays/prod/debug.yaml");

const DIFF: &str = "@@ -1,6 +1,12 @@
 apiVersion: apps/v1
 kind: Deployment
 metadata:
   name: web
 spec:
   replicas: 3
+  template:
+    spec:
+      containers:
+      - name: web
+        securityContext:
+          privileged: true";

fn commit(patch: &str) -> Vec<(&'static str, String)> {
    vec![
        ("base/kustomization.yaml", BASE_KUSTOMIZATION.into()),
        ("base/deployment.yaml", BASE_DEPLOYMENT.into()),
        ("overlays/dev/kustomization.yaml", DEV.into()),
        ("overlays/prod/kustomization.yaml", PROD.into()),
        ("overlays/prod/debug.yaml", patch.into()),
        ("README.md", "not a manifest\n".into()),
    ]
}

#[tokio::test]
async fn a_prod_patch_gets_its_comment_on_the_patch_line_and_only_what_is_new() {
    let h = Harness::start().await;
    let base = commit(PATCH_BEFORE);
    let head = commit(PATCH_AFTER);
    h.set_pull_between(
        HEAD,
        &base,
        &head,
        &[ChangedFile::modified(
            "overlays/prod/debug.yaml",
            PATCH_AFTER,
            DIFF,
        )],
    );
    let requests = h
        .review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    let model = h.fake.model();

    // One comment, on the patch line that sets the value.
    assert_eq!(
        model.review_comments.len(),
        1,
        "{:#?}",
        model.review_comments
    );
    let comment = &model.review_comments[0];
    assert_eq!(
        (comment.path.as_str(), comment.line),
        ("overlays/prod/debug.yaml", 12)
    );
    assert!(
        comment.body.contains("pod-security/privileged"),
        "{}",
        comment.body
    );
    // The base's writable root filesystem was there before the pull request: not reported,
    // neither as a comment nor in the check run; and the patch is not judged alone (no
    // missing runAsNonRoot or seccomp on it).
    let run = &model.check_runs[0];
    for a in &run.annotations {
        assert_eq!(a["path"], "overlays/prod/debug.yaml", "{a}");
        assert!(
            a["message"].as_str().unwrap_or("").contains("privileged"),
            "{a}"
        );
    }
    let summary = &model.issue_comments[0].body;
    assert!(
        summary.contains("Kustomize overlays built at base and head: `overlays/prod`;"),
        "{summary}"
    );
    insta::assert_snapshot!("overlay_patch_comment", comment.body);
    drop(model);
    // Both trees were read, and each blob once (the cache serves what the two commits share).
    let trees = requests
        .iter()
        .filter(|r| r.operation.ends_with("/git/trees/{tree_sha}"))
        .count();
    assert_eq!(trees, 2);
    let blobs = requests
        .iter()
        .filter(|r| r.operation.ends_with("/git/blobs/{file_sha}"))
        .count();
    assert_eq!(
        blobs, 6,
        "the changed patch, the four other files under kustomizations, the patch at base"
    );
}

#[tokio::test]
async fn a_plain_manifest_change_builds_no_overlay() {
    let h = Harness::start().await;
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n";
    h.set_commit(BASE_SHA, &[]);
    h.set_commit(HEAD, &[("apps/pod.yaml", pod)]);
    h.set_pull(1, HEAD, &[ChangedFile::added("apps/pod.yaml", pod)]);
    h.review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    let model = h.fake.model();
    let summary = &model.issue_comments[0].body;
    assert!(!summary.contains("Kustomize"), "{summary}");
    // The whole Pod is judged as it is: its findings are on its own lines.
    assert!(
        model.check_runs[0]
            .annotations
            .iter()
            .all(|a| a["path"] == "apps/pod.yaml")
    );
}
