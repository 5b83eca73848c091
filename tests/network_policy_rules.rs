//! The `network-policy/` rules on their fixtures (`tests/data/network_policy/<rule>.yaml`: every
//! NetworkPolicy named `fires-*` must get the rule's finding, every `ok-*` must not), the
//! messages and severities users read, the fixes, and the CLI output on a realistic policy set.

use crate::common;

use clap::Parser;
use kubenudge::cli::{Cli, run};
use kubenudge::engine::{LintOptions, LintResult, lint};
use kubenudge::finding::{Finding, FixSafety, Severity};

fn fixture(rule: &str) -> String {
    let path = common::root()
        .join("tests/data/network_policy")
        .join(format!("{rule}.yaml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn lint_text(name: &str, text: &str) -> LintResult {
    lint(
        &[(name.to_string(), text.as_bytes().to_vec())],
        &LintOptions::default(),
    )
}

/// The findings of `rule` on the fixture of the same name.
fn findings_of(rule: &str) -> (LintResult, Vec<Finding>) {
    let result = lint_text(&format!("{rule}.yaml"), &fixture(rule));
    assert!(result.errors.is_empty(), "{rule}: {:?}", result.errors);
    let id = format!("network-policy/{rule}");
    let findings = result
        .findings
        .iter()
        .filter(|f| f.rule == id)
        .cloned()
        .collect();
    (result, findings)
}

fn on<'a>(findings: &'a [Finding], policy: &str) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| f.object.kind == "NetworkPolicy" && f.object.name == policy)
        .collect()
}

fn run_cli(args: &[&str]) -> (i32, String) {
    let cli = Cli::try_parse_from(std::iter::once("kubenudge").chain(args.iter().copied()))
        .expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(cli, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap())
}

#[test]
fn every_rule_fires_on_its_fires_cases_and_not_on_its_ok_cases() {
    let rules: Vec<&str> = kubenudge::rules::all()
        .into_iter()
        .map(|r| r.id())
        .filter(|id| id.starts_with("network-policy/"))
        .collect();
    assert!(rules.len() >= 15, "{rules:?}");
    for id in rules {
        let rule = id.trim_start_matches("network-policy/");
        let (result, findings) = findings_of(rule);
        let (mut fires, mut ok) = (0, 0);
        for file in &result.files {
            for object in &file.objects {
                if object.kind != "NetworkPolicy" {
                    continue;
                }
                let n = findings
                    .iter()
                    .filter(|f| f.object == object.reference())
                    .count();
                if object.name.starts_with("fires-") {
                    fires += 1;
                    assert!(n > 0, "{id} does not fire on {}", object.name);
                } else {
                    ok += 1;
                    assert_eq!(n, 0, "{id} fires on {}: {findings:#?}", object.name);
                }
            }
        }
        assert!(fires >= 1 && ok >= 1, "{id}: fixture needs both kinds");
        assert!(
            findings.iter().all(|f| f.object.kind == "NetworkPolicy"),
            "{id} reports a non-policy object"
        );
    }
}

#[test]
fn and_or_confusion_states_the_effective_peers_and_merges_them() {
    let (_, findings) = findings_of("peer-and-or-confusion");
    let f = on(&findings, "fires-ingress-or")[0];
    assert!(
        f.message.contains(
            "this rule admits all pods in namespaces with team=a OR pods app=web in namespace shop"
        ),
        "{}",
        f.message
    );
    assert_eq!((f.line, f.column), (21, 11), "at the namespace peer");
    let fix = f.fix.as_ref().expect("two peers: a fix");
    assert_eq!(fix.safety, FixSafety::Review);
    assert_eq!(
        fix.title,
        "Merge the two peers into one: pods app=web in namespaces with team=a"
    );
    let three = on(&findings, "fires-egress-three-peers")[0];
    assert!(three.fix.is_none(), "three peers: no fix");
    assert!(
        three.message.contains(
            "pods app=api in namespace shop OR all pods in namespace team-a OR IPs in 203.0.113.0/24"
        ),
        "{}",
        three.message
    );
    let run = kubenudge::engine::fix(
        &[(
            "p.yaml".into(),
            fixture("peer-and-or-confusion").into_bytes(),
        )],
        &LintOptions::default(),
        true,
    );
    let after = &run.changed[0].after;
    assert!(
        after.contains(
            "        - namespaceSelector:\n            matchLabels:\n              team: a\n          podSelector:\n            matchLabels:\n              app: web\n      ports:"
        ),
        "{after}"
    );
}

