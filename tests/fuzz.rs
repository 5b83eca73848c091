//! Fuzzing on the stable toolchain, bounded in time: random bytes and YAML-ish text through
//! parse → lint → fix, and random or mangled webhook payloads through signature check and
//! event parsing. Nothing may panic; fixed files must parse again. Each target stops after
//! `KUBENUDGE_FUZZ_SECONDS` (default 10) or `KUBENUDGE_FUZZ_CASES` cases; `.ci/run` runs them.
//! A failing input is shrunk and saved by proptest in `tests/fuzz.proptest-regressions`
//! (replayed first on every run); crashes found so far are also spelled out as tests below.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use secrecy::SecretString;
use serde_json::Value;

use kubenudge::engine::{LintOptions, fix, lint};
use kubenudge::server::{parse_event, signature};

/// Cases per proptest round.
const ROUND: u32 = 32;

fn budget() -> (Duration, u32) {
    let seconds = std::env::var("KUBENUDGE_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let cases = std::env::var("KUBENUDGE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(u32::MAX);
    (Duration::from_secs(seconds), cases)
}

/// Runs `check` on values of `strategy` until the time or case budget is spent.
fn fuzz<S: Strategy>(name: &str, strategy: S, check: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let (time, cases) = budget();
    let started = Instant::now();
    let mut ran = 0u32;
    // Rounds of a few cases, each with a fresh random seed, until the budget is spent;
    // proptest shrinks and saves any failure.
    while started.elapsed() < time && ran < cases {
        let round = ROUND.min(cases - ran);
        let config = Config {
            cases: round,
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
            )),
            source_file: Some(file!()),
            ..Config::default()
        };
        if let Err(e) = TestRunner::new(config).run(&strategy, &check) {
            panic!("{name}: {e}");
        }
        ran += round;
    }
    eprintln!(
        "{name}: {ran} inputs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Parse → lint → fix on one file; the fixed text must parse again.
fn lint_and_fix(path: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let inputs = vec![(path.to_string(), bytes.to_vec())];
    let options = LintOptions::default();
    let linted = lint(&inputs, &options);
    let run = fix(&inputs, &options, true);
    for changed in &run.changed {
        let again = lint(&[(changed.path.clone(), changed.bytes.clone())], &options);
        prop_assert!(
            again.errors.is_empty() || !linted.errors.is_empty(),
            "a fix broke {}: {:?}\n--- before\n{}\n--- after\n{}",
            changed.path,
            again.errors,
            changed.before,
            changed.after
        );
    }
    Ok(())
}

/// The pieces Kubernetes manifests and YAML's odd corners are made of.
fn yamlish_piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "apiVersion: v1",
        "apiVersion: apps/v1",
        "kind: Pod",
        "kind: Deployment",
        "kind: Namespace",
        "kind: NetworkPolicy",
        "kind: CronJob",
        "metadata:",
        "name: x",
        "namespace: n",
        "labels:",
        "spec:",
        "template:",
        "jobTemplate:",
        "containers:",
        "initContainers:",
        "- name: app",
        "- name: c2",
        "image: nginx",
        "securityContext:",
        "privileged: true",
        "runAsNonRoot: false",
        "runAsUser: 0",
        "allowPrivilegeEscalation: true",
        "readOnlyRootFilesystem: false",
        "capabilities:",
        "add: [NET_ADMIN, SYS_ADMIN]",
        "drop:",
        "- ALL",
        "hostNetwork: true",
        "hostPID: true",
        "volumes:",
        "- hostPath: {path: /}",
        "seccompProfile: {type: Unconfined}",
        "ports: [{containerPort: 80, hostPort: 80}]",
        "&a {privileged: true}",
        "*a",
        "<<: *a",
        "<<: [*a, *a]",
        "{}",
        "[]",
        "---",
        "...",
        "# kubenudge:ignore pod-security/privileged",
        "? complex",
        ": value",
        "|",
        ">-",
        "  text in a block",
        "\"quoted: key\": 1",
        "'single'",
        "key: \"\\u0000\"",
        "\t",
        "x: !!binary aGk=",
        "%YAML 1.2",
        "!custom tag",
        "k: [1, {a: [2, {b: 3}]}]",
        "k: ~",
        "k: 0x1F",
        "k: .inf",
        "sysctls: [{name: kernel.msgmax, value: '1'}]",
        "procMount: Unmasked",
        "hostUsers: false",
        "pod-security.kubernetes.io/enforce: restricted",
        "selector: {matchLabels: {a: b}}",
        "é: ü",
        "🚀: 1",
    ])
}

/// Lines of pieces at random indentation.
fn yamlish() -> impl Strategy<Value = String> {
    let key = yamlish_piece();
    let line =
        (0usize..7, key).prop_map(|(indent, piece)| format!("{}{piece}", "  ".repeat(indent)));
    (
        prop::collection::vec(line, 0..40),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, crlf, bom)| {
            let text = lines.join(if crlf { "\r\n" } else { "\n" });
            if bom { format!("\u{feff}{text}") } else { text }
        })
}

