//! Kubernetes API versions that are no longer served: for each (group/version, kind), the
//! release that removed it, what replaces it and what changed on the way (after the
//! deprecated API migration guide, <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>).
//! Decoding reads an object of a removed version under its replacement's type, so that its
//! pod template is still linted; the rule `deprecations/removed-api` reports the version.
//! This table only describes Kubernetes; it never decides what a finding says.

/// How a manifest moves to the replacement version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migration {
    /// Only `apiVersion` changes; the fields mean the same.
    ApiVersion,
    /// An `apps/v1` workload: `apiVersion`, plus `spec.selector` (required in apps/v1, defaulted
    /// from the pod template's labels before) when it is absent.
    AppsV1Workload,
    /// `policy/v1` PodDisruptionBudget: same fields, but an empty selector now selects every
    /// pod of the namespace instead of none.
    PodDisruptionBudget,
    /// The shape changed (or nothing replaces it): a person rewrites it.
    Manual,
}

/// One removed (group/version, kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemovedApi {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// The Kubernetes release that stopped serving it, e.g. `1.16`.
    pub removed_in: &'static str,
    /// The group/version to use instead; `None` when nothing replaces the kind.
    pub replacement: Option<&'static str>,
    /// What differs in the replacement beyond `apiVersion` (empty when nothing does).
    pub changes: &'static str,
    pub migration: Migration,
}

/// The removed version of `kind`, if `api_version` is one.
pub fn removed_api(api_version: &str, kind: &str) -> Option<&'static RemovedApi> {
    REMOVED_APIS
        .iter()
        .find(|r| r.api_version == api_version && r.kind == kind)
}

const fn removed(
    api_version: &'static str,
    kind: &'static str,
    removed_in: &'static str,
    replacement: Option<&'static str>,
    changes: &'static str,
    migration: Migration,
) -> RemovedApi {
    RemovedApi {
        api_version,
        kind,
        removed_in,
        replacement,
        changes,
        migration,
    }
}

use Migration::{ApiVersion, AppsV1Workload, Manual, PodDisruptionBudget};

const APPS: Option<&str> = Some("apps/v1");
const DEPLOYMENT: &str = "`spec.selector` is required and immutable (use the pod template's \
    labels); `spec.rollbackTo` is gone; defaults differ (`revisionHistoryLimit` 10, \
    `progressDeadlineSeconds` 600, `maxSurge` and `maxUnavailable` 25%)";
const DAEMON_SET: &str = "`spec.selector` is required and immutable (use the pod template's \
    labels); `spec.templateGeneration` is gone; `spec.updateStrategy.type` defaults to \
    `RollingUpdate` (extensions/v1beta1 defaulted to `OnDelete`)";
const STATEFUL_SET: &str = "`spec.selector` is required and immutable (use the pod template's \
    labels); `spec.updateStrategy.type` defaults to `RollingUpdate` (apps/v1beta1 defaulted to \
    `OnDelete`)";
const REPLICA_SET: &str =
    "`spec.selector` is required and immutable (use the pod template's labels)";
const WEBHOOK: &str = "`failurePolicy` defaults to `Fail` (was `Ignore`), `matchPolicy` to \
    `Equivalent` (was `Exact`) and `timeoutSeconds` to 10 (was 30); `sideEffects` and \
    `admissionReviewVersions` are required";
const INGRESS: &str = "`spec.backend` is renamed `spec.defaultBackend`; a backend's \
    `serviceName` becomes `service.name` and `servicePort` becomes `service.port.number` or \
    `service.port.name`; every path needs a `pathType`";
const ACCESS_REVIEW: &str = "`spec.group` is renamed `spec.groups`";
const PSP: &str = "nothing replaces PodSecurityPolicy: enforce the Pod Security Standards with \
    Pod Security Admission (namespace labels `pod-security.kubernetes.io/enforce`) or an \
    admission webhook";
const FLOW_SHARES: &str =
    "`spec.limited.assuredConcurrencyShares` is renamed `spec.limited.nominalConcurrencyShares`";

