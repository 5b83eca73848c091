//! Reading and locating: multi-document files, Lists, JSON, YAML features, hostile input.

use super::*;
use std::time::{Duration, Instant};

fn read(text: &str) -> ManifestFile {
    read_manifest("test.yaml", text.as_bytes(), &Limits::default()).expect("readable")
}

fn read_err(bytes: &[u8]) -> ReadError {
    read_manifest("bad.yaml", bytes, &Limits::default()).expect_err("must be rejected")
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: x\n";

#[test]
fn locates_fields_in_the_third_document_on_file_lines() {
    let text = format!(
        "# leading comment\n{POD}---\n{}---\n{}",
        POD.replace("name: p", "name: q"),
        POD.replace("name: p", "name: r").replace(
            "image: x",
            "image: x\n      securityContext:\n        runAsNonRoot: false"
        )
    );
    let file = read(&text);
    assert_eq!(file.objects.len(), 3);
    let third = &file.objects[2];
    assert_eq!((third.name.as_str(), third.document), ("r", 2));
    let loc = file.locate(
        third,
        &FieldPath::parse("spec.containers[0].securityContext.runAsNonRoot"),
    );
    assert!(loc.exact);
    // 1 comment + 8 lines + `---` + 8 lines + `---` = line 19 is `apiVersion` of the third.
    assert_eq!(
        file.source.line_text(loc.line).trim(),
        "runAsNonRoot: false"
    );
    assert_eq!((loc.line, loc.column), (29, 9));
}

#[test]
fn locates_the_fifth_document() {
    let docs: Vec<String> = (0..5)
        .map(|i| POD.replace("name: p", &format!("name: p{i}")))
        .collect();
    let file = read(&docs.join("---\n"));
    let fifth = &file.objects[4];
    let loc = file.locate(fifth, &FieldPath::parse("spec.containers[0].image"));
    assert_eq!(loc.line, 4 * 9 + 8);
    assert_eq!(file.source.line_text(loc.line), "      image: x");
}

#[test]
fn absent_field_falls_back_to_nearest_existing_parent() {
    let file = read(POD);
    let obj = &file.objects[0];
    let loc = file.locate(
        obj,
        &FieldPath::parse("spec.containers[0].securityContext.allowPrivilegeEscalation"),
    );
    assert!(!loc.exact);
    assert_eq!(loc.found.to_string(), "spec.containers[0]");
    assert_eq!((loc.line, loc.column), (7, 7));
    let loc = file.locate(obj, &FieldPath::parse("spec.securityContext.runAsNonRoot"));
    assert_eq!(loc.found.to_string(), "spec");
    assert_eq!(loc.line, 5);
}

#[test]
fn every_workload_kind_yields_its_pod_template_and_prefix() {
    let spec = "      containers:\n        - name: c\n          image: i\n";
    let cases = [
        ("v1", "Pod", "", ""),
        (
            "apps/v1",
            "Deployment",
            "spec.template",
            "spec:\n  template:\n",
        ),
        (
            "apps/v1",
            "StatefulSet",
            "spec.template",
            "spec:\n  template:\n",
        ),
        (
            "apps/v1",
            "DaemonSet",
            "spec.template",
            "spec:\n  template:\n",
        ),
        (
            "apps/v1",
            "ReplicaSet",
            "spec.template",
            "spec:\n  template:\n",
        ),
        (
            "v1",
            "ReplicationController",
            "spec.template",
            "spec:\n  template:\n",
        ),
        ("batch/v1", "Job", "spec.template", "spec:\n  template:\n"),
        (
            "batch/v1",
            "CronJob",
            "spec.jobTemplate.spec.template",
            "spec:\n  jobTemplate:\n    spec:\n      template:\n",
        ),
        ("v1", "PodTemplate", "template", "template:\n"),
    ];
    for (api, kind, prefix, wrapper) in cases {
        let depth = wrapper.lines().count();
        let pad = "  ".repeat(depth);
        let body: String = if kind == "Pod" {
            format!("spec:\n{}", spec.replace("      ", "  "))
        } else {
            let inner: String = spec
                .lines()
                .map(|l| format!("{pad}{}\n", &l[4..]))
                .collect();
            format!("{wrapper}{pad}spec:\n{inner}")
        };
        let text = format!("apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: w\n{body}");
        let file = read(&text);
        assert!(file.errors.is_empty(), "{kind}: {:?}", file.errors);
        let obj = &file.objects[0];
        let typed = file.typed(obj);
        let t = typed
            .pod_template()
            .unwrap_or_else(|| panic!("{kind} has a pod template"));
        assert_eq!(t.prefix, prefix, "{kind}");
        assert_eq!(t.spec.containers[0].name, "c", "{kind}");
        let loc = file.locate(obj, &t.spec_path().key("containers").index(0).key("image"));
        assert!(loc.exact, "{kind}: {text}");
        assert_eq!(file.source.line_text(loc.line).trim(), "image: i", "{kind}");
    }
}

#[test]
fn namespaces_and_network_policies_are_typed_and_crds_are_kept_untyped() {
    let file = read(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec: {podSelector: {}}\n---\napiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: not-apps}\nspec: {anything: [1, 2]}\n",
    );
    assert_eq!(file.objects.len(), 3);
    assert!(file.typed(&file.objects[0]).namespace().is_some());
    assert!(file.typed(&file.objects[1]).network_policy().is_some());
    assert!(matches!(*file.typed(&file.objects[2]), Typed::Untyped));
    assert!(file.errors.is_empty());
}

