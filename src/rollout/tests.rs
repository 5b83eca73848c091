use super::*;
use crate::config::parse_config;
use crate::engine::{LintOptions, lint};

const RULE: &str = "hardening/read-only-root-filesystem";

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A Deployment that meets the restricted Pod Security Standard but whose one container has a
/// writable root filesystem (one finding).
fn deployment(name: &str, namespace: Option<&str>, annotations: &str) -> String {
    let ns = namespace.map_or(String::new(), |n| format!("  namespace: {n}\n"));
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{ns}{annotations}spec:\n  template:\n    spec:\n      securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}\n      containers:\n        - name: app\n          image: app:1\n          securityContext: {{allowPrivilegeEscalation: false, capabilities: {{drop: [ALL]}}}}\n"
    )
}

fn review_of(files: &[(&str, String)], config: &str, today: &str) -> Review {
    let config = parse_config("k.yml", config).unwrap();
    let inputs: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect();
    let result = lint(&inputs, &LintOptions::default());
    let resolver = NamespaceResolver::from_lint(&result, "");
    review(
        &result,
        &PolicyInput {
            config: &config,
            config_errors: &[],
            today: date(today),
            namespaces: &resolver,
        },
    )
}

fn one(files: &[(&str, String)], config: &str, today: &str) -> Decision {
    let r = review_of(files, config, today);
    assert_eq!(r.decisions.len(), 1, "{:#?}", r.decisions);
    r.decisions.into_iter().next().unwrap()
}

fn app() -> Vec<(&'static str, String)> {
    vec![("apps/api.yaml", deployment("api", Some("payments"), ""))]
}

#[test]
fn each_mode_decides_comments_and_conclusion() {
    let cases = [
        ("off", false, false, Conclusion::Success),
        ("audit", true, false, Conclusion::Success),
        ("warn", true, true, Conclusion::Neutral),
        ("enforce", true, true, Conclusion::Failure),
    ];
    for (mode, reported, commented, conclusion) in cases {
        let r = review_of(&app(), &format!("mode: {mode}\n"), "2026-11-22");
        let d = &r.decisions[0];
        assert_eq!(d.stage.effective.to_string(), mode);
        assert_eq!(d.is_reported(), reported, "{mode}");
        assert_eq!(d.is_commented(), commented, "{mode}");
        assert_eq!(d.blocks_merge(), mode == "enforce", "{mode}");
        assert_eq!(r.conclusion(), conclusion, "{mode}");
    }
}

#[test]
fn enforce_from_turns_warn_into_enforce_on_that_day() {
    let config = "mode: warn\nenforce-from: 2027-01-15\n";
    let before = one(&app(), config, "2026-11-22");
    assert_eq!(before.stage.effective, Mode::Warn);
    assert_eq!(before.stage.days_left, Some(54));
    assert_eq!(
        impact::countdown("payments", &before.stage).as_deref(),
        Some("restricted becomes blocking in `payments` on 2027-01-15, in 54 days")
    );
    assert_eq!(
        impact::stage_note("payments", &before.stage),
        "**warn** in `payments` — will block merges from 2027-01-15, in 54 days"
    );
    let eve = one(&app(), config, "2027-01-14");
    assert_eq!(
        (eve.stage.effective, eve.stage.days_left),
        (Mode::Warn, Some(1))
    );
    assert_eq!(
        impact::countdown("payments", &eve.stage).as_deref(),
        Some("restricted becomes blocking in `payments` on 2027-01-15, in 1 day")
    );
    for day in ["2027-01-15", "2027-06-01"] {
        let after = one(&app(), config, day);
        assert_eq!(after.stage.effective, Mode::Enforce, "{day}");
        assert_eq!(after.stage.days_left, None);
        assert_eq!(impact::countdown("payments", &after.stage), None);
        assert_eq!(
            impact::stage_note("payments", &after.stage),
            "**enforce** in `payments` — blocks merges"
        );
        assert_eq!(conclusion(&[after]), Conclusion::Failure);
    }
    // audit also becomes enforce on the date.
    let audit = one(
        &app(),
        "mode: audit\nenforce-from: 2027-01-15\n",
        "2027-01-15",
    );
    assert_eq!(audit.stage.effective, Mode::Enforce);
}

