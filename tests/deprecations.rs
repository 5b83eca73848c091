//! `deprecations/removed-api`: removed API versions are reported at `apiVersion`, the object
//! is still linted as its replacement, and the mechanical migrations are fixed.

use crate::common;

use clap::Parser;
use kubenudge::engine::{LintOptions, LintResult, lint};
use kubenudge::finding::{Finding, FixSafety, Severity};

const RULE: &str = "deprecations/removed-api";

fn lint_text(text: &str) -> LintResult {
    lint(
        &[("input.yaml".into(), text.as_bytes().to_vec())],
        &LintOptions::default(),
    )
}

fn input(name: &str) -> String {
    std::fs::read_to_string(common::root().join("tests/data/deprecations").join(name)).unwrap()
}

fn removed_api_findings(result: &LintResult) -> Vec<&Finding> {
    result.findings.iter().filter(|f| f.rule == RULE).collect()
}

/// A workload of `api_version` and `kind` whose only container is privileged (line 15).
fn workload(api_version: &str, kind: &str) -> String {
    let spec = "  template:\n    metadata:\n      labels:\n        app: w\n    spec:\n      containers:\n        - name: c\n          image: i\n          securityContext:\n            privileged: true\n";
    format!("apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: w\nspec:\n{spec}")
}

#[test]
fn each_removed_workload_api_is_reported_and_its_pod_template_still_linted() {
    for (api_version, kind) in [
        ("extensions/v1beta1", "Deployment"),
        ("apps/v1beta1", "Deployment"),
        ("apps/v1beta2", "Deployment"),
        ("extensions/v1beta1", "DaemonSet"),
        ("apps/v1beta2", "DaemonSet"),
        ("apps/v1beta1", "StatefulSet"),
        ("apps/v1beta2", "StatefulSet"),
        ("extensions/v1beta1", "ReplicaSet"),
        ("apps/v1beta1", "ReplicaSet"),
        ("apps/v1beta2", "ReplicaSet"),
    ] {
        let result = lint_text(&workload(api_version, kind));
        assert!(result.errors.is_empty(), "{kind}: {:?}", result.errors);
        let removed = removed_api_findings(&result);
        assert_eq!(removed.len(), 1, "{api_version} {kind}");
        let f = removed[0];
        assert_eq!((f.line, f.column), (1, 1), "{kind}: at `apiVersion`");
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message.starts_with(&format!(
                "`{api_version}` {kind} was removed in Kubernetes 1.16; use `apps/v1`"
            )),
            "{}",
            f.message
        );
        let fix = f.fix.as_ref().expect("a fix");
        assert_eq!(fix.safety, FixSafety::Review);
        let privileged = result
            .findings
            .iter()
            .find(|f| f.rule == "pod-security/privileged")
            .unwrap_or_else(|| panic!("{api_version} {kind}: pod template not linted"));
        assert_eq!((privileged.line, privileged.column), (15, 13), "{kind}");
    }
}

#[test]
fn a_removed_cron_job_api_is_reported_and_its_pods_linted() {
    let result = lint_text(&input("batch-v1beta1-cronjob.yaml"));
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let removed = removed_api_findings(&result);
    assert_eq!(removed.len(), 1);
    assert_eq!(
        removed[0].message,
        "`batch/v1beta1` CronJob was removed in Kubernetes 1.25; use `batch/v1`"
    );
    assert_eq!(removed[0].line, 1);
    assert_eq!(removed[0].fix.as_ref().unwrap().safety, FixSafety::Safe);
    let host = result
        .findings
        .iter()
        .find(|f| f.rule == "pod-security/host-namespaces")
        .expect("hostPID is found in the job template");
    assert_eq!(host.line, 12);
    assert_eq!(
        host.field_path.to_string(),
        "spec.jobTemplate.spec.template.spec.hostPID"
    );
}

#[test]
fn an_extensions_deployment_gets_its_pod_security_findings_at_the_right_lines() {
    let result = lint_text(&input("extensions-deployment.yaml"));
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let lines: Vec<(&str, usize)> = result.findings.iter().map(|f| (f.rule, f.line)).collect();
    assert!(lines.contains(&(RULE, 2)), "{lines:?}");
    assert!(
        lines.contains(&("pod-security/privileged", 19)),
        "{lines:?}"
    );
    assert!(
        lines.contains(&("pod-security/run-as-non-root", 14)),
        "{lines:?}"
    );
}

/// The text after only the removed-api fixes of `text` are applied.
fn removed_api_fixed(text: &str) -> String {
    let result = lint_text(text);
    let file = &result.files[0];
    let fixes: Vec<_> = removed_api_findings(&result)
        .into_iter()
        .filter_map(|f| f.fix.as_deref())
        .collect();
    assert!(!fixes.is_empty(), "nothing to fix");
    let fixed = kubenudge::fix::fix_file(file, &fixes).text;
    let after = lint_text(&fixed);
    assert!(after.errors.is_empty(), "{:?}", after.errors);
    assert!(
        removed_api_findings(&after).is_empty(),
        "still reported after the fix:\n{fixed}"
    );
    fixed
}

#[test]
fn fix_extensions_deployment_adds_the_selector_from_the_template_labels() {
    insta::assert_snapshot!(removed_api_fixed(&input("extensions-deployment.yaml")));
}

#[test]
fn fix_apps_v1beta1_stateful_set_in_flow_labels() {
    insta::assert_snapshot!(removed_api_fixed(&input("apps-v1beta1-statefulset.yaml")));
}

