//! Every `check --format`, as a user or a CI system reads it: snapshots of text (plain and
//! coloured), JSON, SARIF (validated against the SARIF 2.1.0 schema), GitHub workflow
//! commands and `--statistics`; rule selection; standard input with `--stdin-filename`.

use std::io::Write as _;
use std::process::{Command, Stdio};

use clap::Parser;
use kubenudge::cli::{Cli, Console, run, run_in};

const INSECURE: &str = "fixtures/insecure-deployment.yaml";

fn run_cli(args: &[&str]) -> (i32, String, String) {
    run_with_stdin(args, b"", false)
}

fn run_with_stdin(args: &[&str], stdin: &[u8], color: bool) -> (i32, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("kubenudge").chain(args.iter().copied()))
        .expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut input = stdin;
    let mut console = Console {
        stdin: &mut input,
        color,
        progress: false,
    };
    let code = run_in(cli, &mut console, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}):\n{s}"))
}

fn sarif_validator() -> jsonschema::Validator {
    let schema = json(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/sarif/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    );
    jsonschema::validator_for(&schema).expect("the SARIF schema compiles")
}

fn assert_valid_sarif(log: &serde_json::Value) {
    let validator = sarif_validator();
    let problems: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        problems.is_empty(),
        "invalid SARIF:\n{}",
        problems.join("\n")
    );
}