#[test]
fn a_comment_says_by_when_and_what_to_do_otherwise() {
    let config = "mode: warn\nenforce-from: 2027-01-15\nhelp:\n  contact: \"#platform-security\"\n  exceptions: https://wiki.example.com/k8s-exceptions\ndocs-base-url: https://kubenudge.dev/rules/\nexceptions:\n  - rule: hardening/*\n    object: payments/*/*\n    reason: r\n    expires: 2026-11-01\n";
    let d = one(&app(), config, "2026-11-22");
    let parsed = parse_config("k.yml", config).unwrap();
    assert_eq!(
        impact::comment_context(&d, &parsed),
        "**warn** in `payments` — will block merges from 2027-01-15, in 54 days · exception expired on 2026-11-01; renew it or fix the finding\n\n\
         Cannot comply? See [hardening/read-only-root-filesystem](https://kubenudge.dev/rules/hardening/read-only-root-filesystem), \
         [request an exception](https://wiki.example.com/k8s-exceptions), or annotate the object with \
         `ignore.kubenudge.io/read-only-root-filesystem: \"<reason>\"`; questions: #platform-security."
    );
}

#[test]
fn the_first_matching_rollout_rule_wins() {
    let config = r#"mode: warn
enforce-from: 2027-01-15
rollout:
  - namespaces: ["dev-*"]
    mode: enforce
  - paths: ["clusters/prod/**"]
    mode: audit
  - namespaces: ["dev-*", "pay*"]
    mode: off
  - paths: ["clusters/staging/**"]
    enforce-from: 2026-12-06
"#;
    let stage = |ns: &str, path: &str| {
        let files = [(path, deployment("api", Some(ns), ""))];
        one(&files, config, "2026-11-22").stage
    };
    let dev_in_prod = stage("dev-shop", "clusters/prod/a.yaml");
    assert_eq!(
        (dev_in_prod.rule, dev_in_prod.effective),
        (Some(1), Mode::Enforce)
    );
    let prod = stage("payments", "clusters/prod/a.yaml");
    assert_eq!((prod.rule, prod.effective), (Some(2), Mode::Audit));
    // A rule that sets `mode` does not inherit the top-level date.
    assert_eq!(prod.enforce_from, None);
    let pay = stage("payments", "apps/a.yaml");
    assert_eq!((pay.rule, pay.effective), (Some(3), Mode::Off));
    // A rule that sets only `enforce-from` keeps the top-level mode until then.
    let staging = stage("shop", "clusters/staging/a.yaml");
    assert_eq!(staging.rule, Some(4));
    assert_eq!(
        (staging.mode, staging.enforce_from, staging.days_left),
        (Mode::Warn, Some(date("2026-12-06")), Some(14))
    );
    let other = stage("shop", "apps/a.yaml");
    assert_eq!(other.rule, None);
    assert_eq!(other.source, "top-level configuration");
    assert_eq!(other.enforce_from, Some(date("2027-01-15")));
}

#[test]
fn a_rule_with_namespaces_and_paths_needs_both() {
    let config =
        "rollout:\n  - namespaces: [\"team-*\"]\n    paths: [\"prod/**\"]\n    mode: enforce\n";
    let s = |ns: &str, path: &str| {
        one(
            &[(path, deployment("a", Some(ns), ""))],
            config,
            "2026-11-22",
        )
        .stage
        .effective
    };
    assert_eq!(s("team-a", "prod/x.yaml"), Mode::Enforce);
    assert_eq!(s("team-a", "dev/x.yaml"), Mode::Warn);
    assert_eq!(s("other", "prod/x.yaml"), Mode::Warn);
}

