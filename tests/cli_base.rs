//! `check --base REF`: the pull request's view on a temporary git repository built here —
//! only changed manifests, only findings on changed lines, the base commit's policy — and
//! `--format review-md`, the App's review printed locally.

use crate::cli_run::run_cli;

use std::path::Path;
use std::process::Command;

use clap::Parser;
use kubenudge::cli::Cli;

/// A Deployment that passes `restricted` except for what the test adds.
const COMPLIANT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: web
          image: nginx:1.27
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
";

/// A Pod that breaks several rules on lines the pull request does not touch.
const OLD_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: legacy
  namespace: shop
spec:
  containers:
    - name: legacy
      image: busybox:1.36
";

/// Runs git in `dir` with a fixed identity and dates (so commit ids are stable) and without
/// the user's configuration.
fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-02T03:04:05Z")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_DATE", "2026-01-02T03:04:05Z")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

/// `main` holds a compliant Deployment and an old non-compliant Pod; branch `feature` (checked
/// out) adds a privileged sidecar to the Deployment, touches one line of the Pod's file (its
/// image) and a README; `main` then moves on with a file the branch never saw.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "deploy/web.yaml", COMPLIANT);
    write(root, "deploy/legacy.yaml", OLD_POD);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    let sidecar = format!(
        "{COMPLIANT}        - name: sidecar\n          image: busybox:1.36\n          securityContext:\n            privileged: true\n"
    );
    write(root, "deploy/web.yaml", &sidecar);
    write(
        root,
        "deploy/legacy.yaml",
        &OLD_POD.replace("busybox:1.36", "busybox:1.37"),
    );
    write(root, "README.md", "# shop\n");
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "sidecar"]);
    git(root, &["checkout", "-q", "main"]);
    write(
        root,
        "deploy/later.yaml",
        OLD_POD.replace("legacy", "later").as_str(),
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "later on main"]);
    git(root, &["checkout", "-q", "feature"]);
    dir
}

fn findings(json: &str) -> Vec<(String, u64, String)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn only_findings_on_lines_changed_since_the_merge_base_are_reported() {
    let repo = repository();
    let root = repo.path().to_str().unwrap();
    let (code, out, err) = run_cli(&["check", "--base", "main", "--format", "json", root]);
    assert_eq!(code, 1, "{err}");
    let found = findings(&out);
    // The sidecar's lines (23-26) only; `later.yaml` came to main after the branch point and
    // the legacy Pod's findings sit on lines the branch did not change.
    assert!(!found.is_empty());
    for (file, line, rule) in &found {
        assert_eq!(file, "deploy/web.yaml", "{rule}");
        assert!((23..=26).contains(line), "{rule} at line {line}");
    }
    assert!(
        found
            .iter()
            .any(|(_, line, rule)| *line == 26 && rule == "pod-security/privileged")
    );
    // Without --base the same repository has more findings, which the note counts.
    let (_, all, _) = run_cli(&["check", "--format", "json", root]);
    let all_in_changed: usize = findings(&all)
        .iter()
        .filter(|(f, _, _)| f.ends_with("deploy/web.yaml") || f.ends_with("deploy/legacy.yaml"))
        .count();
    let hidden = all_in_changed - found.len();
    assert!(hidden > 0);
    assert!(
        err.contains(&format!(
            "checked 2 changed manifests since {} (merge-base of main and HEAD); {hidden} findings on unchanged lines not shown",
            &merge_base(repo.path())[..7]
        )),
        "{err}"
    );
}

