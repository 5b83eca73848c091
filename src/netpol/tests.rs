//! The model on small repositories written for one semantic point each (SEMANTICS.md sections
//! and the Network Policy API's tiers), checked through the np-guard lines a user reads.

use super::*;
use crate::manifest::{Limits, read_manifest};

fn files(docs: &[&str]) -> Vec<ManifestFile> {
    docs.iter()
        .enumerate()
        .map(|(i, text)| {
            read_manifest(&format!("f{i}.yaml"), text.as_bytes(), &Limits::default())
                .expect("test YAML parses")
        })
        .collect()
}

fn lines(docs: &[&str]) -> Vec<String> {
    render_connectivity(&connectivity(&files(docs)), Format::Txt)
        .lines()
        .map(str::to_string)
        .collect()
}

fn pod(ns: &str, name: &str, labels: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {labels}}}\nspec:\n  containers:\n    - name: c\n      image: i\n      ports:\n        - {{containerPort: 8080, name: http}}\n        - {{containerPort: 53, name: dns, protocol: UDP}}\n"
    )
}

fn ns(name: &str, labels: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {labels}}}\n")
}

fn np(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}"
    )
}

fn admin(kind: &str, name: &str, spec: &str) -> String {
    format!(
        "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec:\n{spec}"
    )
}

fn has(lines: &[String], line: &str) -> bool {
    lines.iter().any(|l| l == line)
}

const ALL: &str = "0.0.0.0-255.255.255.255[External]";

#[test]
fn no_policy_allows_everything_between_distinct_workloads_and_never_lists_self() {
    let l = lines(&[&pod("a", "px", "{app: px}"), &pod("a", "py", "{app: py}")]);
    assert_eq!(
        l,
        [
            format!("{ALL} => a/px[Pod] : All Connections"),
            format!("{ALL} => a/py[Pod] : All Connections"),
            format!("a/px[Pod] => {ALL} : All Connections"),
            "a/px[Pod] => a/py[Pod] : All Connections".to_string(),
            format!("a/py[Pod] => {ALL} : All Connections"),
            "a/py[Pod] => a/px[Pod] : All Connections".to_string(),
        ]
    );
}

#[test]
fn egress_rules_without_policy_types_isolate_both_directions_and_empty_egress_only_ingress() {
    // [DEF]: egress rules and no policyTypes ⇒ Ingress + Egress.
    let both = np(
        "a",
        "p",
        "  podSelector: {matchLabels: {app: px}}\n  egress:\n    - ports: [{port: 53, protocol: UDP}]\n",
    );
    let l = lines(&[
        &pod("a", "px", "{app: px}"),
        &pod("a", "py", "{app: py}"),
        &both,
    ]);
    assert!(has(&l, "a/px[Pod] => a/py[Pod] : UDP 53"));
    assert!(
        !l.iter().any(|l| l.starts_with("a/py[Pod] => a/px")),
        "{l:#?}"
    );
    // `egress: []` without policyTypes is Ingress-only: egress stays open.
    let ingress_only = np(
        "a",
        "p",
        "  podSelector: {matchLabels: {app: px}}\n  egress: []\n",
    );
    let l = lines(&[
        &pod("a", "px", "{app: px}"),
        &pod("a", "py", "{app: py}"),
        &ingress_only,
    ]);
    assert!(has(&l, "a/px[Pod] => a/py[Pod] : All Connections"));
    assert!(
        !l.iter()
            .any(|l| l.ends_with("=> a/px[Pod] : All Connections"))
    );
}

#[test]
fn and_versus_or_peers_and_implicit_namespace_name_label() {
    let and = np(
        "prod",
        "p",
        "  podSelector: {}\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}\n          podSelector: {matchLabels: {app: web}}\n",
    );
    let or = and.replace("          podSelector", "        - podSelector");
    let repo = [
        pod("prod", "db", "{app: db}"),
        pod("prod", "web", "{app: web}"),
        pod("dev", "web", "{app: web}"),
        pod("dev", "tool", "{app: tool}"),
    ];
    let with = |p: &str| {
        let mut docs: Vec<&str> = repo.iter().map(String::as_str).collect();
        docs.push(p);
        lines(&docs)
    };
    let l = with(&and);
    assert!(has(&l, "dev/web[Pod] => prod/db[Pod] : All Connections"));
    assert!(!l.iter().any(|l| l.starts_with("dev/tool[Pod] => prod/db")));
    assert!(!l.iter().any(|l| l.starts_with("prod/web[Pod] => prod/db")));
    let l = with(&or);
    assert!(has(&l, "dev/tool[Pod] => prod/db[Pod] : All Connections"));
    assert!(has(&l, "prod/web[Pod] => prod/db[Pod] : All Connections"));
}

