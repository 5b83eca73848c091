//! Conformance with Pod Security Admission: every official PSA fixture (tests/data/pss, see
//! its README) gives the same verdict with kubenudge as with PSA, as a Pod and wrapped in a
//! Deployment and a CronJob, and the messages carry PSA's text.

use std::collections::HashMap;
use std::path::Path;

use kubenudge::engine::{LintOptions, lint};
use kubenudge::policy::{Level, PssPolicy, Version};
use kubenudge::rules::pod_security::check_order;

struct Case {
    level: Level,
    version: Version,
    pass: bool,
    name: String,
    expected_substring: String,
    vendored_file: String,
    forbidden_detail: String,
}

fn cases() -> Vec<Case> {
    let index = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pss/index.tsv"),
    )
    .expect("tests/data/pss/index.tsv");
    index
        .lines()
        .skip(1)
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() >= 6, "bad index row: {line}");
            Case {
                level: cols[0].parse().unwrap(),
                version: cols[1].parse().unwrap(),
                pass: match cols[2] {
                    "pass" => true,
                    "fail" => false,
                    other => panic!("bad kind {other}"),
                },
                name: cols[3].to_string(),
                expected_substring: cols[4].to_string(),
                vendored_file: cols[5].to_string(),
                forbidden_detail: cols.get(6).unwrap_or(&"").to_string(),
            }
        })
        .collect()
}

/// The top-level block `key:` of a fixture (its indented lines), re-indented by `indent`.
fn block(pod: &str, key: &str, indent: usize) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in pod.lines() {
        if !line.starts_with(' ') && !line.starts_with('-') && !line.is_empty() {
            inside = line == format!("{key}:");
            continue;
        }
        if inside {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn deployment(pod: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: wrapped\nspec:\n  \
         selector: {{}}\n  template:\n    metadata:\n{}    spec:\n{}",
        block(pod, "metadata", 4),
        block(pod, "spec", 4)
    )
}

fn cron_job(pod: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: wrapped\nspec:\n  \
         schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        \
         metadata:\n{}        spec:\n{}",
        block(pod, "metadata", 8),
        block(pod, "spec", 8)
    )
}

/// The pod-security messages for one manifest, in PSA's aggregation order, joined as PSA
/// joins them.
fn aggregate(name: &str, text: &str, level: Level, version: Version) -> Option<String> {
    let options = LintOptions {
        pss: PssPolicy {
            level,
            version,
            origin: None,
        },
        pss_explicit: true,
        ..LintOptions::default()
    };
    let result = lint(&[(name.to_string(), text.as_bytes().to_vec())], &options);
    assert!(
        result.errors.is_empty(),
        "{name}: {:?}\n{text}",
        result.errors
    );
    assert_eq!(result.files[0].objects.len(), 1, "{name}");
    let mut findings: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("pod-security/"))
        .collect();
    findings.sort_by_key(|f| check_order(f.rule));
    let mut rules: Vec<_> = findings.iter().map(|f| f.rule).collect();
    rules.dedup();
    assert_eq!(rules.len(), findings.len(), "{name}: one finding per check");
    if findings.is_empty() {
        return None;
    }
    Some(
        findings
            .iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

#[test]
fn every_official_fixture_agrees_with_psa() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pss/files");
    let cases = cases();
    assert_eq!(cases.len(), 4537);
    let mut texts: HashMap<String, String> = HashMap::new();
    let mut agree = [0usize; 3];
    let mut exact = 0;
    let mut with_detail = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let pod = texts
            .entry(case.vendored_file.clone())
            .or_insert_with(|| std::fs::read_to_string(dir.join(&case.vendored_file)).unwrap())
            .clone();
        let label = format!(
            "{}/{}/{}/{}",
            case.level,
            case.version,
            if case.pass { "pass" } else { "fail" },
            case.name
        );
        let variants = [pod.clone(), deployment(&pod), cron_job(&pod)];
        let mut messages = Vec::new();
        for (i, text) in variants.iter().enumerate() {
            let message = aggregate(&case.name, text, case.level, case.version);
            let ok = match (&message, case.pass) {
                (None, true) => true,
                (Some(m), false) => m.contains(&case.expected_substring),
                _ => false,
            };
            if ok {
                agree[i] += 1;
            } else {
                failures.push(format!(
                    "{label} [{}]: {message:?}",
                    ["pod", "Deployment", "CronJob"][i]
                ));
            }
            messages.push(message);
        }
        assert_eq!(
            messages[0], messages[1],
            "{label}: Deployment message differs"
        );
        assert_eq!(messages[0], messages[2], "{label}: CronJob message differs");
        if !case.forbidden_detail.is_empty() {
            with_detail += 1;
            if messages[0].as_deref() == Some(case.forbidden_detail.as_str()) {
                exact += 1;
            } else {
                failures.push(format!(
                    "{label}: message\n  got:  {:?}\n  want: {:?}",
                    messages[0], case.forbidden_detail
                ));
            }
        }
    }
    let n = cases.len();
    println!(
        "pss conformance: {}/{n} agree (pod), {}/{n} (Deployment), {}/{n} (CronJob); \
         {exact}/{with_detail} fail messages identical to PSA's",
        agree[0], agree[1], agree[2]
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
