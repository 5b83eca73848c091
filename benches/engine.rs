//! The engine's stages on a generated corpus, with Criterion so that a regression shows in
//! `cargo bench --bench engine`: reading (parse, decode, locate), the rules alone, fix
//! realisation and verification alone, a whole lint of many files, and a whole lint of one
//! file of many documents (the case that used to be quadratic).
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
                    let cx = RuleContext {
                        file,
                        object,
                        pss: &pss,
                        repository: &repository,
                    };
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
                    let cx = RuleContext {
                        file,
                        object,
                        pss: &pss,
                        repository: &repository,
                    };
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
                    let refs: Vec<&FixPlan> = plans.iter().collect();
                    let out = kubenudge::fix::realize_object_fixes(file, object, &refs);
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

criterion_group!(benches, stages);
criterion_main!(benches);