#[test]
fn namespaces_come_from_metadata_then_kustomization_then_path_rule_then_default() {
    let config =
        "rollout:\n  - paths: [\"clusters/prod/**\"]\n    namespace: prod\n    mode: enforce\n";
    let kustomization = |ns: &str| {
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {ns}\nresources: [a.yaml]\n"
        )
    };
    let files = vec![
        ("apps/shop/kustomization.yaml", kustomization("shop")),
        // Without apiVersion and kind, as kustomize allows.
        (
            "apps/shop/eu/kustomization.yml",
            "namespace: shop-eu\n".to_string(),
        ),
        (
            "apps/shop/a.yaml",
            deployment("metadata-wins", Some("explicit"), ""),
        ),
        ("apps/shop/b.yaml", deployment("same-dir", None, "")),
        ("apps/shop/base/c.yaml", deployment("parent-dir", None, "")),
        ("apps/shop/eu/d.yaml", deployment("nearest", None, "")),
        (
            "clusters/prod/kustomization.yaml",
            "resources: [e.yaml]\n".to_string(),
        ),
        ("clusters/prod/e.yaml", deployment("path-rule", None, "")),
        ("other/f.yaml", deployment("fallback", None, "")),
        (
            "ns.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n".to_string(),
        ),
    ];
    let r = review_of(&files, config, "2026-11-22");
    let ns_of = |name: &str| {
        r.decisions
            .iter()
            .find(|d| d.finding.object.name == name)
            .unwrap_or_else(|| panic!("{name}"))
            .namespace
            .clone()
    };
    assert_eq!(ns_of("metadata-wins").name, "explicit");
    assert_eq!(ns_of("metadata-wins").source, NamespaceSource::Metadata);
    assert_eq!(ns_of("same-dir").name, "shop");
    assert_eq!(
        ns_of("same-dir").source,
        NamespaceSource::Kustomization {
            file: "apps/shop/kustomization.yaml".into()
        }
    );
    assert_eq!(ns_of("parent-dir").name, "shop");
    assert_eq!(ns_of("nearest").name, "shop-eu");
    let prod = ns_of("path-rule");
    assert_eq!(
        (prod.name.as_str(), prod.source.clone()),
        ("prod", NamespaceSource::RolloutRule { index: 1 })
    );
    assert_eq!(ns_of("fallback").name, "default");
    assert_eq!(ns_of("fallback").source, NamespaceSource::Default);
    let names: Vec<&str> = r.namespaces.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        ["default", "explicit", "payments", "prod", "shop", "shop-eu"]
    );

    let resolver =
        NamespaceResolver::new([("repo/a/kustomization.yaml", "namespace: x\n")], "repo/");
    let c = Config::default();
    assert_eq!(
        resolver
            .resolve(None, "Pod", "p", "repo/a/b/p.yaml", &c)
            .name,
        "x"
    );
    assert_eq!(resolver.repo_path("repo/a/b/p.yaml"), "a/b/p.yaml");
    assert_eq!(
        resolver
            .resolve(None, "Namespace", "ns", "repo/a/ns.yaml", &c)
            .source,
        NamespaceSource::Namespace
    );
}

#[test]
fn exceptions_are_active_until_their_last_day_then_expire() {
    let config = |expires: &str| {
        format!(
            "mode: enforce\nexceptions:\n  - rule: {RULE}\n    object: payments/Deployment/a*\n    reason: writes a cache\n    expires: {expires}\n"
        )
    };
    let active = review_of(&app(), &config("2027-03-31"), "2026-11-22");
    let d = &active.decisions[0];
    assert_eq!(
        d.disposition,
        Disposition::Excepted {
            until: date("2027-03-31"),
            reason: "writes a cache".into()
        }
    );
    assert!(!d.is_reported());
    assert_eq!(
        impact::exception_note(d).as_deref(),
        Some("excepted until 2027-03-31")
    );
    assert_eq!(active.conclusion(), Conclusion::Success);
    assert!(!active.exceptions[0].expiring_soon);
    assert_eq!(active.exceptions[0].matched, 1);

    let last_day = review_of(&app(), &config("2026-11-22"), "2026-11-22");
    assert!(matches!(
        last_day.decisions[0].disposition,
        Disposition::Excepted { .. }
    ));
    assert!(last_day.exceptions[0].expiring_soon);

    let expiring = review_of(&app(), &config("2026-12-06"), "2026-11-22");
    let e = expiring.expiring_exceptions().next().unwrap();
    assert_eq!((e.days_left, e.active), (14, true));
    let not_yet = review_of(&app(), &config("2026-12-07"), "2026-11-22");
    assert_eq!(not_yet.expiring_exceptions().count(), 0);

    let expired = review_of(&app(), &config("2026-11-21"), "2026-11-22");
    let d = &expired.decisions[0];
    assert_eq!(d.disposition, Disposition::Reported);
    assert_eq!(d.exception_expired_on, Some(date("2026-11-21")));
    assert_eq!(
        impact::exception_note(d).as_deref(),
        Some("exception expired on 2026-11-21; renew it or fix the finding")
    );
    assert_eq!(expired.conclusion(), Conclusion::Failure);
    assert_eq!(expired.expiring_exceptions().count(), 0);

    // Another object or rule is not excepted.
    let other = vec![("apps/b.yaml", deployment("b", Some("payments"), ""))];
    let r = review_of(&other, &config("2027-03-31"), "2026-11-22");
    assert_eq!(r.decisions[0].disposition, Disposition::Reported);
    assert_eq!(r.exceptions[0].matched, 0);
}

#[test]
fn the_exception_object_uses_the_resolved_namespace() {
    let files = vec![
        ("apps/kustomization.yaml", "namespace: shop\n".to_string()),
        ("apps/web.yaml", deployment("web", None, "")),
    ];
    let config = format!(
        "exceptions:\n  - rule: {RULE}\n    object: shop/Deployment/web\n    reason: r\n    expires: 2027-01-01\n"
    );
    let d = one(&files, &config, "2026-11-22");
    assert!(matches!(d.disposition, Disposition::Excepted { .. }));
}

fn annotated(key_value: &str) -> Vec<(&'static str, String)> {
    vec![(
        "apps/api.yaml",
        deployment(
            "api",
            Some("payments"),
            &format!("  annotations:\n    {key_value}\n"),
        ),
    )]
}

