//! The command line around the Pod Security rules: `check --level/--pss-version`, `rules`
//! and `explain`.

use clap::Parser;
use kubenudge::cli::{Cli, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, run};

fn kubenudge(args: &[&str]) -> (i32, String, String) {
    let mut argv = vec!["kubenudge"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).expect("valid arguments");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(cli, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/pod-security/backup-cronjob.yaml"
);

#[test]
fn level_and_version_flags_choose_the_checks() {
    let (code, restricted, _) = kubenudge(&["check", FIXTURE]);
    assert_eq!(code, EXIT_FINDINGS);
    assert!(
        restricted.contains("pod-security/run-as-user runAsUser=0 (pod must not set runAsUser=0)")
    );
    assert!(restricted.contains("policy: restricted:latest"));

    let (_, baseline, _) = kubenudge(&["check", "--level", "baseline", FIXTURE]);
    assert!(baseline.contains(
        r#"pod-security/seccomp-profile-baseline seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")"#
    ));
    assert!(!baseline.contains("pod-security/run-as-user"));
    assert!(baseline.contains("policy: baseline:latest"));

    // runAsUser exists from v1.23; before v1.19 seccomp is read from annotations only.
    let (_, old, _) = kubenudge(&["check", "--pss-version", "v1.18", FIXTURE]);
    assert!(!old.contains("pod-security/run-as-user"));
    assert!(!old.contains("seccomp"));
    assert!(old.contains("policy: restricted:v1.18"));
}

#[test]
fn invalid_flag_values_are_usage_errors() {
    for args in [
        ["kubenudge", "check", "--pss-version", "v2.0"],
        ["kubenudge", "check", "--pss-version", "1.30"],
        ["kubenudge", "check", "--level", "strict"],
    ] {
        assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
    }
}

#[test]
fn rules_lists_every_pod_security_check_and_explain_prints_its_page() {
    let (code, out, _) = kubenudge(&["rules"]);
    assert_eq!(code, EXIT_CLEAN);
    let pss: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("pod-security/"))
        .collect();
    assert_eq!(pss.len(), 19, "{out}");
    for line in pss {
        let id = line.split_whitespace().next().unwrap();
        let (code, page, _) = kubenudge(&["explain", id]);
        assert_eq!(code, EXIT_CLEAN);
        assert!(
            page.starts_with(&format!("# {id}\n\n## What it does\n")),
            "{page}"
        );
        assert!(page.contains("## What if you cannot comply"), "{id}");
    }
    let (code, _, err) = kubenudge(&["explain", "pod-security/nope"]);
    assert_eq!(code, EXIT_ERROR);
    assert!(err.contains("unknown rule"));
}