#[test]
fn text_ends_with_counts_by_rule_and_fix_availability() {
    let (code, out, _) = run_cli(&["check", INSECURE]);
    assert_eq!(code, 1);
    let tail: Vec<&str> = out.lines().rev().take(8).collect();
    assert!(
        tail.iter()
            .any(|l| l.contains("pod-security/run-as-non-root") && l.contains("fixable")),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn text_is_coloured_only_when_asked() {
    let (_, plain, _) = run_with_stdin(&["check", INSECURE], b"", false);
    let (_, coloured, _) = run_with_stdin(&["check", INSECURE], b"", true);
    assert!(!plain.contains('\x1b'));
    assert!(
        coloured.contains("\x1b[1;31mpod-security/"),
        "rule ids are red"
    );
    assert!(coloured.contains("\x1b[32m+ "), "added lines are green");
    // Without the escapes the two are the same report.
    let stripped = regex_free_strip(&coloured);
    assert_eq!(stripped, plain);
    insta::assert_snapshot!(coloured.lines().take(12).collect::<Vec<_>>().join("\n"));
}

/// Removes ANSI SGR sequences (`ESC [ … m`).
fn regex_free_strip(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn no_color_and_force_color_decide_with_the_terminal() {
    use std::ffi::OsStr;
    let set = Some(OsStr::new("1"));
    let empty = Some(OsStr::new(""));
    assert!(Console::color_wanted(true, None, None));
    assert!(!Console::color_wanted(false, None, None));
    assert!(!Console::color_wanted(true, set, None), "NO_COLOR wins");
    assert!(
        !Console::color_wanted(true, set, set),
        "NO_COLOR beats FORCE_COLOR"
    );
    assert!(
        Console::color_wanted(true, empty, None),
        "an empty NO_COLOR is unset"
    );
    assert!(Console::color_wanted(false, None, set));
}

#[test]
fn json_format() {
    let (code, out, _) = run_cli(&["check", "--format", "json", INSECURE]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert!(v["findings"].as_array().is_some_and(|f| !f.is_empty()));
    insta::assert_snapshot!(out);
}

#[test]
fn sarif_is_valid_sarif_2_1_0_with_regions_fixes_and_help_links() {
    let (code, out, _) = run_cli(&["check", "--format", "sarif", INSECURE]);
    assert_eq!(code, 1);
    let log = json(&out);
    assert_valid_sarif(&log);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert_eq!(
            rule["helpUri"],
            format!("https://github.com/kubenudge/kubenudge/blob/main/docs/rules/{id}.md")
        );
        let page =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("docs/rules/{id}.md"));
        assert!(page.is_file(), "helpUri of {id} names a page that exists");
    }
    let results = run["results"].as_array().unwrap();
    let text = std::fs::read_to_string(INSECURE).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        let region = &r["locations"][0]["physicalLocation"]["region"];
        let line = lines[region["startLine"].as_u64().unwrap() as usize - 1];
        let (start, end) = (
            region["startColumn"].as_u64().unwrap() as usize - 1,
            region["endColumn"].as_u64().unwrap() as usize - 1,
        );
        assert_eq!(region["startLine"], region["endLine"]);
        let field = &line[start..end];
        // The region is a field of the path (the field itself, or the parent a fix adds it to).
        let path = r["properties"]["fieldPath"].as_str().unwrap();
        assert!(
            path.split(['.', '['])
                .any(|key| !key.is_empty() && field.starts_with(key))
                || field.starts_with("name:"),
            "region {field:?} of {path}"
        );
    }
    // Fixes carry the replacement text and the region it replaces.
    let with_fix = results
        .iter()
        .find(|r| r["fixes"].is_array())
        .expect("some finding has a fix");
    let replacement = &with_fix["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert!(replacement["insertedContent"]["text"].is_string());
    assert!(replacement["deletedRegion"]["startLine"].is_u64());
    insta::assert_snapshot!(out);
}

#[test]
fn sarif_of_a_clean_run_and_of_unreadable_files_is_valid_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "kind: Pod\nmetadata: [\n").unwrap();
    let (_, out, _) = run_cli(&["check", "--format", "sarif", dir.path().to_str().unwrap()]);
    let log = json(&out);
    assert_valid_sarif(&log);
    let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert!(log["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn github_workflow_commands_take_their_level_from_the_rollout_stage() {
    let (code, out, _) = run_cli(&[
        "check",
        "--format",
        "github",
        "--config",
        "fixtures/rollout/.github/kubenudge.yml",
        "--today",
        "2026-12-01",
        "fixtures/rollout",
    ]);
    assert_eq!(code, 1, "dev-* enforces");
    for line in out.lines() {
        assert!(
            line.starts_with("::error file=")
                || line.starts_with("::warning file=")
                || line.starts_with("::notice file="),
            "{line}"
        );
        assert!(!line["::".len()..].contains('\n'));
    }
    let level_of = |path: &str| {
        out.lines()
            .find(|l| l.contains(&format!("file={path},")))
            .map(|l| l[2..].split(' ').next().unwrap().to_string())
    };
    assert_eq!(
        level_of("fixtures/rollout/apps/dev/web.yaml").as_deref(),
        Some("error")
    );
    assert_eq!(
        level_of("fixtures/rollout/apps/payments/workloads.yaml").as_deref(),
        Some("warning")
    );
    assert_eq!(
        level_of("fixtures/rollout/clusters/prod/checkout.yaml").as_deref(),
        Some("notice")
    );
    insta::assert_snapshot!(out);
}

#[test]
fn statistics_count_findings_by_rule() {
    let (code, out, _) = run_cli(&["check", "--statistics", INSECURE]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
    let (_, out, _) = run_cli(&["check", "--statistics", "--format", "json", INSECURE]);
    let counts = json(&out);
    let counts = counts.as_array().unwrap();
    let total: u64 = counts.iter().map(|c| c["count"].as_u64().unwrap()).sum();
    let (_, all, _) = run_cli(&["check", "--format", "json", INSECURE]);
    assert_eq!(
        total as usize,
        json(&all)["findings"].as_array().unwrap().len()
    );
    let counts: Vec<u64> = counts
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "most first");
}

fn rules_of(out: &str) -> std::collections::BTreeSet<String> {
    json(out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn select_ignore_and_extend_select_by_id_and_family() {
    let (_, all, _) = run_cli(&["check", "--format", "json", INSECURE]);
    let all = rules_of(&all);
    assert!(all.iter().any(|r| r.starts_with("hardening/")));
    assert!(all.contains("pod-security/run-as-non-root"));

    let (_, out, _) = run_cli(&[
        "check",
        "--format",
        "json",
        "--select",
        "hardening",
        INSECURE,
    ]);
    let only = rules_of(&out);
    assert!(!only.is_empty() && only.iter().all(|r| r.starts_with("hardening/")));

    let (_, out, _) = run_cli(&[
        "check",
        "--format",
        "json",
        "--select",
        "hardening",
        "--extend-select",
        "pod-security/run-as-non-root",
        INSECURE,
    ]);
    let extended = rules_of(&out);
    assert!(extended.contains("pod-security/run-as-non-root"));
    assert_eq!(extended.len(), only.len() + 1);

    let (_, out, _) = run_cli(&[
        "check",
        "--format",
        "json",
        "--ignore",
        "pod-security/run-as-non-root,hardening",
        INSECURE,
    ]);
    let ignored = rules_of(&out);
    assert!(!ignored.contains("pod-security/run-as-non-root"));
    assert!(ignored.iter().all(|r| !r.starts_with("hardening/")));
    assert_eq!(ignored.len() + only.len() + 1, all.len());
}

#[test]
fn an_unknown_selector_is_a_usage_error_naming_it() {
    let e = Cli::try_parse_from(["kubenudge", "check", "--select", "pod-secruity"]).unwrap_err();
    let message = e.to_string();
    assert!(
        message.contains("unknown rule or family \"pod-secruity\""),
        "{message}"
    );
}

#[test]
fn the_config_file_selects_and_the_command_line_selects_on_top() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kubenudge.yml");
    std::fs::write(&config, "mode: enforce\nselect: [hardening]\n").unwrap();
    let config = config.to_str().unwrap();
    let (_, out, _) = run_cli(&["check", "--format", "json", "--config", config, INSECURE]);
    assert!(rules_of(&out).iter().all(|r| r.starts_with("hardening/")));
    let (_, out, _) = run_cli(&[
        "check",
        "--format",
        "json",
        "--config",
        config,
        "--extend-select",
        "pod-security",
        INSECURE,
    ]);
    assert!(rules_of(&out).contains("pod-security/run-as-non-root"));
    std::fs::write(
        dir.path().join("kubenudge.yml"),
        "ignore: [pod-security/privileged]\nselect: pod-security\n",
    )
    .unwrap();
    let (code, _, err) = run_cli(&["check", "--config", config, INSECURE]);
    assert_eq!(code, 2);
    assert!(
        err.contains("kubenudge.yml:2:9: `select` must be a list"),
        "{err}"
    );
}

#[test]
fn an_ignore_annotation_of_a_rule_that_did_not_run_is_not_unused() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    ignore.kubenudge.io/read-only-root-filesystem: \"writes a cache\"\nspec:\n  containers:\n    - name: c\n      image: i\n";
    let (_, out, _) = run_with_stdin(
        &[
            "check",
            "--format",
            "json",
            "--select",
            "pod-security",
            "--stdin-filename",
            "p.yaml",
            "-",
        ],
        pod.as_bytes(),
        false,
    );
    assert!(!rules_of(&out).contains("kubenudge/unused-ignore"), "{out}");
}

#[test]
fn stdin_is_linted_as_the_named_file() {
    let text = std::fs::read(INSECURE).unwrap();
    let (code, out, _) = run_with_stdin(
        &[
            "check",
            "--format",
            "json",
            "--stdin-filename",
            "deploy/web.yaml",
            "-",
        ],
        &text,
        false,
    );
    assert_eq!(code, 1);
    let v = json(&out);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|f| f["file"] == "deploy/web.yaml"));
    // The same findings as from the file itself, under the other name.
    let (_, from_file, _) = run_cli(&["check", "--format", "json", INSECURE]);
    assert_eq!(out, from_file.replace(INSECURE, "deploy/web.yaml"));
}