#[test]
fn an_ignore_with_a_reason_silences_its_rule() {
    let d = one(
        &annotated("ignore.kubenudge.io/read-only-root-filesystem: \"nginx cache, OPS-1\""),
        "mode: enforce\n",
        "2026-11-22",
    );
    assert_eq!(
        d.disposition,
        Disposition::Ignored {
            reason: "nginx cache, OPS-1".into()
        }
    );
    assert!(!d.is_reported());
}

#[test]
fn an_ignore_on_the_pod_template_works_too() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    metadata:\n      annotations:\n        ignore.kubenudge.io/read-only-root-filesystem: writes /data\n    spec:\n      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n      containers:\n        - name: app\n          image: app:1\n          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n";
    let d = one(
        &[("a.yaml", text.to_string())],
        "mode: enforce\n",
        "2026-11-22",
    );
    assert!(matches!(d.disposition, Disposition::Ignored { .. }));
}

#[test]
fn an_ignore_without_reason_silences_nothing_and_is_a_finding() {
    // (Non-string values fail the Kubernetes schema and are reported as file errors.)
    for value in ["\"\"", "\"  \"", "''"] {
        let r = review_of(
            &annotated(&format!(
                "ignore.kubenudge.io/read-only-root-filesystem: {value}"
            )),
            "mode: enforce\n",
            "2026-11-22",
        );
        let rules: Vec<&str> = r.reported().map(|d| d.finding.rule).collect();
        // Sorted by line: the annotation comes before the container.
        assert_eq!(rules, ["kubenudge/invalid-ignore", RULE], "{value}");
        let invalid = &r.decisions[0].finding;
        assert_eq!((invalid.line, invalid.column), (7, 5), "{value}");
        assert!(
            invalid.message.contains("has no reason"),
            "{}",
            invalid.message
        );
    }
}

#[test]
fn an_ignore_of_an_unknown_rule_is_a_finding() {
    let r = review_of(
        &annotated("ignore.kubenudge.io/read-only-rootfs: \"typo\""),
        "mode: enforce\n",
        "2026-11-22",
    );
    let rules: Vec<&str> = r.reported().map(|d| d.finding.rule).collect();
    assert_eq!(rules, ["kubenudge/invalid-ignore", RULE]);
    assert!(
        r.decisions[0]
            .finding
            .message
            .contains("\"read-only-rootfs\" is not a kubenudge rule name")
    );
}

#[test]
fn an_ignore_that_silences_nothing_is_a_finding() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  annotations:\n    ignore.kubenudge.io/read-only-root-filesystem: \"legacy\"\nspec:\n  template:\n    spec:\n      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n      containers:\n        - name: app\n          image: app:1\n          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n";
    let d = one(
        &[("a.yaml", text.to_string())],
        "mode: enforce\n",
        "2026-11-22",
    );
    assert_eq!(d.finding.rule, "kubenudge/unused-ignore");
    assert_eq!((d.finding.line, d.finding.column), (6, 5));
    assert!(d.is_reported());
    // Registered, so that it has a guidance page.
    assert!(crate::rules::doc("kubenudge/unused-ignore").is_some());
}

#[test]
fn conclusion_is_the_worst_reported_stage() {
    let files = vec![
        ("dev/a.yaml", deployment("a", Some("dev"), "")),
        ("prod/b.yaml", deployment("b", Some("prod"), "")),
    ];
    let config =
        |dev: &str| format!("mode: audit\nrollout:\n  - namespaces: [dev]\n    mode: {dev}\n");
    assert_eq!(
        review_of(&files, &config("warn"), "2026-11-22").conclusion(),
        Conclusion::Neutral
    );
    assert_eq!(
        review_of(&files, &config("enforce"), "2026-11-22").conclusion(),
        Conclusion::Failure
    );
    assert_eq!(
        review_of(&files, &config("off"), "2026-11-22").conclusion(),
        Conclusion::Success
    );
    assert_eq!(conclusion(&[]), Conclusion::Success);
}

#[test]
fn a_broken_config_is_reported_and_the_defaults_still_check() {
    let (config, errors) = crate::config::load_or_default(".github/kubenudge.yml", b"mode: of\n");
    let inputs = vec![(
        "a.yaml".to_string(),
        deployment("a", Some("x"), "").into_bytes(),
    )];
    let result = lint(&inputs, &LintOptions::default());
    let resolver = NamespaceResolver::from_lint(&result, "");
    let r = review(
        &result,
        &PolicyInput {
            config: &config,
            config_errors: &errors,
            today: date("2026-11-22"),
            namespaces: &resolver,
        },
    );
    assert_eq!(r.conclusion(), Conclusion::Neutral);
    assert_eq!(r.config_errors.len(), 1);
    let note = impact::impact_note(&r, &config, impact::Scope::PullRequest);
    assert!(
        note.contains("> - `.github/kubenudge.yml:1:7: `mode`: unknown mode \"of\""),
        "{note}"
    );
}

