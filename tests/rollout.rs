//! The rollout policy end to end: the `rollout` report and the developer impact note over the
//! fixture repository `fixtures/rollout` (three namespaces at three stages), and `check
//! --config` exit codes. Dates are fixed with `--today`.

use std::path::{Path, PathBuf};

use clap::Parser;
use kubenudge::cli::{Cli, run};
use kubenudge::config::parse_config;
use kubenudge::engine::{LintOptions, lint};
use kubenudge::rollout::impact::{Scope, impact_note};
use kubenudge::rollout::{Conclusion, NamespaceResolver, PolicyInput, review};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rollout")
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("kubenudge").chain(args.iter().copied()))
        .expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(cli, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn rollout(format: &str) -> String {
    let repo = repo();
    let (code, out, err) = cli(&[
        "rollout",
        repo.to_str().unwrap(),
        "--today",
        "2026-11-22",
        "--format",
        format,
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    out
}

#[test]
fn rollout_report_text() {
    insta::assert_snapshot!(rollout("text"));
}

#[test]
fn rollout_report_markdown_is_the_impact_note() {
    insta::assert_snapshot!(rollout("md"));
}

#[test]
fn rollout_report_json_has_three_stages() {
    let json: serde_json::Value = serde_json::from_str(&rollout("json")).unwrap();
    let stages: Vec<(String, String, serde_json::Value)> = json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["namespaces"].as_array().unwrap().clone())
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_string(),
                n["stage"]["effective"].as_str().unwrap().to_string(),
                n["stage"]["days_left"].clone(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            ("dev-shop".into(), "enforce".into(), serde_json::Value::Null),
            ("prod".into(), "audit".into(), 71.into()),
            ("payments".into(), "warn".into(), 54.into()),
        ]
    );
}

/// The summary of a pull request touching `files` of the fixture repository.
fn pull_request_note(files: &[&str], today: &str) -> (String, Conclusion) {
    let repo = repo();
    let text = std::fs::read_to_string(repo.join(".github/kubenudge.yml")).unwrap();
    let config = parse_config(".github/kubenudge.yml", &text).unwrap();
    let inputs: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| (f.to_string(), std::fs::read(repo.join(f)).unwrap()))
        .collect();
    let result = lint(&inputs, &LintOptions::default());
    let resolver = NamespaceResolver::from_lint(&result, "");
    let review = review(
        &result,
        &PolicyInput {
            config: &config,
            config_errors: &[],
            today: today.parse().unwrap(),
            namespaces: &resolver,
        },
    );
    (
        impact_note(&review, &config, Scope::PullRequest),
        review.conclusion(),
    )
}

#[test]
fn impact_note_warn_with_countdown() {
    let (note, conclusion) = pull_request_note(&["apps/payments/workloads.yaml"], "2026-11-22");
    assert_eq!(conclusion, Conclusion::Neutral);
    assert!(note.contains("restricted becomes blocking in `payments` on 2027-01-15, in 54 days"));
    insta::assert_snapshot!(note);
}

#[test]
fn impact_note_enforce() {
    let (note, conclusion) = pull_request_note(
        &[
            "apps/dev/kustomization.yaml",
            "apps/dev/web.yaml",
            "apps/dev/legacy.yaml",
        ],
        "2026-11-22",
    );
    assert_eq!(conclusion, Conclusion::Failure);
    insta::assert_snapshot!(note);
}

#[test]
fn audit_findings_stay_out_of_the_pull_request_note() {
    let (note, conclusion) = pull_request_note(&["clusters/prod/checkout.yaml"], "2026-11-22");
    assert_eq!(conclusion, Conclusion::Success);
    assert!(
        note.contains("nothing in them needs to change now (5 findings in audit mode are recorded for the platform team)."),
        "{note}"
    );
    assert!(
        note.contains("`prod` is audited for now, then restricted becomes blocking in `prod` on 2027-02-01, in 71 days."),
        "{note}"
    );
    assert!(!note.contains("Deployment/checkout"), "{note}");
}

