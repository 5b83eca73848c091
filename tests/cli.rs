//! The `check` command as a user runs it: output snapshots, exit codes, file discovery.

use crate::cli_run::run_cli;

use clap::Parser;
use kubenudge::cli::Cli;

#[test]
fn text_output_shows_a_code_frame() {
    let (code, out, _) = run_cli(&["check", "fixtures/insecure-deployment.yaml"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn json_output_has_the_stable_shape() {
    let (code, out, _) = run_cli(&[
        "check",
        "--format",
        "json",
        "fixtures/insecure-deployment.yaml",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &v["findings"][0];
    for key in ["rule", "file", "line", "column", "message", "object", "fix"] {
        assert!(!f[key].is_null(), "finding has {key}");
    }
    for key in ["kind", "namespace", "name"] {
        assert!(f["object"].get(key).is_some(), "object has {key}");
    }
    assert!(v["errors"].is_array());
    insta::assert_snapshot!(out);
}

#[test]
fn errors_are_reported_with_file_and_line_and_do_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: [\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ok.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n  containers:\n    - name: c\n      image: i\n      securityContext: {readOnlyRootFilesystem: true}\n",
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let (code, out, _) = run_cli(&["check", "--format", "json", path]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["file"].as_str().unwrap().ends_with("broken.yaml"));
    assert!(errors[0]["line"].as_u64().unwrap() >= 3);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid YAML")
    );
}

#[test]
fn directories_are_walked_respecting_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("deploy/ignored")).unwrap();
    std::fs::create_dir_all(root.join("charts/app/templates")).unwrap();
    std::fs::write(root.join(".gitignore"), "ignored/\n").unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: i}]\n";
    std::fs::write(root.join("deploy/pod.yml"), pod).unwrap();
    std::fs::write(root.join("deploy/pod.json"), r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"containers":[{"name":"c","image":"i"}]}}"#).unwrap();
    std::fs::write(root.join("deploy/ignored/pod.yaml"), pod).unwrap();
    std::fs::write(root.join("deploy/notes.txt"), pod).unwrap();
    std::fs::write(
        root.join("charts/app/templates/deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    )
    .unwrap();
    let (code, out, _) = run_cli(&["check", "--format", "json", root.to_str().unwrap()]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut files: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["file"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .take(2)
                .collect::<Vec<_>>()
                .join("<")
        })
        .collect();
    files.sort();
    files.dedup();
    assert_eq!(files, ["pod.json<deploy", "pod.yml<deploy"]);
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("templates/deploy.yaml")
    );
    let (_, text, _) = run_cli(&["check", root.to_str().unwrap()]);
    assert!(text.contains("note: 1 template file not checked"), "{text}");
}

#[test]
fn clean_manifests_exit_zero_and_usage_errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.yaml");
    std::fs::write(
        &clean,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
    )
    .unwrap();
    let (code, out, _) = run_cli(&["check", clean.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("All checks passed (1 object in 1 file)."),
        "{out}"
    );
    let (code, _, err) = run_cli(&["check", "no/such/path"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/path"), "{err}");
    let (code, _, err) = run_cli(&["explain", "nope/nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule"));
    assert!(Cli::try_parse_from(["kubenudge", "check", "--format", "xml"]).is_err());
}

#[test]
fn the_bots_own_deployment_passes_its_checks_at_restricted() {
    let (code, out, err) = run_cli(&[
        "check",
        "--format",
        "json",
        "--level",
        "restricted",
        "--pss-version",
        "latest",
        "deploy/",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{out}");
    assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{out}");
    assert_eq!(code, 0, "{err}");
    // The overlay is built: its objects are counted as written (its kustomization files are
    // read, not objects of their own).
    let (_, text, _) = run_cli(&["check", "deploy/"]);
    assert!(
        text.contains("All checks passed (9 objects in 9 files)."),
        "{text}"
    );
}

#[test]
fn a_schema_type_error_names_the_field_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("web.yaml");
    std::fs::write(
        &path,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: i\n          ports:\n            - containerPort: PORT\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let (code, out, _) = run_cli(&["check", path]);
    assert_eq!(code, 1);
    let expected = format!(
        "{path}:12:15: error: spec.template.spec.containers[0].ports[0].containerPort: expected an integer, found the string \"PORT\"; Deployment \"web\" does not match the Kubernetes schema and is not checked"
    );
    assert!(out.lines().any(|l| l == expected), "{out}");
    let (_, out, _) = run_cli(&["check", "--format", "json", path]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (&v["errors"][0]["line"], &v["errors"][0]["column"]),
        (&serde_json::json!(12), &serde_json::json!(15))
    );
}

/// Every file under a chart's `templates/` is a template, braces or not: with the chart's
/// `Chart.yaml` among the scanned files the chart is rendered and its templates are linted as
/// rendered; a template named alone on the command line (its `Chart.yaml` found on disk) is
/// skipped. Outside charts, `{{ }}` in string values is text and the file is linted.
#[test]
fn chart_templates_are_skipped_and_braces_in_strings_are_linted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("chart/templates")).unwrap();
    std::fs::create_dir_all(root.join("monitoring")).unwrap();
    std::fs::write(
        root.join("chart/Chart.yaml"),
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    )
    .unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: i}]\n";
    std::fs::write(root.join("chart/templates/pod.yaml"), pod).unwrap();
    std::fs::write(
        root.join("monitoring/alerts.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: alerts}}\ndata:\n  rule: \"{{{{ $labels.instance }}}} down\"\n---\n{pod}"),
    )
    .unwrap();
    // The whole tree: the chart is rendered, and the pod's findings sit in its template.
    let (_, out, _) = run_cli(&["check", "--format", "json", root.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| !s["reason"].as_str().unwrap().starts_with("template")),
        "{out}"
    );
    assert!(
        v["findings"].as_array().unwrap().iter().any(|f| f["file"]
            .as_str()
            .unwrap()
            .ends_with("chart/templates/pod.yaml")),
        "{out}"
    );
    // A template named alone: skipped.
    {
        let target = root.join("chart/templates/pod.yaml");
        let (_, out, _) = run_cli(&["check", "--format", "json", target.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let skipped: Vec<&str> = v["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["reason"].as_str().unwrap().starts_with("template"))
            .map(|s| s["file"].as_str().unwrap())
            .collect();
        assert_eq!(skipped.len(), 1, "{out}");
        assert!(skipped[0].ends_with("chart/templates/pod.yaml"), "{out}");
        assert!(
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| !f["file"].as_str().unwrap().contains("chart/")),
            "{out}"
        );
    }
    let (code, out, _) = run_cli(&[
        "check",
        "--format",
        "json",
        root.join("monitoring").to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "the Pod beside the alert text is linted: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["skipped"].as_array().is_none_or(|s| s.is_empty()),
        "{out}"
    );
}