#[test]
fn named_ports_resolve_per_destination_with_their_protocol_and_end_port_is_a_range() {
    let policy = np(
        "a",
        "p",
        "  podSelector: {matchLabels: {app: px}}\n  ingress:\n    - ports:\n        - {port: http}\n        - {port: dns}\n        - {port: dns, protocol: UDP}\n        - {port: 9000, endPort: 9005, protocol: SCTP}\n",
    );
    let l = lines(&[
        &pod("a", "px", "{app: px}"),
        &pod("a", "py", "{app: py}"),
        &policy,
    ]);
    // `dns` is UDP on the pod, so the TCP entry naming it matches nothing.
    assert!(
        has(
            &l,
            "a/py[Pod] => a/px[Pod] : SCTP 9000-9005,TCP 8080,UDP 53"
        ),
        "{l:#?}"
    );
}

#[test]
fn ip_blocks_carve_external_ranges_and_except_holes_stay_denied() {
    let policy = np(
        "a",
        "p",
        "  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}\n",
    );
    let l = lines(&[&pod("a", "px", "{app: px}"), &policy]);
    assert!(has(
        &l,
        "10.0.0.0-10.0.255.255[External] => a/px[Pod] : All Connections"
    ));
    assert!(has(
        &l,
        "10.2.0.0-10.255.255.255[External] => a/px[Pod] : All Connections"
    ));
    assert!(
        !l.iter()
            .any(|l| l.starts_with("10.1.0.0-10.1.255.255[External] =>"))
    );
    assert!(
        !l.iter()
            .any(|l| l.starts_with("0.0.0.0-9.255.255.255[External] =>"))
    );
    assert!(has(&l, &format!("a/px[Pod] => {ALL} : All Connections")));
}

#[test]
fn owners_group_pods_and_workload_kinds_name_themselves() {
    let owned = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: w}}\n  ownerReferences:\n    - {{apiVersion: apps/v1, kind: ReplicaSet, name: web-5f7, controller: true, uid: u}}\nspec:\n  containers: [{{name: c, image: i}}]\n"
        )
    };
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: c, image: i}]\n";
    let l = lines(&[&owned("web-5f7-a"), &owned("web-5f7-b"), deployment]);
    assert!(has(
        &l,
        "default/web-5f7[ReplicaSet] => default/api[Deployment] : All Connections"
    ));
    assert_eq!(l.len(), 6, "{l:#?}");
}

#[test]
fn admin_tiers_allow_deny_pass_then_network_policies_then_baseline() {
    // The np-guard blog demo: monitoring may reach foo (passed by the ANP, allowed by foo's
    // NetworkPolicy) but not bar (passed, no NetworkPolicy, denied by the baseline).
    let docs = [
        ns("foo", "{security: internal}"),
        ns("bar", "{security: internal}"),
        ns("monitoring", "{}"),
        pod("foo", "myfoo", "{security: internal}"),
        pod("bar", "mybar", "{security: internal}"),
        pod("monitoring", "mymonitoring", "{security: monitoring}"),
        np(
            "foo",
            "allow-monitoring",
            "  podSelector:\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}\n",
        ),
        admin(
            "BaselineAdminNetworkPolicy",
            "default",
            "  subject: {namespaces: {matchLabels: {security: internal}}}\n  ingress:\n    - {name: deny-all, action: Deny, from: [{namespaces: {}}]}\n",
        ),
        admin(
            "AdminNetworkPolicy",
            "allow-monitoring",
            "  priority: 9\n  subject: {namespaces: {}}\n  ingress:\n    - {name: allow-mon, action: Allow, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}\n",
        ),
        admin(
            "AdminNetworkPolicy",
            "pass-monitoring",
            "  priority: 7\n  subject: {namespaces: {matchLabels: {security: internal}}}\n  ingress:\n    - {name: pass-mon, action: Pass, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}\n",
        ),
    ];
    let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let l = lines(&docs);
    let want = [
        format!("{ALL} => bar/mybar[Pod] : All Connections"),
        format!("{ALL} => monitoring/mymonitoring[Pod] : All Connections"),
        format!("bar/mybar[Pod] => {ALL} : All Connections"),
        "bar/mybar[Pod] => monitoring/mymonitoring[Pod] : All Connections".to_string(),
        format!("foo/myfoo[Pod] => {ALL} : All Connections"),
        "foo/myfoo[Pod] => monitoring/mymonitoring[Pod] : All Connections".to_string(),
        format!("monitoring/mymonitoring[Pod] => {ALL} : All Connections"),
        "monitoring/mymonitoring[Pod] => foo/myfoo[Pod] : All Connections".to_string(),
    ];
    assert_eq!(l, want);
}