#[test]
fn dns_blocked_is_an_error_and_udp_only_a_warning() {
    let (_, findings) = findings_of("egress-blocks-dns");
    let none = on(&findings, "fires-no-dns")[0];
    assert_eq!(none.severity, Severity::Error);
    assert!(
        none.message
            .starts_with("egress of all pods in namespace dns-1 is isolated and no egress rule allows DNS (UDP and TCP 53)"),
        "{}",
        none.message
    );
    let udp = on(&findings, "fires-udp-only")[0];
    assert_eq!(udp.severity, Severity::Warning);
    assert!(udp.message.contains("DNS is allowed over UDP but not TCP"));
    let workload = on(&findings, "fires-workload")[0];
    assert!(
        workload.message.contains("egress of dns-6/web[Deployment]"),
        "{}",
        workload.message
    );
    assert_eq!(
        on(&findings, "ok-deny-all-egress").len(),
        0,
        "DNS from a second policy counts"
    );
    let fix = none.fix.as_ref().expect("a DNS rule to add");
    assert_eq!(fix.safety, FixSafety::Review);
    let run = kubenudge::engine::fix(
        &[("d.yaml".into(), fixture("egress-blocks-dns").into_bytes())],
        &LintOptions::default(),
        true,
    );
    let after = &run.changed[0].after;
    assert!(
        after.contains(
            "        - port: 8080\n    - {to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}\n---"
        ),
        "{after}"
    );
    assert!(
        !run.result
            .findings
            .iter()
            .any(|f| f.rule == "network-policy/egress-blocks-dns"),
        "the DNS rule satisfies the check"
    );
}

#[test]
fn policy_types_mismatch_reports_the_effective_types_and_adds_the_missing_one() {
    let (_, findings) = findings_of("policy-types-mismatch");
    let ignored = on(&findings, "fires-egress-ignored")[0];
    assert!(
        ignored
            .message
            .starts_with("1 egress rule is ignored: policyTypes is [Ingress]"),
        "{}",
        ignored.message
    );
    let empty = on(&findings, "fires-deny-egress-written-as-empty-list")[0];
    assert!(
        empty
            .message
            .contains("policyTypes defaults to [Ingress], so this policy denies all ingress"),
        "{}",
        empty.message
    );
    let only = on(&findings, "fires-egress-only-without-types")[0];
    assert!(only.message.contains("defaults to [Ingress, Egress]"));
    let run = kubenudge::engine::fix(
        &[(
            "p.yaml".into(),
            fixture("policy-types-mismatch").into_bytes(),
        )],
        &LintOptions::default(),
        true,
    );
    let after = &run.changed[0].after;
    assert!(
        after.contains("  policyTypes:\n    - Ingress\n    - Egress\n  egress:"),
        "{after}"
    );
    assert!(
        after.contains("  podSelector: {}\n  egress: []\n  policyTypes:\n    - Egress\n"),
        "{after}"
    );
    assert!(
        !run.result
            .findings
            .iter()
            .any(|f| f.rule == "network-policy/policy-types-mismatch")
    );
}

#[test]
fn missing_namespace_label_suggests_the_name_label_and_fixes_name_selectors() {
    let (_, findings) = findings_of("namespace-label-not-found");
    let classic = on(&findings, "fires-name-kube-system")[0];
    assert!(
        classic.message.starts_with(
            "namespaceSelector requires label `name`, which no Namespace in the repository has"
        ),
        "{}",
        classic.message
    );
    assert!(
        classic
            .message
            .contains("select namespaces by name with `kubernetes.io/metadata.name: kube-system`")
    );
    assert!(classic.fix.is_some());
    assert!(on(&findings, "fires-unknown-key")[0].fix.is_none());
    let run = kubenudge::engine::fix(
        &[(
            "n.yaml".into(),
            fixture("namespace-label-not-found").into_bytes(),
        )],
        &LintOptions::default(),
        true,
    );
    assert!(
        run.changed[0].after.contains(
            "        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: kube-system\n---"
        ),
        "{}",
        run.changed[0].after
    );
}

