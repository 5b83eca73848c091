//! Conformance of `kubenudge connectivity` with np-guard's own cases (vendored in
//! `tests/data/netpol/`, see SOURCE.md there): for every `list` case the SET of connection
//! lines equals np-guard's expected output; for every `diff` case (`--base` the first
//! directory) the set of added/removed/changed lines does. Sets, not bytes: order and blank
//! lines do not count.
//!
//! Deliberate differences from np-guard (where it departs from the API) are listed in
//! `DEVIATIONS` with the reason; such a case must still differ, so a fix that makes it agree
//! shows up here. All 54 vendored cases agree today. Known differences no vendored case
//! exercises: a named port toward an ipBlock matches nothing here (np-guard stops with an
//! error); an empty peer or an ipBlock combined with a selector is a warning and selects
//! nothing (np-guard stops); pods of one owner with different labels are read from the first
//! pod (np-guard stops when a policy uses a differing label). Kept on purpose, as np-guard
//! does: every container port counts as TCP when an Ingress reaches it, IPv6 blocks are left
//! out (IPv4 only), and a tab opening a line inside a flow list is whitespace (as go-yaml reads
//! it; the vendored parser does too, see `vendor/saphyr-parser/VENDORED.md`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Cases where we follow the Kubernetes API and np-guard does not: (case, why).
const DEVIATIONS: &[(&str, &str)] = &[];

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/netpol")
}

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kubenudge"))
        .arg("connectivity")
        .args(args)
        .current_dir(data())
        .output()
        .expect("run kubenudge");
    assert!(
        out.status.success(),
        "kubenudge connectivity {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "Connectivity diff:" && *l != "No connections diff")
        .map(str::to_string)
        .collect()
}

struct Case {
    kind: String,
    inputs: Vec<String>,
    expected: String,
}

fn cases() -> Vec<Case> {
    let tsv = std::fs::read_to_string(data().join("cases.tsv")).expect("cases.tsv");
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Case {
                kind: cols[0].to_string(),
                inputs: cols[1].split_whitespace().map(str::to_string).collect(),
                expected: cols[2].to_string(),
            }
        })
        .collect()
}

/// A readable account of how two line sets differ (the first few of each side).
fn difference(got: &BTreeSet<String>, want: &BTreeSet<String>) -> String {
    let extra: Vec<&String> = got.difference(want).take(8).collect();
    let missing: Vec<&String> = want.difference(got).take(8).collect();
    format!(
        "{} unexpected, {} missing\n  unexpected: {extra:#?}\n  missing: {missing:#?}",
        got.difference(want).count(),
        want.difference(got).count()
    )
}

#[test]
fn np_guard_list_and_diff_cases_agree_as_sets() {
    let all = cases();
    assert!(
        all.len() >= 40,
        "expected the vendored cases, found {}",
        all.len()
    );
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for case in &all {
        let name = case.inputs.join(" → ");
        let want = lines(
            &std::fs::read_to_string(data().join(&case.expected))
                .unwrap_or_else(|e| panic!("{}: {e}", case.expected)),
        );
        let got = if case.kind == "list" {
            lines(&run(&[case.inputs[0].as_str()]))
        } else {
            assert!(
                case.kind.starts_with("diff"),
                "unknown case kind {}",
                case.kind
            );
            lines(&run(&[
                "--base",
                case.inputs[0].as_str(),
                case.inputs[1].as_str(),
            ]))
        };
        let deviation = DEVIATIONS.iter().find(|(c, _)| *c == name);
        match (got == want, deviation) {
            (true, None) => passed.push(name),
            (false, Some(_)) => passed.push(format!("{name} (documented deviation)")),
            (true, Some(_)) => failed.push(format!(
                "{name}: listed as a deviation but now agrees with np-guard; remove it from DEVIATIONS"
            )),
            (false, None) => failed.push(format!("{name}: {}", difference(&got, &want))),
        }
    }
    eprintln!(
        "np-guard conformance: {}/{} cases agree",
        passed.len(),
        all.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} cases differ from np-guard:\n{}",
        failed.len(),
        all.len(),
        failed.join("\n\n")
    );
}
