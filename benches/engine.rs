//! Throughput of reading, locating and linting a generated corpus of 10,000 objects.
//! Run with `cargo bench --bench engine`; prints objects/s and MB/s for each stage.

use std::time::Instant;

use kubenudge::engine::{LintOptions, lint};
use kubenudge::manifest::{FieldPath, Limits, read_manifest};

const OBJECTS: usize = 10_000;
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

fn main() {
    let files: Vec<(String, Vec<u8>)> = (0..OBJECTS / PER_FILE)
        .map(|f| {
            let docs: Vec<String> = (0..PER_FILE).map(|d| object(f * PER_FILE + d)).collect();
            (
                format!("corpus/file-{f}.yaml"),
                docs.join("---\n").into_bytes(),
            )
        })
        .collect();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mb = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "corpus: {OBJECTS} objects in {} files, {mb:.1} MB",
        files.len()
    );

    let limits = Limits::default();
    let path = FieldPath::parse("spec.template.spec.containers[1].securityContext.runAsNonRoot");
    let mut best_read = f64::MAX;
    let mut best_lint = f64::MAX;
    let mut findings = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let mut objects = 0;
        let mut located = 0;
        for (name, text) in &files {
            let file = read_manifest(name, text, &limits).expect("corpus reads");
            for obj in &file.objects {
                objects += 1;
                located += file.locate(obj, &path).line;
            }
        }
        assert_eq!(objects, OBJECTS);
        assert!(located > 0);
        best_read = best_read.min(started.elapsed().as_secs_f64());

        let started = Instant::now();
        let result = lint(&files, &LintOptions::default());
        best_lint = best_lint.min(started.elapsed().as_secs_f64());
        findings = result.findings.len();
    }
    println!(
        "read+decode+locate: {:.0} objects/s, {:.1} MB/s ({:.3} s)",
        OBJECTS as f64 / best_read,
        mb / best_read,
        best_read
    );
    println!(
        "lint (all rules):   {:.0} objects/s, {:.1} MB/s ({:.3} s, {findings} findings)",
        OBJECTS as f64 / best_lint,
        mb / best_lint,
        best_lint
    );
}
