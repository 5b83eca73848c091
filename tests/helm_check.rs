//! `check` on a Helm chart as a user runs it: a directory with a `Chart.yaml` is rendered with
//! its default values (as `helm template` would, for a current Kubernetes version) and what it
//! renders is linted; each finding sits on the line that produced the value — the values file
//! line for a value, the template line for text written in the template — and the chart's
//! files are no longer named "not checked".

use crate::cli_run::run_cli;

use std::path::Path;

fn web_chart() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/helm/web")
        .display()
        .to_string()
}

fn findings(json: &str) -> Vec<(String, u64, String)> {
    let v: serde_json::Value = serde_json::from_str(json).expect("JSON output");
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            let short = file
                .rsplit_once("fixtures/helm/web/")
                .map_or(file, |(_, s)| s);
            (
                short.to_string(),
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_value_that_breaks_a_rule_is_reported_at_its_values_line() {
    let chart = web_chart();
    let (code, out, err) = run_cli(&["check", "--format", "json", &chart]);
    assert_eq!(code, 1, "{err}");
    let found = findings(&out);
    // `securityContext.runAsUser: 0` and `allowPrivilegeEscalation: true` in values.yaml
    // (lines 27 and 28), rendered into the Deployment through `toYaml | nindent`.
    assert!(
        found.contains(&("values.yaml".into(), 27, "pod-security/run-as-user".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "values.yaml".into(),
            28,
            "pod-security/allow-privilege-escalation".into()
        )),
        "{found:?}"
    );
    // The test hook's Pod is written in its template: its findings point there.
    assert!(
        found
            .iter()
            .any(|(f, _, _)| f == "templates/tests/test-connection.yaml"),
        "{found:?}"
    );
    // Nothing is reported on the rendered text itself, and no template is skipped.
    assert!(found.iter().all(|(f, _, _)| f != "Chart.yaml"), "{found:?}");
    let (_, text, _) = run_cli(&["check", "--exit-zero", &chart]);
    assert!(!text.contains("not checked"), "{text}");
}

#[test]
fn a_chart_that_fails_to_render_is_an_error_with_the_template_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("templates")).unwrap();
    std::fs::write(
        root.join("Chart.yaml"),
        "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(root.join("values.yaml"), "image: nginx\n").unwrap();
    std::fs::write(
        root.join("templates/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: {{ .Values.image | nosuchfunction }}\n",
    )
    .unwrap();
    let (code, out, err) = run_cli(&["check", root.to_str().unwrap()]);
    let all = format!("{out}{err}");
    assert_ne!(code, 0, "{all}");
    assert!(all.contains("cannot render the chart"), "{all}");
    // The error sits at the template line Helm names, not at the chart's Chart.yaml.
    let at = format!("{}:8:", root.join("templates/pod.yaml").display());
    assert!(all.lines().any(|l| l.starts_with(&at)), "{all}");
    assert!(all.contains("nosuchfunction"), "{all}");
}

/// Copies `fixtures/helm/web` into `to`.
fn copy_chart(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/helm/web");
    fn walk(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    walk(&from, to);
}

#[test]
fn the_fix_goes_into_values_yaml_and_holds_after_rendering_again() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("web");
    copy_chart(&chart);
    let chart = chart.to_str().unwrap();
    // The rendered Deployment is what the finding is about; its field is the value's path.
    let (_, out, _) = run_cli(&["check", "--format", "json", chart]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let escalation = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == "pod-security/allow-privilege-escalation"
                && f["file"].as_str().unwrap().ends_with("values.yaml")
        })
        .expect("the values finding");
    assert_eq!(escalation["object"]["kind"], "Deployment");
    assert_eq!(
        escalation["field_path"],
        "securityContext.allowPrivilegeEscalation"
    );
    assert_eq!(escalation["fix"], true);

    let (_, diff, _) = run_cli(&["check", "--fix", "--unsafe-fixes", "--diff", chart]);
    let shown = diff.replace(chart, "/web");
    insta::assert_snapshot!("values_fix_diff", shown);

    let (_, _, err) = run_cli(&["check", "--fix", "--unsafe-fixes", chart]);
    let (_, out, _) = run_cli(&["check", "--format", "json", chart]);
    let left = findings(&out);
    assert!(
        left.iter().all(|(f, _, _)| !f.ends_with("values.yaml")),
        "{left:?}\n{err}"
    );
    let values = std::fs::read_to_string(Path::new(chart).join("values.yaml")).unwrap();
    assert!(
        values.contains("  allowPrivilegeEscalation: false\n"),
        "{values}"
    );
    // The author's comments stay where they were.
    assert!(values.contains("  # fsGroup: 2000\n"), "{values}");
}

/// A small chart whose Deployment takes its container `securityContext` from the values.
fn values_chart(root: &Path) {
    let files: &[(&str, &str)] = &[
        (
            "web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        ),
        (
            "web/values.yaml",
            "securityContext:\n  allowPrivilegeEscalation: false\n  capabilities:\n    drop: [ALL]\n",
        ),
        (
            "web/values-prod.yaml",
            "securityContext:\n  allowPrivilegeEscalation: false\n  capabilities:\n    drop: [ALL]\n  readOnlyRootFilesystem: true\n  runAsUser: 0\n",
        ),
        (
            "web/ci/debug-values.yaml",
            "securityContext:\n  privileged: true\n",
        ),
        (
            "web/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      securityContext:\n        runAsNonRoot: true\n        seccompProfile: {type: RuntimeDefault}\n      containers:\n        - name: web\n          image: nginx\n          securityContext:\n            {{- toYaml .Values.securityContext | nindent 12 }}\n",
        ),
    ];
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn each_values_set_is_rendered_and_named_the_configured_one_and_chart_testings() {
    let dir = tempfile::tempdir().unwrap();
    values_chart(dir.path());
    let config = dir.path().join("kubenudge.yml");
    std::fs::write(&config, "helm:\n  web:\n    values: [values-prod.yaml]\n").unwrap();
    let chart = dir.path().join("web");
    let (_, out, err) = run_cli(&[
        "check",
        "--format",
        "json",
        "--config",
        config.to_str().unwrap(),
        chart.to_str().unwrap(),
    ]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let found: Vec<(String, u64, String, Vec<String>)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            (
                file.rsplit_once("/web/")
                    .map_or(file, |(_, s)| s)
                    .to_string(),
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
                f["overlays"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|o| {
                                let o = o.as_str().unwrap();
                                o.rsplit_once("/web").map_or(o, |(_, s)| s).to_string()
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect();
    // The configured set: `runAsUser: 0` in values-prod.yaml, line 6.
    assert!(
        found.iter().any(|(f, l, r, sets)| f == "values-prod.yaml"
            && *l == 6
            && r == "pod-security/run-as-user"
            && sets == &[" (values-prod.yaml)".to_string()]),
        "{found:?}"
    );
    // chart-testing's set: `privileged: true` in ci/debug-values.yaml, line 2.
    assert!(
        found.iter().any(|(f, l, r, _)| f == "ci/debug-values.yaml"
            && *l == 2
            && r == "pod-security/privileged"),
        "{found:?}"
    );
    // The defaults render a clean Deployment but for its writable root filesystem, written
    // in values.yaml's `securityContext` (line 1).
    assert!(
        found
            .iter()
            .filter(|(f, _, _, _)| f == "values.yaml")
            .all(|(_, _, r, sets)| r == "hardening/read-only-root-filesystem"
                && sets.contains(&String::new())),
        "{found:?}"
    );

    // A mistake in `helm:` is an error at its line.
    std::fs::write(&config, "helm:\n  web:\n    value: [values-prod.yaml]\n").unwrap();
    let (code, _, err) = run_cli(&[
        "check",
        "--config",
        config.to_str().unwrap(),
        chart.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(":3:5"), "{err}");
    assert!(err.contains("unknown key \"value\""), "{err}");
}
