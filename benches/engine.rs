//! The engine's stages on a generated corpus, with Criterion so that a regression shows in
//! `cargo bench --bench engine`: reading (parse, decode, locate), the rules alone, fix
//! realisation and verification alone, a whole lint of many files, a whole lint of one
//! file of many documents (the case that used to be quadratic), and a repository of 1,000
//! workloads and 500 NetworkPolicies (the `network-policy/` rules and the repository view).
//!
//! `bench/compare.sh` measures whole commands against Checkov and the parse floor.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use kubenudge::engine::{LintOptions, lint};
use kubenudge::finding::FixPlan;
use kubenudge::manifest::{FieldPath, Limits, read_manifest};
use kubenudge::policy::PssPolicy;
use kubenudge::rules::{self, RuleContext};

const OBJECTS: usize = 2_000;
const PER_FILE: usize = 50;

fn object(i: usize) -> String {
    match i % 5 {
        0 => format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  namespace: team-{ns}\n  labels: {{app: web-{i}}}\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {{app: web-{i}}}\n  template:\n    metadata:\n      labels: {{app: web-{i}}}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/web:{i}\n          ports:\n            - containerPort: 8080\n          resources:\n            limits: {{cpu: 500m, memory: 256Mi}}\n        - name: proxy\n          image: envoy:1.30\n          securityContext:\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n",
            ns = i % 7
        ),
        1 => format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-{i}\nspec:\n  selector: {{app: web-{i}}}\n  ports:\n    - port: 80\n      targetPort: 8080\n"
        ),
        2 => format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report-{i}\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          securityContext:\n            runAsNonRoot: true\n            seccompProfile: {{type: RuntimeDefault}}\n          containers:\n            - name: report\n              image: reporter:{i}\n              args: [\"--since\", \"24h\"]\n"
        ),
        3 => format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{i}\ndata:\n  app.properties: |\n    mode=prod\n    workers=4\n"
        ),
        _ => format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent-{i}\n  namespace: kube-system\nspec:\n  selector: {{matchLabels: {{app: agent}}}}\n  template:\n    metadata: {{labels: {{app: agent}}}}\n    spec:\n      hostNetwork: true\n      volumes:\n        - name: logs\n          hostPath: {{path: /var/log}}\n      containers:\n        - name: agent\n          image: agent:{i}\n          securityContext: {{privileged: true}}\n          volumeMounts: [{{name: logs, mountPath: /var/log}}]\n"
        ),
    }
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    (0..OBJECTS / PER_FILE)
        .map(|f| {
            let docs: Vec<String> = (0..PER_FILE).map(|d| object(f * PER_FILE + d)).collect();
            (
                format!("corpus/file-{f}.yaml"),
                docs.join("---\n").into_bytes(),
            )
        })
        .collect()
}