mod label_preview {
    use super::*;
    use crate::policy::Level;
    use crate::rollout::preview::{ModeLabels, preview_label_changes, preview_label_changes_with};

    fn namespace(level: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/enforce: {level}\n"
        )
    }

    fn compliant(name: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: payments\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app:1\n          securityContext: {{readOnlyRootFilesystem: true}}\n"
        )
    }

    fn files(ns: &str) -> Vec<(String, Vec<u8>)> {
        [
            ("ns.yaml", namespace(ns)),
            ("apps/api.yaml", deployment("api", Some("payments"), "")),
            ("apps/ok.yaml", compliant("ok")),
            // Not touched by the pull request, in the namespace through a kustomization.
            (
                "legacy/kustomization.yaml",
                "namespace: payments\n".to_string(),
            ),
            ("legacy/old.yaml", deployment("old", None, "")),
            ("other/shop.yaml", deployment("shop", Some("shop"), "")),
        ]
        .into_iter()
        .map(|(p, t)| (p.to_string(), t.into_bytes()))
        .collect()
    }

    #[test]
    fn lists_every_workload_of_the_namespace_the_new_level_rejects() {
        let previews = preview_label_changes_with(
            &files("baseline"),
            &files("restricted"),
            &Config::default(),
            |rule| rule == RULE,
        );
        assert_eq!(previews.len(), 1);
        let p = &previews[0];
        assert_eq!(
            (p.namespace.as_str(), p.file.as_str(), p.line),
            ("payments", "ns.yaml", 1)
        );
        assert_eq!(p.before.level.as_deref(), Some("baseline"));
        assert_eq!(p.after.level.as_deref(), Some("restricted"));
        assert_eq!(p.policy.as_ref().map(|p| p.level), Some(Level::Restricted));
        assert_eq!(p.workloads, 3);
        let blocked: Vec<(String, &str, usize, Vec<&str>)> = p
            .blocked
            .iter()
            .map(|b| {
                (
                    b.object.to_string(),
                    b.file.as_str(),
                    b.line,
                    b.rules.clone(),
                )
            })
            .collect();
        assert_eq!(
            blocked,
            [
                (
                    "payments/Deployment/api".to_string(),
                    "apps/api.yaml",
                    1,
                    vec![RULE]
                ),
                (
                    "Deployment/old".to_string(),
                    "legacy/old.yaml",
                    1,
                    vec![RULE]
                ),
            ]
        );
    }

    #[test]
    fn judges_with_the_pod_security_rules_by_default() {
        let previews =
            preview_label_changes(&files("baseline"), &files("restricted"), &Config::default());
        assert_eq!(previews.len(), 1);
        assert_eq!(previews[0].workloads, 3);
        // Hardening findings never make PSA reject a pod.
        for b in &previews[0].blocked {
            assert!(
                b.rules.iter().all(|r| r.starts_with("pod-security/")),
                "{b:?}"
            );
        }
    }

    #[test]
    fn nothing_to_preview_without_a_label_change() {
        let all = |_: &str| true;
        let same = preview_label_changes_with(
            &files("baseline"),
            &files("baseline"),
            &Config::default(),
            all,
        );
        assert!(same.is_empty());
        // A new Namespace with labels is a change from "no labels".
        let base: Vec<_> = files("baseline").into_iter().skip(1).collect();
        let new = preview_label_changes_with(&base, &files("baseline"), &Config::default(), all);
        assert_eq!(new[0].before, ModeLabels::default());
    }

    #[test]
    fn privileged_or_invalid_labels_block_nothing() {
        let all = |_: &str| true;
        let p = &preview_label_changes_with(
            &files("baseline"),
            &files("privileged"),
            &Config::default(),
            all,
        )[0];
        assert!(p.blocked.is_empty());
        assert_eq!(p.policy.as_ref().map(|p| p.level), Some(Level::Privileged));
        let p = &preview_label_changes_with(
            &files("baseline"),
            &files("strict"),
            &Config::default(),
            all,
        )[0];
        assert!(p.blocked.is_empty() && p.policy.is_none());
        assert!(
            p.invalid_label
                .as_deref()
                .unwrap()
                .contains("unknown level \"strict\"")
        );
    }
}

mod levels_per_mode {
    use super::*;