#[test]
fn fix_apps_v1beta2_daemon_set_keeps_its_selector() {
    let fixed = removed_api_fixed(&input("apps-v1beta2-daemonset.yaml"));
    assert_eq!(fixed.matches("selector:").count(), 1);
    insta::assert_snapshot!(fixed);
}

#[test]
fn fix_extensions_replica_set() {
    insta::assert_snapshot!(removed_api_fixed(&input("extensions-replicaset.yaml")));
}

#[test]
fn fix_batch_v1beta1_cron_job() {
    insta::assert_snapshot!(removed_api_fixed(&input("batch-v1beta1-cronjob.yaml")));
}

#[test]
fn fix_policy_v1beta1_pod_disruption_budgets_and_review_the_empty_selector() {
    let text = input("policy-v1beta1-pdb.yaml");
    let result = lint_text(&text);
    let safety: Vec<(&str, FixSafety)> = removed_api_findings(&result)
        .iter()
        .map(|f| (f.object.name.as_str(), f.fix.as_ref().unwrap().safety))
        .collect();
    assert_eq!(
        safety,
        [("web", FixSafety::Safe), ("everything", FixSafety::Review)]
    );
    let everything = removed_api_findings(&result)[1].fix.as_ref().unwrap();
    assert!(
        everything.caveat.contains("every pod of the namespace"),
        "{}",
        everything.caveat
    );
    insta::assert_snapshot!(removed_api_fixed(&text));
}

#[test]
fn a_deployment_without_selector_or_labels_has_no_fix() {
    let text = "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata:\n  name: bare\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: i\n";
    let result = lint_text(text);
    let removed = removed_api_findings(&result);
    assert_eq!(removed.len(), 1);
    assert!(removed[0].fix.is_none(), "no labels to select by");
}

#[test]
fn non_workload_removals_are_reported_without_pod_rules() {
    let result = lint_text(&input("non-workloads.yaml"));
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let removed: Vec<(&str, usize, bool)> = removed_api_findings(&result)
        .iter()
        .map(|f| (f.object.kind.as_str(), f.line, f.fix.is_some()))
        .collect();
    assert_eq!(
        removed,
        [
            ("Ingress", 1, false),
            ("ClusterRole", 15, true),
            ("PodSecurityPolicy", 24, false)
        ]
    );
    assert!(
        result.findings.iter().all(|f| f.rule == RULE),
        "only removed-api findings: {:?}",
        result.findings.iter().map(|f| f.rule).collect::<Vec<_>>()
    );
    let messages: Vec<&str> = removed_api_findings(&result)
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert!(messages[0].contains("use `networking.k8s.io/v1`, where `spec.backend` is renamed"));
    assert!(messages[2].contains("nothing replaces PodSecurityPolicy"));
    let role = removed_api_findings(&result)[1].fix.as_ref().unwrap();
    assert_eq!(role.safety, FixSafety::Safe);
}

#[test]
fn current_api_versions_do_not_fire() {
    let current = [
        workload("apps/v1", "Deployment").replace(
            "spec:\n  template",
            "spec:\n  selector: {matchLabels: {app: w}}\n  template",
        ),
        input("batch-v1beta1-cronjob.yaml").replace("batch/v1beta1", "batch/v1"),
        input("policy-v1beta1-pdb.yaml").replace("policy/v1beta1", "policy/v1"),
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  defaultBackend:\n    service: {name: web, port: {number: 80}}\n".into(),
        // A custom resource that happens to share a removed kind's name and version.
        "apiVersion: example.com/v1beta1\nkind: CronJob\nmetadata:\n  name: mine\n".into(),
    ];
    for text in current {
        let result = lint_text(&text);
        assert!(removed_api_findings(&result).is_empty(), "{text}");
        assert!(result.errors.is_empty(), "{:?}", result.errors);
    }
}

fn run_cli(args: &[&str]) -> (i32, String) {
    let cli = kubenudge::cli::Cli::try_parse_from(
        std::iter::once("kubenudge").chain(args.iter().copied()),
    )
    .expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = kubenudge::cli::run(cli, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap())
}

#[test]
fn the_rule_is_listed_and_explained() {
    let (code, out) = run_cli(&["rules"]);
    assert_eq!(code, 0);
    let line = out
        .lines()
        .find(|l| l.contains(RULE))
        .expect("listed by `kubenudge rules`");
    assert!(line.contains("API version"), "{line}");
    let (code, out) = run_cli(&["explain", RULE]);
    assert_eq!(code, 0);
    assert!(out.contains("## Fix safety"), "{out}");
    assert!(out.contains("kubectl apply"), "{out}");
}

#[test]
fn a_removed_workload_with_a_type_error_gets_both_at_their_fields() {
    let text = workload("extensions/v1beta1", "DaemonSet").replace(
        "image: i\n",
        "image: i\n          env:\n            - {name: DEBUG, value: true}\n",
    );
    let result = lint_text(&text);
    assert_eq!(result.errors.len(), 1, "{:?}", result.errors);
    let e = &result.errors[0];
    assert_eq!((e.line, e.column), (15, 29), "{}", e.message);
    assert!(
        e.message
            .starts_with("spec.template.spec.containers[0].env[0].value: expected a string"),
        "{}",
        e.message
    );
    // The version is still reported; the pod is not (it could not be read).
    let rules: Vec<&str> = result.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [RULE]);
}