/// A real insecure Deployment with line edits: a piece inserted at a line's indentation (or
/// one level deeper), a line dropped or repeated. Most results still parse and have findings
/// with fixes, so the fixer meets odd but plausible files.
fn edited_manifest() -> impl Strategy<Value = String> {
    const BASE: &str = include_str!("../fixtures/insecure-deployment.yaml");
    let lines: Vec<&'static str> = BASE.lines().collect();
    let n = lines.len();
    let edit = (0..n, 0u8..4, yamlish_piece());
    prop::collection::vec(edit, 1..6).prop_map(move |edits| {
        let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        for (at, kind, piece) in edits {
            let at = at % out.len().max(1);
            let indent: String = out
                .get(at)
                .map(|l| l.chars().take_while(|c| *c == ' ').collect())
                .unwrap_or_default();
            match kind {
                0 => out.insert(at, format!("{indent}{piece}")),
                1 => out.insert(at + 1, format!("{indent}  {piece}")),
                2 if out.len() > 1 => {
                    out.remove(at);
                }
                _ => {
                    let line = out[at].clone();
                    out.insert(at, line);
                }
            }
        }
        out.join("\n") + "\n"
    })
}

#[test]
fn edited_manifests_through_parse_lint_fix() {
    fuzz("edited manifests", edited_manifest(), |text| {
        lint_and_fix("deploy/web.yaml", text.as_bytes())
    });
}

#[test]
fn arbitrary_bytes_through_parse_lint_fix() {
    fuzz(
        "bytes",
        prop::collection::vec(any::<u8>(), 0..512),
        |bytes| lint_and_fix("fuzz.yaml", &bytes),
    );
}

#[test]
fn yamlish_text_through_parse_lint_fix() {
    fuzz("yamlish", yamlish(), |text| {
        lint_and_fix("fuzz.yaml", text.as_bytes())
    });
}

fn payloads() -> Vec<(&'static str, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/github/payloads");
    [
        ("pull_request", "pull_request/opened.payload.json"),
        ("pull_request", "pull_request/closed.payload.json"),
        ("check_suite", "check_suite/requested.payload.json"),
        ("check_run", "check_run/rerequested.payload.json"),
    ]
    .into_iter()
    .map(|(event, file)| {
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        (event, serde_json::from_str(&text).unwrap())
    })
    .collect()
}

/// Replaces the value at a random path of `v` (one choice per level) by `with`.
fn mangle(v: &mut Value, choices: &[usize], with: Value) {
    match (choices.split_first(), v) {
        (Some((choice, rest)), Value::Object(map)) if !map.is_empty() => {
            let key = map.keys().nth(choice % map.len()).cloned().unwrap();
            mangle(map.get_mut(&key).unwrap(), rest, with)
        }
        (Some((choice, rest)), Value::Array(items)) if !items.is_empty() => {
            let n = items.len();
            mangle(&mut items[choice % n], rest, with)
        }
        (_, node) => *node = with,
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,20}".prop_map(Value::String),
        Just(Value::Array(vec![])),
        Just(Value::Object(Default::default())),
    ]
}

#[test]
fn mangled_webhooks_through_signature_and_parsing() {
    let payloads = payloads();
    let n = payloads.len();
    let secret = SecretString::from("fuzz secret");
    fuzz(
        "webhooks",
        (
            0..n,
            prop::collection::vec(any::<usize>(), 0..6),
            json_value(),
            prop::sample::select(vec![
                "pull_request",
                "check_suite",
                "check_run",
                "ping",
                "push",
                "",
            ]),
        ),
        |(which, path, with, event)| {
            let (own_event, payload) = &payloads[which];
            let mut payload = payload.clone();
            mangle(&mut payload, &path, with);
            let body = serde_json::to_vec(&payload).unwrap();
            let sig = signature::sign(&secret, &body);
            prop_assert!(signature::verify(&secret, &body, Some(&sig)));
            let _ = parse_event(own_event, &body);
            let _ = parse_event(event, &body);
            Ok(())
        },
    );
}

#[test]
fn arbitrary_bytes_and_signatures_through_the_webhook_gate() {
    let secret = SecretString::from("fuzz secret");
    fuzz(
        "raw webhooks",
        (
            prop::collection::vec(any::<u8>(), 0..256),
            proptest::option::of(".{0,80}"),
        ),
        |(body, header)| {
            prop_assert!(!signature::verify(&secret, &body, header.as_deref()) || header.is_some());
            for event in ["pull_request", "check_suite", "check_run"] {
                let _ = parse_event(event, &body);
            }
            Ok(())
        },
    );
}