#[test]
fn a_namespace_label_is_not_judged_without_anything_to_judge_it_by() {
    // No Namespace declared, and `team: a` names no namespace kubenudge knows.
    let yaml = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  podSelector: {}\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchLabels: {team: a}\n";
    let result = lint_text("p.yaml", yaml);
    assert!(
        !result
            .findings
            .iter()
            .any(|f| f.rule == "network-policy/namespace-label-not-found"),
        "{:#?}",
        result.findings
    );
}

#[test]
fn selections_of_nothing_list_the_workloads_that_are_there() {
    let (_, findings) = findings_of("selects-no-workload");
    let policy = on(&findings, "fires-policy-typo")[0];
    assert_eq!(
        policy.message,
        "this policy selects no workload: no workload of namespace sel-1 has app=wbe (its workloads: sel-1/web[Deployment] (app=web)); it protects nothing"
    );
    let peer = on(&findings, "fires-peer-typo")[0];
    assert!(
        peer.message.starts_with(
            "peer selects no workload: pods app=wbe in namespace sel-1 matches nothing"
        ),
        "{}",
        peer.message
    );
}

#[test]
fn udp_ports_without_protocol_get_protocol_udp() {
    let (_, findings) = findings_of("missing-udp-protocol");
    let dns = on(&findings, "fires-dns-without-protocol")[0];
    assert_eq!(
        dns.message,
        "port 53 has no protocol, so it allows TCP only, but 53 is DNS, a UDP service: add `protocol: UDP`; DNS needs UDP and TCP 53, so keep a TCP entry too"
    );
    let declared = on(&findings, "fires-destination-declares-udp")[0];
    assert!(
        declared
            .message
            .contains("the destination declares container port 9999 as UDP")
    );
    let run = kubenudge::engine::fix(
        &[(
            "u.yaml".into(),
            fixture("missing-udp-protocol").into_bytes(),
        )],
        &LintOptions::default(),
        true,
    );
    let after = &run.changed[0].after;
    assert!(
        after.contains("      ports:\n        - port: 53\n          protocol: UDP\n        - protocol: TCP\n          port: 53\n"),
        "{after}"
    );
    assert!(after.contains("        - port: 8125\n          protocol: UDP\n"));
}

#[test]
fn allow_all_names_the_policies_it_makes_pointless() {
    let (_, findings) = findings_of("allow-all-peers");
    let all = on(&findings, "fires-allow-all-ingress")[0];
    assert_eq!(
        all.message,
        "this rule allows all ingress of all pods in namespace all-1: every source (every pod and every IP address), on every port; it makes these narrower policies pointless for the same pods (policies only add up): ok-narrow (allow-all-peers.yaml:16)"
    );
    let ns = on(&findings, "fires-every-namespace")[0];
    assert!(
        ns.message.starts_with(
            "peer `from` `namespaceSelector: {}` is every pod in every namespace of the cluster"
        ),
        "{}",
        ns.message
    );
}

#[test]
fn api_server_rejections_are_errors_at_the_field() {
    for rule in [
        "invalid-peer",
        "invalid-port",
        "invalid-policy-types",
        "invalid-selector",
    ] {
        let (_, findings) = findings_of(rule);
        assert!(
            findings.iter().all(|f| f.severity == Severity::Error),
            "{rule}"
        );
    }
    let (_, peers) = findings_of("invalid-peer");
    let except = on(&peers, "fires-except-outside-cidr")[0];
    assert_eq!(
        except.message,
        "ipBlock.except 10.1.0.0/24 is not strictly inside cidr 10.0.0.0/16: the API server rejects it (\"must be a strict subset of cidr\")"
    );
    assert_eq!(
        except.field_path.to_string(),
        "spec.ingress[0].from[0].ipBlock.except[0]"
    );
    let (_, ports) = findings_of("invalid-port");
    assert_eq!(
        on(&ports, "fires-quoted-number")[0].message,
        "port \"8080\" is not a valid port name (at least one letter): the API server rejects it; write the number without quotes"
    );
    assert_eq!(
        on(&ports, "fires-end-port-below-port")[0].message,
        "endPort 31000 is below port 32000; the range is port..endPort: the API server rejects it"
    );
    let (_, selectors) = findings_of("invalid-selector");
    assert_eq!(
        on(&selectors, "fires-label-value-with-space")[0].message,
        "label `app: web server`: label value \"web server\" must be letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit; the API server rejects the policy"
    );
    let (_, types) = findings_of("invalid-policy-types");
    let lower = on(&types, "fires-lowercase")[0];
    assert_eq!(lower.fix.as_ref().unwrap().safety, FixSafety::Safe);
    assert_eq!(on(&types, "fires-too-many").len(), 1);
}