fn merge_base(root: &Path) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["merge-base", "main", "HEAD"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn uncommitted_and_untracked_changes_count_and_paths_narrow_the_run() {
    let repo = repository();
    let root = repo.path();
    write(root, "apps/new.yaml", OLD_POD);
    write(root, "apps/ignored.yaml", OLD_POD);
    write(root, ".gitignore", "apps/ignored.yaml\n");
    let (_, out, _) = run_cli(&[
        "check",
        "--base",
        "main",
        "--format",
        "json",
        root.to_str().unwrap(),
    ]);
    let files: std::collections::BTreeSet<String> =
        findings(&out).into_iter().map(|(f, _, _)| f).collect();
    assert!(files.contains("apps/new.yaml"), "{files:?}");
    assert!(!files.contains("apps/ignored.yaml"), "{files:?}");
    // A path limits the run to what changed below it.
    let apps = root.join("apps");
    let (_, out, err) = run_cli(&[
        "check",
        "--base",
        "main",
        "--format",
        "json",
        apps.to_str().unwrap(),
    ]);
    let files: std::collections::BTreeSet<String> =
        findings(&out).into_iter().map(|(f, _, _)| f).collect();
    assert_eq!(files.into_iter().collect::<Vec<_>>(), vec!["apps/new.yaml"]);
    assert!(err.contains("checked 1 changed manifest since"), "{err}");
    assert!(
        err.contains("and HEAD, uncommitted changes included)"),
        "{err}"
    );
}

#[test]
fn the_policy_comes_from_the_merge_base_not_from_the_branch() {
    let repo = repository();
    let root = repo.path();
    // The branch tries to switch its own checks off; the base's policy still applies.
    write(root, ".github/kubenudge.yml", "mode: off\n");
    let (code, out, _) = run_cli(&["check", "--base", "main", root.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("pod-security/privileged"), "{out}");
    // A policy on the base branch is applied: with `mode: off` nothing is reported.
    git(root, &["checkout", "-q", "main"]);
    write(root, ".github/kubenudge.yml", "mode: off\n");
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "policy"]);
    git(root, &["checkout", "-q", "feature"]);
    git(root, &["merge", "-q", "--no-edit", "main"]);
    let (code, out, _) = run_cli(&["check", "--base", "main", root.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("pod-security/privileged"), "{out}");
}

#[test]
fn the_base_policy_decides_the_verdict_and_a_broken_one_is_shown() {
    let repo = repository();
    let root = repo.path();
    let commit_policy_on_main = |text: &str| {
        git(root, &["checkout", "-q", "main"]);
        write(root, ".github/kubenudge.yml", text);
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "policy"]);
        git(root, &["checkout", "-q", "feature"]);
        git(root, &["merge", "-q", "--no-edit", "main"]);
    };
    commit_policy_on_main("mode: enforce\n");
    let path = root.to_str().unwrap();
    let (code, out, _) = run_cli(&["check", "--base", "main", "--format", "review-md", path]);
    assert_eq!(code, 1, "an enforced finding fails, as the check run would");
    assert!(out.contains("Check run `kubenudge`: **failure**"), "{out}");

    commit_policy_on_main("mode: sometimes\n");
    let (code, _, err) = run_cli(&["check", "--base", "main", path]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(".github/kubenudge.yml:1:7: "),
        "the mistake at its line and column: {err}"
    );
    assert!(err.contains("nothing was checked"), "{err}");
    // The App applies the defaults and says why; so does its preview.
    let (code, out, _) = run_cli(&["check", "--base", "main", "--format", "review-md", path]);
    assert_eq!(code, 0);
    assert!(out.contains("**neutral**"), "{out}");
    assert!(out.contains("`.github/kubenudge.yml`"), "{out}");
}

