//! `action.yml`, the composite GitHub Action: it parses, runs `check --format sarif` and uploads
//! the result to code scanning; its check step, run here with bash as the runner would run it
//! (the binary under test on PATH), writes valid SARIF and reports kubenudge's exit code.

use std::path::{Path, PathBuf};
use std::process::Command;

use kubenudge::manifest::{Limits, NodeId, NodeKind, SourceText, YamlTree, parse_stream};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(tree: &YamlTree, node: Option<NodeId>) -> Option<&str> {
    match &tree.node(node?).kind {
        NodeKind::Str(s) => Some(s),
        _ => None,
    }
}

/// The action's steps as (name, `run` script, `uses`).
fn steps() -> Vec<(String, Option<String>, Option<String>)> {
    let source = SourceText::new(&std::fs::read_to_string(root().join("action.yml")).unwrap());
    let (tree, docs) = parse_stream(&source, &Limits::default()).expect("action.yml is YAML");
    let action = docs[0].root;
    let runs = tree.get(action, "runs").expect("runs");
    assert_eq!(text(&tree, tree.get(runs, "using")), Some("composite"));
    for key in ["name", "description"] {
        assert!(
            text(&tree, tree.get(action, key)).is_some(),
            "action.yml has {key}"
        );
    }
    tree.items(tree.get(runs, "steps").expect("steps"))
        .iter()
        .map(|&step| {
            (
                text(&tree, tree.get(step, "name"))
                    .unwrap_or("")
                    .to_string(),
                text(&tree, tree.get(step, "run")).map(str::to_string),
                text(&tree, tree.get(step, "uses")).map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn the_action_checks_with_sarif_and_uploads_it_to_code_scanning() {
    let steps = steps();
    assert!(steps.iter().any(|(_, run, _)| {
        run.as_deref()
            .is_some_and(|r| r.contains("kubenudge check --format sarif"))
    }));
    assert!(steps.iter().any(|(_, _, uses)| {
        uses.as_deref()
            .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
    }));
    let install = steps
        .iter()
        .find_map(|(name, run, _)| (name == "Install kubenudge").then_some(run.clone()?))
        .expect("an install step");
    assert!(install.contains("releases/") && install.contains("cargo install --locked"));
}

fn run_check_step(paths: &str, args: &str, work: &Path) -> (String, String, i32) {
    let script = steps()
        .into_iter()
        .find_map(|(name, run, _)| (name == "Check manifests").then_some(run?))
        .expect("a check step");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_kubenudge")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let output_file = work.join("github_output");
    std::fs::write(&output_file, "").unwrap();
    let status = Command::new("bash")
        // As GitHub runs `shell: bash` steps.
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
        .current_dir(root())
        .env("PATH", path)
        .env("RUNNER_TEMP", work)
        .env("GITHUB_OUTPUT", &output_file)
        .env("PATHS", paths)
        .env("ARGS", args)
        .status()
        .expect("bash runs");
    let outputs = std::fs::read_to_string(&output_file).unwrap();
    let get = |key: &str| {
        outputs
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_default()
            .to_string()
    };
    (
        get("sarif-file"),
        get("exit-code"),
        status.code().unwrap_or(-1),
    )
}

#[test]
fn the_check_step_writes_sarif_and_reports_the_exit_code() {
    let work = tempfile::tempdir().unwrap();
    let (sarif, code, status) = run_check_step(
        "fixtures/insecure-deployment.yaml fixtures/pod-security",
        "--select pod-security",
        work.path(),
    );
    assert_eq!(
        status, 0,
        "findings do not fail the step (code scanning shows them)"
    );
    assert_eq!(code, "1");
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(
        results
            .iter()
            .all(|r| r["ruleId"].as_str().unwrap().starts_with("pod-security/")),
        "the args reach kubenudge"
    );

    let (_, code, status) = run_check_step(".", "--select no-such-family", work.path());
    assert_eq!(code, "2");
    assert_eq!(status, 2, "a usage error fails the step");
}
