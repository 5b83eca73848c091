use super::*;

fn errors(text: &str) -> Vec<String> {
    match parse_config("kubenudge.yml", text) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const ISSUE_EXAMPLE: &str = r##"level: restricted            # baseline | restricted
pss-version: latest
mode: warn                   # off | audit | warn | enforce
enforce-from: 2027-01-15     # optional: warn before this date, enforce from it
rollout:                     # first match wins
  - namespaces: ["dev-*"]
    mode: enforce
  - paths: ["clusters/prod/**"]
    mode: warn
    enforce-from: 2027-02-01
exceptions:
  - rule: pod-security/host-namespaces
    object: kube-system/DaemonSet/node-exporter   # namespace/Kind/name, globs allowed
    reason: scrapes node metrics on the host network
    expires: 2027-03-31
help:
  contact: "#platform-security"
  exceptions: https://wiki.example.com/k8s-exceptions
"##;

#[test]
fn parses_the_example_of_the_issue() {
    let c = parse_config(".github/kubenudge.yml", ISSUE_EXAMPLE).unwrap();
    assert_eq!(c.level, Level::Restricted);
    assert_eq!(c.pss_version, Version::Latest);
    assert_eq!(c.mode, Mode::Warn);
    assert_eq!(c.enforce_from, Some(date("2027-01-15")));
    assert_eq!(c.rollout.len(), 2);
    let dev = &c.rollout[0];
    assert_eq!((dev.index, dev.line), (1, 6));
    assert_eq!(dev.mode, Some(Mode::Enforce));
    assert!(dev.matches("dev-shop", "anything.yaml"));
    assert!(!dev.matches("payments", "anything.yaml"));
    let prod = &c.rollout[1];
    assert_eq!(prod.enforce_from, Some(date("2027-02-01")));
    assert!(prod.matches("any", "clusters/prod/a/b.yaml"));
    assert!(!prod.matches("any", "clusters/staging/b.yaml"));
    assert_eq!(prod.describe(), "rollout rule 2 (paths clusters/prod/**)");
    let e = &c.exceptions[0];
    assert!(e.matches(
        "pod-security/host-namespaces",
        "kube-system/DaemonSet/node-exporter"
    ));
    assert_eq!(e.expires, date("2027-03-31"));
    assert_eq!(c.help.contact.as_deref(), Some("#platform-security"));
    assert_eq!(
        c.help.exceptions.as_deref(),
        Some("https://wiki.example.com/k8s-exceptions")
    );
}

#[test]
fn an_empty_file_gives_the_defaults() {
    for text in ["", "# nothing yet\n", "---\n"] {
        let c = parse_config("k.yml", text).unwrap();
        assert_eq!(
            (c.level, c.pss_version, c.mode, c.enforce_from),
            (Level::Restricted, Version::Latest, Mode::Warn, None)
        );
    }
}

#[test]
fn unknown_keys_are_errors_at_their_position() {
    assert_eq!(
        errors("mode: warn\nenforce_from: 2027-01-15\n"),
        [
            "kubenudge.yml:2:1: unknown key \"enforce_from\" in the configuration; expected one of: level, pss-version, mode, enforce-from, enforce, warn, audit, schedule, rollout, exceptions, help, docs-base-url, select, extend-select, ignore, helm"
        ]
    );
    assert_eq!(
        errors("rollout:\n  - namespaces: [a]\n    mode: warn\n    level: baseline\n"),
        [
            "kubenudge.yml:4:5: unknown key \"level\" in a rollout rule; expected one of: namespaces, paths, namespace, mode, enforce-from, enforce, warn, audit, schedule"
        ]
    );
    assert_eq!(
        errors("help:\n  slack: x\n"),
        [
            "kubenudge.yml:2:3: unknown key \"slack\" in `help`; expected one of: contact, exceptions"
        ]
    );
}

#[test]
fn bad_values_are_errors_at_their_position() {
    let cases: &[(&str, &str)] = &[
        (
            "mode: warm\n",
            "kubenudge.yml:1:7: `mode`: unknown mode \"warm\": expected off, audit, warn or enforce",
        ),
        (
            "level: strict\n",
            "kubenudge.yml:1:8: `level`: unknown level \"strict\": expected privileged, baseline or restricted",
        ),
        (
            "level: privileged\n",
            "kubenudge.yml:1:8: `level`: privileged checks nothing; expected baseline or restricted (use `mode: off` to turn checks off)",
        ),
        (
            "pss-version: 1.30\n",
            "kubenudge.yml:1:14: `pss-version`: unknown Pod Security version \"1.30\": expected latest or v1.N (e.g. v1.30)",
        ),
        (
            "pss-version: \"1.30\"\n",
            "kubenudge.yml:1:14: `pss-version`: unknown Pod Security version \"1.30\": expected latest or v1.N (e.g. v1.30)",
        ),
        (
            "enforce-from: 2027-02-30\n",
            "kubenudge.yml:1:15: `enforce-from`: \"2027-02-30\" is not a date; write YYYY-MM-DD, e.g. 2027-01-15",
        ),
        (
            "enforce-from: 2027-1-5\n",
            "kubenudge.yml:1:15: `enforce-from`: \"2027-1-5\" is not a date; write YYYY-MM-DD, e.g. 2027-01-15",
        ),
        (
            "rollout:\n  - namespaces: dev-*\n    mode: warn\n",
            "kubenudge.yml:2:17: `namespaces` must be a list of globs, e.g. [\"dev-*\"]",
        ),
        (
            "rollout:\n  - paths: [\"a/[b\"]\n    mode: warn\n",
            "kubenudge.yml:2:13: `paths`: invalid glob \"a/[b\": unclosed character class; missing ']'",
        ),
        (
            "rollout:\n  - mode: warn\n",
            "kubenudge.yml:2:5: rollout rule 1 selects nothing: give `namespaces` or `paths`",
        ),
        (
            "rollout:\n  - namespaces: [a]\n",
            "kubenudge.yml:2:5: rollout rule 1 changes nothing: give `mode`, `enforce-from`, levels per mode (`enforce`, `warn`, `audit`) or a `schedule`",
        ),
        (
            "rollout:\n  - namespaces: [a]\n    namespace: b\n    mode: warn\n",
            "kubenudge.yml:2:5: rollout rule 1: `namespace` names the namespace of files under `paths`; add `paths`",
        ),
        (
            "rollout: {a: 1}\n",
            "kubenudge.yml:1:10: `rollout` must be a list",
        ),
        (
            "help:\n  contact: \"\"\n",
            "kubenudge.yml:2:12: `help.contact` must not be empty",
        ),
        (
            "- a\n",
            "kubenudge.yml:1:1: the configuration must be a mapping",
        ),
        (
            "mode: warn\n---\nmode: off\n",
            "kubenudge.yml:3:1: expected one YAML document, found several",
        ),
        (
            "mode: [\n",
            "kubenudge.yml:2:1: invalid YAML: invalid indentation in flow construct",
        ),
    ];
    for (text, expected) in cases {
        let got = errors(text);
        assert_eq!(got.len(), 1, "{text:?}: {got:?}");
        if got[0].contains("invalid YAML") {
            assert!(got[0].starts_with("kubenudge.yml:"), "{got:?}");
            assert!(expected.contains("invalid YAML"));
        } else {
            assert_eq!(&got[0], expected, "{text:?}");
        }
    }
}

#[test]
fn exceptions_need_every_field_and_a_real_rule() {
    let got = errors("exceptions:\n  - rule: hardening/read-only-rootfs\n    object: a/b\n");
    assert_eq!(
        got,
        [
            "kubenudge.yml:2:5: exception is missing `reason`",
            "kubenudge.yml:2:5: exception is missing `expires`",
            "kubenudge.yml:2:11: unknown rule \"hardening/read-only-rootfs\"; `kubenudge rules` lists them",
            "kubenudge.yml:3:13: `object` \"a/b\" must be namespace/Kind/name, e.g. kube-system/DaemonSet/node-exporter",
        ]
    );
    assert_eq!(
        errors(
            "exceptions:\n  - rule: read-only-root-filesystem\n    object: a/B/c\n    reason: r\n    expires: 2027-01-01\n"
        ),
        [
            "kubenudge.yml:2:11: `rule` \"read-only-root-filesystem\" must be a rule id such as pod-security/host-namespaces"
        ]
    );
    assert_eq!(
        errors(
            "exceptions:\n  - rule: hardening/*\n    object: \"*/Deployment/*\"\n    reason: \"  \"\n    expires: 2027-01-01\n"
        ),
        ["kubenudge.yml:4:13: `reason` must not be empty"]
    );
}

#[test]
fn globs_do_not_cross_slashes_unless_doubled() {
    let c = parse_config(
        "k.yml",
        "exceptions:\n  - rule: hardening/*\n    object: \"payments/*/api-*\"\n    reason: r\n    expires: 2027-01-01\nrollout:\n  - paths: [\"clusters/*/apps.yaml\"]\n    mode: off\n",
    )
    .unwrap();
    let e = &c.exceptions[0];
    assert!(e.matches(
        "hardening/read-only-root-filesystem",
        "payments/Deployment/api-v2"
    ));
    assert!(!e.matches("pod-security/privileged", "payments/Deployment/api-v2"));
    assert!(!e.matches(
        "hardening/read-only-root-filesystem",
        "payments/x/Deployment/api"
    ));
    assert!(c.rollout[0].matches_path("clusters/prod/apps.yaml"));
    assert!(!c.rollout[0].matches_path("clusters/prod/eu/apps.yaml"));
}

#[test]
fn a_broken_config_falls_back_to_the_defaults_and_says_why() {
    let (c, errors) = load_or_default(CONFIG_PATH, b"mode: off\nmode_: enforce\n");
    assert_eq!(
        c.mode,
        Mode::Warn,
        "a broken config must not switch checks off"
    );
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].file, CONFIG_PATH);
    assert_eq!((errors[0].line, errors[0].column), (2, 1));
    let (c, errors) = load_or_default(CONFIG_PATH, b"mode: \xff\n");
    assert_eq!(c.mode, Mode::Warn);
    assert!(errors[0].message.contains("UTF-8"));
    let (c, errors) = load_or_default(CONFIG_PATH, b"mode: enforce\n");
    assert_eq!((c.mode, errors.len()), (Mode::Enforce, 0));
}