#[test]
fn lists_are_expanded_and_items_located() {
    let file = read(
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a}\n  - apiVersion: v1\n    kind: Pod\n    metadata:\n      name: b\n    spec:\n      hostNetwork: true\n",
    );
    let names: Vec<_> = file.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let loc = file.locate(&file.objects[1], &FieldPath::parse("spec.hostNetwork"));
    assert_eq!((loc.line, loc.column), (12, 7));
    let typed = read(
        "apiVersion: v1\nkind: PodList\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: z}}\n",
    );
    assert_eq!(typed.objects[0].name, "z");
}

#[test]
fn items_of_a_typed_list_without_kind_take_the_list_item_kind() {
    // `kubectl get pods -o yaml` writes items without apiVersion and kind.
    let file = read(
        "apiVersion: v1\nitems:\n  - metadata: {name: a, namespace: shop}\n    spec:\n      containers: [{name: c, image: x}]\nkind: PodList\n",
    );
    assert_eq!(file.objects.len(), 1);
    let pod = &file.objects[0];
    assert_eq!((pod.kind.as_str(), pod.api_version.as_str()), ("Pod", "v1"));
    assert!(file.typed(pod).pod_template().is_some(), "decoded as a Pod");
    // A plain `List` names no item kind: kindless items stay skipped.
    let plain = read("apiVersion: v1\nkind: List\nitems:\n  - metadata: {name: a}\n");
    assert!(plain.objects.is_empty());
}

#[test]
fn items_of_a_removed_api_list_are_decoded_under_the_replacement_with_the_list_kind() {
    // Both edits at once: the item's apiVersion and kind come from the list, and the removed
    // apiVersion is decoded as its replacement.
    let file = read(
        "apiVersion: extensions/v1beta1\nkind: DeploymentList\nitems:\n  - metadata: {name: web}\n    spec:\n      template:\n        metadata: {labels: {app: web}}\n        spec:\n          containers: [{name: c, image: x}]\n",
    );
    assert_eq!(file.errors, vec![]);
    assert_eq!(file.objects.len(), 1);
    let deployment = &file.objects[0];
    assert_eq!(
        (deployment.kind.as_str(), deployment.api_version.as_str()),
        ("Deployment", "extensions/v1beta1")
    );
    assert!(
        matches!(*file.typed(deployment), Typed::Deployment(_)),
        "decoded as an apps/v1 Deployment"
    );
}

#[test]
fn json_files_are_read_with_positions() {
    let text = r#"{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "j"},
  "spec": {
    "containers": [{"name": "c", "image": "x", "securityContext": {"privileged": true}}]
  }
}"#;
    let file = read_manifest("pod.json", text.as_bytes(), &Limits::default()).unwrap();
    let obj = &file.objects[0];
    let loc = file.locate(
        obj,
        &FieldPath::parse("spec.containers[0].securityContext.privileged"),
    );
    assert!(loc.exact);
    assert_eq!(loc.line, 6);
    assert_eq!(
        &text.lines().nth(5).unwrap()[loc.column - 1..][..12],
        "\"privileged\""
    );
    match &*file.typed(obj) {
        Typed::Pod(p) => {
            let sc = p.spec.as_ref().unwrap().containers[0]
                .security_context
                .as_ref();
            assert_eq!(sc.and_then(|s| s.privileged), Some(true));
        }
        other => panic!("expected a Pod, got {other:?}"),
    }
}

