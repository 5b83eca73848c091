//! Helm charts through the GitHub App: a pull request that edits a chart's `values.yaml`
//! gets the chart rendered at base and head, a comment on the values line that breaks a rule
//! (with its fix there), nothing about what the chart already had at base, and a summary
//! naming the chart.

use crate::support::*;

const HEAD: &str = "3333333333333333333333333333333333333333";

const CHART: &str = "apiVersion: v2\nname: web\nversion: 0.1.0\n";

const TEMPLATE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: web
          image: "{{ .Values.image }}"
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
"#;

const VALUES_BEFORE: &str = "image: registry.example.com/web:1.0
securityContext:
  allowPrivilegeEscalation: false
  capabilities:
    drop: [ALL]
";

/// Line 6 turns privilege escalation back on.
const VALUES_AFTER: &str = "image: registry.example.com/web:1.0
securityContext:
  capabilities:
    drop: [ALL]
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: true
";

const DIFF: &str = "@@ -1,5 +1,6 @@
 image: registry.example.com/web:1.0
 securityContext:
-  allowPrivilegeEscalation: false
   capabilities:
     drop: [ALL]
+  readOnlyRootFilesystem: true
+  allowPrivilegeEscalation: true";

fn commit(values: &str) -> Vec<(&'static str, String)> {
    vec![
        ("charts/web/Chart.yaml", CHART.into()),
        ("charts/web/values.yaml", values.into()),
        ("charts/web/templates/deployment.yaml", TEMPLATE.into()),
    ]
}

#[tokio::test]
async fn a_values_change_gets_its_comment_on_the_values_line() {
    let h = Harness::start().await;
    let base = commit(VALUES_BEFORE);
    let head = commit(VALUES_AFTER);
    h.set_pull_between(
        HEAD,
        &base,
        &head,
        &[ChangedFile::modified(
            "charts/web/values.yaml",
            VALUES_AFTER,
            DIFF,
        )],
    );
    h.review("pull_request", "d1", &pull_request_event("opened", 1, HEAD))
        .await;
    h.assert_no_protocol_errors();
    let m = h.fake.model();
    let comment = m
        .review_comments
        .iter()
        .find(|c| c.body.contains("allow-privilege-escalation"))
        .unwrap_or_else(|| panic!("{:#?}\n{:#?}", m.review_comments, m.issue_comments));
    assert_eq!(
        (comment.path.as_str(), comment.line),
        ("charts/web/values.yaml", 6)
    );
    // The fix is a one-click suggestion on that line of values.yaml.
    assert!(
        comment
            .body
            .contains("```suggestion\n  allowPrivilegeEscalation: false\n```"),
        "{}",
        comment.body
    );
    // The chart renders nothing else that is new: the template is not commented on.
    assert!(
        m.review_comments
            .iter()
            .all(|c| c.path == "charts/web/values.yaml"),
        "{:#?}",
        m.review_comments
    );
    let summary = &m.issue_comments[0].body;
    assert!(
        summary.contains("Helm charts rendered (default values) at base and head: `charts/web`"),
        "{summary}"
    );
    insta::assert_snapshot!("helm_values_comment", comment.body.clone());
}
