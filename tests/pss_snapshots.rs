//! Snapshots of what a developer reads: the text report for realistic manifests under
//! `fixtures/pod-security/`.

use std::path::Path;

use kubenudge::engine::{LintOptions, LintResult, lint};
use kubenudge::policy::{Level, PssPolicy, Version};

fn lint_fixture(name: &str, pss: Option<PssPolicy>) -> LintResult {
    let path = format!("fixtures/pod-security/{name}");
    let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(&path)).unwrap();
    let options = LintOptions {
        pss_explicit: pss.is_some(),
        pss: pss.unwrap_or_default(),
        ..LintOptions::default()
    };
    lint(&[(path, bytes)], &options)
}

#[test]
fn insecure_web_deployment_at_restricted() {
    let result = lint_fixture("web-deployment.yaml", None);
    insta::assert_snapshot!(kubenudge::report::render_text(&result));
}

#[test]
fn cni_agent_daemonset_at_baseline() {
    let result = lint_fixture(
        "cni-agent-daemonset.yaml",
        Some(PssPolicy {
            level: Level::Baseline,
            version: Version::Latest,
            origin: None,
        }),
    );
    insta::assert_snapshot!(kubenudge::report::render_text(&result));
}

#[test]
fn backup_cronjob_at_restricted() {
    let result = lint_fixture("backup-cronjob.yaml", None);
    insta::assert_snapshot!(kubenudge::report::render_text(&result));
}

#[test]
fn namespace_labels_choose_the_policy() {
    let result = lint_fixture("payments-namespace.yaml", None);
    insta::assert_snapshot!(kubenudge::report::render_text(&result));
}
