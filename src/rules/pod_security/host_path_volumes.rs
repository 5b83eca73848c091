//! ## What it does
//! Flags pods that mount `hostPath` volumes. Pod Security level: **baseline**, every version; at
//! restricted the `restricted-volumes` rule replaces it (and reports hostPath there). PSA reports
//! it as `hostPath volumes (volumes "logs", "docker-sock")`.
//!
//! ## Why it matters
//! A hostPath volume gives the pod a directory of the node. Mounting `/`, `/etc`, `/var/lib/kubelet`
//! or the container runtime socket is a straight path to root on the node; even a read-only mount
//! leaks other pods' logs and secrets. hostPath data also ties the pod to one node and disappears
//! when the pod moves.
//!
//! ## What to change
//! Before:
//! ```yaml
//! volumes:
//!   - name: cache
//!     hostPath:
//!       path: /var/cache/app
//! ```
//! After:
//! ```yaml
//! volumes:
//!   - name: cache
//!     emptyDir: {}            # scratch space that lives as long as the pod
//! # or, for data that must survive the pod:
//! #   - name: cache
//! #     persistentVolumeClaim:
//! #       claimName: app-cache
//! ```
//!
//! ## Edge cases
//! - Log collectors (Fluent Bit, Vector, Promtail) read `/var/log` from the node; they are node
//!   agents and belong in a privileged system namespace.
//! - CNI and CSI node plugins mount host directories by design.
//! - Configuration files: use a ConfigMap or Secret volume, not a file on the node.
//! - The Docker or containerd socket: never mount it in application pods; use a build service.
//!
//! ## Fix safety
//! No automatic fix: the right replacement (emptyDir, PersistentVolumeClaim, ConfigMap, CSI
//! volume) depends on what the directory holds.
//!
//! ## What if you cannot comply
//! If the pod is a node agent, move it to a namespace labelled
//! `pod-security.kubernetes.io/enforce: privileged`. Otherwise ask for an exception through the
//! process linked in the review, listing each host path, whether it is read-only, and why.

use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, join_quote, pluralize};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::HostPathVolumes,
    summary: "pods must not mount hostPath volumes",
    fix: FixAvailability::Never,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let volumes = pod.spec.volumes.as_deref().unwrap_or_default();
    let bad: Vec<(usize, &str)> = volumes
        .iter()
        .enumerate()
        .filter(|(_, v)| v.host_path.is_some())
        .map(|(i, v)| (i, v.name.as_str()))
        .collect();
    let (first, _) = bad.first()?;
    let names: Vec<&str> = bad.iter().map(|(_, n)| *n).collect();
    // No fix: what replaces a host directory (a PVC, a ConfigMap, an emptyDir) depends on
    // why the pod reads the node's files; the guidance page walks through the options.
    Some(Forbidden::new(
        "hostPath volumes",
        format!(
            "{} {}",
            pluralize("volume", "volumes", names.len()),
            join_quote(&names)
        ),
        pod.spec_path
            .clone()
            .key("volumes")
            .index(*first)
            .key("hostPath"),
    ))
}
