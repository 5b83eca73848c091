//! Typed decoding into k8s-openapi types and the pod template of every workload kind.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    Namespace, Pod, PodSpec, PodTemplate, PodTemplateSpec, ReplicationController,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::sync::LazyLock;

use super::labels::Labels;
use super::path::FieldPath;
use super::removed_apis::removed_api;
use super::tree_de::NodeDeserializer;

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

/// What is kept of a workload's pod template once its typed view is dropped (see
/// `Object::kept`): what other objects select it by and reach it on, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSummary {
    /// [`PodTemplateRef::prefix`].
    pub prefix: &'static str,
    /// False for a `PodTemplate`, a template for others to use that runs nothing itself.
    pub runs_pods: bool,
    /// The template's labels (empty when it has none).
    pub labels: Labels,
    /// Every container's ports: init containers, then containers, then ephemeral ones.
    pub ports: Vec<TemplatePort>,
    /// `hostNetwork: true`.
    pub host_network: bool,
}

/// A container port of a pod template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplatePort {
    pub name: Option<String>,
    pub number: i32,
    /// As written (`None`: the API server's default, TCP).
    pub protocol: Option<String>,
}

impl PodTemplateRef<'_> {
    /// What is kept of this template when the typed view is not.
    pub fn summary(&self, runs_pods: bool) -> TemplateSummary {
        let spec = self.spec;
        let ports = spec
            .init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
            .flat_map(|c| c.ports.iter().flatten())
            .chain(
                spec.ephemeral_containers
                    .iter()
                    .flatten()
                    .flat_map(|c| c.ports.iter().flatten()),
            )
            .map(|p| TemplatePort {
                name: p.name.clone(),
                number: p.container_port,
                protocol: p.protocol.clone(),
            })
            .collect();
        TemplateSummary {
            prefix: self.prefix,
            runs_pods,
            labels: self
                .metadata
                .labels
                .as_ref()
                .map(Labels::from)
                .unwrap_or_default(),
            ports,
            host_network: spec.host_network == Some(true),
        }
    }

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

/// An object whose fields do not fit its Kubernetes type: where, and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SchemaError {
    /// The field that does not fit (the object root when serde cannot say).
    pub path: FieldPath,
    /// "expected a string, found a boolean".
    pub message: String,
}

/// Decodes the kinds rules need; other kinds (and same-named kinds of other API groups, such
/// as CRDs) stay untyped. An object of a removed API version (`extensions/v1beta1`
/// Deployment) is decoded as its replacement (`apps/v1`), so its pod template is still
/// linted; `deprecations/removed-api` reports the version. k8s-openapi fills missing
/// required fields with defaults, so a partial manifest (no `selector`, which apps/v1 requires
/// and the beta versions defaulted, no container `name`) still decodes.
///
/// `object` reads the object from its tree. It is deserialized a second time only when it
/// does not fit its type, to find the field at fault (tracking the path on every decode would
/// cost a third of the decoding).
pub(super) fn decode(
    api_version: &str,
    kind: &str,
    object: NodeDeserializer<'_>,
) -> Result<Typed, SchemaError> {
    let replacement = removed_api(api_version, kind).and_then(|r| r.replacement);
    let api_version = replacement.unwrap_or(api_version);
    // For decoding only: the file keeps what the author wrote. (A `List` item keeps the
    // list's kind.)
    let mut replaced = Vec::new();
    let object = match replacement {
        Some(_) => {
            replaced.extend(
                object
                    .root_fields()
                    .iter()
                    .filter(|(n, _)| *n != "apiVersion"),
            );
            replaced.push(("apiVersion", api_version));
            object.with_root_fields(&replaced)
        }
        None => object,
    };
    let g = group(api_version);
    let core = g.is_empty();
    let apps = g == "apps";
    let batch = g == "batch";
    let networking = g == "networking.k8s.io";
    Ok(match kind {
        "Pod" if core => Typed::Pod(de(object)?),
        "PodTemplate" if core => Typed::PodTemplate(de(object)?),
        "ReplicationController" if core => Typed::ReplicationController(de(object)?),
        "Namespace" if core => Typed::Namespace(de(object)?),
        "Deployment" if apps => Typed::Deployment(de(object)?),
        "StatefulSet" if apps => Typed::StatefulSet(de(object)?),
        "DaemonSet" if apps => Typed::DaemonSet(de(object)?),
        "ReplicaSet" if apps => Typed::ReplicaSet(de(object)?),
        "Job" if batch => Typed::Job(de(object)?),
        "CronJob" if batch => Typed::CronJob(de(object)?),
        "NetworkPolicy" if networking => Typed::NetworkPolicy(de(object)?),
        _ => Typed::Untyped,
    })
}