fn insecure_pods(n: usize) -> Vec<(String, Vec<u8>)> {
    let docs: Vec<String> = (0..n)
        .map(|i| format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  namespace: team-{ns}\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:{i}\n", ns = i % 7))
        .collect();
    vec![("pods.yaml".into(), docs.join("---\n").into_bytes())]
}

/// `workloads` Deployments and `policies` NetworkPolicies over `namespaces` namespaces, in two
/// files: every policy selects a workload, admits a tier of another namespace and the pods of
/// one workload, and allows egress to a tier and DNS — what the `network-policy/` rules and the
/// repository view's indexes work through.
fn network_policy_repository(
    workloads: usize,
    policies: usize,
    namespaces: usize,
) -> Vec<(String, Vec<u8>)> {
    let deployments: Vec<String> = (0..workloads)
        .map(|i| format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: team-{ns}\nspec:\n  selector:\n    matchLabels: {{app: app-{i}}}\n  template:\n    metadata:\n      labels: {{app: app-{i}, tier: t{tier}}}\n    spec:\n      containers:\n        - name: c\n          image: registry.example.com/app:1\n          ports:\n            - {{name: http, containerPort: 8080}}\n", ns = i % namespaces, tier = i % 5))
        .collect();
    let netpols: Vec<String> = (0..policies)
        .map(|j| format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: pol-{j}\n  namespace: team-{ns}\nspec:\n  podSelector:\n    matchLabels: {{app: app-{selected}}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchLabels: {{kubernetes.io/metadata.name: team-{other}}}\n          podSelector:\n            matchLabels: {{tier: t{tier}}}\n        - podSelector:\n            matchLabels: {{app: app-{peer}}}\n      ports:\n        - port: http\n  egress:\n    - to:\n        - podSelector:\n            matchLabels: {{tier: t{tier}}}\n      ports:\n        - port: 8080\n    - to:\n        - namespaceSelector:\n            matchLabels: {{kubernetes.io/metadata.name: kube-system}}\n      ports:\n        - {{port: 53, protocol: UDP}}\n        - {{port: 53, protocol: TCP}}\n", ns = j % namespaces, selected = (j * 2) % workloads, other = (j + 1) % namespaces, tier = j % 5, peer = (j * 7) % workloads))
        .collect();
    vec![
        (
            "workloads.yaml".into(),
            deployments.join("---\n").into_bytes(),
        ),
        ("policies.yaml".into(), netpols.join("---\n").into_bytes()),
    ]
}

fn bytes(files: &[(String, Vec<u8>)]) -> u64 {
    files.iter().map(|(_, b)| b.len() as u64).sum()
}

fn stages(c: &mut Criterion) {
    let files = corpus();
    let limits = Limits::default();
    let path = FieldPath::parse("spec.template.spec.containers[1].securityContext.runAsNonRoot");
    let read: Vec<_> = files
        .iter()
        .map(|(name, text)| read_manifest(name, text, &limits).expect("corpus reads"))
        .collect();
    let pss = PssPolicy::default();
    let all = rules::all();
    let repository = kubenudge::rules::Repository::build(&read);

    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes(&files)));
    g.bench_function("read+decode+locate", |b| {
        b.iter(|| {
            let mut located = 0;
            for (name, text) in &files {
                let file = read_manifest(name, text, &limits).expect("corpus reads");
                for obj in &file.objects {
                    located += file.locate(obj, &path).line;
                }
            }
            located
        })
    });
    g.bench_function("rules", |b| {
        b.iter(|| {
            let mut violations = 0;
            for file in &read {
                for object in &file.objects {
                    // As `engine::lint` does: a workload's typed view is decoded for its lint.
                    let typed = file.typed(object);
                    let cx = RuleContext::new(file, object, &typed, &pss, &repository);
                    violations += all.iter().map(|r| r.check(&cx).len()).sum::<usize>();
                }
            }
            violations
        })
    });
    let plans: Vec<Vec<Vec<FixPlan>>> = read
        .iter()
        .map(|file| {
            file.objects
                .iter()
                .map(|object| {
                    let typed = file.typed(object);
                    let cx = RuleContext::new(file, object, &typed, &pss, &repository);
                    all.iter()
                        .flat_map(|r| r.check(&cx))
                        .filter_map(|v| v.fix)
                        .collect()
                })
                .collect()
        })
        .collect();
    g.bench_function("fixes (realise + verify)", |b| {
        b.iter(|| {
            let mut realised = 0;
            for (file, per_object) in read.iter().zip(&plans) {
                for (object, plans) in file.objects.iter().zip(per_object) {
                    // The plans are moved into their fixes: each iteration takes a copy.
                    let out = kubenudge::fix::realize_object_fixes(file, object, plans.clone());
                    realised += out.fixes.iter().flatten().count();
                }
            }
            realised
        })
    });
    g.bench_function("lint (all rules, fixes)", |b| {
        b.iter(|| lint(&files, &LintOptions::default()).findings.len())
    });
    g.finish();

    let mut g = c.benchmark_group("one file of insecure Pods");
    g.sample_size(10);
    for n in [2_500, 20_000] {
        let file = insecure_pods(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &file, |b, file| {
            b.iter(|| lint(file, &LintOptions::default()).findings.len())
        });
    }
    g.finish();
}

/// The printers on the corpus's findings: what `check --format …` adds to a lint.
fn reports(c: &mut Criterion) {
    use kubenudge::report;
    let result = lint(&corpus(), &LintOptions::default());
    let cx = report::ReportContext::default();
    let mut g = c.benchmark_group("report");
    g.sample_size(10);
    g.throughput(Throughput::Elements(result.findings.len() as u64));
    g.bench_function("text", |b| b.iter(|| report::render_text(&result).len()));
    g.bench_function("json", |b| b.iter(|| report::render_json(&result).len()));
    g.bench_function("sarif", |b| {
        b.iter(|| report::render_sarif(&result, &cx).len())
    });
    g.bench_function("github", |b| {
        b.iter(|| report::render_github(&result, &cx).len())
    });
    g.finish();
}

/// The `network-policy/` rules need the whole repository: 1,000 workloads and 500 policies,
/// spread over ten namespaces and all in one (every selector then faces every workload).
fn network_policies(c: &mut Criterion) {
    let mut g = c.benchmark_group("1,000 workloads and 500 NetworkPolicies");
    g.sample_size(10);
    for namespaces in [10, 1] {
        let files = network_policy_repository(1_000, 500, namespaces);
        let without_policies = vec![files[0].clone()];
        g.bench_with_input(
            BenchmarkId::new("lint", format!("{namespaces} namespaces")),
            &files,
            |b, files| b.iter(|| lint(files, &LintOptions::default()).findings.len()),
        );
        g.bench_with_input(
            BenchmarkId::new(
                "lint without the policies",
                format!("{namespaces} namespaces"),
            ),
            &without_policies,
            |b, files| b.iter(|| lint(files, &LintOptions::default()).findings.len()),
        );
    }
    g.finish();
}

criterion_group!(benches, stages, reports, network_policies);
criterion_main!(benches);
