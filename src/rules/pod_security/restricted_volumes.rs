//! ## What it does
//! Allows only these volume types: `configMap`, `csi`, `downwardAPI`, `emptyDir`, `ephemeral`,
//! `image`, `persistentVolumeClaim`, `projected`, `secret`. A volume with only a name is an
//! `emptyDir` (the API server defaults it) and passes. Pod Security level: **restricted**, every
//! version (it replaces `host-path-volumes` there). PSA reports it as
//! `restricted volume types (volume "data" uses restricted volume type "nfs")`.
//!
//! ## Why it matters
//! Volume types outside the allowlist let the pod spec pick storage and credentials directly,
//! bypassing the cluster's storage classes and access control. `hostPath` gives access to the
//! node, `gitRepo` runs git on the node, and nfs, iscsi, rbd, cephfs, cloud disks and
//! flexVolume mount storage by address. Claims and CSI drivers keep storage under the
//! platform's control.
//!
//! ## What to change
//! Before:
//! ```yaml
//! volumes:
//!   - name: data
//!     nfs:
//!       server: nfs.example.com
//!       path: /exports/data
//! ```
//! After:
//! ```yaml
//! volumes:
//!   - name: data
//!     persistentVolumeClaim:
//!       claimName: data      # bound to an NFS PersistentVolume by the platform team
//! ```
//!
//! ## Edge cases
//! - `gitRepo`: clone in an init container into an `emptyDir` instead.
//! - Cloud disks (`awsElasticBlockStore`, `gcePersistentDisk`, `azureDisk`): use a PVC with the
//!   CSI storage class.
//! - Log collectors and node agents using `hostPath` belong in a privileged system namespace.
//!
//! ## Fix safety
//! No automatic fix: the replacement (a PVC, a CSI volume, a projected Secret) depends on the data.
//!
//! ## What if you cannot comply
//! Ask the platform team for a PersistentVolume or storage class that exposes the storage, or ask
//! for an exception through the process linked in the review.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Volume;

use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, join_quote, pluralize};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::RestrictedVolumes,
    summary: "pods may use only ephemeral, projected and claim-based volume types",
    fix: FixAvailability::Never,
    evaluate,
};

/// True for the allowed volume types. A volume with only a name is an `emptyDir`: the API
/// server defaults it so (SetDefaults_Volume) before PSA looks at it.
fn allowed(v: &Volume) -> bool {
    v.config_map.is_some()
        || v.csi.is_some()
        || v.downward_api.is_some()
        || v.empty_dir.is_some()
        || v.ephemeral.is_some()
        || v.image.is_some()
        || v.persistent_volume_claim.is_some()
        || v.projected.is_some()
        || v.secret.is_some()
        || restricted_type(v).is_none()
}

/// The name PSA gives a forbidden volume source (the first match, in PSA's order), which is
/// also its field name; `None` when no forbidden source is set.
fn restricted_type(v: &Volume) -> Option<&'static str> {
    let types: [(bool, &str); 21] = [
        (v.host_path.is_some(), "hostPath"),
        (v.gce_persistent_disk.is_some(), "gcePersistentDisk"),
        (v.aws_elastic_block_store.is_some(), "awsElasticBlockStore"),
        (v.git_repo.is_some(), "gitRepo"),
        (v.nfs.is_some(), "nfs"),
        (v.iscsi.is_some(), "iscsi"),
        (v.glusterfs.is_some(), "glusterfs"),
        (v.rbd.is_some(), "rbd"),
        (v.flex_volume.is_some(), "flexVolume"),
        (v.cinder.is_some(), "cinder"),
        (v.cephfs.is_some(), "cephfs"),
        (v.flocker.is_some(), "flocker"),
        (v.fc.is_some(), "fc"),
        (v.azure_file.is_some(), "azureFile"),
        (v.vsphere_volume.is_some(), "vsphereVolume"),
        (v.quobyte.is_some(), "quobyte"),
        (v.azure_disk.is_some(), "azureDisk"),
        (v.photon_persistent_disk.is_some(), "photonPersistentDisk"),
        (v.portworx_volume.is_some(), "portworxVolume"),
        (v.scale_io.is_some(), "scaleIO"),
        (v.storageos.is_some(), "storageos"),
    ];
    types
        .into_iter()
        .find(|(set, _)| *set)
        .map(|(_, name)| name)
}

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let volumes = pod.spec.volumes.as_deref().unwrap_or_default();
    let mut names = Vec::new();
    let mut types = BTreeSet::new();
    let mut first = None;
    for (i, v) in volumes.iter().enumerate() {
        if allowed(v) {
            continue;
        }
        let path = pod.spec_path.clone().key("volumes").index(i);
        let (name, path) = match restricted_type(v) {
            Some(name) => (name, path.key(name)),
            None => ("unknown", path),
        };
        names.push(v.name.as_str());
        types.insert(name);
        first.get_or_insert(path);
    }
    let first = first?;
    let types: Vec<&str> = types.into_iter().collect();
    // No fix: the replacement (a PersistentVolumeClaim, a CSI driver, a projected Secret)
    // depends on what the volume holds; the guidance page lists the options.
    Some(Forbidden::new(
        "restricted volume types",
        format!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", names.len()),
            join_quote(&names),
            pluralize("uses", "use", names.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(&types)
        ),
        first,
    ))
}