    /// Fails baseline (`hostNetwork`) and, beyond it, restricted (no `runAsNonRoot`,
    /// seccomp, capabilities, privilege escalation).
    fn mixed(name: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: payments\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      containers:\n        - name: app\n          image: app:1\n          securityContext: {{readOnlyRootFilesystem: true}}\n"
        )
    }

    /// Fails only restricted.
    fn restricted_only(name: &str) -> String {
        mixed(name).replace("      hostNetwork: true\n", "")
    }

    const CONFIG: &str = "mode: audit\nrollout:\n  - namespaces: [payments]\n    enforce: baseline\n    warn: restricted\n";

    fn modes(r: &Review) -> Vec<(&str, Mode, Option<crate::policy::Level>)> {
        r.decisions
            .iter()
            .map(|d| (d.finding.rule, d.mode, d.level))
            .collect()
    }

    #[test]
    fn a_baseline_violation_is_enforced_and_a_restricted_one_only_warned() {
        use crate::policy::Level::{Baseline, Restricted};
        let r = review_of(&[("a.yaml", mixed("api"))], CONFIG, "2026-12-04");
        let m = modes(&r);
        assert!(
            m.contains(&(
                "pod-security/host-namespaces",
                Mode::Enforce,
                Some(Baseline)
            )),
            "{m:?}"
        );
        assert!(
            m.contains(&("pod-security/run-as-non-root", Mode::Warn, Some(Restricted))),
            "{m:?}"
        );
        // Each finding once, in the strongest mode whose level it violates.
        let host = m
            .iter()
            .filter(|(rule, _, _)| *rule == "pod-security/host-namespaces")
            .count();
        assert_eq!(host, 1);
        assert_eq!(r.conclusion(), Conclusion::Failure);
        let blocking: Vec<&str> = r
            .decisions
            .iter()
            .filter(|d| d.blocks_merge())
            .map(|d| d.finding.rule)
            .collect();
        assert_eq!(blocking, ["pod-security/host-namespaces"]);

        let only = review_of(&[("a.yaml", restricted_only("api"))], CONFIG, "2026-12-04");
        assert!(only.decisions.iter().all(|d| d.mode == Mode::Warn));
        assert!(!only.decisions.is_empty());
        assert_eq!(only.conclusion(), Conclusion::Neutral);

        let d = r
            .decisions
            .iter()
            .find(|d| d.finding.rule == "pod-security/run-as-non-root")
            .unwrap();
        assert_eq!(
            impact::finding_stage_note(d),
            "**warn** at `restricted` in `payments` — warns only, does not block merges"
        );
        assert_eq!(
            impact::stage_note("payments", &d.stage),
            "**enforce** `baseline`, **warn** `restricted` in `payments` — `baseline` violations block merges"
        );
    }

    #[test]
    fn audit_alone_records_without_comments() {
        let config = "rollout:\n  - namespaces: [payments]\n    audit: baseline\n";
        let r = review_of(&[("a.yaml", mixed("api"))], config, "2026-12-04");
        let m = modes(&r);
        assert!(m.contains(&(
            "pod-security/host-namespaces",
            Mode::Audit,
            Some(crate::policy::Level::Baseline)
        )));
        // Restricted-only checks are not run at all at baseline.
        assert!(
            !m.iter()
                .any(|(rule, _, _)| *rule == "pod-security/run-as-non-root")
        );
        assert!(r.decisions.iter().all(|d| !d.is_commented()));
        assert_eq!(r.conclusion(), Conclusion::Success);
    }

    const SCHEDULE: &str = "mode: audit