#[test]
fn admin_deny_on_a_port_beats_a_network_policy_allow_and_networks_select_addresses() {
    let docs = [
        pod("a", "px", "{app: px}"),
        pod("a", "py", "{app: py}"),
        np("a", "open", "  podSelector: {}\n  ingress: [{}]\n"),
        admin(
            "AdminNetworkPolicy",
            "no-8080",
            "  priority: 1\n  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: px}}}}\n  ingress:\n    - {name: deny-http, action: Deny, from: [{namespaces: {}}], ports: [{portNumber: {port: 8080, protocol: TCP}}]}\n  egress:\n    - {name: no-net, action: Deny, to: [{networks: [192.168.0.0/16]}]}\n",
        ),
    ];
    let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let l = lines(&docs);
    assert!(
        has(
            &l,
            "a/py[Pod] => a/px[Pod] : SCTP 1-65535,TCP 1-8079,8081-65535,UDP 1-65535"
        ),
        "{l:#?}"
    );
    assert!(has(
        &l,
        "a/px[Pod] => 0.0.0.0-192.167.255.255[External] : All Connections"
    ));
    assert!(
        !l.iter()
            .any(|l| l.starts_with("a/px[Pod] => 192.168.0.0-192.168.255.255"))
    );
}

#[test]
fn ingress_exposes_the_service_target_port_to_the_ingress_controller() {
    let docs = [
        pod("shop", "web", "{app: web}"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}]\n".to_string(),
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  rules:\n    - http:\n        paths:\n          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n".to_string(),
    ];
    let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let l = lines(&docs);
    assert!(
        has(&l, "{ingress-controller} => shop/web[Pod] : TCP 8080"),
        "{l:#?}"
    );
}

#[test]
fn diff_reports_added_removed_and_changed_with_merged_ranges() {
    let base = [pod("a", "px", "{app: px}"), pod("a", "py", "{app: py}")];
    let head = [
        pod("a", "px", "{app: px}"),
        pod("a", "py", "{app: py}"),
        pod("a", "pz", "{app: pz}"),
        np(
            "a",
            "p",
            "  podSelector: {matchLabels: {app: px}}\n  ingress:\n    - from: [{podSelector: {matchLabels: {app: py}}}]\n      ports: [{port: 8080}]\n",
        ),
    ];
    let b: Vec<&str> = base.iter().map(String::as_str).collect();
    let h: Vec<&str> = head.iter().map(String::as_str).collect();
    let d = diff(&files(&b), &files(&h));
    let text = render_diff(&d, Format::Txt);
    assert!(text.contains("diff-type: changed, source: a/py[Pod], destination: a/px[Pod], ref1: All Connections, ref2: TCP 8080\n"), "{text}");
    assert!(text.contains(&format!("diff-type: removed, source: {ALL}, destination: a/px[Pod], ref1: All Connections, ref2: No Connections\n")), "{text}");
    assert!(text.contains("diff-type: added, source: a/py[Pod], destination: a/pz[Pod], ref1: No Connections, ref2: All Connections, workloads-diff-info: workload a/pz[Pod] added\n"), "{text}");
}

