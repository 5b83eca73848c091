//! Connectivity of a generated repository: 1,000 workloads in 10 namespaces (each with a
//! label of its own, as Deployments have, so no two workloads share a class) and 500
//! NetworkPolicies (default-deny, allow-from-app, allow-from-namespace with ports, DNS and
//! ipBlock egress), plus one AdminNetworkPolicy. Stages: reading the model from parsed files,
//! the whole connectivity (every ordered pair), and rendering the np-guard lines.
//!
//! `cargo bench --bench connectivity`

use criterion::{Criterion, criterion_group, criterion_main};

use kubenudge::manifest::{Limits, ManifestFile, read_manifest};
use kubenudge::netpol;

const WORKLOADS: usize = 1_000;
const POLICIES: usize = 500;
const NAMESPACES: usize = 10;
const APPS: usize = 100;

fn workload(i: usize) -> String {
    let ns = i % NAMESPACES;
    let app = i % APPS;
    let tier = ["web", "api", "db", "cache"][i % 4];
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w{i}\n  namespace: team-{ns}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: a{app}}}\n  template:\n    metadata:\n      labels: {{app: a{app}, tier: {tier}, instance: w{i}}}\n    spec:\n      containers:\n        - name: c\n          image: img:{i}\n          ports:\n            - {{containerPort: 8080, name: http}}\n            - {{containerPort: 9090, name: metrics}}\n---\n"
    )
}

fn policy(i: usize) -> String {
    let ns = i % NAMESPACES;
    let app = i % APPS;
    match i % 5 {
        0 => format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-{i}\n  namespace: team-{ns}\nspec:\n  podSelector: {{matchLabels: {{app: a{app}}}}}\n  policyTypes: [Ingress, Egress]\n---\n"
        ),
        1 => format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: from-app-{i}\n  namespace: team-{ns}\nspec:\n  podSelector: {{matchLabels: {{app: a{app}}}}}\n  ingress:\n    - from:\n        - podSelector: {{matchLabels: {{app: a{}}}}}\n      ports: [{{port: http}}]\n---\n",
            (app + 10) % APPS
        ),
        2 => format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: from-ns-{i}\n  namespace: team-{ns}\nspec:\n  podSelector: {{matchExpressions: [{{key: tier, operator: In, values: [api, db]}}]}}\n  ingress:\n    - from:\n        - namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: team-{}}}}}\n          podSelector: {{matchLabels: {{tier: web}}}}\n      ports: [{{port: 8080}}, {{port: 9000, endPort: 9100}}]\n---\n",
            (ns + 1) % NAMESPACES
        ),
        3 => format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: egress-{i}\n  namespace: team-{ns}\nspec:\n  podSelector: {{matchLabels: {{app: a{app}}}}}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: kube-system}}}}\n      ports: [{{port: 53, protocol: UDP}}, {{port: 53, protocol: TCP}}]\n    - to:\n        - ipBlock: {{cidr: 10.{}.0.0/16, except: [10.{}.1.0/24]}}\n---\n",
            i % 256,
            i % 256
        ),
        _ => format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-{i}\n  namespace: team-{ns}\nspec:\n  podSelector: {{matchLabels: {{tier: cache}}}}\n  ingress:\n    - from:\n        - podSelector: {{}}\n        - namespaceSelector: {{matchLabels: {{team: x{}}}}}\n---\n",
            i % 3
        ),
    }
}

fn corpus() -> Vec<ManifestFile> {
    let limits = Limits::default();
    let mut files = Vec::new();
    let workloads: String = (0..WORKLOADS).map(workload).collect();
    let policies: String = (0..POLICIES).map(policy).collect();
    let admin = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata:\n  name: protect-db\nspec:\n  priority: 10\n  subject:\n    pods:\n      namespaceSelector: {}\n      podSelector: {matchLabels: {tier: db}}\n  ingress:\n    - name: deny-web\n      action: Deny\n      from:\n        - pods:\n            namespaceSelector: {}\n            podSelector: {matchLabels: {tier: web}}\n";
    for (name, text) in [
        ("workloads.yaml", workloads),
        ("policies.yaml", policies),
        ("admin.yaml", admin.to_string()),
    ] {
        files.push(read_manifest(name, text.as_bytes(), &limits).expect("generated YAML parses"));
    }
    files
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    let model = netpol::model(&files);
    assert_eq!(model.workloads.len(), WORKLOADS);
    assert_eq!(model.policies.len(), POLICIES);
    let result = netpol::connectivity_of(&model);
    assert!(result.connections.len() > WORKLOADS);

    let mut group = c.benchmark_group("connectivity");
    group.sample_size(10);
    group.bench_function("model_1000_workloads_500_policies", |b| {
        b.iter(|| netpol::model(&files))
    });
    group.bench_function("connectivity_1000_workloads_500_policies", |b| {
        b.iter(|| netpol::connectivity_of(&model))
    });
    group.bench_function("render_txt", |b| {
        b.iter(|| netpol::render_connectivity(&result, netpol::Format::Txt))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