rollout:
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
    fn the_step_in_force_on_today_applies_and_the_next_one_is_counted_down() {
        use crate::policy::Level::Baseline;
        let stage_on = |today: &str| {
            let r = review_of(&[("a.yaml", mixed("api"))], SCHEDULE, today);
            (r.conclusion(), r.namespaces[0].stage.clone(), r)
        };
        // Before the first step the top level (audit) applies.
        let (c, stage, _) = stage_on("2026-11-22");
        assert_eq!(c, Conclusion::Success);
        assert_eq!(stage.effective, Mode::Audit);
        assert_eq!(
            impact::countdown("payments", &stage).as_deref(),
            Some("restricted becomes warned in `payments` on 2026-12-01, in 9 days")
        );
        let (c, stage, _) = stage_on("2026-12-01");
        assert_eq!((c, stage.effective), (Conclusion::Neutral, Mode::Warn));
        assert_eq!(
            impact::countdown("payments", &stage).as_deref(),
            Some("baseline becomes blocking in `payments` on 2027-01-15, in 45 days")
        );
        let (c, stage, r) = stage_on("2026-12-04");
        assert_eq!(c, Conclusion::Neutral);
        assert_eq!(stage.levels.unwrap().describe(), "warn restricted");
        let d = r
            .decisions
            .iter()
            .find(|d| d.finding.rule == "pod-security/host-namespaces")
            .unwrap();
        assert_eq!(
            impact::finding_stage_note(d),
            "**warn** at `restricted` in `payments` — warns only, does not block merges; baseline becomes blocking in `payments` on 2027-01-15, in 42 days"
        );
        let (c, _, r) = stage_on("2027-01-15");
        assert_eq!(c, Conclusion::Failure);
        assert_eq!(
            r.decisions
                .iter()
                .find(|d| d.finding.rule == "pod-security/host-namespaces")
                .map(|d| (d.mode, d.level)),
            Some((Mode::Enforce, Some(Baseline)))
        );
        let later = review_of(&[("a.yaml", mixed("api"))], SCHEDULE, "2027-01-20");
        assert_eq!(
            impact::countdown("payments", &later.namespaces[0].stage).as_deref(),
            Some("restricted becomes blocking in `payments` on 2027-03-01, in 40 days")
        );
        let (c, stage, _) = stage_on("2027-03-01");
        assert_eq!(c, Conclusion::Failure);
        assert_eq!(stage.next, None);
        assert_eq!(
            impact::stage_note("payments", &stage),
            "**enforce** `restricted` in `payments` — `restricted` violations block merges"
        );
    }

    #[test]
    fn the_next_step_wording_matches_the_issue() {
        let config = "rollout:\n  - namespaces: [payments]\n    enforce: baseline\n    warn: restricted\n    schedule:\n      - from: 2027-03-01\n        enforce: restricted\n";
        let r = review_of(&[("a.yaml", mixed("api"))], config, "2026-12-04");
        assert_eq!(
            impact::countdown("payments", &r.namespaces[0].stage).as_deref(),
            Some("restricted becomes blocking in `payments` on 2027-03-01, in 87 days")
        );
    }

    #[test]
    fn gantt_of_a_schedule() {
        let files = [
            ("a.yaml", mixed("api")),
            ("b.yaml", deployment("web", Some("dev-shop"), "")),
            ("c.yaml", deployment("old", Some("legacy"), "")),
        ];
        let config = format!(
            "{SCHEDULE}  - namespaces: [dev-*]\n    enforce: restricted\n  - namespaces: [legacy]\n    mode: warn\n    enforce-from: 2027-02-01\n"
        );
        let r = review_of(&files, &config, "2026-12-04");
        let rows: Vec<timeline::TimelineRow> = r
            .namespaces
            .iter()
            .map(|ns| timeline::TimelineRow {
                name: ns.name.clone(),
                steps: ns.stage.timeline.clone(),
            })
            .collect();
        let chart = timeline::gantt(&rows, r.today).unwrap();
        insta::assert_snapshot!(chart);
        // Without any date there is nothing to draw.
        let undated = review_of(&files[1..2], "mode: warn\n", "2026-12-04");
        let rows: Vec<timeline::TimelineRow> = undated
            .namespaces
            .iter()
            .map(|ns| timeline::TimelineRow {
                name: ns.name.clone(),
                steps: ns.stage.timeline.clone(),
            })
            .collect();
        assert_eq!(timeline::gantt(&rows, undated.today), None);
    }
}

mod warn_and_audit_label_preview {
    use super::*;
    use crate::policy::Level;
    use crate::rollout::preview::preview_label_changes;

    fn files(labels: &str) -> Vec<(String, Vec<u8>)> {
        [
            (
                "ns.yaml",
                format!(
                    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n{labels}"
                ),
            ),
            ("apps/api.yaml", deployment("api", Some("payments"), "")),
            (
                "apps/root.yaml",
                deployment("root", Some("payments"), "")
                    .replace("runAsNonRoot: true, ", ""),
            ),
        ]
        .into_iter()
        .map(|(p, t)| (p.to_string(), t.into_bytes()))
        .collect()
    }

    #[test]
    fn a_warn_or_audit_label_change_lists_what_the_cluster_would_warn_or_audit() {
        for mode in [Mode::Warn, Mode::Audit] {
            let head = files(&format!(
                "    pod-security.kubernetes.io/{mode}: restricted\n"
            ));
            let previews = preview_label_changes(&files(""), &head, &Config::default());
            assert_eq!(previews.len(), 1, "{mode}: {previews:?}");
            let p = &previews[0];
            assert_eq!(p.mode, mode);
            assert_eq!(p.after.level.as_deref(), Some("restricted"));
            assert_eq!(p.policy.as_ref().map(|p| p.level), Some(Level::Restricted));
            assert_eq!(p.workloads, 2);
            let flagged: Vec<(String, Vec<&str>)> = p
                .blocked
                .iter()
                .map(|b| (b.object.name.clone(), b.rules.clone()))
                .collect();
            assert_eq!(
                flagged,
                [("root".to_string(), vec!["pod-security/run-as-non-root"])],
                "{mode}"
            );
        }
        // The enforce label unchanged and a warn label added: only the warn preview.
        let head = files(
            "    pod-security.kubernetes.io/warn: restricted\n    pod-security.kubernetes.io/audit: restricted\n",
        );
        let modes: Vec<Mode> = preview_label_changes(&files(""), &head, &Config::default())
            .iter()
            .map(|p| p.mode)
            .collect();
        assert_eq!(modes, [Mode::Warn, Mode::Audit]);
    }
}

