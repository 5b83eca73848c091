//! Helm conformance: every `helm template` golden case copied from Helm's own tests
//! (`tests/data/helm/`, see SOURCE.md) is rendered by `kubenudge render CHART ARGS` and
//! compared with Helm's output as a multiset of parsed YAML documents (key order, document
//! order and comments ignored; YAML 1.2 core schema; empty documents dropped). An error case
//! passes when the render fails, and its first line must name the same template, line and
//! column as Helm's.
//!
//! Arguments are passed as Helm got them (`--flag=value` as `--flag value`); `--debug`,
//! `--wait` and `--name-template` are accepted by `kubenudge render` (hidden) so Helm's
//! command lines run unchanged. `--debug` changes nothing: `kubenudge render` always names
//! the template, line and column of a failure.
//!
//! Cases that differ on purpose are listed in `KNOWN_DIFFERENCES` with the reason; the test
//! fails if one of them starts passing (so the list stays true) or any other case fails.

use crate::common;

use std::path::{Path, PathBuf};

use clap::Parser;
use kubenudge::cli::{Cli, run};
use kubenudge::render::parse_documents;

/// Cases kubenudge deliberately renders differently, and why.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/helm")
}

fn canonical(text: &str) -> Result<Vec<String>, String> {
    let mut v: Vec<String> = parse_documents(text)
        .map_err(|e| e.to_string())?
        .iter()
        .map(|d| d.to_json().to_string())
        .collect();
    v.sort();
    Ok(v)
}

/// `kubenudge render` with the case's arguments: (exit code, stdout, stderr).
fn render_case(dir: &Path) -> (i32, String, String) {
    let chart_name = std::fs::read_to_string(dir.join("chart")).unwrap();
    let chart = data().join("charts").join(chart_name.trim());
    let args = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
    let mut argv: Vec<String> = vec![
        "kubenudge".into(),
        "render".into(),
        chart.display().to_string(),
    ];
    for line in args.lines().filter(|l| !l.trim().is_empty()) {
        let (flag, value) = match line.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (line, None),
        };
        argv.push(flag.to_string());
        if let Some(v) = value {
            // Paths in args are relative to the case folder, `chart/` being the chart.
            let v = match v.strip_prefix("chart/") {
                Some(rest) if flag == "--values" => chart.join(rest).display().to_string(),
                _ if flag == "--values" => dir.join(v).display().to_string(),
                _ => v.to_string(),
            };
            argv.push(v);
        }
    }
    let cli = match Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => return (2, String::new(), e.to_string()),
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(cli, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

fn run_case(dir: &Path) -> Result<(), String> {
    let (code, out, err) = render_case(dir);
    if let Ok(expected_error) = std::fs::read_to_string(dir.join("expected_error")) {
        if code == 0 {
            return Err("rendered, but Helm fails on this input".into());
        }
        let want = expected_error.lines().next().unwrap_or("").trim();
        let got = err.lines().next().unwrap_or("").trim();
        return if want == got {
            Ok(())
        } else {
            Err(format!(
                "fails, but says {got:?} where Helm says {want:?}\n{err}"
            ))
        };
    }
    if code != 0 {
        return Err(format!("render failed ({code}): {err}"));
    }
    let expected = std::fs::read_to_string(dir.join("expected.yaml")).unwrap();
    let ours = canonical(&out).map_err(|e| format!("our output does not parse: {e}\n{out}"))?;
    let theirs = canonical(&expected).map_err(|e| format!("expected.yaml does not parse: {e}"))?;
    common::same_documents(&theirs, &ours, "rendered")
}

#[test]
fn helm_cases_render_as_helm_renders_them() {
    let root = data().join("cases");
    common::run_conformance("helm", &root, "HELM_CASE", KNOWN_DIFFERENCES, |case| {
        run_case(case)
    });
}