#[test]
fn rule_selection_keys_are_read_and_checked_at_their_position() {
    let c = parse_config(
        "kubenudge.yml",
        "select: [pod-security]\nextend-select: [hardening/read-only-root-filesystem]\nignore:\n  - pod-security/privileged\n",
    )
    .unwrap();
    assert!(c.rules.enables("pod-security/run-as-non-root"));
    assert!(c.rules.enables("hardening/read-only-root-filesystem"));
    assert!(!c.rules.enables("pod-security/privileged"));
    assert!(!c.rules.enables("deprecations/removed-api"));
    assert_eq!(
        errors(
            "select: [pod-security]\nignore:\n  - pod-security/privilegd\n  - hardening\nextend-select: pod-security\n"
        ),
        vec![
            "kubenudge.yml:3:5: `ignore`: unknown rule or family \"pod-security/privilegd\"; `kubenudge rules` lists them",
            "kubenudge.yml:5:16: `extend-select` must be a list of rule ids or families, e.g. [pod-security]",
        ]
    );
}

fn level(level: Level) -> Option<ModeLevel> {
    Some(ModeLevel {
        level,
        version: Version::Latest,
    })
}

#[test]
fn a_level_per_mode_at_the_top_and_in_rules() {
    let c = parse_config(
        "k.yml",
        "pss-version: v1.30\nenforce: baseline\nwarn: restricted\naudit: {level: restricted, version: latest}\nrollout:\n  - namespaces: [payments]\n    enforce: baseline\n    warn: restricted\n",
    )
    .unwrap();
    let v130 = |level| {
        Some(ModeLevel {
            level,
            version: Version::Minor(30),
        })
    };
    assert_eq!(
        c.schedule.initial,
        Some(ModeLevels {
            enforce: v130(Level::Baseline),
            warn: v130(Level::Restricted),
            audit: level(Level::Restricted),
        })
    );
    let rule = &c.rollout[0].schedule;
    assert_eq!(rule.initial.unwrap().enforce, v130(Level::Baseline));
    assert!(rule.steps.is_empty());
    // The single form stays the single form.
    let single = parse_config("k.yml", "level: baseline\nmode: enforce\n").unwrap();
    assert!(single.schedule.is_empty());
    assert_eq!(
        (single.level, single.mode),
        (Level::Baseline, Mode::Enforce)
    );
}

