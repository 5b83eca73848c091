//! Typed decoding into k8s-openapi types and the pod template of every workload kind.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    Namespace, Pod, PodSpec, PodTemplate, PodTemplateSpec, ReplicationController,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::sync::LazyLock;

use super::path::FieldPath;

/// The decoded form of the kinds rules look into. Everything else is `Untyped` and still
/// available as a YAML tree.
#[derive(Debug, Clone)]
pub enum Typed {
    Pod(Box<Pod>),
    Deployment(Box<Deployment>),
    StatefulSet(Box<StatefulSet>),
    DaemonSet(Box<DaemonSet>),
    ReplicaSet(Box<ReplicaSet>),
    ReplicationController(Box<ReplicationController>),
    Job(Box<Job>),
    CronJob(Box<CronJob>),
    PodTemplate(Box<PodTemplate>),
    Namespace(Box<Namespace>),
    NetworkPolicy(Box<NetworkPolicy>),
    Untyped,
}

/// A workload's pod template: the metadata and spec PSA would judge, and the path to it.
#[derive(Debug, Clone, Copy)]
pub struct PodTemplateRef<'a> {
    pub metadata: &'a ObjectMeta,
    pub spec: &'a PodSpec,
    /// Path from the object root to the template; `metadata` and `spec` sit under it.
    /// Empty for a Pod.
    pub prefix: &'static str,
}

impl PodTemplateRef<'_> {
    pub fn spec_path(&self) -> FieldPath {
        FieldPath::parse(self.prefix).key("spec")
    }

    pub fn metadata_path(&self) -> FieldPath {
        FieldPath::parse(self.prefix).key("metadata")
    }
}

static EMPTY_META: LazyLock<ObjectMeta> = LazyLock::new(ObjectMeta::default);
static EMPTY_SPEC: LazyLock<PodSpec> = LazyLock::new(PodSpec::default);

fn from_template<'a>(t: &'a PodTemplateSpec, prefix: &'static str) -> PodTemplateRef<'a> {
    PodTemplateRef {
        metadata: t.metadata.as_ref().unwrap_or(&EMPTY_META),
        spec: t.spec.as_ref().unwrap_or(&EMPTY_SPEC),
        prefix,
    }
}

impl Typed {
    /// The pod template of a workload (the pod itself for a Pod), as PSA extracts it.
    pub fn pod_template(&self) -> Option<PodTemplateRef<'_>> {
        Some(match self {
            Typed::Pod(p) => PodTemplateRef {
                metadata: &p.metadata,
                spec: p.spec.as_ref().unwrap_or(&EMPTY_SPEC),
                prefix: "",
            },
            Typed::Deployment(d) => from_template(&d.spec.template, "spec.template"),
            Typed::StatefulSet(s) => from_template(&s.spec.template, "spec.template"),
            Typed::DaemonSet(d) => from_template(&d.spec.template, "spec.template"),
            Typed::ReplicaSet(r) => from_template(r.spec.template.as_ref()?, "spec.template"),
            Typed::ReplicationController(r) => {
                from_template(r.spec.as_ref()?.template.as_ref()?, "spec.template")
            }
            Typed::Job(j) => from_template(&j.spec.as_ref()?.template, "spec.template"),
            Typed::CronJob(c) => from_template(
                &c.spec.job_template.spec.as_ref()?.template,
                "spec.jobTemplate.spec.template",
            ),
            Typed::PodTemplate(t) => from_template(t.template.as_ref()?, "template"),
            Typed::Namespace(_) | Typed::NetworkPolicy(_) | Typed::Untyped => return None,
        })
    }

    pub fn namespace(&self) -> Option<&Namespace> {
        match self {
            Typed::Namespace(n) => Some(n),
            _ => None,
        }
    }

    pub fn network_policy(&self) -> Option<&NetworkPolicy> {
        match self {
            Typed::NetworkPolicy(n) => Some(n),
            _ => None,
        }
    }
}

fn group(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((g, _)) => g,
        None => "",
    }
}

/// Decodes the kinds rules need; other kinds (and same-named kinds of other API groups, such
/// as CRDs) stay untyped. k8s-openapi fills missing required fields with defaults, so a
/// partial manifest (no `selector`, no container `name`) still decodes.
pub(super) fn decode(
    api_version: &str,
    kind: &str,
    json: serde_json::Value,
) -> Result<Typed, String> {
    let g = group(api_version);
    let core = g.is_empty();
    let apps = matches!(g, "apps" | "extensions");
    let batch = g == "batch";
    let networking = matches!(g, "networking.k8s.io" | "extensions");
    fn de<T: serde::de::DeserializeOwned>(json: serde_json::Value) -> Result<Box<T>, String> {
        serde_json::from_value(json)
            .map(Box::new)
            .map_err(|e| e.to_string())
    }
    Ok(match kind {
        "Pod" if core => Typed::Pod(de(json)?),
        "PodTemplate" if core => Typed::PodTemplate(de(json)?),
        "ReplicationController" if core => Typed::ReplicationController(de(json)?),
        "Namespace" if core => Typed::Namespace(de(json)?),
        "Deployment" if apps => Typed::Deployment(de(json)?),
        "StatefulSet" if apps => Typed::StatefulSet(de(json)?),
        "DaemonSet" if apps => Typed::DaemonSet(de(json)?),
        "ReplicaSet" if apps => Typed::ReplicaSet(de(json)?),
        "Job" if batch => Typed::Job(de(json)?),
        "CronJob" if batch => Typed::CronJob(de(json)?),
        "NetworkPolicy" if networking => Typed::NetworkPolicy(de(json)?),
        _ => Typed::Untyped,
    })
}