#[test]
fn stdin_with_fix_writes_the_fixed_text_to_stdout() {
    let text = std::fs::read(INSECURE).unwrap();
    let (_, fixed, err) = run_with_stdin(
        &["check", "--fix", "--stdin-filename", "web.yaml", "-"],
        &text,
        false,
    );
    assert!(fixed.contains("allowPrivilegeEscalation: false"), "{fixed}");
    assert!(err.starts_with("Fixed 1 finding (4 remaining"), "{err}");
    // What remains in the fixed text is what the summary said remains.
    let (_, again, _) = run_with_stdin(
        &[
            "check",
            "--format",
            "json",
            "--stdin-filename",
            "web.yaml",
            "-",
        ],
        fixed.as_bytes(),
        false,
    );
    assert_eq!(json(&again)["findings"].as_array().unwrap().len(), 4);
}

#[test]
fn stdin_filename_without_dash_and_dash_with_paths_are_usage_errors() {
    let (code, _, err) = run_cli(&["check", "--stdin-filename", "a.yaml", INSECURE]);
    assert_eq!(code, 2);
    assert!(err.contains("pass `-`"), "{err}");
    let (code, _, err) = run_cli(&["check", "-", INSECURE]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot be combined"), "{err}");
}

#[test]
fn the_binary_reads_standard_input_as_editors_and_pre_commit_pipe_it() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubenudge"))
        .args([
            "check",
            "--format",
            "github",
            "--stdin-filename",
            "k8s/web.yaml",
            "-",
        ])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(INSECURE).unwrap())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(out.lines().count() > 3);
    assert!(
        out.lines()
            .all(|l| l.starts_with("::error file=k8s/web.yaml,line=")),
        "{out}"
    );
}