#[test]
fn text_output_names_the_scope() {
    let repo = repository();
    let (code, out, _) = run_cli(&["check", "--base", "main", repo.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    let base = merge_base(repo.path());
    insta::assert_snapshot!(out.replace(&base[..7], "[merge-base]"));
}

#[test]
fn review_md_prints_the_review_the_app_would_post() {
    let repo = repository();
    let (code, out, err) = run_cli(&[
        "check",
        "--base",
        "main",
        "--format",
        "review-md",
        "--today",
        "2026-03-01",
        repo.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    // The App's own markers: a summary comment it would recognise, and an inline comment on
    // the sidecar with a suggestion that fixes its findings.
    assert!(out.contains("<!-- kubenudge:summary -->"));
    assert!(out.contains("### `deploy/web.yaml` line 26"), "{out}");
    assert!(out.contains("```suggestion"));
    let head = Command::new("git")
        .arg("-C")
        .arg(repo.path())
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
    assert!(out.contains(&format!("<!-- kubenudge:head={head} -->")));
    let base = merge_base(repo.path());
    insta::assert_snapshot!(
        out.replace(&head, "[head]")
            .replace(&head[..7], "[head]")
            .replace(&base[..7], "[merge-base]")
    );
}

#[test]
fn review_md_previews_what_a_namespace_label_change_would_reject() {
    let repo = repository();
    let root = repo.path();
    let namespace = |level: &str| {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: {level}\n"
        )
    };
    git(root, &["checkout", "-q", "main"]);
    write(root, "deploy/namespace.yaml", &namespace("baseline"));
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "namespace"]);
    git(root, &["checkout", "-q", "-b", "tighten"]);
    // Only the label changes; the legacy Pod (unchanged) would now be rejected.
    write(root, "deploy/namespace.yaml", &namespace("restricted"));
    let (code, out, err) = run_cli(&[
        "check",
        "--base",
        "main",
        "--format",
        "review-md",
        root.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Check run `kubenudge`: **neutral** — Namespace label change would reject"),
        "{out}"
    );
    assert!(out.contains("### Namespace label changes"), "{out}");
    assert!(
        out.contains("**`shop`**: `pod-security.kubernetes.io/enforce` `baseline` → `restricted` (deploy/namespace.yaml:1)"),
        "{out}"
    );
    assert!(out.contains("Pod/legacy"), "{out}");
}

#[test]
fn bad_input_gets_a_clear_message() {
    let repo = repository();
    let root = repo.path().to_str().unwrap();
    let (code, _, err) = run_cli(&["check", "--base", "no-such-branch", root]);
    assert_eq!(code, 2);
    assert!(err.contains("\"no-such-branch\" is not a commit"), "{err}");
    let plain = tempfile::tempdir().unwrap();
    let (code, _, err) = run_cli(&["check", "--base", "main", plain.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: --base needs a git repository"),
        "{err}"
    );
    let (code, _, err) = run_cli(&["check", "--format", "review-md", root]);
    assert_eq!(code, 2);
    assert!(err.contains("--base REF"), "{err}");
    let parsed = Cli::try_parse_from(["kubenudge", "check", "--base", "main", "--fix"]);
    assert!(parsed.is_err(), "--base and --fix conflict");
}

/// A branch that adds a NetworkPolicy shows what it does to who can reach whom: `other` can no
/// longer reach `backend`, `frontend` still can (only on its port).
#[test]
fn a_dated_rollout_shows_the_readiness_trend_in_review_md() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(
        root,
        ".github/kubenudge.yml",
        "mode: warn\nenforce-from: 2099-01-01\n",
    );
    write(root, "deploy/web.yaml", COMPLIANT);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    let sidecar = format!(
        "{COMPLIANT}        - name: sidecar\n          image: busybox:1.36\n          securityContext:\n            privileged: true\n"
    );
    write(root, "deploy/web.yaml", &sidecar);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "sidecar"]);
    let (_, md, err) = run_cli(&[
        "check",
        "--base",
        "main",
        "--format",
        "review-md",
        root.to_str().unwrap(),
    ]);
    assert!(md.contains("### Readiness"), "{md}\n{err}");
    // The base was clean; the privileged sidecar adds findings at both levels.
    let row = md
        .lines()
        .find(|l| l.starts_with("| `shop` |") && l.contains("since the base commit"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(row.contains("(+"), "{row}");
    assert!(!row.contains("unchanged"), "{row}");
}

#[test]
fn a_new_network_policy_prints_the_connectivity_diff() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let workload = |name: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: {name}\n          image: nginx:1.27\n          ports:\n            - containerPort: 8080\n"
        )
    };
    git(root, &["init", "-q"]);
    for name in ["frontend", "backend", "other"] {
        write(root, &format!("deploy/{name}.yaml"), &workload(name));
    }
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    write(
        root,
        "deploy/policy.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: backend\n  namespace: shop\nspec:\n  podSelector:\n    matchLabels: {app: backend}\n  ingress:\n    - from:\n        - podSelector:\n            matchLabels: {app: frontend}\n      ports:\n        - port: 8080\n",
    );
    let (_, out, err) = run_cli(&["check", "--base", "main", root.to_str().unwrap()]);
    assert!(out.contains("Connectivity diff:"), "{out}\n{err}");
    // np-guard's diff lines.
    assert!(
        out.contains("diff-type: removed, source: shop/other[Deployment], destination: shop/backend[Deployment], ref1: All Connections, ref2: No Connections"),
        "{out}"
    );
    assert!(
        out.contains("diff-type: changed, source: shop/frontend[Deployment], destination: shop/backend[Deployment], ref1: All Connections, ref2: TCP 8080"),
        "{out}"
    );
    // The App's view of the same change: the summary's Connectivity section (graph
    // included) and a comment on the podSelector line that isolates the backend.
    let (_, md, err) = run_cli(&[
        "check",
        "--base",
        "main",
        "--format",
        "review-md",
        root.to_str().unwrap(),
    ]);
    assert!(md.contains("### Connectivity"), "{md}\n{err}");
    assert!(md.contains("```mermaid\ngraph LR"), "{md}");
    assert!(
        md.contains(
            "### `deploy/policy.yaml` line 7\n\n**Connectivity:** this line newly **blocks**"
        ),
        "{md}"
    );
    // A change that touches no connectivity prints no diff.
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "policy"]);
    git(root, &["checkout", "-q", "-b", "readme"]);
    write(root, "README.md", "# shop\n");
    let (_, out, _) = run_cli(&["check", "--base", "feature", root.to_str().unwrap()]);
    assert!(!out.contains("Connectivity diff"), "{out}");
}