#[test]
fn check_with_config_exits_1_only_for_enforced_findings() {
    let repo = repo();
    let config = repo.join(".github/kubenudge.yml");
    let config = config.to_str().unwrap();
    let payments = repo.join("apps/payments");
    let dev = repo.join("apps/dev");
    let check = |path: &Path, today: &str| {
        cli(&[
            "check",
            "--config",
            config,
            "--today",
            today,
            path.to_str().unwrap(),
        ])
    };
    // warn: findings printed, exit 0, with the countdown.
    let (code, out, _) = check(&payments, "2026-11-22");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "stage: warn in `payments` — will block merges from 2027-01-15, in 54 days (20 findings)"
        ),
        "{out}"
    );
    // From enforce-from on, the same findings fail.
    assert_eq!(check(&payments, "2027-01-15").0, 1);
    // dev-* enforces now.
    let (code, out, _) = check(&dev, "2026-11-22");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("stage: enforce in `dev-shop` — blocks merges (9 findings)"),
        "{out}"
    );
    // Without a config every finding is enforced, as before.
    let (code, _, _) = cli(&["check", payments.to_str().unwrap()]);
    assert_eq!(code, 1);
}

#[test]
fn check_with_a_broken_config_exits_2_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kubenudge.yml");
    std::fs::write(
        &config,
        "mode: warn\nrollout:\n  - namespaces: [dev-*]\n    mode: enforced\n",
    )
    .unwrap();
    let (code, out, err) = cli(&[
        "check",
        "--config",
        config.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains(
            "kubenudge.yml:4:11: `mode`: unknown mode \"enforced\": expected off, audit, warn or enforce\n"
        ),
        "{err}"
    );
    assert!(err.ends_with("has 1 error; nothing was checked\n"), "{err}");
}

/// Namespace labels choose the Pod Security policy "when no configuration says otherwise": a
/// config that writes `level` wins over them, one that does not leaves them in charge.
#[test]
fn a_config_level_overrides_namespace_labels_and_its_absence_does_not() {
    let dir = tempfile::tempdir().unwrap();
    // The namespace says baseline; the pod is fine at baseline but not at restricted.
    std::fs::write(
        dir.path().join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n    - name: c\n      image: i\n      securityContext: {readOnlyRootFilesystem: true}\n",
    )
    .unwrap();
    let pss_rules = |config: &str| {
        let path = dir.path().join("kubenudge.yml");
        std::fs::write(&path, config).unwrap();
        let (_, out, err) = cli(&[
            "check",
            "--format",
            "json",
            "--config",
            path.to_str().unwrap(),
            dir.path().join("ns.yaml").to_str().unwrap(),
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"].as_str().unwrap().starts_with("pod-security/"))
            .count()
    };
    assert_eq!(
        pss_rules("mode: enforce\n"),
        0,
        "the label's baseline applies"
    );
    assert!(
        pss_rules("mode: enforce\nlevel: restricted\n") > 0,
        "the configured level wins"
    );
}

/// `enforce: baseline, warn: restricted`: `check` exits 1 only for a baseline violation, and
/// its stage line names the next step of the schedule.
#[test]
fn check_with_a_level_per_mode_exits_1_only_for_the_enforced_level() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kubenudge.yml");
    std::fs::write(
        &config,
        "mode: audit\nrollout:\n  - namespaces: [payments]\n    enforce: baseline\n    warn: restricted\n    schedule:\n      - from: 2027-03-01\n        enforce: restricted\n",
    )
    .unwrap();
    let restricted_only = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: payments}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: api:1\n          securityContext: {readOnlyRootFilesystem: true}\n";
    let with_host_network = restricted_only.replace(
        "    spec:\n      containers:",
        "    spec:\n      hostNetwork: true\n      containers:",
    );
    let check = |manifest: &str| {
        let path = dir.path().join("api.yaml");
        std::fs::write(&path, manifest).unwrap();
        cli(&[
            "check",
            "--config",
            config.to_str().unwrap(),
            "--today",
            "2026-12-04",
            path.to_str().unwrap(),
        ])
    };
    let (code, out, _) = check(restricted_only);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("stage: enforce `baseline`, warn `restricted` in `payments` — restricted becomes blocking in `payments` on 2027-03-01, in 87 days ("),
        "{out}"
    );
    let (code, out, _) = check(&with_host_network);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("pod-security/host-namespaces"), "{out}");
}