/// Every removal kubenudge knows, by release.
pub static REMOVED_APIS: &[RemovedApi] = &[
    // 1.16
    removed(
        "extensions/v1beta1",
        "Deployment",
        "1.16",
        APPS,
        DEPLOYMENT,
        AppsV1Workload,
    ),
    removed(
        "apps/v1beta1",
        "Deployment",
        "1.16",
        APPS,
        DEPLOYMENT,
        AppsV1Workload,
    ),
    removed(
        "apps/v1beta2",
        "Deployment",
        "1.16",
        APPS,
        DEPLOYMENT,
        AppsV1Workload,
    ),
    removed(
        "extensions/v1beta1",
        "DaemonSet",
        "1.16",
        APPS,
        DAEMON_SET,
        AppsV1Workload,
    ),
    removed(
        "apps/v1beta2",
        "DaemonSet",
        "1.16",
        APPS,
        DAEMON_SET,
        AppsV1Workload,
    ),
    removed(
        "apps/v1beta1",
        "StatefulSet",
        "1.16",
        APPS,
        STATEFUL_SET,
        AppsV1Workload,
    ),
    removed(
        "apps/v1beta2",
        "StatefulSet",
        "1.16",
        APPS,
        STATEFUL_SET,
        AppsV1Workload,
    ),
    removed(
        "extensions/v1beta1",
        "ReplicaSet",
        "1.16",
        APPS,
        REPLICA_SET,
        AppsV1Workload,
    ),
    removed(
        "apps/v1beta1",
        "ReplicaSet",
        "1.16",
        APPS,
        REPLICA_SET,
        AppsV1Workload,
    ),
    removed(
        "apps/v1beta2",
        "ReplicaSet",
        "1.16",
        APPS,
        REPLICA_SET,
        AppsV1Workload,
    ),
    removed(
        "extensions/v1beta1",
        "NetworkPolicy",
        "1.16",
        Some("networking.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "extensions/v1beta1",
        "PodSecurityPolicy",
        "1.16",
        None,
        PSP,
        Manual,
    ),
    // 1.22
    removed(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        "1.22",
        Some("admissionregistration.k8s.io/v1"),
        WEBHOOK,
        Manual,
    ),
    removed(
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        "1.22",
        Some("admissionregistration.k8s.io/v1"),
        WEBHOOK,
        Manual,
    ),
    removed(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        "1.22",
        Some("apiextensions.k8s.io/v1"),
        "`spec.scope` is required; `spec.version`, `spec.validation`, `spec.subresources` and \
         `spec.additionalPrinterColumns` move into each of `spec.versions`, and every version \
         needs a structural `schema.openAPIV3Schema`",
        Manual,
    ),
    removed(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        "1.22",
        Some("apiregistration.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "authentication.k8s.io/v1beta1",
        "TokenReview",
        "1.22",
        Some("authentication.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "authorization.k8s.io/v1beta1",
        "SubjectAccessReview",
        "1.22",
        Some("authorization.k8s.io/v1"),
        ACCESS_REVIEW,
        Manual,
    ),
    removed(
        "authorization.k8s.io/v1beta1",
        "LocalSubjectAccessReview",
        "1.22",
        Some("authorization.k8s.io/v1"),
        ACCESS_REVIEW,
        Manual,
    ),
    removed(
        "authorization.k8s.io/v1beta1",
        "SelfSubjectAccessReview",
        "1.22",
        Some("authorization.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "authorization.k8s.io/v1beta1",
        "SelfSubjectRulesReview",
        "1.22",
        Some("authorization.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        "1.22",
        Some("certificates.k8s.io/v1"),
        "`spec.signerName` and `spec.usages` are required, and the signer decides which \
         usages are allowed",
        Manual,
    ),
    removed(
        "coordination.k8s.io/v1beta1",
        "Lease",
        "1.22",
        Some("coordination.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "extensions/v1beta1",
        "Ingress",
        "1.22",
        Some("networking.k8s.io/v1"),
        INGRESS,
        Manual,
    ),
    removed(
        "networking.k8s.io/v1beta1",
        "Ingress",
        "1.22",
        Some("networking.k8s.io/v1"),
        INGRESS,
        Manual,
    ),
    removed(
        "networking.k8s.io/v1beta1",
        "IngressClass",
        "1.22",
        Some("networking.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole",
        "1.22",
        Some("rbac.authorization.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        "1.22",
        Some("rbac.authorization.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "rbac.authorization.k8s.io/v1beta1",
        "Role",
        "1.22",
        Some("rbac.authorization.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "rbac.authorization.k8s.io/v1beta1",
        "RoleBinding",
        "1.22",
        Some("rbac.authorization.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        "1.22",
        Some("scheduling.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        "1.22",
        Some("storage.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "storage.k8s.io/v1beta1",
        "CSINode",
        "1.22",
        Some("storage.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "storage.k8s.io/v1beta1",
        "StorageClass",
        "1.22",
        Some("storage.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        "1.22",
        Some("storage.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    // 1.25
    removed(
        "batch/v1beta1",
        "CronJob",
        "1.25",
        Some("batch/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        "1.25",
        Some("discovery.k8s.io/v1"),
        "an endpoint's `topology[\"kubernetes.io/hostname\"]` becomes `nodeName` and \
         `topology[\"topology.kubernetes.io/zone\"]` becomes `zone`; `topology` is replaced by \
         the read-only `deprecatedTopology`",
        Manual,
    ),
    removed(
        "events.k8s.io/v1beta1",
        "Event",
        "1.25",
        Some("events.k8s.io/v1"),
        "`type` is `Normal` or `Warning`; `involvedObject` is renamed `regarding`; `action`, \
         `reason`, `reportingController` and `reportingInstance` are required; the \
         `firstTimestamp`, `lastTimestamp`, `count` and `source` fields are replaced",
        Manual,
    ),
    removed(
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        "1.25",
        Some("autoscaling/v2"),
        "a metric's `targetAverageUtilization` becomes `target.averageUtilization` with \
         `target.type: Utilization` (likewise `targetAverageValue` and `targetValue`)",
        Manual,
    ),
    removed(
        "policy/v1beta1",
        "PodDisruptionBudget",
        "1.25",
        Some("policy/v1"),
        "an empty `spec.selector` (`{}`) selects every pod of the namespace (in policy/v1beta1 \
         it selected none)",
        PodDisruptionBudget,
    ),
    removed(
        "policy/v1beta1",
        "PodSecurityPolicy",
        "1.25",
        None,
        PSP,
        Manual,
    ),
    removed(
        "node.k8s.io/v1beta1",
        "RuntimeClass",
        "1.25",
        Some("node.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    // 1.26
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema",
        "1.26",
        Some("flowcontrol.apiserver.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
        "1.26",
        Some("flowcontrol.apiserver.k8s.io/v1"),
        FLOW_SHARES,
        Manual,
    ),
    removed(
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        "1.26",
        Some("autoscaling/v2"),
        "",
        ApiVersion,
    ),
    // 1.27
    removed(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        "1.27",
        Some("storage.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    // 1.29
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema",
        "1.29",
        Some("flowcontrol.apiserver.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "PriorityLevelConfiguration",
        "1.29",
        Some("flowcontrol.apiserver.k8s.io/v1"),
        FLOW_SHARES,
        Manual,
    ),
    // 1.32
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema",
        "1.32",
        Some("flowcontrol.apiserver.k8s.io/v1"),
        "",
        ApiVersion,
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "PriorityLevelConfiguration",
        "1.32",
        Some("flowcontrol.apiserver.k8s.io/v1"),
        "`spec.limited.nominalConcurrencyShares: 0` now means zero (v1beta3 read 0 as the \
         default, 30)",
        Manual,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_removal_is_listed_once_and_points_at_a_served_version() {
        for (i, r) in REMOVED_APIS.iter().enumerate() {
            assert!(
                REMOVED_APIS[..i]
                    .iter()
                    .all(|o| (o.api_version, o.kind) != (r.api_version, r.kind)),
                "{} {} is listed twice",
                r.api_version,
                r.kind
            );
            if let Some(replacement) = r.replacement {
                assert!(
                    removed_api(replacement, r.kind).is_none(),
                    "{} {} points at the removed {replacement}",
                    r.api_version,
                    r.kind
                );
            }
            if r.migration == Migration::Manual {
                assert!(
                    !r.changes.is_empty(),
                    "{} {} says nothing",
                    r.api_version,
                    r.kind
                );
            }
        }
        for release in ["1.16", "1.22", "1.25", "1.26", "1.27", "1.29", "1.32"] {
            assert!(REMOVED_APIS.iter().any(|r| r.removed_in == release));
        }
        assert_eq!(removed_api("apps/v1", "Deployment"), None);
        assert_eq!(
            removed_api("batch/v1beta1", "CronJob").map(|r| r.removed_in),
            Some("1.25")
        );
    }
}
