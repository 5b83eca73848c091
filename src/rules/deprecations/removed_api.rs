//! ## What it does
//! Flags objects written with an API version that Kubernetes no longer serves: `apps/v1beta1`,
//! `apps/v1beta2` and `extensions/v1beta1` workloads (removed in 1.16), `extensions/v1beta1`
//! and `networking.k8s.io/v1beta1` Ingress and the `v1beta1` RBAC, webhook, CRD and storage
//! kinds (1.22), `batch/v1beta1` CronJob, `policy/v1beta1` PodDisruptionBudget and
//! PodSecurityPolicy (1.25), `autoscaling/v2beta2` HorizontalPodAutoscaler and the flow-control
//! betas (1.26, 1.29, 1.32), `storage.k8s.io/v1beta1` CSIStorageCapacity (1.27). The finding
//! names the release that removed the version, the version to use, and what changed in it.
//! kubenudge still checks the rest of the object as its replacement, so a removed Deployment's
//! pod template gets its Pod Security findings too.
//!
//! ## Why it matters
//! `kubectl apply` fails against any cluster at or above the release that removed the version
//! (`no matches for kind "Deployment" in version "extensions/v1beta1"`), and so do Helm, Argo CD
//! and Flux. The manifest may still work today on an old cluster, and break the day the cluster
//! is upgraded, usually in the middle of an unrelated change. It is an error, not a style note.
//!
//! ## What to change
//! Before:
//! ```yaml
//! apiVersion: extensions/v1beta1
//! kind: Deployment
//! metadata:
//!   name: web
//! spec:
//!   template:
//!     metadata:
//!       labels:
//!         app: web
//! ```
//! After:
//! ```yaml
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata:
//!   name: web
//! spec:
//!   selector:
//!     matchLabels:
//!       app: web
//!   template:
//!     metadata:
//!       labels:
//!         app: web
//! ```
//! The Kubernetes deprecated API migration guide lists every removal and what changed:
//! <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>.
//!
//! ## Edge cases
//! - `apps/v1` requires `spec.selector`, which the beta versions defaulted from the pod
//!   template's labels. The fix writes exactly those labels as `matchLabels`, which is what a
//!   cluster defaulted when it created the object; a selector cannot change after creation.
//! - Ingress (`networking.k8s.io/v1`) changed shape: `serviceName`/`servicePort` become
//!   `service.name`/`service.port`, and every path needs a `pathType`. No automatic fix.
//! - PodSecurityPolicy has no replacement at all: use Pod Security Admission namespace labels
//!   (the `pod-security` rules check the same standards) or an admission webhook.
//! - Custom resources of other groups are never flagged: only Kubernetes' own groups are known.
//!
//! ## Fix safety
//! - `batch/v1beta1` CronJob → `batch/v1`, and kinds whose fields did not change (RBAC,
//!   PriorityClass, StorageClass, NetworkPolicy…): safe, only `apiVersion` changes.
//! - Workloads → `apps/v1`: needs review. Defaults differ (a DaemonSet updates with
//!   `RollingUpdate` instead of `OnDelete`; a Deployment keeps 10 old ReplicaSets), and the
//!   selector written must equal the one the cluster holds (`kubectl get -o yaml` shows it).
//! - PodDisruptionBudget → `policy/v1`: safe when it has a selector; needs review when the
//!   selector is empty, because an empty selector selected no pod in `policy/v1beta1` and
//!   selects every pod of the namespace in `policy/v1`.
//! - Ingress, webhooks, CRDs, HorizontalPodAutoscaler `v2beta1`, Events, EndpointSlices: no fix;
//!   the finding says what to rewrite.
//!
//! ## What if you cannot comply
//! If the manifest only ever goes to a cluster older than the removal release, it still works
//! there, but that cluster is out of support. Plan the upgrade of the manifest with the
//! cluster's; until then, ignore the finding on the object with the annotation
//! `ignore.kubenudge.io/removed-api` and say which cluster needs the old version.

use serde_json::Value;

use crate::finding::{FixAction, FixPlan, FixSafety, Severity, Violation};
use crate::manifest::{FieldPath, Migration, RemovedApi, removed_api};
use crate::rules::{FixAvailability, Rule, RuleContext};

pub(crate) static RULE: RemovedApiRule = RemovedApiRule;

pub struct RemovedApiRule;