/// Deserializes; when that fails, again with the path to the field serde stopped at.
fn de<T: serde::de::DeserializeOwned>(object: NodeDeserializer<'_>) -> Result<Box<T>, SchemaError> {
    if let Ok(typed) = T::deserialize(object) {
        return Ok(Box::new(typed));
    }
    serde_path_to_error::deserialize(object)
        .map(Box::new)
        .map_err(|e| SchemaError {
            path: field_path(e.path()),
            message: rephrase(&e.inner().to_string()),
        })
}

fn field_path(path: &serde_path_to_error::Path) -> FieldPath {
    use serde_path_to_error::Segment as S;
    let mut out = FieldPath::root();
    for segment in path.iter() {
        out = match segment {
            S::Seq { index } => out.index(*index),
            S::Map { key } => out.key(key.clone()),
            S::Enum { variant } => out.key(variant.clone()),
            S::Unknown => break,
        };
    }
    out
}

/// serde's "invalid type: boolean `true`, expected a string" said the way a manifest's author
/// reads it: "expected a string, found a boolean". Other messages are kept as they are.
fn rephrase(message: &str) -> String {
    let Some((found, expected)) = ["invalid type: ", "invalid value: "]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split_once(", expected "))
    else {
        return message.to_string();
    };
    let expected = match expected {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "isize" | "usize" => {
            "an integer".to_string()
        }
        "f32" | "f64" => "a number".to_string(),
        "a sequence" => "a list".to_string(),
        "a map" => "a mapping".to_string(),
        "IntOrString" => "an integer or a string".to_string(),
        "Quantity" => "a quantity such as 500m or 1Gi".to_string(),
        e if e.starts_with("a ") || e.starts_with("an ") => e.to_string(),
        e if e.chars().next().is_some_and(char::is_uppercase) && !e.contains(' ') => {
            format!("a mapping ({e})")
        }
        e => e.to_string(),
    };
    let scalar = |text: &str| text.trim_matches('`').to_string();
    let (found, hint) = match found.split_once(' ') {
        Some(("boolean", v)) => ("a boolean".to_string(), Some(scalar(v))),
        Some(("integer", v)) => ("an integer".to_string(), Some(scalar(v))),
        Some(("floating", v)) => ("a number".to_string(), v.strip_prefix("point ").map(scalar)),
        Some(("string", v)) => (format!("the string {v}"), None),
        _ => match found {
            "unit value" | "null" => ("null".to_string(), None),
            "sequence" => ("a list".to_string(), None),
            "map" => ("a mapping".to_string(), None),
            other => (other.to_string(), None),
        },
    };
    match hint {
        // `value: true` in an env var: the fix is quoting, so say so.
        Some(v) if expected == "a string" => {
            format!("expected a string, found {found}; write \"{v}\" to make it a string")
        }
        _ => format!("expected {expected}, found {found}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_type_errors_read_as_expected_and_found() {
        for (serde, ours) in [
            (
                "invalid type: boolean `true`, expected a string",
                "expected a string, found a boolean; write \"true\" to make it a string",
            ),
            (
                "invalid type: string \"PORT\", expected i32",
                "expected an integer, found the string \"PORT\"",
            ),
            (
                "invalid type: sequence, expected a map",
                "expected a mapping, found a list",
            ),
            (
                "invalid type: string \"x\", expected Container",
                "expected a mapping (Container), found the string \"x\"",
            ),
            (
                "invalid type: unit value, expected a boolean",
                "expected a boolean, found null",
            ),
            ("missing field `x`", "missing field `x`"),
        ] {
            assert_eq!(rephrase(serde), ours);
        }
    }
}