#[test]
fn named_ports_resolve_against_the_destination_containers() {
    let (_, findings) = findings_of("named-port-undefined");
    assert_eq!(
        on(&findings, "fires-name-typo")[0].message,
        "named port \"http\" (TCP) is defined by no destination pod, so this port matches nothing; destinations: np-1/api[Deployment]"
    );
    assert!(
        on(&findings, "fires-wrong-protocol")[0]
            .message
            .contains("(it is defined for TCP, not UDP)")
    );
    assert!(
        on(&findings, "fires-name-means-two-numbers")[0]
            .message
            .contains("(8080, 9090)")
    );
}

#[test]
fn one_sided_allows_name_what_still_blocks_them() {
    let (_, findings) = findings_of("one-sided-allow");
    assert_eq!(
        on(&findings, "fires-web-to-api")[0].message,
        "this egress rule has no effect for os-1/api[Deployment]: their ingress is isolated by os-1/ok-api-admits-gateway and no rule there admits os-1/web[Deployment] on these ports, so the connection stays blocked; allow it in that policy too"
    );
    assert!(
        on(&findings, "fires-server-admits-client")[0]
            .message
            .starts_with("this ingress rule has no effect for os-2/client[Deployment]: their egress is isolated by os-2/ok-client-egress-to-db-only")
    );
}

#[test]
fn duplicate_names_point_at_each_other() {
    let (_, findings) = findings_of("duplicate-name");
    let copied = on(&findings, "fires-copied");
    assert_eq!(copied.len(), 2);
    assert!(
        copied[0]
            .message
            .ends_with("is also defined at duplicate-name.yaml:15: applying both leaves only the one applied last"),
        "{}",
        copied[0].message
    );
}

#[test]
fn the_repository_view_spans_files() {
    // The workload is in one file, the policy in another: the policy selects it.
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: i\n";
    let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  podSelector:\n    matchLabels: {app: web}\n";
    let typo = policy.replace("app: web", "app: wbe");
    let selects_nothing = |policy: &str| {
        lint(
            &[
                ("a.yaml".into(), deployment.as_bytes().to_vec()),
                ("b.yaml".into(), policy.as_bytes().to_vec()),
            ],
            &LintOptions::default(),
        )
        .findings
        .iter()
        .any(|f| f.rule == "network-policy/selects-no-workload")
    };
    assert!(!selects_nothing(policy));
    assert!(selects_nothing(&typo));
}

#[test]
fn check_on_a_realistic_policy_set() {
    let (code, out) = run_cli(&["check", "tests/data/network_policy/acs-security-demos"]);
    assert_eq!(code, 1);
    // The NetworkPolicy findings as printed (the Deployments' Pod Security findings have
    // snapshots of their own), and the closing count.
    let blocks: Vec<&str> = out
        .split("\n\n")
        .filter(|b| b.contains(": network-policy/") || b.lines().any(|l| l.starts_with("Found ")))
        .collect();
    insta::assert_snapshot!(blocks.join("\n\n"));
}

#[test]
fn a_pull_requests_files_alone_draw_no_conclusion_from_what_is_missing() {
    let partial = LintOptions {
        partial_repository: true,
        ..LintOptions::default()
    };
    let rules_on = |rule: &str, options: &LintOptions| -> Vec<String> {
        lint(
            &[(format!("{rule}.yaml"), fixture(rule).into_bytes())],
            options,
        )
        .findings
        .into_iter()
        .filter(|f| f.rule.starts_with("network-policy/"))
        .map(|f| format!("{} {}", f.rule, f.object.name))
        .collect()
    };
    for rule in [
        "selects-no-workload",
        "named-port-undefined",
        "one-sided-allow",
        "egress-blocks-dns",
    ] {
        let id = format!("network-policy/{rule}");
        assert!(
            rules_on(rule, &LintOptions::default())
                .iter()
                .any(|f| f.starts_with(&id))
        );
        assert!(
            !rules_on(rule, &partial).iter().any(|f| f.starts_with(&id)),
            "{rule} concluded from a partial repository"
        );
    }
    // `name: kube-system` is wrong whatever the rest of the repository holds.
    let labels = rules_on("namespace-label-not-found", &partial);
    assert_eq!(
        labels,
        ["network-policy/namespace-label-not-found fires-name-kube-system"]
    );
}