#[test]
fn explain_names_the_rules_and_their_lines() {
    let docs = [
        pod("a", "px", "{app: px}"),
        pod("a", "py", "{app: py}"),
        np(
            "a",
            "only-y",
            "  podSelector: {matchLabels: {app: px}}\n  ingress:\n    - from: [{podSelector: {matchLabels: {app: py}}}]\n      ports: [{port: http}]\n",
        ),
    ];
    let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let f = files(&docs);
    let m = model(&f);
    let e = explain(&m, "a/py[Pod]", "a/px[Pod]").unwrap();
    assert_eq!(
        e.verdict,
        Verdict::Allowed(ConnSet::of(Protocol::Tcp, PortSet::range(8080, 8080)))
    );
    let text = render_explanation(&e);
    assert!(
        text.contains("f2.yaml:7: NetworkPolicy a/only-y Ingress rule #1: allows TCP 8080"),
        "{text}"
    );
    let denied = explain(&m, "a/px", "a/px[Pod]").unwrap();
    assert!(
        matches!(denied.verdict, Verdict::Allowed(_)),
        "a pod reaches itself"
    );
    let e = explain(&m, "10.0.0.1", "a/px[Pod]").unwrap();
    assert_eq!(e.verdict, Verdict::Denied);
    assert!(render_explanation(&e).contains("f2.yaml:5: NetworkPolicy a/only-y selects the destination for Ingress (isolating it); none of its rules matches the source"));
    assert!(
        explain(&m, "a/nope", "a/px[Pod]")
            .unwrap_err()
            .contains("neither a workload")
    );
}

#[test]
fn bad_policies_become_warnings_not_panics() {
    let docs = [
        pod("a", "px", "{app: px}"),
        np(
            "a",
            "bad",
            "  podSelector: {}\n  ingress:\n    - from:\n        - {}\n        - ipBlock: {cidr: 10.0.0.0/40}\n        - ipBlock: {cidr: 10.0.0.0/8}\n          podSelector: {}\n      ports: [{port: 80, endPort: 70}, {port: 1, protocol: ICMP}]\n",
        ),
    ];
    let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let m = model(&files(&docs));
    let w = m.warnings.join("\n");
    assert!(w.contains("f1.yaml:8: an empty peer"), "{w}");
    assert!(w.contains("f1.yaml:9: ipBlock prefix length"), "{w}");
    assert!(
        w.contains("f1.yaml:10: a peer with ipBlock and a selector"),
        "{w}"
    );
    assert!(w.contains("endPort 70 is below port 80"), "{w}");
    assert!(w.contains("protocol \"ICMP\""), "{w}");
}

#[test]
fn suggest_allows_the_callers_of_its_service_dns_and_the_services_it_calls() {
    let deployment = |name: &str, env: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n        - name: c\n          image: i\n          env: [{{name: UPSTREAM, value: \"{env}\"}}]\n          ports: [{{name: api, containerPort: 9090}}]\n"
        )
    };
    let docs = [
        deployment("frontend", "http://backend:80/v1"),
        deployment("backend", "postgres://db.data.svc.cluster.local:5432"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: backend, namespace: shop}\nspec:\n  selector: {app: backend}\n  ports: [{port: 80, targetPort: api}]\n".to_string(),
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: data}\nspec:\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers: [{name: c, image: i, ports: [{containerPort: 5432}]}]\n".to_string(),
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: data}\nspec:\n  selector: {app: db}\n  ports: [{port: 5432}]\n".to_string(),
        np("data", "db-locked", "  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from: [{namespaceSelector: {}}]\n"),
    ];
    let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let s = suggest(&files(&docs));
    let names: Vec<&str> = s.iter().map(|s| s.workload.as_str()).collect();
    assert_eq!(
        names,
        ["shop/frontend[Deployment]", "shop/backend[Deployment]"]
    );
    let backend = &s[1];
    assert!(backend.yaml.contains("    # callers of Service shop/backend\n    - from:\n        - podSelector:\n            matchLabels:\n              app: frontend\n      ports:\n        - port: api\n"), "{}", backend.yaml);
    assert!(backend.yaml.contains("    # Service data/db, named in its command, args or env\n    - to:\n        - namespaceSelector:"), "{}", backend.yaml);
    assert_eq!(
        backend.allows,
        [
            "shop/backend[Deployment] => data/db[StatefulSet] : TCP 5432",
            "shop/frontend[Deployment] => shop/backend[Deployment] : TCP 9090",
        ]
    );
    // The frontend is called by nobody in the repository: no ingress at all.
    assert!(s[0].yaml.contains("  ingress: []\n"), "{}", s[0].yaml);
}