#[test]
fn the_readiness_table_counts_per_level_and_the_trend_since_the_base() {
    use crate::rollout::readiness::{measure, render_table};
    let measured = |files: &[(&str, String)]| {
        let inputs: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect();
        let result = lint(&inputs, &LintOptions::default());
        let resolver = NamespaceResolver::from_lint(&result, "");
        measure(&result, &resolver, &Config::default())
    };
    let clean = deployment("api", Some("payments"), "");
    let root = clean.replace("runAsNonRoot: true, ", "");
    let host = root.replace(
        "    spec:\n      securityContext",
        "    spec:\n      hostNetwork: true\n      securityContext",
    );
    let base = measured(&[("a.yaml", clean.clone()), ("b.yaml", root.clone())]);
    let head = measured(&[("a.yaml", root), ("b.yaml", host)]);
    assert_eq!(head[0].workloads, 2);
    assert_eq!(
        (head[0].baseline.findings, head[0].baseline.workloads),
        (1, 1)
    );
    assert_eq!(
        (head[0].restricted.findings, head[0].restricted.workloads),
        (3, 2)
    );
    let table = render_table(&head, Some(&base));
    assert!(
        table.contains("| `payments` | 2 | 1 finding in 1 workload (+1 since the base commit) | 3 findings in 2 workloads (+2 since the base commit) |"),
        "{table}"
    );
    let plain = render_table(&base, None);
    assert!(
        plain.contains("| `payments` | 2 | clean | 1 finding in 1 workload |"),
        "{plain}"
    );
}

#[test]
fn a_top_level_schedule_applies_where_no_rule_matches() {
    let config = "warn: restricted\nschedule:\n  - from: 2027-01-15\n    enforce: restricted\n";
    let r = review_of(&app(), config, "2026-11-22");
    let stage = &r.namespaces[0].stage;
    assert_eq!(stage.effective, Mode::Warn);
    assert_eq!(
        impact::countdown("payments", stage).as_deref(),
        Some("restricted becomes blocking in `payments` on 2027-01-15, in 54 days")
    );
    assert_eq!(
        review_of(&app(), config, "2027-01-15").conclusion(),
        Conclusion::Failure
    );
}

#[test]
fn a_warn_label_change_is_worded_for_warnings() {
    use crate::review::policy::PolicyReport;
    use crate::rollout::preview::preview_label_changes;
    let ns = |labels: &str| {
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n{labels}")
    };
    let files = |labels: &str| -> Vec<(String, Vec<u8>)> {
        vec![
            ("ns.yaml".into(), ns(labels).into_bytes()),
            (
                "api.yaml".into(),
                deployment("api", Some("payments"), "")
                    .replace("runAsNonRoot: true, ", "")
                    .into_bytes(),
            ),
        ]
    };
    let previews = preview_label_changes(
        &files("    team: payments\n"),
        &files("    pod-security.kubernetes.io/warn: restricted\n"),
        &Config::default(),
    );
    let report = PolicyReport {
        base_errors: &[],
        config_changed: false,
        head_errors: &[],
        previews: &previews,
        preview_unread: 0,
        tree_truncated: false,
    };
    let md = report.summary_sections();
    assert!(
        md.contains("**`payments`**: `pod-security.kubernetes.io/warn` (not set) → `restricted` (ns.yaml:1)."),
        "{md}"
    );
    assert!(
        md.contains("Once applied, the API server would return a warning (shown by kubectl) for the pods of 1 of the 1 workload of `payments`"),
        "{md}"
    );
}

#[test]
fn a_permutation_is_applied_in_place() {
    let mut items = vec!['a', 'b', 'c', 'd', 'e'];
    // Position k receives what was at order[k].
    super::permute(&mut items, vec![3, 0, 4, 1, 2]);
    assert_eq!(items, ['d', 'a', 'e', 'b', 'c']);
    let mut same = vec![1, 2, 3];
    super::permute(&mut same, vec![0, 1, 2]);
    assert_eq!(same, [1, 2, 3]);
}