const SCHEDULE: &str = "rollout:
  - namespaces: [payments]
    schedule:
      - from: 2026-12-01
        warn: restricted
      - from: 2027-01-15
        enforce: baseline
        warn: restricted
      - from: 2027-03-01
        enforce: restricted
";

#[test]
fn a_schedule_is_dated_steps_in_order() {
    let c = parse_config("k.yml", SCHEDULE).unwrap();
    let s = &c.rollout[0].schedule;
    assert_eq!(s.initial, None);
    let froms: Vec<NaiveDate> = s.steps.iter().map(|s| s.from).collect();
    assert_eq!(
        froms,
        [date("2026-12-01"), date("2027-01-15"), date("2027-03-01")]
    );
    assert_eq!(s.steps[1].line, 6);
    assert_eq!(s.in_force(date("2026-11-30")), (None, None));
    assert_eq!(s.in_force(date("2027-01-15")).1, Some(1));
    assert_eq!(
        s.in_force(date("2027-02-28")).0.unwrap().describe(),
        "enforce baseline, warn restricted"
    );
    assert_eq!(
        s.in_force(date("2030-01-01")).0.unwrap().describe(),
        "enforce restricted"
    );
}

#[test]
fn schedule_mistakes_are_errors_at_their_position() {
    let cases: &[(&str, &str)] = &[
        (
            "rollout:\n  - namespaces: [a]\n    schedule:\n      - from: 2027-03-01\n        warn: restricted\n      - from: 2027-01-15\n        enforce: restricted\n",
            "kubenudge.yml:6:15: schedule step 2 (2027-01-15) is not after step 1 (2027-03-01): list the steps in date order",
        ),
        (
            "rollout:\n  - namespaces: [a]\n    schedule:\n      - from: 2027-01-15\n        enforce: restricted\n      - from: 2027-03-01\n        enforce: baseline\n",
            "kubenudge.yml:6:9: schedule step 2 (2027-03-01) loosens `enforce` from restricted to baseline; if that is intended, add `loosen: true` and a `reason`",
        ),
        (
            "rollout:\n  - namespaces: [a]\n    schedule:\n      - from: 2027-01-15\n        enforce: restricted\n      - from: 2027-03-01\n        warn: restricted\n",
            "kubenudge.yml:6:9: schedule step 2 (2027-03-01) loosens `enforce` from restricted to privileged; if that is intended, add `loosen: true` and a `reason`",
        ),
        (
            "rollout:\n  - namespaces: [a]\n    schedule:\n      - from: 2027-01-15\n        enforce: restricted\n      - from: 2027-03-01\n        enforce: baseline\n        loosen: true\n",
            "kubenudge.yml:8:17: schedule step 2: `loosen: true` needs a `reason`",
        ),
        (
            "rollout:\n  - namespaces: [a]\n    schedule:\n      - warn: restricted\n",
            "kubenudge.yml:4:9: schedule step 1 is missing `from` (the date it starts)",
        ),
        (
            "rollout:\n  - namespaces: [a]\n    schedule:\n      - from: 2027-01-15\n",
            "kubenudge.yml:4:9: schedule step 1 changes nothing: give `enforce`, `warn` or `audit`",
        ),
        (
            "rollout:\n  - namespaces: [a]\n    mode: warn\n    warn: restricted\n",
            "kubenudge.yml:3:11: rollout rule 1: give either `mode` or levels per mode (`enforce`, `warn`, `audit`), not both",
        ),
        (
            "enforce: baseline\nenforce-from: 2027-01-15\n",
            "kubenudge.yml:2:15: the configuration: `enforce-from` is shorthand for `mode` with one dated step; with levels per mode or a `schedule`, write the step in `schedule`",
        ),
        (
            "warn: strict\n",
            "kubenudge.yml:1:7: `warn`: unknown level \"strict\": expected privileged, baseline or restricted",
        ),
        (
            "warn: {version: v1.30}\n",
            "kubenudge.yml:1:7: `warn` is missing `level`",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(errors(text), [*expected], "{text}");
    }
    // A loosening step with its reason is accepted, and the reason kept.
    let c = parse_config(
        "k.yml",
        "rollout:\n  - namespaces: [a]\n    schedule:\n      - from: 2027-01-15\n        enforce: restricted\n      - from: 2027-03-01\n        enforce: baseline\n        warn: restricted\n        loosen: true\n        reason: the payments SDK needs root until 4.2\n",
    )
    .unwrap();
    assert_eq!(
        c.rollout[0].schedule.steps[1].loosen_reason.as_deref(),
        Some("the payments SDK needs root until 4.2")
    );
}

#[test]
fn loosening_is_judged_on_what_each_mode_and_those_above_it_check() {
    let levels = |e: Option<Level>, w: Option<Level>| ModeLevels {
        enforce: e.and_then(level),
        warn: w.and_then(level),
        audit: None,
    };
    let b = Some(Level::Baseline);
    let r = Some(Level::Restricted);
    // warn restricted → enforce baseline + warn restricted → enforce restricted: tightening.
    assert_eq!(levels(b, r).loosening_from(&levels(None, r)), None);
    assert_eq!(levels(r, None).loosening_from(&levels(b, r)), None);
    // Dropping the warning of restricted loosens `warn`.
    assert_eq!(
        levels(b, None).loosening_from(&levels(b, r)).as_deref(),
        Some("`warn` from restricted to baseline")
    );
}
