//! Output order: kustomize's "legacy" order by default (Namespaces and other prerequisites
//! first, webhooks last, then by kind, namespace and name), `fifo` (input order) when
//! `sortOptions.order` asks for it, and custom first/last lists.

use super::kustomization::Kustomization;
use super::resource::Gvk;
use super::{BuildError, Builder, Ctx};
use crate::render::value::Node;

const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

pub(crate) enum SortOptions {
    Fifo,
    Legacy {
        first: Vec<String>,
        last: Vec<String>,
    },
}

impl SortOptions {
    pub fn read(k: &Kustomization, b: &Builder, ctx: &Ctx) -> Result<SortOptions, BuildError> {
        let Some(opts) = k.field("sortOptions") else {
            return Ok(Self::legacy_default());
        };
        let legacy = opts.get("legacySortOptions");
        match opts.get_str("order") {
            Some("fifo") => {
                if legacy.is_some() {
                    return Err(b.err(
                        ctx,
                        opts,
                        "the field 'sortOptions.legacySortOptions' must not be set when 'sortOptions.order' is 'fifo'".into(),
                    ));
                }
                Ok(SortOptions::Fifo)
            }
            Some("legacy") | None => {
                let list = |f: &str, d: &[&str]| -> Vec<String> {
                    match legacy.and_then(|l| l.get(f)) {
                        Some(n) => n
                            .items()
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_string))
                            .collect(),
                        None => d.iter().map(|s| s.to_string()).collect(),
                    }
                };
                Ok(SortOptions::Legacy {
                    first: list("orderFirst", ORDER_FIRST),
                    last: list("orderLast", ORDER_LAST),
                })
            }
            Some(other) => Err(b.err(ctx, opts, format!("unknown sortOptions.order {other:?}"))),
        }
    }

    fn legacy_default() -> SortOptions {
        SortOptions::Legacy {
            first: ORDER_FIRST.iter().map(|s| s.to_string()).collect(),
            last: ORDER_LAST.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn apply(&self, objects: &mut [Node]) {
        let SortOptions::Legacy { first, last } = self else {
            return;
        };
        let rank = |kind: &str| -> (usize, usize) {
            if let Some(i) = first.iter().position(|k| k == kind) {
                (0, i)
            } else if let Some(i) = last.iter().position(|k| k == kind) {
                (2, i)
            } else {
                (1, 0)
            }
        };
        objects.sort_by(|a, b| {
            let key = |n: &Node| {
                let kind = n.get_str("kind").unwrap_or("").to_string();
                let gvk = Gvk::from_api_version(n.get_str("apiVersion").unwrap_or(""), &kind);
                (
                    rank(&kind),
                    gvk.to_string(),
                    n.at(&["metadata", "namespace"])
                        .and_then(Node::as_str)
                        .unwrap_or("")
                        .to_string(),
                    n.at(&["metadata", "name"])
                        .and_then(Node::as_str)
                        .unwrap_or("")
                        .to_string(),
                )
            };
            key(a).cmp(&key(b))
        });
    }
}