#[test]
fn yaml_features_anchors_merge_keys_flow_crlf_and_bom() {
    let text = "\u{feff}apiVersion: apps/v1\r\nkind: Deployment\r\nmetadata: {name: d, labels: &l {app: d}}\r\nspec:\r\n  selector: {matchLabels: *l}\r\n  template:\r\n    metadata: {labels: *l}\r\n    spec:\r\n      containers:\r\n        - &base\r\n          name: a\r\n          image: x # comment\r\n          securityContext: {runAsNonRoot: true}\r\n        - <<: *base\r\n          name: b\r\n";
    let file = read(text);
    assert!(file.source.has_bom());
    assert!(file.source.uses_crlf());
    let obj = &file.objects[0];
    let typed = file.typed(obj);
    let t = typed.pod_template().unwrap();
    assert_eq!(t.metadata.labels.as_ref().unwrap()["app"], "d");
    let names: Vec<_> = t.spec.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    // The merged container inherits the image and securityContext of the anchor.
    assert_eq!(t.spec.containers[1].image.as_deref(), Some("x"));
    assert_eq!(
        t.spec.containers[1]
            .security_context
            .as_ref()
            .and_then(|s| s.run_as_non_root),
        Some(true)
    );
    // Its own `name` is located on its own line; merged keys point at the anchor.
    let loc = file.locate(
        obj,
        &FieldPath::parse("spec.template.spec.containers[1].name"),
    );
    assert_eq!(loc.line, 15);
    let loc = file.locate(
        obj,
        &FieldPath::parse("spec.template.spec.containers[1].image"),
    );
    assert_eq!(loc.line, 12);
    let second = file
        .node_at(obj, &FieldPath::parse("spec.template.spec.containers[1]"))
        .unwrap();
    assert!(file.tree.entry(second, "image").unwrap().merged);
}

#[test]
fn non_kubernetes_documents_are_skipped_quietly() {
    let file = read("replicaCount: 3\nimage: {tag: latest}\n---\n# only a comment\n");
    assert!(file.objects.is_empty());
    assert!(file.errors.is_empty());
    assert_eq!(file.skipped, Some(SkipReason::NotKubernetes));
}

#[test]
fn helm_templates_are_recognised_not_reported_as_broken() {
    let file = read(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"app.fullname\" . }}\nspec:\n  {{- if .Values.replicas }}\n  replicas: {{ .Values.replicas }}\n  {{- end }}\n",
    );
    assert_eq!(file.skipped, Some(SkipReason::Template));
    assert!(file.errors.is_empty());
    // A `{{` inside a comment is not a template.
    let plain = read(&format!("# use {{{{ .Values }}}} in charts\n{POD}"));
    assert_eq!(plain.skipped, None);
}

