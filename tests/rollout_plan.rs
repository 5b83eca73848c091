//! `kubenudge rollout plan` on the repository's own fixtures: classification (the CNI
//! DaemonSet is a system agent with named exceptions), ordering by environment and readiness,
//! the Markdown timeline, and `--write`, whose configuration parses and reproduces the plan.

use std::path::{Path, PathBuf};

use clap::Parser;
use kubenudge::cli::{Cli, run};
use kubenudge::config::{LEVEL_MODES, Mode, ModeLevel, ModeLevels, parse_config};
use kubenudge::engine::{LintOptions, lint};
use kubenudge::policy::{Level, Version};
use kubenudge::rollout::plan::{Environment, NamespaceClass, PlanInput, RolloutPlan, propose};
use kubenudge::rollout::{Disposition, NamespaceResolver, PolicyInput, Stage, review};

const START: &str = "2026-12-07";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
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

/// Every manifest under `dir`, with paths relative to it (what the CLI reads).
fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn plan() -> RolloutPlan {
    let result = lint(&inputs(&fixtures()), &LintOptions::default());
    let resolver = NamespaceResolver::from_lint(&result, "");
    propose(&PlanInput {
        result: &result,
        resolver: &resolver,
        config: &kubenudge::config::Config::default(),
        start: START.parse().unwrap(),
        weeks: [1, 3, 5],
    })
}

#[test]
fn the_cni_daemonset_makes_its_namespace_system_with_named_exceptions() {
    let plan = plan();
    let ks = plan
        .namespaces
        .iter()
        .find(|n| n.name == "kube-system")
        .expect("kube-system is planned");
    assert_eq!(ks.class, NamespaceClass::System);
    assert_eq!(ks.agents.len(), 1);
    assert_eq!(ks.agents[0].object, "DaemonSet/netagent");
    assert_eq!(ks.agents[0].role, "CNI");
    assert!(
        ks.agents[0].evidence.contains(&"hostNetwork".to_string()),
        "{:?}",
        ks.agents[0].evidence
    );
    // Privileged in the cluster; baseline in kubenudge, with the agent excepted by name.
    assert!(ks.labels.contains(&(
        "pod-security.kubernetes.io/enforce".into(),
        "privileged".into()
    )));
    assert_eq!(ks.target, Level::Baseline);
    let excepted: Vec<&str> = plan
        .exceptions
        .iter()
        .filter(|e| e.object == "kube-system/DaemonSet/netagent")
        .map(|e| e.rule.as_str())
        .collect();
    assert!(
        excepted.contains(&"pod-security/host-namespaces"),
        "{excepted:?}"
    );
    assert!(
        excepted.contains(&"pod-security/privileged"),
        "{excepted:?}"
    );
    assert!(
        plan.exceptions
            .iter()
            .all(|e| e.expires == "2027-12-07".parse().unwrap())
    );
    // Application namespaces aim at restricted.
    let payments = plan
        .namespaces
        .iter()
        .find(|n| n.name == "payments")
        .unwrap();
    assert_eq!(
        (payments.class, payments.target),
        (NamespaceClass::Application, Level::Restricted)
    );
}

#[test]
fn namespaces_are_ordered_by_environment_then_readiness() {
    let plan = plan();
    let order: Vec<(&str, Environment, bool)> = plan
        .namespaces
        .iter()
        .map(|n| (n.name.as_str(), n.environment, n.is_ready()))
        .collect();
    let envs: Vec<Environment> = order.iter().map(|o| o.1).collect();
    let mut sorted = envs.clone();
    sorted.sort();
    assert_eq!(envs, sorted, "{order:?}");
    assert_eq!(order[0].1, Environment::Dev, "{order:?}");
    let default = plan
        .namespaces
        .iter()
        .find(|n| n.name == "default")
        .unwrap();
    assert_eq!(default.environment, Environment::Prod);
    assert!(default.environment_reason.contains("clusters/prod"));
    // Within an environment, namespaces clean at their target come first and block on the
    // wave's date; the others are warned first and block later.
    for env in [
        Environment::Dev,
        Environment::Staging,
        Environment::Prod,
        Environment::Unknown,
    ] {
        let ready: Vec<bool> = order.iter().filter(|o| o.1 == env).map(|o| o.2).collect();
        assert!(ready.windows(2).all(|w| w[0] >= w[1]), "{env:?}: {order:?}");
    }
    let wave = plan.wave_dates();
    for ns in &plan.namespaces {
        let first = ns.steps[0].from;
        let expected = match ns.environment {
            Environment::Dev => wave[0],
            Environment::Staging => wave[1],
            _ => wave[2],
        };
        assert_eq!(first, expected, "{}", ns.name);
        let enforces_at_once = ns.steps[0].levels.get(Mode::Enforce).map(|l| l.level);
        if ns.is_ready() {
            assert_eq!(enforces_at_once, Some(ns.target), "{}", ns.name);
        } else {
            assert_ne!(enforces_at_once, Some(ns.target), "{}", ns.name);
        }
    }
}

