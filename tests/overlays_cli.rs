//! `check` on Kustomize overlays as a user runs it: the entry points are built and linted as
//! built, findings sit on the base or patch line that set the value and name the overlays they
//! affect, `--fix` edits those files, and the rollout policy's `paths` match the entry point.

use crate::cli_run::run_cli;

use std::path::Path;

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Copies `fixtures/kustomize` into a fresh directory (for `--fix`).
fn copy_fixture(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kustomize");
    for rel in [
        "base/kustomization.yaml",
        "base/deployment.yaml",
        "base/service.yaml",
        "overlays/dev/kustomization.yaml",
        "overlays/prod/kustomization.yaml",
        "overlays/prod/debug-tools.yaml",
    ] {
        let text = std::fs::read_to_string(from.join(rel)).unwrap();
        write(to, &[(rel, &text)]);
    }
}

#[test]
fn check_reports_the_overlays_at_their_origins() {
    let (code, out, err) = run_cli(&["check", "fixtures/kustomize"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err, "");
    insta::assert_snapshot!(out);
}

#[test]
fn the_prod_patch_is_judged_as_prod_builds_it_never_alone() {
    let (_, out, _) = run_cli(&["check", "--format", "json", "fixtures/kustomize"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let on_patch: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["file"] == "fixtures/kustomize/overlays/prod/debug-tools.yaml")
        .collect();
    assert_eq!(on_patch.len(), 1, "{findings:#?}");
    assert_eq!(on_patch[0]["rule"], "pod-security/privileged");
    assert_eq!(on_patch[0]["line"], 11);
    assert_eq!(
        on_patch[0]["overlays"],
        serde_json::json!(["fixtures/kustomize/overlays/prod"])
    );
    // The base's own finding is reported once, for both overlays.
    let on_base: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["file"] == "fixtures/kustomize/base/deployment.yaml")
        .collect();
    assert_eq!(on_base.len(), 1, "{findings:#?}");
    assert_eq!(on_base[0]["rule"], "hardening/read-only-root-filesystem");
    assert_eq!(
        on_base[0]["overlays"],
        serde_json::json!([
            "fixtures/kustomize/overlays/dev",
            "fixtures/kustomize/overlays/prod"
        ])
    );
}

#[test]
fn json_of_plain_files_keeps_its_shape() {
    let (_, out, _) = run_cli(&[
        "check",
        "--format",
        "json",
        "fixtures/insecure-deployment.yaml",
    ]);
    assert!(!out.contains("\"overlays\""), "{out}");
}

#[test]
fn fix_edits_the_patch_and_the_base_and_the_rebuilt_overlays_are_clean() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let root = dir.path().to_str().unwrap();
    let (code, out, err) = run_cli(&["check", "--fix", "--unsafe-fixes", root]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.starts_with("Fixed 2 findings (0 remaining)"), "{err}");
    let patch = std::fs::read_to_string(dir.path().join("overlays/prod/debug-tools.yaml")).unwrap();
    assert!(patch.contains("privileged: false"), "{patch}");
    let base = std::fs::read_to_string(dir.path().join("base/deployment.yaml")).unwrap();
    assert!(base.contains("readOnlyRootFilesystem: true"), "{base}");
    // Nothing else was touched.
    let dev = std::fs::read_to_string(dir.path().join("overlays/dev/kustomization.yaml")).unwrap();
    assert_eq!(
        dev,
        std::fs::read_to_string("fixtures/kustomize/overlays/dev/kustomization.yaml").unwrap()
    );
    let (code, out, _) = run_cli(&["check", root]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("All checks passed"), "{out}");
}

#[test]
fn diff_shows_the_fix_in_the_patch() {
    let (code, out, err) = run_cli(&["check", "--diff", "--unsafe-fixes", "fixtures/kustomize"]);
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn rollout_paths_match_the_entry_point() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    // Remove the prod patch's finding so that only the base finding is left: enforced in dev,
    // warned in prod.
    write(
        dir.path(),
        &[
            (
                "overlays/prod/debug-tools.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
            ),
            (
                ".github/kubenudge.yml",
                "mode: warn\nrollout:\n  - paths: [\"overlays/dev/**\"]\n    mode: enforce\n",
            ),
        ],
    );
    let root = dir.path().to_str().unwrap();
    let config = dir.path().join(".github/kubenudge.yml");
    let config = config.to_str().unwrap();
    let (code, out, _) = run_cli(&["check", "--config", config, root]);
    assert_eq!(code, 1, "dev enforces the base finding:\n{out}");
    let prod = dir.path().join("overlays/prod");
    let base = dir.path().join("base");
    let (code, out, _) = run_cli(&[
        "check",
        "--config",
        config,
        prod.to_str().unwrap(),
        base.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "prod only warns:\n{out}");
    assert!(out.contains("hardening/read-only-root-filesystem"), "{out}");
}

#[test]
fn a_broken_overlay_is_an_error_at_its_line_and_the_others_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    write(
        dir.path(),
        &[(
            "overlays/staging/kustomization.yaml",
            "resources:\n- ../../base\npatches:\n- path: gone.yaml\n",
        )],
    );
    let root = dir.path().to_str().unwrap();
    let (code, out, _) = run_cli(&["check", "--format", "json", root]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("overlays/staging/kustomization.yaml")
    );
    assert_eq!(errors[0]["line"], 4);
    assert!(
        errors[0]["message"].as_str().unwrap().contains("gone.yaml"),
        "{errors:#?}"
    );
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "pod-security/privileged")
    );
}

#[test]
fn the_readme_command_reads_well() {
    let (code, out, err) = run_cli(&["check", "--exit-zero", "fixtures/"]);
    assert_eq!(code, 0, "{err}");
    // The prod patch is never judged alone (no "missing runAsNonRoot" on it).
    for line in out.lines().filter(|l| l.contains("debug-tools.yaml:")) {
        assert!(line.contains("pod-security/privileged"), "{line}");
    }
    assert!(
        out.contains(
            "= overlays: fixtures/kustomize/overlays/dev, fixtures/kustomize/overlays/prod"
        )
    );
}

#[test]
fn sarif_and_github_annotations_name_the_overlays() {
    let (_, out, _) = run_cli(&["check", "--format", "sarif", "fixtures/kustomize"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let base = results
        .iter()
        .find(|r| r["ruleId"] == "hardening/read-only-root-filesystem")
        .unwrap();
    assert_eq!(
        base["properties"]["overlays"],
        serde_json::json!([
            "fixtures/kustomize/overlays/dev",
            "fixtures/kustomize/overlays/prod"
        ])
    );
    let (_, out, _) = run_cli(&["check", "--format", "github", "fixtures/kustomize"]);
    let line = out
        .lines()
        .find(|l| l.contains("file=fixtures/kustomize/overlays/prod/debug-tools.yaml,line=11"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("Overlays: fixtures/kustomize/overlays/prod"),
        "{line}"
    );
}