/// `{{ … }}` inside string values is text (Prometheus, Grafana, Argo CD, OpenTelemetry
/// configs): the file is plain YAML and its objects are linted.
#[test]
fn template_actions_inside_strings_are_text_and_the_file_is_linted() {
    let prometheus_rule = r#"apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: node
spec:
  groups:
    - name: node
      rules:
        - alert: InstanceDown
          expr: up == 0
          annotations:
            summary: "Instance {{ $labels.instance }} down"
            single: '{{ $value }} is high'
            description: >-
              {{ $labels.instance }} of job {{ $labels.job }} has been down
              for more than 5 minutes.
          labels:
            plain: instance-{{ $labels.instance }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: dashboard
data:
  dashboard.json: |
    {"title": "{{ cluster }}", "panels": []}
---
"#;
    let file = read(&format!("{prometheus_rule}{POD}"));
    assert_eq!(file.skipped, None, "{:?}", file.errors);
    assert_eq!(file.objects.len(), 3);
    assert_eq!(file.objects[2].kind, "Pod");
}

#[test]
fn template_actions_in_the_structure_make_a_template() {
    for text in [
        // A value that is an action parses as a flow mapping.
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n",
        // An action on a line of its own breaks the YAML.
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n{{- if .Values.x }}\nspec: {}\n{{- end }}\n",
        // A key that holds an action.
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  key-{{ .Values.k }}: v\n",
        // Block content produced by an include.
        "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n{{ include \"labels\" . | indent 4 }}\n",
    ] {
        let file = read(text);
        assert_eq!(file.skipped, Some(SkipReason::Template), "{text}");
        assert!(file.errors.is_empty(), "{text}");
    }
    // Broken YAML without an action is still reported as broken.
    let err = read_err(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: [p\n");
    assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
}

/// go-yaml (kubectl) takes flow collections at any indentation; istio's samples write
/// `args: [` … `]` with the `]` under the key.
#[test]
fn flow_collections_are_read_at_any_indentation_as_kubectl_does() {
    let istio = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: httpbin\nspec:\n  containers:\n  - name: app\n    image: httpbin\n    args: [\n      \"--port\", \"8080\",\n      \"--verbose\"\n    ]\n    command: [\"sh\", \"-c\",\n    \"echo hi\"]\n    env: [{name: A,\n  value: b}]\n    ports: [\n{containerPort: 80}\n]\n";
    let file = read(istio);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(file.objects.len(), 1);
    let pod = &file.objects[0];
    let args = file
        .node_at(pod, &FieldPath::parse("spec.containers[0].args[2]"))
        .expect("third arg");
    assert_eq!(file.tree.as_str(args), Some("--verbose"));
    let value = file
        .node_at(pod, &FieldPath::parse("spec.containers[0].env[0].value"))
        .expect("env value");
    assert_eq!(file.tree.as_str(value), Some("b"));
    let loc = file.locate(
        pod,
        &FieldPath::parse("spec.containers[0].ports[0].containerPort"),
    );
    assert_eq!((loc.line, loc.column), (18, 2));
    // A block mapping under-indented is still refused, as go-yaml refuses it.
    let err = read_err(b"a:\n  b: 1\n c: 2\n");
    assert!(err.message.contains("invalid YAML"), "{}", err.message);
}

#[test]
fn a_tab_opening_a_line_inside_a_flow_collection_is_whitespace_as_kubectl_reads_it() {
    // As in real Java samples: `args: [` then tab-indented items.
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: java\nspec:\n  containers:\n    - name: app\n      image: openjdk\n      args: [\n\t\"-jar\",\n\t\"app.jar\"\n      ]\n";
    let file = read(pod);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let p = &file.objects[0];
    let arg = file
        .node_at(p, &FieldPath::parse("spec.containers[0].args[1]"))
        .expect("second arg");
    assert_eq!(file.tree.as_str(arg), Some("app.jar"));
    // Lines and columns stay those of the file: the tab is one column.
    let loc = file.locate(p, &FieldPath::parse("spec.containers[0].args[1]"));
    assert_eq!((loc.line, loc.column), (11, 2));
    // A tab indenting a block mapping is still refused, as go-yaml refuses it.
    let err = read_err(b"a:\n\tb: 1\n");
    assert!(err.message.contains("tab"), "{}", err.message);
}

#[test]
fn schema_mismatch_is_an_error_for_that_object_only() {
    let file = read(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: broken}}\nspec:\n  hostNetwork: [not, a, bool]\n---\n{POD}"
    ));
    assert_eq!(file.errors.len(), 1);
    // At the field that does not fit, not at the object's first line.
    assert_eq!((file.errors[0].line, file.errors[0].column), (5, 3));
    assert!(
        file.errors[0].message.contains("Pod \"broken\""),
        "{}",
        file.errors[0].message
    );
    assert_eq!(file.objects.len(), 2);
    // Not decoded: no view, and nothing kept of a template to decode it from again.
    assert!(matches!(*file.typed(&file.objects[0]), Typed::Untyped));
    assert!(file.objects[0].template.is_none());
}

/// The one schema error of a single-object file, as `(line, column, message)`.
fn schema_error(text: &str) -> (usize, usize, String) {
    let file = read(text);
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    let e = &file.errors[0];
    (e.line, e.column, e.message.clone())
}

const DEPLOYMENT_HEAD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: app\n          image: i\n";

#[test]
fn a_boolean_env_value_is_reported_at_the_value_with_its_field_path() {
    let (line, column, message) = schema_error(&format!(
        "{DEPLOYMENT_HEAD}          env:\n            - name: A\n              value: a\n            - name: B\n              value: \"b\"\n            - name: DEBUG\n              value: true\n"
    ));
    assert_eq!((line, column), (19, 15));
    assert!(
        message.starts_with(
            "spec.template.spec.containers[0].env[2].value: expected a string, found a boolean"
        ),
        "{message}"
    );
    assert!(message.contains("write \"true\""), "{message}");
    assert!(message.contains("Deployment \"web\""), "{message}");
}

#[test]
fn a_string_container_port_is_reported_at_the_port() {
    let (line, column, message) = schema_error(&format!(
        "{DEPLOYMENT_HEAD}          ports:\n            - name: http\n              containerPort: PORT\n"
    ));
    assert_eq!((line, column), (15, 15));
    assert!(
        message.starts_with(
            "spec.template.spec.containers[0].ports[0].containerPort: expected an integer, found the string \"PORT\""
        ),
        "{message}"
    );
}

#[test]
fn a_placeholder_in_replicas_is_reported_at_replicas() {
    let text = DEPLOYMENT_HEAD.replace(
        "spec:\n  selector",
        "spec:\n  replicas: ${REPLICAS}\n  selector",
    );
    let (line, column, message) = schema_error(&text);
    assert_eq!((line, column), (6, 3));
    assert!(
        message.starts_with("spec.replicas: expected an integer, found the string \"${REPLICAS}\""),
        "{message}"
    );
}

#[test]
fn a_type_error_deep_in_a_cron_job_is_reported_at_the_field() {
    let text = "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: backup\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n            - name: dump\n              image: i\n              args: [--all, 7]\n              securityContext:\n                runAsNonRoot: \"yes\"\n";
    let (line, column, message) = schema_error(text);
    // The first wrong field serde meets: `7` in `args`, where every item is a string.
    assert_eq!((line, column), (15, 29), "{message}");
    assert!(
        message.starts_with(
            "spec.jobTemplate.spec.template.spec.containers[0].args[1]: expected a string, found an integer"
        ),
        "{message}"
    );
    let fixed = read(&text.replace("[--all, 7]", "[--all, \"7\"]"));
    let e = &fixed.errors[0];
    assert_eq!((e.line, e.column), (17, 17));
    assert!(
        e.message.starts_with(
            "spec.jobTemplate.spec.template.spec.containers[0].securityContext.runAsNonRoot: expected a boolean, found the string \"yes\""
        ),
        "{}",
        e.message
    );
}

#[test]
fn read_errors_print_as_file_line_column() {
    let file = read(&format!(
        "{DEPLOYMENT_HEAD}          ports:\n            - containerPort: PORT\n"
    ));
    let printed = file.errors[0].to_string();
    assert!(
        printed.starts_with("test.yaml:14:15: error: spec.template"),
        "{printed}"
    );
    let whole_file = ReadError {
        file: "big.yaml".into(),
        line: 0,
        column: 0,
        message: "too large".into(),
    };
    assert_eq!(whole_file.to_string(), "big.yaml: error: too large");
}

/// Each hostile input is rejected with a clear message, fast, without a panic.
fn assert_rejected_quickly(bytes: &[u8], expect: &str, line: Option<usize>) {
    let started = Instant::now();
    let err = read_err(bytes);
    assert!(
        err.message.contains(expect),
        "expected {expect:?} in {:?}",
        err.message
    );
    if let Some(line) = line {
        assert_eq!(err.line, line, "{}", err.message);
    }
    assert_eq!(err.file, "bad.yaml");
    // Generous bound: this is a guard against exponential blow-up, not a speed target.
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn malformed_yaml_reports_file_and_line() {
    assert_rejected_quickly(
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\nspec: {}\n",
        "invalid YAML",
        None,
    );
    let err = read_err(b"a: 1\nb: : :\n");
    assert_eq!(err.line, 2);
}

#[test]
fn billion_laughs_is_stopped_by_the_expansion_limit() {
    let mut doc = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        doc.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n;
    }
    assert_rejected_quickly(doc.as_bytes(), "aliases expand to more than", None);
}

#[test]
fn deep_nesting_is_rejected() {
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    assert_rejected_quickly(deep.as_bytes(), "nesting too deep", Some(1));
    let mut block = String::new();
    for i in 0..1_000 {
        block.push_str(&" ".repeat(i));
        block.push_str("k:\n");
    }
    assert_rejected_quickly(block.as_bytes(), "nesting too deep", Some(129));
}

#[test]
fn huge_files_are_refused_before_parsing() {
    let big = vec![b'#'; 50 * 1024 * 1024];
    assert_rejected_quickly(&big, "above the 16 MiB limit", Some(0));
}

#[test]
fn binary_and_non_utf8_input_is_refused() {
    assert_rejected_quickly(b"apiVersion: v1\n\x00\x01\x02", "binary file", None);
    assert_rejected_quickly(
        b"apiVersion: v1\nkind: \xff\xfe\n",
        "not valid UTF-8",
        Some(2),
    );
}

#[test]
fn duplicate_keys_are_errors_with_their_line() {
    assert_rejected_quickly(
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
        "duplicate key `name`",
        Some(5),
    );
}

#[test]
fn empty_and_comment_only_files_are_fine() {
    for text in ["", "\n\n", "# nothing here\n", "---\n---\n"] {
        let file = read(text);
        assert!(file.objects.is_empty());
        assert!(file.errors.is_empty());
    }
}

#[test]
fn unknown_alias_is_an_error() {
    assert_rejected_quickly(b"a: *nowhere\n", "invalid YAML", Some(1));
}

#[test]
fn aliases_cannot_stack_nesting_beyond_the_depth_limit() {
    // Each anchor nests 100 levels and holds the previous one: few nodes, but once expanded
    // the tree would be thousands of levels deep (and overflow the stack of a recursive walk).
    let mut doc = String::new();
    for i in 0..50 {
        let inner = if i == 0 {
            "x".to_string()
        } else {
            format!("*a{}", i - 1)
        };
        doc.push_str(&format!(
            "k{i}: &a{i} {}{inner}{}\n",
            "[".repeat(100),
            "]".repeat(100)
        ));
    }
    assert_rejected_quickly(doc.as_bytes(), "once aliases are expanded", Some(2));
}

#[test]
fn workloads_keep_a_summary_of_their_template_and_decode_again_when_asked() {
    let file = read(concat!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n",
        "  template:\n    metadata: {labels: {app: web, tier: front}}\n    spec:\n",
        "      hostNetwork: true\n",
        "      initContainers: [{name: init, image: x, ports: [{containerPort: 8000}]}]\n",
        "      containers:\n        - name: app\n          image: x\n          ports:\n",
        "            - {name: http, containerPort: 8080}\n",
        "            - {name: dns, containerPort: 53, protocol: UDP}\n",
        "---\napiVersion: v1\nkind: PodTemplate\nmetadata: {name: t}\n",
        "template: {spec: {containers: [{name: c, image: x}]}}\n",
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}\n",
    ));
    assert_eq!(file.errors, vec![]);
    let [deployment, pod_template, namespace] = &file.objects[..] else {
        panic!("three objects: {:?}", file.objects);
    };
    // What a run holds of a workload: a summary, not the typed view.
    assert!(matches!(deployment.kept, Typed::Untyped));
    let port = |name: Option<&str>, number, protocol: Option<&str>| TemplatePort {
        name: name.map(str::to_string),
        number,
        protocol: protocol.map(str::to_string),
    };
    let summary = TemplateSummary {
        prefix: "spec.template",
        runs_pods: true,
        labels: [("app", "web"), ("tier", "front")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ports: vec![
            port(None, 8000, None),
            port(Some("http"), 8080, None),
            port(Some("dns"), 53, Some("UDP")),
        ],
        host_network: true,
    };
    assert_eq!(deployment.template.as_deref(), Some(&summary));
    // Asked for, the view is decoded again, and it is the one the summary was made from.
    let typed = file.typed(deployment);
    assert!(matches!(
        typed,
        std::borrow::Cow::Owned(Typed::Deployment(_))
    ));
    assert_eq!(typed.pod_template().map(|t| t.summary(true)), Some(summary));
    // A PodTemplate has a template but runs no pods.
    let template = pod_template.template.as_deref().expect("a summary");
    assert_eq!((template.prefix, template.runs_pods), ("template", false));
    // A Namespace's view is kept, and lent rather than decoded.
    assert!(namespace.template.is_none());
    let typed = file.typed(namespace);
    assert!(matches!(
        typed,
        std::borrow::Cow::Borrowed(Typed::Namespace(_))
    ));
}