#[test]
fn run_without_a_console_reads_no_input() {
    let cli = Cli::try_parse_from(["kubenudge", "check", "--format", "json", "-"]).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(cli, &mut out, &mut err);
    assert_eq!(code, 0);
    let v = json(std::str::from_utf8(&out).unwrap());
    assert!(v["findings"].as_array().unwrap().is_empty());
}

/// Byte offset of a SARIF position (1-based line, 1-based column in characters).
fn byte_of(text: &str, line: u64, column: u64) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line as usize - 1)
        .map(str::len)
        .sum();
    text[start..]
        .char_indices()
        .nth(column as usize - 1)
        .map_or(text.len(), |(i, _)| start + i)
}

#[test]
fn each_sarif_fix_applied_alone_removes_its_finding() {
    let text = std::fs::read_to_string(INSECURE).unwrap();
    let (_, out, _) = run_cli(&["check", "--format", "sarif", INSECURE]);
    let log = json(&out);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let mut applied = 0;
    for r in results.iter().filter(|r| r["fixes"].is_array()) {
        let mut fixed = text.clone();
        let mut replacements: Vec<&serde_json::Value> =
            r["fixes"][0]["artifactChanges"][0]["replacements"]
                .as_array()
                .unwrap()
                .iter()
                .collect();
        // From the end, so earlier offsets stay valid.
        replacements.sort_by_key(|x| {
            let d = &x["deletedRegion"];
            std::cmp::Reverse((d["startLine"].as_u64(), d["startColumn"].as_u64()))
        });
        for x in replacements {
            let d = &x["deletedRegion"];
            let start = byte_of(
                &text,
                d["startLine"].as_u64().unwrap(),
                d["startColumn"].as_u64().unwrap(),
            );
            let end = byte_of(
                &text,
                d["endLine"].as_u64().unwrap(),
                d["endColumn"].as_u64().unwrap(),
            );
            fixed.replace_range(start..end, x["insertedContent"]["text"].as_str().unwrap());
        }
        let (_, again, _) = run_with_stdin(
            &[
                "check",
                "--format",
                "json",
                "--stdin-filename",
                INSECURE,
                "-",
            ],
            fixed.as_bytes(),
            false,
        );
        let again = json(&again);
        assert!(again["errors"].as_array().unwrap().is_empty(), "{fixed}");
        let rule = r["ruleId"].as_str().unwrap();
        assert!(
            !again["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == rule && f["field_path"] == r["properties"]["fieldPath"]),
            "the fix of {rule} leaves it in place:\n{fixed}"
        );
        applied += 1;
    }
    assert!(applied >= 4, "the fixture's findings have fixes");
}