impl Rule for RemovedApiRule {
    fn id(&self) -> &'static str {
        "deprecations/removed-api"
    }

    fn summary(&self) -> &'static str {
        "objects must use an API version the cluster still serves"
    }

    fn fix_availability(&self) -> FixAvailability {
        FixAvailability::Sometimes
    }

    /// `kubectl apply` fails on every cluster at or above the removal release.
    fn severity(&self) -> Severity {
        Severity::Error
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let object = cx.object;
        let Some(removed) = removed_api(&object.api_version, &object.kind) else {
            return Vec::new();
        };
        vec![
            Violation::new(message(removed), FieldPath::parse("apiVersion"))
                .with_fix(fix(cx, removed)),
        ]
    }
}

fn message(r: &RemovedApi) -> String {
    let head = format!(
        "`{}` {} was removed in Kubernetes {}",
        r.api_version, r.kind, r.removed_in
    );
    match (r.replacement, r.changes.is_empty()) {
        (Some(to), true) => format!("{head}; use `{to}`"),
        (Some(to), false) => format!("{head}; use `{to}`, where {}", r.changes),
        (None, _) => format!("{head}; {}", r.changes),
    }
}

fn set(path: &str, value: impl Into<String>) -> FixAction {
    FixAction::Set {
        path: FieldPath::parse(path),
        value: value.into(),
    }
}

fn fix(cx: &RuleContext<'_>, r: &RemovedApi) -> Option<FixPlan> {
    let to = r.replacement?;
    let title = format!("Move {} to `{to}`", r.kind);
    let set_version = set("apiVersion", to);
    match r.migration {
        Migration::Manual => None,
        Migration::ApiVersion => Some(FixPlan {
            safety: FixSafety::Safe,
            title,
            caveat: "".into(),
            actions: vec![set_version],
        }),
        Migration::AppsV1Workload => {
            let mut actions = vec![set_version];
            if !cx.exists(&FieldPath::parse("spec.selector")) {
                // apps/v1 requires the selector the beta versions defaulted from the template.
                let labels = &cx.pod_template()?.metadata.labels;
                let labels = labels.as_ref().filter(|l| !l.is_empty())?;
                actions.extend(labels.iter().map(|(key, value)| FixAction::Set {
                    path: FieldPath::parse("spec.selector.matchLabels").key(key.clone()),
                    value: scalar_text(value),
                }));
            }
            Some(FixPlan {
                safety: FixSafety::Review,
                title,
                caveat: format!(
                    "`{to}` has other defaults (the finding lists them), and a selector cannot \
                     change after creation: it must equal the one the cluster holds for this \
                     object (`kubectl get -o yaml` shows it)"
                )
                .into(),
                actions,
            })
        }
        Migration::PodDisruptionBudget => {
            let empty_selector = cx
                .file
                .node_at(cx.object, &FieldPath::parse("spec.selector"))
                .is_none_or(|n| selects_everything(&cx.file.tree.to_json(n)));
            Some(FixPlan {
                safety: if empty_selector {
                    FixSafety::Review
                } else {
                    FixSafety::Safe
                },
                title,
                caveat: if empty_selector {
                    "this budget has no selector: in `policy/v1beta1` it protected no pod, in \
                     `policy/v1` it protects every pod of the namespace; set the selector to the \
                     pods it is meant for, or delete it"
                        .into()
                } else {
                    "".into()
                },
                actions: vec![set_version],
            })
        }
    }
}

/// An empty label selector: no `matchLabels` and no `matchExpressions` with anything in them.
fn selects_everything(selector: &Value) -> bool {
    ["matchLabels", "matchExpressions"].iter().all(|k| {
        selector.get(k).is_none_or(|v| match v {
            Value::Object(m) => m.is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => v.is_null(),
        })
    })
}

/// A label value as YAML scalar text that reads back as that string: plain when it cannot be
/// taken for a number, boolean or null, double-quoted (JSON's quoting is YAML's) otherwise.
fn scalar_text(value: &str) -> String {
    let plain = value.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null"
        );
    if plain {
        value.to_string()
    } else {
        serde_json::to_string(value).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_quoted_only_when_yaml_would_read_something_else() {
        assert_eq!(scalar_text("web"), "web");
        assert_eq!(scalar_text("my-app.v2"), "my-app.v2");
        assert_eq!(scalar_text("1.0"), "\"1.0\"");
        assert_eq!(scalar_text("true"), "\"true\"");
        assert_eq!(scalar_text("No"), "\"No\"");
        assert_eq!(scalar_text(""), "\"\"");
    }

    #[test]
    fn an_empty_selector_selects_everything() {
        assert!(selects_everything(&serde_json::json!({})));
        assert!(selects_everything(&serde_json::json!({"matchLabels": {}})));
        assert!(!selects_everything(
            &serde_json::json!({"matchLabels": {"app": "web"}})
        ));
        assert!(!selects_everything(&serde_json::json!({
            "matchExpressions": [{"key": "app", "operator": "Exists"}]
        })));
    }
}