#[test]
fn the_text_plan() {
    let (code, out, err) = cli(&[
        "rollout",
        "plan",
        fixtures().to_str().unwrap(),
        "--start",
        START,
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    let out = out.replace(&format!("{}/", fixtures().display()), "");
    insta::assert_snapshot!(out);
}

#[test]
fn the_markdown_plan_has_a_gantt_timeline() {
    let (code, out, _) = cli(&[
        "rollout",
        "plan",
        fixtures().to_str().unwrap(),
        "--start",
        START,
        "--weeks",
        "1,2,4",
        "--format",
        "md",
    ]);
    assert_eq!(code, 0);
    let start = out.find("```mermaid").expect("a gantt block");
    let end = start + out[start..].find("\n```\n").unwrap() + 5;
    insta::assert_snapshot!("plan_gantt", &out[start..end]);
    assert!(out.contains("dev on 2026-12-07, staging on 2026-12-14, prod on 2026-12-28"));
}

#[test]
fn bad_weeks_are_a_usage_error() {
    for weeks in ["1,3", "5,3,1", "0,1,2"] {
        let (code, out, err) = cli(&["rollout", "plan", "--weeks", weeks, "--start", START]);
        assert_eq!((code, out.as_str()), (2, ""), "{weeks}");
        assert!(err.contains("--weeks takes three week numbers"), "{err}");
    }
}

/// Copies the fixtures (without their hidden directories) into a fresh directory.
fn copy_fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in inputs(&fixtures()) {
        let target = dir.path().join(&path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    dir
}

#[test]
fn the_written_config_parses_and_reproduces_the_plan() {
    let dir = copy_fixtures();
    let root = dir.path().to_str().unwrap();
    let (code, _, err) = cli(&["rollout", "plan", root, "--start", START, "--write"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote "), "{err}");
    let path = dir.path().join(".github/kubenudge.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# .github/kubenudge.yml, proposed by `kubenudge rollout plan`"));
    let config =
        parse_config(".github/kubenudge.yml", &text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));

    let plan = plan();
    let audit_restricted = ModeLevels {
        audit: Some(ModeLevel {
            level: Level::Restricted,
            version: Version::Latest,
        }),
        ..ModeLevels::default()
    };
    for ns in &plan.namespaces {
        // Every step in force from its date to the day before the next one.
        for (i, step) in ns.steps.iter().enumerate() {
            let stage = Stage::resolve(&config, &ns.name, "any.yaml", step.from);
            assert_eq!(
                stage.levels,
                Some(step.levels),
                "{} on {}",
                ns.name,
                step.from
            );
            if let Some(next) = ns.steps.get(i + 1) {
                let eve = next.from.pred_opt().unwrap();
                let stage = Stage::resolve(&config, &ns.name, "any.yaml", eve);
                assert_eq!(stage.levels, Some(step.levels), "{} on {eve}", ns.name);
            }
        }
        // Before its first step, the namespace is audited at restricted like the rest.
        let before = ns.steps[0].from.pred_opt().unwrap();
        let stage = Stage::resolve(&config, &ns.name, "any.yaml", before);
        assert_eq!(
            stage.levels,
            Some(audit_restricted),
            "{} on {before}",
            ns.name
        );
    }
    // A namespace the plan does not name is audited.
    let other = Stage::resolve(&config, "not-in-the-plan", "x.yaml", plan.end());
    assert_eq!(other.levels, Some(audit_restricted));
    assert_eq!(config.exceptions.len(), plan.exceptions.len());

    // Applied to the fixtures on the last day, the written config excepts the CNI agent's
    // baseline findings and enforces the rest.
    let result = lint(&inputs(&fixtures()), &LintOptions::default());
    let resolver = NamespaceResolver::from_lint(&result, "");
    let r = review(
        &result,
        &PolicyInput {
            config: &config,
            config_errors: &[],
            today: plan.end(),
            namespaces: &resolver,
        },
    );
    let agent: Vec<_> = r
        .decisions
        .iter()
        .filter(|d| d.finding.object.name == "netagent" && d.mode == Mode::Enforce)
        .collect();
    assert!(!agent.is_empty());
    assert!(
        agent
            .iter()
            .all(|d| matches!(d.disposition, Disposition::Excepted { .. })),
        "{agent:#?}"
    );
    // The modes named in the file are the plan's.
    for ns in &plan.namespaces {
        let last = ns.steps.last().unwrap();
        for mode in LEVEL_MODES {
            let stage = Stage::resolve(&config, &ns.name, "any.yaml", plan.end());
            assert_eq!(
                stage.levels.unwrap().get(mode),
                last.levels.get(mode),
                "{}",
                ns.name
            );
        }
    }

    // A second --write never overwrites.
    let (code, _, err) = cli(&["rollout", "plan", root, "--start", START, "--write"]);
    assert_eq!(code, 2);
    assert!(err.contains("exists; move it away"), "{err}");
}
